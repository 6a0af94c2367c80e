/*
 * Unit tests for daemon/wa/binary.c and jid.c: the worked examples of
 * wa-md-protocol.md 5.6 and 5.8 byte for byte, every token, round trips
 * of each type tag, every decoder error path (LeakSanitizer in the
 * "make check" build turns any leak on those paths into a failure),
 * frames with zlib, JID text forms and the debug form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "xalloc.h"
#include "wa_tokens.h"

#include "binary.h"
#include "jid.h"
#include "t.h"

/* Parse hex with optional spaces into b (reset first). */
static void
unhex(const char *hex, struct buf *b)
{
	unsigned int	 v;
	unsigned char	 c;

	buf_reset(b);
	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1)
			abort();
		c = v;
		buf_append(b, &c, 1);
		hex += 2;
	}
}

static char *
tohex(const void *p, size_t len)
{
	const unsigned char	*u = p;
	struct buf		 b;
	char			*s;
	size_t			 i;

	buf_init(&b);
	for (i = 0; i < len; i++)
		buf_printf(&b, "%s%02X", i > 0 ? " " : "", u[i]);
	s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

/* Encode n and compare with want (spaced upper-case hex). */
static int
enc_is(const struct wa_node *n, const char *want)
{
	struct buf	 b;
	char		*got;
	int		 ok;

	buf_init(&b);
	ok = T_INTEQ(wa_binary_encode(n, &b), 0);
	got = tohex(b.data, b.len);
	ok = ok && T_STREQ(got, want);
	free(got);
	buf_free(&b);
	return ok;
}

/* Decode hex; on success *out is the tree. */
static int
dec_hex(const char *hex, struct wa_node **out)
{
	struct buf	 b;
	char		 err[128];
	int		 rc;

	buf_init(&b);
	unhex(hex, &b);
	rc = wa_binary_decode((const unsigned char *)b.data, b.len, out, err,
	    sizeof(err));
	if (rc != 0)
		fprintf(stderr, "decode %s: %s\n", hex, err);
	buf_free(&b);
	return rc == 0;
}

/* Decoding p must fail with an error mentioning want. */
static int
dec_fails(const void *p, size_t len, const char *want)
{
	struct wa_node	*n = (struct wa_node *)1;
	char		 err[160];
	int		 ok;

	ok = T_INTEQ(wa_binary_decode(p, len, &n, err, sizeof(err)), -1);
	ok = ok && T_TRUE(n == NULL);
	if (ok && strstr(err, want) == NULL) {
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, want);
		ok = 0;
	}
	return ok;
}

static int
dec_hex_fails(const char *hex, const char *want)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	unhex(hex, &b);
	ok = dec_fails(b.data, b.len, want);
	buf_free(&b);
	return ok;
}

/* Encode, decode, compare trees, re-encode and compare bytes. */
static int
roundtrip(const struct wa_node *n)
{
	struct buf	 a, b;
	struct wa_node	*d = NULL;
	char		 err[128];
	int		 ok;

	buf_init(&a);
	buf_init(&b);
	ok = T_INTEQ(wa_binary_encode(n, &a), 0);
	ok = ok && T_INTEQ(wa_binary_decode((unsigned char *)a.data, a.len,
	    &d, err, sizeof(err)), 0);
	if (!ok)
		fprintf(stderr, "roundtrip: %s\n", err);
	if (ok && !wa_node_equal(n, d)) {
		char	*x, *y;

		x = wa_node_debug_string(n);
		y = wa_node_debug_string(d);
		fprintf(stderr, "roundtrip differs:\n  %s\n  %s\n", x, y);
		free(x);
		free(y);
		ok = 0;
	}
	ok = ok && T_INTEQ(wa_binary_encode(d, &b), 0);
	ok = ok && T_INTEQ(a.len, b.len) && T_MEMEQ(a.data, b.data, a.len);
	wa_node_free(d);
	buf_free(&a);
	buf_free(&b);
	return ok;
}

/* Spec 5.8: <iq id="1" type="result" to=@s.whatsapp.net/>. */
static int
spec_worked_example(void)
{
	struct wa_node	*n;
	struct buf	 b;
	int		 ok;

	n = wa_node_new("iq");
	wa_node_set_attr(n, "id", "1");
	wa_node_set_attr(n, "type", "result");
	wa_node_set_attr(n, "to", "@s.whatsapp.net");
	ok = enc_is(n, "F8 07 19 08 55 04 14 11 FA 00 03");
	buf_init(&b);
	ok = ok && T_INTEQ(wa_frame_pack(n, &b), 0);
	unhex("00 F8 07 19 08 55 04 14 11 FA 00 03", &b);
	buf_free(&b);
	/* The same with "to" as a plain string (not a JID: no '@'). */
	wa_node_set_attr(n, "to", "s.whatsapp.net");
	ok = ok && enc_is(n, "F8 07 19 08 55 04 14 11 03");
	wa_node_free(n);
	return ok;
}

static int
spec_frame_pack(void)
{
	struct wa_node	*n;
	struct buf	 b;
	char		*got;
	int		 ok;

	n = wa_node_new("iq");
	wa_node_set_attr(n, "id", "1");
	wa_node_set_attr(n, "type", "result");
	wa_node_set_attr(n, "to", "@s.whatsapp.net");
	buf_init(&b);
	ok = T_INTEQ(wa_frame_pack(n, &b), 0);
	got = tohex(b.data, b.len);
	ok = ok && T_STREQ(got, "00 F8 07 19 08 55 04 14 11 FA 00 03");
	free(got);
	buf_free(&b);
	wa_node_free(n);
	return ok;
}

