/*
 * The session lifecycle rules of DESIGN.md ("Session lifecycle rules"
 * 1-10) as pure functions: policy_decide() takes what the daemon knows
 * about one account's session and one event, and returns a plan of
 * what to do.  No database, no network, no clock: session.c applies
 * the plan, and tests/unit/t_session.c checks every rule here.
 *
 * Which closes are retried follows whatsmeow (connectionevents.go,
 * handleStreamError and handleConnectFailure): a 515 reconnects at
 * once; conflict "replaced", failure 405 (client outdated), 401/403
 * and unknown failures expect the disconnect and do not reconnect;
 * 5xx and a lost socket are left to the automatic reconnect, which
 * here is rule 5's back-off.
 */
#include <string.h>

#include "daemon.h"

/* Names for logs; indexed by enum sess_state. */
static const char *const	state_names[SESS__MAX] = {
	"idle",			/* SESS_IDLE */
	"pairing",		/* SESS_PAIRING */
	"logging_in",		/* SESS_LOGGING_IN */
	"connected",		/* SESS_CONNECTED */
	"backoff",		/* SESS_BACKOFF */
	"logging_out",		/* SESS_LOGGING_OUT */
	"relink",		/* SESS_RELINK */
};

/* Name of "st" for logs; "?" when out of range. */
const char *
policy_state_name(enum sess_state st)
{

	return (unsigned)st < SESS__MAX ? state_names[st] : "?";
}

/*
 * The reason code written to accounts.disconnect_reason and to the
 * account_events row for a connection that ended with "reason" (the
 * codes listed in issue 4).  Static strings.
 */
const char *
policy_close_reason(enum wa_reason reason)
{

	switch (reason) {
	case WA_REASON_STOPPED:
		return "stopped";
	case WA_REASON_RESTART_REQUIRED:
		return "restart_required";
	case WA_REASON_LOGGED_OUT:
		return "logged_out_from_phone";
	case WA_REASON_BANNED:
		return "banned";
	case WA_REASON_REPLACED:
		return "stream_replaced";
	case WA_REASON_OUTDATED:
		return "client_outdated";
	case WA_REASON_SERVER_ERROR:
		return "server_error";
	case WA_REASON_QR_EXHAUSTED:
		return "qr_timeout";
	case WA_REASON_PAIR_FAILED:
		return "pair_failed";
	case WA_REASON_BAD_CERT:
		return "bad_certificate";
	case WA_REASON_PROTOCOL:
		return "protocol_error";
	case WA_REASON_TIMEOUT:
		return "keepalive_timeout";
	case WA_REASON_CONNECT_FAILED:
		return "connect_failed";
	case WA_REASON_CONNECTION_LOST:
		return "connection_lost";
	case WA_REASON_PROXY_REFUSED:
		return "proxy_refused";
	case WA_REASON_PROXY_UNREACHABLE:
		return "proxy_unreachable";
	case WA_REASON_PROXY_UNSUPPORTED:
		return "proxy_unsupported";
	case WA_REASON_PROXY_UNREADABLE:
		return "proxy_unreadable";
	default:
		return "unknown_error";
	}
}

/*
 * Issue 12: a daemon's fair share of "total" accounts when the live
 * daemons that take accounts have the capacities caps[0..n-1]
 * (WADESK_MAX_SESSIONS each; ours, "own", among them): the level L
 * that fills the fleet evenly, each daemon holding min(its capacity,
 * L), with L the smallest that places every account (or the largest
 * capacity when the fleet cannot hold them all); our share is
 * min(own, L).  With equal capacities that is ceil(total / n); a
 * daemon with a small WADESK_MAX_SESSIONS leaves its rest to the
 * others instead of to nobody.  n == 0 (our heartbeat not in yet):
 * min(own, total).
 */
