/*
 * The WhatsApp Web version the client sends, and where it comes from.
 * One resolution for both programs: wadeskd calls it before every
 * connection (so an operator can bump the version without a restart)
 * and "wadeskctl wa-version" prints what the daemon would use.
 *
 * Order: the first line of the file named by WADESK_WA_VERSION_FILE,
 * then WADESK_WA_VERSION, then the built-in default.  A file that is
 * set but missing, unreadable or malformed is logged and skipped, so a
 * typo never stops the daemon; the source then names the next one.
 */
#ifndef WADESK_WAVERSION_H
#define WADESK_WAVERSION_H

#include <stddef.h>

/*
 * Built-in default: whatsmeow 2026-08-21 store/clientpayload.go; must
 * equal daemon/wa/wa.h WA_DEFAULT_VERSION (tests/wa/t_client checks).
 */
#define	WAVERSION_BUILTIN	"2.3000.1045649367"

#define	WAVERSION_LEN		40	/* "N.N.N", 10 digits each, NUL */
#define	WAVERSION_SOURCE_LEN	300	/* "file /path" and NUL */

struct	waversion {
	char	 version[WAVERSION_LEN];	/* "N.N.N" */
	char	 source[WAVERSION_SOURCE_LEN];	/* "file /path",
						   "WADESK_WA_VERSION" or
						   "built-in" */
	char	 problem[WAVERSION_SOURCE_LEN];	/* why a set file or
						   variable was skipped,
						   "" if none */
};

/*
 * Resolve into *out from "file" (the WADESK_WA_VERSION_FILE value, or
 * NULL) and "env" (the WADESK_WA_VERSION value, or NULL); empty
 * strings count as unset.  Never fails: the built-in default is the
 * last resort.  A skipped file or value is logged (warn) and described
 * in out->problem.
 */
void	waversion_resolve(const char *file, const char *env,
	    struct waversion *out);

/* 1 if v is "N.N.N" (three runs of 1..10 digits), else 0. */
int	waversion_valid(const char *v);

#endif /* !WADESK_WAVERSION_H */
