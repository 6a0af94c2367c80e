/*
 * Issue 11: the reminder pages (sql/019_reminders.sql is the contract,
 * lib/recur.h the recurrence).
 *
 *   GET  /reminders[?status=active|paused|ended|failed]  the list and
 *        the operator's recent runs
 *   POST /reminders/clear-history      delete the operator's own
 *        finished runs (not running or paused ones)
 *   GET  /reminders/new[?account=N]    the form (N: whose groups)
 *   POST /reminders                    create (or, with preview=1,
 *        show the summary and next fire times without saving)
 *   GET  /reminders/{id}[?page=N]      the detail and its runs
 *   GET  /reminders/{id}/edit[?account=N]
 *   POST /reminders/{id}               save again (or preview)
 *   POST /reminders/{id}/pause|resume|delete
 *   GET  /reminders/runs/{id}          one run (also of a deleted one)
 *   POST /reminders/runs/{id}/resume|cancel  queue resume_run or
 *        cancel_run ({"run": id}) for the daemon holding the account
 *
 * A reminder is visible as its account is (the operator's own, or any
 * for an admin); a foreign or missing one answers 404.  The form is
 * checked whole before anything is written, then saved in one
 * transaction; every problem is a sentence next to its field, the form
 * drawn again with what was typed.  Times shown are in the reminder's
 * zone; "now" is the database's wall_now() (sql/019), which tests move.
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
#include "recur.h"
#include "rform.h"

#define	RUNS_PAGE	20	/* runs per detail page */
#define	GROUPS_MAX	1000	/* an account's groups the form offers
				   (WS_REM_GROUPS' LIMIT) */

static const char *const ferr_ids[FE__MAX] = {
	"account-error", "name-error", "groups-error", "messages-error",
	"when-error", "tz-error", "until-error", "rule-error", "window-error"
};

/* Columns of RUN_COLS (db_web.c). */
enum	rucol {
	RU_ID, RU_REMINDER, RU_NAME, RU_STATUS, RU_SENT, RU_TOTAL, RU_SCHED,
	RU_STARTED, RU_FINISHED, RU_ERROR, RU_TZ, RU_PENDING, RU_ACCOUNT,
	RU_LABEL, RU_COUNT
};
/* Columns of WS_REM_RUN_TARGETS. */
enum	tgcol {
	TG_RUN, TG_JID, TG_SUBJECT, TG_STATUS, TG_ERROR, TG_SENT, TG_MID
};
/* Columns of WS_REM_LIST. */
enum	lscol {
	LS_ID, LS_NAME, LS_ACCOUNT, LS_LABEL, LS_TARGETS, LS_TZ, LS_FIRST,
	LS_RRULE, LS_NEXT, LS_STATUS, LS_LAST, LS_LAST_ID
};
/* Columns of WS_REM_GET. */
enum	gtcol {
	GT_ID, GT_NAME, GT_ACCOUNT, GT_LABEL, GT_STATUS, GT_TZ, GT_FIRST,
	GT_RRULE, GT_WINDOW, GT_NEXT, GT_LAST, GT_CREATED, GT_USER
};

/* Everything a page draws; one per request. */
struct	rpage {
	struct req	*r;
	int64_t		 now;		/* wall_now(), s */
	const char	*filter;	/* list: NULL, or a status filter */
	PGresult	*list;		/* reminders, or the one reminder */
	PGresult	*runs;		/* RUN_COLS rows */
	PGresult	*tg;		/* WS_REM_RUN_TARGETS rows */
	PGresult	*targets;	/* WS_REM_TARGETS */
	PGresult	*msgs;		/* WS_REM_MESSAGES */
	PGresult	*accounts;	/* form: WS_REM_ACCOUNTS */
	PGresult	*groups;	/* form: WS_REM_GROUPS */
	struct rform	*f;
	int		 row;		/* row being drawn */
	int		 run;		/* run row being drawn */
	int		 tgrow;		/* target row being drawn */
	int64_t		 fires[FIRES_SHOWN];
	int		 nfires;
	int		 page, pages;
	int64_t		 cleared;	/* list: runs cleared, or -1 */
	/* A small partial's values. */
	const char	*v_id, *v_href, *v_class, *v_label, *v_msg;
	const char	*v_type, *v_name, *v_value;
};

static const char *
col(const PGresult *res, int row, int c)
{

	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static int64_t
col64(const PGresult *res, int row, int c)
{
	int64_t	 v = 0;

	if (db_get_int64(res, row, c, &v) == -1)
		return 0;
	return v;
}

static void
db_fail(struct req *r)
{

	http_error(r, 503, "The database is unavailable; try again "
	    "shortly.");
}

/* The schedule's sentence (recur_summary), or why it has none. */
static void
summary_text(struct buf *b, const char *tz, int64_t first, const char *rrule)
{
	const char	*why = NULL;

	if (rz_summary(tz, first, rrule, b, &why) == -1) {
		buf_reset(b);
		buf_printf(b, "A rule this page cannot show (%s): %s",
		    rrule != NULL ? rrule : "", why != NULL ? why : "");
	}
}

static const char *
rstatus_text(const char *st)
{

	if (st == NULL)
		return "";
	if (strcmp(st, "active") == 0)
		return "Active";
	if (strcmp(st, "paused") == 0)
		return "Paused";
	if (strcmp(st, "ended") == 0)
		return "Ended";
	if (strcmp(st, "canceled") == 0)
		return "Canceled";
	/* Runs. */
	if (strcmp(st, "running") == 0)
		return "Running";
	if (strcmp(st, "success") == 0)
		return "Sent to every group";
	if (strcmp(st, "partial") == 0)
		return "Partly sent";
	if (strcmp(st, "failed") == 0)
		return "Failed";
	if (strcmp(st, "missed") == 0)
		return "Missed";
	/* Run targets. */
	if (strcmp(st, "pending") == 0)
		return "Pending";
	if (strcmp(st, "sent") == 0)
		return "Sent";
	if (strcmp(st, "skipped") == 0)
		return "Skipped";
	return st;
}


/* wall_now() and the operator's zone: 0, or -1 (database). */
static int
now_load(struct req *r, int64_t *now, char *tz, size_t tzsz)
{
	PGresult	*res;
	const char	*p[1];
	char		 op[24];

	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = op;
	if ((res = db_exec(r->w->db, WS_REM_NOW, p)) == NULL)
		return -1;
	if (PQntuples(res) != 1 || db_get_int64(res, 0, 0, now) == -1) {
		PQclear(res);
		return -1;
	}
	if (tz != NULL)
		rf_copy(tz, tzsz, col(res, 0, 1) != NULL ? col(res, 0, 1) :
		    "UTC");
	PQclear(res);
	return 0;
}

/* ---- Small partials ------------------------------------------------ */

static int
small_key(struct tout *o, enum tkey key, void *arg)
{
	const struct rpage	*pg = arg;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, pg->v_id);
		return 0;
	case TKEY_HREF:
		tmpl_text(o, pg->v_href);
		return 0;
	case TKEY_CLASS:
		tmpl_text(o, pg->v_class);
		return 0;
	case TKEY_LABEL:
	case TKEY_BUTTON:
		tmpl_text(o, pg->v_label);
		return 0;
	case TKEY_MESSAGE:
	case TKEY_AT:
		tmpl_text(o, pg->v_msg);
		return 0;
	case TKEY_TYPE:
		tmpl_text(o, pg->v_type);
		return 0;
	case TKEY_NAME:
		tmpl_text(o, pg->v_name);
		return 0;
	case TKEY_VALUE:
		tmpl_text(o, pg->v_value);
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, pg->r->csrf);
		return 0;
	default:
		return -1;
	}
}

