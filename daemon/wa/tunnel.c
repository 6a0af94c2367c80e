/*
 * The SOCKS5 tunnel of one connection; see tunnel.h.  States:
 *
 *	RESOLVING   the proxy's name being looked up off the event loop
 *		    (getaddrinfo_a(), polled from the loop)
 *	CONNECTING  non-blocking connect to the proxy
 *	GREETING    greeting sent (RFC 1928 section 3), waiting for the
 *		    method
 *	AUTH	    user/password sent (RFC 1929), waiting for the status
 *	CONNECT	    CONNECT sent (RFC 1928 section 4), waiting for the
 *		    reply (section 6)
 *	LISTEN	    tunnel up; listening on 127.0.0.1 for lws' socket
 *	SPLICE	    copying bytes both ways
 *	DEAD	    torn down; freed when lws let go of the last socket
 *
 * Why a loopback listener rather than a unix socket in a 0700
 * directory: a unix address for lws 4.1's client depends on a build
 * option (LWS_WITH_UNIX_SOCK) and is not part of its documented
 * lws_client_connect_info; every lws client connects to 127.0.0.1.  The
 * listener is open only between the proxy's "succeeded" and the first
 * connection from lws' own socket (wa_tunnel_expect() names it by its
 * local address, which the accepted peer address must equal), and at
 * most the timeout; any other local connection is closed unread, so a
 * local user cannot ride the tunnel.  TLS and the Host header are
 * unaffected: lws 4.1 takes the SNI name and the certificate host check
 * from the connection's host, not its address (lib/tls/openssl/
 * openssl-client.c, lws_ssl_client_bio_create(): CIS_HOST), and conn.c
 * sets the host to the real server's.
 *
 * Backpressure: each direction has one TUNNEL_BUF buffer; when it is
 * full, reading the sending side stops (lws_rx_flow_control()) until
 * the receiving side took some.  When either side ends (EOF or an
 * error), it is read no more, what it sent before is still written to
 * the other side (a server's last words, such as a stream error, are
 * why it hung up), and then both sockets are closed: the WebSocket
 * above has no half-close.  Only what the proxy sends after "succeeded"
 * and before lws' socket arrived is dropped if the proxy ends first.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <sodium.h>

#include "log.h"
#include "proxyurl.h"
#include "socks5.h"
#include "tunnel.h"
#include "xalloc.h"

#define	TUNNEL_BUF	16384		/* bytes buffered each way */
#define	DNS_POLL_MIN_US	1000		/* a lookup's first poll, us */
#define	DNS_POLL_MAX_US	100000		/* its polls' longest spacing: 5,000
					   slow lookups cost 50,000 polls/s */
#define	DETAIL_MAX	320		/* a failure's sentence */

enum	tstate {
	T_RESOLVING,
	T_CONNECTING,
	T_GREETING,
	T_AUTH,
	T_CONNECT,
	T_LISTEN,
	T_SPLICE,
	T_DEAD
};

/* Bytes waiting for one socket: data[off .. off + len). */
struct	pipe {
	uint8_t		 data[TUNNEL_BUF];
	size_t		 off;
	size_t		 len;
};

struct	wa_tunnel {
	struct lws_context	*ctx;
	struct lws_vhost	*vh;
	struct wa_tunnel_cbs	 cbs;
	void			*arg;
	int			 owned;		/* callbacks still wanted */
	enum tstate		 st;
	struct lws		*w_proxy;	/* to the proxy */
	struct lws		*w_listen;	/* the loopback listener */
	struct lws		*w_local;	/* lws' socket, accepted */
	int			 nwsi;		/* of those, alive in lws */
	lws_sorted_usec_list_t	 sul;		/* the handshake timeout */
	lws_sorted_usec_list_t	 sul_rearm;	/* want_write()'s second ask */
	lws_sorted_usec_list_t	 sul_dns;	/* polls the name lookup */
	int			 resolving;	/* "gcb" is glibc's until done */
	lws_usec_t		 dns_wait;	/* till the next poll, doubling */
	struct gaicb		 gcb;		/* the proxy's name lookup */
	struct addrinfo		 ghints;
	char			 ghost[PROXYURL_HOST_MAX + 1];
	char			 gport[8];
	unsigned int		 timeout_ms;
	char			 pname[PROXYURL_HOST_MAX + 10]; /* host:port */
	char			 dname[300];	/* the destination, host:port */
	int			 with_auth;	/* user/password offered */
	uint8_t			 auth[SOCKS5_AUTH_MAX]; /* wiped once sent */
	size_t			 authlen;
	uint8_t			 creq[SOCKS5_CONNECT_MAX];
	size_t			 creqlen;
	uint8_t			 rx[SOCKS5_REPLY_MAX]; /* handshake answers */
	size_t			 rxlen;
	struct sockaddr_storage	 expect;	/* lws' socket's own address */
	socklen_t		 expectlen;	/* 0: not named yet */
	int			 up_eof;	/* lws' side ended */
	int			 down_eof;	/* the proxy's side ended */
	struct pipe		 up;		/* to the proxy */
	struct pipe		 down;		/* to lws */
};