int
policy_fair_share(int total, const int *caps, int n, int own)
{
	int64_t	 sum;
	int	 lo, hi, mid, i, top = 0;

	if (total <= 0)
		return 0;
	if (n <= 0)
		return own < total ? own : total;
	for (i = 0; i < n; i++)
		if (caps[i] > top)
			top = caps[i];
	/* The smallest L in [ceil(total / n), top] with sum >= total. */
	lo = total / n + (total % n != 0);
	if (lo > top)
		lo = top;
	hi = top;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		sum = 0;
		for (i = 0; i < n; i++)
			sum += caps[i] < mid ? caps[i] : mid;
		if (sum >= total)
			hi = mid;
		else
			lo = mid + 1;
	}
	return own < lo ? own : lo;
}

/*
 * Reconnect delay for back-off attempt "attempt" (0-based): the floor
 * doubled per attempt, capped at "max_ms", with "equal jitter" (half
 * fixed, half drawn from "rnd") so that many accounts dropped at once
 * do not come back in step.  Milliseconds, never below min_ms / 2.
 */
uint64_t
policy_backoff_ms(int attempt, int min_ms, int max_ms, uint32_t rnd)
{
	uint64_t	 d;
	int		 i;

	if (min_ms < 1)
		min_ms = 1;
	if (max_ms < min_ms)
		max_ms = min_ms;
	d = (uint64_t)min_ms;
	for (i = 0; i < attempt && d < (uint64_t)max_ms; i++)
		d *= 2;
	if (d > (uint64_t)max_ms)
		d = (uint64_t)max_ms;
	return d / 2 + rnd % (d - d / 2 + 1);
}

/* Rule 1: a pairing attempt that ends without a linked device. */
static void
pairing_failed(const struct sess_facts *f, const char *why,
    struct sess_plan *p)
{

	p->write_row = 1;
	p->status = STATUS_UNPAIRED;
	p->clear_pairing = 1;
	p->reason = why;
	p->event = "pair_timeout";
	p->event_reason = why;
	p->next = SESS_IDLE;
}

/* Rule 8: the phone removed the device. */
static void
logged_out(const struct sess_facts *f, int closed, struct sess_plan *p)
{

	p->wipe_creds = 1;
	p->write_row = 1;
	p->status = STATUS_LOGGED_OUT;
	p->reason = "logged_out_from_phone";
	p->clear_pairing = 1;
	p->event = "logged_out_from_phone";
	p->next = SESS_IDLE;
	if (!f->auto_connect)
		return;
	if (!closed) {
		/* The close follows; the new window opens then. */
		p->next = SESS_RELINK;
		return;
	}
	p->open_window = 1;
	p->start = SSTART_PAIR;
	p->arm_deadline = 1;
	p->next = SESS_PAIRING;
}

static void
cmd_pair(const struct sess_facts *f, const struct sess_input *in,
    struct sess_plan *p)
{

	if (f->state == SESS_LOGGING_OUT) {
		p->error = "the account is being logged out";
		return;
	}
	p->stop = 1;
	p->wipe_creds = f->has_creds;	/* fresh keys (rule 1) */
	p->open_window = 1;
	p->arm_deadline = 1;
	p->backoff_reset = 1;
	p->start = in->ev == SEV_CMD_PAIR_CODE ? SSTART_PAIR_CODE :
	    SSTART_PAIR;
	p->next = SESS_PAIRING;
	p->op = SOP_NONE;
	p->result = "pairing started";
}

static void
cmd_reconnect(const struct sess_facts *f, struct sess_plan *p)
{

	switch (f->state) {
	case SESS_CONNECTED:
		p->write_row = 1;
		p->status = STATUS_CONNECTED;
		p->result = "already connected";
		return;
	case SESS_LOGGING_IN:
		p->result = "already connecting";
		return;
	case SESS_PAIRING:
	case SESS_LOGGING_OUT:
	case SESS_RELINK:
		p->error = "not now: pairing or logging out";
		return;
	default:
		break;
	}
	if (!f->has_creds) {
		p->write_row = 1;
		p->status = STATUS_UNPAIRED;
		p->reason = "no_credentials";
		p->event = "unpaired";
		p->event_reason = "no_credentials";
		p->error = "no credentials";
		return;
	}
	p->stop = 1;
	p->start = SSTART_LOGIN;
	p->write_row = 1;
	p->status = STATUS_CONNECTING;
	p->backoff_reset = 1;
	p->next = SESS_LOGGING_IN;
	p->result = "connecting";
}

