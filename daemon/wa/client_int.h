/*
 * client_int.h: what the parts of the protocol client share, and
 * nothing else includes.  The client is one state machine split by
 * stanza family behind daemon/wa/wa.h:
 *
 *	client.c	state, lifecycle, the connection and the handshake,
 *			node helpers, the end of an attempt
 *	client_pair.c	QR pairing, pair-success and the pairing code
 *	client_login.c	<success>, pre-keys, <failure>, stream errors
 *	client_iq.c	dispatch of server nodes: IQs, acks
 *	client_ka.c	keepalive and logout
 *	client_msg.c	<message>: Signal decryption, receipts, retries
 *	client_groups.c	the participating-groups query, w:gp2
 *
 * Functions named cl_* are used by more than one part (and by the
 * in-process tests in tests/wa); everything else stays static in its
 * part.  Same threading and callback rules as wa.h.
 */
#ifndef WADESK_WA_CLIENT_INT_H
#define WADESK_WA_CLIENT_INT_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "binary.h"
#include "buf.h"
#include "conn.h"
#include "crypto.h"
#include "frame.h"
#include "keys.h"
#include "log.h"
#include "noise.h"
#include "pair.h"
#include "payload.h"
#include "wa.h"
#include "waversion.h"
#include "xalloc.h"

#define	SERVER_JID		"@s.whatsapp.net"	/* spec 5.6 */
#define	CAUSE_LEN		160	/* wa_client_end_cause() */
#define	QR_REFS_MAX		16	/* refs kept from one pair-device */
#define	IQ_ID_LEN		32	/* "<r0>.<r1>-<counter>" */
#define	PHONE_MAX		20	/* digits of a phone number */
#define	BUF_KEEP		4096	/* out/scratch kept between frames */
/* whatsmeow prekeys.go: MinPreKeyCount, the initial 812 (only when
 * both our store and the server have none), WantedPreKeyCount. */
#define	PREKEY_MIN		5	/* upload below this many (8.8) */
#define	PREKEY_INITIAL		812	/* both stores empty */
#define	PREKEY_BATCH		50	/* upload otherwise */
#define	PREKEY_ID_MAX		0xffffffu /* ids are 3 bytes */
#define	RETRY_SLOTS		8	/* message ids with a retry count */
#define	RETRY_MAX		5	/* whatsmeow retry.go: stop at 5 */
#define	PREKEY_RACE_US		(600LL * LWS_US_PER_SEC) /* 10 min:
					   recount before uploading again */

/* What the current connection attempt is for. */
enum	mode {
	MODE_NONE,			/* idle */
	MODE_PAIR,			/* registration: QR and/or code */
	MODE_LOGIN			/* login with paired credentials */
};

/* Where the pre-key exchange is (spec 8.8, whatsmeow prekeys.go). */
enum	pk_phase {
	PK_NONE,			/* nothing asked */
	PK_LOGIN_COUNT,			/* count after <success> */
	PK_LOGIN_UPLOAD,		/* upload after <success> */
	PK_TOPUP_COUNT,			/* recount before a quick second upload */
	PK_TOPUP_UPLOAD			/* upload after a count notification */
};

/* Where the pairing-code exchange is (spec 7). */
enum	code_state {
	CODE_NONE,			/* not requested or not yet sent */
	CODE_HELLO_SENT,		/* companion_hello sent, no ref */
	CODE_WAITING,			/* code shown, waiting for phone */
	CODE_FINISH_SENT		/* companion_finish sent */
};

struct	wa_client {
	/* Configuration (copied from struct wa_config). */
	struct lws_context	*lws;		/* borrowed */
	char			*url;
	char			*proxy;		/* NULL: direct; wiped on free */
	char			*origin;
	char			*version;	/* "2.3000.N" */
	char			*version_source; /* "built-in", ... */
	int			 presence_available; /* see wa_config */
	char			*device_name;	/* DeviceProps.os */
	char			*platform_display; /* "Chrome (Linux)" */
	char			 platform_id[4]; /* from the display */
	uint8_t			 root[WA_ROOT_KEY_LEN]; /* pinned root */
	unsigned int		 ka_min_ms, ka_max_ms; /* ping interval */
	unsigned int		 ka_timeout_ms;	/* per ping */
	unsigned int		 ka_dead_ms;	/* no pong this long: dead */
	unsigned int		 hs_timeout_ms;	/* to the first node */
	unsigned int		 send_timeout_ms; /* a send to its ack */
	unsigned int		 qr_first_ms, qr_next_ms;
	int			 insecure;	/* accept any TLS cert */
	void			*user;
	const struct wa_callbacks *cb;
	const struct wa_store	*store;		/* Signal state, borrowed */
	struct {
		char		 id[40];	/* message id, "" free */
		int		 count;		/* retry receipts sent */
	}			 retries[RETRY_SLOTS]; /* whatsmeow
						   messageRetries */
	unsigned int		 retry_next;	/* ring position */

