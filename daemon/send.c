/*
 * send_text command rows (issue 9, sql/013_send.sql): the daemon that
 * holds an account's lease runs them on its connected session through
 * wa_client_send_text() and writes the result back.
 *
 * Idempotency, in three layers:
 *  - a client-supplied id is unique per account (the commands_client_id
 *    index): a second row with it is refused at insert, so it is never
 *    queued, let alone sent, twice;
 *  - the message id is written to the row (fenced) before the stanza
 *    goes out; a command claimed again after a crash resends under the
 *    same id, so receivers de-duplicate (whatsmeow and WhatsApp key
 *    messages by chat, sender and id);
 *  - a result that cannot be written (the database went away after the
 *    send) stays in memory (d->sends) and is written on a later tick;
 *    the row stays claimed by us meanwhile, so nobody sends it again.
 *
 * Every write is fenced by the lease generation (lease_begin(), as the
 * session's own writes): a daemon that lost the account writes nothing.
 * A refusal for restriction (463) sets accounts.restricted with the end
 * time the server announced (wa.h restriction); an accepted send clears
 * it.  The session stays connected either way.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "xalloc.h"

#define	SEND_RESULT_KEEP_MS	600000	/* give up writing after 10 min */
#define	SEND_WAIT_MS		30000	/* for a session still logging in */
#define	SEND_UNRESTRICT_MS	5000	/* look for ended restrictions */

enum	job_state {
	JOB_WAITING,		/* the session is not connected yet */
	JOB_SENDING,		/* handed to the client */
	JOB_RESULT		/* result known, not yet written */
};

struct	send_job {
	struct daemon		*d;
	int64_t			 cmd;		/* commands.id */
	int64_t			 account;	/* accounts.id */
	struct sess_slot	*slot;		/* the client it went to */
	uint32_t		 gen;		/* ... and its generation */
	enum job_state		 st;
	char			*error;		/* reason code, NULL: sent */
	int			 code;		/* server code, 0: none */
	char			 id[64];	/* message id, "" not yet */
	char			*to, *text;	/* the payload */
	int			 again;		/* id from an earlier claim */
	int			 reminder;	/* queued by a reminder run:
						   its end kicks the scheduler
						   (reminders.c, issue 11) */
	uint64_t		 since_ms;	/* mono: claimed, then result
						   known */
	struct send_job		*next;
};

/* The job whose tag is p, if it is still ours. */
static struct send_job *
job_find(struct daemon *d, const void *p)
{
	struct send_job	*j;

	for (j = d->sends; j != NULL; j = j->next)
		if (j == p)
			return j;
	return NULL;
}

static void
job_free(struct daemon *d, struct send_job *j)
{
	struct send_job	**pp;

	for (pp = &d->sends; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (j->reminder)
		reminders_kick(d);	/* the run's next message at once */
	free(j->error);
	free(j->to);
	free(j->text);
	free(j);
}

/*
 * Write a command's end, fenced by s's lease when s is not NULL.
 * result "sent" or NULL; error a reason code or NULL; code the server's
 * error code or 0.  Returns 0, 1 when the lease is lost (nothing
 * written; the next owner runs the command), -1 on a database error.
 */
static int
done_write(struct daemon *d, struct session *s, int64_t cmd,
    const char *result, const char *error, int code)
{
	const char	*p[4];
	char		 sid[24], scode[16];
	int		 rc;

	if (d->db == NULL)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, cmd);
	snprintf(scode, sizeof(scode), "%d", code);
	p[0] = sid;
	p[1] = result;
	p[2] = error;
	p[3] = code != 0 ? scode : NULL;
	if (s == NULL)
		return db_exec_cmd(d->db, DS_SEND_DONE, p);
	if ((rc = lease_begin(s)) != 1) {
		if (rc == 0)
			session_lost(s);
		return rc == 0 ? 1 : -1;
	}
	rc = db_exec_cmd(d->db, DS_SEND_DONE, p);
	if (rc == 0 && result != NULL) {
		/* an accepted send ends a restriction (sql/013) */
		p[0] = sid;
		snprintf(sid, sizeof(sid), "%" PRId64, s->id);
		p[1] = "false";
		p[2] = "0";
		p[3] = NULL;
		rc = db_exec_cmd(d->db, DS_SEND_RESTRICT, p);
	}
	if (rc == 0)
		return db_tx_commit(d->db);
	db_tx_rollback(d->db);
	return -1;
}

