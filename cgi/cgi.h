/*
 * wadesk.fcgi internal header: the request, routes, templates and
 * their keys, and the prototypes of every cgi/ file, grouped by file.
 * Enumerations and their name tables come from one X-macro list each,
 * so a name can never drift from its enum member.
 */
#ifndef WADESK_CGI_H
#define WADESK_CGI_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "clock.h"	/* mono_ms(): lifetimes and latencies */

struct conf;
struct db;
struct json_object;
struct apikey;
struct qrpng_cache;
struct pg_result;

#define	REQ_BODY_MAX	(16 * 1024)	/* bytes; nginx refuses more too */
#define	REQ_SEND_BODY_MAX (256 * 1024)	/* a send-test form (req_form_max) */
#define	REQ_FIELDS_MAX	64		/* form, query or cookie pairs */
#define	PAGE_SIZE	50		/* accounts per list page */
#define	TOKEN_HEX	64		/* 32 random bytes, hex */

/* Templates: enum TMPL_X and file templates/<file>. */
#define	TMPLS(X) \
	X(LAYOUT, "layout.html") \
	X(NAV, "nav.html") \
	X(NOTICE, "notice.html") \
	X(REFRESH, "refresh.html") \
	X(ERROR, "error.html") \
	X(LOGIN, "login.html") \
	X(DASHBOARD, "dashboard.html") \
	X(DASH_COUNT, "dash_count.html") \
	X(EVENT_ROW, "event_row.html") \
	X(ACCOUNTS, "accounts.html") \
	X(ACCOUNT_ROW, "account_row.html") \
	X(FILTER_LINK, "filter_link.html") \
	X(PAGER, "pager.html") \
	X(ACCOUNT_NEW, "account_new.html") \
	X(ACCOUNT, "account.html") \
	X(ACCOUNT_QR, "account_qr.html") \
	X(ACCOUNT_WAIT, "account_wait.html") \
	X(ACCOUNT_LINK, "account_link.html") \
	X(ACCOUNT_CODE, "account_code.html") \
	X(ACTION, "action.html") \
	X(ACTION_PAIR_CODE, "action_pair_code.html") \
	X(COMMAND_ROW, "command_row.html") \
	X(ACCOUNT_DELETE, "account_delete.html") \
	X(EVENTS, "events.html") \
	X(EVENTS_OLDER, "events_older.html") \
	X(OPERATORS, "operators.html") \
	X(NAV_ADMIN, "nav_admin.html") \
	X(OPERATOR_ROW, "operator_row.html") \
	X(TIME, "time.html") \
	X(EVENT_DETAIL, "event_detail.html") \
	X(TIMELINE, "timeline.html") \
	X(TIMELINE_ROW, "timeline_row.html") \
	X(TIMELINE_OLDER, "timeline_older.html") \
	X(PAIRING_ENDED, "pairing_ended.html") \
	X(BANNER, "banner.html") \
	X(BANNER_LOST, "banner_lost.html") \
	X(WEBHOOKS, "webhooks.html") X(WEBHOOK_ROW, "webhook_row.html") \
	X(WEBHOOK_SECRET, "webhook_secret.html") \
	X(WEBHOOK, "webhook.html") X(DELIVERY_ROW, "delivery_row.html") \
	X(REDELIVER, "redeliver.html") X(OPTION, "option.html") \
	X(APIKEYS, "apikeys.html") \
	X(APIKEY_ROW, "apikey_row.html") \
	X(APIKEY_NEW, "apikey_new.html") \
	X(APIKEY_REVOKE, "apikey_revoke.html") \
	X(GROUPS, "groups.html") X(GROUP_ROW, "group_row.html") \
	X(GROUP_SEND, "group_send.html") \
	X(GROUP_SEND_OFF, "group_send_off.html") \
	X(PHONE_SEND, "phone_send.html") \
	X(PHONE_SEND_FORM, "phone_send_form.html") \
	X(SEND_STALLED, "send_stalled.html") \
	X(GROUP_NOTE, "group_note.html") X(GROUP_LINK, "group_link.html") \
	X(GROUP_ADMIN, "group_admin.html") \
	X(GROUP_RESTRICTED, "group_restricted.html") \
	X(DAEMON_ROW, "daemon_row.html") \
	X(OPENAPI, "openapi.json") \
	X(REMINDERS, "reminders.html") X(REMINDER_ROW, "reminder_row.html") \
	X(REMINDER_RUN_ROW, "reminder_run_row.html") \
	X(REMINDER_FORM, "reminder_form.html") X(REMINDER, "reminder.html") \
	X(REMINDER_RUN, "reminder_run.html") \
	X(REMINDER_RUN_PAGE, "reminder_run_page.html") \
	X(REMINDER_TARGET_ROW, "reminder_target_row.html") \
	X(REMINDER_TARGET, "reminder_target.html") \
	X(REMINDER_MESSAGE, "reminder_message.html") \
	X(REMINDER_TEXT, "reminder_text.html") \
	X(REMINDER_FIRE, "reminder_fire.html") \
	X(REMINDER_PREVIEW, "reminder_preview.html") \
	X(REMINDER_EMPTY, "reminder_empty.html") \
	X(REMINDER_FILTER, "reminder_filter.html") \
	X(REMINDER_BUTTON, "reminder_button.html") \
	X(REMINDER_DASH, "reminder_dash.html") \
	X(REMINDER_DELETE, "reminder_delete.html") \
	X(CHOICE, "choice.html") X(CHOICE_ON, "choice_on.html") \
	X(OPTION_ON, "option_on.html") X(FIELD_ERROR, "field_error.html") \
	X(PROFILE, "profile.html")

