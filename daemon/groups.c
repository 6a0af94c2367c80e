/*
 * Issue 10: the account's WhatsApp groups in the groups table
 * (sql/018).  After every login the session asks the client for the
 * participating groups (wa_client_groups_sync, whatsmeow
 * GetJoinedGroups) and the answer replaces the account's rows in one
 * transaction; w:gp2 notifications change single rows in between
 * (whatsmeow events.GroupInfo / JoinedGroup); a sync_groups command
 * row asks again and is done when the answer is written.  Every write
 * is fenced by the lease (lease_begin, issue 12), like the rest of
 * the daemon's writes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "groups.h"
#include "log.h"

/* How long a sync_groups command waits for the answer (divided by
 * WADESKD_TIME_SCALE in tests). */
#define	GROUPS_WAIT_MS		30000

/* The session of a client slot if it is current (session.c's rule). */
static struct session *
slot_current(void *user)
{
	struct sess_slot	*sl = user;

	if (sl == NULL || sl->s == NULL || sl->s->slot != sl || sl->s->gone)
		return NULL;
	return sl->s;
}

/* Begin a fenced transaction: 1 begun, 0 lease lost, -1 error. */
static int
fence(struct session *s)
{
	int	 rc;

	if (s->d->db == NULL)
		return -1;
	if ((rc = lease_begin(s)) == 0)
		session_lost(s);
	return rc;
}

/* A JSON array of groups for GROUPS_RECORDSET (db_daemon.c); caller
 * puts it with json_object_put(). */
static struct json_object *
groups_json(const struct wa_group *g, size_t n)
{
	struct json_object	*a, *o;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "jid",
		    json_object_new_string(g[i].jid));
		json_object_object_add(o, "subject",
		    json_object_new_string(g[i].subject));
		json_object_object_add(o, "participants",
		    json_object_new_int(g[i].participants));
		json_object_object_add(o, "is_admin",
		    json_object_new_boolean(g[i].is_admin));
		json_object_object_add(o, "announce",
		    json_object_new_boolean(g[i].announce));
		json_object_object_add(o, "locked",
		    json_object_new_boolean(g[i].locked));
		json_object_array_add(a, o);
	}
	return a;
}

/* Finish the waiting sync_groups command, if any, inside the open
 * transaction.  0 or -1. */
static int
cmd_finish(struct session *s, const char *result, const char *error)
{
	int64_t	 cmd = s->groups_cmd;

	if (cmd == 0)
		return 0;
	s->groups_cmd = 0;
	return db_command_done(s->d->db, cmd, result, error);
}

/*
 * Finish the waiting command outside any transaction (not connected,
 * refused, timed out), fenced.  Logged on failure: the command stays
 * open and the next owner or a retry runs it.
 */
static void
cmd_fail(struct session *s, const char *error)
{
	int64_t	 cmd = s->groups_cmd;

	if (cmd == 0 || fence(s) != 1)
		return;
	if (cmd_finish(s, NULL, error) == -1 || db_tx_commit(s->d->db) == -1) {
		db_tx_rollback(s->d->db);
		s->groups_cmd = cmd;
		log_warnx("account %" PRId64 ": command %" PRId64 " not "
		    "finished", s->id, cmd);
	}
}

/*
 * After every login (session.c cb_connected, once the row says
 * connected): ask for the participating groups; the answer arrives
 * through groups_cb_list().  A query that cannot be sent is logged;
 * the next login or Sync now asks again.
 */
void
groups_login(struct session *s, struct wa_client *c)
{

	if (s->gone || s->f.state != SESS_CONNECTED)
		return;
	if (wa_client_groups_sync(c) == -1)
		log_warnx("account %" PRId64 ": groups query not sent", s->id);
}

/*
 * The client's groups callback (wa.h): with error 0 the account's
 * groups replace its rows (DS_GROUPS_REPLACE, one fenced transaction
 * with groups_synced_at, the waiting sync_groups command's done mark
 * "N groups" and, for a command, a groups_synced event); with an
 * error the waiting command ends "groups_refused" and the rows stay.
 * Borrowed "g" (clean per groups.h); nothing is kept.
 */
void
groups_cb_list(struct wa_client *c, void *user, const struct wa_group *g,
    size_t n, int error)
{
	struct session		*s;
	struct json_object	*a;
	const char		*p[2], *kv[3];
	char			 sid[24], count[24], result[48];
	int			 rc, asked;

	if ((s = slot_current(user)) == NULL)
		return;
	if (error != 0) {
		log_warnx("account %" PRId64 ": groups query failed (%d)",
		    s->id, error);
		cmd_fail(s, "groups_refused");
		return;
	}
	if (fence(s) != 1)
		return;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	a = groups_json(g, n);
	p[0] = sid;
	p[1] = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	rc = db_exec_cmd(s->d->db, DS_GROUPS_REPLACE, p);
	json_object_put(a);
	snprintf(count, sizeof(count), "%zu", n);
	snprintf(result, sizeof(result), "%zu groups", n);
	asked = s->groups_cmd != 0;
	kv[0] = "count";
	kv[1] = count;
	kv[2] = NULL;
	/* Only a sync someone asked for goes into the audit trail; the
	 * one after every login would drown it. */
	if (rc == 0 && asked)
		rc = db_event_insert_kv(s->d->db, s->id, "groups_synced", kv);
	if (rc == 0)
		rc = cmd_finish(s, result, NULL);
	if (rc == -1 || db_tx_commit(s->d->db) == -1) {
		db_tx_rollback(s->d->db);
		log_warnx("account %" PRId64 ": %zu groups not stored", s->id,
		    n);
		return;
	}
	log_info("account %" PRId64 ": %zu groups stored", s->id, n);
}

