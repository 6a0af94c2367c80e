/*
 * daemon/wa/socks5.c: the requests byte for byte (RFC 1928 sections 3
 * and 4, RFC 1929 section 2) and the replies: complete, short (more
 * needed, at every cut), malformed (with words), and the reply codes'
 * words (RFC 1928 section 6).
 */
#include <stdint.h>
#include <string.h>

#include "socks5.h"
#include "t.h"

static int
t_greeting(void)
{
	static const uint8_t	 none[] = { 5, 1, 0 };
	static const uint8_t	 both[] = { 5, 2, 0, 2 };
	uint8_t			 b[SOCKS5_GREETING_MAX];
	int			 ok;

	ok = T_INTEQ(socks5_greeting(b, 0), 3) && T_MEMEQ(b, none, 3);
	return ok && T_INTEQ(socks5_greeting(b, 1), 4) && T_MEMEQ(b, both, 4);
}

static int
t_method(void)
{
	const uint8_t	 a[] = { 5, 0 }, u[] = { 5, 2 }, r[] = { 5, 0xff };
	const uint8_t	 v4[] = { 4, 0 }, odd[] = { 5, 1 };
	const char	*why;
	uint8_t		 m = 9;
	int		 ok;

	ok = T_INTEQ(socks5_method_parse(a, 1, 0, &m, &why), 0) &&
	    T_INTEQ(socks5_method_parse(a, 0, 0, &m, &why), 0) &&
	    T_INTEQ(socks5_method_parse(a, 2, 0, &m, &why), 2) &&
	    T_INTEQ(m, 0) &&
	    T_INTEQ(socks5_method_parse(u, 2, 1, &m, &why), 2) &&
	    T_INTEQ(m, 2);
	/* User/password chosen though not offered: refused. */
	ok = ok && T_INTEQ(socks5_method_parse(u, 2, 0, &m, &why), -1) &&
	    T_STREQ(why, "chose an authentication method that was not "
	    "offered");
	ok = ok && T_INTEQ(socks5_method_parse(r, 2, 1, &m, &why), -1) &&
	    T_STREQ(why, "accepts none of the offered authentication methods");
	ok = ok && T_INTEQ(socks5_method_parse(v4, 2, 1, &m, &why), -1) &&
	    T_TRUE(strstr(why, "does not speak SOCKS5") != NULL);
	return ok && T_INTEQ(socks5_method_parse(odd, 2, 1, &m, &why), -1);
}

static int
t_auth(void)
{
	static const uint8_t	 want[] = { 1, 5, 'a', 'l', 'i', 'c', 'e',
				    3, 'p', ':', 'w' };
	uint8_t			 b[SOCKS5_AUTH_MAX], yes[] = { 1, 0 };
	uint8_t			 no[] = { 1, 1 }, bad[] = { 5, 0 };
	char			 big[300];
	const char		*why;
	size_t			 n = 0;
	int			 ok, acc = -1;

	ok = T_INTEQ(socks5_auth_request("alice", "p:w", b, &n), 0) &&
	    T_INTEQ(n, sizeof(want)) && T_MEMEQ(b, want, sizeof(want));
	/* A user alone: an empty password. */
	ok = ok && T_INTEQ(socks5_auth_request("bob", "", b, &n), 0) &&
	    T_INTEQ(n, 6) && T_INTEQ(b[5], 0);
	ok = ok && T_INTEQ(socks5_auth_request("", "x", b, &n), -1);
	memset(big, 'x', 256);
	big[256] = '\0';
	ok = ok && T_INTEQ(socks5_auth_request(big, "x", b, &n), -1) &&
	    T_INTEQ(socks5_auth_request("u", big, b, &n), -1);
	big[255] = '\0';
	ok = ok && T_INTEQ(socks5_auth_request(big, big, b, &n), 0) &&
	    T_INTEQ(n, SOCKS5_AUTH_MAX);
	ok = ok && T_INTEQ(socks5_auth_parse(yes, 1, &acc, &why), 0) &&
	    T_INTEQ(socks5_auth_parse(yes, 2, &acc, &why), 2) &&
	    T_INTEQ(acc, 1) &&
	    T_INTEQ(socks5_auth_parse(no, 2, &acc, &why), 2) &&
	    T_INTEQ(acc, 0);
	return ok && T_INTEQ(socks5_auth_parse(bad, 2, &acc, &why), -1) &&
	    T_TRUE(why != NULL);
}

