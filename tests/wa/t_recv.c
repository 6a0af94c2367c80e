/*
 * Independent receive vectors (issue 9): messages that Baileys' own
 * Signal code encrypted (tests/wa/recvvec/gen.mjs, committed output
 * tests/wa/recvvec/vectors.json, or $WADESK_RECV_VECTORS) are fed as
 * <message> stanzas to the real client (daemon/wa/client_msg.c through
 * tests/wa/client_harness.h) over an in-memory store holding the
 * recipient's keys from the file.  Each must decrypt to its text, with
 * the delivery receipt whatsmeow sends; a replay is ignored without a
 * second delivery; a broken ciphertext gets the retry receipt with our
 * registration id and an ack.
 */
#include "client_int.h"

#include <json-c/json.h>
#include <sodium.h>

#include "client_harness.h"
#include "memstore.h"
#include "t.h"

static struct json_object	*V;
static struct memstore		 MS;

static const char *
vstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int
vint(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int(v);
}

/* Hex "key" of o into out (exactly len bytes).  0 or -1. */
static int
vhex(struct json_object *o, const char *key, uint8_t *out, size_t len)
{
	const char	*h = vstr(o, key);
	size_t		 n;

	if (h == NULL || strlen(h) != len * 2 ||
	    sodium_hex2bin(out, len, h, len * 2, NULL, &n, NULL) != 0 ||
	    n != len)
		return -1;
	return 0;
}

static struct json_object *
vmsg(const char *name)
{
	struct json_object	*a, *m;
	size_t			 i;
	const char		*s;

	if (!json_object_object_get_ex(V, "messages", &a))
		return NULL;
	for (i = 0; i < json_object_array_length(a); i++) {
		m = json_object_array_get_idx(a, i);
		if ((s = vstr(m, "name")) != NULL && strcmp(s, name) == 0)
			return m;
	}
	return NULL;
}

/*
 * A logged-in client whose Signal identity is the vectors' recipient:
 * identity, registration id and signed pre-key in its credentials, the
 * one-time pre-key in the store (wasignal.h mapping).
 */
static int
setup(void)
{
	struct json_object	*r;
	struct wa_creds		*cr;
	uint8_t			 pk[32];
	char			 key[16];

	if (!T_INTEQ(h_setup(1), 0) ||
	    !T_TRUE(json_object_object_get_ex(V, "recipient", &r)))
		return 0;
	ms_init(&MS);
	H.c->store = &MS.st;
	cr = H.c->creds;
	cr->registration_id = (uint32_t)vint(r, "registration_id");
	cr->signed_pre_key_id = (uint32_t)vint(r, "signed_pre_key_id");
	if (!T_INTEQ(vhex(r, "identity_priv", cr->identity_key.priv, 32), 0) ||
	    !T_INTEQ(vhex(r, "identity_pub", cr->identity_key.pub, 32), 0) ||
	    !T_INTEQ(vhex(r, "signed_pre_key_priv", cr->signed_pre_key.priv,
	    32), 0) ||
	    !T_INTEQ(vhex(r, "signed_pre_key_pub", cr->signed_pre_key.pub,
	    32), 0) ||
	    !T_INTEQ(vhex(r, "signed_pre_key_sig", cr->signed_pre_key_sig,
	    64), 0) ||
	    !T_INTEQ(vhex(r, "pre_key_priv", pk, 32), 0))
		return 0;
	/* The keys belong together (the generator signed with libsignal). */
	if (!T_TRUE(wa_prekey_verify(cr->identity_key.pub,
	    cr->signed_pre_key.pub, cr->signed_pre_key_sig)))
		return 0;
	snprintf(key, sizeof(key), "%d", vint(r, "pre_key_id"));
	return T_INTEQ(ms_put(&MS, WA_STORE_PREKEY, key, pk, 32), 0);
}

static void
teardown(void)
{

	h_teardown();
	ms_free(&MS);
}

