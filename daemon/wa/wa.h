/*
 * wa.h: the public interface of the WhatsApp multi-device companion
 * client.  One struct wa_client is one linked device ("companion")
 * with at most one WebSocket connection at a time.  The client keeps
 * no global state: every client runs on an lws_context supplied by the
 * caller, so the session daemon can hold many clients on one
 * libwebsockets event loop.  Nothing here touches the database; the
 * caller stores the opaque credentials blob handed up by the paired
 * callback and hands it back to wa_client_start_login().
 *
 * Protocol facts follow /work/shared/protocol/wa-md-protocol.md
 * (sections 1, 6, 7 and 8), which restates tulir/whatsmeow and
 * WhiskeySockets/Baileys.
 *
 * Threading: one thread.  Every call must be made from the thread that
 * runs lws_service() on the context, and every callback is made from
 * inside lws_service() (never from inside a call down, except where a
 * function says so).
 *
 * Lifecycle of one client:
 *
 *	wa_client_new(cfg)
 *	  wa_client_start_pair()          QR pairing: qr events, then
 *	  wa_client_start_pair_code(ph)   pair_code event, then
 *	      ... paired -> (515, automatic reconnect + login) -> connected
 *	  wa_client_start_login(creds)    connected, or closed
 *	  wa_client_logout()              logged_out, then closed
 *	  wa_client_stop(intentional)     closed
 *	wa_client_free()
 *
 * Every connection attempt started by a start_* call ends with exactly
 * one closed event, whatever happened (unless the client is freed
 * first, which reports nothing); after closed the client is idle
 * and any start_* may be called again (also from inside the closed
 * callback).  The 515 "restart required" that the server sends right
 * after a successful pairing is part of pairing (spec 6.5 step 9,
 * DESIGN.md rule 2): the client reconnects with the new credentials
 * and logs in by itself, without a closed event in between, and then
 * reports connected (also when the socket drops after pair-device-sign
 * without the 515).  A 515 at any other time ends the connection with
 * closed(WA_REASON_RESTART_REQUIRED) and the caller decides (it should
 * call wa_client_start_login() at once, as whatsmeow does).
 *
 * The client never reconnects on its own otherwise: back-off and
 * auto-connect policy belong to the caller (DESIGN.md rules 4, 5).
 *
 * libwebsockets: the first client adds a vhost named "wa-md" with its
 * own protocol to the caller's context (conn.c), so the caller's
 * protocol list does not change; for wss:// the context must be created
 * with LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT.  The Origin header is
 * written by the client itself (lws would prefix "http://").
 */
#ifndef WADESK_WA_H
#define WADESK_WA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct lws_context;
struct wa_client;
struct wa_group;		/* groups.h */
struct wa_group_change;		/* groups.h */

/* The real endpoint and origin (spec 1.1, whatsmeow socket.URL). */
#define	WA_DEFAULT_URL		"wss://web.whatsapp.com/ws/chat"
#define	WA_DEFAULT_ORIGIN	"https://web.whatsapp.com"

/*
 * WhatsApp Web version sent in the ClientPayload (spec 4.1; whatsmeow
 * 2026-08-21 store/clientpayload.go).  The server refuses stale ones
 * with <failure reason="405"/>, so it is configurable
 * (wa_client_set_version; lib/waversion.h resolves the operator's
 * choice and repeats this default as WAVERSION_BUILTIN).
 */
#define	WA_DEFAULT_VERSION	"2.3000.1045649367"

/* Keepalive defaults: whatsmeow keepalive.go (spec 8.3). */
#define	WA_KEEPALIVE_MIN_MS	20000	/* shortest ping interval */
#define	WA_KEEPALIVE_MAX_MS	30000	/* longest ping interval (excl.) */
#define	WA_KEEPALIVE_TIMEOUT_MS	10000	/* a ping without answer: a miss */
#define	WA_KEEPALIVE_DEAD_MS	180000	/* no answered ping for this: dead */

/* Handshake response timeout: 20 s in both libraries (spec 1.5). */
#define	WA_HANDSHAKE_TIMEOUT_MS	20000
#define	WA_SEND_TIMEOUT_MS	60000	/* a whole send, first query to the
					   server's ack */

