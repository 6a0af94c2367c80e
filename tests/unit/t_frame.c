/*
 * Unit tests for daemon/wa/frame.c: the connection header, the 3-byte
 * length prefix, reassembly of split and packed frames, the hard frame
 * limit and garbage.  Byte strings come from wa-md-protocol.md
 * Appendix A (first WS message, transport frame at counter 0).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "log.h"
#include "t.h"

/* Appendix A: ClientHello protobuf, and the first WS message. */
static const uint8_t	 hello[] = {
	0x12, 0x22, 0x0a, 0x20,
	0xf0, 0x1e, 0x3f, 0xee, 0xd2, 0x95, 0x3d, 0x42, 0x21, 0xfe, 0xdd,
	0xad, 0x1b, 0x6b, 0xaa, 0x06, 0xee, 0x32, 0x16, 0x66, 0xeb, 0x0e,
	0x17, 0x0d, 0x33, 0x42, 0x89, 0x05, 0xb0, 0x05, 0x7d, 0x4e
};
static const uint8_t	 first_msg_prefix[] = {
	0x57, 0x41, 0x06, 0x03, 0x00, 0x00, 0x24
};

/* Appendix A: transport frame, counter 0 (a 0x1c-byte payload). */
static const uint8_t	 ws_ct0[] = {
	0x00, 0x00, 0x1c,
	0x4e, 0xa4, 0x23, 0xb3, 0x59, 0x19, 0x9c, 0x2d, 0x85, 0x7a, 0x7e,
	0x19, 0x8e, 0x94, 0x2a, 0x1d, 0x25, 0x3b, 0x46, 0x39, 0xcd, 0x8e,
	0xfd, 0xaa, 0x50, 0xdf, 0x4d, 0x47
};

static int
header_sent_once(void)
{
	struct wa_frame_tx	 tx;
	struct buf		 b;
	int			 ok;

	wa_frame_tx_init(&tx);
	buf_init(&b);
	ok = T_INTEQ(wa_frame_encode(&tx, hello, sizeof(hello), &b), 0) &&
	    T_INTEQ(b.len, sizeof(first_msg_prefix) + sizeof(hello)) &&
	    T_MEMEQ(b.data, first_msg_prefix, sizeof(first_msg_prefix)) &&
	    T_MEMEQ(b.data + sizeof(first_msg_prefix), hello, sizeof(hello));
	buf_reset(&b);
	ok = ok && T_INTEQ(wa_frame_encode(&tx, ws_ct0 + 3, 0x1c, &b), 0) &&
	    T_INTEQ(b.len, sizeof(ws_ct0)) &&
	    T_MEMEQ(b.data, ws_ct0, sizeof(ws_ct0));
	/* A new connection sends the header again. */
	buf_reset(&b);
	wa_frame_tx_init(&tx);
	ok = ok && T_INTEQ(wa_frame_encode(&tx, "", 0, &b), 0) &&
	    T_INTEQ(b.len, 7) &&
	    T_MEMEQ(b.data, "WA\x06\x03\x00\x00\x00", 7);
	buf_free(&b);
	return ok;
}

static int
encode_too_large(void)
{
	struct wa_frame_tx	 tx;
	struct buf		 b;
	int			 ok;

	wa_frame_tx_init(&tx);
	buf_init(&b);
	/* The payload is never read: the size check comes first. */
	ok = T_INTEQ(wa_frame_encode(&tx, hello, (size_t)1 << 24, &b), -1) &&
	    T_INTEQ(b.len, 0) && T_INTEQ(tx.hdr_sent, 0);
	buf_free(&b);
	return ok;
}

/* Large lengths use all three bytes, big-endian. */
static int
length_big_endian(void)
{
	struct wa_frame_tx	 tx;
	struct buf		 b;
	uint8_t			*p;
	size_t			 n = 0x012345;
	int			 ok;

	p = calloc(1, n);
	wa_frame_tx_init(&tx);
	tx.hdr_sent = 1;
	buf_init(&b);
	ok = T_INTEQ(wa_frame_encode(&tx, p, n, &b), 0) &&
	    T_INTEQ(b.len, n + 3) &&
	    T_MEMEQ(b.data, "\x01\x23\x45", 3);
	buf_free(&b);
	free(p);
	return ok;
}

/* Feed "in" one byte per push: the frame appears only at the end. */
static int
split_byte_by_byte(void)
{
	struct wa_frame_rx	 rx;
	const uint8_t		*f;
	size_t			 i, n;
	int			 ok = 1;

	wa_frame_rx_init(&rx, 0);
	for (i = 0; i < sizeof(ws_ct0) && ok; i++) {
		ok = T_INTEQ(wa_frame_rx_push(&rx, ws_ct0 + i, 1), 0);
		if (i + 1 < sizeof(ws_ct0))
			ok = ok && T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 0);
	}
	ok = ok && T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 1) &&
	    T_INTEQ(n, 0x1c) && T_MEMEQ(f, ws_ct0 + 3, 0x1c) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 0) &&
	    T_INTEQ(wa_frame_rx_pending(&rx), 0);
	wa_frame_rx_free(&rx);
	return ok;
}

