/*
 * Per-account sessions.  Each account the daemon works on has a struct
 * session; every event (a command row, a wa_client callback, a timer)
 * goes through policy_decide() (policy.c, the lifecycle rules) and the
 * resulting plan is applied here: the client is stopped or started,
 * credentials stored or wiped, and the row change, its account_events
 * row and the command's done mark are written in one transaction.
 *
 * Each client attempt gets a new generation and its own struct
 * sess_slot as the callback's user pointer (rule 3): a replaced
 * client's slot is detached (s = NULL) before the client is freed, so
 * its late events reach nobody, and the slot itself is freed a second
 * later from the tick, after any deferred free inside lws is done.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"
#include "waversion.h"
#include "xalloc.h"

/* Borrowed data that comes with some events, for apply(). */
struct	sess_extra {
	int64_t			 cmd;		/* command id, or 0 */
	const char		*qr;		/* SEV_QR */
	time_t			 qr_expires;
	const char		*code;		/* SEV_PAIR_CODE */
	const struct wa_paired	*paired;	/* SEV_PAIRED */
	const struct wa_connected *conn;	/* SEV_CONNECTED */
	const char		*cause;		/* SEV_CLOSED: what the client
						   saw (wa_client_end_cause) */
	const char		*version;	/* SEV_CLOSED: version sent */
	const char		*version_source; /* ... and its source */
};

static void	session_event(struct session *, const struct sess_input *,
		    const struct sess_extra *);

static const char *const	op_names[SOP__MAX] = {
	"none",			/* SOP_NONE */
	"unpair",		/* SOP_UNPAIR */
	"delete",		/* SOP_DELETE */
	"duplicate",		/* SOP_DUPLICATE */
};

/*
 * Reload what the rules need from the row: auto_connect, whether it
 * was ever connected, whether credentials exist, and the label.
 * Returns 1, 0 when the row is gone, -1 on error (logged).
 */
