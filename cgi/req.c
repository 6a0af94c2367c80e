/*
 * Request decoding: FastCGI PARAMS values and the body become a struct
 * req.  Everything here parses hostile bytes, so every decoder has a
 * limit and refuses what it cannot represent (NUL bytes, bad percent
 * escapes, too many fields) rather than guessing.  No FCGX_* here:
 * libfcgi parses the FastCGI records themselves (framing, name-value
 * lengths, STDIN pieces); main.c hands req_from_params() the PARAMS
 * array and a body reader, and the tests and tests/fuzz/fuzz_params.c
 * call it directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cgi.h"
#include "xalloc.h"

/* Make "r" an empty request served by worker "w". */
void
req_init(struct req *r, struct worker *w)
{

	memset(r, 0, sizeof(*r));
	r->w = w;
	r->remote_addr = "";
	r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	buf_init(&r->headers);
	buf_init(&r->body);
}

/* Release everything "r" owns, keeping the buffers for the next one. */
void
req_reset(struct req *r)
{
	struct worker	*w = r->w;
	struct buf	 headers = r->headers, body = r->body;

	free(r->path);
	free(r->username);
	buf_free(&r->raw);	/* rare (API POSTs): not kept */
	kvlist_free(&r->query);
	kvlist_free(&r->form);
	kvlist_free(&r->cookies);
	buf_reset(&headers);
	buf_reset(&body);
	memset(r, 0, sizeof(*r));
	r->w = w;
	r->remote_addr = "";
	r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	r->headers = headers;
	r->body = body;
}

/* Free the strings in "l" and empty it. */
void
kvlist_free(struct kvlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		free(l->kv[i].key);
		free(l->kv[i].val);
	}
	l->n = 0;
}

