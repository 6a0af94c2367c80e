/*
 * lib/proxyurl.c: the proxy URL grammar (what is accepted, what is
 * refused with which sentence), the password-free display form and the
 * form lws_set_proxy()/lws_set_socks() parse.
 */
#include <string.h>

#include "buf.h"
#include "proxyurl.h"
#include "t.h"

/* Parse "url"; pass if accepted and both forms are as given. */
static int
accepts(const char *url, const char *display, const char *lws)
{
	struct proxy_url	 p;
	struct buf		 d, l;
	const char		*why;
	int			 ok;

	if (proxyurl_parse(url, &p, &why) == -1) {
		fprintf(stderr, "refused %s: %s\n", url, why);
		return 0;
	}
	buf_init(&d);
	buf_init(&l);
	proxyurl_display(&p, &d);
	proxyurl_lws(&p, &l);
	ok = T_STREQ(buf_str(&d), display) && T_STREQ(buf_str(&l), lws) &&
	    T_TRUE(why == NULL);
	buf_free(&d);
	buf_free(&l);
	proxyurl_wipe(&p);
	return ok;
}

/* Pass if "url" is refused with a sentence holding "words". */
static int
refuses(const char *url, const char *words)
{
	struct proxy_url	 p;
	const char		*why = NULL;

	if (proxyurl_parse(url, &p, &why) == 0) {
		fprintf(stderr, "accepted %s\n", url);
		return 0;
	}
	return T_TRUE(why != NULL && strstr(why, words) != NULL &&
	    why[strlen(why) - 1] == '.') && T_TRUE(p.host[0] == '\0' &&
	    p.pass[0] == '\0');
}

static int
plain_http(void)
{

	return accepts("http://proxy.example:3128", "http://proxy.example:3128",
	    "proxy.example:3128") &&
	    accepts("HTTP://10.0.0.1:8080/", "http://10.0.0.1:8080",
	    "10.0.0.1:8080") &&
	    accepts("http://[::1]:3128", "http://[::1]:3128", "[::1]:3128");
}

static int
credentials_hidden(void)
{

	return accepts("http://alice:s3cr%40t:x@proxy.example:3128",
	    "http://alice@proxy.example:3128",
	    "alice:s3cr@t:x@proxy.example:3128") &&
	    accepts("socks5://b%20ob:pw@127.0.0.1:1080",
	    "socks5://b%20ob@127.0.0.1:1080", "b ob:pw@127.0.0.1:1080") &&
	    accepts("socks5h://u@h.example:1", "socks5://u@h.example:1",
	    "u:@h.example:1");
}

static int
refusals(void)
{

	return refuses("", "http://host:port") &&
	    refuses("ftp://proxy.example:21", "http://host:port") &&
	    refuses("https://proxy.example:443", "over TLS") &&
	    refuses("http://proxy.example", "port") &&
	    refuses("http://proxy.example:", "port") &&
	    refuses("http://proxy.example:0", "port") &&
	    refuses("http://proxy.example:65536", "1 to 65535") &&
	    refuses("http://proxy.example:80x", "1 to 65535") &&
	    refuses("http://proxy.example:3128/path", "http://host:port") &&
	    refuses("http://proxy.example:3128?x", "http://host:port") &&
	    refuses("http://pro xy:3128", "http://host:port") &&
	    refuses("http://-bad:3128", "http://host:port") &&
	    refuses("http://a..b:3128", "http://host:port") &&
	    refuses("http://:pw@proxy.example:3128", "user name") &&
	    refuses("http://a%3Ab:pw@proxy.example:3128", "user name") &&
	    refuses("http://a:p%0aw@proxy.example:3128", "user name") &&
	    refuses("http://a:p%4@proxy.example:3128", "user name") &&
	    refuses("http://[zz]:3128", "http://host:port");
}

static int
long_parts(void)
{
	char	 url[700], user[100];

	memset(user, 'u', 60);
	user[60] = '\0';
	snprintf(url, sizeof(url), "http://%s:%s@p.example:1", user, user);
	if (!refuses(url, "too long"))
		return 0;
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "http://", 7);
	return refuses(url, "http://host:port");
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(plain_http),
		T_CASE(credentials_hidden),
		T_CASE(refusals),
		T_CASE(long_parts),
	};

	return t_run(cases, T_NCASES(cases));
}
