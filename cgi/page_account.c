/*
 * One account: GET /accounts/{id} (the page, with the actions that fit
 * its status and, while pending, the QR or pairing code), its QR as a
 * PNG, status.json (what the page's script polls), the audit trail,
 * the delete confirmation, and every POST action.
 *
 * Actions that need the session daemon insert a command row in the
 * same transaction as the row change they imply (DESIGN.md): "pair"
 * sets status 'pending' and the pairing deadline; the daemon reacts to
 * the NOTIFY the insert trigger sends.  An account that is not the
 * operator's answers 404, never 403, so its existence is not revealed.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "proxyurl.h"
#include "qrmemo.h"
#include "qrpng.h"
#include "reason.h"
#include "status.h"
#include "xalloc.h"

#define	BIT(s)	(1u << (s))
#define	ALL	(BIT(STATUS__MAX) - 1)
#define	PAIRABLE (BIT(STATUS_UNPAIRED) | BIT(STATUS_LOGGED_OUT) | \
		    BIT(STATUS_BANNED))
#define	TIMELINE_ROWS	50	/* transitions on the account page */
#define	TIMELINE_FETCH	"51"	/* one more: are there older ones? */

/* Column indexes of WS_ACCOUNT_GET (ACCOUNT_COLS in db_web.c). */
enum	acol {
	AC_ID, AC_LABEL, AC_STATUS, AC_HAS_QR, AC_QR_VERSION,
	AC_QR_EXPIRES, AC_PAIR_CODE, AC_DEADLINE, AC_PHONE, AC_JID,
	AC_PUSH_NAME, AC_PLATFORM, AC_AUTO_CONNECT, AC_LAST_CONNECTED,
	AC_LAST_DISCONNECTED, AC_REASON, AC_CREATED, AC_UPDATED,
	AC_LAST_FRAME, AC_REMAINING, AC_QR_N, AC_OPERATOR, AC_FRAME_AGE,
	AC_LID, AC_OFFLINE_SYNCED, AC_OWNER, AC_OWNER_HOST, AC_OWNER_PID,
	AC_PROXY, AC_GROUPS, AC_GROUPS_SYNCED, AC_RESTRICTED,
	AC_RESTRICTED_UNTIL, AC_RESTRICTED_REASON,	/* issue 10 */
	AC_SEND_STALLED, AC_SEND_STALLED_AT		/* sql/020 */
};

struct	action {
	const char	*name;		/* URL segment */
	const char	*command;	/* commands.type, or NULL */
	unsigned int	 allowed;	/* statuses it fits (BIT()) */
	const char	*button;	/* wording; NULL: not a plain button */
	const char	*cls;		/* button class */
	const char	*event;		/* account_events.kind */
};

static const struct action	actions[] = {
	{ "pair", "pair", PAIRABLE, "Pair with QR code", "primary",
	    "pair_requested" },
	{ "pair-code", "pair_code", PAIRABLE, NULL, NULL,
	    "pair_code_requested" },
	{ "cancel-pair", "cancel_pair", BIT(STATUS_PENDING), "Cancel pairing",
	    "", "pair_cancelled" },
	{ "reconnect", "reconnect", BIT(STATUS_DISCONNECTED), "Reconnect",
	    "primary", "reconnect_requested" },
	{ "disconnect", "disconnect", BIT(STATUS_CONNECTED) |
	    BIT(STATUS_CONNECTING), "Disconnect", "", "disconnect_requested" },
	{ "unpair", "unpair", BIT(STATUS_CONNECTED) | BIT(STATUS_CONNECTING) |
	    BIT(STATUS_DISCONNECTED) | BIT(STATUS_BANNED), "Unpair", "danger",
	    "unpair_requested" },
	{ "delete", "delete", ALL, NULL, NULL, "delete_requested" },
	{ "rename", NULL, ALL, NULL, NULL, "renamed" },
	{ "auto-connect", NULL, ALL, NULL, NULL, "auto_connect_changed" },
	{ "proxy", NULL, ALL, NULL, NULL, "proxy_changed" },
};

/* A proxy setting ready to store (proxy_prepare()); all NULL: none. */
struct	proxy_set {
	char		*sealed;	/* bytea hex of crypto_box_seal(URL) */
	char		*pk;		/* bytea hex of the key sealed to */
	char		*display;	/* the URL without its password */
};

#define	NACTIONS	(sizeof(actions) / sizeof(actions[0]))

struct	page {
	struct req		*r;
	PGresult		*res;	/* WS_ACCOUNT_GET row 0 */
	enum status		 st;
	const struct action	*act;	/* action being drawn */
	PGresult		*cmds;	/* WS_COMMANDS_FOR_ACCOUNT */
	PGresult		*timeline; /* WS_TRANSITIONS_FOR_ACCOUNT */
	PGresult		*phone;	/* send_phone_latest() */
	int			 row;
	const char		*error;	/* form error, or NULL */
};

