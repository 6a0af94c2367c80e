/*
 * Unit tests for daemon/wa/client.c in-process (tests/wa/client_harness.h:
 * a fake connection, the handshake skipped, real lws timers): what the
 * client answers to each server node of spec 6-8, how each stream error
 * and failure maps to a typed close, keepalive, acks, and hostile nodes.
 */
#include "client_int.h"

#include "client_harness.h"
#include "t.h"

/* <tag attrs...> from "k=v" pairs, NULL-terminated. */
static struct wa_node *
mk(const char *tag, ...)
{
	struct wa_node	*n;
	va_list		 ap;
	const char	*kv, *eq;
	char		*k;

	n = wa_node_new(tag);
	va_start(ap, tag);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		eq = strchr(kv, '=');
		k = xstrndup(kv, (size_t)(eq - kv));
		wa_node_set_attr(n, k, eq + 1);
		free(k);
	}
	va_end(ap);
	return n;
}

/* <iq type=result from=server id=id/>, the server's answer. */
static struct wa_node *
result_for(const char *id)
{
	struct wa_node	*n;

	n = mk("iq", "type=result", "from=@s.whatsapp.net", NULL);
	wa_node_set_attr(n, "id", id);
	return n;
}

/* The last node the client sent with this xmlns, or NULL. */
static struct wa_node *
sent_xmlns(const char *xmlns)
{
	size_t	 i;

	for (i = H.nsent; i > 0; i--)
		if (cl_attr_is(H.sent[i - 1], "xmlns", xmlns))
			return H.sent[i - 1];
	return NULL;
}

/* The last node the client sent with this tag, or NULL. */
static struct wa_node *
sent_tag(const char *tag)
{
	size_t	 i;

	for (i = H.nsent; i > 0; i--)
		if (strcmp(H.sent[i - 1]->tag, tag) == 0)
			return H.sent[i - 1];
	return NULL;
}

/* Answer the client's last encrypt IQ: a count result of value v. */
static void
count_answer(const char *v)
{
	struct wa_node	*n, *res;

	if ((n = sent_xmlns("encrypt")) == NULL)
		return;
	res = result_for(wa_node_attr(n, "id"));
	wa_node_set_attr(wa_node_add_child(res, "count"), "value", v);
	h_feed(res);
}

/*
 * Log in: <success/>; the pre-key count comes first (whatsmeow
 * handleConnectSuccess), the server says "count", the client uploads
 * (our store is empty) and only then sends the active IQ; answer it.
 */
static int
login_count(const char *count)
{
	struct wa_node	*n;
	const char	*id;

	h_feed(mk("success", "t=1700000000", "lid=999:12@lid",
	    "display_name=Shop", NULL));
	n = h_last();
	if (!T_TRUE(n != NULL && cl_attr_is(n, "xmlns", "encrypt") &&
	    cl_attr_is(n, "type", "get") && wa_node_child(n, "count") != NULL) ||
	    !T_TRUE(sent_xmlns("passive") == NULL))
		return 0;
	count_answer(count);
	n = h_last();
	if (n != NULL && cl_attr_is(n, "xmlns", "encrypt") &&
	    cl_attr_is(n, "type", "set")) {
		if (!T_TRUE(sent_xmlns("passive") == NULL))
			return 0;
		h_feed(result_for(wa_node_attr(n, "id")));
	}
	n = sent_xmlns("passive");
	if (!T_TRUE(n != NULL && strcmp(n->tag, "iq") == 0 &&
	    cl_attr_is(n, "type", "set") &&
	    cl_attr_is(n, "to", "@s.whatsapp.net") &&
	    wa_node_child(n, "active") != NULL))
		return 0;
	id = wa_node_attr(n, "id");
	h_feed(result_for(id));
	return T_TRUE(h_has("connected 15551234567:12@s.whatsapp.net")) &&
	    T_INTEQ(wa_client_state(H.c), WA_STATE_CONNECTED) &&
	    T_STREQ(H.c->creds->lid, "999:12@lid");
}

static int
login_connected(void)
{

	return login_count("10");
}

static int
success_then_active(void)
{
	int	 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected();
	h_teardown();
	return ok;
}

/* One stream error or failure node, the close it must give. */
static int
closes_as(struct wa_node *n, int login, const char *want, int logged_out)
{
	int	 ok;

	ok = T_INTEQ(h_setup(login), 0);
	if (ok && login)
		ok = login_connected();
	h_feed(n);
	h_run(5);
	ok = ok && T_TRUE(h_has(want)) &&
	    T_INTEQ(h_has("logged_out"), logged_out) &&
	    T_INTEQ(wa_client_state(H.c), WA_STATE_IDLE) &&
	    T_TRUE(H.conn->closed);
	if (!ok && H.nevents > 0)
		fprintf(stderr, "last event: %s\n", H.events[H.nevents - 1]);
	h_teardown();
	return ok;
}

static struct wa_node *
conflict(const char *code, const char *type)
{
	struct wa_node	*n;

	n = mk("stream:error", NULL);
	if (code != NULL)
		wa_node_set_attr(n, "code", code);
	wa_node_set_attr(wa_node_add_child(n, "conflict"), "type", type);
	return n;
}

