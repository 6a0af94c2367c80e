/*
 * GET /accounts (the list: creation order, 50 a page, filter by
 * status), GET /accounts/new and POST /accounts (add by label).
 * Operators see their own accounts; admins see all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cgi.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "status.h"
#include "xalloc.h"

/*
 * The two visibility parameters every account query takes: the
 * operator id as text into "op", and "true"/"false" for admins.
 */
void
page_visibility(const struct req *r, char op[24], const char **is_admin)
{

	snprintf(op, 24, "%" PRId64, r->operator_id);
	*is_admin = r->is_admin ? "true" : "false";
}

/*
 * 1 if "s" is an acceptable label: 1 to 100 bytes of valid UTF-8
 * without control characters and not only blanks; else 0.
 */
int
label_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i, k, n;
	int			 seen = 0;

	if (len == 0 || len > 100)
		return 0;
	for (i = 0; i < len; i += n) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 || p[i] == 0x7f)
				return 0;
			if (p[i] != ' ')
				seen = 1;
			n = 1;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			return 0;
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		if ((n == 3 && p[i] == 0xe0 && p[i + 1] < 0xa0) ||
		    (n == 3 && p[i] == 0xed && p[i + 1] >= 0xa0) ||
		    (n == 4 && p[i] == 0xf0 && p[i + 1] < 0x90) ||
		    (n == 4 && p[i] == 0xf4 && p[i + 1] >= 0x90))
			return 0;
		seen = 1;
	}
	return seen;
}

struct	list {
	struct req	*r;
	PGresult	*res;
	int		 row;		/* current row in "res" */
	const char	*filter;	/* status name, or NULL for all */
	int		 page, pages;
	int		 link;		/* which filter/pager link is drawn */
	int64_t		 total;		/* visible accounts matching */
};

static int
row_key(struct tout *o, enum tkey key, void *arg)
{
	const struct list	*l = arg;
	enum status		 st;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, PQgetvalue(l->res, l->row, 0));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, PQgetvalue(l->res, l->row, 1));
		return 0;
	case TKEY_STATUS:
		tmpl_text(o, PQgetvalue(l->res, l->row, 2));
		return 0;
	case TKEY_STATUS_TEXT:
		if (status_parse(PQgetvalue(l->res, l->row, 2), &st) == -1)
			return -1;
		tmpl_text(o, status_text(st));
		return 0;
	case TKEY_PHONE:
		if (!PQgetisnull(l->res, l->row, 3))
			tmpl_textf(o, "+%s", PQgetvalue(l->res, l->row, 3));
		else
			tmpl_text(o, "\u2014");
		return 0;
	case TKEY_OPERATOR:
		tmpl_text(o, PQgetvalue(l->res, l->row, 4));
		return 0;
	case TKEY_CREATED:
		return present_time(o, PQgetvalue(l->res, l->row, 5));
	default:
		return -1;
	}
}

/* One filter or pager link; l->link says which. */
static int
link_key(struct tout *o, enum tkey key, void *arg)
{
	const struct list	*l = arg;
	int			 page;

	/* link: -1 "All", 0..STATUS__MAX-1 a status, 100 prev, 101 next. */
	switch (key) {
	case TKEY_CLASS:
		if (l->link < 0 ? l->filter == NULL : l->link < STATUS__MAX &&
		    l->filter != NULL &&
		    strcmp(l->filter, status_name(l->link)) == 0)
			tmpl_text(o, "current");
		return 0;
	case TKEY_HREF:
		if (l->link >= 100) {
			page = l->page + (l->link == 100 ? -1 : 1);
			if (l->filter != NULL)
				tmpl_textf(o, "status=%s&page=%d", l->filter,
				    page);
			else
				tmpl_textf(o, "page=%d", page);
		} else if (l->link >= 0)
			tmpl_textf(o, "status=%s", status_name(l->link));
		return 0;
	case TKEY_LABEL:
		if (l->link == 100)
			tmpl_text(o, "\u2190 Previous");
		else if (l->link == 101)
			tmpl_text(o, "Next \u2192");
		else
			tmpl_text(o, l->link < 0 ? "All" :
			    status_text(l->link));
		return 0;
	default:
		return -1;
	}
}

static int
list_key(struct tout *o, enum tkey key, void *arg)
{
	struct list	*l = arg;
	int		 i, n;

	switch (key) {
	case TKEY_FILTERS:
		for (i = -1; i < STATUS__MAX; i++) {
			l->link = i;
			if (tmpl_partial(o, TMPL_FILTER_LINK, link_key, l) == -1)
				return -1;
		}
		return 0;
	case TKEY_ROWS:
		n = PQntuples(l->res);
		for (l->row = 0; l->row < n; l->row++)
			if (tmpl_partial(o, TMPL_ACCOUNT_ROW, row_key, l) == -1)
				return -1;
		return 0;
	case TKEY_COUNT:
		tmpl_textf(o, "%d", PQntuples(l->res));
		return 0;
	case TKEY_TOTAL:
		tmpl_textf(o, "%" PRId64, l->total);
		return 0;
	case TKEY_PAGER:
		return tmpl_partial(o, TMPL_PAGER, list_key, l);
	case TKEY_PAGE:
		tmpl_textf(o, "%d", l->page);
		return 0;
	case TKEY_PAGES:
		tmpl_textf(o, "%d", l->pages);
		return 0;
	case TKEY_PREV:
	case TKEY_NEXT_PAGE:
		if ((key == TKEY_PREV && l->page <= 1) ||
		    (key == TKEY_NEXT_PAGE && l->page >= l->pages))
			return 0;
		l->link = key == TKEY_PREV ? 100 : 101;
		return tmpl_partial(o, TMPL_FILTER_LINK, link_key, l);
	default:
		return -1;
	}
}

