/*
 * Tests for daemon/policy.c: DESIGN.md "Session lifecycle rules" 1-9
 * as pure decisions (rule 10, the heartbeat, is tested against the
 * real daemon in tests/daemon/run.sh).  Each case names its rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "t.h"

/* Facts for a session in "st", generation 7, with credentials. */
static struct sess_facts
facts(enum sess_state st)
{
	struct sess_facts	 f;

	memset(&f, 0, sizeof(f));
	f.state = st;
	f.gen = 7;
	f.has_creds = 1;
	f.was_connected = 1;
	f.auto_connect = 1;
	return f;
}

static struct sess_plan
decide(const struct sess_facts *f, enum sess_ev ev, enum wa_reason reason,
    int intentional)
{
	struct sess_input	 in;
	struct sess_plan	 p;

	memset(&in, 0, sizeof(in));
	in.ev = ev;
	in.gen = f->gen;
	in.reason = reason;
	in.intentional = intentional;
	policy_decide(f, &in, &p);
	return p;
}

/* Rule 1: a pair command opens a window with fresh keys. */
static int
rule1_pair_starts_fresh(void)
{
	struct sess_facts	 f = facts(SESS_IDLE);
	struct sess_plan	 p;

	p = decide(&f, SEV_CMD_PAIR, WA_REASON_NONE, 0);
	return T_INTEQ(p.start, SSTART_PAIR) && T_TRUE(p.wipe_creds) &&
	    T_TRUE(p.open_window) && T_TRUE(p.arm_deadline) &&
	    T_INTEQ(p.next, SESS_PAIRING) && T_STREQ(p.result,
	    "pairing started") && T_TRUE(!p.cmd_open);
}

static int
rule1_pair_code_starts_code(void)
{
	struct sess_facts	 f = facts(SESS_IDLE);
	struct sess_plan	 p;

	f.has_creds = 0;
	p = decide(&f, SEV_CMD_PAIR_CODE, WA_REASON_NONE, 0);
	return T_INTEQ(p.start, SSTART_PAIR_CODE) && T_TRUE(!p.wipe_creds);
}

/* Rule 1: every ref becomes a QR write; rotations are events. */
static int
rule1_qr_written_rotation_event(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_input	 in;
	struct sess_plan	 p1, p2;

	memset(&in, 0, sizeof(in));
	in.ev = SEV_QR;
	in.gen = 7;
	in.qr_n = 1;
	policy_decide(&f, &in, &p1);
	in.qr_n = 2;
	policy_decide(&f, &in, &p2);
	return T_TRUE(p1.write_qr) && T_TRUE(p1.event == NULL) &&
	    T_TRUE(p2.write_qr) && T_STREQ(p2.event, "qr_rotated") &&
	    T_INTEQ(p2.next, SESS_PAIRING);
}

/* Rule 1: a QR after the window closed writes nothing. */
static int
rule1_qr_outside_pairing_ignored(void)
{
	struct sess_facts	 f = facts(SESS_IDLE);
	struct sess_plan	 p;

	p = decide(&f, SEV_QR, WA_REASON_NONE, 0);
	return T_TRUE(!p.write_qr) && T_TRUE(!p.write_row);
}

/* Rule 1: the window ends -> unpaired, qr cleared, pair_timeout. */
static int
rule1_deadline_unpaired(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_plan	 p;

	p = decide(&f, SEV_PAIR_DEADLINE, WA_REASON_NONE, 0);
	return T_TRUE(p.stop) && T_TRUE(p.write_row) &&
	    T_INTEQ(p.status, STATUS_UNPAIRED) && T_TRUE(p.clear_pairing) &&
	    T_STREQ(p.event, "pair_timeout") &&
	    T_STREQ(p.event_reason, "qr_timeout") &&
	    T_INTEQ(p.next, SESS_IDLE) && T_INTEQ(p.start, SSTART_NONE);
}

static int
rule1_deadline_code_reason(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_plan	 p;

	f.pair_by_code = 1;
	p = decide(&f, SEV_PAIR_DEADLINE, WA_REASON_NONE, 0);
	return T_STREQ(p.reason, "pair_code_timeout");
}

