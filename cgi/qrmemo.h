/*
 * The qr.png check's memo.  GET /accounts/{id}/qr.png checks the web
 * session and the account's visibility on every request (DESIGN.md),
 * and it is the hottest route: the page swaps the image whenever
 * status.json reports a new qr_version.  A worker remembers the last
 * positive answers of that check (one row of WS_SESSION_QR per session
 * token and account) for WADESK_QR_CACHE_MS, so a burst of requests
 * costs one database round trip per worker and lifetime.
 *
 * An answer is used only while all of these hold:
 *  - it is younger than the lifetime (1 s by default), so a change
 *    made elsewhere (wadeskctl, the session daemon, session expiry)
 *    is seen at most that late;
 *  - no request that changes state (any POST: sign-out, disabling an
 *    operator, pair, cancel, delete, ...) has finished in this process
 *    since the answer was read: qrmemo_bump() is called after each,
 *    and an answer read before it is never used after it;
 *  - the request names no other qr_version (?v=N, as the page does),
 *    so a new QR is never answered with the old image.
 * Negative answers (no session, not visible, no QR) are not kept.
 *
 * Thread safety: a struct qrmemo is not locked; give each worker its
 * own.  The generation behind qrmemo_bump() is a process-wide atomic.
 */
#ifndef WADESK_QRMEMO_H
#define WADESK_QRMEMO_H

#include <stdint.h>

#define	QRMEMO_SLOTS	16	/* answers one worker remembers */
#define	QRMEMO_HASH	64	/* hex SHA-256 of a session token */
#define	QRMEMO_CSRF	64	/* hex CSRF token */

struct	qrmemo_answer {
	int64_t		 operator_id;	/* operators.id of the session */
	char		*username;	/* operators.username, owned */
	int		 is_admin;
	char		 csrf[QRMEMO_CSRF + 1];
	char		*qr_code;	/* accounts.qr_code, owned */
	int64_t		 qr_version;	/* accounts.qr_version */
	char		*label;		/* accounts.label, owned */
};

struct	qrmemo_slot {
	int		 used;
	char		 token_hash[QRMEMO_HASH + 1];
	int64_t		 account_id;
	uint64_t	 gen;		/* qrmemo_gen() before it was read */
	double		 at_ms;		/* mono_ms() when it was read */
	struct qrmemo_answer a;
};

struct	qrmemo {
	struct qrmemo_slot slots[QRMEMO_SLOTS];
	unsigned int	 next;		/* slot the next put replaces */
	unsigned long	 hits;
	unsigned long	 misses;
};

void	qrmemo_init(struct qrmemo *m);
void	qrmemo_free(struct qrmemo *m);
uint64_t qrmemo_gen(void);
void	qrmemo_bump(void);
const struct qrmemo_answer *qrmemo_get(struct qrmemo *m,
	    const char *token_hash, int64_t account_id, int64_t want_version,
	    double now_ms, int ttl_ms);
void	qrmemo_put(struct qrmemo *m, const char *token_hash,
	    int64_t account_id, uint64_t gen, double at_ms,
	    const struct qrmemo_answer *a);

#endif /* !WADESK_QRMEMO_H */
