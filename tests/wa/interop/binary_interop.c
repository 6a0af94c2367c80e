/*
 * Interop helper for the binary node codec against Baileys (see
 * tests/wa/interop/README).  Two modes:
 *
 *	binary_interop check FILE
 *		FILE lines are "HEX<TAB>JSON" written by gen.mjs from
 *		Baileys' encoder and decoder.  For each line the C decoder
 *		must give exactly the JSON tree, and the C encoder must give
 *		exactly HEX from the JSON tree.  Prints "ok"/"FAIL" lines.
 *	binary_interop gen N SEED FILE
 *		Writes N random trees and their C encodings in the same
 *		format, for check.mjs to verify with Baileys.
 *
 * JSON tree: {"t": tag, "a": [[key, value], ...], "c": content} with
 * content null, {"s": text}, {"b": hex bytes} or an array of trees.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "xalloc.h"
#include "wa_tokens.h"

#include "binary.h"

static const char	*hexdig = "0123456789abcdef";

static void
hex_put(struct buf *b, const unsigned char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		buf_putc(b, hexdig[p[i] >> 4]);
		buf_putc(b, hexdig[p[i] & 15]);
	}
}

static int
hexval(int c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
unhex(const char *s, size_t len, struct buf *out)
{
	unsigned char	 c;
	size_t		 i;
	int		 hi, lo;

	buf_reset(out);
	if (len % 2 != 0)
		return -1;
	for (i = 0; i < len; i += 2) {
		if ((hi = hexval(s[i])) == -1 || (lo = hexval(s[i + 1])) == -1)
			return -1;
		c = (unsigned char)(hi << 4 | lo);
		buf_append(out, &c, 1);
	}
	return 0;
}

/* Build a node from the JSON tree; NULL on a malformed tree. */
static struct wa_node *
from_json(struct json_object *o)
{
	struct json_object	*t, *a, *c, *kv, *x;
	struct wa_node		*n;
	struct buf		 b;
	size_t			 i;

	if (!json_object_object_get_ex(o, "t", &t) ||
	    !json_object_object_get_ex(o, "a", &a) ||
	    !json_object_object_get_ex(o, "c", &c))
		return NULL;
	n = wa_node_new(json_object_get_string(t));
	for (i = 0; i < json_object_array_length(a); i++) {
		kv = json_object_array_get_idx(a, i);
		/* Append, not set: keep wire order and duplicates. */
		n->attrs = xreallocarray(n->attrs, n->nattrs + 1,
		    sizeof(*n->attrs));
		n->attrs[n->nattrs].key = xstrdup(json_object_get_string(
		    json_object_array_get_idx(kv, 0)));
		n->attrs[n->nattrs].value = xstrdup(json_object_get_string(
		    json_object_array_get_idx(kv, 1)));
		n->nattrs++;
	}
	if (c == NULL)
		return n;
	if (json_object_is_type(c, json_type_array)) {
		n->content = WA_CONTENT_CHILDREN;
		for (i = 0; i < json_object_array_length(c); i++) {
			struct wa_node	*k;

			if ((k = from_json(json_object_array_get_idx(c,
			    i))) == NULL) {
				wa_node_free(n);
				return NULL;
			}
			wa_node_append_child(n, k);
		}
	} else if (json_object_object_get_ex(c, "s", &x))
		wa_node_set_text(n, json_object_get_string(x));
	else if (json_object_object_get_ex(c, "b", &x)) {
		buf_init(&b);
		if (unhex(json_object_get_string(x),
		    json_object_get_string_len(x), &b) == -1) {
			buf_free(&b);
			wa_node_free(n);
			return NULL;
		}
		wa_node_set_bytes(n, b.data, b.len);
		buf_free(&b);
	} else {
		wa_node_free(n);
		return NULL;
	}
	return n;
}

