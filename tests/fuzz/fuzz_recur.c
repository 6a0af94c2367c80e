/*
 * libFuzzer target for lib/recur.c.  The input is
 *
 *   8 bytes   the first fire (mapped into 2000..2099, UTC seconds),
 *   8 bytes   "after", an offset from the first fire (-1 day .. ~3 y),
 *   1 byte    the zone: one of zones[] below, or (>= the count) the
 *             text up to the first newline of the rest,
 *   1 byte    n for recur_next (0..8) and the window end hour,
 *   the rest  the rule text (NUL-terminated copy).
 *
 * Checked, whatever the input: every call answers 0/-1 (a count for
 * recur_next) and a -1 comes with a sentence; parse, summary and
 * validate agree on which rules the form can show; a parsed rule
 * builds again, and that rule parses back to the same controls and
 * builds to the same text; occurrences are strictly increasing, after
 * "after", not before the first fire, at most n; a window ends after
 * its occurrence and within two days; local -> UTC -> local keeps the
 * first fire's wall-clock minute.  Any violated expectation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "recur.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zones[] = {
	"Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata",
	"Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham",
	"Asia/Tehran", "America/St_Johns", "Europe/Dublin",
};
#define	NZONES	(sizeof(zones) / sizeof(zones[0]))

static uint64_t
u64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
need_why(const char *why)
{

	if (why == NULL || why[0] == '\0')
		abort();
}

static int
ctl_same(const struct recur_controls *a, const struct recur_controls *b)
{

	return a->freq == b->freq && a->interval == b->interval &&
	    a->weekdays == b->weekdays && a->monthday == b->monthday &&
	    a->end == b->end && a->count == b->count &&
	    strcmp(a->until, b->until) == 0;
}

static void
check(const char *tz, int64_t first, int64_t after, int n, int hour,
    const char *rule)
{
	struct recur_controls	 c, c2;
	struct buf		 b;
	char			 r1[RECUR_RULE_MAX], r2[RECUR_RULE_MAX];
	char			 loc[32], loc2[32];
	const char		*why;
	int64_t			 occ[8], t, e;
	int			 pr, ps, pv, k, i;

	why = NULL;
	pr = recur_rule_parse(rule, tz, &c, &why);
	if (pr != 0 && pr != -1)
		abort();
	if (pr == -1)
		need_why(why);
	else {
		why = NULL;
		if (recur_rule_build(&c, tz, first, r1, &why) == 0) {
			if (recur_rule_parse(r1, tz, &c2, &why) != 0 ||
			    recur_rule_build(&c2, tz, first, r2, &why) != 0 ||
			    strcmp(r1, r2) != 0 || !ctl_same(&c, &c2))
				abort();
		} else
			need_why(why);
	}

	buf_init(&b);
	why = NULL;
	ps = recur_summary(tz, first, rule, &b, &why);
	if (ps == 0 && (pr != 0 || b.len == 0))
		abort();
	if (ps == -1)
		need_why(why);
	buf_free(&b);

	why = NULL;
	pv = recur_validate(tz, first, rule, &why);
	if (pv == -1)
		need_why(why);
	else if (pv != 0 || pr != 0)
		abort();

	why = NULL;
	k = recur_next(tz, first, rule, after, occ, n, &why);
	if (k == -1)
		need_why(why);
	else if (k < 0 || k > n)
		abort();
	for (i = 0; i < k; i++)
		if (occ[i] <= after || occ[i] < first ||
		    (i > 0 && occ[i] <= occ[i - 1]))
			abort();
	/* A rule that validates fires at least once from the first fire. */
	if (pv == 0 && recur_next(tz, first, rule, first - 1, &t, 1,
	    &why) != 1)
		abort();

	if (recur_zone_valid(tz)) {
		why = NULL;
		if (recur_window_end(tz, k > 0 ? occ[0] : first, hour, &e,
		    &why) != 0)
			abort();
		t = k > 0 ? occ[0] : first;
		if (e <= t || e - t > 49 * 3600)
			abort();
		if (recur_utc_to_local(tz, first, loc, sizeof(loc)) != 0 ||
		    recur_local_to_utc(tz, loc, &t, &why) != 0 ||
		    recur_utc_to_local(tz, t, loc2, sizeof(loc2)) != 0 ||
		    strcmp(loc, loc2) != 0)
			abort();
	} else if (pr == 0 || ps == 0 || pv == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*rest, *rule, *nl;
	const char	*tz;
	int64_t		 first, after;
	int		 n, hour;

	if (size < 18)
		return 0;
	first = 946684800 + (int64_t)(u64(data) % (100ULL * 365 * 86400));
	after = first - 86400 + (int64_t)(u64(data + 8) % (3ULL * 366 *
	    86400));
	n = data[17] % 9;
	hour = 1 + data[17] % 24;
	if ((rest = malloc(size - 18 + 1)) == NULL)
		abort();
	memcpy(rest, data + 18, size - 18);
	rest[size - 18] = '\0';
	rule = rest;
	if (data[16] < NZONES)
		tz = zones[data[16]];
	else {
		tz = rest;
		rule = "";
		if ((nl = strchr(rest, '\n')) != NULL) {
			*nl = '\0';
			rule = nl + 1;
		}
	}
	check(tz, first, after, n, hour, rule);
	free(rest);
	return 0;
}
