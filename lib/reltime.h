/*
 * Relative times for people, shown beside the UTC timestamps the pages
 * print ("2026-12-02T15:04:05Z (3 min ago)"), and the length of a span
 * ("5 min 12 s").  Pure: the caller passes "now", so tests need no
 * clock.
 */
#ifndef WADESK_RELTIME_H
#define WADESK_RELTIME_H

#include <stddef.h>
#include <stdint.h>

#define	RELTIME_MAX	32	/* bytes enough for any result */

int	reltime_parse(const char *iso, int64_t *out);
void	reltime_ago(char *out, size_t outsz, int64_t then, int64_t now);
void	reltime_span(char *out, size_t outsz, int64_t seconds);

#endif /* !WADESK_RELTIME_H */
