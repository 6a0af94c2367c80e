/*
 * Unit tests for cgi/jsonw.c and cgi/pgts.c, what GET /api/v1/accounts
 * writes its answer with.  jsonw's strings, numbers and booleans are
 * byte-for-byte what the installed json-c writes with
 * JSON_C_TO_STRING_PLAIN (the API's answers must not change when a
 * route writes JSON directly): every byte value alone and between
 * others, random strings of any bytes, NULL, and int64's ends.  pgts
 * writes binary timestamps as PostgreSQL 15's to_char() does (vectors
 * printed by PostgreSQL 15.x, see pgts_vectors) and decodes its
 * binary int8/timestamptz (bytes from timestamptz_send()).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jsonw.h"
#include "pgts.h"
#include "t.h"

/* 1 if jsonw_str("s") is what json-c writes for the string "s". */
static int
same_str(const char *s)
{
	struct json_object	*o;
	struct buf		 b;
	int			 ok;

	o = s == NULL ? NULL : json_object_new_string(s);
	buf_init(&b);
	jsonw_str(&b, s);
	ok = T_STREQ(buf_str(&b), json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	buf_free(&b);
	json_object_put(o);
	return ok;
}

static int
every_byte(void)
{
	char	 s[8];
	int	 c, ok = 1;

	for (c = 1; c < 256; c++) {
		s[0] = (char)c;
		s[1] = '\0';
		ok = same_str(s) && ok;
		snprintf(s, sizeof(s), "a%cb%c", c, c);
		ok = same_str(s) && ok;
	}
	return ok;
}

static int
known_escapes(void)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	jsonw_str(&b, "q\" s/ b\\ \b\f\n\r\t \x01\x1f\x7f \xc3\xa9");
	ok = T_STREQ(buf_str(&b), "\"q\\\" s\\/ b\\\\ \\b\\f\\n\\r\\t "
	    "\\u0001\\u001f\x7f \xc3\xa9\"");
	buf_free(&b);
	return ok && same_str("") && same_str(NULL) &&
	    same_str("</script><b>&amp;</b>");
}

static int
random_strings(void)
{
	char	 s[80];
	size_t	 len, i;
	int	 n, ok = 1;

	srand(13);
	for (n = 0; n < 20000 && ok; n++) {
		len = (size_t)rand() % (sizeof(s) - 1);
		for (i = 0; i < len; i++)
			s[i] = (char)(1 + rand() % 255);
		s[len] = '\0';
		ok = same_str(s);
	}
	return ok;
}

static int
numbers_and_booleans(void)
{
	static const int64_t	 v[] = { 0, 1, -1, 42, INT64_MAX, INT64_MIN,
	    9223372036854775806 };
	struct json_object	*o;
	struct buf		 b;
	size_t			 i;
	int			 ok = 1;

	buf_init(&b);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		jsonw_int64(&b, v[i]);
		o = json_object_new_int64(v[i]);
		ok = T_STREQ(buf_str(&b), json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN)) && ok;
		json_object_put(o);
	}
	for (i = 0; i < 2; i++) {
		buf_reset(&b);
		jsonw_bool(&b, (int)i * 7);
		o = json_object_new_boolean((int)i);
		ok = T_STREQ(buf_str(&b), json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN)) && ok;
		json_object_put(o);
	}
	buf_free(&b);
	return ok;
}

/*
 * Printed by PostgreSQL 15 for each instant t:
 *   ('x' || encode(timestamptz_send(t), 'hex'))::bit(64)::int8,
 *   to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
 *   to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
 * around 2000 and 1970, leap days (2000, 2024, 1600; not 1900, 2100),
 * AD 1 and 1 BC, 44 BC, PostgreSQL's first and last days, five-digit
 * years and a time read in +05:30.
 */
static const struct {
	int64_t		 us;
	const char	*iso, *cursor;
} pgts_vectors[] = {
	{ INT64_C(0), "2000-01-01T00:00:00Z", "2000-01-01T00:00:00.000000Z" },
	{ INT64_C(-1), "1999-12-31T23:59:59Z", "1999-12-31T23:59:59.999999Z" },
	{ INT64_C(-946684800000000), "1970-01-01T00:00:00Z",
	    "1970-01-01T00:00:00.000000Z" },
	{ INT64_C(-946684800500000), "1969-12-31T23:59:59Z",
	    "1969-12-31T23:59:59.500000Z" },
	{ INT64_C(849722441089589), "2026-12-04T18:00:41Z",
	    "2026-12-04T18:00:41.089589Z" },
	{ INT64_C(762523200000001), "2024-02-29T12:00:00Z",
	    "2024-02-29T12:00:00.000001Z" },
	{ INT64_C(3160857600000000), "2100-03-01T00:00:00Z",
	    "2100-03-01T00:00:00.000000Z" },
	{ INT64_C(5183999000000), "2000-02-29T23:59:59Z",
	    "2000-02-29T23:59:59.000000Z" },
	{ INT64_C(-3150576000000001), "1900-02-28T23:59:59Z",
	    "1900-02-28T23:59:59.999999Z" },
	{ INT64_C(-12617679477000000), "1600-02-29T01:02:03Z",
	    "1600-02-29T01:02:03.000000Z" },
	{ INT64_C(-63082281600000000), "0001-01-01T00:00:00Z",
	    "0001-01-01T00:00:00.000000Z" },
	{ INT64_C(-63082281600000001), "0001-12-31T23:59:59Z",
	    "0001-12-31T23:59:59.999999Z" },
	{ INT64_C(-64464465600000000), "0044-03-15T12:00:00Z",
	    "0044-03-15T12:00:00.000000Z" },
	{ INT64_C(-211781865600000000), "4713-11-24T00:00:00Z",
	    "4713-11-24T00:00:00.000000Z" },
	{ INT64_C(252455615999999999), "9999-12-31T23:59:59Z",
	    "9999-12-31T23:59:59.999999Z" },
	{ INT64_C(252455616000000000), "10000-01-01T00:00:00Z",
	    "10000-01-01T00:00:00.000000Z" },
	{ INT64_C(9223371331199999999), "294276-12-31T23:59:59Z",
	    "294276-12-31T23:59:59.999999Z" },
	{ INT64_C(849702641000000), "2026-12-04T12:30:41Z",
	    "2026-12-04T12:30:41.000000Z" },
};