/* A checkbox or radio button ("type"), checked when "on". */
static int
choice(struct tout *o, struct rpage *pg, const char *type, const char *name,
    const char *value, const char *label, int on)
{

	pg->v_type = type;
	pg->v_name = name;
	pg->v_value = value;
	pg->v_label = label;
	return tmpl_partial(o, on ? TMPL_CHOICE_ON : TMPL_CHOICE, small_key,
	    pg);
}

static int
option(struct tout *o, struct rpage *pg, const char *value, const char *label,
    int on)
{

	pg->v_id = value;
	pg->v_label = label;
	return tmpl_partial(o, on ? TMPL_OPTION_ON : TMPL_OPTION, small_key,
	    pg);
}

/* A POST button to /reminders/"href". */
static int
button(struct tout *o, struct rpage *pg, const char *href, const char *cls,
    const char *label)
{

	pg->v_href = href;
	pg->v_class = cls;
	pg->v_label = label;
	return tmpl_partial(o, TMPL_REMINDER_BUTTON, small_key, pg);
}

/* The error of field "e" next to it, or nothing. */
static int
field_error(struct tout *o, struct rpage *pg, enum ferr e)
{

	if (pg->f == NULL || pg->f->err[e] == NULL)
		return 0;
	pg->v_id = ferr_ids[e];
	pg->v_msg = pg->f->err[e];
	return tmpl_partial(o, TMPL_FIELD_ERROR, small_key, pg);
}

/* The fire times "t" (n of them) in zone "tz", as list items. */
static int
fires(struct tout *o, struct rpage *pg, const char *tz, const int64_t *t,
    int n)
{
	char	 s[LOCAL_MAX + 64];
	int	 i;

	if (n == 0) {
		pg->v_msg = "None: this schedule has no fire time left.";
		return tmpl_partial(o, TMPL_REMINDER_FIRE, small_key, pg);
	}
	for (i = 0; i < n; i++) {
		rf_local_text(tz, t[i], s, sizeof(s));
		pg->v_msg = s;
		if (tmpl_partial(o, TMPL_REMINDER_FIRE, small_key, pg) == -1)
			return -1;
	}
	return 0;
}

/* ---- Runs ---------------------------------------------------------- */

/* The sentence of a run target's error (a reason code or a sentence). */
static void
target_error(struct buf *b, const char *err)
{

	if (err == NULL)
		return;
	if (reason_find(err) != NULL)
		reason_write(b, err, NULL);
	else
		buf_puts(b, err);
}

static int
target_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	const PGresult	*t = pg->tg;
	int		 i = pg->tgrow, rc;
	struct buf	 b;

	switch (key) {
	case TKEY_JID:
		tmpl_text(o, col(t, i, TG_JID));
		return 0;
	case TKEY_SUBJECT:
		tmpl_text(o, *col(t, i, TG_SUBJECT) != '\0' ?
		    col(t, i, TG_SUBJECT) : col(t, i, TG_JID));
		return 0;
	case TKEY_STATUS:
		tmpl_text(o, col(t, i, TG_STATUS));
		return 0;
	case TKEY_STATUS_TEXT:
		tmpl_text(o, rstatus_text(col(t, i, TG_STATUS)));
		return 0;
	case TKEY_AT:
		if (col(t, i, TG_SENT) == NULL)
			return 0;
		return present_time(o, col(t, i, TG_SENT));
	case TKEY_VALUE:
		tmpl_text(o, col(t, i, TG_MID));
		return 0;
	case TKEY_ERROR:
		buf_init(&b);
		target_error(&b, col(t, i, TG_ERROR));
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		rc = 0;
		return rc;
	default:
		return -1;
	}
}

/* Scheduled-for of run row "i", in its reminder's zone (or UTC). */
static void
run_when(const PGresult *res, int i, char *s, size_t ssz)
{

	rf_local_text(col(res, i, RU_TZ), col64(res, i, RU_SCHED), s, ssz);
}

/* The run's name: the snapshot, "(deleted)" once the reminder is gone. */
static void
run_name(struct buf *b, const PGresult *res, int i)
{

	buf_puts(b, col(res, i, RU_NAME));
	if (col(res, i, RU_REMINDER) == NULL)
		buf_puts(b, " (deleted)");
}

static int
run_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	const PGresult	*res = pg->runs;
	int		 i = pg->run, n, k, rc;
	char		 s[LOCAL_MAX + 64], href[64];
	struct buf	 b;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, col(res, i, RU_ID));
		return 0;
	case TKEY_NAME:
		buf_init(&b);
		run_name(&b, res, i);
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_AT:
		run_when(res, i, s, sizeof(s));
		tmpl_text(o, s);
		return 0;
	case TKEY_STATUS:
		tmpl_text(o, col(res, i, RU_STATUS));
		return 0;
	case TKEY_STATUS_TEXT:
		tmpl_text(o, rstatus_text(col(res, i, RU_STATUS)));
		return 0;
	case TKEY_COUNT:
		tmpl_textf(o, "%s of %s sent", col(res, i, RU_SENT),
		    col(res, i, RU_TOTAL));
		return 0;
	case TKEY_ERROR:
		buf_init(&b);
		if (col(res, i, RU_ERROR) != NULL)
			target_error(&b, col(res, i, RU_ERROR));
		if (col64(res, i, RU_PENDING) > 0 &&
		    strcmp(col(res, i, RU_STATUS), "running") != 0)
			buf_printf(&b, "%s%" PRId64 " group(s) still pending: "
			    "Resume run sends to exactly those, Cancel run "
			    "skips them.", b.len > 0 ? " " : "",
			    col64(res, i, RU_PENDING));
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_TARGETS:
		if (pg->tg == NULL)
			return 0;
		n = PQntuples(pg->tg);
		for (k = 0; k < n; k++) {
			if (strcmp(col(pg->tg, k, TG_RUN),
			    col(res, i, RU_ID)) != 0)
				continue;
			pg->tgrow = k;
			if (tmpl_partial(o, TMPL_REMINDER_TARGET_ROW,
			    target_key, pg) == -1)
				return -1;
		}
		return 0;
	case TKEY_ACTIONS:
		/* Pending targets of a run the daemon is done with. */
		if (col64(res, i, RU_PENDING) == 0 ||
		    strcmp(col(res, i, RU_STATUS), "running") == 0 ||
		    col(res, i, RU_ACCOUNT) == NULL)
			return 0;
		snprintf(href, sizeof(href), "runs/%s/resume",
		    col(res, i, RU_ID));
		rc = button(o, pg, href, "primary", "Resume run");
		snprintf(href, sizeof(href), "runs/%s/cancel",
		    col(res, i, RU_ID));
		if (rc == 0)
			rc = button(o, pg, href, "danger", "Cancel run");
		return rc;
	default:
		return -1;
	}
}

/* The targets of the runs in "runs", in pg->tg: 0, or -1 (database). */
static int
run_targets_load(struct rpage *pg)
{
	struct buf	 ids;
	const char	*p[1];
	int		 i, n = PQntuples(pg->runs);

	buf_init(&ids);
	buf_putc(&ids, '{');
	for (i = 0; i < n; i++)
		buf_printf(&ids, "%s%s", i > 0 ? "," : "",
		    col(pg->runs, i, RU_ID));
	buf_putc(&ids, '}');
	p[0] = buf_str(&ids);
	pg->tg = db_exec(pg->r->w->db, WS_REM_RUN_TARGETS, p);
	buf_free(&ids);
	return pg->tg == NULL ? -1 : 0;
}

