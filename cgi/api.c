/*
 * The JSON API under /api/v1 (issue 13): its own route table, keyed
 * by API keys (lib/apikey.h) instead of sessions, answering JSON only,
 * errors as {"error": {"code", "message"}} (http_api_error).  A key
 * acts as its operator, so ownership is the pages' (an account that is
 * not the operator's, or outside the key's account list, is 404); the
 * scopes narrow what it may do (403).  Writes go through the same code
 * as the pages (account_create, account_act), so a script and an
 * operator can never disagree.  A key can never manage keys: there is
 * no key route here, and the settings page needs a signed-in session.
 *
 * Besides the pages' actions: POST .../messages (scope messages:send)
 * queues a send_text command, idempotent per client_id (sql/013), and
 * POST .../proxy sets the account's proxy through the page's code.
 *
 * The order of checks for a request: the route (404, 405 with Allow);
 * openapi.json is public; the Bearer key (401, the same answer for a
 * missing, malformed, unknown, wrong, revoked or disabled-operator
 * key); the key's rate (429 with Retry-After, a fixed one-minute
 * window per key in api_rate); the scope (403); then the handler,
 * which judges the body (api_json.c: 400, 413, 415, 422).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "apikey.h"
#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "jsonw.h"
#include "log.h"
#include "pgts.h"
#include "qrpng.h"
#include "reason.h"
#include "status.h"
#include "xalloc.h"

#define	API_LIST_DEFAULT	50
#define	API_LIST_MAX		200
#define	API_MSG_MAX		256

struct	api_route {
	enum http_method method;
	const char	*pattern;
	void		(*fn)(struct req *);
	unsigned int	 scope;		/* SCOPE_* needed; 0: public */
};

static void	api_openapi(struct req *);
static void	api_accounts_list(struct req *);
static void	api_accounts_create(struct req *);
static void	api_account_get(struct req *);
static void	api_account_qr(struct req *);
static void	api_account_qr_png(struct req *);
static void	api_account_action(struct req *);
static void	api_command_get(struct req *);
static void	api_account_send(struct req *);
static void	api_account_proxy(struct req *);

#define	R	SCOPE_ACCOUNTS_READ
#define	W	SCOPE_ACCOUNTS_WRITE
#define	S	SCOPE_MESSAGES_SEND

static const struct api_route	api_routes[] = {
	{ METHOD_GET, "/api/v1/openapi.json", api_openapi, 0 },
	{ METHOD_GET, "/api/v1/accounts", api_accounts_list, R },
	{ METHOD_POST, "/api/v1/accounts", api_accounts_create, W },
	{ METHOD_GET, "/api/v1/accounts/{id}", api_account_get, R },
	{ METHOD_GET, "/api/v1/accounts/{id}/qr", api_account_qr, R },
	{ METHOD_GET, "/api/v1/accounts/{id}/qr.png", api_account_qr_png, R },
	{ METHOD_POST, "/api/v1/accounts/{id}/pair", api_account_action, W },
	{ METHOD_POST, "/api/v1/accounts/{id}/pair-code", api_account_action,
	    W },
	{ METHOD_POST, "/api/v1/accounts/{id}/cancel", api_account_action, W },
	{ METHOD_POST, "/api/v1/accounts/{id}/reconnect", api_account_action,
	    W },
	{ METHOD_POST, "/api/v1/accounts/{id}/disconnect", api_account_action,
	    W },
	{ METHOD_POST, "/api/v1/accounts/{id}/unpair", api_account_action, W },
	{ METHOD_POST, "/api/v1/accounts/{id}/delete", api_account_action, W },
	{ METHOD_POST, "/api/v1/accounts/{id}/messages", api_account_send,
	    S },
	{ METHOD_POST, "/api/v1/accounts/{id}/proxy", api_account_proxy, W },
	{ METHOD_GET, "/api/v1/commands/{id}", api_command_get, R },
};

#define	NAPI	(sizeof(api_routes) / sizeof(api_routes[0]))

/* Number of API routes (for the metrics and the tests). */
size_t
api_route_count(void)
{

	return NAPI;
}

/* The pattern of API route "i", or "/api/other" past the end. */
const char *
api_route_pattern(size_t i)
{

	return i < NAPI ? api_routes[i].pattern : "/api/other";
}

/*
 * route_match() for the API's table: 1 with "idx" and "id" set; 0 no
 * route has this path; -1 one has it, but not for method "m" (HEAD
 * matches GET).
 */
int
api_route_match(const char *path, enum http_method m, size_t *idx,
    int64_t *id)
{
	size_t	 i;
	int64_t	 n = 0;
	int	 seen = 0;

	if (m == METHOD_HEAD)
		m = METHOD_GET;
	for (i = 0; i < NAPI; i++) {
		if (!route_pattern_match(api_routes[i].pattern, path, &n))
			continue;
		seen = 1;
		if (api_routes[i].method == m) {
			*idx = i;
			*id = n;
			return 1;
		}
	}
	return seen ? -1 : 0;
}

/* The Allow header for an API path some route has. */
static void
api_allow(struct req *r)
{
	size_t	 i;
	int64_t	 n;
	int	 get = 0, post = 0;

	for (i = 0; i < NAPI; i++) {
		if (!route_pattern_match(api_routes[i].pattern, r->path, &n))
			continue;
		if (api_routes[i].method == METHOD_GET)
			get = 1;
		else
			post = 1;
	}
	(void)http_header(r, "Allow", get && post ? "GET, HEAD, POST" :
	    get ? "GET, HEAD" : "POST");
}

