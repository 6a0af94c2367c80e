/*
 * Unit tests for cgi/req.c (form, query and cookie decoding, limits,
 * FastCGI PARAMS and bodies read in pieces, HTTPS=on)
 * and the pure parts of cgi/auth.c (tokens, constant-time comparison,
 * CSRF checking) and http.c (headers, redirects, cookies).
 */
#include <string.h>

#include <sodium.h>

#include "cgi.h"
#include "t.h"

static int
form_decoding(void)
{
	struct kvlist	 l;
	const char	*s = "a=1&b=x+y&c=%41%2b%26&d&e=&=z&&f=%C3%A9";
	int		 ok;

	memset(&l, 0, sizeof(l));
	ok = T_INTEQ(req_decode_pairs(&l, s, strlen(s), '&'), 0) &&
	    T_STREQ(kv_get(&l, "a"), "1") &&
	    T_STREQ(kv_get(&l, "b"), "x y") &&
	    T_STREQ(kv_get(&l, "c"), "A+&") &&
	    T_STREQ(kv_get(&l, "d"), "") &&
	    T_STREQ(kv_get(&l, "e"), "") &&
	    T_STREQ(kv_get(&l, ""), "z") &&
	    T_STREQ(kv_get(&l, "f"), "\xc3\xa9") &&
	    T_TRUE(kv_get(&l, "g") == NULL);
	kvlist_free(&l);
	return ok;
}

static int
bad_escapes_refused(void)
{
	static const char *const bad[] = {
		"a=%", "a=%4", "a=%zz", "a=%00", "%=1", "a=b%2",
	};
	struct kvlist	 l;
	size_t		 i;
	int		 ok = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&l, 0, sizeof(l));
		if (req_decode_pairs(&l, bad[i], strlen(bad[i]), '&') != -1) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			ok = 0;
		}
		kvlist_free(&l);
	}
	return ok;
}

static int
embedded_nul_refused(void)
{
	struct kvlist	 l;
	const char	 s[] = "a=b\0c";
	int		 ok;

	memset(&l, 0, sizeof(l));
	ok = T_INTEQ(req_decode_pairs(&l, s, sizeof(s) - 1, '&'), -1);
	kvlist_free(&l);
	return ok;
}

static int
too_many_fields_refused(void)
{
	struct kvlist	 l;
	struct buf	 b;
	int		 i, ok;

	buf_init(&b);
	for (i = 0; i <= REQ_FIELDS_MAX; i++)
		buf_printf(&b, "k%d=v&", i);
	memset(&l, 0, sizeof(l));
	ok = T_INTEQ(req_decode_pairs(&l, buf_str(&b), b.len, '&'), -1) &&
	    T_INTEQ(l.n, REQ_FIELDS_MAX);
	kvlist_free(&l);
	buf_free(&b);
	return ok;
}

static int
cookies_parsed(void)
{
	struct kvlist	 l;
	int		 ok;

	memset(&l, 0, sizeof(l));
	ok = T_INTEQ(req_parse_cookies(&l,
	    " a=1; wadesk_session = abc ;junk; =x; b=2=3;"), 0) &&
	    T_STREQ(kv_get(&l, "a"), "1") &&
	    T_STREQ(kv_get(&l, "wadesk_session"), "abc") &&
	    T_STREQ(kv_get(&l, "b"), "2=3") &&
	    T_INTEQ(l.n, 3);
	kvlist_free(&l);
	return ok;
}

static int
path_and_query(void)
{
	struct req	 r;
	int		 ok;

	req_init(&r, NULL);
	ok = T_INTEQ(req_set_path(&r, "/accounts%2Fx?status=pending&page=2"),
	    0) && T_STREQ(r.path, "/accounts/x") &&
	    T_STREQ(kv_get(&r.query, "status"), "pending") &&
	    T_STREQ(kv_get(&r.query, "page"), "2") &&
	    T_INTEQ(req_set_path(&r, "http://evil/"), -1) &&
	    T_INTEQ(req_set_path(&r, NULL), -1);
	req_reset(&r);
	buf_free(&r.headers);
	buf_free(&r.body);
	return ok;
}

/* A body handed out "step" bytes at a time; fails at "fail" if set. */
struct	chunks {
	const char	*s;
	size_t		 len, pos, step;
	int		 fail, calls;
};

static int
chunk_read(void *ctx, char *buf, int len)
{
	struct chunks	*c = ctx;
	size_t		 n = c->step;

	c->calls++;
	if (c->fail && c->pos > 0)
		return -1;
	if (n > (size_t)len)
		n = (size_t)len;
	if (n > c->len - c->pos)
		n = c->len - c->pos;
	memcpy(buf, c->s + c->pos, n);
	c->pos += n;
	return (int)n;
}

