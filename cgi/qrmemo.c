/*
 * The qr.png check's memo and the LISTEN connection that keeps it
 * exact; see qrmemo.h for when an answer may be used.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "log.h"
#include "qrmemo.h"
#include "xalloc.h"

/*
 * The process-wide stamps.  "epoch" is odd while no LISTEN connection
 * is up (nothing may be kept or used) and even while one is; a flush
 * adds 2, the connection going down or coming back adds 1.  Only the
 * listener thread changes the parity.  buckets[] counts invalidations
 * of the accounts whose id falls in each bucket.
 */
static _Atomic uint64_t	 epoch = 1;
static _Atomic uint64_t	 buckets[QRMEMO_BUCKETS];
static _Atomic unsigned long n_forget, n_flush, n_listens;
static _Atomic int64_t	 last_noticed;	/* account id of the last notice */

/*
 * The LISTEN connection's socket (-1: none), and 1 while the listener
 * may hold notifications it has read but not applied yet; see
 * feed_behind().
 */
static _Atomic int	 feed_fd = -1;
static _Atomic int	 feed_reading = 1;

/* The memos /metrics reports, by worker index. */
static pthread_mutex_t	 reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qrmemo	*registry[QRMEMO_WORKERS];

static size_t
bucket(int64_t account_id)
{

	return (size_t)((uint64_t)account_id % QRMEMO_BUCKETS);
}

static void
answer_free(struct qrmemo_answer *a)
{

	free(a->username);
	free(a->qr_code);
	free(a->label);
	memset(a, 0, sizeof(*a));
}

/*
 * An empty memo, listed in /metrics under the lowest free worker index
 * (none when QRMEMO_WORKERS are listed already).  Undo with
 * qrmemo_free().
 */