static void
cmd_disconnect(const struct sess_facts *f, struct sess_plan *p)
{

	if (f->state == SESS_LOGGING_OUT) {
		p->result = "logout in progress";
		return;
	}
	/* Rule 4 and 7: close only, keep the credentials. */
	p->stop = 1;
	p->next = SESS_IDLE;
	p->write_row = 1;
	if (f->state == SESS_PAIRING || !f->has_creds) {
		p->status = STATUS_UNPAIRED;
		p->clear_pairing = 1;
	} else {
		p->status = STATUS_DISCONNECTED;
		p->reason = "disconnected_by_operator";
	}
	p->event = "disconnected";
	p->event_reason = "operator";
	p->result = "disconnected";
}

/* Rule 7: unpair and delete log out first. */
static void
cmd_logout_first(const struct sess_facts *f, enum sess_op op,
    struct sess_plan *p)
{

	p->op = op;
	switch (f->state) {
	case SESS_LOGGING_OUT:
		/* The logout is already under way; the new op wins. */
		p->cmd_open = 1;
		return;
	case SESS_CONNECTED:
	case SESS_LOGGING_IN:
		p->logout = 1;
		break;
	default:
		if (!f->has_creds) {
			p->stop = 1;
			p->finish_op = 1;
			p->next = SESS_IDLE;
			return;
		}
		/* Log in just to log out, so the phone drops us. */
		p->stop = 1;
		p->start = SSTART_LOGIN;
		p->logout = 1;
		break;
	}
	p->cmd_open = 1;
	p->arm_logout = 1;
	p->next = SESS_LOGGING_OUT;
}

static void
on_paired(const struct sess_facts *f, const struct sess_input *in,
    struct sess_plan *p)
{

	if (f->state != SESS_PAIRING)
		return;
	if (in->dup_label != NULL) {
		/* Rule 6: never keep a second link to one phone. */
		p->write_row = 1;
		p->status = STATUS_UNPAIRED;
		p->clear_pairing = 1;
		p->reason = "duplicate";
		p->event = "duplicate";
		p->logout = 1;
		p->arm_logout = 1;
		p->op = SOP_DUPLICATE;
		p->next = SESS_LOGGING_OUT;
		return;
	}
	p->store_creds = 1;
	p->write_identity = 1;
	p->write_row = 1;
	p->status = STATUS_CONNECTING;
	p->clear_pairing = 1;
	p->event = "paired";
	/* Rule 2: the 515 that follows is handled inside the client. */
	p->next = SESS_LOGGING_IN;
}

static void
on_connected(const struct sess_facts *f, struct sess_plan *p)
{

	switch (f->state) {
	case SESS_LOGGING_OUT:
		p->logout = 1;
		return;
	case SESS_PAIRING:
	case SESS_LOGGING_IN:
		p->write_row = 1;
		p->status = STATUS_CONNECTED;
		p->write_identity = 1;
		p->clear_pairing = 1;
		p->event = "connected";
		p->set_connected = 1;
		p->backoff_reset = 1;
		p->next = SESS_CONNECTED;
		return;
	default:
		return;
	}
}

static void
on_logged_out(const struct sess_facts *f, const struct sess_input *in,
    struct sess_plan *p)
{

	switch (f->state) {
	case SESS_CONNECTED:
	case SESS_LOGGING_IN:
	case SESS_BACKOFF:
		break;
	default:
		return;		/* our own logout, or no login */
	}
	if (in->reason == WA_REASON_BANNED) {
		p->write_row = 1;
		p->status = STATUS_BANNED;
		p->reason = "banned";
		p->event = "banned";
		p->next = SESS_IDLE;
		return;
	}
	logged_out(f, 0, p);
}

