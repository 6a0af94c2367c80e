/*
 * Tests for lib/recur.c: zones and local times (DST gaps and overlaps
 * in Europe/Berlin and America/New_York), occurrences of daily,
 * weekly, monthly and yearly rules with INTERVAL, COUNT and UNTIL,
 * rules that never fire, the form's controls to a rule and back,
 * summaries and delivery window ends.  Expected instants were worked
 * out independently (Python's zoneinfo over the same tzdata); most
 * checks compare local wall-clock strings, which say what the
 * operator sees.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "recur.h"
#include "t.h"

#define	BER	"Europe/Berlin"
#define	NYC	"America/New_York"

/*
 * "local" in zone "tz" as Unix seconds; -1 (never a test value) on
 * error, said on stderr unless the zone is one a test makes up.
 */
static int64_t
at(const char *tz, const char *local)
{
	const char	*why = NULL;
	int64_t		 t;

	if (recur_local_to_utc(tz, local, &t, &why) == -1) {
		if (recur_zone_valid(tz))
			fprintf(stderr, "at(%s, %s): %s\n", tz, local, why);
		return -1;
	}
	return t;
}

/* "t" as local "YYYY-MM-DDTHH:MM" in "tz" (static, per call slot). */
static const char *
loc(const char *tz, int64_t t)
{
	static char	 out[8][32];
	static int	 slot;
	char		*p = out[slot++ % 8];

	if (recur_utc_to_local(tz, t, p, 32) == -1)
		snprintf(p, 32, "(error %lld)", (long long)t);
	return p;
}

/*
 * The occurrences of (tz, first local, rule) after "after" (local;
 * NULL: one second before first), at most n, as one string of local
 * times separated by spaces ("" for none, "ERR: why" on error).
 */
static const char *
occ(const char *tz, const char *first, const char *rule, const char *after,
    int n)
{
	static char	 out[2048];
	const char	*why = NULL;
	int64_t		 f, a, t[64];
	size_t		 len;
	int		 i, k;

	f = at(tz, first);
	a = after == NULL ? f - 1 : at(tz, after);
	if (n > 64)
		n = 64;
	k = recur_next(tz, f, rule, a, t, n, &why);
	if (k == -1) {
		snprintf(out, sizeof(out), "ERR: %s", why);
		return out;
	}
	out[0] = '\0';
	for (i = 0, len = 0; i < k && len < sizeof(out); i++)
		len += snprintf(out + len, sizeof(out) - len, "%s%s",
		    i > 0 ? " " : "", loc(tz, t[i]));
	return out;
}

/* The rule built from "c" with first fire "first" (local), or "ERR: why". */
static const char *
build(const struct recur_controls *c, const char *tz, const char *first)
{
	static char	 out[RECUR_RULE_MAX + 64];
	char		 r[RECUR_RULE_MAX];
	const char	*why = NULL;

	if (recur_rule_build(c, tz, at(tz, first), r, &why) == -1)
		snprintf(out, sizeof(out), "ERR: %s", why);
	else
		snprintf(out, sizeof(out), "%s", r);
	return out;
}

