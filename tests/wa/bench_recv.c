/*
 * "make bench": decrypt throughput of the receive path (issue 9).  A
 * sender built on libsignal-protocol-c (its own in-memory store) makes
 * N padded text messages for our client: first pairwise "msg" on an
 * established session, then "skmsg" under a sender key it distributed
 * in a pkmsg.  Each is handed to the real client in-process as a
 * <message> frame (tests/wa/client_harness.h: frame encryption, node
 * decoding, client_msg.c, libsignal, unpadding, waE2E decoding, the
 * delivery receipt encoded and encrypted back), over an in-memory
 * store, so the figure is the client's CPU cost without PostgreSQL.
 * Prints "bench wa_decrypt_dm msg_per_s=..." and "bench
 * wa_decrypt_group ...".  Usage: bench_recv [N] (default 5000).
 */
#include "client_int.h"

#include <group_cipher.h>
#include <group_session_builder.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <session_record.h>
#include <session_state.h>

#include "client_harness.h"
#include "memstore.h"
#include "msg.h"
#include "wasignal.h"
#include "wa-e2e.pb-c.h"

#define	GROUP	"120363000000000001@g.us"
#define	ALICE	"15550111:2@s.whatsapp.net"

static struct memstore	 MB, MA;

static void
die(const char *what)
{

	fprintf(stderr, "bench_recv: %s\n", what);
	exit(1);
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A <message> from Alice (group: from the group) with one or two encs. */
static struct wa_node *
stanza(int group, const char *id, const char *t1, signal_buffer *b1,
    const char *t2, signal_buffer *b2)
{
	struct wa_node	*n, *e;

	n = wa_node_new("message");
	wa_node_set_attr(n, "from", group ? GROUP : ALICE);
	if (group)
		wa_node_set_attr(n, "participant", ALICE);
	wa_node_set_attr(n, "id", id);
	wa_node_set_attr(n, "t", "1700000000");
	wa_node_set_attr(n, "type", "text");
	e = wa_node_add_child(n, "enc");
	wa_node_set_attr(e, "v", "2");
	wa_node_set_attr(e, "type", t1);
	wa_node_set_bytes(e, signal_buffer_data(b1), signal_buffer_len(b1));
	if (t2 != NULL) {
		e = wa_node_add_child(n, "enc");
		wa_node_set_attr(e, "v", "2");
		wa_node_set_attr(e, "type", t2);
		wa_node_set_bytes(e, signal_buffer_data(b2),
		    signal_buffer_len(b2));
	}
	return n;
}

/* Pairwise encryption of "plain" (already padded); *type "pkmsg"/"msg". */
static signal_buffer *
enc_dm(session_cipher *ci, const struct buf *plain, const char **type)
{
	ciphertext_message	*m = NULL;
	signal_buffer		*b;

	if (session_cipher_encrypt(ci, (const uint8_t *)plain->data,
	    plain->len, &m) != 0)
		die("session_cipher_encrypt");
	*type = ciphertext_message_get_type(m) == CIPHERTEXT_PREKEY_TYPE ?
	    "pkmsg" : "msg";
	b = signal_buffer_copy(ciphertext_message_get_serialized(m));
	SIGNAL_UNREF(m);
	return b;
}

/* Feed n stanzas, counting delivered texts; returns seconds taken. */
static double
feed_all(struct wa_node **v, int n, int *delivered)
{
	double	 t0;
	int	 i;
	size_t	 before = H.nevents;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		h_feed(v[i]);
		/* keep the harness's bounded records from filling up */
		while (H.nsent > 0)
			wa_node_free(H.sent[--H.nsent]);
		if (H.nevents >= H_MAX_EVENTS - 1) {
			*delivered += (int)(H.nevents - before);
			H.nevents = before = 0;
		}
	}
	*delivered += (int)(H.nevents - before);
	H.nevents = 0;
	return now_s() - t0;
}

