/*
 * Command intake: the daemon's PostgreSQL connection inside the lws
 * loop (STYLE.md 2.9).  A dup() of libpq's socket is adopted as a raw
 * file descriptor, so poll(2) wakes us for NOTIFY wadesk_commands; the
 * commands table is the truth, so after every (re)connect, after every
 * wake-up and every DAEMON_SCAN_MS we claim whatever is open with FOR
 * UPDATE SKIP LOCKED.  A command claimed by a daemon that died (its
 * heartbeat older than WADESK_DAEMON_DEAD_S) is claimed again once
 * that lease has run out.  Also here: the daemon_instances heartbeat
 * (rule 10) and the start-up sweep (rule 9).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "xalloc.h"

/* Command type names (the commands.type CHECK) -> session events. */
static const struct {
	const char	*name;
	enum sess_ev	 ev;
} cmd_types[] = {
	{ "pair", SEV_CMD_PAIR },
	{ "pair_code", SEV_CMD_PAIR_CODE },
	{ "cancel_pair", SEV_CMD_CANCEL_PAIR },
	{ "reconnect", SEV_CMD_RECONNECT },
	{ "disconnect", SEV_CMD_DISCONNECT },
	{ "unpair", SEV_CMD_UNPAIR },
	{ "delete", SEV_CMD_DELETE },
};

/*
 * Discard queued notifications; return how many were about commands.
 * One on wadesk_reminders (issue 11) asks the scheduler for a pass.
 */
static int
notifies_drain(struct daemon *d, PGconn *conn)
{
	PGnotify	*n;
	int		 count = 0;

	while ((n = PQnotifies(conn)) != NULL) {
		if (strcmp(n->relname, "wadesk_reminders") == 0)
			reminders_kick(d);
		else
			count++;
		PQfreemem(n);
	}
	return count;
}

/*
 * Insert or refresh our daemon_instances row (host, pid, host key,
 * capacity; sessions held and the lease counters of issue 12).  A
 * draining mark set by wadeskctl starts the drain.  A new row reaps
 * this host's dead predecessors (lease.c).  0 or -1 (logged).
 */
static int
heartbeat(struct daemon *d)
{
	PGresult	*res;
	const char	*p[5];
	char		 sid[24], host[256], pid[16], n[16], t[24], l[24];
	char		 cap[16];
	int		 found, drain = 0;

	if (d->instance != 0) {
		snprintf(sid, sizeof(sid), "%" PRId64, d->instance);
		snprintf(n, sizeof(n), "%d", d->owned);
		snprintf(t, sizeof(t), "%" PRId64, d->takeovers);
		snprintf(l, sizeof(l), "%" PRId64, d->lease_losses);
		p[0] = sid;
		p[1] = n;
		p[2] = t;
		p[3] = l;
		p[4] = d->draining ? "true" : "false";
		if ((res = db_exec(d->db, DS_INSTANCE_BEAT, p)) == NULL)
			return -1;
		found = PQntuples(res) == 1;
		if (found)
			drain = db_get_bool(res, 0, 1);
		PQclear(res);
		if (drain && !d->draining) {
			log_info("drain asked for (wadeskctl daemon drain)");
			lease_drain_start(d);
		}
		if (found)
			return 0;
	}
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(cap, sizeof(cap), "%d", d->conf.max_sessions);
	p[0] = host;
	p[1] = pid;
	p[2] = d->host_key;
	p[3] = cap;
	if ((res = db_exec(d->db, DS_INSTANCE_INSERT, p)) == NULL)
		return -1;
	found = db_get_int64(res, 0, 0, &d->instance);
	PQclear(res);
	if (found == 0) {
		log_info("daemon instance %" PRId64, d->instance);
		(void)lease_reap(d, host);
	}
	return found;
}

/*
 * Rule 9, once per process after the first connect: the first claim
 * round (lease.c), which settles pending rows no daemon holds and no
 * open command will finish, marks rows a dead daemon left connected,
 * then claims the accounts to log in (every account with credentials
 * and auto_connect, when we are the only daemon), staggered by
 * session_adopt().
 */
static int
sweep(struct daemon *d)
{

	if (lease_claim(d) == -1)
		return -1;
	d->swept = 1;
	return 0;
}

/*
 * Timer callback: connect, LISTEN, adopt a duplicate of libpq's socket
 * so that poll(2) wakes us, then heartbeat, sweep (first time) and run
 * anything queued while we were away.  On failure, retry in
 * DAEMON_PG_RETRY_US.
 */