static int
runs_blocks(struct tout *o, struct rpage *pg)
{
	int	 n = PQntuples(pg->runs);

	for (pg->run = 0; pg->run < n; pg->run++)
		if (tmpl_partial(o, TMPL_REMINDER_RUN, run_key, pg) == -1)
			return -1;
	return 0;
}

/* ---- The list ------------------------------------------------------ */

static const struct {
	const char	*value;		/* ?status= */
	const char	*label;
	const char	*empty;		/* the filter-aware empty state */
} filters[] = {
	{ NULL, "All", "No reminders yet." },
	{ "active", "Active", "No active reminders." },
	{ "paused", "Paused", "No paused reminders." },
	{ "ended", "Ended", "No ended reminders." },
	{ "failed", "Last run failed", "No reminders whose last run failed." },
};
#define	NFILTERS	(sizeof(filters) / sizeof(filters[0]))

static int
list_row_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	const PGresult	*res = pg->list;
	int		 i = pg->row;
	char		 s[LOCAL_MAX + 64];
	struct buf	 b;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, col(res, i, LS_ID));
		return 0;
	case TKEY_NAME:
		tmpl_text(o, col(res, i, LS_NAME));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, col(res, i, LS_LABEL));
		return 0;
	case TKEY_COUNT:
		tmpl_text(o, col(res, i, LS_TARGETS));
		return 0;
	case TKEY_SUMMARY:
		buf_init(&b);
		summary_text(&b, col(res, i, LS_TZ), col64(res, i, LS_FIRST),
		    col(res, i, LS_RRULE));
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_NEXT:
		if (col(res, i, LS_NEXT) == NULL ||
		    strcmp(col(res, i, LS_STATUS), "ended") == 0 ||
		    strcmp(col(res, i, LS_STATUS), "canceled") == 0) {
			tmpl_text(o, "none");
			return 0;
		}
		rf_local_text(col(res, i, LS_TZ), col64(res, i, LS_NEXT), s,
		    sizeof(s));
		tmpl_text(o, s);
		return 0;
	case TKEY_STATUS:
		tmpl_text(o, col(res, i, LS_STATUS));
		return 0;
	case TKEY_STATUS_TEXT:
		tmpl_text(o, rstatus_text(col(res, i, LS_STATUS)));
		return 0;
	case TKEY_STATE:
		tmpl_text(o, col(res, i, LS_LAST) == NULL ? "never run" :
		    rstatus_text(col(res, i, LS_LAST)));
		return 0;
	default:
		return -1;
	}
}

static int
list_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	char		 href[32], msg[96];
	size_t		 k;
	int		 n;

	switch (key) {
	case TKEY_NOTICE:
		if (pg->cleared < 0)
			return 0;
		snprintf(msg, sizeof(msg), "Cleared %" PRId64 " finished "
		    "run%s from your history.", pg->cleared,
		    pg->cleared == 1 ? "" : "s");
		pg->v_msg = msg;
		return tmpl_partial(o, TMPL_NOTICE, small_key, pg);
	case TKEY_FILTERS:
		for (k = 0; k < NFILTERS; k++) {
			if (filters[k].value == NULL)
				href[0] = '\0';
			else
				snprintf(href, sizeof(href), "?status=%s",
				    filters[k].value);
			pg->v_href = href;
			pg->v_label = filters[k].label;
			pg->v_class = (pg->filter == NULL &&
			    filters[k].value == NULL) || (pg->filter != NULL &&
			    filters[k].value != NULL &&
			    strcmp(pg->filter, filters[k].value) == 0) ?
			    "filter current" : "filter";
			if (tmpl_partial(o, TMPL_REMINDER_FILTER, small_key,
			    pg) == -1)
				return -1;
		}
		return 0;
	case TKEY_ROWS:
		n = PQntuples(pg->list);
		for (pg->row = 0; pg->row < n; pg->row++)
			if (tmpl_partial(o, TMPL_REMINDER_ROW, list_row_key,
			    pg) == -1)
				return -1;
		return 0;
	case TKEY_EMPTY:
		if (PQntuples(pg->list) > 0)
			return 0;
		for (k = 0; k < NFILTERS; k++)
			if ((pg->filter == NULL && filters[k].value == NULL) ||
			    (pg->filter != NULL && filters[k].value != NULL &&
			    strcmp(pg->filter, filters[k].value) == 0))
				break;
		pg->v_id = "reminders-empty";
		pg->v_msg = filters[k < NFILTERS ? k : 0].empty;
		return tmpl_partial(o, TMPL_REMINDER_EMPTY, small_key, pg);
	case TKEY_RUNS:
		n = PQntuples(pg->runs);
		for (pg->run = 0; pg->run < n; pg->run++)
			if (tmpl_partial(o, TMPL_REMINDER_RUN_ROW, run_key,
			    pg) == -1)
				return -1;
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, pg->r->csrf);
		return 0;
	default:
		return -1;
	}
}

/*
 * GET /reminders[?status=S][&cleared=N]: 200 with the visible
 * reminders (S: active, paused, ended, failed) and the operator's 20
 * newest runs; 400 for another S; 503.
 */
void
page_reminders_list(struct req *r)
{
	struct rpage	 pg;
	const char	*p[3], *st, *cl;
	char		 op[24];
	size_t		 k;

	memset(&pg, 0, sizeof(pg));
	pg.r = r;
	pg.cleared = -1;
	st = kv_get(&r->query, "status");
	if (st != NULL && *st != '\0') {
		for (k = 1; k < NFILTERS; k++)
			if (strcmp(st, filters[k].value) == 0)
				break;
		if (k == NFILTERS) {
			http_error(r, 400, "There is no such filter: use "
			    "status=active, paused, ended or failed.");
			return;
		}
		pg.filter = filters[k].value;
	}
	if ((cl = kv_get(&r->query, "cleared")) != NULL &&
	    (rf_id_parse(cl, &pg.cleared) == -1))
		pg.cleared = strcmp(cl, "0") == 0 ? 0 : -1;
	page_visibility(r, op, &p[1]);
	p[0] = op;
	p[2] = pg.filter != NULL ? pg.filter : "";
	if ((pg.list = db_exec(r->w->db, WS_REM_LIST, p)) == NULL) {
		db_fail(r);
		return;
	}
	if ((pg.runs = db_exec(r->w->db, WS_REM_RUNS_RECENT, p)) == NULL) {
		PQclear(pg.list);
		db_fail(r);
		return;
	}
	http_page(r, "Reminders", TMPL_REMINDERS, list_key, &pg);
	PQclear(pg.runs);
	PQclear(pg.list);
}

/*
 * POST /reminders/clear-history: delete the operator's own finished
 * runs (their targets go with them; running and paused runs stay),
 * then 303 to the list saying how many; 503.
 */
void
page_reminders_clear(struct req *r)
{
	PGresult	*res;
	const char	*p[1];
	char		 op[24], loc[64];

	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = op;
	if ((res = db_exec(r->w->db, WS_REM_RUNS_CLEAR, p)) == NULL) {
		db_fail(r);
		return;
	}
	snprintf(loc, sizeof(loc), "/reminders?cleared=%" PRId64 "#runs",
	    col64(res, 0, 0));
	PQclear(res);
	http_redirect(r, loc);
}

