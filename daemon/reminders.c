/*
 * The reminder scheduler (issue 11, sql/019_reminders.sql).  The
 * daemon that holds an account's lease fires its reminders and sends
 * each run, one group at a time, through send_text command rows.
 *
 * A pass (reminders_kick(): a NOTIFY wadesk_reminders, the end of a
 * reminder's send, an operator's command; else the timer) does three
 * things:
 *
 *  1. Claim.  In one transaction, the due active reminders of the
 *     accounts we hold (next_fire_at <= wall_now(), FOR UPDATE SKIP
 *     LOCKED, the lease row locked as DS_LEASE_FENCE does and its
 *     generation compared with the session's) each get one run for
 *     the occurrence (the unique (reminder_id, scheduled_for) makes
 *     that "ever"), a snapshot of their groups as the run's targets,
 *     and their next occurrence (recur_next(), strictly after this
 *     one; none: ended).  An occurrence older than the grace
 *     (WADESK_REMINDER_GRACE_S) is not sent: one 'missed' run, and the
 *     reminder moves on to the first occurrence after wall_now().  An
 *     account that is not connected gets a 'failed' run and keeps its
 *     schedule.
 *  2. Drive.  Each running run of ours: the first pending target (in
 *     position order) gets the reminder's messages in order, each a
 *     send_text row with client_id "reminder:<run>:<jid>:<position>"
 *     queued only when the previous one was sent (ON CONFLICT DO
 *     NOTHING: a restart or a kill -9 never queues one twice, and a
 *     queued one is sent once by send.c's idempotency); its result
 *     makes the target sent or failed.  Before a target's first
 *     message, a delivery window that has closed (wall_now() past
 *     recur_window_end() of the occurrence) pauses the run and the
 *     reminder, unless the operator resumed the run.  No pending
 *     target left: the run ends (success, partial or failed), with an
 *     account_events row "reminder.run".
 *  3. Timer.  The next pass is in 1 s while any run is running (the
 *     sends' ends kick it sooner), else at the earliest next_fire_at
 *     of our accounts' reminders, at most DAEMON_REM_IDLE_MS away (a
 *     lease claimed meanwhile brings new reminders).
 *
 * "Now" is always wall_now() in SQL, never this process's clock, so a
 * test can move it.  The state lives in the tables, not here: a
 * restarted daemon (or the next owner) carries on where the rows say.
 * Every write is fenced by the account's lease (lease_begin()).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"
#include "reason.h"
#include "recur.h"
#include "xalloc.h"

#define	REM_CLAIM_BATCH		"50"	/* reminders claimed per query */
#define	REM_CLAIM_ROUNDS	20	/* claim queries per pass at most */
#define	REM_BUSY_MS		1000	/* pass interval while running */
#define	REM_IDLE_MS		30000	/* longest wait between passes */
#define	REM_STEPS		512	/* targets settled per run per pass */
#define	REM_MISSED_BATCH	64	/* occurrences asked per recur_next */
#define	REM_MISSED_ROUNDS	16	/* ... at most this often */

static const char	 rem_canceled[] = "Canceled by the operator.";

static void	rem_timer_cb(struct ev_loop *, ev_timer *, int);

/* "%lld" of v into buf (24 bytes). */
static const char *
i64(char *buf, int64_t v)
{

	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}

/* (Re)arm the pass timer "ms" milliseconds from now (0: at once). */
static void
timer_arm(struct daemon *d, uint64_t ms)
{

	if (d->loop == NULL || d->rem_timer_init == -1)
		return;
	if (d->rem_timer_init == 0) {
		ev_timer_init(&d->rem_timer, rem_timer_cb, 0., 0.);
		d->rem_timer.data = d;
		d->rem_timer_init = 1;
	}
	ev_timer_stop(d->loop, &d->rem_timer);
	if (ms > 0)
		ev_now_update(d->loop);	/* relative to now, not the
					   loop's start */
	ev_timer_set(&d->rem_timer, (double)ms / 1000., 0.);
	ev_timer_start(d->loop, &d->rem_timer);
}

/*
 * Ask for a pass as soon as the loop is back (a zero delay timer, so
 * that callers deep in send.c or intake.c never re-enter the
 * scheduler).  Safe to call at any time; nothing once stopping.
 */
void
reminders_kick(struct daemon *d)
{

	if (d->stopping)
		return;
	d->rem_due_ms = 0;
	timer_arm(d, 0);
}