enum	tmplid {
#define	TMPL_ENUM(n, f)	TMPL_##n,
	TMPLS(TMPL_ENUM)
#undef	TMPL_ENUM
	TMPL__MAX
};

/* Placeholders: enum TKEY_X and @@name@@ in templates. */
#define	TKEYS(X) \
	X(TITLE, "title") X(CONTENT, "content") X(NAV, "nav") \
	X(NOTICE, "notice") X(HEAD, "head") X(CSRF, "csrf") \
	X(USERNAME, "username") X(ROLE, "role") X(MESSAGE, "message") \
	X(CODE, "code") X(REASON, "reason") X(NEXT, "next") \
	X(ID, "id") X(LABEL, "label") X(STATUS, "status") \
	X(STATUS_TEXT, "status_text") X(PHONE, "phone") X(JID, "jid") \
	X(PUSH_NAME, "push_name") X(PLATFORM, "platform") X(LID, "lid") \
	X(OFFLINE_SYNCED, "offline_synced") \
	X(COUNT, "count") X(TOTAL, "total") X(COUNTS, "counts") \
	X(EVENTS, "events") X(ROWS, "rows") X(FILTERS, "filters") \
	X(PAGER, "pager") X(PREV, "prev") X(NEXT_PAGE, "next_page") \
	X(PAGE, "page") X(PAGES, "pages") X(HREF, "href") \
	X(CLASS, "class") X(KIND, "kind") X(AT, "at") \
	X(DETAIL, "detail") X(ACCOUNT_LINK, "account_link") \
	X(DAEMON, "daemon") X(QR, "qr") X(QR_VERSION, "qr_version") \
	X(QR_N, "qr_n") X(DEADLINE, "deadline") \
	X(REMAINING, "remaining") X(WINDOW, "window") \
	X(ACTIONS, "actions") X(ACTION, "action") \
	X(BUTTON, "button") X(AUTO_CONNECT, "auto_connect") \
	X(AUTO_NEXT, "auto_next") X(COMMANDS, "commands") \
	X(TYPE, "type") X(STATE, "state") X(CREATED, "created") \
	X(UPDATED, "updated") X(LAST_CONNECTED, "last_connected") \
	X(LAST_FRAME, "last_frame") X(OPERATOR, "operator") \
	X(OPERATORS, "operators") X(DISABLED, "disabled") \
	X(TOGGLE, "toggle") X(ERROR, "error") X(VALUE, "value") \
	X(AGO, "ago") X(BANNER, "banner") X(TIMELINE, "timeline") \
	X(SPENT, "spent") X(PAIRING_ENDED, "pairing_ended") \
	X(URL, "url") X(SECRET, "secret") X(LATENCY, "latency") \
	X(OPTIONS, "options") \
	X(NAME, "name") X(PREFIX, "prefix") X(SCOPES, "scopes") \
	X(ACCOUNTS, "accounts") X(LAST_USED, "last_used") X(KEY, "key") \
	X(SUBJECT, "subject") X(PARTICIPANTS, "participants") \
	X(ADMIN, "admin") X(SYNCED, "synced") X(QUERY, "query") \
	X(CLIENT_ID, "client_id") X(SEND, "send") X(EMPTY, "empty") \
	X(OWNER, "owner") X(DAEMONS, "daemons") X(HOST, "host") \
	X(PID, "pid") X(SESSIONS, "sessions") X(CAPACITY, "capacity") \
	X(PROXY, "proxy") \
	X(ACCOUNT, "account") X(GROUPS, "groups") X(MESSAGES, "messages") \
	X(DATE, "date") X(TIME, "time") X(TIMEZONE, "timezone") \
	X(FREQS, "freqs") X(INTERVAL, "interval") X(WEEKDAYS, "weekdays") \
	X(MONTHDAY, "monthday") X(ENDS, "ends") X(UNTIL, "until") \
	X(WINDOW_END, "window_end") X(ERR_NAME, "err_name") \
	X(ERR_ACCOUNT, "err_account") X(ERR_GROUPS, "err_groups") \
	X(ERR_MESSAGES, "err_messages") X(ERR_WHEN, "err_when") \
	X(ERR_TIMEZONE, "err_timezone") X(ERR_RULE, "err_rule") \
	X(ERR_UNTIL, "err_until") X(ERR_WINDOW, "err_window") \
	X(PREVIEW, "preview") X(SUMMARY, "summary") X(FIRES, "fires") \
	X(TARGETS, "targets") X(RUNS, "runs") X(REMINDERS, "reminders")