/* A connection that was logging in or logged in ended unasked. */
static void
closed_unasked(const struct sess_facts *f, const struct sess_input *in,
    struct sess_plan *p)
{
	const char	*why;

	why = policy_close_reason(in->reason);
	switch (in->reason) {
	case WA_REASON_RESTART_REQUIRED:
		/* whatsmeow reconnects at once after a 515. */
		p->start = SSTART_LOGIN;
		p->write_row = 1;
		p->status = STATUS_CONNECTING;
		p->next = SESS_LOGGING_IN;
		return;
	case WA_REASON_LOGGED_OUT:
		logged_out(f, 1, p);
		return;
	case WA_REASON_BANNED:
		p->write_row = 1;
		p->status = STATUS_BANNED;
		p->reason = why;
		p->event = why;
		p->next = SESS_IDLE;
		return;
	case WA_REASON_REPLACED:
	case WA_REASON_OUTDATED:
	case WA_REASON_BAD_CERT:
	case WA_REASON_PROXY_UNSUPPORTED:
	case WA_REASON_PROXY_UNREADABLE:
		/* Retrying cannot help: another client took over, the
		 * version must change, the root key is wrong, or the
		 * proxy setting must change. */
		p->write_row = 1;
		p->status = STATUS_DISCONNECTED;
		p->reason = why;
		p->event = why;
		p->next = SESS_IDLE;
		return;
	default:
		break;
	}
	p->write_row = 1;
	p->status = STATUS_DISCONNECTED;
	p->reason = why;
	p->event = why;
	p->next = SESS_IDLE;
	/* Rule 5: only accounts that were connected, with auto_connect. */
	if (f->was_connected && f->auto_connect && f->has_creds) {
		p->backoff = 1;
		p->next = SESS_BACKOFF;
	}
}

static void
on_closed(const struct sess_facts *f, const struct sess_input *in,
    struct sess_plan *p)
{

	switch (f->state) {
	case SESS_LOGGING_OUT:
		p->finish_op = 1;	/* of p->op, then SOP_NONE */
		p->next = SESS_IDLE;
		return;
	case SESS_RELINK:
		/* Rule 8: one fresh pairing window. */
		p->open_window = 1;
		p->start = SSTART_PAIR;
		p->arm_deadline = 1;
		p->next = SESS_PAIRING;
		return;
	default:
		break;
	}
	/* Rule 4: a stop we asked for writes nothing. */
	if (in->intentional)
		return;
	switch (f->state) {
	case SESS_PAIRING:
		/* Rule 1: never left pending; rule 5: no retry. */
		if (in->reason == WA_REASON_QR_EXHAUSTED)
			pairing_failed(f, f->pair_by_code ?
			    "pair_code_timeout" : "qr_timeout", p);
		else
			pairing_failed(f, policy_close_reason(in->reason), p);
		return;
	case SESS_LOGGING_IN:
	case SESS_CONNECTED:
		closed_unasked(f, in, p);
		return;
	default:
		return;
	}
}

/*
 * The daemon's login deadline (DAEMON_LOGIN_MS): a login that neither
 * connected nor failed in time (the server took the socket and then
 * went quiet: no handshake answer, or no answer to the active IQ after
 * <success>) is dropped like a connection that failed, and retried
 * under rule 5's back-off.
 */
static void
login_deadline(const struct sess_facts *f, struct sess_plan *p)
{

	if (f->state != SESS_LOGGING_IN)
		return;
	p->stop = 1;
	p->write_row = 1;
	p->status = STATUS_DISCONNECTED;
	p->reason = "login_timeout";
	p->event = "login_timeout";
	p->next = SESS_IDLE;
	if (f->was_connected && f->auto_connect && f->has_creds) {
		p->backoff = 1;
		p->next = SESS_BACKOFF;
	}
}