/* Two whole frames, an empty frame and half a fourth in one message. */
static int
packed_frames(void)
{
	struct wa_frame_rx	 rx;
	const uint8_t		*f;
	uint8_t			 msg[64];
	size_t			 n, m = 0;
	int			 ok;

	memcpy(msg + m, "\x00\x00\x02" "ab", 5);
	m += 5;
	memcpy(msg + m, "\x00\x00\x03" "cde", 6);
	m += 6;
	memcpy(msg + m, "\x00\x00\x00", 3);
	m += 3;
	memcpy(msg + m, "\x00\x00\x04" "fg", 5);
	m += 5;
	wa_frame_rx_init(&rx, 0);
	ok = T_INTEQ(wa_frame_rx_push(&rx, msg, m), 0) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 1) && T_INTEQ(n, 2) &&
	    T_MEMEQ(f, "ab", 2) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 1) && T_INTEQ(n, 3) &&
	    T_MEMEQ(f, "cde", 3) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 1) && T_INTEQ(n, 0) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 0) &&
	    T_INTEQ(wa_frame_rx_pending(&rx), 5);
	/* The rest of the fourth frame plus the length of a fifth. */
	ok = ok && T_INTEQ(wa_frame_rx_push(&rx, "hi\x00\x00", 4), 0) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 1) && T_INTEQ(n, 4) &&
	    T_MEMEQ(f, "fghi", 4) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 0) &&
	    T_INTEQ(wa_frame_rx_push(&rx, "\x01" "z", 2), 0) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 1) && T_INTEQ(n, 1) &&
	    T_MEMEQ(f, "z", 1);
	wa_frame_rx_free(&rx);
	return ok;
}

/* A length over the limit fails at once, before the payload arrives. */
static int
limit_enforced(void)
{
	struct wa_frame_rx	 rx;
	const uint8_t		*f;
	size_t			 n;
	int			 ok;

	wa_frame_rx_init(&rx, 100);
	ok = T_INTEQ(wa_frame_rx_push(&rx, "\x00\x00\x64", 3), 0) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 0);
	wa_frame_rx_free(&rx);
	ok = ok && T_INTEQ(rx.max, 100) &&
	    T_INTEQ(wa_frame_rx_push(&rx, "\x00\x00\x65", 3), 0) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), -1) &&
	    T_TRUE(f == NULL) &&
	    T_INTEQ(wa_frame_rx_push(&rx, "x", 1), -1) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), -1);
	wa_frame_rx_free(&rx);
	/* The default limit is the 3-byte maximum. */
	wa_frame_rx_init(&rx, 0);
	ok = ok && T_INTEQ(rx.max, WA_FRAME_MAX) &&
	    T_INTEQ(wa_frame_rx_push(&rx, "\xff\xff\xff", 3), 0) &&
	    T_INTEQ(wa_frame_rx_next(&rx, &f, &n), 0);
	wa_frame_rx_free(&rx);
	return ok;
}

/*
 * Random garbage in random chunk sizes: every frame returned must lie
 * inside what was pushed and the totals must add up; with a small limit
 * the stream fails cleanly instead.
 */
static int
garbage(void)
{
	struct wa_frame_rx	 rx;
	const uint8_t		*f;
	uint8_t			 in[4096];
	size_t			 i, n, off, chunk, used;
	int			 round, rc, ok = 1;

	srand(7);
	for (round = 0; round < 200 && ok; round++) {
		for (i = 0; i < sizeof(in); i++)
			in[i] = rand() & (round % 2 ? 0x03 : 0xff);
		wa_frame_rx_init(&rx, round % 3 == 0 ? 64 : 0);
		used = 0;
		rc = 0;
		for (off = 0; off < sizeof(in) && rc != -1; off += chunk) {
			chunk = 1 + rand() % 300;
			if (chunk > sizeof(in) - off)
				chunk = sizeof(in) - off;
			if (wa_frame_rx_push(&rx, in + off, chunk) == -1)
				break;
			while ((rc = wa_frame_rx_next(&rx, &f, &n)) == 1) {
				ok = ok && T_TRUE(used + 3 + n <= off + chunk);
				ok = ok && T_MEMEQ(f, in + used + 3, n);
				used += 3 + n;
			}
		}
		if (rc != -1)
			ok = ok && T_INTEQ(used + wa_frame_rx_pending(&rx),
			    sizeof(in));
		wa_frame_rx_free(&rx);
	}
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(header_sent_once),
		T_CASE(encode_too_large),
		T_CASE(length_big_endian),
		T_CASE(split_byte_by_byte),
		T_CASE(packed_frames),
		T_CASE(limit_enforced),
		T_CASE(garbage),
	};

	log_init("t_frame", LOG_LEVEL_ERROR);
	return t_run(cases, T_NCASES(cases));
}