static int
stream_errors(void)
{

	return closes_as(mk("stream:error", "code=515", NULL), 1,
	    "closed restart_required 515 0", 0) &&
	    closes_as(conflict("401", "device_removed"), 1,
	    "closed logged_out 401 0", 1) &&
	    /* whatsmeow handleStreamError: 401 alone is no logout. */
	    closes_as(mk("stream:error", "code=401", NULL), 1,
	    "closed unknown 401 0", 0) &&
	    closes_as(conflict(NULL, "device_removed"), 1,
	    "closed unknown 0 0", 0) &&
	    closes_as(conflict(NULL, "replaced"), 1,
	    "closed replaced 440 0", 0) &&
	    closes_as(mk("stream:error", "code=503", NULL), 1,
	    "closed server_error 503 0", 0) &&
	    closes_as(mk("stream:error", NULL), 1, "closed unknown 0 0", 0) &&
	    closes_as(mk("xmlstreamend", NULL), 1,
	    "closed connection_lost 0 0", 0);
}

static int
failures(void)
{

	return closes_as(mk("failure", "reason=401", NULL), 1,
	    "closed logged_out 401 0", 1) &&
	    closes_as(mk("failure", "reason=403", NULL), 1,
	    "closed banned 403 0", 1) &&
	    closes_as(mk("failure", "reason=402", NULL), 1,
	    "closed banned 402 0", 0) &&
	    closes_as(mk("failure", "reason=405", "location=x", NULL), 1,
	    "closed outdated 405 0", 0) &&
	    closes_as(mk("failure", "reason=500", NULL), 1,
	    "closed server_error 500 0", 0) &&
	    closes_as(mk("failure", "reason=4x5", NULL), 1,
	    "closed unknown 0 0", 0);
}

/* Pings go out on the interval; unanswered ones end the connection. */
static int
keepalive(void)
{
	struct wa_node	*n;
	size_t		 i, pings = 0;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected();
	/* Answer every ping for a while. */
	for (i = 0; i < 20 && ok; i++) {
		h_run(10);
		n = h_last();
		if (n != NULL && cl_attr_is(n, "xmlns", "w:p") &&
		    cl_attr_is(n, "type", "get") &&
		    n->content == WA_CONTENT_NONE && H.c->ka_iq[0] != '\0') {
			pings++;
			h_feed(result_for(wa_node_attr(n, "id")));
		}
	}
	ok = ok && T_TRUE(pings >= 2) && T_TRUE(!h_has("closed"));
	/* Then go silent: dead after keepalive_dead_ms. */
	h_run(300);
	ok = ok && T_TRUE(h_has("closed timeout 0 0"));
	h_teardown();
	return ok;
}

/*
 * wa_client_last_frame(): 0 until a frame decrypts; a frame moves it to
 * now; timers and pings sent do not; a frame that fails to decrypt
 * ends the connection, and with it the value (0).  The
 * stored time is set back by hand to see a move within one second.
 */
static int
last_frame(void)
{
	static const uint8_t	 junk[] = { 0x00, 0xf8, 0x05, 0x19 };
	struct buf		 ct;
	time_t			 t0, old;
	int			 ok;

	ok = T_INTEQ(h_setup(1), 0) &&
	    T_INTEQ(wa_client_last_frame(H.c), 0);
	h_run(40);	/* logging in: the loop runs, no frame comes */
	ok = ok && T_INTEQ(wa_client_last_frame(H.c), 0);
	t0 = time(NULL);
	ok = ok && login_connected() &&
	    T_TRUE(wa_client_last_frame(H.c) >= t0) &&
	    T_TRUE(wa_client_last_frame(H.c) <= time(NULL));
	if (!ok) {
		h_teardown();
		return 0;
	}

	/*
	 * Pretend the last frame was long ago; quiet time with a ping
	 * sent (interval 30 ms, dead after 100 ms) changes nothing.
	 */
	old = t0 - 1000;
	H.c->last_frame = old;
	h_run(50);
	ok = ok && T_TRUE(sent_xmlns("w:p") != NULL) &&
	    T_INTEQ(wa_client_last_frame(H.c), old) &&
	    T_TRUE(!h_has("closed"));

	/* A frame under the wrong key ends the connection: 0 at once. */
	buf_init(&ct);
	H.server.send.key[0] ^= 1;
	if (wa_noise_transport_encrypt(&H.server, junk, sizeof(junk),
	    &ct) == 0)
		cl_on_frame(H.c, (const uint8_t *)ct.data, ct.len);
	H.server.send.key[0] ^= 1;
	buf_free(&ct);
	ok = ok && T_INTEQ(wa_client_last_frame(H.c), 0);
	h_run(5);
	ok = ok && T_TRUE(h_has("closed protocol 0 0")) &&
	    T_INTEQ(wa_client_last_frame(H.c), 0);
	h_teardown();

	/* Any node counts: a notification moves it from "old" to now. */
	if (!ok || !T_INTEQ(h_setup(1), 0) || !login_connected()) {
		h_teardown();
		return 0;
	}
	H.c->last_frame = old;
	t0 = time(NULL);
	h_feed(mk("notification", "id=N2", "from=@s.whatsapp.net",
	    "type=account_sync", "t=1", NULL));
	ok = ok && T_TRUE(wa_client_last_frame(H.c) >= t0) &&
	    T_TRUE(wa_client_last_frame(H.c) <= time(NULL));
	h_teardown();
	return ok;
}

