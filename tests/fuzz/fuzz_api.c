/*
 * libFuzzer target for the JSON API (issue 13): the strict body parser
 * (cgi/api_json.c) on its own, then a whole API request made of
 * hostile bytes through the real req.c, route.c, api.c, api_json.c,
 * http.c, tmpl.c and lib/apikey.c.  The database is a stand-in (db_*
 * below, PGresults built in memory) that knows one API key, one
 * account and one command; the pages' write paths (account_create,
 * account_act) are stand-ins that check what they are handed.  The
 * input is
 *
 *	flags(2) URI '\n' Content-Type '\n' Authorization '\n' body
 *
 * the body being every byte after the third newline (NUL bytes too).
 * flags[0]: bits 0-1 the method (GET, HEAD, POST, DELETE), bit 2 send
 * the real key (else the Authorization line), bit 3 the key is an
 * admin's, bit 4 the database fails, bit 5 the key is over its rate,
 * bits 6-7 the key's account list (all, {7}, {8,9}).  flags[1]: bits
 * 0-3 the key's scopes, bit 4 account 7 exists, bit 5 it is pairing
 * with a QR, bits 6-7 what account_act answers (OK, invalid, not
 * found, conflict).  A URI not under /api/ is put there.
 *
 * Properties, from the API's rules (README, api.c's header) rather
 * than its table: every answer is one JSON text of the error shape
 * {"error": {"code", "message": a sentence}} for a status from the
 * documented set, or a success the route may give (qr.png the only
 * non-JSON one); no header line can be split; a route needing a key
 * answers 401 without the real key, 429 with Retry-After over the
 * rate, 403 without the scope (GET: accounts:read, POST:
 * accounts:write, .../messages: messages:send), 503 when the database
 * fails; a write path runs only past all of these, with a valid label
 * or a NUL-free phone; the parser answers 0, 400, 415 or 422 with a
 * sentence, and what it accepts holds only schema fields of the right
 * types and survives a round trip.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "apikey.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "proxyurl.h"
#include "web_fuzz.h"
#include "xalloc.h"

static char		 key[APIKEY_LEN + 1], key_prefix[APIKEY_PREFIX_HEX + 1];
static char		 key_hash[APIKEY_HASH_HEX + 1];
static unsigned int	 f0, f1;
static int		 wrote;		/* account_create/account_act ran */
static int		 db_calls;	/* statements past the key and rate */

#define	F_GOODKEY	(f0 & 4)
#define	F_ADMIN		(f0 & 8)
#define	F_DBFAIL	(f0 & 16)
#define	F_OVERRATE	(f0 & 32)
#define	F_IDS		((f0 >> 6) & 3)
#define	F_SCOPES	(f1 & 15)
#define	F_ACCOUNT	(f1 & 16)
#define	F_QR		(f1 & 32)
#define	F_ACT		((f1 >> 6) & 3)

/* A result of "n" text columns and one row of "v" (NULL: SQL NULL), or
 * no row when "v" is NULL. */
static PGresult *
fake(int n, const char *const *v)
{
	PGresAttDesc	 att[32];
	PGresult	*res;
	int		 i;

	WF_ASSERT(n <= 32);
	res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	WF_ASSERT(res != NULL);
	memset(att, 0, sizeof(att));
	for (i = 0; i < n; i++) {
		att[i].name = (char *)"c";
		att[i].typlen = -1;
		att[i].atttypmod = -1;
	}
	WF_ASSERT(PQsetResultAttrs(res, n, att) != 0);
	for (i = 0; v != NULL && i < n; i++)
		WF_ASSERT(PQsetvalue(res, 0, i, (char *)v[i],
		    v[i] == NULL ? -1 : (int)strlen(v[i])) != 0);
	return res;
}

/* The key's scopes, account list and the account row as PostgreSQL
 * prints them. */
static void
scopes_text(char *out, size_t sz)
{
	struct buf	 b;

	buf_init(&b);
	buf_putc(&b, '{');
	apikey_scopes_write(&b, F_SCOPES, ",");
	buf_putc(&b, '}');
	snprintf(out, sz, "%s", buf_str(&b));
	buf_free(&b);
}