static const char *
col(const struct page *pg, enum acol c)
{

	return PQgetisnull(pg->res, 0, c) ? NULL :
	    PQgetvalue(pg->res, 0, c);
}

/*
 * Load the account r->id if visible to the operator into "pg".
 * Returns 1 found, 0 not found or not visible, -1 database error.
 */
static int
account_load(struct req *r, struct page *pg)
{
	const char	*p[3];
	char		 sid[24], op[24];

	memset(pg, 0, sizeof(*pg));
	pg->r = r;
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((pg->res = db_exec(r->w->db, WS_ACCOUNT_GET, p)) == NULL)
		return -1;
	if (PQntuples(pg->res) != 1 ||
	    status_parse(col(pg, AC_STATUS), &pg->st) == -1) {
		PQclear(pg->res);
		pg->res = NULL;
		return 0;
	}
	return 1;
}

/* "v", or an em dash for a missing value. */
static const char *
or_dash(const char *v)
{

	return v != NULL && *v != '\0' ? v : "\u2014";
}

/* Format a pairing code "ABCDEFGH" as "ABCD-EFGH". */
static void
code_grouped(struct tout *o, const char *code)
{
	size_t	 len = strlen(code);

	if (len == 8)
		tmpl_textf(o, "%.4s-%.4s", code, code + 4);
	else
		tmpl_text(o, code);
}

static int
command_key(struct tout *o, enum tkey key, void *arg)
{
	const struct page	*pg = arg;
	PGresult		*c = pg->cmds;
	struct buf		 b;
	int			 i = pg->row;

	switch (key) {
	case TKEY_TYPE:
		tmpl_text(o, PQgetvalue(c, i, 0));
		return 0;
	case TKEY_CREATED:
		return present_time(o, PQgetvalue(c, i, 1));
	case TKEY_STATE:
		if (!PQgetisnull(c, i, 5)) {
			buf_init(&b);
			buf_puts(&b, "Failed: ");
			reason_write(&b, PQgetvalue(c, i, 5), NULL);
			tmpl_text(o, buf_str(&b));
			buf_free(&b);
		} else if (!PQgetisnull(c, i, 3)) {
			tmpl_text(o, "Done ");
			if (present_time(o, PQgetvalue(c, i, 3)) == -1)
				return -1;
			if (!PQgetisnull(c, i, 4))
				tmpl_textf(o, ": %s", PQgetvalue(c, i, 4));
		} else if (!PQgetisnull(c, i, 2))
			tmpl_text(o, "in progress");
		else
			tmpl_text(o, "waiting for the session daemon");
		return 0;
	default:
		return -1;
	}
}

/* Column "c" of the newest transition, or NULL (none, or NULL). */
static const char *
latest(const struct page *pg, int c)
{

	if (pg->timeline == NULL || PQntuples(pg->timeline) == 0 ||
	    PQgetisnull(pg->timeline, 0, c))
		return NULL;
	return PQgetvalue(pg->timeline, 0, c);
}

/*
 * The disconnect reason as the operator's sentence, naming the cause
 * the client saw (and a refused version) when the newest transition
 * carries this reason and its event recorded them; an em dash when
 * there is no reason.
 */
static void
reason_show(struct tout *o, const struct page *pg)
{
	struct buf	 b;
	const char	*code = col(pg, AC_REASON), *detail = NULL, *r;

	if (code == NULL || *code == '\0') {
		tmpl_text(o, "\u2014");
		return;
	}
	if ((r = latest(pg, 3)) != NULL && strcmp(r, code) == 0)
		detail = latest(pg, 8);
	buf_init(&b);
	present_reason(&b, code, detail);
	tmpl_text(o, buf_str(&b));
	buf_free(&b);
}

static int
message_key(struct tout *o, enum tkey key, void *arg)
{

	if (key != TKEY_MESSAGE)
		return -1;
	tmpl_text(o, arg);
	return 0;
}

/*
 * "Pairing ended: ..." while the newest transition is a pairing window
 * that closed without a linked device (pending to a status other than
 * connecting or connected) made by the session daemon or SQL, not by
 * an operator's cancel.  It stays on every reload until the next
 * change of status (the next Pair), with or without JavaScript.
 */
static int
pairing_ended(struct tout *o, const struct page *pg)
{
	struct buf	 b;
	const char	*from = latest(pg, 9), *to = latest(pg, 0);
	const char	*actor = latest(pg, 4);
	int		 rc;

	if (from == NULL || to == NULL || actor == NULL ||
	    strcmp(from, "pending") != 0 || strcmp(actor, "operator") == 0 ||
	    strcmp(to, status_name(pg->st)) != 0 ||
	    pg->st == STATUS_CONNECTING || pg->st == STATUS_CONNECTED ||
	    pg->st == STATUS_PENDING)
		return 0;
	buf_init(&b);
	present_transition_text(&b, pg->timeline, 0);
	rc = tmpl_partial(o, TMPL_PAIRING_ENDED, message_key,
	    (void *)buf_str(&b));
	buf_free(&b);
	return rc;
}