static void
on_shutdown(const struct sess_facts *f, struct sess_plan *p)
{

	p->stop = 1;
	p->next = SESS_IDLE;
	switch (f->state) {
	case SESS_PAIRING:
		pairing_failed(f, "daemon_stopped", p);
		return;
	case SESS_CONNECTED:
	case SESS_LOGGING_IN:
	case SESS_BACKOFF:
		p->write_row = 1;
		p->status = STATUS_DISCONNECTED;
		p->reason = "daemon_stopped";
		p->event = "daemon_stopped";
		return;
	default:
		/* LOGGING_OUT: its command is claimed again on restart. */
		return;
	}
}

/*
 * Decide what event "in" means for a session with facts "f", filling
 * the caller's plan "p" (zeroed here; p->next and p->op start as the
 * current state and operation).  Pure: the same input always gives the
 * same plan.  Rule 3: an event from a client generation other than
 * f->gen sets p->ignore and nothing else.
 */
void
policy_decide(const struct sess_facts *f, const struct sess_input *in,
    struct sess_plan *p)
{

	memset(p, 0, sizeof(*p));
	p->next = f->state;
	p->op = f->op;
	p->status = STATUS_UNPAIRED;
	if (in->gen != f->gen) {
		p->ignore = 1;
		return;
	}
	switch (in->ev) {
	case SEV_CMD_PAIR:
	case SEV_CMD_PAIR_CODE:
		cmd_pair(f, in, p);
		break;
	case SEV_CMD_CANCEL_PAIR:
		if (f->state != SESS_PAIRING) {
			p->result = "not pairing";
			break;
		}
		p->stop = 1;
		p->write_row = 1;
		p->status = STATUS_UNPAIRED;
		p->clear_pairing = 1;
		p->next = SESS_IDLE;
		p->result = "cancelled";
		break;
	case SEV_CMD_RECONNECT:
		cmd_reconnect(f, p);
		break;
	case SEV_CMD_DISCONNECT:
		cmd_disconnect(f, p);
		break;
	case SEV_CMD_UNPAIR:
		cmd_logout_first(f, SOP_UNPAIR, p);
		break;
	case SEV_CMD_DELETE:
		cmd_logout_first(f, SOP_DELETE, p);
		break;
	case SEV_START:
		if (f->state != SESS_IDLE || !f->has_creds || !f->auto_connect)
			break;
		p->start = SSTART_LOGIN;
		p->write_row = 1;
		p->status = STATUS_CONNECTING;
		p->next = SESS_LOGGING_IN;
		break;
	case SEV_QR:
		if (f->state != SESS_PAIRING)
			break;
		p->write_qr = 1;
		if (in->qr_n > 1)
			p->event = "qr_rotated";
		break;
	case SEV_PAIR_CODE:
		if (f->state == SESS_PAIRING)
			p->write_code = 1;
		break;
	case SEV_PAIRED:
		on_paired(f, in, p);
		break;
	case SEV_CONNECTED:
		on_connected(f, p);
		break;
	case SEV_LOGGED_OUT:
		on_logged_out(f, in, p);
		break;
	case SEV_CLOSED:
		on_closed(f, in, p);
		break;
	case SEV_PAIR_DEADLINE:
		if (f->state != SESS_PAIRING)
			break;
		p->stop = 1;
		pairing_failed(f, f->pair_by_code ? "pair_code_timeout" :
		    "qr_timeout", p);
		break;
	case SEV_BACKOFF_DUE:
		if (f->state != SESS_BACKOFF || !f->has_creds)
			break;
		p->start = SSTART_LOGIN;
		p->write_row = 1;
		p->status = STATUS_CONNECTING;
		p->keep_reason = 1;
		p->next = SESS_LOGGING_IN;
		break;
	case SEV_LOGOUT_TIMEOUT:
		if (f->state != SESS_LOGGING_OUT)
			break;
		p->stop = 1;
		p->finish_op = 1;
		p->next = SESS_IDLE;
		break;
	case SEV_LOGIN_DEADLINE:
		login_deadline(f, p);
		break;
	case SEV_SHUTDOWN:
		on_shutdown(f, p);
		break;
	default:
		p->ignore = 1;
		break;
	}
}
