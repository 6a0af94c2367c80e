/*
 * In-process harness for the protocol client (daemon/wa/client*.c),
 * shared by the unit test t_client.c and the libFuzzer target
 * fuzz_client.c.  The including file includes client_int.h first, so
 * the harness can reach the client's internals; the client parts are
 * linked without conn.o, which is replaced by the fake below, which
 * records what the client sends.  The Noise handshake is skipped: the
 * harness gives the client known transport keys and keeps the mirror
 * (server) side, so it can encrypt nodes for the client and decrypt its
 * answers.  Timers run on a real lws_context without any socket.
 */
#ifndef WADESK_WA_CLIENT_HARNESS_H
#define WADESK_WA_CLIENT_HARNESS_H

#include "groups.h"

#define	H_MAX_SENT	64	/* frames remembered */
#define	H_MAX_EVENTS	64	/* events remembered */

struct	wa_conn {
	int	 closed;		/* wa_conn_close() called */
};

struct	harness {
	struct lws_context	*ctx;
	struct wa_client	*c;
	struct wa_conn		*conn;		/* the fake connection */
	const struct wa_conn_cbs *cbs;		/* the client's, for on_end */
	void			*arg;
	struct wa_noise_transport server;	/* mirror of c->tr */
	struct wa_node		*sent[H_MAX_SENT]; /* decoded, in order */
	size_t			 nsent;
	char			 events[H_MAX_EVENTS][160]; /* "closed ..." */
	size_t			 nevents;
	int			 free_in_closed; /* free c from closed */
	uint32_t		 prekeys_last;	/* last id handed up */
	int			 prekeys_fail;	/* prekeys_new answers -1 */
	int			 creds_changes;	/* creds_changed calls */
	lws_sorted_usec_list_t	 tick;
};

static struct harness	 H;
static struct lws_context *h_kept;	/* context reused by h_keep_context */
static int		 h_keep;	/* 1: reuse one context (fuzzer) */

/* The fake conn.c: nothing goes on the wire. */
int
wa_conn_url_check(const char *url)
{

	return strncmp(url, "ws://", 5) == 0 ||
	    strncmp(url, "wss://", 6) == 0 ? 0 : -1;
}

struct wa_conn *
wa_conn_open(const struct wa_conn_cfg *cfg, const struct wa_conn_cbs *cbs,
    void *arg)
{

	if (H.conn != NULL && !H.conn->closed)
		abort();	/* two connections at once */
	free(H.conn);
	H.conn = xcalloc(1, sizeof(*H.conn));
	H.cbs = cbs;
	H.arg = arg;
	return H.conn;
}

/* Decrypt what the client sends with the mirror keys; keep the node. */
int
wa_conn_send(struct wa_conn *conn, const void *payload, size_t len)
{
	struct buf	 pt;
	struct wa_node	*n = NULL;
	char		 err[128];

	if (conn->closed)
		abort();
	buf_init(&pt);
	if (wa_noise_transport_decrypt(&H.server, payload, len, &pt) == -1 ||
	    wa_frame_decode((const unsigned char *)pt.data, pt.len, &n, err,
	    sizeof(err)) == -1)
		abort();	/* the client sent something broken */
	buf_free(&pt);
	if (H.nsent < H_MAX_SENT)
		H.sent[H.nsent++] = n;
	else
		wa_node_free(n);
	return 0;
}

void
wa_conn_close(struct wa_conn *conn)
{

	if (conn == NULL)
		return;
	if (conn != H.conn || conn->closed)
		abort();
	conn->closed = 1;
}

size_t
wa_conn_mem(const struct wa_conn *conn)
{

	return sizeof(*conn);
}

static void
h_event(const char *fmt, ...)
{
	va_list	 ap;

	if (H.nevents == H_MAX_EVENTS)
		return;
	va_start(ap, fmt);
	vsnprintf(H.events[H.nevents++], sizeof(H.events[0]), fmt, ap);
	va_end(ap);
}

