/*
 * daemon.h: the session daemon wadeskd's internal header (STYLE.md 2.3):
 * struct daemon, the per-account session, the pure lifecycle rules and
 * the prototypes, grouped by file.
 *
 *   main.c       start-up (acquire), lws context, signals, tick, shutdown
 *   intake.c     database connection inside the lws loop, LISTEN/NOTIFY,
 *                claiming commands (FOR UPDATE SKIP LOCKED), heartbeat
 *   db_daemon.c  the daemon role's statement table and typed writes
 *   creds.c      credentials sealing key and crypto_secretbox seal/open
 *   lease.c      issue 12: account leases shared by a fleet of daemons
 *                (claim, renew, fence, hand over, drain)
 *   policy.c     DESIGN.md "Session lifecycle rules" 1-10 as one pure
 *                function: (session facts, event) -> plan
 *   session.c    per-account sessions: wa_client callbacks, applying
 *                plans (database writes, client calls), timers
 *   messages.c   received texts, the last N per chat (sql/015)
 *   groups.c     issue 10: the account's groups table from the
 *                client's groups and group_change reports, and the
 *                sync_groups command
 *   send.c       issue 9: send_text command rows, their results and the
 *                account's restriction state
 *   reminders.c  issue 11: the reminder scheduler (due reminders ->
 *                runs -> send_text rows, one group at a time) and the
 *                resume_run and cancel_run commands
 */
#ifndef WADESK_DAEMON_H
#define WADESK_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>
#include <libwebsockets.h>
#include <uthash.h>

#include "clock.h"	/* mono_ms64(): every deadline and timer */
#include "conf.h"
#include "db.h"
#include "status.h"
#include "wa.h"

#define	DAEMON_TICK_US		(250 * LWS_US_PER_MS)	/* housekeeping */
#define	DAEMON_PG_RETRY_US	(1 * LWS_US_PER_SEC)	/* db reconnect */
#define	DAEMON_SCAN_MS		3000	/* look for missed commands */
#define	DAEMON_HEARTBEAT_MS	2000	/* daemon_instances update */
#define	DAEMON_LOGOUT_MS	15000	/* give up waiting for a logout */
/*
 * The longest a login may take, from the connect to the connected
 * report: the client's handshake timeout (WA_HANDSHAKE_TIMEOUT_MS,
 * 20 s, covers the TCP connect, the WebSocket upgrade and the Noise
 * handshake up to the first node) plus 40 s for what follows <success>
 * (the pre-key count, a pre-key upload, the active IQ: whatsmeow
 * handleConnectSuccess), which the client itself never times out
 * while the server still answers pings.  Divided by WADESKD_TIME_SCALE,
 * never below DAEMON_LOGIN_MIN_MS.
 */
#define	DAEMON_LOGIN_MS		60000
#define	DAEMON_LOGIN_MIN_MS	5000
#define	DAEMON_LOGIN_WAIT_MS	100	/* a login held back by
					   WADESK_LOGINS_AT_ONCE looks
					   again */
#define	DAEMON_ROW_RETRY_MS	1000	/* rewrite a status a failed
					   transaction left behind */
#define	DAEMON_CLAIM_BATCH	"50"	/* commands claimed per query */
#define	DAEMON_CLAIM_MS		1000	/* look for accounts to claim */
#define	DAEMON_LEASE_BATCH	100	/* accounts claimed per query */
#define	DAEMON_DRAIN_STEP_US	(50 * LWS_US_PER_MS) /* one handover */
#define	DAEMON_DRAIN_MAX_MS	120000	/* give up handing over */
#define	DAEMON_FRAME_WRITE_MS	15000	/* last_frame_at, per session at
					   most this often (divided by
					   WADESKD_TIME_SCALE) */

/* Secret sizes: crypto_secretbox key and nonce (libsodium). */
#define	CREDS_KEY_LEN		32
#define	CREDS_NONCE_LEN		24
#define	CREDS_MAC_LEN		16