/* The Bearer token of the request, or NULL. */
static const char *
bearer(const struct req *r)
{
	const char	*h = r->authorization;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return NULL;
	return h + 7;
}

/*
 * Count this request against key "k"'s rate.  Returns 1 within the
 * rate, 0 over it (429 answered, with Retry-After), -1 database error
 * (503 answered).
 */
static int
api_rate_ok(struct req *r, const struct apikey *k)
{
	PGresult	*res;
	const char	*p[1];
	char		 sid[24], msg[API_MSG_MAX];
	int		 n, retry;

	snprintf(sid, sizeof(sid), "%" PRId64, k->id);
	p[0] = sid;
	if ((res = db_exec(r->w->db, WS_API_RATE, p)) == NULL) {
		http_error(r, 503, NULL);
		return -1;
	}
	if (PQntuples(res) != 1 || db_get_int(res, 0, 0, &n) == -1 ||
	    db_get_int(res, 0, 1, &retry) == -1) {
		PQclear(res);
		http_error(r, 503, NULL);
		return -1;
	}
	PQclear(res);
	if (n <= k->rate_per_min)
		return 1;
	snprintf(sid, sizeof(sid), "%d", retry);
	(void)http_header(r, "Retry-After", sid);
	snprintf(msg, sizeof(msg), "This key is limited to %d requests a "
	    "minute; try again in %d s.", k->rate_per_min, retry);
	http_api_error(r, 429, NULL, msg);
	return 0;
}

/*
 * Route and run an API request (route.c hands over every path under
 * API_PREFIX).  Returns the pattern of the route that answered, for
 * the metrics (static).
 */
const char *
api_dispatch(struct req *r)
{
	const struct api_route	*rt;
	struct apikey		 key;
	size_t			 idx;
	char			 msg[API_MSG_MAX];
	int			 rc;

	rc = api_route_match(r->path, r->method, &idx, &r->id);
	if (rc == 0) {
		http_api_error(r, 404, NULL, "There is no such API route; "
		    "see /api/v1/openapi.json.");
		return api_route_pattern(NAPI);
	}
	if (rc == -1) {
		http_api_error(r, 405, NULL, NULL);
		api_allow(r);
		return api_route_pattern(NAPI);
	}
	rt = &api_routes[idx];
	if (rt->scope == 0) {
		rt->fn(r);
		return rt->pattern;
	}
	if (db_ensure(r->w->db) == -1) {
		http_error(r, 503, NULL);
		return rt->pattern;
	}
	rc = apikey_lookup(r->w->db, WS_APIKEY_BY_PREFIX, bearer(r), &key);
	if (rc == -1) {
		http_error(r, 503, NULL);
		return rt->pattern;
	}
	if (rc == 0) {
		http_api_error(r, 401, NULL, NULL);
		(void)http_header(r, "WWW-Authenticate",
		    "Bearer realm=\"wadesk\"");
		return rt->pattern;
	}
	if (api_rate_ok(r, &key) != 1)
		goto out;
	if ((key.scopes & rt->scope) != rt->scope) {
		snprintf(msg, sizeof(msg), "This key lacks the scope %s; "
		    "create a key with it on the API keys page.",
		    rt->scope == SCOPE_ACCOUNTS_READ ? "accounts:read" :
		    rt->scope == SCOPE_MESSAGES_SEND ? "messages:send" :
		    "accounts:write");
		http_api_error(r, 403, "scope_missing", msg);
		goto out;
	}
	/* The key acts as its operator: the pages' visibility rules. */
	r->operator_id = key.operator_id;
	r->is_admin = key.is_admin;
	free(r->username);
	r->username = xstrdup(key.username);
	r->apikey = &key;
	if (r->id != 0 && strncmp(rt->pattern, "/api/v1/accounts/", 17) == 0 &&
	    !apikey_allows(&key, r->id)) {
		http_api_error(r, 404, NULL, NULL);
		goto out;
	}
	rt->fn(r);
out:
	r->apikey = NULL;
	apikey_free(&key);
	return rt->pattern;
}

/* The key's account list as a PostgreSQL array literal, or NULL. */
static char *
ids_literal(const struct apikey *k)
{
	struct buf	 b;
	size_t		 i;

	if (k->account_ids == NULL)
		return NULL;
	buf_init(&b);
	buf_putc(&b, '{');
	for (i = 0; i < k->naccount_ids; i++)
		buf_printf(&b, "%s%" PRId64, i > 0 ? "," : "",
		    k->account_ids[i]);
	buf_putc(&b, '}');
	return b.data;
}

static void
jstr(struct json_object *o, const char *k, const char *v)
{

	json_object_object_add(o, k, v == NULL ? NULL :
	    json_object_new_string(v));
}

/* Column "c" of row "i", or NULL for SQL NULL. */
static const char *
val(const PGresult *res, int i, int c)
{

	return PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
}

/* The reason code's sentence (lib/reason.c), or NULL without one. */
static void
jreason(struct json_object *o, const char *code)
{
	struct buf	 b;

	jstr(o, "disconnect_reason", code);
	if (code == NULL || *code == '\0') {
		jstr(o, "reason_text", NULL);
		return;
	}
	buf_init(&b);
	reason_write(&b, code, NULL);
	jstr(o, "reason_text", buf_str(&b));
	buf_free(&b);
}

