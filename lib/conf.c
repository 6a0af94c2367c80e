/*
 * WADESK_* environment -> struct conf, through one table (after
 * pgbouncer's CfKey table and redis' static_configs[]).  Each entry has
 * a type, a default and, for numbers, a range; a bad value fails
 * start-up with a message naming the variable.  Unknown WADESK_*
 * variables are warned about: they are probably typos.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "xalloc.h"

extern char	**environ;

enum	conf_type {
	CONF_STRING,	/* char *; NULL default means unset */
	CONF_INT,	/* int within [min, max] */
	CONF_LOGLEVEL,	/* enum log_level */
	CONF_SCRIPT,	/* read by the scripts only; known, not stored */
};

struct	conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;	/* offset in struct conf */
	const char	*def;	/* default, as text; NULL: unset */
	long		 min, max;
};

#define	OFF(f)	offsetof(struct conf, f)

static const struct conf_key	conf_keys[] = {
	{ "WADESK_DATABASE_URL", CONF_STRING, OFF(database_url),
	    "dbname=wadesk", 0, 0 },
	{ "WADESK_FCGI_SOCKET", CONF_STRING, OFF(fcgi_socket), NULL, 0, 0 },
	{ "WADESK_FCGI_THREADS", CONF_INT, OFF(fcgi_threads), "8", 1, 64 },
	{ "WADESK_TEMPLATES", CONF_STRING, OFF(templates_dir),
	    "templates", 0, 0 },
	{ "WADESK_PAIR_WINDOW_S", CONF_INT, OFF(pair_window_s), "300",
	    10, 3600 },
	{ "WADESK_SESSION_IDLE_S", CONF_INT, OFF(session_idle_s), "3600",
	    60, 30 * 86400 },
	{ "WADESK_SESSION_MAX_S", CONF_INT, OFF(session_max_s), "43200",
	    60, 90 * 86400 },
	{ "WADESK_API_KEY", CONF_STRING, OFF(api_key), NULL, 0, 0 },
	{ "WADESK_DAEMON_DEAD_S", CONF_INT, OFF(daemon_dead_s), "30",
	    2, 3600 },
	{ "WADESK_HEALTH_CACHE_MS", CONF_INT, OFF(health_cache_ms), "1000",
	    0, 60000 },
	{ "WADESK_QR_CACHE_MS", CONF_INT, OFF(qr_cache_ms), "10000",
	    0, 60000 },
	{ "WADESK_LOGIN_MAX_USER", CONF_INT, OFF(login_max_user), "5",
	    1, 1000 },
	{ "WADESK_LOGIN_MAX_ADDR", CONF_INT, OFF(login_max_addr), "20",
	    1, 100000 },
	{ "WADESK_LOGIN_WINDOW_S", CONF_INT, OFF(login_window_s), "900",
	    1, 86400 },
	{ "WADESK_LOG_LEVEL", CONF_LOGLEVEL, OFF(log_level), "info", 0, 0 },
	{ "WADESK_WA_URL", CONF_STRING, OFF(wa_url), CONF_WA_URL_DEFAULT,
	    0, 0 },
	{ "WADESK_WA_ROOT_KEY", CONF_STRING, OFF(wa_root_key), NULL, 0, 0 },
	{ "WADESK_WA_VERSION", CONF_STRING, OFF(wa_version), NULL, 0, 0 },
	{ "WADESK_WA_VERSION_FILE", CONF_STRING, OFF(wa_version_file), NULL,
	    0, 0 },
	{ "WADESK_PRESENCE", CONF_STRING, OFF(presence), "unavailable",
	    0, 0 },
	{ "WADESK_DEVICE_NAME", CONF_STRING, OFF(device_name), "wadesk",
	    0, 0 },
	{ "WADESK_CRED_KEY_FILE", CONF_STRING, OFF(cred_key_file),
	    "var/cred.key", 0, 0 },
	{ "WADESK_BACKOFF_MIN_MS", CONF_INT, OFF(backoff_min_ms), "1000",
	    10, 3600000 },
	{ "WADESK_BACKOFF_MAX_MS", CONF_INT, OFF(backoff_max_ms), "300000",
	    10, 86400000 },
	{ "WADESK_STAGGER_MS", CONF_INT, OFF(stagger_ms), "2000", 0, 60000 },
	{ "WADESK_LOGINS_AT_ONCE", CONF_INT, OFF(logins_max), "0",
	    0, 100000 },
	/* wadesk-webhookd (webhook/main.c). */
	{ "WADESK_WEBHOOK_KEY_FILE", CONF_STRING, OFF(webhook_key_file),
	    "var/webhook.key", 0, 0 },
	{ "WADESK_WEBHOOK_BASE_MS", CONF_INT, OFF(webhook_base_ms), "10000",
	    1, 3600000 },
	{ "WADESK_WEBHOOK_MAX_MS", CONF_INT, OFF(webhook_max_ms), "3600000",
	    1, 86400000 },
	{ "WADESK_WEBHOOK_WINDOW_S", CONF_INT, OFF(webhook_window_s),
	    "86400", 1, 30 * 86400 },
	{ "WADESK_WEBHOOK_TIMEOUT_MS", CONF_INT, OFF(webhook_timeout_ms),
	    "10000", 100, 120000 },
	{ "WADESK_WEBHOOK_RETENTION_S", CONF_INT, OFF(webhook_retention_s),
	    "604800", 0, 3650 * 86400 },
	{ "WADESK_LEASE_SECONDS", CONF_INT, OFF(lease_s), "30", 3, 3600 },
	{ "WADESK_MAX_SESSIONS", CONF_INT, OFF(max_sessions), "10000",
	    1, 1000000 },
	{ "WADESK_MESSAGES_KEEP", CONF_INT, OFF(messages_keep), "50",
	    0, 100000 },
	/* Issue 11: an occurrence older than this when the daemon finds
	 * it due is not sent but recorded as missed (daemon/reminders.c). */
	{ "WADESK_REMINDER_GRACE_S", CONF_INT, OFF(reminder_grace_s), "900",
	    0, 30 * 86400 },
	/* Read by scripts/ only (make run, make check). */
	{ "WADESK_PORT", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_ADMIN_PASSWORD", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_LOGIN_RATE", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_NO_DAEMON", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_NO_WEBHOOKD", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_VAR", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_DEMO", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_TEST_TIMEOUT", CONF_SCRIPT, 0, NULL, 0, 0 },
	{ "WADESK_VECTORS", CONF_SCRIPT, 0, NULL, 0, 0 },
};

static int
conf_set(struct conf *c, const struct conf_key *k, const char *v)
{
	char	*end;
	long	 n;

	switch (k->type) {
	case CONF_STRING:
		*(char **)((char *)c + k->off) = v == NULL ? NULL : xstrdup(v);
		return 0;
	case CONF_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    n < k->min || n > k->max) {
			log_warnx("%s=\"%s\": want an integer in [%ld, %ld]",
			    k->name, v, k->min, k->max);
			return -1;
		}
		*(int *)((char *)c + k->off) = (int)n;
		return 0;
	case CONF_LOGLEVEL:
		if (log_level_parse(v,
		    (enum log_level *)((char *)c + k->off)) == -1) {
			log_warnx("%s=\"%s\": want error, warn, info or debug",
			    k->name, v);
			return -1;
		}
		return 0;
	case CONF_SCRIPT:
		return 0;
	}
	abort();
}

