/*
 * The route table: method + path pattern -> handler and access flags,
 * and the dispatcher that enforces the flags before any handler runs
 * (sign-in, admin role, CSRF on POST).  A pattern segment "{id}"
 * matches a positive decimal integer that fits int64; anything else
 * (letters, a sign, leading zeros, overflow) does not match, so a
 * non-numeric id is a plain 404.  Paths under API_PREFIX go to
 * cgi/api.c, which has its own table and access rules (API keys).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "log.h"
#include "qrmemo.h"
#include "xalloc.h"

struct	route {
	enum http_method method;
	const char	*pattern;
	route_fn	 fn;
	int		 flags;
};

#define	A	ROUTE_AUTH
#define	AC	(ROUTE_AUTH | ROUTE_CSRF)
#define	ADM	(ROUTE_AUTH | ROUTE_ADMIN)
#define	ADMC	(ROUTE_AUTH | ROUTE_ADMIN | ROUTE_CSRF)

static const struct route	routes[] = {
	{ METHOD_GET, "/login", page_login_form, 0 },
	{ METHOD_POST, "/login", page_login_submit, 0 },
	{ METHOD_POST, "/logout", page_logout, AC },
	{ METHOD_GET, "/", page_dashboard, A },
	{ METHOD_GET, "/accounts", page_accounts_list, A },
	{ METHOD_POST, "/accounts", page_accounts_create, AC },
	{ METHOD_GET, "/accounts/new", page_accounts_new, A },
	{ METHOD_GET, "/accounts/{id}", page_account_show, A },
	{ METHOD_GET, "/accounts/{id}/qr.png", page_account_qr, ROUTE_SELF },
	{ METHOD_GET, "/accounts/{id}/status.json", page_account_status, A },
	{ METHOD_GET, "/accounts/{id}/events", page_account_events, A },
	{ METHOD_GET, "/accounts/{id}/delete", page_account_delete_form, A },
	{ METHOD_POST, "/accounts/{id}/pair", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/pair-code", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/cancel-pair", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/reconnect", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/disconnect", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/unpair", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/delete", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/rename", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/auto-connect", page_account_action, AC },
	{ METHOD_POST, "/accounts/{id}/proxy", page_account_action, AC },
	/* Groups and send-test (page_groups.c, issue 10). */
	{ METHOD_GET, "/accounts/{id}/groups", page_groups_list, A },
	{ METHOD_POST, "/accounts/{id}/groups/sync", page_groups_sync, AC },
	{ METHOD_POST, "/accounts/{id}/groups/send", page_groups_send, AC },
	{ METHOD_POST, "/accounts/{id}/send", page_account_send, AC },
	{ METHOD_GET, "/accounts/{id}/groups/send.json",
	    page_groups_send_status, A },
	/* Reminders (page_reminders.c, issue 11). */
	{ METHOD_GET, "/reminders", page_reminders_list, A },
	{ METHOD_POST, "/reminders", page_reminders_create, AC },
	{ METHOD_GET, "/reminders/new", page_reminders_new, A },
	{ METHOD_POST, "/reminders/clear-history", page_reminders_clear, AC },
	{ METHOD_GET, "/reminders/{id}", page_reminder_show, A },
	{ METHOD_POST, "/reminders/{id}", page_reminder_update, AC },
	{ METHOD_GET, "/reminders/{id}/edit", page_reminder_edit, A },
	{ METHOD_POST, "/reminders/{id}/pause", page_reminder_action, AC },
	{ METHOD_POST, "/reminders/{id}/resume", page_reminder_action, AC },
	{ METHOD_POST, "/reminders/{id}/delete", page_reminder_action, AC },
	{ METHOD_GET, "/reminders/runs/{id}", page_reminder_run, A },
	{ METHOD_POST, "/reminders/runs/{id}/resume", page_reminder_run_action,
	    AC },
	{ METHOD_POST, "/reminders/runs/{id}/cancel", page_reminder_run_action,
	    AC },
	/* Your settings (page_profile.c): any signed-in operator. */
	{ METHOD_GET, "/settings/profile", page_profile, A },
	{ METHOD_POST, "/settings/profile/timezone", page_profile_timezone,
	    AC },
	{ METHOD_POST, "/settings/profile/password", page_profile_password,
	    AC },
	{ METHOD_GET, "/settings/operators", page_operators_list, ADM },
	{ METHOD_POST, "/settings/operators", page_operators_add, ADMC },
	{ METHOD_POST, "/settings/operators/{id}/password",
	    page_operator_password, ADMC },
	{ METHOD_POST, "/settings/operators/{id}/disable",
	    page_operator_disable, ADMC },
	/* Webhooks (page_webhooks.c): the operator's own endpoints. */
	{ METHOD_GET, "/settings/webhooks", page_webhooks_list, A },
	{ METHOD_POST, "/settings/webhooks", page_webhooks_add, AC },
	{ METHOD_GET, "/settings/webhooks/{id}", page_webhook_show, A },
	{ METHOD_POST, "/settings/webhooks/{id}/enable", page_webhook_enable,
	    AC },
	{ METHOD_POST, "/settings/webhooks/{id}/delete", page_webhook_delete,
	    AC },
	{ METHOD_POST, "/settings/webhooks/deliveries/{id}/redeliver",
	    page_webhook_redeliver, AC },
	{ METHOD_GET, "/settings/api-keys", page_apikeys_list, A },
	{ METHOD_POST, "/settings/api-keys", page_apikeys_create, AC },
	{ METHOD_POST, "/settings/api-keys/{id}/revoke", page_apikey_revoke,
	    AC },
	{ METHOD_GET, "/health", page_health, 0 },
	{ METHOD_GET, "/health/deep", page_health_deep, 0 },
	{ METHOD_GET, "/metrics", page_metrics, 0 },
};

