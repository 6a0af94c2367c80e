/*
 * Binary timestamps; see pgts.h.  Facts from PostgreSQL 15's sources,
 * read for them: a timestamptz in binary is a big-endian int64 of
 * microseconds since 2000-01-01 00:00:00 UTC (timestamp_send(),
 * integer datetimes, the only kind since PostgreSQL 10), INT64_MIN
 * and INT64_MAX being -infinity and infinity (DT_NOBEGIN, DT_NOEND);
 * dates are proleptic Gregorian with astronomical years (0 is 1 BC);
 * to_char()'s YYYY prints a year before 1 AD as 1 - year, at least
 * four digits (ADJUST_YEAR in formatting.c), and gives NULL for an
 * infinite time.
 */
#include <inttypes.h>
#include <stdio.h>

#include "pgts.h"

#define	US_PER_DAY	INT64_C(86400000000)
#define	DAYS_1970_2000	10957	/* 1970-01-01 to 2000-01-01 */

/*
 * The Gregorian date of day "z" counted from 1970-01-01 (negative
 * before), in 400-year eras of 146097 days each starting on 1 March,
 * so the leap day is the last day of its year.
 */
static void
civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;			/* days from 0000-03-01 */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;		/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* [0, 365] */
	mp = (5 * doy + 2) / 153;	/* 0 is March */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * Write instant "us" (a binary timestamptz's value) into "out" as
 * to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') does
 * (the iso() of sql/001_schema.sql), or with "frac" with ".US" before
 * the Z (six digits: the API's cursor).  Returns 0, or -1 for an
 * infinite time (to_char() gives NULL; "out" is then "").
 */
int
pgts_format(int64_t us, int frac, char out[PGTS_LEN])
{
	int64_t	 days, rem, y;
	int	 m, d, sec;

	out[0] = '\0';
	if (us == INT64_MIN || us == INT64_MAX)
		return -1;
	days = us / US_PER_DAY;
	rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	civil(days + DAYS_1970_2000, &y, &m, &d);
	if (y <= 0)
		y = 1 - y;
	sec = (int)(rem / 1000000);
	if (frac)
		snprintf(out, PGTS_LEN, "%04" PRId64 "-%02d-%02dT%02d:%02d:"
		    "%02d.%06dZ", y, m, d, sec / 3600, sec / 60 % 60, sec % 60,
		    (int)(rem % 1000000));
	else
		snprintf(out, PGTS_LEN, "%04" PRId64 "-%02d-%02dT%02d:%02d:"
		    "%02dZ", y, m, d, sec / 3600, sec / 60 % 60, sec % 60);
	return 0;
}

/* The big-endian int64 at "be8" (8 bytes, a binary int8 or time). */
int64_t
pgts_int64(const char *be8)
{
	const unsigned char	*p = (const unsigned char *)be8;
	uint64_t		 v = 0;
	int			 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	/* Two's complement, without an out-of-range conversion. */
	return v <= INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}