/* The summary of (tz, first local, rule), or "ERR: why". */
static const char *
summ(const char *tz, const char *first, const char *rule)
{
	static char	 out[512];
	struct buf	 b;
	const char	*why = NULL;

	buf_init(&b);
	if (recur_summary(tz, at(tz, first), rule, &b, &why) == -1)
		snprintf(out, sizeof(out), "ERR: %s", why);
	else
		snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

static struct recur_controls
ctl(enum recur_freq f, int interval, unsigned int wd, int md,
    enum recur_end e, int count, const char *until)
{
	struct recur_controls	 c;

	memset(&c, 0, sizeof(c));
	c.freq = f;
	c.interval = interval;
	c.weekdays = wd;
	c.monthday = md;
	c.end = e;
	c.count = count;
	snprintf(c.until, sizeof(c.until), "%s", until);
	return c;
}

/* 1 if "s" starts with "pre". */
static int
starts(const char *s, const char *pre)
{

	if (strncmp(s, pre, strlen(pre)) == 0)
		return 1;
	fprintf(stderr, "\"%s\" does not start with \"%s\"\n", s, pre);
	return 0;
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- zones and local times --- */

static int
zone_valid(void)
{

	return T_TRUE(recur_zone_valid(BER)) && T_TRUE(recur_zone_valid(NYC)) &&
	    T_TRUE(recur_zone_valid("UTC")) &&
	    T_TRUE(recur_zone_valid("Asia/Kolkata")) &&
	    T_TRUE(!recur_zone_valid("Nope/Zone")) &&
	    T_TRUE(!recur_zone_valid("")) && T_TRUE(!recur_zone_valid(NULL)) &&
	    T_TRUE(!recur_zone_valid("../../etc/passwd")) &&
	    T_TRUE(!recur_zone_valid("/usr/share/zoneinfo/UTC")) &&
	    T_TRUE(!recur_zone_valid("Europe/Berlin/")) &&
	    T_TRUE(!recur_zone_valid("Europe//Berlin")) &&
	    T_TRUE(!recur_zone_valid("Europe/Berlin ")) &&
	    T_TRUE(!recur_zone_valid("localtime")) &&
	    T_TRUE(!recur_zone_valid("zone.tab")) &&
	    T_TRUE(!recur_zone_valid("europe/berlin")) &&
	    T_TRUE(!recur_zone_valid("Europe")) &&
	    T_TRUE(!recur_zone_valid("A/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static int
local_plain(void)
{

	return T_INTEQ(at(BER, "2026-12-05T09:00"), 1796457600) &&
	    T_INTEQ(at("UTC", "2026-12-05T09:00"), 1796461200) &&
	    T_INTEQ(at("UTC", "2026-12-05 09:00:30"), 1796461230) &&
	    T_INTEQ(at(BER, "2026-03-27T09:00"), 1774598400) &&
	    T_INTEQ(at(BER, "2026-10-23T09:00"), 1792738800);
}

/* A time skipped by spring-forward moves forward by the gap. */
static int
local_gap(void)
{

	return T_INTEQ(at(BER, "2026-03-29T02:30"), 1774747800) &&
	    T_STREQ(loc(BER, at(BER, "2026-03-29T02:30")),
	    "2026-03-29T03:30") &&
	    T_INTEQ(at(BER, "2026-03-29T02:00"), at(BER, "2026-03-29T03:00")) &&
	    T_INTEQ(at(NYC, "2026-03-08T02:30"), 1772955000) &&
	    T_STREQ(loc(NYC, 1772955000), "2026-03-08T03:30");
}

/* An ambiguous time (fall-back) takes the first, summer-time one. */
static int
local_overlap(void)
{

	return T_INTEQ(at(BER, "2026-10-25T02:30"), 1792888200) &&
	    T_INTEQ(at(BER, "2026-10-25T03:00") - at(BER, "2026-10-25T02:00"),
	    7200) &&
	    T_INTEQ(at(NYC, "2026-11-01T01:30"), 1793511000) &&
	    T_STREQ(loc(NYC, 1793511000 + 3600), "2026-11-01T01:30");
}

static int
local_bad(void)
{
	static const char *const bad[] = {
		"2026-02-29T09:00", "2026-02-30T09:00", "2026-13-01T09:00",
		"2026-00-10T09:00", "2026-12-00T09:00", "2026-12-05 9:00",
		"2026-12-05T24:00", "2026-12-05T09:60", "2026-12-05T09:00:60",
		"", "2026-12-05", "2026-12-05T09:00Z", "2026-12-05T09:00:00x",
		"1969-12-31T23:00", "2501-01-01T00:00", "2026/12/05T09:00",
		"+026-12-05T09:00", "2026-12-05T09:0", "２026-12-05T09:00",
	};
	const char	*why;
	int64_t		 t;
	size_t		 i;

	for (i = 0; i < T_NCASES(bad); i++) {
		why = NULL;
		if (!T_INTEQ(recur_local_to_utc(BER, bad[i], &t, &why), -1) ||
		    !T_TRUE(why != NULL && why[0] != '\0')) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
			return 0;
		}
	}
	why = NULL;
	return T_INTEQ(recur_local_to_utc(BER, NULL, &t, &why), -1) &&
	    T_TRUE(why != NULL) &&
	    T_INTEQ(recur_local_to_utc(BER, "2024-02-29T23:59:59", &t, &why),
	    0);
}

static int
local_unknown_zone(void)
{
	const char	*why = NULL;
	int64_t		 t;
	char		 s[32];

	return T_INTEQ(recur_local_to_utc("Mars/Olympus", "2026-12-05T09:00",
	    &t, &why), -1) && T_TRUE(why != NULL && strstr(why, "zone")) &&
	    T_INTEQ(recur_utc_to_local("Mars/Olympus", 1796457600, s,
	    sizeof(s)), -1);
}

static int
utc_to_local(void)
{
	char	 s[17];

	return T_INTEQ(recur_utc_to_local(BER, 1796457600, s, sizeof(s)), 0) &&
	    T_STREQ(s, "2026-12-05T09:00") &&
	    T_INTEQ(recur_utc_to_local(NYC, 1796457600, s, sizeof(s)), 0) &&
	    T_STREQ(s, "2026-12-05T03:00") &&
	    T_INTEQ(recur_utc_to_local("UTC", -31536000, s, sizeof(s)), -1) &&
	    T_INTEQ(recur_utc_to_local(BER, 1796457600, s, 16), -1) &&
	    T_STREQ(loc(BER, 2847769200), "2060-03-29T09:00") &&
	    T_STREQ(loc(NYC, 4000000000), "2096-10-02T03:06");
}

/* --- occurrences --- */

static int
one_off(void)
{

	return T_STREQ(occ(BER, "2026-12-05T09:00", NULL, NULL, 5),
	    "2026-12-05T09:00") &&
	    T_STREQ(occ(BER, "2026-12-05T09:00", "", NULL, 5),
	    "2026-12-05T09:00") &&
	    T_STREQ(occ(BER, "2026-12-05T09:00", NULL, "2026-12-05T09:00", 5),
	    "") &&
	    T_STREQ(occ(BER, "2026-12-05T09:00", NULL, NULL, 0), "");
}

static int
daily(void)
{

	return T_STREQ(occ(BER, "2026-12-05T09:00", "FREQ=DAILY", NULL, 3),
	    "2026-12-05T09:00 2026-12-06T09:00 2026-12-07T09:00") &&
	    T_STREQ(occ(BER, "2026-12-30T23:30", "FREQ=DAILY;INTERVAL=2",
	    NULL, 3), "2026-12-30T23:30 2027-01-01T23:30 2027-01-03T23:30");
}

/* 09:00 stays 09:00 local across spring-forward, 23 h apart in UTC. */
static int
dst_spring_berlin(void)
{
	const char	*why = NULL;
	int64_t		 t[3];

	return T_STREQ(occ(BER, "2026-03-28T09:00", "FREQ=DAILY", NULL, 3),
	    "2026-03-28T09:00 2026-03-29T09:00 2026-03-30T09:00") &&
	    T_INTEQ(recur_next(BER, at(BER, "2026-03-28T09:00"), "FREQ=DAILY",
	    0, t, 3, &why), 3) && T_INTEQ(t[1] - t[0], 23 * 3600) &&
	    T_INTEQ(t[2] - t[1], 24 * 3600);
}

static int
dst_fall_berlin(void)
{
	const char	*why = NULL;
	int64_t		 t[2];

	return T_STREQ(occ(BER, "2026-10-19T09:00", "FREQ=WEEKLY;BYDAY=MO,SU",
	    NULL, 4), "2026-10-19T09:00 2026-10-25T09:00 2026-10-26T09:00 "
	    "2026-11-01T09:00") &&
	    T_INTEQ(recur_next(BER, at(BER, "2026-10-24T09:00"), "FREQ=DAILY",
	    0, t, 2, &why), 2) && T_INTEQ(t[1] - t[0], 25 * 3600);
}

static int
dst_new_york(void)
{

	return T_STREQ(occ(NYC, "2026-03-07T09:00", "FREQ=DAILY", NULL, 3),
	    "2026-03-07T09:00 2026-03-08T09:00 2026-03-09T09:00") &&
	    T_INTEQ(at(NYC, "2026-03-08T09:00") - at(NYC, "2026-03-07T09:00"),
	    23 * 3600) &&
	    T_STREQ(occ(NYC, "2026-10-31T09:00", "FREQ=DAILY", NULL, 2),
	    "2026-10-31T09:00 2026-11-01T09:00") &&
	    T_INTEQ(at(NYC, "2026-11-01T09:00") - at(NYC, "2026-10-31T09:00"),
	    25 * 3600);
}

/* A 02:30 daily fire: 03:30 on the spring-forward day, then 02:30. */
static int
dst_0230(void)
{

	return T_STREQ(occ(BER, "2026-03-28T02:30", "FREQ=DAILY", NULL, 3),
	    "2026-03-28T02:30 2026-03-29T03:30 2026-03-30T02:30") &&
	    T_STREQ(occ(NYC, "2026-03-07T02:30", "FREQ=DAILY", NULL, 3),
	    "2026-03-07T02:30 2026-03-08T03:30 2026-03-09T02:30") &&
	    /* The fall-back day's 02:30 fires once, the first time. */
	    T_STREQ(occ(BER, "2026-10-24T02:30", "FREQ=DAILY", NULL, 3),
	    "2026-10-24T02:30 2026-10-25T02:30 2026-10-26T02:30");
}

static int
weekly_weekdays(void)
{

	return T_STREQ(occ(BER, "2026-12-07T09:00",
	    "FREQ=WEEKLY;BYDAY=MO,WE,FR", NULL, 5),
	    "2026-12-07T09:00 2026-12-09T09:00 2026-12-11T09:00 "
	    "2026-12-14T09:00 2026-12-16T09:00") &&
	    T_STREQ(occ(BER, "2026-12-07T09:00",
	    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", NULL, 4),
	    "2026-12-07T09:00 2026-12-10T09:00 2026-12-21T09:00 "
	    "2026-12-24T09:00") &&
	    T_STREQ(occ(BER, "2026-12-07T09:00", "FREQ=WEEKLY", NULL, 2),
	    "2026-12-07T09:00 2026-12-14T09:00");
}

/* Decided: a first fire on a day the rule excludes is not an occurrence. */
static int
weekly_first_excluded(void)
{

	return T_STREQ(occ(BER, "2026-12-07T09:00", "FREQ=WEEKLY;BYDAY=TU,TH",
	    NULL, 3), "2026-12-08T09:00 2026-12-10T09:00 2026-12-15T09:00") &&
	    T_STREQ(occ(BER, "2026-12-07T09:00",
	    "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=2", NULL, 5),
	    "2026-12-08T09:00 2026-12-10T09:00");
}

/* Day 31 skips the months without one (RFC 5545). */
static int
monthly_31(void)
{

	return T_STREQ(occ("UTC", "2026-01-31T08:30",
	    "FREQ=MONTHLY;BYMONTHDAY=31", NULL, 5),
	    "2026-01-31T08:30 2026-03-31T08:30 2026-05-31T08:30 "
	    "2026-07-31T08:30 2026-08-31T08:30") &&
	    T_STREQ(occ("UTC", "2026-01-31T08:30",
	    "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31", NULL, 4),
	    "2026-01-31T08:30 2026-03-31T08:30 2026-05-31T08:30 "
	    "2026-07-31T08:30") &&
	    /* Monthday 0 (the first fire's day) skips the same way. */
	    T_STREQ(occ("UTC", "2026-01-31T08:30", "FREQ=MONTHLY", NULL, 3),
	    "2026-01-31T08:30 2026-03-31T08:30 2026-05-31T08:30") &&
	    T_STREQ(occ("UTC", "2026-04-15T08:30",
	    "FREQ=MONTHLY;BYMONTHDAY=31", NULL, 2),
	    "2026-05-31T08:30 2026-07-31T08:30") &&
	    T_STREQ(occ(BER, "2027-01-30T10:00",
	    "FREQ=MONTHLY;BYMONTHDAY=30", NULL, 3),
	    "2027-01-30T10:00 2027-03-30T10:00 2027-04-30T10:00");
}

static int
monthly_interval(void)
{

	return T_STREQ(occ(BER, "2026-11-15T12:00",
	    "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", NULL, 3),
	    "2026-11-15T12:00 2027-02-15T12:00 2027-05-15T12:00") &&
	    T_STREQ(occ(BER, "2026-11-15T12:00", "FREQ=MONTHLY", NULL, 2),
	    "2026-11-15T12:00 2026-12-15T12:00");
}

static int
yearly(void)
{

	return T_STREQ(occ(BER, "2026-12-05T09:00", "FREQ=YEARLY", NULL, 3),
	    "2026-12-05T09:00 2027-12-05T09:00 2028-12-05T09:00") &&
	    T_STREQ(occ(BER, "2026-07-01T09:00", "FREQ=YEARLY;INTERVAL=2",
	    NULL, 2), "2026-07-01T09:00 2028-07-01T09:00");
}

static int
yearly_feb29(void)
{

	return T_STREQ(occ(BER, "2028-02-29T09:00", "FREQ=YEARLY", NULL, 3),
	    "2028-02-29T09:00 2032-02-29T09:00 2036-02-29T09:00") &&
	    T_STREQ(occ(BER, "2096-02-29T09:00", "FREQ=YEARLY", NULL, 2),
	    "2096-02-29T09:00 2104-02-29T09:00");
}

static int
count_limits(void)
{

	return T_STREQ(occ(BER, "2026-12-05T09:00", "FREQ=DAILY;COUNT=3",
	    NULL, 10), "2026-12-05T09:00 2026-12-06T09:00 2026-12-07T09:00") &&
	    T_STREQ(occ(BER, "2026-12-05T09:00", "FREQ=DAILY;COUNT=3",
	    "2026-12-07T09:00", 10), "") &&
	    T_STREQ(occ(BER, "2026-12-05T09:00", "FREQ=DAILY;COUNT=1",
	    NULL, 10), "2026-12-05T09:00");
}

/* UNTIL as the form builds it: the whole until date counts. */
static int
until_inclusive(void)
{
	struct recur_controls	 c;
	char			 rule[RECUR_RULE_MAX];

	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_UNTIL, 0, "2026-12-08");
	snprintf(rule, sizeof(rule), "%s", build(&c, BER, "2026-12-05T23:30"));
	return T_STREQ(rule, "FREQ=DAILY;UNTIL=20261208T225959Z") &&
	    T_STREQ(occ(BER, "2026-12-05T23:30", rule, NULL, 10),
	    "2026-12-05T23:30 2026-12-06T23:30 2026-12-07T23:30 "
	    "2026-12-08T23:30") &&
	    T_STREQ(occ(BER, "2026-12-05T23:30", "FREQ=DAILY;UNTIL=20261208",
	    NULL, 10), "2026-12-05T23:30 2026-12-06T23:30 2026-12-07T23:30 "
	    "2026-12-08T23:30") &&
	    /* An UNTIL at the very instant of an occurrence includes it. */
	    T_STREQ(occ("UTC", "2026-12-05T09:00",
	    "FREQ=DAILY;UNTIL=20261207T090000Z", NULL, 10),
	    "2026-12-05T09:00 2026-12-06T09:00 2026-12-07T09:00");
}

static int
next_after_between(void)
{
	const char	*why = NULL;
	int64_t		 t[4];

	return T_STREQ(occ(BER, "2026-12-07T09:00",
	    "FREQ=WEEKLY;BYDAY=MO,WE,FR", "2026-12-10T12:00", 2),
	    "2026-12-11T09:00 2026-12-14T09:00") &&
	    T_STREQ(occ(BER, "2026-12-07T09:00", "FREQ=WEEKLY;BYDAY=MO,WE,FR",
	    "2026-12-09T09:00", 1), "2026-12-11T09:00") &&
	    /* More asked for than are left. */
	    T_INTEQ(recur_next(BER, at(BER, "2026-12-05T09:00"),
	    "FREQ=DAILY;COUNT=4", at(BER, "2026-12-06T10:00"), t, 4, &why),
	    2) && T_STREQ(loc(BER, t[0]), "2026-12-07T09:00") &&
	    T_STREQ(loc(BER, t[1]), "2026-12-08T09:00");
}

static int
next_args(void)
{
	const char	*why = NULL;
	int64_t		 t;

	return T_INTEQ(recur_next(BER, 1796457600, "FREQ=DAILY", 0, &t, -1,
	    &why), -1) && T_TRUE(why != NULL) &&
	    T_INTEQ(recur_next(BER, 1796457600, "FREQ=DAILY", 0, NULL, 1,
	    &why), -1) &&
	    T_INTEQ(recur_next(BER, 1796457600, "FREQ=DAILY", 0, NULL, 0,
	    &why), 0) &&
	    T_INTEQ(recur_next("Nope/Zone", 1796457600, "FREQ=DAILY", 0, &t,
	    1, &why), -1) && T_TRUE(strstr(why, "zone") != NULL) &&
	    T_INTEQ(recur_next(BER, 1796457600, "FREQ=NEVER", 0, &t, 1, &why),
	    -1) && T_TRUE(strstr(why, "RRULE") != NULL) &&
	    T_TRUE(starts(occ(BER, "2026-12-05T09:00", "RRULE:FREQ=DAILY",
	    NULL, 1), "2026-12-05T09:00")) &&
	    /* Any "after" at all. */
	    T_INTEQ(recur_next(BER, 1796457600, "FREQ=DAILY", INT64_MIN, &t,
	    1, &why), 1) && T_INTEQ(t, 1796457600) &&
	    T_INTEQ(recur_next(BER, 1796457600, "FREQ=DAILY;COUNT=3",
	    INT64_MAX, &t, 1, &why), 0) &&
	    T_INTEQ(recur_next(BER, 1796457600, NULL, INT64_MIN, &t, 1, &why),
	    1);
}

/* Rules with no instance answer 0, quickly. */
static int
never_fires(void)
{
	static const char *const rules[] = {
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
		"FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=31",
		"FREQ=MONTHLY;BYMONTH=11;BYMONTHDAY=-31",
		"FREQ=DAILY;UNTIL=20261201T000000Z",
	};
	const char	*why;
	int64_t		 t[5];
	double		 t0;
	size_t		 i;

	for (i = 0; i < T_NCASES(rules); i++) {
		why = NULL;
		t0 = now_s();
		if (!T_INTEQ(recur_next(BER, 1796457600, rules[i], 0, t, 5,
		    &why), 0) || !T_TRUE(now_s() - t0 < 0.05)) {
			fprintf(stderr, "rule %s\n", rules[i]);
			return 0;
		}
	}
	return 1;
}

/* Sub-daily rules are refused at once (libical can spin on them). */
static int
subdaily_refused(void)
{
	const char	*why = NULL;
	int64_t		 t;
	double		 t0 = now_s();

	return T_INTEQ(recur_next(BER, 1796457600,
	    "FREQ=SECONDLY;BYYEARDAY=366;BYMONTH=2", 0, &t, 1, &why), -1) &&
	    T_TRUE(strstr(why, "daily") != NULL) &&
	    T_INTEQ(recur_next(BER, 1796457600, "FREQ=HOURLY", 0, &t, 1,
	    &why), -1) && T_TRUE(now_s() - t0 < 0.05);
}

/* What RFC 5545 forbids is refused at once (libical would walk years). */
static int
rfc_refused(void)
{
	static const char *const rules[] = {
		"FREQ=DAILY;BYDAY=1MO", "FREQ=WEEKLY;BYDAY=-1FR",
		"FREQ=MONTHLY;BYWEEKNO=3", "FREQ=DAILY;BYYEARDAY=60",
		"FREQ=WEEKLY;BYMONTHDAY=3",
	};
	const char	*why;
	int64_t		 t;
	double		 t0;
	size_t		 i;

	for (i = 0; i < T_NCASES(rules); i++) {
		why = NULL;
		t0 = now_s();
		if (!T_INTEQ(recur_next(BER, 1796457600, rules[i], 0, &t, 1,
		    &why), -1) || !T_TRUE(starts(why, "The rule breaks RFC")) ||
		    !T_TRUE(now_s() - t0 < 0.05)) {
			fprintf(stderr, "rule %s\n", rules[i]);
			return 0;
		}
	}
	return T_STREQ(occ("UTC", "2026-01-01T09:00",
	    "FREQ=MONTHLY;BYDAY=-1FR;COUNT=2", NULL, 5),
	    "2026-01-30T09:00 2026-02-27T09:00");
}

/* A rare but real rule is found within the bound. */
static int
rare_rule(void)
{

	return T_STREQ(occ("UTC", "2026-01-01T09:00",
	    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", NULL, 2),
	    "2044-02-29T09:00 2072-02-29T09:00");
}

static int
validate(void)
{
	const char	*why = NULL;
	int64_t		 f = 1796457600;

	return T_INTEQ(recur_validate(BER, f, NULL, &why), 0) &&
	    T_INTEQ(recur_validate(BER, f, "FREQ=WEEKLY;BYDAY=MO,WE", &why),
	    0) &&
	    T_INTEQ(recur_validate("Nope/Zone", f, NULL, &why), -1) &&
	    T_TRUE(strstr(why, "zone") != NULL) &&
	    T_INTEQ(recur_validate(BER, f, "FREQ=DAILY;UNTIL=20261201T000000Z",
	    &why), -1) && T_TRUE(starts(why, "The rule never fires")) &&
	    T_INTEQ(recur_validate(BER, f, "FREQ=YEARLY;BYMONTH=2;"
	    "BYMONTHDAY=31", &why), -1) &&
	    T_TRUE(starts(why, "The form cannot show")) &&
	    T_INTEQ(recur_validate(BER, f, "FREQ=DAILY;BYHOUR=9", &why), -1) &&
	    T_INTEQ(recur_validate(BER, f, "bogus", &why), -1);
}

/* --- controls to rules and back --- */

static int
build_rules(void)
{
	struct recur_controls	 c;

	c = ctl(RECUR_NONE, 1, 0, 0, RECUR_END_NEVER, 0, "");
	if (!T_STREQ(build(&c, BER, "2026-12-05T09:00"), ""))
		return 0;
	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_NEVER, 0, "");
	if (!T_STREQ(build(&c, BER, "2026-12-05T09:00"), "FREQ=DAILY"))
		return 0;
	c = ctl(RECUR_WEEKLY, 2, 0x15, 0, RECUR_END_COUNT, 10, "");
	if (!T_STREQ(build(&c, BER, "2026-12-07T09:00"),
	    "FREQ=WEEKLY;COUNT=10;INTERVAL=2;BYDAY=MO,WE,FR"))
		return 0;
	c = ctl(RECUR_WEEKLY, 1, 0x40, 0, RECUR_END_NEVER, 0, "");
	if (!T_STREQ(build(&c, BER, "2026-12-06T09:00"),
	    "FREQ=WEEKLY;BYDAY=SU"))
		return 0;
	c = ctl(RECUR_WEEKLY, 1, 0, 0, RECUR_END_NEVER, 0, "");
	if (!T_STREQ(build(&c, BER, "2026-12-06T09:00"), "FREQ=WEEKLY"))
		return 0;
	c = ctl(RECUR_MONTHLY, 2, 0, 31, RECUR_END_COUNT, 10, "");
	if (!T_STREQ(build(&c, "UTC", "2026-01-31T08:30"),
	    "FREQ=MONTHLY;COUNT=10;INTERVAL=2;BYMONTHDAY=31"))
		return 0;
	c = ctl(RECUR_YEARLY, 1, 0, 0, RECUR_END_UNTIL, 0, "2030-12-05");
	return T_STREQ(build(&c, NYC, "2026-12-05T09:00"),
	    "FREQ=YEARLY;UNTIL=20301206T045959Z");
}

static int
build_errors(void)
{
	struct recur_controls	 c;

	c = ctl(RECUR_DAILY, 0, 0, 0, RECUR_END_NEVER, 0, "");
	if (!starts(build(&c, BER, "2026-12-05T09:00"), "ERR: The interval"))
		return 0;
	c.interval = 100;
	if (!starts(build(&c, BER, "2026-12-05T09:00"), "ERR: The interval"))
		return 0;
	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_COUNT, 0, "");
	if (!starts(build(&c, BER, "2026-12-05T09:00"), "ERR: The number"))
		return 0;
	c.count = 1001;
	if (!starts(build(&c, BER, "2026-12-05T09:00"), "ERR: The number"))
		return 0;
	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_UNTIL, 0, "2026-02-30");
	if (!starts(build(&c, BER, "2026-01-05T09:00"), "ERR: The date"))
		return 0;
	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_UNTIL, 0, "2026-2-3");
	if (!starts(build(&c, BER, "2026-01-05T09:00"), "ERR: The end date"))
		return 0;
	c = ctl(RECUR_WEEKLY, 1, 0x80, 0, RECUR_END_NEVER, 0, "");
	if (!starts(build(&c, BER, "2026-01-05T09:00"), "ERR: No weekday"))
		return 0;
	c = ctl(RECUR_MONTHLY, 1, 0, 32, RECUR_END_NEVER, 0, "");
	if (!starts(build(&c, BER, "2026-01-05T09:00"), "ERR: The day"))
		return 0;
	c = ctl((enum recur_freq)9, 1, 0, 0, RECUR_END_NEVER, 0, "");
	if (!starts(build(&c, BER, "2026-01-05T09:00"), "ERR: The repeat"))
		return 0;
	c = ctl(RECUR_DAILY, 1, 0, 0, (enum recur_end)7, 0, "");
	if (!starts(build(&c, BER, "2026-01-05T09:00"), "ERR: The end choice"))
		return 0;
	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_NEVER, 0, "");
	return starts(build(&c, "Nope/Zone", "2026-01-05T09:00"), "ERR: ");
}