/* A notification is acked with class, type and to (spec 8.7). */
static int
ack_notification(void)
{
	struct wa_node	*n;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected();
	h_feed(mk("notification", "id=N1", "from=@s.whatsapp.net",
	    "type=account_sync", "t=1", NULL));
	n = h_last();
	ok = ok && T_TRUE(n != NULL && strcmp(n->tag, "ack") == 0) &&
	    T_STREQ(wa_node_attr(n, "id"), "N1") &&
	    T_STREQ(wa_node_attr(n, "class"), "notification") &&
	    T_STREQ(wa_node_attr(n, "type"), "account_sync") &&
	    T_STREQ(wa_node_attr(n, "to"), "@s.whatsapp.net");
	/* A message ack carries no type (whatsmeow). */
	h_feed(mk("message", "id=M1", "from=1555@s.whatsapp.net",
	    "type=text", NULL));
	n = h_last();
	ok = ok && T_STREQ(wa_node_attr(n, "class"), "message") &&
	    T_TRUE(wa_node_attr(n, "type") == NULL);
	h_teardown();
	return ok;
}

/* pair-device: acked, QR events rotate, exhaustion closes. */
static int
pair_device_rotation(void)
{
	struct wa_node	*n, *pd, *r;
	int		 i, ok;

	ok = T_INTEQ(h_setup(0), 0);
	n = mk("iq", "id=P1", "type=set", "xmlns=md", "from=@s.whatsapp.net",
	    NULL);
	pd = wa_node_add_child(n, "pair-device");
	for (i = 0; i < 3; i++) {
		r = wa_node_add_child(pd, "ref");
		wa_node_set_bytes(r, i == 0 ? "2@AAAA" : i == 1 ? "2@BBBB" :
		    "2@CCCC", 6);
	}
	(void)wa_node_add_child(pd, "junk");
	h_feed(n);
	n = h_last();
	ok = ok && T_TRUE(n != NULL && cl_attr_is(n, "type", "result") &&
	    cl_attr_is(n, "id", "P1") && n->content == WA_CONTENT_NONE);
	h_run(150);
	ok = ok && T_TRUE(h_has("qr 1")) && T_TRUE(h_has("qr 3")) &&
	    T_TRUE(!h_has("qr 4")) &&
	    T_TRUE(h_has("closed qr_exhausted 0 0"));
	h_teardown();
	return ok;
}

/* A pair-success that does not verify gets an error IQ and a close. */
static int
pair_success_refused(void)
{
	struct wa_node	*n, *ps, *e;
	int		 ok;

	ok = T_INTEQ(h_setup(0), 0);
	n = mk("iq", "id=S1", "type=set", "xmlns=md", "from=@s.whatsapp.net",
	    NULL);
	ps = wa_node_add_child(n, "pair-success");
	wa_node_set_bytes(wa_node_add_child(ps, "device-identity"),
	    "\x0a\x03xyz\x12\x02zz", 9);
	wa_node_set_attr(wa_node_add_child(ps, "device"), "jid",
	    "15551234567:3@s.whatsapp.net");
	h_feed(n);
	h_run(5);
	n = H.nsent > 0 ? H.sent[0] : NULL;
	e = n != NULL ? wa_node_child(n, "error") : NULL;
	ok = ok && T_TRUE(e != NULL) && T_TRUE(cl_attr_is(n, "type", "error")) &&
	    T_STREQ(wa_node_attr(e, "code"), "401") &&
	    T_STREQ(wa_node_attr(e, "text"), "hmac-mismatch") &&
	    T_TRUE(h_has("closed pair_failed 401 0")) &&
	    T_TRUE(!h_has("paired"));
	h_teardown();
	return ok;
}

/* Hostile frames: each ends the connection as a protocol error. */
static int
hostile_frames(void)
{
	static const uint8_t	 junk[] = { 0x00, 0xf8, 0x05, 0x19 };
	static const uint8_t	 zlib_junk[] = { 0x02, 0x78, 0x9c, 0xff };
	struct wa_node		*n;
	struct buf		 ct;
	int			 ok;

	ok = T_INTEQ(h_setup(1), 0);
	h_feed_raw(junk, sizeof(junk));
	ok = ok && T_TRUE(h_has("closed") || H.c->state == WA_STATE_CLOSING);
	h_run(5);
	ok = ok && T_TRUE(h_has("closed protocol 0 0"));
	h_teardown();

	ok = ok && T_INTEQ(h_setup(1), 0);
	h_feed_raw(zlib_junk, sizeof(zlib_junk));
	h_run(5);
	ok = ok && T_TRUE(h_has("closed protocol 0 0"));
	h_teardown();

	/* Wrong key: authentication fails. */
	ok = ok && T_INTEQ(h_setup(1), 0);
	buf_init(&ct);
	H.server.send.key[0] ^= 1;
	if (wa_noise_transport_encrypt(&H.server, junk, sizeof(junk),
	    &ct) == 0)
		cl_on_frame(H.c, (const uint8_t *)ct.data, ct.len);
	buf_free(&ct);
	h_run(5);
	ok = ok && T_TRUE(h_has("closed protocol 0 0"));
	h_teardown();

	/* A pair-device without usable refs while pairing. */
	ok = ok && T_INTEQ(h_setup(0), 0);
	n = mk("iq", "id=P", "type=set", "from=@s.whatsapp.net", NULL);
	wa_node_set_text(wa_node_add_child(wa_node_add_child(n,
	    "pair-device"), "ref"), "2@no,comma");
	h_feed(n);
	h_run(5);
	ok = ok && T_TRUE(h_has("closed protocol 0 0")) &&
	    T_TRUE(!h_has("qr"));
	h_teardown();
	return ok;
}

