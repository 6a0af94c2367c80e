/*
 * The qr.png check's memo.  GET /accounts/{id}/qr.png checks the web
 * session and the account's visibility on every request (DESIGN.md),
 * and it is the hottest route: the page swaps the image whenever
 * status.json reports a new qr_version.  A worker remembers the last
 * positive answers of that check (one row of WS_SESSION_QR per session
 * token and account), so a burst of requests costs one database round
 * trip per worker, and keeps each answer until the database says it
 * changed.
 *
 * Exact, not time-bounded.  Triggers (sql/006_web_memo.sql) send
 * NOTIFY QRMEMO_CHANNEL from every writer (the session daemon,
 * wadeskctl, plain SQL) whenever something an answer depends on
 * changes: payload the account id for accounts.qr_code, qr_version,
 * status, label, operator_id, deleted_at or the row's removal, or
 * QRMEMO_FLUSH ("*") for operators (disabled, role, username) and web
 * sessions (any change but the idle-expiry touch moving forward).
 * Each wadesk.fcgi process keeps one LISTEN connection
 * (qrmemo_listen_start()), which turns each notification into an
 * invalidation: qrmemo_forget() or qrmemo_bump().
 *
 * An answer is used only while all of these hold:
 *  - the LISTEN connection is up and has been since the answer was
 *    read (while it is down every request reads the database; when it
 *    is back everything read before is dropped, as notifications may
 *    have been missed in between);
 *  - no invalidation of its account, and no flush, has arrived since
 *    just before the answer was read.  Each answer carries a stamp
 *    (qrmemo_stamp(), taken before the query) of the process-wide
 *    epoch and its account's counter; every invalidation bumps one of
 *    them, so an answer whose query raced a change is never used after
 *    that change's notification has arrived, even if it is stored
 *    after it;
 *  - the session needs no write yet: the answer ends when the session
 *    expires or its idle-expiry touch falls due (WS_SESSION_QR reports
 *    when), so remembered answers never keep a session from being
 *    touched or serve it past its expiry;
 *  - it is younger than WADESK_QR_CACHE_MS, a safety net only (for a
 *    notification lost without the connection failing); 0 turns the
 *    memo off;
 *  - the request names no other qr_version (?v=N).
 * A change is seen by every request that starts after its
 * notification has reached the LISTEN socket (qrmemo_feed_set()): PostgreSQL sends it when the writing transaction commits,
 * within a millisecond on a quiet machine; on an overloaded one its
 * listening backend has been seen to take tens of milliseconds to
 * run, and a request racing it gets the old answer.  A POST answered
 * by this process also flushes (qrmemo_bump()) before its response is
 * sent, so its own effects are seen by the very next request, whatever
 * the notification's timing.  Negative answers (no session, not
 * visible, no QR) are not kept.
 *
 * Thread safety: a struct qrmemo is not locked; give each worker its
 * own.  The stamps behind it are process-wide atomics, safe from any
 * thread; so are qrmemo_metrics_write() and the listener.
 */
#ifndef WADESK_QRMEMO_H
#define WADESK_QRMEMO_H

#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"

#define	QRMEMO_CHANNEL	"wadesk_web_memo"	/* sql/006_web_memo.sql */
#define	QRMEMO_FLUSH	"*"		/* payload: forget everything */
#define	QRMEMO_SLOTS	16	/* answers one worker remembers */
#define	QRMEMO_HASH	64	/* hex SHA-256 of a session token */
#define	QRMEMO_CSRF	64	/* hex CSRF token */
#define	QRMEMO_BUCKETS	1024	/* per-account counters (id modulo) */
#define	QRMEMO_WORKERS	128	/* memos /metrics lists */

struct	qrmemo_answer {
	int64_t		 operator_id;	/* operators.id of the session */
	char		*username;	/* operators.username, owned */
	int		 is_admin;
	char		 csrf[QRMEMO_CSRF + 1];
	char		*qr_code;	/* accounts.qr_code, owned */
	int64_t		 qr_version;	/* accounts.qr_version */
	char		*label;		/* accounts.label, owned */
};

/* What an answer was read under; see qrmemo_stamp(). */
struct	qrmemo_stamp {
	uint64_t	 epoch;		/* odd: no LISTEN, nothing is kept */
	uint64_t	 account;	/* the account's bucket counter */
};

struct	qrmemo_slot {
	int		 used;
	char		 token_hash[QRMEMO_HASH + 1];
	int64_t		 account_id;
	struct qrmemo_stamp stamp;	/* taken before it was read */
	double		 until_ms;	/* mono_ms() it may be used until */
	struct qrmemo_answer a;
};

struct	qrmemo {
	struct qrmemo_slot slots[QRMEMO_SLOTS];
	unsigned int	 next;		/* slot the next put replaces */
	int		 worker;	/* index in /metrics, -1: none */
	_Atomic unsigned long hits;	/* written by the owner only */
	_Atomic unsigned long misses;
};

struct	qrmemo_listener;

void	qrmemo_init(struct qrmemo *m);
void	qrmemo_free(struct qrmemo *m);
const struct qrmemo_answer *qrmemo_get(struct qrmemo *m,
	    const char *token_hash, int64_t account_id, int64_t want_version,
	    double now_ms);
void	qrmemo_put(struct qrmemo *m, const char *token_hash,
	    int64_t account_id, struct qrmemo_stamp stamp, double until_ms,
	    const struct qrmemo_answer *a);

struct qrmemo_stamp qrmemo_stamp(int64_t account_id);
void	qrmemo_bump(void);
void	qrmemo_forget(int64_t account_id);
int	qrmemo_notified(const char *payload);
void	qrmemo_set_live(int live);
int	qrmemo_live(void);
void	qrmemo_feed_set(int fd, int reading);

struct qrmemo_listener *qrmemo_listen_start(const char *conninfo);
void	qrmemo_listen_stop(struct qrmemo_listener *l);

void	qrmemo_metrics_write(struct buf *out);

#endif /* !WADESK_QRMEMO_H */