enum	tkey {
#define	TKEY_ENUM(n, s)	TKEY_##n,
	TKEYS(TKEY_ENUM)
#undef	TKEY_ENUM
	TKEY__MAX
};

extern const char *const tkey_names[TKEY__MAX];
extern const char *const tmpl_files[TMPL__MAX];

enum	http_method {
	METHOD_GET,
	METHOD_HEAD,
	METHOD_POST,
	METHOD_OTHER,
};

struct	kv {
	char	*key;		/* decoded, NUL-free */
	char	*val;		/* decoded, NUL-free */
};

struct	kvlist {
	struct kv	 kv[REQ_FIELDS_MAX];
	size_t		 n;
};

/* Per-thread resources, created at start-up and reused. */
struct	worker {
	const struct conf	*conf;	/* borrowed, read-only */
	struct db		*db;	/* this thread's connection */
	struct qrpng_cache	*qr;	/* rendered PNGs by qr_version */
	struct qrmemo		*qrmemo; /* qr.png check answers (qrmemo.h) */
};

struct	req {
	struct worker	*w;		/* borrowed */
	enum http_method method;
	char		*path;		/* decoded URI path, owned */
	struct kvlist	 query;		/* ?a=b pairs */
	struct kvlist	 form;		/* urlencoded POST body */
	struct kvlist	 cookies;
	const char	*remote_addr;	/* borrowed from PARAMS */
	const char	*authorization;	/* borrowed; may be NULL */
	const char	*content_type;	/* borrowed; may be NULL */
	struct buf	 raw;		/* /api/ POST body, undecoded */
	int		 raw_too_large;	/* /api/ body over REQ_BODY_MAX */
	const struct apikey *apikey;	/* the API key acting, or NULL */
	int		 is_https;	/* HTTPS=on in PARAMS */
	int		 bad_input;	/* a decode limit or rule was broken */
	int		 refresh;	/* page refreshes itself without JS */
	int64_t		 id;		/* {id} from the route, or 0 */
	size_t		 route;		/* index in the route table */
	/* The signed-in operator, when has_session. */
	int		 has_session;
	int64_t		 operator_id;
	char		*username;	/* owned */
	int		 is_admin;
	char		 csrf[TOKEN_HEX + 1];
	char		 token_hash[TOKEN_HEX + 1];
	/* The outdated-client banner (present.c), from the session check. */
	int		 outdated;	/* an account's latest state is 405 */
	char		 outdated_text[256]; /* " Version sent: ..." or "" */
	/* The logged-out/banned banner (present.c), from the same check:
	 * the operator's newest such account and how many there are. */
	int64_t		 lost_id;	/* 0: no banner */
	int64_t		 lost_n;
	char		 lost_label[128];
	char		 lost_status[16];
	/* The response, sent by main.c after the handler returns. */
	int		 status;	/* HTTP status code */
	const char	*ctype;		/* static string */
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 body;
};

typedef void	(*route_fn)(struct req *);
struct tout;
typedef int	(*tmpl_keyfn)(struct tout *, enum tkey, void *);

/*
 * Body reader for req_from_params(): up to "len" bytes into "buf";
 * returns the count (any size from 1 to "len"), 0 at the end, -1 on error.
 */
typedef int	(*req_read_fn)(void *ctx, char *buf, int len);

/* req.c */
void		 req_init(struct req *r, struct worker *w);
int		 req_from_params(struct req *r, char *const *envp,
		    req_read_fn rd, void *ctx, const char **why);