static void	tunnel_timeout(lws_sorted_usec_list_t *);

/*
 * Ask for a writable callback on "w", and again from the event loop:
 * lws 4.1 clears a raw descriptor's POLLOUT after its writable callback
 * returns (lib/roles/raw-file/ops-raw-file.c), so an ask made inside
 * that callback would be lost.
 */
static void
tunnel_rearm(lws_sorted_usec_list_t *sul)
{
	struct wa_tunnel	*t = lws_container_of(sul, struct wa_tunnel,
				    sul_rearm);

	if (t->st == T_DEAD)
		return;
	if (t->w_proxy != NULL && (t->st == T_CONNECTING || t->up.len > 0))
		lws_callback_on_writable(t->w_proxy);
	if (t->w_local != NULL && t->down.len > 0)
		lws_callback_on_writable(t->w_local);
}

static void
want_write(struct wa_tunnel *t, struct lws *w)
{

	lws_callback_on_writable(w);
	lws_sul_schedule(t->ctx, 0, &t->sul_rearm, tunnel_rearm, 1);
}

/* strerror() for the middle of a sentence: first letter in lower case. */
static void
err_words(int e, char *out, size_t len)
{

	snprintf(out, len, "%s", strerror(e));
	if (out[0] != '\0' && isupper((unsigned char)out[0]) &&
	    !isupper((unsigned char)out[1]))
		out[0] = (char)tolower((unsigned char)out[0]);
}

/* Room at the end of "p" (moving the bytes to the front first). */
static size_t
pipe_room(struct pipe *p)
{

	if (p->off > 0) {
		memmove(p->data, p->data + p->off, p->len);
		p->off = 0;
	}
	return sizeof(p->data) - p->len;
}

/* Append "n" bytes; the caller checked the room. */
static void
pipe_put(struct pipe *p, const void *b, size_t n)
{

	memcpy(p->data + p->off + p->len, b, n);
	p->len += n;
}

/*
 * Write what "p" holds to socket "fd", as much as it takes.  Returns
 * 0, or -1 with errno for a socket error.
 */
static int
pipe_flush(struct pipe *p, int fd)
{
	ssize_t	 n;

	while (p->len > 0) {
		n = send(fd, p->data + p->off, p->len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			return -1;
		}
		p->off += (size_t)n;
		p->len -= (size_t)n;
	}
	p->off = 0;
	return 0;
}

/* Free the tunnel once it is dead, lws holds none of its sockets and
 * glibc is done with its name lookup. */
static void
tunnel_maybe_free(struct wa_tunnel *t)
{

	if (t->st != T_DEAD || t->nwsi > 0 || t->resolving)
		return;
	sodium_memzero(t->auth, sizeof(t->auth));
	sodium_memzero(t->up.data, sizeof(t->up.data));
	free(t);
}

/*
 * Tear down: no more callbacks, ask lws to close every socket it holds
 * (from the event loop: we may be inside one of their callbacks), and
 * free when the last is gone.
 */