/* Shutdown, before the loop goes: no pass after this. */
void
reminders_stop(struct daemon *d)
{

	if (d->rem_timer_init == 1 && d->loop != NULL)
		ev_timer_stop(d->loop, &d->rem_timer);
	d->rem_timer_init = -1;
}

/*
 * Begin a write transaction for session s (lease_begin()).  1: go on
 * (commit or roll back), 0: the lease is lost (s is ended with
 * session_lost(): do not use it), -1: database error.
 */
static int
fence(struct session *s)
{
	int	 rc;

	if ((rc = lease_begin(s)) == 0)
		session_lost(s);
	return rc;
}

/* "2026-12-05T09:00 Europe/Berlin" for t in zone tz, into out. */
static void
when(const char *tz, int64_t t, char *out, size_t outsz)
{
	char	 local[32];

	if (recur_utc_to_local(tz, t, local, sizeof(local)) == -1)
		snprintf(out, outsz, "%" PRId64 " (Unix time)", t);
	else
		snprintf(out, outsz, "%s %s", local, tz);
}

/*
 * The account_events row of a run's end: kind "reminder.run", detail
 * {reminder (null once deleted), run, status, sent, total}.  Inside
 * the caller's transaction.  0 or -1.
 */
static int
run_event(struct daemon *d, int64_t account, int64_t reminder, int64_t run,
    const char *status, int sent, int total)
{
	struct json_object	*o;
	const char		*p[3];
	char			 sid[24];
	int			 rc;

	o = json_object_new_object();
	json_object_object_add(o, "reminder", reminder != 0 ?
	    json_object_new_int64(reminder) : NULL);
	json_object_object_add(o, "run", json_object_new_int64(run));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "sent", json_object_new_int(sent));
	json_object_object_add(o, "total", json_object_new_int(total));
	p[0] = i64(sid, account);
	p[1] = "reminder.run";
	p[2] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = db_exec_cmd(d->db, DS_EVENT_INSERT, p);
	json_object_put(o);
	return rc;
}

/*
 * The next occurrence strictly after "after" of the reminder (zone
 * tz, first fire, rule) into *next; 0 when there is one, 1 when there
 * is none (or the rule cannot be read: logged, so the reminder ends
 * rather than fires forever).
 */
static int
next_after(int64_t id, const char *tz, int64_t first, const char *rrule,
    int64_t after, int64_t *next)
{
	const char	*why = NULL;
	int		 n;

	n = recur_next(tz, first, rrule, after, next, 1, &why);
	if (n == -1) {
		log_warnx("reminder %" PRId64 ": %s; it ends here", id,
		    why != NULL ? why : "bad rule or zone");
		return 1;
	}
	return n == 1 && *next > after ? 0 : 1;
}

/*
 * The occurrences in [sched, now] (sched is one): how many, up to
 * REM_MISSED_BATCH * REM_MISSED_ROUNDS (*more set when there may be
 * more).
 */
static int
missed_count(const char *tz, int64_t first, const char *rrule, int64_t sched,
    int64_t now, int *more)
{
	int64_t		 o[REM_MISSED_BATCH], after = sched;
	const char	*why;
	int		 i, n, round, count = 1;

	*more = 0;
	for (round = 0; round < REM_MISSED_ROUNDS; round++) {
		n = recur_next(tz, first, rrule, after, o, REM_MISSED_BATCH,
		    &why);
		if (n <= 0)
			return count;
		for (i = 0; i < n; i++) {
			if (o[i] > now)
				return count;
			count++;
		}
		if (n < REM_MISSED_BATCH)
			return count;
		after = o[n - 1];
	}
	*more = 1;
	return count;
}

/*
 * Insert the run of reminder "id"'s due occurrence with status
 * "status" and summary "summary", and its targets (target status
 * "tstatus", error "terror"); an ended run gets its event.  Inside the
 * claim's transaction.  0 (also when the occurrence had its run
 * already) or -1.
 */