/* What a session is doing (policy.c). */
enum	sess_state {
	SESS_IDLE,		/* no connection, nothing scheduled */
	SESS_PAIRING,		/* pairing window open, nothing linked yet */
	SESS_LOGGING_IN,	/* logging in with credentials */
	SESS_CONNECTED,		/* logged in */
	SESS_BACKOFF,		/* waiting to reconnect (rule 5) */
	SESS_LOGGING_OUT,	/* unpair/delete/duplicate: logout in flight */
	SESS_RELINK,		/* logged out by the phone; a fresh pairing
				   window opens when the socket closes */
	SESS__MAX
};

/* An operator operation that waits for a logout (rules 6, 7). */
enum	sess_op {
	SOP_NONE,
	SOP_UNPAIR,		/* unpair command: then unpaired */
	SOP_DELETE,		/* delete command: then the row goes */
	SOP_DUPLICATE,		/* duplicate guard: row already unpaired */
	SOP__MAX
};

/* Everything that can happen to a session. */
enum	sess_ev {
	SEV_CMD_PAIR,		/* command rows (intake.c) */
	SEV_CMD_PAIR_CODE,
	SEV_CMD_CANCEL_PAIR,
	SEV_CMD_RECONNECT,
	SEV_CMD_DISCONNECT,
	SEV_CMD_UNPAIR,
	SEV_CMD_DELETE,
	SEV_START,		/* start-up auto-connect (rule 9) */
	SEV_QR,			/* wa callbacks (session.c) */
	SEV_PAIR_CODE,
	SEV_PAIRED,
	SEV_CONNECTED,
	SEV_LOGGED_OUT,
	SEV_CLOSED,
	SEV_PAIR_DEADLINE,	/* timers (session.c) */
	SEV_BACKOFF_DUE,
	SEV_LOGOUT_TIMEOUT,
	SEV_LOGIN_DEADLINE,	/* logging in for DAEMON_LOGIN_MS */
	SEV_SHUTDOWN,		/* SIGTERM/SIGINT (rule 9) */
	SEV__MAX
};

/* How a plan starts a new client attempt (always a new generation). */
enum	sess_start {
	SSTART_NONE,
	SSTART_PAIR,		/* wa_client_start_pair */
	SSTART_PAIR_CODE,	/* wa_client_start_pair_code */
	SSTART_LOGIN,		/* wa_client_start_login with stored creds */
	SSTART__MAX
};

/* The session as the rules see it. */
struct	sess_facts {
	enum sess_state	 state;
	uint32_t	 gen;		/* current client generation */
	int		 has_creds;	/* account_credentials row exists */
	int		 was_connected;	/* connected at least once */
	int		 auto_connect;	/* accounts.auto_connect */
	int		 pair_by_code;	/* this pairing uses a code */
	enum sess_op	 op;		/* waiting operation, if any */
};

/* One event for policy_decide(). */
struct	sess_input {
	enum sess_ev	 ev;
	uint32_t	 gen;		/* generation of the reporting client;
					   commands and timers: current */
	enum wa_reason	 reason;	/* SEV_CLOSED, SEV_LOGGED_OUT */
	int		 intentional;	/* SEV_CLOSED */
	int		 qr_n;		/* SEV_QR: 1-based ref number */
	const char	*dup_label;	/* SEV_PAIRED: label of another
					   account linked to the same phone,
					   or NULL (rule 6) */
};

/*
 * What to do.  Fields are applied by session.c in this order: stop,
 * credential changes, the row write and event (one transaction, with
 * the command's done mark), then start, logout, timers.
 */