/*
 * req_from_params() on "env" and body "body" read "step" at a time
 * (every read after the first failing when "fail").
 */
static int
from_params(struct req *r, char **env, const char *body, size_t step,
    int fail, struct chunks *c, const char **why)
{

	memset(c, 0, sizeof(*c));
	c->s = body;
	c->len = strlen(body);
	c->step = step;
	c->fail = fail;
	req_init(r, NULL);
	*why = NULL;
	return req_from_params(r, env, chunk_read, c, why);
}

static void
req_done(struct req *r)
{

	req_reset(r);
	buf_free(&r->headers);
	buf_free(&r->body);
}

static int
params_read(void)
{
	char		*env[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/accounts?status=pending", "DOCUMENT_URI=/x",
	    "HTTP_COOKIE=a=1; wadesk_session=ab", "REMOTE_ADDR=192.0.2.7",
	    "HTTP_AUTHORIZATION=Bearer k", "HTTPS=on", "HTTPS=off", NULL };
	struct req	 r;
	struct chunks	 c;
	const char	*why;
	int		 ok;

	ok = T_INTEQ(from_params(&r, env, "ignored=1", 4, 0, &c, &why), 0) &&
	    T_INTEQ(r.method, METHOD_GET) && T_STREQ(r.path, "/accounts") &&
	    T_STREQ(kv_get(&r.query, "status"), "pending") &&
	    T_STREQ(kv_get(&r.cookies, "wadesk_session"), "ab") &&
	    T_STREQ(r.remote_addr, "192.0.2.7") &&
	    T_STREQ(r.authorization, "Bearer k") &&
	    T_INTEQ(r.is_https, 1) &&	/* the first HTTPS counts */
	    T_INTEQ(r.form.n, 0) && T_INTEQ(c.calls, 0) &&
	    T_INTEQ(r.bad_input, 0);
	req_done(&r);
	return ok;
}

/* HTTPS=on, as nginx's $https is over TLS, and nothing else. */
static int
https_only_when_on(void)
{
	static const char *const vals[] = { "on", "ON", "", "off", "1",
	    "onx", NULL };
	static const int	 want[] = { 1, 1, 0, 0, 0, 0, 0 };
	char			 https[16], *env[4];
	struct req		 r;
	struct chunks		 c;
	const char		*why;
	size_t			 i;
	int			 ok = 1;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		env[0] = "REQUEST_METHOD=GET";
		env[1] = "REQUEST_URI=/login";
		env[2] = env[3] = NULL;
		if (vals[i] != NULL) {
			snprintf(https, sizeof(https), "HTTPS=%s", vals[i]);
			env[2] = https;
		}
		ok = T_INTEQ(from_params(&r, env, "", 1, 0, &c, &why), 0) &&
		    T_INTEQ(r.is_https, want[i]) && ok;
		/* The session and login cookies follow it. */
		http_cookie(&r, "wadesk_session", "ab", 60);
		ok = T_INTEQ(strstr(buf_str(&r.headers), "; Secure\r\n") !=
		    NULL, want[i]) && ok;
		req_done(&r);
	}
	return ok;
}

static int
body_in_pieces(void)
{
	char		*env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/login",
	    "CONTENT_TYPE=application/x-www-form-urlencoded; charset=UTF-8",
	    "CONTENT_LENGTH=30", NULL };
	const char	*body = "username=a%20b&password=x+y&z=";
	struct req	 r;
	struct chunks	 c;
	const char	*why;
	size_t		 step;
	int		 ok = 1;

	for (step = 1; step <= 32; step++) {
		ok = T_INTEQ(from_params(&r, env, body, step, 0, &c,
		    &why), 0) &&
		    T_INTEQ(r.bad_input, 0) && T_INTEQ(r.form.n, 3) &&
		    T_STREQ(kv_get(&r.form, "username"), "a b") &&
		    T_STREQ(kv_get(&r.form, "password"), "x y") &&
		    T_STREQ(kv_get(&r.form, "z"), "") && ok;
		req_done(&r);
	}
	return ok;
}