	/* The attempt. */
	enum wa_state		 state;
	enum mode		 mode;
	int			 use_code;	/* pairing code requested */
	char			 phone[PHONE_MAX + 1]; /* for the code */
	struct wa_creds		*creds;		/* sodium memory */

	/* The connection. */
	struct wa_conn		*conn;		/* NULL when none */
	struct wa_handshake	 hs;		/* Noise handshake */
	struct wa_noise_transport tr;		/* after the handshake */
	int			 hs_done;	/* ClientFinish sent */
	int			 got_node;	/* a node arrived */
	time_t			 last_frame;	/* unix s of the last frame
						   that decrypted, 0: none */
	struct buf		 scratch;	/* plaintext/ciphertext */
	struct buf		 out;		/* outbound encoding */
	uint8_t			 id_rand[2];	/* IQ id prefix */
	unsigned int		 id_count;	/* IQ id counter */

	/* QR pairing. */
	char			*refs[QR_REFS_MAX]; /* pair-device refs */
	size_t			 ref_len[QR_REFS_MAX];
	size_t			 nrefs;
	size_t			 qr_shown;	/* refs shown so far */
	int			 paired_now;	/* pair-device-sign sent */

	/* Pairing code. */
	enum code_state		 code_state;
	char			 code[WA_PAIRCODE_LEN + 1];
	struct wa_keypair	 code_eph;	/* secret */
	uint8_t			*code_ref;	/* link_code_pairing_ref */
	size_t			 code_ref_len;
	char			 code_iq[IQ_ID_LEN];

	/* Logged in. */
	char			 active_iq[IQ_ID_LEN];
	char			 ka_iq[IQ_ID_LEN]; /* outstanding ping */
	lws_usec_t		 ka_last_ok;	/* last pong or success */
	char			 prekey_iq[IQ_ID_LEN]; /* count or upload */
	enum pk_phase		 pk_phase;	/* what prekey_iq asked */
	uint32_t		 pk_first;	/* batch in flight: ids */
	uint32_t		 pk_n;		/* ... first..first+n-1 */
	lws_usec_t		 pk_last_upload; /* lws_now_usecs() of the last
						   accepted upload, 0: none */
	long long		 time_offset_ms; /* server - our clock
						   (<success t>) */
	char			 logout_iq[IQ_ID_LEN];
	char			 groups_iq[IQ_ID_LEN]; /* participating
						   query (client_groups.c) */
	int			 logout_wanted;	/* logout after success */
	int			 logout_sent;
	char			*push_name;	/* <success display_name> */
	time_t			 server_time;	/* <success t> */

	/* The end, reported by sul_end. */
	enum wa_reason		 end_reason;
	int			 end_code;
	int			 end_intentional;
	int			 end_logged_out; /* also report logged_out */
	char			 end_cause[CAUSE_LEN]; /* wa_client_end_cause */

	/* Sending (client_send.c). */
	struct wa_send		*sends;		/* pending sends, a list */
	int			 nsends;	/* how many */
	struct wa_devcache	*devcache;	/* device lists, or NULL */
	lws_sorted_usec_list_t	 sul_send;	/* report finished sends */

	int			 depth;		/* nesting of our callbacks */
	int			 free_pending;	/* wa_client_free() deferred */

	lws_sorted_usec_list_t	 sul_open;	/* (re)connect */
	lws_sorted_usec_list_t	 sul_end;	/* report closed */
	lws_sorted_usec_list_t	 sul_hs;	/* handshake timeout */
	lws_sorted_usec_list_t	 sul_qr;	/* QR rotation */
	lws_sorted_usec_list_t	 sul_ka;	/* next ping */
	lws_sorted_usec_list_t	 sul_ka_to;	/* ping answer timeout */
	lws_sorted_usec_list_t	 sul_logout;	/* logout answer timeout */
};

