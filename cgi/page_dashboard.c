/*
 * GET / (the dashboard: counts per status, each linking to the
 * filtered list; the session daemons' health, one row per daemon of
 * the fleet (issue 12); recent events) and
 * GET /accounts/{id}/events (one account's audit trail).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "reason.h"
#include "status.h"

struct	dash {
	struct req	*r;
	int64_t		 counts[STATUS__MAX];
	int64_t		 total;
	enum status	 st;		/* count being drawn */
	PGresult	*events;
	int		 row;
	int64_t		 hb_age;	/* seconds; -1 never seen */
	int		 label_col;	/* column of the label in "events" */
	PGresult	*daemons;	/* WS_DAEMONS_LIST */
	int		 drow;		/* daemon row being drawn */
};

/*
 * One row of the session daemons table (issue 12): WS_DAEMONS_LIST
 * row d->drow.  State: draining (handing its sessions over), running
 * (heartbeat younger than WADESK_DAEMON_DEAD_S) or not responding.
 */
static int
daemon_key(struct tout *o, enum tkey key, void *arg)
{
	const struct dash	*d = arg;
	PGresult		*res = d->daemons;
	int64_t			 age = -1;
	int			 alive;

	(void)db_get_int64(res, d->drow, 5, &age);
	alive = age >= 0 && age < d->r->w->conf->daemon_dead_s;
	switch (key) {
	case TKEY_ID:
		tmpl_text(o, PQgetvalue(res, d->drow, 0));
		return 0;
	case TKEY_HOST:
		tmpl_text(o, PQgetvalue(res, d->drow, 1));
		return 0;
	case TKEY_PID:
		tmpl_text(o, PQgetvalue(res, d->drow, 2));
		return 0;
	case TKEY_SESSIONS:
		tmpl_text(o, PQgetvalue(res, d->drow, 3));
		return 0;
	case TKEY_CAPACITY:
		tmpl_text(o, PQgetvalue(res, d->drow, 4));
		return 0;
	case TKEY_AGO:
		tmpl_textf(o, "%" PRId64 " s ago", age);
		return 0;
	case TKEY_CLASS:
		tmpl_text(o, !alive ? "dead" : db_get_bool(res, d->drow, 6) ?
		    "draining" : "alive");
		return 0;
	case TKEY_STATE:
		tmpl_text(o, !alive ? "not responding" :
		    db_get_bool(res, d->drow, 6) ? "draining" : "running");
		return 0;
	default:
		return -1;
	}
}

static int
count_key(struct tout *o, enum tkey key, void *arg)
{
	const struct dash	*d = arg;

	switch (key) {
	case TKEY_STATUS:
		tmpl_text(o, status_name(d->st));
		return 0;
	case TKEY_STATUS_TEXT:
		tmpl_text(o, status_text(d->st));
		return 0;
	case TKEY_COUNT:
		tmpl_textf(o, "%" PRId64, d->counts[d->st]);
		return 0;
	default:
		return -1;
	}
}

static int
link_key(struct tout *o, enum tkey key, void *arg)
{
	const struct dash	*d = arg;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, PQgetvalue(d->events, d->row, 2));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, PQgetvalue(d->events, d->row, d->label_col));
		return 0;
	default:
		return -1;
	}
}

/* One audit row; shared with the events page. */
static int
event_key(struct tout *o, enum tkey key, void *arg)
{
	struct dash	*d = arg;
	PGresult	*e = d->events;

	switch (key) {
	case TKEY_AT:
		return present_time(o, PQgetvalue(e, d->row, 1));
	case TKEY_KIND:
		tmpl_text(o, PQgetvalue(e, d->row, 0));
		return 0;
	case TKEY_TITLE:
		tmpl_text(o, event_title(PQgetvalue(e, d->row, 0)));
		return 0;
	case TKEY_DETAIL:
		/* Readable text; the JSON itself behind a disclosure. */
		return present_event(o, PQgetvalue(e, d->row, 0),
		    PQgetvalue(e, d->row, 4));
	case TKEY_ACCOUNT_LINK:
		if (PQgetisnull(e, d->row, 2))
			tmpl_text(o, PQgetvalue(e, d->row, d->label_col));
		else
			return tmpl_partial(o, TMPL_ACCOUNT_LINK, link_key, d);
		return 0;
	case TKEY_OPERATOR:
		tmpl_text(o, PQgetisnull(e, d->row, 6) ? "session daemon" :
		    PQgetvalue(e, d->row, 6));
		return 0;
	default:
		return -1;
	}
}

static int
dash_key(struct tout *o, enum tkey key, void *arg)
{
	struct dash	*d = arg;
	int		 i, n;

	switch (key) {
	case TKEY_COUNTS:
		for (i = 0; i < STATUS__MAX; i++) {
			d->st = (enum status)i;
			if (tmpl_partial(o, TMPL_DASH_COUNT, count_key, d) == -1)
				return -1;
		}
		return 0;
	case TKEY_TOTAL:
		tmpl_textf(o, "%" PRId64, d->total);
		return 0;
	case TKEY_CLASS:
		tmpl_text(o, d->hb_age >= 0 &&
		    d->hb_age < d->r->w->conf->daemon_dead_s ? "alive" : "dead");
		return 0;
	case TKEY_DAEMON:
		if (d->hb_age < 0)
			tmpl_text(o, "not running (no heartbeat yet)");
		else if (d->hb_age < d->r->w->conf->daemon_dead_s)
			tmpl_textf(o, "running (heartbeat %" PRId64 " s ago)",
			    d->hb_age);
		else
			tmpl_textf(o, "not responding (last heartbeat %" PRId64
			    " s ago)", d->hb_age);
		return 0;
	case TKEY_EVENTS:
		n = PQntuples(d->events);
		for (d->row = 0; d->row < n; d->row++)
			if (tmpl_partial(o, TMPL_EVENT_ROW, event_key, d) == -1)
				return -1;
		return 0;
	case TKEY_DAEMONS:
		n = PQntuples(d->daemons);
		for (d->drow = 0; d->drow < n; d->drow++)
			if (tmpl_partial(o, TMPL_DAEMON_ROW, daemon_key,
			    d) == -1)
				return -1;
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, "");
		return 0;
	case TKEY_REMINDERS:
		return reminders_dash(o, d->r);
	default:
		return -1;
	}
}