/* QR rotation: ref 1 for 60 s, the others 20 s each (spec 6.4). */
#define	WA_QR_FIRST_MS		60000
#define	WA_QR_NEXT_MS		20000

/* Length of the raw WhatsApp root public key (spec 3.2). */
#define	WA_ROOT_KEY_LEN		32

/*
 * Why a connection ended, reported by the closed callback together with
 * the server's numeric code (0 when there was none).  Mapping from
 * <stream:error> and <failure> follows spec 8.4 and 8.5.
 */
enum	wa_reason {
	WA_REASON_NONE,			/* not closed (never reported) */
	WA_REASON_STOPPED,		/* wa_client_stop() or free */
	WA_REASON_RESTART_REQUIRED,	/* stream:error 515 outside pairing */
	WA_REASON_LOGGED_OUT,		/* 401 device_removed, failure 401,
					   406, or our own logout */
	WA_REASON_BANNED,		/* failure 402 (temporary) or 403 */
	WA_REASON_REPLACED,		/* conflict type=replaced (440) */
	WA_REASON_OUTDATED,		/* failure 405: version too old */
	WA_REASON_SERVER_ERROR,		/* 5xx from the server */
	WA_REASON_QR_EXHAUSTED,		/* all pair-device refs shown */
	WA_REASON_PAIR_FAILED,		/* pair-success did not verify */
	WA_REASON_BAD_CERT,		/* server certificate refused
					   (wrong root key, expired, ...) */
	WA_REASON_PROTOCOL,		/* malformed frame, decrypt failure,
					   bad node: the peer misbehaved */
	WA_REASON_TIMEOUT,		/* handshake timeout, keepalive
					   declared the connection dead, or
					   no answer to our logout */
	WA_REASON_CONNECT_FAILED,	/* DNS, TCP, TLS or HTTP upgrade */
	WA_REASON_CONNECTION_LOST,	/* socket closed without a reason */
	WA_REASON_UNKNOWN,		/* stream:error/failure not known */
	WA_REASON_PROXY_REFUSED,	/* the proxy did not answer the
					   CONNECT with 200 (auth, policy),
					   or hung up on it */
	WA_REASON_PROXY_UNREACHABLE,	/* no TCP connection to the proxy
					   (refused, name lookup, route) */
	WA_REASON_PROXY_UNSUPPORTED,	/* socks5:// before wadeskd spoke
					   SOCKS5 itself (daemon/wa/
					   tunnel.c); no longer sent, kept
					   for rows that hold it */
	WA_REASON_PROXY_UNREADABLE,	/* the daemon could not open the
					   sealed setting (never sent by
					   the client itself) */
	WA_REASON__MAX
};

/*
 * What the client is doing now, for the caller's bookkeeping.
 */
enum	wa_state {
	WA_STATE_IDLE,			/* no connection */
	WA_STATE_CONNECTING,		/* WebSocket or Noise handshake */
	WA_STATE_PAIRING,		/* registration stream, QR/code */
	WA_STATE_LOGGING_IN,		/* login handshake, no success yet */
	WA_STATE_CONNECTED,		/* <success> seen, active IQ sent */
	WA_STATE_CLOSING,		/* close requested, not yet closed */
	WA_STATE__MAX
};

/*
 * What the paired callback reports.  All pointers are borrowed for the
 * duration of the callback; copy what you keep.
 */
struct	wa_paired {
	const char	*jid;		/* own device JID,
					   "15551234567:12@s.whatsapp.net" */
	const char	*lid;		/* own LID ("...:12@lid") or NULL */
	const char	*phone;		/* the JID's user part, digits */
	const char	*push_name;	/* NULL: not part of pair-success
					   (spec 6.6); see connected */
	const char	*platform;	/* primary's <platform name>, or NULL */
	const char	*business_name;	/* <biz name>, or NULL */
	const uint8_t	*creds;		/* credentials blob (keys.h
					   wa_creds_encode); secret */
	size_t		 creds_len;	/* bytes in creds */
};

/*
 * What the connected callback reports (after <success> and the active
 * IQ, spec 8.1-8.2).  Borrowed for the duration of the callback.
 */
