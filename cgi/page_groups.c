/*
 * Issue 10: an account's WhatsApp groups and the send-test.
 *
 *   GET  /accounts/{id}/groups[?q=NAME][&page=N]  the list, 50 a page
 *   POST /accounts/{id}/groups/sync               queue sync_groups
 *   POST /accounts/{id}/groups/send               queue a send_text
 *   GET  /accounts/{id}/groups/send.json?jid=J    one row's send state
 *
 * The session daemon fills the groups table (daemon/groups.c, sql/018)
 * and carries out the command rows (sql/013); the pages only read and
 * queue.  Each row's send-test state is its group's newest send_text
 * command (payload "to" = the group's JID), so a send on another row
 * never moves it.  A send that cannot go out (account not connected)
 * is recorded done with its reason at once, so the ledger and the row
 * say why.  An account that is not the operator's, a group of another
 * account and a group that does not exist all answer 404.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cgi.h"
#include "db.h"
#include "db_web.h"
#include "reason.h"
#include "status.h"
#include "xalloc.h"

/* The documented limit of a test message (README "Send test"). */
#define	SEND_TEXT_MAX	65536	/* bytes of UTF-8 */
#define	FILTER_MAX	100	/* bytes of the name filter */
#define	CLIENT_ID_MAX	128	/* sql/013 commands.client_id */

/* Columns of WS_GROUPS_ACCOUNT. */
enum	gacol {
	GA_ID, GA_LABEL, GA_STATUS, GA_SYNCED, GA_COUNT, GA_RESTRICTED,
	GA_UNTIL, GA_REASON, GA_SENT, GA_FAILED, GA_LAST_ACK, GA_STALLED,
	GA_STALLED_AT
};

/* Columns of a list row: the group, then GROUP_SEND_COLS (db_web.c). */
enum	glcol {
	GL_JID, GL_SUBJECT, GL_PARTICIPANTS, GL_ADMIN, GL_ANNOUNCE,
	GL_SYNCED, GL_TOTAL, GL_SEND
};
enum	gscol {
	GS_ID, GS_STATE, GS_MESSAGE_ID, GS_DONE, GS_ERROR, GS_ERROR_CODE,
	GS_TEXT, GS_UNTIL, GS_CREATED
};

struct	gpage {
	struct req	*r;
	PGresult	*acct;		/* WS_GROUPS_ACCOUNT row 0 */
	PGresult	*list;		/* WS_GROUPS_LIST[_FILTER] */
	enum status	 st;
	const char	*q;		/* filter, or NULL */
	int		 page, pages;
	int64_t		 total;		/* groups matching the filter */
	int64_t		 all;		/* groups of the account */
	int		 restricted;	/* a restriction in force now */
	int		 row;		/* list row being drawn */
	int		 link;		/* pager link: -1 prev, 1 next */
	const char	*note;		/* group_note: text */
	const char	*note_id;	/* group_note: element id */
	char		 client_id[TOKEN_HEX + 1];
};

static const char *
acol(const struct gpage *pg, enum gacol c)
{

	return PQgetisnull(pg->acct, 0, c) ? NULL :
	    PQgetvalue(pg->acct, 0, c);
}

