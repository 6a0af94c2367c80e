/*
 * Unit tests for cgi/req.c (form, query and cookie decoding, limits)
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