struct	wa_connected {
	const char	*jid;		/* own device JID */
	const char	*lid;		/* own LID, or NULL if unknown */
	const char	*phone;		/* digits of the JID's user */
	const char	*push_name;	/* <success display_name>, or NULL */
	time_t		 server_time;	/* <success t>, 0 if absent */
};

/*
 * One fresh one-time pre-key (spec 8.8), handed to the prekeys_new
 * callback so the caller can persist the private half before the
 * public half is uploaded (the Signal work needs it to open the
 * phone's first message).  Secret.
 */
struct	wa_prekey {
	uint32_t	 id;		/* 1..2^24-1, sequential */
	uint8_t		 priv[32];	/* X25519 private key, clamped */
};

/*
 * The kinds of Signal state the client keeps per account through
 * struct wa_store (whatsmeow store/store.go: IdentityStore,
 * SessionStore, PreKeyStore, SenderKeyStore).  Our own identity, the
 * registration id and the signed pre-key are not here: they are part
 * of the credentials blob.
 */
enum	wa_store_kind {
	WA_STORE_SESSION,		/* libsignal session record of one
					   remote device, key "user.device" */
	WA_STORE_IDENTITY,		/* a remote device's identity key
					   (33 bytes, 05-prefixed) */
	WA_STORE_PREKEY,		/* one-time pre-key private half
					   (32 bytes), key the decimal id */
	WA_STORE_SENDER_KEY,		/* sender key record, key
					   "group-jid\nuser.device" */
	WA_STORE__MAX
};

/*
 * The account's Signal store, implemented by the caller (the daemon
 * over PostgreSQL, sealed; tests in memory).  Keys are NUL-terminated
 * printable ASCII of at most 256 bytes; values are secret bytes.  All
 * calls are synchronous, from inside the client's work.  "user" is
 * passed back unchanged.
 *
 * get:	1 with *val (malloc(3)ed; the client wipes and frees it) and
 *	*len when present, 0 when absent, -1 on a storage failure.
 * put:	insert or replace; 0 or -1.
 * del:	remove "key", or with prefix 1 every key starting with "key";
 *	returns how many were removed (0 when none), -1 on failure.  Deleting a WA_STORE_PREKEY
 *	marks that pre-key used: it is never handed out again.
 */
enum	wa_store_txn {
	WA_STORE_BEGIN,
	WA_STORE_COMMIT
};

struct	wa_store {
	int	(*get)(void *user, enum wa_store_kind kind, const char *key,
		    uint8_t **val, size_t *len);
	int	(*put)(void *user, enum wa_store_kind kind, const char *key,
		    const uint8_t *val, size_t len);
	int	(*del)(void *user, enum wa_store_kind kind, const char *key,
		    int prefix);
	void	*user;
	/* Optional (NULL: none).  The client brackets each received
	 * <message> with BEGIN and COMMIT: the get/put/del calls and the
	 * callbacks' own writes between them (message, prekeys_new,
	 * creds_changed, identity_changed) are to be kept together or not
	 * at all, and nothing is sent between them (no answer goes out
	 * before COMMIT returned 0; no close callback runs inside).  BEGIN
	 * -1: the stanza is left unanswered (the server delivers it
	 * again); COMMIT -1: the store undid everything since BEGIN, and
	 * the stanza is left unanswered likewise.  0 or -1. */
	int	(*txn)(void *user, enum wa_store_txn op);
};

/*
 * One received message that decrypted and decoded (whatsmeow
 * events.Message).  Borrowed for the duration of the callback.
 */
struct	wa_message {
	const char	*id;		/* <message id> */
	const char	*chat;		/* the chat: a user JID (non-AD) or
					   a group JID */
	const char	*sender;	/* the sending device's JID, by phone
					   number when a LID-addressed
					   stanza gives it (sender_pn,
					   participant_pn) */
	int		 from_me;	/* 1: one of our own devices sent it
					   (device-sent) */
	int		 is_group;	/* 1: chat is a group */
	time_t		 t;		/* <message t>, unix seconds */
	const char	*push_name;	/* <message notify>, or NULL */
	const char	*text;		/* conversation/extendedText, or NULL
					   for other kinds */
};