/* Rule 1: refs ran out, or the socket closed -> unpaired; rule 5:
 * a pairing attempt is never retried. */
static int
rule1_closed_while_pairing_unpaired(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_plan	 p, q;

	p = decide(&f, SEV_CLOSED, WA_REASON_QR_EXHAUSTED, 0);
	q = decide(&f, SEV_CLOSED, WA_REASON_CONNECTION_LOST, 0);
	return T_INTEQ(p.status, STATUS_UNPAIRED) && T_TRUE(p.clear_pairing) &&
	    T_STREQ(p.event, "pair_timeout") && T_STREQ(p.reason,
	    "qr_timeout") && T_TRUE(!p.backoff) &&
	    T_INTEQ(p.start, SSTART_NONE) &&
	    T_INTEQ(q.status, STATUS_UNPAIRED) && T_STREQ(q.reason,
	    "connection_lost") && T_TRUE(!q.backoff) &&
	    T_INTEQ(q.start, SSTART_NONE);
}

/* Rule 1: cancel stops the attempt and clears the QR. */
static int
rule1_cancel(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_plan	 p;

	p = decide(&f, SEV_CMD_CANCEL_PAIR, WA_REASON_NONE, 0);
	return T_TRUE(p.stop) && T_INTEQ(p.status, STATUS_UNPAIRED) &&
	    T_TRUE(p.clear_pairing) && T_INTEQ(p.next, SESS_IDLE);
}

/* Rule 2: paired stores credentials and waits for the login the
 * client does after 515; no stop, no new attempt, no failure. */
static int
rule2_paired_then_connected(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_plan	 p, q;

	f.has_creds = 0;
	f.was_connected = 0;
	p = decide(&f, SEV_PAIRED, WA_REASON_NONE, 0);
	f.state = p.next;
	q = decide(&f, SEV_CONNECTED, WA_REASON_NONE, 0);
	return T_TRUE(p.store_creds) && T_TRUE(p.write_identity) &&
	    T_INTEQ(p.status, STATUS_CONNECTING) && T_STREQ(p.event,
	    "paired") && T_TRUE(!p.stop) && T_INTEQ(p.start, SSTART_NONE) &&
	    T_INTEQ(p.next, SESS_LOGGING_IN) &&
	    T_INTEQ(q.status, STATUS_CONNECTED) && T_TRUE(q.write_row) &&
	    T_STREQ(q.event, "connected") && T_TRUE(q.set_connected) &&
	    T_TRUE(q.clear_pairing) && T_INTEQ(q.next, SESS_CONNECTED);
}

/* Rule 2: a 515 later on is a reconnect at once, not a failure. */
static int
rule2_restart_required_reconnects(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p;

	f.auto_connect = 0;
	p = decide(&f, SEV_CLOSED, WA_REASON_RESTART_REQUIRED, 0);
	return T_INTEQ(p.start, SSTART_LOGIN) && T_TRUE(!p.backoff) &&
	    T_INTEQ(p.status, STATUS_CONNECTING) &&
	    T_INTEQ(p.next, SESS_LOGGING_IN) && T_TRUE(p.event == NULL);
}

/* Rule 3: events of another generation change nothing. */
static int
rule3_stale_generation_ignored(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_input	 in;
	struct sess_plan	 p;
	enum sess_ev		 evs[] = { SEV_CLOSED, SEV_QR, SEV_PAIRED,
				    SEV_CONNECTED, SEV_LOGGED_OUT };
	size_t			 i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		memset(&in, 0, sizeof(in));
		in.ev = evs[i];
		in.gen = 6;
		in.reason = WA_REASON_CONNECTION_LOST;
		in.qr_n = 2;
		policy_decide(&f, &in, &p);
		if (!T_TRUE(p.ignore) || !T_TRUE(!p.write_row) ||
		    !T_TRUE(!p.write_qr) || !T_INTEQ(p.next, SESS_PAIRING))
			return 0;
	}
	/* The same close from the current generation does act. */
	in.gen = 7;
	in.ev = SEV_CLOSED;
	policy_decide(&f, &in, &p);
	return T_TRUE(!p.ignore) && T_TRUE(p.write_row);
}