/* Column "c" of list row "row" (NULL for SQL NULL). */
static const char *
lcol(const PGresult *res, int row, int c)
{

	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

/*
 * Load account r->id if the operator may see it.  1 found, 0 not (or
 * not visible), -1 database error.
 */
static int
account_load(struct req *r, struct gpage *pg)
{
	const char	*p[3];
	char		 sid[24], op[24];

	memset(pg, 0, sizeof(*pg));
	pg->r = r;
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((pg->acct = db_exec(r->w->db, WS_GROUPS_ACCOUNT, p)) == NULL)
		return -1;
	if (PQntuples(pg->acct) != 1 ||
	    status_parse(acol(pg, GA_STATUS), &pg->st) == -1) {
		PQclear(pg->acct);
		pg->acct = NULL;
		return 0;
	}
	(void)db_get_int64(pg->acct, 0, GA_COUNT, &pg->all);
	pg->restricted = db_get_bool(pg->acct, 0, GA_RESTRICTED);
	return 1;
}

/*
 * The sentence for a send-test state from the GROUP_SEND_COLS columns
 * at "c" of row "row", into "b" (plain text; the caller escapes).
 */
static void
send_sentence(struct buf *b, const PGresult *res, int row, int c)
{
	const char	*state = lcol(res, row, c + GS_STATE);
	const char	*err = lcol(res, row, c + GS_ERROR);
	const char	*code = lcol(res, row, c + GS_ERROR_CODE);
	const char	*until = lcol(res, row, c + GS_UNTIL);
	const char	*mid = lcol(res, row, c + GS_MESSAGE_ID);
	const char	*done = lcol(res, row, c + GS_DONE);

	if (state == NULL || strcmp(state, "none") == 0)
		return;
	if (strcmp(state, "sending") == 0)
		buf_puts(b, "Sending\u2026");
	else if (strcmp(state, "sent") == 0) {
		buf_puts(b, "Sent \u2713");
		if (mid != NULL)
			buf_printf(b, " message %s", mid);
		if (done != NULL)
			buf_printf(b, " at %s", done);
	} else if (strcmp(state, "timeout") == 0)
		buf_puts(b, "Timed out: no answer came within 60 s, so the "
		    "message may not have been sent. Check that the account "
		    "is connected, then send again.");
	else if (code != NULL && strcmp(code, "463") == 0) {
		/* Baileys MessageAccountRestriction; sql/013. */
		buf_puts(b, "WhatsApp refused the message (restricted ");
		if (until != NULL)
			buf_printf(b, "until %s", until);
		else
			buf_puts(b, "for now");
		buf_puts(b, "). Send test is off until the restriction ends.");
	} else if (err != NULL && reason_find(err) != NULL)
		reason_write(b, err, NULL);
	else if (err != NULL)
		buf_puts(b, err);	/* the daemon's own sentence */
}

static int
note_key(struct tout *o, enum tkey key, void *arg)
{
	const struct gpage	*pg = arg;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, pg->note_id);
		return 0;
	case TKEY_MESSAGE:
		tmpl_text(o, pg->note);
		return 0;
	default:
		return -1;
	}
}

static int
note(struct tout *o, struct gpage *pg, const char *id, const char *text)
{

	pg->note_id = id;
	pg->note = text;
	return tmpl_partial(o, TMPL_GROUP_NOTE, note_key, pg);
}

#define	ADMINS_ONLY	"Only the group's admins may send here (an " \
			"announcement group)."

/*
 * The sentence for an account whose sends stalled (sql/020) at "at"
 * (RFC 3339, may be NULL), into "b".
 */
void
stalled_sentence(struct buf *b, const char *at)
{

	buf_printf(b, "Sends stalled%s%s: ", at != NULL ? " at " : "",
	    at != NULL ? at : "");
	reason_write(b, "send_stalled", "3 sends in a row got no answer");
}

/* The sentence for a restriction in force (sql/013), into "b". */
static const char *
restricted_sentence(struct buf *b, const char *until, const char *reason)
{

	buf_puts(b, "WhatsApp restricts this account");
	if (until != NULL)
		buf_printf(b, " until %s", until);
	if (reason != NULL)
		buf_printf(b, " (%s)", reason);
	buf_puts(b, "; Send test is off until then.");
	return buf_str(b);
}

/* Why a send-test cannot go now, or NULL when it can. */
static const char *
send_off_reason(const struct gpage *pg, struct buf *b)
{

	if (!pg->restricted)
		return NULL;
	return restricted_sentence(b, acol(pg, GA_UNTIL), acol(pg, GA_REASON));
}

/* 1 if list row "i" is an announcement group where we are no admin:
 * WhatsApp takes messages there only from admins (whatsmeow
 * GroupAnnounce). */
static int
admins_only(const PGresult *res, int i)
{

	return strcmp(lcol(res, i, GL_ANNOUNCE), "t") == 0 &&
	    strcmp(lcol(res, i, GL_ADMIN), "t") != 0;
}