/* The table after the worked example in spec 5.8. */
static int
spec_more_encodings(void)
{
	struct wa_node	*n, *c;
	int		 ok;

	n = wa_node_new("stream:error");
	wa_node_set_attr(n, "code", "515");
	ok = enc_is(n, "F8 03 9D 70 FF 82 51 5F");
	wa_node_set_attr(n, "code", "401");
	c = wa_node_add_child(n, "conflict");
	wa_node_set_attr(c, "type", "device_removed");
	ok = ok && enc_is(n, "F8 04 9D 70 8D F8 01 F8 03 EC 0E 04 FC 0E 64 "
	    "65 76 69 63 65 5F 72 65 6D 6F 76 65 64");
	wa_node_set_attr(n, "code", NULL);
	wa_node_set_attr(c, "type", "replaced");
	ok = ok && enc_is(n, "F8 02 9D F8 01 F8 03 EC 0E 04 EC 11");
	wa_node_free(n);

	n = wa_node_new("failure");
	wa_node_set_attr(n, "reason", "405");
	wa_node_set_attr(n, "location", "odn");
	ok = ok && enc_is(n, "F8 05 EE 3C EC 2E FF 82 40 5F 3D FC 03 6F 64 6E");
	wa_node_free(n);

	n = wa_node_new("iq");
	wa_node_set_attr(n, "to", "@s.whatsapp.net");
	wa_node_set_attr(n, "xmlns", "w:p");
	wa_node_set_attr(n, "type", "get");
	wa_node_set_attr(n, "id", "123.45-1");
	wa_node_add_child(n, "ping");
	ok = ok && enc_is(n, "F8 0A 19 11 FA 00 03 16 57 04 29 08 FF 04 12 3B "
	    "45 A1 F8 01 F8 01 56");
	wa_node_set_attr(n, "xmlns", "passive");
	wa_node_set_attr(n, "type", "set");
	wa_node_set_attr(n, "id", "AB");
	wa_node_free(n->children[0]);
	n->children[0] = wa_node_new("active");
	ok = ok && enc_is(n, "F8 0A 19 11 FA 00 03 16 EC 18 04 5A 08 FB 01 AB "
	    "F8 01 F8 01 EC 01");
	ok = ok && roundtrip(n);
	wa_node_free(n);
	return ok;
}

/* Spec 5.6: the AD_JID example and the server JID. */
static int
spec_jid_examples(void)
{
	struct wa_node	*n, *d = NULL;
	int		 ok;

	n = wa_node_new("iq");
	wa_node_set_attr(n, "jid", "15551234567:12@s.whatsapp.net");
	ok = enc_is(n, "F8 03 19 0C F7 00 0C FF 86 15 55 12 34 56 7F");
	ok = ok && dec_hex("F8 03 19 0C F7 00 0C FF 86 15 55 12 34 56 7F", &d);
	ok = ok && T_STREQ(wa_node_attr(d, "jid"),
	    "15551234567:12@s.whatsapp.net");
	wa_node_free(d);
	d = NULL;
	ok = ok && dec_hex("F8 03 19 0C FA 00 03", &d);
	ok = ok && T_STREQ(wa_node_attr(d, "jid"), "@s.whatsapp.net");
	wa_node_free(d);
	wa_node_free(n);
	return ok;
}

/* Every token encodes to its index and decodes back. */
static int
all_tokens(void)
{
	struct wa_node	*n, *d;
	struct buf	 b;
	char		 err[128];
	int		 ok = 1, i, k;

	buf_init(&b);
	for (i = 1; i < WA_TOKENS_NSINGLE + WA_TOKENS_NDICT * 256 && ok; i++) {
		const char	*tok;
		unsigned char	 want[2];
		size_t		 wl;

		if (i < WA_TOKENS_NSINGLE) {
			tok = wa_tokens_single[i];
			want[0] = i;
			wl = 1;
		} else {
			k = i - WA_TOKENS_NSINGLE;
			tok = wa_tokens_double[k / 256][k % 256];
			want[0] = WA_TAG_DICTIONARY_0 + k / 256;
			want[1] = k % 256;
			wl = 2;
		}
		n = wa_node_new(tok);
		buf_reset(&b);
		ok = T_INTEQ(wa_binary_encode(n, &b), 0) &&
		    T_INTEQ(b.len, 2 + wl) &&
		    T_MEMEQ(b.data + 2, want, wl);
		d = NULL;
		ok = ok && T_INTEQ(wa_binary_decode((unsigned char *)b.data,
		    b.len, &d, err, sizeof(err)), 0) &&
		    T_STREQ(d->tag, tok);
		if (!ok)
			fprintf(stderr, "token %d \"%s\"\n", i, tok);
		wa_node_free(d);
		wa_node_free(n);
	}
	buf_free(&b);
	return ok;
}