/* The client can be freed from inside its closed callback. */
static int
free_from_callback(void)
{
	int	 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected();
	H.free_in_closed = 1;
	wa_client_stop(H.c, 1);
	ok = ok && T_TRUE(!h_has("closed"));	/* never from inside stop */
	h_run(5);
	ok = ok && T_TRUE(h_has("closed stopped 0 1")) &&
	    T_TRUE(H.c == NULL);
	h_teardown();
	return ok;
}

/* Logout: the IQ, then its result gives logged_out and an intentional close. */
static int
logout_flow(void)
{
	struct wa_node	*n, *r;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected() &&
	    T_INTEQ(wa_client_logout(H.c), 0);
	n = h_last();
	r = n != NULL ? wa_node_child(n, "remove-companion-device") : NULL;
	ok = ok && T_TRUE(r != NULL) && T_TRUE(cl_attr_is(n, "xmlns", "md")) &&
	    T_STREQ(wa_node_attr(r, "jid"), "15551234567:12@s.whatsapp.net") &&
	    T_STREQ(wa_node_attr(r, "reason"), "user_initiated");
	if (ok)
		h_feed(result_for(wa_node_attr(n, "id")));
	h_run(5);
	ok = ok && T_TRUE(h_has("logged_out logged_out 0")) &&
	    T_TRUE(h_has("closed logged_out 0 1"));
	h_teardown();
	return ok;
}

/*
 * After <success>, the pre-key count; 0 on the server means an upload
 * of 812 one-time keys with 3-byte ids and the signed pre-key, whose
 * signature verifies (spec 8.8); the rest is prekeys_lifecycle.
 */
static int
prekeys_upload(void)
{
	struct wa_node	*n, *list, *sk, *k, *id, *v, *sig, *res, *cnt;
	size_t		 i;
	int		 ok, good = 1;

	ok = T_INTEQ(h_setup(1), 0);
	h_feed(mk("success", "t=1700000000", NULL));
	n = sent_xmlns("encrypt");
	ok = ok && T_TRUE(n != NULL && cl_attr_is(n, "type", "get") &&
	    wa_node_child(n, "count") != NULL);
	if (!ok) {
		h_teardown();
		return 0;
	}
	res = result_for(wa_node_attr(n, "id"));
	cnt = wa_node_add_child(res, "count");
	wa_node_set_attr(cnt, "value", "0");
	h_feed(res);
	n = h_last();
	list = wa_node_child(n, "list");
	sk = wa_node_child(n, "skey");
	ok = T_TRUE(cl_attr_is(n, "xmlns", "encrypt") &&
	    cl_attr_is(n, "type", "set")) && T_TRUE(list != NULL && sk != NULL) &&
	    T_INTEQ(list->nchildren, 812) &&
	    T_INTEQ(wa_node_child(n, "registration")->nbytes, 4) &&
	    T_INTEQ(wa_node_child(n, "type")->nbytes, 1) &&
	    T_INTEQ(wa_node_child(n, "type")->bytes[0], 5) &&
	    T_MEMEQ(wa_node_child(n, "identity")->bytes,
	    H.c->creds->identity_key.pub, 32);
	for (i = 0; ok && i < list->nchildren; i++) {
		k = list->children[i];
		id = wa_node_child(k, "id");
		v = wa_node_child(k, "value");
		good = good && id != NULL && id->nbytes == 3 && v != NULL &&
		    v->nbytes == 32;
	}
	v = ok ? wa_node_child(sk, "value") : NULL;
	sig = ok ? wa_node_child(sk, "signature") : NULL;
	ok = ok && T_TRUE(good) && T_TRUE(v != NULL && sig != NULL &&
	    v->nbytes == 32 && sig->nbytes == 64) &&
	    T_INTEQ(wa_prekey_verify(H.c->creds->identity_key.pub, v->bytes,
	    sig->bytes), 1);
	h_teardown();

	h_teardown();
	return ok;
}

/* Calls down that do not fit the state are refused. */
static int
api_refusals(void)
{
	int	 ok;

	ok = T_INTEQ(h_setup(1), 0) &&
	    T_INTEQ(wa_client_start_pair(H.c), -1) &&
	    T_INTEQ(wa_client_start_pair_code(H.c, "15551234567"), -1);
	h_teardown();
	ok = ok && T_INTEQ(h_setup(0), 0) &&
	    T_INTEQ(wa_client_logout(H.c), -1);
	wa_client_stop(H.c, 0);
	h_run(5);
	ok = ok && T_TRUE(h_has("closed stopped 0 0")) &&
	    T_INTEQ(wa_client_start_pair_code(H.c, "0123456789"), -1) &&
	    T_INTEQ(wa_client_start_pair_code(H.c, "12345"), -1) &&
	    T_INTEQ(wa_client_start_pair_code(H.c, "1555x234567"), -1) &&
	    T_INTEQ(wa_client_start_login(H.c, (const uint8_t *)"WACR", 4),
	    -1) && T_INTEQ(wa_client_state(H.c), WA_STATE_IDLE);
	h_teardown();
	return ok;
}