/* UNTIL before the first fire: refused with a sentence; the same day is fine. */
static int
build_until_before_first(void)
{
	struct recur_controls	 c;

	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_UNTIL, 0, "2026-12-04");
	if (!T_STREQ(build(&c, BER, "2026-12-05T09:00"),
	    "ERR: The end date is before the first fire: pick an end date on "
	    "or after it."))
		return 0;
	c = ctl(RECUR_DAILY, 1, 0, 0, RECUR_END_UNTIL, 0, "2026-12-05");
	return T_STREQ(build(&c, BER, "2026-12-05T23:59"),
	    "FREQ=DAILY;UNTIL=20261205T225959Z") &&
	    T_STREQ(occ(BER, "2026-12-05T23:59", "FREQ=DAILY;UNTIL="
	    "20261205T225959Z", NULL, 5), "2026-12-05T23:59");
}

static int
ctl_eq(const struct recur_controls *a, const struct recur_controls *b)
{

	return T_INTEQ(a->freq, b->freq) && T_INTEQ(a->interval, b->interval) &&
	    T_INTEQ(a->weekdays, b->weekdays) &&
	    T_INTEQ(a->monthday, b->monthday) && T_INTEQ(a->end, b->end) &&
	    T_INTEQ(a->count, b->count) && T_STREQ(a->until, b->until);
}