/* ---- The form ------------------------------------------------------ */


static int
form_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	struct rform	*f = pg->f;
	struct buf	 b;
	char		 v[24];
	size_t		 i;
	int		 n, k, rc = 0, shown;

	switch (key) {
	case TKEY_TITLE:
		tmpl_text(o, f->id != 0 ? "Edit reminder" : "New reminder");
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, f->error);
		return 0;
	case TKEY_HREF:
		if (f->id != 0)
			tmpl_textf(o, "/%" PRId64 "/edit", f->id);
		else
			tmpl_text(o, "/new");
		return 0;
	case TKEY_ID:
		if (f->id != 0)
			tmpl_textf(o, "/%" PRId64, f->id);
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, pg->r->csrf);
		return 0;
	case TKEY_ACCOUNTS:
		n = pg->accounts != NULL ? PQntuples(pg->accounts) : 0;
		if (n == 0)
			return option(o, pg, "", "(no accounts yet: add one "
			    "first)", 1);
		for (k = 0; k < n && rc == 0; k++)
			rc = option(o, pg, PQgetvalue(pg->accounts, k, 0),
			    PQgetvalue(pg->accounts, k, 1),
			    col64(pg->accounts, k, 0) == f->account);
		return rc;
	case TKEY_ACCOUNT:
		if (f->account != 0)
			tmpl_textf(o, "%" PRId64, f->account);
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, f->label != NULL ? f->label : "none chosen");
		return 0;
	case TKEY_NAME:
		tmpl_text(o, f->name);
		return 0;
	case TKEY_GROUPS:
		n = pg->groups != NULL ? PQntuples(pg->groups) : 0;
		if (n == 0 && f->njids == 0) {
			pg->v_id = "groups-none";
			pg->v_msg = f->account == 0 ? "Choose an account "
			    "first." : "This account has no synced groups: "
			    "connect it and sync its groups on its Groups "
			    "page.";
			return tmpl_partial(o, TMPL_FIELD_ERROR, small_key,
			    pg);
		}
		/* The chosen ones first, in their sending order, then the
		 * rest by name: saving the form again keeps the order. */
		for (i = 0; i < f->njids && rc == 0; i++) {
			for (k = 0; k < n; k++)
				if (strcmp(PQgetvalue(pg->groups, k, 0),
				    f->jids[i]) == 0)
					break;
			buf_init(&b);
			if (k == n)
				buf_printf(&b, "%s (not one of this account's "
				    "groups now)", f->jids[i]);
			else
				buf_puts(&b, *PQgetvalue(pg->groups, k, 1) !=
				    '\0' ? PQgetvalue(pg->groups, k, 1) :
				    f->jids[i]);
			rc = choice(o, pg, "checkbox", "g", f->jids[i],
			    buf_str(&b), 1);
			buf_free(&b);
		}
		for (k = 0; k < n && rc == 0; k++) {
			const char *jid = PQgetvalue(pg->groups, k, 0);
			const char *subj = PQgetvalue(pg->groups, k, 1);

			for (i = 0; i < f->njids; i++)
				if (strcmp(f->jids[i], jid) == 0)
					break;
			if (i < f->njids)
				continue;
			rc = choice(o, pg, "checkbox", "g", jid,
			    *subj != '\0' ? subj : jid, 0);
		}
		return rc;
	case TKEY_MESSAGES:
		/* What was typed, then one empty box for another. */
		shown = 0;
		for (i = 0; i < f->nmsgs && rc == 0; i++) {
			if (rf_text_check(f->msgs[i], TEXT_MAX_BYTES, 1) == -3)
				continue;
			pg->v_msg = f->msgs[i];
			rc = tmpl_partial(o, TMPL_REMINDER_MESSAGE, small_key,
			    pg);
			shown++;
		}
		if (rc == 0 && shown < MSGS_MAX) {
			pg->v_msg = "";
			rc = tmpl_partial(o, TMPL_REMINDER_MESSAGE, small_key,
			    pg);
		}
		return rc;
	case TKEY_DATE:
		tmpl_text(o, f->date);
		return 0;
	case TKEY_TIME:
		tmpl_text(o, f->time);
		return 0;
	case TKEY_TIMEZONE:
		tmpl_text(o, f->tz);
		return 0;
	case TKEY_FREQS:
		for (k = 0; k < RF_NFREQ && rc == 0; k++)
			rc = option(o, pg, rf_freq_names[k], rf_freq_labels[k],
			    (int)f->freq == k);
		return rc;
	case TKEY_INTERVAL:
		tmpl_text(o, f->interval);
		return 0;
	case TKEY_WEEKDAYS:
		for (k = 0; k < 7 && rc == 0; k++) {
			snprintf(v, sizeof(v), "%d", k);
			rc = choice(o, pg, "checkbox", "wd", v, rf_wd_labels[k],
			    (f->weekdays & (1u << k)) != 0);
		}
		return rc;
	case TKEY_MONTHDAY:
		tmpl_text(o, f->monthday);
		return 0;
	case TKEY_ENDS:
		for (k = 0; k < 3 && rc == 0; k++)
			rc = choice(o, pg, "radio", "end", rf_end_names[k],
			    rf_end_labels[k], (int)f->end == k);
		return rc;
	case TKEY_COUNT:
		tmpl_text(o, f->count);
		return 0;
	case TKEY_UNTIL:
		tmpl_text(o, f->until);
		return 0;
	case TKEY_WINDOW_END:
		tmpl_text(o, f->window);
		return 0;
	case TKEY_ERR_ACCOUNT:
		return field_error(o, pg, FE_ACCOUNT);
	case TKEY_ERR_NAME:
		return field_error(o, pg, FE_NAME);
	case TKEY_ERR_GROUPS:
		return field_error(o, pg, FE_GROUPS);
	case TKEY_ERR_MESSAGES:
		return field_error(o, pg, FE_MESSAGES);
	case TKEY_ERR_WHEN:
		return field_error(o, pg, FE_WHEN);
	case TKEY_ERR_TIMEZONE:
		return field_error(o, pg, FE_TZ);
	case TKEY_ERR_UNTIL:
		return field_error(o, pg, FE_UNTIL);
	case TKEY_ERR_RULE:
		return field_error(o, pg, FE_RULE);
	case TKEY_ERR_WINDOW:
		return field_error(o, pg, FE_WINDOW);
	case TKEY_PREVIEW:
		if (!f->preview || rf_nerrors(f) > 0)
			return 0;
		return tmpl_partial(o, TMPL_REMINDER_PREVIEW, form_key, pg);
	case TKEY_SUMMARY:
		buf_init(&b);
		summary_text(&b, f->tz, f->first,
		    f->rule[0] != '\0' ? f->rule : NULL);
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_FIRES:
		return fires(o, pg, f->tz, f->fires, f->nfires);
	default:
		return -1;
	}
}

/*
 * Load what the form shows besides "f": the visible accounts, the
 * chosen account (into "acct", NULL if not visible; f->label) and its
 * groups.  0, or -1 (database; everything freed).
 */
