/*
 * Allocation that cannot fail: each wrapper logs and exits on
 * exhaustion (as kcgi's kmalloc and redis' zmalloc do), so no call site
 * checks for NULL.  systemd restarts the process.
 */
#ifndef WADESK_XALLOC_H
#define WADESK_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *p, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif /* !WADESK_XALLOC_H */