/* The vector message "name" as the server sends it; flip: the last
 * byte of enc number flip (0-based) is inverted, -1 none. */
static struct wa_node *
stanza(const char *name, int flip)
{
	struct json_object	*m, *a, *e;
	struct wa_node		*n, *enc;
	uint8_t			*b;
	const char		*v, *h;
	size_t			 i, len;

	if ((m = vmsg(name)) == NULL ||
	    !json_object_object_get_ex(m, "enc", &a))
		return NULL;
	n = wa_node_new("message");
	wa_node_set_attr(n, "from", vstr(m, "from"));
	wa_node_set_attr(n, "id", vstr(m, "id"));
	wa_node_set_attr(n, "t", "1700000000");
	wa_node_set_attr(n, "type", "text");
	wa_node_set_attr(n, "notify", "Alice");
	if ((v = vstr(m, "participant")) != NULL)
		wa_node_set_attr(n, "participant", v);
	if ((v = vstr(m, "recipient")) != NULL)
		wa_node_set_attr(n, "recipient", v);
	for (i = 0; i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		if ((h = vstr(e, "hex")) == NULL || strlen(h) < 2) {
			wa_node_free(n);
			return NULL;
		}
		b = xmalloc(strlen(h) / 2);
		if (sodium_hex2bin(b, strlen(h) / 2, h, strlen(h), NULL, &len,
		    NULL) != 0 || len == 0) {
			free(b);
			wa_node_free(n);
			return NULL;
		}
		if ((int)i == flip)
			b[len - 1] ^= 0x01;
		enc = wa_node_add_child(n, "enc");
		wa_node_set_attr(enc, "v", "2");
		wa_node_set_attr(enc, "type", vstr(e, "type"));
		wa_node_set_bytes(enc, b, len);
		free(b);
	}
	return n;
}

/* Count of recorded events equal to s. */
static int
events_eq(const char *s)
{
	size_t	 i;
	int	 k = 0;

	for (i = 0; i < H.nevents; i++)
		k += strcmp(H.events[i], s) == 0;
	return k;
}

/* Feed vector "name"; it must be delivered as text from sender in
 * chat, answered by a plain delivery receipt (type inactive). */
static int
delivered(const char *name, const char *chat, const char *sender)
{
	struct json_object	*m = vmsg(name);
	struct wa_node		*n, *r;
	char			 want[160];
	size_t			 before = H.nsent;

	if (!T_TRUE(m != NULL) || !T_TRUE((n = stanza(name, -1)) != NULL))
		return 0;
	h_feed(n);
	snprintf(want, sizeof(want), "message %s %s 0 %s", chat, sender,
	    vstr(m, "text"));
	if (!T_INTEQ(events_eq(want), 1) ||
	    !T_INTEQ(H.nsent, before + 1))
		return 0;
	/* receipt.go sendMessageReceipt; presence unavailable: inactive */
	r = h_last();
	return T_STREQ(r->tag, "receipt") &&
	    T_STREQ(wa_node_attr(r, "id"), vstr(m, "id")) &&
	    T_STREQ(wa_node_attr(r, "to"), vstr(m, "from")) &&
	    T_STREQ(wa_node_attr(r, "type"), "inactive") &&
	    (vstr(m, "participant") == NULL ||
	    T_STREQ(wa_node_attr(r, "participant"), vstr(m, "participant")));
}

static int
vectors_from_baileys_decrypt(void)
{
	struct json_object	*s = NULL;
	const char		*alice, *group;
	int			 ok;

	if (!setup())
		return 0;
	json_object_object_get_ex(V, "sender", &s);
	alice = vstr(s, "jid");
	group = vstr(V, "group");
	ok = T_TRUE(alice != NULL && group != NULL) &&
	    delivered("pkmsg", alice, alice) &&
	    /* the pre-key message used (and removed) the one-time key */
	    T_INTEQ(ms_count(&MS, WA_STORE_PREKEY), 0) &&
	    T_INTEQ(ms_count(&MS, WA_STORE_SESSION), 1) &&
	    T_INTEQ(ms_count(&MS, WA_STORE_IDENTITY), 1) &&
	    delivered("skdm+skmsg", group, alice) &&
	    T_INTEQ(ms_count(&MS, WA_STORE_SENDER_KEY), 1) &&
	    delivered("msg", alice, alice) &&
	    delivered("skmsg", group, alice);
	teardown();
	return ok;
}