int
main(int argc, char *argv[])
{
	signal_context			*ctx;
	signal_protocol_store_context	*sc;
	signal_protocol_address		 bob = { "15551234567", 11, 12 };
	signal_protocol_sender_key_name	 skn;
	session_pre_key_bundle		*bundle;
	session_builder			*sb;
	session_cipher			*ci;
	session_record			*rec;
	group_session_builder		*gb;
	group_cipher			*gc;
	sender_key_distribution_message	*skdm;
	ciphertext_message		*cm;
	struct wa_creds			*alice;
	struct wa_keypair		 pk;
	struct wa_node			**v;
	struct buf			 plain;
	WaE2E__Message			 m = WA_E2_E__MESSAGE__INIT;
	WaE2E__SenderKeyDistributionMessage d =
	    WA_E2_E__SENDER_KEY_DISTRIBUTION_MESSAGE__INIT;
	signal_buffer			*b, *b2;
	const char			*type;
	char				 id[32], text[64];
	int				 n, i, got;
	double				 secs;

	n = argc > 1 ? atoi(argv[1]) : 5000;
	if (n < 10 || n > 1000000)
		die("N must be 10..1000000");
	log_init("bench_recv", getenv("BENCH_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	lws_set_log_level(0, NULL);
	if (h_setup(1) == -1)
		die("harness");
	ms_init(&MB);
	H.c->store = &MB.st;
	/* our one-time pre-key 1 */
	if (wa_keypair_generate(&pk) == -1 ||
	    ms_put(&MB, WA_STORE_PREKEY, "1", pk.priv, 32) == -1)
		die("pre-key");

	/* Alice: her own identity and store; a session from our bundle. */
	if ((alice = wa_creds_new()) == NULL || wa_creds_generate(alice) == -1)
		die("alice creds");
	ms_init(&MA);
	if (wa_signal_context_new(&ctx) == -1 ||
	    wa_signal_store_new(ctx, &MA.st, alice, &sc) == -1 ||
	    wa_signal_bundle(ctx, H.c->creds->registration_id, 12, 1, pk.pub,
	    H.c->creds->signed_pre_key_id, H.c->creds->signed_pre_key.pub,
	    H.c->creds->signed_pre_key_sig, H.c->creds->identity_key.pub,
	    &bundle) == -1 ||
	    session_builder_create(&sb, sc, &bob, ctx) != 0 ||
	    session_builder_process_pre_key_bundle(sb, bundle) != 0 ||
	    session_cipher_create(&ci, sc, &bob, ctx) != 0)
		die("alice session");
	buf_init(&plain);

	/* The first message (pkmsg) builds our side; then as if we had
	 * answered, Alice sends plain "msg"s. */
	if (wa_msg_encode_text(&plain, "first", NULL) == -1)
		die("encode");
	b = enc_dm(ci, &plain, &type);
	h_feed(stanza(0, "3AFIRST", type, b, NULL, NULL));
	signal_buffer_free(b);
	/* (the harness's 30 ms keepalive may add a ping after the receipt;
	 * no lws service runs while timing, so none interferes there) */
	h_run(1);
	for (i = 0; i < (int)H.nsent; i++)
		if (strcmp(H.sent[i]->tag, "receipt") == 0)
			break;
	if (!h_has("message ") || i == (int)H.nsent || h_last() == NULL)
		die("the first message did not decrypt");
	if (signal_protocol_session_load_session(sc, &rec, &bob) != 0)
		die("load session");
	session_state_clear_unacknowledged_pre_key_message(
	    session_record_get_state(rec));
	if (signal_protocol_session_store_session(sc, &bob, rec) != 0)
		die("store session");
	SIGNAL_UNREF(rec);

	v = xcalloc((size_t)n, sizeof(*v));
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "benchmark message number %d", i);
		snprintf(id, sizeof(id), "3ADM%08d", i);
		if (wa_msg_encode_text(&plain, text, NULL) == -1)
			die("encode");
		b = enc_dm(ci, &plain, &type);
		if (strcmp(type, "msg") != 0)
			die("not a msg");
		v[i] = stanza(0, id, type, b, NULL, NULL);
		signal_buffer_free(b);
	}
	got = 0;
	secs = feed_all(v, n, &got);
	if (got != n)
		die("not every DM was delivered");
	printf("bench wa_decrypt_dm msg_per_s=%.0f n=%d us_per_msg=%.1f "
	    "(in-memory store; frame, node, libsignal, unpad, decode, "
	    "receipt)\n", n / secs, n, secs * 1e6 / n);

	/* Group: Alice's sender key, distributed in one pairwise message
	 * with the first skmsg, then n skmsgs. */
	skn.group_id = GROUP;
	skn.group_id_len = strlen(GROUP);
	skn.sender.name = "15550111";
	skn.sender.name_len = 8;
	skn.sender.device_id = 2;
	if (group_session_builder_create(&gb, sc, ctx) != 0 ||
	    group_session_builder_create_session(gb, &skdm, &skn) != 0 ||
	    group_cipher_create(&gc, sc, &skn, ctx) != 0)
		die("sender key");
	b2 = ciphertext_message_get_serialized((ciphertext_message *)skdm);
	d.groupid = GROUP;
	d.has_axolotlsenderkeydistributionmessage = 1;
	d.axolotlsenderkeydistributionmessage.data = signal_buffer_data(b2);
	d.axolotlsenderkeydistributionmessage.len = signal_buffer_len(b2);
	m.senderkeydistributionmessage = &d;
	{
		size_t	 len = wa_e2_e__message__get_packed_size(&m);
		uint8_t	*pb = xmalloc(len);

		buf_reset(&plain);
		buf_append(&plain, pb, wa_e2_e__message__pack(&m, pb));
		free(pb);
	}
	wa_msg_pad(&plain);
	b = enc_dm(ci, &plain, &type);
	if (wa_msg_encode_text(&plain, "group first", NULL) == -1 ||
	    group_cipher_encrypt(gc, (const uint8_t *)plain.data, plain.len,
	    &cm) != 0)
		die("group encrypt");
	h_feed(stanza(1, "3AGFIRST", type, b, "skmsg",
	    ciphertext_message_get_serialized(cm)));
	signal_buffer_free(b);
	SIGNAL_UNREF(cm);
	if (ms_count(&MB, WA_STORE_SENDER_KEY) != 1)
		die("sender key not stored");
	while (H.nsent > 0)
		wa_node_free(H.sent[--H.nsent]);
	H.nevents = 0;
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "group benchmark message %d", i);
		snprintf(id, sizeof(id), "3AGR%08d", i);
		if (wa_msg_encode_text(&plain, text, NULL) == -1 ||
		    group_cipher_encrypt(gc, (const uint8_t *)plain.data,
		    plain.len, &cm) != 0)
			die("group encrypt");
		v[i] = stanza(1, id, "skmsg",
		    ciphertext_message_get_serialized(cm), NULL, NULL);
		SIGNAL_UNREF(cm);
	}
	got = 0;
	secs = feed_all(v, n, &got);
	if (got != n)
		die("not every group message was delivered");
	printf("bench wa_decrypt_group msg_per_s=%.0f n=%d us_per_msg=%.1f "
	    "(in-memory store; skmsg under a stored sender key)\n",
	    n / secs, n, secs * 1e6 / n);

	free(v);
	buf_free(&plain);
	group_cipher_free(gc);
	group_session_builder_free(gb);
	SIGNAL_UNREF(skdm);
	session_cipher_free(ci);
	session_builder_free(sb);
	SIGNAL_UNREF(bundle);
	signal_protocol_store_context_destroy(sc);
	signal_context_destroy(ctx);
	wa_creds_free(alice);
	h_teardown();
	ms_free(&MA);
	ms_free(&MB);
	return 0;
}
