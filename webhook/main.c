/*
 * wadesk-webhookd: delivers the webhook outbox (sql/010) with signed
 * HTTP POSTs; why it is a process of its own is in hook.h.  The loop
 * (run()) is a pipeline: lease the chains whose heads are due (a
 * session advisory lock per chain, HS_LEASE), POST their heads, and as
 * each request ends record its outcome (one statement, its own
 * transaction, for all that ended meanwhile), then let go of the chain
 * so that its next delivery can be leased; wait on libcurl and the
 * database socket (NOTIFY wadesk_webhooks) or until the next retry is
 * due.  The leases end with the connection: killed mid-request (kill
 * -9, or the database restarting), a delivery is still pending and is
 * sent again, by the next run or another sender, so delivery is at
 * least once and a receiver de-duplicates on X-Wadesk-Event-Id.
 * SIGTERM and SIGINT stop the claims; the loop ends when the requests
 * in flight are recorded.
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

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "hook.h"
#include "log.h"
#include "xalloc.h"

#define	WAIT_MIN_MS	20	/* shortest sleep when nothing was claimed */
#define	WAIT_MAX_MS	60000	/* longest sleep without a wake-up */
#define	RETRY_DB_MS	1000	/* between attempts to reach the database */
#define	PURGE_EVERY_MS	60000	/* housekeeping at most this often... */
#define	PURGE_ROUNDS	10	/* ...deleting at most this many batches */
#define	LOST_PAUSE_MS	200	/* after losing the database link */
#define	BUSY_LOOK_MS	100	/* for due retries, with requests in flight */
#define	STR(x)		#x
#define	XSTR(x)		STR(x)

struct	job;

