/*
 * libFuzzer target for urlencoded forms (cgi/req.c): the body of a
 * POST, decoded by req_decode_pairs() in one go and through
 * req_from_params() read in pieces of any size, with or without a
 * CONTENT_LENGTH (a chunked request nginx passes on as it comes).  The
 * input is one byte of seed for the piece sizes, then the body.
 * Properties: pieces never change the result; what decodes
 * re-encodes (as a browser would) and decodes to the same pairs; what
 * does not decode is a 400, never a guess.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "web_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	char		 clen[32], clparam[48];
	char		*env[6];
	struct kvlist	 whole, again;
	struct req	 r;
	struct wf_body	 b;
	struct buf	 enc;
	const char	*why = NULL, *body;
	size_t		 len, i;
	int		 rc, rc_whole;

	if (!init) {
		log_init("fuzz_form", LOG_LEVEL_ERROR);
		init = 1;
	}
	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	len = size - 1;

	memset(&whole, 0, sizeof(whole));
	rc_whole = req_decode_pairs(&whole, body, len, '&');
	WF_ASSERT(whole.n <= REQ_FIELDS_MAX);

	/* The same bytes as a POST body, in pieces. */
	snprintf(clen, sizeof(clen), "%zu", len);
	snprintf(clparam, sizeof(clparam), "CONTENT_LENGTH=%s",
	    data[0] & 1 ? "" : clen);
	env[0] = "REQUEST_METHOD=POST";
	env[1] = "REQUEST_URI=/login";
	env[2] = "CONTENT_TYPE=application/x-www-form-urlencoded; "
	    "charset=UTF-8";
	env[3] = clparam;
	env[4] = NULL;
	memset(&b, 0, sizeof(b));
	b.data = body;
	b.len = len;
	b.seed = data[0] * 2246822519u + 7;
	b.maxpiece = 1 + (data[0] >> 1);
	b.fail_at = SIZE_MAX;
	req_init(&r, NULL);
	rc = req_from_params(&r, env, wf_body_read, &b, &why);
	if (len > REQ_BODY_MAX)
		WF_ASSERT(rc == 413 && r.form.n == 0);
	else {
		WF_ASSERT(rc == 0);
		WF_ASSERT(r.bad_input == (rc_whole == -1));
		if (rc_whole == 0)
			WF_ASSERT(wf_kv_equal(&r.form, &whole));
	}
	wf_req_free(&r);

	/* What decoded, re-encoded, decodes to the same pairs. */
	if (rc_whole == 0) {
		buf_init(&enc);
		for (i = 0; i < whole.n; i++) {
			if (i > 0)
				buf_putc(&enc, '&');
			wf_pct_encode(&enc, whole.kv[i].key, NULL);
			buf_putc(&enc, '=');
			wf_pct_encode(&enc, whole.kv[i].val, NULL);
		}
		memset(&again, 0, sizeof(again));
		WF_ASSERT(req_decode_pairs(&again, buf_str(&enc), enc.len,
		    '&') == 0);
		WF_ASSERT(wf_kv_equal(&again, &whole));
		kvlist_free(&again);
		buf_free(&enc);
	}
	kvlist_free(&whole);
	return 0;
}