/* GET /api/v1/openapi.json: the API's OpenAPI 3.1 document. */
static void
api_openapi(struct req *r)
{

	if (tmpl_render(&r->body, TMPL_OPENAPI, NULL, NULL) == -1) {
		http_api_error(r, 500, "internal", "The API description "
		    "could not be read.");
		return;
	}
	r->status = 200;
	r->ctype = "application/json";
}

/*
 * A cursor "2026-12-03T06:40:00.123456Z_42" (created_at to the
 * microsecond, UTC, then the id): split into "ts" and "id", checking
 * the shape digit by digit.  Returns 0, or -1 when malformed.
 */
static int
cursor_parse(const char *c, char ts[28], char id[20])
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ_";
	size_t			 i, n = sizeof(shape) - 1, len;

	len = strlen(c);
	if (len <= n || len > n + 19)
		return -1;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? (c[i] < '0' || c[i] > '9') :
		    c[i] != shape[i])
			return -1;
	if (c[n] < '1' || c[n] > '9' ||
	    strspn(c + n, "0123456789") != len - n)
		return -1;
	memcpy(ts, c, n - 1);
	ts[n - 1] = '\0';
	memcpy(id, c + n, len - n + 1);
	return 0;
}

/*
 * The list's columns (API_LIST_COLS in cgi/db_web.c) and their types
 * in binary, by OID (PostgreSQL's pg_type.dat: bool 16, int8 20, text
 * 25, timestamptz 1184).
 */
enum	lcol {
	LC_ID, LC_LABEL, LC_STATUS, LC_PHONE, LC_REASON, LC_CREATED,
	LC_UPDATED, LC_LAST_CONNECTED, LC_OPERATOR, LC_AUTO_CONNECT, LC__N
};
static const Oid	 lcol_type[LC__N] = {
	20, 25, 25, 25, 25, 1184, 1184, 1184, 25, 16
};

/*
 * 1 if "res" has the list's columns in binary with values of their
 * types' sizes (8 bytes for an int8 or a time, 1 for a bool; NULL only
 * where the schema allows it), so list_write() can read them blind;
 * 0 otherwise (a schema out of step with this code).
 */
static int
list_shape_ok(const PGresult *res)
{
	int	 c, i, len, rows = PQntuples(res);

	if (PQnfields(res) != LC__N)
		return 0;
	for (c = 0; c < LC__N; c++) {
		if (PQfformat(res, c) != 1 || PQftype(res, c) != lcol_type[c])
			return 0;
		len = lcol_type[c] == 16 ? 1 : lcol_type[c] == 25 ? -1 : 8;
		for (i = 0; i < rows; i++) {
			if (PQgetisnull(res, i, c)) {
				if (c != LC_PHONE && c != LC_REASON &&
				    c != LC_LAST_CONNECTED)
					return 0;
				continue;
			}
			if (len != -1 && PQgetlength(res, i, c) != len)
				return 0;
		}
	}
	return 1;
}

/*
 * Append time column "c" of row "i" of the list as iso() gives it (a
 * JSON string), "" for an infinite time as iso()'s NULL printed, or
 * null when "null_ok" and the value is NULL or infinite (val() of
 * iso()'s NULL).
 */
static void
list_time(struct buf *b, const PGresult *res, int i, int c, int null_ok)
{
	char	 t[PGTS_LEN];

	if (PQgetisnull(res, i, c) ||
	    pgts_format(pgts_int64(PQgetvalue(res, i, c)), 0, t) == -1) {
		jsonw_str(b, null_ok ? NULL : "");
		return;
	}
	jsonw_str(b, t);
}

/*
 * Write the list's answer for "res" (WS_API_LIST_*, binary, at most
 * "limit" + 1 rows, list_shape_ok()) into "out", replacing what it
 * held: {"data": [...], "next_cursor": C or null} and a newline.  The
 * bytes are those json-c gave when the answer was built as a json-c
 * tree from text columns and written by http_json() (fields in that
 * order, strings escaped as json-c does: cgi/jsonw.c, times as iso()
 * and to_char() wrote them: cgi/pgts.c); writing directly saves a
 * dozen allocations an account.
 */
static void
list_write(struct buf *out, const PGresult *res, long limit)
{
	struct buf	 why;
	const char	*reason;
	char		 t[PGTS_LEN];
	int		 i, rows = PQntuples(res);

	buf_reset(out);
	buf_init(&why);
	buf_puts(out, "{\"data\":[");
	for (i = 0; i < rows && i < limit; i++) {
		buf_puts(out, i > 0 ? ",{\"id\":" : "{\"id\":");
		jsonw_int64(out, pgts_int64(PQgetvalue(res, i, LC_ID)));
		buf_puts(out, ",\"label\":");
		jsonw_str(out, PQgetvalue(res, i, LC_LABEL));
		buf_puts(out, ",\"status\":");
		jsonw_str(out, PQgetvalue(res, i, LC_STATUS));
		buf_puts(out, ",\"phone_number\":");
		jsonw_str(out, val(res, i, LC_PHONE));
		/* As jreason(): the code, and its sentence when it has one. */
		reason = val(res, i, LC_REASON);
		buf_puts(out, ",\"disconnect_reason\":");
		jsonw_str(out, reason);
		buf_puts(out, ",\"reason_text\":");
		if (reason == NULL || *reason == '\0')
			jsonw_str(out, NULL);
		else {
			buf_reset(&why);
			reason_write(&why, reason, NULL);
			jsonw_str(out, buf_str(&why));
		}
		buf_puts(out, ",\"created_at\":");
		list_time(out, res, i, LC_CREATED, 0);
		buf_puts(out, ",\"updated_at\":");
		list_time(out, res, i, LC_UPDATED, 0);
		buf_puts(out, ",\"last_connected_at\":");
		list_time(out, res, i, LC_LAST_CONNECTED, 1);
		buf_puts(out, ",\"operator\":");
		jsonw_str(out, PQgetvalue(res, i, LC_OPERATOR));
		buf_puts(out, ",\"auto_connect\":");
		jsonw_bool(out, PQgetvalue(res, i, LC_AUTO_CONNECT)[0] != 0);
		buf_putc(out, '}');
	}
	buf_puts(out, "],\"next_cursor\":");
	if (rows > limit) {
		/* The last row's exact created_at and id ("" for an
		 * infinite time, as to_char()'s NULL printed). */
		(void)pgts_format(pgts_int64(PQgetvalue(res, (int)limit - 1,
		    LC_CREATED)), 1, t);
		buf_reset(&why);
		buf_printf(&why, "%s_%" PRId64, t, pgts_int64(PQgetvalue(res,
		    (int)limit - 1, LC_ID)));
		jsonw_str(out, buf_str(&why));
	} else
		jsonw_str(out, NULL);
	buf_free(&why);
	buf_puts(out, "}\n");
}