#define	NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* Number of routes; metrics use one more index for "no route". */
size_t
route_count(void)
{

	return NROUTES;
}

/* The pattern of route "i", or "other" for i == route_count(). */
const char *
route_pattern(size_t i)
{

	return i < NROUTES ? routes[i].pattern : "other";
}

/* Parse a path segment as a positive int64 without leading zeros. */
static int
parse_id(const char *s, size_t len, int64_t *out)
{
	char		 tmp[24];
	char		*end;
	long long	 n;

	if (len == 0 || len >= sizeof(tmp) || s[0] == '0')
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (strspn(tmp, "0123456789") != len)
		return -1;
	errno = 0;
	n = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return -1;
	*out = (int64_t)n;
	return 0;
}

/* Match "path" against "pattern"; fill "id" for a {id} segment. */
int
route_pattern_match(const char *pattern, const char *path, int64_t *id)
{
	const char	*p = pattern, *s = path;
	size_t		 plen, slen;

	for (;;) {
		if (*p == '\0' || *s == '\0')
			return *p == *s;
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		plen = strcspn(p, "/");
		slen = strcspn(s, "/");
		if (plen == 4 && strncmp(p, "{id}", 4) == 0) {
			if (parse_id(s, slen, id) == -1)
				return 0;
		} else if (plen != slen || strncmp(p, s, plen) != 0)
			return 0;
		p += plen;
		s += slen;
	}
}

/*
 * Find the route for "path" and method "m" (HEAD matches GET).
 * Returns 1 with "idx" (and "id" for {id} routes) set; 0 if no route
 * has this path (404); -1 if some route has the path but not the
 * method (405).
 */
int
route_match(const char *path, enum http_method m, size_t *idx, int64_t *id)
{
	size_t	 i;
	int	 path_seen = 0;
	int64_t	 n = 0;

	if (m == METHOD_HEAD)
		m = METHOD_GET;
	for (i = 0; i < NROUTES; i++) {
		if (!route_pattern_match(routes[i].pattern, path, &n))
			continue;
		path_seen = 1;
		if (routes[i].method == m) {
			*idx = i;
			*id = n;
			return 1;
		}
	}
	return path_seen ? -1 : 0;
}

