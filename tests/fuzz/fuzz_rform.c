/*
 * libFuzzer target for the reminder form (cgi/rform.c, issue 11): a
 * POST body, decoded as wadesk.fcgi decodes it (req_decode_pairs()),
 * read with rf_read() and checked with rf_check() against a fixed
 * account's groups at a fixed "now".  The first input byte says
 * whether the account is the operator's.  Properties: the error count
 * is the number of fields with a sentence, each sentence non-empty;
 * a form that passes has a valid name, at least one non-blank
 * message, only groups of the account, a first fire not in the past
 * (unless it is the stored one of an edit), 1 to FIRES_SHOWN
 * increasing fire times from now on, a rule exactly when it repeats,
 * and that rule parses back into controls that build the same rule
 * (recur.h's round trip).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rform.h"
#include "web_fuzz.h"

#define	NOW	INT64_C(1796000000)	/* 2026-11-29, a Sunday */

static const char *const groups[] = {
	"120363800000001@g.us", "120363800000002@g.us", "120363800000003@g.us"
};
#define	NGROUPS	(sizeof(groups) / sizeof(groups[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	struct kvlist		 form;
	struct rform		 f;
	struct recur_controls	 c;
	const char		*why = NULL;
	char			 again[RECUR_RULE_MAX];
	size_t			 i, j;
	int			 n, k, msgs;

	if (!init) {
		log_init("fuzz_rform", LOG_LEVEL_ERROR);
		init = 1;
	}
	if (size < 1 || size - 1 > REQ_BODY_MAX)
		return 0;
	memset(&form, 0, sizeof(form));
	if (req_decode_pairs(&form, (const char *)data + 1, size - 1,
	    '&') == -1) {
		kvlist_free(&form);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.saved_first = (data[0] & 2) ? NOW - 86400 : INT64_MIN;
	rf_read(&form, &f);
	n = rf_check(&f, data[0] & 1, groups, NGROUPS, NOW);
	WF_ASSERT(n == rf_nerrors(&f));
	for (k = 0; k < FE__MAX; k++)
		WF_ASSERT(f.err[k] == NULL || (f.err[k][0] != '\0' &&
		    strlen(f.err[k]) < sizeof(f.errbuf[k])));
	if (n == 0) {
		WF_ASSERT(data[0] & 1);
		WF_ASSERT(rf_text_check(f.name, NAME_MAX_BYTES, 0) == 0);
		WF_ASSERT(rz_zone_valid(f.tz));
		WF_ASSERT(f.njids >= 1 && f.njids <= TARGETS_MAX);
		for (i = 0; i < f.njids; i++) {
			for (j = 0; j < NGROUPS; j++)
				if (strcmp(f.jids[i], groups[j]) == 0)
					break;
			WF_ASSERT(j < NGROUPS);
		}
		for (i = 0, msgs = 0; i < f.nmsgs; i++) {
			k = rf_text_check(f.msgs[i], TEXT_MAX_BYTES, 1);
			WF_ASSERT(k == 0 || k == -3);
			msgs += k == 0;
		}
		WF_ASSERT(msgs >= 1);
		WF_ASSERT(f.first >= NOW || f.first == f.saved_first);
		WF_ASSERT(f.nfires >= 1 && f.nfires <= FIRES_SHOWN);
		WF_ASSERT(f.fires[0] >= NOW);
		for (k = 1; k < f.nfires; k++)
			WF_ASSERT(f.fires[k] > f.fires[k - 1]);
		WF_ASSERT(f.win >= 0 && f.win <= 24);
		WF_ASSERT((f.freq == RECUR_NONE) == (f.rule[0] == '\0'));
		if (f.rule[0] != '\0') {
			memset(&c, 0, sizeof(c));
			WF_ASSERT(rz_rule_parse(f.rule, f.tz, &c, &why) == 0);
			WF_ASSERT(rz_rule_build(&c, f.tz, f.first, again,
			    &why) == 0);
			if (strcmp(again, f.rule) != 0) {
				fprintf(stderr, "rule %s came back as %s\n",
				    f.rule, again);
				WF_ASSERT(strcmp(again, f.rule) == 0);
			}
		}
	}
	kvlist_free(&form);
	return 0;
}
