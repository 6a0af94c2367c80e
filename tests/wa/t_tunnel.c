/*
 * t_tunnel: the SOCKS5 tunnel (daemon/wa/tunnel.c) on a real
 * lws_context, against a SOCKS5 server driven by the test between
 * lws_service() calls, with plain sockets standing in for lws' client
 * socket.  The requests are checked byte for byte; bytes go both ways
 * (the server's first bytes, sent with the reply, arrive too); a
 * reader that stops makes the tunnel stop reading the proxy (the
 * server's writes stall within a bound, and lws no longer calls the
 * tunnel to read: lws_rx_flow_control() took) and everything arrives
 * intact once it reads again; refusals, a malformed reply, a hang-up and a
 * silent proxy fail with their sentences; a connection to the listener
 * that is not from the named socket is closed; a cancel makes no
 * callback; a socket lws refuses to adopt is closed; a server that
 * hangs up right after its last bytes has them all delivered first; a
 * proxy by name is looked up off the loop (a name that does not
 * resolve fails by callback; a cancel meanwhile leaks nothing).  No leak under ASan (the context is destroyed at the end).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "conn.h"
#include "log.h"
#include "proxyurl.h"
#include "t.h"
#include "tunnel.h"

#define	PAT_LEN		(8 << 20)	/* bytes the server sends */

static struct lws_context	*ctx;
static struct lws_vhost		*vh;
static struct lws_vhost		*vh_bare;	/* without the tunnel's protocol */
static int			 rx_calls;	/* the tunnel's read callbacks */
static int			 small_bufs;	/* 1: 128 KiB socket buffers */

/* lws calls the first protocol for the poll changes of every wsi. */
static int
none_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{

	return 0;
}

/*
 * The tunnel's callback, counting its read callbacks, and with
 * "small_bufs" giving each of its sockets 128 KiB kernel buffers, so that
 * a reader that stops fills every buffer between it and the server
 * quickly (with Linux' autotuned buffers, megabytes).
 */
static int
counting_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	int	 fd, sz = 131072;

	if (reason == LWS_CALLBACK_RAW_RX_FILE)
		rx_calls++;
	if (reason == LWS_CALLBACK_RAW_ADOPT_FILE && small_bufs &&
	    (fd = lws_get_socket_fd(wsi)) >= 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == -1))
		perror("setsockopt");
	return wa_tunnel_lws_cb(wsi, reason, user, in, len);
}