struct	sess_plan {
	int		 ignore;	/* stale generation: do nothing */
	enum sess_state	 next;		/* state afterwards */
	enum sess_op	 op;		/* operation afterwards */
	int		 stop;		/* end the current client quietly
					   (intentional; its close is
					   ignored: new generation) */
	enum sess_start	 start;		/* start a new attempt */
	int		 logout;	/* wa_client_logout() now, or as soon
					   as logged in */
	int		 wipe_creds;	/* DELETE account_credentials */
	int		 store_creds;	/* SEV_PAIRED: seal and store */
	int		 write_row;	/* write status (below) */
	enum status	 status;	/* accounts.status */
	const char	*reason;	/* disconnect_reason; NULL clears */
	int		 keep_reason;	/* leave disconnect_reason alone */
	int		 clear_pairing;	/* qr_code, pair_code, deadline NULL */
	int		 open_window;	/* new pairing window (rule 8) */
	int		 write_qr;	/* SEV_QR: qr_code, qr_version + 1 */
	int		 write_code;	/* SEV_PAIR_CODE: pair_code */
	int		 write_identity; /* SEV_PAIRED/CONNECTED: jid, phone */
	int		 finish_op;	/* complete operation p->op, after
					   which the session has SOP_NONE */
	int		 delete_row;	/* DELETE the account row */
	const char	*event;		/* account_events.kind, or NULL */
	const char	*event_reason;	/* detail {"reason": ...}, or NULL */
	int		 backoff;	/* schedule a reconnect */
	int		 backoff_reset;	/* attempt counter back to 0 */
	int		 arm_deadline;	/* pairing window timer */
	int		 arm_logout;	/* logout timeout timer */
	int		 set_connected;	/* was_connected = 1 */
	const char	*result;	/* command result, when done now */
	const char	*error;		/* command error, when done now */
	int		 cmd_open;	/* the command stays open (done by a
					   later finish_op) */
};

/* One account's session (session.c). */
struct	session {
	struct daemon		*d;
	int64_t			 id;		/* accounts.id */
	struct sess_facts	 f;
	struct sess_slot	*slot;		/* current client, or NULL */
	char			*label;		/* for logs and duplicate */
	char			*phone;		/* pair_code phone, digits */
	int64_t			 op_cmd;	/* open command id, or 0 */
	int			 attempt;	/* back-off attempts so far */
	uint64_t		 deadline_ms;	/* pairing window end (mono) */
	uint64_t		 backoff_ms;	/* reconnect due (mono) */
	uint64_t		 logout_ms;	/* logout timeout (mono) */
	uint64_t		 start_ms;	/* staggered start-up (mono) */
	uint64_t		 login_ms;	/* login deadline while
						   SESS_LOGGING_IN (mono) */
	int			 row_stale;	/* the last status write failed
						   (database error): rewrite
						   it at row_retry_ms */
	enum status		 row_status;	/* what the row should say, */
	const char		*row_reason;	/* ... its reason (static),
						   NULL: cleared */
	int			 row_keep_reason; /* as in struct sess_plan */
	int			 row_clear_pairing;
	uint64_t		 row_retry_ms;	/* (mono) */
	int			 logout_sent;	/* wa_client_logout() took */
	int			 logout_ok;	/* the server confirmed it */
	int			 gone;		/* row deleted; free on tick */
	time_t			 frame_written;	/* last_frame_at we wrote
						   (unix s), 0: none */
	uint64_t		 frame_due_ms;	/* next last_frame_at write
						   allowed (mono) */
	int64_t			 lease_gen;	/* lease_generation we hold
						   (account_leases, issue
						   12) */
	uint64_t		 lease_ms;	/* when the lease was last
						   confirmed: claim or renew
						   sent (mono) */
	int			 handover;	/* closed for a handover; the
						   lease is released next */
	int64_t			 groups_cmd;	/* sync_groups command
						   waiting for the answer, 0:
						   none (groups.c) */
	uint64_t		 groups_due_ms;	/* give up on it then (mono) */
	int			 fenced;	/* a fenced Signal store write
						   found the lease lost: the
						   next tick closes the session
						   (d->any_fenced) */
	int			 send_timeouts;	/* sends in a row without an
						   answer (send.c) */
	int			 send_stall;	/* accounts.send_stalled as
						   we last wrote it: 1 set, 0
						   clear, -1 not known yet */
	struct session		*next;
	UT_hash_handle		 hh;		/* in d->by_id while !gone */
};