/* Rule 4: a close we asked for writes nothing, schedules nothing. */
static int
rule4_intentional_close_silent(void)
{
	enum sess_state		 sts[] = { SESS_CONNECTED, SESS_LOGGING_IN,
				    SESS_PAIRING, SESS_IDLE };
	struct sess_facts	 f;
	struct sess_plan	 p;
	size_t			 i;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++) {
		f = facts(sts[i]);
		p = decide(&f, SEV_CLOSED, WA_REASON_STOPPED, 1);
		if (!T_TRUE(!p.write_row) || !T_TRUE(!p.backoff) ||
		    !T_INTEQ(p.start, SSTART_NONE) ||
		    !T_TRUE(p.event == NULL) || !T_TRUE(!p.wipe_creds))
			return 0;
	}
	return 1;
}

/* Rule 4/7: disconnect closes and keeps the credentials. */
static int
rule4_disconnect_keeps_creds(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p;

	p = decide(&f, SEV_CMD_DISCONNECT, WA_REASON_NONE, 0);
	return T_TRUE(p.stop) && T_TRUE(!p.wipe_creds) && T_TRUE(!p.logout) &&
	    T_INTEQ(p.status, STATUS_DISCONNECTED) &&
	    T_INTEQ(p.next, SESS_IDLE) && T_TRUE(!p.backoff);
}

/* Rule 4: reconnect logs in with credentials, no QR. */
static int
rule4_reconnect_logs_in(void)
{
	struct sess_facts	 f = facts(SESS_IDLE);
	struct sess_plan	 p;

	p = decide(&f, SEV_CMD_RECONNECT, WA_REASON_NONE, 0);
	return T_INTEQ(p.start, SSTART_LOGIN) &&
	    T_INTEQ(p.status, STATUS_CONNECTING) && T_TRUE(!p.open_window);
}

/* Rule 5: a connection lost after being connected backs off... */
static int
rule5_backoff_when_connected_before(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p, q;

	p = decide(&f, SEV_CLOSED, WA_REASON_CONNECTION_LOST, 0);
	f.state = p.next;
	q = decide(&f, SEV_BACKOFF_DUE, WA_REASON_NONE, 0);
	return T_TRUE(p.backoff) && T_INTEQ(p.next, SESS_BACKOFF) &&
	    T_INTEQ(p.status, STATUS_DISCONNECTED) &&
	    T_STREQ(p.reason, "connection_lost") &&
	    T_STREQ(p.event, "connection_lost") &&
	    T_INTEQ(p.start, SSTART_NONE) &&
	    T_INTEQ(q.start, SSTART_LOGIN) && T_INTEQ(q.status,
	    STATUS_CONNECTING) && T_TRUE(q.keep_reason);
}

/* ...but not without auto_connect, nor if never connected. */
static int
rule5_no_backoff_otherwise(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED), g;
	struct sess_plan	 p, q;

	f.auto_connect = 0;
	p = decide(&f, SEV_CLOSED, WA_REASON_TIMEOUT, 0);
	g = facts(SESS_LOGGING_IN);
	g.was_connected = 0;
	q = decide(&g, SEV_CLOSED, WA_REASON_CONNECTION_LOST, 0);
	return T_TRUE(!p.backoff) && T_INTEQ(p.next, SESS_IDLE) &&
	    T_STREQ(p.reason, "keepalive_timeout") &&
	    T_TRUE(!q.backoff) && T_INTEQ(q.next, SESS_IDLE) &&
	    T_INTEQ(q.status, STATUS_DISCONNECTED);
}

/* Rule 5: exponential, jittered, capped. */
static int
rule5_backoff_curve(void)
{
	uint64_t	 a0, a3, big, lo, hi;

	a0 = policy_backoff_ms(0, 1000, 300000, 0);
	lo = policy_backoff_ms(3, 1000, 300000, 0);
	hi = policy_backoff_ms(3, 1000, 300000, UINT32_MAX);
	a3 = policy_backoff_ms(3, 1000, 300000, 12345);
	big = policy_backoff_ms(40, 1000, 300000, UINT32_MAX);
	return T_INTEQ(a0, 500) && T_INTEQ(lo, 4000) && T_TRUE(hi <= 8000) &&
	    T_TRUE(hi > 4000) && T_TRUE(a3 >= 4000 && a3 <= 8000) &&
	    T_TRUE(big <= 300000) && T_TRUE(big >= 150000);
}