static int
row_key(struct tout *o, enum tkey key, void *arg)
{
	struct gpage	*pg = arg;
	const PGresult	*res = pg->list;
	struct buf	 b;
	int		 i = pg->row, rc = 0;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, acol(pg, GA_ID));
		return 0;
	case TKEY_JID:
		tmpl_text(o, lcol(res, i, GL_JID));
		return 0;
	case TKEY_SUBJECT:
		tmpl_text(o, *lcol(res, i, GL_SUBJECT) != '\0' ?
		    lcol(res, i, GL_SUBJECT) : "(no subject)");
		return 0;
	case TKEY_PARTICIPANTS:
		tmpl_text(o, lcol(res, i, GL_PARTICIPANTS));
		return 0;
	case TKEY_ADMIN:
		if (strcmp(lcol(res, i, GL_ADMIN), "t") != 0) {
			tmpl_text(o, "member");
			return 0;
		}
		return tmpl_partial(o, TMPL_GROUP_ADMIN, row_key, pg);
	case TKEY_SYNCED:
		return present_time(o, lcol(res, i, GL_SYNCED));
	case TKEY_STATE:
		tmpl_text(o, lcol(res, i, GL_SEND + GS_STATE));
		return 0;
	case TKEY_MESSAGE:
		buf_init(&b);
		send_sentence(&b, res, i, GL_SEND);
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, pg->r->csrf);
		return 0;
	case TKEY_CLIENT_ID:
		/* A fresh idempotency key per form drawn: a resubmitted
		 * form queues nothing twice (sql/013 client_id). */
		auth_hex_token(pg->client_id);
		tmpl_text(o, pg->client_id);
		return 0;
	case TKEY_QUERY:
		tmpl_text(o, pg->q != NULL ? pg->q : "");
		return 0;
	case TKEY_PAGE:
		tmpl_textf(o, "%d", pg->page);
		return 0;
	case TKEY_SEND:
		buf_init(&b);
		if (send_off_reason(pg, &b) != NULL || admins_only(res, i))
			rc = tmpl_partial(o, TMPL_GROUP_SEND_OFF, row_key, pg);
		else
			rc = tmpl_partial(o, TMPL_GROUP_SEND, row_key, pg);
		buf_free(&b);
		return rc;
	case TKEY_REASON:
		buf_init(&b);
		tmpl_text(o, send_off_reason(pg, &b) != NULL ? buf_str(&b) :
		    ADMINS_ONLY);
		buf_free(&b);
		return 0;
	default:
		return -1;
	}
}

static int
link_key(struct tout *o, enum tkey key, void *arg)
{
	const struct gpage	*pg = arg;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, acol(pg, GA_ID));
		return 0;
	case TKEY_PAGE:
		tmpl_textf(o, "%d", pg->page + pg->link);
		return 0;
	case TKEY_QUERY:
		tmpl_url(o, pg->q != NULL ? pg->q : "");
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, pg->link < 0 ? "\u2190 Previous" : "Next \u2192");
		return 0;
	default:
		return -1;
	}
}

/* The empty-state sentence, or NULL when rows are shown. */
static const char *
empty_text(const struct gpage *pg)
{
	int	 connected = pg->st == STATUS_CONNECTED;
	int	 synced = acol(pg, GA_SYNCED) != NULL;

	if (pg->total > 0 || PQntuples(pg->list) > 0)
		return NULL;
	if (pg->all > 0)
		return pg->q != NULL ? "No group's name contains that text." :
		    "There is no such page.";
	if (!connected && !synced)
		return "No groups yet: this account is not connected. Pair "
		    "or reconnect it; its groups are fetched after every "
		    "login.";
	if (!connected)
		return "This account was in no groups at the last sync, and "
		    "it is not connected now.";
	if (!synced)
		return "Fetching this account's groups from WhatsApp; they "
		    "appear here in a moment.";
	return "No groups yet: this account takes part in no WhatsApp "
	    "group. Groups it joins appear here by themselves.";
}

