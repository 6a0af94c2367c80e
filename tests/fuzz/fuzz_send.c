/*
 * libFuzzer targets for the parsers of what the server answers a send
 * (daemon/wa/usync.h), one binary per parser, chosen at build time:
 *
 *	-DFUZZ_USYNC	wa_usync_parse (usync device lists with LIDs) and
 *			wa_group_parse (w:g2 group metadata), then wa_phash
 *			over the device JIDs found
 *	-DFUZZ_PREKEYS	wa_prekeys_parse (encrypt IQ result, bundles)
 *	-DFUZZ_ACK	wa_ack_parse (<ack class="message"> with error,
 *			phash, t) and wa_retry_parse (retry receipts for
 *			our messages, with their keys)
 *
 * The input is one binary node without the frame's flag byte (what
 * wa_binary_decode takes); seeds: tests/fuzz/seeds_send.mjs.  Besides
 * ASan/UBSan, each run checks the parser's promises: counts within
 * their bounds, every JID kept canonical, fixed-size fields as
 * documented; a broken promise aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "jid.h"
#include "usync.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
jid_check(const char *s, int may_be_empty)
{
	struct wa_jid	 j;

	if (memchr(s, '\0', WA_USYNC_JID_MAX) == NULL)
		abort();
	if (s[0] == '\0' ? !may_be_empty : !wa_jid_parse(s, &j))
		abort();
}

#if defined(FUZZ_USYNC)
static void
run(const struct wa_node *n)
{
	static struct wa_usync_user	 u[8];
	static char			 g[8][WA_USYNC_JID_MAX];
	char				 d[8 * WA_USYNC_DEVICES_MAX]
					    [WA_USYNC_JID_MAX];
	const char			*p[8 * WA_USYNC_DEVICES_MAX];
	char				 ph[WA_PHASH_LEN];
	size_t				 i, k, m = 0, nu, ng;

	if (wa_usync_parse(n, u, 8, &nu) == 0) {
		if (nu > 8)
			abort();
		for (i = 0; i < nu; i++) {
			jid_check(u[i].jid, 0);
			jid_check(u[i].lid, 1);
			if (u[i].ndev > WA_USYNC_DEVICES_MAX)
				abort();
			for (k = 0; k < u[i].ndev; k++) {
				snprintf(d[m], sizeof(d[m]), "%u:%s",
				    u[i].dev[k], u[i].jid);
				p[m] = d[m];
				m++;
			}
		}
		wa_phash(p, m, ph);
		if (strncmp(ph, "2:", 2) != 0 || strlen(ph) != 10)
			abort();
	} else if (nu != 0)
		abort();
	if (wa_group_parse(n, g, 8, &ng) == 0) {
		if (ng > 8)
			abort();
		for (i = 0; i < ng; i++)
			jid_check(g[i], 0);
	} else if (ng != 0)
		abort();
}
#elif defined(FUZZ_PREKEYS)
static void
run(const struct wa_node *n)
{
	static struct wa_bundle	 b[8];
	size_t			 i, nb;

	if (wa_prekeys_parse(n, b, 8, &nb) == -1) {
		if (nb != 0)
			abort();
		return;
	}
	if (nb > 8)
		abort();
	for (i = 0; i < nb; i++) {
		jid_check(b[i].jid, 0);
		if (b[i].error == 0 && (b[i].spk_id > 0xffffff ||
		    (b[i].has_prekey && b[i].prekey_id > 0xffffff)))
			abort();
		if (b[i].error < -2 || b[i].error == -1)
			abort();
	}
}
#elif defined(FUZZ_ACK)
static void
run(const struct wa_node *n)
{
	struct wa_ack_info	 a;
	struct wa_retry		 r;

	if (wa_ack_parse(n, &a) == 0 && (a.id == NULL || a.error < 0 ||
	    a.t < 0 || wa_node_attr(n, "id") != a.id))
		abort();
	if (wa_retry_parse(n, &r) == 0) {
		if (r.id == NULL || r.device == NULL || r.count < 1 ||
		    r.count > 99 || strcmp(r.b.jid, r.device) != 0)
			abort();
		jid_check(r.b.jid, 0);
		if (r.has_bundle && (r.b.error != 0 ||
		    r.b.spk_id > 0xffffff))
			abort();
	}
}
#else
#error "define FUZZ_USYNC, FUZZ_PREKEYS or FUZZ_ACK"
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_node	*n = NULL;

	if (wa_binary_decode(data, size, &n, NULL, 0) == 0) {
		run(n);
		wa_node_free(n);
	}
	return 0;
}
