/*
 * libFuzzer target for the Cookie header (cgi/req.c
 * req_parse_cookies()).  The input is the HTTP_COOKIE value (cut at a
 * NUL, as libfcgi's C strings are).  Properties: the pair count is
 * what an independent split on ';' finds (a refusal exactly when that
 * passes REQ_FIELDS_MAX); no key is empty or holds '=' or ';'; no key
 * or value starts or ends with a blank or holds ';'; and writing the
 * pairs back as a header parses to the same pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "web_fuzz.h"

static int
blank(char c)
{

	return c == ' ' || c == '\t';
}

/* Pairs with '=' and a key that is not all blanks, split by hand. */
static size_t
count_pairs(const char *s)
{
	const char	*seg = s, *end, *eq, *k;
	size_t		 n = 0;

	for (;;) {
		end = strchr(seg, ';');
		if (end == NULL)
			end = seg + strlen(seg);
		eq = memchr(seg, '=', (size_t)(end - seg));
		if (eq != NULL) {
			for (k = seg; k < eq && blank(*k); k++)
				continue;
			if (k < eq)
				n++;
		}
		if (*end == '\0')
			return n;
		seg = end + 1;
	}
}

static void
check_trimmed(const char *s, int is_key)
{
	size_t	 n = strlen(s);

	WF_ASSERT(strchr(s, ';') == NULL);
	if (is_key)
		WF_ASSERT(n > 0 && strchr(s, '=') == NULL);
	if (n > 0)
		WF_ASSERT(!blank(s[0]) && !blank(s[n - 1]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct kvlist	 l, again;
	struct buf	 hdr;
	char		*s;
	size_t		 i, want;
	int		 rc;

	if (!init) {
		log_init("fuzz_cookie", LOG_LEVEL_ERROR);
		init = 1;
	}
	s = malloc(size + 1);
	WF_ASSERT(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&l, 0, sizeof(l));
	rc = req_parse_cookies(&l, s);
	want = count_pairs(s);
	if (want > REQ_FIELDS_MAX)
		WF_ASSERT(rc == -1 && l.n == REQ_FIELDS_MAX);
	else
		WF_ASSERT(rc == 0 && l.n == want);
	buf_init(&hdr);
	for (i = 0; i < l.n; i++) {
		check_trimmed(l.kv[i].key, 1);
		check_trimmed(l.kv[i].val, 0);
		buf_printf(&hdr, "%s%s=%s", i > 0 ? "; " : "",
		    l.kv[i].key, l.kv[i].val);
	}
	memset(&again, 0, sizeof(again));
	WF_ASSERT(req_parse_cookies(&again, buf_str(&hdr)) == 0);
	WF_ASSERT(wf_kv_equal(&again, &l));
	kvlist_free(&again);
	kvlist_free(&l);
	buf_free(&hdr);
	free(s);
	return 0;
}
