/*
 * recur.h: reminder recurrence (issue 11).  RFC 5545 RRULE values
 * built from and parsed back into the plain controls of the reminder
 * form, occurrences computed with libical's icalrecur_iterator in the
 * reminder's IANA time zone (so a 09:00 reminder stays 09:00 local
 * across a DST change), and a human summary.  Times are Unix seconds
 * (UTC instants); local times are "YYYY-MM-DDTHH:MM" strings in the
 * named zone.  No function keeps a pointer to its arguments; "why"
 * sentences are static strings.  Pure apart from the zone database
 * (the system's /usr/share/zoneinfo through libical).
 */
#ifndef WADESK_RECUR_H
#define WADESK_RECUR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define	RECUR_RULE_MAX		512	/* bytes of an RRULE value, NUL incl. */
#define	RECUR_INTERVAL_MAX	99
#define	RECUR_COUNT_MAX		1000

enum	recur_freq {
	RECUR_NONE,			/* one-off: no rule */
	RECUR_DAILY,
	RECUR_WEEKLY,
	RECUR_MONTHLY,			/* by day of month */
	RECUR_YEARLY
};

enum	recur_end {
	RECUR_END_NEVER,
	RECUR_END_COUNT,		/* after N occurrences (COUNT) */
	RECUR_END_UNTIL			/* on a local date, inclusive (UNTIL) */
};

/* The form's controls; every field has a meaning for every freq. */
struct	recur_controls {
	enum recur_freq	 freq;
	int		 interval;	/* 1..RECUR_INTERVAL_MAX */
	unsigned int	 weekdays;	/* WEEKLY: bit 0 Monday .. bit 6 Sunday;
					   0: the first fire's weekday */
	int		 monthday;	/* MONTHLY: 1..31; 0: the first fire's
					   day (a 31 skips shorter months,
					   as RFC 5545 says) */
	enum recur_end	 end;
	int		 count;		/* RECUR_END_COUNT: 1..RECUR_COUNT_MAX */
	char		 until[11];	/* RECUR_END_UNTIL: "YYYY-MM-DD" local */
};

/* 1 if "tz" names a zone libical knows ("Europe/Berlin", "UTC"). */
int	recur_zone_valid(const char *tz);

/*
 * "local" ("YYYY-MM-DDTHH:MM", seconds optional) in zone "tz" to Unix
 * seconds in *out.  A time that does not exist (skipped by a DST
 * change) moves forward by the gap; an ambiguous one takes the first.
 * 0, or -1 with *why set (bad format, unknown zone).
 */
int	recur_local_to_utc(const char *tz, const char *local, int64_t *out,
	    const char **why);

/*
 * Unix seconds "t" as "YYYY-MM-DDTHH:MM" in zone "tz" (out >= 17).
 * 0, or -1 (unknown zone, "t" outside the years 1970 to 2500, "out"
 * too small).
 */
int	recur_utc_to_local(const char *tz, int64_t t, char *out,
	    size_t outsz);

/*
 * The controls "c" as an RRULE value (no "RRULE:" prefix) in
 * "out" (RECUR_RULE_MAX bytes), "" for RECUR_NONE; "first" (Unix
 * seconds) and "tz" resolve the 0 defaults and the UNTIL instant (end
 * of the until date, local).  0, or -1 with *why: interval, count or
 * date out of range, UNTIL before the first fire, no weekday.
 */
int	recur_rule_build(const struct recur_controls *c, const char *tz,
	    int64_t first, char *out, const char **why);

/*
 * An RRULE value (with or without "RRULE:"; NULL or "" is a one-off)
 * back into controls, so that building them again gives the same
 * rule.  0, or -1 with *why for a rule the form cannot show (BYHOUR,
 * BYSETPOS, FREQ=HOURLY, ...) or libical refuses.
 */
int	recur_rule_parse(const char *rrule, const char *tz,
	    struct recur_controls *c, const char **why);

/*
 * The occurrences of the reminder that fires first at "first" (Unix
 * seconds) in zone "tz" with "rrule" (NULL/"": only "first") that are
 * strictly after "after", earliest first, at most "n" of them, into
 * out[].  Returns how many (0: none left), or -1 with *why (bad rule
 * or zone).  Iterates at most a bounded number of candidates, so a
 * rule that never occurs answers 0 rather than spinning.  The
 * occurrences are the rule's instances from "first" on: "first" is
 * the first of them when it matches the rule (always so with the
 * form's 0 defaults), else the rule's next instance is (a Monday
 * first fire with BYDAY=TU,TH first occurs on the Tuesday).  Rules
 * more often than daily, and what RFC 5545 forbids, are -1.
 */
int	recur_next(const char *tz, int64_t first, const char *rrule,
	    int64_t after, int64_t *out, int n, const char **why);

/*
 * Check a reminder before it is saved: the zone is known, the rule
 * parses, and it has at least one occurrence at or after "first".
 * 0, or -1 with *why ("The rule never fires: ...").
 */
int	recur_validate(const char *tz, int64_t first, const char *rrule,
	    const char **why);

/*
 * A sentence for the schedule, appended to "out": "Once on 2026-12-05
 * at 09:00 Europe/Berlin", "Every Mon, Wed, Fri at 09:00
 * Europe/Berlin until 2027-01-01", "Every 2 months on day 31 (months
 * without one are skipped) at 08:30 UTC, 10 times".  0, or -1 with
 * *why as recur_rule_parse().
 */
int	recur_summary(const char *tz, int64_t first, const char *rrule,
	    struct buf *out, const char **why);

/*
 * The end of the delivery window of an occurrence at "at" (Unix
 * seconds): "hour" (1..24) o'clock local on the local date of "at"
 * (24: the next local midnight), as Unix seconds in *out; if that is
 * not after "at", the window ends the next local day at that hour.
 * 0, or -1 with *why.
 */
int	recur_window_end(const char *tz, int64_t at, int hour, int64_t *out,
	    const char **why);

#endif /* !WADESK_RECUR_H */
