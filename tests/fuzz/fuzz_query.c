/*
 * libFuzzer target for the request URI (cgi/req.c req_set_path()):
 * the path is percent-decoded, the query after '?' decoded as
 * '&'-separated urlencoded pairs.  The input is the REQUEST_URI (cut
 * at a NUL, as libfcgi's C strings are).  Properties: only an absolute
 * path is accepted; a decoded path starts with '/' and holds no NUL;
 * re-encoding the path and the pairs gives a URI that decodes to the
 * same path and pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "web_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct req	 r, r2;
	struct buf	 uri;
	char		*s;
	size_t		 i;
	int		 rc;

	if (!init) {
		log_init("fuzz_query", LOG_LEVEL_ERROR);
		init = 1;
	}
	s = malloc(size + 1);
	WF_ASSERT(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';

	req_init(&r, NULL);
	rc = req_set_path(&r, s);
	if (s[0] != '/')
		WF_ASSERT(rc == -1);
	WF_ASSERT(r.query.n <= REQ_FIELDS_MAX);
	if (rc == 0) {
		WF_ASSERT(r.path != NULL && r.path[0] == '/');
		buf_init(&uri);
		wf_pct_encode(&uri, r.path, "/");
		for (i = 0; i < r.query.n; i++) {
			buf_putc(&uri, i == 0 ? '?' : '&');
			wf_pct_encode(&uri, r.query.kv[i].key, NULL);
			buf_putc(&uri, '=');
			wf_pct_encode(&uri, r.query.kv[i].val, NULL);
		}
		req_init(&r2, NULL);
		WF_ASSERT(req_set_path(&r2, buf_str(&uri)) == 0);
		WF_ASSERT(strcmp(r2.path, r.path) == 0);
		WF_ASSERT(wf_kv_equal(&r2.query, &r.query));
		wf_req_free(&r2);
		buf_free(&uri);
	}
	wf_req_free(&r);
	free(s);
	return 0;
}