/*
 * The keepalive runs from the end of the handshake, pairing included,
 * and the ping is the empty <iq xmlns=w:p type=get to=server/>
 * (whatsmeow keepalive.go).
 */
static int
ping_while_pairing(void)
{
	struct wa_node	*n;
	int		 ok;

	ok = T_INTEQ(h_setup(0), 0);
	h_run(45);
	n = sent_xmlns("w:p");
	ok = ok && T_TRUE(n != NULL) && T_STREQ(n->tag, "iq") &&
	    T_TRUE(cl_attr_is(n, "type", "get")) &&
	    T_TRUE(cl_attr_is(n, "to", "@s.whatsapp.net")) &&
	    T_INTEQ(n->content, WA_CONTENT_NONE) &&
	    T_INTEQ(wa_client_state(H.c), WA_STATE_PAIRING);
	h_teardown();
	return ok;
}

/* <status> and <appdata> are acked like the others (whatsmeow sendAck). */
static int
ack_status_appdata(void)
{
	struct wa_node	*n;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected();
	h_feed(mk("status", "id=S1", "from=1555@s.whatsapp.net",
	    "type=text", "participant=1666@s.whatsapp.net", NULL));
	n = h_last();
	ok = ok && T_STREQ(n->tag, "ack") && T_STREQ(wa_node_attr(n, "id"),
	    "S1") && T_STREQ(wa_node_attr(n, "class"), "status") &&
	    T_STREQ(wa_node_attr(n, "to"), "1555@s.whatsapp.net") &&
	    T_STREQ(wa_node_attr(n, "type"), "text") &&
	    T_STREQ(wa_node_attr(n, "participant"), "1666@s.whatsapp.net");
	h_feed(mk("appdata", "id=A1", "from=1555@s.whatsapp.net", NULL));
	n = h_last();
	ok = ok && T_STREQ(n->tag, "ack") && T_STREQ(wa_node_attr(n, "id"),
	    "A1") && T_STREQ(wa_node_attr(n, "class"), "appdata") &&
	    T_TRUE(wa_node_attr(n, "type") == NULL);
	h_teardown();
	return ok;
}

/* IQs (answers and requests) from anyone but the server are refused. */
static int
iq_origin(void)
{
	struct wa_node	*n, *pd;
	size_t		 before;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0);
	h_feed(mk("success", "t=1700000000", NULL));
	count_answer("10");
	n = h_last();
	if (ok && n != NULL && cl_attr_is(n, "type", "set"))
		h_feed(result_for(wa_node_attr(n, "id")));
	n = sent_xmlns("passive");
	ok = ok && T_TRUE(n != NULL);
	if (ok) {
		struct wa_node *r = result_for(wa_node_attr(n, "id"));

		wa_node_set_attr(r, "from", "1555@s.whatsapp.net");
		h_feed(r);
		ok = T_TRUE(!h_has("connected")) &&
		    T_INTEQ(wa_client_state(H.c), WA_STATE_LOGGING_IN);
		h_feed(result_for(wa_node_attr(n, "id")));
		ok = ok && T_TRUE(h_has("connected"));
	}
	h_teardown();

	/* A pair-device from a user: no answer, no QR. */
	ok = ok && T_INTEQ(h_setup(0), 0);
	before = H.nsent;
	n = mk("iq", "id=P1", "type=set", "xmlns=md",
	    "from=1555@s.whatsapp.net", NULL);
	pd = wa_node_add_child(n, "pair-device");
	wa_node_set_bytes(wa_node_add_child(pd, "ref"), "2@AAAA", 6);
	h_feed(n);
	h_run(5);
	ok = ok && T_INTEQ(H.nsent, before) && T_TRUE(!h_has("qr"));
	h_teardown();
	return ok;
}

/*
 * Pre-keys: ids run 1, 2, ... from the stored counter, the private
 * halves go up first, 812 only when both stores are empty, and a
 * count notification below 5 tops up 50 more (whatsmeow prekeys.go,
 * notification.go).
 */
