/*
 * Resolution of the WhatsApp Web version (lib/waversion.h): file, then
 * environment, then built in.  Plain stdio: the file is a few bytes
 * and read once per connection attempt, never per frame.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "waversion.h"

int
waversion_valid(const char *v)
{
	int	 parts = 0;
	size_t	 n;

	for (;;) {
		n = strspn(v, "0123456789");
		if (n == 0 || n > 10)
			return 0;
		parts++;
		v += n;
		if (*v == '\0')
			return parts == 3;
		if (*v++ != '.')
			return 0;
	}
}

/* The first line of path, trimmed, into buf; 0, or -1 with why. */
static int
read_first_line(const char *path, char *buf, size_t len, char *why,
    size_t whylen)
{
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(buf, (int)len, f) == NULL) {
		snprintf(why, whylen, "%s: empty", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return 0;
}

void
waversion_resolve(const char *file, const char *env, struct waversion *out)
{
	char	 line[WAVERSION_LEN];

	memset(out, 0, sizeof(*out));
	if (file != NULL && *file != '\0') {
		if (read_first_line(file, line, sizeof(line), out->problem,
		    sizeof(out->problem)) == 0 && !waversion_valid(line))
			snprintf(out->problem, sizeof(out->problem),
			    "%s: \"%.40s\" is not a version like 2.3000.N",
			    file, line);
		if (out->problem[0] == '\0') {
			snprintf(out->version, sizeof(out->version), "%s",
			    line);
			snprintf(out->source, sizeof(out->source), "file %s",
			    file);
			return;
		}
		log_warnx("WADESK_WA_VERSION_FILE skipped: %s", out->problem);
	}
	if (env != NULL && *env != '\0') {
		if (waversion_valid(env)) {
			snprintf(out->version, sizeof(out->version), "%s", env);
			snprintf(out->source, sizeof(out->source),
			    "WADESK_WA_VERSION");
			return;
		}
		if (out->problem[0] == '\0')
			snprintf(out->problem, sizeof(out->problem),
			    "WADESK_WA_VERSION \"%.40s\" is not a version "
			    "like 2.3000.N", env);
		log_warnx("WADESK_WA_VERSION=\"%.40s\" skipped: not a version "
		    "like 2.3000.N", env);
	}
	snprintf(out->version, sizeof(out->version), "%s", WAVERSION_BUILTIN);
	snprintf(out->source, sizeof(out->source), "built-in");
}