/* The same pkmsg twice: libsignal's duplicate check; whatsmeow ignores
 * ErrOldCounter (no retry), the receipt still goes out, no second
 * delivery. */
static int
replay_is_not_delivered_twice(void)
{
	struct wa_node	*r;
	int		 ok;

	if (!setup())
		return 0;
	h_feed(stanza("pkmsg", -1));
	h_feed(stanza("pkmsg", -1));
	r = h_last();
	ok = T_INTEQ(H.nevents, 1) && T_TRUE(h_has("message ")) && T_INTEQ(H.nsent, 2) &&
	    T_STREQ(r->tag, "receipt") &&
	    T_TRUE(wa_node_attr(r, "type") == NULL ||
	    !cl_attr_is(r, "type", "retry"));
	teardown();
	return ok;
}

/* A broken skmsg after a good SKDM: the sender key is stored, the
 * skmsg fails, so the retry receipt (retry.go: <retry count=1 id t
 * v=1>, <registration> our 4-byte id, no keys the first time) and the
 * ack; no delivery. */
static int
broken_skmsg_gets_retry_receipt(void)
{
	struct wa_node	*r, *ack, *rt, *reg;
	uint32_t	 regid;
	int		 ok;

	if (!setup())
		return 0;
	h_feed(stanza("pkmsg", -1));
	h_feed(stanza("skdm+skmsg", 1));
	if (!T_INTEQ(H.nsent, 3))
		return teardown(), 0;
	r = H.sent[1];
	ack = H.sent[2];
	rt = wa_node_child(r, "retry");
	reg = wa_node_child(r, "registration");
	regid = H.c->creds->registration_id;
	ok = T_INTEQ(H.nevents, 1) &&
	    T_STREQ(r->tag, "receipt") && T_STREQ(wa_node_attr(r, "type"),
	    "retry") && T_STREQ(wa_node_attr(r, "participant"),
	    wa_node_attr(ack, "participant")) &&
	    T_TRUE(rt != NULL) && T_STREQ(wa_node_attr(rt, "count"), "1") &&
	    T_STREQ(wa_node_attr(rt, "id"), "3AVECGROUP1") &&
	    T_STREQ(wa_node_attr(rt, "v"), "1") &&
	    T_TRUE(reg != NULL && reg->content == WA_CONTENT_BYTES &&
	    reg->nbytes == 4) &&
	    T_INTEQ((uint32_t)reg->bytes[0] << 24 | reg->bytes[1] << 16 |
	    reg->bytes[2] << 8 | reg->bytes[3], regid) &&
	    T_TRUE(wa_node_child(r, "keys") == NULL) &&
	    T_STREQ(ack->tag, "ack") &&
	    T_STREQ(wa_node_attr(ack, "class"), "message") &&
	    T_TRUE(wa_node_attr(ack, "error") == NULL) &&
	    /* the SKDM in the same stanza was kept */
	    T_INTEQ(ms_count(&MS, WA_STORE_SENDER_KEY), 1);
	teardown();
	return ok;
}

/* An skmsg alone from a sender whose key we never got: the retry
 * receipt carries our <keys> already on the first try (whatsmeow
 * decryptMessages isUnavailable -> sendRetryReceipt
 * forceIncludeIdentity), so the sender can build a session and resend
 * with the SKDM. */
