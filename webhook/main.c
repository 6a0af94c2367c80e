/*
 * wadesk-webhookd: delivers the webhook outbox (sql/010) with signed
 * HTTP POSTs; why it is a process of its own is in hook.h.  The loop:
 * claim a batch of due chain heads in a transaction (FOR UPDATE SKIP
 * LOCKED), POST them all, record each outcome, commit; then wait on
 * the database socket for NOTIFY wadesk_webhooks or until the next
 * retry is due.  The claim's row locks are the only lease: killed
 * mid-batch (kill -9, or the database restarting), the transaction
 * rolls back and the same deliveries are sent again by the next run,
 * so delivery is at least once and a receiver de-duplicates on
 * X-Wadesk-Event-Id.  SIGTERM and SIGINT end the loop after the batch
 * in flight.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "hook.h"
#include "log.h"
#include "xalloc.h"

#define	WAIT_MIN_MS	20	/* shortest sleep when nothing was claimed */
#define	WAIT_MAX_MS	60000	/* longest sleep without a wake-up */
#define	RETRY_DB_MS	1000	/* between attempts to reach the database */
#define	PURGE_EVERY_MS	60000	/* housekeeping at most this often... */
#define	PURGE_ROUNDS	10	/* ...deleting at most this many batches */
#define	STR(x)		#x
#define	XSTR(x)		STR(x)

struct	sender {
	struct conf		 conf;
	struct hook_policy	 pol;
	struct db		*db;
	int64_t			 purged_at;	/* monotonic ms of the last purge */
	unsigned char		 sk[crypto_box_SECRETKEYBYTES];
	unsigned char		 pk[crypto_box_PUBLICKEYBYTES];
};

static volatile sig_atomic_t	 quit;

static void
on_signal(int sig)
{

	quit = 1;
}

static void
sleep_ms(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* Publish our public key and LISTEN.  0, or -1 (logged). */
static int
db_setup(struct sender *s)
{
	char	 hex[2 + 2 * crypto_box_PUBLICKEYBYTES + 1];
	const char *p[1];

	memcpy(hex, "\\x", 2);
	sodium_bin2hex(hex + 2, sizeof(hex) - 2, s->pk, sizeof(s->pk));
	p[0] = hex;
	if (db_exec_cmd(s->db, HS_KEY_PUT, p) == -1 ||
	    db_listen(s->db, "wadesk_webhooks") == -1)
		return -1;
	return 0;
}

/* (Re)connect until it works or we are told to stop.  0 or -1 (quit). */
static int
db_reach(struct sender *s)
{

	while (!quit) {
		if (s->db == NULL)
			s->db = db_open(s->conf.database_url, hook_stmts,
			    HS__MAX);
		else if (db_ensure(s->db) == -1) {
			sleep_ms(RETRY_DB_MS);
			continue;
		}
		if (s->db != NULL && db_setup(s) == 0) {
			log_info("database: connected; delivering");
			return 0;
		}
		sleep_ms(RETRY_DB_MS);
	}
	return -1;
}

/*
 * Fill request "r" from claim row "row" of "res": open the secret,
 * build the body and sign it.  On failure r->skip is set with the
 * sentence.  "*body" receives the allocated body (or NULL).
 */
static void
req_fill(struct sender *s, PGresult *res, int row, struct hook_req *r,
    char **body)
{
	unsigned char	*sealed;
	char		 secret[HOOK_SECRET_MAX];
	size_t		 slen;
	int64_t		 acc = 0;
	int		 ok;

	memset(r, 0, sizeof(*r));
	r->delivery = PQgetvalue(res, row, 0);
	r->url = PQgetvalue(res, row, 3);
	r->event_id = PQgetvalue(res, row, 5);
	r->kind = PQgetvalue(res, row, 6);
	(void)db_get_int64(res, row, 8, &acc);
	*body = hook_body(r->event_id, r->kind, PQgetvalue(res, row, 7), acc,
	    PQgetvalue(res, row, 9));
	if (*body == NULL) {
		r->skip = 1;
		snprintf(r->err, HOOK_ERR_MAX, "The event's payload is not a "
		    "JSON object; nothing was sent.");
		return;
	}
	r->body = *body;
	sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row,
	    4), &slen);
	ok = sealed != NULL && hook_secret_open(s->sk, s->pk, sealed, slen,
	    secret) == 0;
	PQfreemem(sealed);
	if (!ok) {
		r->skip = 1;
		snprintf(r->err, HOOK_ERR_MAX, "The endpoint's secret cannot "
		    "be opened with this sender's key (the key file changed "
		    "since it was made): delete the endpoint and add it "
		    "again.");
		return;
	}
	ok = hook_sign(secret, (int64_t)time(NULL), r->body, strlen(r->body),
	    r->sig) == 0;
	sodium_memzero(secret, sizeof(secret));
	if (!ok) {
		r->skip = 1;
		snprintf(r->err, HOOK_ERR_MAX, "The delivery could not be "
		    "signed; nothing was sent.");
	}
}

