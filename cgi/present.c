/*
 * How the pages show what happened: a UTC timestamp with its relative
 * time ("3 min ago"), a failure code as the operator's sentence
 * (lib/reason.c), an event's JSON detail as readable text with the raw
 * JSON behind a <details> disclosure, who made a status change, and
 * the outdated-client banner of the layout.  Every value goes through
 * tmpl_text(), so all of it is escaped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cgi.h"
#include "db.h"
#include "db_web.h"
#include "reason.h"
#include "reltime.h"
#include "status.h"

struct	tval {
	const char	*at;		/* iso() text */
	const char	*ago;		/* relative time */
	const char	*text;		/* a value for @@value@@ */
};

static int
time_key(struct tout *o, enum tkey key, void *arg)
{
	const struct tval	*t = arg;

	switch (key) {
	case TKEY_AT:
		tmpl_text(o, t->at);
		return 0;
	case TKEY_AGO:
		tmpl_text(o, t->ago);
		return 0;
	case TKEY_VALUE:
		tmpl_text(o, t->text);
		return 0;
	default:
		return -1;
	}
}

/*
 * Write the iso() timestamp "iso" with its relative time as
 * templates/time.html ("<time>...</time> (3 min ago)"), the relative
 * part computed now on this server, so it reads right without
 * JavaScript.  NULL or "" writes "none"; a value that is not iso()'s
 * form is written as text without a relative part.
 */
int
present_time(struct tout *o, const char *iso)
{
	struct tval	 t;
	char		 ago[RELTIME_MAX];
	int64_t		 then;

	if (iso == NULL || *iso == '\0') {
		tmpl_text(o, "none");
		return 0;
	}
	if (reltime_parse(iso, &then) == -1) {
		tmpl_text(o, iso);
		return 0;
	}
	reltime_ago(ago, sizeof(ago), then, (int64_t)time(NULL));
	t.at = iso;
	t.ago = ago;
	t.text = NULL;
	return tmpl_partial(o, TMPL_TIME, time_key, &t);
}

