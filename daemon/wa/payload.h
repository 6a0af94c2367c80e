/*
 * payload.h: the ClientPayload a companion sends, encrypted, in
 * ClientFinish (wa-md-protocol.md section 4; whatsmeow
 * store/clientpayload.go getRegistrationPayload / getLoginPayload).
 * Two forms: registration, for a companion not yet paired (carries the
 * identity and signed pre-key in DevicePairingRegistrationData), and
 * login, for a paired one (carries its phone number and device id).
 * Both share the UserAgent and WebInfo of WhatsApp Web.  The bytes
 * equal the spec's Appendix A vectors field for field (proto2
 * presence: false/0/"" values the references send are emitted).
 */
#ifndef WADESK_WA_PAYLOAD_H
#define WADESK_WA_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * WhatsApp Web version default (spec 4.1; whatsmeow 2026-08-21
 * store/clientpayload.go).  The server refuses stale versions with
 * <failure reason="405"/>, so callers take it from configuration.
 */
#define	WA_PAYLOAD_VERSION	"2.3000.1045649367"

/* DeviceProps.os default: the name on the phone's linked devices list. */
#define	WA_PAYLOAD_OS		"wadesk"

/* Longest version string accepted ("4294967295" x 3 and two dots). */
#define	WA_PAYLOAD_VERSION_MAX	32

/*
 * What goes into a ClientPayload.  Caller-owned; pointers are borrowed
 * for the duration of the call.  Zero/NULL fields take the defaults
 * given; the registration and login fields are used only by their own
 * builder.
 */
struct	wa_payload_cfg {
	const char	*version;	/* "2.3000.N"; NULL:
					   WA_PAYLOAD_VERSION */
	const char	*os;		/* DeviceProps.os; NULL:
					   WA_PAYLOAD_OS */
	const char	*push_name;	/* ClientPayload.pushName; NULL: absent
					   (whatsmeow never sends it) */
	int		 omit_history_sync; /* 1: no DeviceProps.
					   historySyncConfig (the spec's
					   vectors); 0: whatsmeow's (4.4) */

	/* Registration (spec 4.3). */
	uint32_t	 registration_id; /* eRegid, sent as 4 bytes BE */
	const uint8_t	*identity_pub;	/* eIdent, 32 bytes */
	uint32_t	 spk_id;	/* eSkeyId, < 2^24, sent as 3
					   bytes BE */
	const uint8_t	*spk_pub;	/* eSkeyVal, 32 bytes */
	const uint8_t	*spk_sig;	/* eSkeySig, 64 bytes */

	/* Login (spec 4.5). */
	uint64_t	 username;	/* phone number as an integer */
	uint32_t	 device;	/* own device id, the N of user:N@... */
};

int	wa_payload_version_parse(const char *s, uint32_t v[3])
	    __attribute__((warn_unused_result));
int	wa_payload_jid_parse(const char *jid, uint64_t *user,
	    uint32_t *device) __attribute__((warn_unused_result));
void	wa_payload_device_props(const struct wa_payload_cfg *cfg,
	    struct buf *out);
int	wa_payload_registration(const struct wa_payload_cfg *cfg,
	    struct buf *out) __attribute__((warn_unused_result));
int	wa_payload_login(const struct wa_payload_cfg *cfg, struct buf *out)
	    __attribute__((warn_unused_result));

#endif /* !WADESK_WA_PAYLOAD_H */
