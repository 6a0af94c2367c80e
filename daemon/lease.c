/*
 * Issue 12: several wadeskd share the accounts through leases, one
 * row per account in account_leases (sql/014; sql/008 had them in the
 * accounts rows), coordinated by the PostgreSQL they already use.  The
 * rules:
 *
 *   - An account is run by the daemon whose lease on it holds
 *     (owner_daemon, lease_until > now() on the database clock).  A
 *     daemon renews all its leases in one statement every quarter of
 *     WADESK_LEASE_SECONDS; the rows it gets back are the leases it
 *     has, and any session it runs that is not among them is closed at
 *     once (session_lost()).
 *   - On its own clock it also stops trusting a lease four fifths of
 *     the lease after the last renewal that succeeded (the database
 *     unreachable, or the process paused): its sessions close before
 *     another daemon can have claimed them.
 *   - Every write a daemon makes for an account starts its transaction
 *     with DS_LEASE_FENCE, which locks the row only if owner and
 *     lease_generation (the fencing token, + 1 on every claim) still
 *     match: a daemon that lost the lease, paused or cut off, writes
 *     nothing, and closes the session as soon as a fence refuses it.
 *   - Accounts that need a daemon (rule 9's auto-connect set, and any
 *     with an open command) and that nobody holds are claimed with FOR
 *     UPDATE SKIP LOCKED, up to the fair share (policy_fair_share():
 *     ceil(accounts / live daemons) with equal WADESK_MAX_SESSIONS,
 *     the rest of a small daemon's part spread over the others); a
 *     daemon over its share hands one idle connected session over at
 *     a time, never one mid-pairing.
 *   - A drain (SIGTERM with other daemons alive, or wadeskctl daemon
 *     drain ID) hands every session over one at a time: close the
 *     socket, one step later write the handover and release the lease
 *     (which NOTIFYs the others), so the next owner's login replaces
 *     nothing on the server.
 *   - A daemon restarted on the same host (same boot id and PID
 *     namespace) whose predecessor's pid is gone ends that
 *     predecessor's leases at once instead of waiting them out.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"

/* Lease in ms, renewal interval, and how long our clock trusts one. */
static uint64_t
lease_ms(const struct daemon *d)
{

	return (uint64_t)d->conf.lease_s * 1000;
}

static uint64_t
renew_every_ms(const struct daemon *d)
{

	return lease_ms(d) / 4;
}

static uint64_t
trust_ms(const struct daemon *d)
{

	return lease_ms(d) * 4 / 5;
}