void
qrmemo_init(struct qrmemo *m)
{
	int	 i;

	memset(m->slots, 0, sizeof(m->slots));
	m->next = 0;
	m->worker = -1;
	atomic_init(&m->hits, 0);
	atomic_init(&m->misses, 0);
	pthread_mutex_lock(&reg_lock);
	for (i = 0; i < QRMEMO_WORKERS; i++)
		if (registry[i] == NULL) {
			registry[i] = m;
			m->worker = i;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
}

/* Free every answer "m" holds and take it off /metrics. */
void
qrmemo_free(struct qrmemo *m)
{
	int	 i;

	for (i = 0; i < QRMEMO_SLOTS; i++)
		answer_free(&m->slots[i].a);
	memset(m->slots, 0, sizeof(m->slots));
	pthread_mutex_lock(&reg_lock);
	if (m->worker >= 0 && registry[m->worker] == m)
		registry[m->worker] = NULL;
	pthread_mutex_unlock(&reg_lock);
	m->worker = -1;
}

/*
 * The stamp to read account "account_id"'s answer under.  Take it
 * before the database query whose answer then goes to qrmemo_put():
 * an invalidation that arrives after it, even while the query runs,
 * makes that answer unusable.
 */
struct qrmemo_stamp
qrmemo_stamp(int64_t account_id)
{
	struct qrmemo_stamp	 s;

	s.epoch = atomic_load(&epoch);
	s.account = atomic_load(&buckets[bucket(account_id)]);
	return s;
}

/* 1 if an answer stamped "s" for "account_id" may still be used. */
static int
stamp_current(struct qrmemo_stamp s, int64_t account_id)
{

	return (s.epoch & 1) == 0 && s.epoch == atomic_load(&epoch) &&
	    s.account == atomic_load(&buckets[bucket(account_id)]);
}

/*
 * Make every answer read so far, in every worker, unusable: a flush
 * notification, or a POST answered by this process (route.c calls it
 * after the handler has committed, before the response is sent).
 */
void
qrmemo_bump(void)
{

	atomic_fetch_add(&epoch, 2);
	atomic_fetch_add_explicit(&n_flush, 1, memory_order_relaxed);
}

/*
 * Make every answer for account "account_id" unusable (and those of
 * the accounts sharing its bucket, which only costs them a re-read).
 */
void
qrmemo_forget(int64_t account_id)
{

	atomic_fetch_add(&buckets[bucket(account_id)], 1);
	atomic_fetch_add_explicit(&n_forget, 1, memory_order_relaxed);
}

/*
 * Apply one notification payload from QRMEMO_CHANNEL: a positive
 * decimal account id forgets that account, QRMEMO_FLUSH everything.
 * Anything else also forgets everything (the safe reading) and returns
 * -1 so the caller can log it; otherwise 0.
 */
int
qrmemo_notified(const char *payload)
{
	char		*end;
	long long	 id;

	if (strcmp(payload, QRMEMO_FLUSH) == 0) {
		qrmemo_bump();
		return 0;
	}
	errno = 0;
	id = strtoll(payload, &end, 10);
	if (payload[0] >= '1' && payload[0] <= '9' && *end == '\0' &&
	    errno == 0) {
		qrmemo_forget(id);
		atomic_store(&last_noticed, id);
		return 0;
	}
	qrmemo_bump();
	return -1;
}

/*
 * The LISTEN connection is up ("live" 1: LISTEN has taken effect) or
 * down (0).  Either way every answer read so far becomes unusable:
 * going down, because changes will go unannounced; coming back,
 * because some may have while it was down.  Called by the listener
 * thread only.
 */
void
qrmemo_set_live(int live)
{
	uint64_t	 e = atomic_load(&epoch);

	if ((e & 1) == (live ? 1u : 0u))
		atomic_fetch_add(&epoch, 1);
	if (live)
		atomic_fetch_add_explicit(&n_listens, 1,
		    memory_order_relaxed);
}

/* 1 while the LISTEN connection is up and answers may be kept. */
int
qrmemo_live(void)
{

	return (atomic_load(&epoch) & 1) == 0;
}

/*
 * The listener's state, for feed_behind(): its LISTEN socket "fd" (-1:
 * none) and whether it may hold notifications it has read but not
 * applied yet ("reading" 1).  Set "reading" before reading the socket
 * and clear it only once what was read has been applied.
 */
void
qrmemo_feed_set(int fd, int reading)
{

	atomic_store(&feed_reading, reading);
	atomic_store(&feed_fd, fd);
}

/*
 * 1 if a notification may have reached this process without being
 * applied yet: bytes wait on the LISTEN socket, or the listener is
 * between reading and applying them.  The socket is looked at first:
 * if it was empty because the listener had just read it, the flag is
 * still set, or else the bumps it made are visible to the stamp check
 * that follows.  This narrows "a change is seen once its notification
 * has been applied" to "once PostgreSQL has sent it": the writer's
 * commit signals our listening backend before the writer hears back,
 * and that backend sends it as soon as it gets a CPU.  A poll()
 * failure (the socket closed meanwhile) counts as behind.
 */
static int
feed_behind(void)
{
	struct pollfd	 p;

	if ((p.fd = atomic_load(&feed_fd)) < 0)
		return 0;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) != 0)
		return 1;
	return atomic_load(&feed_reading);
}

/*
 * The answer for the session whose token hashes to "token_hash" (hex)
 * and account "account_id", or NULL when there is none usable at
 * "now_ms" (mono_ms()): none kept, invalidated since it was read (see
 * qrmemo.h), past its "until_ms", or for another qr_version than
 * "want_version" (-1: any).  Counts a hit or a miss.  The answer is
 * borrowed until the next qrmemo_put() or qrmemo_free() on "m".
 */