static int
facts_load(struct session *s, int *deleted)
{
	PGresult	*res;
	const char	*p[1];
	char		 sid[24];
	int		 rc = 0;

	*deleted = 0;
	if (s->d->db == NULL)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	p[0] = sid;
	if ((res = db_exec(s->d->db, DS_ACCOUNT_FACTS, p)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		s->f.auto_connect = db_get_bool(res, 0, 0);
		s->f.was_connected = s->f.was_connected ||
		    db_get_bool(res, 0, 1);
		s->f.has_creds = db_get_bool(res, 0, 2);
		free(s->label);
		s->label = db_get_text(res, 0, 4);
		*deleted = db_get_bool(res, 0, 5);
		rc = 1;
	}
	PQclear(res);
	return rc;
}

static void	timer_arm(struct session *);

/*
 * The session of account "id" that is not gone, or NULL (borrowed from
 * d->sessions).  O(1): d->by_id indexes exactly the sessions that are
 * not gone (at most one per id; a gone one may linger in d->sessions
 * until the tick frees it).
 */
struct session *
session_find(struct daemon *d, int64_t id)
{
	struct session	*s;

	HASH_FIND(hh, d->by_id, &id, sizeof(id), s);
	return s;
}

/*
 * Mark "s" gone (its row deleted, its lease lost or released): it
 * leaves d->by_id at once, so session_find() and a new session_adopt()
 * of the same id no longer see it; the tick frees it.  Idempotent.
 */
void
session_set_gone(struct session *s)
{

	if (s->gone)
		return;
	HASH_DELETE(hh, s->d->by_id, s);
	if (s->f.state == SESS_LOGGING_IN)
		s->d->logging_in--;
	s->gone = 1;
	s->d->ngone++;
}

/* Set the state of "s", keeping d->logging_in (sessions not gone that
 * are logging in) right. */
static void
state_set(struct session *s, enum sess_state st)
{

	if (!s->gone && s->f.state != st) {
		if (s->f.state == SESS_LOGGING_IN)
			s->d->logging_in--;
		if (st == SESS_LOGGING_IN)
			s->d->logging_in++;
	}
	s->f.state = st;
}

/*
 * The session of account "id", whose lease generation "gen" we have
 * just claimed (or found ours in a renewal: lease.c); created idle
 * from its row, with a staggered start-up login (rule 9,
 * WADESK_STAGGER_MS apart) when it has credentials and auto_connect.
 * A session of an older generation is dropped first (session_lost()).
 * Returns NULL when the account does not exist or the database failed
 * (logged).  Owned by d->sessions.
 */
struct session *
session_adopt(struct daemon *d, int64_t id, int64_t gen)
{
	struct session	*s;
	uint64_t	 now;
	int		 deleted;

	now = mono_ms64();
	if ((s = session_find(d, id)) != NULL) {
		if (s->lease_gen == gen) {
			s->lease_ms = now;
			return s;
		}
		session_lost(s);
	}
	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->id = id;
	s->f.state = SESS_IDLE;
	s->lease_gen = gen;
	s->lease_ms = now;
	s->send_stall = -1;
	if (facts_load(s, &deleted) != 1) {
		free(s->label);
		free(s);
		return NULL;
	}
	if (s->f.has_creds && s->f.auto_connect && !deleted) {
		if (d->next_start_ms < now)
			d->next_start_ms = now;
		s->start_ms = d->next_start_ms;
		d->next_start_ms += (uint64_t)d->conf.stagger_ms;
		if (s->start_ms == 0)
			s->start_ms = 1;
	}
	s->next = d->sessions;
	d->sessions = s;
	HASH_ADD(hh, d->by_id, id, sizeof(s->id), s);
	timer_arm(s);
	return s;
}

/* Detach and free the current client (rule 3: new generation). */
static void
slot_retire(struct session *s)
{
	struct sess_slot	*sl = s->slot;
	struct wa_client	*c;

	s->f.gen++;
	if (sl == NULL)
		return;
	s->slot = NULL;
	sl->s = NULL;
	c = sl->c;
	sl->c = NULL;
	sl->retired_ms = mono_ms64();
	sl->next = s->d->graveyard;
	s->d->graveyard = sl;
	wa_client_free(c);	/* its closed event reaches nobody */
}

/* The slot's session if it is the current generation, else NULL. */
static struct session *
slot_session(void *user)
{
	struct sess_slot	*sl = user;

	if (sl == NULL || sl->s == NULL || sl->s->slot != sl)
		return NULL;
	return sl->s;
}

/*
 * Issue 12: the lease of "s" is gone (a fence refused a write, a
 * renewal did not answer it, or it ran out on our clock): end the
 * client at once, write nothing more for the account, and let the
 * tick free the session.  Safe inside the client's own callbacks.
 */
void
session_lost(struct session *s)
{

	if (s->gone)
		return;
	log_warnx("account %" PRId64 ": lease %" PRId64 " lost; session "
	    "closed, the daemon that holds it now runs the account", s->id,
	    s->lease_gen);
	slot_retire(s);
	session_set_gone(s);
	s->handover = 0;
	state_set(s, SESS_IDLE);
	s->d->lease_losses++;
	if (s->d->handing == s)
		s->d->handing = NULL;
}

/* The session whose received stanza's store transaction is open
 * (store_txn), and whether a write inside it failed.  One database
 * connection, one thread: at most one at a time. */
static struct session	*store_tx;
static int		 store_tx_failed;

/*
 * sigstore.c: 1 when a Signal store write for "s" runs inside the open
 * transaction of a stanza "s" received (store_txn), which was fenced
 * when it began: the write joins it rather than opening its own.
 * "failed" 1 marks that transaction failed (its COMMIT rolls back).
 * 0 when no such transaction is open for "s".
 */
int
session_store_tx(struct session *s, int failed)
{

	if (store_tx == NULL || store_tx != s)
		return 0;
	if (failed)
		store_tx_failed = 1;
	return 1;
}

/*
 * Begin a fenced transaction for a write outside apply_db(): 1 begun
 * (commit or roll back), 0 the lease is lost (session_lost() done), -1
 * a database error (logged).
 */
static int
fenced_begin(struct session *s)
{
	int	 rc;

	if (s->d->db == NULL)
		return -1;
	if (store_tx != NULL)	/* inside a stanza's transaction */
		return store_tx == s ? 1 : -1;
	if ((rc = lease_begin(s)) == 0)
		session_lost(s);
	return rc;
}

/* Commit a fenced_begin() transaction when "rc" is 0, else roll back. */
static int
fenced_end(struct session *s, int rc)
{

	if (store_tx == s) {	/* the stanza's COMMIT decides */
		if (rc != 0)
			store_tx_failed = 1;
		return rc == 0 ? 0 : -1;
	}
	if (rc == 0)
		return db_tx_commit(s->d->db);
	db_tx_rollback(s->d->db);
	return -1;
}

static void
in_init(struct sess_input *in, enum sess_ev ev, uint32_t gen)
{

	memset(in, 0, sizeof(*in));
	in->ev = ev;
	in->gen = gen;
}

static void
cb_qr(struct wa_client *c, void *user, const char *qr, int n,
    time_t expires_at)
{
	struct sess_slot	*sl = user;
	struct session		*s;
	struct sess_input	 in;
	struct sess_extra	 x;

	if ((s = slot_session(user)) == NULL)
		return;
	in_init(&in, SEV_QR, sl->gen);
	in.qr_n = n;
	memset(&x, 0, sizeof(x));
	x.qr = qr;
	x.qr_expires = expires_at;
	session_event(s, &in, &x);
}

static void
cb_pair_code(struct wa_client *c, void *user, const char *code)
{
	struct sess_slot	*sl = user;
	struct session		*s;
	struct sess_input	 in;
	struct sess_extra	 x;

	if ((s = slot_session(user)) == NULL)
		return;
	in_init(&in, SEV_PAIR_CODE, sl->gen);
	memset(&x, 0, sizeof(x));
	x.code = code;
	session_event(s, &in, &x);
}

/* Rule 6: the label of another linked account with "phone", or NULL. */
static char *
duplicate_label(struct session *s, const char *phone)
{
	PGresult	*res;
	const char	*p[2];
	char		 sid[24], *label = NULL;

	if (phone == NULL || s->d->db == NULL)
		return NULL;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	p[0] = sid;
	p[1] = phone;
	if ((res = db_exec(s->d->db, DS_ACCOUNT_DUPLICATE, p)) == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		label = db_get_text(res, 0, 0);
	PQclear(res);
	return label;
}

/*
 * The account's LID ("U:D@lid") and the LID user <-> phone mapping
 * (whatsmeow handleConnectSuccess / StoreLIDPNMapping; sql/005).
 * Logged and skipped on error: the login goes on.
 */
static void
lid_store(struct session *s, const char *lid, const char *phone)
{
	const char	*q[4];
	char		 sid[24], *user;

	if (lid == NULL || phone == NULL || fenced_begin(s) != 1)
		return;
	user = xstrndup(lid, strcspn(lid, ":@"));
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	q[0] = sid;
	q[1] = lid;
	q[2] = user;
	q[3] = phone;
	if (fenced_end(s, db_exec_cmd(s->d->db, DS_ACCOUNT_LID, q)) == -1)
		log_warnx("account %" PRId64 ": LID %s not stored", s->id, lid);
	free(user);
}

static void
cb_paired(struct wa_client *c, void *user, const struct wa_paired *pr)
{
	struct sess_slot	*sl = user;
	struct session		*s;
	struct sess_input	 in;
	struct sess_extra	 x;
	char			*dup;

	if ((s = slot_session(user)) == NULL)
		return;
	dup = duplicate_label(s, pr->phone);
	in_init(&in, SEV_PAIRED, sl->gen);
	in.dup_label = dup;
	memset(&x, 0, sizeof(x));
	x.paired = pr;
	session_event(s, &in, &x);
	free(dup);
}

static void
cb_connected(struct wa_client *c, void *user, const struct wa_connected *ci)
{
	struct sess_slot	*sl = user;
	struct session		*s;
	struct sess_input	 in;
	struct sess_extra	 x;

	if ((s = slot_session(user)) == NULL)
		return;
	lid_store(s, ci->lid, ci->phone);
	if (s->gone)
		return;		/* the lease is lost */
	in_init(&in, SEV_CONNECTED, sl->gen);
	memset(&x, 0, sizeof(x));
	x.conn = ci;
	session_event(s, &in, &x);
	if ((s = slot_session(user)) != NULL)
		groups_login(s, c);	/* issue 10: after every login */
}

/*
 * The private halves of fresh pre-keys, sealed into account_prekeys
 * before the client uploads them (wa.h prekeys_new, sql/005).
 */
static int
cb_prekeys_new(struct wa_client *c, void *user, const struct wa_prekey *k,
    size_t n)
{
	struct session	*s;

	if ((s = slot_session(user)) == NULL || fenced_begin(s) != 1)
		return -1;
	return fenced_end(s, creds_prekeys_store(s->d, s->id, k, n));
}

/* <ib><offline count/>: an event and the account's timestamp. */
static void
cb_offline(struct wa_client *c, void *user, int count)
{
	struct session	*s;
	const char	*q[1], *kv[3];
	char		 sid[24], n[16];

	if ((s = slot_session(user)) == NULL || fenced_begin(s) != 1)
		return;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	snprintf(n, sizeof(n), "%d", count);
	q[0] = sid;
	kv[0] = "count";
	kv[1] = n;
	kv[2] = NULL;
	if (fenced_end(s, db_exec_cmd(s->d->db, DS_ACCOUNT_OFFLINE, q) == -1 ||
	    db_event_insert_kv(s->d->db, s->id, "offline_synced", kv) == -1 ?
	    -1 : 0) == -1)
		log_warnx("account %" PRId64 ": offline backlog not recorded",
		    s->id);
}

static void
cb_creds_changed(struct wa_client *c, void *user, const uint8_t *creds,
    size_t len)
{
	struct session	*s;

	if ((s = slot_session(user)) == NULL || s->f.op != SOP_NONE ||
	    s->f.state == SESS_PAIRING || fenced_begin(s) != 1)
		return;
	if (fenced_end(s, creds_store(s->d, s->id, creds, len)) == 0)
		s->f.has_creds = 1;
}

static void
cb_logged_out(struct wa_client *c, void *user, enum wa_reason reason,
    int code)
{
	struct sess_slot	*sl = user;
	struct session		*s;
	struct sess_input	 in;
	int			 deleted;

	if ((s = slot_session(user)) == NULL)
		return;
	if (s->f.state == SESS_LOGGING_OUT && reason == WA_REASON_LOGGED_OUT)
		s->logout_ok = 1;	/* the device is gone: confirmed */
	(void)facts_load(s, &deleted);
	in_init(&in, SEV_LOGGED_OUT, sl->gen);
	in.reason = reason;
	session_event(s, &in, NULL);
}

static void
cb_closed(struct wa_client *c, void *user, enum wa_reason reason, int code,
    int intentional)
{
	struct sess_slot	*sl = user;
	struct session		*s;
	struct sess_input	 in;
	struct sess_extra	 x;
	int			 deleted;

	if ((s = slot_session(user)) == NULL)
		return;
	log_info("account %" PRId64 ": closed: %s (%d)%s%s%s", s->id,
	    wa_reason_name(reason), code, intentional ? ", asked for" : "",
	    wa_client_end_cause(c)[0] != '\0' ? ": " : "",
	    wa_client_end_cause(c));
	(void)facts_load(s, &deleted);
	in_init(&in, SEV_CLOSED, sl->gen);
	in.reason = reason;
	in.intentional = intentional;
	/* The "failures" contract: the concrete cause, and for 405 the
	 * version sent and where it came from, in the event's detail. */
	memset(&x, 0, sizeof(x));
	x.cause = wa_client_end_cause(c);
	if (reason == WA_REASON_OUTDATED) {
		x.version = wa_client_version(c);
		x.version_source = wa_client_version_source(c);
	}
	session_event(s, &in, &x);
}

/*
 * A received text (wa.h message): stored in the messages table
 * (messages.c) inside the stanza's store transaction (store_txn), so
 * the row commits with the Signal state that decrypted it.  A failed
 * write fails that transaction: nothing is kept, no receipt goes out,
 * and the server delivers the message again.
 */
static void
cb_message(struct wa_client *c, void *user, const struct wa_message *m)
{
	struct session	*s;

	if ((s = slot_session(user)) == NULL || m->text == NULL ||
	    s->d->conf.messages_keep <= 0)
		return;
	if (fenced_begin(s) != 1 ||
	    fenced_end(s, messages_store(s->d, s->id, m)) == -1)
		log_warnx("account %" PRId64 ": message %.40s from %.60s "
		    "could not be stored (database unavailable or the lease "
		    "lost); it is left for the server to deliver again",
		    s->id, m->id, m->sender);
}

/* A contact's identity key changed (wa.h identity_changed): an
 * identity_changed event naming the device. */
static void
cb_identity_changed(struct wa_client *c, void *user, const char *jid)
{
	struct session	*s;

	if ((s = slot_session(user)) == NULL)
		return;
	log_info("account %" PRId64 ": %s has a new identity key; session "
	    "rebuilt", s->id, jid);
	if (fenced_begin(s) != 1 || fenced_end(s, db_event_insert(s->d->db,
	    s->id, "identity_changed", "jid", jid)) == -1)
		log_warnx("account %" PRId64 ": the identity change of %s "
		    "was not recorded", s->id, jid);
}

/*
 * wa.h struct wa_store txn for the slot's store (sigstore.c): a
 * received stanza's Signal state, pre-key, credentials and message row
 * in one fenced transaction (fenced_begin/fenced_end join it instead of
 * opening their own).  BEGIN -1 when there is no database or the lease
 * is gone; COMMIT -1, having rolled back, when anything inside failed.
 */
static int
store_txn(void *user, enum wa_store_txn op)
{
	struct session	*s;
	PGconn		*pg;

	if (op == WA_STORE_BEGIN) {
		if ((s = slot_session(user)) == NULL || store_tx != NULL ||
		    fenced_begin(s) != 1)
			return -1;
		store_tx = s;
		store_tx_failed = 0;
		return 0;
	}
	if ((s = store_tx) == NULL)
		return -1;
	store_tx = NULL;
	if (s->d->db == NULL)
		return -1;
	pg = db_conn(s->d->db);
	if (store_tx_failed || pg == NULL ||
	    PQtransactionStatus(pg) != PQTRANS_INTRANS) {
		db_tx_rollback(s->d->db);
		return -1;
	}
	return db_tx_commit(s->d->db);
}

static const struct wa_callbacks	callbacks = {
	.qr = cb_qr,
	.pair_code = cb_pair_code,
	.paired = cb_paired,
	.connected = cb_connected,
	.creds_changed = cb_creds_changed,
	.logged_out = cb_logged_out,
	.closed = cb_closed,
	.prekeys_new = cb_prekeys_new,
	.offline = cb_offline,
	.groups = groups_cb_list,		/* groups.c */
	.group_change = groups_cb_change,
	.sent = send_cb_sent,			/* send.c */
	.restriction = send_cb_restriction,
	.message = cb_message,
	.identity_changed = cb_identity_changed,
};

/* A new client in a new slot (new generation), connecting through
 * "proxy" (a URL, NULL: directly).  NULL on error. */
static struct wa_client *
slot_new(struct session *s, const char *proxy)
{
	struct wa_config	 cfg;
	struct sess_slot	*sl;
	char			 display[80];

	slot_retire(s);
	sl = xcalloc(1, sizeof(*sl));
	sl->s = s;
	sl->gen = s->f.gen;
	memset(&cfg, 0, sizeof(cfg));
	cfg.lws = s->d->ctx;
	cfg.url = s->d->conf.wa_url;
	cfg.proxy = proxy;
	cfg.root_key = s->d->has_root_key ? s->d->root_key : NULL;
	/* The phone lists the device by DeviceProps.os; the pairing code's
	 * display must be "Browser (OS)" (whatsmeow pair-code.go). */
	snprintf(display, sizeof(display), "Chrome (%s)",
	    s->d->conf.device_name);
	cfg.device_name = s->d->conf.device_name;
	cfg.platform_display = display;
	cfg.presence_available = strcmp(s->d->conf.presence,
	    "available") == 0;
	cfg.user = sl;
	cfg.cb = &callbacks;
	sigstore_init(&sl->store, sl);
	sl->store.txn = store_txn;
	cfg.store = &sl->store;
	if (s->d->time_scale > 1) {
		cfg.qr_first_ms = WA_QR_FIRST_MS / s->d->time_scale;
		cfg.qr_next_ms = WA_QR_NEXT_MS / s->d->time_scale;
		cfg.keepalive_min_ms = WA_KEEPALIVE_MIN_MS / s->d->time_scale;
		cfg.keepalive_max_ms = WA_KEEPALIVE_MAX_MS / s->d->time_scale;
		cfg.keepalive_timeout_ms = WA_KEEPALIVE_TIMEOUT_MS /
		    s->d->time_scale;
		cfg.keepalive_dead_ms = WA_KEEPALIVE_DEAD_MS /
		    s->d->time_scale;
		cfg.send_timeout_ms = WA_SEND_TIMEOUT_MS / s->d->time_scale;
	}
	if ((sl->c = wa_client_new(&cfg)) == NULL) {
		free(sl);
		return NULL;
	}
	s->slot = sl;
	return sl->c;
}

/*
 * Start what the plan says, through the account's proxy if it has one
 * (proxy.c; a setting that cannot be opened never falls back to a
 * direct connection).  0, or -1 if the attempt could not start, with
 * "*why" the reason to report.
 */
static int
start(struct session *s, enum sess_start how, enum wa_reason *why)
{
	struct wa_client	*c;
	struct waversion	 v;
	uint8_t			*creds = NULL;
	char			*proxy = NULL;
	size_t			 len = 0;
	int			 rc = -1;

	*why = WA_REASON_CONNECT_FAILED;
	switch (proxy_load(s->d, s->id, &proxy)) {
	case -2:
		*why = WA_REASON_PROXY_UNREADABLE;
		return -1;
	case -1:
		return -1;
	default:
		break;
	}
	c = slot_new(s, proxy);
	proxy_url_free(proxy);
	if (c == NULL)
		return -1;
	/* Read at every connect, so a new WADESK_WA_VERSION_FILE needs
	 * no restart (lib/waversion.h). */
	waversion_resolve(s->d->conf.wa_version_file, s->d->conf.wa_version,
	    &v);
	if (wa_client_set_version(c, v.version, v.source) == -1)
		log_warnx("account %" PRId64 ": version %s refused", s->id,
		    v.version);
	switch (how) {
	case SSTART_PAIR:
		rc = wa_client_start_pair(c);
		break;
	case SSTART_PAIR_CODE:
		rc = wa_client_start_pair_code(c, s->phone != NULL ?
		    s->phone : "");
		break;
	case SSTART_LOGIN:
		if (creds_load(s->d, s->id, &creds, &len) != 1)
			break;
		rc = wa_client_start_login(c, creds, len);
		creds_plain_free(creds, len);
		break;
	default:
		break;
	}
	if (rc == -1)
		slot_retire(s);
	return rc;
}

/*
 * Rule 7 (and 6): ask the server to drop this device.  The client
 * takes the request while connecting, logging in, connected or just
 * paired (from the paired callback) and sends it once logged in (wa.h);
 * if it refuses, SEV_CONNECTED asks again and the logout timer ends
 * the wait either way.
 */
static void
logout(struct session *s)
{
	enum wa_state	 st;

	if (s->logout_sent || s->slot == NULL)
		return;
	st = wa_client_state(s->slot->c);
	if (st == WA_STATE_IDLE || st == WA_STATE_CLOSING)
		return;
	if (wa_client_logout(s->slot->c) == 0)
		s->logout_sent = 1;
}

/* Write a plan's row change; part of apply()'s transaction. */
static int
write_row(struct session *s, const struct sess_plan *p, const char *reason)
{
	const char	*q[5];
	char		 sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	q[0] = sid;
	q[1] = status_name(p->status);
	q[2] = reason;
	q[3] = p->keep_reason ? "true" : "false";
	q[4] = p->clear_pairing ? "true" : "false";
	return db_exec_cmd(s->d->db, DS_ACCOUNT_STATE, q);
}

/* jid, phone, push name, platform from a paired/connected event. */
static int
write_identity(struct session *s, const struct sess_extra *x, int forget)
{
	const char	*q[6];
	char		 sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	memset(q, 0, sizeof(q));
	q[0] = sid;
	if (x != NULL && x->paired != NULL) {
		q[1] = x->paired->jid;
		q[2] = x->paired->phone;
		q[3] = x->paired->push_name;
		q[4] = x->paired->platform;
	} else if (x != NULL && x->conn != NULL) {
		q[1] = x->conn->jid;
		q[2] = x->conn->phone;
		q[3] = x->conn->push_name;
	}
	q[5] = forget ? "true" : "false";
	return db_exec_cmd(s->d->db, DS_ACCOUNT_IDENTITY, q);
}

/* Open (or keep) the pairing window; arms the deadline timer. */
static int
window_open(struct session *s)
{
	PGresult	*res;
	const char	*q[2];
	char		 sid[24], win[16];
	int64_t		 left = 0;

	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	snprintf(win, sizeof(win), "%d", s->d->conf.pair_window_s);
	q[0] = sid;
	q[1] = win;
	if ((res = db_exec(s->d->db, DS_ACCOUNT_PAIR_BEGIN, q)) == NULL)
		return -1;
	if (PQntuples(res) != 1 || db_get_int64(res, 0, 0, &left) == -1)
		left = (int64_t)s->d->conf.pair_window_s * 1000;
	PQclear(res);
	s->deadline_ms = mono_ms64() + (uint64_t)(left > 0 ? left : 0);
	timer_arm(s);
	return 0;
}

/* Rule 7: the end of unpair or delete, after the logout or not. */
static int
finish_op(struct session *s, enum sess_op op, const char **result)
{
	const char	*q[1];
	char		 sid[24];
	struct sess_plan p;

	*result = s->logout_ok ? "logged out" :
	    "logout not confirmed; credentials wiped";
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	q[0] = sid;
	switch (op) {
	case SOP_UNPAIR:
		memset(&p, 0, sizeof(p));
		p.status = STATUS_UNPAIRED;
		p.clear_pairing = 1;
		if (db_exec_cmd(s->d->db, DS_CREDS_DELETE, q) == -1 ||
		    write_row(s, &p, NULL) == -1 ||
		    write_identity(s, NULL, 1) == -1 ||
		    db_event_insert(s->d->db, s->id, "unpaired", "logout",
		    s->logout_ok ? "confirmed" : "not_confirmed") == -1)
			return -1;
		return 0;
	case SOP_DELETE:
		if (db_event_insert(s->d->db, s->id, "deleted", "label",
		    s->label != NULL ? s->label : "") == -1 ||
		    db_exec_cmd(s->d->db, DS_ACCOUNT_DELETE, q) == -1)
			return -1;
		return 0;
	default:
		*result = NULL;
		return 0;
	}
}

/* Rule 6's reason text and event for the duplicate guard. */
static int
write_duplicate(struct session *s, const struct sess_plan *p,
    const char *label)
{
	char	*reason;
	int	 rc;

	reason = xasprintf("duplicate: Phone already linked to %s",
	    label != NULL ? label : "another account");
	rc = write_row(s, p, reason);
	free(reason);
	if (rc == 0)
		rc = db_event_insert(s->d->db, s->id, "duplicate",
		    "existing_label", label != NULL ? label : "");
	return rc;
}

/*
 * The plan's event row: its reason and, for a closed connection, the
 * cause the client saw and (405) the version sent with its source, as
 * the web side's sentences expect them ("cause", "version",
 * "version_source").
 */
static int
event_write(struct session *s, const struct sess_plan *p,
    const struct sess_input *in, const struct sess_extra *x)
{
	const char	*kv[9];
	size_t		 k = 0;

	kv[k++] = "reason";
	kv[k++] = p->event_reason;
	if (in->ev == SEV_CLOSED && x != NULL) {
		kv[k++] = "cause";
		kv[k++] = x->cause != NULL && x->cause[0] != '\0' ?
		    x->cause : NULL;
		kv[k++] = "version";
		kv[k++] = x->version;
		kv[k++] = "version_source";
		kv[k++] = x->version_source;
	}
	kv[k] = NULL;
	return db_event_insert_kv(s->d->db, s->id, p->event, kv);
}

/*
 * The database part of a plan, in one transaction, fenced by the lease
 * (issue 12).  0, -1 on a database error (logged), -2 when the lease
 * is lost (nothing written).
 */
static int
apply_db(struct session *s, const struct sess_plan *p,
    const struct sess_input *in, const struct sess_extra *x)
{
	struct db	*db = s->d->db;
	const char	*q[3], *result = p->result;
	char		 sid[24], exp[24];
	int		 dup;

	if (db == NULL) {
		log_warnx("account %" PRId64 ": no database; change lost",
		    s->id);
		return -1;
	}
	dup = p->event != NULL && strcmp(p->event, "duplicate") == 0;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	q[0] = sid;
	switch (lease_begin(s)) {
	case 1:
		break;
	case 0:
		return -2;
	default:
		return -1;
	}
	if (p->wipe_creds && db_exec_cmd(db, DS_CREDS_DELETE, q) == -1)
		goto fail;
	if (p->store_creds && x != NULL && x->paired != NULL &&
	    creds_store(s->d, s->id, x->paired->creds,
	    x->paired->creds_len) == -1)
		goto fail;
	if (p->write_row && (dup ? write_duplicate(s, p, in->dup_label) :
	    write_row(s, p, p->reason)) == -1)
		goto fail;
	if (p->open_window && window_open(s) == -1)
		goto fail;
	if (p->write_identity && write_identity(s, x, 0) == -1)
		goto fail;
	if (p->write_qr && x != NULL && x->qr != NULL) {
		snprintf(exp, sizeof(exp), "%lld", (long long)x->qr_expires);
		q[1] = x->qr;
		q[2] = exp;
		if (db_exec_cmd(db, DS_ACCOUNT_QR, q) == -1)
			goto fail;
	}
	if (p->write_code && x != NULL && x->code != NULL) {
		q[1] = x->code;
		if (db_exec_cmd(db, DS_ACCOUNT_CODE, q) == -1)
			goto fail;
	}
	if (p->event != NULL && !dup && event_write(s, p, in, x) == -1)
		goto fail;
	if (p->finish_op) {
		if (finish_op(s, p->op, &result) == -1)
			goto fail;
		if (s->op_cmd != 0 && s->op_cmd != x->cmd &&
		    db_command_done(db, s->op_cmd, result, NULL) == -1)
			goto fail;
	}
	if (x != NULL && x->cmd != 0 && !p->cmd_open &&
	    db_command_done(db, x->cmd, result, p->error) == -1)
		goto fail;
	if (x != NULL && x->cmd != 0 && p->cmd_open && s->op_cmd != 0 &&
	    s->op_cmd != x->cmd && db_command_done(db, s->op_cmd, NULL,
	    "superseded by a later command") == -1)
		goto fail;
	if (db_tx_commit(db) == -1)
		return -1;
	return 0;
fail:
	db_tx_rollback(db);
	return -1;
}

/*
 * apply_db(), run again (at most twice more) when PostgreSQL ended the
 * transaction for a conflict with a concurrent one, which it asks the
 * client to retry ("deadlock detected" 40P01, "could not serialize"
 * 40001: PostgreSQL manual, "Serialization Failure Handling"); every
 * statement of the plan was rolled back, so it is run as a whole
 * again.  Same returns as apply_db().
 */
static int
apply_db_retry(struct session *s, const struct sess_plan *p,
    const struct sess_input *in, const struct sess_extra *x)
{
	int	 rc, tries;

	for (tries = 0;; tries++) {
		rc = apply_db(s, p, in, x);
		if (rc != -1 || tries == 2 || s->d->db == NULL ||
		    !db_retryable(s->d->db))
			return rc;
		log_info("account %" PRId64 ": the database ended the write "
		    "for a conflict with another transaction (%s); trying "
		    "again", s->id, db_sqlstate(s->d->db));
	}
}

/*
 * Write again the status that a failed transaction left unwritten
 * (s->row_stale): fenced, as any write.  Called from session_timers()
 * once s->row_retry_ms is due; on failure it is tried again
 * DAEMON_ROW_RETRY_MS later.  The event of that transaction is not
 * written again: the row is what the pages show.
 */
static void
row_rewrite(struct session *s, uint64_t now)
{
	struct sess_plan	 p;

	s->row_retry_ms = now + DAEMON_ROW_RETRY_MS;
	if (fenced_begin(s) != 1)
		return;		/* lost (session_lost() done) or no database */
	memset(&p, 0, sizeof(p));
	p.status = s->row_status;
	p.keep_reason = s->row_keep_reason;
	p.clear_pairing = s->row_clear_pairing;
	if (fenced_end(s, write_row(s, &p, s->row_reason)) == 0) {
		s->row_stale = 0;
		log_info("account %" PRId64 ": status %s written", s->id,
		    status_name(s->row_status));
	}
}

/* How often one session's last_frame_at may be written, in ms. */
static uint64_t
frame_every_ms(const struct daemon *d)
{

	return DAEMON_FRAME_WRITE_MS / (d->time_scale > 1 ? d->time_scale : 1);
}

/* DAEMON_LOGIN_MS divided by WADESKD_TIME_SCALE, at least
 * DAEMON_LOGIN_MIN_MS, in ms. */
static uint64_t
login_bound_ms(const struct daemon *d)
{
	uint64_t	 ms;

	ms = DAEMON_LOGIN_MS / (d->time_scale > 1 ? d->time_scale : 1);
	return ms < DAEMON_LOGIN_MIN_MS ? DAEMON_LOGIN_MIN_MS : ms;
}

/*
 * The earliest mono ms at which session_timers() has something to do
 * for "s", or UINT64_MAX: the same conditions, read as due times.
 */
static uint64_t
session_due(const struct session *s)
{
	uint64_t	 t;

	if (s->gone)
		return UINT64_MAX;
	if (s->start_ms != 0)
		t = s->start_ms;
	else {
		switch (s->f.state) {
		case SESS_PAIRING:
			t = s->deadline_ms;
			break;
		case SESS_LOGGING_IN:
			t = s->login_ms;
			break;
		case SESS_BACKOFF:
			t = s->backoff_ms;
			break;
		case SESS_LOGGING_OUT:
			t = s->logout_ms;
			break;
		default:
			t = UINT64_MAX;
			break;
		}
	}
	if (s->row_stale && s->row_retry_ms < t)
		t = s->row_retry_ms;	/* a status to write again */
	return t;
}

/*
 * Issue 8 (idle CPU): session_tick() walks the sessions for their
 * timers only once the earliest due time has come, not on every tick
 * (5,000 idle sessions have none).  Called wherever a session's state
 * or one of its deadlines may have changed; calling it more is
 * harmless.
 */
static void
timer_arm(struct session *s)
{
	uint64_t	 t = session_due(s), g;

	/* Issue 10: a sync_groups command waiting for its answer ends at
	 * groups_due_ms, or at once when the session is not connected
	 * (groups_tick()). */
	if (s->groups_cmd != 0 && !s->gone) {
		g = s->f.state == SESS_CONNECTED ? s->groups_due_ms : 0;
		if (g < t)
			t = g;
	}

	if (t < s->d->next_timer_ms)
		s->d->next_timer_ms = t;
}

static void	session_event_apply(struct session *,
		    const struct sess_input *, const struct sess_extra *);

/*
 * Decide and apply one event for session "s".  "x" carries borrowed
 * event data and the command id (may be NULL).
 */
static void
session_event(struct session *s, const struct sess_input *in,
    const struct sess_extra *x)
{

	session_event_apply(s, in, x);
	timer_arm(s);
}

static void
session_event_apply(struct session *s, const struct sess_input *in,
    const struct sess_extra *x)
{
	struct sess_extra	 none;
	struct sess_plan	 p;
	enum sess_state		 was = s->f.state;
	enum sess_op		 op;
	enum wa_reason		 why;
	int			 rc;

	if (x == NULL) {
		memset(&none, 0, sizeof(none));
		x = &none;
	}
	policy_decide(&s->f, in, &p);
	if (p.ignore)
		return;
	if (p.stop)
		slot_retire(s);
	if ((rc = apply_db_retry(s, &p, in, x)) == -2) {
		session_lost(s);
		return;
	}
	if (p.write_row && rc == -1) {
		/* The session moves on; its row must follow it. */
		s->row_stale = 1;
		s->row_status = p.status;
		s->row_reason = p.reason;
		s->row_keep_reason = p.keep_reason;
		s->row_clear_pairing = p.clear_pairing;
		s->row_retry_ms = mono_ms64() + DAEMON_ROW_RETRY_MS;
		log_warnx("account %" PRId64 ": its status (%s) could not be "
		    "written; written again in %d ms", s->id,
		    status_name(p.status), DAEMON_ROW_RETRY_MS);
	} else if (p.write_row)
		s->row_stale = 0;

	if (p.wipe_creds)
		s->f.has_creds = 0;
	if (p.store_creds)
		s->f.has_creds = 1;
	if (p.set_connected)
		s->f.was_connected = 1;
	if (p.backoff_reset)
		s->attempt = 0;
	if (in->ev == SEV_CMD_PAIR || in->ev == SEV_CMD_PAIR_CODE ||
	    p.open_window)
		s->f.pair_by_code = in->ev == SEV_CMD_PAIR_CODE;
	op = p.op;
	if (p.finish_op) {
		op = SOP_NONE;
		s->op_cmd = 0;
		if (p.op == SOP_DELETE)
			session_set_gone(s);
	}
	if (p.cmd_open) {
		s->op_cmd = x->cmd;
		if (s->f.state != SESS_LOGGING_OUT) {
			s->logout_sent = 0;
			s->logout_ok = 0;
		}
	}
	if (p.next == SESS_CONNECTED && was != SESS_CONNECTED) {
		/* account_state wrote last_frame_at = now(). */
		s->frame_written = time(NULL);
		s->frame_due_ms = mono_ms64() + frame_every_ms(s->d);
	}
	if (p.next == SESS_LOGGING_IN && (was != SESS_LOGGING_IN ||
	    p.start != SSTART_NONE))
		s->login_ms = mono_ms64() + login_bound_ms(s->d);
	state_set(s, p.next);
	s->f.op = op;
	if (was != p.next)
		log_info("account %" PRId64 ": %s -> %s (op %s)", s->id,
		    policy_state_name(was), policy_state_name(p.next),
		    op_names[op]);
	if (p.arm_logout)
		s->logout_ms = mono_ms64() + DAEMON_LOGOUT_MS;
	if (p.backoff) {
		s->backoff_ms = mono_ms64() + policy_backoff_ms(
		    s->attempt, s->d->conf.backoff_min_ms,
		    s->d->conf.backoff_max_ms, randombytes_random());
		s->attempt++;
	}
	if (p.start != SSTART_NONE && !s->gone &&
	    start(s, p.start, &why) == -1) {
		struct sess_input	 fail;

		/* Treat as a connection that failed at once. */
		in_init(&fail, SEV_CLOSED, s->f.gen);
		fail.reason = why;
		session_event(s, &fail, NULL);
		return;
	}
	if (p.logout)
		logout(s);
}

/*
 * Run command "cmd" (already claimed) of type "ev" for account "id";
 * "phone" is the pair_code payload's number (borrowed, may be NULL).
 * The command is marked done in the transaction of the change it
 * causes, or later for unpair/delete (after the logout).  Returns 0,
 * or -1 on a database error (logged; the lease lets it be retried).
 */
int
session_command(struct daemon *d, int64_t cmd, int64_t id, enum sess_ev ev,
    const char *phone)
{
	struct session		*s;
	struct sess_input	 in;
	struct sess_extra	 x;
	int			 deleted;

	if ((s = session_find(d, id)) == NULL) {
		/* Claimed (we hold the lease) but no session: a renewal
		 * adopts it and the claim is given back then. */
		log_warnx("command %" PRId64 ": account %" PRId64 " has no "
		    "session here; retried", cmd, id);
		return -1;
	}
	if (facts_load(s, &deleted) == -1)
		return -1;
	if (deleted && ev != SEV_CMD_DELETE) {
		if (fenced_begin(s) != 1)
			return -1;
		return fenced_end(s, db_command_done(d->db, cmd, NULL,
		    "the account is being deleted"));
	}
	s->start_ms = 0;	/* an operator's command overrides start-up */
	if (ev == SEV_CMD_PAIR_CODE) {
		free(s->phone);
		s->phone = phone != NULL ? xstrdup(phone) : NULL;
	}
	in_init(&in, ev, s->f.gen);
	memset(&x, 0, sizeof(x));
	x.cmd = cmd;
	session_event(s, &in, &x);
	return 0;
}

/*
 * WADESK_LOGINS_AT_ONCE (0: no limit): 1 when that many sessions are
 * logging in already, after moving the due time "*due" of this
 * session's start-up or reconnect DAEMON_LOGIN_WAIT_MS on; 0 when it
 * may start.  With every session of a failover or a start-up due at
 * once (stagger off), thousands of simultaneous handshakes can outlast
 * the connect and handshake timeouts on a busy server or host, each
 * failure feeding the back-off; held to a bound, fewer fail, but a
 * bound below what the other end can take slows the whole wave
 * (tests/daemon/fleet_bench.sh, README), so there is none by default.
 * Operators' commands and the 515 restart are not held.
 */
static int
logins_full(struct session *s, uint64_t now, uint64_t *due)
{

	if (s->d->conf.logins_max == 0 ||
	    s->d->logging_in < s->d->conf.logins_max)
		return 0;
	*due = now + DAEMON_LOGIN_WAIT_MS;
	return 1;
}

/* Timer events for one session. */
static void
session_timers(struct session *s, uint64_t now)
{
	struct sess_input	 in;

	if (s->row_stale && now >= s->row_retry_ms) {
		row_rewrite(s, now);
		if (s->gone)
			return;
	}
	in_init(&in, SEV__MAX, s->f.gen);
	if (s->start_ms != 0 && now >= s->start_ms) {
		if (logins_full(s, now, &s->start_ms))
			return;
		s->start_ms = 0;
		in.ev = SEV_START;
	} else if (s->f.state == SESS_PAIRING && now >= s->deadline_ms)
		in.ev = SEV_PAIR_DEADLINE;
	else if (s->f.state == SESS_LOGGING_IN && now >= s->login_ms) {
		log_warnx("account %" PRId64 ": the login did not finish in "
		    "%" PRIu64 " ms (no answer from WhatsApp); dropped",
		    s->id, login_bound_ms(s->d));
		in.ev = SEV_LOGIN_DEADLINE;
	} else if (s->f.state == SESS_BACKOFF && now >= s->backoff_ms) {
		if (logins_full(s, now, &s->backoff_ms))
			return;
		in.ev = SEV_BACKOFF_DUE;
	}
	else if (s->f.state == SESS_LOGGING_OUT && now >= s->logout_ms)
		in.ev = SEV_LOGOUT_TIMEOUT;
	else
		return;
	session_event(s, &in, NULL);
}

/*
 * 1 if session "s" should have last_frame_at written now, with the
 * client's last frame time in *t: connected, its rate limit passed,
 * and a frame newer than what was written.
 */
static int
frame_due(const struct session *s, uint64_t now, time_t *t)
{

	if (s->gone || s->f.state != SESS_CONNECTED || s->slot == NULL ||
	    s->slot->c == NULL || now < s->frame_due_ms)
		return 0;
	*t = wa_client_last_frame(s->slot->c);
	return *t > s->frame_written;
}

/*
 * Zombie detection display (issue 4: the account page shows how long
 * ago the last server frame arrived): copy wa_client_last_frame() of
 * every connected session to accounts.last_frame_at, for each session
 * at most every frame_every_ms() and only when it moved, all sessions
 * due in one UPDATE (db_frames_write()), so 5,000 sessions cost about
 * one statement per pass, not one per session; session_tick() makes a
 * pass every quarter of frame_every_ms(), not every tick.  A silent connection
 * stops moving it; the keepalive in daemon/wa declares it dead.
 */
static void
frames_write(struct daemon *d, uint64_t now)
{
	struct session	*s, **due = NULL;
	struct buf	 ids, times, gens;
	time_t		 t, *tv = NULL;
	size_t		 n = 0, cap = 0, i;
	char		 owner[24];
	int		 rc;

	if (d->db == NULL)
		return;
	buf_init(&ids);
	buf_init(&times);
	buf_init(&gens);
	/* One walk (issue 8): the due sessions are remembered for after
	 * the statement, with the times written. */
	for (s = d->sessions; s != NULL; s = s->next) {
		if (!frame_due(s, now, &t))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			due = xreallocarray(due, cap, sizeof(*due));
			tv = xreallocarray(tv, cap, sizeof(*tv));
		}
		due[n] = s;
		tv[n] = t;
		buf_printf(&ids, "%s%" PRId64, n == 0 ? "{" : ",", s->id);
		buf_printf(&times, "%s%lld", n == 0 ? "{" : ",",
		    (long long)t);
		buf_printf(&gens, "%s%" PRId64, n == 0 ? "{" : ",",
		    s->lease_gen);
		n++;
	}
	if (n == 0)
		goto out;
	buf_putc(&ids, '}');
	buf_putc(&times, '}');
	buf_putc(&gens, '}');
	snprintf(owner, sizeof(owner), "%" PRId64, d->instance);
	rc = db_frames_write(d->db, buf_str(&ids), buf_str(&times), owner,
	    buf_str(&gens));
	/* Nothing ran in between that could free a session. */
	for (i = 0; i < n; i++) {
		if (rc == 0)
			due[i]->frame_written = tv[i];
		due[i]->frame_due_ms = now + frame_every_ms(d);
	}
out:
	free(due);
	free(tv);
	buf_free(&ids);
	buf_free(&times);
	buf_free(&gens);
}

static void
session_free(struct session *s)
{

	free(s->label);
	free(s->phone);
	free(s);
}

/*
 * Housekeeping from main.c's tick: pairing deadlines (rule 1),
 * back-off (rule 5), logout timeouts (rule 7), staggered start-up
 * (rule 9), last_frame_at of connected sessions (frames_write()); frees
 * deleted sessions and retired client slots.
 */
void
session_tick(struct daemon *d)
{
	struct session		**sp, *s;
	struct sess_slot	**lp, *sl;
	uint64_t		 now;

	now = mono_ms64();
	if (d->db != NULL) {
		/*
		 * A Signal store write refused by the fence marked its
		 * session (sigstore.c, deep inside the client): close
		 * those here, walking only when one was marked.
		 */
		if (d->any_fenced) {
			d->any_fenced = 0;
			for (s = d->sessions; s != NULL; s = s->next)
				if (s->fenced)
					session_lost(s);
		}
		if (now >= d->next_timer_ms) {
			d->next_timer_ms = UINT64_MAX;
			for (s = d->sessions; s != NULL; s = s->next)
				if (!s->gone) {
					session_timers(s, now);
					groups_tick(s, now);
					timer_arm(s);
				}
		}
		/*
		 * A pass reads every connected session's client; with a
		 * write allowed per session every frame_every_ms(), a
		 * pass every quarter of it is enough (a session is
		 * written at most that much after it is due).
		 */
		if (now >= d->next_frames_ms) {
			d->next_frames_ms = now + frame_every_ms(d) / 4;
			frames_write(d, now);
		}
	}
	/* d->ngone: most ticks have no session to free, so no walk. */
	for (sp = &d->sessions; d->ngone > 0 && (s = *sp) != NULL; ) {
		if (s->gone)
			slot_retire(s);
		if (s->gone && s->slot == NULL) {
			*sp = s->next;
			session_free(s);
			d->ngone--;
		} else
			sp = &s->next;
	}
	for (lp = &d->graveyard; (sl = *lp) != NULL; ) {
		if (now >= sl->retired_ms + 1000) {
			*lp = sl->next;
			free(sl);
		} else
			lp = &sl->next;
	}
}

/*
 * Issue 12: ready session "s" to be handed to another daemon.  A
 * session that the next owner logs in again (credentials,
 * auto_connect; connected, or for a drain also logging in or waiting
 * to reconnect) is closed quietly, writing nothing: returns 1, and
 * lease.c writes the handover and releases the lease a step later, once
 * the socket is surely closed (so the next login replaces nothing).
 * For a drain ("drain" 1) any other session is ended as on SIGTERM
 * (rule 9: a pairing window settles unpaired) and returns 0.  -1: not
 * now (a logout or a command in flight; for a fair-share handover,
 * anything but an idle connected session), or the lease is lost.
 */
int
session_handoff(struct session *s, int drain)
{
	struct sess_input	 in;
	int			 resumes;

	if (s->gone || s->f.op != SOP_NONE || s->op_cmd != 0 ||
	    s->f.state == SESS_LOGGING_OUT)
		return -1;
	resumes = s->f.has_creds && s->f.auto_connect &&
	    (s->f.state == SESS_CONNECTED || (drain &&
	    (s->f.state == SESS_LOGGING_IN || s->f.state == SESS_BACKOFF)));
	if (resumes) {
		log_info("account %" PRId64 ": %s: handed over", s->id,
		    policy_state_name(s->f.state));
		slot_retire(s);
		state_set(s, SESS_IDLE);
		s->start_ms = 0;
		s->handover = 1;
		return 1;
	}
	if (!drain)
		return -1;
	in_init(&in, SEV_SHUTDOWN, s->f.gen);
	session_event(s, &in, NULL);
	slot_retire(s);
	s->start_ms = 0;
	return s->gone ? -1 : 0;
}

/*
 * Rule 9 on SIGTERM/SIGINT: end every session intentionally and write
 * its row (connected -> disconnected "daemon_stopped", pairing ->
 * unpaired), freeing every client while the lws context still exists.
 */
void
session_close_all(struct daemon *d)
{
	struct session		*s;
	struct sess_input	 in;

	for (s = d->sessions; s != NULL; s = s->next) {
		if (!s->gone) {
			in_init(&in, SEV_SHUTDOWN, s->f.gen);
			session_event(s, &in, NULL);
		}
		slot_retire(s);
	}
}

/* Free every session and retired slot (after session_close_all()). */
void
session_free_all(struct daemon *d)
{
	struct session		*s;
	struct sess_slot	*sl;

	HASH_CLEAR(hh, d->by_id);
	while ((s = d->sessions) != NULL) {
		d->sessions = s->next;
		session_free(s);
	}
	while ((sl = d->graveyard) != NULL) {
		d->graveyard = sl->next;
		free(sl);
	}
}
