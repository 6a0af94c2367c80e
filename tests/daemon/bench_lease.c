/*
 * bench_lease: the cost of one lease renewal tick (issue 12), the
 * daemon's own DS_LEASE_RENEW (daemon/db_daemon.c) for a daemon that
 * holds every lease of daemon_instances.id OWNER, ROUNDS times at
 * WADESK_LEASE_SECONDS / 4 intervals scaled down to GAP_MS, timed on
 * the client (one round trip over the local socket, so the database's
 * time plus a little), and by the CPU time the database backend
 * spent (its /proc stat, when it runs on this machine: a figure a
 * loaded machine inflates less than the wall clock).  Run by
 * tests/daemon/fleet_bench.sh, which makes the accounts.
 *
 * usage: bench_lease CONNINFO OWNER ROUNDS GAP_MS [SQL]
 * SQL, when given, is timed instead of DS_LEASE_RENEW (same two
 * parameters: owner, seconds), to compare another lease layout.
 * Prints "rows N median M p95 P max X cpu C" (milliseconds; C is the
 * backend's mean CPU per renewal, -1 when unreadable); exit 1 when a
 * renewal failed or renewed another number of rows than the first.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static double
now_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* utime + stime of process "pid" in clock ticks, or -1. */
static long
cpu_ticks(int pid)
{
	FILE		*f;
	char		 path[64], buf[1024], *p;
	unsigned long	 ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* After "pid (comm) ": state is field 3, utime 14, stime 15. */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct db		*db;
	PGresult		*r;
	const char		*p[2];
	struct timespec		 gap;
	double			*ms, t0;
	long			 c0, c1;
	int			 rounds, i, rows = -1, pid;

	if ((argc != 5 && argc != 6) || (rounds = atoi(argv[3])) < 1 ||
	    rounds > 10000) {
		fprintf(stderr, "usage: bench_lease CONNINFO OWNER ROUNDS "
		    "GAP_MS [SQL]\n");
		return 2;
	}
	log_init("bench_lease", LOG_LEVEL_WARN);
	if ((db = db_open(argv[1], daemon_stmts, DS__MAX)) == NULL)
		return 1;
	gap.tv_sec = atoi(argv[4]) / 1000;
	gap.tv_nsec = (long)(atoi(argv[4]) % 1000) * 1000000;
	ms = calloc((size_t)rounds, sizeof(*ms));
	p[0] = argv[2];
	p[1] = "30";
	pid = PQbackendPID(db_conn(db));
	c0 = cpu_ticks(pid);
	for (i = 0; i < rounds; i++) {
		nanosleep(&gap, NULL);
		t0 = now_ms();
		if (argc == 6) {
			r = PQexecParams(db_conn(db), argv[5], 2, NULL, p,
			    NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_TUPLES_OK) {
				fprintf(stderr, "%s", PQerrorMessage(
				    db_conn(db)));
				return 1;
			}
		} else if ((r = db_exec(db, DS_LEASE_RENEW, p)) == NULL)
			return 1;
		ms[i] = now_ms() - t0;
		if (rows == -1)
			rows = PQntuples(r);
		if (PQntuples(r) != rows) {
			fprintf(stderr, "renewal %d renewed %d rows, the first "
			    "%d\n", i, PQntuples(r), rows);
			return 1;
		}
		PQclear(r);
	}
	c1 = cpu_ticks(pid);
	qsort(ms, (size_t)rounds, sizeof(*ms), cmp);
	printf("rows %d median %.1f p95 %.1f max %.1f cpu %.1f\n", rows,
	    ms[rounds / 2], ms[rounds * 95 / 100], ms[rounds - 1],
	    c0 < 0 || c1 < 0 ? -1.0 :
	    (double)(c1 - c0) * 1000 / sysconf(_SC_CLK_TCK) / rounds);
	free(ms);
	db_close(db);
	return 0;
}
