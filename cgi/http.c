/*
 * Response helpers: status words, headers, redirects, error pages,
 * page rendering inside the layout, JSON and cookies.  The response is
 * buffered in struct req; main.c sends it after the handler returns, so
 * a handler can still turn a half-rendered page into a clean 500.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cgi.h"
#include "log.h"

struct	status_word {
	int		 code;
	const char	*text;
};

static const struct status_word	status_words[] = {
	{ 200, "OK" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 409, "Conflict" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

/* The reason phrase for "code" (static), "Unknown" if not listed. */
const char *
http_status_text(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(status_words) / sizeof(status_words[0]); i++)
		if (status_words[i].code == code)
			return status_words[i].text;
	return "Unknown";
}

/*
 * Add a response header.  Refuses (returns -1, logged) a name or value
 * holding CR, LF or NUL, so no input can split the response.
 */
int
http_header(struct req *r, const char *name, const char *value)
{

	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL) {
		log_warnx("%s: refusing header %s with a line break",
		    __func__, name);
		return -1;
	}
	buf_printf(&r->headers, "%s: %s\r\n", name, value);
	return 0;
}

/*
 * 303 See Other to "location", a path on this site (must start with a
 * single '/'; anything else becomes "/", so no open redirect).
 */
void
http_redirect(struct req *r, const char *location)
{

	if (location[0] != '/' || location[1] == '/' || location[1] == '\\')
		location = "/";
	r->status = 303;
	buf_reset(&r->body);
	if (http_header(r, "Location", location) == -1)
		(void)http_header(r, "Location", "/");
}

struct	errpage {
	int		 code;
	const char	*message;
};

static int
error_key(struct tout *o, enum tkey key, void *arg)
{
	const struct errpage	*e = arg;

	switch (key) {
	case TKEY_CODE:
		tmpl_textf(o, "%d", e->code);
		return 0;
	case TKEY_REASON:
		tmpl_text(o, http_status_text(e->code));
		return 0;
	case TKEY_MESSAGE:
		tmpl_text(o, e->message);
		return 0;
	default:
		return -1;
	}
}

/*
 * Replace the response with an error page for "code" ("message" may be
 * NULL for the standard wording).  JSON routes get a JSON error; the
 * API's (under API_PREFIX) its own shape (http_api_error).
 */
void
http_error(struct req *r, int code, const char *message)
{
	struct errpage	 e;

	e.code = code;
	e.message = message != NULL ? message : http_status_text(code);
	if (r->path != NULL &&
	    strncmp(r->path, API_PREFIX, strlen(API_PREFIX)) == 0) {
		http_api_error(r, code, NULL, message);
		return;
	}
	buf_reset(&r->body);
	buf_reset(&r->headers);
	r->status = code;
	if (r->path != NULL && (strstr(r->path, ".json") != NULL ||
	    strncmp(r->path, "/health", 7) == 0)) {
		r->ctype = "application/json";
		buf_printf(&r->body, "{\"error\":%d}\n", code);
		return;
	}
	r->ctype = "text/html; charset=utf-8";
	http_page(r, http_status_text(code), TMPL_ERROR, error_key, &e);
	r->status = code;
}

struct	layout {
	struct req	*r;
	const char	*title;
	enum tmplid	 id;
	tmpl_keyfn	 fn;
	void		*arg;
};

static int
nav_key(struct tout *o, enum tkey key, void *arg)
{
	const struct req	*r = arg;

	switch (key) {
	case TKEY_USERNAME:
		tmpl_text(o, r->username);
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, r->csrf);
		return 0;
	case TKEY_OPERATORS:
		if (!r->is_admin)
			return 0;
		return tmpl_partial(o, TMPL_NAV_ADMIN, nav_key, arg);
	default:
		return -1;
	}
}

static int
notice_key(struct tout *o, enum tkey key, void *arg)
{

	if (key != TKEY_MESSAGE)
		return -1;
	tmpl_text(o, arg);
	return 0;
}

/* Notices a redirect may ask for with ?notice=NAME (fixed wording). */
static const char *
notice_text(const char *name)
{
	static const char *const notices[][2] = {
		{ "queued", "Done. The session daemon carries it out shortly." },
		{ "renamed", "The account was renamed." },
		{ "proxy", "The proxy setting was saved; it takes effect at "
		    "the next connection (press Reconnect to apply it now)." },
		{ "created", "The account was added." },
		{ "deleted", "The account is being deleted." },
		{ "saved", "Saved." },
		{ "redelivery", "Queued again; the webhook sender sends it "
		    "shortly." },
		{ "signed_out", "You are signed out." },
		{ "revoked", "The key is revoked: it no longer works." },
		{ "reminder_saved", "The reminder was saved." },
		{ "reminder_paused", "The reminder is paused: it fires no "
		    "more until you resume it." },
		{ "reminder_resumed", "The reminder is active again." },
		{ "reminder_ended", "The reminder has no fire time left, so "
		    "it has ended." },
		{ "reminder_deleted", "The reminder was deleted. Its runs stay "
		    "in the history, marked (deleted)." },
	};
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(name, notices[i][0]) == 0)
			return notices[i][1];
	return NULL;
}

