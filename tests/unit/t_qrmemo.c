/*
 * Unit tests for cgi/qrmemo.c: when a remembered qr.png check answer
 * may be used (LISTEN up, no invalidation of its account or flush since
 * it was read, its own deadline, key, qr_version), the race between a
 * query and an invalidation, notification payloads, notices still in
 * flight on the LISTEN socket, and that an answer is a copy the memo
 * owns.  The LISTEN connection itself is tested against a real
 * PostgreSQL in tests/integration/qrmemo.test.js.
 */
#include <sys/socket.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "qrmemo.h"
#include "t.h"

#define	T0	5000.0
#define	LATER	(T0 + 60000.0)	/* a deadline no check reaches */

static const char	 H1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char	 H2[] = "2222222222222222222222222222222222222222222222222222222222222222";

/* An answer for operator 7 at qr_version "v", strings in "store". */
static struct qrmemo_answer
answer(int64_t v, char store[3][80])
{
	struct qrmemo_answer	 a;

	memset(&a, 0, sizeof(a));
	snprintf(store[0], 80, "alice");
	snprintf(store[1], 80, "2@ref-%lld,key,key,key", (long long)v);
	snprintf(store[2], 80, "Shop <phone>");
	a.operator_id = 7;
	a.username = store[0];
	a.is_admin = 1;
	memset(a.csrf, 'c', QRMEMO_CSRF);
	a.qr_code = store[1];
	a.qr_version = v;
	a.label = store[2];
	return a;
}

/* Put answer version "v" for (H1, "id") under a fresh stamp. */
static void
put1(struct qrmemo *m, int64_t id, int64_t v)
{
	struct qrmemo_answer	 a;
	char			 s[3][80];

	a = answer(v, s);
	qrmemo_put(m, H1, id, qrmemo_stamp(id), LATER, &a);
}

static int
hit(struct qrmemo *m, int64_t id)
{

	return qrmemo_get(m, H1, id, -1, T0) != NULL;
}

static int
hit_is_a_copy(void)
{
	struct qrmemo			 m;
	struct qrmemo_answer		 a;
	const struct qrmemo_answer	*g;
	char				 s[3][80];
	int				 ok;

	qrmemo_set_live(1);
	qrmemo_init(&m);
	ok = T_TRUE(qrmemo_get(&m, H1, 42, -1, T0) == NULL);
	a = answer(3, s);
	qrmemo_put(&m, H1, 42, qrmemo_stamp(42), LATER, &a);
	memset(s, 'x', sizeof(s));	/* the caller's strings die */
	s[0][79] = s[1][79] = s[2][79] = '\0';
	g = qrmemo_get(&m, H1, 42, -1, T0 + 10);
	ok = ok && T_TRUE(g != NULL) && T_INTEQ(g->operator_id, 7) &&
	    T_STREQ(g->username, "alice") && T_INTEQ(g->is_admin, 1) &&
	    T_INTEQ(strlen(g->csrf), QRMEMO_CSRF) &&
	    T_STREQ(g->qr_code, "2@ref-3,key,key,key") &&
	    T_INTEQ(g->qr_version, 3) && T_STREQ(g->label, "Shop <phone>");
	ok = ok && T_INTEQ(atomic_load(&m.hits), 1) &&
	    T_INTEQ(atomic_load(&m.misses), 1);
	qrmemo_free(&m);
	return ok;
}

/* Nothing is kept or used without LISTEN; coming back forgets all. */
static int
off_without_listen(void)
{
	struct qrmemo		 m;
	struct qrmemo_stamp	 st;
	struct qrmemo_answer	 a;
	char			 s[3][80];
	int			 ok;

	qrmemo_init(&m);
	qrmemo_set_live(1);
	put1(&m, 42, 1);
	ok = T_TRUE(qrmemo_live()) && T_TRUE(hit(&m, 42));
	qrmemo_set_live(0);		/* the connection dropped */
	ok = ok && T_TRUE(!qrmemo_live()) && T_TRUE(!hit(&m, 42));
	put1(&m, 42, 1);		/* read while it is down */
	ok = ok && T_TRUE(!hit(&m, 42));
	st = qrmemo_stamp(42);		/* a query starts while down ... */
	qrmemo_set_live(1);		/* ... LISTEN is back ... */
	a = answer(1, s);
	qrmemo_put(&m, H1, 42, st, LATER, &a);	/* ... it ends */
	ok = ok && T_TRUE(qrmemo_live()) && T_TRUE(!hit(&m, 42));
	/* What was kept before the drop stays gone once it is back. */
	qrmemo_set_live(0);
	qrmemo_set_live(1);
	ok = ok && T_TRUE(!hit(&m, 42));
	put1(&m, 42, 1);
	ok = ok && T_TRUE(hit(&m, 42));
	/* Saying the same state twice changes nothing. */
	qrmemo_set_live(1);
	ok = ok && T_TRUE(hit(&m, 42));
	qrmemo_free(&m);
	return ok;
}

