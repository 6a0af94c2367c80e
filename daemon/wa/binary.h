/*
 * The WhatsApp binary node codec ("WABinary", binary XML): a node
 * model, an encoder, a bounded decoder and the frame-plaintext flag
 * byte.  Spec: /work/shared/protocol/wa-md-protocol.md section 5 and
 * 1.5; facts per whatsmeow binary/{encoder,decoder,unpack}.go and
 * Baileys src/WABinary/{encode,decode}.ts.
 *
 * The model.  A node is a tag, an ordered list of attributes and one of
 * four kinds of content.  Every string (tag, key, value, text) is a C
 * string: the decoder rejects a NUL byte inside any of them.
 *
 *	WA_CONTENT_NONE		no content
 *	WA_CONTENT_BYTES	raw bytes (BINARY_8/20/32 on the wire)
 *	WA_CONTENT_TEXT		a string written with the string rules
 *				(token, nibble, hex, JID, raw); the decoder
 *				gives this for token, packed and JID content
 *	WA_CONTENT_CHILDREN	a list of child nodes
 *
 * For BYTES and TEXT, bytes/nbytes hold the data and bytes[nbytes] is
 * always a NUL, so TEXT can be used as a C string.
 *
 * JIDs are kept as strings in the canonical text form of jid.h
 * ("user@server", "@s.whatsapp.net", "user:device@server",
 * "user.agent:device@s.whatsapp.net", "user:device@msgr",
 * "integrator-user:device@interop").  The string rule used for
 * attribute values and TEXT content is, first that applies (spec 5.4):
 *	1. a single-byte token, 2. a double-byte token,
 *	3. at most 127 of [0-9.-]  -> NIBBLE_8,
 *	4. at most 127 of [0-9A-F] -> HEX_8,
 *	5. the canonical text of a JID (wa_jid_parse() accepts it and
 *	   formatting it back gives the same string) -> a JID form chosen
 *	   as whatsmeow writeJID does (jid.h),
 *	6. raw BINARY_8/20/32.
 * Rule 5 is Baileys' (it JID-encodes any string containing '@') made
 * exact, so decoding what we encode always gives back the same text.
 * Tags and attribute keys never take rule 5 (whatsmeow: they are Go
 * strings), and the decoder rejects a JID in either place (whatsmeow
 * ErrNonStringKey).  The empty string is written NIBBLE_8 length 0,
 * "FF 00", as whatsmeow does (Baileys writes "FC 00").
 *
 * Attributes with an empty value are not written (whatsmeow
 * writeAttributes), and the decoder drops an attribute whose value
 * decodes empty, so "absent" and "empty" are one thing.  Duplicate keys
 * on the wire are kept in wire order; wa_node_attr() returns the last,
 * as both references' maps do.
 *
 * Not carried over from whatsmeow: its writeNode turns a node tagged
 * "0" into "F8 00", which no decoder (its own included) accepts; here
 * "0" is an ordinary tag (single token 0x2D).
 *
 * No global mutable state: the token tables are const.
 */
#ifndef WADESK_WA_BINARY_H
#define WADESK_WA_BINARY_H

#include <stddef.h>

struct buf;

/* Type tags, spec 5.3 (whatsmeow binary/token/token.go). */
#define	WA_TAG_LIST_EMPTY	0
/* The server ends the stream with <xmlstreamend/>: F8 01 02. */
#define	WA_TAG_STREAM_END	2	/* token "xmlstreamend" */
#define	WA_TAG_DICTIONARY_0	236
#define	WA_TAG_DICTIONARY_3	239
#define	WA_TAG_INTEROP_JID	245
#define	WA_TAG_FB_JID		246
#define	WA_TAG_AD_JID		247
#define	WA_TAG_LIST_8		248
#define	WA_TAG_LIST_16		249
#define	WA_TAG_JID_PAIR		250
#define	WA_TAG_HEX_8		251
#define	WA_TAG_BINARY_8		252
#define	WA_TAG_BINARY_20	253
#define	WA_TAG_BINARY_32	254
#define	WA_TAG_NIBBLE_8		255
#define	WA_PACKED_MAX		127	/* chars per packed string */

/*
 * Decoder limits.  Real stanzas nest fewer than 10 levels; a 16 MiB
 * frame (spec 1.2) could otherwise describe millions of nodes.
 */
#define	WA_BINARY_MAX_DEPTH	64	/* levels, root is 1 */
#define	WA_BINARY_MAX_NODES	262144	/* nodes per tree */
#define	WA_BINARY_MAX_ATTRS	1024	/* attributes per node */
#define	WA_BINARY_MAX_ALLATTRS	1048576	/* attributes per tree */
#define	WA_FRAME_MAX_INFLATE	(1 << 24) /* bytes, inflated */

/* Frame plaintext flag bit: body is zlib (RFC 1950), spec 5.1. */
#define	WA_FRAME_FLAG_ZLIB	0x02

enum	wa_content {
	WA_CONTENT_NONE,
	WA_CONTENT_BYTES,
	WA_CONTENT_TEXT,
	WA_CONTENT_CHILDREN,
	WA_CONTENT__MAX
};

struct	wa_attr {
	char	*key;		/* owned, non-empty in practice */
	char	*value;		/* owned, never NULL */
};

struct	wa_node {
	char		  *tag;		/* owned, non-empty */
	struct wa_attr	  *attrs;	/* owned array, wire order */
	size_t		   nattrs;
	enum wa_content	   content;
	unsigned char	  *bytes;	/* BYTES/TEXT: owned, NUL after */
	size_t		   nbytes;	/* length without the NUL */
	struct wa_node	 **children;	/* CHILDREN: owned, each owned */
	size_t		   nchildren;
};