/* Parse ?page=N (1..100000); 1 when absent; -1 when malformed. */
static int
page_param(const struct req *r)
{
	const char	*v = kv_get(&r->query, "page");
	char		*end;
	long		 n;

	if (v == NULL)
		return 1;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < 1 || n > 100000)
		return -1;
	return (int)n;
}

/*
 * GET /accounts[?status=S][&page=N]: 200 with the list; 400 for an
 * unknown status or a bad page number; 503 when the database fails.
 */
void
page_accounts_list(struct req *r)
{
	struct list	 l;
	enum status	 st;
	const char	*p[4];
	char		 op[24], lim[16], off[16];
	int64_t		 total = 0;
	enum web_stmt	 stmt;
	int		 n;

	memset(&l, 0, sizeof(l));
	l.r = r;
	l.filter = kv_get(&r->query, "status");
	if (l.filter != NULL && *l.filter == '\0')
		l.filter = NULL;
	if ((l.filter != NULL && status_parse(l.filter, &st) == -1) ||
	    (l.page = page_param(r)) == -1) {
		http_error(r, 400, "Unknown status filter or page.");
		return;
	}
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	snprintf(lim, sizeof(lim), "%d", PAGE_SIZE);
	snprintf(off, sizeof(off), "%d", (l.page - 1) * PAGE_SIZE);
	/* The statement for this shape; its parameters in this order. */
	n = 0;
	if (!r->is_admin)
		p[n++] = op;
	if (l.filter != NULL)
		p[n++] = l.filter;
	p[n++] = lim;
	p[n++] = off;
	stmt = r->is_admin ?
	    (l.filter != NULL ? WS_ACCOUNT_LIST_ALL_STATUS :
	    WS_ACCOUNT_LIST_ALL) :
	    (l.filter != NULL ? WS_ACCOUNT_LIST_OWN_STATUS :
	    WS_ACCOUNT_LIST_OWN);
	if ((l.res = db_exec(r->w->db, stmt, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (PQntuples(l.res) == 0 || db_get_int64(l.res, 0, 6, &total) == -1)
		total = 0;
	l.total = total;
	if (PQntuples(l.res) == 0 && l.page > 1) {
		PQclear(l.res);
		http_error(r, 404, "No such page.");
		return;
	}
	l.pages = total == 0 ? 1 : (int)((total + PAGE_SIZE - 1) / PAGE_SIZE);
	http_page(r, "Accounts", TMPL_ACCOUNTS, list_key, &l);
	PQclear(l.res);
}

struct	newform {
	const char	*csrf;
	const char	*label;
	const char	*error;
};

static int
new_key(struct tout *o, enum tkey key, void *arg)
{
	const struct newform	*f = arg;

	switch (key) {
	case TKEY_CSRF:
		tmpl_text(o, f->csrf);
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, f->label);
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, f->error);
		return 0;
	default:
		return -1;
	}
}

/* GET /accounts/new: the add form. */
void
page_accounts_new(struct req *r)
{
	struct newform	 f = { r->csrf, "", NULL };

	http_page(r, "Add an account", TMPL_ACCOUNT_NEW, new_key, &f);
}

/* Insert an account_events row; "detail" is consumed. */
int
event_insert(struct req *r, const char *account_id, const char *kind,
    struct json_object *detail)
{
	const char	*p[4];
	char		 op[24];
	int		 rc;

	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = account_id;
	p[1] = op;
	p[2] = kind;
	p[3] = json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN);
	rc = db_exec_cmd(r->w->db, WS_EVENT_INSERT, p);
	json_object_put(detail);
	return rc;
}

/*
 * Add account "label" (already valid: label_valid) for the operator of
 * "r", with its "created" event, in one transaction; the pages and the
 * API both add accounts here.  Returns 0 with "*id" the new account's
 * id, or -1 on a database error (rolled back).
 */
int
account_create(struct req *r, const char *label, int64_t *id)
{
	struct json_object	*d;
	PGresult		*res = NULL;
	const char		*p[2];
	char			 op[24];

	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = op;
	p[1] = label;
	if (db_tx_begin(r->w->db) == -1 ||
	    (res = db_exec(r->w->db, WS_ACCOUNT_INSERT, p)) == NULL ||
	    PQntuples(res) != 1 || db_get_int64(res, 0, 0, id) == -1)
		goto fail;
	d = json_object_new_object();
	json_object_object_add(d, "label", json_object_new_string(label));
	if (event_insert(r, PQgetvalue(res, 0, 0), "created", d) == -1 ||
	    db_tx_commit(r->w->db) == -1)
		goto fail;
	PQclear(res);
	return 0;
fail:
	PQclear(res);
	db_tx_rollback(r->w->db);
	return -1;
}

/*
 * POST /accounts (label): 303 to the new account's page; 422 with the
 * form again for a bad label; 503 when the database fails.  The row
 * and its "created" event are written in one transaction.
 */
void
page_accounts_create(struct req *r)
{
	struct newform		 f;
	int64_t			 id;
	char			*loc;

	f.csrf = r->csrf;
	f.label = kv_get(&r->form, "label");
	f.error = NULL;
	if (f.label == NULL || !label_valid(f.label)) {
		f.error = "A label has 1 to 100 characters and no control "
		    "characters.";
		if (f.label == NULL || strlen(f.label) > 200)
			f.label = "";
		r->status = 422;
		http_page(r, "Add an account", TMPL_ACCOUNT_NEW, new_key, &f);
		if (r->status != 500)
			r->status = 422;
		return;
	}
	if (account_create(r, f.label, &id) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	loc = xasprintf("/accounts/%" PRId64 "?notice=created", id);
	http_redirect(r, loc);
	free(loc);
}