/* One account's invalidation leaves the others' answers alone. */
static int
forget_one_account(void)
{
	struct qrmemo	 m;
	int		 ok;

	qrmemo_set_live(1);
	qrmemo_init(&m);
	put1(&m, 42, 1);
	put1(&m, 43, 1);
	qrmemo_forget(42);
	ok = T_TRUE(!hit(&m, 42)) && T_TRUE(hit(&m, 43));
	put1(&m, 42, 2);
	ok = ok && T_TRUE(hit(&m, 42));
	/* Same bucket: only costs a re-read. */
	qrmemo_forget(43 + QRMEMO_BUCKETS);
	ok = ok && T_TRUE(hit(&m, 42)) && T_TRUE(!hit(&m, 43));
	qrmemo_bump();			/* a flush */
	ok = ok && T_TRUE(!hit(&m, 42));
	qrmemo_free(&m);
	return ok;
}

/*
 * The race: the stamp is taken before the query; an invalidation that
 * arrives while it runs makes its answer unusable, even stored after.
 */
static int
invalidated_during_read(void)
{
	struct qrmemo		 m;
	struct qrmemo_answer	 a;
	struct qrmemo_stamp	 st;
	char			 s[3][80];
	int			 ok;

	qrmemo_set_live(1);
	qrmemo_init(&m);
	a = answer(1, s);
	st = qrmemo_stamp(42);	/* taken before the query ... */
	qrmemo_forget(42);	/* ... the row changes meanwhile ... */
	qrmemo_put(&m, H1, 42, st, LATER, &a);	/* ... the stale answer */
	ok = T_TRUE(!hit(&m, 42));
	st = qrmemo_stamp(42);
	qrmemo_bump();
	qrmemo_put(&m, H1, 42, st, LATER, &a);
	ok = ok && T_TRUE(!hit(&m, 42));
	/* Another account's change does not spoil it. */
	st = qrmemo_stamp(42);
	qrmemo_forget(44);
	qrmemo_put(&m, H1, 42, st, LATER, &a);
	ok = ok && T_TRUE(hit(&m, 42));
	qrmemo_free(&m);
	return ok;
}

/* 1 if /metrics shows "id" as the last account notice applied. */
static int
last_notice_is(const char *id)
{
	struct buf	 out;
	char		 want[80];
	int		 ok;

	buf_init(&out);
	qrmemo_metrics_write(&out);
	snprintf(want, sizeof(want), "\nwadesk_qr_memo_last_account_notice "
	    "%s\n", id);
	ok = T_TRUE(strstr(buf_str(&out), want) != NULL);
	buf_free(&out);
	return ok;
}