/*
 * Write the methods some route accepts for "path" into "out" as an
 * Allow header value ("GET, HEAD" for GET routes, "POST"), or nothing.
 */
void
route_allow(const char *path, struct buf *out)
{
	size_t	 i;
	int64_t	 n;
	int	 get = 0, post = 0;

	for (i = 0; i < NROUTES; i++) {
		if (!route_pattern_match(routes[i].pattern, path, &n))
			continue;
		if (routes[i].method == METHOD_GET)
			get = 1;
		else if (routes[i].method == METHOD_POST)
			post = 1;
	}
	if (get)
		buf_puts(out, "GET, HEAD");
	if (post)
		buf_puts(out, get ? ", POST" : "POST");
}

/* Redirect to the sign-in page, remembering where to come back to. */
void
route_to_login(struct req *r)
{
	struct buf	 loc;
	size_t		 i;

	buf_init(&loc);
	buf_puts(&loc, "/login");
	if (r->method == METHOD_GET && strcmp(r->path, "/") != 0) {
		buf_puts(&loc, "?next=");
		for (i = 0; r->path[i] != '\0'; i++) {
			unsigned char c = (unsigned char)r->path[i];

			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    (c >= 'A' && c <= 'Z') || c == '/' || c == '.' ||
			    c == '-' || c == '_')
				buf_putc(&loc, c);
			else
				buf_printf(&loc, "%%%02X", c);
		}
	}
	http_redirect(r, buf_str(&loc));
	buf_free(&loc);
}

/*
 * Route "r" and run its handler, enforcing the route's flags first:
 * no session -> 303 to /login; not an admin -> 403; a POST without the
 * session's CSRF token -> 403; a broken database -> 503.  Counts the
 * answer in the metrics.
 */
void
route_dispatch(struct req *r)
{
	const struct route	*rt;
	const char		*api = NULL;
	int			 rc;

	r->route = NROUTES;
	if (r->bad_input) {
		http_error(r, 400, "The request could not be decoded.");
		goto out;
	}
	/* The JSON API (cgi/api.c) keys its own routes and access. */
	if (strncmp(r->path, API_PREFIX, strlen(API_PREFIX)) == 0) {
		api = api_dispatch(r);
		goto out;
	}
	rc = route_match(r->path, r->method, &r->route, &r->id);
	if (rc == 0) {
		r->route = NROUTES;
		http_error(r, 404, NULL);
		goto out;
	}
	if (rc == -1) {
		struct buf	 allow;

		r->route = NROUTES;
		http_error(r, 405, NULL);
		buf_init(&allow);
		route_allow(r->path, &allow);
		(void)http_header(r, "Allow", buf_str(&allow));
		buf_free(&allow);
		goto out;
	}
	rt = &routes[r->route];
	if (rt->flags & ROUTE_AUTH) {
		if ((rc = auth_session_load(r)) == -1) {
			http_error(r, 503, "The database is unavailable.");
			goto out;
		}
		if (rc == 0) {
			route_to_login(r);
			goto out;
		}
	}
	if ((rt->flags & ROUTE_ADMIN) && !r->is_admin) {
		http_error(r, 403, "Only administrators may do this.");
		goto out;
	}
	if ((rt->flags & ROUTE_CSRF) && !auth_csrf_ok(r)) {
		http_error(r, 403, "The form was stale or forged; "
		    "reload the page and try again.");
		goto out;
	}
	rt->fn(r);
	/*
	 * A POST may have changed sessions, operators or accounts (and has
	 * committed by now): no qr.png answer read before it is used again.
	 */
	if (r->method == METHOD_POST)
		qrmemo_bump();
out:
	metrics_count(api != NULL ? api : route_pattern(r->route), r->status);
}