/*
 * GET /api/v1/accounts[?status=S][&limit=N][&cursor=C]: the visible
 * accounts (the key's list, when it has one) in creation order, N a
 * page (1..200, default 50): {"data": [...], "next_cursor": C or
 * null}.  400 for an unknown status, a bad limit or cursor.
 */
static void
api_accounts_list(struct req *r)
{
	PGresult		*res;
	enum status		 st;
	enum web_stmt		 stmt;
	const char		*status, *lim_s, *cur, *p[7];
	char			 op[24], lim[16], ts[28], cid[20], *ids, *end;
	long			 limit = API_LIST_DEFAULT;
	int			 n;

	status = kv_get(&r->query, "status");
	if (status != NULL && status_parse(status, &st) == -1) {
		http_api_error(r, 400, "invalid_parameter", "Unknown status "
		    "filter; use one of unpaired, pending, connecting, "
		    "connected, disconnected, logged_out, banned.");
		return;
	}
	if ((lim_s = kv_get(&r->query, "limit")) != NULL) {
		limit = strtol(lim_s, &end, 10);
		if (*lim_s < '1' || *lim_s > '9' || *end != '\0' ||
		    limit < 1 || limit > API_LIST_MAX) {
			http_api_error(r, 400, "invalid_parameter", "The limit "
			    "is a whole number from 1 to 200.");
			return;
		}
	}
	if ((cur = kv_get(&r->query, "cursor")) != NULL) {
		if (cursor_parse(cur, ts, cid) == -1) {
			http_api_error(r, 400, "invalid_parameter", "The cursor "
			    "is not one this API gave out; start again "
			    "without it.");
			return;
		}
	} else {
		snprintf(ts, sizeof(ts), "-infinity");
		snprintf(cid, sizeof(cid), "0");
	}
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	n = 0;
	if ((ids = ids_literal(r->apikey)) != NULL) {
		page_visibility(r, op, &p[1]);
		p[0] = op;
		p[2] = status;
		n = 3;
	} else {
		snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
		if (!r->is_admin)
			p[n++] = op;
		if (status != NULL)
			p[n++] = status;
	}
	p[n++] = ts;
	p[n++] = cid;
	if (ids != NULL)
		p[n++] = ids;
	p[n++] = lim;
	stmt = ids != NULL ? WS_API_LIST_IDS : r->is_admin ?
	    (status != NULL ? WS_API_LIST_ALL_STATUS : WS_API_LIST_ALL) :
	    (status != NULL ? WS_API_LIST_OWN_STATUS : WS_API_LIST_OWN);
	res = db_exec_binary(r->w->db, stmt, p);
	free(ids);
	if (res == NULL) {
		if (strcmp(db_sqlstate(r->w->db), "22008") == 0 ||
		    strcmp(db_sqlstate(r->w->db), "22007") == 0)
			http_api_error(r, 400, "invalid_parameter", "The "
			    "cursor is not one this API gave out; start "
			    "again without it.");
		else
			http_error(r, 503, NULL);
		return;
	}
	if (!list_shape_ok(res)) {
		log_warnx("%s: the list's columns are not those this "
		    "program reads; is the database migrated for it?",
		    __func__);
		PQclear(res);
		http_error(r, 503, NULL);
		return;
	}
	list_write(&r->body, res, limit);
	PQclear(res);
	r->status = 200;
	r->ctype = "application/json";
}

/* Column indexes of WS_ACCOUNT_GET (ACCOUNT_COLS in db_web.c). */
enum	acol {
	AC_ID, AC_LABEL, AC_STATUS, AC_HAS_QR, AC_QR_VERSION,
	AC_QR_EXPIRES, AC_PAIR_CODE, AC_DEADLINE, AC_PHONE, AC_JID,
	AC_PUSH_NAME, AC_PLATFORM, AC_AUTO_CONNECT, AC_LAST_CONNECTED,
	AC_LAST_DISCONNECTED, AC_REASON, AC_CREATED, AC_UPDATED,
	AC_LAST_FRAME, AC_REMAINING, AC_QR_N, AC_OPERATOR, AC_FRAME_AGE,
	AC_LID, AC_OFFLINE_SYNCED, AC_OWNER, AC_OWNER_HOST, AC_OWNER_PID,
	AC_PROXY
};

/*
 * Answer account r->id as JSON with HTTP status "code"; 404 unless
 * visible; 503.
 */