static int
prekeys_lifecycle(void)
{
	struct wa_node	*n, *list, *id, *note;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_count("0") &&
	    T_TRUE(h_has("prekeys 1 812")) &&
	    T_INTEQ(H.c->creds->next_prekey_id, 813) &&
	    T_INTEQ(H.c->creds->prekeys_uploaded, 812) &&
	    T_TRUE(H.creds_changes >= 2);
	/* The server runs low. */
	note = mk("notification", "id=E1", "from=@s.whatsapp.net",
	    "type=encrypt", NULL);
	wa_node_set_attr(wa_node_add_child(note, "count"), "value", "3");
	h_feed(note);
	/* The login upload was just now: recount first (whatsmeow
	 * uploadPreKeys' 10-minute race guard); the server says 3. */
	n = h_last();
	ok = ok && T_TRUE(n != NULL && cl_attr_is(n, "xmlns", "encrypt") &&
	    cl_attr_is(n, "type", "get"));
	count_answer("3");
	n = h_last();
	list = n != NULL ? wa_node_child(n, "list") : NULL;
	id = list != NULL && list->nchildren > 0 ?
	    wa_node_child(list->children[0], "id") : NULL;
	ok = ok && T_TRUE(list != NULL) && T_INTEQ(list->nchildren, 50) &&
	    T_TRUE(id != NULL && id->nbytes == 3 && id->bytes[0] == 0 &&
	    id->bytes[1] == 3 && id->bytes[2] == 0x2d) &&	/* 813 */
	    T_TRUE(h_has("prekeys 813 50")) &&
	    T_INTEQ(H.c->creds->next_prekey_id, 863);
	/* Another low count at once: the recount says 53, no upload. */
	if (ok) {
		h_feed(result_for(wa_node_attr(n, "id")));
		note = mk("notification", "id=E2", "from=@s.whatsapp.net",
		    "type=encrypt", NULL);
		wa_node_set_attr(wa_node_add_child(note, "count"), "value",
		    "2");
		h_feed(note);
		count_answer("53");
		n = h_last();
		ok = T_TRUE(n != NULL && cl_attr_is(n, "xmlns", "encrypt") &&
		    cl_attr_is(n, "type", "get")) &&
		    T_INTEQ(H.c->creds->next_prekey_id, 863) &&
		    T_INTEQ(H.c->pk_phase, PK_NONE);
	}
	/* The counters survive the credentials blob. */
	if (ok) {
		uint8_t			 blob[WA_CREDS_ENC_MAX];
		size_t			 len;
		struct wa_creds		*cr = wa_creds_new();

		ok = T_TRUE(cr != NULL) &&
		    T_INTEQ(cl_creds_blob(H.c, blob, &len), 0) &&
		    T_INTEQ(wa_creds_decode(cr, blob, len), 0) &&
		    T_INTEQ(cr->next_prekey_id, 863) &&
		    T_INTEQ(cr->prekeys_uploaded, 862);
		wa_creds_free(cr);
	}
	h_teardown();

	/* Our store has keys, the server has enough: straight to active. */
	ok = ok && T_INTEQ(h_setup(1), 0);
	if (ok) {
		H.c->creds->prekeys_uploaded = 812;
		H.c->creds->next_prekey_id = 813;
		h_feed(mk("success", "t=1700000000", NULL));
		count_answer("30");
		n = h_last();
		ok = T_TRUE(n != NULL && cl_attr_is(n, "xmlns", "passive")) &&
		    T_TRUE(!h_has("prekeys"));
	}
	h_teardown();

	/* Not stored: not uploaded, the ids still used up, then active. */
	ok = ok && T_INTEQ(h_setup(1), 0);
	if (ok) {
		H.prekeys_fail = 1;
		h_feed(mk("success", "t=1700000000", NULL));
		count_answer("0");
		n = h_last();
		ok = T_TRUE(h_has("prekeys 1 812")) &&
		    T_TRUE(n != NULL && cl_attr_is(n, "xmlns", "passive")) &&
		    T_TRUE(!(sent_xmlns("encrypt") != NULL &&
		    cl_attr_is(sent_xmlns("encrypt"), "type", "set"))) &&
		    T_INTEQ(H.c->creds->next_prekey_id, 813) &&
		    T_INTEQ(H.c->creds->prekeys_uploaded, 0);
	}
	h_teardown();

	/* The server has none but our store has: 50, not 812. */
	ok = ok && T_INTEQ(h_setup(1), 0);
	if (ok) {
		H.c->creds->prekeys_uploaded = 812;
		H.c->creds->next_prekey_id = 813;
		h_feed(mk("success", "t=1700000000", NULL));
		count_answer("0");
		ok = T_TRUE(h_has("prekeys 813 50"));
	}
	h_teardown();

	/* Near 2^24-1 the batch is cut short: ids are never reused. */
	ok = ok && T_INTEQ(h_setup(1), 0);
	if (ok) {
		H.c->creds->prekeys_uploaded = 812;
		H.c->creds->next_prekey_id = 0xffffff - 9;
		h_feed(mk("success", "t=1700000000", NULL));
		count_answer("0");
		ok = T_TRUE(h_has("prekeys 16777206 10")) &&
		    T_INTEQ(H.c->creds->next_prekey_id, 0x1000000);
	}
	h_teardown();

	/* None left: nothing generated or uploaded, login goes on. */
	ok = ok && T_INTEQ(h_setup(1), 0);
	if (ok) {
		H.c->creds->prekeys_uploaded = 812;
		H.c->creds->next_prekey_id = 0x1000000;
		h_feed(mk("success", "t=1700000000", NULL));
		count_answer("0");
		n = h_last();
		ok = T_TRUE(!h_has("prekeys")) &&
		    T_TRUE(n != NULL && cl_attr_is(n, "xmlns", "passive")) &&
		    T_INTEQ(H.c->creds->next_prekey_id, 0x1000000);
	}
	h_teardown();
	return ok;
}

/* <ib><offline count/> is reported; unified_session follows connect. */
static int
ib_offline_unified(void)
{
	struct wa_node	*n, *ib, *us;
	long long	 v;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected();
	ib = sent_tag("ib");
	us = ib != NULL ? wa_node_child(ib, "unified_session") : NULL;
	v = us != NULL && wa_node_attr(us, "id") != NULL ?
	    strtoll(wa_node_attr(us, "id"), NULL, 10) : -1;
	ok = ok && T_TRUE(us != NULL) && T_TRUE(v >= 0 &&
	    v < 7LL * 24 * 3600 * 1000);
	n = mk("ib", "from=@s.whatsapp.net", NULL);
	wa_node_set_attr(wa_node_add_child(n, "offline_preview"), "count",
	    "9");
	wa_node_set_attr(wa_node_add_child(n, "offline"), "count", "7");
	(void)wa_node_add_child(n, "dirty");
	h_feed(n);
	ok = ok && T_TRUE(h_has("offline 7"));
	h_teardown();
	return ok;
}