/* client.c */
void	 cl_wlog(struct wa_client *c, enum log_level level, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
void	 cl_enter(struct wa_client *c);
void	 cl_leave(struct wa_client *c);
lws_usec_t	 cl_ms(unsigned int v);
int	 cl_send_free(struct wa_client *c, struct wa_node *n);
struct wa_node	*cl_iq_new(struct wa_client *c, char id[IQ_ID_LEN],
	    const char *type, const char *xmlns);
struct wa_node	*cl_iq_result(const char *id, const char *from);
struct wa_node	*cl_iq_error(const char *id, const char *from, int code,
	    const char *text);
void	 cl_refs_free(struct wa_client *c);
void	 cl_conn_reset(struct wa_client *c);
void	 cl_client_end(struct wa_client *c, enum wa_reason reason, int code,
	    int intentional, int logged_out);
int	 cl_creds_blob(struct wa_client *c, uint8_t *out, size_t *len);
void	 cl_creds_changed(struct wa_client *c);
char	*cl_jid_phone(const char *jid);
void	 cl_conn_start(lws_sorted_usec_list_t *sul);
void	 cl_on_frame(void *arg, const uint8_t *f, size_t len);
int	 cl_attr_int(const struct wa_node *n, const char *key);
int	 cl_attr_is(const struct wa_node *n, const char *key, const char *val);
struct wa_node	*cl_only_child(const struct wa_node *n);
int	 cl_has_bytes(const struct wa_node *n, size_t len);
int	 cl_start_check(struct wa_client *c, const char *fn);
void	 cl_transport_ready(struct wa_client *c);
int	 cl_from_server(const struct wa_node *n);
void	 cl_unified_session_send(struct wa_client *c);

/* client_pair.c */
void	 cl_pair_device(struct wa_client *c, const struct wa_node *iq,
	    const struct wa_node *pd);
void	 cl_pair_success(struct wa_client *c, const struct wa_node *iq,
	    const struct wa_node *ps);
void	 cl_restart_login(struct wa_client *c);
void	 cl_platform_id_set(struct wa_client *c);
void	 cl_code_hello_result(struct wa_client *c, const struct wa_node *iq);
void	 cl_code_primary_hello(struct wa_client *c, const struct wa_node *n);

/* client_login.c */
void	 cl_connected_report(struct wa_client *c);
void	 cl_success(struct wa_client *c, const struct wa_node *n);
void	 cl_failure(struct wa_client *c, const struct wa_node *n);
void	 cl_stream_error(struct wa_client *c, const struct wa_node *n);
void	 cl_prekey_answer(struct wa_client *c, const struct wa_node *n);
void	 cl_prekey_notification(struct wa_client *c, const struct wa_node *n);
void	 cl_ib_handle(struct wa_client *c, const struct wa_node *n);

/* client_iq.c */
void	 cl_node_handle(struct wa_client *c, struct wa_node *n);

/* client_iq.c */
void	 cl_ack_send(struct wa_client *c, const struct wa_node *n, int error);

/* client_msg.c */
void	 cl_message(struct wa_client *c, const struct wa_node *n);

/* client_groups.c */
void	 cl_groups_answer(struct wa_client *c, const struct wa_node *n);
void	 cl_group_notification(struct wa_client *c, const struct wa_node *n);
/* client_send.c */
int	 cl_send_iq_answer(struct wa_client *c, const struct wa_node *n);
void	 cl_send_ack(struct wa_client *c, const struct wa_node *n);
void	 cl_send_notification(struct wa_client *c, const struct wa_node *n);
void	 cl_send_retry(struct wa_client *c, const struct wa_node *n);
void	 cl_send_conn_reset(struct wa_client *c);
void	 cl_send_destroy(struct wa_client *c);

/* client_ka.c */
void	 cl_ka_schedule(struct wa_client *c);
void	 cl_ka_pong(struct wa_client *c);
void	 cl_logout_send(struct wa_client *c);
void	 cl_logout_answer(struct wa_client *c, const struct wa_node *n);

#endif /* !WADESK_WA_CLIENT_INT_H */