/* controls -> rule -> controls -> the same rule, every freq and end. */
static int
round_trip(void)
{
	static const enum recur_freq freqs[] = { RECUR_NONE, RECUR_DAILY,
	    RECUR_WEEKLY, RECUR_MONTHLY, RECUR_YEARLY };
	static const enum recur_end ends[] = { RECUR_END_NEVER,
	    RECUR_END_COUNT, RECUR_END_UNTIL };
	static const char *const zones[] = { BER, NYC, "UTC", "Asia/Kolkata" };
	struct recur_controls	 c, back;
	char			 r1[RECUR_RULE_MAX], r2[RECUR_RULE_MAX];
	const char		*why = NULL;
	int64_t			 f;
	size_t			 i, j, z;

	for (z = 0; z < T_NCASES(zones); z++)
	for (i = 0; i < T_NCASES(freqs); i++)
	for (j = 0; j < T_NCASES(ends); j++) {
		f = at(zones[z], "2026-03-31T23:30");
		c = ctl(freqs[i], freqs[i] == RECUR_NONE ? 1 : 3,
		    freqs[i] == RECUR_WEEKLY ? 0x49 : 0,
		    freqs[i] == RECUR_MONTHLY ? 31 : 0, ends[j],
		    ends[j] == RECUR_END_COUNT ? 7 : 0,
		    ends[j] == RECUR_END_UNTIL ? "2026-10-25" : "");
		if (freqs[i] == RECUR_NONE) {
			c.end = RECUR_END_NEVER;
			c.count = 0;
			c.until[0] = '\0';
		}
		if (!T_INTEQ(recur_rule_build(&c, zones[z], f, r1, &why), 0) ||
		    !T_INTEQ(recur_rule_parse(r1, zones[z], &back, &why), 0) ||
		    !ctl_eq(&back, &c) ||
		    !T_INTEQ(recur_rule_build(&back, zones[z], f, r2, &why),
		    0) || !T_STREQ(r2, r1) ||
		    !T_INTEQ(recur_validate(zones[z], f, r1, &why), 0)) {
			fprintf(stderr, "zone %s freq %d end %d rule %s\n",
			    zones[z], freqs[i], ends[j], r1);
			return 0;
		}
	}
	return 1;
}