/* Record the outcome of "r" (claim row "row").  0 or -1 (logged). */
static int
record(struct sender *s, PGresult *res, int row, const struct hook_req *r)
{
	const char	*p[6];
	char		 st[16], lat[16], delay[24];
	int64_t		 age = 0, d = 0;
	int		 attempts = 0, ok;

	(void)db_get_int(res, row, 1, &attempts);
	(void)db_get_int64(res, row, 2, &age);
	attempts++;
	ok = !r->skip && r->status >= 200 && r->status <= 299;
	snprintf(st, sizeof(st), "%ld", r->status);
	snprintf(lat, sizeof(lat), "%d", r->latency_ms);
	p[0] = r->delivery;
	p[1] = r->status > 0 ? st : NULL;
	p[2] = lat;
	p[3] = ok ? NULL : r->err;
	if (ok)
		p[4] = "delivered";
	else if (hook_next(attempts, age + r->latency_ms, &s->pol,
	    randombytes_random(), &d))
		p[4] = "pending";
	else
		p[4] = "dead";
	snprintf(delay, sizeof(delay), "%" PRId64, d);
	p[5] = delay;
	if (!ok)
		log_info("delivery %s (%s, event %s) attempt %d: %s%s",
		    r->delivery, r->kind, r->event_id, attempts, r->err,
		    strcmp(p[4], "dead") == 0 ? " Dead-lettered: the retry "
		    "window is over." : "");
	return db_exec_cmd(s->db, HS_RECORD, p);
}

/*
 * One batch in one transaction.  Returns the number of deliveries
 * claimed (0: none due), or -1 on a database failure (rolled back:
 * they stay pending and are sent again).
 */