static int
run_insert(struct daemon *d, int64_t id, int64_t account, const char *status,
    const char *summary, const char *tstatus, const char *terror)
{
	PGresult	*res;
	const char	*p[5];
	char		 sid[24], srun[24], sacc[24];
	int64_t		 run;
	int		 total = 0, rc;

	p[0] = i64(sid, id);
	p[1] = status;
	p[2] = summary;
	if ((res = db_exec(d->db, DS_REM_RUN_INSERT, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		log_info("reminder %" PRId64 ": this occurrence has its run "
		    "already", id);
		return 0;
	}
	rc = db_get_int64(res, 0, 0, &run);
	if (rc == 0)
		(void)db_get_int(res, 0, 1, &total);
	PQclear(res);
	if (rc == -1)
		return -1;
	p[0] = i64(srun, run);
	p[1] = sid;
	p[2] = i64(sacc, account);
	p[3] = tstatus;
	p[4] = terror;
	if (db_exec_cmd(d->db, DS_REM_RUN_TARGETS, p) == -1)
		return -1;
	if (strcmp(status, "running") != 0 &&
	    run_event(d, account, id, run, status, 0, total) == -1)
		return -1;
	log_info("reminder %" PRId64 ": run %" PRId64 " %s (%d groups)", id,
	    run, status, total);
	return 0;
}

/*
 * Fire claimed row i of "res" (DS_REM_CLAIM's columns): a run for its
 * occurrence and the reminder moved on.  Inside the claim's
 * transaction.  1 when fired, 0 when the row is not ours after all
 * (left alone), -1 on a database error.
 */
static int
fire_one(struct daemon *d, PGresult *res, int i)
{
	struct session	*s;
	const char	*p[3], *tz, *rrule, *astatus;
	char		 sid[24], snext[24], buf[96], at[96], nx[160];
	char		*summary = NULL;
	int64_t		 id, account, gen, first, sched, now, next = 0;
	int		 none, missed, more, rc;

	if (db_get_int64(res, i, 0, &id) == -1 ||
	    db_get_int64(res, i, 1, &account) == -1 ||
	    db_get_int64(res, i, 2, &gen) == -1 ||
	    db_get_int64(res, i, 4, &first) == -1 ||
	    db_get_int64(res, i, 6, &sched) == -1 ||
	    db_get_int64(res, i, 7, &now) == -1)
		return -1;
	/* Ours only at the generation our session holds. */
	if ((s = session_find(d, account)) == NULL || s->gone ||
	    s->lease_gen != gen)
		return 0;
	tz = PQgetvalue(res, i, 3);
	rrule = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5);
	astatus = PQgetvalue(res, i, 8);

	if (sched < now - d->conf.reminder_grace_s) {
		/* Missed: nothing sent, one run, on from now. */
		missed = missed_count(tz, first, rrule, sched, now, &more);
		none = next_after(id, tz, first, rrule, now, &next);
		when(tz, sched, at, sizeof(at));
		if (none)
			snprintf(nx, sizeof(nx), "the reminder has no later "
			    "occurrence, so it has ended");
		else {
			when(tz, next, buf, sizeof(buf));
			snprintf(nx, sizeof(nx), "the next one is on %s", buf);
		}
		summary = xasprintf("%s%d occurrence%s (%s %s) %s missed: no "
		    "daemon ran the account then, and the reminder was more "
		    "than %d s late when one found it due, so nothing was "
		    "sent; %s.", more ? "More than " : "", missed,
		    missed == 1 ? "" : "s", missed == 1 ? "on" : "the first on",
		    at, missed == 1 && !more ? "was" : "were",
		    d->conf.reminder_grace_s, nx);
		rc = run_insert(d, id, account, "missed", summary, "skipped",
		    "Not sent: the occurrence was missed (see the run).");
	} else {
		none = next_after(id, tz, first, rrule, sched, &next);
		if (strcmp(astatus, "connected") != 0) {
			summary = xasprintf("The account was not connected "
			    "(status: %s) when the reminder fired; it fires "
			    "again at its next time.", astatus);
			rc = run_insert(d, id, account, "failed", summary,
			    "failed", summary);
		} else
			rc = run_insert(d, id, account, "running", NULL,
			    "pending", NULL);
	}
	free(summary);
	if (rc == -1)
		return -1;
	p[0] = i64(sid, id);
	p[1] = none ? NULL : i64(snext, next);
	p[2] = sched < now - d->conf.reminder_grace_s ? "false" : "true";
	return db_exec_cmd(d->db, DS_REM_ADVANCE, p) == -1 ? -1 : 1;
}

/*
 * Claim and fire one batch of due reminders in one transaction.
 * Returns how many were fired (a row of a lease generation our session
 * does not hold is left alone), or -1 (rolled back).
 */
static int
claim_due(struct daemon *d)
{
	PGresult	*res;
	const char	*p[2];
	char		 sid[24];
	int		 i, n, rc, fired = 0;

	if (db_tx_begin(d->db) == -1)
		return -1;
	p[0] = i64(sid, d->instance);
	p[1] = REM_CLAIM_BATCH;
	if ((res = db_exec(d->db, DS_REM_CLAIM, p)) == NULL) {
		db_tx_rollback(d->db);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if ((rc = fire_one(d, res, i)) == -1) {
			PQclear(res);
			db_tx_rollback(d->db);
			log_warnx("due reminders not fired; retried");
			return -1;
		}
		fired += rc;
	}
	PQclear(res);
	if (db_tx_commit(d->db) == -1)
		return -1;
	return fired;
}

/*
 * Lift the reminder of a run the operator resumed or canceled: a
 * paused one becomes active from its next occurrence after wall_now()
 * (none: ended).  Inside the caller's transaction.  0 or -1.
 */
static int
lift(struct daemon *d, int64_t reminder)
{
	PGresult	*res;
	const char	*p[2];
	char		 sid[24], snext[24], *tz, *rrule;
	int64_t		 first, now, next;
	int		 none, paused;

	if (reminder == 0)
		return 0;
	p[0] = i64(sid, reminder);
	if ((res = db_exec(d->db, DS_REM_GET, p)) == NULL)
		return -1;
	if (PQntuples(res) != 1 || db_get_int64(res, 0, 1, &first) == -1 ||
	    db_get_int64(res, 0, 3, &now) == -1) {
		PQclear(res);
		return 0;
	}
	paused = strcmp(PQgetvalue(res, 0, 4), "paused") == 0;
	tz = db_get_text(res, 0, 0);
	rrule = db_get_text(res, 0, 2);
	PQclear(res);
	none = !paused || next_after(reminder, tz, first, rrule, now, &next);
	free(tz);
	free(rrule);
	if (!paused)
		return 0;
	p[1] = none ? NULL : i64(snext, next);
	return db_exec_cmd(d->db, DS_REM_LIFT, p);
}

/* Run "run"'s target counts; 0 or -1. */
static int
counts(struct daemon *d, int64_t run, int c[5])
{
	PGresult	*res;
	const char	*p[1];
	char		 sid[24];
	int		 i, rc = 0;

	p[0] = i64(sid, run);
	if ((res = db_exec(d->db, DS_REM_RUN_COUNTS, p)) == NULL)
		return -1;
	for (i = 0; i < 5; i++)
		if (PQntuples(res) != 1 || db_get_int(res, 0, i, &c[i]) == -1)
			rc = -1;
	PQclear(res);
	return rc;
}

#define	C_SENT		0
#define	C_FAILED	1
#define	C_SKIPPED	2
#define	C_PENDING	3
#define	C_TOTAL		4

/*
 * End run "run" (no target pending any more, or canceled: "why" is
 * the operator's reason then): status from the counts, summary, event,
 * and the reminder lifted when "lifting".  Inside the caller's
 * transaction.  0 or -1.
 */
static int
run_end(struct daemon *d, int64_t account, int64_t reminder, int64_t run,
    int lifting, const char *why)
{
	const char	*p[4], *status;
	char		 sid[24], *summary = NULL;
	int		 c[5];

	if (counts(d, run, c) == -1)
		return -1;
	if (c[C_TOTAL] == 0) {
		status = "failed";
		summary = xstrdup("The reminder had no groups to send to; add "
		    "groups to it.");
	} else if (c[C_SENT] == c[C_TOTAL])
		status = "success";
	else {
		status = c[C_SENT] > 0 ? "partial" : "failed";
		summary = xasprintf("%s%d of %d group%s %s not sent (%d "
		    "failed, %d skipped); each group's line says why.",
		    why != NULL ? why : "", c[C_TOTAL] - c[C_SENT],
		    c[C_TOTAL], c[C_TOTAL] == 1 ? "" : "s",
		    c[C_TOTAL] - c[C_SENT] == 1 ? "was" : "were",
		    c[C_FAILED], c[C_SKIPPED]);
	}
	p[0] = i64(sid, run);
	p[1] = status;
	p[2] = summary;
	p[3] = "true";
	if (db_exec_cmd(d->db, DS_REM_RUN_END, p) == -1 ||
	    run_event(d, account, reminder, run, status, c[C_SENT],
	    c[C_TOTAL]) == -1 || (lifting && lift(d, reminder) == -1)) {
		free(summary);
		return -1;
	}
	log_info("run %" PRId64 ": %s, %d of %d groups sent", run, status,
	    c[C_SENT], c[C_TOTAL]);
	free(summary);
	return 0;
}

/*
 * The window of run "run" closed before its next target: the run
 * pauses ('failed' when nothing was sent), and so does the reminder.
 * Fenced.  0, or -1 (nothing written).
 */
static int
run_pause(struct session *s, int64_t reminder, int64_t run, const char *tz,
    int64_t end)
{
	struct daemon	*d = s->d;
	const char	*p[4], *status;
	char		 sid[24], srem[24], at[96], *summary;
	int		 c[5], rc;

	if ((rc = fence(s)) != 1)
		return -1;
	if (counts(d, run, c) == -1) {
		db_tx_rollback(d->db);
		return -1;
	}
	when(tz, end, at, sizeof(at));
	status = c[C_SENT] > 0 ? "paused" : "failed";
	summary = xasprintf("The delivery window closed at %s with %d of %d "
	    "group%s still to send%s; resume the run to send to them now, or "
	    "cancel it.", at, c[C_PENDING], c[C_TOTAL], c[C_TOTAL] == 1 ?
	    "" : "s", c[C_SENT] > 0 ? "" : " and none sent");
	p[0] = i64(sid, run);
	p[1] = status;
	p[2] = summary;
	p[3] = c[C_SENT] > 0 ? "false" : "true";
	rc = db_exec_cmd(d->db, DS_REM_RUN_END, p);
	free(summary);
	p[0] = i64(srem, reminder);
	p[1] = sid;
	if (rc == -1 || db_exec_cmd(d->db, DS_REM_PAUSE, p) == -1 ||
	    run_event(d, s->id, reminder, run, status, c[C_SENT],
	    c[C_TOTAL]) == -1 || db_tx_commit(d->db) == -1) {
		db_tx_rollback(d->db);
		return -1;
	}
	log_info("run %" PRId64 ": window closed, %s with %d groups pending",
	    run, status, c[C_PENDING]);
	return 0;
}

/* Target "jid" of run "run" settled: status, message id, error.
 * Fenced.  0 or -1. */
static int
target_done(struct session *s, int64_t run, const char *jid,
    const char *status, const char *mid, const char *error)
{
	const char	*p[5];
	char		 sid[24];

	if (fence(s) != 1)
		return -1;
	p[0] = i64(sid, run);
	p[1] = jid;
	p[2] = status;
	p[3] = mid;
	p[4] = error;
	if (db_exec_cmd(s->d->db, DS_REM_TARGET_DONE, p) == -1 ||
	    db_tx_commit(s->d->db) == -1) {
		db_tx_rollback(s->d->db);
		return -1;
	}
	return 0;
}

/* What one step found the run's next move to be. */
enum	step {
	STEP_WAIT,		/* a message is queued or in flight */
	STEP_AGAIN,		/* a target settled: the next one */
	STEP_DONE		/* the run ended, paused or is not ours */
};

/*
 * Settle or advance the first pending target "jid" of run "run" (its
 * reminder's messages and their command rows): queue the next
 * message, or mark the target sent or failed.  "window_end" (Unix s,
 * 0: none) is checked before the target's first message.  "*queued"
 * is set when a command row went in.
 */
static enum step
target_step(struct session *s, int64_t run, int64_t reminder, int64_t op,
    const char *jid, const char *tz, int64_t window_end, int64_t now,
    int *queued)
{
	struct daemon	*d = s->d;
	PGresult	*res;
	struct buf	 b;
	const char	*p[5];
	char		 srem[24], sacc[24], sop[24], pfx[192], cid[224];
	char		*mid = NULL;
	int		 i, n, rc;
	enum step	 st;

	snprintf(pfx, sizeof(pfx), "reminder:%" PRId64 ":%s:", run, jid);
	p[0] = i64(srem, reminder);
	p[1] = i64(sacc, s->id);
	p[2] = pfx;
	if ((res = db_exec(d->db, DS_REM_TARGET_MSGS, p)) == NULL)
		return STEP_DONE;
	if ((n = PQntuples(res)) == 0) {
		PQclear(res);
		return target_done(s, run, jid, "failed", NULL, "The reminder "
		    "has no messages, so nothing was sent to this group.") ==
		    0 ? STEP_AGAIN : STEP_DONE;
	}
	for (i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 2)) {
			/* Not queued yet: the window first, then queue it. */
			if (i == 0 && window_end != 0 && now >= window_end) {
				PQclear(res);
				free(mid);
				(void)run_pause(s, reminder, run, tz,
				    window_end);
				return STEP_DONE;
			}
			snprintf(cid, sizeof(cid), "%s%s", pfx,
			    PQgetvalue(res, i, 0));
			p[0] = sacc;
			p[1] = op != 0 ? i64(sop, op) : NULL;
			p[2] = jid;
			p[3] = PQgetvalue(res, i, 1);
			p[4] = cid;
			rc = fence(s);
			if (rc == 1 && (db_exec_cmd(d->db, DS_REM_CMD_INSERT,
			    p) == -1 || db_tx_commit(d->db) == -1)) {
				db_tx_rollback(d->db);
				rc = -1;
			}
			PQclear(res);
			free(mid);
			if (rc != 1)
				return STEP_DONE;
			*queued = 1;
			return STEP_WAIT;
		}
		if (!db_get_bool(res, i, 3)) {
			PQclear(res);
			free(mid);
			return STEP_WAIT;
		}
		if (PQgetisnull(res, i, 4)) {
			/* Refused: the sentence for its reason code. */
			buf_init(&b);
			reason_write(&b, PQgetisnull(res, i, 5) ? NULL :
			    PQgetvalue(res, i, 5), NULL);
			PQclear(res);
			free(mid);
			st = target_done(s, run, jid, "failed", NULL,
			    buf_str(&b)) == 0 ? STEP_AGAIN : STEP_DONE;
			buf_free(&b);
			return st;
		}
		free(mid);
		mid = db_get_text(res, i, 6);
	}
	PQclear(res);
	st = target_done(s, run, jid, "sent", mid, NULL) == 0 ? STEP_AGAIN :
	    STEP_DONE;
	free(mid);
	return st;
}

