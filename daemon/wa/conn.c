/*
 * The WebSocket client under the WhatsApp protocol; see conn.h.  Runs
 * on the caller's lws_context: connections are made on a vhost named
 * "wa-md" that this file adds to the context the first time (so the
 * caller's own protocol list need not know about us), each wsi finds
 * its struct wa_conn through lws' opaque user data, and nothing here is
 * global.  Facts: endpoint, Origin and the no-cache headers per spec
 * 1.1 (whatsmeow socket/framesocket.go); binary messages only, text
 * messages ignored; every outbound frame is its own WebSocket message
 * (spec 1.2).  No permessage-deflate is offered (valid WebSocket; the
 * server does not require it, spec 1.1).  An account's HTTP CONNECT
 * proxy is lws' own (a vhost per proxy); a SOCKS5 proxy is ours
 * (tunnel.c: lws 4.1.6 on Debian has no SOCKS5), and lws connects to
 * the tunnel's loopback end once the proxy made the CONNECT.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <sodium.h>

#include "buf.h"
#include "conn.h"
#include "frame.h"
#include "log.h"
#include "proxyurl.h"
#include "tunnel.h"
#include "xalloc.h"

#define	WA_VHOST_NAME		"wa-md"
#define	WA_PROTOCOL_NAME	"wa-md"

/* One queued outbound WebSocket message: LWS_PRE spare bytes, then it. */
struct	outmsg {
	struct outmsg	*next;
	struct buf	 b;		/* LWS_PRE bytes, then the message */
};

struct	wa_conn {
	struct lws		*wsi;		/* NULL once lws let go */
	struct wa_conn_cbs	 cbs;		/* callbacks up */
	void			*arg;		/* their argument */
	struct wa_frame_rx	 rx;		/* inbound reassembly */
	struct wa_frame_tx	 tx;		/* outbound 'WA' header state */
	struct outmsg		*q_head;	/* oldest queued message */
	struct outmsg		*q_tail;	/* newest queued message */
	size_t			 q_bytes;	/* bytes queued */
	int			 established;	/* upgrade completed */
	int			 detached;	/* no more callbacks up */
	int			 in_open;	/* inside wa_conn_open() */
	int			 dead;		/* lws ended it in open */
	int			 in_cb;		/* inside conn_lws_cb() */
	int			 write_failed;	/* a direct write failed; the
						   writeable callback ends it */
	char			*origin;	/* Origin header value */
	char			*host;		/* for a failure's cause: the
						   server's, or the proxy's */
	int			 port;
	int			 proxied;	/* through an account's proxy */
	int			 tls_unverified; /* OpenSSL refused the
						   server's certificate */
	struct wa_tunnel	*tunnel;	/* SOCKS5, until it is up */
	struct lws_client_connect_info ci;	/* what lws is to connect to;
						   strings below */
	char			*ci_host;	/* the server's host name */
	char			*ci_path;	/* "/" and the URL's path */
};

/* How long a SOCKS5 proxy has for the TCP connect and the whole
 * handshake, ms: half of the client's handshake timeout
 * (WA_HANDSHAKE_TIMEOUT_MS, 20 s), so that the proxy's failure is what
 * the operator reads. */
#define	SOCKS5_TIMEOUT_MS	10000

/* How long the refusal probe may wait for the peer's answer, ms, and
 * how seldom it runs at all (per process), us: when a server is down
 * every session fails at once, and each probe stalls the event loop. */
#define	PROBE_WAIT_MS		50
#define	PROBE_EVERY_US		(5 * LWS_US_PER_SEC)

static int	conn_lws_cb(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);

/*
 * No lws validity pings (secs_since_valid_* 0): the WhatsApp keepalive
 * (client.c) watches the connection.  lws 4.1's default (300/310 s)
 * re-arms a timer on every frame received, at the far end of its one
 * sorted timer list: a walk past every session's timer (issue 8).
 */
static const lws_retry_bo_t	wa_no_validity = { .secs_since_valid_ping = 0 };

