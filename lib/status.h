/*
 * accounts.status values (DESIGN.md "Status values"): the contract
 * between the handlers and the daemon.  Change only together with the
 * CHECK constraint in sql/.
 */
#ifndef WADESK_STATUS_H
#define WADESK_STATUS_H

#define	STATUSES(X) \
	X(UNPAIRED, "unpaired", "Not paired") \
	X(PENDING, "pending", "Pairing") \
	X(CONNECTING, "connecting", "Connecting") \
	X(CONNECTED, "connected", "Connected") \
	X(DISCONNECTED, "disconnected", "Disconnected") \
	X(LOGGED_OUT, "logged_out", "Logged out") \
	X(BANNED, "banned", "Banned")

enum	status {
#define	STATUS_ENUM(n, s, t)	STATUS_##n,
	STATUSES(STATUS_ENUM)
#undef	STATUS_ENUM
	STATUS__MAX
};

int		 status_parse(const char *s, enum status *out);
const char	*status_name(enum status st);
const char	*status_text(enum status st);

#endif /* !WADESK_STATUS_H */
