/*
 * Allocation wrappers that exit on exhaustion; see xalloc.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* Returns "size" bytes (at least 1) of uninitialised memory; never NULL. */
void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		fatalx("out of memory (%zu bytes)", size);
	return p;
}

/* Returns zeroed memory for "nmemb" * "size" bytes; never NULL. */
void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

/* realloc(3) with overflow checking on "nmemb" * "size"; never NULL. */
void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	void	*np;

	if (size != 0 && nmemb > SIZE_MAX / size)
		fatalx("allocation overflow (%zu x %zu)", nmemb, size);
	if ((np = realloc(p, nmemb * size == 0 ? 1 : nmemb * size)) == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return np;
}

/* strdup(3) that never returns NULL. */
char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatalx("out of memory");
	return p;
}

/* strndup(3) that never returns NULL. */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatalx("out of memory");
	return p;
}

/* Returns a newly allocated formatted string the caller frees. */
char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (rc == -1)
		fatalx("out of memory");
	return p;
}