/* Reasons that retrying cannot fix are shown and not retried. */
static int
reasons_no_retry(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 a, b, c;

	a = decide(&f, SEV_CLOSED, WA_REASON_REPLACED, 0);
	b = decide(&f, SEV_CLOSED, WA_REASON_OUTDATED, 0);
	c = decide(&f, SEV_CLOSED, WA_REASON_BANNED, 0);
	return T_STREQ(a.reason, "stream_replaced") && T_TRUE(!a.backoff) &&
	    T_INTEQ(a.status, STATUS_DISCONNECTED) &&
	    T_STREQ(b.reason, "client_outdated") && T_TRUE(!b.backoff) &&
	    T_STREQ(b.event, "client_outdated") &&
	    T_INTEQ(c.status, STATUS_BANNED) && T_TRUE(!c.backoff) &&
	    T_STREQ(c.event, "banned");
}

/* Protocol garbage closes with a clear reason and retries. */
static int
reasons_protocol_retries(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p;

	p = decide(&f, SEV_CLOSED, WA_REASON_PROTOCOL, 0);
	return T_STREQ(p.reason, "protocol_error") && T_TRUE(p.backoff);
}

/* Rule 6: a second link to a linked phone is logged out at once. */
static int
rule6_duplicate_logged_out(void)
{
	struct sess_facts	 f = facts(SESS_PAIRING);
	struct sess_input	 in;
	struct sess_plan	 p, q, r;

	f.has_creds = 0;
	memset(&in, 0, sizeof(in));
	in.ev = SEV_PAIRED;
	in.gen = 7;
	in.dup_label = "Shop A";
	policy_decide(&f, &in, &p);
	f.state = p.next;
	f.op = p.op;
	q = decide(&f, SEV_CONNECTED, WA_REASON_NONE, 0);
	r = decide(&f, SEV_CLOSED, WA_REASON_LOGGED_OUT, 1);
	return T_TRUE(!p.store_creds) && T_TRUE(p.logout) &&
	    T_INTEQ(p.status, STATUS_UNPAIRED) && T_TRUE(p.clear_pairing) &&
	    T_STREQ(p.event, "duplicate") && T_INTEQ(p.op, SOP_DUPLICATE) &&
	    T_INTEQ(p.next, SESS_LOGGING_OUT) && T_TRUE(p.arm_logout) &&
	    T_TRUE(q.logout) && T_TRUE(!q.write_row) &&
	    T_TRUE(r.finish_op) && T_INTEQ(r.op, SOP_DUPLICATE) &&
	    T_INTEQ(r.next, SESS_IDLE) && T_TRUE(!r.write_row);
}

/* Rule 7: unpair logs out first, and keeps the command open. */
static int
rule7_unpair_logs_out_first(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p, q;

	p = decide(&f, SEV_CMD_UNPAIR, WA_REASON_NONE, 0);
	f.state = p.next;
	f.op = p.op;
	q = decide(&f, SEV_CLOSED, WA_REASON_LOGGED_OUT, 1);
	return T_TRUE(p.logout) && T_TRUE(p.cmd_open) &&
	    T_TRUE(!p.wipe_creds) && T_TRUE(!p.finish_op) &&
	    T_INTEQ(p.next, SESS_LOGGING_OUT) && T_INTEQ(p.op, SOP_UNPAIR) &&
	    T_TRUE(q.finish_op) && T_INTEQ(q.op, SOP_UNPAIR) &&
	    T_INTEQ(q.next, SESS_IDLE);
}

/* Rule 7: a logout that never completes does not strand delete. */
static int
rule7_logout_timeout_finishes(void)
{
	struct sess_facts	 f = facts(SESS_LOGGING_OUT);
	struct sess_plan	 p;

	f.op = SOP_DELETE;
	p = decide(&f, SEV_LOGOUT_TIMEOUT, WA_REASON_NONE, 0);
	return T_TRUE(p.stop) && T_TRUE(p.finish_op) &&
	    T_INTEQ(p.op, SOP_DELETE) && T_INTEQ(p.next, SESS_IDLE);
}

