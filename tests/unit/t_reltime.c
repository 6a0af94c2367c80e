/*
 * Tests for lib/reltime.c: parsing iso() timestamps, "N unit ago" at
 * every unit boundary, times to come, and span lengths.
 */
#include <stdint.h>

#include "reltime.h"
#include "t.h"

static const char *
ago(int64_t d)
{
	static char	 out[RELTIME_MAX];

	reltime_ago(out, sizeof(out), 1000000 - d, 1000000);
	return out;
}

static const char *
span(int64_t s)
{
	static char	 out[RELTIME_MAX];

	reltime_span(out, sizeof(out), s);
	return out;
}

static int
parse_iso(void)
{
	int64_t	 t = 0;

	return T_INTEQ(reltime_parse("1970-01-01T00:00:00Z", &t), 0) &&
	    T_INTEQ(t, 0) &&
	    T_INTEQ(reltime_parse("2026-12-02T15:04:05Z", &t), 0) &&
	    T_INTEQ(t, 1796223845) &&
	    T_INTEQ(reltime_parse("2024-02-29T23:59:59Z", &t), 0) &&
	    T_INTEQ(t, 1709251199) &&
	    T_INTEQ(reltime_parse("2000-02-29T00:00:00Z", &t), 0) &&
	    T_INTEQ(t, 951782400) &&
	    T_INTEQ(reltime_parse("2000-03-01T00:00:00Z", &t), 0) &&
	    T_INTEQ(t, 951868800) &&
	    T_INTEQ(reltime_parse("2100-12-31T23:59:60Z", &t), 0) &&
	    T_INTEQ(t, 4133980800);
}

static int
parse_rejects(void)
{
	int64_t	 t = 42;

	return T_INTEQ(reltime_parse(NULL, &t), -1) &&
	    T_INTEQ(reltime_parse("", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-12-02 15:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-12-02T15:04:05", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-12-02T15:04:05+00", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-13-02T15:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-12-02T24:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-12-02T15:04:05Zx", &t), -1) &&
	    T_INTEQ(reltime_parse("+026-12-02T15:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-12-0 T15:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("2026-04-31T15:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("2025-02-29T15:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("2100-02-29T15:04:05Z", &t), -1) &&
	    T_INTEQ(reltime_parse("1969-12-31T23:59:59Z", &t), -1) &&
	    T_INTEQ(t, 42);
}

static int
ago_units(void)
{

	return T_STREQ(ago(0), "just now") && T_STREQ(ago(9), "just now") &&
	    T_STREQ(ago(10), "10 s ago") && T_STREQ(ago(59), "59 s ago") &&
	    T_STREQ(ago(60), "1 min ago") && T_STREQ(ago(180), "3 min ago") &&
	    T_STREQ(ago(3599), "59 min ago") && T_STREQ(ago(3600), "1 h ago") &&
	    T_STREQ(ago(86399), "23 h ago") &&
	    T_STREQ(ago(86400), "1 day ago") &&
	    T_STREQ(ago(2 * 86400 - 1), "1 day ago") &&
	    T_STREQ(ago(2 * 86400), "2 days ago") &&
	    T_STREQ(ago(400 * 86400), "400 days ago");
}

static int
ago_future(void)
{

	return T_STREQ(ago(-9), "just now") && T_STREQ(ago(-10), "in 10 s") &&
	    T_STREQ(ago(-240), "in 4 min") && T_STREQ(ago(-7200), "in 2 h");
}

static int
ago_truncates(void)
{
	char	 out[5];

	reltime_ago(out, sizeof(out), 0, 180);
	return T_STREQ(out, "3 mi");
}

static int
spans(void)
{

	return T_STREQ(span(-5), "0 s") && T_STREQ(span(0), "0 s") &&
	    T_STREQ(span(42), "42 s") && T_STREQ(span(60), "1 min") &&
	    T_STREQ(span(312), "5 min 12 s") && T_STREQ(span(3600), "1 h") &&
	    T_STREQ(span(7380), "2 h 3 min") &&
	    T_STREQ(span(3 * 86400 + 4 * 3600 + 59), "3 d 4 h") &&
	    T_STREQ(span(86400), "1 d");
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(parse_iso),
		T_CASE(parse_rejects),
		T_CASE(ago_units),
		T_CASE(ago_future),
		T_CASE(ago_truncates),
		T_CASE(spans),
	};

	return t_run(cases, T_NCASES(cases));
}
