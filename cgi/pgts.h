/*
 * PostgreSQL's binary timestamptz written as the JSON API's text
 * (cgi/api.c's list reads its times in binary: printing them with
 * to_char() was a third of the statement's cost).
 */
#ifndef WADESK_PGTS_H
#define WADESK_PGTS_H

#include <stdint.h>

#define	PGTS_LEN	80	/* room for any int64 year and int fields */

int	pgts_format(int64_t us, int frac, char out[PGTS_LEN]);
int64_t	pgts_int64(const char *be8);

#endif /* !WADESK_PGTS_H */