/*
 * Rule 5 and the login deadline (DAEMON_LOGIN_MS): a login that never
 * ends is dropped with "login_timeout" and retried under the back-off
 * when the account was connected before; otherwise it stays
 * disconnected.  The deadline means nothing in any other state.
 */
static int
rule5_login_deadline_retries(void)
{
	struct sess_facts	 f = facts(SESS_LOGGING_IN), g, h;
	struct sess_plan	 p, q, r;

	g = f;
	g.was_connected = 0;
	h = facts(SESS_CONNECTED);
	p = decide(&f, SEV_LOGIN_DEADLINE, WA_REASON_NONE, 0);
	q = decide(&g, SEV_LOGIN_DEADLINE, WA_REASON_NONE, 0);
	r = decide(&h, SEV_LOGIN_DEADLINE, WA_REASON_NONE, 0);
	return T_TRUE(p.stop) && T_TRUE(p.write_row) &&
	    T_INTEQ(p.status, STATUS_DISCONNECTED) &&
	    T_STREQ(p.reason, "login_timeout") &&
	    T_STREQ(p.event, "login_timeout") && T_TRUE(p.backoff) &&
	    T_INTEQ(p.next, SESS_BACKOFF) && T_INTEQ(p.start, SSTART_NONE) &&
	    T_TRUE(q.stop) && T_TRUE(!q.backoff) &&
	    T_INTEQ(q.next, SESS_IDLE) && T_STREQ(q.reason, "login_timeout") &&
	    T_TRUE(!r.stop) && T_TRUE(!r.write_row) &&
	    T_INTEQ(r.next, SESS_CONNECTED);
}

/* Rule 7: delete of an offline linked account logs in to log out;
 * without credentials it finishes at once. */
static int
rule7_delete_offline(void)
{
	struct sess_facts	 f = facts(SESS_IDLE), g = facts(SESS_IDLE);
	struct sess_plan	 p, q;

	p = decide(&f, SEV_CMD_DELETE, WA_REASON_NONE, 0);
	g.has_creds = 0;
	q = decide(&g, SEV_CMD_DELETE, WA_REASON_NONE, 0);
	return T_INTEQ(p.start, SSTART_LOGIN) && T_TRUE(p.logout) &&
	    T_TRUE(p.cmd_open) && T_INTEQ(p.op, SOP_DELETE) &&
	    T_TRUE(q.finish_op) && T_TRUE(!q.cmd_open) &&
	    T_INTEQ(q.op, SOP_DELETE) && T_INTEQ(q.start, SSTART_NONE);
}

/* Rule 8: logged out by the phone -> wipe, logged_out, then one new
 * pairing window when the socket closes (auto_connect on). */
static int
rule8_logged_out_relinks(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p, q, r;

	p = decide(&f, SEV_LOGGED_OUT, WA_REASON_LOGGED_OUT, 0);
	f.state = p.next;
	f.has_creds = 0;
	q = decide(&f, SEV_CLOSED, WA_REASON_LOGGED_OUT, 0);
	f.state = q.next;
	r = decide(&f, SEV_PAIR_DEADLINE, WA_REASON_NONE, 0);
	return T_TRUE(p.wipe_creds) && T_INTEQ(p.status, STATUS_LOGGED_OUT) &&
	    T_STREQ(p.event, "logged_out_from_phone") &&
	    T_INTEQ(p.next, SESS_RELINK) && T_INTEQ(p.start, SSTART_NONE) &&
	    T_TRUE(q.open_window) && T_INTEQ(q.start, SSTART_PAIR) &&
	    T_INTEQ(q.next, SESS_PAIRING) &&
	    /* one window only: its end is final */
	    T_INTEQ(r.start, SSTART_NONE) && T_INTEQ(r.next, SESS_IDLE);
}

