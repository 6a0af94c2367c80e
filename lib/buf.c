/*
 * Growable byte buffer; see buf.h.  Used for response bodies, SQL-free
 * text assembly and binary frames alike.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xalloc.h"

/* Make "b" an empty buffer that owns nothing yet. */
void
buf_init(struct buf *b)
{

	memset(b, 0, sizeof(*b));
}

/* Release what "b" owns and leave it empty; safe to call twice. */
void
buf_free(struct buf *b)
{

	free(b->data);
	buf_init(b);
}

/* Forget the contents but keep the allocation for reuse. */
void
buf_reset(struct buf *b)
{

	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Ensure room for "more" bytes plus the terminating NUL. */
static void
buf_grow(struct buf *b, size_t more)
{
	size_t	 need, ncap;

	if (more > (size_t)-1 / 2 - b->len)
		fatalx("buffer too large");
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	ncap = b->cap == 0 ? 256 : b->cap;
	while (ncap < need)
		ncap *= 2;
	b->data = xreallocarray(b->data, ncap, 1);
	b->cap = ncap;
}

/* Append "len" bytes from "p" (which may hold NULs). */
void
buf_append(struct buf *b, const void *p, size_t len)
{

	buf_grow(b, len);
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Append the C string "s". */
void
buf_puts(struct buf *b, const char *s)
{

	buf_append(b, s, strlen(s));
}

/* Append one byte. */
void
buf_putc(struct buf *b, int c)
{
	unsigned char	 ch = (unsigned char)c;

	buf_append(b, &ch, 1);
}

/* Append formatted text. */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("%s: bad format", __func__);
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Borrowed view of the contents as a C string ("" when empty). */
const char *
buf_str(const struct buf *b)
{

	return b->data == NULL ? "" : b->data;
}