static void
account_answer(struct req *r, int code)
{
	struct json_object	*o;
	PGresult		*res;
	enum status		 st;
	const char		*p[3];
	char			 sid[24], op[24];

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((res = db_exec(r->w->db, WS_ACCOUNT_GET, p)) == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	if (PQntuples(res) != 1 ||
	    status_parse(PQgetvalue(res, 0, AC_STATUS), &st) == -1) {
		PQclear(res);
		http_api_error(r, 404, NULL, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	jstr(o, "label", val(res, 0, AC_LABEL));
	jstr(o, "status", status_name(st));
	jstr(o, "status_text", status_text(st));
	jstr(o, "phone_number", val(res, 0, AC_PHONE));
	jstr(o, "jid", val(res, 0, AC_JID));
	jstr(o, "push_name", val(res, 0, AC_PUSH_NAME));
	jstr(o, "platform", val(res, 0, AC_PLATFORM));
	json_object_object_add(o, "auto_connect", json_object_new_boolean(
	    db_get_bool(res, 0, AC_AUTO_CONNECT)));
	jreason(o, val(res, 0, AC_REASON));
	json_object_object_add(o, "qr_version", json_object_new_int64(
	    strtoll(PQgetvalue(res, 0, AC_QR_VERSION), NULL, 10)));
	json_object_object_add(o, "has_qr", json_object_new_boolean(
	    db_get_bool(res, 0, AC_HAS_QR)));
	jstr(o, "pair_code", val(res, 0, AC_PAIR_CODE));
	jstr(o, "pair_deadline", val(res, 0, AC_DEADLINE));
	jstr(o, "last_connected_at", val(res, 0, AC_LAST_CONNECTED));
	jstr(o, "last_disconnected_at", val(res, 0, AC_LAST_DISCONNECTED));
	jstr(o, "created_at", val(res, 0, AC_CREATED));
	jstr(o, "updated_at", val(res, 0, AC_UPDATED));
	jstr(o, "operator", val(res, 0, AC_OPERATOR));
	jstr(o, "proxy", val(res, 0, AC_PROXY));
	PQclear(res);
	http_json(r, code, o);
}

/* GET /api/v1/accounts/{id}. */
static void
api_account_get(struct req *r)
{

	account_answer(r, 200);
}

/*
 * POST /api/v1/accounts {"label": "..."}: 201 with the new account
 * (and its Location); 403 for a key limited to listed accounts (it
 * could not see what it made); 422 for a bad label, with the page's
 * sentence.
 */
static void
api_accounts_create(struct req *r)
{
	static const struct api_field	 f[] = {
		{ "label", AF_STRING, 1 },
	};
	struct json_object		*body, *v;
	char				 msg[API_MSG_MAX], loc[64];
	const char			*label;
	int64_t				 id;
	int				 code;

	if (r->raw_too_large) {
		http_api_error(r, 413, NULL, NULL);
		return;
	}
	if ((code = api_json_parse(r->content_type, buf_str(&r->raw),
	    r->raw.len, f, 1, 1, &body, msg, sizeof(msg))) != 0) {
		http_api_error(r, code, NULL, msg);
		return;
	}
	if (r->apikey->account_ids != NULL) {
		json_object_put(body);
		http_api_error(r, 403, "key_limited", "This key is limited to "
		    "listed accounts, so it cannot add new ones; use a key "
		    "for all accounts.");
		return;
	}
	(void)json_object_object_get_ex(body, "label", &v);
	label = json_object_get_string(v);
	if (!label_valid(label)) {
		json_object_put(body);
		http_api_error(r, 422, NULL, "A label has 1 to 100 characters "
		    "and no control characters.");
		return;
	}
	if (account_create(r, label, &id) == -1) {
		json_object_put(body);
		http_error(r, 503, NULL);
		return;
	}
	json_object_put(body);
	r->id = id;
	snprintf(loc, sizeof(loc), "/api/v1/accounts/%" PRId64, id);
	account_answer(r, 201);
	if (r->status == 201)
		(void)http_header(r, "Location", loc);
}

/*
 * GET /api/v1/accounts/{id}/qr: the QR being shown while pairing:
 * {qr_code, qr_version, qr_expires_at, pair_deadline, png}; 404 with
 * code "no_qr" when there is none right now.
 */
static void
api_account_qr(struct req *r)
{
	struct json_object	*o;
	PGresult		*res;
	const char		*p[3];
	char			 sid[24], op[24], *png;

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((res = db_exec(r->w->db, WS_API_ACCOUNT_QR, p)) == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		http_api_error(r, 404, NULL, NULL);
		return;
	}
	if (PQgetisnull(res, 0, 0) || strcmp(PQgetvalue(res, 0, 4),
	    "pending") != 0) {
		PQclear(res);
		http_api_error(r, 404, "no_qr", "The account shows no QR code "
		    "right now: there is one only while pairing with a QR "
		    "code (POST .../pair).");
		return;
	}
	o = json_object_new_object();
	jstr(o, "qr_code", PQgetvalue(res, 0, 0));
	json_object_object_add(o, "qr_version", json_object_new_int64(
	    strtoll(PQgetvalue(res, 0, 1), NULL, 10)));
	jstr(o, "qr_expires_at", val(res, 0, 2));
	jstr(o, "pair_deadline", val(res, 0, 3));
	png = xasprintf("/api/v1/accounts/%" PRId64 "/qr.png?v=%s", r->id,
	    PQgetvalue(res, 0, 1));
	jstr(o, "png", png);
	free(png);
	PQclear(res);
	http_json(r, 200, o);
}

/* GET /api/v1/accounts/{id}/qr.png: the same QR as a PNG image. */
static void
api_account_qr_png(struct req *r)
{
	PGresult		*res;
	const unsigned char	*png;
	const char		*p[3];
	char			 sid[24], op[24];
	int64_t			 v;
	size_t			 len;

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	if ((res = db_exec(r->w->db, WS_API_ACCOUNT_QR, p)) == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) ||
	    strcmp(PQgetvalue(res, 0, 4), "pending") != 0 ||
	    db_get_int64(res, 0, 1, &v) == -1) {
		PQclear(res);
		http_api_error(r, 404, "no_qr", "The account shows no QR code "
		    "right now.");
		return;
	}
	if (qrpng_cache_get(r->w->qr, r->id, v, PQgetvalue(res, 0, 0), &png,
	    &len) == -1) {
		PQclear(res);
		http_api_error(r, 500, "internal", "The QR code could not be "
		    "drawn.");
		return;
	}
	PQclear(res);
	r->status = 200;
	r->ctype = "image/png";
	buf_reset(&r->body);
	buf_append(&r->body, png, len);
}

/*
 * POST /api/v1/accounts/{id}/ACTION (pair, pair-code {"phone"},
 * cancel, reconnect, disconnect, unpair, delete): 202 {command_id,
 * command} through account_act(), the pages' own code; 404, 409 when
 * the status does not fit, 422 for a bad phone number.
 */
static void
api_account_action(struct req *r)
{
	static const struct api_field	 f[] = {
		{ "phone", AF_STRING, 0 },
	};
	struct action_in		 in;
	struct json_object		*body = NULL, *v, *o;
	const char			*name, *err = NULL;
	char				 msg[API_MSG_MAX], *url;
	int64_t				 cmd_id;
	int				 code, pc;

	name = strrchr(r->path, '/') + 1;
	pc = strcmp(name, "pair-code") == 0;
	if (r->raw_too_large) {
		http_api_error(r, 413, NULL, NULL);
		return;
	}
	if ((code = api_json_parse(r->content_type, buf_str(&r->raw),
	    r->raw.len, f, pc ? 1 : 0, pc, &body, msg, sizeof(msg))) != 0) {
		http_api_error(r, code, NULL, msg);
		return;
	}
	memset(&in, 0, sizeof(in));
	if (body != NULL && json_object_object_get_ex(body, "phone", &v))
		in.phone = json_object_get_string(v);
	if (strcmp(name, "cancel") == 0)
		name = "cancel-pair";
	switch (account_act(r, name, &in, &cmd_id, &err)) {
	case ACT_OK:
		break;
	case ACT_INVALID:
		http_api_error(r, 422, NULL, err);
		goto out;
	case ACT_NOT_FOUND:
		http_api_error(r, 404, NULL, NULL);
		goto out;
	case ACT_CONFLICT:
		http_api_error(r, 409, NULL, "That action does not fit the "
		    "account's status now; read the account and try an "
		    "action that fits.");
		goto out;
	case ACT_UNKNOWN:
	case ACT_DB:
		http_error(r, 503, NULL);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "command_id", json_object_new_int64(cmd_id));
	url = xasprintf("/api/v1/commands/%" PRId64, cmd_id);
	jstr(o, "command", url);
	jstr(o, "state", "queued");
	(void)http_header(r, "Location", url);
	free(url);
	http_json(r, 202, o);
out:
	json_object_put(body);
}

/*
 * GET /api/v1/commands/{id}: {id, account_id, type, state (queued,
 * running, done, failed), created_at, claimed_at, done_at, result,
 * error, error_text}; 404 unless the command's account is visible (or
 * it is gone and the operator queued the command).
 */
static void
api_command_get(struct req *r)
{
	struct json_object	*o;
	struct buf		 b;
	PGresult		*res;
	const char		*p[4], *state, *adm;
	char			 sid[24], op[24], *ids;

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &adm);
	ids = ids_literal(r->apikey);
	p[0] = sid;
	p[1] = op;
	p[2] = adm;
	p[3] = ids;
	res = db_exec(r->w->db, WS_API_COMMAND_GET, p);
	free(ids);
	if (res == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		http_api_error(r, 404, NULL, NULL);
		return;
	}
	state = !PQgetisnull(res, 0, 7) ? "failed" :
	    !PQgetisnull(res, 0, 5) ? "done" :
	    !PQgetisnull(res, 0, 4) ? "running" : "queued";
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "account_id", PQgetisnull(res, 0, 1) ?
	    NULL : json_object_new_int64(strtoll(PQgetvalue(res, 0, 1),
	    NULL, 10)));
	jstr(o, "type", PQgetvalue(res, 0, 2));
	jstr(o, "state", state);
	jstr(o, "created_at", val(res, 0, 3));
	jstr(o, "claimed_at", val(res, 0, 4));
	jstr(o, "done_at", val(res, 0, 5));
	jstr(o, "result", val(res, 0, 6));
	jstr(o, "error", val(res, 0, 7));
	jstr(o, "message_id", val(res, 0, 8));
	json_object_object_add(o, "error_code", PQgetisnull(res, 0, 9) ?
	    NULL : json_object_new_int64(strtoll(PQgetvalue(res, 0, 9), NULL,
	    10)));
	jstr(o, "client_id", val(res, 0, 10));
	if (!PQgetisnull(res, 0, 7)) {
		buf_init(&b);
		reason_write(&b, PQgetvalue(res, 0, 7), NULL);
		jstr(o, "error_text", buf_str(&b));
		buf_free(&b);
	} else
		jstr(o, "error_text", NULL);
	PQclear(res);
	http_json(r, 200, o);
}