static int
payloads(void)
{
	static const char *const bad[] = { "", "0", "-1", "+5", " 42",
	    "42 ", "0x2a", "42a", "99999999999999999999", "**" };
	struct qrmemo	 m;
	size_t		 i;
	int		 ok;

	qrmemo_set_live(1);
	qrmemo_init(&m);
	put1(&m, 42, 1);
	put1(&m, 43, 1);
	ok = T_INTEQ(qrmemo_notified("42"), 0) && T_TRUE(!hit(&m, 42)) &&
	    T_TRUE(hit(&m, 43)) && last_notice_is("42");
	ok = ok && T_INTEQ(qrmemo_notified(QRMEMO_FLUSH), 0) &&
	    T_TRUE(!hit(&m, 43));
	/* Anything unexpected forgets everything. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put1(&m, 43, 1);
		ok = ok && T_TRUE(hit(&m, 43)) &&
		    T_INTEQ(qrmemo_notified(bad[i]), -1) &&
		    T_TRUE(!hit(&m, 43));
	}
	ok = ok && last_notice_is("42");
	qrmemo_free(&m);
	return ok;
}

/*
 * A notice that has reached the LISTEN socket, or that the listener has
 * read but not applied, already keeps answers from being used.
 */
static int
notice_in_flight(void)
{
	struct qrmemo	 m;
	char		 c;
	int		 sv[2], ok;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return T_TRUE(0);
	qrmemo_set_live(1);
	qrmemo_init(&m);
	put1(&m, 42, 1);
	qrmemo_feed_set(sv[0], 0);
	ok = T_TRUE(hit(&m, 42));
	ok = ok && T_INTEQ(write(sv[1], "A", 1), 1);	/* on the socket */
	ok = ok && T_TRUE(!hit(&m, 42));
	qrmemo_feed_set(sv[0], 1);			/* being read */
	ok = ok && T_INTEQ(read(sv[0], &c, 1), 1) && T_TRUE(!hit(&m, 42));
	qrmemo_feed_set(sv[0], 0);	/* applied: it was another account */
	ok = ok && T_TRUE(hit(&m, 42));
	close(sv[1]);			/* the server hung up */
	ok = ok && T_TRUE(!hit(&m, 42));
	qrmemo_feed_set(-1, 1);		/* no listener: the epoch decides */
	ok = ok && T_TRUE(hit(&m, 42));
	close(sv[0]);
	qrmemo_free(&m);
	return ok;
}

/* The answer's own deadline (session touch or expiry, safety net). */
static int
deadline(void)
{
	struct qrmemo		 m;
	struct qrmemo_answer	 a;
	char			 s[3][80];
	int			 ok;

	qrmemo_set_live(1);
	qrmemo_init(&m);
	a = answer(1, s);
	qrmemo_put(&m, H1, 42, qrmemo_stamp(42), T0 + 100, &a);
	ok = T_TRUE(qrmemo_get(&m, H1, 42, -1, T0 + 99) != NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, -1, T0 + 100) == NULL);
	qrmemo_free(&m);
	return ok;
}

static int
key_and_version(void)
{
	struct qrmemo		 m;
	struct qrmemo_answer	 a;
	char			 s[3][80];
	int			 ok;

	qrmemo_set_live(1);
	qrmemo_init(&m);
	a = answer(5, s);
	qrmemo_put(&m, H1, 42, qrmemo_stamp(42), LATER, &a);
	ok = T_TRUE(qrmemo_get(&m, H2, 42, -1, T0) == NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 43, -1, T0) == NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, 5, T0) != NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, 6, T0) == NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, 4, T0) == NULL);
	/* A too-long key is not kept. */
	qrmemo_put(&m, "11111111111111111111111111111111111111111111111111"
	    "111111111111111111", 42, qrmemo_stamp(42), LATER, &a);
	ok = ok && T_TRUE(qrmemo_get(&m, H1, 42, 5, T0) != NULL);
	qrmemo_free(&m);
	return ok;
}

static int
replace_and_evict(void)
{
	struct qrmemo			 m;
	const struct qrmemo_answer	*g;
	int				 i, ok = 1;

	qrmemo_set_live(1);
	qrmemo_init(&m);
	/* The same key twice takes one slot; the later answer wins. */
	put1(&m, 1, 1);
	put1(&m, 1, 2);
	g = qrmemo_get(&m, H1, 1, -1, T0);
	ok = T_TRUE(g != NULL && g->qr_version == 2);
	/* QRMEMO_SLOTS more accounts: account 1, put first, goes. */
	for (i = 2; i < QRMEMO_SLOTS + 2; i++)
		put1(&m, i, 2);
	ok = ok && T_TRUE(!hit(&m, 1));
	for (i = 2; i < QRMEMO_SLOTS + 2; i++)
		ok = ok && T_TRUE(hit(&m, i));
	qrmemo_free(&m);
	ok = ok && T_TRUE(!hit(&m, 5));
	return ok;
}

/*
 * /metrics: the live flag and each registered memo's counters, under
 * its own worker index; a freed memo is no longer listed.
 */