static int
parse_controls(void)
{
	struct recur_controls	 c;
	const char		*why = NULL;

	return T_INTEQ(recur_rule_parse("RRULE:FREQ=WEEKLY;BYDAY=SU,MO", BER,
	    &c, &why), 0) && T_INTEQ(c.freq, RECUR_WEEKLY) &&
	    T_INTEQ(c.weekdays, 0x41) && T_INTEQ(c.interval, 1) &&
	    T_INTEQ(c.end, RECUR_END_NEVER) &&
	    T_INTEQ(recur_rule_parse("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=10",
	    "UTC", &c, &why), 0) && T_INTEQ(c.monthday, 31) &&
	    T_INTEQ(c.end, RECUR_END_COUNT) && T_INTEQ(c.count, 10) &&
	    T_INTEQ(recur_rule_parse("FREQ=DAILY;UNTIL=20270101T225959Z", BER,
	    &c, &why), 0) && T_INTEQ(c.end, RECUR_END_UNTIL) &&
	    T_STREQ(c.until, "2027-01-01") &&
	    T_INTEQ(recur_rule_parse("FREQ=DAILY;UNTIL=20270101", NYC, &c,
	    &why), 0) && T_STREQ(c.until, "2027-01-01") &&
	    T_INTEQ(recur_rule_parse(NULL, BER, &c, &why), 0) &&
	    T_INTEQ(c.freq, RECUR_NONE) &&
	    T_INTEQ(recur_rule_parse("", BER, &c, &why), 0) &&
	    T_INTEQ(c.freq, RECUR_NONE);
}