static int
packed_strings(void)
{
	struct wa_node	*n;
	char		 s[200];
	int		 ok;

	n = wa_node_new("x");
	/* Nibble: even, odd, '-' and '.'. */
	wa_node_set_attr(n, "id", "0123456789");
	ok = enc_is(n, "F8 03 FC 01 78 08 FF 05 01 23 45 67 89");
	wa_node_set_attr(n, "id", "1-2.3");
	ok = ok && enc_is(n, "F8 03 FC 01 78 08 FF 83 1A 2B 3F");
	/* Hex, upper case only; lower case is raw. */
	wa_node_set_attr(n, "id", "3EB0ABCDEF");
	ok = ok && enc_is(n, "F8 03 FC 01 78 08 FB 05 3E B0 AB CD EF");
	wa_node_set_attr(n, "id", "ABC");
	ok = ok && enc_is(n, "F8 03 FC 01 78 08 FB 82 AB CF");
	wa_node_set_attr(n, "id", "abc");
	ok = ok && enc_is(n, "F8 03 FC 01 78 08 FC 03 61 62 63");
	ok = ok && roundtrip(n);
	/* 127 chars pack, 128 do not. */
	memset(s, '7', 127);
	s[127] = '\0';
	wa_node_set_attr(n, "id", s);
	ok = ok && roundtrip(n);
	{
		struct buf	 b;

		buf_init(&b);
		ok = ok && T_INTEQ(wa_binary_encode(n, &b), 0) &&
		    T_INTEQ((unsigned char)b.data[6], WA_TAG_NIBBLE_8) &&
		    T_INTEQ((unsigned char)b.data[7], 0x80 | 64) &&
		    T_INTEQ(b.len, 8 + 64);
		s[127] = '7';
		s[128] = '\0';
		wa_node_set_attr(n, "id", s);
		buf_reset(&b);
		ok = ok && T_INTEQ(wa_binary_encode(n, &b), 0) &&
		    T_INTEQ((unsigned char)b.data[6], WA_TAG_BINARY_8) &&
		    T_INTEQ(b.len, 8 + 128);
		buf_free(&b);
	}
	ok = ok && roundtrip(n);
	/* Packed text content, and the empty string as NIBBLE_8 length 0. */
	wa_node_set_attr(n, "id", NULL);
	wa_node_set_text(n, "4242");
	ok = ok && enc_is(n, "F8 02 FC 01 78 FF 02 42 42") && roundtrip(n);
	wa_node_set_text(n, "");
	ok = ok && enc_is(n, "F8 02 FC 01 78 FF 00") && roundtrip(n);
	wa_node_free(n);
	return ok;
}

static int
binary_lengths(void)
{
	static const size_t	 sizes[] = { 0, 1, 255, 256, (1 << 20) - 1,
	    1 << 20, (1 << 20) + 7 };
	static const int	 tags[] = { 0xFC, 0xFC, 0xFC, 0xFD, 0xFD,
	    0xFE, 0xFE };
	struct wa_node		*n;
	struct buf		 b;
	unsigned char		*p;
	size_t			 i, j;
	int			 ok = 1;

	n = wa_node_new("enc");
	buf_init(&b);
	p = xmalloc(1 << 21);
	for (j = 0; j < 1 << 21; j++)
		p[j] = (unsigned char)(j * 7 + 3);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && ok; i++) {
		wa_node_set_bytes(n, p, sizes[i]);
		buf_reset(&b);
		ok = T_INTEQ(wa_binary_encode(n, &b), 0) &&
		    T_INTEQ((unsigned char)b.data[3], tags[i]) &&
		    roundtrip(n);
	}
	/* BINARY_20 header bytes: top nibble 0, 20-bit BE length. */
	wa_node_set_bytes(n, p, 0x12345);
	buf_reset(&b);
	ok = ok && T_INTEQ(wa_binary_encode(n, &b), 0) &&
	    T_MEMEQ(b.data + 3, "\xFD\x01\x23\x45", 4);
	wa_node_set_bytes(n, p, 0x123456);
	buf_reset(&b);
	ok = ok && T_INTEQ(wa_binary_encode(n, &b), 0) &&
	    T_MEMEQ(b.data + 3, "\xFE\x00\x12\x34\x56", 5);
	free(p);
	buf_free(&b);
	wa_node_free(n);
	return ok;
}

static int
lists(void)
{
	struct wa_node	*n, *c, *d = NULL;
	struct buf	 b;
	char		 err[128];
	int		 ok, i;

	n = wa_node_new("list");
	for (i = 0; i < 300; i++) {
		c = wa_node_add_child(n, "item");
		wa_node_set_attrf(c, "id", "%d", i);
	}
	buf_init(&b);
	ok = T_INTEQ(wa_binary_encode(n, &b), 0) &&
	    T_MEMEQ(b.data, "\xF8\x02", 2) &&
	    T_MEMEQ(b.data + 2, "\x71\xF9\x01\x2C", 4);
	ok = ok && roundtrip(n);
	/* An empty child list is written as content LIST_EMPTY. */
	c = wa_node_add_child(n, "empty");
	c->content = WA_CONTENT_CHILDREN;
	buf_reset(&b);
	ok = ok && T_INTEQ(wa_binary_encode(c, &b), 0) &&
	    T_MEMEQ(b.data, "\xF8\x02\xFC\x05" "empty" "\x00", 10);
	ok = ok && T_INTEQ(wa_binary_decode((unsigned char *)b.data, b.len,
	    &d, err, sizeof(err)), 0) &&
	    T_INTEQ(d->content, WA_CONTENT_NONE);
	wa_node_free(d);
	d = NULL;
	/* LIST_8 size 0 as content also means no content. */
	ok = ok && dec_hex("F8 02 19 F8 00", &d) &&
	    T_INTEQ(d->content, WA_CONTENT_NONE);
	wa_node_free(d);
	/* A node header in LIST_16 form is accepted. */
	d = NULL;
	ok = ok && dec_hex("F9 00 01 19", &d) && T_STREQ(d->tag, "iq");
	wa_node_free(d);
	buf_free(&b);
	wa_node_free(n);
	return ok;
}

