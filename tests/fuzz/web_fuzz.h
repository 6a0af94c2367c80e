/*
 * Helpers shared by the web-side libFuzzer targets (tests/fuzz/fuzz_*.c
 * of mk/webfuzz.mk): a failure that aborts with a message (libFuzzer
 * then saves the input), list comparison, a percent-encoder that is
 * independent of the code under test, and a small deterministic
 * generator for piece sizes.  Header-only: each target is one file.
 */
#ifndef WADESK_WEB_FUZZ_H
#define WADESK_WEB_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cgi.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop the run: libFuzzer reports the abort and keeps the input. */
#define	WF_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: property broken: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* 1 if both lists hold the same pairs in the same order. */
static inline int
wf_kv_equal(const struct kvlist *a, const struct kvlist *b)
{
	size_t	 i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->kv[i].key, b->kv[i].key) != 0 ||
		    strcmp(a->kv[i].val, b->kv[i].val) != 0)
			return 0;
	return 1;
}

/*
 * Append "s" to "out" with every byte outside [A-Za-z0-9-._~] (and
 * outside "keep") written as %XX: what a browser's form encoder does,
 * spelled without the code under test.
 */
static inline void
wf_pct_encode(struct buf *out, const char *s, const char *keep)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep != NULL &&
		    strchr(keep, c) != NULL))
			buf_putc(out, c);
		else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

/* xorshift32: a fixed sequence per seed, so a crash replays exactly. */
static inline uint32_t
wf_next(uint32_t *s)
{
	uint32_t x = *s != 0 ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/*
 * A body source for req_from_params(): hands out "len" bytes of
 * "data" in pieces of 1 to "maxpiece" bytes chosen by "seed", as
 * FastCGI STDIN records of any size arrive; "fail_at" (if less than
 * "len") makes the read that reaches that offset fail.
 */
struct	wf_body {
	const char	*data;
	size_t		 len, pos, fail_at, maxpiece;
	uint32_t	 seed;
	int		 calls;
};

static inline int
wf_body_read(void *ctx, char *buf, int len)
{
	struct wf_body	*b = ctx;
	size_t		 n;

	WF_ASSERT(len > 0);
	b->calls++;
	if (b->pos >= b->len)
		return 0;
	n = 1 + wf_next(&b->seed) % (b->maxpiece > 0 ? b->maxpiece : 1);
	if (n > (size_t)len)
		n = (size_t)len;
	if (n > b->len - b->pos)
		n = b->len - b->pos;
	if (b->fail_at < b->len && b->pos + n > b->fail_at)
		return -1;
	memcpy(buf, b->data + b->pos, n);
	b->pos += n;
	return (int)n;
}

/* Release a request made with req_init(). */
static inline void
wf_req_free(struct req *r)
{

	req_reset(r);
	buf_free(&r->headers);
	buf_free(&r->body);
}

#endif /* !WADESK_WEB_FUZZ_H */