static int
skmsg_without_sender_key_retries_with_keys(void)
{
	struct wa_node	*r, *k, *rt;
	int		 ok;

	if (!setup())
		return 0;
	h_feed(stanza("skmsg", -1));
	if (!T_INTEQ(H.nsent, 2))
		return teardown(), 0;
	r = H.sent[0];
	rt = wa_node_child(r, "retry");
	k = wa_node_child(r, "keys");
	ok = T_INTEQ(H.nevents, 1) &&	/* only the pre-key hand-up */
	    T_TRUE(h_has("prekeys ")) &&
	    T_STREQ(wa_node_attr(r, "type"), "retry") &&
	    T_TRUE(rt != NULL) && T_STREQ(wa_node_attr(rt, "count"), "1") &&
	    T_TRUE(k != NULL) && T_TRUE(wa_node_child(k, "identity") != NULL) &&
	    T_TRUE(wa_node_child(k, "key") != NULL) &&
	    T_TRUE(wa_node_child(k, "skey") != NULL) &&
	    T_TRUE(wa_node_child(k, "device-identity") != NULL) &&
	    T_STREQ(H.sent[1]->tag, "ack");
	teardown();
	return ok;
}

/*
 * The sender reinstalled (a new identity key for the same device): the
 * stored identity does not match, libsignal refuses the pkmsg as
 * untrusted, and the client clears identity and session and decrypts
 * under the new key (whatsmeow decryptDM / clearUntrustedIdentity),
 * reporting identity_changed once; the stored identity is the new key.
 */
static int
reinstalled_sender_rebuilds_the_session(void)
{
	struct json_object	*s = NULL;
	uint8_t			*val = NULL, want[33];
	size_t			 len = 0;
	const char		*alice;
	char			 ev[160];
	int			 ok;

	if (!setup())
		return 0;
	json_object_object_get_ex(V, "sender", &s);
	alice = vstr(s, "jid");
	want[0] = 0x05;
	ok = T_TRUE(alice != NULL) &&
	    T_INTEQ(vhex(s, "reinstalled_identity_pub", want + 1, 32), 0) &&
	    delivered("pkmsg", alice, alice) &&
	    T_INTEQ(H.nevents, 1) &&
	    delivered("reinstalled", alice, alice);
	snprintf(ev, sizeof(ev), "identity_changed %s", alice != NULL ?
	    alice : "");
	ok = ok && T_INTEQ(events_eq(ev), 1) &&
	    T_INTEQ(ms_count(&MS, WA_STORE_IDENTITY), 1) &&
	    T_INTEQ(ms_get(&MS, WA_STORE_IDENTITY, "15550111.0", &val, &len),
	    1) && T_INTEQ(len, 33) && T_MEMEQ(val, want, 33);
	free(val);
	teardown();
	return ok;
}

/*
 * Our own phone's protocol messages (Baileys-encrypted, from device 0
 * of the harness's account): a history-sync notification gets the
 * hist_sync receipt to our own user (whatsmeow
 * SendProtocolMessageReceipt) and is not downloaded; an app-state key
 * share is ignored; both get the "sender" receipt.  A device-sent text
 * is delivered from_me in the chat it went to.
 */
