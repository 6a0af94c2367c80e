/*
 * Relative times; see reltime.h.  Units step up at 60 s, 60 min and
 * 24 h, and a value is floored (59 s is "59 s ago", 60 s is "1 min
 * ago"), so the words never claim more time than has passed.
 */
#include <stdio.h>
#include <string.h>

#include "reltime.h"

/* The value of the "n" ASCII digits at "s", or -1 if one is not a digit. */
static int
digits(const char *s, int n)
{
	int	 v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/*
 * Days from 1970-01-01 to the proleptic Gregorian date y-m-d, by the
 * well-known civil-calendar arithmetic (eras of 400 years); no libc
 * time zone machinery, as each page converts dozens of timestamps.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Parse an iso() timestamp, "YYYY-MM-DDTHH:MM:SSZ" (UTC, exactly that
 * form), into unix seconds.  Returns 0 and sets "out", or -1 for
 * anything else (NULL, another form, a field out of range).
 */
int
reltime_parse(const char *iso, int64_t *out)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int	 y, mo, d, h, mi, s;

	if (iso == NULL || strlen(iso) != 20 || iso[4] != '-' ||
	    iso[7] != '-' || iso[10] != 'T' || iso[13] != ':' ||
	    iso[16] != ':' || iso[19] != 'Z')
		return -1;
	if ((y = digits(iso, 4)) < 1970 || (mo = digits(iso + 5, 2)) < 1 ||
	    mo > 12 || (d = digits(iso + 8, 2)) < 1 || d > mdays[mo - 1] ||
	    (h = digits(iso + 11, 2)) < 0 || h > 23 ||
	    (mi = digits(iso + 14, 2)) < 0 || mi > 59 ||
	    (s = digits(iso + 17, 2)) < 0 || s > 60)
		return -1;
	if (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0)))
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

/* "N unit" for "v" >= 0 seconds in the largest unit that fits. */
static void
one_unit(char *out, size_t outsz, int64_t v)
{

	if (v < 60)
		snprintf(out, outsz, "%lld s", (long long)v);
	else if (v < 3600)
		snprintf(out, outsz, "%lld min", (long long)(v / 60));
	else if (v < 86400)
		snprintf(out, outsz, "%lld h", (long long)(v / 3600));
	else if (v < 2 * 86400)
		snprintf(out, outsz, "1 day");
	else
		snprintf(out, outsz, "%lld days", (long long)(v / 86400));
}

/*
 * Write how long ago "then" was at "now" (unix seconds) into "out":
 * "just now" within 10 s either way, else "42 s ago", "3 min ago",
 * "5 h ago", "1 day ago", "12 days ago", or for a time to come "in
 * 4 min".  Truncated to "outsz" bytes (RELTIME_MAX always fits).
 */
void
reltime_ago(char *out, size_t outsz, int64_t then, int64_t now)
{
	char	 u[RELTIME_MAX];
	int64_t	 d = now - then;

	if (outsz == 0)
		return;
	if (d > -10 && d < 10) {
		snprintf(out, outsz, "just now");
		return;
	}
	one_unit(u, sizeof(u), d < 0 ? -d : d);
	snprintf(out, outsz, d < 0 ? "in %s" : "%s ago", u);
}

/*
 * Write the length of a span of "seconds" into "out", in its two
 * largest units: "0 s", "42 s", "5 min 12 s", "2 h 3 min", "3 d 4 h"
 * (a zero second unit is left out: "5 min").  A negative span (clock
 * skew) reads "0 s".
 */
void
reltime_span(char *out, size_t outsz, int64_t seconds)
{
	int64_t	 s = seconds < 0 ? 0 : seconds;
	int64_t	 big, small;
	const char *bu, *su;

	if (outsz == 0)
		return;
	if (s < 60) {
		snprintf(out, outsz, "%lld s", (long long)s);
		return;
	}
	if (s < 3600) {
		big = s / 60, small = s % 60, bu = "min", su = "s";
	} else if (s < 86400) {
		big = s / 3600, small = s % 3600 / 60, bu = "h", su = "min";
	} else {
		big = s / 86400, small = s % 86400 / 3600, bu = "d", su = "h";
	}
	if (small == 0)
		snprintf(out, outsz, "%lld %s", (long long)big, bu);
	else
		snprintf(out, outsz, "%lld %s %lld %s", (long long)big, bu,
		    (long long)small, su);
}
