/*
 * Reminder recurrence; see recur.h.  libical (3.0) parses, prints and
 * iterates RRULE values; zones come from the system's zoneinfo
 * (Debian's tzdata) through icaltimezone_get_builtin_timezone() with
 * libical's own built-in VTIMEZONE data switched off.
 *
 * How an occurrence is computed: DTSTART is the first fire as a
 * floating local time (the fields of "first" in the reminder's zone),
 * libical iterates in those local fields, and each candidate goes back
 * to UTC with local_utc() below, so a 09:00 rule stays 09:00 local
 * across a DST change.  libical compares a floating time with a UTC
 * UNTIL field by field (as if both were UTC), so UNTIL is taken out of
 * the rule given to the iterator and applied here, to the UTC instants.
 * COUNT stays with libical.
 *
 * Decided: an occurrence is an instance of the rule at or after the
 * first fire, as libical computes it.  The first fire is therefore the
 * first occurrence whenever it matches the rule (always so for the
 * form's defaults: weekdays 0 and monthday 0 mean the first fire's
 * own); when it does not (a weekly rule on Tue, Thu with a first fire
 * on a Monday, monthly on day 31 from a 15th) the first occurrence is
 * the rule's first instance after it, at the first fire's time of day,
 * and COUNT counts instances only.  This keeps "never fires" true to
 * the rule: a rule with no instance answers 0 occurrences.
 *
 * libical keeps its zones in a process-wide cache that it fills and
 * extends on demand; the FastCGI program's worker threads share it, so
 * every public function runs under one mutex (the end of the file).
 * The functions ending in _u are the same without it, for calls from
 * inside.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <pthread.h>

#include <libical/ical.h>

#include "buf.h"
#include "recur.h"

static int	recur_rule_parse_u(const char *, const char *,
		    struct recur_controls *, const char **);

/* Candidates looked at per recur_next() call, at most. */
#define	RECUR_SCAN_MAX	100000

/* Years a local time may name (libical's time_t range is narrower). */
#define	YEAR_MIN	1970
#define	YEAR_MAX	2500

/* A broken-down local time. */
struct	lt {
	int	 y, mo, d, h, mi, s;
};

static const char *const wdnames[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};
static const char *const monnames[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
	"Oct", "Nov", "Dec"
};

/* One-time libical set-up: system zoneinfo, errors never abort. */
static void
lib_init(void)
{
	static int	 done;

	if (done)
		return;
	done = 1;
	icalerror_set_errors_are_fatal(0);
	icaltimezone_set_builtin_tzdata(0);
}

static int
is_leap(int y)
{

	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
mdays(int y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, eras of 400 y). */
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

/* The inverse: days since 1970-01-01 to *y, *m, *d. */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

/* The local fields "l" as seconds since 1970 read as if they were UTC. */
static int64_t
naive(const struct lt *l)
{

	return days_from_civil(l->y, l->mo, l->d) * 86400 + l->h * 3600 +
	    l->mi * 60 + l->s;
}

/* Monday-based weekday (0 Monday .. 6 Sunday) of the date in "l". */
static int
weekday(const struct lt *l)
{
	int64_t	 days = days_from_civil(l->y, l->mo, l->d);

	return (int)(((days + 3) % 7 + 7) % 7);
}

/* "l" moved by "days" whole days (the time of day kept). */
static void
add_days(struct lt *l, int days)
{

	civil_from_days(days_from_civil(l->y, l->mo, l->d) + days, &l->y,
	    &l->mo, &l->d);
}

/*
 * The zone "tz" or NULL with *why.  Only plain IANA names reach
 * libical: letters, digits, "_", "+", "-" and "/" between parts, no
 * ".." or absolute path (libical opens the name under zoneinfo), and
 * not "localtime" (the machine's own, whatever it is).
 */
static icaltimezone *
zone_get(const char *tz, const char **why)
{
	icaltimezone	*z;
	const char	*p;
	size_t		 len;

	lib_init();
	if (tz == NULL || (len = strlen(tz)) == 0 || len > 64) {
		*why = "The time zone is missing or longer than 64 "
		    "characters: pick one from the list.";
		return NULL;
	}
	for (p = tz; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' ||
		    *p == '-')
			continue;
		if (*p == '/' && p != tz && p[1] != '\0' && p[1] != '/')
			continue;
		*why = "The time zone is not an IANA zone name such as "
		    "Europe/Berlin: pick one from the list.";
		return NULL;
	}
	if (strcmp(tz, "localtime") == 0 || strcmp(tz, "posixrules") == 0 ||
	    (z = icaltimezone_get_builtin_timezone(tz)) == NULL) {
		*why = "The time zone is not known to this system's zone "
		    "database: pick one from the list, such as Europe/Berlin.";
		return NULL;
	}
	return z;
}