void
intake_connect(lws_sorted_usec_list_t *sul)
{
	struct daemon		*d;
	struct lws_vhost	*vh;
	lws_sock_file_fd_type	 fd;

	d = lws_container_of(sul, struct daemon, pg_sul);
	if (d->stopping)
		return;
	d->db = db_open(d->conf.database_url, daemon_stmts, DS__MAX);
	if (d->db == NULL)
		goto retry;
	if (db_listen(d->db, "wadesk_commands") == -1 ||
	    db_listen(d->db, "wadesk_reminders") == -1)
		goto retry;
	/* lws closes what it adopts, so give it its own descriptor. */
	if ((fd.filefd = dup(PQsocket(db_conn(d->db)))) == -1) {
		log_warn("%s: dup", __func__);
		goto retry;
	}
	vh = lws_get_vhost_by_name(d->ctx, "default");
	d->pg_wsi = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC,
	    fd, "intake", NULL);
	if (d->pg_wsi == NULL) {
		log_warnx("%s: cannot adopt the database socket", __func__);
		goto retry;	/* lws already closed fd.filefd */
	}
	log_info("database connected");
	if (heartbeat(d) == -1)
		log_warnx("%s: heartbeat failed; tick() retries", __func__);
	if (proxy_key_publish(d) == -1)
		log_warnx("%s: the proxy key is not published; the pages "
		    "cannot set proxies until the next connect", __func__);
	d->next_beat_ms = mono_ms64() + DAEMON_HEARTBEAT_MS;
	if (!d->swept && sweep(d) == -1)
		log_warnx("%s: start-up sweep failed; retried", __func__);
	if (intake_run_pending(d) == -1)
		log_warnx("%s: catch-up failed; tick() retries", __func__);
	reminders_kick(d);	/* what fell due while we were away */
	return;
retry:
	db_close(d->db);
	d->db = NULL;
	lws_sul_schedule(d->ctx, 0, &d->pg_sul, intake_connect,
	    DAEMON_PG_RETRY_US);
}

/* Map a commands.type to its event; -1 for an unknown type. */
static int
cmd_event(const char *type, enum sess_ev *ev)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmd_types) / sizeof(cmd_types[0]); i++)
		if (strcmp(type, cmd_types[i].name) == 0) {
			*ev = cmd_types[i].ev;
			return 0;
		}
	return -1;
}

/* One claimed command, copied out of the result. */
struct	claimed {
	int64_t		 id;
	int64_t		 account;	/* 0: the account is gone */
	char		*type;
	char		*phone;		/* payload phone, or NULL */
};

static int
claimed_cmp(const void *a, const void *b)
{
	const struct claimed	*x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Copy the claim result into "*out" (caller frees); count or -1. */
static int
claimed_copy(PGresult *res, struct claimed **out)
{
	struct claimed	*c;
	int		 i, n;

	n = PQntuples(res);
	c = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*c));
	for (i = 0; i < n; i++) {
		if (db_get_int64(res, i, 0, &c[i].id) == -1)
			c[i].id = 0;
		if (PQgetisnull(res, i, 1) ||
		    db_get_int64(res, i, 1, &c[i].account) == -1)
			c[i].account = 0;
		c[i].type = db_get_text(res, i, 2);
		c[i].phone = db_get_text(res, i, 3);
	}
	/* RETURNING has no order: run them oldest first. */
	qsort(c, (size_t)n, sizeof(*c), claimed_cmp);
	*out = c;
	return n;
}

/*
 * Claim open commands (ours to run, or a dead daemon's after the
 * lease) and hand each to session_command(), oldest first.  Returns
 * the number claimed, or -1 on a database error (logged).
 */