static int
older_key(struct tout *o, enum tkey key, void *arg)
{
	const struct page	*pg = arg;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, col(pg, AC_ID));
		return 0;
	case TKEY_COUNT:
		tmpl_textf(o, "%d", TIMELINE_ROWS);
		return 0;
	default:
		return -1;
	}
}

static int
restricted_key(struct tout *o, enum tkey key, void *arg)
{

	if (key != TKEY_MESSAGE)
		return -1;
	tmpl_text(o, arg);
	return 0;
}

/* group_note.html with id "stalled" and the sentence "arg". */
static int
stalled_key(struct tout *o, enum tkey key, void *arg)
{

	if (key == TKEY_ID) {
		tmpl_text(o, "stalled");
		return 0;
	}
	return restricted_key(o, key, arg);
}

static int
account_key(struct tout *o, enum tkey key, void *arg)
{
	struct page		*pg = arg;
	struct buf		 b;
	const char		*v;
	size_t			 i;
	int			 n;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, col(pg, AC_ID));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, col(pg, AC_LABEL));
		return 0;
	case TKEY_STATUS:
		tmpl_text(o, status_name(pg->st));
		return 0;
	case TKEY_STATUS_TEXT:
		tmpl_text(o, status_text(pg->st));
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, pg->r->csrf);
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, pg->error);
		return 0;
	case TKEY_PHONE:
		if ((v = col(pg, AC_PHONE)) != NULL)
			tmpl_textf(o, "+%s", v);
		else
			tmpl_text(o, "\u2014");
		return 0;
	case TKEY_JID:
		tmpl_text(o, or_dash(col(pg, AC_JID)));
		return 0;
	case TKEY_PUSH_NAME:
		tmpl_text(o, or_dash(col(pg, AC_PUSH_NAME)));
		return 0;
	case TKEY_PLATFORM:
		tmpl_text(o, or_dash(col(pg, AC_PLATFORM)));
		return 0;
	case TKEY_LID:
		tmpl_text(o, or_dash(col(pg, AC_LID)));
		return 0;
	case TKEY_OFFLINE_SYNCED:
		tmpl_text(o, col(pg, AC_OFFLINE_SYNCED) != NULL ?
		    col(pg, AC_OFFLINE_SYNCED) : "never");
		return 0;
	case TKEY_REASON:
		reason_show(o, pg);
		return 0;
	case TKEY_DISABLED:
		/* Sends that stalled (sql/020): a badge that says so. */
		if (db_get_bool(pg->res, 0, AC_SEND_STALLED) &&
		    tmpl_partial(o, TMPL_SEND_STALLED, restricted_key,
		    "Sends stalled") == -1)
			return -1;
		/* WhatsApp's send restriction (sql/013), its own badge. */
		if (!db_get_bool(pg->res, 0, AC_RESTRICTED))
			return 0;
		buf_init(&b);
		buf_puts(&b, "Restricted");
		if ((v = col(pg, AC_RESTRICTED_UNTIL)) != NULL)
			buf_printf(&b, " until %s", v);
		n = tmpl_partial(o, TMPL_GROUP_RESTRICTED, restricted_key,
		    (void *)buf_str(&b));
		buf_free(&b);
		return n;
	case TKEY_COUNT:
		/* The groups (issue 10, cgi/page_groups.c). */
		if (col(pg, AC_GROUPS_SYNCED) == NULL) {
			tmpl_text(o, "not fetched yet");
			return 0;
		}
		tmpl_textf(o, "%s, synced ", col(pg, AC_GROUPS));
		return present_time(o, col(pg, AC_GROUPS_SYNCED));
	case TKEY_OWNER:
		/* Issue 12: the daemon whose lease on the account holds. */
		if (col(pg, AC_OWNER) == NULL)
			tmpl_text(o, "none (no session daemon holds this "
			    "account now)");
		else
			tmpl_textf(o, "daemon %s on %s (pid %s)",
			    col(pg, AC_OWNER), or_dash(col(pg, AC_OWNER_HOST)),
			    or_dash(col(pg, AC_OWNER_PID)));
		return 0;
	case TKEY_PAIRING_ENDED:
		return pairing_ended(o, pg);
	case TKEY_BANNER:
		/* Why the badge says "Sends stalled" (sql/020). */
		if (!db_get_bool(pg->res, 0, AC_SEND_STALLED))
			return 0;
		buf_init(&b);
		stalled_sentence(&b, col(pg, AC_SEND_STALLED_AT));
		n = tmpl_partial(o, TMPL_GROUP_NOTE, stalled_key,
		    (void *)buf_str(&b));
		buf_free(&b);
		return n;
	case TKEY_SEND:
		/* Send-test to a phone number (issue 10, page_groups.c). */
		return send_phone_section(o, pg->r, col(pg, AC_ID), pg->phone,
		    db_get_bool(pg->res, 0, AC_RESTRICTED),
		    col(pg, AC_RESTRICTED_UNTIL), col(pg, AC_RESTRICTED_REASON));
	case TKEY_TIMELINE:
		return present_timeline(o, pg->timeline, 0, TIMELINE_ROWS);
	case TKEY_NEXT_PAGE:
		if (pg->timeline == NULL ||
		    PQntuples(pg->timeline) <= TIMELINE_ROWS)
			return 0;
		return tmpl_partial(o, TMPL_TIMELINE_OLDER, older_key, pg);
	case TKEY_LAST_CONNECTED:
		if (col(pg, AC_LAST_CONNECTED) == NULL) {
			tmpl_text(o, "never");
			return 0;
		}
		return present_time(o, col(pg, AC_LAST_CONNECTED));
	case TKEY_LAST_FRAME:
		if ((v = col(pg, AC_FRAME_AGE)) != NULL)
			tmpl_textf(o, "%s s ago", v);
		else
			tmpl_text(o, "\u2014");
		return 0;
	case TKEY_AUTO_CONNECT:
		tmpl_text(o, strcmp(col(pg, AC_AUTO_CONNECT), "t") == 0 ?
		    "on" : "off");
		return 0;
	case TKEY_AUTO_NEXT:
		tmpl_text(o, strcmp(col(pg, AC_AUTO_CONNECT), "t") == 0 ?
		    "off" : "on");
		return 0;
	case TKEY_OPERATOR:
		tmpl_text(o, col(pg, AC_OPERATOR));
		return 0;
	case TKEY_PROXY:
		tmpl_text(o, col(pg, AC_PROXY) != NULL ? col(pg, AC_PROXY) :
		    "none (direct connection)");
		return 0;
	case TKEY_CREATED:
		return present_time(o, col(pg, AC_CREATED));
	case TKEY_UPDATED:
		tmpl_text(o, col(pg, AC_UPDATED));
		return 0;
	case TKEY_QR_VERSION:
		tmpl_text(o, col(pg, AC_QR_VERSION));
		return 0;
	case TKEY_QR_N:
		tmpl_text(o, col(pg, AC_QR_N));
		return 0;
	case TKEY_CODE:
		if ((v = col(pg, AC_PAIR_CODE)) != NULL)
			code_grouped(o, v);
		return 0;
	case TKEY_DEADLINE:
		tmpl_text(o, col(pg, AC_DEADLINE));
		return 0;
	case TKEY_REMAINING:
		tmpl_text(o, col(pg, AC_REMAINING));
		return 0;
	case TKEY_WINDOW:
		tmpl_textf(o, "%d", pg->r->w->conf->pair_window_s);
		return 0;
	case TKEY_QR:
		if (pg->st != STATUS_PENDING)
			return 0;
		if (col(pg, AC_PAIR_CODE) != NULL)
			return tmpl_partial(o, TMPL_ACCOUNT_CODE, account_key,
			    pg);
		if (strcmp(col(pg, AC_HAS_QR), "t") == 0)
			return tmpl_partial(o, TMPL_ACCOUNT_QR, account_key,
			    pg);
		return tmpl_partial(o, TMPL_ACCOUNT_WAIT, account_key, pg);
	case TKEY_ACTIONS:
		for (i = 0; i < NACTIONS; i++) {
			pg->act = &actions[i];
			if (!(actions[i].allowed & BIT(pg->st)))
				continue;
			if (actions[i].button != NULL &&
			    tmpl_partial(o, TMPL_ACTION, account_key, pg) == -1)
				return -1;
			if (strcmp(actions[i].name, "pair-code") == 0 &&
			    tmpl_partial(o, TMPL_ACTION_PAIR_CODE, account_key,
			    pg) == -1)
				return -1;
		}
		return 0;
	case TKEY_ACTION:
		tmpl_text(o, pg->act->name);
		return 0;
	case TKEY_BUTTON:
		tmpl_text(o, pg->act->button);
		return 0;
	case TKEY_CLASS:
		tmpl_text(o, pg->act->cls);
		return 0;
	case TKEY_COMMANDS:
		n = pg->cmds == NULL ? 0 : PQntuples(pg->cmds);
		for (pg->row = 0; pg->row < n; pg->row++)
			if (tmpl_partial(o, TMPL_COMMAND_ROW, command_key,
			    pg) == -1)
				return -1;
		return 0;
	default:
		return -1;
	}
}