static void
tunnel_teardown(struct wa_tunnel *t)
{

	if (t->st == T_DEAD)
		return;
	t->st = T_DEAD;
	t->owned = 0;
	lws_sul_cancel(&t->sul);
	lws_sul_cancel(&t->sul_rearm);
	/* A lookup glibc is still running goes on, polled, until it ends
	 * ("gcb" is in "t"); one it had not started is dropped. */
	if (t->resolving) {
		switch (gai_cancel(&t->gcb)) {
		case EAI_CANCELED:
			t->resolving = 0;
			break;
		case EAI_ALLDONE:
			t->resolving = 0;
			if (gai_error(&t->gcb) == 0 &&
			    t->gcb.ar_result != NULL)
				freeaddrinfo(t->gcb.ar_result);
			t->gcb.ar_result = NULL;
			break;
		default:	/* EAI_NOTCANCELED */
			break;
		}
		if (!t->resolving)
			lws_sul_cancel(&t->sul_dns);
	}
	sodium_memzero(t->auth, sizeof(t->auth));
	if (t->w_proxy != NULL)
		lws_set_timeout(t->w_proxy, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	if (t->w_listen != NULL)
		lws_set_timeout(t->w_listen, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	if (t->w_local != NULL)
		lws_set_timeout(t->w_local, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	tunnel_maybe_free(t);
}

/*
 * Fail before ready: tell the owner (if it still listens) and tear
 * down.  "t" may be freed on return.
 */
static void
tunnel_fail(struct wa_tunnel *t, enum wa_conn_end why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tunnel_fail(struct wa_tunnel *t, enum wa_conn_end why, const char *fmt, ...)
{
	char	 detail[DETAIL_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	log_info("socks5: %s", detail);
	if (t->owned && t->cbs.fail != NULL) {
		t->owned = 0;
		t->cbs.fail(t->arg, why, detail);
	}
	tunnel_teardown(t);
}

/*
 * Adopt "fd" into lws as a raw descriptor of this tunnel; NULL: lws
 * refused it, and "fd" is closed here (lws 4.1 closes only sockets it
 * refused, not raw descriptors: lib/core-net/adopt.c,
 * lws_adopt_descriptor_vhost2(), "fail:").  Closing cannot pull a
 * descriptor from under lws: it refuses one after taking it into its
 * poll set only when the adoption callback says no, and
 * wa_tunnel_lws_cb() says yes to every adoption.
 */
static struct lws *
tunnel_adopt(struct wa_tunnel *t, int fd)
{
	lws_sock_file_fd_type	 u;
	struct lws		*w;

	memset(&u, 0, sizeof(u));
	u.filefd = fd;
	w = lws_adopt_descriptor_vhost(t->vh, LWS_ADOPT_RAW_FILE_DESC, u,
	    WA_TUNNEL_PROTOCOL, NULL);
	if (w == NULL) {
		close(fd);
		return NULL;
	}
	lws_set_opaque_user_data(w, t);
	t->nwsi++;
	return w;
}

/* Queue "n" bytes for the proxy and ask to write them. */
static void
queue_proxy(struct wa_tunnel *t, const void *b, size_t n)
{

	/* The handshake is a few hundred bytes: always room. */
	if (pipe_room(&t->up) >= n)
		pipe_put(&t->up, b, n);
	want_write(t, t->w_proxy);
}

/*
 * The tunnel is up: open the loopback listener and let the owner point
 * lws at it.
 */
static void
tunnel_ready(struct wa_tunnel *t)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	char			 ew[96];
	int			 fd, e;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		e = errno;
		if (fd != -1)
			close(fd);
		err_words(e, ew, sizeof(ew));
		tunnel_fail(t, WA_CONN_END_CONNECT_FAILED, "cannot open the "
		    "local end of the SOCKS5 tunnel: %s", ew);
		return;
	}
	if ((t->w_listen = tunnel_adopt(t, fd)) == NULL) {
		tunnel_fail(t, WA_CONN_END_CONNECT_FAILED, "cannot watch the "
		    "local end of the SOCKS5 tunnel");
		return;
	}
	t->st = T_LISTEN;
	log_debug("socks5: tunnel to %s through %s up; local end 127.0.0.1:%d",
	    t->dname, t->pname, ntohs(sin.sin_port));
	if (t->owned && t->cbs.ready != NULL) {
		t->owned = 0;
		if (t->cbs.ready(t->arg, ntohs(sin.sin_port)) == -1) {
			tunnel_teardown(t);
			return;
		}
	}
	/* Bytes from the proxy before lws' socket arrives wait in "down";
	 * reading goes on as long as there is room. */
	lws_rx_flow_control(t->w_proxy, 1);
}

/* Work through the proxy's answers received so far. */
static void
tunnel_step(struct wa_tunnel *t)
{
	struct socks5_reply	 r;
	const char		*why;
	uint8_t			 method;
	int			 rc, accepted;

	while (t->rxlen > 0) {
		switch (t->st) {
		case T_GREETING:
			rc = socks5_method_parse(t->rx, t->rxlen, t->with_auth,
			    &method, &why);
			break;
		case T_AUTH:
			rc = socks5_auth_parse(t->rx, t->rxlen, &accepted,
			    &why);
			break;
		case T_CONNECT:
			rc = socks5_reply_parse(t->rx, t->rxlen, &r, &why);
			break;
		default:
			return;
		}
		if (rc == 0)
			return;
		if (rc < 0) {
			tunnel_fail(t, WA_CONN_END_PROXY_REFUSED, "the SOCKS5 "
			    "proxy %s %s", t->pname, why);
			return;
		}
		memmove(t->rx, t->rx + rc, t->rxlen - (size_t)rc);
		t->rxlen -= (size_t)rc;
		switch (t->st) {
		case T_GREETING:
			if (method == SOCKS5_METHOD_USERPASS) {
				queue_proxy(t, t->auth, t->authlen);
				sodium_memzero(t->auth, sizeof(t->auth));
				t->st = T_AUTH;
			} else {
				queue_proxy(t, t->creq, t->creqlen);
				t->st = T_CONNECT;
			}
			break;
		case T_AUTH:
			if (!accepted) {
				tunnel_fail(t, WA_CONN_END_PROXY_REFUSED, "the "
				    "SOCKS5 proxy %s rejected the user name or "
				    "password", t->pname);
				return;
			}
			queue_proxy(t, t->creq, t->creqlen);
			t->st = T_CONNECT;
			break;
		case T_CONNECT:
			if (r.rep != 0) {
				tunnel_fail(t, WA_CONN_END_PROXY_REFUSED, "the "
				    "SOCKS5 proxy %s refused the connection to "
				    "%s: %s", t->pname, t->dname,
				    socks5_rep_words(r.rep));
				return;
			}
			/* The server may have spoken already: keep it. */
			pipe_put(&t->down, t->rx, t->rxlen);
			t->rxlen = 0;
			tunnel_ready(t);
			return;
		default:
			return;
		}
	}
}

/* The socket to the proxy said something during the handshake. */
static void
handshake_read(struct wa_tunnel *t)
{
	ssize_t	 n;
	char	 ew[96];

	n = recv(lws_get_socket_fd(t->w_proxy), t->rx + t->rxlen,
	    sizeof(t->rx) - t->rxlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n == -1) {
		err_words(errno, ew, sizeof(ew));
		tunnel_fail(t, WA_CONN_END_PROXY_REFUSED, "the SOCKS5 proxy %s "
		    "failed during the handshake: %s", t->pname, ew);
		return;
	}
	if (n == 0) {
		tunnel_fail(t, WA_CONN_END_PROXY_REFUSED, "the SOCKS5 proxy %s "
		    "hung up during the handshake", t->pname);
		return;
	}
	t->rxlen += (size_t)n;
	tunnel_step(t);
}

/* The connect to the proxy finished, one way or the other. */
static void
connect_done(struct wa_tunnel *t)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(int), al = sizeof(ss);
	uint8_t			 greet[SOCKS5_GREETING_MAX];
	char			 ew[96];
	int			 fd, e = 0;

	fd = lws_get_socket_fd(t->w_proxy);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
		e = errno;
	if (e == 0 && getpeername(fd, (struct sockaddr *)&ss, &al) == -1) {
		if (errno == ENOTCONN) {
			want_write(t, t->w_proxy);
			return;		/* still under way */
		}
		e = errno;
	}
	if (e != 0) {
		err_words(e, ew, sizeof(ew));
		tunnel_fail(t, WA_CONN_END_PROXY_UNREACHABLE, "cannot connect "
		    "to the SOCKS5 proxy %s: %s", t->pname, ew);
		return;
	}
	t->st = T_GREETING;
	queue_proxy(t, greet, socks5_greeting(greet, t->with_auth));
}

/*
 * Read what socket "from" has into "p" for socket "to" (NULL: not
 * there yet); "eof" is set when "from" ended (EOF or an error): then
 * "from" is read no more and the tunnel ends once "p" is written to
 * "to" (splice_write()), or at once when "p" is empty or "to" is not
 * there.  Returns -1 when the tunnel is over (torn down), else 0.
 */
static int
splice_read(struct wa_tunnel *t, struct lws *from, struct lws *to,
    struct pipe *p, int *eof)
{
	size_t	 room;
	ssize_t	 n;

	if (*eof || (room = pipe_room(p)) == 0) {
		lws_rx_flow_control(from, 0);
		return 0;
	}
	n = recv(lws_get_socket_fd(from), p->data + p->len, room, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	if (n <= 0) {
		*eof = 1;
		if (p->len == 0 || to == NULL) {
			tunnel_teardown(t);
			return -1;
		}
		/* Its end reads as ready forever: stop polling it. */
		lws_rx_flow_control(from, 0);
		want_write(t, to);
		return 0;
	}
	p->len += (size_t)n;
	if (to != NULL)
		want_write(t, to);
	if (p->len == sizeof(p->data))
		lws_rx_flow_control(from, 0);
	return 0;
}

/*
 * Socket "to" may take bytes: write "p", and let "from" (NULL: gone)
 * be read again when there is room, unless it ended ("eof"): then the
 * tunnel ends once "p" is written.  Returns -1 when the tunnel is
 * over, else 0.
 */
static int
splice_write(struct wa_tunnel *t, struct lws *to, struct lws *from,
    struct pipe *p, int eof)
{

	if (pipe_flush(p, lws_get_socket_fd(to)) == -1 ||
	    (eof && p->len == 0)) {
		tunnel_teardown(t);
		return -1;
	}
	if (p->len > 0)
		want_write(t, to);
	if (from != NULL && !eof && p->len < sizeof(p->data))
		lws_rx_flow_control(from, 1);
	return 0;
}

/* 1 if socket addresses "a" and "b" (IPv4) are the same. */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*x = (const struct sockaddr_in *)a;
	const struct sockaddr_in	*y = (const struct sockaddr_in *)b;

	return a->ss_family == AF_INET && b->ss_family == AF_INET &&
	    x->sin_port == y->sin_port &&
	    x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/*
 * A connection on the listener: take it if it comes from lws' socket,
 * close it unread otherwise.  Returns -1 (close the listener) once
 * lws' socket is in, else 0.
 */
static int
listen_accept(struct wa_tunnel *t)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	int			 fd;

	fd = accept4(lws_get_socket_fd(t->w_listen), (struct sockaddr *)&ss,
	    &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("socks5: accept");
		return 0;
	}
	if (t->expectlen == 0 || !same_addr(&ss, &t->expect)) {
		log_warnx("socks5: closed a local connection to the tunnel of "
		    "%s that did not come from this connection's socket",
		    t->dname);
		close(fd);
		return 0;
	}
	if ((t->w_local = tunnel_adopt(t, fd)) == NULL) {
		log_warnx("socks5: lws refused the tunnel's local socket");
		tunnel_teardown(t);
		return 0;
	}
	t->st = T_SPLICE;
	lws_sul_cancel(&t->sul);
	if (t->down.len > 0)
		want_write(t, t->w_local);
	return -1;
}

/* The handshake did not finish in time (tunnel_open() set it). */
static void
tunnel_timeout(lws_sorted_usec_list_t *sul)
{
	struct wa_tunnel	*t = lws_container_of(sul, struct wa_tunnel,
				    sul);
	unsigned int		 s = (t->timeout_ms + 999) / 1000;

	switch (t->st) {
	case T_RESOLVING:
		tunnel_fail(t, WA_CONN_END_PROXY_UNREACHABLE, "cannot connect "
		    "to the SOCKS5 proxy %s: its name was not found within "
		    "%u s", t->pname, s);
		break;
	case T_CONNECTING:
		tunnel_fail(t, WA_CONN_END_PROXY_UNREACHABLE, "cannot connect "
		    "to the SOCKS5 proxy %s: no answer within %u s", t->pname,
		    s);
		break;
	case T_GREETING:
	case T_AUTH:
	case T_CONNECT:
		tunnel_fail(t, WA_CONN_END_PROXY_UNREACHABLE, "the SOCKS5 "
		    "proxy %s did not answer within %u s", t->pname, s);
		break;
	case T_LISTEN:
		log_warnx("socks5: the tunnel to %s was not used within %u s",
		    t->dname, s);
		tunnel_teardown(t);
		break;
	default:
		break;
	}
}

/* lws closes socket "wsi" of "t" (an end, or our teardown). */
static void
tunnel_closed(struct wa_tunnel *t, struct lws *wsi)
{
	socklen_t	 sl = sizeof(int);
	char		 ew[96];
	int		 e = 0, was_listen = wsi == t->w_listen;

	lws_set_opaque_user_data(wsi, NULL);
	if (wsi == t->w_proxy)
		t->w_proxy = NULL;
	else if (wsi == t->w_listen)
		t->w_listen = NULL;
	else if (wsi == t->w_local)
		t->w_local = NULL;
	t->nwsi--;
	switch (t->st) {
	case T_RESOLVING:	/* no socket yet: not reached */
		return;
	case T_CONNECTING:
		if (getsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_ERROR,
		    &e, &sl) == -1 || e == 0)
			e = ECONNRESET;
		err_words(e, ew, sizeof(ew));
		tunnel_fail(t, WA_CONN_END_PROXY_UNREACHABLE, "cannot connect "
		    "to the SOCKS5 proxy %s: %s", t->pname, ew);
		return;		/* "t" may be gone */
	case T_GREETING:
	case T_AUTH:
	case T_CONNECT:
		tunnel_fail(t, WA_CONN_END_PROXY_REFUSED, "the SOCKS5 proxy %s "
		    "hung up during the handshake", t->pname);
		return;
	case T_LISTEN:
		tunnel_teardown(t);	/* the proxy hung up, or lws did */
		return;
	case T_SPLICE:
		if (was_listen)
			break;		/* closed once lws' socket came */
		tunnel_teardown(t);
		return;
	case T_DEAD:
		tunnel_maybe_free(t);
		return;
	}
}

/*
 * The lws callback for the tunnel's sockets (the protocol
 * WA_TUNNEL_PROTOCOL on conn.c's vhost).  Finds the tunnel through
 * the wsi's opaque user data; none: a socket on its way out.
 */
int
wa_tunnel_lws_cb(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct wa_tunnel	*t;

	(void)user;
	(void)in;
	(void)len;
	if ((t = lws_get_opaque_user_data(wsi)) == NULL)
		return reason == LWS_CALLBACK_RAW_RX_FILE ||
		    reason == LWS_CALLBACK_RAW_WRITEABLE_FILE ? -1 : 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (t->st == T_DEAD)
			return -1;
		if (wsi == t->w_listen)
			return t->st == T_LISTEN ? listen_accept(t) : -1;
		if (wsi == t->w_proxy) {
			if (t->st == T_CONNECTING)
				connect_done(t);
			else if (t->st < T_LISTEN)
				handshake_read(t);
			else
				(void)splice_read(t, wsi, t->w_local, &t->down,
				    &t->down_eof);
			return 0;
		}
		if (wsi == t->w_local)
			(void)splice_read(t, wsi, t->w_proxy, &t->up,
			    &t->up_eof);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (t->st == T_DEAD)
			return 0;
		if (wsi == t->w_proxy) {
			if (t->st == T_CONNECTING) {
				connect_done(t);
				return 0;
			}
			if (t->st < T_LISTEN) {
				if (pipe_flush(&t->up, lws_get_socket_fd(wsi))
				    == -1) {
					tunnel_fail(t, WA_CONN_END_PROXY_REFUSED,
					    "the SOCKS5 proxy %s hung up "
					    "during the handshake", t->pname);
					return 0;
				}
				if (t->up.len > 0)
					want_write(t, wsi);
				else	/* it may have held the password */
					sodium_memzero(t->up.data,
					    sizeof(t->up.data));
				return 0;
			}
			(void)splice_write(t, wsi, t->w_local, &t->up,
			    t->up_eof);
			return 0;
		}
		if (wsi == t->w_local)
			(void)splice_write(t, wsi, t->w_proxy, &t->down,
			    t->down_eof);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		tunnel_closed(t, wsi);
		return 0;
	default:
		return 0;
	}
}