/* Read the first line of "path" into "out" (at most "len" - 1 bytes). */
static void
first_line(const char *path, char *out, size_t len)
{
	FILE	*f;

	out[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/*
 * d->host_key: the kernel's boot id and our PID namespace
 * ("<boot id>/pid:[N]"), so that a pid means the same process to two
 * daemons with the same key.  Empty when either cannot be read (then
 * no predecessor is ever reaped early).
 */
void
lease_host_key(struct daemon *d)
{
	char	 boot[64], ns[64];
	ssize_t	 n;

	d->host_key[0] = '\0';
	first_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	if (boot[0] == '\0' || n <= 0)
		return;
	ns[n] = '\0';
	snprintf(d->host_key, sizeof(d->host_key), "%s/%s", boot, ns);
}

/*
 * After registering: for every other daemon row of this host and host
 * key whose process no longer exists (kill(pid, 0) says ESRCH), end
 * its leases now and delete its row.  Returns the number reaped, or -1
 * on a database error (logged).
 */
int
lease_reap(struct daemon *d, const char *host)
{
	PGresult	*res;
	const char	*p[3];
	char		 sid[24], rid[24];
	int64_t		 id;
	int		 i, n, pid, reaped = 0;

	if (d->host_key[0] == '\0')
		return 0;
	snprintf(sid, sizeof(sid), "%" PRId64, d->instance);
	p[0] = host;
	p[1] = d->host_key;
	p[2] = sid;
	if ((res = db_exec(d->db, DS_INSTANCE_SIBLINGS, p)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (db_get_int64(res, i, 0, &id) == -1 ||
		    db_get_int(res, i, 1, &pid) == -1 || pid <= 0)
			continue;
		if (pid == (int)getpid() || kill(pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(rid, sizeof(rid), "%" PRId64, id);
		p[0] = rid;
		if (db_exec_cmd(d->db, DS_INSTANCE_REAP, p) == 0) {
			log_info("daemon instance %" PRId64 " (pid %d, this "
			    "host) is gone: its leases end now", id, pid);
			reaped++;
		}
	}
	PQclear(res);
	return reaped;
}

/*
 * Begin the write transaction of session "s": BEGIN, then the fence
 * (db_fence_begin()).  Returns 1 (the row is locked and ours: write,
 * then commit), 0 when the lease is lost (rolled back; the caller ends
 * the session), -1 on a database error (logged, rolled back).
 */
int
lease_begin(struct session *s)
{

	if (s->d->db == NULL || s->d->instance == 0)
		return -1;
	return db_fence_begin(s->d->db, s->id, s->d->instance, s->lease_gen);
}

/*
 * Sessions we hold, not counting those on their way out: d->by_id
 * holds exactly those (session.c), and uthash keeps its count.
 */
static int
owned_count(const struct daemon *d)
{

	return (int)HASH_COUNT(d->by_id);
}

/*
 * Renew every lease in one statement.  Sessions the answer does not
 * name are lost; rows it names without a session here (a session our
 * clock gave up while the database still counted it ours) are adopted
 * again.  Returns 0 or -1 (logged).
 */
static int
renew(struct daemon *d, uint64_t now)
{
	PGresult	*res;
	struct session	*s;
	const char	*p[2];
	char		 owner[24], secs[16];
	int64_t		 id, gen;
	int		 i, n;

	snprintf(owner, sizeof(owner), "%" PRId64, d->instance);
	snprintf(secs, sizeof(secs), "%d", d->conf.lease_s);
	p[0] = owner;
	p[1] = secs;
	if ((res = db_exec(d->db, DS_LEASE_RENEW, p)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (db_get_int64(res, i, 0, &id) == -1 ||
		    db_get_int64(res, i, 1, &gen) == -1)
			continue;
		if ((s = session_find(d, id)) != NULL && s->lease_gen == gen)
			s->lease_ms = now;
		else if (s == NULL || s->lease_gen != gen)
			(void)session_adopt(d, id, gen);
	}
	PQclear(res);
	for (s = d->sessions; s != NULL; s = s->next)
		if (!s->gone && s->lease_ms < now)
			session_lost(s);
	d->renew_ms = now;
	return 0;
}

/* Our clock's guard: sessions whose lease we can no longer vouch for. */
static void
guard(struct daemon *d, uint64_t now)
{
	struct session	*s;

	for (s = d->sessions; s != NULL; s = s->next)
		if (!s->gone && now > s->lease_ms + trust_ms(d))
			session_lost(s);
}

/* Give back our open command claims on accounts "ids" ("{1,2}"). */
static void
unclaim(struct daemon *d, const char *ids)
{
	const char	*p[2];
	char		 owner[24];

	snprintf(owner, sizeof(owner), "%" PRId64, d->instance);
	p[0] = owner;
	p[1] = ids;
	(void)db_exec_cmd(d->db, DS_COMMANDS_UNCLAIM, p);
}

/*
 * Our fair share from the fleet's capacities "caps" ("5000,100": the
 * live daemons', as DS_LEASE_FLEET lists them; NULL or empty: ours
 * alone) for "total" accounts.
 */
static int
fair_share(const struct daemon *d, const char *caps, int total)
{
	int		 c[256], n = 0;
	long		 v;
	char		*end;
	const char	*p = caps;

	while (p != NULL && *p != '\0' && n < (int)(sizeof(c) / sizeof(c[0]))) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		c[n++] = v < 0 ? 0 : v > 1000000 ? 1000000 : (int)v;
		p = *end == ',' ? end + 1 : end;
	}
	if (n == 0)
		c[n++] = d->conf.max_sessions;
	return policy_fair_share(total, c, n, d->conf.max_sessions);
}

/*
 * One claim round: settle what dead daemons left (rule 9's sweeps,
 * lease-aware), read the fleet (live daemons, accounts needing one),
 * then claim up to our fair share (fair_share(), within
 * WADESK_MAX_SESSIONS), at most DAEMON_LEASE_BATCH at a time.  A
 * draining daemon claims nothing.
 * Returns the number claimed, or -1 on a database error (logged).
 */
int
lease_claim(struct daemon *d)
{
	PGresult	*res;
	struct buf	 ids;
	const char	*p[4];
	char		 owner[24], secs[16], lim[16], dead[16];
	int64_t		 id, gen, prev;
	uint64_t	 now;
	int		 i, n, share, want, live, total, mine = 0;

	if (d->db == NULL || d->instance == 0 || d->stopping)
		return -1;
	now = mono_ms64();
	d->next_claim_ms = now + DAEMON_CLAIM_MS;
	if (db_exec_cmd(d->db, DS_SWEEP_PENDING, NULL) == -1 ||
	    db_exec_cmd(d->db, DS_SWEEP_LIVE, NULL) == -1)
		return -1;
	snprintf(owner, sizeof(owner), "%" PRId64, d->instance);
	snprintf(secs, sizeof(secs), "%d", d->conf.lease_s);
	snprintf(dead, sizeof(dead), "%d", d->conf.daemon_dead_s);
	p[0] = owner;
	p[1] = dead;
	if ((res = db_exec(d->db, DS_LEASE_FLEET, p)) == NULL)
		return -1;
	if (PQntuples(res) != 1 || db_get_int(res, 0, 0, &live) == -1 ||
	    db_get_int(res, 0, 1, &total) == -1) {
		PQclear(res);
		return -1;
	}
	d->fleet_live = live;
	d->fleet_total = total;
	d->fleet_share = share = fair_share(d, PQgetisnull(res, 0, 2) ?
	    NULL : PQgetvalue(res, 0, 2), total);
	PQclear(res);
	d->owned = owned_count(d);
	if (d->draining)
		return 0;
	if (live < 1)
		live = 1;	/* our own heartbeat is not in yet */
	want = share - d->owned;
	if (want <= 0)
		return 0;
	if (want > DAEMON_LEASE_BATCH)
		want = DAEMON_LEASE_BATCH;
	snprintf(lim, sizeof(lim), "%d", want);
	p[1] = secs;
	p[2] = lim;
	p[3] = dead;
	if ((res = db_exec(d->db, DS_LEASE_CLAIM, p)) == NULL)
		return -1;
	n = PQntuples(res);
	buf_init(&ids);
	for (i = 0; i < n; i++) {
		if (db_get_int64(res, i, 0, &id) == -1 ||
		    db_get_int64(res, i, 1, &gen) == -1)
			continue;
		if (!PQgetisnull(res, i, 2) &&
		    db_get_int64(res, i, 2, &prev) == 0) {
			if (prev != d->instance)
				d->takeovers++;
			if (prev == d->instance)
				buf_printf(&ids, "%s%" PRId64,
				    mine++ == 0 ? "{" : ",", id);
		}
		(void)session_adopt(d, id, gen);
	}
	PQclear(res);
	if (mine > 0) {
		buf_putc(&ids, '}');
		unclaim(d, buf_str(&ids));
	}
	buf_free(&ids);
	if (n > 0)
		log_info("claimed %d account(s): %d held, fair share %d of "
		    "%d over %d daemon(s)", n, owned_count(d), share, total,
		    live);
	d->owned = owned_count(d);
	if (n > 0)
		d->next_scan_ms = 0;	/* their commands, now */
	return n;
}

/*
 * Release the lease of the session handed over one step ago (writing
 * "connecting, handover" first when it was connected), in one fenced
 * transaction; the session goes with the next tick.
 */
static void
release(struct daemon *d, struct session *s)
{
	const char	*p[3];
	char		 sid[24], owner[24], gen[24];
	int		 rc;

	d->handing = NULL;
	if (s->gone)
		return;
	if ((rc = lease_begin(s)) != 1) {
		if (rc == 0)
			session_lost(s);
		return;		/* a database error: the lease runs out */
	}
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	snprintf(owner, sizeof(owner), "%" PRId64, d->instance);
	snprintf(gen, sizeof(gen), "%" PRId64, s->lease_gen);
	p[0] = sid;
	p[1] = owner;
	p[2] = gen;
	if ((s->handover &&
	    db_exec_cmd(d->db, DS_ACCOUNT_HANDOVER, p) == -1) ||
	    db_exec_cmd(d->db, DS_LEASE_RELEASE, p) == -1 ||
	    db_tx_commit(d->db) == -1) {
		db_tx_rollback(d->db);
		return;
	}
	session_set_gone(s);
	s->handover = 0;
}

/*
 * One handover: release the previous one, then close the next session
 * that can go ("drain": any; else one idle connected session).
 * Returns 1 when a session was closed for handing over, 0 when none
 * could be (some may be busy), -1 when none is left at all.
 */
static int
handover_step(struct daemon *d, int drain)
{
	struct session	*s;
	int		 left = 0, rc;

	if (d->handing != NULL)
		release(d, d->handing);
	if (d->db == NULL)
		return 0;
	for (s = d->sessions; s != NULL; s = s->next) {
		if (s->gone)
			continue;
		left++;
		if ((rc = session_handoff(s, drain)) == -1)
			continue;
		d->handing = s;
		return 1;
	}
	return left == 0 ? -1 : 0;
}

/* The drain timer: one handover per DAEMON_DRAIN_STEP_US. */
static void
drain_step(lws_sorted_usec_list_t *sul)
{
	struct daemon	*d = lws_container_of(sul, struct daemon, drain_sul);

	if (d->drained)
		return;
	if (mono_ms64() > d->drain_end_ms) {
		log_warnx("drain: not every session could be handed over "
		    "in %d s; the rest are stopped", DAEMON_DRAIN_MAX_MS / 1000);
		d->drained = 1;
		return;
	}
	if (handover_step(d, 1) == -1 && d->handing == NULL) {
		log_info("drain: every session handed over");
		d->drained = 1;
		return;
	}
	lws_sul_schedule(d->ctx, 0, &d->drain_sul, drain_step,
	    DAEMON_DRAIN_STEP_US);
}

/*
 * Start handing every session over (SIGTERM with other daemons alive,
 * or draining set by wadeskctl).  Marks us draining in the database
 * (through the heartbeat) so the others stop counting us; d->drained
 * is set when done, and main.c then exits.  With no other daemon to
 * take over, d->drained is set at once (rule 9's stop, as before).
 */
void
lease_drain_start(struct daemon *d)
{
	int	 others;

	if (d->draining)
		return;
	/* Fresh fleet figures; we are still counted among the live. */
	others = lease_claim(d) == -1 ? 0 : d->fleet_live - 1;
	d->draining = 1;
	if (d->db == NULL || others < 1) {
		log_info("drain: no other daemon takes sessions; stopping");
		d->drained = 1;
		return;
	}
	d->next_beat_ms = 0;		/* tell the others at once */
	log_info("drain: handing %d session(s) over to %d other daemon(s)",
	    owned_count(d), others);
	d->drain_end_ms = mono_ms64() + DAEMON_DRAIN_MAX_MS;
	lws_sul_schedule(d->ctx, 0, &d->drain_sul, drain_step, 1);
}

/* Clean exit, after session_close_all() wrote the rows. */
void
lease_release_all(struct daemon *d)
{
	const char	*p[1];
	char		 owner[24];

	lws_sul_cancel(&d->drain_sul);
	if (d->db == NULL || d->instance == 0)
		return;
	snprintf(owner, sizeof(owner), "%" PRId64, d->instance);
	p[0] = owner;
	(void)db_exec_cmd(d->db, DS_LEASE_RELEASE_ALL, p);
}

/* Our fair share from the last claim round's figures. */
static int
share_now(const struct daemon *d)
{

	return d->fleet_share;
}

/*
 * The fair-share timer: while over our share, one idle session per
 * DAEMON_DRAIN_STEP_US (closed, released a step later).
 */
static void
rebalance_step(lws_sorted_usec_list_t *sul)
{
	struct daemon	*d = lws_container_of(sul, struct daemon, drain_sul);

	if (d->draining || d->stopping)
		return;
	if (d->handing != NULL)
		release(d, d->handing);
	if (d->fleet_live < 2 || owned_count(d) <= share_now(d) ||
	    handover_step(d, 0) != 1) {
		if (d->handing != NULL)
			lws_sul_schedule(d->ctx, 0, &d->drain_sul,
			    rebalance_step, DAEMON_DRAIN_STEP_US);
		return;
	}
	lws_sul_schedule(d->ctx, 0, &d->drain_sul, rebalance_step,
	    DAEMON_DRAIN_STEP_US);
}

/*
 * From main.c's tick: renew every quarter lease, the clock guard when
 * renewals fail, a claim round every DAEMON_CLAIM_MS, and while over
 * our share the fair-share timer (rebalance_step()).
 */
void
lease_tick(struct daemon *d)
{
	uint64_t	 now;

	now = mono_ms64();
	if (d->db != NULL && d->instance != 0 && now >= d->next_renew_ms) {
		d->next_renew_ms = now + renew_every_ms(d);
		(void)renew(d, now);
	}
	if (d->renew_ms == 0 || now > d->renew_ms + renew_every_ms(d))
		guard(d, now);
	if (d->db == NULL || d->instance == 0 || d->stopping)
		return;
	if (now >= d->next_claim_ms)
		(void)lease_claim(d);
	if (d->draining || d->db == NULL || d->fleet_live < 2)
		return;
	if (owned_count(d) > share_now(d) &&
	    !lws_dll2_is_detached(&d->drain_sul.list))
		return;		/* already stepping */
	if (owned_count(d) > share_now(d))
		lws_sul_schedule(d->ctx, 0, &d->drain_sul, rebalance_step, 1);
}