static int
parse_refuses(void)
{
	static const char *const bad[] = {
		"FREQ=DAILY;BYHOUR=9", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1",
		"FREQ=HOURLY", "FREQ=MINUTELY", "FREQ=SECONDLY", "garbage",
		"FREQ=WEEKLY;WKST=SU;BYDAY=MO", "FREQ=MONTHLY;BYDAY=1MO",
		"FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTHDAY=1,15",
		"FREQ=YEARLY;BYMONTH=3", "FREQ=DAILY;INTERVAL=100",
		"FREQ=DAILY;COUNT=1001", "FREQ=DAILY;BYDAY=MO",
		"FREQ=WEEKLY;BYMONTHDAY=3", "FREQ=YEARLY;BYYEARDAY=100",
		"FREQ=YEARLY;BYWEEKNO=20", "FREQ=DAILY;BYMINUTE=5",
		"FREQ=MONTHLY;RSCALE=GREGORIAN", "FREQ=DAILY;UNTIL=30000101",
		"FREQ=DAILY;COUNT=2;UNTIL=20270101", "FREQ=DAILY;FOO=1",
	};
	struct recur_controls	 c;
	const char		*why;
	size_t			 i;

	for (i = 0; i < T_NCASES(bad); i++) {
		why = NULL;
		if (!T_INTEQ(recur_rule_parse(bad[i], BER, &c, &why), -1) ||
		    !T_TRUE(why != NULL && why[0] != '\0') ||
		    !T_INTEQ(c.freq, RECUR_NONE)) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
			return 0;
		}
	}
	return T_INTEQ(recur_rule_parse("FREQ=DAILY", "Nope/Zone", &c, &why),
	    -1);
}