/*
 * Connect to the first of the proxy's addresses "ai" that takes a
 * non-blocking connect and watch the socket.  Returns 0 (T_CONNECTING),
 * or -1 with the sentence in "err".  Only a refusal at connect() moves
 * on to the next address: one found later (connect_done()) fails the
 * tunnel.
 */
static int
tunnel_connect(struct wa_tunnel *t, const struct addrinfo *ai, char *err,
    size_t errlen)
{
	const struct addrinfo	*a;
	char			 ew[96];
	int			 fd = -1, e = 0;

	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	if (fd == -1) {
		err_words(e, ew, sizeof(ew));
		snprintf(err, errlen, "cannot connect to the SOCKS5 proxy %s: "
		    "%s", t->pname, ew);
		return -1;
	}
	if ((t->w_proxy = tunnel_adopt(t, fd)) == NULL) {
		snprintf(err, errlen, "cannot watch the connection to the "
		    "SOCKS5 proxy %s", t->pname);
		return -1;
	}
	t->st = T_CONNECTING;
	lws_callback_on_writable(t->w_proxy);
	return 0;
}

/*
 * The proxy's name lookup (getaddrinfo_a(), started by
 * wa_tunnel_open()): poll it from the loop, 1 ms after the start, then
 * twice as long after each poll up to 100 ms, and
 * connect, fail, or (torn down meanwhile) free once it ended.
 */