/*
 * How one wa_client_send_text() ended (the sent callback).  code is 0
 * when the server acked the message without error, a positive server
 * error code from <ack error> (whatsmeow send.go SendMessage: 463
 * restricted / reach-out timelock, 479 and 421 among others), or one
 * of the negative WA_SEND_E* values for a failure on our side.
 */
enum	wa_send_err {
	WA_SEND_OK		= 0,
	WA_SEND_ENOTCONN	= -1,	/* the connection ended first; the
					   stanza may or may not have gone
					   out (sent_out says) */
	WA_SEND_ETIMEDOUT	= -2,	/* no answer within the timeout */
	WA_SEND_ENODEVICE	= -3,	/* the recipient has no device we
					   could encrypt for (not on
					   WhatsApp, or every key fetch
					   failed) */
	WA_SEND_ESIGNAL		= -4,	/* libsignal or the store failed */
	WA_SEND_EQUERY		= -5	/* a usync, key or group query was
					   refused or malformed */
};

struct	wa_sent {
	void		*tag;		/* as given to wa_client_send_text */
	const char	*id;		/* the message id */
	const char	*to;		/* the chat JID it was for */
	int		 code;		/* see enum wa_send_err */
	int		 sent_out;	/* 1: the <message> went out */
	time_t		 t;		/* <ack t>, 0 if none */
	const char	*detail;	/* what went wrong, a phrase for
					   logs, "" when code is 0 */
	int		 devices;	/* devices encrypted for */
	int		 prekey_msgs;	/* of which pkmsg (new sessions) */
	long long	 out_us;	/* from the call to the <message>
					   written: queries, encryption and
					   the write; 0 when it never went */
	long long	 total_us;	/* from the call to this report */
};

/*
 * The callback table.  Any member may be NULL.  "c" is the client and
 * "user" the pointer given in struct wa_config.  Callbacks may call any
 * wa_client_* function on their own client, including wa_client_free()
 * (the free is then deferred until the callback returns).
 */