static struct json_object *
to_json(const struct wa_node *n)
{
	struct json_object	*o, *a, *kv, *c;
	struct buf		 b;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_string(n->tag));
	a = json_object_new_array();
	for (i = 0; i < n->nattrs; i++) {
		kv = json_object_new_array();
		json_object_array_add(kv,
		    json_object_new_string(n->attrs[i].key));
		json_object_array_add(kv,
		    json_object_new_string(n->attrs[i].value));
		json_object_array_add(a, kv);
	}
	json_object_object_add(o, "a", a);
	switch (n->content) {
	case WA_CONTENT_TEXT:
		c = json_object_new_object();
		json_object_object_add(c, "s", json_object_new_string_len(
		    (const char *)n->bytes, (int)n->nbytes));
		break;
	case WA_CONTENT_BYTES:
		buf_init(&b);
		hex_put(&b, n->bytes, n->nbytes);
		c = json_object_new_object();
		json_object_object_add(c, "b", json_object_new_string_len(
		    buf_str(&b), (int)b.len));
		buf_free(&b);
		break;
	case WA_CONTENT_CHILDREN:
		c = json_object_new_array();
		for (i = 0; i < n->nchildren; i++)
			json_object_array_add(c, to_json(n->children[i]));
		break;
	default:
		c = NULL;
		break;
	}
	json_object_object_add(o, "c", c);
	return o;
}

/* Like wa_node_equal() but TEXT and BYTES differ, as in Baileys. */
static int
strict_equal(const struct wa_node *a, const struct wa_node *b)
{
	size_t	 i;

	if (a->content != b->content || !wa_node_equal(a, b))
		return 0;
	if (a->content == WA_CONTENT_CHILDREN)
		for (i = 0; i < a->nchildren; i++)
			if (!strict_equal(a->children[i], b->children[i]))
				return 0;
	return 1;
}

static void
show(const char *what, const struct wa_node *n)
{
	char	*s;

	s = wa_node_debug_string(n);
	fprintf(stderr, "  %s: %.600s\n", what, s);
	free(s);
}

static int
check(const char *path)
{
	FILE			*f;
	struct json_object	*o;
	struct wa_node		*want, *got;
	struct buf		 bytes, enc;
	char			*line = NULL, *tab, err[200];
	size_t			 cap = 0, lineno = 0, bad_dec = 0, bad_enc = 0;
	ssize_t			 len;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		printf("FAIL interop_c_decodes_baileys (no input)\n");
		return 1;
	}
	buf_init(&bytes);
	buf_init(&enc);
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if ((tab = strchr(line, '\t')) == NULL ||
		    unhex(line, tab - line, &bytes) == -1 ||
		    (o = json_tokener_parse(tab + 1)) == NULL) {
			fprintf(stderr, "%s:%zu: malformed line\n", path,
			    lineno);
			bad_dec++;
			continue;
		}
		want = from_json(o);
		json_object_put(o);
		if (want == NULL) {
			fprintf(stderr, "%s:%zu: malformed tree\n", path,
			    lineno);
			bad_dec++;
			continue;
		}
		if (wa_binary_decode((unsigned char *)bytes.data, bytes.len,
		    &got, err, sizeof(err)) == -1) {
			if (bad_dec++ < 5)
				fprintf(stderr, "%s:%zu: decode: %s\n", path,
				    lineno, err);
		} else if (!strict_equal(got, want)) {
			if (bad_dec++ < 5) {
				fprintf(stderr, "%s:%zu: decoded tree differs\n",
				    path, lineno);
				show("baileys", want);
				show("c", got);
			}
		}
		wa_node_free(got);
		buf_reset(&enc);
		if (wa_binary_encode(want, &enc) == -1 ||
		    enc.len != bytes.len ||
		    memcmp(enc.data, bytes.data, bytes.len) != 0) {
			if (bad_enc++ < 5) {
				struct buf	 h;

				fprintf(stderr, "%s:%zu: encoding differs\n",
				    path, lineno);
				show("tree", want);
				buf_init(&h);
				hex_put(&h, (unsigned char *)enc.data, enc.len);
				fprintf(stderr, "  c:       %.400s\n",
				    buf_str(&h));
				fprintf(stderr, "  baileys: %.400s\n", line);
				buf_free(&h);
			}
		}
		wa_node_free(want);
	}
	free(line);
	fclose(f);
	buf_free(&bytes);
	buf_free(&enc);
	fprintf(stderr, "%zu nodes from Baileys: %zu decode and %zu encode "
	    "mismatches\n", lineno, bad_dec, bad_enc);
	if (lineno < 100)
		bad_dec++;
	printf("%s interop_c_decodes_baileys (%zu nodes)\n",
	    bad_dec == 0 ? "ok" : "FAIL", lineno);
	printf("%s interop_c_encodes_as_baileys (%zu nodes)\n",
	    bad_enc == 0 ? "ok" : "FAIL", lineno);
	return bad_dec == 0 && bad_enc == 0 ? 0 : 1;
}

