/*
 * bench_conns: memory per idle logged-in WhatsApp connection.  Opens N
 * clients (wa.h) on one lws_context against the simulator, pairs each
 * one by QR (a background curl posts every first QR to the simulator's
 * /scan with its own phone number), lets the 515 restart log them in,
 * and once all are connected and idle reports the heap (glibc
 * mallinfo2) and resident memory grown since before the first client,
 * divided by N.  A wss:// URL verifies the server's certificate as the
 * daemon does (a test CA only through SSL_CERT_FILE).  Run by
 * tests/wa/bench.sh:
 *
 *	bench_conns URL CONTROL_URL ROOT_KEY_HEX N
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "log.h"
#include "wa.h"
#include "xalloc.h"

#define	PAIRING_MAX	16	/* pairings in flight */

extern char	**environ;

struct	bench {
	struct lws_context	*ctx;
	const char		*ctl;		/* simulator control URL */
	int			 n;		/* clients */
	int			 scanned;	/* /scan requests started */
	int			 paired;
	int			 connected;
	int			 closed;
	lws_sorted_usec_list_t	 tick;		/* see wake() */
};

struct	slot {
	struct bench		*b;
	struct wa_client	*c;
	int			 idx;
	int			 scanned;
	int			 connected;
};

/* Resident set size in bytes, from /proc/self/statm. */
static long
rss_bytes(void)
{
	FILE	*f;
	long	 size, res = 0;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

/* Heap bytes in use (glibc). */
static long
heap_bytes(void)
{
	struct mallinfo2	 mi;

	mi = mallinfo2();
	return (long)(mi.uordblks + mi.hblkhd);
}

/* Post the QR to /scan with a background curl (never blocks the loop). */
static void
scan(struct slot *s, const char *qr)
{
	char	*body, *url;
	char	*argv[12];
	pid_t	 pid;
	int	 i = 0;

	body = xasprintf("{\"qr\": \"%s\", \"phone\": \"1556%07d\"}", qr,
	    s->idx);
	url = xasprintf("%s/scan", s->b->ctl);
	argv[i++] = "curl";
	argv[i++] = "-s";
	argv[i++] = "-o";
	argv[i++] = "/dev/null";
	argv[i++] = "-H";
	argv[i++] = "Content-Type: application/json";
	argv[i++] = "--data";
	argv[i++] = body;
	argv[i++] = url;
	argv[i] = NULL;
	if (posix_spawnp(&pid, "curl", NULL, NULL, argv, environ) != 0)
		log_warnx("cannot run curl");
	else
		s->b->scanned++;
	free(body);
	free(url);
}

static void
ev_qr(struct wa_client *c, void *user, const char *qr, int n, time_t exp)
{
	struct slot	*s = user;

	if (!s->scanned) {
		s->scanned = 1;
		scan(s, qr);
	}
}

static void
ev_paired(struct wa_client *c, void *user, const struct wa_paired *p)
{
	struct slot	*s = user;

	s->b->paired++;
}

static void
ev_connected(struct wa_client *c, void *user, const struct wa_connected *i)
{
	struct slot	*s = user;

	s->connected = 1;
	s->b->connected++;
}

static void
ev_closed(struct wa_client *c, void *user, enum wa_reason r, int code,
    int intentional)
{
	struct slot	*s = user;

	if (!intentional)
		log_warnx("client %d closed: %s %d", s->idx,
		    wa_reason_name(r), code);
	if (s->connected)
		s->b->connected--;
	s->connected = 0;
	s->b->closed++;
}

/*
 * A timer that re-arms itself, so that lws_service() returns at least
 * every 20 ms even when no connection has anything to do.
 */
static void
wake(lws_sorted_usec_list_t *sul)
{
	struct bench	*b = lws_container_of(sul, struct bench, tick);

	lws_sul_schedule(b->ctx, 0, &b->tick, wake, 20 * LWS_US_PER_MS);
}

/* Run the loop for about ms milliseconds. */
static void
run_for(struct lws_context *ctx, int msec)
{
	lws_usec_t	 end = lws_now_usecs() + (lws_usec_t)msec * 1000;

	while (lws_now_usecs() < end)
		if (lws_service(ctx, 0) < 0)
			break;
}

int
main(int argc, char *argv[])
{
	/* Designated: new members of the table stay NULL here. */
	static const struct wa_callbacks	 cbs = {
		.qr = ev_qr, .paired = ev_paired, .connected = ev_connected,
		.closed = ev_closed,
	};
	struct lws_context_creation_info	 info;
	struct wa_config			 cfg;
	struct rlimit				 rl;
	struct bench				 b;
	struct slot				*slots;
	uint8_t					 root[32];
	long					 heap0, rss0, heap1, rss1;
	unsigned int				 v;
	int					 i, waited, ok;

	if (argc != 5 || strlen(argv[3]) != 64) {
		fprintf(stderr, "usage: bench_conns URL CTL ROOT N\n");
		return 1;
	}
	log_init("bench_conns", LOG_LEVEL_WARN);
	for (i = 0; i < 32; i++) {
		if (sscanf(argv[3] + 2 * i, "%2x", &v) != 1)
			return 1;
		root[i] = (uint8_t)v;
	}
	memset(&b, 0, sizeof(b));
	b.ctl = argv[2];
	b.n = atoi(argv[4]);
	if (b.n <= 0 || b.n > 100000)
		return 1;
	signal(SIGCHLD, SIG_IGN);	/* reap the curls */
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	/* wss:// too: tests/wa/bench.sh runs it behind a TLS front. */
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.fd_limit_per_thread = (unsigned int)b.n * 2 + 64;
	info.timeout_secs = 60;
	if ((b.ctx = lws_create_context(&info)) == NULL)
		return 1;
	lws_sul_schedule(b.ctx, 0, &b.tick, wake, 1);
	slots = xcalloc((size_t)b.n, sizeof(*slots));
	memset(&cfg, 0, sizeof(cfg));
	cfg.lws = b.ctx;
	cfg.url = argv[1];
	cfg.root_key = root;
	cfg.cb = &cbs;
	cfg.handshake_timeout_ms = 60000;
	cfg.qr_first_ms = 120000;	/* one QR per client is enough */
	run_for(b.ctx, 50);
	heap0 = heap_bytes();
	rss0 = rss_bytes();
	/*
	 * Pairing is the simulator's slow part (its signatures are
	 * BigInt JavaScript), so keep at most PAIRING_MAX pairings in
	 * flight; lws would time out upgrades queued behind the rest.
	 */
	for (i = 0, waited = 0; b.connected + b.closed < b.n &&
	    waited < 600000; waited += 20) {
		while (i < b.n && i - b.connected - b.closed < PAIRING_MAX) {
			slots[i].b = &b;
			slots[i].idx = i;
			cfg.user = &slots[i];
			if ((slots[i].c = wa_client_new(&cfg)) == NULL ||
			    wa_client_start_pair(slots[i].c) == -1)
				return 1;
			i++;
		}
		run_for(b.ctx, 20);
	}
	run_for(b.ctx, 1000);		/* settle: offline, acks */
	heap1 = heap_bytes();
	rss1 = rss_bytes();
	printf("bench wa_idle_connections n=%d connected=%d paired=%d "
	    "heap_per_conn=%ld bytes rss_per_conn=%ld bytes "
	    "heap_total=%ld rss_total=%ld\n", b.n, b.connected, b.paired,
	    (heap1 - heap0) / b.n, (rss1 - rss0) / b.n, heap1 - heap0,
	    rss1 - rss0);
	fflush(stdout);
	ok = b.connected == b.n;
	for (i = 0; i < b.n; i++)
		wa_client_stop(slots[i].c, 1);
	run_for(b.ctx, 200);
	for (i = 0; i < b.n; i++)
		wa_client_free(slots[i].c);	/* NULL-safe */
	free(slots);
	lws_sul_cancel(&b.tick);
	lws_context_destroy(b.ctx);
	return ok ? 0 : 1;
}