static int
own_phone_protocol_messages(void)
{
	struct wa_node	*r0, *r1;
	char		 want[160];
	const char	*own, *rcpt;
	int		 ok;

	if (!setup())
		return 0;
	own = vstr(V, "own");
	rcpt = vstr(vmsg("phone-device-sent"), "recipient");
	if (!T_TRUE(own != NULL && rcpt != NULL))
		return teardown(), 0;
	h_feed(stanza("phone-history-sync", -1));
	ok = T_INTEQ(H.nsent, 2) && T_INTEQ(H.nevents, 0);
	if (ok) {
		r0 = H.sent[0];
		r1 = H.sent[1];
		ok = T_STREQ(r0->tag, "receipt") &&
		    T_STREQ(wa_node_attr(r0, "type"), "hist_sync") &&
		    T_STREQ(wa_node_attr(r0, "to"), own) &&
		    T_STREQ(wa_node_attr(r1, "type"), "sender") &&
		    T_STREQ(wa_node_attr(r1, "to"), own);
	}
	h_feed(stanza("phone-app-state-keys", -1));
	ok = ok && T_INTEQ(H.nsent, 3) && T_INTEQ(H.nevents, 0) &&
	    T_STREQ(wa_node_attr(h_last(), "type"), "sender");
	h_feed(stanza("phone-device-sent", -1));
	snprintf(want, sizeof(want), "message %.60s %.60s 1 sent from my "
	    "phone", rcpt != NULL ? rcpt : "", own != NULL ? own : "");
	ok = ok && T_INTEQ(H.nsent, 4) && T_INTEQ(events_eq(want), 1) &&
	    T_STREQ(wa_node_attr(h_last(), "type"), "sender") &&
	    T_STREQ(wa_node_attr(h_last(), "recipient"), rcpt);
	teardown();
	return ok;
}

/* A store with transactions (wa.h struct wa_store txn): counts, and
 * fails BEGIN or COMMIT on request. */
static int	 tx_begins, tx_commits, tx_fail_begin, tx_fail_commit, tx_open;

static int
tx_cb(void *user, enum wa_store_txn op)
{

	if (op == WA_STORE_BEGIN) {
		if (tx_open)
			return -1;	/* never nested */
		tx_begins++;
		if (tx_fail_begin)
			return -1;
		tx_open = 1;
		return 0;
	}
	if (!tx_open)
		return -1;
	tx_open = 0;
	tx_commits++;
	return tx_fail_commit ? -1 : 0;
}

/*
 * One transaction per stanza, and no answer before its COMMIT: a COMMIT
 * that fails leaves the stanza unanswered (the server delivers it
 * again), so does a BEGIN that fails, without touching the store;
 * a good one answers after COMMIT.
 */
static int
answers_only_after_commit(void)
{
	int	 ok, gets;

	if (!setup())
		return 0;
	MS.st.txn = tx_cb;
	tx_begins = tx_commits = tx_fail_begin = tx_fail_commit = tx_open = 0;
	tx_fail_begin = 1;
	gets = MS.gets;
	h_feed(stanza("pkmsg", -1));
	ok = T_INTEQ(H.nsent, 0) && T_INTEQ(tx_begins, 1) &&
	    T_INTEQ(tx_commits, 0) && T_INTEQ(MS.gets, gets);
	tx_fail_begin = 0;
	tx_fail_commit = 1;
	h_feed(stanza("pkmsg", -1));
	ok = ok && T_INTEQ(H.nsent, 0) && T_INTEQ(tx_commits, 1) &&
	    T_INTEQ(tx_open, 0);
	tx_fail_commit = 0;
	/* the in-memory store kept the state (no rollback here): the
	 * redelivery is a duplicate, answered with the receipt */
	h_feed(stanza("pkmsg", -1));
	ok = ok && T_INTEQ(H.nsent, 1) && T_STREQ(h_last()->tag, "receipt") &&
	    T_INTEQ(tx_begins, 3) && T_INTEQ(tx_commits, 2);
	/* a retry receipt is built inside, sent after */
	h_feed(stanza("msg", 0));
	ok = ok && T_INTEQ(tx_commits, 3) && T_INTEQ(H.nsent, 3) &&
	    T_STREQ(wa_node_attr(H.sent[1], "type"), "retry") &&
	    T_STREQ(H.sent[2]->tag, "ack");
	teardown();
	return ok;
}

/* message.go decryptMessages' nacks: a plaintext that is not a
 * protobuf gets ack error 491 (no receipt, no delivery); a stanza
 * without any <enc> gets 488. */