static int
layout_key(struct tout *o, enum tkey key, void *arg)
{
	struct layout	*l = arg;
	const char	*n;

	switch (key) {
	case TKEY_TITLE:
		tmpl_text(o, l->title);
		return 0;
	case TKEY_NAV:
		if (!l->r->has_session)
			return 0;
		return tmpl_partial(o, TMPL_NAV, nav_key, l->r);
	case TKEY_BANNER:
		return present_banner(o, l->r);
	case TKEY_NOTICE:
		if ((n = notice_text(kv_get(&l->r->query, "notice"))) == NULL)
			return 0;
		return tmpl_partial(o, TMPL_NOTICE, notice_key, (void *)n);
	case TKEY_HEAD:
		/* Without JavaScript, a pending page refreshes itself. */
		if (!l->r->refresh)
			return 0;
		return tmpl_partial(o, TMPL_REFRESH, notice_key, NULL);
	case TKEY_CONTENT:
		return tmpl_partial(o, l->id, l->fn, l->arg);
	default:
		return -1;
	}
}

/*
 * Render template "id" inside the layout with "title" into the body,
 * "fn" and "arg" filling the page's own placeholders.  On a template
 * error the body is replaced by a plain 500.
 */
void
http_page(struct req *r, const char *title, enum tmplid id, tmpl_keyfn fn,
    void *arg)
{
	struct layout	 l;

	l.r = r;
	l.title = title;
	l.id = id;
	l.fn = fn;
	l.arg = arg;
	buf_reset(&r->body);
	r->ctype = "text/html; charset=utf-8";
	if (tmpl_render(&r->body, TMPL_LAYOUT, layout_key, &l) == 0)
		return;
	buf_reset(&r->body);
	r->status = 500;
	r->ctype = "text/plain; charset=utf-8";
	buf_puts(&r->body, "500 Internal Server Error\n");
}

/* The API's machine-readable code for an HTTP status. */
static const char *
api_code(int code)
{
	static const struct status_word	 codes[] = {
		{ 400, "bad_request" }, { 401, "unauthorized" },
		{ 403, "forbidden" }, { 404, "not_found" },
		{ 405, "method_not_allowed" }, { 409, "conflict" },
		{ 413, "too_large" }, { 415, "unsupported_media_type" },
		{ 422, "invalid" }, { 429, "rate_limited" },
		{ 503, "unavailable" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].text;
	return "internal";
}

/* The API's sentence for a status when the caller has none. */
static const char *
api_message(int code)
{

	switch (code) {
	case 400:
		return "The request could not be decoded; check the URL and "
		    "the body.";
	case 401:
		return "A valid API key is required: send it as "
		    "\"Authorization: Bearer wdk_...\".";
	case 404:
		return "There is no such resource, or it is not yours.";
	case 405:
		return "This resource does not accept that method; see the "
		    "Allow header.";
	case 413:
		return "The request body is larger than 16 KiB; send a "
		    "smaller one.";
	case 503:
		return "The database is unavailable; try again shortly.";
	default:
		return "The request failed; try again, and report it if it "
		    "persists.";
	}
}

/*
 * Replace the response with the API's error for HTTP status "code":
 * {"error": {"code": ECODE, "message": MESSAGE}}.  "ecode" NULL takes
 * the status's own code ("not_found", ...), "message" NULL its
 * standard sentence.  Headers already added (Allow, Retry-After) stay.
 */
void
http_api_error(struct req *r, int code, const char *ecode,
    const char *message)
{
	struct json_object	*o, *e;

	o = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(
	    ecode != NULL ? ecode : api_code(code)));
	json_object_object_add(e, "message", json_object_new_string(
	    message != NULL ? message : api_message(code)));
	json_object_object_add(o, "error", e);
	http_json(r, code, o);
}

/* Answer "code" with "o" serialised (and released with json_object_put). */
void
http_json(struct req *r, int code, struct json_object *o)
{

	r->status = code;
	r->ctype = "application/json";
	buf_reset(&r->body);
	buf_puts(&r->body, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	buf_putc(&r->body, '\n');
	json_object_put(o);
}

/*
 * Set cookie "name" to "value" (hex tokens only: no escaping needed)
 * for the whole site, HttpOnly and SameSite=Lax, Secure when the
 * request came over HTTPS; "max_age" 0 deletes it.
 */
void
http_cookie(struct req *r, const char *name, const char *value, int max_age)
{
	char	 v[256];

	snprintf(v, sizeof(v), "%s=%s; Path=/; Max-Age=%d; HttpOnly; "
	    "SameSite=Lax%s", name, value, max_age,
	    r->is_https ? "; Secure" : "");
	(void)http_header(r, "Set-Cookie", v);
}