static int
pgts_to_char(void)
{
	char	 t[PGTS_LEN];
	size_t	 i;
	int	 ok = 1;

	for (i = 0; i < sizeof(pgts_vectors) / sizeof(pgts_vectors[0]); i++) {
		ok = T_INTEQ(pgts_format(pgts_vectors[i].us, 0, t), 0) && ok;
		ok = T_STREQ(t, pgts_vectors[i].iso) && ok;
		ok = T_INTEQ(pgts_format(pgts_vectors[i].us, 1, t), 0) && ok;
		ok = T_STREQ(t, pgts_vectors[i].cursor) && ok;
	}
	/* to_char() of an infinite time is NULL. */
	ok = T_INTEQ(pgts_format(INT64_MAX, 0, t), -1) && T_STREQ(t, "") &&
	    ok;
	ok = T_INTEQ(pgts_format(INT64_MIN, 1, t), -1) && T_STREQ(t, "") &&
	    ok;
	return ok;
}

/* Every day from 100 BC to AD 2400 follows the one before it
 * (timestamptz_send() of their midnights). */
static int
pgts_days_in_order(void)
{
	char	 t[PGTS_LEN], prev[PGTS_LEN];
	int64_t	 us, day = INT64_C(86400000000);
	int	 y, m, d, py, pm, pd, ok = 1, bc = 1;

	(void)pgts_format(INT64_C(-66238041600000000), 0, prev);
	ok = T_STREQ(prev, "0100-01-01T00:00:00Z");
	for (us = INT64_C(-66238041600000000) + day;
	    us <= INT64_C(12654316800000000) && ok; us += day) {
		(void)pgts_format(us, 0, t);
		if (sscanf(prev, "%d-%d-%dT", &py, &pm, &pd) != 3 ||
		    sscanf(t, "%d-%d-%dT", &y, &m, &d) != 3)
			return T_TRUE(0);
		if (bc && y == 1 && py == 1 && m == 1 && d == 1) {
			bc = 0;			/* 1 BC ends, AD 1 begins */
			ok = T_INTEQ(pm * 100 + pd, 1231);
		} else if (y == py)
			ok = T_TRUE((m == pm && d == pd + 1) ||
			    (m == pm + 1 && d == 1));
		else
			ok = T_INTEQ(y, bc ? py - 1 : py + 1) &&
			    T_INTEQ(m * 100 + d, 101) &&
			    T_INTEQ(pm * 100 + pd, 1231);
		if (!ok)
			fprintf(stderr, "after %s: %s\n", prev, t);
		memcpy(prev, t, sizeof(t));
	}
	return ok && T_TRUE(!bc) && T_STREQ(prev, "2400-12-31T00:00:00Z");
}

static int
pgts_binary(void)
{

	return T_INTEQ(pgts_int64("\x00\x03\x04\xd1\x6c\x42\x42\x35"),
	    INT64_C(849722441089589)) &&
	    T_INTEQ(pgts_int64("\xff\xfc\xa2\xfe\xc4\xc0\x7e\xe0"),
	    INT64_C(-946684800500000)) &&
	    T_INTEQ(pgts_int64("\xff\xff\xff\xff\xff\xff\xff\xfe"), -2) &&
	    T_TRUE(pgts_int64("\x7f\xff\xff\xff\xff\xff\xff\xff") ==
	    INT64_MAX) &&
	    T_TRUE(pgts_int64("\x80\x00\x00\x00\x00\x00\x00\x00") ==
	    INT64_MIN);
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(every_byte),
		T_CASE(known_escapes),
		T_CASE(random_strings),
		T_CASE(numbers_and_booleans),
		T_CASE(pgts_to_char),
		T_CASE(pgts_days_in_order),
		T_CASE(pgts_binary),
	};

	return t_run(cases, T_NCASES(cases));
}