static int
jid_forms(void)
{
	static const struct {
		const char	*text;
		const char	*hex;
	} v[] = {
		/* JID_PAIR, user nibble-packed, server token. */
		{ "15551234567@s.whatsapp.net",
		  "FA FF 86 15 55 12 34 56 7F 03" },
		/* LID user with device: AD_JID domain 1. */
		{ "18234235214236:18@lid",
		  "F7 01 12 FF 07 18 23 42 35 21 42 36" },
		{ "18234235214236@lid", "FA FF 07 18 23 42 35 21 42 36 76" },
		/* Hosted: AD_JID even for device 0 (whatsmeow). */
		{ "123@hosted", "F7 80 00 FF 82 12 3F" },
		{ "123:5@hosted.lid", "F7 81 05 FF 82 12 3F" },
		/* Legacy agent in the domain byte (whatsmeow String). */
		{ "123.7:0@s.whatsapp.net", "F7 07 00 FF 82 12 3F" },
		/* Groups: a pair; the dash makes the user nibble. */
		{ "120363-99@g.us", "FA FF 85 12 03 63 A9 9F 1C" },
		/* FB (msgr) and interop. */
		{ "5551234:3@msgr", "F6 FF 84 55 51 23 4F 00 03 CC" },
		{ "7-5551:2@interop",
		  "F5 FF 02 55 51 00 02 00 07 FC 07 69 6E 74 65 72 6F 70" },
		/* Both parts tokens. */
		{ "status@broadcast",
		  "FA 0B 0D" },
	};
	struct wa_node	*n;
	struct buf	 want;
	size_t		 i;
	int		 ok = 1;

	n = wa_node_new("x");
	buf_init(&want);
	for (i = 0; i < sizeof(v) / sizeof(v[0]) && ok; i++) {
		char	 hex[200];

		wa_node_set_attr(n, "jid", v[i].text);
		snprintf(hex, sizeof(hex), "F8 03 FC 01 78 0C %s", v[i].hex);
		ok = enc_is(n, hex) && roundtrip(n);
		if (!ok)
			fprintf(stderr, "jid %s\n", v[i].text);
	}
	buf_free(&want);
	wa_node_free(n);
	return ok;
}

/* Texts that look like JIDs but are not canonical stay raw strings. */
static int
jid_noncanonical(void)
{
	static const char	*raw[] = {
		"a@b@c", "user@", "1:0@s.whatsapp.net", "1:07@s.whatsapp.net",
		":3@s.whatsapp.net", "x:1@msgr", "1:256@s.whatsapp.net",
	};
	struct wa_node		*n;
	struct buf		 b;
	size_t			 i;
	int			 ok = 1;

	n = wa_node_new("x");
	buf_init(&b);
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]) && ok; i++) {
		wa_node_set_attr(n, "v", raw[i]);
		buf_reset(&b);
		ok = T_INTEQ(wa_binary_encode(n, &b), 0) && roundtrip(n);
		/* Whatever form was chosen, the text comes back exactly. */
		if (!ok)
			fprintf(stderr, "text %s\n", raw[i]);
	}
	/* "a@b@c" and "user@" must be raw (BINARY_8 after key "v"). */
	wa_node_set_attr(n, "v", "a@b@c");
	ok = ok && enc_is(n, "F8 03 FC 01 78 51 FC 05 61 40 62 40 63");
	/* ":0" is not canonical: a pair with the whole user part. */
	wa_node_set_attr(n, "v", "1:0@s.whatsapp.net");
	ok = ok && enc_is(n, "F8 03 FC 01 78 51 FA FC 03 31 3A 30 03");
	buf_free(&b);
	wa_node_free(n);
	return ok;
}

static int
jid_api(void)
{
	struct wa_jid	 j;
	char		*s;
	int		 ok;

	ok = T_INTEQ(wa_jid_parse("15551234567:12@s.whatsapp.net", &j), 1) &&
	    T_INTEQ(j.kind, WA_JID_AD) && T_INTEQ(j.device, 12) &&
	    T_INTEQ(j.domain, 0) && T_INTEQ(j.user_len, 11);
	ok = ok && T_INTEQ(wa_jid_parse("9-1:2@interop", &j), 1) &&
	    T_INTEQ(j.kind, WA_JID_INTEROP) && T_INTEQ(j.integrator, 9) &&
	    T_INTEQ(j.device, 2);
	ok = ok && T_INTEQ(wa_jid_parse("nope", &j), 0) &&
	    T_INTEQ(wa_jid_parse("x@", &j), 0);
	s = wa_jid_to_non_ad("15551234567:12@s.whatsapp.net");
	ok = ok && T_STREQ(s, "15551234567@s.whatsapp.net");
	free(s);
	s = wa_jid_to_non_ad("1.7:3@s.whatsapp.net");
	ok = ok && T_STREQ(s, "1@s.whatsapp.net");
	free(s);
	s = wa_jid_to_non_ad("5:9@lid");
	ok = ok && T_STREQ(s, "5@lid");
	free(s);
	s = wa_jid_to_non_ad("5:9@msgr");
	ok = ok && T_STREQ(s, "5:0@msgr");
	free(s);
	ok = ok && T_TRUE(wa_jid_to_non_ad("no-at") == NULL);
	memset(&j, 0, sizeof(j));
	j.kind = WA_JID_AD;
	j.user = "42";
	j.user_len = 2;
	j.server = "lid";
	j.server_len = 3;
	j.domain = 1;
	j.device = 3;
	s = wa_jid_string(&j);
	ok = ok && T_STREQ(s, "42:3@lid");
	free(s);
	return ok;
}