static void
tunnel_dns_poll(lws_sorted_usec_list_t *sul)
{
	struct wa_tunnel	*t = lws_container_of(sul, struct wa_tunnel,
				    sul_dns);
	struct addrinfo		*ai;
	char			 err[DETAIL_MAX];
	int			 rc;

	if ((rc = gai_error(&t->gcb)) == EAI_INPROGRESS) {
		if ((t->dns_wait *= 2) > DNS_POLL_MAX_US)
			t->dns_wait = DNS_POLL_MAX_US;
		lws_sul_schedule(t->ctx, 0, &t->sul_dns, tunnel_dns_poll,
		    t->dns_wait);
		return;
	}
	ai = rc == 0 ? t->gcb.ar_result : NULL;
	t->gcb.ar_result = NULL;
	t->resolving = 0;
	if (t->st == T_DEAD) {
		if (ai != NULL)
			freeaddrinfo(ai);
		tunnel_maybe_free(t);
		return;
	}
	if (rc != 0) {
		tunnel_fail(t, WA_CONN_END_PROXY_UNREACHABLE, "cannot connect "
		    "to the SOCKS5 proxy %s: name lookup failed (%s)",
		    t->pname, gai_strerror(rc));
		return;
	}
	rc = tunnel_connect(t, ai, err, sizeof(err));
	freeaddrinfo(ai);
	if (rc == -1)
		tunnel_fail(t, WA_CONN_END_PROXY_UNREACHABLE, "%s", err);
}

