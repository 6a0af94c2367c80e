/*
 * libFuzzer target for our layer over FastCGI: req_from_params() in
 * cgi/req.c, which turns the PARAMS and the STDIN body into a struct
 * req.  libfcgi parses the records themselves (we link Debian's, not
 * ours to fuzz); what reaches us is its "NAME=value" array and a body
 * that arrives in pieces of any size.  The input is
 *
 *	seed(1) flags(1) plen(2, big-endian) params(plen) body(rest)
 *
 * with the params in FastCGI name-value encoding (1- or 4-byte
 * lengths, as libfcgi decodes them into "NAME=value" strings, so a NUL
 * or '=' inside a name behaves as it would there).  The body is read in
 * pieces chosen by "seed"; flags bit 0 makes one read fail.  Every
 * answer is checked against an independent reading of the same params.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "web_fuzz.h"

#define	ENV_MAX	48

/* FastCGI name-value length: 1 byte, or 4 with the top bit set. */
static int
nv_len(const uint8_t **p, const uint8_t *end, size_t *out)
{

	if (*p >= end)
		return -1;
	if (**p < 0x80) {
		*out = *(*p)++;
		return 0;
	}
	if (end - *p < 4)
		return -1;
	*out = ((size_t)((*p)[0] & 0x7f) << 24) | ((size_t)(*p)[1] << 16) |
	    ((size_t)(*p)[2] << 8) | (*p)[3];
	*p += 4;
	return 0;
}

/* Decode "len" bytes of name-value pairs into "env" (NULL-ended). */
static size_t
env_build(char *env[ENV_MAX + 1], const uint8_t *p, size_t len)
{
	const uint8_t	*end = p + len;
	size_t		 n = 0, nl, vl;

	while (n < ENV_MAX && nv_len(&p, end, &nl) == 0 &&
	    nv_len(&p, end, &vl) == 0 && nl <= (size_t)(end - p) &&
	    vl <= (size_t)(end - p) - nl) {
		env[n] = malloc(nl + vl + 2);
		WF_ASSERT(env[n] != NULL);
		memcpy(env[n], p, nl);
		env[n][nl] = '=';
		memcpy(env[n] + nl + 1, p + nl, vl);
		env[n][nl + vl + 1] = '\0';
		p += nl + vl;
		n++;
	}
	env[n] = NULL;
	return n;
}