/* GET /accounts/{id}: 200 with the page; 404 unless visible; 503. */
void
page_account_show(struct req *r)
{
	struct page	 pg;
	const char	*p[3];
	int		 rc;

	if ((rc = account_load(r, &pg)) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	p[0] = col(&pg, AC_ID);
	pg.cmds = db_exec(r->w->db, WS_COMMANDS_FOR_ACCOUNT, p);
	p[1] = TIMELINE_FETCH;
	p[2] = "0";
	pg.timeline = db_exec(r->w->db, WS_TRANSITIONS_FOR_ACCOUNT, p);
	pg.phone = send_phone_latest(r, col(&pg, AC_ID));
	r->refresh = pg.st == STATUS_PENDING ||
	    pg.st == STATUS_CONNECTING || send_phone_sending(pg.phone);
	http_page(r, col(&pg, AC_LABEL), TMPL_ACCOUNT, account_key, &pg);
	PQclear(pg.phone);
	PQclear(pg.timeline);
	PQclear(pg.cmds);
	PQclear(pg.res);
}

/* A header-safe file name from "label": [A-Za-z0-9._-], others '_'. */
static void
filename_from(const char *label, char *out, size_t outsz)
{
	size_t	 i;

	for (i = 0; label[i] != '\0' && i + 1 < outsz && i < 64; i++) {
		unsigned char c = (unsigned char)label[i];

		out[i] = isalnum(c) || c == '.' || c == '-' || c == '_' ?
		    (char)c : '_';
	}
	out[i] = '\0';
	if (i == 0)
		snprintf(out, outsz, "account");
}

/*
 * GET /accounts/{id}/qr.png[?v=N][&download=1]: the current qr_code as
 * a PNG (rendered once per qr_version per worker, then served from
 * memory); 303 to /login without a session; 404 when the account is
 * not visible, not pending or has no QR.  The session and ownership
 * checks run on every request, in one query (WS_SESSION_QR) whose
 * positive answer the worker keeps until the database reports a change
 * (qrmemo.h); with ?v=N an answer for another qr_version is never
 * reused.
 */
void
page_account_qr(struct req *r)
{
	const struct qrmemo_answer *a;
	struct qrmemo_answer	 fresh;
	PGresult		*res = NULL;
	const unsigned char	*png;
	const char		*dl, *v;
	char			 sid[24], name[80], disp[160], *end;
	int64_t			 want = -1, keep_ms;
	struct qrmemo_stamp	 stamp;
	double			 at;
	size_t			 len;
	int			 rc, ttl = r->w->conf->qr_cache_ms;

	/* ?v=N (the page's form): only qr_version N may come from memory. */
	if ((v = kv_get(&r->query, "v")) != NULL) {
		long long	 n = strtoll(v, &end, 10);

		if (*v != '\0' && *end == '\0' && n >= 0)
			want = n;
	}
	if (!auth_session_token(r)) {
		route_to_login(r);
		return;
	}
	at = mono_ms();
	if (ttl > 0 && (a = qrmemo_get(r->w->qrmemo, r->token_hash, r->id,
	    want, at)) != NULL)
		auth_session_set(r, a->operator_id, a->username, a->is_admin,
		    a->csrf);
	else {
		stamp = qrmemo_stamp(r->id);
		snprintf(sid, sizeof(sid), "%" PRId64, r->id);
		rc = auth_session_load_with(r, WS_SESSION_QR, sid, &res);
		if (rc == -1) {
			http_error(r, 503, "The database is unavailable.");
			return;
		}
		if (rc == 0) {
			route_to_login(r);
			return;
		}
		if (PQgetisnull(res, 0, 5) ||
		    db_get_int64(res, 0, 6, &fresh.qr_version) == -1) {
			PQclear(res);
			http_error(r, 404, "No QR code right now.");
			return;
		}
		fresh.operator_id = r->operator_id;
		fresh.username = r->username;
		fresh.is_admin = r->is_admin;
		memcpy(fresh.csrf, r->csrf, sizeof(fresh.csrf));
		fresh.qr_code = PQgetvalue(res, 0, 5);
		fresh.label = PQgetvalue(res, 0, 7);
		if (ttl > 0 && db_get_int64(res, 0, 8, &keep_ms) == 0)
			qrmemo_put(r->w->qrmemo, r->token_hash, r->id, stamp,
			    at + (keep_ms < ttl ? (double)keep_ms : ttl),
			    &fresh);
		a = &fresh;
	}
	if (qrpng_cache_get(r->w->qr, r->id, a->qr_version, a->qr_code,
	    &png, &len) == -1) {
		PQclear(res);
		http_error(r, 500, "The QR code could not be drawn.");
		return;
	}
	r->ctype = "image/png";
	buf_append(&r->body, png, len);
	if ((dl = kv_get(&r->query, "download")) != NULL &&
	    strcmp(dl, "1") == 0) {
		filename_from(a->label, name, sizeof(name));
		snprintf(disp, sizeof(disp),
		    "attachment; filename=\"%s-qr.png\"", name);
		(void)http_header(r, "Content-Disposition", disp);
	}
	PQclear(res);
}

static void
json_add_str(struct json_object *o, const char *k, const char *v)
{

	json_object_object_add(o, k, v == NULL ? NULL :
	    json_object_new_string(v));
}

/*
 * GET /accounts/{id}/status.json: {id, status, qr_version,
 * qr_expires_at, pair_deadline, pair_code, phone_number,
 * disconnect_reason, updated_at} (times RFC 3339 UTC or null), plus
 * has_qr and pair_remaining_s (seconds) for static/wadesk.js; 404
 * unless visible.
 */
void
page_account_status(struct req *r)
{
	struct page		 pg;
	struct json_object	*o;
	int64_t			 v = 0;
	int			 rc;

	if ((rc = account_load(r, &pg)) == -1) {
		http_error(r, 503, NULL);
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_add_str(o, "status", status_name(pg.st));
	(void)db_get_int64(pg.res, 0, AC_QR_VERSION, &v);
	json_object_object_add(o, "qr_version", json_object_new_int64(v));
	json_object_object_add(o, "has_qr", json_object_new_boolean(
	    strcmp(col(&pg, AC_HAS_QR), "t") == 0));
	json_add_str(o, "qr_expires_at", col(&pg, AC_QR_EXPIRES));
	json_add_str(o, "pair_deadline", col(&pg, AC_DEADLINE));
	(void)db_get_int64(pg.res, 0, AC_REMAINING, &v);
	json_object_object_add(o, "pair_remaining_s",
	    json_object_new_int64(v));
	json_add_str(o, "pair_code", col(&pg, AC_PAIR_CODE));
	json_add_str(o, "phone_number", col(&pg, AC_PHONE));
	json_add_str(o, "disconnect_reason", col(&pg, AC_REASON));
	json_add_str(o, "updated_at", col(&pg, AC_UPDATED));
	http_json(r, 200, o);
	PQclear(pg.res);
}

/* GET /accounts/{id}/delete: the confirmation step. */
void
page_account_delete_form(struct req *r)
{
	struct page	 pg;
	int		 rc;

	if ((rc = account_load(r, &pg)) == -1) {
		http_error(r, 503, NULL);
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	http_page(r, "Delete account", TMPL_ACCOUNT_DELETE, account_key, &pg);
	PQclear(pg.res);
}

/*
 * A phone number for pair_code and the send-test: digits only after dropping '+', blanks,
 * '-', '(' and ')'; 7 to 15 digits (E.164).  Writes into "out" (16+
 * bytes) and returns 0, or -1 if malformed.
 */
int
phone_normalise(const char *in, char *out, size_t outsz)
{
	size_t	 n = 0;

	if (in == NULL)
		return -1;
	for (; *in != '\0'; in++) {
		if (*in >= '0' && *in <= '9') {
			if (n + 1 >= outsz)
				return -1;
			out[n++] = *in;
		} else if (strchr("+ -()", *in) == NULL)
			return -1;
	}
	out[n] = '\0';
	return n >= 7 && n <= 15 && out[0] != '0' ? 0 : -1;
}

/*
 * Carry out action "a" on locked account "sid"; 0 ok (with the new
 * command's id in "*cmd_id" when the action queues one, else 0), -1
 * database error.
 */
static int
action_apply(struct req *r, const struct action *a, const char *sid,
    const char *label, const char *arg, struct json_object *payload,
    const struct proxy_set *ps, int64_t *cmd_id)
{
	struct json_object	*d;
	PGresult		*res;
	const char		*p[4];
	char			 win[16], op[24];

	*cmd_id = 0;
	p[0] = sid;
	if (strcmp(a->name, "pair") == 0 || strcmp(a->name, "pair-code") == 0) {
		snprintf(win, sizeof(win), "%d", r->w->conf->pair_window_s);
		p[1] = win;
		if (db_exec_cmd(r->w->db, WS_ACCOUNT_PAIR, p) == -1)
			return -1;
	} else if (strcmp(a->name, "cancel-pair") == 0) {
		if (db_exec_cmd(r->w->db, WS_ACCOUNT_CANCEL_PAIR, p) == -1)
			return -1;
	} else if (strcmp(a->name, "reconnect") == 0) {
		if (db_exec_cmd(r->w->db, WS_ACCOUNT_RECONNECT, p) == -1)
			return -1;
	} else if (strcmp(a->name, "delete") == 0) {
		if (db_exec_cmd(r->w->db, WS_ACCOUNT_MARK_DELETED, p) == -1)
			return -1;
	} else if (strcmp(a->name, "rename") == 0 ||
	    strcmp(a->name, "auto-connect") == 0) {
		p[1] = arg;
		if (db_exec_cmd(r->w->db, a->name[0] == 'r' ?
		    WS_ACCOUNT_RENAME : WS_ACCOUNT_AUTO_CONNECT, p) == -1)
			return -1;
	} else if (strcmp(a->name, "proxy") == 0) {
		p[1] = ps->sealed;
		p[2] = ps->pk;
		p[3] = ps->display;
		if (db_exec_cmd(r->w->db, WS_ACCOUNT_PROXY, p) == -1)
			return -1;
	}
	if (a->command != NULL) {
		snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
		p[1] = a->command;
		p[2] = json_object_to_json_string_ext(payload,
		    JSON_C_TO_STRING_PLAIN);
		p[3] = op;
		if ((res = db_exec(r->w->db, WS_COMMAND_INSERT, p)) == NULL)
			return -1;
		if (PQntuples(res) != 1 ||
		    db_get_int64(res, 0, 0, cmd_id) == -1) {
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	d = json_object_new_object();
	json_object_object_add(d, "label", json_object_new_string(label));
	if (strcmp(a->name, "proxy") == 0)
		json_object_object_add(d, "proxy", ps->display == NULL ? NULL :
		    json_object_new_string(ps->display));
	else if (arg != NULL)
		json_object_object_add(d, a->name[0] == 'r' ? "new_label" :
		    "auto_connect", json_object_new_string(arg));
	return event_insert(r, sid, a->event, d);
}

/*
 * Validate the action's input fields.  Returns 0 with "arg" (borrowed
 * or in "buf") and "payload" set, or -1 with an error message.
 */
static int
action_input(const struct action *a, const struct action_in *in,
    const char **arg, char *buf, size_t bufsz, struct json_object *payload,
    const char **err)
{
	const char	*v;

	*arg = NULL;
	if (strcmp(a->name, "pair-code") == 0) {
		if (phone_normalise(in->phone, buf, bufsz) == -1) {
			*err = "Enter the phone number with its country code, "
			    "e.g. +1 555 0100 (7 to 15 digits).";
			return -1;
		}
		json_object_object_add(payload, "phone",
		    json_object_new_string(buf));
	} else if (strcmp(a->name, "rename") == 0) {
		v = in->label;
		if (v == NULL || !label_valid(v)) {
			*err = "A label has 1 to 100 characters and no control "
			    "characters.";
			return -1;
		}
		*arg = v;
	} else if (strcmp(a->name, "auto-connect") == 0) {
		v = in->value;
		if (v == NULL || (strcmp(v, "on") != 0 &&
		    strcmp(v, "off") != 0)) {
			*err = "Auto-connect is on or off.";
			return -1;
		}
		*arg = v[1] == 'n' ? "true" : "false";
	}
	return 0;
}

static void
proxy_set_free(struct proxy_set *ps)
{

	free(ps->sealed);
	free(ps->pk);
	free(ps->display);
	memset(ps, 0, sizeof(*ps));
}

/* "\\x" and the hex of the "n" bytes at "b", allocated. */
static char *
bytea_hex(const unsigned char *b, size_t n)
{
	char	*s = xmalloc(2 + 2 * n + 1);

	memcpy(s, "\\x", 2);
	sodium_bin2hex(s + 2, 2 * n + 1, b, n);
	return s;
}

/*
 * Check proxy URL "url" (lib/proxyurl.h; "" or blanks: no proxy) and
 * seal it to the session daemon's proxy key (sql/017 proxy_keys, which
 * the daemon derives from its credentials key): only a daemon can open
 * it, never this program.  Returns ACT_OK with "ps" filled (all NULL
 * for none; proxy_set_free() it), ACT_INVALID with "*err" a sentence,
 * or ACT_DB.
 */
static enum act_rc
proxy_prepare(struct req *r, const char *url, struct proxy_set *ps,
    const char **err)
{
	struct proxy_url	 pu;
	struct buf		 b;
	PGresult		*res;
	unsigned char		*sealed, *pk;
	size_t			 n, pklen;

	memset(ps, 0, sizeof(*ps));
	if (url == NULL || strspn(url, " \t") == strlen(url))
		return ACT_OK;
	if (proxyurl_parse(url, &pu, err) == -1)
		return ACT_INVALID;
	if ((res = db_exec(r->w->db, WS_PROXY_KEY_GET, NULL)) == NULL) {
		proxyurl_wipe(&pu);
		return ACT_DB;
	}
	if (PQntuples(res) != 1 || (pk = PQunescapeBytea((const unsigned char *)
	    PQgetvalue(res, 0, 0), &pklen)) == NULL) {
		PQclear(res);
		proxyurl_wipe(&pu);
		*err = "The session daemon has not published its proxy key "
		    "yet: start wadeskd once, then set the proxy again.";
		return ACT_INVALID;
	}
	PQclear(res);
	if (pklen != crypto_box_PUBLICKEYBYTES) {
		PQfreemem(pk);
		proxyurl_wipe(&pu);
		return ACT_DB;
	}
	buf_init(&b);
	proxyurl_display(&pu, &b);
	ps->display = xstrdup(buf_str(&b));
	buf_free(&b);
	proxyurl_wipe(&pu);
	n = strlen(url);
	sealed = xmalloc(n + crypto_box_SEALBYTES);
	(void)crypto_box_seal(sealed, (const unsigned char *)url, n, pk);
	ps->sealed = bytea_hex(sealed, n + crypto_box_SEALBYTES);
	ps->pk = bytea_hex(pk, pklen);
	free(sealed);
	PQfreemem(pk);
	return ACT_OK;
}

/*
 * The one way an account action happens, for the pages and the API
 * alike: action "name" (a URL segment of actions[]: "pair",
 * "pair-code", "cancel-pair", "reconnect", "disconnect", "unpair",
 * "delete", "rename", "auto-connect", "proxy") on account r->id as the
 * operator of "r" (visibility as on every page), with the input
 * fields "in".  In one transaction: lock the row, check the action
 * fits its status, change the row, queue the command (NOTIFY) and
 * record the event.  Returns ACT_OK with "*cmd_id" the command's id
 * (0 for rename/auto-connect); ACT_UNKNOWN for a name not in
 * actions[]; ACT_INVALID with "*err" (a static sentence) for a bad
 * field; ACT_NOT_FOUND (not visible, or gone); ACT_CONFLICT (the
 * status does not fit); ACT_DB (rolled back).
 */
enum act_rc
account_act(struct req *r, const char *name, const struct action_in *in,
    int64_t *cmd_id, const char **err)
{
	const struct action	*a = NULL;
	struct proxy_set	 ps;
	struct json_object	*payload;
	PGresult		*res = NULL;
	enum status		 st;
	enum act_rc		 rc;
	const char		*p[3], *arg = NULL;
	char			 sid[24], op[24], buf[32], *label = NULL;
	size_t			 i;

	*cmd_id = 0;
	*err = NULL;
	for (i = 0; i < NACTIONS; i++)
		if (strcmp(name, actions[i].name) == 0)
			a = &actions[i];
	if (a == NULL)
		return ACT_UNKNOWN;
	memset(&ps, 0, sizeof(ps));
	if (strcmp(a->name, "proxy") == 0 &&
	    (rc = proxy_prepare(r, in->proxy, &ps, err)) != ACT_OK)
		return rc;
	payload = json_object_new_object();
	if (action_input(a, in, &arg, buf, sizeof(buf), payload, err) == -1) {
		json_object_put(payload);
		proxy_set_free(&ps);
		return ACT_INVALID;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if (db_tx_begin(r->w->db) == -1 ||
	    (res = db_exec(r->w->db, WS_ACCOUNT_LOCK, p)) == NULL)
		goto fail;
	if (PQntuples(res) != 1 ||
	    status_parse(PQgetvalue(res, 0, 0), &st) == -1) {
		db_tx_rollback(r->w->db);
		rc = ACT_NOT_FOUND;
		goto out;
	}
	label = xstrdup(PQgetvalue(res, 0, 1));
	if (!(a->allowed & BIT(st))) {
		db_tx_rollback(r->w->db);
		rc = ACT_CONFLICT;
		goto out;
	}
	if (strcmp(a->name, "delete") == 0)
		json_object_object_add(payload, "label",
		    json_object_new_string(label));
	if (action_apply(r, a, sid, label, arg, payload, &ps, cmd_id) == -1 ||
	    db_tx_commit(r->w->db) == -1)
		goto fail;
	rc = ACT_OK;
	goto out;
fail:
	db_tx_rollback(r->w->db);
	rc = ACT_DB;
out:
	free(label);
	PQclear(res);
	json_object_put(payload);
	proxy_set_free(&ps);
	return rc;
}

/*
 * POST /accounts/{id}/ACTION: 303 back to the account (or the list
 * after delete); 404 unless visible; 409 when the action does not fit
 * the account's current status; 422 for a bad form field; 503.
 */
void
page_account_action(struct req *r)
{
	struct action_in	 in;
	const char		*slash, *name, *err = NULL;
	char			*loc;
	int64_t			 cmd_id;

	slash = strrchr(r->path, '/');
	name = slash + 1;
	in.phone = kv_get(&r->form, "phone");
	in.label = kv_get(&r->form, "label");
	in.value = kv_get(&r->form, "value");
	in.proxy = kv_get(&r->form, "proxy_url");
	switch (account_act(r, name, &in, &cmd_id, &err)) {
	case ACT_OK:
		break;
	case ACT_UNKNOWN:
		abort();	/* route.c and actions[] disagree */
	case ACT_INVALID:
		http_error(r, 422, err);
		return;
	case ACT_NOT_FOUND:
		http_error(r, 404, NULL);
		return;
	case ACT_CONFLICT:
		http_error(r, 409, "That action does not fit the account's "
		    "status any more; reload the page.");
		return;
	case ACT_DB:
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (strcmp(name, "delete") == 0)
		http_redirect(r, "/accounts?notice=deleted");
	else {
		loc = xasprintf("/accounts/%" PRId64 "?notice=%s", r->id,
		    strcmp(name, "rename") == 0 ? "renamed" :
		    strcmp(name, "proxy") == 0 ? "proxy" :
		    cmd_id != 0 ? "queued" : "saved");
		http_redirect(r, loc);
		free(loc);
	}
}