static int
rule8_logged_out_without_auto_connect(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p, q;

	f.auto_connect = 0;
	p = decide(&f, SEV_LOGGED_OUT, WA_REASON_LOGGED_OUT, 0);
	f.state = p.next;
	q = decide(&f, SEV_CLOSED, WA_REASON_LOGGED_OUT, 0);
	return T_TRUE(p.wipe_creds) && T_INTEQ(p.next, SESS_IDLE) &&
	    T_INTEQ(q.start, SSTART_NONE) && T_TRUE(!q.write_row);
}

/* Rule 8 (a close with 401 and no logged_out callback first). */
static int
rule8_close_401_relinks_at_once(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED);
	struct sess_plan	 p;

	p = decide(&f, SEV_CLOSED, WA_REASON_LOGGED_OUT, 0);
	return T_TRUE(p.wipe_creds) && T_TRUE(p.open_window) &&
	    T_INTEQ(p.start, SSTART_PAIR) && T_INTEQ(p.next, SESS_PAIRING);
}

/* A ban is shown and keeps the credentials (it may be lifted). */
static int
banned_keeps_creds(void)
{
	struct sess_facts	 f = facts(SESS_LOGGING_IN);
	struct sess_plan	 p;

	p = decide(&f, SEV_LOGGED_OUT, WA_REASON_BANNED, 0);
	return T_INTEQ(p.status, STATUS_BANNED) && T_TRUE(!p.wipe_creds) &&
	    T_STREQ(p.event, "banned") && T_INTEQ(p.next, SESS_IDLE);
}

/* Rule 9: start-up logs in accounts with credentials and
 * auto_connect, and only those. */
static int
rule9_startup_autoconnect(void)
{
	struct sess_facts	 f = facts(SESS_IDLE), g, h;
	struct sess_plan	 p, q, r;

	g = f;
	g.auto_connect = 0;
	h = f;
	h.has_creds = 0;
	p = decide(&f, SEV_START, WA_REASON_NONE, 0);
	q = decide(&g, SEV_START, WA_REASON_NONE, 0);
	r = decide(&h, SEV_START, WA_REASON_NONE, 0);
	return T_INTEQ(p.start, SSTART_LOGIN) && T_INTEQ(p.status,
	    STATUS_CONNECTING) && T_INTEQ(q.start, SSTART_NONE) &&
	    T_INTEQ(r.start, SSTART_NONE);
}

/* Rule 9: SIGTERM closes quietly and marks rows. */
static int
rule9_shutdown_marks_rows(void)
{
	struct sess_facts	 f = facts(SESS_CONNECTED), g;
	struct sess_plan	 p, q;

	g = facts(SESS_PAIRING);
	p = decide(&f, SEV_SHUTDOWN, WA_REASON_NONE, 0);
	q = decide(&g, SEV_SHUTDOWN, WA_REASON_NONE, 0);
	return T_TRUE(p.stop) && T_INTEQ(p.status, STATUS_DISCONNECTED) &&
	    T_STREQ(p.reason, "daemon_stopped") && T_TRUE(!p.backoff) &&
	    T_INTEQ(p.start, SSTART_NONE) &&
	    T_TRUE(q.stop) && T_INTEQ(q.status, STATUS_UNPAIRED) &&
	    T_TRUE(q.clear_pairing);
}

/*
 * Issue 12: the fair share fills the fleet evenly within each daemon's
 * WADESK_MAX_SESSIONS: equal capacities give ceil(total / n); a small
 * daemon's rest goes to the others, so every account has a place while
 * the fleet can hold them; beyond that each daemon is full.
 */
