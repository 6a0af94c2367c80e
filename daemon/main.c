/*
 * wadeskd: the session daemon.  One process, one thread, one
 * libwebsockets loop (STYLE.md 2.9), run on libev (epoll) rather than
 * lws' own poll(2) loop: with thousands of sessions, poll over every
 * socket at each keepalive wake-up made idle CPU grow with the square
 * of the session count (make bench).  The PostgreSQL socket (intake.c)
 * and every WhatsApp connection (daemon/wa) are served by
 * lws_service(); a 250 ms housekeeping timer drives the heartbeat,
 * deadlines, back-off and the command scan, and lets the loop notice
 * the signal flag.  Start-up acquires everything (configuration, the
 * credentials key, the lws context) before the first event; SIGTERM
 * and SIGINT close every session intentionally, mark the rows
 * disconnected (DESIGN.md rule 9) and exit 0.
 */
#include <err.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <sodium.h>

#include "daemon.h"
#include "log.h"

static volatile sig_atomic_t	 quit;

static const struct lws_protocols	protocols[] = {
	{ "intake", intake_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
on_signal(int sig)
{

	quit = quit < 2 ? quit + 1 : 2;
}

/* lws log lines go through our log (control characters escaped). */
static void
lws_log_emit(int level, const char *line)
{
	size_t	 n;

	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warnx("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

/*
 * Housekeeping every DAEMON_TICK_US: heartbeat and command scan
 * (intake.c), pairing deadlines, back-off and logout timeouts
 * (session.c), the reminder scheduler's timer (reminders.c).  Re-arms
 * itself unless we are stopping.
 */
static void
tick(lws_sorted_usec_list_t *sul)
{
	struct daemon	*d = lws_container_of(sul, struct daemon, tick);

	/* The first signal drains (issue 12); a second stops at once. */
	if (quit && !d->draining)
		lease_drain_start(d);
	if (d->drained || quit > 1) {
		ev_break(d->loop, EVBREAK_ALL);
		return;
	}
	intake_tick(d);
	lease_tick(d);
	session_tick(d);
	send_tick(d);
	reminders_tick(d);
	lws_sul_schedule(d->ctx, 0, &d->tick, tick, DAEMON_TICK_US);
}

/*
 * Test-only: WADESKD_TIME_SCALE=N divides the client's protocol
 * timers (QR rotation, keepalive) by N, to match tests/wasim's
 * --time-scale N.  Not a WADESK_* variable on purpose: production
 * configuration never needs it.  Default 1.
 */
static void
time_scale_parse(struct daemon *d)
{
	const char	*v;
	char		*end;
	long		 n;

	d->time_scale = 1;
	if ((v = getenv("WADESKD_TIME_SCALE")) == NULL || *v == '\0')
		return;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 1 || n > 1000) {
		log_warnx("WADESKD_TIME_SCALE=\"%s\": want 1 to 1000; using 1",
		    v);
		return;
	}
	d->time_scale = (unsigned int)n;
	log_warnx("test time scale %u: protocol timers shortened",
	    d->time_scale);
}

/* Parse WADESK_WA_ROOT_KEY (64 hex digits) into d->root_key. */
static int
root_key_parse(struct daemon *d)
{
	size_t	 n;

	if (d->conf.wa_root_key == NULL)
		return 0;
	if (sodium_hex2bin(d->root_key, sizeof(d->root_key),
	    d->conf.wa_root_key, strlen(d->conf.wa_root_key), NULL, &n,
	    NULL) != 0 || n != sizeof(d->root_key)) {
		log_warnx("WADESK_WA_ROOT_KEY: want %d bytes in hex",
		    WA_ROOT_KEY_LEN);
		return -1;
	}
	d->has_root_key = 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct lws_context_creation_info	 info;
	struct sigaction			 sa;
	struct daemon				 d;
	void					*foreign[1];

	memset(&d, 0, sizeof(d));
	log_init("wadeskd", LOG_LEVEL_INFO);
	if (conf_load(&d.conf) == -1)
		errx(1, "bad configuration; see the README");
	log_init("wadeskd", d.conf.log_level);
	if (sodium_init() < 0)
		errx(1, "sodium_init");
	time_scale_parse(&d);
	lease_host_key(&d);
	if (root_key_parse(&d) == -1)
		errx(1, "bad WADESK_WA_ROOT_KEY");
	if (creds_key_load(&d, d.conf.cred_key_file) == -1)
		errx(1, "%s: cannot load the credentials key "
		    "(wadeskctl keygen)", d.conf.cred_key_file);
	if (proxy_key_init(&d) == -1)
		errx(1, "cannot derive the proxy key");
	lws_set_log_level(LLL_ERR | (d.conf.log_level >= LOG_LEVEL_DEBUG ?
	    LLL_WARN : 0), lws_log_emit);

	if ((d.loop = ev_loop_new(EVFLAG_AUTO)) == NULL)
		errx(1, "ev_loop_new");
	foreign[0] = d.loop;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = &d;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = foreign;
	if ((d.ctx = lws_create_context(&info)) == NULL)
		errx(1, "lws_create_context");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_info("starting: %s", d.conf.wa_url);
	lws_sul_schedule(d.ctx, 0, &d.pg_sul, intake_connect, 1);
	lws_sul_schedule(d.ctx, 0, &d.tick, tick, DAEMON_TICK_US);

	ev_run(d.loop, 0);		/* until tick() sees "quit" */

	log_info("shutting down");
	reminders_stop(&d);		/* no pass from here on */
	/* The rows must be written even if the database just came back. */
	if (d.db == NULL)
		d.db = db_open(d.conf.database_url, daemon_stmts, DS__MAX);
	session_close_all(&d);		/* rows -> disconnected (rule 9) */
	lease_release_all(&d);		/* the next daemon claims at once */
	d.stopping = 1;
	intake_close(&d);		/* heartbeat row deleted */
	lws_sul_cancel(&d.tick);
	lws_sul_cancel(&d.pg_sul);
	lws_context_destroy(d.ctx);	/* closes adopted fds and sockets */
	ev_loop_destroy(d.loop);
	send_free_all(&d);
	session_free_all(&d);
	creds_key_free(&d);
	proxy_key_free(&d);
	conf_free(&d.conf);
	log_info("stopped");
	return 0;
}
