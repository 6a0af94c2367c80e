/*
 * Unit tests for lib/buf.c.
 */
#include <string.h>

#include "buf.h"
#include "t.h"

static int
append_and_grow(void)
{
	struct buf	 b;
	int		 i, ok;

	buf_init(&b);
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "ab");
	ok = T_INTEQ(b.len, 2000) && T_INTEQ(strlen(buf_str(&b)), 2000);
	buf_free(&b);
	return ok;
}

static int
printf_and_reset(void)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = T_STREQ(buf_str(&b), "");
	buf_printf(&b, "%d-%s", 42, "x");
	ok = ok && T_STREQ(buf_str(&b), "42-x");
	buf_reset(&b);
	buf_putc(&b, 'z');
	ok = ok && T_STREQ(buf_str(&b), "z");
	buf_free(&b);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(append_and_grow),
		T_CASE(printf_and_reset),
	};

	return t_run(cases, T_NCASES(cases));
}