/* First "name" in "env", by a different loop than req_param()'s. */
static const char *
env_get(char *const *env, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

/*
 * CONTENT_LENGTH as req.c must read it: -1 for not a decimal number or
 * one that overflows unsigned long (400), -2 for more than "max"
 * (413), else the length.
 */
static long long
content_length(const char *cl, size_t max)
{
	static const char	 ulmax[] = "18446744073709551615";
	size_t			 sig;
	unsigned long long	 v = 0;

	if (cl[0] == '\0' || strspn(cl, "0123456789") != strlen(cl))
		return -1;
	while (cl[0] == '0' && cl[1] != '\0')
		cl++;
	sig = strlen(cl);
	if (sizeof(unsigned long) == 8 && (sig > 20 ||
	    (sig == 20 && strcmp(cl, ulmax) > 0)))
		return -1;
	if (sig > 18)
		return -2;
	v = strtoull(cl, NULL, 10);
	return v > max ? -2 : (long long)v;
}

/*
 * The form limit for "path", read independently of req.c: only
 * "/accounts/<digits, no leading 0>/groups/send" may carry
 * REQ_SEND_BODY_MAX (a send-test of 65,536 bytes, percent-encoded).
 */
static size_t
form_max(const char *path)
{
	const char	*p = path + strlen("/accounts/");
	size_t		 i;

	if (strncmp(path, "/accounts/", strlen("/accounts/")) != 0 ||
	    *p < '1' || *p > '9')
		return REQ_BODY_MAX;
	for (i = 0; p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (i > 19 || strcmp(p + i, "/groups/send") != 0)
		return REQ_BODY_MAX;
	return REQ_SEND_BODY_MAX;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	char		*env[ENV_MAX + 1];
	struct req	 r;
	struct wf_body	 b;
	struct kvlist	 want;
	const char	*why = NULL, *v, *cl;
	size_t		 plen, nenv, i, cap, avail;
	long long	 len = -3;
	int		 rc, want_rc = 0, want_bad, failed;

	if (!init) {
		log_init("fuzz_params", LOG_LEVEL_ERROR);
		init = 1;
	}
	if (size < 4)
		return 0;
	plen = (size_t)data[2] << 8 | data[3];
	if (plen > size - 4)
		plen = size - 4;
	nenv = env_build(env, data + 4, plen);
	memset(&b, 0, sizeof(b));
	b.data = (const char *)data + 4 + plen;
	b.len = size - 4 - plen;
	b.seed = data[0] * 2654435761u + 1;
	b.maxpiece = (data[1] >> 1) == 0 ? 4096 : (size_t)(data[1] >> 1);
	b.fail_at = (data[1] & 1) ? wf_next(&b.seed) % (b.len + 1) : SIZE_MAX;

	req_init(&r, NULL);
	rc = req_from_params(&r, env, wf_body_read, &b, &why);

	/* What every request gets, POST or not. */
	WF_ASSERT(r.path != NULL && r.path[0] == '/');
	WF_ASSERT(strlen(r.path) > 0);
	WF_ASSERT(r.query.n <= REQ_FIELDS_MAX);
	WF_ASSERT(r.cookies.n <= REQ_FIELDS_MAX);
	WF_ASSERT(r.form.n <= REQ_FIELDS_MAX);
	v = env_get(env, "HTTPS");
	WF_ASSERT(r.is_https == (v != NULL && strcasecmp(v, "on") == 0));
	v = env_get(env, "REMOTE_ADDR");
	WF_ASSERT(strcmp(r.remote_addr, v != NULL ? v : "") == 0);
	WF_ASSERT(r.authorization == env_get(env, "HTTP_AUTHORIZATION"));
	if ((v = env_get(env, "REQUEST_URI")) == NULL)
		v = env_get(env, "DOCUMENT_URI");
	if (v == NULL || v[0] != '/')
		WF_ASSERT(r.bad_input && strcmp(r.path, "/") == 0);

	if (r.method != METHOD_POST) {
		WF_ASSERT(rc == 0 && b.calls == 0 && r.form.n == 0);
		goto out;
	}

	/* POST: the body's fate, worked out independently. */
	memset(&want, 0, sizeof(want));
	avail = b.len;
	if ((cl = env_get(env, "CONTENT_LENGTH")) != NULL && cl[0] != '\0')
		len = content_length(cl, strncmp(r.path, API_PREFIX,
		    strlen(API_PREFIX)) == 0 ? REQ_BODY_MAX : form_max(r.path));
	if (strncmp(r.path, API_PREFIX, strlen(API_PREFIX)) == 0) {
		/* An API body is kept raw for cgi/api.c, never decoded. */
		WF_ASSERT(r.form.n == 0);
		WF_ASSERT(rc == (len == -1 ? 400 : 0));
		if (len == -1)
			goto out;
		if (len == -2) {
			WF_ASSERT(r.raw_too_large && r.raw.len == 0 &&
			    b.calls == 0);
			goto out;
		}
		if (len == 0) {
			WF_ASSERT(r.raw.len == 0 && b.calls == 0);
			goto out;
		}
		cap = len > 0 ? (size_t)len : REQ_BODY_MAX + 1;
		failed = b.fail_at < (cap < avail ? cap : avail);
		if (failed || (len > 0 && avail < cap))
			WF_ASSERT(r.bad_input);
		else if (len < 0 && avail > REQ_BODY_MAX)
			WF_ASSERT(r.raw_too_large);
		else {
			cap = len > 0 ? (size_t)len : avail;
			WF_ASSERT(r.raw.len == cap && (cap == 0 ||
			    memcmp(r.raw.data, b.data, cap) == 0));
		}
		goto out;
	}
	if (len == -1)
		want_rc = 400;
	else if (len == -2)
		want_rc = 413;
	else if (len == 0)
		want_rc = 0;
	else {
		cap = len > 0 ? (size_t)len : form_max(r.path) + 1;
		failed = b.fail_at < (cap < avail ? cap : avail);
		if (failed || (len > 0 && avail < cap)) {
			want_bad = 1;
			WF_ASSERT(rc == 0 && r.bad_input == want_bad);
			WF_ASSERT(r.form.n == 0);
			goto out;
		}
		if (len < 0 && avail > form_max(r.path))
			want_rc = 413;
		else if (len > 0 || avail > 0) {
			v = env_get(env, "CONTENT_TYPE");
			if (v == NULL || strncasecmp(v,
			    "application/x-www-form-urlencoded", 33) != 0)
				want_rc = 415;
			else {
				/* Pieces or not, the same pairs. */
				want_bad = req_decode_pairs(&want, b.data,
				    len > 0 ? (size_t)len : avail, '&') == -1;
				if (want_bad)
					WF_ASSERT(r.bad_input);
				else
					WF_ASSERT(wf_kv_equal(&r.form, &want));
			}
		}
	}
	kvlist_free(&want);
	WF_ASSERT(rc == want_rc);
	WF_ASSERT(rc == 0 || (why != NULL && why[0] != '\0'));
	if (rc != 0 || len == 0)
		WF_ASSERT(r.form.n == 0);
	if (len == -1 || len == -2 || len == 0)
		WF_ASSERT(b.calls == 0);
out:
	wf_req_free(&r);
	for (i = 0; i < nenv; i++)
		free(env[i]);
	return 0;
}