static int
page_key(struct tout *o, enum tkey key, void *arg)
{
	struct gpage	*pg = arg;
	struct buf	 b;
	const char	*t;
	int		 i, n, rc;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, acol(pg, GA_ID));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, acol(pg, GA_LABEL));
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
	case TKEY_QUERY:
		tmpl_text(o, pg->q != NULL ? pg->q : "");
		return 0;
	case TKEY_TOTAL:
		tmpl_textf(o, "%" PRId64, pg->q != NULL ? pg->total : pg->all);
		return 0;
	case TKEY_SYNCED:
		if (acol(pg, GA_SYNCED) == NULL) {
			tmpl_text(o, "never");
			return 0;
		}
		return present_time(o, acol(pg, GA_SYNCED));
	case TKEY_COUNT:
		/* Send health: what the ledger says about this account. */
		tmpl_textf(o, "%s sent, %s refused or failed",
		    acol(pg, GA_SENT), acol(pg, GA_FAILED));
		return 0;
	case TKEY_LAST_USED:
		if (acol(pg, GA_LAST_ACK) == NULL) {
			tmpl_text(o, "never");
			return 0;
		}
		return present_time(o, acol(pg, GA_LAST_ACK));
	case TKEY_BANNER:
		buf_init(&b);
		rc = 0;
		if ((t = send_off_reason(pg, &b)) != NULL)
			rc = note(o, pg, "restricted", t);
		buf_free(&b);
		if (rc == 0 && db_get_bool(pg->acct, 0, GA_STALLED)) {
			buf_init(&b);
			stalled_sentence(&b, acol(pg, GA_STALLED_AT));
			rc = note(o, pg, "stalled", buf_str(&b));
			buf_free(&b);
		}
		if (rc == 0 && pg->st != STATUS_CONNECTED && pg->all > 0)
			rc = note(o, pg, "not-connected", "This account is "
			    "not connected: the list is as of the last sync, "
			    "and a test message cannot be sent until it "
			    "connects again.");
		return rc;
	case TKEY_DISABLED:
		/* The restriction badge (sql/013), with its end. */
		if (!pg->restricted)
			return 0;
		buf_init(&b);
		buf_puts(&b, "Restricted");
		if (acol(pg, GA_UNTIL) != NULL)
			buf_printf(&b, " until %s", acol(pg, GA_UNTIL));
		pg->note = buf_str(&b);
		rc = tmpl_partial(o, TMPL_GROUP_RESTRICTED, note_key, pg);
		buf_free(&b);
		return rc;
	case TKEY_EMPTY:
		if ((t = empty_text(pg)) == NULL)
			return 0;
		return note(o, pg, "groups-empty", t);
	case TKEY_ROWS:
		n = PQntuples(pg->list);
		for (i = 0; i < n; i++) {
			pg->row = i;
			if (tmpl_partial(o, TMPL_GROUP_ROW, row_key, pg) == -1)
				return -1;
		}
		return 0;
	case TKEY_PAGER:
		if (pg->pages <= 1)
			return 0;
		return tmpl_partial(o, TMPL_PAGER, page_key, pg);
	case TKEY_PAGE:
		tmpl_textf(o, "%d", pg->page);
		return 0;
	case TKEY_PAGES:
		tmpl_textf(o, "%d", pg->pages);
		return 0;
	case TKEY_PREV:
	case TKEY_NEXT_PAGE:
		if ((key == TKEY_PREV && pg->page <= 1) ||
		    (key == TKEY_NEXT_PAGE && pg->page >= pg->pages))
			return 0;
		pg->link = key == TKEY_PREV ? -1 : 1;
		return tmpl_partial(o, TMPL_GROUP_LINK, link_key, pg);
	default:
		return -1;
	}
}

/* ?page=N: 1..100000, 1 when absent or empty; -1 when malformed. */
static int
page_number(const char *v)
{
	char	*end;
	long	 n;

	if (v == NULL || *v == '\0')
		return 1;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 1 || n > 100000)
		return -1;
	return (int)n;
}

/* A usable name filter: NULL for none; "bad" set for a bad one. */
static const char *
filter_param(const char *q, int *bad)
{

	*bad = 0;
	if (q == NULL || *q == '\0')
		return NULL;
	if (strlen(q) > FILTER_MAX || !label_valid(q)) {
		*bad = 1;
		return NULL;
	}
	return q;
}

/*
 * GET /accounts/{id}/groups[?q=][&page=]: 200 with the page; 400 for
 * a bad page number or filter; 404 unless the account is visible;
 * 503.  Refreshes itself without JavaScript while a row is sending or
 * the first sync is awaited.
 */
