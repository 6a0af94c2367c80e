/*
 * What the operator reads for a failure: one table from every reason
 * code the session daemon writes (accounts.disconnect_reason, the
 * "reason" of an account_events detail, a commands.error text) to a
 * sentence saying what happened and one saying what to do next, and
 * from every account_events.kind to a short title.  Shared by
 * wadesk.fcgi and wadeskctl, so a code reads the same everywhere.
 * tests/unit/t_reason.c derives the codes from the daemon's source and
 * checks that each one has an entry here.
 */
#ifndef WADESK_REASON_H
#define WADESK_REASON_H

#include <stddef.h>

struct buf;

struct	reason {
	const char	*code;	/* as written, e.g. "connect_failed" */
	const char	*what;	/* what happened: a sentence without its
				   full stop, so a cause can follow */
	const char	*next;	/* what to do next: a whole sentence */
};

struct	event_kind {
	const char	*kind;	/* account_events.kind */
	const char	*title;	/* e.g. "Pairing ended" (no full stop) */
};

const struct reason	*reason_find(const char *code);
void			 reason_write(struct buf *out, const char *code,
			    const char *cause);
const char		*event_title(const char *kind);
size_t			 reason_count(void);
const struct reason	*reason_at(size_t i);
size_t			 event_kind_count(void);
const struct event_kind	*event_kind_at(size_t i);

#endif /* !WADESK_REASON_H */