/*
 * The recipient "to" of a send, as sql/013's payload holds it, into
 * "out" ("outsz" bytes, at least 64): a phone number in international
 * form ("+1 555 0100", "(44) 20-7946.0958"; blanks, dashes, dots and
 * brackets dropped, one leading "+") becomes its 7 to 15 digits
 * (E.164's limit); a JID is kept, its server in lower case: digits
 * (5 to 32, and one "-" for an old-style group) "@" s.whatsapp.net,
 * g.us or lid, the servers whatsmeow's types/jid.go names for users,
 * groups and hidden user ids.  Returns 0, or -1 for anything else.
 */
static int
send_to_normalize(const char *to, char *out, size_t outsz)
{
	static const char *const servers[] = { "s.whatsapp.net", "g.us",
	    "lid" };
	const char	*at, *p;
	size_t		 n = 0, i, dash = 0;

	if ((at = strchr(to, '@')) != NULL) {
		if (at - to < 5 || at - to > 32)
			return -1;
		for (p = to; p < at; p++)
			if (*p == '-' && p > to && p + 1 < at && dash++ == 0)
				continue;
			else if (*p < '0' || *p > '9')
				return -1;
		for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
			if (strcasecmp(at + 1, servers[i]) == 0)
				break;
		if (i == sizeof(servers) / sizeof(servers[0]) ||
		    (dash && strcmp(servers[i], "g.us") != 0))
			return -1;
		snprintf(out, outsz, "%.*s@%s", (int)(at - to), to,
		    servers[i]);
		return 0;
	}
	p = to;
	while (*p == ' ')
		p++;
	if (*p == '+')
		p++;
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n + 1 >= outsz || n == 15)
				return -1;
			out[n++] = *p;
		} else if (strchr(" -.()", *p) == NULL)
			return -1;
	}
	out[n] = '\0';
	return n >= 7 ? 0 : -1;
}

