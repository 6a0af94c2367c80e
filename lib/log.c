/*
 * Logging to stderr; see log.h.  Thread-safe: each line is formatted
 * into a local buffer and written with one fputs(3) under stdio's lock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char	*log_prog = "wadesk";
static enum log_level	 log_max = LOG_LEVEL_INFO;

static const char *const log_names[LOG_LEVEL__MAX] = {
	"error",	/* LOG_LEVEL_ERROR */
	"warn",		/* LOG_LEVEL_WARN */
	"info",		/* LOG_LEVEL_INFO */
	"debug",	/* LOG_LEVEL_DEBUG */
};

/* Set the program name (borrowed, must outlive logging) and level. */
void
log_init(const char *progname, enum log_level level)
{

	log_prog = progname;
	log_max = level;
}

/*
 * Parse "error", "warn", "info" or "debug" into "out".
 * Returns 0 on success, -1 if "s" is none of these.
 */
int
log_level_parse(const char *s, enum log_level *out)
{
	int	 i;

	for (i = 0; i < LOG_LEVEL__MAX; i++)
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

static void
log_emit(enum log_level level, int err, const char *fmt, va_list ap)
{
	char	 msg[1024], line[2048];
	size_t	 i, o = 0;
	int	 n;

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = snprintf(line, sizeof(line), "%s: %s: ", log_prog,
	    log_names[level]);
	o = n > 0 ? (size_t)n : 0;
	for (i = 0; msg[i] != '\0' && o + 5 < sizeof(line); i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c == '\n' && msg[i + 1] == '\0')
			break;
		if (c == '\n')
			line[o++] = ' ';
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    "\\x%02x", c);
		else
			line[o++] = (char)c;
	}
	line[o] = '\0';
	if (err != 0)
		fprintf(stderr, "%s: %s\n", line, strerror(err));
	else
		fprintf(stderr, "%s\n", line);
}

/* Log a warning followed by strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, 0, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Log a debug line (only with WADESK_LOG_LEVEL=debug). */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_DEBUG, 0, fmt, ap);
	va_end(ap);
}

/* Log an error with strerror(errno) and exit(1). */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit(1). */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
