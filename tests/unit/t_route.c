/*
 * Unit tests for cgi/route.c: pattern matching, {id} parsing, 404 vs
 * 405, and HEAD as GET.
 */
#include <stdint.h>
#include <string.h>

#include "cgi.h"
#include "t.h"

/* Match "path"; pass if the result is "want" and the pattern "pat". */
static int
match(const char *path, enum http_method m, int want, const char *pat,
    int64_t want_id)
{
	size_t	 idx = 0;
	int64_t	 id = 0;
	int	 rc;

	rc = route_match(path, m, &idx, &id);
	if (!T_INTEQ(rc, want))
		return 0;
	if (rc != 1)
		return 1;
	return T_STREQ(route_pattern(idx), pat) && T_INTEQ(id, want_id);
}

static int
literal_routes(void)
{

	return match("/", METHOD_GET, 1, "/", 0) &&
	    match("/accounts", METHOD_GET, 1, "/accounts", 0) &&
	    match("/accounts", METHOD_POST, 1, "/accounts", 0) &&
	    match("/accounts/new", METHOD_GET, 1, "/accounts/new", 0) &&
	    match("/health", METHOD_GET, 1, "/health", 0) &&
	    match("/health/deep", METHOD_GET, 1, "/health/deep", 0);
}

static int
id_routes(void)
{

	return match("/accounts/42", METHOD_GET, 1, "/accounts/{id}", 42) &&
	    match("/accounts/7/qr.png", METHOD_GET, 1,
	    "/accounts/{id}/qr.png", 7) &&
	    match("/accounts/9223372036854775807/pair", METHOD_POST, 1,
	    "/accounts/{id}/pair", INT64_MAX) &&
	    match("/settings/operators/3/disable", METHOD_POST, 1,
	    "/settings/operators/{id}/disable", 3);
}

static int
bad_ids_do_not_match(void)
{

	return match("/accounts/abc", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/1x", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/-1", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/0", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/007", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/9223372036854775808", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/+5", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/5/", METHOD_GET, 0, NULL, 0);
}

static int
unknown_paths_404(void)
{

	return match("/nope", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/5/frobnicate", METHOD_POST, 0, NULL, 0) &&
	    match("//accounts", METHOD_GET, 0, NULL, 0) &&
	    match("/accounts/5/qr.png/x", METHOD_GET, 0, NULL, 0) &&
	    match("", METHOD_GET, 0, NULL, 0);
}

static int
wrong_method_405(void)
{

	return match("/accounts/5/pair", METHOD_GET, -1, NULL, 0) &&
	    match("/accounts/5", METHOD_POST, -1, NULL, 0) &&
	    match("/accounts", METHOD_OTHER, -1, NULL, 0) &&
	    match("/logout", METHOD_GET, -1, NULL, 0);
}

static int
head_is_get(void)
{

	return match("/accounts/5/qr.png", METHOD_HEAD, 1,
	    "/accounts/{id}/qr.png", 5);
}

/* Pass if the Allow value for "path" is "want". */
static int
allows(const char *path, const char *want)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	route_allow(path, &b);
	ok = T_STREQ(buf_str(&b), want);
	buf_free(&b);
	return ok;
}

static int
allow_lists_methods(void)
{

	return allows("/logout", "POST") &&
	    allows("/accounts/5/pair", "POST") &&
	    allows("/accounts/5", "GET, HEAD") &&
	    allows("/accounts", "GET, HEAD, POST") &&
	    allows("/login", "GET, HEAD, POST") &&
	    allows("/nope", "");
}

/* metrics.c counts by the pattern string the router hands it. */
static int
metrics_by_pattern(void)
{
	struct buf	 b;
	size_t		 idx = 0;
	int64_t		 id = 0;
	int		 ok;

	ok = T_INTEQ(route_match("/accounts/3", METHOD_GET, &idx, &id), 1);
	metrics_count(route_pattern(idx), 200);
	metrics_count(route_pattern(idx), 200);
	metrics_count(route_pattern(route_count()), 404);
	buf_init(&b);
	metrics_write(&b);
	ok = ok && T_TRUE(strstr(buf_str(&b), "wadesk_http_requests_total"
	    "{route=\"/accounts/{id}\",code=\"200\"} 2\n") != NULL) &&
	    T_TRUE(strstr(buf_str(&b), "wadesk_http_requests_total"
	    "{route=\"other\",code=\"404\"} 1\n") != NULL);
	buf_free(&b);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(literal_routes),
		T_CASE(id_routes),
		T_CASE(bad_ids_do_not_match),
		T_CASE(unknown_paths_404),
		T_CASE(wrong_method_405),
		T_CASE(head_is_get),
		T_CASE(allow_lists_methods),
		T_CASE(metrics_by_pattern),
	};

	return t_run(cases, T_NCASES(cases));
}
