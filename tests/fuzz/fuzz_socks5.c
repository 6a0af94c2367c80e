/*
 * libFuzzer target for daemon/wa/socks5.c, the parsers of what a
 * SOCKS5 proxy sends (RFC 1928 sections 3 and 6, RFC 1929 section 2).
 * The first input byte picks the parser (and whether user/password was
 * offered); the rest is the proxy's bytes.  Checked: a parser never
 * claims more bytes than it was given, a refusal always has words, a
 * complete reply is "more needed" at every shorter cut (a reply is
 * never recognised early), and the parse of the complete reply does
 * not depend on bytes after it.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socks5.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One parse of "in" ("len" bytes) by parser "which". */
static int
parse(int which, int auth, const uint8_t *in, size_t len,
    struct socks5_reply *r)
{
	const char	*why = NULL;
	uint8_t		 method = 0x7f;
	int		 rc, acc = -1;

	switch (which) {
	case 0:
		rc = socks5_method_parse(in, len, auth, &method, &why);
		if (rc > 0)
			assert(method == SOCKS5_METHOD_NONE ||
			    (auth && method == SOCKS5_METHOD_USERPASS));
		break;
	case 1:
		rc = socks5_auth_parse(in, len, &acc, &why);
		if (rc > 0)
			assert(acc == 0 || acc == 1);
		break;
	default:
		rc = socks5_reply_parse(in, len, r, &why);
		if (rc > 0)
			assert(socks5_rep_words(r->rep) != NULL);
		break;
	}
	assert(rc >= -1 && (rc < 0 || (size_t)rc <= len));
	assert(rc != -1 || (why != NULL && *why != '\0'));
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct socks5_reply	 r, r2;
	const uint8_t		*in;
	size_t			 len, i;
	int			 which, auth, rc;

	if (size < 1)
		return 0;
	which = data[0] % 3;
	auth = (data[0] >> 2) & 1;
	in = data + 1;
	len = size - 1;
	memset(&r, 0, sizeof(r));
	if ((rc = parse(which, auth, in, len, &r)) <= 0)
		return 0;
	for (i = 0; i < (size_t)rc; i++) {
		memset(&r2, 0, sizeof(r2));
		/* A shorter cut may already be malformed (a bad first byte
		 * is seen at once) only if the whole is too: never here. */
		assert(parse(which, auth, in, i, &r2) == 0);
	}
	memset(&r2, 0, sizeof(r2));
	assert(parse(which, auth, in, (size_t)rc, &r2) == rc);
	if (which == 2)
		assert(r2.rep == r.rep && r2.atyp == r.atyp &&
		    r2.port == r.port);
	return 0;
}
