/*
 * libFuzzer target for daemon/wa/groups.c.  The first input byte picks
 * a mode:
 *
 *   0  the rest is text for wa_text_clean_copy(), into a buffer whose
 *      size the second byte picks: the result must be clean (cleaning
 *      it again changes nothing), fit, and be NUL-terminated;
 *   1  the rest is a binary node (daemon/wa/binary.c, no frame flag
 *      byte) given to wa_groups_parse() and
 *      wa_group_notification_parse(): whatever they return, every JID
 *      handed out ends in "@g.us" within WA_GROUP_JID_MAX and every
 *      subject is clean UTF-8 within WA_GROUP_SUBJECT_MAX, no group
 *      appears twice, and the tri-states stay in {-1, 0, 1}.
 *
 * Any violated expectation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "groups.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct wa_group_self	self = { "15550001111", "4242" };

static void
check_jid(const char *jid)
{
	size_t	 len = strnlen(jid, WA_GROUP_JID_MAX + 1);

	if (len > WA_GROUP_JID_MAX || len < 6 ||
	    strcmp(jid + len - 5, "@g.us") != 0)
		abort();
}

static void
check_clean(const char *s, size_t max)
{
	char	*again;
	size_t	 len = strnlen(s, max + 1);

	if (len > max)
		abort();
	again = malloc(max + 1);
	if (again == NULL)
		abort();
	if (wa_text_clean_copy(again, max + 1, s, len) != len ||
	    memcmp(again, s, len + 1) != 0)
		abort();
	free(again);
}

static void
check_group(const struct wa_group *g)
{

	check_jid(g->jid);
	check_clean(g->subject, WA_GROUP_SUBJECT_MAX);
	if (g->participants < 0 || (g->is_admin != 0 && g->is_admin != 1) ||
	    (g->announce != 0 && g->announce != 1) ||
	    (g->locked != 0 && g->locked != 1))
		abort();
}

static void
text_mode(const uint8_t *data, size_t size)
{
	char	*out;
	size_t	 cap, n;

	if (size < 1)
		return;
	cap = (size_t)data[0] + 1;
	out = malloc(cap);
	if (out == NULL)
		abort();
	n = wa_text_clean_copy(out, cap, (const char *)data + 1, size - 1);
	if (n >= cap || out[n] != '\0' || strlen(out) != n)
		abort();
	check_clean(out, cap - 1);
	free(out);
}

static void
node_mode(const uint8_t *data, size_t size)
{
	struct wa_node		*n;
	struct wa_group		*v;
	struct wa_group_change	 ch;
	size_t			 nv, skipped, i, j;
	char			 err[96];
	int			 rc;

	if (wa_binary_decode(data, size, &n, err, sizeof(err)) != 0)
		return;
	if (wa_groups_parse(n, &self, &v, &nv, &skipped, err,
	    sizeof(err)) == 0) {
		if ((nv == 0) != (v == NULL) || nv > WA_GROUPS_MAX)
			abort();
		for (i = 0; i < nv; i++) {
			check_group(&v[i]);
			for (j = 0; j < i; j++)
				if (strcmp(v[i].jid, v[j].jid) == 0)
					abort();
		}
		free(v);
	} else if (v != NULL || nv != 0)
		abort();
	rc = wa_group_notification_parse(n, &self, &ch, err, sizeof(err));
	if (rc < -1 || rc > 1)
		abort();
	if (rc >= 0) {
		check_jid(ch.jid);
		if (ch.has_subject)
			check_clean(ch.subject, WA_GROUP_SUBJECT_MAX);
		if (ch.created)
			check_group(&ch.group);
		if (ch.added < 0 || ch.removed < 0 || ch.admin < -1 ||
		    ch.admin > 1 || ch.announce < -1 || ch.announce > 1 ||
		    ch.locked < -1 || ch.locked > 1)
			abort();
	}
	wa_node_free(n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;

	if (!ready) {
		log_init("fuzz_groups", LOG_LEVEL_ERROR);
		ready = 1;
	}
	if (size < 1)
		return 0;
	if (data[0] == 0)
		text_mode(data + 1, size - 1);
	else if (data[0] == 1)
		node_mode(data + 1, size - 1);
	return 0;
}