struct	sender {
	struct conf		 conf;
	struct hook_policy	 pol;
	struct db		*db;		/* NULL: to be reached again */
	struct job		*jobs;		/* in flight or done, unrecorded */
	int			 njobs;
	int			 ndone;		/* of them, done */
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

/* lib/clock.c's monotonic ms, signed: due times are compared by
 * subtraction. */
static int64_t
now_ms(void)
{

	return (int64_t)mono_ms64();
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
/*
 * One delivery in flight: the request and copies of what it points to
 * (the claim's result is gone by the time it ends).  On the sender's
 * list from its claim until its outcome is recorded (or it is dropped
 * with the database link).
 */
struct	job {
	struct hook_req	 r;
	char		*body;
	char		*url, *event_id, *kind, *delivery;
	char		 lk[16];	/* its chain's lock key (HS_LEASE) */
	int		 attempts;	/* before this one */
	int64_t		 age_ms;	/* of the delivery, at the claim */
	int		 done;		/* its transfer ended: r has results */
	struct job	*next;
};

static void
job_free(struct job *j)
{

	if (j == NULL)
		return;
	hook_send_cancel(&j->r);
	free(j->body);
	free(j->url);
	free(j->event_id);
	free(j->kind);
	free(j->delivery);
	free(j);
}

/*
 * Fill job "j" from claim row "row" of "res": copy what the request
 * needs, open the secret, build the body and sign it.  On failure
 * j->r.skip is set with the sentence.
 */
static void
job_fill(struct sender *s, PGresult *res, int row, struct job *j)
{
	struct hook_req	*r = &j->r;
	unsigned char	*sealed;
	char		 secret[HOOK_SECRET_MAX];
	size_t		 slen;
	int64_t		 acc = 0;
	int		 ok;

	(void)db_get_int(res, row, 1, &j->attempts);
	(void)db_get_int64(res, row, 2, &j->age_ms);
	r->delivery = j->delivery = xstrdup(PQgetvalue(res, row, 0));
	r->url = j->url = xstrdup(PQgetvalue(res, row, 3));
	r->event_id = j->event_id = xstrdup(PQgetvalue(res, row, 5));
	r->kind = j->kind = xstrdup(PQgetvalue(res, row, 6));
	(void)db_get_int64(res, row, 8, &acc);
	j->body = hook_body(r->event_id, r->kind, PQgetvalue(res, row, 7), acc,
	    PQgetvalue(res, row, 9));
	if (j->body == NULL) {
		r->skip = 1;
		snprintf(r->err, HOOK_ERR_MAX, "The event's payload is not a "
		    "JSON object; nothing was sent.");
		return;
	}
	r->body = j->body;
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

/* Append "str" to array literal "b" as an element: NULL, or quoted
 * with '"' and '\' escaped (PostgreSQL's array input syntax, section
 * 8.15.6 of its manual).  "first": no comma before it. */
static void
arr_put(struct buf *b, const char *str, int first)
{

	if (!first)
		buf_putc(b, ',');
	if (str == NULL) {
		buf_puts(b, "NULL");
		return;
	}
	buf_putc(b, '"');
	for (; *str != '\0'; str++) {
		if (*str == '"' || *str == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *str);
	}
	buf_putc(b, '"');
}

/* "b" := the array literal of the delivery ids of our jobs, in flight
 * or done but not yet recorded: their chains are leased by us, and a
 * lease of ours would be granted to us again (advisory locks nest). */
static void
inflight_ids(const struct sender *s, struct buf *b)
{
	const struct job	*j;
	int			 first = 1;

	buf_reset(b);
	buf_putc(b, '{');
	for (j = s->jobs; j != NULL; j = j->next) {
		arr_put(b, j->delivery, first);
		first = 0;
	}
	buf_putc(b, '}');
}

/* Let go of the leases of array literal "keys" ("n" of them).  0 or -1
 * (logged). */
static int
unlock_keys(struct sender *s, const char *keys, int n)
{
	PGresult	*res;
	const char	*p[1] = { keys };
	int64_t		 held = 0;

	if ((res = db_exec(s->db, HS_UNLOCK, p)) == NULL)
		return -1;
	(void)db_get_int64(res, 0, 0, &held);
	PQclear(res);
	if (held != n)
		log_warnx("%d of %d chain leases were not held (a bug: please "
		    "report it); their deliveries are safe, sent again if "
		    "needed", n - (int)held, n);
	return 0;
}

/*
 * Lease up to "room" chains whose heads are due and start their
 * requests (HS_LEASE, then HS_CLAIM in a fresh snapshot; the leases of
 * heads that are no longer due are let go at once).  Returns the number
 * of chains leased (started or let go: "room" means there may be more
 * due), or -1 on a database failure.
 */
static int
claim(struct sender *s, int room)
{
	PGresult	*lease, *res;
	struct buf	 ids, gone;
	struct job	*j;
	const char	*p[2];
	char		 rs[16];
	int		 i, k, n, m, ngone = 0, rc = -1;

	buf_init(&ids);
	buf_init(&gone);
	inflight_ids(s, &ids);
	snprintf(rs, sizeof(rs), "%d", room);
	p[0] = rs;
	p[1] = buf_str(&ids);
	if ((lease = db_exec(s->db, HS_LEASE, p)) == NULL)
		goto out;
	n = PQntuples(lease);
	if (n == 0) {
		PQclear(lease);
		rc = 0;
		goto out;
	}
	buf_reset(&ids);
	buf_putc(&ids, '{');
	for (i = 0; i < n; i++)
		arr_put(&ids, PQgetvalue(lease, i, 0), i == 0);
	buf_putc(&ids, '}');
	p[0] = buf_str(&ids);
	if ((res = db_exec(s->db, HS_CLAIM, p)) == NULL) {
		PQclear(lease);
		goto out;
	}
	m = PQntuples(res);
	/* Both are in id order: walk them together. */
	buf_putc(&gone, '{');
	for (i = 0, k = 0; i < n; i++) {
		if (k < m && strcmp(PQgetvalue(res, k, 0),
		    PQgetvalue(lease, i, 0)) == 0) {
			j = xcalloc(1, sizeof(*j));
			snprintf(j->lk, sizeof(j->lk), "%s",
			    PQgetvalue(lease, i, 1));
			job_fill(s, res, k, j);
			j->next = s->jobs;
			s->jobs = j;
			s->njobs++;
			if (j->r.skip) {
				j->done = 1;
				s->ndone++;
			} else
				hook_send_start(&j->r,
				    s->conf.webhook_timeout_ms);
			k++;
			continue;
		}
		arr_put(&gone, PQgetvalue(lease, i, 1), ngone == 0);
		ngone++;
	}
	buf_putc(&gone, '}');
	PQclear(res);
	PQclear(lease);
	if (ngone > 0 && unlock_keys(s, buf_str(&gone), ngone) == -1)
		goto out;
	rc = n;
out:
	buf_free(&ids);
	buf_free(&gone);
	return rc;
}

/*
 * Record the outcomes of the jobs that are done, with one statement
 * (its own transaction, so durable when it returns): the new state of
 * each (delivered; pending with its back-off; dead when the retry
 * window is over) and an attempts row each; then let go of their
 * chains, and only then, so that no sender sends a chain's next
 * delivery before this one's outcome is committed.  Returns how many
 * were recorded, or -1 on a database failure (they stay pending).
 */
static int
record_done(struct sender *s)
{
	struct buf	 a[7];
	struct job	*j, **pp;
	const char	*p[6], *state;
	char		 num[24];
	int64_t		 d;
	int		 k, n = 0, ok, rc = -1;

	for (k = 0; k < 7; k++) {
		buf_init(&a[k]);
		buf_putc(&a[k], '{');
	}
	for (j = s->jobs; j != NULL; j = j->next) {
		const struct hook_req *r = &j->r;

		if (!j->done)
			continue;
		d = 0;
		ok = !r->skip && r->status >= 200 && r->status <= 299;
		if (ok)
			state = "delivered";
		else if (hook_next(j->attempts + 1, j->age_ms + r->latency_ms,
		    &s->pol, randombytes_random(), &d))
			state = "pending";
		else
			state = "dead";
		if (!ok)
			log_info("delivery %s (%s, event %s) attempt %d: %s%s",
			    r->delivery, r->kind, r->event_id, j->attempts + 1,
			    r->err, strcmp(state, "dead") == 0 ? " Dead-lettered: "
			    "the retry window is over." : "");
		arr_put(&a[0], r->delivery, n == 0);
		snprintf(num, sizeof(num), "%ld", r->status);
		arr_put(&a[1], r->status > 0 ? num : NULL, n == 0);
		snprintf(num, sizeof(num), "%d", r->latency_ms);
		arr_put(&a[2], num, n == 0);
		arr_put(&a[3], ok ? NULL : r->err, n == 0);
		arr_put(&a[4], state, n == 0);
		snprintf(num, sizeof(num), "%" PRId64, d);
		arr_put(&a[5], num, n == 0);
		arr_put(&a[6], j->lk, n == 0);
		n++;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	for (k = 0; k < 7; k++)
		buf_putc(&a[k], '}');
	for (k = 0; k < 6; k++)
		p[k] = buf_str(&a[k]);
	if (db_exec_cmd(s->db, HS_RECORD, p) == -1)
		goto out;
	/* Committed: forget them, then let their chains go. */
	for (pp = &s->jobs; (j = *pp) != NULL; ) {
		if (j->done) {
			*pp = j->next;
			s->njobs--;
			s->ndone--;
			job_free(j);
		} else
			pp = &j->next;
	}
	if (unlock_keys(s, buf_str(&a[6]), n) == -1)
		goto out;
	rc = n;
out:
	for (k = 0; k < 7; k++)
		buf_free(&a[k]);
	return rc;
}

/*
 * The database link failed: every request in flight is dropped
 * without an outcome (its delivery stays pending and is sent again:
 * at least once), and the connection is closed, which lets go of our
 * leases, so that nothing we hold can outlive what we know.
 */
static void
drop_all(struct sender *s)
{
	struct job	*j;

	if (s->njobs > 0)
		log_warnx("database: lost with %d deliveries in flight; they "
		    "stay pending and are sent again", s->njobs);
	while ((j = s->jobs) != NULL) {
		s->jobs = j->next;
		job_free(j);
	}
	s->njobs = s->ndone = 0;
	db_close(s->db);
	s->db = NULL;
}

/* Milliseconds to wait for the next due chain head that is not ours in
 * flight; -1 on failure. */
static int
next_wait(struct sender *s)
{
	PGresult	*res;
	struct buf	 ids;
	const char	*p[1];
	int64_t		 ms = WAIT_MAX_MS;

	buf_init(&ids);
	inflight_ids(s, &ids);
	p[0] = buf_str(&ids);
	res = db_exec(s->db, HS_NEXT_DUE, p);
	buf_free(&ids);
	if (res == NULL)
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

/* Take the notifications libpq already read (while a statement ran,
 * say: the socket will not show them again).  1 if there were any. */
static int
notifies_take(struct sender *s)
{
	PGnotify	*nt;
	int		 any = 0;

	while ((nt = PQnotifies(db_conn(s->db))) != NULL) {
		any = 1;
		PQfreemem(nt);
	}
	return any;
}

/* Read what the database sent (NOTIFY wake-ups, or the end of the
 * link).  Returns 1 if a wake-up came, 0 if not, -1 if the link broke. */
static int
db_input(struct sender *s)
{
	PGconn		*c = db_conn(s->db);

	if (PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK)
		return -1;
	return notifies_take(s);
}

/* Wait up to "ms" for a notification with nothing in flight.  0, or -1
 * if the link broke. */
static int
wait_notify(struct sender *s, int ms)
{
	struct pollfd	 pfd;

	pfd.fd = PQsocket(db_conn(s->db));
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return -1;
	if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
		return -1;
	return db_input(s) == -1 ? -1 : 0;
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
	due = s->purged_at + purge_every_ms(s) - now_ms();
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
	int64_t		 now = now_ms(), every, nd, ne;

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

/*
 * The loop, a pipeline: up to HOOK_INFLIGHT requests in flight, each
 * started as soon as its chain's head is due and leased, and recorded
 * as soon as it ends (with whatever else ended meanwhile, in one
 * statement), after which its chain's next delivery can start.  A
 * slow receiver holds up only its own chains.  Wakes on what libcurl
 * waits for, on the database socket (NOTIFY wadesk_webhooks, or the
 * link ending) and when the next retry is due.  On SIGTERM no more is
 * claimed and the loop ends once the requests in flight are recorded.
 */
static void
run(struct sender *s)
{
	struct hook_req	*r;
	int64_t		 due_at = 0, left;
	int		 want = 1, room, n, ms, ready, woke;

	for (;;) {
		if (quit && s->njobs == 0)
			break;
		if (s->db == NULL && (quit || db_reach(s) == -1))
			break;
		if (!quit)
			purge(s);
		room = HOOK_INFLIGHT - s->njobs;
		if (!quit && room > 0 && (want || now_ms() >= due_at)) {
			if ((n = claim(s, room)) == -1)
				goto lost;
			if (n < room) {
				/*
				 * Every due head is ours.  Idle, ask when the
				 * next is due; busy, look again in
				 * BUSY_LOOK_MS at most (outcomes recorded
				 * meanwhile claim anyway): asking reads every
				 * chain head, as the claim does.
				 */
				if (s->njobs > 0)
					ms = BUSY_LOOK_MS;
				else if ((ms = next_wait(s)) == -1)
					goto lost;
				due_at = now_ms() + ms;
				want = 0;
			}
		}
		left = due_at - now_ms();
		if (left < 0)
			left = 0;
		if (notifies_take(s))
			want = 1;
		if (s->njobs == 0) {
			if (want)
				continue;
			if (wait_notify(s, purge_cap(s, (int)(left > WAIT_MAX_MS ?
			    WAIT_MAX_MS : left))) == -1)
				goto lost;
			want = 1;
			continue;
		}
		ms = left > 1000 ? 1000 : (int)left;
		if (s->ndone > 0 || (want && s->njobs < HOOK_INFLIGHT))
			ms = 0;
		if (hook_send_wait(PQsocket(db_conn(s->db)), ms, &ready) == -1)
			goto lost;
		if (ready) {
			if ((woke = db_input(s)) == -1)
				goto lost;
			if (woke)
				want = 1;
		}
		while ((r = hook_send_done()) != NULL) {
			/* r is the first member of its job. */
			((struct job *)(void *)r)->done = 1;
			s->ndone++;
		}
		if (s->ndone > 0) {
			if ((n = record_done(s)) == -1)
				goto lost;
			if (n > 0)
				want = 1;
		}
		continue;
lost:
		log_warnx("database: lost; deliveries wait until it is back");
		drop_all(s);
		sleep_ms(LOST_PAUSE_MS);
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