/* Decoding forms the encoder does not write. */
static int
decode_variants(void)
{
	struct wa_node	*d = NULL;
	int		 ok;

	/* Stream end is a node tagged token 2 (whatsmeow client.go). */
	ok = dec_hex("F8 01 02", &d) && T_STREQ(d->tag, "xmlstreamend") &&
	    T_INTEQ(d->nattrs, 0) && T_INTEQ(d->content, WA_CONTENT_NONE);
	wa_node_free(d);
	d = NULL;
	/* AD_JID device 0 decodes to the plain text (both references). */
	ok = ok && dec_hex("F8 03 19 0C F7 00 00 FF 82 12 3F", &d) &&
	    T_STREQ(wa_node_attr(d, "jid"), "123@s.whatsapp.net");
	wa_node_free(d);
	d = NULL;
	/* Text content from a token and from a JID. */
	ok = ok && dec_hex("F8 02 19 9B", &d) &&
	    T_INTEQ(d->content, WA_CONTENT_TEXT) &&
	    T_STREQ((char *)d->bytes, "true");
	wa_node_free(d);
	d = NULL;
	ok = ok && dec_hex("F8 02 19 FA 00 03", &d) &&
	    T_INTEQ(d->content, WA_CONTENT_TEXT) &&
	    T_STREQ((char *)d->bytes, "@s.whatsapp.net");
	wa_node_free(d);
	d = NULL;
	/* Binary content is BYTES, NUL-terminated past its length. */
	ok = ok && dec_hex("F8 02 19 FC 03 00 41 00", &d) &&
	    T_INTEQ(d->content, WA_CONTENT_BYTES) && T_INTEQ(d->nbytes, 3) &&
	    T_MEMEQ(d->bytes, "\0A\0", 4);
	wa_node_free(d);
	d = NULL;
	/* Even size with content LIST_EMPTY: no content. */
	ok = ok && dec_hex("F8 02 19 00", &d) &&
	    T_INTEQ(d->content, WA_CONTENT_NONE);
	wa_node_free(d);
	d = NULL;
	/* Empty-valued attributes are dropped; duplicates: last wins. */
	ok = ok && dec_hex("F8 07 19 08 00 04 FC 00 04 14", &d) &&
	    T_INTEQ(d->nattrs, 1) && T_STREQ(wa_node_attr(d, "type"),
	    "result") && T_TRUE(wa_node_attr(d, "id") == NULL);
	wa_node_free(d);
	d = NULL;
	ok = ok && dec_hex("F8 05 19 04 14 04 29", &d) &&
	    T_INTEQ(d->nattrs, 2) && T_STREQ(wa_node_attr(d, "type"), "get");
	wa_node_free(d);
	d = NULL;
	/* Odd packed: the dropped nibble need not be 15. */
	ok = ok && dec_hex("F8 03 19 08 FF 81 12", &d) &&
	    T_STREQ(wa_node_attr(d, "id"), "1");
	wa_node_free(d);
	d = NULL;
	/* Hex odd with the pad read as 'F' and dropped. */
	ok = ok && dec_hex("F8 03 19 08 FB 82 AB CF", &d) &&
	    T_STREQ(wa_node_attr(d, "id"), "ABC");
	wa_node_free(d);
	return ok;
}