/*
 * Random trees.
 */

static uint64_t	 rng_state;

static uint32_t
rnd(uint32_t n)
{

	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n == 0 ? 0 : (uint32_t)(rng_state % n);
}

static const char *
rnd_token(void)
{
	uint32_t	 i;

	i = rnd(WA_TOKENS_NSINGLE + 4 * 256 - 1) + 1;
	if (i < WA_TOKENS_NSINGLE)
		return wa_tokens_single[i];
	i -= WA_TOKENS_NSINGLE;
	return wa_tokens_double[i / 256][i % 256];
}

static void
rnd_chars(struct buf *b, const char *set, size_t len)
{
	size_t	 i, n;

	n = strlen(set);
	for (i = 0; i < len; i++)
		buf_putc(b, set[rnd(n)]);
}

/* A random raw string: ASCII and multibyte UTF-8, no '@'. */
static void
rnd_raw(struct buf *b, size_t len)
{
	static const char	*multi[] = { "\xc3\xa9", "\xe6\x97\xa5",
	    "\xf0\x9f\x98\x80", "\xd0\x96" };
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (rnd(8) == 0)
			buf_puts(b, multi[rnd(4)]);
		else
			rnd_chars(b, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJ0123456789 -_.:/+=,", 1);
	}
}

/* A canonical JID of any kind the codec writes (agents excepted). */
static void
rnd_jid(struct buf *b)
{
	static const char	*pair_servers[] = { "s.whatsapp.net", "lid",
	    "g.us", "broadcast", "c.us", "newsletter", "bot", "call" };

	uint32_t		 x;

	/* Hosted, msgr and interop rarely: Baileys cannot encode them. */
	x = rnd(40);
	if (x >= 3)
		x = x % 5 == 0 ? 0 : x % 5 == 1 ? 1 : x % 5 == 2 ? 2 :
		    x % 5 == 3 ? 6 : 7;
	else
		x += 3;
	switch (x) {
	case 0:
		buf_printf(b, "@%s", pair_servers[rnd(8)]);
		break;
	case 1:
		rnd_chars(b, "0123456789", 5 + rnd(11));
		buf_printf(b, "@%s", pair_servers[rnd(8)]);
		break;
	case 2:
		rnd_chars(b, "0123456789", 5 + rnd(11));
		buf_printf(b, ":%u@%s", 1 + rnd(255),
		    rnd(2) ? "s.whatsapp.net" : "lid");
		break;
	case 3:
		rnd_chars(b, "0123456789", 5 + rnd(11));
		if (rnd(2))
			buf_printf(b, ":%u", 1 + rnd(255));
		buf_puts(b, rnd(2) ? "@hosted" : "@hosted.lid");
		break;
	case 4:
		rnd_chars(b, "0123456789", 5 + rnd(11));
		buf_printf(b, ":%u@msgr", rnd(65536));
		break;
	case 5:
		buf_printf(b, "%u-", rnd(65536));
		rnd_chars(b, "0123456789", 5 + rnd(11));
		buf_printf(b, ":%u@interop", rnd(65536));
		break;
	case 6:
		rnd_chars(b, "0123456789", 6 + rnd(10));
		buf_putc(b, '-');
		rnd_chars(b, "0123456789", 6 + rnd(4));
		buf_puts(b, "@g.us");
		break;
	default:
		rnd_chars(b, "abcdefghijklmnopqrstuvwxyz", 1 + rnd(10));
		buf_printf(b, "@%s", pair_servers[rnd(8)]);
		break;
	}
}

/* A random string value; *is_raw is set if it will go out raw. */
static void
rnd_value(struct buf *b, int *is_raw)
{

	buf_reset(b);
	*is_raw = 0;
	switch (rnd(7)) {
	case 0:
		buf_puts(b, rnd_token());
		break;
	case 1:
		rnd_chars(b, "0123456789-.", 1 + rnd(rnd(4) == 0 ? 127 : 20));
		break;
	case 2:
		rnd_chars(b, "0123456789ABCDEF", 1 + rnd(rnd(4) == 0 ? 127 :
		    32));
		break;
	case 3:
	case 4:
		rnd_jid(b);
		break;
	default:
		rnd_raw(b, 1 + rnd(rnd(10) == 0 ? 600 : 40));
		*is_raw = 1;
		break;
	}
}

