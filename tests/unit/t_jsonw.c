/*
 * Unit tests for cgi/jsonw.c: its strings, numbers and booleans are
 * byte-for-byte what the installed json-c writes with
 * JSON_C_TO_STRING_PLAIN (the API's answers must not change when a
 * route writes JSON directly): every byte value alone and between
 * others, random strings of any bytes, NULL, and int64's ends.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jsonw.h"
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

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(every_byte),
		T_CASE(known_escapes),
		T_CASE(random_strings),
		T_CASE(numbers_and_booleans),
	};

	return t_run(cases, T_NCASES(cases));
}