static const struct lws_protocols	wa_protocols[] = {
	{ WA_PROTOCOL_NAME, conn_lws_cb, 0, 0, 0, NULL, 0 },
	{ WA_TUNNEL_PROTOCOL, wa_tunnel_lws_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/*
 * Check that url is a ws:// or wss:// URL lws can connect to.
 * Returns 0, or -1 (logged).
 */
int
wa_conn_url_check(const char *url)
{
	char		*u;
	const char	*prot, *ads, *path;
	int		 port, rc = -1;

	if (url == NULL || *url == '\0') {
		log_warnx("%s: empty URL", __func__);
		return -1;
	}
	u = xstrdup(url);
	if (lws_parse_uri(u, &prot, &ads, &port, &path) != 0 ||
	    *ads == '\0')
		log_warnx("%s: cannot parse URL", __func__);
	else if (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0)
		log_warnx("%s: not a ws:// or wss:// URL", __func__);
	else
		rc = 0;
	free(u);
	return rc;
}

/*
 * lws 4.1 keeps the pointer it is given as a vhost's name (it does not
 * copy it; an early version of this file lost a stack buffer that
 * way), so the names of proxy vhosts live here, one allocation each
 * for the life of the process (with probe_cause()'s memory, the only
 * state this file keeps between connections).  One lws service thread,
 * as everywhere in this file.
 */
struct	vh_name {
	struct vh_name	*next;
	char		 name[32];
};
static struct vh_name	*vh_names;

static const char *
vh_name_keep(const char *name)
{
	struct vh_name	*n;

	for (n = vh_names; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n->name;
	n = xcalloc(1, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->next = vh_names;
	vh_names = n;
	return n->name;
}

/*
 * The vhost our connections live on, created on first use.  lws 4.1
 * keeps an HTTP proxy in the vhost (lws_set_proxy();
 * lib/core-net/client.c), so each distinct HTTP proxy ("lws", the
 * "[user:pass@]host:port" form of lib/proxyurl.h; "pu" NULL: none, or
 * a SOCKS5 proxy, which tunnel.c speaks to) gets a vhost of its own,
 * named by a hash of that form so the password is not in the name; it
 * lives as long as the context.  A vhost lws refuses the proxy for is
 * destroyed at once: none may ever carry an account directly.
 */
static struct lws_vhost *
conn_vhost(struct lws_context *ctx, const struct proxy_url *pu,
    const char *lws)
{
	struct lws_context_creation_info	 info;
	struct lws_vhost			*vh;
	unsigned char				 h[8];
	char					 name[32], hex[17];

	if (pu == NULL)
		snprintf(name, sizeof(name), "%s", WA_VHOST_NAME);
	else {
		crypto_generichash(h, sizeof(h), (const unsigned char *)lws,
		    strlen(lws), NULL, 0);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		snprintf(name, sizeof(name), "%s-ph-%s", WA_VHOST_NAME, hex);
	}
	if ((vh = lws_get_vhost_by_name(ctx, name)) != NULL)
		return vh;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = wa_protocols;
	info.vhost_name = pu == NULL ? WA_VHOST_NAME : vh_name_keep(name);
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if ((vh = lws_create_vhost(ctx, &info)) == NULL) {
		log_warnx("%s: cannot create the %s vhost", __func__, name);
		return NULL;
	}
	if (pu != NULL && lws_set_proxy(vh, lws) != 0) {
		log_warnx("%s: lws refused the proxy setting", __func__);
		lws_vhost_destroy(vh);
		return NULL;
	}
	return vh;
}

static void
queue_free(struct wa_conn *c)
{
	struct outmsg	*m;

	while ((m = c->q_head) != NULL) {
		c->q_head = m->next;
		buf_free(&m->b);
		free(m);
	}
	c->q_tail = NULL;
	c->q_bytes = 0;
}

static void
conn_free(struct wa_conn *c)
{

	queue_free(c);
	wa_frame_rx_free(&c->rx);
	free(c->origin);
	free(c->host);
	free(c->ci_host);
	free(c->ci_path);
	free(c);
}

/*
 * Report the end once (unless the owner already closed), then forget
 * the owner.
 */
static void
conn_end(struct wa_conn *c, enum wa_conn_end why, const char *detail)
{

	if (c->detached)
		return;
	c->detached = 1;
	if (c->cbs.on_end != NULL)
		c->cbs.on_end(c->arg, why, detail);
}

/*
 * lws let go of the wsi: report if nobody knows yet and free, unless
 * we are still inside wa_conn_open(), which then cleans up.
 */
static void
conn_gone(struct lws *wsi, struct wa_conn *c, enum wa_conn_end why,
    const char *detail)
{

	lws_set_opaque_user_data(wsi, NULL);
	c->wsi = NULL;
	if (c->in_open) {
		c->dead = 1;
		return;
	}
	conn_end(c, why, detail);
	conn_free(c);
}

/* Push one WebSocket message into the frame stream; hand frames up. */
static int
conn_receive(struct wa_conn *c, const void *in, size_t len)
{
	const uint8_t	*f;
	size_t		 n;
	int		 rc;

	if (wa_frame_rx_push(&c->rx, in, len) == -1) {
		conn_end(c, WA_CONN_END_FRAMING, "frame stream failed");
		return -1;
	}
	while (!c->detached && (rc = wa_frame_rx_next(&c->rx, &f, &n)) != 0) {
		if (rc == -1) {
			conn_end(c, WA_CONN_END_FRAMING, "frame too large");
			return -1;
		}
		if (c->cbs.on_frame != NULL)
			c->cbs.on_frame(c->arg, f, n);
	}
	return c->detached ? -1 : 0;
}

/* Write the oldest queued message; ask for more writable callbacks. */
static int
conn_writeable(struct lws *wsi, struct wa_conn *c)
{
	struct outmsg	*m;
	size_t		 len;

	if (c->detached)
		return -1;
	if (c->write_failed) {
		conn_end(c, WA_CONN_END_LOST, "write failed");
		return -1;
	}
	if ((m = c->q_head) == NULL)
		return 0;
	len = m->b.len - LWS_PRE;
	if (lws_write(wsi, (unsigned char *)m->b.data + LWS_PRE, len,
	    LWS_WRITE_BINARY) < (int)len) {
		conn_end(c, WA_CONN_END_LOST, "write failed");
		return -1;
	}
	c->q_head = m->next;
	if (c->q_head == NULL)
		c->q_tail = NULL;
	c->q_bytes -= m->b.len;
	buf_free(&m->b);
	free(m);
	if (c->q_head != NULL)
		lws_callback_on_writable(wsi);
	return 0;
}

/*
 * Add the Origin header (spec 1.1).  lws 4.1 would prefix the value of
 * its own origin field with "http://" unless the caller's context was
 * made with LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN, so we write it.
 * lws itself already sends "Cache-Control: no-cache" and "Pragma:
 * no-cache", the two other headers whatsmeow sends.
 */
static int
conn_headers(struct wa_conn *c, void *in, size_t len)
{
	char	**p = in;
	int	  n;

	if (c->origin == NULL)
		return 0;
	n = snprintf(*p, len, "Origin: %s\x0d\x0a", c->origin);
	if (n < 0 || (size_t)n >= len)
		return -1;
	*p += n;
	return 0;
}

/*
 * lws 4.1 reports every failed TCP connect as "Unable to connect": it
 * reads the socket's error itself and closes it before telling us.  To
 * name the cause for the operator (issue 8: "refused" is not
 * "unreachable"), try the same address once more with a non-blocking
 * connect and wait at most PROBE_WAIT_MS for the kernel's answer: a
 * refusal from a near or local peer is back by then.  This stalls the
 * event loop for that long plus the name lookup lws itself just made
 * (also blocking in lws 4.1), and only on the failure path, so at most
 * one extra SYN per failed attempt; back-off spaces the attempts, and
 * the probe runs at most once per PROBE_EVERY_US in the process, so a
 * server outage failing thousands of sessions at once stalls the loop
 * for at most PROBE_WAIT_MS in every 5 s (1 %).  A failure to the
 * same host and port inside that 5 s reports the last probe's verdict
 * (a session retrying a refused server keeps saying "refused", not
 * lws' vaguer words); other addresses report lws' words.  Writes the
 * words into why ("" when the probe learns nothing or did not run).
 * Not thread-safe: one lws service thread, as lws.
 */
static void
probe_cause(const struct wa_conn *c, char *why, size_t len)
{
	struct addrinfo	 hints, *ai = NULL;
	struct pollfd	 pfd;
	socklen_t	 sl = sizeof(int);
	char		 port[16];
	int		 fd = -1, e = 0;
	static lws_usec_t last_probe;
	static struct {
		char	 host[256];
		int	 port;
		char	 why[64];
	}		 last;		/* the last probe's address and verdict */
	lws_usec_t	 now;

	why[0] = '\0';
	now = lws_now_usecs();
	if (last_probe != 0 && now - last_probe < PROBE_EVERY_US) {
		if (c->host != NULL && c->port == last.port &&
		    strcmp(c->host, last.host) == 0)
			snprintf(why, len, "%s", last.why);
		return;
	}
	last_probe = now;
	last.why[0] = '\0';
	last.port = c->port;
	snprintf(last.host, sizeof(last.host), "%s",
	    c->host != NULL ? c->host : "");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", c->port);
	if (c->host == NULL || getaddrinfo(c->host, port, &hints, &ai) != 0)
		return;
	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK,
	    ai->ai_protocol)) == -1)
		goto out;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto out;	/* it answers now: nothing to say */
	e = errno;
	if (e == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		e = 0;
		if (poll(&pfd, 1, PROBE_WAIT_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
			e = 0;
	}
	if (e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH) {
		snprintf(why, len, "%s", strerror(e));
		snprintf(last.why, sizeof(last.why), "%s", strerror(e));
	}
out:
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
}

/*
 * A connection through a proxy failed with lws' words "lws_words":
 * when they are about the proxy, report the end as a proxy failure,
 * worded for the operator, and return 1; else 0 (the server's own
 * failure, seen through the tunnel).  lws 4.1.6 words a CONNECT that
 * is not answered "HTTP/1.x 200 " as "proxy not h1", a proxy that hangs
 * up or fails a read or write as "proxy conn dead", "proxy read err",
 * "proxy write failed" (lib/roles/http/client/client-http.c and
 * client-handshake.c), and a proxy it cannot reach like any peer.
 */
static int
proxy_failure(struct wa_conn *c, struct lws *wsi, const char *lws_words)
{
	char	 detail[256], why[64];

	if (strcmp(lws_words, "proxy not h1") == 0)
		snprintf(detail, sizeof(detail), "the proxy %.80s:%d refused the "
		    "CONNECT (no 200 answer: wrong credentials, or the "
		    "destination is not allowed)", c->host, c->port);
	else if (strncmp(lws_words, "proxy", 5) == 0)
		snprintf(detail, sizeof(detail), "the proxy %.80s:%d hung up "
		    "during the CONNECT (%.40s)", c->host, c->port, lws_words);
	else if (strcmp(lws_words, "Unable to connect") == 0 ||
	    strstr(lws_words, "getaddrinfo") != NULL ||
	    strcmp(lws_words, "connect error") == 0) {
		probe_cause(c, why, sizeof(why));
		snprintf(detail, sizeof(detail), "cannot connect to the proxy "
		    "%.80s:%d%s%s", c->host, c->port, why[0] != '\0' ? ": " : "",
		    why);
		conn_gone(wsi, c, WA_CONN_END_PROXY_UNREACHABLE, detail);
		return 1;
	} else
		return 0;
	conn_gone(wsi, c, WA_CONN_END_PROXY_REFUSED, detail);
	return 1;
}

/*
 * The lws callback for our protocol.  Finds the connection through the
 * wsi's opaque user data; a NULL there means the owner is gone and the
 * wsi is only being closed.
 */
static int
conn_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	const struct lws_protocols	*prot;
	struct wa_conn	*c;
	char		 detail[160], why[64];
	unsigned int	 status;
	int		 rc;

	/* As the vhost's first protocol we also hear of the tunnel's raw
	 * descriptors (tunnel.c), whose opaque data is not ours. */
	if ((prot = lws_get_protocol(wsi)) != NULL &&
	    prot->callback != conn_lws_cb)
		return 0;
	if ((c = lws_get_opaque_user_data(wsi)) == NULL)
		return reason == LWS_CALLBACK_CLIENT_WRITEABLE ||
		    reason == LWS_CALLBACK_CLIENT_RECEIVE ? -1 : 0;
	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/* len is OpenSSL's preverify_ok; lws then fails the
		 * handshake with a generic "SSL err": remember why.  Never
		 * overrules the verdict. */
		if (len == 0)
			c->tls_unverified = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return conn_headers(c, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(detail, sizeof(detail), "%.*s",
		    in == NULL ? 13 : (int)(len > 120 ? 120 : len),
		    in == NULL ? "connect error" : (const char *)in);
		if (c->tls_unverified)
			snprintf(detail, sizeof(detail), "TLS certificate "
			    "verify failed");
		else if ((status = lws_http_client_http_response(wsi)) != 0)
			snprintf(detail, sizeof(detail), "HTTP %u on upgrade",
			    status);
		else if (c->proxied && proxy_failure(c, wsi, detail))
			return 0;
		else if (strcmp(detail, "Unable to connect") == 0) {
			probe_cause(c, why, sizeof(why));
			if (why[0] != '\0')
				snprintf(detail, sizeof(detail), "Unable to "
				    "connect: %s", why);
		}
		conn_gone(wsi, c, WA_CONN_END_CONNECT_FAILED, detail);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->established = 1;
		c->in_cb = 1;
		if (!c->detached && c->cbs.on_open != NULL)
			c->cbs.on_open(c->arg);
		c->in_cb = 0;
		if (c->detached)
			return -1;
		if (c->q_head != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c->detached)
			return -1;
		if (!lws_frame_is_binary(wsi))
			return 0;	/* whatsmeow ignores text messages */
		c->in_cb = 1;
		rc = conn_receive(c, in, len);
		c->in_cb = 0;
		return rc;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return conn_writeable(wsi, c);
	case LWS_CALLBACK_CLIENT_CLOSED:
		conn_gone(wsi, c, WA_CONN_END_LOST, "connection closed");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		/* Never established and no error reported: lws gave up
		 * waiting (its connect or upgrade timeout). */
		conn_gone(wsi, c, c->established ? WA_CONN_END_LOST :
		    WA_CONN_END_CONNECT_FAILED, c->established ?
		    "connection gone" : "timed out waiting for the server");
		return 0;
	default:
		return 0;
	}
}

/*
 * Why lws_client_connect_via_info() refused at once: lws 4.1 resolves
 * the name synchronously there, so check whether the name resolves.
 * Writes into err (errlen bytes; NULL: nothing to do).
 */
static void
open_cause(const char *host, char *err, size_t errlen)
{
	struct addrinfo	 hints, *ai = NULL;
	int		 rc;

	if (err == NULL || errlen == 0)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0)
		snprintf(err, errlen, "getaddrinfo failed: %s",
		    gai_strerror(rc));
	else
		snprintf(err, errlen, "connect error");
	freeaddrinfo(ai);
}

/* wa_conn_open() gives up before connecting: say why in "cfg". */
static void
open_fail(const struct wa_conn_cfg *cfg, enum wa_conn_end why,
    const char *words)
{

	if (cfg->fail != NULL)
		*cfg->fail = why;
	if (cfg->err != NULL && cfg->errlen > 0)
		snprintf(cfg->err, cfg->errlen, "%s", words);
	log_warnx("%s: %s", __func__, words);
}

/*
 * tunnel.c: the SOCKS5 proxy made the CONNECT; point lws at the
 * tunnel's loopback end (the Host header, TLS SNI and the certificate
 * check keep the real server's name: c->ci.host, see tunnel.c).
 * Returns 0, or -1 when lws refused at once (then the end is reported
 * and "c" freed).
 */
static int
tunnel_ready(void *arg, int port)
{
	struct wa_conn		*c = arg;
	struct wa_tunnel	*t = c->tunnel;
	struct lws		*wsi;

	c->tunnel = NULL;
	free(c->host);
	c->host = xstrdup("127.0.0.1");
	c->port = port;
	c->ci.address = "127.0.0.1";
	c->ci.port = port;
	c->in_open = 1;
	wsi = lws_client_connect_via_info(&c->ci);
	c->in_open = 0;
	if (wsi == NULL || c->dead) {
		conn_end(c, WA_CONN_END_CONNECT_FAILED, "cannot connect to the "
		    "local end of the SOCKS5 tunnel");
		conn_free(c);
		return -1;
	}
	c->wsi = wsi;
	/* Without the socket's address the tunnel takes no connection:
	 * lws then sees it closed and reports the end. */
	return wa_tunnel_expect(t, lws_get_socket_fd(wsi));
}

/* tunnel.c: the SOCKS5 proxy failed us; report and free. */
static void
tunnel_fail(void *arg, enum wa_conn_end why, const char *detail)
{
	struct wa_conn	*c = arg;

	c->tunnel = NULL;
	conn_end(c, why, detail);
	conn_free(c);
}

static const struct wa_tunnel_cbs	tunnel_cbs = {
	tunnel_ready,
	tunnel_fail
};

/*
 * Open a WebSocket client connection to cfg->url on cfg->lws, through
 * cfg->proxy if set: an HTTP CONNECT proxy by lws, a SOCKS5 one by
 * tunnel.c (the TCP connect and the handshake have SOCKS5_TIMEOUT_MS).
 * Returns the connection (owned by the caller until wa_conn_close() or
 * on_end), or NULL (logged) if it could not even be started; then no
 * callback is made.  Later failures arrive as on_end():
 * WA_CONN_END_CONNECT_FAILED, or a proxy's kind with its sentence.
 */
struct wa_conn *
wa_conn_open(const struct wa_conn_cfg *cfg, const struct wa_conn_cbs *cbs,
    void *arg)
{
	struct proxy_url		 pu;
	struct wa_conn			*c;
	struct lws			*wsi;
	struct lws_vhost		*vh;
	struct buf			 lws;
	char				*u = NULL, err[256];
	const char			*prot, *ads, *p, *why;
	enum wa_conn_end		 fail = WA_CONN_END_CONNECT_FAILED;
	int				 port, proxied = 0, socks = 0;

	if (wa_conn_url_check(cfg->url) == -1)
		return NULL;
	buf_init(&lws);
	if (cfg->proxy != NULL) {
		if (proxyurl_parse(cfg->proxy, &pu, &why) == -1) {
			open_fail(cfg, WA_CONN_END_PROXY_UNREACHABLE,
			    "the proxy setting is not a valid proxy URL");
			return NULL;
		}
		if (pu.kind == PROXY_SOCKS5)
			socks = 1;
		else {
			proxyurl_lws(&pu, &lws);
			proxied = 1;
		}
	}
	vh = conn_vhost(cfg->lws, proxied ? &pu : NULL, buf_str(&lws));
	sodium_memzero(lws.data, lws.cap);
	buf_free(&lws);
	if (vh == NULL) {
		if (proxied || socks)
			proxyurl_wipe(&pu);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->proxied = proxied;
	c->cbs = *cbs;
	c->arg = arg;
	if (cfg->origin != NULL && *cfg->origin != '\0') {
		if (strpbrk(cfg->origin, "\r\n") != NULL) {
			log_warnx("%s: bad Origin", __func__);
			if (proxied || socks)
				proxyurl_wipe(&pu);
			free(c);
			return NULL;
		}
		c->origin = xstrdup(cfg->origin);
	}
	wa_frame_rx_init(&c->rx, cfg->max_frame);
	wa_frame_tx_init(&c->tx);

	u = xstrdup(cfg->url);
	if (lws_parse_uri(u, &prot, &ads, &port, &p) != 0) {
		if (proxied || socks)	/* checked above; cannot happen */
			proxyurl_wipe(&pu);
		goto fail;
	}
	if (proxied) {
		/* A failure before the tunnel is the proxy's. */
		c->host = xstrdup(pu.host);
		c->port = pu.port;
		proxyurl_wipe(&pu);
	} else {
		c->host = xstrdup(ads);
		c->port = port;
	}
	c->ci_host = xstrdup(ads);
	c->ci_path = xasprintf("/%s", p);
	c->ci.context = cfg->lws;
	c->ci.vhost = vh;
	c->ci.address = c->ci_host;
	c->ci.port = port;
	c->ci.path = c->ci_path;
	c->ci.host = c->ci_host;
	c->ci.local_protocol_name = WA_PROTOCOL_NAME;
	c->ci.opaque_user_data = c;
	c->ci.retry_and_idle_policy = &wa_no_validity;
	if (strcmp(prot, "wss") == 0) {
		c->ci.ssl_connection = LCCSCF_USE_SSL;
		if (cfg->insecure)
			c->ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
			    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	}
	free(u);
	u = NULL;
	if (socks) {
		err[0] = '\0';
		c->tunnel = wa_tunnel_open(cfg->lws, vh, &pu, c->ci_host,
		    port, SOCKS5_TIMEOUT_MS, &tunnel_cbs, c, &fail, err,
		    sizeof(err));
		proxyurl_wipe(&pu);
		if (c->tunnel == NULL) {
			open_fail(cfg, fail, err);
			goto fail;
		}
		return c;
	}
	c->in_open = 1;
	wsi = lws_client_connect_via_info(&c->ci);
	c->in_open = 0;
	if (wsi == NULL || c->dead) {
		open_cause(c->host, cfg->err, cfg->errlen);
		if (c->proxied && cfg->fail != NULL)
			*cfg->fail = WA_CONN_END_PROXY_UNREACHABLE;
		log_warnx("%s: cannot connect to %s:%d%s%s", __func__,
		    c->ci_host, port, cfg->err != NULL ? ": " : "",
		    cfg->err != NULL ? cfg->err : "");
		goto fail;
	}
	c->wsi = wsi;
	return c;
fail:
	free(u);
	conn_free(c);
	return NULL;
}

/*
 * Write message "m" (LWS_PRE bytes, then the message) at once, outside
 * lws' writeable callback, when that is safe: the upgrade is done,
 * nothing of ours is queued (order), we are not inside this
 * connection's own lws callback (lws is parsing its input there), and
 * lws_send_pipe_choked() says lws holds no partial write of its own
 * and the socket takes more now (lws 4.1 unix-sockets.c: one poll(2)
 * with POLLOUT), the check lws' author gives for a write outside the
 * callback (warmcat/libwebsockets#852).  Should the kernel take only
 * part, lws keeps the rest and sends it first when the socket is
 * writable again (lib/core-net/output.c lws_issue_raw), as for a write
 * inside the callback; a connection lws is closing drops it there.
 * Issue 8: a keepalive ping written from its timer this way costs one
 * poll(2), not two epoll_ctl(2) and a loop wake-up.  Returns 1 if it
 * went (or failed: then c->write_failed is set and the writeable
 * callback ends the connection, never its caller), 0 if the caller
 * should queue it.
 */
static int
conn_write_now(struct wa_conn *c, struct outmsg *m)
{
	size_t	 len;

	if (!c->established || c->q_head != NULL || c->in_cb ||
	    c->write_failed || lws_send_pipe_choked(c->wsi))
		return 0;
	len = m->b.len - LWS_PRE;
	if (lws_write(c->wsi, (unsigned char *)m->b.data + LWS_PRE, len,
	    LWS_WRITE_BINARY) < (int)len) {
		c->write_failed = 1;
		lws_callback_on_writable(c->wsi);
	}
	buf_free(&m->b);
	free(m);
	return 1;
}

/*
 * Send one frame (payload of len bytes, copied) as its own binary
 * WebSocket message, at once when conn_write_now() may, else queued
 * for the writeable callback; the first frame of the connection
 * carries the 'WA' header in front.  Returns 0, or -1 (logged) if the
 * payload is too large or the connection is closed.
 */
int
wa_conn_send(struct wa_conn *c, const void *payload, size_t len)
{
	static const uint8_t	 pre[LWS_PRE];
	struct outmsg		*m;

	if (c->detached || c->wsi == NULL) {
		log_warnx("%s: connection closed", __func__);
		return -1;
	}
	m = xcalloc(1, sizeof(*m));
	buf_init(&m->b);
	buf_append(&m->b, pre, sizeof(pre));
	if (wa_frame_encode(&c->tx, payload, len, &m->b) == -1) {
		buf_free(&m->b);
		free(m);
		return -1;
	}
	if (conn_write_now(c, m))
		return 0;
	if (c->q_tail != NULL)
		c->q_tail->next = m;
	else
		c->q_head = m;
	c->q_tail = m;
	c->q_bytes += m->b.len;
	if (c->established)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * Close the connection without any further callback; the memory is
 * released when lws lets go of the socket.  NULL is a no-op.
 */
void
wa_conn_close(struct wa_conn *c)
{

	if (c == NULL)
		return;
	c->detached = 1;
	queue_free(c);
	if (c->tunnel != NULL) {
		wa_tunnel_cancel(c->tunnel);
		c->tunnel = NULL;
	}
	if (c->wsi == NULL) {
		conn_free(c);
		return;
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Approximate heap bytes held by the connection (for benchmarks). */
size_t
wa_conn_mem(const struct wa_conn *c)
{

	return sizeof(*c) + c->rx.cap + c->q_bytes;
}