const struct qrmemo_answer *
qrmemo_get(struct qrmemo *m, const char *token_hash, int64_t account_id,
    int64_t want_version, double now_ms)
{
	struct qrmemo_slot	*s;
	int			 i;

	for (i = 0; i < QRMEMO_SLOTS; i++) {
		s = &m->slots[i];
		if (!s->used || s->account_id != account_id ||
		    strcmp(s->token_hash, token_hash) != 0)
			continue;
		if (feed_behind() || !stamp_current(s->stamp, account_id) ||
		    now_ms >= s->until_ms ||
		    (want_version >= 0 && s->a.qr_version != want_version))
			break;
		atomic_store_explicit(&m->hits, atomic_load_explicit(&m->hits,
		    memory_order_relaxed) + 1, memory_order_relaxed);
		return &s->a;
	}
	atomic_store_explicit(&m->misses, atomic_load_explicit(&m->misses,
	    memory_order_relaxed) + 1, memory_order_relaxed);
	return NULL;
}

/*
 * Keep a copy of answer "a" for ("token_hash", "account_id"), read
 * under "stamp" (qrmemo_stamp() taken before the query), usable until
 * "until_ms" (mono_ms()).  It replaces the same key's answer, else the
 * oldest-put slot.  Nothing is kept when the stamp is no longer
 * current (the answer may be stale already) or "token_hash" is longer
 * than QRMEMO_HASH characters.
 */
void
qrmemo_put(struct qrmemo *m, const char *token_hash, int64_t account_id,
    struct qrmemo_stamp stamp, double until_ms,
    const struct qrmemo_answer *a)
{
	struct qrmemo_slot	*s = NULL;
	int			 i;

	if (strlen(token_hash) > QRMEMO_HASH ||
	    !stamp_current(stamp, account_id))
		return;
	for (i = 0; i < QRMEMO_SLOTS; i++)
		if (m->slots[i].used && m->slots[i].account_id == account_id &&
		    strcmp(m->slots[i].token_hash, token_hash) == 0) {
			s = &m->slots[i];
			break;
		}
	if (s == NULL) {
		s = &m->slots[m->next];
		m->next = (m->next + 1) % QRMEMO_SLOTS;
	}
	answer_free(&s->a);
	s->used = 1;
	memcpy(s->token_hash, token_hash, strlen(token_hash) + 1);
	s->account_id = account_id;
	s->stamp = stamp;
	s->until_ms = until_ms;
	s->a.operator_id = a->operator_id;
	s->a.username = xstrdup(a->username);
	s->a.is_admin = a->is_admin;
	memcpy(s->a.csrf, a->csrf, sizeof(s->a.csrf));
	s->a.csrf[QRMEMO_CSRF] = '\0';
	s->a.qr_code = xstrdup(a->qr_code);
	s->a.qr_version = a->qr_version;
	s->a.label = xstrdup(a->label);
}

/*
 * Append the memo's state to "out" in Prometheus text format: whether
 * answers may be kept (the LISTEN connection is up), hits and misses
 * per worker, invalidations applied, LISTENs established, and the
 * account id of the last notice (notices arrive in commit order, so
 * once a marker id sent after a change shows here, that change's
 * notice has been applied too).
 */