/*
 * Drive run "run" of account "account" as far as it goes without
 * waiting.  "*queued" is set when a send_text row went in.
 */
static void
run_step(struct daemon *d, int64_t run, int64_t account, int *queued)
{
	struct session	*s;
	PGresult	*res;
	const char	*p[1], *q[2], *why;
	char		 sid[24], *tz = NULL, *jid = NULL;
	int64_t		 reminder, sched, now, op, end;
	int		 steps, hour, resumed, rc;
	enum step	 st = STEP_AGAIN;

	for (steps = 0; steps < REM_STEPS && st == STEP_AGAIN; steps++) {
		if ((s = session_find(d, account)) == NULL || s->gone ||
		    d->db == NULL)
			return;
		p[0] = i64(sid, run);
		if ((res = db_exec(d->db, DS_REM_RUN_STATE, p)) == NULL)
			return;
		if (PQntuples(res) != 1 ||
		    strcmp(PQgetvalue(res, 0, 0), "running") != 0) {
			PQclear(res);
			return;
		}
		reminder = op = 0;
		if (!PQgetisnull(res, 0, 1))
			(void)db_get_int64(res, 0, 1, &reminder);
		if (!PQgetisnull(res, 0, 9))
			(void)db_get_int64(res, 0, 9, &op);
		if (db_get_int64(res, 0, 3, &sched) == -1 ||
		    db_get_int64(res, 0, 7, &now) == -1) {
			PQclear(res);
			return;
		}
		resumed = db_get_bool(res, 0, 6);
		hour = 0;
		if (!PQgetisnull(res, 0, 5))
			(void)db_get_int(res, 0, 5, &hour);
		tz = db_get_text(res, 0, 4);
		jid = db_get_text(res, 0, 8);
		PQclear(res);

		if (jid == NULL) {
			/* Nothing pending: the run ends. */
			if ((rc = fence(s)) == 1 && (run_end(d, account,
			    reminder, run, resumed, NULL) == -1 ||
			    db_tx_commit(d->db) == -1))
				db_tx_rollback(d->db);
			st = STEP_DONE;
		} else if (reminder == 0 || tz == NULL) {
			/* Deleted mid-run: its messages went with it. */
			q[0] = sid;
			q[1] = "The reminder was deleted before this group's "
			    "turn; nothing was sent to it.";
			if ((rc = fence(s)) == 1 &&
			    (db_exec_cmd(d->db, DS_REM_RUN_SKIP, q) == -1 ||
			    run_end(d, account, 0, run, 0, NULL) == -1 ||
			    db_tx_commit(d->db) == -1))
				db_tx_rollback(d->db);
			st = STEP_DONE;
		} else {
			end = 0;
			why = NULL;
			if (hour != 0 && !resumed &&
			    recur_window_end(tz, sched, hour, &end, &why) == -1) {
				log_warnx("run %" PRId64 ": window: %s", run,
				    why != NULL ? why : "bad zone");
				end = 0;
			}
			st = target_step(s, run, reminder, op, jid, tz, end,
			    now, queued);
		}
		free(tz);
		free(jid);
		tz = jid = NULL;
	}
	if (st == STEP_AGAIN)
		reminders_kick(d);	/* more next pass */
}