static int
form_load(struct rpage *pg, PGresult **acct)
{
	struct req	*r = pg->r;
	struct rform	*f = pg->f;
	const char	*p[3];
	char		 op[24], sid[24];

	*acct = NULL;
	page_visibility(r, op, &p[1]);
	p[0] = op;
	if ((pg->accounts = db_exec(r->w->db, WS_REM_ACCOUNTS, p)) == NULL)
		return -1;
	/* No account asked for: the first one. */
	if (f->account == 0 && f->id == 0 && PQntuples(pg->accounts) > 0 &&
	    pg->r->method != METHOD_POST)
		f->account = col64(pg->accounts, 0, 0);
	if (f->account == 0)
		return 0;
	snprintf(sid, sizeof(sid), "%" PRId64, f->account);
	p[0] = sid;
	p[1] = op;
	page_visibility(r, op, &p[2]);
	if ((*acct = db_exec(r->w->db, WS_REM_ACCOUNT, p)) == NULL)
		goto fail;
	if (PQntuples(*acct) != 1)
		return 0;
	f->label = PQgetvalue(*acct, 0, 1);
	if ((pg->groups = db_exec(r->w->db, WS_REM_GROUPS, p)) == NULL)
		goto fail;
	return 0;
fail:
	PQclear(*acct);
	*acct = NULL;
	PQclear(pg->accounts);
	pg->accounts = NULL;
	return -1;
}

static void
form_page(struct rpage *pg, int code)
{
	struct req	*r = pg->r;

	http_page(r, pg->f->id != 0 ? "Edit reminder" : "New reminder",
	    TMPL_REMINDER_FORM, form_key, pg);
	if (r->status == 200)
		r->status = code;
}

static void
form_free(struct rpage *pg, PGresult *acct)
{

	PQclear(pg->groups);
	PQclear(pg->accounts);
	PQclear(acct);
	PQclear(pg->list);
	PQclear(pg->targets);
	PQclear(pg->msgs);
}

/*
 * Fill "f" from reminder row pg->list (WS_REM_GET), its targets and
 * messages: the controls come back from the rule (recur_rule_parse).
 */
static void
form_from_reminder(struct rpage *pg, struct rform *f)
{
	const PGresult		*g = pg->list;
	struct recur_controls	 c;
	const char		*why = NULL, *acc;
	char			 l[LOCAL_MAX];
	int			 i, n;

	f->id = col64(g, 0, GT_ID);
	f->name = col(g, 0, GT_NAME);
	f->account = col64(g, 0, GT_ACCOUNT);
	f->tz = col(g, 0, GT_TZ);
	f->first = f->saved_first = col64(g, 0, GT_FIRST);
	if (rz_utc_to_local(f->tz, f->first, l, sizeof(l)) == 0 &&
	    strlen(l) >= 16) {
		snprintf(f->date, sizeof(f->date), "%.10s", l);
		snprintf(f->time, sizeof(f->time), "%.5s", l + 11);
	}
	rf_copy(f->window, sizeof(f->window), col(g, 0, GT_WINDOW));
	n = PQntuples(pg->targets);
	for (i = 0; i < n && f->njids < TARGETS_MAX; i++)
		f->jids[f->njids++] = PQgetvalue(pg->targets, i, 0);
	n = PQntuples(pg->msgs);
	for (i = 0; i < n && f->nmsgs < MSGS_MAX; i++)
		f->msgs[f->nmsgs++] = PQgetvalue(pg->msgs, i, 0);
	memset(&c, 0, sizeof(c));
	if (rz_rule_parse(col(g, 0, GT_RRULE), f->tz, &c, &why) == -1) {
		rf_err_set(f, FE_RULE, "The saved rule %.200s cannot be shown "
		    "here (%s); saving replaces it with these controls.",
		    col(g, 0, GT_RRULE), why != NULL ? why : "");
		c.freq = RECUR_NONE;
		c.interval = 1;
	}
	f->freq = c.freq;
	snprintf(f->interval, sizeof(f->interval), "%d",
	    c.interval > 0 ? c.interval : 1);
	f->weekdays = c.weekdays;
	if (c.monthday > 0)
		snprintf(f->monthday, sizeof(f->monthday), "%d", c.monthday);
	f->end = c.end;
	if (c.end == RECUR_END_COUNT)
		snprintf(f->count, sizeof(f->count), "%d", c.count);
	if (c.end == RECUR_END_UNTIL)
		rf_copy(f->until, sizeof(f->until), c.until);
	/* ?account=N switches the account (its groups start unchosen). */
	acc = kv_get(&pg->r->query, "account");
	if (acc != NULL && rf_id_parse(acc, &f->account) == 0 &&
	    f->account != col64(g, 0, GT_ACCOUNT))
		f->njids = 0;
}

/*
 * Load reminder r->id (visible) with its targets and messages into
 * pg->list, pg->targets, pg->msgs.  1 found, 0 not, -1 database.
 */
static int
reminder_load(struct rpage *pg)
{
	struct req	*r = pg->r;
	const char	*p[3];
	char		 sid[24], op[24];

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((pg->list = db_exec(r->w->db, WS_REM_GET, p)) == NULL)
		return -1;
	if (PQntuples(pg->list) != 1) {
		PQclear(pg->list);
		pg->list = NULL;
		return 0;
	}
	if ((pg->targets = db_exec(r->w->db, WS_REM_TARGETS, p)) == NULL ||
	    (pg->msgs = db_exec(r->w->db, WS_REM_MESSAGES, p)) == NULL) {
		PQclear(pg->targets);
		PQclear(pg->list);
		pg->targets = pg->list = NULL;
		return -1;
	}
	return 1;
}

/*
 * GET /reminders/new[?account=N]: 200 with an empty form for account N
 * (default: the first visible one), the operator's zone and the next
 * minute; 503.
 */
void
page_reminders_new(struct req *r)
{
	struct rpage	 pg;
	struct rform	 f;
	PGresult	*acct;
	char		 tz[72];
	int64_t		 now;

	memset(&pg, 0, sizeof(pg));
	memset(&f, 0, sizeof(f));
	pg.r = r;
	pg.f = &f;
	if (now_load(r, &now, tz, sizeof(tz)) == -1) {
		db_fail(r);
		return;
	}
	rf_defaults(&f, tz, now);
	if (kv_get(&r->query, "account") != NULL &&
	    rf_id_parse(kv_get(&r->query, "account"), &f.account) == -1) {
		http_error(r, 400, "The account must be given by its number.");
		return;
	}
	if (form_load(&pg, &acct) == -1) {
		db_fail(r);
		return;
	}
	if (f.account != 0 && acct != NULL && PQntuples(acct) != 1)
		rf_err_set(&f, FE_ACCOUNT, "That account is not one of yours; "
		    "choose another.");
	form_page(&pg, 200);
	form_free(&pg, acct);
}

/*
 * GET /reminders/{id}/edit[?account=N]: 200 with the form as saved
 * (the controls parsed back from the rule); 404 unless visible; 503.
 */