static int
decode_errors(void)
{
	int	 ok;

	ok = dec_hex_fails("", "truncated");
	ok = ok && dec_hex_fails("F8", "truncated");
	ok = ok && dec_hex_fails("F8 01", "truncated");
	ok = ok && dec_hex_fails("00", "list size 0");
	ok = ok && dec_hex_fails("19", "bad list tag 25");
	ok = ok && dec_hex_fails("F8 01 00", "node tag is missing");
	ok = ok && dec_hex_fails("F8 01 FC 00", "empty tag");
	/* Invalid type tags 240-244 where a string is expected. */
	ok = ok && dec_hex_fails("F8 01 F0", "bad tag 240");
	ok = ok && dec_hex_fails("F8 01 F4", "bad tag 244");
	ok = ok && dec_hex_fails("F8 02 19 F2", "bad tag 242");
	ok = ok && dec_hex_fails("F8 03 19 08 F8 01", "list where a string");
	/* Dictionary token without its index byte. */
	ok = ok && dec_hex_fails("F8 01 EF", "truncated");
	/* Bad nibbles: 12-14 anywhere, 15 before the end. */
	ok = ok && dec_hex_fails("F8 03 19 08 FF 01 1C", "bad nibble 12");
	ok = ok && dec_hex_fails("F8 03 19 08 FF 01 E1", "bad nibble 14");
	ok = ok && dec_hex_fails("F8 03 19 08 FF 01 1F", "bad nibble 15");
	ok = ok && dec_hex_fails("F8 03 19 08 FF 81 1D", "bad nibble 13");
	ok = ok && dec_hex_fails("F8 03 19 08 FF 80", "odd packed");
	ok = ok && dec_hex_fails("F8 03 19 08 FF 05 12", "packed string of 5");
	/* Lengths past the end, before any allocation. */
	ok = ok && dec_hex_fails("F8 02 19 FE FF FF FF FF 00",
	    "4294967295-byte string");
	ok = ok && dec_hex_fails("F8 02 19 FD 0F FF FF", "1048575-byte");
	ok = ok && dec_hex_fails("F8 02 19 F9 FF FF F8 01 19",
	    "list of 65535 nodes");
	ok = ok && dec_hex_fails("F9 FF FF 19 08", "32767 attributes");
	ok = ok && dec_hex_fails("F8 FF 19 08 08", "127 attributes but");
	/* Leftover bytes (whatsmeow Unmarshal). */
	ok = ok && dec_hex_fails("F8 01 19 00", "1 bytes left over");
	/* JIDs where strings are needed, and bad JIDs. */
	ok = ok && dec_hex_fails("F8 01 FA 00 03", "node tag is a JID");
	ok = ok && dec_hex_fails("F8 03 19 FA 00 03 03", "attribute key is");
	ok = ok && dec_hex_fails("F8 03 19 0C FA FA 00 03 03", "JID user is");
	ok = ok && dec_hex_fails("F8 03 19 0C FA 00 00", "JID server is miss");
	ok = ok && dec_hex_fails("F8 03 19 0C F7 00 01 00", "AD_JID user is");
	ok = ok && dec_hex_fails("F8 03 19 0C F6 FF 81 1F 00 01 03",
	    "FB_JID with server");
	ok = ok && dec_hex_fails("F8 03 19 0C F5 FF 81 1F 00 01 00 02 03",
	    "INTEROP_JID with server");
	ok = ok && dec_hex_fails("F8 03 19 0C FA FC 01 40 03", "contains '@'");
	/* A NUL inside a string. */
	ok = ok && dec_hex_fails("F8 03 19 08 FC 02 41 00", "NUL byte");
	ok = ok && dec_hex_fails("F8 01 FC 02 00 41", "NUL byte");
	return ok;
}

/* Every strict prefix of a rich encoding fails cleanly. */
static int
decode_truncations(void)
{
	struct wa_node	*n, *c;
	struct buf	 b;
	size_t		 i;
	int		 ok = 1;

	n = wa_node_new("message");
	wa_node_set_attr(n, "from", "15551234567:3@s.whatsapp.net");
	wa_node_set_attr(n, "id", "3EB0C0FFEE");
	wa_node_set_attr(n, "t", "1700000000");
	c = wa_node_add_child(n, "enc");
	wa_node_set_attr(c, "v", "2");
	wa_node_set_attr(c, "type", "pkmsg");
	wa_node_set_bytes(c, "\x01\x02\x03\xff", 4);
	c = wa_node_add_child(n, "participants");
	c = wa_node_add_child(c, "to");
	wa_node_set_attr(c, "jid", "7-55:2@interop");
	wa_node_set_text(c, "hello");
	buf_init(&b);
	ok = T_INTEQ(wa_binary_encode(n, &b), 0) && roundtrip(n);
	for (i = 0; i < b.len && ok; i++)
		ok = dec_fails(b.data, i, "offset");
	buf_free(&b);
	wa_node_free(n);
	return ok;
}

static int
decode_depth_limit(void)
{
	struct buf	 b;
	int		 i, ok;

	/* WA_BINARY_MAX_DEPTH nested nodes decode; one more does not. */
	buf_init(&b);
	for (i = 0; i < WA_BINARY_MAX_DEPTH - 1; i++)
		buf_append(&b, "\xF8\x02\x19\xF8\x01", 5);
	buf_append(&b, "\xF8\x01\x19", 3);
	{
		struct wa_node	*d = NULL;
		char		 err[128];

		ok = T_INTEQ(wa_binary_decode((unsigned char *)b.data, b.len,
		    &d, err, sizeof(err)), 0);
		wa_node_free(d);
	}
	buf_reset(&b);
	for (i = 0; i < WA_BINARY_MAX_DEPTH; i++)
		buf_append(&b, "\xF8\x02\x19\xF8\x01", 5);
	buf_append(&b, "\xF8\x01\x19", 3);
	ok = ok && dec_fails(b.data, b.len, "nesting deeper than 64");
	/* 10 000 levels: the error comes early, the stack is safe. */
	buf_reset(&b);
	for (i = 0; i < 10000; i++)
		buf_append(&b, "\xF8\x02\x19\xF8\x01", 5);
	ok = ok && dec_fails(b.data, b.len, "nesting deeper");
	buf_free(&b);
	return ok;
}