/* Unix seconds "t" as local fields in zone "z". */
static void
utc_local(icaltimezone *z, int64_t t, struct lt *l)
{
	struct icaltimetype	 it;

	it = icaltime_from_timet_with_zone((time_t)t, 0, z);
	l->y = it.year;
	l->mo = it.month;
	l->d = it.day;
	l->h = it.hour;
	l->mi = it.minute;
	l->s = it.second;
}

/* The UTC offset of zone "z" at instant "t", in seconds east. */
static int64_t
offset_at(icaltimezone *z, int64_t t)
{
	struct lt	 l;

	utc_local(z, t, &l);
	return naive(&l) - t;
}

/*
 * Local fields "l" in zone "z" to Unix seconds.  The offsets a day
 * before and a day after bracket any one change: a time both map
 * back to is ambiguous (the earlier wins), a time neither does was
 * skipped, and reading it with the offset before the change moves it
 * forward by the gap (02:30 on a spring-forward day is 03:30).
 */
static int64_t
local_utc(icaltimezone *z, const struct lt *l)
{
	int64_t	 n, a, b, ta, tb;
	int	 oka, okb;

	n = naive(l);
	a = offset_at(z, n - 86400);
	b = offset_at(z, n + 86400);
	ta = n - a;
	tb = n - b;
	oka = offset_at(z, ta) == a;
	okb = offset_at(z, tb) == b;
	if (oka && okb)
		return ta < tb ? ta : tb;
	if (okb)
		return tb;
	return ta;
}

/* The value of the "n" ASCII digits at "s", or -1. */
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