/* Drive every running run of ours; returns how many there were. */
static int
drive_runs(struct daemon *d, int *queued)
{
	PGresult	*res;
	const char	*p[1];
	char		 sid[24];
	int64_t		*runs, *accts;
	int		 i, n;

	p[0] = i64(sid, d->instance);
	if ((res = db_exec(d->db, DS_REM_RUNS_OPEN, p)) == NULL)
		return -1;
	n = PQntuples(res);
	runs = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*runs));
	accts = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*accts));
	for (i = 0; i < n; i++)
		if (db_get_int64(res, i, 0, &runs[i]) == -1 ||
		    db_get_int64(res, i, 1, &accts[i]) == -1)
			runs[i] = 0;
	PQclear(res);
	for (i = 0; i < n && d->db != NULL; i++)
		if (runs[i] != 0)
			run_step(d, runs[i], accts[i], queued);
	free(runs);
	free(accts);
	return n;
}

/*
 * When the next pass is due (mono ms): the earliest fire of our
 * reminders, within REM_BUSY_MS while runs are running (the sends'
 * ends kick sooner), REM_IDLE_MS at most.
 */
static uint64_t
next_pass(struct daemon *d, uint64_t now)
{
	PGresult	*res;
	const char	*p[1];
	char		 sid[24];
	int64_t		 ms = REM_IDLE_MS;

	p[0] = i64(sid, d->instance);
	if ((res = db_exec(d->db, DS_REM_NEXT_DUE, p)) == NULL)
		return now + REM_BUSY_MS;
	if (PQntuples(res) == 1 && db_get_int64(res, 0, 0, &ms) == 0 &&
	    ms <= 0) {
		/* Due now: it fell due since the claim (look again at
		 * once), or it is locked by another daemon or its lease is
		 * in flux (back off to a second). */
		ms = d->rem_stuck < 7 ? 1 << d->rem_stuck : REM_BUSY_MS;
		d->rem_stuck++;
	} else
		d->rem_stuck = 0;
	PQclear(res);
	if (ms > REM_IDLE_MS)
		ms = REM_IDLE_MS;
	if (d->rem_running > 0 && ms > REM_BUSY_MS)
		ms = REM_BUSY_MS;
	return now + (uint64_t)ms;
}

