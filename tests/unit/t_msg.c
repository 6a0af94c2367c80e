/*
 * t_msg: WhatsApp's framing around Signal (daemon/wa/msg.c): padding
 * per whatsmeow padMessage/unpadMessage, message ids per
 * GenerateMessageID, and waE2E.Message decoding from hand-assembled
 * protobuf bytes with WhatsApp's field numbers (wa-e2e.proto).
 */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "t.h"

static int
pad_counts_and_strips(void)
{
	struct buf	 b;
	int		 seen[16] = { 0 }, i, n, ok = 1;
	size_t		 out;

	buf_init(&b);
	for (i = 0; i < 2000 && ok; i++) {
		buf_reset(&b);
		buf_puts(&b, "abc");
		wa_msg_pad(&b);
		n = (int)b.len - 3;
		ok = T_TRUE(n >= 1 && n <= WA_MSG_PAD_MAX) &&
		    T_INTEQ((unsigned char)b.data[b.len - 1], n) &&
		    T_INTEQ(wa_msg_unpad((const uint8_t *)b.data, b.len,
		    &out), 0) && T_INTEQ(out, 3);
		if (ok)
			seen[n] = 1;
	}
	buf_free(&b);
	for (n = 1; n <= WA_MSG_PAD_MAX && ok; n++)
		ok = T_TRUE(seen[n]);
	return ok;
}

static int
unpad_checks(void)
{
	static const uint8_t	 good[] = { 'h', 'i', 3, 3, 3 };
	static const uint8_t	 differ[] = { 'h', 2, 3, 3 };
	static const uint8_t	 toolong[] = { 1, 5 };
	static const uint8_t	 zero[] = { 'h', 0 };
	size_t			 out = 99;

	return T_INTEQ(wa_msg_unpad(good, sizeof(good), &out), 0) &&
	    T_INTEQ(out, 2) &&
	    T_INTEQ(wa_msg_unpad(differ, sizeof(differ), &out), -1) &&
	    T_INTEQ(wa_msg_unpad(toolong, sizeof(toolong), &out), -1) &&
	    T_INTEQ(wa_msg_unpad(good, 0, &out), -1) &&
	    /* n = 0 strips nothing (whatsmeow and Baileys accept it) */
	    T_INTEQ(wa_msg_unpad(zero, sizeof(zero), &out), 0) &&
	    T_INTEQ(out, 2) &&
	    /* all padding: an empty message */
	    T_INTEQ(wa_msg_unpad(good + 2, 3, &out), 0) && T_INTEQ(out, 0);
}

static int
ids_look_like_whatsmeow(void)
{
	char	 a[WA_MSG_ID_LEN], b[WA_MSG_ID_LEN];
	int	 i, ok;

	wa_msg_id(a, "15551234567", 1764750000);
	wa_msg_id(b, NULL, 1764750000);
	ok = T_INTEQ(strlen(a), 22) && T_TRUE(strncmp(a, "3EB0", 4) == 0) &&
	    T_INTEQ(strlen(b), 22) && T_TRUE(strcmp(a, b) != 0);
	for (i = 4; i < 22 && ok; i++)
		ok = T_TRUE(isxdigit((unsigned char)a[i]) &&
		    !islower((unsigned char)a[i]));
	return ok;
}

static int
decode_text_kinds(void)
{
	/* conversation = 1 */
	static const uint8_t	 conv[] = { 0x0a, 2, 'h', 'i' };
	/* extendedTextMessage = 6 { text = 1 } */
	static const uint8_t	 ext[] = { 0x32, 4, 0x0a, 2, 'y', 'o' };
	/* deviceSentMessage = 31 { destinationJID = 1, message = 2 {
	 * conversation } } */
	static const uint8_t	 dsm[] = { 0xfa, 0x01, 13,
	    0x0a, 5, '1', '@', 's', '.', 'x', 0x12, 4, 0x0a, 2, 'o', 'k' };
	struct wa_msg		 m;
	int			 ok;

	ok = T_INTEQ(wa_msg_decode(conv, sizeof(conv), &m), 0) &&
	    T_STREQ(m.text, "hi") && T_TRUE(m.dsm_dest == NULL) &&
	    T_INTEQ(m.protocol, -1) && T_INTEQ(m.skdm_len, 0);
	wa_msg_free(&m);
	ok = ok && T_INTEQ(wa_msg_decode(ext, sizeof(ext), &m), 0) &&
	    T_STREQ(m.text, "yo");
	wa_msg_free(&m);
	ok = ok && T_INTEQ(wa_msg_decode(dsm, sizeof(dsm), &m), 0) &&
	    T_STREQ(m.text, "ok") && T_STREQ(m.dsm_dest, "1@s.x");
	wa_msg_free(&m);
	return ok;
}

static int
decode_skdm_and_protocol(void)
{
	/* senderKeyDistributionMessage = 2 { groupID = 1, axolotl... = 2 }
	 * and protocolMessage = 12 { type = 2: HISTORY_SYNC (5) };
	 * an unknown field 99 (varint) in between is skipped */
	static const uint8_t	 pb[] = { 0x12, 9, 0x0a, 3, 'g', '@', 'g',
	    0x12, 2, 0x33, 0x44, 0x98, 0x06, 0x01, 0x62, 2, 0x10, 5 };
	struct wa_msg		 m;
	int			 ok;

	ok = T_INTEQ(wa_msg_decode(pb, sizeof(pb), &m), 0) &&
	    T_TRUE(m.text == NULL) && T_STREQ(m.skdm_group, "g@g") &&
	    T_INTEQ(m.skdm_len, 2) && T_INTEQ(m.skdm[0], 0x33) &&
	    T_INTEQ(m.protocol, WA_PROTO_HISTORY_SYNC);
	wa_msg_free(&m);
	return ok;
}

static int
decode_refuses_garbage(void)
{
	static const uint8_t	 cut[] = { 0x0a, 5, 'h' };
	static const uint8_t	 badtag[] = { 0x07, 1 };
	struct wa_msg		 m;

	return T_INTEQ(wa_msg_decode(cut, sizeof(cut), &m), -1) &&
	    T_TRUE(m.pb == NULL) &&
	    T_INTEQ(wa_msg_decode(badtag, sizeof(badtag), &m), -1);
}

static int
encode_round_trip(void)
{
	struct buf	 b;
	struct wa_msg	 m;
	size_t		 n = 0;
	int		 ok;

	buf_init(&b);
	ok = T_INTEQ(wa_msg_encode_text(&b, "hello", "15550001@s.whatsapp.net"),
	    0) &&
	    T_INTEQ(wa_msg_unpad((const uint8_t *)b.data, b.len, &n), 0) &&
	    T_INTEQ(wa_msg_decode((const uint8_t *)b.data, n, &m), 0) &&
	    T_STREQ(m.text, "hello") &&
	    T_STREQ(m.dsm_dest, "15550001@s.whatsapp.net");
	wa_msg_free(&m);
	ok = ok && T_INTEQ(wa_msg_encode_text(&b, "", NULL), -1);
	buf_free(&b);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(pad_counts_and_strips),
		T_CASE(unpad_checks),
		T_CASE(ids_look_like_whatsmeow),
		T_CASE(decode_text_kinds),
		T_CASE(decode_skdm_and_protocol),
		T_CASE(decode_refuses_garbage),
		T_CASE(encode_round_trip),
	};

	return t_run(cases, T_NCASES(cases));
}
