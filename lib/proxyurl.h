/*
 * A proxy per account (issue 13): the URL an operator types,
 * "http://[user[:password]@]host:port[/]" (HTTP CONNECT) or
 * "socks5://..." (SOCKS5, RFC 1928/1929), parsed to its parts, written
 * back without the password for the pages, and in the
 * "[user:password@]host:port" form libwebsockets' lws_set_proxy() takes
 * (HTTP; SOCKS5 is daemon/wa/tunnel.c's, from the parts).  Shared by wadesk.fcgi (which checks and seals
 * it, cgi/page_account.c) and wadeskd (which opens and uses it,
 * daemon/proxy.c); pure, no allocation but in the buf helpers.
 */
#ifndef WADESK_PROXYURL_H
#define WADESK_PROXYURL_H

#include "buf.h"

#define	PROXYURL_MAX		512	/* bytes of a URL, NUL excluded */
#define	PROXYURL_HOST_MAX	253	/* a DNS name's limit */
#define	PROXYURL_AUTH_MAX	95	/* "user:password", lws' limit */

enum	proxy_kind {
	PROXY_HTTP,		/* HTTP CONNECT (RFC 9110 9.3.6) */
	PROXY_SOCKS5		/* SOCKS5 (RFC 1928), user/pass RFC 1929 */
};

struct	proxy_url {
	enum proxy_kind	 kind;
	char		 host[PROXYURL_HOST_MAX + 1]; /* name, IPv4, or IPv6
						   without brackets */
	int		 ipv6;			/* host was [..] */
	int		 port;			/* 1..65535 */
	int		 has_auth;
	char		 user[PROXYURL_AUTH_MAX + 1];	/* percent-decoded */
	char		 pass[PROXYURL_AUTH_MAX + 1];	/* percent-decoded */
};

int	 proxyurl_parse(const char *url, struct proxy_url *p,
	    const char **why);
void	 proxyurl_display(const struct proxy_url *p, struct buf *out);
void	 proxyurl_lws(const struct proxy_url *p, struct buf *out);
void	 proxyurl_wipe(struct proxy_url *p);

#endif /* !WADESK_PROXYURL_H */
