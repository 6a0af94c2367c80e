/*
 * tunnel.h: internal to daemon/wa (conn.c uses it).  A SOCKS5 tunnel
 * for one WebSocket connection, bridged to libwebsockets through a
 * private loopback endpoint: libwebsockets 4.1 can neither speak SOCKS5
 * (Debian's 4.1.6 is built without LWS_WITH_SOCKS5) nor be handed a
 * socket that is already connected, so the tunnel connects to the
 * proxy itself, makes the CONNECT (socks5.h), then listens on
 * 127.0.0.1, port 0, for exactly one connection, from the lws client
 * socket named by wa_tunnel_expect(), and splices the bytes of the two
 * sockets both ways until either side closes.  Runs on the lws event
 * loop of the vhost it is given (its sockets are adopted as raw file
 * descriptors on protocol WA_TUNNEL_PROTOCOL, which the vhost must
 * list with wa_tunnel_lws_cb); never blocks: the proxy's name is
 * looked up with getaddrinfo_a() (glibc's thread), polled from the
 * loop, where lws 4.1's own client connect would block the loop, and
 * every session on it, for as long as the resolver takes.
 */
#ifndef WADESK_WA_TUNNEL_H
#define WADESK_WA_TUNNEL_H

#include <stddef.h>

#include <libwebsockets.h>

#include "conn.h"
#include "proxyurl.h"

#define	WA_TUNNEL_PROTOCOL	"wa-socks5"

struct wa_tunnel;

/*
 * Callbacks to the owner, from inside lws_service(), with the "arg"
 * given to wa_tunnel_open().  At most one of them is called, once.
 */
struct	wa_tunnel_cbs {
	/* The proxy made the tunnel: connect to 127.0.0.1:"port" now and
	 * name the socket with wa_tunnel_expect(), within the call.
	 * Return 0, or -1 to give the tunnel up.  No callback follows:
	 * from here the tunnel lives on its own and ends with either
	 * socket. */
	int	(*ready)(void *arg, int port);
	/* The tunnel failed before it was ready: "why" is
	 * WA_CONN_END_PROXY_REFUSED or _UNREACHABLE (the proxy's
	 * failure), or _CONNECT_FAILED (this side could not open the
	 * tunnel's loopback end), "detail" a sentence
	 * without the password (borrowed for the call).  The tunnel is
	 * gone once this returns. */
	void	(*fail)(void *arg, enum wa_conn_end why, const char *detail);
};

struct wa_tunnel *wa_tunnel_open(struct lws_context *ctx,
		    struct lws_vhost *vh, const struct proxy_url *pu,
		    const char *host, int port, unsigned int timeout_ms,
		    const struct wa_tunnel_cbs *cbs, void *arg,
		    enum wa_conn_end *fail, char *err, size_t errlen);
int		 wa_tunnel_expect(struct wa_tunnel *t, int fd);
void		 wa_tunnel_cancel(struct wa_tunnel *t);
int		 wa_tunnel_lws_cb(struct lws *wsi,
		    enum lws_callback_reasons reason, void *user, void *in,
		    size_t len);

#endif /* !WADESK_WA_TUNNEL_H */