void
page_reminder_edit(struct req *r)
{
	struct rpage	 pg;
	struct rform	 f;
	PGresult	*acct;
	int		 rc;

	memset(&pg, 0, sizeof(pg));
	memset(&f, 0, sizeof(f));
	pg.r = r;
	pg.f = &f;
	if ((rc = reminder_load(&pg)) == -1) {
		db_fail(r);
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	form_from_reminder(&pg, &f);
	if (form_load(&pg, &acct) == -1) {
		form_free(&pg, NULL);
		db_fail(r);
		return;
	}
	if (acct == NULL || PQntuples(acct) != 1)
		rf_err_set(&f, FE_ACCOUNT, "That account is not one of yours; "
		    "choose another.");
	form_page(&pg, 200);
	form_free(&pg, acct);
}

/* A JSON array of strings (the caller frees it with json_object_put). */
static struct json_object *
json_strings(const char *const *v, size_t n, int skip_blank)
{
	struct json_object	*a = json_object_new_array();
	size_t			 i;

	for (i = 0; i < n; i++)
		if (!skip_blank || rf_text_check(v[i], TEXT_MAX_BYTES, 1) != -3)
			json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/*
 * Write form "f" (checked) in one transaction: insert (f->id == 0) or
 * lock, check and update reminder f->id; then its targets and
 * messages.  Returns 1 saved (f->id set), 0 not found (an edit of a
 * reminder that is gone), -2 a group vanished meanwhile (FE_GROUPS
 * set), -1 database.
 */
static int
form_save(struct req *r, struct rform *f)
{
	struct json_object	*jj, *jm;
	PGresult		*res = NULL;
	const char		*p[8];
	char			 op[24], sid[24], acc[24], first[24];
	char			 next[24], win[8];
	int64_t			 n;
	int			 rc = -1;

	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	snprintf(acc, sizeof(acc), "%" PRId64, f->account);
	snprintf(first, sizeof(first), "%" PRId64, f->first);
	snprintf(next, sizeof(next), "%" PRId64, f->fires[0]);
	snprintf(win, sizeof(win), "%d", f->win);
	jj = json_strings(f->jids, f->njids, 0);
	jm = json_strings(f->msgs, f->nmsgs, 1);
	if (db_tx_begin(r->w->db) == -1)
		goto out;
	if (f->id != 0) {
		snprintf(sid, sizeof(sid), "%" PRId64, f->id);
		p[0] = sid;
		page_visibility(r, op, &p[2]);
		p[1] = op;
		if ((res = db_exec(r->w->db, WS_REM_LOCK, p)) == NULL)
			goto out;
		if (PQntuples(res) != 1) {
			rc = 0;
			goto out;
		}
		PQclear(res);
		p[0] = sid;
	} else
		p[0] = op;
	p[1] = acc;
	p[2] = f->name;
	p[3] = f->tz;
	p[4] = first;
	p[5] = f->rule[0] != '\0' ? f->rule : NULL;
	p[6] = f->win != 0 ? win : NULL;
	p[7] = next;
	if ((res = db_exec(r->w->db, f->id != 0 ? WS_REM_UPDATE :
	    WS_REM_INSERT, p)) == NULL || PQntuples(res) != 1 ||
	    db_get_int64(res, 0, 0, &f->id) == -1)
		goto out;
	PQclear(res);
	res = NULL;
	snprintf(sid, sizeof(sid), "%" PRId64, f->id);
	p[0] = sid;
	if (db_exec_cmd(r->w->db, WS_REM_TARGETS_CLEAR, p) == -1 ||
	    db_exec_cmd(r->w->db, WS_REM_MESSAGES_CLEAR, p) == -1)
		goto out;
	p[1] = acc;
	p[2] = json_object_to_json_string_ext(jj, JSON_C_TO_STRING_PLAIN);
	if ((res = db_exec(r->w->db, WS_REM_TARGETS_SET, p)) == NULL ||
	    db_get_int64(res, 0, 0, &n) == -1)
		goto out;
	if (n != (int64_t)f->njids) {
		rf_err_set(f, FE_GROUPS, "A chosen group is no longer one of "
		    "this account's groups; choose again.");
		rc = -2;
		goto out;
	}
	p[1] = json_object_to_json_string_ext(jm, JSON_C_TO_STRING_PLAIN);
	if (db_exec_cmd(r->w->db, WS_REM_MESSAGES_SET, p) == -1 ||
	    db_tx_commit(r->w->db) == -1)
		goto out;
	rc = 1;
out:
	if (rc != 1)
		db_tx_rollback(r->w->db);
	PQclear(res);
	json_object_put(jj);
	json_object_put(jm);
	return rc;
}

/*
 * POST /reminders and /reminders/{id}: check the form, then save it
 * and 303 to the reminder; with preview=1, or with any problem, draw
 * the form again (200 for a preview, 422 with the errors), nothing
 * saved.  404 when editing a reminder that is not visible; 503.
 */
static void
form_submit(struct req *r, int64_t id)
{
	struct rpage	 pg;
	struct rform	 f;
	PGresult	*acct = NULL, *old = NULL;
	const char	*p[3], *jids[GROUPS_MAX];
	size_t		 i, ng;
	char		 sid[24], op[24], loc[64];
	int64_t		 now;
	int		 rc;

	memset(&pg, 0, sizeof(pg));
	memset(&f, 0, sizeof(f));
	pg.r = r;
	pg.f = &f;
	f.id = id;
	if (now_load(r, &now, NULL, 0) == -1) {
		db_fail(r);
		return;
	}
	if (id != 0) {
		/* The stored first fire may lie in the past. */
		snprintf(sid, sizeof(sid), "%" PRId64, id);
		page_visibility(r, op, &p[2]);
		p[0] = sid;
		p[1] = op;
		if ((old = db_exec(r->w->db, WS_REM_GET, p)) == NULL) {
			db_fail(r);
			return;
		}
		if (PQntuples(old) != 1) {
			PQclear(old);
			http_error(r, 404, NULL);
			return;
		}
		f.saved_first = col64(old, 0, GT_FIRST);
		PQclear(old);
	} else
		f.saved_first = INT64_MIN;
	rf_read(&r->form, &f);
	if (form_load(&pg, &acct) == -1) {
		db_fail(r);
		return;
	}
	ng = pg.groups != NULL ? (size_t)PQntuples(pg.groups) : 0;
	for (i = 0; i < ng && i < GROUPS_MAX; i++)
		jids[i] = PQgetvalue(pg.groups, (int)i, 0);
	if (rf_check(&f, acct != NULL && PQntuples(acct) == 1, jids, i,
	    now) > 0) {
		f.error = "Nothing was saved: correct the fields marked "
		    "below.";
		form_page(&pg, 422);
		form_free(&pg, acct);
		return;
	}
	if (f.preview) {
		form_page(&pg, 200);
		form_free(&pg, acct);
		return;
	}
	rc = form_save(r, &f);
	if (rc == -2) {
		f.error = "Nothing was saved: correct the fields marked "
		    "below.";
		form_page(&pg, 422);
	} else if (rc == 0)
		http_error(r, 404, NULL);
	else if (rc == -1)
		db_fail(r);
	else {
		snprintf(loc, sizeof(loc), "/reminders/%" PRId64
		    "?notice=reminder_saved", f.id);
		http_redirect(r, loc);
	}
	form_free(&pg, acct);
}

/* POST /reminders: see form_submit(). */
void
page_reminders_create(struct req *r)
{

	form_submit(r, 0);
}

/* POST /reminders/{id}: see form_submit(). */
void
page_reminder_update(struct req *r)
{

	form_submit(r, r->id);
}

/* ---- The detail ---------------------------------------------------- */

static int
target_li_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	const PGresult	*t = pg->targets;
	int		 i = pg->row;

	switch (key) {
	case TKEY_JID:
		tmpl_text(o, col(t, i, 0));
		return 0;
	case TKEY_SUBJECT:
		tmpl_text(o, col(t, i, 1) == NULL ? "(no longer synced)" :
		    *col(t, i, 1) == '\0' ? "(no subject)" : col(t, i, 1));
		return 0;
	default:
		return -1;
	}
}

static int
show_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	const PGresult	*g = pg->list;
	const char	*st = col(g, 0, GT_STATUS);
	struct buf	 b;
	char		 href[48];
	int		 n, rc;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, col(g, 0, GT_ID));
		return 0;
	case TKEY_NAME:
		tmpl_text(o, col(g, 0, GT_NAME));
		return 0;
	case TKEY_STATUS:
		tmpl_text(o, st);
		return 0;
	case TKEY_STATUS_TEXT:
		tmpl_text(o, rstatus_text(st));
		return 0;
	case TKEY_ACCOUNT:
		tmpl_text(o, col(g, 0, GT_ACCOUNT));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, col(g, 0, GT_LABEL));
		return 0;
	case TKEY_SUMMARY:
		buf_init(&b);
		summary_text(&b, col(g, 0, GT_TZ), col64(g, 0, GT_FIRST),
		    col(g, 0, GT_RRULE));
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_FIRES:
		return fires(o, pg, col(g, 0, GT_TZ), pg->fires, pg->nfires);
	case TKEY_WINDOW_END:
		if (col(g, 0, GT_WINDOW) == NULL)
			tmpl_text(o, "no window: every group is sent to, "
			    "however long it takes");
		else
			tmpl_textf(o, "%s:00 %s (groups not reached by then "
			    "wait for Resume run)", col(g, 0, GT_WINDOW),
			    col(g, 0, GT_TZ));
		return 0;
	case TKEY_LAST_USED:
		return present_time(o, col(g, 0, GT_LAST));
	case TKEY_CREATED:
		return present_time(o, col(g, 0, GT_CREATED));
	case TKEY_OPERATOR:
		tmpl_text(o, col(g, 0, GT_USER) != NULL ? col(g, 0, GT_USER) :
		    "(a removed operator)");
		return 0;
	case TKEY_ACTIONS:
		rc = 0;
		snprintf(href, sizeof(href), "%s/pause", col(g, 0, GT_ID));
		if (strcmp(st, "active") == 0)
			rc = button(o, pg, href, "", "Pause");
		snprintf(href, sizeof(href), "%s/resume", col(g, 0, GT_ID));
		if (strcmp(st, "paused") == 0)
			rc = button(o, pg, href, "primary", "Resume reminder");
		/* Behind a disclosure: no JavaScript confirm() needed. */
		if (rc == 0)
			rc = tmpl_partial(o, TMPL_REMINDER_DELETE, show_key,
			    pg);
		return rc;
	case TKEY_CSRF:
		tmpl_text(o, pg->r->csrf);
		return 0;
	case TKEY_TARGETS:
		n = PQntuples(pg->targets);
		for (pg->row = 0; pg->row < n; pg->row++)
			if (tmpl_partial(o, TMPL_REMINDER_TARGET, target_li_key,
			    pg) == -1)
				return -1;
		return 0;
	case TKEY_MESSAGES:
		n = PQntuples(pg->msgs);
		for (pg->row = 0; pg->row < n; pg->row++) {
			pg->v_msg = PQgetvalue(pg->msgs, pg->row, 0);
			if (tmpl_partial(o, TMPL_REMINDER_TEXT, small_key,
			    pg) == -1)
				return -1;
		}
		return 0;
	case TKEY_RUNS:
		return runs_blocks(o, pg);
	case TKEY_EMPTY:
		if (PQntuples(pg->runs) > 0)
			return 0;
		pg->v_id = "runs-empty";
		pg->v_msg = pg->page > 1 ? "There is no such page of runs." :
		    "It has not fired yet.";
		return tmpl_partial(o, TMPL_FIELD_ERROR, small_key, pg);
	case TKEY_PAGER:
		if (pg->pages <= 1)
			return 0;
		return tmpl_partial(o, TMPL_PAGER, show_key, pg);
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
		snprintf(href, sizeof(href), "/%s?page=%d#runs",
		    PQgetvalue(g, 0, GT_ID),
		    pg->page + (key == TKEY_PREV ? -1 : 1));
		pg->v_href = href;
		pg->v_class = "page";
		pg->v_label = key == TKEY_PREV ? "\u2190 Newer runs" :
		    "Older runs \u2192";
		return tmpl_partial(o, TMPL_REMINDER_FILTER, small_key, pg);
	default:
		return -1;
	}
}

