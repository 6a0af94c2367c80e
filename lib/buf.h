/*
 * A growable byte buffer, always NUL-terminated after its contents so
 * that buf_str() is a C string.  Growth cannot fail (xalloc.h).
 */
#ifndef WADESK_BUF_H
#define WADESK_BUF_H

#include <stddef.h>

struct	buf {
	char	*data;		/* contents plus a NUL; NULL until first use */
	size_t	 len;		/* bytes used, not counting the NUL */
	size_t	 cap;		/* bytes allocated */
};

void		 buf_init(struct buf *b);
void		 buf_free(struct buf *b);
void		 buf_reset(struct buf *b);
void		 buf_append(struct buf *b, const void *p, size_t len);
void		 buf_puts(struct buf *b, const char *s);
void		 buf_putc(struct buf *b, int c);
void		 buf_printf(struct buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*buf_str(const struct buf *b);

#endif /* !WADESK_BUF_H */
