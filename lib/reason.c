/*
 * The reason and event-kind tables; see reason.h.  The codes are the
 * daemon's (daemon/policy.c policy_close_reason() and the plans there,
 * daemon/session.c, daemon/intake.c and the sweeps in
 * daemon/db_daemon.c) and the web's own event kinds (cgi/page_*.c).
 * Wording rules, checked by tests/unit/t_reason.c: "what" starts with a
 * capital and has no full stop at its end; "next" is a whole sentence.
 */
#include <string.h>

#include "buf.h"
#include "reason.h"

#define	NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define	CAUSE_MAX	200	/* bytes of a cause shown; the rest is cut */

static const struct reason	reasons[] = {
	/* Connection ends (policy_close_reason()). */
	{ "connect_failed", "Could not reach WhatsApp",
	    "Check this server's internet access (DNS, firewall, proxy), "
	    "then try again." },
	{ "login_timeout", "WhatsApp took the connection but did not "
	    "finish the login in time",
	    "Nothing to do if it happens once: with auto-connect on, the "
	    "session daemon tries again by itself; if it keeps happening, "
	    "check this server's network and the session daemon's log." },
	{ "connection_lost", "The connection to WhatsApp dropped",
	    "With auto-connect on, the session daemon reconnects by itself; "
	    "otherwise press Reconnect." },
	{ "keepalive_timeout", "WhatsApp stopped answering and the "
	    "connection timed out",
	    "Check this server's network; with auto-connect on, the session "
	    "daemon reconnects by itself, otherwise press Reconnect." },
	{ "client_outdated", "WhatsApp refused this client's version as "
	    "outdated",
	    "Set WADESK_WA_VERSION, or the file WADESK_WA_VERSION_FILE names, "
	    "to the current WhatsApp Web version, then try again." },
	{ "logged_out_from_phone", "The phone removed this linked device, "
	    "or WhatsApp logged it out",
	    "Press Pair and scan the new QR code to link it again." },
	{ "banned", "WhatsApp refused this account (banned or temporarily "
	    "blocked)",
	    "Look for a notice in WhatsApp on the phone; pair again once "
	    "WhatsApp allows the account." },
	{ "stream_replaced", "Another client took over this session",
	    "Make sure only one session daemon serves this account, then "
	    "press Reconnect." },
	{ "server_error", "WhatsApp's servers answered with an error",
	    "This is usually temporary: wait a minute, then try again." },
	{ "qr_timeout", "No phone scanned the QR code before the pairing "
	    "window ended",
	    "Press Pair for a new QR code and scan it within the window." },
	{ "pair_code_timeout", "The pairing code was not entered on the "
	    "phone before the pairing window ended",
	    "Press Pair with code for a new code and type it on the phone "
	    "within the window." },
	{ "pair_failed", "The phone's answer to the pairing did not verify",
	    "Press Pair and scan the new QR code; if it happens again, "
	    "update WhatsApp on the phone." },
	{ "bad_certificate", "The WhatsApp server's certificate was refused",
	    "Check that WADESK_WA_URL points at WhatsApp and that no proxy "
	    "intercepts the connection, then try again." },
	{ "protocol_error", "The connection broke on a message the client "
	    "could not read",
	    "Try again; if it happens again, report it with the session "
	    "daemon's log." },
	{ "unknown_error", "WhatsApp closed the connection for a reason "
	    "the client does not know",
	    "Try again; if it happens again, check the session daemon's "
	    "log." },
	{ "stopped", "The connection was stopped",
	    "Press Reconnect to connect again." },
	{ "restart_required", "WhatsApp asked the client to reconnect, as "
	    "it does right after pairing",
	    "Nothing to do: the session daemon reconnects at once." },
	/* The account's proxy (issue 13; daemon/wa/conn.c, daemon/proxy.c). */
	{ "proxy_refused", "Proxy refused the connection",
	    "Check the proxy's user name and password and that it allows "
	    "connections to WhatsApp (port 443), then press Reconnect." },
	{ "proxy_unreachable", "Could not reach the proxy",
	    "Check the proxy's address and port and that it is running, or "
	    "set another proxy on the account page, then press Reconnect." },
	/* Recorded by a wadeskd older than its own SOCKS5 client
	 * (daemon/wa/tunnel.c); this one never records it. */
	{ "proxy_unsupported", "This build cannot use SOCKS5 proxies (its "
	    "libwebsockets has no SOCKS5 support)",
	    "Update wadeskd (it now speaks SOCKS5 itself), or set an "
	    "http:// proxy on the account page, then press Reconnect." },
	{ "proxy_unreadable", "The account's proxy setting cannot be opened "
	    "with this session daemon's credentials key",
	    "Set the proxy again on the account page (the key file changed "
	    "since it was saved)." },
	/* The daemon's own reasons (policy.c plans, the start-up sweeps). */
	{ "daemon_stopped", "The session daemon was stopped",
	    "Start wadeskd again; accounts with auto-connect reconnect by "
	    "themselves." },
	{ "daemon_restarted", "The session daemon restarted while this was "
	    "in progress",
	    "Press Pair or Reconnect again." },
	{ "daemon_lost", "The session daemon that had this pairing window "
	    "open stopped answering (killed, paused or cut off from the "
	    "database) before a phone was linked",
	    "Press Pair again: a running session daemon opens a new "
	    "window." },
	{ "handover", "This account is moving to another session daemon "
	    "(one is draining or the fleet is rebalancing)",
	    "Nothing to do: the next daemon logs it in from its keys within "
	    "seconds." },
	{ "no_credentials", "This account has no keys, so it cannot connect",
	    "Press Pair to link it again." },
	{ "disconnected_by_operator", "An operator disconnected this account",
	    "Press Reconnect when it should be online again." },
	{ "operator", "An operator asked for it",
	    "Press Reconnect when it should be online again." },
	{ "duplicate", "The phone that scanned is already linked to another "
	    "account",
	    "Unpair that account first if this one should have the phone, "
	    "then press Pair." },
	/* Command errors (commands.error). */
	{ "the account is being logged out", "The account is being logged "
	    "out",
	    "Wait until the logout has finished, then try again." },
	{ "not now: pairing or logging out", "The account is pairing or "
	    "logging out right now",
	    "Wait for that to finish (or cancel the pairing), then try "
	    "again." },
	{ "no credentials", "This account has no keys, so it cannot connect",
	    "Press Pair to link it again." },
	{ "account deleted", "The account was deleted before the command ran",
	    "Nothing to do." },
	{ "unknown command", "The session daemon does not know this command",
	    "Run the same wadesk version for wadeskd and the dashboard." },
	{ "no such account", "The session daemon could not find the account",
	    "Reload the page: the account may have been deleted." },
	{ "the account is being deleted", "The account is being deleted",
	    "Nothing to do: it disappears shortly." },
	{ "superseded by a later command", "A later command replaced this "
	    "one",
	    "Nothing to do." },
	/* sync_groups command errors (daemon/groups.c, issue 10). */
	{ "groups_not_connected", "The account is not connected, so its "
	    "groups could not be fetched",
	    "Pair or reconnect it first, then press Sync now again." },
	{ "groups_refused", "WhatsApp refused to list this account's groups",
	    "Try Sync now again in a minute; if it keeps failing, reconnect "
	    "the account." },
	/* send_text born done by the groups page (cgi/page_groups.c). */
	{ "send_test_not_connected",
	    "Account not connected \u2014 pair it first",
	    "Pair or reconnect the account, then send the test again." },
	{ "groups_timeout", "WhatsApp did not answer the groups query in "
	    "time",
	    "Press Sync now again; if it keeps failing, reconnect the "
	    "account." },
	/* send_text results (daemon/send.c, issue 9). */
	{ "send_not_connected", "The account is not connected, so the "
	    "message was not sent",
	    "Reconnect the account (wadeskctl or the Reconnect button), "
	    "wait until it shows connected, then send again." },
	{ "send_unconfirmed", "The connection ended after the message went "
	    "out but before WhatsApp confirmed it, so it may or may not have "
	    "been delivered",
	    "Check the chat on the phone before sending it again." },
	{ "send_timeout", "WhatsApp did not answer the send within a minute",
	    "Check the account's connection, then send again; the message "
	    "may have arrived." },
	{ "send_stalled", "WhatsApp stopped acknowledging this account's "
	    "messages",
	    "The session daemon dropped the connection and reconnected; send "
	    "a test message to check. If sends keep timing out, press "
	    "Reconnect, or pair the account again." },
	{ "send_no_device", "WhatsApp lists no device for this number, so "
	    "there was nobody to encrypt the message for",
	    "Check the number (international format, no leading 0): it may "
	    "not be on WhatsApp." },
	{ "send_failed", "The message could not be encrypted",
	    "Try again; if it happens again, report it with the session "
	    "daemon's log." },
	{ "send_query_failed", "WhatsApp refused a lookup the send needed "
	    "(devices, keys or group members)",
	    "Check the recipient (a group must include this account), then "
	    "send again." },
	{ "send_restricted", "WhatsApp refused the message because this "
	    "account is restricted from sending (error 463, reach-out "
	    "timelock)",
	    "Wait until the restriction ends (the account page shows when, "
	    "if WhatsApp said); the account stays connected meanwhile." },
	{ "send_refused", "WhatsApp refused the message",
	    "Check the recipient and the text; 479 usually means the number "
	    "is not on WhatsApp, 421 that the server wants it sent again "
	    "later." },
	{ "send_bad_request", "The send command has no usable recipient or "
	    "text",
	    "Give a phone number in international format (or a group JID) "
	    "and a non-empty text." },
};