/* 1 if the "len" bytes at "s" are UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF). */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t		 i = 0, n, k;
	unsigned int	 c;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 1, c = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 2, c = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 3, c = s[i] & 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* The state GET /api/v1/commands/{id} reports, from its timestamps. */
static const char *
command_state(int claimed, int done, int failed)
{

	return failed ? "failed" : done ? "done" : claimed ? "running" :
	    "queued";
}

/* The answer to a send: the command, new (202) or the first (200). */
static void
send_answer(struct req *r, int code, int64_t cmd_id, const char *state,
    const char *client_id, const char *message_id)
{
	struct json_object	*o;
	char			*url;

	o = json_object_new_object();
	json_object_object_add(o, "command_id", json_object_new_int64(cmd_id));
	url = xasprintf("/api/v1/commands/%" PRId64, cmd_id);
	jstr(o, "command", url);
	jstr(o, "state", state);
	jstr(o, "client_id", client_id);
	jstr(o, "message_id", message_id);
	json_object_object_add(o, "replayed", json_object_new_boolean(code ==
	    200));
	(void)http_header(r, "Location", url);
	free(url);
	http_json(r, code, o);
}

/*
 * A send that inserted nothing because (account r->id, "client_id")
 * exists: answer with that first command (200), or 409 when it was
 * for another recipient or text.  Returns 1 answered, 0 no such row,
 * -1 database error (unanswered).
 */
static int
send_replay(struct req *r, const char *sid, const char *client_id,
    const char *to, const char *text)
{
	PGresult	*res;
	const char	*p[2];
	int64_t		 id;

	p[0] = sid;
	p[1] = client_id;
	if ((res = db_exec(r->w->db, WS_API_SEND_EXISTING, p)) == NULL)
		return -1;
	if (PQntuples(res) != 1 || db_get_int64(res, 0, 0, &id) == -1) {
		PQclear(res);
		return 0;
	}
	if (strcmp(PQgetvalue(res, 0, 1), to) != 0 ||
	    strcmp(PQgetvalue(res, 0, 2), text) != 0)
		http_api_error(r, 409, "client_id_reused", "This client_id "
		    "was already used for another message on this account; "
		    "use a new client_id for a new message.");
	else
		send_answer(r, 200, id, command_state(db_get_bool(res, 0, 3),
		    db_get_bool(res, 0, 4), !PQgetisnull(res, 0, 5)),
		    client_id, val(res, 0, 7));
	PQclear(res);
	return 1;
}

/*
 * POST /api/v1/accounts/{id}/messages {"to", "text", "client_id"?}:
 * queue a send_text command (sql/013_send.sql) for the session daemon
 * and answer 202 {command_id, command, state, client_id, message_id,
 * replayed: false}; GET the command for its progress (message_id once
 * the daemon made it, result "sent", or error and error_code).  With
 * a client_id (1 to 128 printable ASCII characters) the send is
 * idempotent: a repeat inserts nothing and answers 200 with the first
 * command (replayed: true), or 409 client_id_reused when its to or
 * text differ.  404 unless visible; 409 not_linked unless the account
 * is connected, connecting or disconnected (it has credentials); 422
 * for a bad recipient, an empty or non-UTF-8 text, a bad client_id.
 */
