/*
 * libFuzzer target for the client state machine (daemon/wa/client.c)
 * in-process, through tests/wa/client_harness.h: a client that is
 * logging in, connected, or pairing receives arbitrary frame
 * plaintexts (flag byte and node bytes, encrypted for it with the
 * transport key, so they reach the decoder and the node handlers).
 * Whatever arrives, the client must not crash, leak or invoke UB, and
 * whatever it answers must be a well-formed frame (the fake connection
 * decrypts and decodes every frame the client sends, and aborts if it
 * cannot).
 *
 * Input: byte 0 picks the state (0 logging in, 1 connected, 2 pairing);
 * then frames, each a length byte followed by that many bytes.
 */
#include "client_int.h"

#include "client_harness.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Bring the client to connected: <success/>, then answer what it asks
 * in order (the pre-key count with 10, the upload, the active IQ).
 */
static void
fz_connect(void)
{
	struct wa_node	*n, *q;
	int		 i;

	h_feed(wa_node_new("success"));
	for (i = 0; i < 3 && H.c != NULL && H.nsent > 0 &&
	    wa_client_state(H.c) == WA_STATE_LOGGING_IN; i++) {
		q = h_last();
		n = wa_node_new("iq");
		wa_node_set_attr(n, "type", "result");
		wa_node_set_attr(n, "from", "@s.whatsapp.net");
		wa_node_set_attr(n, "id", wa_node_attr(q, "id"));
		if (wa_node_child(q, "count") != NULL)
			wa_node_set_attr(wa_node_add_child(n, "count"),
			    "value", "10");
		h_feed(n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	size_t		 i, n;
	int		 mode;

	if (!init) {
		log_init("fuzz_client", LOG_LEVEL_ERROR);
		h_keep = 1;	/* one lws context for all inputs */
		init = 1;
	}
	if (size < 1)
		return 0;
	mode = data[0] % 3;
	if (h_setup(mode != 2) == -1)
		abort();
	if (mode == 1)
		fz_connect();
	for (i = 1; i < size && H.c != NULL && H.c->conn != NULL; i += n) {
		n = data[i++];
		if (n > size - i)
			n = size - i;
		h_feed_raw(data + i, n);
	}
	h_teardown();
	return 0;
}