/*
 * Fill "c" from the environment, applying defaults.  An empty variable
 * counts as unset.  Returns 0 on success, -1 (logged, naming the
 * variable) on a bad value; "c" must then still be conf_free()d.
 */
int
conf_load(struct conf *c)
{
	const struct conf_key	*k;
	const char		*v;
	char			**e;
	size_t			 i, nlen;
	int			 rc = 0;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		k = &conf_keys[i];
		if ((v = getenv(k->name)) == NULL || *v == '\0')
			v = k->def;
		if (v == NULL && k->type != CONF_STRING)
			continue;
		if (conf_set(c, k, v) == -1)
			rc = -1;
	}
	if (strcmp(c->presence, "available") != 0 &&
	    strcmp(c->presence, "unavailable") != 0) {
		log_warnx("WADESK_PRESENCE=\"%s\": want available or "
		    "unavailable", c->presence);
		rc = -1;
	}
	if (strlen(c->device_name) > 50 ||
	    strcspn(c->device_name, "()\r\n\t") != strlen(c->device_name)) {
		log_warnx("WADESK_DEVICE_NAME: at most 50 characters, without "
		    "parentheses or control characters");
		rc = -1;
	}
	for (e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "WADESK_", 7) != 0)
			continue;
		nlen = strcspn(*e, "=");
		for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
			if (strlen(conf_keys[i].name) == nlen &&
			    strncmp(conf_keys[i].name, *e, nlen) == 0)
				break;
		if (i == sizeof(conf_keys) / sizeof(conf_keys[0]))
			log_warnx("unknown variable %.*s (a typo?)",
			    (int)nlen, *e);
	}
	return rc;
}

/* Release the strings "c" owns; safe on a zeroed struct. */
void
conf_free(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		if (conf_keys[i].type == CONF_STRING)
			free(*(char **)((char *)c + conf_keys[i].off));
	memset(c, 0, sizeof(*c));
}