static const struct event_kind	kinds[] = {
	/* Operators' actions (cgi/page_accounts.c, cgi/page_account.c). */
	{ "created", "Account added" },
	{ "pair_requested", "Pairing requested (QR code)" },
	{ "pair_code_requested", "Pairing requested (pairing code)" },
	{ "pair_cancelled", "Pairing cancelled" },
	{ "reconnect_requested", "Reconnect requested" },
	{ "disconnect_requested", "Disconnect requested" },
	{ "unpair_requested", "Unpair requested" },
	{ "delete_requested", "Delete requested" },
	{ "renamed", "Renamed" },
	{ "auto_connect_changed", "Auto-connect changed" },
	{ "proxy_changed", "Proxy changed" },
	/* The session daemon's (daemon/policy.c, daemon/session.c). */
	{ "pair_timeout", "Pairing ended" },
	{ "qr_rotated", "New QR code" },
	{ "paired", "Phone linked" },
	{ "connected", "Connected" },
	{ "disconnected", "Disconnected" },
	{ "unpaired", "Unpaired" },
	{ "deleted", "Deleted" },
	{ "duplicate", "Phone already linked elsewhere" },
	{ "logged_out_from_phone", "Logged out from the phone" },
	{ "banned", "Banned" },
	{ "daemon_stopped", "Session daemon stopped" },
	{ "stream_replaced", "Connection closed" },
	{ "client_outdated", "Client version refused" },
	{ "server_error", "Connection closed" },
	{ "bad_certificate", "Connection refused" },
	{ "protocol_error", "Connection closed" },
	{ "keepalive_timeout", "Connection timed out" },
	{ "login_timeout", "Login timed out" },
	{ "connect_failed", "Could not connect" },
	{ "connection_lost", "Connection lost" },
	{ "unknown_error", "Connection closed" },
	{ "pair_failed", "Pairing failed" },
	{ "stopped", "Connection stopped" },
	{ "restart_required", "Reconnecting" },
	{ "qr_timeout", "Pairing ended" },
	/* Groups and send-test (issue 10: daemon/groups.c,
	 * cgi/page_groups.c). */
	{ "groups_synced", "Groups synced" },
	{ "groups_sync_requested", "Groups sync requested" },
	{ "send_test_requested", "Test message queued" },
	/* Sending (daemon/send.c). */
	{ "restricted", "Sending restricted by WhatsApp" },
	{ "unrestricted", "Sending allowed again" },
	{ "send_stalled", "Sends stalled" },
	{ "send_recovered", "Sends acknowledged again" },
	{ "identity_changed", "A contact's security code changed" },
	{ "proxy_refused", "Proxy refused the connection" },
	{ "proxy_unreachable", "Proxy unreachable" },
	{ "proxy_unsupported", "Proxy not supported" },
	{ "proxy_unreadable", "Proxy setting unreadable" },
	/* Reminders (issue 11: daemon/reminders.c). */
	{ "reminder.run", "Reminder run ended" },
};