const char	*req_param(char *const *envp, const char *name);
size_t		 req_form_max(const char *path);
void		 req_reset(struct req *r);
int		 req_decode_pairs(struct kvlist *l, const char *s, size_t len,
		    int sep);
int		 req_parse_cookies(struct kvlist *l, const char *s);
int		 req_set_path(struct req *r, const char *uri);
enum http_method req_method_parse(const char *s);
const char	*kv_get(const struct kvlist *l, const char *key);
void		 kvlist_free(struct kvlist *l);

/* route.c */
#define	ROUTE_AUTH	0x01	/* needs a signed-in operator */
#define	ROUTE_ADMIN	0x02	/* needs an admin */
#define	ROUTE_CSRF	0x04	/* POST: check the session CSRF token */
#define	ROUTE_SELF	0x08	/* the handler checks the session itself,
				   in its own query (auth_session_load_with) */
size_t		 route_count(void);
const char	*route_pattern(size_t i);
int		 route_pattern_match(const char *pattern, const char *path,
		    int64_t *id);
int		 route_match(const char *path, enum http_method m,
		    size_t *idx, int64_t *id);
void		 route_allow(const char *path, struct buf *out);
void		 route_to_login(struct req *r);
void		 route_dispatch(struct req *r);

/* http.c */
const char	*http_status_text(int code);
int		 http_header(struct req *r, const char *name,
		    const char *value);
void		 http_redirect(struct req *r, const char *location);
void		 http_error(struct req *r, int code, const char *message);
void		 http_page(struct req *r, const char *title, enum tmplid id,
		    tmpl_keyfn fn, void *arg);
void		 http_json(struct req *r, int code, struct json_object *o);
void		 http_cookie(struct req *r, const char *name,
		    const char *value, int max_age);

/* tmpl.c */
int		 tmpl_load_dir(const char *dir);
int		 tmpl_compile(enum tmplid id, const char *src);
void		 tmpl_free_all(void);
int		 tmpl_render(struct buf *out, enum tmplid id, tmpl_keyfn fn,
		    void *arg);
int		 tmpl_partial(struct tout *o, enum tmplid id, tmpl_keyfn fn,
		    void *arg);