static int
t_connect_request(void)
{
	static const uint8_t	 name[] = { 5, 1, 0, 3, 16, 'w', 'e', 'b', '.',
				    'w', 'h', 'a', 't', 's', 'a', 'p', 'p', '.',
				    'c', 'o', 'm', 0x01, 0xbb };
	static const uint8_t	 v4[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x1f,
				    0x90 };
	uint8_t			 b[SOCKS5_CONNECT_MAX];
	char			 big[300];
	size_t			 n = 0;
	int			 ok;

	ok = T_INTEQ(socks5_connect_request("web.whatsapp.com", 443, b, &n),
	    0) && T_INTEQ(n, sizeof(name)) && T_MEMEQ(b, name, sizeof(name));
	ok = ok && T_INTEQ(socks5_connect_request("127.0.0.1", 8080, b, &n),
	    0) && T_INTEQ(n, sizeof(v4)) && T_MEMEQ(b, v4, sizeof(v4));
	ok = ok && T_INTEQ(socks5_connect_request("::1", 1, b, &n), 0) &&
	    T_INTEQ(n, 22) && T_INTEQ(b[3], 4) && T_INTEQ(b[19], 1) &&
	    T_INTEQ(b[21], 1);
	ok = ok && T_INTEQ(socks5_connect_request("h", 0, b, &n), -1) &&
	    T_INTEQ(socks5_connect_request("h", 65536, b, &n), -1) &&
	    T_INTEQ(socks5_connect_request("", 1, b, &n), -1);
	memset(big, 'a', 256);
	big[256] = '\0';
	ok = ok && T_INTEQ(socks5_connect_request(big, 1, b, &n), -1);
	big[255] = '\0';
	return ok && T_INTEQ(socks5_connect_request(big, 65535, b, &n), 0) &&
	    T_INTEQ(n, SOCKS5_CONNECT_MAX) && T_INTEQ(b[n - 1], 0xff);
}

/* Pass if every proper prefix of "in" asks for more. */
static int
all_prefixes_short(const uint8_t *in, size_t len)
{
	struct socks5_reply	 r;
	const char		*why;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (socks5_reply_parse(in, i, &r, &why) != 0) {
			fprintf(stderr, "prefix %zu of %zu not short\n", i, len);
			return 0;
		}
	return 1;
}

static int
t_reply(void)
{
	static const uint8_t	 v4[] = { 5, 0, 0, 1, 10, 0, 0, 1, 0x04, 0x38,
				    'x' };
	static const uint8_t	 v6[] = { 5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0, 1, 0, 80 };
	static const uint8_t	 nm[] = { 5, 2, 0, 3, 3, 'p', 'r', 'x', 0, 1 };
	struct socks5_reply	 r;
	const char		*why;
	int			 ok;

	/* A trailing byte is the server's: not part of the reply. */
	ok = T_INTEQ(socks5_reply_parse(v4, sizeof(v4), &r, &why), 10) &&
	    T_INTEQ(r.rep, 0) && T_INTEQ(r.atyp, 1) && T_INTEQ(r.port, 1080) &&
	    all_prefixes_short(v4, 10);
	ok = ok && T_INTEQ(socks5_reply_parse(v6, sizeof(v6), &r, &why), 22) &&
	    T_INTEQ(r.port, 80) && all_prefixes_short(v6, sizeof(v6));
	ok = ok && T_INTEQ(socks5_reply_parse(nm, sizeof(nm), &r, &why), 10) &&
	    T_INTEQ(r.rep, 2) && T_INTEQ(r.atyp, 3) && T_INTEQ(r.port, 1) &&
	    all_prefixes_short(nm, sizeof(nm));
	return ok;
}

static int
t_reply_malformed(void)
{
	static const uint8_t	 ver[] = { 4, 0 };
	static const uint8_t	 rsv[] = { 5, 0, 1, 1 };
	static const uint8_t	 atyp[] = { 5, 0, 0, 2, 0, 0 };
	static const uint8_t	 empty[] = { 5, 0, 0, 3, 0, 0, 0 };
	struct socks5_reply	 r;
	const char		*why;
	int			 ok;

	ok = T_INTEQ(socks5_reply_parse(ver, 1, &r, &why), -1) &&
	    T_STREQ(why, "sent a malformed reply to the CONNECT (bad version)");
	ok = ok && T_INTEQ(socks5_reply_parse(rsv, sizeof(rsv), &r, &why), -1) &&
	    T_TRUE(strstr(why, "reserved") != NULL);
	ok = ok && T_INTEQ(socks5_reply_parse(atyp, sizeof(atyp), &r, &why),
	    -1) && T_TRUE(strstr(why, "address type") != NULL);
	return ok && T_INTEQ(socks5_reply_parse(empty, sizeof(empty), &r, &why),
	    -1) && T_TRUE(strstr(why, "empty") != NULL);
}

static int
t_rep_words(void)
{

	return T_STREQ(socks5_rep_words(0), "succeeded") &&
	    T_STREQ(socks5_rep_words(1), "general SOCKS server failure") &&
	    T_STREQ(socks5_rep_words(2), "connection not allowed by ruleset") &&
	    T_STREQ(socks5_rep_words(3), "network unreachable") &&
	    T_STREQ(socks5_rep_words(4), "host unreachable") &&
	    T_STREQ(socks5_rep_words(5), "connection refused") &&
	    T_STREQ(socks5_rep_words(6), "TTL expired") &&
	    T_STREQ(socks5_rep_words(7), "command not supported") &&
	    T_STREQ(socks5_rep_words(8), "address type not supported") &&
	    T_STREQ(socks5_rep_words(9), "unassigned reply code") &&
	    T_STREQ(socks5_rep_words(0xff), "unassigned reply code");
}

int
main(void)
{
	static const struct t_case	cases[] = {
		T_CASE(t_greeting),
		T_CASE(t_method),
		T_CASE(t_auth),
		T_CASE(t_connect_request),
		T_CASE(t_reply),
		T_CASE(t_reply_malformed),
		T_CASE(t_rep_words),
	};

	return t_run(cases, T_NCASES(cases));
}