struct	wa_callbacks {
	/* A new QR string to show: the n-th ref (1-based), valid until
	 * expires_at (unix seconds).  The string is secret-ish (it lets a
	 * phone link this device): do not log it. */
	void	(*qr)(struct wa_client *c, void *user, const char *qr,
		    int n, time_t expires_at);
	/* The pairing code to type on the phone, "ABCD-EFGH". */
	void	(*pair_code)(struct wa_client *c, void *user,
		    const char *code);
	/* Pairing succeeded and the device signature was sent.  Store
	 * p->creds now: the 515 and the login follow. */
	void	(*paired)(struct wa_client *c, void *user,
		    const struct wa_paired *p);
	/* Logged in and active. */
	void	(*connected)(struct wa_client *c, void *user,
		    const struct wa_connected *info);
	/* The credentials changed after login (for example the server told
	 * us our LID); store the new blob.  Borrowed. */
	void	(*creds_changed)(struct wa_client *c, void *user,
		    const uint8_t *creds, size_t len);
	/* The device is no longer linked (server 401 device_removed,
	 * failure 401/403/406, or our logout went through): wipe the
	 * credentials.  A closed event always follows; start a new
	 * attempt from there (start_* is refused here). */
	void	(*logged_out)(struct wa_client *c, void *user,
		    enum wa_reason reason, int code);
	/* The connection is gone; see enum wa_reason.  "intentional" is 1
	 * when the caller asked for it (wa_client_stop(c, 1), logout). */
	void	(*closed)(struct wa_client *c, void *user,
		    enum wa_reason reason, int code, int intentional);
	/* Debug/log hook: one line, no newline, control characters
	 * already escaped.  level is enum log_level from lib/log.h.  When
	 * NULL, lines go to lib/log.h. */
	void	(*log)(struct wa_client *c, void *user, int level,
		    const char *line);
	/* Fresh pre-keys about to be uploaded (ids first..first+n-1,
	 * in order; whatsmeow prekeys.go GetOrGenPreKeys).  Persist
	 * them and return 0; -1 means they could not be stored, and
	 * then they are not uploaded either (a NULL callback uploads
	 * without storing: demo programs).  The credentials' next-id
	 * counter moves past them either way and creds_changed follows.
	 * Borrowed, secret: wipe any copy. */
	int	(*prekeys_new)(struct wa_client *c, void *user,
		    const struct wa_prekey *keys, size_t n);
	/* The server delivered the offline backlog: <ib><offline
	 * count=N/> (whatsmeow connectionevents.go handleIB,
	 * OfflineSyncCompleted). */
	void	(*offline)(struct wa_client *c, void *user, int count);
	/* A message decrypted and decoded; the delivery receipt goes out
	 * after the callback returns (client_msg.c). */
	void	(*message)(struct wa_client *c, void *user,
		    const struct wa_message *m);
	/* The answer to wa_client_groups_sync(): with error 0 the
	 * account's groups g[0..n-1] (groups.h, borrowed, clean; n may
	 * be 0: no groups); else g is NULL and error is the IQ's error
	 * code (whatsmeow ErrIQ*: 401, 404, 500, ...) or -1 for an
	 * answer that did not parse.  Not reported when the connection
	 * ends first. */
	void	(*groups)(struct wa_client *c, void *user,
		    const struct wa_group *g, size_t n, int error);
	/* A w:gp2 notification changed one group (groups.h; borrowed),
	 * whatsmeow events.GroupInfo / JoinedGroup.  The ack has gone
	 * out already. */
	void	(*group_change)(struct wa_client *c, void *user,
		    const struct wa_group_change *ch);
	/* A wa_client_send_text() ended (client_send.c): exactly once per
	 * accepted send, from the event loop, never from inside the call.
	 * Borrowed for the duration of the callback. */
	void	(*sent)(struct wa_client *c, void *user,
		    const struct wa_sent *r);
	/* The server said the account is (active 1) or is no longer
	 * (active 0) under a send restriction: a 463 ack (until 0: no end
	 * given), or the reach-out timelock notification (whatsmeow
	 * notification.go handleMexNotification,
	 * xwa2_notify_account_reachout_timelock: is_active,
	 * time_enforcement_ends, enforcement_type).  "kind" is the
	 * enforcement type or "463"; borrowed. */
	void	(*restriction)(struct wa_client *c, void *user, int active,
		    time_t until, const char *kind);
	/* A contact's device came with a new identity key (a pkmsg that
	 * libsignal refused as untrusted): its old identity and session
	 * were dropped and the message decrypted under the new key
	 * (whatsmeow message.go clearUntrustedIdentity, events.
	 * IdentityChange).  "jid" is the sending device's JID as in
	 * struct wa_message sender, borrowed. */
	void	(*identity_changed)(struct wa_client *c, void *user,
		    const char *jid);
};

/*
 * Configuration for wa_client_new().  Strings and the root key are
 * copied; the lws context and the callback table are borrowed and must
 * outlive the client.  Zero or NULL means "the default" for every
 * field except lws.
 */
struct	wa_config {
	struct lws_context		*lws;	/* required; built with
						   LWS_SERVER_OPTION_DO_SSL_
						   GLOBAL_INIT for wss:// */
	const char			*url;	/* ws:// or wss://; default
						   WA_DEFAULT_URL */
	const char			*proxy;	/* NULL: direct; else
						   "http://[user:pass@]host:port"
						   (HTTP CONNECT) or "socks5://.."
						   (lib/proxyurl.h), copied and
						   wiped on free */
	const char			*origin; /* Origin header; default
						   WA_DEFAULT_ORIGIN */
	const uint8_t			*root_key; /* 32-byte X25519 root of
						   the certificate chain;
						   NULL: WhatsApp's own.  A
						   test key only by explicit
						   configuration. */
	const char			*version; /* "2.3000.N"; default
						   WA_DEFAULT_VERSION */
	const char			*version_source; /* where version
						   came from, for
						   wa_client_version_source();
						   default "built-in" */
	const char			*device_name; /* DeviceProps.os,
						   shown in the phone's
						   list; default "wadesk" */
	const char			*platform_display; /* pairing code
						   "Browser (OS)", default
						   "Chrome (Linux)" (7.2) */
	unsigned int			 keepalive_min_ms; /* ping interval */
	unsigned int			 keepalive_max_ms; /* (jittered) */
	unsigned int			 keepalive_timeout_ms; /* per ping */
	unsigned int			 keepalive_dead_ms; /* no pong: dead */
	unsigned int			 handshake_timeout_ms;
	unsigned int			 send_timeout_ms; /* a send's
						   answer; default
						   WA_SEND_TIMEOUT_MS */
	unsigned int			 qr_first_ms; /* first ref shown */
	unsigned int			 qr_next_ms; /* every later ref */
	int				 allow_insecure_tls; /* 1: accept any
						   certificate (tests) */
	int				 presence_available; /* 1: send
						   <presence available> after
						   connect; 0 (default):
						   "unavailable", so the phone
						   keeps its notifications */
	void				*user;	/* passed to callbacks */
	const struct wa_callbacks	*cb;	/* callback table */
	const struct wa_store		*store;	/* the account's Signal
						   state; borrowed, must
						   outlive the client.  NULL:
						   messages cannot be
						   decrypted (they get a
						   retry receipt) */
};