/* A client with the generation it was started for (session.c). */
struct	sess_slot {
	struct session		*s;		/* NULL once detached */
	uint32_t		 gen;
	struct wa_client	*c;
	struct sess_slot	*next;		/* graveyard link */
	uint64_t		 retired_ms;	/* when it went there (mono) */
	struct wa_store		 store;		/* Signal state (sigstore.c) */
};

struct	daemon {
	struct conf		 conf;
	struct lws_context	*ctx;
	struct ev_loop		*loop;		/* libev loop lws runs on */
	struct db		*db;		/* NULL while disconnected */
	struct lws		*pg_wsi;	/* adopted database socket */
	lws_sorted_usec_list_t	 pg_sul;	/* database reconnect */
	lws_sorted_usec_list_t	 tick;		/* housekeeping */
	int			 stopping;
	int64_t			 instance;	/* daemon_instances.id, or 0 */
	uint8_t			*cred_key;	/* sodium_malloc, 32 bytes */
	uint8_t			*proxy_sk;	/* sodium_malloc: proxy.c */
	uint8_t			 proxy_pk[32];	/* published in proxy_keys */
	uint8_t			 root_key[WA_ROOT_KEY_LEN];
	int			 has_root_key;
	unsigned int		 time_scale;	/* WADESKD_TIME_SCALE (tests) */
	struct session		*sessions;
	struct session		*by_id;		/* the sessions that are not
						   gone, by id (uthash): a
						   renewal of 5,000 leases
						   looks each up in O(1) */
	int			 any_fenced;	/* a session was marked
						   fenced since the last tick */
	size_t			 ngone;		/* gone sessions not yet freed */
	int			 logging_in;	/* sessions (not gone) in
						   SESS_LOGGING_IN, for
						   WADESK_LOGINS_AT_ONCE */
	uint64_t		 next_timer_ms;	/* earliest session timer due
						   (mono), UINT64_MAX: none */
	struct sess_slot	*graveyard;	/* clients to free later */
	uint64_t		 next_scan_ms;	/* command scan (mono) */
	uint64_t		 next_beat_ms;	/* heartbeat (mono) */
	uint64_t		 next_frames_ms; /* frames_write() pass (mono) */
	int			 swept;		/* start-up sweep done */
	char			 host_key[128];	/* boot id + PID namespace */
	uint64_t		 next_renew_ms;	/* lease renewal (mono) */
	uint64_t		 renew_ms;	/* last renewal sent that
						   succeeded (mono), 0: none */
	uint64_t		 next_claim_ms;	/* lease claim round (mono) */
	uint64_t		 next_start_ms;	/* stagger cursor (mono) */
	int			 fleet_live;	/* live daemons taking work */
	int			 fleet_total;	/* accounts needing a daemon */
	int			 fleet_share;	/* our fair share of them
						   (policy_fair_share()) */
	int			 owned;		/* sessions we hold */
	int			 draining;	/* SIGTERM or wadeskctl drain */
	int			 drained;	/* drain finished: exit */
	uint64_t		 drain_end_ms;	/* give up handing over (mono) */
	lws_sorted_usec_list_t	 drain_sul;	/* one handover per step */
	struct session		*handing;	/* closed, lease not released */
	int64_t			 takeovers;	/* claims of another daemon's
						   expired lease, since start */
	int64_t			 lease_losses;	/* leases found lost */
	struct send_job		*sends;		/* send_text in flight or
						   with a result not yet
						   written (send.c) */
	uint64_t		 next_unrestrict_ms; /* expired restrictions
						   cleared (send.c, mono) */
	ev_timer		 rem_timer;	/* the scheduler's next pass
						   (libev: an lws sul set from
						   a client callback waited for
						   the next tick) */
	int			 rem_timer_init; /* 1: rem_timer initialised,
						   -1: stopped for good */
	uint64_t		 rem_due_ms;	/* next scheduler pass
						   (mono), 0: at once */
	int			 rem_running;	/* runs we drive, at the last
						   pass */
	int			 rem_stuck;	/* passes in a row that found
						   a reminder due after the
						   claim (back-off) */
};