static int
decode_node_limit(void)
{
	struct buf	 b;
	int		 i, j, ok;

	/* Root with 5 lists of 60 000 leaves: over WA_BINARY_MAX_NODES. */
	buf_init(&b);
	buf_append(&b, "\xF8\x02\x19\xF8\x05", 5);
	for (i = 0; i < 5; i++) {
		buf_append(&b, "\xF8\x02\x19\xF9\xEA\x60", 6);
		for (j = 0; j < 60000; j++)
			buf_append(&b, "\xF8\x01\x19", 3);
	}
	ok = dec_fails(b.data, b.len, "more than 262144 nodes");
	buf_free(&b);
	return ok;
}

static int
decode_attr_limit(void)
{
	struct buf	 b;
	int		 i, j, ok;

	/* 1030 nodes of 1024 attributes: over WA_BINARY_MAX_ALLATTRS. */
	buf_init(&b);
	buf_append(&b, "\xF8\x02\x19\xF9\x04\x06", 6);
	for (i = 0; i < 1030; i++) {
		buf_append(&b, "\xF9\x08\x01\x19", 4);
		for (j = 0; j < 1024; j++)
			buf_append(&b, "\x08\x04", 2);
	}
	ok = dec_fails(b.data, b.len, "more than 1048576 attributes");
	buf_free(&b);
	return ok;
}

static int
encode_errors(void)
{
	struct wa_node	*n, *c;
	struct buf	 b;
	int		 i, ok;

	buf_init(&b);
	buf_append(&b, "keep", 4);
	n = wa_node_new("");
	ok = T_INTEQ(wa_binary_encode(n, &b), -1) && T_INTEQ(b.len, 4) &&
	    T_STREQ(buf_str(&b), "keep");
	wa_node_free(n);
	/* Depth: WA_BINARY_MAX_DEPTH levels encode, one more does not. */
	n = wa_node_new("a");
	c = n;
	for (i = 1; i < WA_BINARY_MAX_DEPTH; i++)
		c = wa_node_add_child(c, "a");
	ok = ok && T_INTEQ(wa_binary_encode(n, &b), 0) && roundtrip(n);
	c = wa_node_add_child(c, "a");
	buf_reset(&b);
	ok = ok && T_INTEQ(wa_binary_encode(n, &b), -1) && T_INTEQ(b.len, 0);
	ok = ok && T_INTEQ(wa_frame_pack(n, &b), -1) && T_INTEQ(b.len, 0);
	wa_node_free(n);
	buf_free(&b);
	return ok;
}

static int
node_api(void)
{
	struct wa_node	*n, *c, *k;
	char		*s;
	int		 ok;

	n = wa_node_new("iq");
	wa_node_set_attr(n, "id", "1");
	wa_node_set_attr(n, "type", "get");
	wa_node_set_attr(n, "id", "2");
	ok = T_INTEQ(n->nattrs, 2) && T_STREQ(wa_node_attr(n, "id"), "2");
	wa_node_set_attr(n, "id", NULL);
	ok = ok && T_INTEQ(n->nattrs, 1) &&
	    T_TRUE(wa_node_attr(n, "id") == NULL);
	/* Arguments that point into the node itself. */
	wa_node_set_attr(n, "type", wa_node_attr(n, "type"));
	wa_node_set_attr(n, n->attrs[0].key, n->attrs[0].value);
	ok = ok && T_INTEQ(n->nattrs, 1) && T_STREQ(wa_node_attr(n, "type"),
	    "get");
	wa_node_set_attr(n, "dup", "x");
	wa_node_set_attr(n, n->attrs[1].key, NULL);
	ok = ok && T_INTEQ(n->nattrs, 1);
	c = wa_node_new("c");
	wa_node_set_text(c, "abc");
	wa_node_set_text(c, (char *)c->bytes + 1);
	ok = ok && T_STREQ((char *)c->bytes, "bc");
	wa_node_free(c);
	wa_node_set_attrf(n, "t", "%d", 1700000000);
	ok = ok && T_STREQ(wa_node_attr(n, "t"), "1700000000");
	/* Empty values are not written. */
	wa_node_set_attr(n, "empty", "");
	ok = ok && enc_is(n, "F8 05 19 04 29 1A FF 05 17 00 00 00 00");
	wa_node_set_text(n, "x");
	c = wa_node_add_child(n, "a");
	k = wa_node_add_child(n, "b");
	wa_node_add_child(n, "a");
	ok = ok && T_INTEQ(n->content, WA_CONTENT_CHILDREN) &&
	    T_TRUE(n->bytes == NULL) && T_TRUE(wa_node_child(n, "a") == c) &&
	    T_TRUE(wa_node_child(n, "b") == k) &&
	    T_TRUE(wa_node_child(n, "zz") == NULL);
	wa_node_set_bytes(k, "\x00\x01", 2);
	ok = ok && T_INTEQ(k->nbytes, 2) && T_INTEQ(k->bytes[2], 0);
	s = wa_node_debug_string(n);
	ok = ok && T_STREQ(s, "<iq type=\"get\" t=\"1700000000\" empty=\"\">"
	    "<a/><b>[2 bytes: 0001]</b><a/></iq>");
	free(s);
	wa_node_free(n);
	return ok;
}