static int
fair_share_within_capacities(void)
{
	static const int	 eq[3] = { 10000, 10000, 10000 };
	static const int	 mixed[2] = { 10000, 1000 };
	static const int	 small[3] = { 100, 50, 10 };

	return T_INTEQ(policy_fair_share(300, eq, 3, 10000), 100) &&
	    T_INTEQ(policy_fair_share(301, eq, 3, 10000), 101) &&
	    T_INTEQ(policy_fair_share(2500, mixed, 2, 10000), 1500) &&
	    T_INTEQ(policy_fair_share(2500, mixed, 2, 1000), 1000) &&
	    T_INTEQ(policy_fair_share(1500, mixed, 2, 1000), 750) &&
	    T_INTEQ(policy_fair_share(90, small, 3, 10), 10) &&
	    T_INTEQ(policy_fair_share(90, small, 3, 50), 40) &&
	    T_INTEQ(policy_fair_share(90, small, 3, 100), 40) &&
	    T_INTEQ(policy_fair_share(500, small, 3, 100), 100) &&
	    T_INTEQ(policy_fair_share(500, small, 3, 50), 50) &&
	    T_INTEQ(policy_fair_share(0, eq, 3, 10000), 0) &&
	    T_INTEQ(policy_fair_share(40, NULL, 0, 30), 30) &&
	    T_INTEQ(policy_fair_share(20, NULL, 0, 30), 20);
}

/*
 * db_daemon.c's table: each entry sits at its enum index (checked by
 * name) and declares as many parameters as its SQL uses ($1..$n).
 */