/*
 * The client's group_change callback (wa.h): one w:gp2 notification
 * applied to one row in a fenced transaction: <create> upserts the
 * group, <delete> or our own removal deletes it, anything else changes
 * subject, member count, our admin flag and the announce/locked flags.
 * Being added to a group we have no row for asks for the whole list
 * again.  A failed write is logged and lost until
 * the next sync (the next login or Sync now repairs the table).
 */
void
groups_cb_change(struct wa_client *c, void *user,
    const struct wa_group_change *ch)
{
	struct session		*s;
	struct json_object	*a;
	const char		*p[8];
	char			 sid[24], add[16], rem[16], adm[8], ann[8];
	char			 lck[8];
	PGresult		*res;
	int			 rc = 0, resync = 0;

	if ((s = slot_current(user)) == NULL || fence(s) != 1)
		return;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	p[0] = sid;
	if (ch->created) {
		a = groups_json(&ch->group, 1);
		p[1] = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
		rc = db_exec_cmd(s->d->db, DS_GROUPS_UPSERT, p);
		json_object_put(a);
	} else if (ch->deleted || ch->self_removed) {
		p[1] = ch->jid;
		rc = db_exec_cmd(s->d->db, DS_GROUP_DELETE, p);
	} else {
		snprintf(add, sizeof(add), "%d", ch->added);
		snprintf(rem, sizeof(rem), "%d", ch->removed);
		snprintf(adm, sizeof(adm), "%d", ch->admin);
		snprintf(ann, sizeof(ann), "%d", ch->announce);
		snprintf(lck, sizeof(lck), "%d", ch->locked);
		p[1] = ch->jid;
		p[2] = ch->has_subject ? ch->subject : NULL;
		p[3] = add;
		p[4] = rem;
		p[5] = adm;
		p[6] = ann;
		p[7] = lck;
		if ((res = db_exec(s->d->db, DS_GROUP_CHANGE, p)) == NULL)
			rc = -1;
		else {
			/* We were added to a group we do not have (the
			 * server sends <add> with us in it, without
			 * <create>): only the whole list describes it.
			 * Other changes to an unknown group are left to
			 * the answer of the query after login, which is
			 * newer than them (no query per notification). */
			resync = PQntuples(res) == 0 && ch->self_added;
			PQclear(res);
		}
	}
	if (rc == -1 || db_tx_commit(s->d->db) == -1) {
		db_tx_rollback(s->d->db);
		log_warnx("account %" PRId64 ": change of group %s not stored",
		    s->id, ch->jid);
		return;
	}
	if (resync)
		groups_login(s, c);
}

/*
 * A sync_groups command row for account "id": ask the server now and
 * finish the command when the answer is stored (groups_cb_list), or
 * at once with "groups_not_connected" when the session is not logged
 * in.  A second command while one waits takes its place (the older is
 * done as superseded).  Returns 0, or -1 on a database error (the
 * command stays open; the lease lets it be retried).
 */
int
groups_command(struct daemon *d, int64_t cmd, int64_t id)
{
	struct session	*s;
	int64_t		 old;
	unsigned int	 scale = d->time_scale > 1 ? d->time_scale : 1;

	if ((s = session_find(d, id)) == NULL) {
		log_warnx("command %" PRId64 ": account %" PRId64 " has no "
		    "session here; retried", cmd, id);
		return -1;
	}
	if ((old = s->groups_cmd) != 0) {
		s->groups_cmd = 0;
		if (fence(s) != 1)
			return -1;
		if (db_command_done(d->db, old, NULL,
		    "superseded by a later command") == -1 ||
		    db_tx_commit(d->db) == -1) {
			db_tx_rollback(d->db);
			s->groups_cmd = old;
			return -1;
		}
	}
	s->groups_cmd = cmd;
	s->groups_due_ms = mono_ms64() + GROUPS_WAIT_MS / scale;
	/* session_tick() walks the sessions only when the earliest due
	 * time has come (session.c timer_arm, which counts this one in
	 * from now on). */
	if (s->groups_due_ms < d->next_timer_ms)
		d->next_timer_ms = s->groups_due_ms;
	if (s->f.state != SESS_CONNECTED || s->slot == NULL ||
	    wa_client_groups_sync(s->slot->c) == -1) {
		cmd_fail(s, "groups_not_connected");
		return s->groups_cmd == 0 ? 0 : -1;
	}
	return 0;
}

/* From session_tick() when a session timer is due (session.c
 * timer_arm counts groups_due_ms in): a waiting command whose answer
 * cannot come any more. */
void
groups_tick(struct session *s, uint64_t now)
{

	if (s->groups_cmd == 0 || s->gone)
		return;
	if (s->f.state != SESS_CONNECTED)
		cmd_fail(s, "groups_not_connected");
	else if (now >= s->groups_due_ms)
		cmd_fail(s, "groups_timeout");
}