/*
 * One scheduler pass: claim, drive, set the timer (to the
 * millisecond; main.c's tick looks too, in case).  Logs its duration
 * at debug level ("make bench" reads it).
 */
static void
pass(struct daemon *d)
{
	double		 t0 = mono_ms();
	uint64_t	 now;
	int		 i, n, claimed = 0, queued = 0;

	if (d->db == NULL || d->instance == 0 || d->stopping)
		return;
	d->rem_due_ms = mono_ms64() + REM_BUSY_MS;	/* on any failure */
	for (i = 0; i < REM_CLAIM_ROUNDS; i++) {
		if ((n = claim_due(d)) > 0)
			claimed += n;	/* fired, that is */
		if (n < atoi(REM_CLAIM_BATCH) || d->db == NULL)
			break;
	}
	if (d->db == NULL)
		return;
	if ((n = drive_runs(d, &queued)) >= 0)
		d->rem_running = n;
	if (d->db == NULL)
		return;
	now = mono_ms64();
	if (d->rem_due_ms == 0)		/* kicked meanwhile: again soon */
		timer_arm(d, 0);
	else {
		d->rem_due_ms = next_pass(d, now);
		timer_arm(d, d->rem_due_ms - now);
	}
	log_debug("reminders: pass %.3f ms (%d claimed, %d running, next in "
	    "%" PRIu64 " ms)", mono_ms() - t0, claimed, d->rem_running,
	    d->rem_due_ms > now ? d->rem_due_ms - now : 0);
	/* Our own NOTIFY for the new rows sits in libpq's buffer now
	 * (our queries read it): claim them at once. */
	if (queued)
		(void)intake_run_pending(d);
}