/*
 * Node construction.  All allocation goes through xalloc.h and cannot
 * fail.  Pointers returned are owned by the tree they live in.
 */

/* A new node with a copy of tag and no attributes or content. */
struct wa_node	*wa_node_new(const char *tag);

/* Free n and everything below it.  NULL is a no-op. */
void		 wa_node_free(struct wa_node *n);

/*
 * Set attribute key to a copy of value, replacing the first attribute
 * with that key if there is one, else appending.  A NULL value removes
 * every attribute with that key.
 */
void		 wa_node_set_attr(struct wa_node *n, const char *key,
		    const char *value);

/* As wa_node_set_attr() with a printf-formatted value. */
void		 wa_node_set_attrf(struct wa_node *n, const char *key,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Append a new child with a copy of tag and return it (borrowed; it
 * stays valid while n lives, also across later additions).  Any BYTES
 * or TEXT content of n is dropped and n's content becomes CHILDREN.
 */
struct wa_node	*wa_node_add_child(struct wa_node *n, const char *tag);

/* Append child, taking ownership of it; content becomes CHILDREN. */
void		 wa_node_append_child(struct wa_node *n,
		    struct wa_node *child);

/*
 * Replace n's content with a copy of len bytes at p (BYTES), or with a
 * copy of the C string s (TEXT).  Children, if any, are freed.
 */
void		 wa_node_set_bytes(struct wa_node *n, const void *p,
		    size_t len);
void		 wa_node_set_text(struct wa_node *n, const char *s);

/*
 * The value of the last attribute named key, borrowed from n, or NULL
 * if there is none.
 */
const char	*wa_node_attr(const struct wa_node *n, const char *key);

/* The first child tagged tag (borrowed), or NULL. */
struct wa_node	*wa_node_child(const struct wa_node *n, const char *tag);

/*
 * 1 if a and b have the same tag, the same attributes in the same
 * order and equal content; else 0.  TEXT and BYTES content with equal
 * bytes compare equal: TEXT that is not a token, packed or a JID goes
 * on the wire as BINARY_*, which decodes as BYTES.
 */
int		 wa_node_equal(const struct wa_node *a,
		    const struct wa_node *b);

/*
 * A printable XML-like form for logs and tests, allocated (caller
 * frees): <tag k="v">...</tag>; TEXT as "text" in quotes, BYTES as
 * [N bytes: hex...] (hex of at most the first 64 bytes), children
 * nested.  Quotes, backslashes and non-printable bytes are escaped as
 * \" \\ \xNN so hostile content cannot forge a log line.
 */
char		*wa_node_debug_string(const struct wa_node *n);

/*
 * Append the encoding of n to out: the list header, tag, attributes and
 * content as whatsmeow writeNode does (spec 5.4), WITHOUT the frame
 * flag byte (see wa_frame_pack()).  Attributes go in n's order.
 * Returns 0, or -1 (logged, out truncated back to its old length) for
 * a node that cannot be encoded: empty tag, more than 65535 children,
 * more than 32767 attributes, bytes longer than 2^32-1, or nesting
 * deeper than WA_BINARY_MAX_DEPTH.
 */
int		 wa_binary_encode(const struct wa_node *n, struct buf *out)
		    __attribute__((warn_unused_result));

/*
 * Decode exactly one node from the len bytes at p (no flag byte) into a
 * new tree in *out (caller frees with wa_node_free()).  Trailing bytes
 * are an error (whatsmeow Unmarshal).  Returns 0, or -1 with *out NULL
 * and a one-line reason with the byte offset in err (errsz bytes, may
 * be 0).  Does not log: the input is the network's, the caller decides.
 * Limits: WA_BINARY_MAX_DEPTH, WA_BINARY_MAX_NODES, WA_BINARY_MAX_ATTRS,
 * WA_BINARY_MAX_ALLATTRS (so a 16 MiB frame cannot become gigabytes);
 * a list or byte length larger than the remaining input is rejected
 * before anything is allocated for it.
 */
int		 wa_binary_decode(const unsigned char *p, size_t len,
		    struct wa_node **out, char *err, size_t errsz)
		    __attribute__((warn_unused_result));

/*
 * Append the frame plaintext for n to out: flag byte 0x00 (never
 * compressed; both references do so, spec 5.1) then the node.  Returns
 * 0 or -1 as wa_binary_encode().
 */
int		 wa_frame_pack(const struct wa_node *n, struct buf *out)
		    __attribute__((warn_unused_result));

/*
 * Strip the flag byte of a decrypted frame plaintext (len bytes at p).
 * If flag & WA_FRAME_FLAG_ZLIB, inflate the rest with zlib into scratch
 * (reset first) and point *body at scratch's data; else point *body
 * into p.  The inflated size is capped at WA_FRAME_MAX_INFLATE.  Other
 * flag bits are ignored (whatsmeow Unpack).  Returns 0, or -1 with a
 * reason in err (empty frame, corrupt or truncated zlib, over the cap).
 */
int		 wa_frame_unpack(const unsigned char *p, size_t len,
		    const unsigned char **body, size_t *bodylen,
		    struct buf *scratch, char *err, size_t errsz)
		    __attribute__((warn_unused_result));

/* wa_frame_unpack() then wa_binary_decode(); same contract. */
int		 wa_frame_decode(const unsigned char *p, size_t len,
		    struct wa_node **out, char *err, size_t errsz)
		    __attribute__((warn_unused_result));

#endif /* !WADESK_WA_BINARY_H */
