/*
 * libFuzzer target for the binary node codec: the input is a decrypted
 * frame plaintext (flag byte, then a node, zlib-compressed if flag bit 2
 * is set).  If it decodes, the tree must encode, the encoding must decode
 * to an equal tree, and encoding that tree must give the same bytes
 * again (the encoder's output is a fixed point).  Second, the input up
 * to its first NUL is used as an attribute value and as text content:
 * whatever form the string rules pick (token, packed, JID, raw), it must
 * decode back to the same string.  Any failure aborts; ASan/UBSan catch
 * memory and UB errors, LeakSanitizer leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "binary.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
string_roundtrip(const uint8_t *data, size_t size)
{
	struct wa_node	*n, *d = NULL;
	struct buf	 e;
	char		 s[256], err[200];
	size_t		 len;

	len = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, len);
	s[len] = '\0';
	if (s[0] == '\0')
		return;
	n = wa_node_new("x");
	wa_node_set_attr(n, "v", s);
	wa_node_set_text(n, s);
	buf_init(&e);
	if (wa_binary_encode(n, &e) == -1 ||
	    wa_binary_decode((const unsigned char *)e.data, e.len, &d, err,
	    sizeof(err)) == -1 ||
	    d->nattrs != 1 || strcmp(d->attrs[0].value, s) != 0 ||
	    d->nbytes != strlen(s) || memcmp(d->bytes, s, d->nbytes) != 0)
		abort();
	wa_node_free(d);
	wa_node_free(n);
	buf_free(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_node	*a = NULL, *b = NULL;
	struct buf	 e1, e2;
	char		 err[200], *s;

	string_roundtrip(data, size);
	if (wa_frame_decode(data, size, &a, err, sizeof(err)) == -1) {
		if (a != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	s = wa_node_debug_string(a);
	free(s);
	buf_init(&e1);
	buf_init(&e2);
	if (wa_binary_encode(a, &e1) == -1)
		abort();
	if (wa_binary_decode((const unsigned char *)e1.data, e1.len, &b, err,
	    sizeof(err)) == -1)
		abort();
	if (!wa_node_equal(a, b))
		abort();
	if (wa_binary_encode(b, &e2) == -1 || e1.len != e2.len ||
	    memcmp(e1.data, e2.data, e1.len) != 0)
		abort();
	wa_node_free(a);
	wa_node_free(b);
	buf_free(&e1);
	buf_free(&e2);
	return 0;
}