static const struct lws_protocols	protocols[] = {
	{ "t-none", none_cb, 0, 0, 0, NULL, 0 },
	{ WA_TUNNEL_PROTOCOL, counting_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_protocols	bare_protocols[] = {
	{ "t-none", none_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* The owner's view: what the callbacks said. */
struct	owner {
	struct wa_tunnel	*t;
	int			 readies;
	int			 fails;
	enum wa_conn_end	 why;
	char			 detail[400];
	int			 client;	/* "lws'" socket, or -1 */
	int			 foreign;	/* 1: connect a stranger first */
	int			 stranger;	/* its socket */
};

/* The SOCKS5 server: one connection, answers scripted per test. */
struct	server {
	int		 lfd;
	int		 fd;		/* the accepted connection, or -1 */
	int		 port;
	uint8_t		 in[4096];	/* what it received so far */
	size_t		 inlen;
};

static int
owner_ready(void *arg, int port)
{
	struct owner		*o = arg;
	struct sockaddr_in	 sin;
	int			 rcvbuf = 4096;

	o->readies++;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (o->foreign) {
		o->stranger = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(o->stranger, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1)
			return -1;
	}
	o->client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (o->client == -1 || setsockopt(o->client, SOL_SOCKET, SO_RCVBUF,
	    &rcvbuf, sizeof(rcvbuf)) == -1 || (connect(o->client, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 && errno != EINPROGRESS))
		return -1;
	return wa_tunnel_expect(o->t, o->client);
}

static void
owner_fail(void *arg, enum wa_conn_end why, const char *detail)
{
	struct owner	*o = arg;

	o->fails++;
	o->why = why;
	snprintf(o->detail, sizeof(o->detail), "%s", detail);
	o->t = NULL;
}

static const struct wa_tunnel_cbs	owner_cbs = { owner_ready, owner_fail };

/* Keeps lws_service() returning while nothing is due. */
static lws_sorted_usec_list_t	 wake;

static void
wake_cb(lws_sorted_usec_list_t *sul)
{

	lws_sul_schedule(ctx, 0, &wake, wake_cb, LWS_US_PER_MS);
}

/* One turn of the loop. */
static void
turn(void)
{

	lws_sul_schedule(ctx, 0, &wake, wake_cb, LWS_US_PER_MS);
	lws_service(ctx, 0);
	lws_sul_cancel(&wake);
}

static void
server_open(struct server *s)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->lfd == -1 || bind(s->lfd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 || listen(s->lfd, 4) == -1 ||
	    getsockname(s->lfd, (struct sockaddr *)&sin, &sl) == -1) {
		perror("server_open");
		exit(1);
	}
	s->port = ntohs(sin.sin_port);
}

static void
server_close(struct server *s)
{

	if (s->fd != -1)
		close(s->fd);
	close(s->lfd);
}

/* Serve until the server holds "n" bytes (accepting first); 1 if so. */
static int
server_wait(struct server *s, size_t n)
{
	ssize_t	 r;
	int	 i;

	for (i = 0; i < 3000 && s->inlen < n; i++) {
		turn();
		if (s->fd == -1) {
			s->fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK);
			continue;
		}
		r = recv(s->fd, s->in + s->inlen, sizeof(s->in) - s->inlen, 0);
		if (r > 0)
			s->inlen += (size_t)r;
	}
	return s->inlen >= n;
}

/* Take "n" bytes off the front of what the server received. */
static void
server_eat(struct server *s, size_t n)
{

	memmove(s->in, s->in + n, s->inlen - n);
	s->inlen -= n;
}

static int
server_send(struct server *s, const void *b, size_t n)
{

	return send(s->fd, b, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* "tmpl" with its one "PORT" replaced by "port", into "out". */
static void
with_port(char *out, size_t len, const char *tmpl, int port)
{
	const char	*at = strstr(tmpl, "PORT");

	if (at == NULL)
		snprintf(out, len, "%s", tmpl);
	else
		snprintf(out, len, "%.*s%d%s", (int)(at - tmpl), tmpl, port,
		    at + 4);
}

static struct wa_tunnel *
open_to(struct owner *o, const struct server *s, const char *url,
    unsigned int timeout_ms)
{
	struct proxy_url	 pu;
	const char		*why;
	enum wa_conn_end	 fail;
	char			 err[256], u[300];

	memset(o, 0, sizeof(*o));
	o->client = o->stranger = -1;
	with_port(u, sizeof(u), url, s->port);
	if (proxyurl_parse(u, &pu, &why) == -1) {
		fprintf(stderr, "bad URL %s: %s\n", u, why);
		return NULL;
	}
	o->t = wa_tunnel_open(ctx, vh, &pu, "web.whatsapp.com", 443,
	    timeout_ms, &owner_cbs, o, &fail, err, sizeof(err));
	proxyurl_wipe(&pu);
	if (o->t == NULL)
		fprintf(stderr, "open: %s\n", err);
	return o->t;
}

/* Serve "ms" more milliseconds. */
static void
serve_ms(int ms)
{
	lws_usec_t	 end = lws_now_usecs() + (lws_usec_t)ms * LWS_US_PER_MS;

	while (lws_now_usecs() < end)
		turn();
}

/* Serve until the owner heard something (or 3 s: counted in time, not
 * turns, which may be shorter than the 1 ms wake-up). */
static int
wait_owner(struct owner *o)
{
	lws_usec_t	 end = lws_now_usecs() + 3 * LWS_US_PER_SEC;

	while (lws_now_usecs() < end && o->readies + o->fails == 0)
		turn();
	return o->readies + o->fails == 1;
}

/* The handshake up to the CONNECT, with user "alice", password "p:w". */
static int
handshake(struct server *s, struct owner *o)
{
	static const uint8_t	 greet[] = { 5, 2, 0, 2 };
	static const uint8_t	 auth[] = { 1, 5, 'a', 'l', 'i', 'c', 'e', 3,
				    'p', ':', 'w' };
	static const uint8_t	 creq[] = { 5, 1, 0, 3, 16, 'w', 'e', 'b',
				    '.', 'w', 'h', 'a', 't', 's', 'a', 'p', 'p',
				    '.', 'c', 'o', 'm', 0x01, 0xbb };
	int			 ok;

	if (open_to(o, s, "socks5://alice:p%3Aw@127.0.0.1:PORT", 3000) == NULL)
		return 0;
	ok = T_TRUE(server_wait(s, sizeof(greet))) &&
	    T_MEMEQ(s->in, greet, sizeof(greet));
	server_eat(s, sizeof(greet));
	ok = ok && T_TRUE(server_send(s, "\x05\x02", 2)) &&
	    T_TRUE(server_wait(s, sizeof(auth))) &&
	    T_MEMEQ(s->in, auth, sizeof(auth));
	server_eat(s, sizeof(auth));
	ok = ok && T_TRUE(server_send(s, "\x01\x00", 2)) &&
	    T_TRUE(server_wait(s, sizeof(creq))) &&
	    T_MEMEQ(s->in, creq, sizeof(creq));
	server_eat(s, sizeof(creq));
	return ok;
}

/* Read from non-blocking "fd" into "b" until "n" bytes or 3 s. */
static size_t
client_read(int fd, uint8_t *b, size_t n)
{
	size_t	 got = 0;
	ssize_t	 r;
	int	 i;

	for (i = 0; i < 3000 && got < n; i++) {
		turn();
		r = recv(fd, b + got, n - got, 0);
		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
	}
	return got;
}

/* 1 when "fd" (non-blocking) reads as closed within 3 s. */
static int
closed_soon(int fd)
{
	uint8_t	 b[64];
	ssize_t	 r;
	int	 i;

	for (i = 0; i < 3000; i++) {
		turn();
		r = recv(fd, b, sizeof(b), 0);
		if (r == 0 || (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK))
			return 1;
	}
	return 0;
}

static int
t_both_ways(void)
{
	struct server	 s;
	struct owner	 o;
	uint8_t		 b[16];
	int		 ok;

	server_open(&s);
	ok = handshake(&s, &o);
	/* The reply, and the server's first bytes in the same write. */
	ok = ok && T_TRUE(server_send(&s, "\x05\x00\x00\x01\x7f\x00\x00\x01"
	    "\x01\xbbhey", 13)) && T_TRUE(wait_owner(&o)) &&
	    T_INTEQ(o.readies, 1);
	ok = ok && T_INTEQ(client_read(o.client, b, 3), 3) &&
	    T_MEMEQ(b, "hey", 3);
	ok = ok && T_INTEQ(send(o.client, "ping", 4, 0), 4) &&
	    T_TRUE(server_wait(&s, 4)) && T_MEMEQ(s.in, "ping", 4);
	/* The server hangs up: the client sees the end. */
	close(s.fd);
	s.fd = -1;
	ok = ok && T_TRUE(closed_soon(o.client));
	close(o.client);
	server_close(&s);
	serve_ms(20);
	return ok;
}

static int
t_backpressure(void)
{
	struct server	 s;
	struct owner	 o;
	uint8_t		*pat, *got;
	size_t		 sent = 0, have = 0, i;
	ssize_t		 n;
	int		 ok, sndbuf = 4096, stalled;

	pat = malloc(PAT_LEN);
	got = calloc(1, PAT_LEN);
	if (pat == NULL || got == NULL)
		return 0;
	for (i = 0; i < PAT_LEN; i++)
		pat[i] = (uint8_t)(i * 7 + (i >> 12));
	server_open(&s);
	small_bufs = 1;
	ok = handshake(&s, &o);
	ok = ok && T_TRUE(server_send(&s, "\x05\x00\x00\x01\x7f\x00\x00\x01"
	    "\x01\xbb", 10)) && T_TRUE(wait_owner(&o)) &&
	    T_INTEQ(o.readies, 1);
	/* Let the tunnel take the client's socket (with small buffers). */
	for (i = 0; ok && i < 50; i++)
		turn();
	small_bufs = 0;
	if (!ok) {
		free(pat);
		free(got);
		return 0;
	}
	setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* The client reads nothing: the server writes as fast as it can
	 * until it has been stalled for 200 turns in a row, with at most
	 * the sockets' buffers and the tunnel's 16 KiB in flight, well
	 * before PAT_LEN. */
	for (i = 0, stalled = 0; i < 20000 && stalled < 200 &&
	    sent < PAT_LEN; i++) {
		turn();
		stalled++;
		while ((n = send(s.fd, pat + sent, PAT_LEN - sent,
		    MSG_NOSIGNAL)) > 0) {
			sent += (size_t)n;
			stalled = 0;
		}
	}
	fprintf(stderr, "backpressure: %zu bytes in flight when the server "
	    "stalled (target: under %d)\n", sent, PAT_LEN / 8);
	ok = ok && T_INTEQ(stalled, 200) && T_TRUE(sent < PAT_LEN / 8);
	/* The kernel alone would stall the server too (the tunnel does not
	 * read the proxy with its buffer full); what proves lws stopped
	 * polling the proxy's socket is that the tunnel is not called to
	 * read it: without lws_rx_flow_control() it would be on every
	 * turn, a busy loop. */
	rx_calls = 0;
	for (i = 0; i < 200; i++)
		turn();
	fprintf(stderr, "backpressure: %d read callbacks in 200 stalled turns "
	    "(target: 0)\n", rx_calls);
	ok = ok && T_TRUE(rx_calls < 10);
	/* Now the client reads: the rest flows, every byte in order. */
	for (i = 0; i < 20000 && have < PAT_LEN; i++) {
		if (sent < PAT_LEN && (n = send(s.fd, pat + sent,
		    PAT_LEN - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		turn();
		while ((n = recv(o.client, got + have, PAT_LEN - have,
		    0)) > 0)
			have += (size_t)n;
	}
	ok = ok && T_INTEQ(have, PAT_LEN) && T_MEMEQ(got, pat, PAT_LEN);
	free(pat);
	free(got);
	close(o.client);
	ok = ok && T_TRUE(closed_soon(s.fd));
	server_close(&s);
	serve_ms(20);
	return ok;
}

/* The handshake goes to the CONNECT, the server answers "reply". */
static int
refused_with(const void *reply, size_t len, enum wa_conn_end why,
    const char *words)
{
	struct server	 s;
	struct owner	 o;
	char		 want[400];
	int		 ok;

	server_open(&s);
	ok = handshake(&s, &o);
	ok = ok && T_TRUE(server_send(&s, reply, len)) &&
	    T_TRUE(wait_owner(&o)) && T_INTEQ(o.fails, 1) &&
	    T_INTEQ(o.why, why);
	with_port(want, sizeof(want), words, s.port);
	ok = ok && T_STREQ(o.detail, want);
	ok = ok && T_TRUE(closed_soon(s.fd));
	server_close(&s);
	serve_ms(20);
	return ok;
}

static int
t_refused_ruleset(void)
{

	return refused_with("\x05\x02\x00\x01\0\0\0\0\0\0", 10,
	    WA_CONN_END_PROXY_REFUSED, "the SOCKS5 proxy 127.0.0.1:PORT "
	    "refused the connection to web.whatsapp.com:443: connection not "
	    "allowed by ruleset");
}

static int
t_malformed_reply(void)
{

	return refused_with("\x05\x00\x00\x07\0\0\0\0\0\0", 10,
	    WA_CONN_END_PROXY_REFUSED, "the SOCKS5 proxy 127.0.0.1:PORT sent a "
	    "malformed reply to the CONNECT (unknown address type)");
}

static int
t_hangup(void)
{
	struct server	 s;
	struct owner	 o;
	char		 want[200];
	int		 ok;

	server_open(&s);
	ok = handshake(&s, &o);
	close(s.fd);
	s.fd = -1;
	ok = ok && T_TRUE(wait_owner(&o)) && T_INTEQ(o.fails, 1) &&
	    T_INTEQ(o.why, WA_CONN_END_PROXY_REFUSED);
	snprintf(want, sizeof(want), "the SOCKS5 proxy 127.0.0.1:%d hung up "
	    "during the handshake", s.port);
	ok = ok && T_STREQ(o.detail, want);
	server_close(&s);
	serve_ms(20);
	return ok;
}

/* The greeting's answer "ans" (2 bytes) fails with "words". */
static int
greeting_fails(const char *ans, const char *words)
{
	struct server	 s;
	struct owner	 o;
	char		 want[300];
	int		 ok;

	server_open(&s);
	ok = T_TRUE(open_to(&o, &s, "socks5://127.0.0.1:PORT", 3000) != NULL) &&
	    T_TRUE(server_wait(&s, 3)) && T_MEMEQ(s.in, "\x05\x01\x00", 3);
	ok = ok && T_TRUE(server_send(&s, ans, 2)) && T_TRUE(wait_owner(&o)) &&
	    T_INTEQ(o.fails, 1) && T_INTEQ(o.why, WA_CONN_END_PROXY_REFUSED);
	with_port(want, sizeof(want), words, s.port);
	ok = ok && T_STREQ(o.detail, want);
	server_close(&s);
	serve_ms(20);
	return ok;
}

static int
t_no_method(void)
{

	return greeting_fails("\x05\xff", "the SOCKS5 proxy 127.0.0.1:PORT "
	    "accepts none of the offered authentication methods");
}

static int
t_method_not_offered(void)
{

	return greeting_fails("\x05\x02", "the SOCKS5 proxy 127.0.0.1:PORT "
	    "chose an authentication method that was not offered");
}

static int
t_wrong_password(void)
{
	struct server	 s;
	struct owner	 o;
	char		 want[200];
	int		 ok;

	server_open(&s);
	ok = T_TRUE(open_to(&o, &s, "socks5://alice:bad@127.0.0.1:PORT",
	    3000) != NULL) && T_TRUE(server_wait(&s, 4));
	server_eat(&s, 4);
	ok = ok && T_TRUE(server_send(&s, "\x05\x02", 2)) &&
	    T_TRUE(server_wait(&s, 11));
	ok = ok && T_TRUE(server_send(&s, "\x01\x01", 2)) &&
	    T_TRUE(wait_owner(&o)) && T_INTEQ(o.fails, 1) &&
	    T_INTEQ(o.why, WA_CONN_END_PROXY_REFUSED);
	snprintf(want, sizeof(want), "the SOCKS5 proxy 127.0.0.1:%d rejected "
	    "the user name or password", s.port);
	ok = ok && T_STREQ(o.detail, want);
	server_close(&s);
	serve_ms(20);
	return ok;
}

static int
t_silent_proxy_times_out(void)
{
	struct server	 s;
	struct owner	 o;
	char		 want[200];
	lws_usec_t	 t0;
	int		 ok;

	server_open(&s);
	t0 = lws_now_usecs();
	ok = T_TRUE(open_to(&o, &s, "socks5://127.0.0.1:PORT", 300) != NULL) &&
	    T_TRUE(server_wait(&s, 3)) && T_TRUE(wait_owner(&o)) &&
	    T_INTEQ(o.fails, 1) && T_INTEQ(o.why, WA_CONN_END_PROXY_UNREACHABLE);
	ok = ok && T_TRUE(lws_now_usecs() - t0 >= 300 * LWS_US_PER_MS);
	snprintf(want, sizeof(want), "the SOCKS5 proxy 127.0.0.1:%d did not "
	    "answer within 1 s", s.port);
	ok = ok && T_STREQ(o.detail, want) && T_TRUE(closed_soon(s.fd));
	server_close(&s);
	serve_ms(20);
	return ok;
}

static int
t_nothing_listening(void)
{
	struct server	 s;
	struct owner	 o;
	char		 want[200];
	int		 ok, port;

	server_open(&s);
	port = s.port;
	server_close(&s);
	s.port = port;
	/* Refused at once or from the loop: either way, these words. */
	if (open_to(&o, &s, "socks5://127.0.0.1:PORT", 3000) == NULL)
		return 0;
	ok = T_TRUE(wait_owner(&o)) && T_INTEQ(o.fails, 1) &&
	    T_INTEQ(o.why, WA_CONN_END_PROXY_UNREACHABLE);
	snprintf(want, sizeof(want), "cannot connect to the SOCKS5 proxy "
	    "127.0.0.1:%d: connection refused", port);
	ok = ok && T_STREQ(o.detail, want);
	serve_ms(20);
	return ok;
}

static int
t_stranger_closed(void)
{
	struct server	 s;
	struct owner	 o;
	uint8_t		 b[4];
	int		 ok;

	server_open(&s);
	ok = handshake(&s, &o);
	o.foreign = 1;
	ok = ok && T_TRUE(server_send(&s, "\x05\x00\x00\x01\x7f\x00\x00\x01"
	    "\x01\xbbhi!!", 14)) && T_TRUE(wait_owner(&o)) &&
	    T_INTEQ(o.readies, 1);
	/* The stranger, first in the queue, is closed unread; the named
	 * socket gets the server's bytes. */
	fcntl(o.stranger, F_SETFL, O_NONBLOCK);
	ok = ok && T_TRUE(closed_soon(o.stranger)) &&
	    T_INTEQ(client_read(o.client, b, 4), 4) && T_MEMEQ(b, "hi!!", 4);
	close(o.stranger);
	close(o.client);
	ok = ok && T_TRUE(closed_soon(s.fd));
	server_close(&s);
	serve_ms(20);
	return ok;
}

static int
t_cancel_no_callback(void)
{
	struct server	 s;
	struct owner	 o;
	int		 ok;

	server_open(&s);
	ok = T_TRUE(open_to(&o, &s, "socks5://127.0.0.1:PORT", 3000) != NULL) &&
	    T_TRUE(server_wait(&s, 3));
	wa_tunnel_cancel(o.t);
	o.t = NULL;
	ok = ok && T_TRUE(closed_soon(s.fd)) && T_INTEQ(o.readies, 0) &&
	    T_INTEQ(o.fails, 0);
	server_close(&s);
	serve_ms(20);
	return ok;
}

/* How many descriptors this process has open. */
static int
open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* lws refuses to adopt the socket to the proxy (the vhost lacks the
 * tunnel's protocol): the open fails with its sentence and the socket
 * is closed, not leaked (lws 4.1 does not close a raw descriptor it
 * refused, lib/core-net/adopt.c). */
static int
t_adopt_refused_no_leak(void)
{
	struct server		 s;
	struct proxy_url	 pu;
	struct wa_tunnel	*t;
	struct owner		 o;
	const char		*why;
	enum wa_conn_end	 fail = WA_CONN_END__MAX;
	char			 err[256], u[64], want[200];
	int			 ok, n0, n1;

	server_open(&s);
	memset(&o, 0, sizeof(o));
	snprintf(u, sizeof(u), "socks5://127.0.0.1:%d", s.port);
	if (!T_INTEQ(proxyurl_parse(u, &pu, &why), 0))
		return 0;
	lws_set_log_level(0, NULL);	/* lws says it refused, as an error */
	n0 = open_fds();
	t = wa_tunnel_open(ctx, vh_bare, &pu, "web.whatsapp.com", 443, 3000,
	    &owner_cbs, &o, &fail, err, sizeof(err));
	n1 = open_fds();
	lws_set_log_level(LLL_ERR, NULL);
	proxyurl_wipe(&pu);
	snprintf(want, sizeof(want), "cannot watch the connection to the "
	    "SOCKS5 proxy 127.0.0.1:%d", s.port);
	ok = T_TRUE(t == NULL) && T_INTEQ(fail, WA_CONN_END_PROXY_UNREACHABLE) &&
	    T_STREQ(err, want) && T_INTEQ(n1, n0);
	server_close(&s);
	serve_ms(20);
	return ok;
}

/*
 * The server sends "n" bytes and hangs up at once: lws' socket gets
 * every one of them, then the end (the proxy's end must not drop what
 * is still buffered for lws: a server's last words, like a stream
 * error, are the reason it hung up).
 */
static int
last_words(size_t n)
{
	struct server	 s;
	struct owner	 o;
	uint8_t		*pat, *got;
	size_t		 sent = 0, have = 0, i;
	ssize_t		 r;
	int		 ok, eof = 0;

	pat = malloc(n);
	got = calloc(1, n);
	if (pat == NULL || got == NULL)
		return 0;
	for (i = 0; i < n; i++)
		pat[i] = (uint8_t)(i * 13 + (i >> 10));
	server_open(&s);
	ok = handshake(&s, &o);
	ok = ok && T_TRUE(server_send(&s, "\x05\x00\x00\x01\x7f\x00\x00\x01"
	    "\x01\xbb", 10)) && T_TRUE(wait_owner(&o)) &&
	    T_INTEQ(o.readies, 1);
	/* Wait for the tunnel to take lws' socket. */
	for (i = 0; ok && i < 50; i++)
		turn();
	for (i = 0; ok && i < 20000 && sent < n; i++) {
		if ((r = send(s.fd, pat + sent, n - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)r;
		turn();
	}
	ok = ok && T_INTEQ(sent, n);
	close(s.fd);
	s.fd = -1;
	for (i = 0; ok && i < 20000 && !eof; i++) {
		turn();
		while ((r = recv(o.client, got + have, n - have, 0)) > 0)
			have += (size_t)r;
		if (r == 0 || (r == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK))
			eof = 1;
	}
	ok = ok && T_TRUE(eof) && T_INTEQ(have, n) && T_MEMEQ(got, pat, n);
	free(pat);
	free(got);
	close(o.client);
	server_close(&s);
	serve_ms(20);
	return ok;
}

static int
t_last_words_short(void)
{

	return last_words(3);
}

static int
t_last_words_long(void)
{

	/* More than the tunnel and lws' socket buffer hold. */
	return last_words(256 << 10);
}

/* The proxy by name: looked up off the loop, then the greeting. */
static int
t_proxy_by_name(void)
{
	struct server	 s;
	struct owner	 o;
	int		 ok;

	server_open(&s);
	ok = T_TRUE(open_to(&o, &s, "socks5://localhost:PORT", 3000) !=
	    NULL) && T_TRUE(server_wait(&s, 3)) &&
	    T_MEMEQ(s.in, "\x05\x01\x00", 3) && T_INTEQ(o.fails, 0);
	if (o.t != NULL)
		wa_tunnel_cancel(o.t);
	ok = ok && T_TRUE(closed_soon(s.fd));
	server_close(&s);
	serve_ms(20);
	return ok;
}

/*
 * A proxy name that does not resolve: the lookup is not made on the
 * caller's stack (which is the event loop's: a slow resolver would stall
 * every session), so the open succeeds and the failure arrives as a
 * callback, with its sentence: the resolver's answer, or (no DNS server
 * answers here) the tunnel's 1 s timeout.
 */
static int
t_proxy_name_unknown(void)
{
	struct server	 s;
	struct owner	 o;
	const char	*want = "cannot connect to the SOCKS5 proxy "
			    "no-such-proxy.invalid:1080: name lookup failed (";
	const char	*slow = "cannot connect to the SOCKS5 proxy "
			    "no-such-proxy.invalid:1080: its name was not found "
			    "within 1 s";
	int		 ok;

	memset(&s, 0, sizeof(s));
	ok = T_TRUE(open_to(&o, &s, "socks5://no-such-proxy.invalid:1080",
	    1000) != NULL) && T_INTEQ(o.fails, 0) && T_TRUE(wait_owner(&o)) &&
	    T_INTEQ(o.fails, 1) && T_INTEQ(o.why, WA_CONN_END_PROXY_UNREACHABLE);
	ok = ok && T_TRUE(strncmp(o.detail, want, strlen(want)) == 0 ||
	    strcmp(o.detail, slow) == 0);
	if (!ok)
		fprintf(stderr, "detail: %s\n", o.detail);
	serve_ms(20);
	return ok;
}

/* Cancelled while the name is looked up: no callback; the lookup's
 * memory is freed once glibc is done (ASan sees no leak).  Names from
 * /etc/hosts, so that glibc is done within the test without DNS. */
static int
t_cancel_while_resolving(void)
{
	struct server	 s;
	struct owner	 o, o2;
	int		 ok;

	memset(&s, 0, sizeof(s));
	ok = T_TRUE(open_to(&o, &s, "socks5://localhost:2", 3000) != NULL);
	ok = ok && T_TRUE(open_to(&o2, &s, "socks5://localhost:1", 3000) !=
	    NULL);
	wa_tunnel_cancel(o.t);
	wa_tunnel_cancel(o2.t);
	serve_ms(500);
	ok = ok && T_INTEQ(o.fails + o.readies + o2.fails + o2.readies, 0);
	return ok;
}

int
main(void)
{
	static const struct t_case	cases[] = {
		T_CASE(t_both_ways),
		T_CASE(t_backpressure),
		T_CASE(t_refused_ruleset),
		T_CASE(t_malformed_reply),
		T_CASE(t_hangup),
		T_CASE(t_no_method),
		T_CASE(t_method_not_offered),
		T_CASE(t_wrong_password),
		T_CASE(t_silent_proxy_times_out),
		T_CASE(t_nothing_listening),
		T_CASE(t_stranger_closed),
		T_CASE(t_cancel_no_callback),
		T_CASE(t_adopt_refused_no_leak),
		T_CASE(t_last_words_short),
		T_CASE(t_last_words_long),
		T_CASE(t_proxy_by_name),
		T_CASE(t_proxy_name_unknown),
		T_CASE(t_cancel_while_resolving),
	};
	struct lws_context_creation_info	 info;
	int					 rc;

	log_init("t_tunnel", LOG_LEVEL_ERROR);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	lws_set_log_level(LLL_ERR, NULL);
	if ((ctx = lws_create_context(&info)) == NULL ||
	    (vh = lws_get_vhost_by_name(ctx, "default")) == NULL) {
		fprintf(stderr, "no lws context\n");
		return 1;
	}
	info.vhost_name = "bare";
	info.protocols = bare_protocols;
	if ((vh_bare = lws_create_vhost(ctx, &info)) == NULL) {
		fprintf(stderr, "no second vhost\n");
		return 1;
	}
	rc = t_run(cases, T_NCASES(cases));
	lws_context_destroy(ctx);
	return rc;
}