/* A LID in <success> that differs from the stored one is adopted. */
static int
lid_changed(void)
{
	int	 ok;

	ok = T_INTEQ(h_setup(1), 0) &&
	    T_INTEQ(wa_creds_set_lid(H.c->creds, "111:12@lid"), 0) &&
	    login_connected() && T_STREQ(H.c->creds->lid, "999:12@lid") &&
	    T_TRUE(H.creds_changes >= 1);
	h_teardown();
	return ok;
}

/* Presence after connect: unavailable unless configured. */
static int
presence_default(void)
{
	struct wa_node	*n;
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected();
	n = sent_tag("presence");
	ok = ok && T_TRUE(n != NULL) &&
	    T_STREQ(wa_node_attr(n, "type"), "unavailable") &&
	    T_STREQ(wa_node_attr(n, "name"), "Shop");
	h_teardown();
	ok = ok && T_INTEQ(h_setup(1), 0);
	if (ok) {
		H.c->presence_available = 1;
		ok = login_connected();
		n = sent_tag("presence");
		ok = ok && T_TRUE(n != NULL) &&
		    T_STREQ(wa_node_attr(n, "type"), "available");
	}
	h_teardown();
	return ok;
}

/* The version in use, its source, and refusals of bad ones. */
static int
version_set(void)
{
	int	 ok;

	ok = T_INTEQ(h_setup(1), 0) &&
	    T_STREQ(wa_client_version(H.c), WA_DEFAULT_VERSION) &&
	    T_STREQ(wa_client_version_source(H.c), "built-in") &&
	    T_INTEQ(wa_client_set_version(H.c, "2.3000.99", "file /x"), 0) &&
	    T_STREQ(wa_client_version(H.c), "2.3000.99") &&
	    T_STREQ(wa_client_version_source(H.c), "file /x") &&
	    T_INTEQ(wa_client_set_version(H.c, "2.3000", "env"), -1) &&
	    T_INTEQ(wa_client_set_version(H.c, "2.x.1", "env"), -1) &&
	    T_INTEQ(wa_client_set_version(H.c, NULL, "env"), -1) &&
	    T_STREQ(wa_client_version(H.c), "2.3000.99");
	h_teardown();
	return ok;
}

/* The cause of a connect failure, in the operator's words. */
static int
end_cause(void)
{
	static const struct {
		const char	*detail, *want;
	} cases[] = {
		{ "Unable to connect: Connection refused",
		    "connection refused" },
		{ "getaddrinfo failed: Name or service not known",
		    "127.0.0.1: name lookup failed" },
		{ "HTTP 404 on upgrade", "HTTP 404 on upgrade" },
		{ "timed out waiting for the server", "timed out" },
		{ "Unable to connect", "Unable to connect" },
		{ "conn fail: 111", "connection refused" },
		{ "ECONNREFUSED", "connection refused" },
		{ "getaddrinfo failed", "127.0.0.1: name lookup failed" },
		{ "TLS certificate verify failed",
		    "TLS certificate verify failed" },
		{ "connect SSL err 1: error:00000001",
		    "TLS handshake failed (connect SSL err 1: error:00000001)" },
		{ "timed out", "timed out" },
		{ "HTTP 403", "HTTP 403 on upgrade" },
	};
	size_t	 i;
	int	 ok = 1;

	for (i = 0; ok && i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok = T_INTEQ(h_setup(1), 0);
		H.cbs->on_end(H.arg, WA_CONN_END_CONNECT_FAILED,
		    cases[i].detail);
		h_run(5);
		ok = ok && T_TRUE(h_has("closed connect_failed 0 0")) &&
		    T_STREQ(wa_client_end_cause(H.c), cases[i].want);
		H.conn->closed = 1;
		h_teardown();
	}
	return ok;
}

/*
 * lib/waversion.h: file > WADESK_WA_VERSION > built-in, a bad file or
 * value skipped with a reason; the built-in is the client's default.
 */
static int
version_resolution(void)
{
	struct waversion	 v;
	char			 path[] = "/tmp/t_client.XXXXXX";
	FILE			*f;
	int			 fd, ok;

	ok = T_STREQ(WAVERSION_BUILTIN, WA_DEFAULT_VERSION);
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return 0;
	fputs("2.3000.4242 \n", f);
	fclose(f);
	waversion_resolve(path, "2.3000.7", &v);
	ok = ok && T_STREQ(v.version, "2.3000.4242") &&
	    T_TRUE(strncmp(v.source, "file /tmp/t_client.", 19) == 0) &&
	    T_STREQ(v.problem, "");
	waversion_resolve(NULL, "2.3000.7", &v);
	ok = ok && T_STREQ(v.version, "2.3000.7") &&
	    T_STREQ(v.source, "WADESK_WA_VERSION");
	waversion_resolve("", "", &v);
	ok = ok && T_STREQ(v.version, WAVERSION_BUILTIN) &&
	    T_STREQ(v.source, "built-in");
	/* A malformed file falls back to the variable, and says why. */
	if ((f = fopen(path, "w")) != NULL) {
		fputs("two.thousand\n", f);
		fclose(f);
	}
	waversion_resolve(path, "2.3000.7", &v);
	ok = ok && T_STREQ(v.version, "2.3000.7") &&
	    T_STREQ(v.source, "WADESK_WA_VERSION") &&
	    T_TRUE(strstr(v.problem, "is not a version") != NULL);
	unlink(path);
	waversion_resolve(path, "nope", &v);
	ok = ok && T_STREQ(v.version, WAVERSION_BUILTIN) &&
	    T_TRUE(strstr(v.problem, "No such file") != NULL);
	return ok;
}