static int
stmt_table_matches_enum(void)
{
	static const struct {
		size_t		 id;
		const char	*name;
	} want[] = {
		{ DS_INSTANCE_INSERT, "instance_insert" },
		{ DS_INSTANCE_BEAT, "instance_beat" },
		{ DS_INSTANCE_DELETE, "instance_delete" },
		{ DS_SWEEP_PENDING, "sweep_pending" },
		{ DS_COMMANDS_CLAIM, "commands_claim" },
		{ DS_COMMAND_DONE, "command_done" },
		{ DS_ACCOUNT_FACTS, "account_facts" },
		{ DS_ACCOUNT_STATE, "account_state" },
		{ DS_ACCOUNT_PAIR_BEGIN, "account_pair_begin" },
		{ DS_ACCOUNT_QR, "account_qr" },
		{ DS_ACCOUNT_CODE, "account_code" },
		{ DS_ACCOUNT_IDENTITY, "account_identity" },
		{ DS_ACCOUNT_DELETE, "account_delete" },
		{ DS_ACCOUNT_DUPLICATE, "account_duplicate" },
		{ DS_EVENT_INSERT, "event_insert" },
		{ DS_CREDS_GET, "creds_get" },
		{ DS_CREDS_PUT, "creds_put" },
		{ DS_CREDS_DELETE, "creds_delete" },
		{ DS_SWEEP_LIVE, "sweep_live" },
		{ DS_FRAMES_WRITE, "frames_write" },
		{ DS_ACCOUNT_LID, "account_lid" },
		{ DS_ACCOUNT_OFFLINE, "account_offline" },
		{ DS_PREKEYS_PUT, "prekeys_put" },
		{ DS_SIG_GET, "sig_get" },
		{ DS_SIG_PUT, "sig_put" },
		{ DS_SIG_DEL, "sig_del" },
		{ DS_SIG_DEL_PREFIX, "sig_del_prefix" },
		{ DS_PREKEY_GET, "prekey_get" },
		{ DS_PREKEY_USE, "prekey_use" },
		{ DS_LEASE_RENEW, "lease_renew" },
		{ DS_LEASE_FLEET, "lease_fleet" },
		{ DS_LEASE_CLAIM, "lease_claim" },
		{ DS_LEASE_FENCE, "lease_fence" },
		{ DS_LEASE_RELEASE, "lease_release" },
		{ DS_LEASE_RELEASE_ALL, "lease_release_all" },
		{ DS_ACCOUNT_HANDOVER, "account_handover" },
		{ DS_INSTANCE_SIBLINGS, "instance_siblings" },
		{ DS_INSTANCE_REAP, "instance_reap" },
		{ DS_COMMANDS_UNCLAIM, "commands_unclaim" },
		{ DS_GROUPS_REPLACE, "groups_replace" },
		{ DS_GROUPS_UPSERT, "groups_upsert" },
		{ DS_GROUP_CHANGE, "group_change" },
		{ DS_GROUP_DELETE, "group_delete" },
		{ DS_SEND_LOAD, "send_load" },
		{ DS_SEND_ID, "send_id" },
		{ DS_SEND_DONE, "send_done" },
		{ DS_SEND_RESTRICT, "send_restrict" },
		{ DS_SEND_RESTRICT_DUE, "send_restrict_due" },
		{ DS_SEND_STALL, "send_stall" },
		{ DS_MESSAGE_PUT, "message_put" },
		{ DS_MESSAGES_TRIM, "messages_trim" },
		{ DS_PROXY_KEY_PUT, "proxy_key_put" },
		{ DS_ACCOUNT_PROXY_GET, "account_proxy_get" },
		{ DS_REM_CLAIM, "rem_claim" },
		{ DS_REM_RUN_INSERT, "rem_run_insert" },
		{ DS_REM_RUN_TARGETS, "rem_run_targets" },
		{ DS_REM_ADVANCE, "rem_advance" },
		{ DS_REM_NEXT_DUE, "rem_next_due" },
		{ DS_REM_RUNS_OPEN, "rem_runs_open" },
		{ DS_REM_RUN_STATE, "rem_run_state" },
		{ DS_REM_TARGET_MSGS, "rem_target_msgs" },
		{ DS_REM_CMD_INSERT, "rem_cmd_insert" },
		{ DS_REM_TARGET_DONE, "rem_target_done" },
		{ DS_REM_RUN_COUNTS, "rem_run_counts" },
		{ DS_REM_RUN_END, "rem_run_end" },
		{ DS_REM_PAUSE, "rem_pause" },
		{ DS_REM_GET, "rem_get" },
		{ DS_REM_LIFT, "rem_lift" },
		{ DS_REM_RUN_LOCK, "rem_run_lock" },
		{ DS_REM_RUN_RESUME, "rem_run_resume" },
		{ DS_REM_RUN_SKIP, "rem_run_skip" },
		{ DS_REM_CMD_RUN, "rem_cmd_run" },
	};
	const char	*p;
	size_t		 i;
	int		 maxn, n;

	if (!T_INTEQ(sizeof(want) / sizeof(want[0]), DS__MAX))
		return 0;
	for (i = 0; i < DS__MAX; i++) {
		if (!T_STREQ(daemon_stmts[want[i].id].name, want[i].name))
			return 0;
		maxn = 0;
		for (p = daemon_stmts[i].sql; (p = strchr(p, '$')) != NULL;
		    p++) {
			n = atoi(p + 1);
			if (n > maxn)
				maxn = n;
		}
		if (!T_INTEQ(maxn, daemon_stmts[i].nparams))
			return 0;
	}
	return 1;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(rule1_pair_starts_fresh),
		T_CASE(rule1_pair_code_starts_code),
		T_CASE(rule1_qr_written_rotation_event),
		T_CASE(rule1_qr_outside_pairing_ignored),
		T_CASE(rule1_deadline_unpaired),
		T_CASE(rule1_deadline_code_reason),
		T_CASE(rule1_closed_while_pairing_unpaired),
		T_CASE(rule1_cancel),
		T_CASE(rule2_paired_then_connected),
		T_CASE(rule2_restart_required_reconnects),
		T_CASE(rule3_stale_generation_ignored),
		T_CASE(rule4_intentional_close_silent),
		T_CASE(rule4_disconnect_keeps_creds),
		T_CASE(rule4_reconnect_logs_in),
		T_CASE(rule5_backoff_when_connected_before),
		T_CASE(rule5_no_backoff_otherwise),
		T_CASE(rule5_backoff_curve),
		T_CASE(rule5_login_deadline_retries),
		T_CASE(reasons_no_retry),
		T_CASE(reasons_protocol_retries),
		T_CASE(rule6_duplicate_logged_out),
		T_CASE(rule7_unpair_logs_out_first),
		T_CASE(rule7_logout_timeout_finishes),
		T_CASE(rule7_delete_offline),
		T_CASE(rule8_logged_out_relinks),
		T_CASE(rule8_logged_out_without_auto_connect),
		T_CASE(rule8_close_401_relinks_at_once),
		T_CASE(banned_keeps_creds),
		T_CASE(rule9_startup_autoconnect),
		T_CASE(rule9_shutdown_marks_rows),
		T_CASE(fair_share_within_capacities),
		T_CASE(stmt_table_matches_enum),
	};

	return t_run(cases, T_NCASES(cases));
}
