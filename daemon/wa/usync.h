/*
 * usync.h: the stanzas around sending a message that are not Signal
 * itself (pure code, no client state, so each parser can be fuzzed):
 * the usync device-list query and its result (whatsmeow user.go
 * GetUserDevices, usync, parseDeviceList; Baileys Socket/messages-send.ts
 * getUSyncDevices and WAUSync/), the pre-key bundle fetch
 * <iq xmlns="encrypt"> and its result (whatsmeow prekeys.go fetchPreKeys,
 * nodeToPreKeyBundle; Baileys Utils/signal.ts parseAndInjectE2ESessions),
 * group metadata (whatsmeow group.go getGroupInfo, parseGroupNode), the
 * server's <ack> of a message (whatsmeow send.go SendMessage) and the
 * participant list hash (whatsmeow send.go participantListHashV2).
 *
 * Every parser takes a decoded node from the server (untrusted) and
 * fills caller-supplied plain structs; bad input is refused or skipped,
 * never trusted: no pointer into the node survives the call unless the
 * function says so.
 */
#ifndef WADESK_WA_USYNC_H
#define WADESK_WA_USYNC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keys.h"

struct wa_node;

#define	WA_USYNC_JID_MAX	96	/* a JID's text, NUL included */
#define	WA_USYNC_DEVICES_MAX	64	/* devices kept per user (WhatsApp
					   allows a phone and 4 companions,
					   plus hosted ones) */
#define	WA_PHASH_LEN		16	/* "2:" + 8 base64 + NUL, rounded */

/* One user's device list from a usync result. */
struct	wa_usync_user {
	char		 jid[WA_USYNC_JID_MAX]; /* the user, non-AD:
					   "15551234567@s.whatsapp.net" */
	uint16_t	 dev[WA_USYNC_DEVICES_MAX]; /* device ids, server
					   order, 0 = the phone */
	size_t		 ndev;		/* used in dev */
	char		 lid[WA_USYNC_JID_MAX]; /* the user's LID
					   ("...@lid", non-AD) from the
					   <lid val> protocol, "" unknown */
};

/* One device's pre-key bundle (or its error) from an encrypt result. */
struct	wa_bundle {
	char		 jid[WA_USYNC_JID_MAX]; /* the device JID */
	int		 error;		/* <error code>, 0: a bundle */
	uint32_t	 regid;		/* <registration>, 4 bytes BE */
	uint8_t		 identity[WA_KEY_LEN]; /* raw X25519 */
	uint32_t	 spk_id;	/* <skey><id>, 3 bytes BE */
	uint8_t		 spk[WA_KEY_LEN];
	uint8_t		 spk_sig[WA_SIG_LEN];
	int		 has_prekey;	/* a one-time <key> was given */
	uint32_t	 prekey_id;	/* <key><id> */
	uint8_t		 prekey[WA_KEY_LEN];
};

/* What an <ack class="message"> says.  Pointers borrow from the node. */
struct	wa_ack_info {
	const char	*id;		/* the message id */
	const char	*from;		/* the chat, or NULL */
	const char	*phash;		/* the server's participant hash,
					   present when ours differed */
	int		 error;		/* <ack error>, 0: accepted */
	time_t		 t;		/* <ack t>, 0 when absent */
};

/*
 * The <usync> node of a device-list query for "n" user JIDs (non-AD;
 * "users" borrowed), whatsmeow user.go usync(mode "query", context
 * "message", <query><devices version="2"/></query>, <list><user jid/>)
 * with "sid" as the session id, plus the <lid/> protocol Baileys asks
 * for with it (messages-send.ts getUSyncDevices: withDeviceProtocol()
 * .withLIDProtocol()), so the LID sessions client_msg.c decrypts with
 * are the ones we encrypt with.  The caller owns the result and puts it
 * in an <iq xmlns="usync" type="get">.
 */
struct wa_node	*wa_usync_devices_query(const char *const *users, size_t n,
		    const char *sid);

