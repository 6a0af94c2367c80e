/*
 * libFuzzer target for the receive path (daemon/wa/client_msg.c, msg.c)
 * on untrusted bytes, through tests/wa/client_harness.h.  client_msg.c
 * is compiled into this file so that the plaintext handler, which real
 * traffic only reaches after a MAC check no fuzzer can pass, is fuzzed
 * directly.  Modes (byte 0 % 4):
 *   0  a "decrypted" plaintext: unpad, decode waE2E.Message, and act
 *      on it (SKDM into the sender-key store, history-sync receipt,
 *      the message callback); byte 1 bit 0: group, bit 1: from our
 *      own phone;
 *   1  a <message> stanza whose <enc> children carry the input: byte 1
 *      picks the enc types and addressing (group, own phone, LID,
 *      peer_msg, two encs, a count), the rest is the ciphertext
 *      (split in two at byte 2 when two encs), through the frame codec
 *      and the client's dispatch into libsignal's deserializers;
 *   2  waE2E.Message decoding alone (wa_msg_decode), and unpadding;
 *   3  a <receipt> / <message> with attribute values from the input
 *      (NUL-separated: id, from, participant, type, recipient).
 * Whatever arrives, no crash, leak or UB; every answer the client sends
 * must be a well-formed frame (the fake connection aborts otherwise).
 */
#include "client_int.h"

#include "client_msg.c"

#include "client_harness.h"
#include "memstore.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct memstore	 MS;

/* Mode 0: the plaintext handler as encs_handle calls it. */
static void
fz_plain(const uint8_t *p, size_t len, int flags)
{
	struct wa_node		*n;
	struct src		 s;
	struct sig		 g = { NULL, NULL };
	signal_protocol_address	 a;
	char			 name[160];
	size_t			 plen;

	n = wa_node_new("message");
	wa_node_set_attr(n, "id", "3AFUZZ");
	wa_node_set_attr(n, "t", "1700000000");
	wa_node_set_attr(n, "notify", "Fuzz");
	if (flags & 1) {
		wa_node_set_attr(n, "from", "120363000000000001@g.us");
		wa_node_set_attr(n, "participant", flags & 2 ?
		    "15551234567@s.whatsapp.net" : "15550111:2@s.whatsapp.net");
	} else
		wa_node_set_attr(n, "from", flags & 2 ?
		    "15551234567@s.whatsapp.net" : "15550111:2@s.whatsapp.net");
	if (flags & 2)
		wa_node_set_attr(n, "recipient", "15550111@s.whatsapp.net");
	if (src_parse(H.c, n, &s) == 0 &&
	    jid_addr(s.enc_sender, name, sizeof(name), &a) == 0 &&
	    wa_signal_context_new(&g.ctx) == 0 &&
	    wa_signal_store_new(g.ctx, H.c->store, H.c->creds, &g.sc) == 0) {
		plen = len;
		if (flags & 4)
			(void)plain_handle(H.c, &g, &s, &a, n, p, len);
		else if (wa_msg_unpad(p, len, &plen) == 0)
			(void)plain_handle(H.c, &g, &s, &a, n, p, plen);
	}
	if (g.sc != NULL)
		signal_protocol_store_context_destroy(g.sc);
	if (g.ctx != NULL)
		signal_context_destroy(g.ctx);
	free(s.chat);
	wa_node_free(n);
}

/* Mode 1: a whole <message> with one or two <enc>. */
static void
fz_stanza(const uint8_t *p, size_t len, int sel, size_t split)
{
	static const char *const types[] = { "pkmsg", "msg", "skmsg", "frob" };
	struct wa_node	*n, *e;
	size_t		 k;

	n = wa_node_new("message");
	wa_node_set_attr(n, "id", "3AFUZZSTANZA");
	wa_node_set_attr(n, "t", "1700000000");
	wa_node_set_attr(n, "type", sel & 0x40 ? "peer_msg" : "text");
	if (sel & 0x10) {
		wa_node_set_attr(n, "from", "120363000000000001@g.us");
		wa_node_set_attr(n, "participant", sel & 0x20 ?
		    "15551234567:3@s.whatsapp.net" : "15550111@s.whatsapp.net");
		if (sel & 0x08)
			wa_node_set_attr(n, "participant_lid", "98765:4@lid");
	} else {
		wa_node_set_attr(n, "from", sel & 0x20 ?
		    "15551234567@s.whatsapp.net" : "15550111:7@s.whatsapp.net");
		if (sel & 0x20)
			wa_node_set_attr(n, "recipient",
			    "15550111@s.whatsapp.net");
		if (sel & 0x08)
			wa_node_set_attr(n, "sender_lid", "98765:7@lid");
	}
	if (split > len)
		split = len;
	k = sel & 0x80 ? split : len;
	e = wa_node_add_child(n, "enc");
	wa_node_set_attr(e, "v", sel & 0x04 ? "3" : "2");
	wa_node_set_attr(e, "type", types[sel & 3]);
	if (sel & 0x20)
		wa_node_set_attr(e, "count", "2");
	wa_node_set_bytes(e, p, k);
	if (sel & 0x80) {
		e = wa_node_add_child(n, "enc");
		wa_node_set_attr(e, "v", "2");
		wa_node_set_attr(e, "type", "skmsg");
		wa_node_set_bytes(e, p + k, len - k);
	}
	h_feed(n);
}

/* Mode 3: attribute values from the input, NUL-separated. */
static void
fz_attrs(const uint8_t *p, size_t len, int receipt)
{
	static const char *const keys[] = { "id", "from", "participant",
	    "type", "recipient" };
	struct wa_node	*n;
	size_t		 i = 0, k, j;
	char		*v;

	n = wa_node_new(receipt ? "receipt" : "message");
	for (k = 0; k < 5 && i < len; k++) {
		for (j = i; j < len && p[j] != 0; j++)
			;
		v = xstrndup((const char *)p + i, j - i);
		wa_node_set_attr(n, keys[k], v);
		free(v);
		i = j + 1;
	}
	if (!receipt)
		wa_node_set_bytes(wa_node_add_child(n, "enc"), "\x33\x08", 2);
	h_feed(n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct wa_msg	 m;
	size_t		 plen;

	if (!init) {
		log_init("fuzz_recv", LOG_LEVEL_ERROR);
		h_keep = 1;	/* one lws context for all inputs */
		init = 1;
	}
	if (size < 2)
		return 0;
	if (h_setup(1) == -1)
		abort();
	ms_init(&MS);
	H.c->store = &MS.st;
	switch (data[0] % 4) {
	case 0:
		fz_plain(data + 2, size - 2, data[1]);
		break;
	case 1:
		fz_stanza(data + 2, size - 2, data[1], size > 2 ? data[2] : 0);
		break;
	case 2:
		if (wa_msg_decode(data + 1, size - 1, &m) == 0)
			wa_msg_free(&m);
		(void)wa_msg_unpad(data + 1, size - 1, &plen);
		break;
	default:
		fz_attrs(data + 2, size - 2, data[1] & 1);
		break;
	}
	h_teardown();
	ms_free(&MS);
	return 0;
}
