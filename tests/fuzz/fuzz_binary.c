/*
 * libFuzzer target for the binary node codec: the input is a decrypted
 * frame plaintext (flag byte, then a node, zlib-compressed if flag bit 2
 * is set).  If it decodes, the tree must encode, the encoding must decode
 * to an equal tree, and encoding that tree must give the same bytes
 * again (the encoder's output is a fixed point).  Any failure aborts;
 * ASan/UBSan catch memory and UB errors, LeakSanitizer leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "binary.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_node	*a = NULL, *b = NULL;
	struct buf	 e1, e2;
	char		 err[200], *s;

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
