/*
 * t_leasemodel: the lease protocol of issue 12 checked by exhaustive
 * interleaving against a real PostgreSQL (tests/daemon/leasemodel.sh
 * starts one, applies sql/, makes two accounts that need a daemon and
 * a settable clock: leasemodel.now(), found before pg_catalog's on the
 * search path, so every "now()" in the daemon's statements reads the
 * model's clock, which only a tick moves).
 *
 * The statements are the daemon's own (daemon_stmts of
 * daemon/db_daemon.c: DS_LEASE_CLAIM, DS_LEASE_RENEW, and
 * DS_LEASE_FENCE through db_fence_begin(), the call every fenced
 * write transaction starts with).  Each modelled daemon has its own
 * connection and keeps what lease.c keeps: per account the generation
 * it holds, the one it held before (a late write of a replaced
 * session), and until when its own clock trusts the lease (four fifths
 * of WADESK_LEASE_SECONDS after the claim or renewal was sent:
 * lease.c trust_ms()).  A scenario gives every daemon a program of
 * steps (claim, renew, write) and the clock a number of ticks; every
 * interleaving of those programs is run from the same start, and after
 * every step the checker asserts:
 *
 *   - at most one live owner per account: no two daemons hold it with
 *     a lease their clock still trusts;
 *   - every claim hands out a fencing token (generation) greater than
 *     any handed out before for that account;
 *   - a fenced write is accepted exactly when the row names the
 *     writer as owner, with the newest generation, and the lease holds
 *     on the database clock: a stale or expired writer is refused, the
 *     holder is not.
 *
 * Then each mutant (one statement or the trust fraction changed the
 * way a plausible bug would) runs the same scenarios and must be
 * caught; a mutant that passes fails the test (the checker would be
 * too weak), and so does one whose text no longer applies (the real
 * statement changed: update the mutant).
 *
 * usage: t_leasemodel CONNINFO ACCOUNT1 ACCOUNT2
 * Prints "ok NAME" / "FAIL NAME" lines and "N passed, N failed".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"

#define	NACC		2	/* accounts in the model */
#define	NDMAX		3	/* daemons at most */
#define	LEASE_S		10	/* WADESK_LEASE_SECONDS of the model */
#define	TICK_S		6	/* one clock step */
#define	STEPS_MAX	16

enum	step { ST_CLAIM, ST_RENEW, ST_WRITE, ST_TICK };
static const char *const step_names[] = { "claim", "renew", "write", "tick" };

/* One actor's program: a daemon's steps, or the clock's ticks. */
struct	prog {
	int		 n;
	enum step	 s[6];
};

struct	scenario {
	const char	*name;
	int		 ndaemons;
	struct prog	 p[NDMAX + 1];	/* daemons 0..n-1, then the clock */
};

static const struct scenario scenarios[] = {
	{ "a daemon claims again after its lease ran out", 2, {
	    { 3, { ST_CLAIM, ST_CLAIM, ST_WRITE } },
	    { 1, { ST_CLAIM } },
	    { 2, { ST_TICK, ST_TICK } } } },
	{ "three daemons race for the accounts", 3, {
	    { 2, { ST_CLAIM, ST_WRITE } },
	    { 1, { ST_CLAIM } },
	    { 2, { ST_CLAIM, ST_WRITE } },
	    { 2, { ST_TICK, ST_TICK } } } },
	{ "two daemons claim, renew and write while the clock runs", 2, {
	    { 4, { ST_CLAIM, ST_WRITE, ST_RENEW, ST_WRITE } },
	    { 2, { ST_CLAIM, ST_RENEW } },
	    { 2, { ST_TICK, ST_TICK } } } },
};
#define	NSCEN	(sizeof(scenarios) / sizeof(scenarios[0]))

/* What one daemon believes about one account (lease.c's session). */
struct	held {
	int		 held;
	int64_t		 gen;		/* generation held */
	int64_t		 last;		/* the last generation ever held
					   here (a replaced session's) */
	int		 trust_until;	/* model seconds, inclusive */
};

struct	dmodel {
	struct db	*db;
	int64_t		 id;		/* daemon_instances.id */
	struct held	 a[NACC];
};

/* A way the protocol could be wrong. */
struct	mutant {
	const char	*name;
	enum dstmt	 stmt;		/* statement changed, or DS__MAX */
	const char	*from, *to;	/* its text: from -> to */
	int		 trust_num, trust_den;
};