int
intake_run_pending(struct daemon *d)
{
	PGresult	*res;
	struct claimed	*c = NULL;
	enum sess_ev	 ev;
	const char	*p[2];
	char		 sinst[24], lease[16];
	int		 i, n;

	if (d->db == NULL || d->instance == 0 || d->stopping)
		return -1;
	/* Accounts with new commands (and released ones) are claimed
	 * first: only the owner runs an account's commands. */
	if (d->swept)
		(void)lease_claim(d);
	if (d->db == NULL)
		return -1;
	snprintf(sinst, sizeof(sinst), "%" PRId64, d->instance);
	snprintf(lease, sizeof(lease), "%d", d->conf.daemon_dead_s);
	p[0] = sinst;
	p[1] = lease;
	d->next_scan_ms = mono_ms64() + DAEMON_SCAN_MS;
	if ((res = db_exec(d->db, DS_COMMANDS_CLAIM, p)) == NULL)
		return -1;
	n = claimed_copy(res, &c);
	PQclear(res);
	for (i = 0; i < n; i++) {
		if (d->db == NULL)
			break;	/* claimed again after the lease */
		if (c[i].account == 0) {
			/* The account is gone (ON DELETE SET NULL). */
			(void)db_command_done(d->db, c[i].id, NULL,
			    "account deleted");
			continue;
		}
		if (c[i].type != NULL && strcmp(c[i].type, "sync_groups") == 0) {
			/* Issue 10: not a lifecycle event (groups.c). */
			log_info("command %" PRId64 ": sync_groups account %"
			    PRId64, c[i].id, c[i].account);
			(void)groups_command(d, c[i].id, c[i].account);
			continue;
		}
		if (c[i].type != NULL && strcmp(c[i].type, "send_text") == 0) {
			log_info("command %" PRId64 ": send_text account %"
			    PRId64, c[i].id, c[i].account);
			send_command(d, c[i].id, c[i].account);	/* send.c */
			continue;
		}
		if (c[i].type != NULL && (strcmp(c[i].type, "resume_run") ==
		    0 || strcmp(c[i].type, "cancel_run") == 0)) {
			/* Issue 11: a reminder run (reminders.c). */
			log_info("command %" PRId64 ": %s account %" PRId64,
			    c[i].id, c[i].type, c[i].account);
			reminders_command(d, c[i].id, c[i].account, c[i].type);
			continue;
		}
		if (c[i].type == NULL || cmd_event(c[i].type, &ev) == -1) {
			(void)db_command_done(d->db, c[i].id, NULL,
			    "unknown command");
			continue;
		}
		log_info("command %" PRId64 ": %s account %" PRId64,
		    c[i].id, c[i].type, c[i].account);
		(void)session_command(d, c[i].id, c[i].account, ev,
		    c[i].phone);
	}
	for (i = 0; i < n; i++) {
		free(c[i].type);
		free(c[i].phone);
	}
	free(c);
	return n;
}

/*
 * Housekeeping from main.c's tick: heartbeat every DAEMON_HEARTBEAT_MS
 * (rule 10), the start-up sweep if it failed, and a command scan every
 * DAEMON_SCAN_MS so that a lost NOTIFY costs seconds, never a command.
 */
void
intake_tick(struct daemon *d)
{
	uint64_t	 now;

	if (d->db == NULL || d->stopping)
		return;
	now = mono_ms64();
	if (now >= d->next_beat_ms) {
		d->next_beat_ms = now + DAEMON_HEARTBEAT_MS;
		(void)heartbeat(d);
	}
	if (d->db != NULL && !d->swept)
		(void)sweep(d);
	/*
	 * A NOTIFY that arrived while session.c ran queries outside our
	 * callback sits in libpq's buffer and woke nobody: look each tick.
	 */
	if (d->db != NULL && PQconsumeInput(db_conn(d->db)) == 1 &&
	    notifies_drain(d, db_conn(d->db)) > 0)
		d->next_scan_ms = now;
	if (d->db != NULL && now >= d->next_scan_ms)
		(void)intake_run_pending(d);
}

/*
 * Clean exit: delete our daemon_instances row so the pages see a clean
 * stop rather than a dead daemon.  The connection itself is closed
 * with the lws context (the adopted descriptor) and here (libpq's).
 */
void
intake_close(struct daemon *d)
{
	const char	*p[1];
	char		 sid[24];

	if (d->db == NULL)
		return;
	if (d->instance != 0) {
		snprintf(sid, sizeof(sid), "%" PRId64, d->instance);
		p[0] = sid;
		(void)db_exec_cmd(d->db, DS_INSTANCE_DELETE, p);
	}
	db_close(d->db);
	d->db = NULL;
}

/*
 * lws callback for the adopted database socket: consume input, drain
 * NOTIFYs and claim commands until a drain finds nothing new (a NOTIFY
 * that arrives while we run queries sits in libpq's buffer and will
 * not wake poll(2) again).  Returning -1 closes the wsi; the CLOSE
 * callback then schedules a reconnect unless we are stopping.
 */
int
intake_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct daemon	*d = lws_context_user(lws_get_context(wsi));
	PGconn		*conn;

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (d->db == NULL)
			return -1;
		conn = db_conn(d->db);
		if (PQconsumeInput(conn) == 0 ||
		    PQstatus(conn) != CONNECTION_OK) {
			log_warnx("%s: %s", __func__, PQerrorMessage(conn));
			return -1;
		}
		notifies_drain(d, conn);
		do {
			if (intake_run_pending(d) == -1)
				return d->db == NULL ||
				    PQstatus(db_conn(d->db)) != CONNECTION_OK ?
				    -1 : 0;
		} while (d->db != NULL && notifies_drain(d, db_conn(d->db)) > 0);
		break;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		d->pg_wsi = NULL;
		if (d->stopping)
			break;
		db_close(d->db);
		d->db = NULL;
		log_warnx("database connection lost; reconnecting");
		lws_sul_schedule(d->ctx, 0, &d->pg_sul, intake_connect,
		    DAEMON_PG_RETRY_US);
		break;
	default:
		break;
	}
	return 0;
}