/*
 * The groups query (wa_client_groups_sync: whatsmeow GetJoinedGroups
 * shape), its answer from the group server "@g.us" (and not from a
 * contact), a stale answer ignored, a w:gp2 notification acked and
 * reported; refused while idle.
 */
static int
groups_query(void)
{
	struct wa_node	*n, *res, *g, *p;
	char		 id[IQ_ID_LEN];
	int		 ok;

	ok = T_INTEQ(h_setup(1), 0) && login_connected() &&
	    T_INTEQ(wa_client_groups_sync(H.c), 0);
	n = h_last();
	ok = ok && T_TRUE(n != NULL && strcmp(n->tag, "iq") == 0) &&
	    T_STREQ(wa_node_attr(n, "xmlns"), "w:g2") &&
	    T_STREQ(wa_node_attr(n, "type"), "get") &&
	    T_STREQ(wa_node_attr(n, "to"), "@g.us") &&
	    T_TRUE((p = wa_node_child(n, "participating")) != NULL &&
	    wa_node_child(p, "participants") != NULL &&
	    wa_node_child(p, "description") != NULL);
	if (!ok) {
		h_teardown();
		return 0;
	}
	snprintf(id, sizeof(id), "%s", wa_node_attr(n, "id"));
	/* From a contact: refused, nothing reported. */
	res = mk("iq", "type=result", "from=15550009999@s.whatsapp.net", NULL);
	wa_node_set_attr(res, "id", id);
	(void)wa_node_add_child(res, "groups");
	h_feed(res);
	ok = T_TRUE(!h_has("groups "));
	/* From the group server: one group, we are its admin. */
	res = mk("iq", "type=result", "from=@g.us", NULL);
	wa_node_set_attr(res, "id", id);
	g = wa_node_add_child(wa_node_add_child(res, "groups"), "group");
	wa_node_set_attr(g, "id", "120363001");
	wa_node_set_attr(g, "subject", "Team");
	p = wa_node_add_child(g, "participant");
	wa_node_set_attr(p, "jid", "15551234567@s.whatsapp.net");
	wa_node_set_attr(p, "type", "admin");
	h_feed(res);
	ok = ok && T_TRUE(h_has("groups 1 0 120363001@g.us admin"));
	/* The same id again: no second report. */
	H.nevents = 0;
	res = mk("iq", "type=result", "from=@g.us", NULL);
	wa_node_set_attr(res, "id", id);
	(void)wa_node_add_child(res, "groups");
	h_feed(res);
	ok = ok && T_TRUE(!h_has("groups "));
	/* An error answer to a new query. */
	ok = ok && T_INTEQ(wa_client_groups_sync(H.c), 0);
	res = mk("iq", "type=error", "from=@g.us", NULL);
	wa_node_set_attr(res, "id", wa_node_attr(h_last(), "id"));
	wa_node_set_attr(wa_node_add_child(res, "error"), "code", "500");
	h_feed(res);
	ok = ok && T_TRUE(h_has("groups 0 500 -"));
	/* w:gp2: acked, then reported. */
	n = mk("notification", "id=G1", "from=120363001@g.us", "type=w:gp2",
	    "participant=15550009999@s.whatsapp.net", "t=1", NULL);
	wa_node_set_attr(wa_node_add_child(n, "subject"), "subject", "New");
	h_feed(n);
	ok = ok && T_TRUE(sent_tag("ack") != NULL) &&
	    T_STREQ(wa_node_attr(sent_tag("ack"), "id"), "G1") &&
	    T_STREQ(wa_node_attr(sent_tag("ack"), "type"), "w:gp2") &&
	    T_TRUE(h_has("group_change 120363001@g.us subject=New"));
	wa_client_stop(H.c, 1);
	h_run(50);
	ok = ok && T_INTEQ(wa_client_groups_sync(H.c), -1);
	h_teardown();
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(success_then_active),
		T_CASE(stream_errors),
		T_CASE(failures),
		T_CASE(keepalive),
		T_CASE(last_frame),
		T_CASE(ack_notification),
		T_CASE(groups_query),
		T_CASE(pair_device_rotation),
		T_CASE(pair_success_refused),
		T_CASE(hostile_frames),
		T_CASE(free_from_callback),
		T_CASE(logout_flow),
		T_CASE(prekeys_upload),
		T_CASE(api_refusals),
		T_CASE(ping_while_pairing),
		T_CASE(ack_status_appdata),
		T_CASE(iq_origin),
		T_CASE(prekeys_lifecycle),
		T_CASE(ib_offline_unified),
		T_CASE(lid_changed),
		T_CASE(presence_default),
		T_CASE(version_set),
		T_CASE(end_cause),
		T_CASE(version_resolution),
	};

	log_init("t_client", LOG_LEVEL_ERROR);
	return t_run(cases, T_NCASES(cases));
}