/* GET /: 200 with the dashboard; 503 when the database fails. */
void
page_dashboard(struct req *r)
{
	struct dash	 d;
	PGresult	*res;
	const char	*p[2];
	char		 op[24];
	enum status	 st;
	int64_t		 n;
	int		 i;

	memset(&d, 0, sizeof(d));
	d.r = r;
	d.label_col = 3;
	page_visibility(r, op, &p[1]);
	p[0] = op;
	if ((res = db_exec(r->w->db, WS_ACCOUNT_COUNTS, p)) == NULL)
		goto fail;
	for (i = 0; i < PQntuples(res); i++)
		if (status_parse(PQgetvalue(res, i, 0), &st) == 0 &&
		    db_get_int64(res, i, 1, &n) == 0) {
			d.counts[st] = n;
			d.total += n;
		}
	PQclear(res);
	if ((res = db_exec(r->w->db, WS_DAEMON_HEARTBEAT, NULL)) == NULL)
		goto fail;
	if (db_get_int64(res, 0, 0, &d.hb_age) == -1)
		d.hb_age = -1;
	PQclear(res);
	if ((d.daemons = db_exec(r->w->db, WS_DAEMONS_LIST, NULL)) == NULL)
		goto fail;
	if ((d.events = db_exec(r->w->db, WS_EVENTS_RECENT, p)) == NULL) {
		PQclear(d.daemons);
		goto fail;
	}
	http_page(r, "Dashboard", TMPL_DASHBOARD, dash_key, &d);
	PQclear(d.events);
	PQclear(d.daemons);
	return;
fail:
	http_error(r, 503, "The database is unavailable.");
}

struct	evpage {
	struct dash	 d;
	const char	*id;
	const char	*label;
	int		 page, pages;
	PGresult	*timeline;	/* WS_TRANSITIONS_FOR_ACCOUNT */
};

#define	TIMELINE_ALL	1000	/* transitions on the events page */

static int
events_key(struct tout *o, enum tkey key, void *arg)
{
	struct evpage	*ev = arg;
	int		 n;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, ev->id);
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, ev->label);
		return 0;
	case TKEY_EVENTS:
		n = PQntuples(ev->d.events);
		for (ev->d.row = 0; ev->d.row < n; ev->d.row++)
			if (tmpl_partial(o, TMPL_EVENT_ROW, event_key,
			    &ev->d) == -1)
				return -1;
		return 0;
	case TKEY_TIMELINE:
		return present_timeline(o, ev->timeline, 0, TIMELINE_ALL);
	case TKEY_PAGE:
		tmpl_textf(o, "%d", ev->page);
		return 0;
	case TKEY_PAGES:
		tmpl_textf(o, "%d", ev->pages);
		return 0;
	case TKEY_NEXT_PAGE:
		if (ev->page >= ev->pages)
			return 0;
		ev->page++;
		n = tmpl_partial(o, TMPL_EVENTS_OLDER, events_key, ev);
		ev->page--;
		return n;
	default:
		return -1;
	}
}

/*
 * GET /accounts/{id}/events[?page=N]: 200 with the audit trail, 100 a
 * page, newest first; 404 unless the account is visible.
 */
void
page_account_events(struct req *r)
{
	struct evpage	 ev;
	PGresult	*acc;
	const char	*p[3], *pv;
	char		 sid[24], op[24], off[16], *end;
	long		 page = 1;
	int64_t		 total = 0;

	memset(&ev, 0, sizeof(ev));
	ev.d.r = r;
	ev.d.label_col = 3;
	if ((pv = kv_get(&r->query, "page")) != NULL) {
		page = strtol(pv, &end, 10);
		if (*pv == '\0' || *end != '\0' || page < 1 || page > 100000) {
			http_error(r, 400, "Bad page number.");
			return;
		}
	}
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((acc = db_exec(r->w->db, WS_ACCOUNT_GET, p)) == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	if (PQntuples(acc) != 1) {
		PQclear(acc);
		http_error(r, 404, NULL);
		return;
	}
	snprintf(off, sizeof(off), "%ld", (page - 1) * 100);
	p[1] = off;
	if ((ev.d.events = db_exec(r->w->db, WS_EVENTS_FOR_ACCOUNT,
	    p)) == NULL) {
		PQclear(acc);
		http_error(r, 503, NULL);
		return;
	}
	ev.id = sid;
	ev.label = PQgetvalue(acc, 0, 1);
	ev.page = (int)page;
	if (PQntuples(ev.d.events) > 0)
		(void)db_get_int64(ev.d.events, 0, 5, &total);
	ev.pages = total == 0 ? 1 : (int)((total + 99) / 100);
	p[1] = "1000";		/* TIMELINE_ALL */
	p[2] = "0";
	ev.timeline = db_exec(r->w->db, WS_TRANSITIONS_FOR_ACCOUNT, p);
	http_page(r, "Audit trail", TMPL_EVENTS, events_key, &ev);
	PQclear(ev.timeline);
	PQclear(ev.d.events);
	PQclear(acc);
}