void
page_groups_list(struct req *r)
{
	struct gpage	 pg;
	const char	*p[4], *q;
	char		 sid[24], lim[16], off[16];
	int		 rc, bad, page, i, n;

	q = filter_param(kv_get(&r->query, "q"), &bad);
	if (bad || (page = page_number(kv_get(&r->query, "page"))) == -1) {
		http_error(r, 400, "The filter (at most 100 characters of "
		    "text) or the page number is not valid.");
		return;
	}
	if ((rc = account_load(r, &pg)) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	pg.q = q;
	pg.page = page;
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	snprintf(lim, sizeof(lim), "%d", PAGE_SIZE);
	snprintf(off, sizeof(off), "%d", (page - 1) * PAGE_SIZE);
	p[0] = sid;
	p[1] = lim;
	p[2] = off;
	p[3] = q;
	if ((pg.list = db_exec(r->w->db, q != NULL ? WS_GROUPS_LIST_FILTER :
	    WS_GROUPS_LIST, p)) == NULL) {
		PQclear(pg.acct);
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	n = PQntuples(pg.list);
	if (n > 0)
		(void)db_get_int64(pg.list, 0, GL_TOTAL, &pg.total);
	pg.pages = (int)((pg.total + PAGE_SIZE - 1) / PAGE_SIZE);
	if (pg.pages < 1)
		pg.pages = 1;
	for (i = 0; i < n; i++)
		if (strcmp(PQgetvalue(pg.list, i, GL_SEND + GS_STATE),
		    "sending") == 0)
			r->refresh = 1;
	if (pg.all == 0 && pg.st == STATUS_CONNECTED &&
	    acol(&pg, GA_SYNCED) == NULL)
		r->refresh = 1;
	http_page(r, acol(&pg, GA_LABEL), TMPL_GROUPS, page_key, &pg);
	PQclear(pg.list);
	PQclear(pg.acct);
}

/* Back to the list, keeping the form's filter and page. */
static void
redirect_back(struct req *r, const char *notice)
{
	struct buf	 b;
	const char	*q, *v;
	int		 bad, page;
	size_t		 i;

	buf_init(&b);
	buf_printf(&b, "/accounts/%" PRId64 "/groups?notice=%s", r->id,
	    notice);
	v = kv_get(&r->form, "page");
	if ((page = page_number(v)) > 1)
		buf_printf(&b, "&page=%d", page);
	if ((q = filter_param(kv_get(&r->form, "q"), &bad)) != NULL) {
		buf_puts(&b, "&q=");
		for (i = 0; q[i] != '\0'; i++)
			buf_printf(&b, "%%%02X", (unsigned char)q[i]);
	}
	http_redirect(r, buf_str(&b));
	buf_free(&b);
}

/*
 * POST /accounts/{id}/groups/sync: queue a sync_groups command (the
 * daemon re-reads the participating groups) with its audit event,
 * then 303 back; 404 unless visible; 503.
 */
void
page_groups_sync(struct req *r)
{
	struct gpage	 pg;
	const char	*p[4];
	char		 op[24];
	PGresult	*res = NULL;
	int		 rc;

	if ((rc = account_load(r, &pg)) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = acol(&pg, GA_ID);
	p[1] = "sync_groups";
	p[2] = "{}";
	p[3] = op;
	if (db_tx_begin(r->w->db) == -1 ||
	    (res = db_exec(r->w->db, WS_COMMAND_INSERT, p)) == NULL ||
	    event_insert(r, acol(&pg, GA_ID), "groups_sync_requested",
	    json_object_new_object()) == -1 || db_tx_commit(r->w->db) == -1) {
		db_tx_rollback(r->w->db);
		PQclear(res);
		PQclear(pg.acct);
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	PQclear(res);
	PQclear(pg.acct);
	redirect_back(r, "queued");
}

/*
 * Why "t" cannot be a test message, or NULL: empty (or only blanks),
 * over SEND_TEXT_MAX bytes, or not UTF-8 text (control characters
 * other than tab and line breaks are refused too).  The message is
 * written into b.
 */
static const char *
text_problem(const char *t, struct buf *b)
{
	const unsigned char	*p = (const unsigned char *)t;
	size_t			 len = strlen(t), i, k, n;
	int			 blank = 1;

	if (len > SEND_TEXT_MAX) {
		buf_printf(b, "The test message is %zu bytes long; at most "
		    "%d bytes (64 KiB) can be sent. Shorten it and send "
		    "again.", len, SEND_TEXT_MAX);
		return buf_str(b);
	}
	for (i = 0; i < len; i += n) {
		n = 1;
		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
			    p[i] != '\r') || p[i] == 0x7f)
				goto bad;
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' &&
			    p[i] != '\r')
				blank = 0;
			continue;
		}
		blank = 0;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			goto bad;
		if (i + n > len)
			goto bad;
		for (k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad;
		/* Overlong, surrogate and beyond U+10FFFF forms. */
		if ((p[i] == 0xe0 && p[i + 1] < 0xa0) ||
		    (p[i] == 0xed && p[i + 1] > 0x9f) ||
		    (p[i] == 0xf0 && p[i + 1] < 0x90) ||
		    (p[i] == 0xf4 && p[i + 1] > 0x8f))
			goto bad;
	}
	if (blank) {
		buf_puts(b, "The test message is empty: type the text to "
		    "send, then press Send test.");
		return buf_str(b);
	}
	return NULL;
bad:
	buf_puts(b, "The test message is not plain UTF-8 text; remove any "
	    "control characters and send again.");
	return buf_str(b);
}

/* 1 if "s" is a usable client_id: 1..128 of [0-9A-Za-z_-]. */
static int
client_id_valid(const char *s)
{
	size_t	 n = strlen(s);

	return n >= 1 && n <= CLIENT_ID_MAX &&
	    strspn(s, "0123456789abcdefABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "ghijklmnopqrstuvwxyz_-") == n;
}

/*
 * Queue a send_text of "text" to "to" (a group JID or phone digits) on
 * the loaded account with its send_test_requested audit event
 * ("subject": the group's, NULL for a number), in one transaction.
 * "cid" (may be NULL) is the form's idempotency key: a form sent again
 * queues nothing and writes no second event.  An account that is not
 * connected gets the row born done with send_test_not_connected.
 * 0 ok, -1 database error (nothing written).
 */
static int
send_queue(struct req *r, const struct gpage *pg, const char *to,
    const char *subject, const char *text, const char *cid)
{
	struct json_object	*pl, *d;
	PGresult		*ins = NULL;
	const char		*p[5];
	char			 op[24], bytes[24];
	int			 rc = -1;

	pl = json_object_new_object();
	json_object_object_add(pl, "to", json_object_new_string(to));
	json_object_object_add(pl, "text", json_object_new_string(text));
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = acol(pg, GA_ID);
	p[1] = json_object_to_json_string_ext(pl, JSON_C_TO_STRING_PLAIN);
	p[2] = op;
	p[3] = cid;
	p[4] = pg->st == STATUS_CONNECTED ? NULL : "send_test_not_connected";
	if (db_tx_begin(r->w->db) == 0 &&
	    (ins = db_exec(r->w->db, WS_GROUP_SEND_INSERT, p)) != NULL) {
		rc = 0;
		if (PQntuples(ins) == 1) {
			/* The audit trail: who sent what where. */
			snprintf(bytes, sizeof(bytes), "%zu", strlen(text));
			d = json_object_new_object();
			json_object_object_add(d, "to",
			    json_object_new_string(to));
			if (subject != NULL)
				json_object_object_add(d, "subject",
				    json_object_new_string(subject));
			json_object_object_add(d, "command",
			    json_object_new_string(PQgetvalue(ins, 0, 0)));
			json_object_object_add(d, "bytes",
			    json_object_new_string(bytes));
			rc = event_insert(r, acol(pg, GA_ID),
			    "send_test_requested", d);
		}
	}
	if (rc == -1 || db_tx_commit(r->w->db) == -1) {
		db_tx_rollback(r->w->db);
		rc = -1;
	}
	json_object_put(pl);
	PQclear(ins);
	return rc;
}

/*
 * POST /accounts/{id}/groups/send (jid, text, client_id): queue a
 * send_text command to the group with its audit event and 303 back.
 * 422 for an empty, too long or non-text message or a bad client_id;
 * 404 unless the account is visible and the group is one of its
 * groups; 409 while WhatsApp restricts the account or in an
 * announcement group where the account is no admin; 503.  When the
 * account is not connected the command is recorded done with
 * "send_test_not_connected" (the row says so).  A form sent again
 * with the same client_id queues nothing new.
 */
void
page_groups_send(struct req *r)
{
	struct gpage		 pg;
	struct buf		 msg;
	PGresult		*grp = NULL;
	const char		*jid, *text, *cid, *why, *p[2];
	int			 rc;

	jid = kv_get(&r->form, "jid");
	text = kv_get(&r->form, "text");
	cid = kv_get(&r->form, "client_id");
	buf_init(&msg);
	if (text == NULL)
		text = "";
	why = text_problem(text, &msg);
	if (why == NULL && cid != NULL && !client_id_valid(cid))
		why = "The form's send key is not valid; reload the page and "
		    "send again.";
	if (why != NULL) {
		http_error(r, 422, why);
		buf_free(&msg);
		return;
	}
	buf_free(&msg);
	if (jid == NULL || *jid == '\0') {
		http_error(r, 404, NULL);
		return;
	}
	if ((rc = account_load(r, &pg)) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	p[0] = acol(&pg, GA_ID);
	p[1] = jid;
	if ((grp = db_exec(r->w->db, WS_GROUP_GET, p)) == NULL) {
		PQclear(pg.acct);
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (PQntuples(grp) != 1) {
		PQclear(grp);
		PQclear(pg.acct);
		http_error(r, 404, "This account is not in that group (or "
		    "it left it); press Sync now to refresh the list.");
		return;
	}
	if (strcmp(PQgetvalue(grp, 0, 2), "t") == 0) {
		PQclear(grp);
		PQclear(pg.acct);
		http_error(r, 409, ADMINS_ONLY);
		return;
	}
	if (pg.restricted) {
		buf_init(&msg);
		http_error(r, 409, send_off_reason(&pg, &msg));
		buf_free(&msg);
		PQclear(grp);
		PQclear(pg.acct);
		return;
	}
	rc = send_queue(r, &pg, jid, PQgetvalue(grp, 0, 1), text, cid);
	PQclear(grp);
	PQclear(pg.acct);
	if (rc == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	redirect_back(r, "queued");
}

static void
json_str(struct json_object *o, const char *k, const char *v)
{

	json_object_object_add(o, k, v == NULL ? NULL :
	    json_object_new_string(v));
}

/*
 * GET /accounts/{id}/groups/send.json?jid=J: {jid, state ("none",
 * "sending", "sent", "failed", "timeout"), message (the row's
 * sentence), message_id, done_at, command} for the group's newest
 * send-test, what static/wadesk.js polls while a row is sending.
 * 400 without jid; 404 unless the account is visible.
 */
void
page_groups_send_status(struct req *r)
{
	struct json_object	*o;
	struct buf		 b;
	PGresult		*res;
	const char		*p[4], *jid;
	char			 sid[24], op[24];

	if ((jid = kv_get(&r->query, "jid")) == NULL || *jid == '\0') {
		http_error(r, 400, "Which group? Add ?jid=.");
		return;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[3]);
	p[0] = sid;
	p[1] = jid;
	p[2] = op;
	if ((res = db_exec(r->w->db, WS_GROUP_SEND_LATEST, p)) == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		http_error(r, 404, NULL);
		return;
	}
	o = json_object_new_object();
	json_str(o, "jid", jid);
	json_str(o, "state", lcol(res, 0, GS_STATE));
	buf_init(&b);
	send_sentence(&b, res, 0, 0);
	json_str(o, "message", buf_str(&b));
	buf_free(&b);
	json_str(o, "message_id", lcol(res, 0, GS_MESSAGE_ID));
	json_str(o, "done_at", lcol(res, 0, GS_DONE));
	json_str(o, "command", lcol(res, 0, GS_ID));
	PQclear(res);
	(void)http_header(r, "Cache-Control", "no-store");
	http_json(r, 200, o);
}

/*
 * POST /accounts/{id}/send (to, text, client_id): the account page's
 * send-test to a phone number.  "to" is a number in international
 * form (phone_normalise(): 7 to 15 digits, '+', blanks, '-' and
 * parentheses allowed); the command's payload carries the digits,
 * which the daemon turns into "<digits>@s.whatsapp.net".  422 for a
 * bad number, message or client_id; 404 unless visible; 409 while
 * WhatsApp restricts the account; 503.  Then 303 to the account page.
 */
void
page_account_send(struct req *r)
{
	struct gpage	 pg;
	struct buf	 msg, loc;
	const char	*text, *cid, *why;
	char		 to[16];
	int		 rc;

	text = kv_get(&r->form, "text");
	cid = kv_get(&r->form, "client_id");
	buf_init(&msg);
	why = text_problem(text != NULL ? text : "", &msg);
	if (why == NULL && phone_normalise(kv_get(&r->form, "to"), to,
	    sizeof(to)) == -1)
		why = "The phone number is not valid: type it in "
		    "international form, country code first (7 to 15 "
		    "digits, e.g. +1 555 0100), then send again.";
	if (why == NULL && cid != NULL && !client_id_valid(cid))
		why = "The form's send key is not valid; reload the page and "
		    "send again.";
	if (why != NULL) {
		http_error(r, 422, why);
		buf_free(&msg);
		return;
	}
	if ((rc = account_load(r, &pg)) == -1) {
		buf_free(&msg);
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (rc == 0) {
		buf_free(&msg);
		http_error(r, 404, NULL);
		return;
	}
	if (pg.restricted) {
		http_error(r, 409, send_off_reason(&pg, &msg));
		buf_free(&msg);
		PQclear(pg.acct);
		return;
	}
	buf_free(&msg);
	rc = send_queue(r, &pg, to, NULL, text, cid);
	PQclear(pg.acct);
	if (rc == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	buf_init(&loc);
	buf_printf(&loc, "/accounts/%" PRId64 "?notice=queued#phone-send",
	    r->id);
	http_redirect(r, buf_str(&loc));
	buf_free(&loc);
}

/*
 * The newest send-test of account "account_id" (decimal) to a phone
 * number, for the account page (WS_PHONE_SEND_LATEST: GROUP_SEND_COLS
 * and the number; one row, state "none" when there is none); the
 * caller has checked visibility and PQclear()s it.  NULL on a
 * database error (the page then shows no state).
 */
PGresult *
send_phone_latest(struct req *r, const char *account_id)
{
	const char	*p[1];

	p[0] = account_id;
	return db_exec(r->w->db, WS_PHONE_SEND_LATEST, p);
}

/* 1 if "latest" (send_phone_latest(), may be NULL) is still sending. */
int
send_phone_sending(const PGresult *latest)
{

	return latest != NULL && PQntuples(latest) == 1 &&
	    strcmp(PQgetvalue(latest, 0, GS_STATE), "sending") == 0;
}

struct	phone_sec {
	struct req		*r;
	const char		*id;		/* accounts.id */
	const PGresult		*latest;	/* may be NULL */
	const char		*off;		/* why sending is off, or NULL */
	char			 client_id[TOKEN_HEX + 1];
};

static const char *
pcol(const struct phone_sec *ps, int c)
{

	if (ps->latest == NULL || PQntuples(ps->latest) != 1)
		return NULL;
	return lcol(ps->latest, 0, c);
}

static int
phone_key(struct tout *o, enum tkey key, void *arg)
{
	struct phone_sec	*ps = arg;
	struct buf		 b;
	const char		*v;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, ps->id);
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, ps->r->csrf);
		return 0;
	case TKEY_CLIENT_ID:
		auth_hex_token(ps->client_id);
		tmpl_text(o, ps->client_id);
		return 0;
	case TKEY_JID:
		/* The number the newest send went to: what wadesk.js
		 * polls send.json with. */
		tmpl_text(o, (v = pcol(ps, GS_CREATED + 1)) != NULL ? v : "");
		return 0;
	case TKEY_PHONE:
		if ((v = pcol(ps, GS_CREATED + 1)) != NULL &&
		    strchr(v, '@') == NULL)
			tmpl_textf(o, "+%s", v);
		return 0;
	case TKEY_STATE:
		tmpl_text(o, (v = pcol(ps, GS_STATE)) != NULL ? v : "none");
		return 0;
	case TKEY_MESSAGE:
		if (ps->latest == NULL || PQntuples(ps->latest) != 1)
			return 0;
		buf_init(&b);
		send_sentence(&b, ps->latest, 0, 0);
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_SEND:
		if (ps->off != NULL)
			return tmpl_partial(o, TMPL_GROUP_SEND_OFF, phone_key,
			    ps);
		return tmpl_partial(o, TMPL_PHONE_SEND_FORM, phone_key, ps);
	case TKEY_REASON:
		tmpl_text(o, ps->off);
		return 0;
	default:
		return -1;
	}
}

/*
 * The account page's "Send a test message" section for account
 * "account_id": the form (or why it is off: "restricted", with
 * "until" and "reason" as accounts.restricted_until and
 * restricted_reason, both may be NULL) and the newest phone
 * send-test's state sentence from "latest" (send_phone_latest(), may
 * be NULL).  0, or -1 on a template error.
 */
int
send_phone_section(struct tout *o, struct req *r, const char *account_id,
    const PGresult *latest, int restricted, const char *until,
    const char *reason)
{
	struct phone_sec	 ps;
	struct buf		 b;
	int			 rc;

	memset(&ps, 0, sizeof(ps));
	ps.r = r;
	ps.id = account_id;
	ps.latest = latest;
	buf_init(&b);
	if (restricted)
		ps.off = restricted_sentence(&b, until, reason);
	rc = tmpl_partial(o, TMPL_PHONE_SEND, phone_key, &ps);
	buf_free(&b);
	return rc;
}