/*
 * Parse a usync result IQ "iq" into up to "max" users (out, *n used).
 * A user without a JID, with a non-canonical one or without a
 * <devices><device-list> is skipped (whatsmeow parseDeviceList returns
 * nothing for it); device ids that are not integers 0..65535, and
 * hosted devices (is_hosted, which we do not address), are skipped.
 * Returns 0, or -1 (not logged: peer data) when the IQ is not a result
 * with <usync><list>.
 */
int		 wa_usync_parse(const struct wa_node *iq,
		    struct wa_usync_user *out, size_t max, size_t *n);

/*
 * The <key> node of a pre-key fetch for "n" device JIDs (borrowed),
 * each <user jid reason="identity"/> (whatsmeow prekeys.go
 * fetchPreKeys); the caller owns it and puts it in an
 * <iq xmlns="encrypt" type="get">.
 */
struct wa_node	*wa_prekeys_query(const char *const *jids, size_t n);

/*
 * Parse an encrypt result IQ into up to "max" bundles (*n used): each
 * <list><user jid> either a bundle (keys directly inside <user> or
 * inside <keys>, as nodeToPreKeyBundle accepts) or error != 0 for an
 * <error code> or a malformed bundle (wrong sizes, missing parts: -2
 * when there was no code).  A <user> without a canonical jid is
 * skipped.  Returns 0, or -1 when the IQ is not a result with <list>.
 */
int		 wa_prekeys_parse(const struct wa_node *iq,
		    struct wa_bundle *out, size_t max, size_t *n);

/*
 * Parse an <ack class="message" id ...> into *a.  Returns 0, or -1
 * when it is not an ack of a message or has no id.  An error attribute
 * that is not a number counts as error 500 (a refusal we cannot read
 * is still a refusal).
 */
int		 wa_ack_parse(const struct wa_node *n, struct wa_ack_info *a);

/*
 * The participant list hash of "n" device JIDs (whatsmeow send.go
 * participantListHashV2): "2:" and the unpadded standard base64 of the
 * first 6 bytes of SHA-256 over the sorted "user.agent:device@server"
 * strings concatenated.  A JID that does not parse is hashed as given.
 */
void		 wa_phash(const char *const *jids, size_t n,
		    char out[WA_PHASH_LEN]);

/* A retry receipt for one of our messages (whatsmeow retry.go
 * handleRetryReceipt).  Pointers borrow from the node. */
struct	wa_retry {
	const char	*id;		/* <retry id>: our message id */
	const char	*t;		/* <retry t>, or NULL */
	const char	*from;		/* the receipt's from (a device, or
					   the group) */
	const char	*participant;	/* group: the device; else NULL */
	const char	*recipient;	/* or NULL */
	const char	*device;	/* the device that asks: participant
					   or from */
	int		 count;		/* <retry count>, 1.. */
	int		 has_bundle;	/* <registration> and <keys> given
					   and well-formed: b holds them */
	struct wa_bundle b;		/* the device's keys */
};

/*
 * Parse <receipt type="retry"> into *r: <retry id count [t]>, and the
 * pre-key bundle of <registration> and <keys> when present (as
 * nodeToPreKeyBundle reads it from the receipt node).  Returns 0, or -1
 * when it is not a retry receipt with an id, a count 1..99 and a
 * device JID.
 */
int		 wa_retry_parse(const struct wa_node *n, struct wa_retry *r);

/*
 * Group metadata for sending: the <query request="interactive"/> node of
 * an <iq xmlns="w:g2" type="get" to=group> (whatsmeow group.go
 * getGroupInfo), and its result's participants.  wa_group_parse fills
 * up to "max" participant user JIDs (out[i], WA_USYNC_JID_MAX each) and
 * *n, as the group addresses them: LIDs in a group with
 * addressing_mode="lid", else phone-number JIDs (a participant's
 * phone_number preferred); returns 0, or -1 when the IQ is not a
 * result with <group>.
 */
struct wa_node	*wa_group_query(void);
int		 wa_group_parse(const struct wa_node *iq,
		    char (*out)[WA_USYNC_JID_MAX], size_t max, size_t *n);

#endif /* !WADESK_WA_USYNC_H */