static int
batch(struct sender *s)
{
	struct hook_req	 v[HOOK_BATCH];
	char		*bodies[HOOK_BATCH];
	PGresult	*res;
	const char	*p[1] = { XSTR(HOOK_BATCH) };
	int		 i, n, rc = 0;

	if (db_tx_begin(s->db) == -1)
		return -1;
	if ((res = db_exec(s->db, HS_CLAIM, p)) == NULL) {
		db_tx_rollback(s->db);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		req_fill(s, res, i, &v[i], &bodies[i]);
	if (n > 0)
		hook_send_all(v, (size_t)n, s->conf.webhook_timeout_ms);
	for (i = 0; i < n && rc == 0; i++)
		rc = record(s, res, i, &v[i]);
	for (i = 0; i < n; i++)
		free(bodies[i]);
	PQclear(res);
	if (rc == -1) {
		db_tx_rollback(s->db);
		return -1;
	}
	if (db_tx_commit(s->db) == -1)
		return -1;
	return n;
}

/* Milliseconds to wait for the next due delivery; -1 on failure. */
static int
next_wait(struct sender *s)
{
	PGresult	*res;
	int64_t		 ms = WAIT_MAX_MS;

	if ((res = db_exec(s->db, HS_NEXT_DUE, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		(void)db_get_int64(res, 0, 0, &ms);
	PQclear(res);
	if (ms < WAIT_MIN_MS)
		ms = WAIT_MIN_MS;
	if (ms > WAIT_MAX_MS)
		ms = WAIT_MAX_MS;
	return (int)ms;
}

/* Free the notifications libpq collected while we were busy. */
static void
notifies_drop(struct sender *s)
{
	PGnotify	*nt;

	while ((nt = PQnotifies(db_conn(s->db))) != NULL)
		PQfreemem(nt);
}

/* Wait up to "ms" for a notification.  0, or -1 if the link broke. */
static int
wait_notify(struct sender *s, int ms)
{
	PGconn		*c = db_conn(s->db);
	struct pollfd	 pfd;

	pfd.fd = PQsocket(c);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return -1;
	if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
		return -1;
	if (PQconsumeInput(c) == 0)
		return -1;
	notifies_drop(s);
	return 0;
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run purge statement "stmt" in rounds of HOOK_PURGE_BATCH rows, at
 * most PURGE_ROUNDS of them.  Returns the rows deleted, or -1. */
static int64_t
purge_rounds(struct sender *s, enum hook_stmt stmt, const char *ret)
{
	PGresult	*res;
	const char	*p[2] = { ret, XSTR(HOOK_PURGE_BATCH) };
	int64_t		 total = 0, n;
	int		 i;

	for (i = 0; i < PURGE_ROUNDS && !quit; i++) {
		if ((res = db_exec(s->db, stmt, p)) == NULL)
			return -1;
		n = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		total += n;
		if (n < HOOK_PURGE_BATCH)
			break;
	}
	return total;
}

/* How often purge() runs: PURGE_EVERY_MS, or half the retention when
 * that is shorter, but not more often than once a second. */
static int64_t
purge_every_ms(const struct sender *s)
{
	int64_t	 every = (int64_t)s->conf.webhook_retention_s * 500;

	if (every > PURGE_EVERY_MS)
		every = PURGE_EVERY_MS;
	return every < 1000 ? 1000 : every;
}

/* Milliseconds until purge() is due, to cap an idle wait ("ms"). */
static int
purge_cap(const struct sender *s, int ms)
{
	int64_t	 due;

	if (s->conf.webhook_retention_s == 0)
		return ms;
	due = s->purged_at + purge_every_ms(s) - mono_ms();
	if (due < WAIT_MIN_MS)
		due = WAIT_MIN_MS;
	return due < ms ? (int)due : ms;
}

/*
 * Housekeeping: delete what was delivered or dead more than
 * WADESK_WEBHOOK_RETENTION_S ago (with its attempts), then the outbox
 * rows nothing refers to any more; pending deliveries are never
 * touched.  At most every PURGE_EVERY_MS (or half the retention, when
 * that is shorter, with a floor of a second); 0 keeps everything.
 * Each statement is its own transaction, in batches, so deliveries
 * are never held up for long.  A failure is logged and retried at the
 * next round: nothing depends on it.
 */
static void
purge(struct sender *s)
{
	char		 ret[16];
	int64_t		 now = mono_ms(), every, nd, ne;

	if (s->conf.webhook_retention_s == 0)
		return;
	every = purge_every_ms(s);
	if (s->purged_at != 0 && now - s->purged_at < every)
		return;
	s->purged_at = now;
	snprintf(ret, sizeof(ret), "%d", s->conf.webhook_retention_s);
	if ((nd = purge_rounds(s, HS_PURGE_DELIVERIES, ret)) == -1 ||
	    (ne = purge_rounds(s, HS_PURGE_EVENTS, ret)) == -1) {
		log_warnx("housekeeping: old deliveries could not be purged "
		    "(%s); trying again in %" PRId64 " s", db_sqlstate(s->db),
		    every / 1000);
		return;
	}
	if (nd > 0 || ne > 0)
		log_info("housekeeping: purged %" PRId64 " deliveries and %"
		    PRId64 " events done more than %d s ago", nd, ne,
		    s->conf.webhook_retention_s);
}

static void
run(struct sender *s)
{
	int	 n, ms;

	while (!quit) {
		purge(s);
		if ((n = batch(s)) > 0) {
			/* Busy: the table is the truth, wake-ups are moot. */
			notifies_drop(s);
			continue;
		}
		if (n == 0 && (ms = next_wait(s)) >= 0 &&
		    wait_notify(s, purge_cap(s, ms)) == 0)
			continue;
		if (quit)
			break;
		log_warnx("database: lost; deliveries wait until it is back");
		if (db_reach(s) == -1)
			break;
	}
}

int
main(int argc, char *argv[])
{
	struct sender	 s;
	struct sigaction sa;

	memset(&s, 0, sizeof(s));
	log_init("wadesk-webhookd", LOG_LEVEL_INFO);
	if (argc != 1) {
		fprintf(stderr, "usage: wadesk-webhookd (settings: WADESK_* "
		    "environment, README.md)\n");
		return 2;
	}
	if (conf_load(&s.conf) == -1)
		fatalx("bad configuration (see above)");
	log_init("wadesk-webhookd", s.conf.log_level);
	if (sodium_init() < 0)
		fatalx("libsodium did not initialise");
	if (hook_key_load(s.conf.webhook_key_file, s.sk, s.pk) == -1)
		fatalx("cannot start without the webhook key (see above)");
	if (hook_send_init() == -1)
		fatalx("cannot start without libcurl (see above)");
	s.pol.base_ms = s.conf.webhook_base_ms;
	s.pol.max_ms = s.conf.webhook_max_ms;
	s.pol.window_ms = (int64_t)s.conf.webhook_window_s * 1000;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("starting (retries from %d ms, doubling to %d ms, for %d s; "
	    "done deliveries kept %d s%s)", s.conf.webhook_base_ms,
	    s.conf.webhook_max_ms, s.conf.webhook_window_s,
	    s.conf.webhook_retention_s, s.conf.webhook_retention_s == 0 ?
	    ", that is for ever" : "");
	if (db_reach(&s) == 0)
		run(&s);
	db_close(s.db);
	sodium_memzero(s.sk, sizeof(s.sk));
	conf_free(&s.conf);
	hook_send_fini();
	log_info("stopped");
	return 0;
}