static const struct mutant mutants[] = {
	{ "real", DS__MAX, NULL, NULL, 4, 5 },
	{ "fence-without-generation", DS_LEASE_FENCE,
	  "lease_generation = $3 AND", "$3::bigint IS NOT NULL AND", 4, 5 },
	{ "fence-without-expiry", DS_LEASE_FENCE,
	  " AND lease_until > now()", "", 4, 5 },
	{ "claim-takes-live-lease", DS_LEASE_CLAIM,
	  "cl.lease_until <= now())", "true)", 4, 5 },
	{ "claim-keeps-generation", DS_LEASE_CLAIM,
	  "l.lease_generation + 1", "l.lease_generation", 4, 5 },
	{ "renew-any-owner", DS_LEASE_RENEW,
	  "WHERE owner_daemon = $1 AND", "WHERE $1::bigint IS NOT NULL AND",
	  4, 5 },
	{ "trust-past-the-lease", DS__MAX, NULL, NULL, 5, 4 },
};
#define	NMUT	(sizeof(mutants) / sizeof(mutants[0]))

static const char	*conninfo;
static int64_t		 acc[NACC];
static struct db	*ctl;		/* clock and oracle, real statements */
static struct dmodel	 dm[NDMAX];
static const struct mutant *mut;
static int		 now_s;		/* the model clock */
static int64_t		 maxgen[NACC];
static char		 violation[512];
static long		 runs;

static PGresult *
q(const char *sql, int n, const char *const *p)
{
	PGresult	*r;

	r = PQexecParams(db_conn(ctl), sql, n, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(db_conn(ctl)));
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
q_ok(const char *sql)
{
	PGresult	*r;

	if ((r = q(sql, 0, NULL)) == NULL)
		return 0;
	PQclear(r);
	return 1;
}

/*
 * Prepare "tab" again on "db" under the model's search path
 * (leasemodel first, so its now() wins over pg_catalog's).
 */
static int
reprepare(struct db *db, const struct db_stmt *tab)
{
	PGresult	*r;
	size_t		 i;
	int		 ok = 1;

	r = PQexec(db_conn(db), "DEALLOCATE ALL; SET search_path = "
	    "leasemodel, wadesk, pg_catalog");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	for (i = 0; ok && i < DS__MAX; i++) {
		r = PQprepare(db_conn(db), tab[i].name, tab[i].sql,
		    tab[i].nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "prepare %s: %s", tab[i].name,
			    PQerrorMessage(db_conn(db)));
			ok = 0;
		}
		PQclear(r);
	}
	return ok;
}

/* The statement table of mutant "m" (its changed text in *buf). */
static int
mutate(const struct mutant *m, struct db_stmt *tab, char **buf)
{
	const char	*sql, *at;
	size_t		 n;

	memcpy(tab, daemon_stmts, sizeof(daemon_stmts));
	*buf = NULL;
	if (m->stmt == DS__MAX)
		return 1;
	sql = daemon_stmts[m->stmt].sql;
	if ((at = strstr(sql, m->from)) == NULL ||
	    strstr(at + 1, m->from) != NULL)
		return 0;
	n = strlen(sql) - strlen(m->from) + strlen(m->to) + 1;
	*buf = malloc(n);
	snprintf(*buf, n, "%.*s%s%s", (int)(at - sql), sql, m->to,
	    at + strlen(m->from));
	tab[m->stmt].sql = *buf;
	return 1;
}

static int
trust_s(void)
{

	return LEASE_S * mut->trust_num / mut->trust_den;
}

/* Back to the start: no leases, generation 0, clock at 0. */
static int
reset(int nd)
{
	const char	*p[2];
	char		 a0[24], a1[24];
	PGresult	*r;

	snprintf(a0, sizeof(a0), "%" PRId64, acc[0]);
	snprintf(a1, sizeof(a1), "%" PRId64, acc[1]);
	p[0] = a0;
	p[1] = a1;
	if ((r = q("WITH w AS (UPDATE accounts SET push_name = NULL WHERE "
	    "id IN ($1, $2)) UPDATE account_leases SET owner_daemon = NULL, "
	    "lease_until = NULL, lease_generation = 0 WHERE account_id IN "
	    "($1, $2)", 2, p)) == NULL)
		return 0;
	PQclear(r);
	if (!q_ok("UPDATE leasemodel.clock SET t = base"))
		return 0;
	now_s = 0;
	memset(maxgen, 0, sizeof(maxgen));
	for (int d = 0; d < nd; d++)
		memset(dm[d].a, 0, sizeof(dm[d].a));
	violation[0] = '\0';
	return 1;
}

