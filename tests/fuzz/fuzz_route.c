/*
 * libFuzzer target for the router and its gatekeeping (cgi/route.c
 * with the real req.c, auth.c, http.c and tmpl.c): a request made of
 * hostile bytes goes through req_from_params() and route_dispatch().
 * The database is a stand-in (db_* below, answering with PGresults
 * built in memory) holding at most one session, whose cookie token,
 * CSRF token and role the input chooses; the page handlers are stubs
 * that record that they ran.  The input is
 *
 *	flags(1) URI '\n' Cookie '\n' form body
 *
 * flags: bits 0-1 the method (GET, HEAD, POST, other), bit 2 the
 * session exists, bit 3 it is an admin's, bit 4 the database fails.
 * Properties, from the access rules rather than the table: a handler
 * runs only for a signed-in operator unless the route is public
 * (/login, /health, /health/deep, /metrics, and qr.png, which checks
 * the session itself); /settings/ only for an admin; every POST but
 * /login only with the session's CSRF token; a request that passes
 * every rule reaches its handler; refusals are 303 to /login, 400,
 * 403, 404, 405 (with Allow) or 503; no header line can be split, and
 * the operator's name is never echoed unescaped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "web_fuzz.h"
#include "xalloc.h"

/* The one session the stand-in database knows. */
static const char	 TOKEN[] =
    "5e55105e55105e55105e55105e55105e55105e55105e55105e55105e55105e55";
static const char	 CSRF[] =
    "cafecafecafecafecafecafecafecafecafecafecafecafecafecafecafecafe";
static const char	 USERNAME[] = "<b>op\"'</b>";

static char		 token_hash[TOKEN_HEX + 1];
static int		 has_row, row_admin, db_broken;
static int		 ran;		/* a page handler ran */

/* The stand-in database: WS_SESSION_GET and WS_SESSION_TOUCH only. */
int	db_ensure(struct db *db) { return db_broken ? -1 : 0; }

PGresult *
db_exec(struct db *db, size_t id, const char *const *p)
{
	PGresAttDesc	 att[5];
	PGresult	*res;
	const char	*vals[5];
	int		 i;

	if (db_broken)
		return NULL;
	WF_ASSERT(id == WS_SESSION_GET);
	WF_ASSERT(p[0] != NULL && p[1] != NULL);
	res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	WF_ASSERT(res != NULL);
	memset(att, 0, sizeof(att));
	for (i = 0; i < 5; i++) {
		att[i].name = (char *)"c";
		att[i].format = 0;
		att[i].typlen = -1;
		att[i].atttypmod = -1;
	}
	WF_ASSERT(PQsetResultAttrs(res, 5, att) != 0);
	if (!has_row || strcmp(p[0], token_hash) != 0)
		return res;
	vals[0] = "42";
	vals[1] = USERNAME;
	vals[2] = row_admin ? "t" : "f";
	vals[3] = CSRF;
	vals[4] = "t";
	for (i = 0; i < 5; i++)
		WF_ASSERT(PQsetvalue(res, 0, i, (char *)vals[i],
		    (int)strlen(vals[i])) != 0);
	return res;
}

int
db_exec_cmd(struct db *db, size_t id, const char *const *p)
{

	WF_ASSERT(id == WS_SESSION_TOUCH);
	return 0;
}

int
db_get_int64(const PGresult *res, int row, int col, int64_t *out)
{

	*out = strtoll(PQgetvalue(res, row, col), NULL, 10);
	return 0;
}

int
db_get_bool(const PGresult *res, int row, int col)
{

	return PQgetvalue(res, row, col)[0] == 't';
}

void	qrmemo_bump(void) { }

#define	STUB(f)	void f(struct req *r) { ran = 1; r->status = 200; }
STUB(page_login_form) STUB(page_login_submit) STUB(page_logout)
STUB(page_dashboard) STUB(page_accounts_list) STUB(page_accounts_new)
STUB(page_accounts_create) STUB(page_account_show) STUB(page_account_qr)
STUB(page_account_status) STUB(page_account_events)
STUB(page_account_delete_form) STUB(page_account_action)
STUB(page_operators_list) STUB(page_operators_add)
STUB(page_operator_password) STUB(page_operator_disable)
STUB(page_health) STUB(page_health_deep) STUB(page_metrics)
STUB(page_webhooks_list) STUB(page_webhooks_add) STUB(page_webhook_show)
STUB(page_webhook_enable) STUB(page_webhook_delete)
STUB(page_webhook_redeliver)
STUB(page_apikeys_list) STUB(page_apikeys_create) STUB(page_apikey_revoke)
STUB(page_groups_list) STUB(page_groups_sync) STUB(page_groups_send)
STUB(page_groups_send_status) STUB(page_account_send)
STUB(page_reminders_list) STUB(page_reminders_clear) STUB(page_reminders_new)
STUB(page_reminders_create) STUB(page_reminder_show) STUB(page_reminder_edit)
STUB(page_reminder_update) STUB(page_reminder_action) STUB(page_reminder_run)
STUB(page_reminder_run_action)
STUB(page_profile) STUB(page_profile_timezone) STUB(page_profile_password)

/* The API (cgi/api.c) checks its own keys: a stand-in that records. */
const char *
api_dispatch(struct req *r)
{

	ran = 1;
	r->status = 200;
	return "/api/other";
}