/* What a send queues: {"to", "text"} only, "to" normalised (digits,
 * or a JID), the text UTF-8 (json-c would refuse it otherwise) and not
 * blank; a client_id of printable ASCII. */
static void
send_payload_check(const char *payload, const char *cid)
{
	struct json_object	*o, *to, *text;
	const char		*t;

	WF_ASSERT((o = json_tokener_parse(payload)) != NULL);
	WF_ASSERT(json_object_object_length(o) == 2);
	WF_ASSERT(json_object_object_get_ex(o, "to", &to));
	WF_ASSERT(json_object_object_get_ex(o, "text", &text));
	t = json_object_get_string(to);
	WF_ASSERT(strspn(t, "0123456789") == strlen(t) ||
	    strchr(t, '@') != NULL);
	WF_ASSERT(strspn(t, "0123456789-@abcdefghijklmnopqrstuvwxyz.") ==
	    strlen(t));
	WF_ASSERT(json_object_get_string_len(text) > 0);
	json_object_put(o);
	if (cid != NULL) {
		WF_ASSERT(*cid != '\0' && strlen(cid) <= 128);
		for (; *cid != '\0'; cid++)
			WF_ASSERT(*cid > ' ' && *cid < 0x7f);
	}
}

int	db_ensure(struct db *db) { return F_DBFAIL ? -1 : 0; }
const char *db_sqlstate(const struct db *db) { return "XX000"; }

PGresult *
db_exec(struct db *db, size_t id, const char *const *p)
{
	static const char *const ids[] = { NULL, "{7}", "{8,9}", "{7}" };
	const char	*v[32];
	char		 scopes[128];
	int		 i;

	if (F_DBFAIL)
		return NULL;
	for (i = 0; i < 32; i++)
		v[i] = "0";
	switch (id) {
	case WS_APIKEY_BY_PREFIX:
		WF_ASSERT(p[0] != NULL && strlen(p[0]) == APIKEY_PREFIX_HEX);
		if (strcmp(p[0], key_prefix) != 0)
			return fake(10, NULL);
		scopes_text(scopes, sizeof(scopes));
		v[0] = "3"; v[1] = key_hash; v[2] = scopes; v[3] = ids[F_IDS];
		v[4] = "600"; v[5] = "f"; v[6] = "42"; v[7] = "op";
		v[8] = F_ADMIN ? "t" : "f"; v[9] = "f";
		return fake(10, v);
	case WS_API_RATE:
		v[0] = F_OVERRATE ? "601" : "1";
		v[1] = "17";
		return fake(2, v);
	default:
		break;
	}
	db_calls++;
	switch (id) {
	case WS_ACCOUNT_GET:
		if (!F_ACCOUNT || strcmp(p[0], "7") != 0)
			return fake(29, NULL);
		v[1] = "Shop"; v[2] = F_QR ? "pending" : "connected";
		v[3] = F_QR ? "t" : "f"; v[5] = NULL; v[6] = NULL;
		v[12] = "t"; v[15] = NULL; v[21] = "op";
		v[25] = v[26] = v[27] = NULL;
		v[28] = F_QR ? "http://alice@proxy.example:3128" : NULL;
		return fake(29, v);
	case WS_API_ACCOUNT_QR:
		if (!F_ACCOUNT || strcmp(p[0], "7") != 0)
			return fake(6, NULL);
		v[0] = F_QR ? "2@ref,noise,identity,adv" : NULL; v[1] = "3";
		v[2] = v[3] = "2026-12-03T10:00:00Z";
		v[4] = F_QR ? "pending" : "connected"; v[5] = NULL;
		return fake(6, v);
	case WS_API_COMMAND_GET:
		if (!F_ACCOUNT || strcmp(p[0], "5") != 0)
			return fake(8, NULL);
		v[1] = "7"; v[2] = "pair"; v[3] = "2026-12-03T10:00:00Z";
		v[4] = v[5] = v[6] = NULL; v[7] = "handover";
		return fake(8, v);
	case WS_API_SEND:
		send_payload_check(p[3], p[4]);
		if (!F_ACCOUNT || strcmp(p[0], "7") != 0)
			return fake(2, NULL);
		v[0] = F_QR ? "logged_out" : "connected";
		v[1] = F_ACT == 0 && !F_QR ? "11" : NULL;
		return fake(2, v);
	case WS_API_SEND_EXISTING:
		if (F_ACT == 3)
			return fake(9, NULL);
		v[0] = "11"; v[1] = "15550100"; v[2] = "hi"; v[3] = "t";
		v[4] = "f"; v[5] = NULL; v[6] = NULL; v[7] = "3EB0AA";
		v[8] = NULL;
		return fake(9, v);
	default:
		/* A statement this target does not know: a new route needs
		 * its stand-in here. */
		fprintf(stderr, "statement %zu\n", id);
		WF_ASSERT(!"unknown statement");
	}
	return NULL;
}