/* intake.c */
void		 intake_connect(lws_sorted_usec_list_t *sul);
int		 intake_cb(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len);
int		 intake_run_pending(struct daemon *d);
void		 intake_tick(struct daemon *d);
void		 intake_close(struct daemon *d);

/* db_daemon.c: see the statement table there. */
enum	dstmt {
	DS_INSTANCE_INSERT,
	DS_INSTANCE_BEAT,
	DS_INSTANCE_DELETE,
	DS_SWEEP_PENDING,
	DS_COMMANDS_CLAIM,
	DS_COMMAND_DONE,
	DS_ACCOUNT_FACTS,
	DS_ACCOUNT_STATE,
	DS_ACCOUNT_PAIR_BEGIN,
	DS_ACCOUNT_QR,
	DS_ACCOUNT_CODE,
	DS_ACCOUNT_IDENTITY,
	DS_ACCOUNT_DELETE,
	DS_ACCOUNT_DUPLICATE,
	DS_EVENT_INSERT,
	DS_CREDS_GET,
	DS_CREDS_PUT,
	DS_CREDS_DELETE,
	DS_SWEEP_LIVE,
	DS_FRAMES_WRITE,
	DS_ACCOUNT_LID,
	DS_ACCOUNT_OFFLINE,
	DS_PREKEYS_PUT,
	DS_SIG_GET,
	DS_SIG_PUT,
	DS_SIG_DEL,
	DS_SIG_DEL_PREFIX,
	DS_PREKEY_GET,
	DS_PREKEY_USE,
	DS_LEASE_RENEW,
	DS_LEASE_FLEET,
	DS_LEASE_CLAIM,
	DS_LEASE_FENCE,
	DS_LEASE_RELEASE,
	DS_LEASE_RELEASE_ALL,
	DS_ACCOUNT_HANDOVER,
	DS_INSTANCE_SIBLINGS,
	DS_INSTANCE_REAP,
	DS_COMMANDS_UNCLAIM,
	DS_GROUPS_REPLACE,
	DS_GROUPS_UPSERT,
	DS_GROUP_CHANGE,
	DS_GROUP_DELETE,
	DS_SEND_LOAD,
	DS_SEND_ID,
	DS_SEND_DONE,
	DS_SEND_RESTRICT,
	DS_SEND_RESTRICT_DUE,
	DS_SEND_STALL,
	DS_MESSAGE_PUT,		/* sql/015 (messages.c) */
	DS_MESSAGES_TRIM,
	DS_PROXY_KEY_PUT,
	DS_ACCOUNT_PROXY_GET,
	DS_REM_CLAIM,		/* sql/019 (reminders.c) */
	DS_REM_RUN_INSERT,
	DS_REM_RUN_TARGETS,
	DS_REM_ADVANCE,
	DS_REM_NEXT_DUE,
	DS_REM_RUNS_OPEN,
	DS_REM_RUN_STATE,
	DS_REM_TARGET_MSGS,
	DS_REM_CMD_INSERT,
	DS_REM_TARGET_DONE,
	DS_REM_RUN_COUNTS,
	DS_REM_RUN_END,
	DS_REM_PAUSE,
	DS_REM_GET,
	DS_REM_LIFT,
	DS_REM_RUN_LOCK,
	DS_REM_RUN_RESUME,
	DS_REM_RUN_SKIP,
	DS_REM_CMD_RUN,
	DS__MAX
};
extern const struct db_stmt	daemon_stmts[DS__MAX];
int		 db_event_insert(struct db *db, int64_t id, const char *kind,
		    const char *key, const char *value);
int		 db_event_insert_kv(struct db *db, int64_t id, const char *kind,
		    const char *const *kv);
int		 db_command_done(struct db *db, int64_t cmd, const char *result,
		    const char *error);
int		 db_frames_write(struct db *db, const char *ids,
		    const char *times, const char *owner, const char *gens);
int		 db_fence_begin(struct db *db, int64_t id, int64_t owner,
		    int64_t gen);