/*
 * Start a tunnel to "host":"port" (the WebSocket server; a name is
 * sent to the proxy as a name, never looked up here) through the
 * SOCKS5 proxy "pu" (its credentials are copied into the tunnel and
 * wiped there once sent; the caller wipes "pu").  "timeout_ms" bounds
 * the connect and handshake with the proxy and the wait for lws' socket.
 * Returns the tunnel, owned by the caller until a callback or
 * wa_tunnel_cancel(); or NULL when it failed at once, with "*fail" and
 * "err" ("errlen" bytes, a sentence without the password) saying why.
 * A proxy named by an address is connected to at once (refusals
 * there come back here); a name is looked up off the event loop first.
 */
struct wa_tunnel *
wa_tunnel_open(struct lws_context *ctx, struct lws_vhost *vh,
    const struct proxy_url *pu, const char *host, int port,
    unsigned int timeout_ms, const struct wa_tunnel_cbs *cbs, void *arg,
    enum wa_conn_end *fail, char *err, size_t errlen)
{
	struct addrinfo		*ai = NULL;
	struct gaicb		*list[1];
	struct in_addr		 a4;
	struct in6_addr		 a6;
	struct wa_tunnel	*t;
	int			 rc;

	t = xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	t->vh = vh;
	t->cbs = *cbs;
	t->arg = arg;
	t->timeout_ms = timeout_ms;
	snprintf(t->pname, sizeof(t->pname), pu->ipv6 ? "[%s]:%d" : "%s:%d",
	    pu->host, pu->port);
	snprintf(t->dname, sizeof(t->dname), strchr(host, ':') != NULL ?
	    "[%.255s]:%d" : "%.255s:%d", host, port);
	if (socks5_connect_request(host, port, t->creq, &t->creqlen) == -1) {
		*fail = WA_CONN_END_CONNECT_FAILED;
		snprintf(err, errlen, "the server name %.60s is too long for "
		    "a SOCKS5 proxy", host);
		goto fail;
	}
	if (pu->has_auth) {
		if (socks5_auth_request(pu->user, pu->pass, t->auth,
		    &t->authlen) == -1) {
			*fail = WA_CONN_END_PROXY_REFUSED;
			snprintf(err, errlen, "the user name for the SOCKS5 "
			    "proxy %s is empty", t->pname);
			goto fail;
		}
		t->with_auth = 1;
	}
	t->owned = 1;
	snprintf(t->ghost, sizeof(t->ghost), "%s", pu->host);
	snprintf(t->gport, sizeof(t->gport), "%d", pu->port);
	t->ghints.ai_socktype = SOCK_STREAM;
	t->ghints.ai_flags = AI_NUMERICSERV;
	if (inet_pton(AF_INET, pu->host, &a4) == 1 ||
	    inet_pton(AF_INET6, pu->host, &a6) == 1) {
		/* A literal: looked up at once, without blocking. */
		t->ghints.ai_flags |= AI_NUMERICHOST;
		if ((rc = getaddrinfo(t->ghost, t->gport, &t->ghints,
		    &ai)) != 0) {
			*fail = WA_CONN_END_PROXY_UNREACHABLE;
			snprintf(err, errlen, "cannot connect to the SOCKS5 "
			    "proxy %s: name lookup failed (%s)", t->pname,
			    gai_strerror(rc));
			goto fail;
		}
		rc = tunnel_connect(t, ai, err, errlen);
		freeaddrinfo(ai);
		if (rc == -1) {
			*fail = WA_CONN_END_PROXY_UNREACHABLE;
			goto fail;
		}
	} else {
		/* A name: glibc looks it up on a thread of its own (a
		 * lookup may take seconds, and the loop serves every
		 * session); tunnel_dns_poll() picks the answer up. */
		t->gcb.ar_name = t->ghost;
		t->gcb.ar_service = t->gport;
		t->gcb.ar_request = &t->ghints;
		list[0] = &t->gcb;
		if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
			*fail = WA_CONN_END_PROXY_UNREACHABLE;
			snprintf(err, errlen, "cannot connect to the SOCKS5 "
			    "proxy %s: cannot start the name lookup (%s)",
			    t->pname, gai_strerror(rc));
			goto fail;
		}
		t->resolving = 1;
		t->st = T_RESOLVING;
		t->dns_wait = DNS_POLL_MIN_US;
		lws_sul_schedule(ctx, 0, &t->sul_dns, tunnel_dns_poll,
		    t->dns_wait);
	}
	lws_sul_schedule(ctx, 0, &t->sul, tunnel_timeout,
	    (lws_usec_t)timeout_ms * LWS_US_PER_MS);
	return t;
fail:
	log_warnx("socks5: %s", err);
	if (t->w_proxy != NULL) {
		/* Not reached: adoption is the last step that fails. */
		tunnel_teardown(t);
		return NULL;
	}
	sodium_memzero(t->auth, sizeof(t->auth));
	free(t);
	return NULL;
}

/*
 * From inside the ready callback: "fd" is the lws client socket just
 * pointed at the listener; only a connection from its address is
 * accepted.  Returns 0, or -1 (logged) if the socket has no address.
 */
int
wa_tunnel_expect(struct wa_tunnel *t, int fd)
{

	t->expectlen = sizeof(t->expect);
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&t->expect,
	    &t->expectlen) == -1 || t->expect.ss_family != AF_INET) {
		log_warnx("socks5: the lws socket has no local address");
		t->expectlen = 0;
		return -1;
	}
	return 0;
}

/* The owner lets go before a callback: no callback follows.  NULL is a
 * no-op. */
void
wa_tunnel_cancel(struct wa_tunnel *t)
{

	if (t == NULL)
		return;
	t->owned = 0;
	tunnel_teardown(t);
}