static int
metrics(void)
{
	struct qrmemo	 a, b;
	struct buf	 out;
	char		 want[80];
	int		 ok;

	qrmemo_set_live(1);
	qrmemo_init(&a);
	qrmemo_init(&b);
	ok = T_TRUE(a.worker >= 0 && b.worker >= 0 && a.worker != b.worker);
	put1(&b, 42, 1);
	(void)hit(&b, 42);
	(void)hit(&b, 42);
	(void)hit(&b, 43);
	buf_init(&out);
	qrmemo_metrics_write(&out);
	ok = ok && T_TRUE(strstr(buf_str(&out), "\nwadesk_qr_memo_live 1\n")
	    != NULL);
	snprintf(want, sizeof(want), "wadesk_qr_memo_hits_total{worker=\"%d\"}"
	    " 2\n", b.worker);
	ok = ok && T_TRUE(strstr(buf_str(&out), want) != NULL);
	snprintf(want, sizeof(want), "wadesk_qr_memo_misses_total{worker=\"%d\"}"
	    " 1\n", b.worker);
	ok = ok && T_TRUE(strstr(buf_str(&out), want) != NULL);
	snprintf(want, sizeof(want), "wadesk_qr_memo_hits_total{worker=\"%d\"}"
	    " 0\n", a.worker);
	ok = ok && T_TRUE(strstr(buf_str(&out), want) != NULL);
	qrmemo_free(&b);
	qrmemo_set_live(0);
	buf_reset(&out);
	qrmemo_metrics_write(&out);
	snprintf(want, sizeof(want), "{worker=\"%d\"}", b.worker);
	ok = ok && T_TRUE(strstr(buf_str(&out), want) == NULL) &&
	    T_TRUE(strstr(buf_str(&out), "\nwadesk_qr_memo_live 0\n") != NULL);
	buf_free(&out);
	qrmemo_free(&a);
	return ok;
}

/*
 * The protocol under real threads.  A writer plays a database row and
 * its notification: it sets the row's version, then (as the listener
 * would once the commit's NOTIFY arrives) forgets the account, then
 * records the version as announced.  Readers play workers: a miss
 * stamps, reads the row (the query) and puts.  Whatever the
 * interleaving, a hit must never be older than a version announced
 * before the lookup began.
 */
#define	RACE_ROUNDS	20000

static _Atomic int64_t	 race_row = 1, race_announced = 1;
static _Atomic int	 race_stop, race_stale;

static void *
race_writer(void *arg)
{
	int64_t	 v;

	for (v = 2; v < RACE_ROUNDS; v++) {
		atomic_store(&race_row, v);
		sched_yield();		/* the commit, then the NOTIFY */
		qrmemo_forget(42);
		atomic_store(&race_announced, v);
		sched_yield();
	}
	atomic_store(&race_stop, 1);
	return NULL;
}

static void *
race_reader(void *arg)
{
	struct qrmemo			 m;
	struct qrmemo_answer		 a;
	struct qrmemo_stamp		 st;
	const struct qrmemo_answer	*g;
	char				 s[3][80];
	int64_t				 seen;

	qrmemo_init(&m);
	while (!atomic_load(&race_stop)) {
		seen = atomic_load(&race_announced);
		if ((g = qrmemo_get(&m, H1, 42, -1, T0)) != NULL) {
			if (g->qr_version < seen)
				atomic_store(&race_stale, 1);
			continue;
		}
		st = qrmemo_stamp(42);
		sched_yield();		/* the query takes a while */
		a = answer(atomic_load(&race_row), s);
		sched_yield();
		qrmemo_put(&m, H1, 42, st, LATER, &a);
	}
	qrmemo_free(&m);
	return NULL;
}

static int
race_threads(void)
{
	pthread_t	 w, r[3];
	int		 i, ok = 1;

	qrmemo_set_live(1);
	for (i = 0; i < 3; i++)
		ok = ok && T_INTEQ(pthread_create(&r[i], NULL, race_reader,
		    NULL), 0);
	ok = ok && T_INTEQ(pthread_create(&w, NULL, race_writer, NULL), 0);
	pthread_join(w, NULL);
	for (i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	return ok && T_INTEQ(atomic_load(&race_stale), 0);
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(hit_is_a_copy),
		T_CASE(off_without_listen),
		T_CASE(forget_one_account),
		T_CASE(invalidated_during_read),
		T_CASE(payloads),
		T_CASE(notice_in_flight),
		T_CASE(deadline),
		T_CASE(key_and_version),
		T_CASE(replace_and_evict),
		T_CASE(metrics),
		T_CASE(race_threads),
	};

	return t_run(cases, T_NCASES(cases));
}