/* proxy.c: the account's proxy URL, sealed by the pages. */
int		 proxy_key_init(struct daemon *d);
void		 proxy_key_free(struct daemon *d);
int		 proxy_key_publish(struct daemon *d);
int		 proxy_load(struct daemon *d, int64_t id, char **url);
void		 proxy_url_free(char *url);

/* creds.c */
int		 creds_key_load(struct daemon *d, const char *path);
void		 creds_key_free(struct daemon *d);
int		 creds_seal(const uint8_t *key, const uint8_t *plain,
		    size_t len, uint8_t nonce[CREDS_NONCE_LEN],
		    uint8_t **sealed, size_t *sealedlen);
int		 creds_open(const uint8_t *key, const uint8_t *nonce,
		    size_t noncelen, const uint8_t *sealed, size_t sealedlen,
		    uint8_t **plain, size_t *len);
void		 creds_plain_free(uint8_t *plain, size_t len);
int		 creds_prekeys_store(struct daemon *d, int64_t id,
		    const struct wa_prekey *keys, size_t n);
int		 creds_store(struct daemon *d, int64_t id, const uint8_t *plain,
		    size_t len);
int		 creds_load(struct daemon *d, int64_t id, uint8_t **plain,
		    size_t *len);

/* send.c */
struct send_job;
void		 send_command(struct daemon *d, int64_t cmd, int64_t account);
void		 send_tick(struct daemon *d);
void		 send_free_all(struct daemon *d);
void		 send_cb_sent(struct wa_client *c, void *user,
		    const struct wa_sent *r);
void		 send_cb_restriction(struct wa_client *c, void *user,
		    int active, time_t until, const char *kind);
/* reminders.c (issue 11) */
void		 reminders_kick(struct daemon *d);
void		 reminders_tick(struct daemon *d);
void		 reminders_command(struct daemon *d, int64_t cmd,
		    int64_t account, const char *type);
void		 reminders_stop(struct daemon *d);
/* messages.c */
int		 messages_store(struct daemon *d, int64_t id,
		    const struct wa_message *m);

/* sigstore.c */
void		 sigstore_init(struct wa_store *st, struct sess_slot *sl);
/* lease.c */
void		 lease_host_key(struct daemon *d);
int		 lease_reap(struct daemon *d, const char *host);
int		 lease_begin(struct session *s);
int		 lease_claim(struct daemon *d);
void		 lease_tick(struct daemon *d);
void		 lease_drain_start(struct daemon *d);
void		 lease_release_all(struct daemon *d);

/* groups.c (issue 10) */
struct wa_group;
struct wa_group_change;
void		 groups_login(struct session *s, struct wa_client *c);
void		 groups_cb_list(struct wa_client *c, void *user,
		    const struct wa_group *g, size_t n, int error);
void		 groups_cb_change(struct wa_client *c, void *user,
		    const struct wa_group_change *ch);
int		 groups_command(struct daemon *d, int64_t cmd, int64_t id);
void		 groups_tick(struct session *s, uint64_t now);

/* policy.c */
void		 policy_decide(const struct sess_facts *f,
		    const struct sess_input *in, struct sess_plan *p);
uint64_t	 policy_backoff_ms(int attempt, int min_ms, int max_ms,
		    uint32_t rnd);
int		 policy_fair_share(int total, const int *caps, int n,
		    int own);
const char	*policy_state_name(enum sess_state st);
const char	*policy_close_reason(enum wa_reason reason);

/* session.c */
struct session	*session_find(struct daemon *d, int64_t id);
struct session	*session_adopt(struct daemon *d, int64_t id, int64_t gen);
void		 session_set_gone(struct session *s);
int		 session_store_tx(struct session *s, int failed);
void		 session_lost(struct session *s);
int		 session_handoff(struct session *s, int drain);
int		 session_command(struct daemon *d, int64_t cmd, int64_t id,
		    enum sess_ev ev, const char *phone);
void		 session_tick(struct daemon *d);
void		 session_close_all(struct daemon *d);
void		 session_free_all(struct daemon *d);

#endif /* !WADESK_DAEMON_H */