static void
api_account_send(struct req *r)
{
	static const struct api_field	 f[] = {
		{ "to", AF_STRING, 1 },
		{ "text", AF_STRING, 1 },
		{ "client_id", AF_STRING, 0 },
	};
	struct json_object		*body, *v, *pl;
	PGresult			*res = NULL;
	const char			*text, *cid = NULL, *p[5], *c;
	char				 msg[API_MSG_MAX], to[64], sid[24], op[24];
	int64_t				 id;
	int				 code;

	if (r->raw_too_large) {
		http_api_error(r, 413, NULL, NULL);
		return;
	}
	if ((code = api_json_parse(r->content_type, buf_str(&r->raw),
	    r->raw.len, f, 3, 1, &body, msg, sizeof(msg))) != 0) {
		http_api_error(r, code, NULL, msg);
		return;
	}
	(void)json_object_object_get_ex(body, "to", &v);
	if (send_to_normalize(json_object_get_string(v), to,
	    sizeof(to)) == -1) {
		http_api_error(r, 422, NULL, "The recipient is a phone number "
		    "in international form (7 to 15 digits, e.g. \"+1 555 "
		    "0100\") or a JID such as 15550100@s.whatsapp.net or a "
		    "group's ...@g.us.");
		goto out;
	}
	(void)json_object_object_get_ex(body, "text", &v);
	text = json_object_get_string(v);
	if (strspn(text, " \t\r\n") == strlen(text) ||
	    !utf8_valid((const unsigned char *)text, strlen(text))) {
		http_api_error(r, 422, NULL, "The text is empty (or only "
		    "blanks) or not UTF-8; send the message's words.");
		goto out;
	}
	if (json_object_object_get_ex(body, "client_id", &v)) {
		cid = json_object_get_string(v);
		for (c = cid; *c > ' ' && *c < 0x7f; c++)
			continue;
		if (*cid == '\0' || *c != '\0' || c - cid > 128) {
			http_api_error(r, 422, NULL, "A client_id has 1 to 128 "
			    "printable ASCII characters and no blanks.");
			goto out;
		}
	}
	pl = json_object_new_object();
	json_object_object_add(pl, "to", json_object_new_string(to));
	json_object_object_add(pl, "text", json_object_new_string(text));
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	page_visibility(r, op, &p[2]);
	p[0] = sid;
	p[1] = op;
	p[3] = json_object_to_json_string_ext(pl, JSON_C_TO_STRING_PLAIN);
	p[4] = cid;
	res = db_exec(r->w->db, WS_API_SEND, p);
	json_object_put(pl);
	if (res == NULL)
		goto fail;
	if (PQntuples(res) != 1) {
		http_api_error(r, 404, NULL, NULL);
		goto out;
	}
	if (!PQgetisnull(res, 0, 1)) {
		if (db_get_int64(res, 0, 1, &id) == -1)
			goto fail;
		log_info("%s queued send_text %" PRId64 " on account %s",
		    r->username, id, sid);
		send_answer(r, 202, id, "queued", cid, NULL);
		goto out;
	}
	/* Nothing inserted: a repeat, or a status that cannot send. */
	if (cid != NULL && (code = send_replay(r, sid, cid, to, text)) != 0) {
		if (code == -1)
			goto fail;
		goto out;
	}
	c = PQgetvalue(res, 0, 0);
	if (strcmp(c, "connected") == 0 || strcmp(c, "connecting") == 0 ||
	    strcmp(c, "disconnected") == 0) {
		/* The client_id is taken by a command of another type. */
		http_api_error(r, 409, "client_id_reused", "This client_id "
		    "was already used on this account; use a new one.");
		goto out;
	}
	snprintf(msg, sizeof(msg), "The account is not linked (status %s), "
	    "so it cannot send; pair it first.", c);
	http_api_error(r, 409, "not_linked", msg);
	goto out;
fail:
	http_error(r, 503, NULL);
out:
	PQclear(res);
	json_object_put(body);
}

/*
 * POST /api/v1/accounts/{id}/proxy {"url": "http://[user:pw@]host:port"
 * or "socks5://...", "" for none}: the account's proxy, checked and
 * sealed by the pages' own code (account_act "proxy"); 200 with the
 * account ("proxy" shows the URL without its password); it takes effect
 * at the next connection.  404, 422 with the sentence for a bad URL or
 * when no session daemon has published its proxy key yet.
 */
static void
api_account_proxy(struct req *r)
{
	static const struct api_field	 f[] = {
		{ "url", AF_STRING, 1 },
	};
	struct action_in		 in;
	struct json_object		*body, *v;
	const char			*err = NULL;
	char				 msg[API_MSG_MAX];
	int64_t				 cmd_id;
	int				 code;

	if (r->raw_too_large) {
		http_api_error(r, 413, NULL, NULL);
		return;
	}
	if ((code = api_json_parse(r->content_type, buf_str(&r->raw),
	    r->raw.len, f, 1, 1, &body, msg, sizeof(msg))) != 0) {
		http_api_error(r, code, NULL, msg);
		return;
	}
	memset(&in, 0, sizeof(in));
	(void)json_object_object_get_ex(body, "url", &v);
	in.proxy = json_object_get_string(v);
	switch (account_act(r, "proxy", &in, &cmd_id, &err)) {
	case ACT_OK:
		account_answer(r, 200);
		break;
	case ACT_INVALID:
		http_api_error(r, 422, NULL, err);
		break;
	case ACT_NOT_FOUND:
		http_api_error(r, 404, NULL, NULL);
		break;
	default:
		http_error(r, 503, NULL);
		break;
	}
	json_object_put(body);
}