/*
 * GET /reminders/{id}[?page=N]: 200 with the schedule, the next five
 * fire times, targets, messages and runs (20 a page, newest first,
 * each with its per-group states); 400 for a bad page; 404 unless
 * visible; 503.
 */
void
page_reminder_show(struct req *r)
{
	struct rpage	 pg;
	const PGresult	*g;
	const char	*p[3], *pv, *why, *st;
	char		 lim[16], off[16];
	int		 rc, page = 1, n;
	int64_t		 after, total = 0;

	memset(&pg, 0, sizeof(pg));
	pg.r = r;
	if ((pv = kv_get(&r->query, "page")) != NULL &&
	    rf_int_parse(pv, 1, 100000, &page) != 0) {
		http_error(r, 400, "The page number must be a whole number "
		    "from 1.");
		return;
	}
	if (now_load(r, &pg.now, NULL, 0) == -1 ||
	    (rc = reminder_load(&pg)) == -1) {
		db_fail(r);
		return;
	}
	if (rc == 0) {
		http_error(r, 404, NULL);
		return;
	}
	g = pg.list;
	st = col(g, 0, GT_STATUS);
	/*
	 * Next fire times: an active one from its stored next fire (the
	 * daemon may be a moment behind), a paused one from now (what
	 * Resume reminder would compute), none once it has ended.
	 */
	if (strcmp(st, "ended") != 0 && strcmp(st, "canceled") != 0) {
		after = pg.now - 1;
		if (strcmp(st, "active") == 0 && col(g, 0, GT_NEXT) != NULL &&
		    col64(g, 0, GT_NEXT) - 1 < after)
			after = col64(g, 0, GT_NEXT) - 1;
		n = rz_next(col(g, 0, GT_TZ), col64(g, 0, GT_FIRST),
		    col(g, 0, GT_RRULE), after, pg.fires, FIRES_SHOWN, &why);
		pg.nfires = n > 0 ? n : 0;
	}
	snprintf(lim, sizeof(lim), "%d", RUNS_PAGE);
	snprintf(off, sizeof(off), "%d", (page - 1) * RUNS_PAGE);
	p[0] = col(g, 0, GT_ID);
	p[1] = lim;
	p[2] = off;
	if ((pg.runs = db_exec(r->w->db, WS_REM_RUNS_OF, p)) == NULL ||
	    run_targets_load(&pg) == -1) {
		db_fail(r);
		goto out;
	}
	/* Every row carries the count of them all (count(*) OVER ()); past
	 * the last page there is none, and the pager leads back. */
	if (PQntuples(pg.runs) > 0)
		total = col64(pg.runs, 0, RU_COUNT);
	pg.page = page;
	pg.pages = total > 0 ? (int)((total + RUNS_PAGE - 1) / RUNS_PAGE) :
	    page;
	http_page(r, col(g, 0, GT_NAME), TMPL_REMINDER, show_key, &pg);
out:
	PQclear(pg.tg);
	PQclear(pg.runs);
	PQclear(pg.msgs);
	PQclear(pg.targets);
	PQclear(pg.list);
}

/*
 * POST /reminders/{id}/pause (active -> paused), .../resume (paused ->
 * active with the next fire recomputed from wall_now(), or ended when
 * none is left) and .../delete (runs stay, reminder_id NULL): 303 to
 * the reminder (the list after a delete) with a notice; 404 unless
 * visible; 409 when the status does not allow it; 503.
 */