/* "YYYY-MM-DD" into the date of *l; 0 or -1 with *why. */
static int
parse_date(const char *s, struct lt *l, const char **why)
{

	if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-' ||
	    (l->y = digits(s, 4)) < 0 || (l->mo = digits(s + 5, 2)) < 0 ||
	    (l->d = digits(s + 8, 2)) < 0) {
		*why = "The date is not in the form YYYY-MM-DD.";
		return -1;
	}
	if (l->y < YEAR_MIN || l->y > YEAR_MAX) {
		*why = "The year must be between 1970 and 2500.";
		return -1;
	}
	if (l->mo < 1 || l->mo > 12 || l->d < 1 || l->d > mdays(l->y, l->mo)) {
		*why = "The date does not exist (check the month and day).";
		return -1;
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM[:SS]" (a space for the T) into *l; 0 or -1. */
static int
parse_local(const char *s, struct lt *l, const char **why)
{
	size_t	 len;

	if (parse_date(s, l, why) == -1)
		return -1;
	len = strlen(s);
	if ((len != 16 && len != 19) || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || (len == 19 && s[16] != ':') ||
	    (l->h = digits(s + 11, 2)) < 0 || (l->mi = digits(s + 14, 2)) < 0 ||
	    (l->s = len == 19 ? digits(s + 17, 2) : 0) < 0) {
		*why = "The time is not in the form YYYY-MM-DDTHH:MM.";
		return -1;
	}
	if (l->h > 23 || l->mi > 59 || l->s > 59) {
		*why = "The time of day does not exist (hours 00 to 23, "
		    "minutes 00 to 59).";
		return -1;
	}
	return 0;
}

/* 1 if "t" is inside the range of local years recur handles. */
static int
t_in_range(int64_t t)
{

	return t >= days_from_civil(YEAR_MIN, 1, 2) * 86400 &&
	    t < days_from_civil(YEAR_MAX, 12, 31) * 86400;
}

/* recur_zone_valid() (recur.h) without the lock. */
static int
recur_zone_valid_u(const char *tz)
{
	const char	*why;

	return zone_get(tz, &why) != NULL;
}

/* recur_local_to_utc() (recur.h) without the lock. */
static int
recur_local_to_utc_u(const char *tz, const char *local, int64_t *out,
    const char **why)
{
	icaltimezone	*z;
	struct lt	 l;

	if ((z = zone_get(tz, why)) == NULL)
		return -1;
	if (parse_local(local, &l, why) == -1)
		return -1;
	*out = local_utc(z, &l);
	return 0;
}

/* recur_utc_to_local() (recur.h) without the lock. */
static int
recur_utc_to_local_u(const char *tz, int64_t t, char *out, size_t outsz)
{
	icaltimezone	*z;
	const char	*why;
	struct lt	 l;
	int		 n;

	if (out == NULL || outsz < 17)
		return -1;
	out[0] = '\0';
	if (!t_in_range(t) || (z = zone_get(tz, &why)) == NULL)
		return -1;
	utc_local(z, t, &l);
	n = snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d", l.y, l.mo, l.d,
	    l.h, l.mi);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/*
 * A parsed rule: libical's form, and its UNTIL as Unix seconds (0: no
 * UNTIL) taken out of "r" (see the top of the file).
 */
struct	rule {
	struct icalrecurrencetype r;
	int			 has_until;
	int64_t			 until;
};

/* 1 if the by-list "a" (ICAL_RECURRENCE_ARRAY_MAX-terminated) is set. */
static int
by_set(const short *a)
{

	return a[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

/*
 * 1 if "r" combines parts RFC 5545 (3.3.10) forbids together; libical
 * would walk every day up to its year limit on some of them (a daily
 * 1MO) before answering nothing.
 */
static int
rule_rfc_bad(const struct icalrecurrencetype *r)
{
	int	 i;

	if (r->freq != ICAL_MONTHLY_RECURRENCE &&
	    r->freq != ICAL_YEARLY_RECURRENCE)
		for (i = 0; i < ICAL_BY_DAY_SIZE &&
		    r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
			if (icalrecurrencetype_day_position(r->by_day[i]) != 0)
				return 1;
	if (r->freq != ICAL_YEARLY_RECURRENCE && by_set(r->by_week_no))
		return 1;
	if ((r->freq == ICAL_DAILY_RECURRENCE ||
	    r->freq == ICAL_WEEKLY_RECURRENCE ||
	    r->freq == ICAL_MONTHLY_RECURRENCE) && by_set(r->by_year_day))
		return 1;
	if (r->freq == ICAL_WEEKLY_RECURRENCE && by_set(r->by_month_day))
		return 1;
	return 0;
}

/*
 * "rrule" (non-empty, optional "RRULE:") into *ru, UNTIL resolved in
 * zone "z".  Refuses what libical refuses, sub-daily frequencies
 * (libical can spin for minutes on an impossible SECONDLY rule, and
 * reminders are at most daily) and RSCALE.  0 or -1 with *why.
 */
static int
rule_load(icaltimezone *z, const char *rrule, struct rule *ru,
    const char **why)
{
	struct icaltimetype	 u;
	struct lt		 l;

	if (strncasecmp(rrule, "RRULE:", 6) == 0)
		rrule += 6;
	if (strlen(rrule) >= RECUR_RULE_MAX) {
		*why = "The rule is longer than 511 characters.";
		return -1;
	}
	icalerror_clear_errno();
	ru->r = icalrecurrencetype_from_string(rrule);
	if (ru->r.rscale != NULL) {
		icalmemory_free_buffer(ru->r.rscale);
		ru->r.rscale = NULL;
		*why = "The rule uses RSCALE (a non-Gregorian calendar), "
		    "which reminders do not support.";
		return -1;
	}
	if (ru->r.freq == ICAL_NO_RECURRENCE) {
		*why = "The rule is not a valid RFC 5545 RRULE value (for "
		    "example FREQ=WEEKLY;BYDAY=MO).";
		return -1;
	}
	if (ru->r.freq != ICAL_DAILY_RECURRENCE &&
	    ru->r.freq != ICAL_WEEKLY_RECURRENCE &&
	    ru->r.freq != ICAL_MONTHLY_RECURRENCE &&
	    ru->r.freq != ICAL_YEARLY_RECURRENCE) {
		*why = "The rule repeats more often than daily; reminders "
		    "repeat daily, weekly, monthly or yearly.";
		return -1;
	}
	if (rule_rfc_bad(&ru->r)) {
		*why = "The rule breaks RFC 5545: a numbered weekday (such "
		    "as 1MO) needs FREQ=MONTHLY or YEARLY, BYWEEKNO needs "
		    "YEARLY, BYYEARDAY is not for daily, weekly or monthly "
		    "rules, and BYMONTHDAY not for weekly ones.";
		return -1;
	}
	ru->has_until = 0;
	ru->until = 0;
	u = ru->r.until;
	if (!icaltime_is_null_time(u)) {
		if (u.year < YEAR_MIN || u.year > YEAR_MAX) {
			*why = "The rule's UNTIL is outside the years 1970 "
			    "to 2500.";
			return -1;
		}
		l.y = u.year;
		l.mo = u.month;
		l.d = u.day;
		if (u.is_date) {
			/* A date: the end of that local day. */
			l.h = l.mi = l.s = 0;
			add_days(&l, 1);
			ru->until = local_utc(z, &l) - 1;
		} else {
			l.h = u.hour;
			l.mi = u.minute;
			l.s = u.second;
			ru->until = icaltime_is_utc(u) ? naive(&l) :
			    local_utc(z, &l);
		}
		ru->has_until = 1;
		ru->r.until = icaltime_null_time();
	}
	return 0;
}

/*
 * 1 if the rule's BYMONTH and BYMONTHDAY leave no day at all (day 30
 * or 31 of February only, day 31 of 30-day months only): libical
 * would walk every period up to its year limit to find out.
 */
static int
rule_impossible(const struct icalrecurrencetype *r)
{
	int	 i, j, m, d, max;

	if (!by_set(r->by_month) || !by_set(r->by_month_day))
		return 0;
	for (i = 0; i < ICAL_BY_MONTH_SIZE &&
	    r->by_month[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		m = icalrecurrencetype_month_month(r->by_month[i]);
		if (m < 1 || m > 12)
			return 0;
		max = m == 2 ? 29 : mdays(2001, m);
		for (j = 0; j < ICAL_BY_MONTHDAY_SIZE &&
		    r->by_month_day[j] != ICAL_RECURRENCE_ARRAY_MAX; j++) {
			d = r->by_month_day[j];
			if ((d > 0 && d <= max) || (d < 0 && -d <= max))
				return 0;
		}
	}
	return 1;
}

/* recur_next() (recur.h) without the lock. */
static int
recur_next_u(const char *tz, int64_t first, const char *rrule,
    int64_t after, int64_t *out, int n, const char **why)
{
	icaltimezone		*z;
	icalrecur_iterator	*it;
	struct icaltimetype	 dt, c;
	struct rule		 ru;
	struct lt		 l0, l;
	int64_t			 u, prev;
	int			 k = 0, scanned;

	if (n < 0 || (n > 0 && out == NULL)) {
		*why = "Internal error: a negative count of occurrences.";
		return -1;
	}
	if ((z = zone_get(tz, why)) == NULL)
		return -1;
	if (!t_in_range(first)) {
		*why = "The first fire is outside the years 1970 to 2500.";
		return -1;
	}
	if (rrule == NULL || rrule[0] == '\0') {
		if (n > 0 && first > after)
			out[k++] = first;
		return k;
	}
	if (rule_load(z, rrule, &ru, why) == -1)
		return -1;
	if (n == 0 || rule_impossible(&ru.r) ||
	    (ru.has_until && ru.until < first))
		return 0;

	utc_local(z, first, &l0);
	dt = icaltime_null_time();
	dt.year = l0.y;
	dt.month = l0.mo;
	dt.day = l0.d;
	dt.hour = l0.h;
	dt.minute = l0.mi;
	dt.second = l0.s;
	dt.is_date = 0;
	dt.zone = NULL;
	prev = first - 1;
	icalerror_clear_errno();
	if ((it = icalrecur_iterator_new(ru.r, dt)) == NULL)
		return 0;	/* libical found no instance at all */
	for (scanned = 0; scanned < RECUR_SCAN_MAX && k < n; scanned++) {
		c = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(c))
			break;
		l.y = c.year;
		l.mo = c.month;
		l.d = c.day;
		l.h = c.hour;
		l.mi = c.minute;
		l.s = c.second;
		if (l.y > YEAR_MAX)
			break;
		/* Far enough before "after" whatever the offset (zones
		   are within -12 h and +14 h of UTC): skip unconverted. */
		if (after > INT64_MIN + 15 * 3600 &&
		    naive(&l) < after - 15 * 3600)
			continue;
		/* DTSTART itself: exactly "first" (it may be the later
		   of two ambiguous local times). */
		u = naive(&l) == naive(&l0) ? first : local_utc(z, &l);
		if (ru.has_until && u > ru.until)
			break;
		/* Two local times in a DST gap can meet at one instant,
		   and a local time in a fall-back overlap can map before
		   a first fire that is the later of the two. */
		if (u <= prev)
			continue;
		prev = u;
		if (u > after)
			out[k++] = u;
	}
	icalrecur_iterator_free(it);
	return k;
}

/* recur_validate() (recur.h) without the lock. */
static int
recur_validate_u(const char *tz, int64_t first, const char *rrule,
    const char **why)
{
	struct recur_controls	 c;
	int64_t			 t;
	int			 n;

	if (zone_get(tz, why) == NULL)
		return -1;
	if (!t_in_range(first)) {
		*why = "The first fire is outside the years 1970 to 2500.";
		return -1;
	}
	if (rrule == NULL || rrule[0] == '\0')
		return 0;
	if (recur_rule_parse_u(rrule, tz, &c, why) == -1)
		return -1;
	if ((n = recur_next_u(tz, first, rrule, first - 1, &t, 1, why)) == -1)
		return -1;
	if (n == 0) {
		*why = "The rule never fires: no date matches it on or "
		    "after the first fire (check the end date).";
		return -1;
	}
	return 0;
}

/* recur_window_end() (recur.h) without the lock. */
static int
recur_window_end_u(const char *tz, int64_t at, int hour, int64_t *out,
    const char **why)
{
	icaltimezone	*z;
	struct lt	 l;
	int		 i;

	if ((z = zone_get(tz, why)) == NULL)
		return -1;
	if (hour < 1 || hour > 24) {
		*why = "The window end hour must be between 1 and 24.";
		return -1;
	}
	if (!t_in_range(at)) {
		*why = "The occurrence is outside the years 1970 to 2500.";
		return -1;
	}
	utc_local(z, at, &l);
	l.mi = l.s = 0;
	l.h = hour % 24;
	if (hour == 24)
		add_days(&l, 1);
	for (i = 0; i < 2; i++) {
		*out = local_utc(z, &l);
		if (*out > at)
			return 0;
		add_days(&l, 1);
	}
	*why = "Internal error: no window end after the occurrence.";
	return -1;
}

/*
 * The controls and rule builder/parser and the summary follow.
 */

/* The first fire's local fields in *l, or -1 with *why. */
static int
first_local(const char *tz, int64_t first, icaltimezone **zp,
    struct lt *l, const char **why)
{

	if ((*zp = zone_get(tz, why)) == NULL)
		return -1;
	if (!t_in_range(first)) {
		*why = "The first fire is outside the years 1970 to 2500.";
		return -1;
	}
	utc_local(*zp, first, l);
	return 0;
}

/* recur_rule_build() (recur.h) without the lock. */
static int
recur_rule_build_u(const struct recur_controls *c, const char *tz,
    int64_t first, char *out, const char **why)
{
	struct icalrecurrencetype r;
	icaltimezone	*z;
	struct lt	 l0, ul;
	int64_t		 until;
	char		*s;
	int		 i, k;

	out[0] = '\0';
	if (first_local(tz, first, &z, &l0, why) == -1)
		return -1;
	icalrecurrencetype_clear(&r);
	switch (c->freq) {
	case RECUR_NONE:
		return 0;
	case RECUR_DAILY:
		r.freq = ICAL_DAILY_RECURRENCE;
		break;
	case RECUR_WEEKLY:
		r.freq = ICAL_WEEKLY_RECURRENCE;
		break;
	case RECUR_MONTHLY:
		r.freq = ICAL_MONTHLY_RECURRENCE;
		break;
	case RECUR_YEARLY:
		r.freq = ICAL_YEARLY_RECURRENCE;
		break;
	default:
		*why = "The repeat choice is not one of none, daily, weekly, "
		    "monthly or yearly.";
		return -1;
	}
	if (c->interval < 1 || c->interval > RECUR_INTERVAL_MAX) {
		*why = "The interval must be a whole number from 1 to 99.";
		return -1;
	}
	r.interval = (short)c->interval;
	if (c->freq == RECUR_WEEKLY) {
		if ((c->weekdays & ~0x7fu) != 0) {
			*why = "No weekday is picked: pick days from Monday "
			    "to Sunday.";
			return -1;
		}
		for (i = 0, k = 0; i < 7; i++)
			if (c->weekdays & (1u << i))
				r.by_day[k++] = (short)(i == 6 ?
				    ICAL_SUNDAY_WEEKDAY :
				    ICAL_MONDAY_WEEKDAY + i);
		r.by_day[k] = ICAL_RECURRENCE_ARRAY_MAX;
	}
	if (c->freq == RECUR_MONTHLY) {
		if (c->monthday < 0 || c->monthday > 31) {
			*why = "The day of the month must be from 1 to 31.";
			return -1;
		}
		if (c->monthday > 0) {
			r.by_month_day[0] = (short)c->monthday;
			r.by_month_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
		}
	}
	switch (c->end) {
	case RECUR_END_NEVER:
		break;
	case RECUR_END_COUNT:
		if (c->count < 1 || c->count > RECUR_COUNT_MAX) {
			*why = "The number of times must be from 1 to 1000.";
			return -1;
		}
		r.count = c->count;
		break;
	case RECUR_END_UNTIL:
		if (memchr(c->until, '\0', sizeof(c->until)) == NULL ||
		    strlen(c->until) != 10) {
			*why = "The end date is not in the form YYYY-MM-DD.";
			return -1;
		}
		if (parse_date(c->until, &ul, why) == -1)
			return -1;
		ul.h = ul.mi = ul.s = 0;
		add_days(&ul, 1);
		until = local_utc(z, &ul) - 1;
		if (until < first) {
			*why = "The end date is before the first fire: pick "
			    "an end date on or after it.";
			return -1;
		}
		r.until = icaltime_from_timet_with_zone((time_t)until, 0,
		    icaltimezone_get_utc_timezone());
		break;
	default:
		*why = "The end choice is not one of never, after a number "
		    "of times or on a date.";
		return -1;
	}
	if ((s = icalrecurrencetype_as_string_r(&r)) == NULL) {
		*why = "libical could not write the rule.";
		return -1;
	}
	if (strlen(s) >= RECUR_RULE_MAX) {
		icalmemory_free_buffer(s);
		*why = "The rule is longer than 511 characters.";
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	icalmemory_free_buffer(s);
	return 0;
}

/*
 * NULL if no by-list but those in "keep" (KEEP_* bits) is set, else
 * the sentence naming the first other one.
 */
#define	KEEP_DAY	0x1
#define	KEEP_MONTHDAY	0x2
#define	BY_WHY(x)	"The form cannot show this rule: it uses " x \
			" (the form has weekdays for weekly rules and one " \
			"day of the month for monthly rules)."

static const char *
by_extra(const struct icalrecurrencetype *r, int keep)
{

	if (by_set(r->by_second))
		return BY_WHY("BYSECOND");
	if (by_set(r->by_minute))
		return BY_WHY("BYMINUTE");
	if (by_set(r->by_hour))
		return BY_WHY("BYHOUR");
	if (by_set(r->by_day) && !(keep & KEEP_DAY))
		return BY_WHY("BYDAY");
	if (by_set(r->by_month_day) && !(keep & KEEP_MONTHDAY))
		return BY_WHY("BYMONTHDAY");
	if (by_set(r->by_year_day))
		return BY_WHY("BYYEARDAY");
	if (by_set(r->by_week_no))
		return BY_WHY("BYWEEKNO");
	if (by_set(r->by_month))
		return BY_WHY("BYMONTH");
	if (by_set(r->by_set_pos))
		return BY_WHY("BYSETPOS");
	return NULL;
}

/* recur_rule_parse() (recur.h) without the lock. */
static int
recur_rule_parse_u(const char *rrule, const char *tz, struct recur_controls *c,
    const char **why)
{
	struct rule	 ru;
	icaltimezone	*z;
	struct lt	 l;
	const char	*extra;
	int		 i, wd, keep = 0;

	memset(c, 0, sizeof(*c));
	c->freq = RECUR_NONE;
	c->interval = 1;
	c->end = RECUR_END_NEVER;
	if ((z = zone_get(tz, why)) == NULL)
		return -1;
	if (rrule == NULL || rrule[0] == '\0')
		return 0;
	if (rule_load(z, rrule, &ru, why) == -1)
		return -1;
	switch (ru.r.freq) {
	case ICAL_DAILY_RECURRENCE:
		c->freq = RECUR_DAILY;
		break;
	case ICAL_WEEKLY_RECURRENCE:
		c->freq = RECUR_WEEKLY;
		keep = KEEP_DAY;
		break;
	case ICAL_MONTHLY_RECURRENCE:
		c->freq = RECUR_MONTHLY;
		keep = KEEP_MONTHDAY;
		break;
	default:
		c->freq = RECUR_YEARLY;
		break;
	}
	if ((extra = by_extra(&ru.r, keep)) != NULL) {
		*why = extra;
		goto refuse;
	}
	if (ru.r.week_start != ICAL_MONDAY_WEEKDAY) {
		*why = "The form cannot show this rule: its weeks start on "
		    "another day than Monday (WKST).";
		goto refuse;
	}
	if (ru.r.interval < 1 || ru.r.interval > RECUR_INTERVAL_MAX) {
		*why = "The form cannot show this rule: its interval is "
		    "over 99.";
		goto refuse;
	}
	c->interval = ru.r.interval;
	for (i = 0; i < ICAL_BY_DAY_SIZE &&
	    ru.r.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		if (icalrecurrencetype_day_position(ru.r.by_day[i]) != 0) {
			*why = "The form cannot show this rule: it names "
			    "a weekday by its position (such as 1MO).";
			goto refuse;
		}
		wd = (int)icalrecurrencetype_day_day_of_week(ru.r.by_day[i]);
		if (wd < ICAL_SUNDAY_WEEKDAY || wd > ICAL_SATURDAY_WEEKDAY) {
			*why = "The rule names a weekday that does not exist.";
			goto refuse;
		}
		/* libical: 1 Sunday, 2 Monday .. 7 Saturday. */
		c->weekdays |= 1u << (wd == ICAL_SUNDAY_WEEKDAY ? 6 :
		    wd - ICAL_MONDAY_WEEKDAY);
	}
	if (by_set(ru.r.by_month_day)) {
		if (ru.r.by_month_day[1] != ICAL_RECURRENCE_ARRAY_MAX ||
		    ru.r.by_month_day[0] < 1 || ru.r.by_month_day[0] > 31) {
			*why = "The form cannot show this rule: it names "
			    "more than one day of the month, or one counted "
			    "from the end.";
			goto refuse;
		}
		c->monthday = ru.r.by_month_day[0];
	}
	if (ru.r.count != 0) {
		if (ru.r.count < 1 || ru.r.count > RECUR_COUNT_MAX) {
			*why = "The form cannot show this rule: it repeats "
			    "more than 1000 times (COUNT).";
			goto refuse;
		}
		c->end = RECUR_END_COUNT;
		c->count = ru.r.count;
	} else if (ru.has_until) {
		/* The local date of the UNTIL instant (built as the end
		   of that date, 23:59:59 local). */
		if (!t_in_range(ru.until)) {
			*why = "The rule's UNTIL is outside the years 1970 "
			    "to 2500.";
			goto refuse;
		}
		utc_local(z, ru.until, &l);
		c->end = RECUR_END_UNTIL;
		snprintf(c->until, sizeof(c->until), "%04d-%02d-%02d", l.y,
		    l.mo, l.d);
	}
	return 0;
refuse:
	memset(c, 0, sizeof(*c));
	c->freq = RECUR_NONE;
	c->interval = 1;
	c->end = RECUR_END_NEVER;
	return -1;
}

/* recur_summary() (recur.h) without the lock. */
static int
recur_summary_u(const char *tz, int64_t first, const char *rrule,
    struct buf *out, const char **why)
{
	struct recur_controls	 c;
	icaltimezone		*z;
	struct lt		 l0;
	unsigned int		 wd;
	int			 i, n, md;

	if (first_local(tz, first, &z, &l0, why) == -1)
		return -1;
	if (recur_rule_parse_u(rrule, tz, &c, why) == -1)
		return -1;
	switch (c.freq) {
	case RECUR_NONE:
		buf_printf(out, "Once on %04d-%02d-%02d", l0.y, l0.mo, l0.d);
		break;
	case RECUR_DAILY:
		if (c.interval == 1)
			buf_puts(out, "Every day");
		else
			buf_printf(out, "Every %d days", c.interval);
		break;
	case RECUR_WEEKLY:
		if (c.interval == 1)
			buf_puts(out, "Every ");
		else
			buf_printf(out, "Every %d weeks on ", c.interval);
		wd = c.weekdays != 0 ? c.weekdays : 1u << weekday(&l0);
		for (i = 0, n = 0; i < 7; i++)
			if (wd & (1u << i))
				buf_printf(out, "%s%s", n++ ? ", " : "",
				    wdnames[i]);
		break;
	case RECUR_MONTHLY:
		if (c.interval == 1)
			buf_puts(out, "Every month");
		else
			buf_printf(out, "Every %d months", c.interval);
		md = c.monthday != 0 ? c.monthday : l0.d;
		buf_printf(out, " on day %d", md);
		if (md >= 29)
			buf_puts(out, " (months without one are skipped)");
		break;
	case RECUR_YEARLY:
		if (c.interval == 1)
			buf_puts(out, "Every year");
		else
			buf_printf(out, "Every %d years", c.interval);
		buf_printf(out, " on %s %d", monnames[l0.mo - 1], l0.d);
		if (l0.mo == 2 && l0.d == 29)
			buf_puts(out, " (leap years only)");
		break;
	}
	buf_printf(out, " at %02d:%02d %s", l0.h, l0.mi, tz);
	if (c.end == RECUR_END_COUNT) {
		if (c.count == 1)
			buf_puts(out, ", once");
		else
			buf_printf(out, ", %d times", c.count);
	} else if (c.end == RECUR_END_UNTIL)
		buf_printf(out, " until %s", c.until);
	return 0;
}

/*
 * The public functions: each holds recur_lock around its work, as the
 * FastCGI program calls them from several worker threads and libical's
 * zone cache (and the expansion of a zone's changes) is shared.
 */
static pthread_mutex_t	 recur_lock = PTHREAD_MUTEX_INITIALIZER;

#define	LOCKED(call) do {						\
	int	 rv_;							\
									\
	pthread_mutex_lock(&recur_lock);				\
	rv_ = (call);							\
	pthread_mutex_unlock(&recur_lock);				\
	return rv_;							\
} while (0)

int
recur_zone_valid(const char *tz)
{

	LOCKED(recur_zone_valid_u(tz));
}

int
recur_local_to_utc(const char *tz, const char *local, int64_t *out,
    const char **why)
{

	LOCKED(recur_local_to_utc_u(tz, local, out, why));
}

int
recur_utc_to_local(const char *tz, int64_t t, char *out, size_t outsz)
{

	LOCKED(recur_utc_to_local_u(tz, t, out, outsz));
}

int
recur_rule_build(const struct recur_controls *c, const char *tz,
    int64_t first, char *out, const char **why)
{

	LOCKED(recur_rule_build_u(c, tz, first, out, why));
}

int
recur_rule_parse(const char *rrule, const char *tz, struct recur_controls *c,
    const char **why)
{

	LOCKED(recur_rule_parse_u(rrule, tz, c, why));
}

int
recur_next(const char *tz, int64_t first, const char *rrule,
    int64_t after, int64_t *out, int n, const char **why)
{

	LOCKED(recur_next_u(tz, first, rrule, after, out, n, why));
}

int
recur_validate(const char *tz, int64_t first, const char *rrule,
    const char **why)
{

	LOCKED(recur_validate_u(tz, first, rrule, why));
}

int
recur_summary(const char *tz, int64_t first, const char *rrule,
    struct buf *out, const char **why)
{

	LOCKED(recur_summary_u(tz, first, rrule, out, why));
}

int
recur_window_end(const char *tz, int64_t at, int hour, int64_t *out,
    const char **why)
{

	LOCKED(recur_window_end_u(tz, at, hour, out, why));
}