/* No CONTENT_LENGTH (chunked, unbuffered): read to the end. */
static int
body_without_length(void)
{
	char		*env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/login",
	    "CONTENT_TYPE=application/x-www-form-urlencoded",
	    "CONTENT_LENGTH=", NULL };
	struct req	 r;
	struct chunks	 c;
	struct buf	 big;
	const char	*why;
	int		 ok, i;

	ok = T_INTEQ(from_params(&r, env, "a=1&b=2", 3, 0, &c, &why), 0) &&
	    T_INTEQ(r.bad_input, 0) && T_STREQ(kv_get(&r.form, "b"), "2");
	req_done(&r);
	ok = T_INTEQ(from_params(&r, env, "", 3, 0, &c, &why), 0) &&
	    T_INTEQ(r.form.n, 0) && T_INTEQ(r.bad_input, 0) && ok;
	req_done(&r);
	buf_init(&big);
	for (i = 0; big.len <= REQ_BODY_MAX; i++)
		buf_printf(&big, "k=%d&", i);
	ok = T_INTEQ(from_params(&r, env, buf_str(&big), 1000, 0, &c,
	    &why),
	    413) && T_TRUE(why != NULL) && T_INTEQ(r.form.n, 0) &&
	    T_TRUE(c.pos <= REQ_BODY_MAX + 1) && ok;
	req_done(&r);
	buf_free(&big);
	return ok;
}