void
page_reminder_action(struct req *r)
{
	PGresult	*lk = NULL, *res = NULL;
	const char	*p[3], *act, *why, *notice = NULL;
	char		 sid[24], op[24], next[24], loc[80];
	int64_t		 now, t = 0;
	int		 n, code = 0;

	act = strrchr(r->path, '/') + 1;
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if (now_load(r, &now, NULL, 0) == -1 || db_tx_begin(r->w->db) == -1) {
		db_fail(r);
		return;
	}
	if ((lk = db_exec(r->w->db, WS_REM_LOCK, p)) == NULL)
		goto fail;
	if (PQntuples(lk) != 1) {
		code = 404;
		goto refuse;
	}
	if (strcmp(act, "pause") == 0) {
		if ((res = db_exec(r->w->db, WS_REM_PAUSE, p)) == NULL)
			goto fail;
		if (PQntuples(res) != 1) {
			code = 409;
			goto refuse;
		}
		notice = "reminder_paused";
	} else if (strcmp(act, "resume") == 0) {
		n = rz_next(col(lk, 0, 2), col64(lk, 0, 3), col(lk, 0, 4),
		    now - 1, &t, 1, &why);
		snprintf(next, sizeof(next), "%" PRId64, t);
		p[1] = n == 1 ? next : NULL;
		if ((res = db_exec(r->w->db, WS_REM_RESUME, p)) == NULL)
			goto fail;
		if (PQntuples(res) != 1) {
			code = 409;
			goto refuse;
		}
		notice = strcmp(PQgetvalue(res, 0, 0), "ended") == 0 ?
		    "reminder_ended" : "reminder_resumed";
	} else {
		if ((res = db_exec(r->w->db, WS_REM_DELETE, p)) == NULL)
			goto fail;
		notice = "reminder_deleted";
	}
	if (db_tx_commit(r->w->db) == -1) {
		PQclear(res);
		PQclear(lk);
		db_fail(r);
		return;
	}
	if (strcmp(act, "delete") == 0)
		snprintf(loc, sizeof(loc), "/reminders?notice=%s", notice);
	else
		snprintf(loc, sizeof(loc), "/reminders/%" PRId64 "?notice=%s",
		    r->id, notice);
	PQclear(res);
	PQclear(lk);
	http_redirect(r, loc);
	return;
refuse:
	db_tx_rollback(r->w->db);
	PQclear(res);
	PQclear(lk);
	if (code == 404)
		http_error(r, 404, NULL);
	else
		http_error(r, 409, strcmp(act, "pause") == 0 ?
		    "Only an active reminder can be paused; reload the page "
		    "to see its state." : "Only a paused reminder can be "
		    "resumed; reload the page to see its state.");
	return;
fail:
	db_tx_rollback(r->w->db);
	PQclear(res);
	PQclear(lk);
	db_fail(r);
}

/* ---- One run ------------------------------------------------------- */

static int
run_page_key(struct tout *o, enum tkey key, void *arg)
{
	struct rpage	*pg = arg;
	const PGresult	*res = pg->runs;
	char		 href[48];

	switch (key) {
	case TKEY_DETAIL:
		if (col(res, 0, RU_REMINDER) == NULL) {
			tmpl_text(o, "(deleted)");
			return 0;
		}
		snprintf(href, sizeof(href), "/%s", col(res, 0, RU_REMINDER));
		pg->v_href = href;
		pg->v_class = "reminder-link";
		pg->v_label = col(res, 0, RU_NAME);
		return tmpl_partial(o, TMPL_REMINDER_FILTER, small_key, pg);
	case TKEY_LABEL:
		tmpl_text(o, col(res, 0, RU_LABEL) != NULL ?
		    col(res, 0, RU_LABEL) : "(deleted account)");
		return 0;
	case TKEY_CREATED:
		return present_time(o, col(res, 0, RU_STARTED));
	case TKEY_UPDATED:
		if (col(res, 0, RU_FINISHED) == NULL) {
			tmpl_text(o, "not yet");
			return 0;
		}
		return present_time(o, col(res, 0, RU_FINISHED));
	case TKEY_RUNS:
		return runs_blocks(o, pg);
	default:
		pg->run = 0;
		return run_key(o, key, pg);
	}
}

/*
 * GET /reminders/runs/{id}: 200 with the run and its per-group states
 * (a deleted reminder's too, named from its snapshot); 404 unless the
 * run is visible; 503.
 */
void
page_reminder_run(struct req *r)
{
	struct rpage	 pg;
	const char	*p[3];
	char		 sid[24], op[24];

	memset(&pg, 0, sizeof(pg));
	pg.r = r;
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((pg.runs = db_exec(r->w->db, WS_REM_RUN_GET, p)) == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(pg.runs) != 1) {
		PQclear(pg.runs);
		http_error(r, 404, NULL);
		return;
	}
	if (run_targets_load(&pg) == -1) {
		PQclear(pg.runs);
		db_fail(r);
		return;
	}
	http_page(r, "Reminder run", TMPL_REMINDER_RUN_PAGE, run_page_key, &pg);
	PQclear(pg.tg);
	PQclear(pg.runs);
}

/*
 * POST /reminders/runs/{id}/resume and .../cancel: queue a resume_run
 * or cancel_run command ({"run": id}) for the run's account, then 303
 * to the run with the "queued" notice; 404 unless the run is visible
 * and its account still exists; 503.
 */
void
page_reminder_run_action(struct req *r)
{
	PGresult	*res;
	const char	*p[4];
	char		 sid[24], op[24], loc[64];

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = sid;
	p[1] = strcmp(strrchr(r->path, '/'), "/resume") == 0 ? "resume_run" :
	    "cancel_run";
	p[2] = op;
	p[3] = r->is_admin ? "true" : "false";
	if ((res = db_exec(r->w->db, WS_REM_RUN_COMMAND, p)) == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		http_error(r, 404, "There is no such run, or its account is "
		    "gone, so no daemon can carry this out.");
		return;
	}
	PQclear(res);
	snprintf(loc, sizeof(loc), "/reminders/runs/%" PRId64 "?notice=queued",
	    r->id);
	http_redirect(r, loc);
}

/* ---- The dashboard's cards ----------------------------------------- */

struct	dashcards {
	const PGresult	*res;
};

static int
dash_key(struct tout *o, enum tkey key, void *arg)
{
	const struct dashcards	*d = arg;

	switch (key) {
	case TKEY_COUNT:
		tmpl_text(o, PQgetvalue(d->res, 0, 0));
		return 0;
	case TKEY_TOTAL:
		tmpl_text(o, PQgetvalue(d->res, 0, 1));
		return 0;
	case TKEY_VALUE:
		tmpl_text(o, PQgetvalue(d->res, 0, 2));
		return 0;
	default:
		return -1;
	}
}

/*
 * The dashboard's reminder cards for the operator of "r": active
 * reminders (visible), their own runs of the last 24 h, and those
 * that failed, each linking to the filtered list.  0, or -1 when the
 * database fails (the page becomes a 500).
 */
int
reminders_dash(struct tout *o, struct req *r)
{
	struct dashcards	 d;
	PGresult		*res;
	const char		*p[2];
	char			 op[24];
	int			 rc;

	page_visibility(r, op, &p[1]);
	p[0] = op;
	if ((res = db_exec(r->w->db, WS_REM_DASH, p)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -1;
	}
	d.res = res;
	rc = tmpl_partial(o, TMPL_REMINDER_DASH, dash_key, &d);
	PQclear(res);
	return rc;
}