static int
acc_index(int64_t id)
{

	for (int i = 0; i < NACC; i++)
		if (acc[i] == id)
			return i;
	return -1;
}

static void
adopt(struct held *h, int64_t gen)
{

	if (h->held && h->gen != gen)
		h->last = h->gen;
	h->held = 1;
	h->gen = gen;
	if (h->last == 0)
		h->last = gen;
	h->trust_until = now_s + trust_s();
}

static int
step_claim(int d)
{
	PGresult	*r;
	const char	*p[4];
	char		 owner[24], secs[16];
	int64_t		 id, gen;
	int		 i, k;

	snprintf(owner, sizeof(owner), "%" PRId64, dm[d].id);
	snprintf(secs, sizeof(secs), "%d", LEASE_S);
	p[0] = owner;
	p[1] = secs;
	p[2] = "2";
	p[3] = secs;
	if ((r = db_exec(dm[d].db, DS_LEASE_CLAIM, p)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		if (db_get_int64(r, i, 0, &id) == -1 ||
		    db_get_int64(r, i, 1, &gen) == -1 ||
		    (k = acc_index(id)) == -1)
			continue;
		if (gen <= maxgen[k] && violation[0] == '\0')
			snprintf(violation, sizeof(violation), "daemon %c "
			    "claimed account %d with generation %" PRId64
			    ", not above the %" PRId64 " handed out before",
			    'A' + d, k, gen, maxgen[k]);
		if (gen > maxgen[k])
			maxgen[k] = gen;
		if (dm[d].a[k].held)
			dm[d].a[k].last = dm[d].a[k].gen;
		dm[d].a[k].held = 0;
		adopt(&dm[d].a[k], gen);
	}
	PQclear(r);
	return 0;
}

static int
step_renew(int d)
{
	PGresult	*r;
	const char	*p[2];
	char		 owner[24], secs[16];
	int64_t		 id, gen;
	int		 i, k, seen[NACC] = { 0 };

	snprintf(owner, sizeof(owner), "%" PRId64, dm[d].id);
	snprintf(secs, sizeof(secs), "%d", LEASE_S);
	p[0] = owner;
	p[1] = secs;
	if ((r = db_exec(dm[d].db, DS_LEASE_RENEW, p)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		if (db_get_int64(r, i, 0, &id) == -1 ||
		    db_get_int64(r, i, 1, &gen) == -1 ||
		    (k = acc_index(id)) == -1)
			continue;
		seen[k] = 1;
		adopt(&dm[d].a[k], gen);	/* as lease.c renew() */
	}
	PQclear(r);
	for (k = 0; k < NACC; k++)
		if (!seen[k])
			dm[d].a[k].held = 0;	/* lost */
	return 0;
}

/* The model's name of daemon_instances.id "id" ('-': nobody). */
static char
dname(int64_t id)
{

	for (int d = 0; d < NDMAX; d++)
		if (dm[d].id == id)
			return (char)('A' + d);
	return '-';
}

/* One fenced write of daemon "d" on account "k" with generation "gen". */
static int
write_one(int d, int k, int64_t gen)
{
	PGresult	*r;
	const char	*p[2];
	char		 sid[24], who[48];
	int64_t		 owner = 0, rgen = 0;
	int		 live = 0, allowed, rc;

	snprintf(sid, sizeof(sid), "%" PRId64, acc[k]);
	p[0] = sid;
	/* The oracle: the row as it is (nothing runs in between). */
	if ((r = q("SELECT coalesce(owner_daemon, 0), lease_generation, "
	    "coalesce(lease_until > leasemodel.now(), false) FROM "
	    "account_leases WHERE account_id = $1", 1, p)) == NULL ||
	    PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	(void)db_get_int64(r, 0, 0, &owner);
	(void)db_get_int64(r, 0, 1, &rgen);
	live = db_get_bool(r, 0, 2) == 1;
	PQclear(r);
	allowed = owner == dm[d].id && rgen == gen && live &&
	    gen == maxgen[k];
	if ((rc = db_fence_begin(dm[d].db, acc[k], dm[d].id, gen)) == -1)
		return -1;
	if (rc == 1) {
		snprintf(who, sizeof(who), "%c:%" PRId64, 'A' + d, gen);
		p[1] = who;
		r = PQexecParams(db_conn(dm[d].db), "UPDATE accounts SET "
		    "push_name = $2 WHERE id = $1", 2, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			PQclear(r);
			db_tx_rollback(dm[d].db);
			return -1;
		}
		PQclear(r);
		if (db_tx_commit(dm[d].db) == -1)
			return -1;
	}
	if (violation[0] == '\0' && rc == 1 && !allowed)
		snprintf(violation, sizeof(violation), "a fenced write of "
		    "daemon %c with generation %" PRId64 " on account %d was "
		    "accepted, but the row says owner %c, generation "
		    "%" PRId64 ", lease %s (newest generation %" PRId64 ")",
		    'A' + d, gen, k, dname(owner), rgen, live ? "live" : "run out",
		    maxgen[k]);
	if (violation[0] == '\0' && rc == 0 && allowed)
		snprintf(violation, sizeof(violation), "the holder %c of "
		    "account %d (generation %" PRId64 ", lease live) had its "
		    "write refused", 'A' + d, k, gen);
	return 0;
}

/* Writes for every account with the held and the previous generation. */
static int
step_write(int d)
{
	struct held	*h;

	for (int k = 0; k < NACC; k++) {
		h = &dm[d].a[k];
		if (h->held && write_one(d, k, h->gen) == -1)
			return -1;
		if (h->last != 0 && (!h->held || h->last != h->gen) &&
		    write_one(d, k, h->last) == -1)
			return -1;
	}
	return 0;
}

static int
step_tick(void)
{
	char		 t[16];
	const char	*p[1];
	PGresult	*r;

	now_s += TICK_S;
	snprintf(t, sizeof(t), "%d", now_s);
	p[0] = t;
	if ((r = q("UPDATE leasemodel.clock SET t = base + "
	    "make_interval(secs => $1::int)", 1, p)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* At most one live owner per account (our clocks' view). */
static void
check_owners(int nd)
{
	int	 k, d, first;

	for (k = 0; k < NACC && violation[0] == '\0'; k++) {
		first = -1;
		for (d = 0; d < nd; d++) {
			if (!dm[d].a[k].held || dm[d].a[k].trust_until < now_s)
				continue;
			if (first == -1) {
				first = d;
				continue;
			}
			snprintf(violation, sizeof(violation), "two live "
			    "owners of account %d at %d s: daemon %c "
			    "(generation %" PRId64 ", trusted until %d s) and "
			    "daemon %c (generation %" PRId64 ", trusted until "
			    "%d s)", k, now_s, 'A' + first,
			    dm[first].a[k].gen, dm[first].a[k].trust_until,
			    'A' + d, dm[d].a[k].gen, dm[d].a[k].trust_until);
			break;
		}
	}
}

/* The schedule being built, as actor indexes, and its text. */
static int	 sched[STEPS_MAX];
static char	 sched_text[512];

static void
sched_describe(const struct scenario *sc, int n)
{
	int	 pos[NDMAX + 1] = { 0 }, a;
	size_t	 o = 0;

	sched_text[0] = '\0';
	for (int i = 0; i < n && o < sizeof(sched_text); i++) {
		a = sched[i];
		o += (size_t)snprintf(sched_text + o, sizeof(sched_text) - o,
		    "%s%s%s%s", i ? " " : "", a == sc->ndaemons ? "" :
		    (const char *[]){ "A", "B", "C" }[a],
		    a == sc->ndaemons ? "" : ".",
		    step_names[sc->p[a].s[pos[a]++]]);
	}
}

/* Replay schedule "sched" of length n; 0 clean, 1 violation, -1 error. */
static int
replay(const struct scenario *sc, int n)
{
	int	 pos[NDMAX + 1] = { 0 }, a, rc = 0;

	if (!reset(sc->ndaemons))
		return -1;
	runs++;
	for (int i = 0; i < n && rc == 0; i++) {
		a = sched[i];
		switch (sc->p[a].s[pos[a]++]) {
		case ST_CLAIM:
			rc = step_claim(a);
			break;
		case ST_RENEW:
			rc = step_renew(a);
			break;
		case ST_WRITE:
			rc = step_write(a);
			break;
		case ST_TICK:
			rc = step_tick();
			break;
		}
		if (rc == 0)
			check_owners(sc->ndaemons);
		if (violation[0] != '\0') {
			sched_describe(sc, i + 1);
			return 1;
		}
	}
	return rc;
}

/* Every interleaving of the scenario's programs, depth first. */
static int
explore(const struct scenario *sc, int *left, int depth, int total)
{
	int	 a, rc;

	if (depth == total)
		return replay(sc, total);
	for (a = 0; a <= sc->ndaemons; a++) {
		if (left[a] == 0)
			continue;
		left[a]--;
		sched[depth] = a;
		rc = explore(sc, left, depth + 1, total);
		left[a]++;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Connect the daemons (statement table "tab") and register them. */
static int
daemons_open(const struct db_stmt *tab)
{
	PGresult	*r;
	char		 host[32];
	const char	*p[1];

	for (int d = 0; d < NDMAX; d++) {
		if ((dm[d].db = db_open(conninfo, daemon_stmts, DS__MAX)) ==
		    NULL || !reprepare(dm[d].db, tab))
			return 0;
		snprintf(host, sizeof(host), "leasemodel-%c", 'A' + d);
		p[0] = host;
		if ((r = q("INSERT INTO daemon_instances (hostname, pid, "
		    "capacity) VALUES ($1, 1, 100) RETURNING id", 1, p)) ==
		    NULL)
			return 0;
		(void)db_get_int64(r, 0, 0, &dm[d].id);
		PQclear(r);
	}
	return 1;
}

static void
daemons_close(void)
{

	for (int d = 0; d < NDMAX; d++) {
		db_close(dm[d].db);
		dm[d].db = NULL;
	}
}

/* Run every scenario under mutant "m": 0 clean, 1 violation, -1 error. */
static int
run_all(const struct mutant *m, const struct scenario **where)
{
	struct db_stmt	 tab[DS__MAX];
	char		*buf;
	int		 left[NDMAX + 1], total, rc = 0;
	size_t		 i;

	mut = m;
	if (!mutate(m, tab, &buf)) {
		snprintf(violation, sizeof(violation), "the mutant's text "
		    "\"%s\" is not (once) in %s: the statement changed, "
		    "update the mutant", m->from, daemon_stmts[m->stmt].name);
		return -2;
	}
	if (!daemons_open(tab)) {
		daemons_close();
		free(buf);
		return -1;
	}
	for (i = 0; i < NSCEN && rc == 0; i++) {
		*where = &scenarios[i];
		total = 0;
		for (int a = 0; a <= scenarios[i].ndaemons; a++) {
			left[a] = scenarios[i].p[a].n;
			total += left[a];
		}
		rc = explore(&scenarios[i], left, 0, total);
	}
	daemons_close();
	free(buf);
	return rc;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int
main(int argc, char *argv[])
{
	const struct scenario	*where = NULL;
	struct timespec		 t0;
	size_t			 i;
	int			 rc, passed = 0, failed = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: t_leasemodel CONNINFO ACCOUNT1 "
		    "ACCOUNT2\n");
		return 2;
	}
	log_init("t_leasemodel", LOG_LEVEL_WARN);
	conninfo = argv[1];
	acc[0] = strtoll(argv[2], NULL, 10);
	acc[1] = strtoll(argv[3], NULL, 10);
	if ((ctl = db_open(conninfo, daemon_stmts, DS__MAX)) == NULL ||
	    !reprepare(ctl, daemon_stmts)) {
		printf("FAIL leasemodel-setup\n");
		return 1;
	}
	for (i = 0; i < NMUT; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		runs = 0;
		rc = run_all(&mutants[i], &where);
		if (i == 0) {
			if (rc == 0) {
				printf("ok leasemodel-safety (%ld interleavings "
				    "of the real claim/renew/fence statements "
				    "in %zu scenarios, 0 violations, %ld ms)\n",
				    runs, NSCEN, ms_since(&t0));
				passed++;
			} else {
				printf("FAIL leasemodel-safety\n");
				if (rc == 1)
					printf("    %s: %s\n    after: %s\n",
					    where->name, violation, sched_text);
				failed++;
			}
			continue;
		}
		if (rc == 1) {
			printf("ok leasemodel-mutant-%s-caught (interleaving "
			    "%ld: %s; after %s)\n", mutants[i].name, runs,
			    violation, sched_text);
			passed++;
		} else {
			printf("FAIL leasemodel-mutant-%s-caught\n",
			    mutants[i].name);
			if (rc == 0)
				printf("    the mutant passed %ld interleavings: "
				    "the checker is too weak\n", runs);
			else if (rc == -2)
				printf("    %s\n", violation);
			failed++;
		}
	}
	db_close(ctl);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
