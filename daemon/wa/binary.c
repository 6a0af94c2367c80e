/*
 * The WhatsApp binary node codec (see binary.h).  Byte layouts per
 * wa-md-protocol.md section 5, whatsmeow binary/encoder.go,
 * binary/decoder.go, binary/unpack.go and Baileys
 * src/WABinary/{encode,decode}.ts.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "log.h"
#include "xalloc.h"
#include "wa_tokens.h"

#include "binary.h"
#include "jid.h"

/*
 * Node model.
 */

struct wa_node *
wa_node_new(const char *tag)
{
	struct wa_node	*n;

	n = xcalloc(1, sizeof(*n));
	n->tag = xstrdup(tag);
	return n;
}

static void
content_clear(struct wa_node *n)
{
	size_t	 i;

	for (i = 0; i < n->nchildren; i++)
		wa_node_free(n->children[i]);
	free(n->children);
	n->children = NULL;
	n->nchildren = 0;
	free(n->bytes);
	n->bytes = NULL;
	n->nbytes = 0;
	n->content = WA_CONTENT_NONE;
}

void
wa_node_free(struct wa_node *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nattrs; i++) {
		free(n->attrs[i].key);
		free(n->attrs[i].value);
	}
	free(n->attrs);
	content_clear(n);
	free(n->tag);
	free(n);
}

void
wa_node_set_attr(struct wa_node *n, const char *key, const char *value)
{
	char	*k, *v;
	size_t	 i, j;

	/* Copies first: key or value may point into n's own attributes. */
	k = xstrdup(key);
	v = value == NULL ? NULL : xstrdup(value);
	if (v == NULL) {
		for (i = j = 0; i < n->nattrs; i++) {
			if (strcmp(n->attrs[i].key, k) == 0) {
				free(n->attrs[i].key);
				free(n->attrs[i].value);
			} else
				n->attrs[j++] = n->attrs[i];
		}
		n->nattrs = j;
		free(k);
		return;
	}
	for (i = 0; i < n->nattrs; i++) {
		if (strcmp(n->attrs[i].key, k) == 0) {
			free(n->attrs[i].value);
			n->attrs[i].value = v;
			free(k);
			return;
		}
	}
	n->attrs = xreallocarray(n->attrs, n->nattrs + 1, sizeof(*n->attrs));
	n->attrs[n->nattrs].key = k;
	n->attrs[n->nattrs].value = v;
	n->nattrs++;
}

void
wa_node_set_attrf(struct wa_node *n, const char *key, const char *fmt, ...)
{
	va_list		 ap;
	char		*s;
	int		 len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		fatalx("%s: vsnprintf", __func__);
	s = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	wa_node_set_attr(n, key, s);
	free(s);
}

void
wa_node_append_child(struct wa_node *n, struct wa_node *child)
{

	if (n->content != WA_CONTENT_CHILDREN) {
		content_clear(n);
		n->content = WA_CONTENT_CHILDREN;
	}
	n->children = xreallocarray(n->children, n->nchildren + 1,
	    sizeof(*n->children));
	n->children[n->nchildren++] = child;
}

struct wa_node *
wa_node_add_child(struct wa_node *n, const char *tag)
{
	struct wa_node	*c;

	c = wa_node_new(tag);
	wa_node_append_child(n, c);
	return c;
}

static void
set_data(struct wa_node *n, enum wa_content kind, const void *p, size_t len)
{
	unsigned char	*copy;

	/* Copy before clearing: p may be n's own bytes. */
	copy = xmalloc(len + 1);
	if (len > 0)
		memcpy(copy, p, len);
	copy[len] = '\0';
	content_clear(n);
	n->bytes = copy;
	n->nbytes = len;
	n->content = kind;
}

void
wa_node_set_bytes(struct wa_node *n, const void *p, size_t len)
{

	set_data(n, WA_CONTENT_BYTES, p, len);
}

void
wa_node_set_text(struct wa_node *n, const char *s)
{

	set_data(n, WA_CONTENT_TEXT, s, strlen(s));
}

const char *
wa_node_attr(const struct wa_node *n, const char *key)
{
	size_t	 i;

	for (i = n->nattrs; i > 0; i--)
		if (strcmp(n->attrs[i - 1].key, key) == 0)
			return n->attrs[i - 1].value;
	return NULL;
}

struct wa_node *
wa_node_child(const struct wa_node *n, const char *tag)
{
	size_t	 i;

	if (n->content != WA_CONTENT_CHILDREN)
		return NULL;
	for (i = 0; i < n->nchildren; i++)
		if (strcmp(n->children[i]->tag, tag) == 0)
			return n->children[i];
	return NULL;
}