static int
body_refusals(void)
{
	static const struct {
		const char	*cl, *ct, *body;
		int		 rc, bad, fail;
	} cases[] = {
		{ "CONTENT_LENGTH=-1", NULL, "a=1", 400, 0, 0 },
		{ "CONTENT_LENGTH=3x", NULL, "a=1", 400, 0, 0 },
		{ "CONTENT_LENGTH= 3", NULL, "a=1", 400, 0, 0 },
		{ "CONTENT_LENGTH=+3", NULL, "a=1", 400, 0, 0 },
		{ "CONTENT_LENGTH=99999999999999999999999", NULL, "", 400,
		    0, 0 },
		{ "CONTENT_LENGTH=16385", NULL, "", 413, 0, 0 },
		{ "CONTENT_LENGTH=3", "CONTENT_TYPE=text/plain", "a=1", 415,
		    0, 0 },
		{ "CONTENT_LENGTH=3", NULL, "a=1", 415, 0, 0 },
		{ "CONTENT_LENGTH=9", "CONTENT_TYPE=application/"
		    "x-www-form-urlencoded", "a=1", 0, 1, 0 },	/* short */
		{ "CONTENT_LENGTH=3", "CONTENT_TYPE=application/"
		    "x-www-form-urlencoded", "a=1", 0, 1, 1 },	/* read error */
		{ "CONTENT_LENGTH=3", "CONTENT_TYPE=application/"
		    "x-www-form-urlencoded", "a=%", 0, 1, 0 },	/* bad escape */
		{ "CONTENT_LENGTH=0", NULL, "a=1", 0, 0, 0 },
	};
	char		*env[5];
	struct req	 r;
	struct chunks	 c;
	const char	*why;
	size_t		 i;
	int		 rc, uri, ok = 1;

	/* Without a URI bad_input is set anyway; with one, by the body. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (uri = 0; uri < 2; uri++) {
			env[0] = "REQUEST_METHOD=POST";
			env[1] = (char *)cases[i].cl;
			env[2] = uri ? "REQUEST_URI=/login" : NULL;
			env[3] = (char *)cases[i].ct;
			env[4] = NULL;
			if (!uri) {
				env[2] = env[3];
				env[3] = NULL;
			}
			rc = from_params(&r, env, cases[i].body, 1,
			    cases[i].fail, &c, &why);
			if (!T_INTEQ(rc, cases[i].rc) ||
			    !T_INTEQ(r.bad_input, uri ? cases[i].bad : 1) ||
			    !T_TRUE(rc == 0 || why != NULL) ||
			    !T_TRUE(rc == 0 || r.form.n == 0)) {
				fprintf(stderr, "case %zu: %s\n", i,
				    cases[i].cl);
				ok = 0;
			}
			req_done(&r);
		}
	return ok;
}

static int
methods(void)
{

	return T_INTEQ(req_method_parse("GET"), METHOD_GET) &&
	    T_INTEQ(req_method_parse("HEAD"), METHOD_HEAD) &&
	    T_INTEQ(req_method_parse("POST"), METHOD_POST) &&
	    T_INTEQ(req_method_parse("post"), METHOD_OTHER) &&
	    T_INTEQ(req_method_parse(NULL), METHOD_OTHER);
}

static int
tokens_random_and_hashed(void)
{
	char	 a[TOKEN_HEX + 1], b[TOKEN_HEX + 1], h[TOKEN_HEX + 1];

	auth_hex_token(a);
	auth_hex_token(b);
	auth_token_hash("abc", h);
	/* SHA-256("abc"), FIPS 180-2 example. */
	return T_INTEQ(strlen(a), TOKEN_HEX) &&
	    T_INTEQ(strspn(a, "0123456789abcdef"), TOKEN_HEX) &&
	    T_TRUE(strcmp(a, b) != 0) &&
	    T_STREQ(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static int
csrf_checked(void)
{
	struct req	 r;
	int		 ok;

	req_init(&r, NULL);
	memset(r.csrf, 'a', TOKEN_HEX);
	r.csrf[TOKEN_HEX] = '\0';
	ok = T_TRUE(!auth_csrf_ok(&r));	/* no session */
	r.has_session = 1;
	ok = ok && T_TRUE(!auth_csrf_ok(&r));	/* no field */
	req_decode_pairs(&r.form, "csrf=aaaa", 9, '&');
	ok = ok && T_TRUE(!auth_csrf_ok(&r));	/* wrong length */
	kvlist_free(&r.form);
	req_decode_pairs(&r.form, "csrf=", 5, '&');
	ok = ok && T_TRUE(!auth_csrf_ok(&r));	/* empty */
	kvlist_free(&r.form);
	{
		char	 f[TOKEN_HEX + 6];

		snprintf(f, sizeof(f), "csrf=%s", r.csrf);
		req_decode_pairs(&r.form, f, strlen(f), '&');
	}
	ok = ok && T_TRUE(auth_csrf_ok(&r));
	kvlist_free(&r.form);
	ok = ok && T_TRUE(auth_streq("x", "x")) &&
	    T_TRUE(!auth_streq("x", "y")) && T_TRUE(!auth_streq("", "")) &&
	    T_TRUE(!auth_streq(NULL, "x"));
	buf_free(&r.headers);
	buf_free(&r.body);
	return ok;
}

static int
headers_and_cookies(void)
{
	struct req	 r;
	int		 ok;

	req_init(&r, NULL);
	ok = T_INTEQ(http_header(&r, "X-A", "1"), 0) &&
	    T_INTEQ(http_header(&r, "X-B", "evil\r\nSet-Cookie: x=1"), -1) &&
	    T_INTEQ(http_header(&r, "X\nC", "1"), -1);
	http_cookie(&r, "wadesk_session", "ab", 60);
	ok = ok && T_STREQ(buf_str(&r.headers), "X-A: 1\r\n"
	    "Set-Cookie: wadesk_session=ab; Path=/; Max-Age=60; HttpOnly; "
	    "SameSite=Lax\r\n");
	buf_reset(&r.headers);
	r.is_https = 1;
	http_cookie(&r, "c", "d", 0);
	ok = ok && T_TRUE(strstr(buf_str(&r.headers), "; Secure\r\n") != NULL);
	buf_free(&r.headers);
	buf_free(&r.body);
	return ok;
}

static int
redirects_stay_local(void)
{
	struct req	 r;
	int		 ok;

	req_init(&r, NULL);
	http_redirect(&r, "//evil.example/");
	ok = T_INTEQ(r.status, 303) &&
	    T_STREQ(buf_str(&r.headers), "Location: /\r\n");
	buf_reset(&r.headers);
	http_redirect(&r, "/accounts/5?notice=queued");
	ok = ok && T_STREQ(buf_str(&r.headers),
	    "Location: /accounts/5?notice=queued\r\n");
	buf_reset(&r.headers);
	http_redirect(&r, "https://evil.example/");
	ok = ok && T_STREQ(buf_str(&r.headers), "Location: /\r\n");
	buf_free(&r.headers);
	buf_free(&r.body);
	return ok;
}

static int
labels_validated(void)
{

	return T_TRUE(label_valid("Support line")) &&
	    T_TRUE(label_valid("Café ☕ 𝄞")) &&
	    T_TRUE(!label_valid("")) && T_TRUE(!label_valid("   ")) &&
	    T_TRUE(!label_valid("a\nb")) && T_TRUE(!label_valid("a\x7f")) &&
	    T_TRUE(!label_valid("\xc3")) && T_TRUE(!label_valid("\xc0\xaf")) &&
	    T_TRUE(!label_valid("\xed\xa0\x80")) &&
	    T_TRUE(!label_valid("\xf4\x90\x80\x80"));
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(form_decoding),
		T_CASE(bad_escapes_refused),
		T_CASE(embedded_nul_refused),
		T_CASE(too_many_fields_refused),
		T_CASE(cookies_parsed),
		T_CASE(path_and_query),
		T_CASE(params_read),
		T_CASE(https_only_when_on),
		T_CASE(body_in_pieces),
		T_CASE(body_without_length),
		T_CASE(body_refusals),
		T_CASE(methods),
		T_CASE(tokens_random_and_hashed),
		T_CASE(csrf_checked),
		T_CASE(headers_and_cookies),
		T_CASE(redirects_stay_local),
		T_CASE(labels_validated),
	};

	if (sodium_init() < 0)
		return 1;
	return t_run(cases, T_NCASES(cases));
}