/* Try to write j's result; the job goes when written or moot. */
static void
job_write(struct send_job *j)
{
	struct daemon	*d = j->d;
	struct session	*s;
	int		 rc;

	if ((s = session_find(d, j->account)) == NULL) {
		/* not ours any more: the next owner runs it again */
		log_warnx("command %" PRId64 ": account %" PRId64 " left this "
		    "daemon before the send result was written", j->cmd,
		    j->account);
		job_free(d, j);
		return;
	}
	rc = done_write(d, s, j->cmd, j->error == NULL ? "sent" : NULL,
	    j->error, j->code);
	if (rc == 0) {
		log_info("command %" PRId64 ": message %s %s%s%s", j->cmd,
		    j->id, j->error == NULL ? "sent" : "not sent: ",
		    j->error == NULL ? "" : j->error, "");
		job_free(d, j);
	} else if (rc == 1)
		job_free(d, j);
	else if (mono_ms64() - j->since_ms > SEND_RESULT_KEEP_MS) {
		log_warnx("command %" PRId64 ": result of message %s never "
		    "written; dropped", j->cmd, j->id);
		job_free(d, j);
	}
}

/* The reason code for a send's end (lib/reason.c has the sentences). */
static char *
error_code(const struct wa_sent *r)
{

	switch (r->code) {
	case WA_SEND_OK:
		return NULL;
	case WA_SEND_ENOTCONN:
		return xstrdup(r->sent_out ? "send_unconfirmed" :
		    "send_not_connected");
	case WA_SEND_ETIMEDOUT:
		return xstrdup("send_timeout");
	case WA_SEND_ENODEVICE:
		return xstrdup("send_no_device");
	case WA_SEND_ESIGNAL:
		return xasprintf("send_failed: %s", r->detail);
	case WA_SEND_EQUERY:
		return xasprintf("send_query_failed: %s", r->detail);
	case 463:
		return xstrdup("send_restricted");
	default:
		return xasprintf("send_refused: the server answered %d",
		    r->code);
	}
}

/* wa.h sent: the result, written now or on a later tick. */
void
send_cb_sent(struct wa_client *c, void *user, const struct wa_sent *r)
{
	struct sess_slot	*sl = user;
	struct send_job		*j;

	if (sl == NULL || sl->s == NULL ||
	    (j = job_find(sl->s->d, r->tag)) == NULL)
		return;
	j->st = JOB_RESULT;
	j->error = error_code(r);
	j->code = r->code > 0 ? r->code : 0;
	j->since_ms = mono_ms64();
	if (r->code != 0)
		log_warnx("account %" PRId64 ": message %s to %s: %s "
		    "(result %d)", j->account, r->id, r->to, r->detail,
		    r->code);
	else
		log_info("account %" PRId64 ": message %s to %s acked (%d "
		    "devices, %d new sessions; out after %lld us, acked "
		    "after %lld us)", j->account, r->id, r->to, r->devices,
		    r->prekey_msgs, r->out_us, r->total_us);
	job_write(j);
}

