/*
 * The qr.png check's memo; see qrmemo.h for when an answer may be used.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "qrmemo.h"
#include "xalloc.h"

/* Bumped after every state-changing request (see qrmemo_bump()). */
static _Atomic uint64_t	 generation = 1;

static void
answer_free(struct qrmemo_answer *a)
{

	free(a->username);
	free(a->qr_code);
	free(a->label);
	memset(a, 0, sizeof(*a));
}

/* An empty memo. */
void
qrmemo_init(struct qrmemo *m)
{

	memset(m, 0, sizeof(*m));
}

/* Free every answer "m" holds; "m" is empty afterwards. */
void
qrmemo_free(struct qrmemo *m)
{
	int	 i;

	for (i = 0; i < QRMEMO_SLOTS; i++)
		answer_free(&m->slots[i].a);
	qrmemo_init(m);
}

/*
 * The current generation.  Read it before the database query whose
 * answer is then given to qrmemo_put(): a bump in between makes that
 * answer unusable from the start.
 */
uint64_t
qrmemo_gen(void)
{

	return atomic_load(&generation);
}

/*
 * Make every answer read so far, in every worker, unusable.  Call it
 * after a request that may have changed sessions, operators or
 * accounts has committed, before its response is sent.
 */
void
qrmemo_bump(void)
{

	atomic_fetch_add(&generation, 1);
}

/*
 * The answer for the session whose token hashes to "token_hash" (hex)
 * and account "account_id", or NULL when there is none usable at
 * "now_ms": none kept, older than "ttl_ms" (0 turns the memo off), read
 * before the last qrmemo_bump(), or for another qr_version than
 * "want_version" (-1: any).  The answer is borrowed until the next
 * qrmemo_put() or qrmemo_free() on "m".
 */
const struct qrmemo_answer *
qrmemo_get(struct qrmemo *m, const char *token_hash, int64_t account_id,
    int64_t want_version, double now_ms, int ttl_ms)
{
	struct qrmemo_slot	*s;
	uint64_t		 gen = qrmemo_gen();
	int			 i;

	for (i = 0; ttl_ms > 0 && i < QRMEMO_SLOTS; i++) {
		s = &m->slots[i];
		if (!s->used || s->account_id != account_id ||
		    strcmp(s->token_hash, token_hash) != 0)
			continue;
		if (s->gen != gen || now_ms < s->at_ms ||
		    now_ms - s->at_ms >= ttl_ms ||
		    (want_version >= 0 && s->a.qr_version != want_version))
			break;
		m->hits++;
		return &s->a;
	}
	m->misses++;
	return NULL;
}

/*
 * Keep a copy of answer "a" for ("token_hash", "account_id"), read at
 * "at_ms" under generation "gen" (qrmemo_gen() taken before the read).
 * It replaces the same key's answer, else the oldest-put slot.
 * "token_hash" longer than QRMEMO_HASH characters is not kept.
 */
void
qrmemo_put(struct qrmemo *m, const char *token_hash, int64_t account_id,
    uint64_t gen, double at_ms, const struct qrmemo_answer *a)
{
	struct qrmemo_slot	*s = NULL;
	int			 i;

	if (strlen(token_hash) > QRMEMO_HASH)
		return;
	for (i = 0; i < QRMEMO_SLOTS; i++)
		if (m->slots[i].used && m->slots[i].account_id == account_id &&
		    strcmp(m->slots[i].token_hash, token_hash) == 0) {
			s = &m->slots[i];
			break;
		}
	if (s == NULL) {
		s = &m->slots[m->next];
		m->next = (m->next + 1) % QRMEMO_SLOTS;
	}
	answer_free(&s->a);
	s->used = 1;
	memcpy(s->token_hash, token_hash, strlen(token_hash) + 1);
	s->account_id = account_id;
	s->gen = gen;
	s->at_ms = at_ms;
	s->a.operator_id = a->operator_id;
	s->a.username = xstrdup(a->username);
	s->a.is_admin = a->is_admin;
	memcpy(s->a.csrf, a->csrf, sizeof(s->a.csrf));
	s->a.csrf[QRMEMO_CSRF] = '\0';
	s->a.qr_code = xstrdup(a->qr_code);
	s->a.qr_version = a->qr_version;
	s->a.label = xstrdup(a->label);
}