static int
hexval(int c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode "len" bytes of "s" (with '+' as space when "plus") into
 * a new string.  Returns NULL on a malformed escape or an encoded NUL.
 */
static char *
pct_decode(const char *s, size_t len, int plus)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	o = out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '+' && plus)
			*o++ = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= len ||
			    (hi = hexval((unsigned char)s[i + 1])) == -1 ||
			    (lo = hexval((unsigned char)s[i + 2])) == -1 ||
			    (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0')
			goto bad;
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/*
 * Decode "len" bytes of "s", "sep"-separated key=value pairs in
 * application/x-www-form-urlencoded form, appending to "l".  Empty
 * segments are skipped; a key without '=' gets an empty value.
 * Returns 0, or -1 on a malformed escape or more than REQ_FIELDS_MAX
 * pairs (what was decoded before stays in "l" and is freed with it).
 */
int
req_decode_pairs(struct kvlist *l, const char *s, size_t len, int sep)
{
	const char	*seg, *end = s + len, *eq, *next;
	char		*k, *v;

	for (seg = s; seg < end; seg = next + 1) {
		if ((next = memchr(seg, sep, (size_t)(end - seg))) == NULL)
			next = end;
		if (next == seg)
			continue;
		if (l->n == REQ_FIELDS_MAX)
			return -1;
		if ((eq = memchr(seg, '=', (size_t)(next - seg))) == NULL)
			eq = next;
		if ((k = pct_decode(seg, (size_t)(eq - seg), 1)) == NULL)
			return -1;
		v = eq == next ? xstrdup("") :
		    pct_decode(eq + 1, (size_t)(next - eq - 1), 1);
		if (v == NULL) {
			free(k);
			return -1;
		}
		l->kv[l->n].key = k;
		l->kv[l->n].val = v;
		l->n++;
	}
	return 0;
}

/*
 * Parse an HTTP Cookie header ("a=b; c=d") into "l".  Values are taken
 * literally (our cookies are hex); surrounding blanks are trimmed and a
 * pair without '=' is ignored.  Returns 0, or -1 on too many pairs.
 */
int
req_parse_cookies(struct kvlist *l, const char *s)
{
	const char	*seg, *next, *eq, *ks, *ke, *vs, *ve;

	for (seg = s; *seg != '\0'; seg = *next == '\0' ? next : next + 1) {
		next = seg + strcspn(seg, ";");
		if ((eq = memchr(seg, '=', (size_t)(next - seg))) == NULL)
			continue;
		for (ks = seg; ks < eq && (*ks == ' ' || *ks == '\t'); ks++)
			continue;
		for (ke = eq; ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'); ke--)
			continue;
		for (vs = eq + 1; vs < next && (*vs == ' ' || *vs == '\t'); vs++)
			continue;
		for (ve = next; ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			continue;
		if (ks == ke)
			continue;
		if (l->n == REQ_FIELDS_MAX)
			return -1;
		l->kv[l->n].key = xstrndup(ks, (size_t)(ke - ks));
		l->kv[l->n].val = xstrndup(vs, (size_t)(ve - vs));
		l->n++;
	}
	return 0;
}

/*
 * Set r->path from a REQUEST_URI ("/a/b?x=y"): the part before '?',
 * percent-decoded, and decode the query into r->query.  Returns 0, or
 * -1 when the URI is not an absolute path or does not decode.
 */
int
req_set_path(struct req *r, const char *uri)
{
	const char	*q;

	if (uri == NULL || uri[0] != '/')
		return -1;
	q = uri + strcspn(uri, "?");
	free(r->path);
	if ((r->path = pct_decode(uri, (size_t)(q - uri), 0)) == NULL)
		return -1;
	if (*q == '?' &&
	    req_decode_pairs(&r->query, q + 1, strlen(q + 1), '&') == -1)
		return -1;
	return 0;
}

/*
 * The value of FastCGI parameter "name" in "envp" (a NULL-terminated
 * array of "NAME=value" strings, as libfcgi's FCGX_GetParam reads it):
 * the first match, borrowed, or NULL.
 */
const char *
req_param(char *const *envp, const char *name)
{
	size_t	 n = strlen(name);

	if (envp == NULL)
		return NULL;
	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * The largest urlencoded form body for "path", in bytes: a send-test
 * (POST /accounts/{id}/groups/send, cgi/page_groups.c) carries a text
 * of up to 65,536 bytes, percent-encoded up to three times that, so it
 * may have REQ_SEND_BODY_MAX; every other form REQ_BODY_MAX.  The path
 * must match exactly ({id} digits without a leading zero).
 */
size_t
req_form_max(const char *path)
{
	static const char	 pre[] = "/accounts/", suf[] = "/groups/send";
	size_t			 n;

	if (strncmp(path, pre, sizeof(pre) - 1) != 0)
		return REQ_BODY_MAX;
	path += sizeof(pre) - 1;
	n = strspn(path, "0123456789");
	if (n == 0 || n > 19 || path[0] == '0' || strcmp(path + n, suf) != 0)
		return REQ_BODY_MAX;
	return REQ_SEND_BODY_MAX;
}

/*
 * Read the body through "rd" (which may return it in pieces of any
 * size) into "out": exactly "want" bytes when "want" is not
 * (size_t)-1, else up to end of stream.  Reads at most max + 1
 * bytes.  Returns 0, or -1 on a read error or a short body.
 */
static int
body_read(struct buf *out, size_t want, size_t max, req_read_fn rd, void *ctx)
{
	char	 piece[4096];
	size_t	 cap = want == (size_t)-1 ? max + 1 : want;
	int	 n, ask;

	while (out->len < cap) {
		ask = cap - out->len < sizeof(piece) ?
		    (int)(cap - out->len) : (int)sizeof(piece);
		if ((n = rd(ctx, piece, ask)) < 0 || n > ask)
			return -1;
		if (n == 0)
			break;
		buf_append(out, piece, (size_t)n);
	}
	return want == (size_t)-1 || out->len == want ? 0 : -1;
}

/*
 * The body of a POST under API_PREFIX into r->raw, undecoded.  Returns
 * 0 (r->raw_too_large set for a body over REQ_BODY_MAX, r->bad_input
 * for a short or unreadable one), or 400 for a bad Content-Length.
 */
static int
api_body(struct req *r, char *const *envp, req_read_fn rd, void *ctx,
    const char **why)
{
	const char	*cl;
	char		*end;
	unsigned long	 n;
	size_t		 len = (size_t)-1;

	if ((cl = req_param(envp, "CONTENT_LENGTH")) != NULL && *cl != '\0') {
		errno = 0;
		n = strtoul(cl, &end, 10);
		if (errno != 0 || *end != '\0' || cl[0] < '0' || cl[0] > '9') {
			*why = "The Content-Length header is not a number.";
			return 400;
		}
		if (n > REQ_BODY_MAX) {
			r->raw_too_large = 1;
			return 0;
		}
		len = (size_t)n;
	}
	if (len == 0)
		return 0;
	if (body_read(&r->raw, len, REQ_BODY_MAX, rd, ctx) == -1)
		r->bad_input = 1;
	else if (r->raw.len > REQ_BODY_MAX)
		r->raw_too_large = 1;
	return 0;
}

/*
 * Fill "r" from FastCGI PARAMS "envp" (borrowed: REMOTE_ADDR and
 * HTTP_AUTHORIZATION point into it, so it must outlive "r"'s use) and,
 * for a POST, the urlencoded body read through "rd" with "ctx".
 * Without a CONTENT_LENGTH (a chunked request passed on unbuffered)
 * the body is read to its end.  Under API_PREFIX the body is kept
 * undecoded in r->raw with its type in r->content_type (cgi/api.c
 * judges both, answering in JSON); a body over REQ_BODY_MAX sets
 * r->raw_too_large there.  Input that does not decode (URI,
 * cookies, form) sets r->bad_input, which route_dispatch() answers
 * with 400.  Returns 0 to dispatch, or the HTTP status that answers the
 * request at once (400 bad Content-Length, 413 body over REQ_BODY_MAX,
 * 415 not urlencoded) with a sentence for the page in "*why".
 */
int
req_from_params(struct req *r, char *const *envp, req_read_fn rd, void *ctx,
    const char **why)
{
	const char	*uri, *cl, *ct, *v;
	char		*end;
	size_t		 len = (size_t)-1;
	unsigned long	 n;
	struct buf	 body;
	size_t		 max;
	int		 rc = 0;

	r->method = req_method_parse(req_param(envp, "REQUEST_METHOD"));
	if ((uri = req_param(envp, "REQUEST_URI")) == NULL)
		uri = req_param(envp, "DOCUMENT_URI");
	if (req_set_path(r, uri) == -1) {
		/* Under /api/ the refusal must still be the API's JSON
		 * (http_error looks at the path; fuzz_api found an HTML
		 * 400 for an undecodable API URI). */
		free(r->path);
		r->path = xstrdup(uri != NULL && strncmp(uri, API_PREFIX,
		    strlen(API_PREFIX)) == 0 ? API_PREFIX : "/");
		r->bad_input = 1;
	}
	if ((v = req_param(envp, "HTTP_COOKIE")) != NULL &&
	    req_parse_cookies(&r->cookies, v) == -1)
		r->bad_input = 1;
	if ((v = req_param(envp, "REMOTE_ADDR")) != NULL)
		r->remote_addr = v;
	/* nginx: fastcgi_param HTTPS $https ("on" over TLS, else ""). */
	v = req_param(envp, "HTTPS");
	r->is_https = v != NULL && strcasecmp(v, "on") == 0;
	r->authorization = req_param(envp, "HTTP_AUTHORIZATION");
	r->content_type = req_param(envp, "CONTENT_TYPE");

	if (r->method != METHOD_POST)
		return 0;
	if (strncmp(r->path, API_PREFIX, strlen(API_PREFIX)) == 0)
		return api_body(r, envp, rd, ctx, why);
	max = req_form_max(r->path);
	if ((cl = req_param(envp, "CONTENT_LENGTH")) != NULL && *cl != '\0') {
		errno = 0;
		n = strtoul(cl, &end, 10);
		if (errno != 0 || *end != '\0' || cl[0] < '0' || cl[0] > '9') {
			*why = "Bad Content-Length.";
			return 400;
		}
		if (n > max) {
			*why = "The form is too large.";
			return 413;
		}
		len = (size_t)n;
	}
	if (len == 0)
		return 0;
	buf_init(&body);
	if (body_read(&body, len, max, rd, ctx) == -1)
		r->bad_input = 1;
	else if (body.len > max) {
		*why = "The form is too large.";
		rc = 413;
	} else if (body.len > 0) {
		ct = req_param(envp, "CONTENT_TYPE");
		if (ct == NULL || strncasecmp(ct,
		    "application/x-www-form-urlencoded", 33) != 0) {
			*why = "Forms must be URL-encoded.";
			rc = 415;
		} else if (req_decode_pairs(&r->form, buf_str(&body),
		    body.len, '&') == -1)
			r->bad_input = 1;
	}
	buf_free(&body);
	return rc;
}

/* Map a REQUEST_METHOD value to enum http_method. */
enum http_method
req_method_parse(const char *s)
{

	if (s == NULL)
		return METHOD_OTHER;
	if (strcmp(s, "GET") == 0)
		return METHOD_GET;
	if (strcmp(s, "HEAD") == 0)
		return METHOD_HEAD;
	if (strcmp(s, "POST") == 0)
		return METHOD_POST;
	return METHOD_OTHER;
}

/* The value of the first "key" in "l" (borrowed), or NULL. */
const char *
kv_get(const struct kvlist *l, const char *key)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->kv[i].key, key) == 0)
			return l->kv[i].val;
	return NULL;
}