static int
parse_too_long(void)
{
	struct recur_controls	 c;
	const char		*why = NULL;
	char			 r[700];

	memset(r, 'A', sizeof(r) - 1);
	r[sizeof(r) - 1] = '\0';
	memcpy(r, "FREQ=DAILY;X-", 13);
	return T_INTEQ(recur_rule_parse(r, BER, &c, &why), -1) &&
	    T_TRUE(strstr(why, "511") != NULL);
}

/* --- summaries --- */

static int
summaries(void)
{

	return T_STREQ(summ(BER, "2026-12-05T09:00", NULL),
	    "Once on 2026-12-05 at 09:00 Europe/Berlin") &&
	    T_STREQ(summ(BER, "2026-12-07T09:00",
	    "FREQ=WEEKLY;UNTIL=20270101T225959Z;BYDAY=MO,WE,FR"),
	    "Every Mon, Wed, Fri at 09:00 Europe/Berlin until 2027-01-01") &&
	    T_STREQ(summ("UTC", "2026-01-31T08:30",
	    "FREQ=MONTHLY;COUNT=10;INTERVAL=2;BYMONTHDAY=31"),
	    "Every 2 months on day 31 (months without one are skipped) at "
	    "08:30 UTC, 10 times") &&
	    T_STREQ(summ(BER, "2026-12-05T09:00", "FREQ=DAILY"),
	    "Every day at 09:00 Europe/Berlin") &&
	    T_STREQ(summ(NYC, "2026-12-05T18:45", "FREQ=DAILY;INTERVAL=3;"
	    "COUNT=1"), "Every 3 days at 18:45 America/New_York, once") &&
	    T_STREQ(summ(BER, "2026-12-06T09:00", "FREQ=WEEKLY"),
	    "Every Sun at 09:00 Europe/Berlin") &&
	    T_STREQ(summ(BER, "2026-12-07T07:05",
	    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU"),
	    "Every 2 weeks on Mon, Sun at 07:05 Europe/Berlin") &&
	    T_STREQ(summ(BER, "2026-12-15T09:00", "FREQ=MONTHLY"),
	    "Every month on day 15 at 09:00 Europe/Berlin") &&
	    T_STREQ(summ(BER, "2026-12-05T09:00", "FREQ=YEARLY"),
	    "Every year on Dec 5 at 09:00 Europe/Berlin") &&
	    T_STREQ(summ(BER, "2028-02-29T09:00", "FREQ=YEARLY;INTERVAL=4"),
	    "Every 4 years on Feb 29 (leap years only) at 09:00 "
	    "Europe/Berlin") &&
	    T_STREQ(summ(BER, "2026-12-05T09:00", "FREQ=DAILY;BYHOUR=9"),
	    "ERR: The form cannot show this rule: it uses BYHOUR (the form "
	    "has weekdays for weekly rules and one day of the month for "
	    "monthly rules).") &&
	    starts(summ("Nope/Zone", "2026-12-05T09:00", NULL), "ERR: ");
}

/* --- delivery windows --- */

static int
window_end(void)
{
	const char	*why = NULL;
	int64_t		 e;

	return T_INTEQ(recur_window_end(BER, at(BER, "2026-12-05T09:00"), 18,
	    &e, &why), 0) && T_STREQ(loc(BER, e), "2026-12-05T18:00") &&
	    T_INTEQ(recur_window_end(BER, at(BER, "2026-12-05T19:00"), 18,
	    &e, &why), 0) && T_STREQ(loc(BER, e), "2026-12-06T18:00") &&
	    T_INTEQ(recur_window_end(BER, at(BER, "2026-12-05T18:00"), 18,
	    &e, &why), 0) && T_STREQ(loc(BER, e), "2026-12-06T18:00") &&
	    T_INTEQ(recur_window_end(BER, at(BER, "2026-12-05T09:00"), 24,
	    &e, &why), 0) && T_STREQ(loc(BER, e), "2026-12-06T00:00") &&
	    T_INTEQ(recur_window_end(BER, at(BER, "2026-12-05T00:00"), 1,
	    &e, &why), 0) && T_STREQ(loc(BER, e), "2026-12-05T01:00");
}

/* On a 23-hour day, 24 o'clock is the next local midnight. */
static int
window_end_dst(void)
{
	const char	*why = NULL;
	int64_t		 a, e;

	a = at(BER, "2026-03-29T00:30");
	if (!T_INTEQ(recur_window_end(BER, a, 24, &e, &why), 0) ||
	    !T_STREQ(loc(BER, e), "2026-03-30T00:00") ||
	    !T_INTEQ(e - a, 22 * 3600 + 1800))
		return 0;
	a = at(NYC, "2026-11-01T00:30");
	if (!T_INTEQ(recur_window_end(NYC, a, 24, &e, &why), 0) ||
	    !T_STREQ(loc(NYC, e), "2026-11-02T00:00") ||
	    !T_INTEQ(e - a, 24 * 3600 + 1800))
		return 0;
	/* 02 o'clock does not exist that day: it is 03:00 summer time. */
	a = at(BER, "2026-03-29T00:30");
	return T_INTEQ(recur_window_end(BER, a, 2, &e, &why), 0) &&
	    T_STREQ(loc(BER, e), "2026-03-29T03:00");
}

static int
window_end_bad(void)
{
	const char	*why = NULL;
	int64_t		 e;

	return T_INTEQ(recur_window_end(BER, 1796457600, 0, &e, &why), -1) &&
	    T_TRUE(strstr(why, "1 and 24") != NULL) &&
	    T_INTEQ(recur_window_end(BER, 1796457600, 25, &e, &why), -1) &&
	    T_INTEQ(recur_window_end("Nope/Zone", 1796457600, 18, &e, &why),
	    -1) && T_INTEQ(recur_window_end(BER, -5, 18, &e, &why), -1);
}

/* --- threads (the FastCGI program's workers share libical's cache) --- */

static const char *const tzs[] = {
	"Asia/Tokyo", "Europe/Paris", "America/Chicago", "Australia/Sydney",
	"Africa/Cairo", "America/Sao_Paulo", "Asia/Tehran", "Europe/London",
};

struct	thr {
	int	 id;
	int64_t	 got[T_NCASES(tzs)][4];
	int	 bad;
};

static void *
thr_main(void *arg)
{
	struct thr	*th = arg;
	const char	*why;
	int64_t		 t;
	size_t		 i, z;
	int		 r;

	for (r = 0; r < 50; r++)
		for (i = 0; i < T_NCASES(tzs); i++) {
			z = (i + (size_t)th->id) % T_NCASES(tzs);
			if (recur_local_to_utc(tzs[z], "2026-12-05T09:00", &t,
			    &why) != 0 || recur_next(tzs[z], t,
			    "FREQ=WEEKLY;BYDAY=MO,TH", t, th->got[z], 4,
			    &why) != 4)
				th->bad++;
		}
	return NULL;
}

static int
threads(void)
{
	pthread_t	 tid[4];
	struct thr	 th[4];
	const char	*why;
	int64_t		 t, want[4];
	size_t		 i, z;
	int		 j;

	memset(th, 0, sizeof(th));
	for (i = 0; i < 4; i++) {
		th[i].id = (int)i;
		if (pthread_create(&tid[i], NULL, thr_main, &th[i]) != 0)
			return 0;
	}
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	for (z = 0; z < T_NCASES(tzs); z++) {
		if (recur_local_to_utc(tzs[z], "2026-12-05T09:00", &t,
		    &why) != 0 || recur_next(tzs[z], t,
		    "FREQ=WEEKLY;BYDAY=MO,TH", t, want, 4, &why) != 4)
			return 0;
		for (j = 0; j < 4; j++)
			if (!T_STREQ(loc(tzs[z], want[j]), j % 2 == 0 ?
			    (j == 0 ? "2026-12-07T09:00" : "2026-12-14T09:00") :
			    (j == 1 ? "2026-12-10T09:00" : "2026-12-17T09:00")))
				return 0;
		for (i = 0; i < 4; i++)
			if (!T_INTEQ(th[i].bad, 0) ||
			    !T_MEMEQ(th[i].got[z], want, sizeof(want)))
				return 0;
	}
	return 1;
}

int
main(void)
{
	static const struct t_case cases[] = {
		T_CASE(zone_valid),
		T_CASE(local_plain),
		T_CASE(local_gap),
		T_CASE(local_overlap),
		T_CASE(local_bad),
		T_CASE(local_unknown_zone),
		T_CASE(utc_to_local),
		T_CASE(one_off),
		T_CASE(daily),
		T_CASE(dst_spring_berlin),
		T_CASE(dst_fall_berlin),
		T_CASE(dst_new_york),
		T_CASE(dst_0230),
		T_CASE(weekly_weekdays),
		T_CASE(weekly_first_excluded),
		T_CASE(monthly_31),
		T_CASE(monthly_interval),
		T_CASE(yearly),
		T_CASE(yearly_feb29),
		T_CASE(count_limits),
		T_CASE(until_inclusive),
		T_CASE(next_after_between),
		T_CASE(next_args),
		T_CASE(never_fires),
		T_CASE(subdaily_refused),
		T_CASE(rfc_refused),
		T_CASE(rare_rule),
		T_CASE(validate),
		T_CASE(build_rules),
		T_CASE(build_errors),
		T_CASE(build_until_before_first),
		T_CASE(round_trip),
		T_CASE(parse_controls),
		T_CASE(parse_refuses),
		T_CASE(parse_too_long),
		T_CASE(summaries),
		T_CASE(window_end),
		T_CASE(window_end_dst),
		T_CASE(window_end_bad),
		T_CASE(threads),
	};

	return t_run(cases, T_NCASES(cases));
}
