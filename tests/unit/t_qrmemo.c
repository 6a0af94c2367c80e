/*
 * Unit tests for cgi/qrmemo.c: when a remembered qr.png check answer
 * may be used (lifetime, generation, key, qr_version) and that it is a
 * copy the memo owns.
 */
#include <stdio.h>
#include <string.h>

#include "qrmemo.h"
#include "t.h"

#define	TTL	1000
#define	T0	5000.0

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

static int
hit_is_a_copy(void)
{
	struct qrmemo			 m;
	struct qrmemo_answer		 a;
	const struct qrmemo_answer	*g;
	char				 s[3][80];
	int				 ok;

	qrmemo_init(&m);
	ok = T_TRUE(qrmemo_get(&m, H1, 42, -1, T0, TTL) == NULL);
	a = answer(3, s);
	qrmemo_put(&m, H1, 42, qrmemo_gen(), T0, &a);
	memset(s, 'x', sizeof(s));	/* the caller's strings go away */
	s[0][79] = s[1][79] = s[2][79] = '\0';
	g = qrmemo_get(&m, H1, 42, -1, T0 + 10, TTL);
	ok = ok && T_TRUE(g != NULL);
	if (g != NULL)
		ok = ok && T_INTEQ(g->operator_id, 7) &&
		    T_STREQ(g->username, "alice") && T_INTEQ(g->is_admin, 1) &&
		    T_INTEQ(strlen(g->csrf), QRMEMO_CSRF) &&
		    T_STREQ(g->qr_code, "2@ref-3,key,key,key") &&
		    T_INTEQ(g->qr_version, 3) &&
		    T_STREQ(g->label, "Shop <phone>");
	ok = ok && T_INTEQ(m.hits, 1) && T_INTEQ(m.misses, 1);
	qrmemo_free(&m);
	return ok;
}

static int
lifetime(void)
{
	struct qrmemo		 m;
	struct qrmemo_answer	 a;
	char			 s[3][80];
	int			 ok;

	qrmemo_init(&m);
	a = answer(1, s);
	qrmemo_put(&m, H1, 42, qrmemo_gen(), T0, &a);
	ok = T_TRUE(qrmemo_get(&m, H1, 42, -1, T0 + TTL - 1, TTL) != NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, -1, T0 + TTL, TTL) == NULL) &&
	    /* a clock that went back is not trusted */
	    T_TRUE(qrmemo_get(&m, H1, 42, -1, T0 - 1, TTL) == NULL) &&
	    /* lifetime 0 turns the memo off */
	    T_TRUE(qrmemo_get(&m, H1, 42, -1, T0, 0) == NULL);
	qrmemo_free(&m);
	return ok;
}

static int
bump_after_put(void)
{
	struct qrmemo		 m;
	struct qrmemo_answer	 a;
	char			 s[3][80];
	int			 ok;

	qrmemo_init(&m);
	a = answer(1, s);
	qrmemo_put(&m, H1, 42, qrmemo_gen(), T0, &a);
	ok = T_TRUE(qrmemo_get(&m, H1, 42, -1, T0, TTL) != NULL);
	qrmemo_bump();		/* e.g. a sign-out committed */
	ok = ok && T_TRUE(qrmemo_get(&m, H1, 42, -1, T0, TTL) == NULL);
	/* A fresh read after the bump is usable again. */
	qrmemo_put(&m, H1, 42, qrmemo_gen(), T0, &a);
	ok = ok && T_TRUE(qrmemo_get(&m, H1, 42, -1, T0, TTL) != NULL);
	qrmemo_free(&m);
	return ok;
}

static int
bump_during_read(void)
{
	struct qrmemo		 m;
	struct qrmemo_answer	 a;
	char			 s[3][80];
	uint64_t		 gen;
	int			 ok;

	qrmemo_init(&m);
	a = answer(1, s);
	gen = qrmemo_gen();	/* taken before the query ... */
	qrmemo_bump();		/* ... a change commits meanwhile ... */
	qrmemo_put(&m, H1, 42, gen, T0, &a);	/* ... the stale answer */
	ok = T_TRUE(qrmemo_get(&m, H1, 42, -1, T0, TTL) == NULL);
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

	qrmemo_init(&m);
	a = answer(5, s);
	qrmemo_put(&m, H1, 42, qrmemo_gen(), T0, &a);
	ok = T_TRUE(qrmemo_get(&m, H2, 42, -1, T0, TTL) == NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 43, -1, T0, TTL) == NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, 5, T0, TTL) != NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, 6, T0, TTL) == NULL) &&
	    T_TRUE(qrmemo_get(&m, H1, 42, 4, T0, TTL) == NULL);
	/* A too-long key is not kept. */
	qrmemo_put(&m, "11111111111111111111111111111111111111111111111111"
	    "111111111111111111", 42, qrmemo_gen(), T0, &a);
	ok = ok && T_TRUE(qrmemo_get(&m, H1, 42, 5, T0, TTL) != NULL);
	qrmemo_free(&m);
	return ok;
}

static int
replace_and_evict(void)
{
	struct qrmemo			 m;
	struct qrmemo_answer		 a;
	const struct qrmemo_answer	*g;
	char				 s[3][80];
	int				 i, ok = 1;

	qrmemo_init(&m);
	/* The same key twice takes one slot; the later answer wins. */
	a = answer(1, s);
	qrmemo_put(&m, H1, 1, qrmemo_gen(), T0, &a);
	a = answer(2, s);
	qrmemo_put(&m, H1, 1, qrmemo_gen(), T0, &a);
	g = qrmemo_get(&m, H1, 1, -1, T0, TTL);
	ok = T_TRUE(g != NULL && g->qr_version == 2);
	/* QRMEMO_SLOTS more accounts: account 1, put first, goes. */
	for (i = 2; i < QRMEMO_SLOTS + 2; i++)
		qrmemo_put(&m, H1, i, qrmemo_gen(), T0, &a);
	ok = ok && T_TRUE(qrmemo_get(&m, H1, 1, -1, T0, TTL) == NULL);
	for (i = 2; i < QRMEMO_SLOTS + 2; i++)
		ok = ok && T_TRUE(qrmemo_get(&m, H1, i, -1, T0, TTL) != NULL);
	qrmemo_free(&m);
	ok = ok && T_TRUE(qrmemo_get(&m, H1, 5, -1, T0, TTL) == NULL);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(hit_is_a_copy),
		T_CASE(lifetime),
		T_CASE(bump_after_put),
		T_CASE(bump_during_read),
		T_CASE(key_and_version),
		T_CASE(replace_and_evict),
	};

	return t_run(cases, T_NCASES(cases));
}