int
wa_node_equal(const struct wa_node *a, const struct wa_node *b)
{
	size_t	 i;

	if (strcmp(a->tag, b->tag) != 0 || a->nattrs != b->nattrs)
		return 0;
	/* The wire does not tell a raw string from bytes. */
	if (a->content != b->content &&
	    !((a->content == WA_CONTENT_TEXT ||
	    a->content == WA_CONTENT_BYTES) &&
	    (b->content == WA_CONTENT_TEXT ||
	    b->content == WA_CONTENT_BYTES)))
		return 0;
	for (i = 0; i < a->nattrs; i++)
		if (strcmp(a->attrs[i].key, b->attrs[i].key) != 0 ||
		    strcmp(a->attrs[i].value, b->attrs[i].value) != 0)
			return 0;
	switch (a->content) {
	case WA_CONTENT_BYTES:
	case WA_CONTENT_TEXT:
		return a->nbytes == b->nbytes &&
		    (a->nbytes == 0 ||
		    memcmp(a->bytes, b->bytes, a->nbytes) == 0);
	case WA_CONTENT_CHILDREN:
		if (a->nchildren != b->nchildren)
			return 0;
		for (i = 0; i < a->nchildren; i++)
			if (!wa_node_equal(a->children[i], b->children[i]))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/*
 * Debug form.
 */

static void
debug_escape(struct buf *b, const unsigned char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			buf_printf(b, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			buf_printf(b, "\\x%02x", p[i]);
		else
			buf_putc(b, p[i]);
	}
}

static void
debug_node(struct buf *b, const struct wa_node *n)
{
	size_t	 i;

	buf_putc(b, '<');
	debug_escape(b, (const unsigned char *)n->tag, strlen(n->tag));
	for (i = 0; i < n->nattrs; i++) {
		buf_putc(b, ' ');
		debug_escape(b, (const unsigned char *)n->attrs[i].key,
		    strlen(n->attrs[i].key));
		buf_puts(b, "=\"");
		debug_escape(b, (const unsigned char *)n->attrs[i].value,
		    strlen(n->attrs[i].value));
		buf_putc(b, '"');
	}
	switch (n->content) {
	case WA_CONTENT_NONE:
		buf_puts(b, "/>");
		return;
	case WA_CONTENT_TEXT:
		buf_puts(b, ">\"");
		debug_escape(b, n->bytes, n->nbytes);
		buf_putc(b, '"');
		break;
	case WA_CONTENT_BYTES:
		buf_printf(b, ">[%zu bytes%s", n->nbytes,
		    n->nbytes > 0 ? ": " : "");
		for (i = 0; i < n->nbytes && i < 64; i++)
			buf_printf(b, "%02x", n->bytes[i]);
		buf_puts(b, n->nbytes > 64 ? "...]" : "]");
		break;
	case WA_CONTENT_CHILDREN:
	default:
		buf_putc(b, '>');
		for (i = 0; i < n->nchildren; i++)
			debug_node(b, n->children[i]);
		break;
	}
	buf_puts(b, "</");
	debug_escape(b, (const unsigned char *)n->tag, strlen(n->tag));
	buf_putc(b, '>');
}

char *
wa_node_debug_string(const struct wa_node *n)
{
	struct buf	 b;
	char		*s;

	buf_init(&b);
	debug_node(&b, n);
	s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

/*
 * Encoder.
 */

static void
put8(struct buf *out, unsigned int v)
{
	unsigned char	 c = v & 0xff;

	buf_append(out, &c, 1);
}

static void
put16(struct buf *out, unsigned int v)
{
	unsigned char	 c[2];

	c[0] = (v >> 8) & 0xff;
	c[1] = v & 0xff;
	buf_append(out, c, 2);
}

/* Token lookup in the generated hash table: 1 and *slot, or 0. */
static int
token_find(const char *s, size_t len, const struct wa_token_slot **slot)
{
	const struct wa_token_slot	*t;
	uint32_t			 h;
	int				 probe;

	if (len == 0 || len > WA_TOKENS_MAX_LEN)
		return 0;
	h = wa_tokens_fnv1a(s, len) & (WA_TOKENS_HASH_SIZE - 1);
	for (probe = 0; probe <= WA_TOKENS_MAX_PROBE; probe++) {
		t = &wa_tokens_hash[h];
		if (t->s == NULL)
			return 0;
		if (t->len == len && memcmp(t->s, s, len) == 0) {
			*slot = t;
			return 1;
		}
		h = (h + 1) & (WA_TOKENS_HASH_SIZE - 1);
	}
	return 0;
}

/* BINARY_8/20/32 length prefix, whatsmeow writeByteLength. */
static int
put_length(struct buf *out, size_t len)
{
	unsigned char	 c[4];

	if (len < 256) {
		put8(out, WA_TAG_BINARY_8);
		put8(out, (unsigned int)len);
	} else if (len < (1u << 20)) {
		put8(out, WA_TAG_BINARY_20);
		c[0] = (len >> 16) & 0x0f;
		c[1] = (len >> 8) & 0xff;
		c[2] = len & 0xff;
		buf_append(out, c, 3);
	} else if ((uint64_t)len <= 0xffffffffu) {
		put8(out, WA_TAG_BINARY_32);
		c[0] = (len >> 24) & 0xff;
		c[1] = (len >> 16) & 0xff;
		c[2] = (len >> 8) & 0xff;
		c[3] = len & 0xff;
		buf_append(out, c, 4);
	} else {
		log_warnx("%s: %zu bytes is too long to encode", __func__,
		    len);
		return -1;
	}
	return 0;
}

static int
put_raw(struct buf *out, const void *p, size_t len)
{

	if (put_length(out, len) == -1)
		return -1;
	buf_append(out, p, len);
	return 0;
}

/* Nibble code of c, or -1: '0'-'9' 0-9, '-' 10, '.' 11 (spec 5.4). */
static int
nibble_code(unsigned char c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c == '-')
		return 10;
	if (c == '.')
		return 11;
	return -1;
}

/* Hex code of c, or -1: '0'-'9' 0-9, 'A'-'F' 10-15 (upper case only). */
static int
hex_code(unsigned char c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Write s packed as NIBBLE_8 or HEX_8 if every char fits (and len is at
 * most WA_PACKED_MAX); return 1 if written, 0 if not eligible.
 */
static int
put_packed(struct buf *out, const char *s, size_t len, int tag)
{
	unsigned char	 tmp[2 + (WA_PACKED_MAX + 1) / 2];
	int		 (*code)(unsigned char);
	size_t		 i;
	int		 hi, lo;

	if (len > WA_PACKED_MAX)
		return 0;
	code = tag == WA_TAG_NIBBLE_8 ? nibble_code : hex_code;
	tmp[0] = tag;
	tmp[1] = ((len + 1) / 2) | (len % 2 ? 0x80 : 0);
	for (i = 0; i < len; i += 2) {
		if ((hi = code((unsigned char)s[i])) == -1)
			return 0;
		if (i + 1 == len)
			lo = 15;
		else if ((lo = code((unsigned char)s[i + 1])) == -1)
			return 0;
		tmp[2 + i / 2] = (unsigned char)(hi << 4 | lo);
	}
	buf_append(out, tmp, 2 + (len + 1) / 2);
	return 1;
}

/* whatsmeow writeString: token, double token, nibble, hex, raw. */
static int
put_string(struct buf *out, const char *s, size_t len)
{
	const struct wa_token_slot	*t;

	if (token_find(s, len, &t)) {
		if (t->dict != WA_TOKENS_SINGLE)
			put8(out, WA_TAG_DICTIONARY_0 + t->dict);
		put8(out, t->index);
		return 0;
	}
	if (put_packed(out, s, len, WA_TAG_NIBBLE_8) ||
	    put_packed(out, s, len, WA_TAG_HEX_8))
		return 0;
	return put_raw(out, s, len);
}

/* whatsmeow writeJID (spec 5.6). */
static int
put_jid(struct buf *out, const struct wa_jid *j)
{

	switch (j->kind) {
	case WA_JID_AD:
		put8(out, WA_TAG_AD_JID);
		put8(out, j->domain);
		put8(out, j->device);
		return put_string(out, j->user, j->user_len);
	case WA_JID_FB:
		put8(out, WA_TAG_FB_JID);
		if (put_string(out, j->user, j->user_len) == -1)
			return -1;
		put16(out, j->device);
		return put_string(out, j->server, j->server_len);
	case WA_JID_INTEROP:
		put8(out, WA_TAG_INTEROP_JID);
		if (put_string(out, j->user, j->user_len) == -1)
			return -1;
		put16(out, j->device);
		put16(out, j->integrator);
		return put_string(out, j->server, j->server_len);
	case WA_JID_PAIR:
	default:
		put8(out, WA_TAG_JID_PAIR);
		if (j->user_len == 0)
			put8(out, WA_TAG_LIST_EMPTY);
		else if (put_string(out, j->user, j->user_len) == -1)
			return -1;
		return put_string(out, j->server, j->server_len);
	}
}

/* An attribute value or TEXT content: put_string plus the JID rule. */
static int
put_value(struct buf *out, const char *s, size_t len)
{
	const struct wa_token_slot	*t;
	struct wa_jid			 j;

	if (memchr(s, '@', len) != NULL && !token_find(s, len, &t) &&
	    wa_jid_parse(s, &j))
		return put_jid(out, &j);
	return put_string(out, s, len);
}

static void
put_list_start(struct buf *out, size_t n)
{

	if (n == 0)
		put8(out, WA_TAG_LIST_EMPTY);
	else if (n < 256) {
		put8(out, WA_TAG_LIST_8);
		put8(out, (unsigned int)n);
	} else {
		put8(out, WA_TAG_LIST_16);
		put16(out, (unsigned int)n);
	}
}

static int
put_node(struct buf *out, const struct wa_node *n, int depth)
{
	size_t	 i, na;

	if (depth > WA_BINARY_MAX_DEPTH) {
		log_warnx("%s: nesting deeper than %d", __func__,
		    WA_BINARY_MAX_DEPTH);
		return -1;
	}
	if (n->tag == NULL || n->tag[0] == '\0') {
		log_warnx("%s: node without a tag", __func__);
		return -1;
	}
	for (i = na = 0; i < n->nattrs; i++) {
		if (n->attrs[i].key == NULL) {
			log_warnx("%s: <%s>: attribute without a key",
			    __func__, n->tag);
			return -1;
		}
		if (n->attrs[i].value != NULL && n->attrs[i].value[0] != '\0')
			na++;
	}
	if (na > 32767) {
		log_warnx("%s: <%s>: %zu attributes, at most 32767", __func__,
		    n->tag, na);
		return -1;
	}
	if (n->content == WA_CONTENT_CHILDREN && n->nchildren > 65535) {
		log_warnx("%s: <%s>: %zu children, at most 65535", __func__,
		    n->tag, n->nchildren);
		return -1;
	}
	put_list_start(out, 1 + 2 * na +
	    (n->content != WA_CONTENT_NONE ? 1 : 0));
	if (put_string(out, n->tag, strlen(n->tag)) == -1)
		return -1;
	for (i = 0; i < n->nattrs; i++) {
		if (n->attrs[i].value == NULL || n->attrs[i].value[0] == '\0')
			continue;
		if (put_string(out, n->attrs[i].key,
		    strlen(n->attrs[i].key)) == -1 ||
		    put_value(out, n->attrs[i].value,
		    strlen(n->attrs[i].value)) == -1)
			return -1;
	}
	switch (n->content) {
	case WA_CONTENT_NONE:
		return 0;
	case WA_CONTENT_BYTES:
		return put_raw(out, n->bytes, n->nbytes);
	case WA_CONTENT_TEXT:
		return put_value(out, (const char *)n->bytes, n->nbytes);
	case WA_CONTENT_CHILDREN:
		put_list_start(out, n->nchildren);
		for (i = 0; i < n->nchildren; i++)
			if (put_node(out, n->children[i], depth + 1) == -1)
				return -1;
		return 0;
	default:
		log_warnx("%s: <%s>: bad content kind %d", __func__, n->tag,
		    (int)n->content);
		return -1;
	}
}

int
wa_binary_encode(const struct wa_node *n, struct buf *out)
{
	size_t	 old = out->len;

	if (put_node(out, n, 1) == -1) {
		if (out->data != NULL) {
			out->len = old;
			out->data[old] = '\0';
		}
		return -1;
	}
	return 0;
}

int
wa_frame_pack(const struct wa_node *n, struct buf *out)
{
	size_t	 old = out->len;

	put8(out, 0);
	if (wa_binary_encode(n, out) == -1) {
		out->len = old;
		out->data[old] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Decoder.
 */

struct	dec {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;
	size_t			 nodes;
	size_t			 attrs;
	char			*err;
	size_t			 errsz;
};

/* A decoded string item: text (owned) or "absent" (LIST_EMPTY). */
struct	item {
	char	*s;		/* NULL for LIST_EMPTY */
	size_t	 len;
	int	 is_jid;
};

static int	read_node(struct dec *, int, struct wa_node **);

static int
fail(struct dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record the first error with the current offset; returns -1. */
static int
fail(struct dec *d, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (d->errsz == 0)
		return -1;
	n = snprintf(d->err, d->errsz, "offset %zu: ", d->off);
	if (n >= 0 && (size_t)n < d->errsz) {
		va_start(ap, fmt);
		vsnprintf(d->err + n, d->errsz - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
get8(struct dec *d, unsigned int *v)
{

	*v = 0;
	if (d->len - d->off < 1)
		return fail(d, "truncated input");
	*v = d->p[d->off++];
	return 0;
}

static int
getn(struct dec *d, size_t n, uint32_t *v)
{
	size_t	 i;

	*v = 0;
	if (d->len - d->off < n)
		return fail(d, "truncated input");
	for (i = 0; i < n; i++)
		*v = *v << 8 | d->p[d->off++];
	return 0;
}

/* Copy n bytes of input into a new NUL-terminated buffer. */
static int
get_bytes(struct dec *d, size_t n, unsigned char **out)
{

	if (d->len - d->off < n)
		return fail(d, "%zu-byte string but only %zu bytes left", n,
		    d->len - d->off);
	*out = xmalloc(n + 1);
	if (n > 0)
		memcpy(*out, d->p + d->off, n);
	(*out)[n] = '\0';
	d->off += n;
	return 0;
}

/* Length of a BINARY_8/20/32 item whose tag t was just read. */
static int
binary_length(struct dec *d, unsigned int t, size_t *len)
{
	uint32_t	 v;

	switch (t) {
	case WA_TAG_BINARY_8:
		if (getn(d, 1, &v) == -1)
			return -1;
		break;
	case WA_TAG_BINARY_20:
		if (getn(d, 3, &v) == -1)
			return -1;
		v &= 0xfffff;	/* top nibble ignored, as both refs do */
		break;
	default:
		if (getn(d, 4, &v) == -1)
			return -1;
		break;
	}
	*len = v;
	return 0;
}

/* NIBBLE_8 / HEX_8 body (spec 5.4 "Decoding"). */
static int
read_packed(struct dec *d, unsigned int t, struct item *it)
{
	static const char	 nib[] = "0123456789-.";
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned int		 b, n, i, v, half;
	char			*s;
	size_t			 len;

	if (get8(d, &b) == -1)
		return -1;
	n = b & 0x7f;
	if ((b & 0x80) && n == 0)
		return fail(d, "odd packed string of length 0");
	if (d->len - d->off < n)
		return fail(d, "packed string of %u bytes but only %zu left",
		    n, d->len - d->off);
	len = 2 * (size_t)n - ((b & 0x80) ? 1 : 0);
	s = xmalloc(2 * (size_t)n + 1);
	for (i = 0; i < 2 * n; i++) {
		half = d->p[d->off + i / 2];
		v = (i % 2 == 0) ? half >> 4 : half & 0x0f;
		if (t == WA_TAG_HEX_8) {
			s[i] = hex[v];
			continue;
		}
		/* 15 is the pad; 12-14 are invalid (whatsmeow unpackNibble). */
		if (v == 15 && i == 2 * n - 1 && (b & 0x80)) {
			s[i] = '\0';
			continue;
		}
		if (v >= 12) {
			free(s);
			d->off += i / 2;
			return fail(d, "bad nibble %u", v);
		}
		s[i] = nib[v];
	}
	d->off += n;
	s[len] = '\0';
	it->s = s;
	it->len = len;
	return 0;
}

static int	read_item(struct dec *, unsigned int, struct item *);

/*
 * Read a string item that must not be a JID (tags, keys, JID parts:
 * whatsmeow ErrNonStringKey and its string type assertions), and must
 * be present unless allow_absent.  The tag is checked before recursing,
 * so nested JIDs cannot run the stack down.
 */
static int
read_plain(struct dec *d, const char *what, int allow_absent,
    struct item *it)
{
	unsigned int	 t;

	it->s = NULL;
	it->len = 0;
	it->is_jid = 0;
	if (get8(d, &t) == -1)
		return -1;
	if (t == WA_TAG_JID_PAIR || t == WA_TAG_AD_JID ||
	    t == WA_TAG_FB_JID || t == WA_TAG_INTEROP_JID) {
		d->off--;
		return fail(d, "%s is a JID", what);
	}
	if (read_item(d, t, it) == -1)
		return -1;
	if (it->s == NULL && !allow_absent)
		return fail(d, "%s is missing", what);
	return 0;
}

/* Decode the JID whose tag t was just read into canonical text. */
static int
read_jid(struct dec *d, unsigned int t, struct item *it)
{
	struct item	 user = { NULL, 0, 0 }, server = { NULL, 0, 0 };
	struct wa_jid	 j;
	struct buf	 b;
	unsigned int	 v;
	uint32_t	 w;
	int		 rc = -1;

	memset(&j, 0, sizeof(j));
	switch (t) {
	case WA_TAG_JID_PAIR:
		j.kind = WA_JID_PAIR;
		if (read_plain(d, "JID user", 1, &user) == -1 ||
		    read_plain(d, "JID server", 0, &server) == -1)
			goto out;
		break;
	case WA_TAG_AD_JID:
		j.kind = WA_JID_AD;
		if (get8(d, &j.domain) == -1 || get8(d, &v) == -1 ||
		    read_plain(d, "AD_JID user", 0, &user) == -1)
			goto out;
		j.device = v;
		/* whatsmeow NewADJID: other domain values are agents. */
		switch (j.domain) {
		case WA_DOMAIN_LID:
			server.s = xstrdup(WA_SERVER_LID);
			break;
		case WA_DOMAIN_HOSTED:
			server.s = xstrdup(WA_SERVER_HOSTED);
			break;
		case WA_DOMAIN_HOSTED_LID:
			server.s = xstrdup(WA_SERVER_HOSTED_LID);
			break;
		default:
			server.s = xstrdup(WA_SERVER_USER);
			break;
		}
		server.len = strlen(server.s);
		break;
	case WA_TAG_FB_JID:
	case WA_TAG_INTEROP_JID:
		j.kind = t == WA_TAG_FB_JID ? WA_JID_FB : WA_JID_INTEROP;
		if (read_plain(d, "JID user", 0, &user) == -1 ||
		    getn(d, 2, &w) == -1)
			goto out;
		j.device = w;
		if (t == WA_TAG_INTEROP_JID) {
			if (getn(d, 2, &w) == -1)
				goto out;
			j.integrator = w;
		}
		if (read_plain(d, "JID server", 0, &server) == -1)
			goto out;
		/* whatsmeow readFBJID / readInteropJID. */
		if (strcmp(server.s, t == WA_TAG_FB_JID ? WA_SERVER_MSGR :
		    WA_SERVER_INTEROP) != 0) {
			fail(d, "%s with server \"%.32s\"",
			    t == WA_TAG_FB_JID ? "FB_JID" : "INTEROP_JID",
			    server.s);
			goto out;
		}
		break;
	}
	if (user.s != NULL && memchr(user.s, '@', user.len) != NULL) {
		fail(d, "JID user contains '@'");
		goto out;
	}
	if (server.len == 0 || memchr(server.s, '@', server.len) != NULL) {
		fail(d, "JID server is empty or contains '@'");
		goto out;
	}
	if (j.kind != WA_JID_PAIR && user.len == 0) {
		fail(d, "JID with an empty user");
		goto out;
	}
	j.user = user.s == NULL ? "" : user.s;
	j.user_len = user.len;
	j.server = server.s;
	j.server_len = server.len;
	buf_init(&b);
	wa_jid_format(&j, &b);
	it->len = b.len;
	it->s = xstrdup(buf_str(&b));
	it->is_jid = 1;
	buf_free(&b);
	rc = 0;
out:
	free(user.s);
	free(server.s);
	return rc;
}

/*
 * Read a string-like item whose tag t was just read: token, packed,
 * binary as text, JID, or LIST_EMPTY (absent).  Lists are errors here.
 */
static int
read_item(struct dec *d, unsigned int t, struct item *it)
{
	unsigned char	*raw;
	const char	*tok;
	unsigned int	 i;
	size_t		 len;

	it->s = NULL;
	it->len = 0;
	it->is_jid = 0;
	if (t >= 1 && t < WA_TOKENS_NSINGLE) {
		tok = wa_tokens_single[t];
		it->len = strlen(tok);
		it->s = xstrdup(tok);
		return 0;
	}
	switch (t) {
	case WA_TAG_LIST_EMPTY:
		return 0;
	case WA_TAG_DICTIONARY_0:
	case WA_TAG_DICTIONARY_0 + 1:
	case WA_TAG_DICTIONARY_0 + 2:
	case WA_TAG_DICTIONARY_3:
		if (get8(d, &i) == -1)
			return -1;
		if (i >= WA_TOKENS_DICTSIZE)
			return fail(d, "bad double-byte token %u/%u",
			    t - WA_TAG_DICTIONARY_0, i);
		tok = wa_tokens_double[t - WA_TAG_DICTIONARY_0][i];
		it->len = strlen(tok);
		it->s = xstrdup(tok);
		return 0;
	case WA_TAG_NIBBLE_8:
	case WA_TAG_HEX_8:
		return read_packed(d, t, it);
	case WA_TAG_BINARY_8:
	case WA_TAG_BINARY_20:
	case WA_TAG_BINARY_32:
		if (binary_length(d, t, &len) == -1 ||
		    get_bytes(d, len, &raw) == -1)
			return -1;
		if (memchr(raw, '\0', len) != NULL) {
			free(raw);
			return fail(d, "NUL byte in a string");
		}
		it->s = (char *)raw;
		it->len = len;
		return 0;
	case WA_TAG_JID_PAIR:
	case WA_TAG_AD_JID:
	case WA_TAG_FB_JID:
	case WA_TAG_INTEROP_JID:
		return read_jid(d, t, it);
	case WA_TAG_LIST_8:
	case WA_TAG_LIST_16:
		d->off--;
		return fail(d, "list where a string was expected");
	default:
		d->off--;
		return fail(d, "bad tag %u", t);
	}
}

static int
list_size(struct dec *d, unsigned int t, size_t *n)
{
	uint32_t	 v;

	switch (t) {
	case WA_TAG_LIST_EMPTY:
		*n = 0;
		return 0;
	case WA_TAG_LIST_8:
		if (getn(d, 1, &v) == -1)
			return -1;
		break;
	case WA_TAG_LIST_16:
		if (getn(d, 2, &v) == -1)
			return -1;
		break;
	default:
		d->off--;
		return fail(d, "bad list tag %u", t);
	}
	*n = v;
	return 0;
}

static int
read_content(struct dec *d, int depth, struct wa_node *n)
{
	struct item	 it;
	unsigned int	 t;
	size_t		 count, len;

	if (get8(d, &t) == -1)
		return -1;
	switch (t) {
	case WA_TAG_LIST_EMPTY:
		return 0;
	case WA_TAG_LIST_8:
	case WA_TAG_LIST_16:
		if (list_size(d, t, &count) == -1)
			return -1;
		if (count == 0)
			return 0;
		/* The smallest node, "F8 01 <token>", is 3 bytes. */
		if (count > (d->len - d->off) / 3)
			return fail(d, "list of %zu nodes but only %zu bytes "
			    "left", count, d->len - d->off);
		if (depth + 1 > WA_BINARY_MAX_DEPTH)
			return fail(d, "nesting deeper than %d",
			    WA_BINARY_MAX_DEPTH);
		n->content = WA_CONTENT_CHILDREN;
		n->children = xcalloc(count, sizeof(*n->children));
		while (n->nchildren < count) {
			if (read_node(d, depth + 1,
			    &n->children[n->nchildren]) == -1)
				return -1;
			n->nchildren++;
		}
		return 0;
	case WA_TAG_BINARY_8:
	case WA_TAG_BINARY_20:
	case WA_TAG_BINARY_32:
		if (binary_length(d, t, &len) == -1 ||
		    get_bytes(d, len, &n->bytes) == -1)
			return -1;
		n->nbytes = len;
		n->content = WA_CONTENT_BYTES;
		return 0;
	default:
		if (read_item(d, t, &it) == -1)
			return -1;
		n->bytes = (unsigned char *)it.s;
		n->nbytes = it.len;
		n->content = WA_CONTENT_TEXT;
		return 0;
	}
}

static int
read_node(struct dec *d, int depth, struct wa_node **out)
{
	struct wa_node	*n;
	struct item	 tag, key, val;
	unsigned int	 t;
	size_t		 size, na, i;

	*out = NULL;
	if (++d->nodes > WA_BINARY_MAX_NODES)
		return fail(d, "more than %d nodes", WA_BINARY_MAX_NODES);
	if (get8(d, &t) == -1 || list_size(d, t, &size) == -1)
		return -1;
	if (size == 0)
		return fail(d, "node with list size 0");
	if (read_plain(d, "node tag", 0, &tag) == -1)
		return -1;
	if (tag.len == 0) {
		free(tag.s);
		return fail(d, "node with an empty tag");
	}
	n = xcalloc(1, sizeof(*n));
	n->tag = tag.s;
	na = (size - 1) / 2;
	if (na > WA_BINARY_MAX_ATTRS) {
		fail(d, "<%.32s> has %zu attributes, at most %d", n->tag, na,
		    WA_BINARY_MAX_ATTRS);
		goto bad;
	}
	if ((d->attrs += na) > WA_BINARY_MAX_ALLATTRS) {
		fail(d, "more than %d attributes in the tree",
		    WA_BINARY_MAX_ALLATTRS);
		goto bad;
	}
	if (na > (d->len - d->off) / 2) {
		fail(d, "<%.32s> has %zu attributes but only %zu bytes left",
		    n->tag, na, d->len - d->off);
		goto bad;
	}
	if (na > 0)
		n->attrs = xcalloc(na, sizeof(*n->attrs));
	for (i = 0; i < na; i++) {
		if (read_plain(d, "attribute key", 0, &key) == -1)
			goto bad;
		if (get8(d, &t) == -1 || read_item(d, t, &val) == -1) {
			free(key.s);
			goto bad;
		}
		/* Empty means absent (whatsmeow writeAttributes). */
		if (val.s == NULL || val.len == 0) {
			free(key.s);
			free(val.s);
			continue;
		}
		if (memchr(val.s, '\0', val.len) != NULL) {
			free(key.s);
			free(val.s);
			fail(d, "NUL in attribute value");
			goto bad;
		}
		n->attrs[n->nattrs].key = key.s;
		n->attrs[n->nattrs].value = val.s;
		n->nattrs++;
	}
	if (size % 2 == 0 && read_content(d, depth, n) == -1)
		goto bad;
	*out = n;
	return 0;
bad:
	wa_node_free(n);
	return -1;
}

int
wa_binary_decode(const unsigned char *p, size_t len, struct wa_node **out,
    char *err, size_t errsz)
{
	struct dec	 d;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	d.p = p;
	d.len = len;
	d.err = err;
	d.errsz = errsz;
	if (errsz > 0)
		err[0] = '\0';
	if (read_node(&d, 1, out) == -1)
		return -1;
	if (d.off != d.len) {
		fail(&d, "%zu bytes left over after the node", d.len - d.off);
		wa_node_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/*
 * Frames.
 */

int
wa_frame_unpack(const unsigned char *p, size_t len,
    const unsigned char **body, size_t *bodylen, struct buf *scratch,
    char *err, size_t errsz)
{
	z_stream	 z;
	unsigned char	 chunk[16384];
	size_t		 got;
	int		 rc, zrc;

	*body = NULL;
	*bodylen = 0;
	if (len == 0) {
		snprintf(err, errsz, "empty frame");
		return -1;
	}
	if ((p[0] & WA_FRAME_FLAG_ZLIB) == 0) {
		*body = p + 1;
		*bodylen = len - 1;
		return 0;
	}

	buf_reset(scratch);
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		snprintf(err, errsz, "zlib: inflateInit failed");
		return -1;
	}
	rc = -1;
	z.next_in = (unsigned char *)(uintptr_t)(p + 1);
	z.avail_in = len - 1 > UINT32_MAX ? UINT32_MAX : (uInt)(len - 1);
	for (;;) {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zrc = inflate(&z, Z_NO_FLUSH);
		got = sizeof(chunk) - z.avail_out;
		if (scratch->len + got > WA_FRAME_MAX_INFLATE) {
			snprintf(err, errsz, "zlib: inflates to more than %d "
			    "bytes", WA_FRAME_MAX_INFLATE);
			goto out;
		}
		buf_append(scratch, chunk, got);
		if (zrc == Z_STREAM_END)
			break;
		/* With fresh output space, no progress means no input. */
		if (zrc == Z_BUF_ERROR) {
			snprintf(err, errsz, "zlib: truncated stream");
			goto out;
		}
		if (zrc != Z_OK) {
			snprintf(err, errsz, "zlib: %s",
			    z.msg != NULL ? z.msg : "corrupt stream");
			goto out;
		}
	}
	*body = (const unsigned char *)scratch->data;
	if (*body == NULL)
		*body = (const unsigned char *)"";
	*bodylen = scratch->len;
	rc = 0;
out:
	inflateEnd(&z);
	return rc;
}

int
wa_frame_decode(const unsigned char *p, size_t len, struct wa_node **out,
    char *err, size_t errsz)
{
	struct buf		 scratch;
	const unsigned char	*body;
	size_t			 bodylen;
	int			 rc;

	*out = NULL;
	buf_init(&scratch);
	rc = wa_frame_unpack(p, len, &body, &bodylen, &scratch, err, errsz);
	if (rc == 0)
		rc = wa_binary_decode(body, bodylen, out, err, errsz);
	buf_free(&scratch);
	return rc;
}
