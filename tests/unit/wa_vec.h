/*
 * Test-vector access for the WhatsApp client's unit tests: reads
 * vectors.json (wa-md-protocol.md Appendix A) with json-c.  The file is
 * found at $WADESK_VECTORS, else at ../shared/protocol/vectors/
 * vectors.json relative to the repository root (tests run from there).
 */
#ifndef WADESK_WA_VEC_H
#define WADESK_WA_VEC_H

#include <stddef.h>
#include <stdint.h>

struct	buf;

const char	*vec_str(const char *path);
int		 vec_bytes(const char *path, struct buf *out);
int		 vec_fixed(const char *path, uint8_t *out, size_t len);
int		 hex_decode(const char *hex, struct buf *out);

#endif /* !WADESK_WA_VEC_H */