static int
nacks_491_and_488(void)
{
	struct wa_node	*n, *a;
	int		 ok;

	if (!setup())
		return 0;
	h_feed(stanza("pkmsg", -1));
	h_feed(stanza("not-protobuf", -1));
	a = h_last();
	ok = T_INTEQ(H.nsent, 2) && T_INTEQ(H.nevents, 1) &&
	    T_STREQ(a->tag, "ack") && T_STREQ(wa_node_attr(a, "error"), "491") &&
	    T_STREQ(wa_node_attr(a, "id"), "3AVECNOTPB");
	n = wa_node_new("message");
	wa_node_set_attr(n, "from", "15550111@s.whatsapp.net");
	wa_node_set_attr(n, "id", "3ANOENC");
	wa_node_set_attr(n, "t", "1700000000");
	wa_node_set_bytes(wa_node_add_child(n, "plaintext"), "x", 1);
	h_feed(n);
	a = h_last();
	ok = ok && T_INTEQ(H.nsent, 3) && T_STREQ(a->tag, "ack") &&
	    T_STREQ(wa_node_attr(a, "error"), "488");
	teardown();
	return ok;
}

/* A <message> while pairing (credentials not paired yet): ack 487,
 * nothing else (the source was never parsed). */
static int
message_while_pairing_is_refused(void)
{
	struct wa_node	*a;
	int		 ok;

	if (!T_INTEQ(h_setup(0), 0))
		return 0;
	ms_init(&MS);
	H.c->store = &MS.st;
	h_feed(stanza("pkmsg", -1));
	a = h_last();
	ok = T_TRUE(a != NULL) && T_STREQ(a->tag, "ack") &&
	    T_STREQ(wa_node_attr(a, "error"), "487") &&
	    T_INTEQ(ms_count(&MS, WA_STORE_SESSION), 0);
	teardown();
	return ok;
}

/* <unavailable> without <enc> (message.go decryptMessages): a plain ack,
 * no retry, no 488. */
static int
unavailable_is_acked(void)
{
	struct wa_node	*n, *a;
	int		 ok;

	if (!setup())
		return 0;
	n = wa_node_new("message");
	wa_node_set_attr(n, "from", "15550111@s.whatsapp.net");
	wa_node_set_attr(n, "id", "3AUNAVAIL");
	wa_node_set_attr(n, "t", "1700000000");
	wa_node_set_attr(wa_node_add_child(n, "unavailable"), "type",
	    "view_once");
	h_feed(n);
	a = h_last();
	ok = T_INTEQ(H.nsent, 1) && T_STREQ(a->tag, "ack") &&
	    T_STREQ(wa_node_attr(a, "class"), "message") &&
	    T_STREQ(wa_node_attr(a, "id"), "3AUNAVAIL") &&
	    T_TRUE(wa_node_attr(a, "error") == NULL) &&
	    T_INTEQ(H.nevents, 0);
	teardown();
	return ok;
}

int
main(void)
{
	const char		*path = getenv("WADESK_RECV_VECTORS");
	static const struct t_case cases[] = {
		T_CASE(vectors_from_baileys_decrypt),
		T_CASE(replay_is_not_delivered_twice),
		T_CASE(broken_skmsg_gets_retry_receipt),
		T_CASE(reinstalled_sender_rebuilds_the_session),
		T_CASE(skmsg_without_sender_key_retries_with_keys),
		T_CASE(own_phone_protocol_messages),
		T_CASE(answers_only_after_commit),
		T_CASE(nacks_491_and_488),
		T_CASE(message_while_pairing_is_refused),
		T_CASE(unavailable_is_acked),
	};
	int			 rc;

	/* No lws service here (the harness's 30 ms keepalive would add
	 * pings between the answers checked). */
	(void)h_run;
	if (path == NULL)
		path = "tests/wa/recvvec/vectors.json";
	if ((V = json_object_from_file(path)) == NULL) {
		printf("FAIL t_recv-vectors (cannot read %s)\n", path);
		return 1;
	}
	rc = t_run(cases, T_NCASES(cases));
	json_object_put(V);
	return rc;
}