/* A key or tag: a token or a raw name, never integer-like or empty. */
static void
rnd_name(struct buf *b)
{
	const char	*t;

	buf_reset(b);
	if (rnd(2)) {
		do
			t = rnd_token();
		while (t[strspn(t, "0123456789")] == '\0' ||
		    strchr(t, '@') != NULL);
		buf_puts(b, t);
	} else {
		buf_putc(b, "abcdefghijklmnopqrstuvwxyz"[rnd(26)]);
		rnd_chars(b, "abcdefghijklmnopqrstuvwxyz_-:", rnd(12));
	}
}

/*
 * Sizes: BINARY_32 (>= 1 MiB) only at the root and rarely, BINARY_20
 * only near the root; children of a wide (LIST_16) list are small
 * leaves.  Same shape as gen.mjs.
 */
static struct wa_node *
rnd_node(int depth, int leaf)
{
	struct wa_node	*n;
	struct buf	 k, v;
	unsigned char	*p;
	size_t		 i, na, nc, len;
	uint32_t	 x;
	int		 raw, wide;

	buf_init(&k);
	buf_init(&v);
	rnd_name(&k);
	n = wa_node_new(buf_str(&k));
	na = !leaf && rnd(20) == 0 ? 120 + rnd(20) : rnd(leaf ? 3 : 6);
	for (i = 0; i < na; i++) {
		rnd_name(&k);
		if (wa_node_attr(n, buf_str(&k)) != NULL)
			continue;
		rnd_value(&v, &raw);
		wa_node_set_attr(n, buf_str(&k), buf_str(&v));
	}
	switch (leaf ? rnd(2) : depth > 5 ? rnd(3) : rnd(5)) {
	case 0:
		break;
	case 1:
		rnd_value(&v, &raw);
		if (raw)
			wa_node_set_bytes(n, v.data, v.len);
		else
			wa_node_set_text(n, buf_str(&v));
		break;
	case 2:
		x = rnd(depth == 1 ? 300 : 40);
		if (depth == 1 && x == 0)
			len = (1 << 20) + rnd(5000);
		else if (depth <= 2 && x < 4)
			len = 256 + rnd(70000);
		else
			len = rnd(256);
		p = xmalloc(len + 1);
		for (i = 0; i < len; i++)
			p[i] = (unsigned char)rnd(256);
		wa_node_set_bytes(n, p, len);
		free(p);
		break;
	default:
		wide = rnd(30) == 0;
		nc = wide ? 256 + rnd(50) : 1 + rnd(4);
		for (i = 0; i < nc; i++)
			wa_node_append_child(n, rnd_node(depth + 1, wide));
		break;
	}
	buf_free(&k);
	buf_free(&v);
	return n;
}

static int
gen(unsigned long count, unsigned long long seed, const char *path)
{
	FILE			*f;
	struct wa_node		*n;
	struct json_object	*o;
	struct buf		 enc, h;
	unsigned long		 i;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	rng_state = seed * 2654435761u + 88172645463325252ull;
	buf_init(&enc);
	buf_init(&h);
	for (i = 0; i < count; i++) {
		n = rnd_node(1, 0);
		buf_reset(&enc);
		buf_reset(&h);
		if (wa_binary_encode(n, &enc) == -1) {
			fprintf(stderr, "gen: encode failed\n");
			return 1;
		}
		hex_put(&h, (unsigned char *)enc.data, enc.len);
		o = to_json(n);
		fprintf(f, "%s\t%s\n", buf_str(&h),
		    json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		wa_node_free(n);
	}
	buf_free(&enc);
	buf_free(&h);
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{

	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	if (argc == 5 && strcmp(argv[1], "gen") == 0)
		return gen(strtoul(argv[2], NULL, 10),
		    strtoull(argv[3], NULL, 10), argv[4]);
	fprintf(stderr, "usage: binary_interop check FILE | "
	    "gen N SEED FILE\n");
	return 2;
}
