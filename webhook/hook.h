/*
 * wadesk-webhookd: the webhook sender (README.md "Webhooks").  A
 * process of its own rather than a part of wadeskd: it makes outbound
 * HTTP requests to addresses operators type in, with a time limit of
 * seconds each, and needs neither the WhatsApp credentials nor the
 * lws loop; kept apart, a slow or hostile receiver can never stall a
 * WhatsApp session, a crash in libcurl cannot take the sessions down,
 * and the process runs as its own database role (wadesk_webhook) that
 * can read the outbox but not the credentials.  The outbox and the
 * deliveries (sql/010) are the whole state: the process keeps nothing
 * in memory that a kill -9 could lose.
 *
 * Pieces: sign.c (pure: the signature, the retry policy, the body),
 * seal.c (the sender's key pair and opening sealed secrets),
 * send.c (HTTP POSTs with libcurl's multi interface), db_hook.c (the
 * role's statements), main.c (the loop).
 */
#ifndef WADESK_HOOK_H
#define WADESK_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "db.h"

/* "t=" up to 20 digits ",v1=" 64 hex digits, NUL. */
#define	HOOK_SIG_MAX		96
/* A secret as shown to the operator: "whsec_" + base64url(32 bytes). */
#define	HOOK_SECRET_PREFIX	"whsec_"
#define	HOOK_SECRET_RAW		32
#define	HOOK_SECRET_MAX		64	/* bytes, with the NUL */
#define	HOOK_ERR_MAX		256	/* an error sentence, with the NUL */
#define	HOOK_INFLIGHT		128	/* deliveries in flight at most */
/* pg_try_advisory_lock(HOOK_LOCK_CLASS, hash of the chain) is a chain's
 * lease (main.c); the class keeps it apart from other advisory locks. */
#define	HOOK_LOCK_CLASS		2003331889	/* "whk1" */
#define	HOOK_PURGE_BATCH	1000	/* rows one purge statement deletes */

struct	hook_policy {
	int64_t	 base_ms;	/* delay after the first failure */
	int64_t	 max_ms;	/* cap of one delay */
	int64_t	 window_ms;	/* retry for this long after creation */
};

/* One delivery attempt (send.c). */
struct	hook_req {
	const char	*url;		/* borrowed */
	const char	*body;		/* borrowed, NUL-terminated JSON */
	const char	*event_id;	/* borrowed uuid text */
	const char	*kind;		/* borrowed event kind */
	const char	*delivery;	/* borrowed delivery id text */
	char		 sig[HOOK_SIG_MAX];
	int		 skip;		/* 1: not sent; err says why */
	void		*xfer;		/* send.c's, while in flight */
	/* Results. */
	long		 status;	/* HTTP status; 0: no answer */
	int		 latency_ms;
	char		 err[HOOK_ERR_MAX]; /* "" after a 2xx */
};

/* sign.c */
int		 hook_sign(const char *secret, int64_t t, const char *body,
		    size_t len, char out[HOOK_SIG_MAX]);
int64_t		 hook_delay_ms(int attempts, const struct hook_policy *p,
		    uint32_t rnd);
int		 hook_next(int attempts, int64_t age_ms,
		    const struct hook_policy *p, uint32_t rnd,
		    int64_t *delay_ms);
char		*hook_body(const char *event_id, const char *kind,
		    const char *created_at, int64_t account_id,
		    const char *payload);
void		 hook_status_error(long status, char out[HOOK_ERR_MAX]);

/* seal.c */
int		 hook_key_load(const char *path,
		    unsigned char sk[crypto_box_SECRETKEYBYTES],
		    unsigned char pk[crypto_box_PUBLICKEYBYTES]);
int		 hook_secret_open(const unsigned char *sk,
		    const unsigned char *pk, const unsigned char *sealed,
		    size_t len, char out[HOOK_SECRET_MAX]);

/* send.c */
int		 hook_send_init(void);
void		 hook_send_fini(void);
void		 hook_send_start(struct hook_req *r, int timeout_ms);
int		 hook_send_wait(int fd, int timeout_ms, int *fd_ready);
struct hook_req	*hook_send_done(void);
void		 hook_send_cancel(struct hook_req *r);

/* db_hook.c */
enum	hook_stmt {
	HS_KEY_PUT,
	HS_LEASE,
	HS_CLAIM,
	HS_RECORD,
	HS_UNLOCK,
	HS_NEXT_DUE,
	HS_PURGE_DELIVERIES,
	HS_PURGE_EVENTS,
	HS__MAX
};
extern const struct db_stmt	hook_stmts[HS__MAX];

#endif /* !WADESK_HOOK_H */
