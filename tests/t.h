/*
 * The test harness: each unit test program is a table of cases, each a
 * function returning 1 on pass.  t_run() prints "ok NAME" or
 * "FAIL NAME" per case and closes with "N passed, N failed"; the exit
 * status is 1 on any failure.  Header-only so every test stays one file.
 */
#ifndef WADESK_T_H
#define WADESK_T_H

#include <stdio.h>
#include <string.h>

struct	t_case {
	const char	*name;
	int		(*fn)(void);	/* returns 1 on pass */
};

#define	T_CASE(f)	{ #f, (f) }
#define	T_NCASES(a)	(sizeof(a) / sizeof((a)[0]))
#define	T_STREQ(got, want) t_streq(__FILE__, __LINE__, (got), (want))
#define	T_MEMEQ(got, want, n) t_memeq(__FILE__, __LINE__, (got), (want), (n))
#define	T_INTEQ(got, want) t_inteq(__FILE__, __LINE__, #got, \
	    (long long)(got), (long long)(want))
#define	T_TRUE(c)	t_true(__FILE__, __LINE__, #c, (c) ? 1 : 0)

static inline int
t_true(const char *file, int line, const char *what, int ok)
{

	if (!ok)
		fprintf(stderr, "%s:%d: expected true: %s\n", file, line, what);
	return ok;
}

static inline int
t_streq(const char *file, int line, const char *got, const char *want)
{

	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return 1;
	if (got == NULL && want == NULL)
		return 1;
	fprintf(stderr, "%s:%d: got\n  \"%s\"\nwant\n  \"%s\"\n", file, line,
	    got == NULL ? "(null)" : got, want == NULL ? "(null)" : want);
	return 0;
}

static inline int
t_memeq(const char *file, int line, const void *got, const void *want,
    size_t n)
{
	size_t	 i;

	if (memcmp(got, want, n) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (((const unsigned char *)got)[i] !=
		    ((const unsigned char *)want)[i])
			break;
	fprintf(stderr, "%s:%d: bytes differ at offset %zu of %zu\n",
	    file, line, i, n);
	return 0;
}

static inline int
t_inteq(const char *file, int line, const char *what, long long got,
    long long want)
{

	if (got == want)
		return 1;
	fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", file, line, what,
	    got, want);
	return 0;
}

static inline int
t_run(const struct t_case *cases, size_t n)
{
	size_t	 i, pass = 0, fail = 0;

	for (i = 0; i < n; i++) {
		if (cases[i].fn() == 1) {
			printf("ok %s\n", cases[i].name);
			pass++;
		} else {
			printf("FAIL %s\n", cases[i].name);
			fail++;
		}
		fflush(stdout);
	}
	printf("%zu passed, %zu failed\n", pass, fail);
	return fail == 0 ? 0 : 1;
}

#endif /* !WADESK_T_H */
