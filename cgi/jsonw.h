/*
 * A JSON writer for the API's hot answers (GET /api/v1/accounts): it
 * appends JSON text straight to a struct buf instead of building a
 * json-c tree and serialising it, which cost a dozen allocations per
 * account (measured: malloc and free were a third of wadesk.fcgi's
 * CPU at 200 accounts a page).  Strings are written exactly as json-c
 * 0.16 writes them with JSON_C_TO_STRING_PLAIN, so an answer is
 * byte-for-byte the one http_json() would give; tests/unit/t_jsonw.c
 * checks that against the installed json-c for every byte value.
 */
#ifndef WADESK_JSONW_H
#define WADESK_JSONW_H

#include <stdint.h>

#include "buf.h"

void	jsonw_str(struct buf *b, const char *s);
void	jsonw_int64(struct buf *b, int64_t v);
void	jsonw_bool(struct buf *b, int v);

#endif /* !WADESK_JSONW_H */