/*
 * Create an idle client.  Returns NULL (logged) when cfg is unusable:
 * no lws context, a URL that is not ws:// or wss://.  The caller owns
 * the result and frees it with wa_client_free().
 */
struct wa_client	*wa_client_new(const struct wa_config *cfg);

/*
 * Free a client.  An open connection is closed without any further
 * event (call wa_client_stop() first and wait for closed if you want
 * one).  From inside a callback the memory is released when the
 * callback returns.  NULL is a no-op.
 */
void		 wa_client_free(struct wa_client *c);

/*
 * Start QR pairing with freshly generated keys: connect, handshake
 * with a registration payload, and report every pair-device ref as a
 * qr event, rotating on the 60 s/20 s schedule.  Returns 0, or -1
 * (logged) if the client is not idle.
 */
int		 wa_client_start_pair(struct wa_client *c)
		    __attribute__((warn_unused_result));

/*
 * Like wa_client_start_pair(), but pair by phone-number code (spec 7):
 * "phone" is the international number, digits only, no "+" and no
 * leading 0, more than 6 digits.  After the first pair-device the
 * client sends companion_hello and reports the code with pair_code.
 * QR events are also reported (either may be used).  Returns 0, or -1
 * (logged) for a bad number or a busy client.
 */
int		 wa_client_start_pair_code(struct wa_client *c,
		    const char *phone)
		    __attribute__((warn_unused_result));

/*
 * Log in with a stored credentials blob (from the paired callback or
 * creds_changed).  The blob is copied.  Returns 0, or -1 (logged) for
 * an undecodable blob, unpaired credentials or a busy client.
 */
int		 wa_client_start_login(struct wa_client *c,
		    const uint8_t *creds, size_t len)
		    __attribute__((warn_unused_result));

/*
 * Close the connection, if any.  The closed event follows from the
 * event loop with reason WA_REASON_STOPPED and the given intentional
 * flag (DESIGN.md rule 4).  No-op on an idle client.
 */
void		 wa_client_stop(struct wa_client *c, int intentional);

/*
 * Drop the connection as a dead one: the closed event follows from
 * the event loop with WA_REASON_TIMEOUT, intentional 0, and "cause"
 * (copied; NULL: none) as wa_client_end_cause(), so the caller's
 * reconnect policy runs as after a keepalive death.  For a connection
 * that still answers keepalives but no longer acknowledges messages.
 * No-op on an idle or closing client.
 */
void		 wa_client_drop(struct wa_client *c, const char *cause);

/*
 * Log this device out (spec 8.9: remove-companion-device, reason
 * user_initiated).  If connected, sends the IQ and waits for its result
 * or the 401 stream error that follows it, at most handshake_timeout_ms;
 * then reports logged_out and closed(WA_REASON_LOGGED_OUT, code 0 or
 * 401, intentional 1).  Without an answer in time: closed
 * (WA_REASON_TIMEOUT, 0, 1) and no logged_out, so the caller cannot
 * know whether the phone dropped the device.  If still connecting or
 * logging in, or just paired (from the paired callback: DESIGN.md rule
 * 6, the duplicate guard), the IQ goes out right after <success> and
 * there is no connected event.  Returns 0, or -1 (logged) when the
 * client is idle or still pairing; then nothing was sent and the
 * caller can only wipe the credentials.
 */
int		 wa_client_logout(struct wa_client *c)
		    __attribute__((warn_unused_result));