static void
rem_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{

	pass(w->data);
}

/* From main.c's tick: a pass when the timer is due. */
void
reminders_tick(struct daemon *d)
{

	if (d->db == NULL || d->instance == 0 || d->stopping)
		return;
	if (mono_ms64() >= d->rem_due_ms)
		pass(d);
}

/*
 * An operator's resume_run or cancel_run command row "cmd" (type
 * "type") for account "account", payload {"run": id}.  Written in one
 * fenced transaction with the command's result (or its error, a
 * sentence); a command for a run that is not the account's, unknown
 * or finished is refused.  A session not here leaves the command
 * claimed for the lease to retry, as groups_command().
 */
void
reminders_command(struct daemon *d, int64_t cmd, int64_t account,
    const char *type)
{
	struct session	*s;
	PGresult	*res;
	const char	*p[2];
	char		 scmd[24], srun[24], err[256], *st = NULL;
	int64_t		 run = 0, racct = 0, reminder = 0;
	int		 resume, pending = 0, found = 0, rc;

	resume = strcmp(type, "resume_run") == 0;
	if ((s = session_find(d, account)) == NULL || s->gone) {
		log_warnx("command %" PRId64 ": account %" PRId64 " has no "
		    "session here; retried", cmd, account);
		return;
	}
	p[0] = i64(scmd, cmd);
	if ((res = db_exec(d->db, DS_REM_CMD_RUN, p)) == NULL)
		return;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		(void)db_get_int64(res, 0, 0, &run);
	PQclear(res);
	if (fence(s) != 1)
		return;
	err[0] = '\0';
	if (run > 0) {
		p[0] = i64(srun, run);
		if ((res = db_exec(d->db, DS_REM_RUN_LOCK, p)) == NULL) {
			db_tx_rollback(d->db);
			return;
		}
		if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 1) &&
		    db_get_int64(res, 0, 1, &racct) == 0 && racct == account) {
			found = 1;
			st = db_get_text(res, 0, 0);
			if (!PQgetisnull(res, 0, 2))
				(void)db_get_int64(res, 0, 2, &reminder);
			(void)db_get_int(res, 0, 3, &pending);
		}
		PQclear(res);
	}
	if (run <= 0)
		snprintf(err, sizeof(err), "The command names no run "
		    "(payload {\"run\": id}); nothing was changed.");
	else if (!found)
		snprintf(err, sizeof(err), "Run %" PRId64 " is not a run of "
		    "this account's reminders; nothing was changed.", run);
	else if (pending == 0 || (resume && strcmp(st, "running") == 0) ||
	    (strcmp(st, "running") != 0 && strcmp(st, "paused") != 0 &&
	    strcmp(st, "failed") != 0))
		snprintf(err, sizeof(err), "Run %" PRId64 " has no group left "
		    "to %s (status: %s); nothing was changed.", run,
		    resume ? "resume" : "cancel", st);
	if (err[0] != '\0')
		rc = db_command_done(d->db, cmd, NULL, err);
	else if (resume) {
		p[0] = srun;
		rc = db_exec_cmd(d->db, DS_REM_RUN_RESUME, p);
		if (rc == 0)
			rc = db_command_done(d->db, cmd, "resumed", NULL);
	} else {
		p[0] = srun;
		p[1] = rem_canceled;
		rc = db_exec_cmd(d->db, DS_REM_RUN_SKIP, p);
		if (rc == 0)
			rc = run_end(d, account, reminder, run, 1,
			    "Canceled by the operator: ");
		if (rc == 0)
			rc = db_command_done(d->db, cmd, "canceled", NULL);
	}
	free(st);
	if (rc == -1 || db_tx_commit(d->db) == -1) {
		db_tx_rollback(d->db);
		log_warnx("command %" PRId64 ": %s not written; retried", cmd,
		    type);
		return;
	}
	log_info("command %" PRId64 ": %s run %" PRId64 ": %s", cmd, type, run,
	    err[0] != '\0' ? err : "done");
	reminders_kick(d);
}