/*
 * The list, read in binary (cgi/api.c list_shape_ok()): one account
 * (id 7, created and updated 2026-12-03T10:00:00.000001Z) or none.
 */
PGresult *
db_exec_binary(struct db *db, size_t id, const char *const *p)
{
	static const Oid	 type[10] = { 20, 25, 25, 25, 25, 1184, 1184,
	    1184, 25, 16 };
	static const char	 id7[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };
	/* timestamptz_send('2026-12-03 10:00:00.000001+00') */
	static const char	 t[8] = { 0x00, 0x03, 0x04, (char)0xb6,
	    (char)0x97, 0x5a, (char)0xc8, 0x01 };
	static const char	 yes[1] = { 1 };
	const char		*v[10] = { id7, "Shop", "connected", NULL,
	    "handover", t, t, NULL, "op", yes };
	const int		 len[10] = { 8, 4, 9, 0, 8, 8, 8, 0, 2, 1 };
	PGresAttDesc		 att[10];
	PGresult		*res;
	int			 i;

	if (F_DBFAIL)
		return NULL;
	WF_ASSERT(id == WS_API_LIST_ALL || id == WS_API_LIST_ALL_STATUS ||
	    id == WS_API_LIST_OWN || id == WS_API_LIST_OWN_STATUS ||
	    id == WS_API_LIST_IDS);
	WF_ASSERT((id == WS_API_LIST_IDS) == (F_IDS != 0));
	db_calls++;
	res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	WF_ASSERT(res != NULL);
	memset(att, 0, sizeof(att));
	for (i = 0; i < 10; i++) {
		att[i].name = (char *)"c";
		att[i].format = 1;
		att[i].typid = type[i];
		att[i].typlen = type[i] == 25 ? -1 : type[i] == 16 ? 1 : 8;
		att[i].atttypmod = -1;
	}
	WF_ASSERT(PQsetResultAttrs(res, 10, att) != 0);
	for (i = 0; F_ACCOUNT && i < 10; i++)
		WF_ASSERT(PQsetvalue(res, 0, i, (char *)v[i],
		    v[i] == NULL ? -1 : len[i]) != 0);
	return res;
}

int
db_exec_cmd(struct db *db, size_t id, const char *const *p)
{

	WF_ASSERT(!"no API route writes through db_exec_cmd");
	return -1;
}

int
db_get_int64(const PGresult *res, int row, int col, int64_t *out)
{
	char	*end;

	*out = strtoll(PQgetvalue(res, row, col), &end, 10);
	return *end == '\0' ? 0 : -1;
}