/*
 * Ask the server for the groups the account takes part in (iq
 * xmlns="w:g2" type="get" to="@g.us" <participating>, whatsmeow
 * group.go GetJoinedGroups, Baileys groupFetchAllParticipating); the
 * answer comes through the groups callback.  A call while one is
 * outstanding sends a new query and the older one's answer is dropped
 * (so an answer the server never sends cannot block later ones).
 * Returns 0, or -1 (nothing sent) when not connected.
 */
int		 wa_client_groups_sync(struct wa_client *c)
		    __attribute__((warn_unused_result));

/* Current state; see enum wa_state. */
enum wa_state	 wa_client_state(const struct wa_client *c);

/* Own device JID once known (paired or logging in), else NULL.
 * Borrowed until the next start_* call or free. */
const char	*wa_client_jid(const struct wa_client *c);

/*
 * When the server last spoke: unix seconds (wall clock, time(2)) of the
 * last inbound frame of the current connection that decrypted under the
 * Noise transport keys (spec 2.5), whatever node it carried (a pong, an
 * IQ answer, a notification, a stream error).  The handshake's server
 * hello does not count.  0 before the first such frame, while idle and
 * after closed: it belongs to one connection, so the 515 reconnect
 * after pairing starts again from 0.  For zombie detection displays
 * (DESIGN.md, issue 4: "how long ago the last server frame arrived");
 * the keepalive itself (spec 8.3) decides when a silent connection is
 * dead.
 */
time_t		 wa_client_last_frame(const struct wa_client *c);

/*
 * Use "version" ("2.3000.N", digits and dots) from the next connection
 * on; "source" says where it came from ("file /path",
 * "WADESK_WA_VERSION", "built-in"; lib/waversion.h).  Both copied.
 * Returns 0, or -1 (logged; nothing changed) for a malformed version.
 * Callable at any time; a connection already open keeps its payload.
 */
int		 wa_client_set_version(struct wa_client *c, const char *version,
		    const char *source)
		    __attribute__((warn_unused_result));

/* The version sent in the ClientPayload and its source; borrowed until
 * the next wa_client_set_version() or free.  Never NULL. */
const char	*wa_client_version(const struct wa_client *c);
const char	*wa_client_version_source(const struct wa_client *c);

/*
 * The concrete cause of the last connection end as the client saw it,
 * for the operator: for WA_REASON_CONNECT_FAILED one of "<host>: name
 * lookup failed", "connection refused", "TLS certificate verify
 * failed", "timed out", "HTTP <status> on upgrade", or the transport's
 * own words; for other ends the transport's detail ("connection
 * closed") or "" when the server's node said it all.  Valid from the
 * closed callback until the next start_* call; "" before any end.
 * Borrowed, never NULL.
 */
const char	*wa_client_end_cause(const struct wa_client *c);

/* Stable lower-case names: "stopped", "logged_out", ... for logs and
 * the daemon's disconnect_reason column. */
const char	*wa_reason_name(enum wa_reason reason);
const char	*wa_state_name(enum wa_state state);

/*
 * Send "text" (UTF-8, 1..65536 bytes) to "to": phone digits ("+" and
 * spaces allowed, they are dropped), a user JID "<digits>@s.whatsapp.net"
 * or a group JID "<id>@g.us" (client_send.c; whatsmeow send.go
 * SendMessage, sendDM and sendGroup; Baileys Socket/messages-send.ts
 * relayMessage).  "id" is the message id to use (1..63 printable
 * characters, kept by the caller so that a retried send reuses it and
 * receivers de-duplicate), or NULL for a fresh one (wa_msg_id).
 * "tag" is handed back in struct wa_sent.  Returns 0 and later exactly
 * one sent callback, or -1 (logged; no callback) when the client is not
 * connected, the arguments are unusable or too many sends are pending.
 */
int		 wa_client_send_text(struct wa_client *c, const char *to,
		    const char *text, const char *id, void *tag)
		    __attribute__((warn_unused_result));

/* Forget the cached device lists (tests, and the device notification
 * path); the next send asks the server again. */
void		 wa_client_devices_forget(struct wa_client *c);

#endif /* !WADESK_WA_H */