static int
is_public(const char *pat)
{

	return strcmp(pat, "/login") == 0 || strcmp(pat, "/health") == 0 ||
	    strcmp(pat, "/health/deep") == 0 ||
	    strcmp(pat, "/metrics") == 0 ||
	    strcmp(pat, "/accounts/{id}/qr.png") == 0;
}

/* Every header line is "Name: value" with no stray CR or LF. */
static void
check_headers(const char *h)
{
	const char	*eol;

	while (*h != '\0') {
		WF_ASSERT((eol = strstr(h, "\r\n")) != NULL);
		WF_ASSERT(memchr(h, '\n', (size_t)(eol - h)) == NULL);
		WF_ASSERT(memchr(h, '\r', (size_t)(eol - h)) == NULL);
		WF_ASSERT(memchr(h, ':', (size_t)(eol - h)) != NULL);
		h = eol + 2;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf	 conf;
	static struct worker	 w;
	static int		 init;
	static const char *const methods[] = { "GET", "HEAD", "POST",
	    "DELETE" };
	struct req		 r;
	struct wf_body		 b;
	char			*env[7], *in, *uri, *cookie, *form;
	const char		*why, *pat, *loc, *csrf;
	char			 clen[32];
	size_t			 idx;
	int64_t			 id;
	int			 rc, matched, signed_in, may, i;

	if (!init) {
		log_init("fuzz_route", LOG_LEVEL_ERROR);
		WF_ASSERT(sodium_init() >= 0);
		WF_ASSERT(tmpl_load_dir("templates") == 0);
		auth_token_hash(TOKEN, token_hash);
		conf.session_idle_s = 3600;
		w.conf = &conf;
		init = 1;
	}
	if (size < 1)
		return 0;
	has_row = (data[0] >> 2) & 1;
	row_admin = (data[0] >> 3) & 1;
	db_broken = (data[0] >> 4) & 1;
	in = malloc(size);
	WF_ASSERT(in != NULL);
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	uri = in;
	cookie = strchr(uri, '\n');
	if (cookie != NULL)
		*cookie++ = '\0';
	else
		cookie = uri + strlen(uri);
	form = strchr(cookie, '\n');
	if (form != NULL)
		*form++ = '\0';
	else
		form = cookie + strlen(cookie);

	env[0] = xasprintf("REQUEST_METHOD=%s", methods[data[0] & 3]);
	env[1] = xasprintf("REQUEST_URI=%s", uri);
	env[2] = xasprintf("HTTP_COOKIE=%s", cookie);
	snprintf(clen, sizeof(clen), "%zu", strlen(form));
	env[3] = xasprintf("CONTENT_LENGTH=%s", clen);
	env[4] = xstrdup("CONTENT_TYPE=application/x-www-form-urlencoded");
	env[5] = NULL;
	memset(&b, 0, sizeof(b));
	b.data = form;
	b.len = strlen(form);
	b.maxpiece = 7;
	b.fail_at = SIZE_MAX;

	req_init(&r, &w);
	why = NULL;
	ran = 0;
	rc = req_from_params(&r, env, wf_body_read, &b, &why);
	WF_ASSERT(rc == 0);	/* form and length are always acceptable */
	route_dispatch(&r);

	matched = !r.bad_input &&
	    route_match(r.path, r.method, &idx, &id) == 1;
	signed_in = !db_broken && has_row &&
	    auth_streq(kv_get(&r.cookies, "wadesk_session"), TOKEN);
	csrf = kv_get(&r.form, "csrf");
	may = 0;
	if (matched) {
		pat = route_pattern(idx);
		may = is_public(pat) || signed_in;
		if (strncmp(pat, "/settings/", 10) == 0 &&
		    strncmp(pat, "/settings/api-keys", 18) != 0)
			may = may && signed_in && row_admin;
		if (r.method == METHOD_POST && strcmp(pat, "/login") != 0)
			may = may && signed_in && csrf != NULL &&
			    strcmp(csrf, CSRF) == 0;
	}
	if (!r.bad_input && strncmp(r.path, API_PREFIX,
	    strlen(API_PREFIX)) == 0)
		may = 1;	/* handed to api_dispatch() */
	WF_ASSERT(ran == may);
	check_headers(buf_str(&r.headers));
	if (!ran) {
		WF_ASSERT(r.status == 303 || r.status == 400 ||
		    r.status == 403 || r.status == 404 || r.status == 405 ||
		    r.status == 503);
		WF_ASSERT(r.status != 405 ||
		    strstr(buf_str(&r.headers), "\r\nAllow: ") != NULL ||
		    strncmp(buf_str(&r.headers), "Allow: ", 7) == 0);
		if (r.status == 303) {
			loc = strstr(buf_str(&r.headers), "Location: ");
			WF_ASSERT(loc != NULL);
			loc += strlen("Location: ");
			WF_ASSERT(strncmp(loc, "/login", 6) == 0);
			WF_ASSERT(strspn(loc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789/._-%?=") ==
			    (size_t)(strstr(loc, "\r\n") - loc));
		}
		WF_ASSERT(strstr(buf_str(&r.body), USERNAME) == NULL);
	}
	wf_req_free(&r);
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(in);
	return 0;
}
