/*
 * JSON text appended to a buf; see jsonw.h.  The escaping is json-c's
 * (json_object.c json_escape_str() in 0.16, read for the facts): the
 * two-character escapes \b \n \r \t \f \" \\ and \/ (json-c escapes
 * the slash unless JSON_C_TO_STRING_NOSLASHESCAPE, which the API does
 * not pass), every other byte below 0x20 as \u00xx with lower-case
 * hex, and every byte from 0x20 up (DEL and UTF-8 included) as it is.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"

/* 1 for the bytes written as they are inside a JSON string. */
static int
plain(unsigned char c)
{

	return c >= 0x20 && c != '"' && c != '\\' && c != '/';
}

/*
 * Append "s" (a NUL-terminated string of any bytes; the NUL ends it,
 * as json_object_new_string() stops there) as a JSON string with its
 * quotes, or the bare word null when "s" is NULL.
 */
void
jsonw_str(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p, *run;
	char			 esc[6];

	if (s == NULL) {
		buf_append(b, "null", 4);
		return;
	}
	buf_putc(b, '"');
	for (p = run = (const unsigned char *)s; *p != '\0'; p++) {
		if (plain(*p))
			continue;
		buf_append(b, run, (size_t)(p - run));
		run = p + 1;
		esc[0] = '\\';
		switch (*p) {
		case '\b':
			esc[1] = 'b';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '"':
		case '\\':
		case '/':
			esc[1] = (char)*p;
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			buf_append(b, esc, 6);
			continue;
		}
		buf_append(b, esc, 2);
	}
	buf_append(b, run, (size_t)(p - run));
	buf_putc(b, '"');
}

/* Append "v" as a JSON number (decimal, as json-c prints an int64). */
void
jsonw_int64(struct buf *b, int64_t v)
{
	char	 n[24];
	int	 len;

	len = snprintf(n, sizeof(n), "%" PRId64, v);
	buf_append(b, n, (size_t)len);
}

/* Append true or false. */
void
jsonw_bool(struct buf *b, int v)
{

	if (v)
		buf_append(b, "true", 4);
	else
		buf_append(b, "false", 5);
}
