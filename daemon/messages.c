/*
 * Received texts in the messages table (sql/015): the last
 * WADESK_MESSAGES_KEEP per chat, for send-test proofs and the pages.
 * session.c's message callback calls messages_store() inside a fenced
 * transaction, so a daemon that lost the account's lease writes
 * nothing; the credentials wipe (DS_CREDS_DELETE) removes the rows in
 * the same transaction as the status change.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "xalloc.h"

#define	TEXT_MAX	65536	/* bytes kept of one text (sql/015: chars) */
#define	T_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if none. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t		 len, i;
	uint32_t	 cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong, surrogate or beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * A copy of s that PostgreSQL accepts as text: every byte that does not
 * start a valid UTF-8 sequence becomes U+FFFD (the sender's bytes are
 * untrusted; protobuf-c does not check them), at most TEXT_MAX bytes,
 * cut at a character boundary.  Caller frees.
 */
static char *
utf8_clean(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i = 0, o = 0, k;
	char			*out;

	out = xmalloc(n * 3 + 1);
	while (i < n) {
		if ((k = utf8_seq(p + i, n - i)) == 0) {
			if (o + 3 > TEXT_MAX)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + k > TEXT_MAX)
			break;
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

/*
 * Store received message "m" of account "id" (borrowed, wa.h struct
 * wa_message) and trim its chat to d->conf.messages_keep rows, inside
 * the caller's transaction.  A message without text, or with keep 0, is
 * not stored (returns 0), nor one whose id or JIDs exceed sql/015's
 * bounds (logged, returns 0).  Our own phone's device-sent texts are
 * direction 'out', the rest 'in' (sql/015's trigger emits
 * message.received for those).  Returns 0, or -1 (logged by db_exec;
 * the caller rolls back).
 */
int
messages_store(struct daemon *d, int64_t id, const struct wa_message *m)
{
	const char	*p[8];
	char		 sid[24], t[24], keep[16], *text, *name = NULL;
	int		 rc;

	if (m->text == NULL || d->conf.messages_keep <= 0)
		return 0;
	/* sql/015's bounds, checked here: a row that cannot be stored is
	 * skipped (logged), never a failed transaction, which would leave
	 * the whole stanza unanswered for good */
	if (m->id == NULL || m->chat == NULL || m->sender == NULL ||
	    strlen(m->id) < 1 || strlen(m->id) > 128 ||
	    strlen(m->chat) < 3 || strlen(m->chat) > 128 ||
	    strlen(m->sender) < 3 || strlen(m->sender) > 128) {
		log_warnx("account %" PRId64 ": a message from %.60s has an "
		    "id or address too long to store; it is not kept", id,
		    m->sender != NULL ? m->sender : "?");
		return 0;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	/* <message t> is the sender's server's word: one PostgreSQL cannot
	 * hold (after 9999) counts as "now" */
	snprintf(t, sizeof(t), "%lld", m->t > 0 && m->t < T_MAX ?
	    (long long)m->t : 0LL);
	snprintf(keep, sizeof(keep), "%d", d->conf.messages_keep);
	text = utf8_clean(m->text);
	if (m->push_name != NULL)
		name = utf8_clean(m->push_name);
	if (name != NULL && strlen(name) > 256)
		name[0] = '\0';	/* over sql/015's bound: left out */
	p[0] = sid;
	p[1] = m->chat;
	p[2] = m->sender;
	p[3] = m->id;
	p[4] = text;
	p[5] = name != NULL && name[0] != '\0' ? name : NULL;
	p[6] = m->from_me ? "out" : "in";
	p[7] = t;
	rc = db_exec_cmd(d->db, DS_MESSAGE_PUT, p);
	if (rc == 0) {
		p[2] = keep;
		rc = db_exec_cmd(d->db, DS_MESSAGES_TRIM, p);
	}
	free(text);
	free(name);
	return rc;
}
