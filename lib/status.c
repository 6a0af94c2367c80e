/*
 * accounts.status names and their wording for people; see status.h.
 */
#include <stdlib.h>
#include <string.h>

#include "status.h"

static const char *const names[STATUS__MAX] = {
#define	STATUS_NAME(n, s, t)	s,
	STATUSES(STATUS_NAME)
#undef	STATUS_NAME
};

static const char *const texts[STATUS__MAX] = {
#define	STATUS_TEXT(n, s, t)	t,
	STATUSES(STATUS_TEXT)
#undef	STATUS_TEXT
};

/* Parse a status name.  Returns 0 and sets "out", or -1 if unknown. */
int
status_parse(const char *s, enum status *out)
{
	int	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < STATUS__MAX; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum status)i;
			return 0;
		}
	return -1;
}

/* The column value for "st" (static). */
const char *
status_name(enum status st)
{

	if ((int)st < 0 || st >= STATUS__MAX)
		abort();
	return names[st];
}

/* The wording for people, e.g. "Logged out" (static). */
const char *
status_text(enum status st)
{

	if ((int)st < 0 || st >= STATUS__MAX)
		abort();
	return texts[st];
}