void
qrmemo_metrics_write(struct buf *out)
{
	unsigned long	 v;
	int		 i, pass;

	buf_printf(out, "# HELP wadesk_qr_memo_live 1 while wadesk.fcgi "
	    "listens for changes and qr.png may answer from memory; 0 while "
	    "every qr.png request reads the database.\n"
	    "# TYPE wadesk_qr_memo_live gauge\n"
	    "wadesk_qr_memo_live %d\n", qrmemo_live());
	for (pass = 0; pass < 2; pass++) {
		buf_printf(out, pass == 0 ?
		    "# HELP wadesk_qr_memo_hits_total qr.png checks a worker "
		    "answered from memory.\n"
		    "# TYPE wadesk_qr_memo_hits_total counter\n" :
		    "# HELP wadesk_qr_memo_misses_total qr.png checks a "
		    "worker answered from the database.\n"
		    "# TYPE wadesk_qr_memo_misses_total counter\n");
		pthread_mutex_lock(&reg_lock);
		for (i = 0; i < QRMEMO_WORKERS; i++) {
			if (registry[i] == NULL)
				continue;
			v = atomic_load_explicit(pass == 0 ?
			    &registry[i]->hits : &registry[i]->misses,
			    memory_order_relaxed);
			buf_printf(out, "wadesk_qr_memo_%s_total{worker=\"%d\"} "
			    "%lu\n", pass == 0 ? "hits" : "misses", i, v);
		}
		pthread_mutex_unlock(&reg_lock);
	}
	buf_printf(out, "# HELP wadesk_qr_memo_invalidations_total "
	    "Invalidations applied: one account's answers, or all.\n"
	    "# TYPE wadesk_qr_memo_invalidations_total counter\n"
	    "wadesk_qr_memo_invalidations_total{scope=\"account\"} %lu\n"
	    "wadesk_qr_memo_invalidations_total{scope=\"all\"} %lu\n"
	    "# HELP wadesk_qr_memo_listens_total Times the LISTEN connection "
	    "was established.\n"
	    "# TYPE wadesk_qr_memo_listens_total counter\n"
	    "wadesk_qr_memo_listens_total %lu\n"
	    "# HELP wadesk_qr_memo_last_account_notice Account id of the "
	    "last change notice applied (0: none yet); NOTIFY %s with an "
	    "unused id to see the feed work end to end.\n"
	    "# TYPE wadesk_qr_memo_last_account_notice gauge\n"
	    "wadesk_qr_memo_last_account_notice %" PRId64 "\n",
	    atomic_load(&n_forget), atomic_load(&n_flush),
	    atomic_load(&n_listens), QRMEMO_CHANNEL,
	    atomic_load(&last_noticed));
}

/*
 * The listener: one thread, one non-blocking libpq connection that
 * LISTENs on QRMEMO_CHANNEL and applies every notification.  When the
 * connection fails the memo is off (qrmemo_set_live(0)) until a new one
 * has LISTENed; attempts are spaced from LISTEN_RETRY_MIN_MS, doubling
 * up to LISTEN_RETRY_MAX_MS.  A pipe wakes it to stop.
 */
#define	LISTEN_RETRY_MIN_MS	100
#define	LISTEN_RETRY_MAX_MS	5000
#define	LISTEN_STEP_MS		10000	/* connect or LISTEN, at most */

struct	qrmemo_listener {
	pthread_t	 tid;
	char		*conninfo;	/* owned */
	int		 stop[2];	/* pipe: a byte means stop */
};

/*
 * Wait until "fd" is ready for "events" (POLLIN/POLLOUT), up to
 * "ms" (-1: no limit).  Returns 1 ready, 0 timed out, -1 asked to stop.
 */
static int
listen_wait(struct qrmemo_listener *l, int fd, short events, int ms)
{
	struct pollfd	 p[2];
	int		 n;

	p[0].fd = l->stop[0];
	p[0].events = POLLIN;
	p[1].fd = fd;
	p[1].events = events;
	for (;;) {
		n = poll(p, fd >= 0 ? 2 : 1, ms);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("%s: poll", __func__);
		if (p[0].revents != 0)
			return -1;
		return n > 0 ? 1 : 0;
	}
}

/*
 * Connect without blocking.  The user's conninfo comes after the TCP
 * keepalive defaults (so it may override them) and before
 * application_name, which names this connection in pg_stat_activity.
 * Returns the connection, or NULL on failure ("*why" says why, owned
 * by the caller) or when asked to stop ("*why" NULL).
 */