/* The string member "k" of object "d", or NULL. */
static const char *
jstr(struct json_object *d, const char *k)
{
	struct json_object	*v;

	if (d == NULL || !json_object_object_get_ex(d, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Append " Version sent: V (set by S)." for a 405's detail. */
static void
version_write(struct buf *b, const char *version, const char *source)
{

	if (version == NULL || *version == '\0')
		return;
	buf_printf(b, " Version sent: %s", version);
	if (source != NULL && strncmp(source, "file ", 5) == 0)
		buf_printf(b, " (from the file %s)", source + 5);
	else if (source != NULL && strcmp(source, "built-in") == 0)
		buf_puts(b, " (the built-in default)");
	else if (source != NULL && *source != '\0')
		buf_printf(b, " (from %s)", source);
	buf_putc(b, '.');
}

/*
 * Append the sentence for reason "code" with the event detail "d" (may
 * be NULL): its "cause", and for a refused version what was sent.
 */
static void
reason_detail(struct buf *b, const char *code, struct json_object *d)
{

	reason_write(b, code, jstr(d, "cause"));
	if (code != NULL && strcmp(code, "client_outdated") == 0)
		version_write(b, jstr(d, "version"), jstr(d, "version_source"));
}

/* The int member "k" of object "d" into *out: 1, or 0 if absent. */
static int
jint(struct json_object *d, const char *k, int64_t *out)
{
	struct json_object	*v;

	if (d == NULL || !json_object_object_get_ex(d, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	*out = json_object_get_int64(v);
	return 1;
}

/*
 * A reminder run's event (daemon/reminders.c run_event(): detail
 * {reminder, run, status, sent, total}): "Run #7: 2 of 2 groups sent
 * (success)."  Nothing when the detail is not of that shape.
 */
static void
reminder_run_text(struct buf *b, struct json_object *d)
{
	const char	*st = jstr(d, "status");
	int64_t		 run, sent, total;

	if (st == NULL || !jint(d, "run", &run) || !jint(d, "sent", &sent) ||
	    !jint(d, "total", &total))
		return;
	buf_printf(b, "Run #%" PRId64 ": %" PRId64 " of %" PRId64 " groups "
	    "sent (%s).", run, sent, total, st);
}

/*
 * Append the readable text of event "kind" with parsed detail "d" (may
 * be NULL) to "b": the reason sentence (naming the "cause" the client
 * saw, and for a refused version the "version" and "version_source"
 * the daemon sent), or what the detail says for the other kinds.
 * Plain text, nothing for a kind whose title says it all.
 */
void
present_event_text(struct buf *b, const char *kind,
    struct json_object *d)
{
	const char	*v, *reason = jstr(d, "reason");

	if (strcmp(kind, "duplicate") == 0) {
		v = jstr(d, "existing_label");
		if (v != NULL && *v != '\0') {
			buf_puts(b, "Phone already linked to \u201c");
			buf_puts(b, v);
			buf_puts(b, "\u201d. ");
			buf_puts(b, reason_find("duplicate")->next);
		} else
			reason_write(b, "duplicate", jstr(d, "cause"));
		return;
	}
	if (reason_find(kind) != NULL || reason != NULL) {
		reason_detail(b, reason != NULL ? reason : kind, d);
		return;
	}
	if (strcmp(kind, "renamed") == 0 && jstr(d, "new_label") != NULL) {
		buf_printf(b, "From \u201c%s\u201d to \u201c%s\u201d.",
		    (v = jstr(d, "label")) != NULL ? v : "",
		    jstr(d, "new_label"));
	} else if (strcmp(kind, "auto_connect_changed") == 0 &&
	    (v = jstr(d, "auto_connect")) != NULL) {
		buf_puts(b, strcmp(v, "true") == 0 ? "Turned on: the session "
		    "daemon reconnects this account by itself." :
		    "Turned off: the account stays offline until someone "
		    "presses Reconnect.");
	} else if (strcmp(kind, "proxy_changed") == 0) {
		v = jstr(d, "proxy");
		if (v != NULL)
			buf_printf(b, "Connects through %s from the next "
			    "connection on.", v);
		else
			buf_puts(b, "Connects directly (no proxy) from the "
			    "next connection on.");
	} else if (strcmp(kind, "unpaired") == 0 &&
	    (v = jstr(d, "logout")) != NULL) {
		buf_puts(b, strcmp(v, "confirmed") == 0 ? "The phone "
		    "confirmed the logout and no longer lists this device." :
		    "The phone did not confirm the logout; the keys were "
		    "wiped anyway. Remove the device on the phone if it is "
		    "still listed.");
	} else if (strcmp(kind, "qr_rotated") == 0)
		buf_puts(b, "The previous QR code expired; the page shows the "
		    "new one.");
	else if (strcmp(kind, "paired") == 0)
		buf_puts(b, "A phone scanned the code; the session daemon is "
		    "logging in.");
	else if (strcmp(kind, "reminder.run") == 0)
		reminder_run_text(b, d);
	else if (strcmp(kind, "identity_changed") == 0 &&
	    (v = jstr(d, "jid")) != NULL)
		buf_printf(b, "%s has a new identity key (a reinstall or a new "
		    "phone); the session daemon trusted it and rebuilt the "
		    "encrypted session. Nothing to do unless you did not "
		    "expect it.", v);
}

/*
 * Append the sentence for reason "code" to "b", naming the "cause" in
 * the JSON "detail" (text, may be NULL) of the event written with it,
 * and for a refused version the version the daemon sent.
 */
void
present_reason(struct buf *b, const char *code, const char *detail)
{
	struct json_object	*d = NULL;

	if (detail != NULL && (d = json_tokener_parse(detail)) != NULL &&
	    !json_object_is_type(d, json_type_object)) {
		json_object_put(d);
		d = NULL;
	}
	reason_detail(b, code, d);
	json_object_put(d);
}

/*
 * Write event "kind" with its JSON "detail" (text; may be NULL) as
 * readable text, then the raw JSON behind templates/event_detail.html's
 * disclosure unless it is empty ("{}").
 */
int
present_event(struct tout *o, const char *kind, const char *detail)
{
	struct json_object	*d = NULL;
	struct buf		 b;
	struct tval		 t;
	int			 rc = 0;

	if (detail != NULL)
		d = json_tokener_parse(detail);
	buf_init(&b);
	present_event_text(&b, kind, json_object_is_type(d,
	    json_type_object) ? d : NULL);
	tmpl_text(o, buf_str(&b));
	buf_free(&b);
	json_object_put(d);
	if (detail != NULL && strcmp(detail, "{}") != 0) {
		memset(&t, 0, sizeof(t));
		t.text = detail;
		rc = tmpl_partial(o, TMPL_EVENT_DETAIL, time_key, &t);
	}
	return rc;
}

/*
 * Write who made a status change (account_transitions.actor, the
 * operator's name or NULL, db_role): "alice", "alice, through the
 * session daemon", "session daemon", "SQL as role wadesk".
 */
void
present_actor(struct tout *o, const char *actor, const char *username,
    const char *role)
{

	if (strcmp(actor, "operator") == 0) {
		tmpl_text(o, username != NULL ? username :
		    "a removed operator");
		if (role != NULL && strcmp(role, "wadesk_daemon") == 0)
			tmpl_text(o, ", through the session daemon");
	} else if (strcmp(actor, "daemon") == 0)
		tmpl_text(o, "session daemon");
	else if (strcmp(actor, "sql") == 0)
		tmpl_textf(o, "SQL as role %s", role != NULL ? role : "?");
	else
		tmpl_text(o, "from before this history was kept");
}

/*
 * Keep the outdated-client banner's columns "col".. "col" + 2 of row 0
 * of "res" (found, version, version_source; WS_SESSION_GET's) in "r"
 * for present_banner().  A text longer than the buffer is cut at a
 * character boundary.
 */
void
present_outdated_set(struct req *r, PGresult *res, int col)
{
	struct buf	 b;
	size_t		 n;

	r->outdated = PQntuples(res) == 1 && PQnfields(res) >= col + 3 &&
	    db_get_bool(res, 0, col);
	r->outdated_text[0] = '\0';
	if (!r->outdated)
		return;
	buf_init(&b);
	version_write(&b, PQgetisnull(res, 0, col + 1) ? NULL :
	    PQgetvalue(res, 0, col + 1), PQgetisnull(res, 0, col + 2) ? NULL :
	    PQgetvalue(res, 0, col + 2));
	n = b.len;
	if (n >= sizeof(r->outdated_text)) {
		/* Cut before a UTF-8 character, never inside one. */
		n = sizeof(r->outdated_text) - 1;
		while (n > 0 && ((unsigned char)b.data[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(r->outdated_text, buf_str(&b), n);
	r->outdated_text[n] = '\0';
	buf_free(&b);
}

/* templates/banner_lost.html: the account, its state, Pair again. */
static int
lost_key(struct tout *o, enum tkey key, void *arg)
{
	const struct req	*r = arg;
	int			 banned;

	banned = strcmp(r->lost_status, "banned") == 0;
	switch (key) {
	case TKEY_ID:
		tmpl_textf(o, "%" PRId64, r->lost_id);
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, r->lost_label);
		return 0;
	case TKEY_STATUS:
		tmpl_text(o, r->lost_status);
		return 0;
	case TKEY_MESSAGE:
		tmpl_text(o, banned ? "was refused by WhatsApp (banned or "
		    "temporarily blocked)" : "was logged out: the phone "
		    "removed its linked device");
		return 0;
	case TKEY_DETAIL:
		if (r->lost_n > 1)
			tmpl_textf(o, " %" PRId64 " of your accounts are "
			    "logged out or banned; the others are on the "
			    "accounts list.", r->lost_n);
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, r->csrf);
		return 0;
	default:
		return -1;
	}
}

/*
 * The layout's banner while any account's latest state is "client
 * outdated" (WhatsApp refused the version, failure 405).  Shown to
 * every signed-in operator, whose accounts or not: the version is the
 * installation's, and no account is named.  The answer comes with the
 * session check (present_outdated_set()), so it costs no query here.
 * Then, to the owning operator only, the logged-out/banned banner with
 * a one-click Pair again (present_lost_set()).
 */
int
present_banner(struct tout *o, struct req *r)
{
	struct tval	 t;

	if (!r->has_session)
		return 0;
	if (r->outdated) {
		memset(&t, 0, sizeof(t));
		t.text = r->outdated_text;
		if (tmpl_partial(o, TMPL_BANNER, time_key, &t) == -1)
			return -1;
	}
	if (r->lost_id > 0)
		return tmpl_partial(o, TMPL_BANNER_LOST, lost_key, r);
	return 0;
}

/*
 * Keep the logged-out/banned banner's columns "col".. "col" + 3 of row
 * 0 of "res" (id, label, status, count; WS_SESSION_GET's) in "r"; a
 * NULL id means no banner.  A label longer than the buffer is cut at
 * a character boundary.
 */
void
present_lost_set(struct req *r, PGresult *res, int col)
{
	const char	*label;
	size_t		 n;

	r->lost_id = 0;
	if (PQntuples(res) != 1 || PQnfields(res) < col + 4 ||
	    db_get_int64(res, 0, col, &r->lost_id) == -1 ||
	    db_get_int64(res, 0, col + 3, &r->lost_n) == -1) {
		r->lost_id = 0;
		return;
	}
	label = PQgetvalue(res, 0, col + 1);
	n = strlen(label);
	if (n >= sizeof(r->lost_label)) {
		n = sizeof(r->lost_label) - 1;
		while (n > 0 && ((unsigned char)label[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(r->lost_label, label, n);
	r->lost_label[n] = '\0';
	snprintf(r->lost_status, sizeof(r->lost_status), "%s",
	    PQgetvalue(res, 0, col + 2));
}

struct	trow {
	PGresult	*res;		/* WS_TRANSITIONS_FOR_ACCOUNT */
	int		 row;
	int		 first;		/* offset of row 0 in the timeline */
	int		 max;		/* rows to show */
};

/* Columns of WS_TRANSITIONS_FOR_ACCOUNT. */
enum	tcol {
	TC_TO, TC_AT, TC_SPENT, TC_REASON, TC_ACTOR, TC_USERNAME, TC_ROLE,
	TC_KIND, TC_DETAIL, TC_FROM
};

static const char *
tget(const struct trow *t, enum tcol c)
{

	return PQgetisnull(t->res, t->row, c) ? NULL :
	    PQgetvalue(t->res, t->row, c);
}

/* What a status change without reason or event says, by new status. */
static const char *const status_says[STATUS__MAX] = {
	"No device is linked.",				/* unpaired */
	"A pairing window is open.",			/* pending */
	"Connecting to WhatsApp.",			/* connecting */
	"Logged in to WhatsApp.",			/* connected */
	"Not connected; the keys are kept.",		/* disconnected */
	"The device was logged out.",			/* logged_out */
	"WhatsApp refused the account.",		/* banned */
};

/*
 * Append the sentence for transition row "row" of "res": the reason
 * code written with it (naming the cause of the event written in the
 * same transaction), or for a change without a reason, the event's
 * text or what the status says.
 */
void
present_transition_text(struct buf *b, PGresult *res, int row)
{
	struct trow		 t = { res, row, 0, 0 };
	struct json_object	*d = NULL;
	struct buf		 more;
	const char		*reason = tget(&t, TC_REASON);
	const char		*kind = tget(&t, TC_KIND);
	const char		*detail = tget(&t, TC_DETAIL);
	enum status		 st;

	if (reason != NULL) {
		/* A reconnect keeps the reason of the drop before it. */
		if (tget(&t, TC_TO) != NULL &&
		    strcmp(tget(&t, TC_TO), "connecting") == 0)
			buf_puts(b, "Reconnecting after: ");
		present_reason(b, reason, detail);
		return;
	}
	if (kind != NULL) {
		buf_puts(b, event_title(kind));
		buf_puts(b, ".");
		if (detail != NULL &&
		    (d = json_tokener_parse(detail)) != NULL &&
		    json_object_is_type(d, json_type_object)) {
			buf_init(&more);
			present_event_text(&more, kind, d);
			if (more.len > 0) {
				buf_putc(b, ' ');
				buf_puts(b, buf_str(&more));
			}
			buf_free(&more);
		}
		json_object_put(d);
		return;
	}
	if (tget(&t, TC_FROM) == NULL)
		buf_puts(b, "Account added.");
	else if (status_parse(tget(&t, TC_TO), &st) == 0)
		buf_puts(b, status_says[st]);
}

static int
trow_key(struct tout *o, enum tkey key, void *arg)
{
	const struct trow	*t = arg;
	enum status		 st;
	struct buf		 b;
	char			 s[RELTIME_MAX];
	int64_t			 n = 0;

	switch (key) {
	case TKEY_AT:
		return present_time(o, tget(t, TC_AT));
	case TKEY_STATUS:
		tmpl_text(o, tget(t, TC_TO));
		return 0;
	case TKEY_STATUS_TEXT:
		tmpl_text(o, status_parse(tget(t, TC_TO), &st) == 0 ?
		    status_text(st) : tget(t, TC_TO));
		return 0;
	case TKEY_SPENT:
		(void)db_get_int64(t->res, t->row, TC_SPENT, &n);
		reltime_span(s, sizeof(s), n);
		tmpl_text(o, s);
		if (t->row == 0 && t->first == 0)
			tmpl_text(o, " so far");
		return 0;
	case TKEY_MESSAGE:
		buf_init(&b);
		present_transition_text(&b, t->res, t->row);
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_OPERATOR:
		present_actor(o, tget(t, TC_ACTOR), tget(t, TC_USERNAME),
		    tget(t, TC_ROLE));
		return 0;
	default:
		return -1;
	}
}

static int
timeline_key(struct tout *o, enum tkey key, void *arg)
{
	struct trow	*t = arg;
	int		 n;

	if (key != TKEY_ROWS)
		return -1;
	n = PQntuples(t->res);
	if (n > t->max)
		n = t->max;
	for (t->row = 0; t->row < n; t->row++)
		if (tmpl_partial(o, TMPL_TIMELINE_ROW, trow_key, t) == -1)
			return -1;
	return 0;
}

/*
 * Write the status timeline table (templates/timeline.html) with the
 * first "max" rows of "res" (WS_TRANSITIONS_FOR_ACCOUNT, newest first;
 * NULL after a database error writes nothing).  "first" is the offset
 * of row 0: only the newest transition of all reads "so far".
 */
int
present_timeline(struct tout *o, PGresult *res, int first, int max)
{
	struct trow	 t;

	if (res == NULL)
		return 0;
	t.res = res;
	t.first = first;
	t.max = max;
	t.row = 0;
	return tmpl_partial(o, TMPL_TIMELINE, timeline_key, &t);
}