int
db_get_int(const PGresult *res, int row, int col, int *out)
{
	int64_t	 v;

	if (db_get_int64(res, row, col, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

int
db_get_bool(const PGresult *res, int row, int col)
{

	return PQgetvalue(res, row, col)[0] == 't';
}

void	qrmemo_bump(void) { }

int
qrpng_cache_get(struct qrpng_cache *c, int64_t account_id, int64_t version,
    const char *qr, const unsigned char **png, size_t *len)
{
	static const unsigned char	 img[] = "\x89PNG\r\n\x1a\n";

	*png = img;
	*len = sizeof(img) - 1;
	return 0;
}

void
page_visibility(const struct req *r, char op[24], const char **is_admin)
{

	snprintf(op, 24, "%" PRId64, r->operator_id);
	*is_admin = r->is_admin ? "true" : "false";
}

/* The rule the page's label_valid() keeps, without its UTF-8 check. */
int
label_valid(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
account_create(struct req *r, const char *label, int64_t *id)
{

	WF_ASSERT(r->apikey != NULL && (F_SCOPES & SCOPE_ACCOUNTS_WRITE));
	WF_ASSERT(label != NULL && label_valid(label));
	wrote = 1;
	*id = 7;
	return 0;
}

enum act_rc
account_act(struct req *r, const char *name, const struct action_in *in,
    int64_t *cmd_id, const char **err)
{
	static const enum act_rc	 rcs[] = { ACT_OK, ACT_INVALID,
	    ACT_NOT_FOUND, ACT_CONFLICT };

	WF_ASSERT(r->apikey != NULL && (F_SCOPES & SCOPE_ACCOUNTS_WRITE));
	WF_ASSERT(apikey_allows(r->apikey, r->id));
	WF_ASSERT(strcmp(name, "pair-code") != 0 || in->phone != NULL);
	WF_ASSERT(strcmp(name, "proxy") != 0 || in->proxy != NULL);
	WF_ASSERT(in->phone == NULL || strlen(in->phone) < REQ_BODY_MAX);
	wrote = 1;
	*cmd_id = 5;
	*err = "The phone number is not one.";
	return rcs[F_ACT];
}

#define	STUB(f)	void f(struct req *r) { WF_ASSERT(!"page " #f); }
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

/* A sentence: a capital first, a full stop (or a closing bracket) last. */
static int
sentence(const char *s)
{
	size_t	 n = strlen(s);

	return n > 1 && s[0] >= 'A' && s[0] <= 'Z' &&
	    (s[n - 1] == '.' || s[n - 1] == ')');
}

/* The parser alone, on the body, with a schema of each field type. */
static void
parse_alone(const char *ct, const char *body, size_t len)
{
	static const struct api_field	 f[] = {
		{ "label", AF_STRING, 1 },
		{ "phone", AF_STRING, 0 },
		{ "on", AF_BOOL, 0 },
	};
	struct json_object	*o, *o2, *v;
	const char		*s;
	char			 msg[256], msg2[256];
	size_t			 i;
	int			 rc, rc2, need = len & 1;

	memset(msg, 'x', sizeof(msg));
	rc = api_json_parse(ct, body, len, f, 3, need, &o, msg, sizeof(msg));
	WF_ASSERT(rc == 0 || rc == 400 || rc == 415 || rc == 422);
	if (rc != 0) {
		WF_ASSERT(o == NULL);
		WF_ASSERT(memchr(msg, '\0', sizeof(msg)) != NULL);
		WF_ASSERT(sentence(msg));
		return;
	}
	if (len == 0) {
		WF_ASSERT(o == NULL && !need);
		return;
	}
	WF_ASSERT(o != NULL && memchr(body, '\0', len) == NULL);
	WF_ASSERT(json_object_is_type(o, json_type_object));
	WF_ASSERT(json_object_object_get_ex(o, "label", &v));
	json_object_object_foreach(o, k, val) {
		for (i = 0; i < 3; i++)
			if (strcmp(k, f[i].name) == 0)
				break;
		WF_ASSERT(i < 3);
		WF_ASSERT(json_object_is_type(val, f[i].type == AF_BOOL ?
		    json_type_boolean : json_type_string));
		if (f[i].type == AF_STRING)
			WF_ASSERT(strlen(json_object_get_string(val)) ==
			    (size_t)json_object_get_string_len(val));
	}
	/* What was accepted, written out again, is accepted the same. */
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc2 = api_json_parse("application/json", s, strlen(s), f, 3, 1, &o2,
	    msg2, sizeof(msg2));
	WF_ASSERT(rc2 == 0 && o2 != NULL);
	WF_ASSERT(json_object_equal(o, o2));
	json_object_put(o2);
	json_object_put(o);
}

/*
 * The proxy URL grammar (lib/proxyurl.c) on the body as text: refused
 * with a sentence, or accepted with a port in range, a display form
 * without the password that parses back to the same proxy, and an lws
 * form that holds the credentials exactly when there are some.
 */
static void
proxy_alone(const char *body, size_t len)
{
	struct proxy_url	 p, q, r;
	struct buf		 d, e, l;
	const char		*why;
	char			*s;

	s = xmalloc(len + 1);
	memcpy(s, body, len);
	s[len] = '\0';
	if (proxyurl_parse(s, &p, &why) == -1) {
		WF_ASSERT(why != NULL && sentence(why));
		free(s);
		return;
	}
	WF_ASSERT(why == NULL && p.port >= 1 && p.port <= 65535 &&
	    p.host[0] != '\0');
	buf_init(&d);
	buf_init(&l);
	proxyurl_display(&p, &d);
	proxyurl_lws(&p, &l);
	WF_ASSERT(proxyurl_parse(buf_str(&d), &q, &why) == 0);
	WF_ASSERT(q.kind == p.kind && q.port == p.port &&
	    strcmp(q.host, p.host) == 0 && q.has_auth == p.has_auth &&
	    strcmp(q.user, p.user) == 0 && q.pass[0] == '\0');
	/*
	 * The display does not depend on the password at all: the same
	 * proxy with the password wiped displays byte for byte the same.
	 * (A substring test misfires when a password happens to equal
	 * part of the scheme, user, host or port.)
	 */
	r = p;
	memset(r.pass, 'x', sizeof(r.pass) - 1);
	r.pass[sizeof(r.pass) - 1] = '\0';
	buf_init(&e);
	proxyurl_display(&r, &e);
	WF_ASSERT(strcmp(buf_str(&d), buf_str(&e)) == 0);
	buf_free(&e);
	proxyurl_wipe(&r);
	WF_ASSERT((strchr(buf_str(&l), '@') != NULL) == (p.has_auth != 0));
	buf_free(&d);
	buf_free(&l);
	proxyurl_wipe(&p);
	proxyurl_wipe(&q);
	free(s);
}

/* The scope a route needs, from the rules: 0 for the public document. */
static unsigned int
scope_needed(const struct req *r)
{
	size_t	 n = strlen(r->path);

	if (strcmp(r->path, "/api/v1/openapi.json") == 0)
		return 0;
	if (r->method == METHOD_POST)
		return n > 9 && strcmp(r->path + n - 9, "/messages") == 0 ?
		    SCOPE_MESSAGES_SEND : SCOPE_ACCOUNTS_WRITE;
	return SCOPE_ACCOUNTS_READ;
}

/* The answer "r" has the shape the API promises. */
static void
check_answer(struct req *r, int matched)
{
	static const int	 ok[] = { 200, 201, 202, 400, 401, 403, 404,
	    405, 409, 413, 415, 422, 429, 503 };
	struct json_tokener	*tok;
	struct json_object	*o, *e, *c, *m;
	size_t			 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (r->status == ok[i])
			break;
	if (i == sizeof(ok) / sizeof(ok[0]))
		fprintf(stderr, "status %d\n", r->status);
	WF_ASSERT(i < sizeof(ok) / sizeof(ok[0]));
	check_headers(buf_str(&r->headers));
	if (r->status == 200 && r->ctype != NULL &&
	    strcmp(r->ctype, "image/png") == 0) {
		WF_ASSERT(matched && strstr(r->path, "/qr.png") != NULL);
		return;
	}
	WF_ASSERT(r->ctype != NULL &&
	    strcmp(r->ctype, "application/json") == 0);
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf_str(&r->body), (int)r->body.len);
	WF_ASSERT(o != NULL);
	/* One value and the newline http_json() ends it with. */
	WF_ASSERT(r->body.len > 0 && r->body.data[r->body.len - 1] == '\n');
	for (i = json_tokener_get_parse_end(tok); i < r->body.len - 1; i++)
		WF_ASSERT(0);
	json_tokener_free(tok);
	WF_ASSERT(json_object_is_type(o, json_type_object));
	if (r->status >= 400) {
		WF_ASSERT(json_object_object_get_ex(o, "error", &e));
		WF_ASSERT(json_object_object_get_ex(e, "code", &c) &&
		    json_object_is_type(c, json_type_string));
		WF_ASSERT(json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string));
		WF_ASSERT(sentence(json_object_get_string(m)));
	}
	json_object_put(o);
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
	char			*env[7], *in, *line[3], *body, *nl;
	const char		*why, *auth;
	char			 clen[32], *goodauth;
	size_t			 idx, rest, blen, i;
	int64_t			 id;
	int			 rc, matched, goodkey;
	unsigned int		 need;

	if (!init) {
		log_init("fuzz_api", LOG_LEVEL_ERROR);
		WF_ASSERT(sodium_init() >= 0);
		WF_ASSERT(tmpl_load_dir("templates") == 0);
		(void)apikey_new(key, key_prefix, key_hash);
		w.conf = &conf;
		init = 1;
	}
	if (size < 2)
		return 0;
	f0 = data[0];
	f1 = data[1];
	in = xmalloc(size - 1);
	memcpy(in, data + 2, size - 2);
	in[size - 2] = '\0';
	rest = size - 2;
	body = in;
	for (i = 0; i < 3; i++) {
		line[i] = body;
		if ((nl = memchr(body, '\n', rest)) == NULL) {
			body = in + (size - 2);
			rest = 0;
			/* the remaining lines are empty */
			for (i++; i < 3; i++)
				line[i] = body;
			break;
		}
		*nl = '\0';
		rest -= (size_t)(nl + 1 - body);
		body = nl + 1;
	}
	blen = rest;
	parse_alone(line[1], body, blen);
	if (memchr(body, '\0', blen) == NULL)
		proxy_alone(body, blen);

	goodauth = xasprintf("Bearer %s", key);
	auth = F_GOODKEY ? goodauth : line[2];
	env[0] = xasprintf("REQUEST_METHOD=%s", methods[f0 & 3]);
	env[1] = strncmp(line[0], "/api/", 5) == 0 ?
	    xasprintf("REQUEST_URI=%s", line[0]) :
	    xasprintf("REQUEST_URI=/api/v1/%s", line[0]);
	snprintf(clen, sizeof(clen), "%zu", blen);
	env[2] = xasprintf("CONTENT_LENGTH=%s", clen);
	env[3] = xasprintf("CONTENT_TYPE=%s", line[1]);
	env[4] = xasprintf("HTTP_AUTHORIZATION=%s", auth);
	env[5] = NULL;
	memset(&b, 0, sizeof(b));
	b.data = body;
	b.len = blen;
	b.maxpiece = 13;
	b.fail_at = SIZE_MAX;

	req_init(&r, &w);
	why = NULL;
	wrote = db_calls = 0;
	rc = req_from_params(&r, env, wf_body_read, &b, &why);
	if (rc == 0) {
		route_dispatch(&r);
		matched = !r.bad_input &&
		    api_route_match(r.path, r.method, &idx, &id) == 1;
		check_answer(&r, matched);
		if (getenv("FUZZ_API_VERBOSE") != NULL)
			fprintf(stderr, "%s %s -> %d wrote=%d\n",
			    methods[f0 & 3], r.path, r.status, wrote);
		goodkey = strcmp(auth, goodauth) == 0;
		need = matched ? scope_needed(&r) : 0;
		if (!matched || r.bad_input)
			WF_ASSERT(!wrote && db_calls == 0);
		else if (need == 0)
			WF_ASSERT(r.status == 200);
		else if (F_DBFAIL)
			WF_ASSERT(r.status == 503 && !wrote);
		else if (!goodkey)
			WF_ASSERT(r.status == 401 && !wrote && db_calls == 0);
		else if (F_OVERRATE)
			WF_ASSERT(r.status == 429 && !wrote && db_calls == 0 &&
			    strstr(buf_str(&r.headers), "Retry-After: 17\r\n")
			    != NULL);
		else if ((F_SCOPES & need) != need)
			WF_ASSERT(r.status == 403 && !wrote && db_calls == 0);
		if (wrote)
			WF_ASSERT(matched && goodkey && !F_OVERRATE &&
			    (F_SCOPES & need) == need);
	}
	wf_req_free(&r);
	free(goodauth);
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(in);
	return 0;
}