static PGconn *
listen_connect(struct qrmemo_listener *l, char **why)
{
	static const char *const kw[] = { "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "dbname",
	    "application_name", NULL };
	const char		*val[7] = { "1", "10", "5", "3", NULL,
	    "wadesk.fcgi memo", NULL };
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn			*conn;
	int			 rc;

	*why = NULL;
	val[4] = l->conninfo;
	if ((conn = PQconnectStartParams(kw, val, 1)) == NULL)
		fatalx("%s: out of memory", __func__);
	while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		rc = listen_wait(l, PQsocket(conn), st ==
		    PGRES_POLLING_READING ? POLLIN : POLLOUT, LISTEN_STEP_MS);
		if (rc == -1) {
			PQfinish(conn);
			return NULL;
		}
		if (rc == 0) {
			*why = xstrdup("connecting timed out");
			PQfinish(conn);
			return NULL;
		}
		st = PQconnectPoll(conn);
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		*why = xstrdup(PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/*
 * Run "LISTEN QRMEMO_CHANNEL" on "conn" (non-blocking).  Returns 0 once
 * it has taken effect, -1 on failure ("*why" set, owned) or when asked
 * to stop ("*why" NULL).
 */
static int
listen_send(struct qrmemo_listener *l, PGconn *conn, char **why)
{
	PGresult	*res;
	int		 ok = 0, rc;

	*why = NULL;
	if (PQsetnonblocking(conn, 1) == -1 ||
	    PQsendQuery(conn, "LISTEN " QRMEMO_CHANNEL) == 0)
		goto fail;
	while ((rc = PQflush(conn)) == 1)
		if ((rc = listen_wait(l, PQsocket(conn), POLLOUT,
		    LISTEN_STEP_MS)) != 1)
			goto waited;
	if (rc == -1)
		goto fail;
	for (;;) {
		while (!PQisBusy(conn)) {
			if ((res = PQgetResult(conn)) == NULL && ok)
				return 0;
			if (res == NULL) {
				*why = xstrdup("LISTEN gave no result");
				return -1;
			}
			if (PQresultStatus(res) == PGRES_COMMAND_OK)
				ok = 1;
			else {
				*why = xstrdup(PQresultErrorMessage(res));
				PQclear(res);
				return -1;
			}
			PQclear(res);
		}
		if ((rc = listen_wait(l, PQsocket(conn), POLLIN,
		    LISTEN_STEP_MS)) != 1)
			goto waited;
		if (PQconsumeInput(conn) == 0)
			goto fail;
	}
waited:
	if (rc == 0)
		*why = xstrdup("LISTEN timed out");
	return -1;
fail:
	*why = xstrdup(PQerrorMessage(conn));
	return -1;
}

/*
 * Apply notifications as they come until the connection fails
 * (returns 0, "*why" set, owned) or the listener is asked to stop
 * (-1).
 */
static int
listen_serve(struct qrmemo_listener *l, PGconn *conn, char **why)
{
	PGnotify	*n;
	int		 rc;

	for (;;) {
		while ((n = PQnotifies(conn)) != NULL) {
			if (qrmemo_notified(n->extra) == -1)
				log_warnx("qr.png memo: unexpected payload "
				    "\"%.40s\" on %s; forgot everything",
				    n->extra, QRMEMO_CHANNEL);
			PQfreemem(n);
		}
		if (PQstatus(conn) != CONNECTION_OK) {
			*why = xstrdup(PQerrorMessage(conn));
			return 0;
		}
		qrmemo_feed_set(PQsocket(conn), 0);
		if ((rc = listen_wait(l, PQsocket(conn), POLLIN, -1)) == -1)
			return -1;
		qrmemo_feed_set(PQsocket(conn), 1);
		if (PQconsumeInput(conn) == 0) {
			*why = xstrdup(PQerrorMessage(conn));
			return 0;
		}
	}
}

/*
 * libpq's message "why" as one line: trailing newlines and spaces cut,
 * inner newlines turned into ";".  Returns "why" (changed in place),
 * or a placeholder when it is empty.
 */
static const char *
why_text(char *why)
{
	size_t	 n = strlen(why), i;

	while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
		why[--n] = '\0';
	for (i = 0; i < n; i++)
		if (why[i] == '\n')
			why[i] = ';';
	return n == 0 ? "no reason given" : why;
}

/* Route the connection's notices to the log instead of stderr. */
static void
listen_notice(void *arg, const char *msg)
{

	log_debug("qr.png memo: postgres: %s", msg);
}

/*
 * One connection's life: connect, LISTEN, apply notifications until
 * it fails.  Returns 1 if it was listening before it failed, 0 if it
 * never got that far, -1 when asked to stop; "*why" says what failed
 * (owned).
 */
static int
listen_once(struct qrmemo_listener *l, char **why)
{
	PGconn	*conn;
	int	 rc = 0;

	qrmemo_feed_set(-1, 1);		/* until the first apply */
	if ((conn = listen_connect(l, why)) == NULL)
		return *why == NULL ? -1 : 0;
	PQsetNoticeProcessor(conn, listen_notice, NULL);
	if (listen_send(l, conn, why) == -1)
		rc = *why == NULL ? -1 : 0;
	else {
		qrmemo_feed_set(PQsocket(conn), 1);
		qrmemo_set_live(1);
		log_info("qr.png memo: listening for changes on %s; answers "
		    "are kept until the database reports one", QRMEMO_CHANNEL);
		rc = listen_serve(l, conn, why) == -1 ? -1 : 1;
		qrmemo_set_live(0);
		qrmemo_feed_set(-1, 1);
	}
	PQfinish(conn);
	return rc;
}

static void *
listen_main(void *arg)
{
	struct qrmemo_listener	*l = arg;
	char			*why = NULL;
	int			 rc, failures = 0, wait_ms;

	for (;;) {
		if ((rc = listen_once(l, &why)) == -1)
			break;
		if (rc == 1) {
			log_warnx("qr.png memo: the connection that listens "
			    "for changes was lost (%s); every qr.png request "
			    "reads the database until it is back",
			    why_text(why));
			failures = 0;
		} else if (failures == 0)
			log_warnx("qr.png memo: cannot listen for changes "
			    "(%s); every qr.png request reads the database "
			    "until this works; retrying", why_text(why));
		else
			log_debug("qr.png memo: retry %d failed: %s",
			    failures, why_text(why));
		free(why);
		why = NULL;
		wait_ms = LISTEN_RETRY_MIN_MS << (failures < 6 ? failures : 6);
		if (wait_ms > LISTEN_RETRY_MAX_MS)
			wait_ms = LISTEN_RETRY_MAX_MS;
		failures += rc == 0;
		if (listen_wait(l, -1, 0, wait_ms) == -1)
			break;
	}
	free(why);
	return NULL;
}

/*
 * Start the listener thread on "conninfo" (libpq conninfo or URI,
 * copied).  The memo stays off until its LISTEN has taken effect.
 * Returns the handle for qrmemo_listen_stop(); exits on a failure to
 * create the thread or pipe (start-up only).
 */
struct qrmemo_listener *
qrmemo_listen_start(const char *conninfo)
{
	struct qrmemo_listener	*l;

	l = xcalloc(1, sizeof(*l));
	l->conninfo = xstrdup(conninfo);
	if (pipe2(l->stop, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("%s: pipe2", __func__);
	if (pthread_create(&l->tid, NULL, listen_main, l) != 0)
		fatalx("%s: pthread_create", __func__);
	return l;
}

/*
 * Stop the listener, close its connection and free "l" (NULL: no-op).
 * The memo is off afterwards.
 */
void
qrmemo_listen_stop(struct qrmemo_listener *l)
{

	if (l == NULL)
		return;
	while (write(l->stop[1], "x", 1) == -1 && errno == EINTR)
		;
	pthread_join(l->tid, NULL);
	close(l->stop[0]);
	close(l->stop[1]);
	free(l->conninfo);
	free(l);
}
