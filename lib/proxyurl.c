/*
 * Proxy URLs; see proxyurl.h.  The input is typed by an operator (or
 * sent to the API), so the grammar is exact and everything else is
 * refused with a sentence:
 *
 *	url      = scheme "://" [ userinfo "@" ] host ":" port [ "/" ]
 *	scheme   = "http" | "socks5" | "socks5h"	(any case)
 *	userinfo = user [ ":" password ]		(percent-encoded)
 *	host     = name | IPv4 | "[" IPv6 "]"
 *
 * The user may not hold ':' (HTTP Basic and RFC 1929 both split there)
 * and "user:password" has at most 95 bytes (lws keeps the Basic token
 * in a fixed buffer, lib/core-net/client.c lws_set_proxy() in 4.1);
 * no part may hold a control character.  The port is required: there
 * is no agreed default for proxies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "proxyurl.h"

static int
hexval(char c)
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
 * Percent-decode the "n" bytes at "s" into "out" ("outsz" bytes).
 * Returns the length, or -1 for a bad escape, a control character, a
 * byte the grammar keeps for itself ('@', '/', and ':' when
 * "colon_ok" is 0) or no room.
 */
static int
pct_part(const char *s, size_t n, char *out, size_t outsz, int colon_ok)
{
	size_t	 i, o = 0;
	int	 hi, lo;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (c == ':' && !colon_ok)
				return -1;
		} else if (c == '@' || c == '/' || (c == ':' && !colon_ok))
			return -1;
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

/* 1 if "s" ("n" bytes) is a DNS name or an IPv4 address. */
static int
host_ok(const char *s, size_t n)
{
	size_t	 i, label = 0;

	if (n == 0 || n > PROXYURL_HOST_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-') ||
		    ++label > 63)
			return 0;
	}
	return 1;
}

/*
 * Parse "url" into "p".  Returns 0, or -1 with "*why" a sentence for
 * the operator (static); "p" is wiped then.
 */
int
proxyurl_parse(const char *url, struct proxy_url *p, const char **why)
{
	const char	*s, *at, *hs, *he, *ps, *colon;
	char		*end;
	long		 port;
	size_t		 n;

	memset(p, 0, sizeof(*p));
	*why = "A proxy is written http://host:port or socks5://host:port, "
	    "optionally with user:password@ before the host.";
	if (url == NULL || (n = strlen(url)) == 0 || n > PROXYURL_MAX)
		goto bad;
	if (strncasecmp(url, "http://", 7) == 0) {
		p->kind = PROXY_HTTP;
		s = url + 7;
	} else if (strncasecmp(url, "socks5://", 9) == 0) {
		p->kind = PROXY_SOCKS5;
		s = url + 9;
	} else if (strncasecmp(url, "socks5h://", 10) == 0) {
		p->kind = PROXY_SOCKS5;
		s = url + 10;
	} else {
		if (strncasecmp(url, "https://", 8) == 0)
			*why = "A proxy reached over TLS (https://) is not "
			    "supported; use http:// or socks5://.";
		goto bad;
	}
	/* The authority ends at the first '/', '?' or '#'. */
	n = strcspn(s, "/?#");
	if (s[n] != '\0' && !(s[n] == '/' && s[n + 1] == '\0'))
		goto bad;
	at = NULL;
	for (hs = s; hs < s + n; hs++)
		if (*hs == '@')
			at = hs;
	if (at != NULL) {
		colon = memchr(s, ':', (size_t)(at - s));
		if (pct_part(s, (size_t)((colon != NULL ? colon : at) - s),
		    p->user, sizeof(p->user), 0) < 1 ||
		    (colon != NULL && pct_part(colon + 1,
		    (size_t)(at - colon - 1), p->pass, sizeof(p->pass), 1) < 0)) {
			*why = "The proxy's user name or password is not "
			    "valid: percent-encode special characters, no "
			    "control characters, and no ':' in the user "
			    "name.";
			goto bad;
		}
		if (strlen(p->user) + 1 + strlen(p->pass) >
		    PROXYURL_AUTH_MAX) {
			*why = "The proxy's user name and password are too "
			    "long (at most 95 bytes together).";
			goto bad;
		}
		p->has_auth = 1;
		hs = at + 1;
	} else
		hs = s;
	/* host ":" port */
	if (*hs == '[') {
		he = memchr(hs, ']', (size_t)(s + n - hs));
		if (he == NULL || he == hs + 1 || (size_t)(he - hs - 1) >
		    PROXYURL_HOST_MAX || strspn(hs + 1,
		    "0123456789abcdefABCDEF:.") != (size_t)(he - hs - 1))
			goto bad;
		memcpy(p->host, hs + 1, (size_t)(he - hs - 1));
		p->host[he - hs - 1] = '\0';
		p->ipv6 = 1;
		ps = he + 1;
	} else {
		he = memchr(hs, ':', (size_t)(s + n - hs));
		if (he == NULL || !host_ok(hs, (size_t)(he - hs))) {
			if (he == NULL)
				*why = "Give the proxy's port, e.g. "
				    "http://proxy.example:3128.";
			goto bad;
		}
		memcpy(p->host, hs, (size_t)(he - hs));
		p->host[he - hs] = '\0';
		ps = he;
	}
	if (*ps != ':' || ps[1] < '1' || ps[1] > '9') {
		*why = "Give the proxy's port, e.g. http://proxy.example:3128.";
		goto bad;
	}
	port = strtol(ps + 1, &end, 10);
	if (end != s + n || port < 1 || port > 65535) {
		*why = "The proxy's port is a number from 1 to 65535.";
		goto bad;
	}
	p->port = (int)port;
	*why = NULL;
	return 0;
bad:
	proxyurl_wipe(p);
	return -1;
}

/* The host as it is written in a URL (IPv6 in brackets). */
static void
host_write(const struct proxy_url *p, struct buf *out)
{

	buf_printf(out, p->ipv6 ? "[%s]:%d" : "%s:%d", p->host, p->port);
}

/*
 * Append the URL for a page or the API to "out": the scheme, the user
 * (percent-encoding what needs it) but never the password, the host
 * and the port: "http://alice@proxy.example:3128".
 */
void
proxyurl_display(const struct proxy_url *p, struct buf *out)
{
	const unsigned char	*u;

	buf_puts(out, p->kind == PROXY_HTTP ? "http://" : "socks5://");
	if (p->has_auth) {
		for (u = (const unsigned char *)p->user; *u != '\0'; u++)
			if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' &&
			    *u <= 'Z') || (*u >= '0' && *u <= '9') ||
			    strchr("-._~", *u) != NULL)
				buf_putc(out, (char)*u);
			else
				buf_printf(out, "%%%02X", *u);
		buf_putc(out, '@');
	}
	host_write(p, out);
}

/*
 * Append "[user:password@]host:port" (decoded) to "out", the form
 * lws_set_proxy() and lws_set_socks() parse (they split at the last
 * '@'; the host holds none).  "out" then holds the password: wipe it.
 */
void
proxyurl_lws(const struct proxy_url *p, struct buf *out)
{

	if (p->has_auth)
		buf_printf(out, "%s:%s@", p->user, p->pass);
	host_write(p, out);
}

/* Wipe the password (and the rest) of "p". */
void
proxyurl_wipe(struct proxy_url *p)
{

	sodium_memzero(p, sizeof(*p));
}