/*
 * The entry for "code": an exact match, or the part before ": " for a
 * code with a text after it ("duplicate: Phone already linked to X").
 * Returns a static entry, or NULL for NULL or an unknown code.
 */
const struct reason *
reason_find(const char *code)
{
	const char	*colon;
	size_t		 i, n;

	if (code == NULL)
		return NULL;
	for (i = 0; i < NITEMS(reasons); i++)
		if (strcmp(code, reasons[i].code) == 0)
			return &reasons[i];
	if ((colon = strstr(code, ": ")) == NULL)
		return NULL;
	n = (size_t)(colon - code);
	for (i = 0; i < NITEMS(reasons); i++)
		if (strlen(reasons[i].code) == n &&
		    strncmp(code, reasons[i].code, n) == 0)
			return &reasons[i];
	return NULL;
}

/*
 * Append the operator's sentence for "code" to "out": "What (cause).
 * Next step." with "cause" (the detail the client saw, e.g.
 * "connection refused"; NULL or "" for none) cut to CAUSE_MAX bytes on
 * a UTF-8 boundary.  A code with a text after ": " shows that text as
 * the cause when "cause" is missing.  An unknown code is named, not
 * hidden.  Plain text: the caller escapes it for HTML.
 */
void
reason_write(struct buf *out, const char *code, const char *cause)
{
	const struct reason	*r;
	const char		*colon;
	size_t			 n;

	if (code == NULL || *code == '\0') {
		buf_puts(out, "No reason was recorded.");
		return;
	}
	if ((r = reason_find(code)) == NULL) {
		buf_puts(out, "The session daemon reported \u201c");
		buf_append(out, code, strnlen(code, CAUSE_MAX));
		buf_puts(out, "\u201d. Check the session daemon's log.");
		return;
	}
	if ((cause == NULL || *cause == '\0') &&
	    (colon = strstr(code, ": ")) != NULL)
		cause = colon + 2;
	buf_puts(out, r->what);
	if (cause != NULL && *cause != '\0') {
		n = strnlen(cause, CAUSE_MAX);
		if (n == CAUSE_MAX)
			while (n > 0 &&
			    ((unsigned char)cause[n] & 0xc0) == 0x80)
				n--;
		buf_puts(out, " (");
		buf_append(out, cause, n);
		buf_putc(out, ')');
	}
	buf_puts(out, ". ");
	buf_puts(out, r->next);
}

/* The title of event "kind" (static), or "kind" itself if unknown. */
const char *
event_title(const char *kind)
{
	size_t	 i;

	if (kind == NULL)
		return "";
	for (i = 0; i < NITEMS(kinds); i++)
		if (strcmp(kind, kinds[i].kind) == 0)
			return kinds[i].title;
	return kind;
}

/* The tables, for tests and listings: counts and the i-th entries. */
size_t
reason_count(void)
{

	return NITEMS(reasons);
}

const struct reason *
reason_at(size_t i)
{

	return i < NITEMS(reasons) ? &reasons[i] : NULL;
}

size_t
event_kind_count(void)
{

	return NITEMS(kinds);
}

const struct event_kind *
event_kind_at(size_t i)
{

	return i < NITEMS(kinds) ? &kinds[i] : NULL;
}
