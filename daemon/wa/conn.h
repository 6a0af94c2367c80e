/*
 * conn.h: internal to daemon/wa (client.c uses it; not part of wa.h).
 * One WebSocket client connection on a caller's lws_context, carrying
 * the frame stream of frame.h: it sends each outbound frame as its own
 * binary WebSocket message (spec 1.2), the first one preceded by the
 * 'WA' header (spec 1.3), and hands up every reassembled inbound frame.
 */
#ifndef WADESK_WA_CONN_H
#define WADESK_WA_CONN_H

#include <stddef.h>
#include <stdint.h>

struct lws_context;
struct wa_conn;

/* Why a connection ended (reported once by the on_end callback). */
enum	wa_conn_end {
	WA_CONN_END_CONNECT_FAILED,	/* DNS, TCP, TLS, HTTP upgrade */
	WA_CONN_END_LOST,		/* peer closed or socket error */
	WA_CONN_END_FRAMING,		/* oversized or broken frame */
	WA_CONN_END_PROXY_REFUSED,	/* the proxy refused the CONNECT or
					   hung up on it */
	WA_CONN_END_PROXY_UNREACHABLE,	/* no connection to the proxy, or
					   no answer from it */
	WA_CONN_END__MAX
};

/*
 * Callbacks from inside lws_service().  "arg" is the pointer given to
 * wa_conn_open().  After on_end, or after wa_conn_close(), none is
 * called again.  on_frame's bytes are borrowed for the call.
 */
struct	wa_conn_cbs {
	void	(*on_open)(void *arg);
	void	(*on_frame)(void *arg, const uint8_t *frame, size_t len);
	void	(*on_end)(void *arg, enum wa_conn_end why,
		    const char *detail);
};

/* Settings for one connection; strings are copied. */
struct	wa_conn_cfg {
	struct lws_context	*lws;		/* borrowed, required */
	const char		*url;		/* ws:// or wss:// */
	const char		*proxy;		/* NULL, or an account's proxy
						   URL (lib/proxyurl.h) */
	const char		*origin;	/* Origin header value */
	int			 insecure;	/* 1: accept any TLS cert */
	size_t			 max_frame;	/* inbound frame limit */
	char			*err;		/* when open returns NULL: why
						   ("getaddrinfo failed: ..."),
						   or NULL */
	size_t			 errlen;	/* bytes at err */
	enum wa_conn_end	*fail;		/* when open returns NULL: the
						   kind of failure, or NULL */
};

int		 wa_conn_url_check(const char *url);
struct wa_conn	*wa_conn_open(const struct wa_conn_cfg *cfg,
		    const struct wa_conn_cbs *cbs, void *arg);
int		 wa_conn_send(struct wa_conn *c, const void *payload,
		    size_t len) __attribute__((warn_unused_result));
void		 wa_conn_close(struct wa_conn *c);
size_t		 wa_conn_mem(const struct wa_conn *c);

#endif /* !WADESK_WA_CONN_H */
