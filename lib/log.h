/*
 * One-line logging to stderr (journald captures it), after OpenBSD
 * httpd's log.c: "prog: level: message".  Control characters in the
 * message are escaped so that hostile text cannot forge log lines.
 * Never log passwords, tokens, credentials, QR refs or pairing codes.
 */
#ifndef WADESK_LOG_H
#define WADESK_LOG_H

enum	log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL__MAX
};

void	log_init(const char *progname, enum log_level level);
int	log_level_parse(const char *s, enum log_level *out);
void	log_warn(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* !WADESK_LOG_H */