static void
h_qr(struct wa_client *c, void *u, const char *qr, int n, time_t exp)
{

	h_event("qr %d", n);
}

static void
h_pair_code(struct wa_client *c, void *u, const char *code)
{

	h_event("code %s", code);
}

static void
h_paired(struct wa_client *c, void *u, const struct wa_paired *p)
{

	h_event("paired %s", p->jid);
}

static void
h_connected(struct wa_client *c, void *u, const struct wa_connected *i)
{

	h_event("connected %s", i->jid);
}

static void
h_logged_out(struct wa_client *c, void *u, enum wa_reason r, int code)
{

	h_event("logged_out %s %d", wa_reason_name(r), code);
}

static void
h_closed(struct wa_client *c, void *u, enum wa_reason r, int code, int i)
{

	h_event("closed %s %d %d", wa_reason_name(r), code, i);
	if (H.free_in_closed) {
		wa_client_free(c);
		H.c = NULL;
	}
}

static int
h_prekeys_new(struct wa_client *c, void *u, const struct wa_prekey *k,
    size_t n)
{

	h_event("prekeys %u %zu", n > 0 ? k[0].id : 0, n);
	H.prekeys_last = n > 0 ? k[n - 1].id : 0;
	return H.prekeys_fail ? -1 : 0;
}

static void
h_offline(struct wa_client *c, void *u, int count)
{

	h_event("offline %d", count);
}

static void
h_creds_changed(struct wa_client *c, void *u, const uint8_t *b, size_t n)
{

	H.creds_changes++;
}

/* groups.h: the groups answer and w:gp2 changes, as events. */
static void
h_groups(struct wa_client *c, void *u, const struct wa_group *g, size_t n,
    int error)
{

	h_event("groups %zu %d %s%s", n, error, n > 0 ? g[0].jid : "-",
	    n > 0 && g[0].is_admin ? " admin" : "");
}

static void
h_group_change(struct wa_client *c, void *u, const struct wa_group_change *ch)
{

	h_event("group_change %s subject=%s", ch->jid,
	    ch->has_subject ? ch->subject : "-");
}

static void
h_message(struct wa_client *c, void *u, const struct wa_message *m)
{

	h_event("message %s %s %d %s", m->chat, m->sender, m->from_me,
	    m->text != NULL ? m->text : "(none)");
}

static void
h_identity_changed(struct wa_client *c, void *u, const char *jid)
{

	h_event("identity_changed %s", jid);
}

static const struct wa_callbacks	 h_cbs = {
	.message = h_message,
	.identity_changed = h_identity_changed,
	.groups = h_groups,
	.group_change = h_group_change,
	.qr = h_qr,
	.pair_code = h_pair_code,
	.paired = h_paired,
	.connected = h_connected,
	.creds_changed = h_creds_changed,
	.prekeys_new = h_prekeys_new,
	.offline = h_offline,
	.logged_out = h_logged_out,
	.closed = h_closed,
};

static void
h_wake(lws_sorted_usec_list_t *sul)
{

	lws_sul_schedule(H.ctx, 0, &H.tick, h_wake, 5 * LWS_US_PER_MS);
}

/* Run the event loop for about msec milliseconds. */
static void
h_run(int msec)
{
	lws_usec_t	 end;

	end = lws_now_usecs() + (lws_usec_t)msec * LWS_US_PER_MS;
	while (lws_now_usecs() < end)
		if (lws_service(H.ctx, 0) < 0)
			break;
}