/* wa.h restriction: the account's restriction state, fenced. */
void
send_cb_restriction(struct wa_client *c, void *user, int active,
    time_t until, const char *kind)
{
	struct sess_slot	*sl = user;
	struct session		*s;
	const char		*p[4], *kv[5];
	char			 sid[24], su[24];
	int			 rc;

	if (sl == NULL || (s = sl->s) == NULL || s->slot != sl ||
	    (rc = lease_begin(s)) != 1) {
		if (sl != NULL && sl->s != NULL && sl->s->slot == sl)
			log_warnx("account %" PRId64 ": restriction state not "
			    "written", sl->s->id);
		return;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	snprintf(su, sizeof(su), "%lld", (long long)until);
	p[0] = sid;
	p[1] = active ? "true" : "false";
	p[2] = su;
	p[3] = kind;
	kv[0] = "reason";
	kv[1] = kind;
	kv[2] = until > 0 ? "until" : NULL;
	kv[3] = su;
	kv[4] = NULL;
	if (db_exec_cmd(s->d->db, DS_SEND_RESTRICT, p) == -1 ||
	    db_event_insert_kv(s->d->db, s->id, active ? "restricted" :
	    "unrestricted", kv) == -1 || db_tx_commit(s->d->db) == -1) {
		db_tx_rollback(s->d->db);
		log_warnx("account %" PRId64 ": restriction state not written",
		    s->id);
		return;
	}
	log_info("account %" PRId64 ": %s (%s, until %lld)", s->id,
	    active ? "restricted" : "no longer restricted", kind,
	    (long long)until);
}

/*
 * Try to hand waiting job j to its session's client: once connected,
 * keep the message id (fenced; a stored one is reused) and send.  A
 * session still logging in, backing off or about to start (the
 * staggered start-up, rule 9) keeps it waiting until
 * SEND_WAIT_MS after the claim (a daemon that just started claims the
 * commands before its sessions are up); otherwise the command ends as
 * send_not_connected.  Returns 1 when j is done with (freed), else 0.
 */
static int
job_try(struct send_job *j)
{
	struct daemon	*d = j->d;
	struct session	*s;
	const char	*p[2], *jid;
	char		 sid[24], user[32];
	int		 rc;

	s = session_find(d, j->account);
	if (s == NULL || s->slot == NULL || s->f.state != SESS_CONNECTED ||
	    wa_client_state(s->slot->c) != WA_STATE_CONNECTED) {
		if (s != NULL && (s->f.state == SESS_LOGGING_IN ||
		    s->f.state == SESS_BACKOFF || (s->f.state == SESS_IDLE &&
		    s->start_ms != 0)) &&
		    mono_ms64() < j->since_ms + SEND_WAIT_MS)
			return 0;
		if (done_write(d, s, j->cmd, NULL, "send_not_connected", 0) ==
		    -1 && mono_ms64() < j->since_ms + SEND_RESULT_KEEP_MS)
			return 0;	/* the database: again next tick */
		job_free(d, j);
		return 1;
	}
	if (j->id[0] == '\0') {
		char	 mid[WA_MSG_ID_LEN];

		jid = wa_client_jid(s->slot->c);
		snprintf(user, sizeof(user), "%.*s", jid != NULL ?
		    (int)strcspn(jid, ":@") : 0, jid != NULL ? jid : "");
		wa_msg_id(mid, user, time(NULL));
		snprintf(sid, sizeof(sid), "%" PRId64, j->cmd);
		p[0] = sid;
		p[1] = mid;
		if ((rc = lease_begin(s)) != 1 ||
		    db_exec_cmd(d->db, DS_SEND_ID, p) == -1 ||
		    db_tx_commit(d->db) == -1) {
			if (rc == 1)
				db_tx_rollback(d->db);
			else if (rc == 0)
				session_lost(s);
			log_warnx("command %" PRId64 ": message id not stored; "
			    "not sent yet", j->cmd);
			return 0;
		}
		snprintf(j->id, sizeof(j->id), "%s", mid);
	}
	j->slot = s->slot;
	j->gen = s->slot->gen;
	if (wa_client_send_text(s->slot->c, j->to, j->text, j->id, j) == -1) {
		(void)done_write(d, s, j->cmd, NULL, "send_bad_request", 0);
		job_free(d, j);
		return 1;
	}
	j->st = JOB_SENDING;
	log_info("command %" PRId64 ": message %s to %s%s", j->cmd, j->id,
	    j->to, j->again ? " (again, same id)" : "");
	return 0;
}

/*
 * Run send_text command "cmd" of "account" (intake.c): an unusable row
 * is refused at once; otherwise a job waits for the session (job_try).
 */
void
send_command(struct daemon *d, int64_t cmd, int64_t account)
{
	struct send_job	*j;
	PGresult	*res;
	const char	*p[1];
	char		 sid[24], *to = NULL, *text = NULL, *old = NULL;
	int		 reminder = 0;

	snprintf(sid, sizeof(sid), "%" PRId64, cmd);
	p[0] = sid;
	if ((res = db_exec(d->db, DS_SEND_LOAD, p)) == NULL)
		return;		/* claimed by us; retried after the lease */
	if (PQntuples(res) == 1) {
		to = db_get_text(res, 0, 0);
		text = db_get_text(res, 0, 1);
		old = db_get_text(res, 0, 2);
		reminder = db_get_bool(res, 0, 3);
	}
	PQclear(res);
	if (to == NULL || text == NULL || *to == '\0' || *text == '\0') {
		if (done_write(d, session_find(d, account), cmd, NULL,
		    "send_bad_request", 0) == -1)
			log_warnx("command %" PRId64 ": refusal not written",
			    cmd);
		if (reminder)
			reminders_kick(d);
		free(to);
		free(text);
		free(old);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->d = d;
	j->cmd = cmd;
	j->account = account;
	j->st = JOB_WAITING;
	j->to = to;
	j->text = text;
	j->since_ms = mono_ms64();
	j->reminder = reminder;
	if (old != NULL) {
		snprintf(j->id, sizeof(j->id), "%s", old);
		j->again = 1;
	}
	free(old);
	j->next = d->sends;
	d->sends = j;
	(void)job_try(j);
}

/* Clear the restrictions whose announced end has passed (sql/013). */
static void
unrestrict_due(struct daemon *d)
{
	PGresult	*res;
	const char	*p[1];
	char		 sid[24];
	int		 i;

	d->next_unrestrict_ms = mono_ms64() + SEND_UNRESTRICT_MS;
	snprintf(sid, sizeof(sid), "%" PRId64, d->instance);
	p[0] = sid;
	if ((res = db_exec(d->db, DS_SEND_RESTRICT_DUE, p)) == NULL)
		return;
	for (i = 0; i < PQntuples(res); i++)
		log_info("account %s: the sending restriction has ended",
		    PQgetvalue(res, i, 0));
	PQclear(res);
}

/*
 * From main.c's tick: write the results the database refused earlier,
 * end jobs whose client went away without a report (a retired client
 * reports nothing: wa.h wa_client_free), and every SEND_UNRESTRICT_MS
 * clear the restrictions that have run out.
 */
void
send_tick(struct daemon *d)
{
	struct send_job	*j, *next;
	struct session	*s;

	if (d->db != NULL && d->instance != 0 &&
	    mono_ms64() >= d->next_unrestrict_ms)
		unrestrict_due(d);
	for (j = d->sends; j != NULL; j = next) {
		next = j->next;
		if (j->st == JOB_WAITING) {
			if (d->db != NULL)
				(void)job_try(j);
			continue;
		}
		if (j->st == JOB_RESULT) {
			if (d->db != NULL)
				job_write(j);
			continue;
		}
		s = session_find(d, j->account);
		if (s == NULL || s->slot != j->slot ||
		    (s->slot != NULL && s->slot->gen != j->gen)) {
			j->st = JOB_RESULT;
			j->error = xstrdup("send_unconfirmed");
			j->since_ms = mono_ms64();
			if (d->db != NULL)
				job_write(j);
		}
	}
}

/* Shutdown: forget what is left (the rows stay claimed; logged). */
void
send_free_all(struct daemon *d)
{

	while (d->sends != NULL) {
		log_warnx("command %" PRId64 ": result of message %s not "
		    "written at shutdown", d->sends->cmd, d->sends->id);
		job_free(d, d->sends);
	}
}