void		 tmpl_text(struct tout *o, const char *s);
void		 tmpl_textf(struct tout *o, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 tmpl_url(struct tout *o, const char *s);

/* page_accounts.c */
void		 page_visibility(const struct req *r, char op[24],
		    const char **is_admin);
int		 label_valid(const char *s);
int		 event_insert(struct req *r, const char *account_id,
		    const char *kind, struct json_object *detail);
int		 account_create(struct req *r, const char *label,
		    int64_t *id);

/* auth.c */
void		 auth_hex_token(char out[TOKEN_HEX + 1]);
void		 auth_token_hash(const char *token, char out[TOKEN_HEX + 1]);
int		 auth_session_token(struct req *r);
void		 auth_session_set(struct req *r, int64_t operator_id,
		    const char *username, int is_admin, const char *csrf);
int		 auth_streq(const char *a, const char *b);
int		 auth_session_load(struct req *r);
int		 auth_session_load_with(struct req *r, size_t stmt,
		    const char *arg, struct pg_result **out);
int		 auth_csrf_ok(struct req *r);
int		 auth_bearer_ok(const struct req *r, const char *key);

/* metrics.c */
void		 metrics_count(const char *route, int code);
void		 metrics_write(struct buf *out);
void		 metrics_write_outdated(struct req *r);
void		 metrics_write_sends(struct req *r);
void		 metrics_write_daemons(struct req *r);

/* present.c */
int		 present_time(struct tout *o, const char *iso);
void		 present_event_text(struct buf *b, const char *kind,
		    struct json_object *d);
void		 present_reason(struct buf *b, const char *code,
		    const char *detail);
int		 present_event(struct tout *o, const char *kind,
		    const char *detail);
void		 present_actor(struct tout *o, const char *actor,
		    const char *username, const char *role);
int		 present_banner(struct tout *o, struct req *r);
void		 present_outdated_set(struct req *r, struct pg_result *res,
		    int col);
void		 present_lost_set(struct req *r, struct pg_result *res,
		    int col);
void		 present_transition_text(struct buf *b, struct pg_result *res,
		    int row);
int		 present_timeline(struct tout *o, struct pg_result *res,
		    int first, int max);

/* page_reminders.c: the dashboard's reminder cards (page_dashboard.c). */
int		 reminders_dash(struct tout *o, struct req *r);

/* page_account.c: the one way an account action happens (api.c too). */
struct	action_in {
	const char	*phone;		/* pair-code */
	const char	*label;		/* rename */
	const char	*value;		/* auto-connect: "on" or "off" */
	const char	*proxy;		/* proxy: a URL, "" for none */
};
enum	act_rc {
	ACT_OK, ACT_UNKNOWN, ACT_INVALID, ACT_NOT_FOUND, ACT_CONFLICT, ACT_DB
};
enum act_rc	 account_act(struct req *r, const char *name,
		    const struct action_in *in, int64_t *cmd_id,
		    const char **err);

/* api.c: the JSON API under API_PREFIX, its own route table. */
#define	API_PREFIX	"/api/"
const char	*api_dispatch(struct req *r);
size_t		 api_route_count(void);
const char	*api_route_pattern(size_t i);
int		 api_route_match(const char *path, enum http_method m,
		    size_t *idx, int64_t *id);

/* api_json.c: strict JSON request bodies, per-route fields. */
enum	api_ftype { AF_STRING, AF_BOOL };
struct	api_field {
	const char	*name;
	enum api_ftype	 type;
	int		 required;
};
int		 api_json_parse(const char *ctype, const char *body,
		    size_t len, const struct api_field *f, size_t nf,
		    int need_body, struct json_object **out, char *msg,
		    size_t msgsz);

/* http.c: the API's error shape {"error": {"code", "message"}}. */
void		 http_api_error(struct req *r, int code, const char *ecode,
		    const char *message);

/* page_*.c: handlers, one per route (route.c holds the table). */
void		 page_login_form(struct req *r);
void		 page_login_submit(struct req *r);
int		 login_throttled(struct req *r, const char *username,
		    int *limited);
void		 login_failure_add(struct req *r, const char *username);
void		 page_logout(struct req *r);
void		 page_dashboard(struct req *r);
void		 page_accounts_list(struct req *r);
void		 page_accounts_new(struct req *r);
void		 page_accounts_create(struct req *r);
void		 page_account_show(struct req *r);
void		 page_account_qr(struct req *r);
void		 page_account_status(struct req *r);
void		 page_account_events(struct req *r);
void		 page_account_delete_form(struct req *r);
void		 page_account_action(struct req *r);
void		 page_operators_list(struct req *r);
void		 page_profile(struct req *r);
void		 page_profile_timezone(struct req *r);
void		 page_profile_password(struct req *r);
void		 page_operators_add(struct req *r);
void		 page_operator_password(struct req *r);
void		 page_operator_disable(struct req *r);
void		 page_webhooks_list(struct req *r);
void		 page_webhooks_add(struct req *r);
void		 page_webhook_show(struct req *r);
void		 page_webhook_enable(struct req *r);
void		 page_webhook_delete(struct req *r);
void		 page_webhook_redeliver(struct req *r);
void		 page_apikeys_list(struct req *r);
void		 page_apikeys_create(struct req *r);
void		 page_apikey_revoke(struct req *r);
void		 page_groups_list(struct req *r);
void		 page_groups_sync(struct req *r);
void		 page_groups_send(struct req *r);
void		 page_groups_send_status(struct req *r);
void		 page_account_send(struct req *r);
/* The account page's phone send-test (page_groups.c); struct pg_result
 * is libpq's PGresult. */
struct pg_result *send_phone_latest(struct req *r, const char *account_id);
int		 send_phone_sending(const struct pg_result *latest);
int		 send_phone_section(struct tout *o, struct req *r,
		    const char *account_id, const struct pg_result *latest,
		    int restricted, const char *until, const char *reason);
void		 stalled_sentence(struct buf *b, const char *at);
/* "in" as 7 to 15 E.164 digits into "out" (page_account.c). */
int		 phone_normalise(const char *in, char *out, size_t outsz);
void		 page_reminders_list(struct req *r);
void		 page_reminders_clear(struct req *r);
void		 page_reminders_new(struct req *r);
void		 page_reminders_create(struct req *r);
void		 page_reminder_show(struct req *r);
void		 page_reminder_edit(struct req *r);
void		 page_reminder_update(struct req *r);
void		 page_reminder_action(struct req *r);
void		 page_reminder_run(struct req *r);
void		 page_reminder_run_action(struct req *r);
void		 page_health(struct req *r);
void		 page_health_deep(struct req *r);
void		 page_metrics(struct req *r);
void		 health_init(void);

#endif /* !WADESK_CGI_H */