static int
debug_escaping(void)
{
	struct wa_node	*n;
	char		*s;
	unsigned char	 big[70];
	int		 ok;

	n = wa_node_new("m\"x");
	wa_node_set_attr(n, "k", "a\"b\\c\nd\x7f");
	wa_node_set_text(n, "hi\r\n");
	s = wa_node_debug_string(n);
	ok = T_STREQ(s, "<m\\\"x k=\"a\\\"b\\\\c\\x0ad\\x7f\">\"hi\\x0d\\x0a\""
	    "</m\\\"x>");
	free(s);
	memset(big, 0xab, sizeof(big));
	wa_node_set_bytes(n, big, sizeof(big));
	wa_node_set_attr(n, "k", NULL);
	s = wa_node_debug_string(n);
	ok = ok && T_TRUE(strncmp(s, "<m\\\"x>[70 bytes: abab", 21) == 0) &&
	    T_TRUE(strstr(s, "...]</m\\\"x>") != NULL) &&
	    T_INTEQ(strlen(s), strlen("<m\\\"x>[70 bytes: ...]</m\\\"x>") +
	    128);
	free(s);
	wa_node_free(n);
	return ok;
}

/* Compress len bytes at p with zlib behind flag byte 0x02. */
static void
zframe(const void *p, size_t len, struct buf *out)
{
	uLongf		 zl;
	unsigned char	*z;

	zl = compressBound(len);
	z = xmalloc(zl + 1);
	z[0] = WA_FRAME_FLAG_ZLIB;
	if (compress2(z + 1, &zl, p, len, 9) != Z_OK)
		abort();
	buf_reset(out);
	buf_append(out, z, zl + 1);
	free(z);
}

static int
frames(void)
{
	struct wa_node		*n = NULL;
	struct buf		 f, scratch;
	const unsigned char	*body;
	size_t			 bodylen;
	unsigned char		*zeros;
	char			 err[128];
	int			 ok;

	buf_init(&f);
	buf_init(&scratch);
	/* Uncompressed: body points into the frame. */
	unhex("00 F8 07 19 08 55 04 14 11 FA 00 03", &f);
	ok = T_INTEQ(wa_frame_unpack((unsigned char *)f.data, f.len, &body,
	    &bodylen, &scratch, err, sizeof(err)), 0) &&
	    T_TRUE(body == (unsigned char *)f.data + 1) &&
	    T_INTEQ(bodylen, 11);
	ok = ok && T_INTEQ(wa_frame_decode((unsigned char *)f.data, f.len, &n,
	    err, sizeof(err)), 0) && T_STREQ(wa_node_attr(n, "to"),
	    "@s.whatsapp.net");
	wa_node_free(n);
	n = NULL;
	/* Compressed (flag bit 2); other flag bits are ignored. */
	zframe("\xF8\x07\x19\x08\x55\x04\x14\x11\xFA\x00\x03", 11, &f);
	f.data[0] |= 0x05;
	ok = ok && T_INTEQ(wa_frame_decode((unsigned char *)f.data, f.len, &n,
	    err, sizeof(err)), 0) && T_STREQ(wa_node_attr(n, "type"),
	    "result");
	wa_node_free(n);
	n = NULL;
	/* Truncated zlib stream. */
	f.len -= 3;
	ok = ok && T_INTEQ(wa_frame_decode((unsigned char *)f.data, f.len, &n,
	    err, sizeof(err)), -1) && T_TRUE(n == NULL) &&
	    T_TRUE(strstr(err, "zlib") != NULL);
	/* Garbage. */
	unhex("02 12 34 56 78", &f);
	ok = ok && T_INTEQ(wa_frame_decode((unsigned char *)f.data, f.len, &n,
	    err, sizeof(err)), -1) && T_TRUE(strstr(err, "zlib") != NULL);
	/* Empty frame, and a flag byte with nothing after it. */
	ok = ok && T_INTEQ(wa_frame_decode((unsigned char *)"", 0, &n, err,
	    sizeof(err)), -1) && T_STREQ(err, "empty frame");
	ok = ok && T_INTEQ(wa_frame_decode((unsigned char *)"", 1, &n, err,
	    sizeof(err)), -1) && T_TRUE(strstr(err, "truncated") != NULL);
	/* A zlib bomb over the cap. */
	zeros = xcalloc(1, WA_FRAME_MAX_INFLATE + 1);
	zframe(zeros, WA_FRAME_MAX_INFLATE + 1, &f);
	free(zeros);
	ok = ok && T_TRUE(f.len < 100000) &&
	    T_INTEQ(wa_frame_unpack((unsigned char *)f.data, f.len, &body,
	    &bodylen, &scratch, err, sizeof(err)), -1) &&
	    T_TRUE(strstr(err, "more than") != NULL);
	buf_free(&scratch);
	buf_free(&f);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(spec_worked_example),
		T_CASE(spec_frame_pack),
		T_CASE(spec_more_encodings),
		T_CASE(spec_jid_examples),
		T_CASE(all_tokens),
		T_CASE(packed_strings),
		T_CASE(binary_lengths),
		T_CASE(lists),
		T_CASE(jid_forms),
		T_CASE(jid_noncanonical),
		T_CASE(jid_api),
		T_CASE(decode_variants),
		T_CASE(decode_errors),
		T_CASE(decode_truncations),
		T_CASE(decode_depth_limit),
		T_CASE(decode_node_limit),
		T_CASE(decode_attr_limit),
		T_CASE(encode_errors),
		T_CASE(node_api),
		T_CASE(debug_escaping),
		T_CASE(frames),
	};

	return t_run(cases, T_NCASES(cases));
}
