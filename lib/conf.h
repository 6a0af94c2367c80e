/*
 * Configuration: WADESK_* environment variables read once at start-up
 * through one table (lib/conf.c), validated, with defaults.  The same
 * names serve wadesk.fcgi, wadeskd and wadeskctl (DESIGN.md).
 */
#ifndef WADESK_CONF_H
#define WADESK_CONF_H

#include "log.h"

/* WhatsApp's real endpoint; tests point WADESK_WA_URL at tests/wasim. */
#define CONF_WA_URL_DEFAULT	"wss://web.whatsapp.com/ws/chat"

struct	conf {
	char		*database_url;	/* libpq conninfo or URI */
	char		*fcgi_socket;	/* unix socket path; NULL: fd 0 */
	int		 fcgi_threads;	/* worker threads in wadesk.fcgi */
	char		*templates_dir;	/* directory of *.html templates */
	int		 pair_window_s;	/* pairing window, seconds */
	int		 session_idle_s; /* web session idle expiry, s */
	int		 session_max_s;	/* web session absolute expiry, s */
	char		*api_key;	/* bearer key for /health/deep; NULL: none */
	int		 daemon_dead_s;	/* heartbeat age that means "dead", s */
	int		 health_cache_ms; /* /health snapshot lifetime, 0: none */
	int		 qr_cache_ms;	/* qr.png memo safety net, 0: memo off */
	int		 login_max_user; /* failed sign-ins per username/window */
	int		 login_max_addr; /* failed sign-ins per address/window */
	int		 login_window_s; /* throttling window, s */
	enum log_level	 log_level;	/* WADESK_LOG_LEVEL */
	char		*wa_url;	/* WhatsApp WebSocket URL */
	char		*wa_root_key;	/* hex root public key; NULL: real one */
	char		*wa_version;	/* WhatsApp Web version; NULL: default */
	char		*wa_version_file; /* file with the version, read at
					   each connect (lib/waversion.h) */
	char		*presence;	/* "unavailable" or "available" */
	char		*device_name;	/* name on the phone's Linked
					   devices list */
	char		*cred_key_file;	/* credentials sealing key file */
	int		 backoff_min_ms; /* reconnect back-off floor, ms */
	int		 backoff_max_ms; /* reconnect back-off cap, ms */
	int		 stagger_ms;	/* delay between start-up connects, ms */
	int		 logins_max;	/* logins in flight at once, per daemon;
					   0: no limit */
	char		*webhook_key_file; /* wadesk-webhookd's X25519 key */
	int		 webhook_base_ms; /* first retry delay, doubling, ms */
	int		 webhook_max_ms;  /* retry delay cap, ms */
	int		 webhook_window_s; /* retry window, then dead, s */
	int		 webhook_timeout_ms; /* one POST's time limit, ms */
	int		 webhook_retention_s; /* delivered/dead kept, s; 0: ever */
	int		 lease_s;	/* account lease of a daemon, s */
	int		 max_sessions;	/* accounts one daemon owns at most */
	int		 messages_keep;	/* received texts kept per chat */
	int		 reminder_grace_s; /* a reminder occurrence later than
					   this is missed, not sent, s */
};

int	conf_load(struct conf *c);
void	conf_free(struct conf *c);

#endif /* !WADESK_CONF_H */