/* 1 if some recorded event starts with prefix. */
static int
h_has(const char *prefix)
{
	size_t	 i;

	for (i = 0; i < H.nevents; i++)
		if (strncmp(H.events[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

/*
 * A client on the fake connection with the handshake done: "login" 1
 * for a paired client logging in, 0 for a registration (pairing).
 */
static int
h_setup(int login)
{
	struct lws_context_creation_info	 info;
	struct wa_config			 cfg;
	static uint8_t				 blob[WA_CREDS_ENC_MAX];
	static size_t				 len;
	struct wa_creds				*cr;
	uint8_t					 acct[40], ask[32];
	int					 rc;

	memset(&H, 0, sizeof(H));
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	lws_set_log_level(LLL_ERR, NULL);
	if (h_keep && h_kept != NULL)
		H.ctx = h_kept;
	else if ((H.ctx = lws_create_context(&info)) == NULL)
		return -1;
	h_kept = H.ctx;
	lws_sul_schedule(H.ctx, 0, &H.tick, h_wake, 1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.lws = H.ctx;
	cfg.url = "ws://127.0.0.1:1/ws/chat";
	cfg.cb = &h_cbs;
	cfg.keepalive_min_ms = cfg.keepalive_max_ms = 30;
	cfg.keepalive_timeout_ms = 30;
	cfg.keepalive_dead_ms = 100;
	cfg.qr_first_ms = 40;
	cfg.qr_next_ms = 20;
	if ((H.c = wa_client_new(&cfg)) == NULL)
		return -1;
	if (login && len == 0) {
		/* Paired credentials, made once and reused. */
		if ((cr = wa_creds_new()) == NULL ||
		    wa_creds_generate(cr) == -1)
			return -1;
		memset(acct, 7, sizeof(acct));
		memset(ask, 9, sizeof(ask));
		if (wa_creds_set_account(cr, "15551234567:12@s.whatsapp.net",
		    NULL, "android", NULL, acct, sizeof(acct), ask) == -1 ||
		    wa_creds_encode(cr, blob, sizeof(blob), &len) == -1)
			return -1;
		wa_creds_free(cr);
	}
	if (login)
		rc = wa_client_start_login(H.c, blob, len);
	else
		rc = wa_client_start_pair(H.c);
	if (rc == -1)
		return -1;
	/* Run the sul_open timer's conn_start now: the fake open. */
	lws_sul_cancel(&H.c->sul_open);
	cl_conn_start(&H.c->sul_open);
	if (H.conn == NULL || H.c->conn != H.conn)
		return -1;
	/* Skip the handshake: known keys, both directions. */
	memset(&H.c->tr, 0, sizeof(H.c->tr));
	memset(H.c->tr.send.key, 0x11, sizeof(H.c->tr.send.key));
	memset(H.c->tr.recv.key, 0x22, sizeof(H.c->tr.recv.key));
	H.server.send = H.c->tr.recv;
	H.server.recv = H.c->tr.send;
	cl_transport_ready(H.c);	/* as after ClientFinish */
	return 0;
}

/* Hand the client raw frame plaintext bytes (flag byte included). */
static void
h_feed_raw(const uint8_t *pt, size_t len)
{
	struct buf	 ct;

	if (H.c == NULL || H.c->conn == NULL)
		return;
	buf_init(&ct);
	if (wa_noise_transport_encrypt(&H.server, pt, len, &ct) == -1)
		abort();
	cl_on_frame(H.c, (const uint8_t *)ct.data, ct.len);
	buf_free(&ct);
}

/* Hand the client node n (freed). */
static void
h_feed(struct wa_node *n)
{
	struct buf	 pt;

	buf_init(&pt);
	if (wa_frame_pack(n, &pt) == -1)
		abort();
	wa_node_free(n);
	h_feed_raw((const uint8_t *)pt.data, pt.len);
	buf_free(&pt);
}

/* The last node the client sent, or NULL. */
static struct wa_node *
h_last(void)
{

	return H.nsent > 0 ? H.sent[H.nsent - 1] : NULL;
}

static void
h_teardown(void)
{
	size_t	 i;

	wa_client_free(H.c);
	H.c = NULL;
	for (i = 0; i < H.nsent; i++)
		wa_node_free(H.sent[i]);
	free(H.conn);
	lws_sul_cancel(&H.tick);
	if (!h_keep) {
		lws_context_destroy(H.ctx);
		h_kept = NULL;
	}
	memset(&H, 0, sizeof(H));
}

#endif /* !WADESK_WA_CLIENT_HARNESS_H */
