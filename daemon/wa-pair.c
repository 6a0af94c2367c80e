/*
 * wa-pair: a small demo and test driver for the WhatsApp client
 * (daemon/wa/wa.h).  It links one device: prints every QR code to the
 * terminal (UTF-8 half blocks rendered from libqrencode's modules) and
 * as a "qr: <string>" line, or asks for a pairing code with
 * --pair-code, keeps the credentials in --creds FILE (mode 0600), and
 * with an existing credentials file logs in instead.  Every event is
 * one line on stdout ("event: connected", "event: paired jid=...",
 * "event: closed reason=... code=..."), so a script can drive it; it
 * also reads the commands "logout", "stop" and "quit" on stdin.
 * --logout unlinks the device once logged in (right after pairing when
 * there are no credentials yet, like the daemon's duplicate guard).  It
 * exits after the closed event: status 0 if the close was intentional,
 * 3 otherwise, 1 on a usage or setup error.
 *
 * --insecure accepts any TLS certificate (tests behind a self-signed
 * proxy only).  Environment: WADESK_WA_URL (default the real endpoint),
 * WADESK_WA_ROOT_KEY (64 hex digits: pin this certificate root instead
 * of WhatsApp's), WADESK_LOG_LEVEL (error, warn, info, debug).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <qrencode.h>

#include "log.h"
#include "wa.h"
#include "xalloc.h"

#define	CREDS_MAX	8192		/* largest credentials file read */
#define	TICK_US		(100 * LWS_US_PER_MS) /* stdin and signal poll */

struct	app {
	struct lws_context	*ctx;
	struct wa_client	*wa;
	const char		*creds_path;	/* --creds FILE or NULL */
	int			 want_logout;	/* --logout */
	int			 no_qr_art;	/* --no-qr-art */
	int			 done;		/* closed: leave the loop */
	int			 status;	/* exit status */
	lws_sorted_usec_list_t	 tick;
	char			 line[256];	/* partial stdin line */
	size_t			 linelen;
	int			 stdin_eof;
};

static volatile sig_atomic_t	 got_signal;

static void
on_signal(int sig)
{

	got_signal = sig;
}

static void __attribute__((noreturn))
usage(void)
{

	fprintf(stderr, "usage: wa-pair [--creds FILE] [--pair-code PHONE] "
	    "[--logout] [--no-qr-art]\n"
	    "\t[--ping-interval MS] [--ping-timeout MS] [--dead-after MS]\n"
	    "\t[--qr-first MS] [--qr-next MS] [--version V] "
	    "[--device-name NAME] [--insecure]\n");
	exit(1);
}

/* Print s on stdout as one line and flush (scripts read it live). */
static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * Draw the QR symbol of s with UTF-8 half blocks, two module rows per
 * text line, dark modules printed as blanks on a light quiet zone so a
 * phone can scan it from a dark terminal.
 */
static void
qr_draw(const char *s)
{
	QRcode	*q;
	int	 x, y, w, top, bot;
	const int quiet = 2;

	if ((q = QRcode_encodeString(s, 0, QR_ECLEVEL_L, QR_MODE_8, 1)) ==
	    NULL) {
		log_warn("%s: QRcode_encodeString", __func__);
		return;
	}
	w = q->width;
	for (y = -quiet; y < w + quiet; y += 2) {
		for (x = -quiet; x < w + quiet; x++) {
			top = y >= 0 && y < w && x >= 0 && x < w &&
			    (q->data[y * w + x] & 1);
			bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
			    (q->data[(y + 1) * w + x] & 1);
			/* Light = block, dark = blank (inverted). */
			if (!top && !bot)
				fputs("\xe2\x96\x88", stdout);	/* full */
			else if (!top)
				fputs("\xe2\x96\x80", stdout);	/* upper */
			else if (!bot)
				fputs("\xe2\x96\x84", stdout);	/* lower */
			else
				putchar(' ');
		}
		putchar('\n');
	}
	QRcode_free(q);
}

/* Write the credentials blob to path, atomically, mode 0600. */
static int
creds_save(const char *path, const uint8_t *blob, size_t len)
{
	char	*tmp;
	int	 fd, rc = -1;

	tmp = xasprintf("%s.tmp", path);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1) {
		log_warn("%s: %s", __func__, tmp);
		goto out;
	}
	if (write(fd, blob, len) != (ssize_t)len || fsync(fd) == -1) {
		log_warn("%s: %s", __func__, tmp);
		close(fd);
		(void)unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		log_warn("%s: rename to %s", __func__, path);
		(void)unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/*
 * Read the credentials file into buf (CREDS_MAX).  Returns 1 and the
 * length, 0 if there is no such file, -1 (logged) on error.
 */
static int
creds_load(const char *path, uint8_t *buf, size_t *len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	n = read(fd, buf, CREDS_MAX);
	close(fd);
	if (n <= 0 || n == CREDS_MAX) {
		log_warnx("%s: %s: empty, unreadable or too large", __func__,
		    path);
		return -1;
	}
	*len = (size_t)n;
	return 1;
}

/* Parse 64 hex digits into 32 bytes.  0, or -1. */
static int
hex32(const char *s, uint8_t out[32])
{
	size_t		 i;
	unsigned int	 v;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void
ev_qr(struct wa_client *c, void *user, const char *qr, int n,
    time_t expires_at)
{
	struct app	*a = user;

	if (!a->no_qr_art)
		qr_draw(qr);
	say("qr: %s", qr);
	say("event: qr n=%d expires_in=%lld", n,
	    (long long)(expires_at - time(NULL)));
}

static void
ev_pair_code(struct wa_client *c, void *user, const char *code)
{

	say("code: %s", code);
}

static void
ev_paired(struct wa_client *c, void *user, const struct wa_paired *p)
{
	struct app	*a = user;

	if (a->creds_path != NULL &&
	    creds_save(a->creds_path, p->creds, p->creds_len) == -1)
		say("event: error creds-not-saved");
	say("event: paired jid=%s phone=%s lid=%s platform=%s", p->jid,
	    p->phone, p->lid != NULL ? p->lid : "-",
	    p->platform != NULL ? p->platform : "-");
	/* --logout while pairing: unlink again as soon as logged in. */
	if (a->want_logout && wa_client_logout(c) == -1)
		wa_client_stop(c, 1);
}

static void
ev_connected(struct wa_client *c, void *user,
    const struct wa_connected *info)
{
	struct app	*a = user;

	say("event: connected jid=%s phone=%s lid=%s", info->jid,
	    info->phone, info->lid != NULL ? info->lid : "-");
	if (a->want_logout && wa_client_logout(c) == -1)
		wa_client_stop(c, 1);
}

static void
ev_creds_changed(struct wa_client *c, void *user, const uint8_t *creds,
    size_t len)
{
	struct app	*a = user;

	if (a->creds_path != NULL)
		(void)creds_save(a->creds_path, creds, len);
	say("event: creds_changed");
}

static void
ev_logged_out(struct wa_client *c, void *user, enum wa_reason reason,
    int code)
{
	struct app	*a = user;

	if (a->creds_path != NULL && unlink(a->creds_path) == -1 &&
	    errno != ENOENT)
		log_warn("unlink %s", a->creds_path);
	say("event: logged_out reason=%s code=%d", wa_reason_name(reason),
	    code);
}

static void
ev_closed(struct wa_client *c, void *user, enum wa_reason reason, int code,
    int intentional)
{
	struct app	*a = user;

	say("event: closed reason=%s code=%d intentional=%d%s%s",
	    wa_reason_name(reason), code, intentional,
	    *wa_client_end_cause(c) != '\0' ? " cause=" : "",
	    wa_client_end_cause(c));
	a->done = 1;
	a->status = intentional ? 0 : 3;
}

/* Fresh pre-keys: a demo keeps no Signal store, so only report them. */
static int
ev_prekeys_new(struct wa_client *c, void *user, const struct wa_prekey *k,
    size_t n)
{

	say("event: prekeys first=%u n=%zu", n > 0 ? k[0].id : 0, n);
	return 0;
}

static void
ev_offline(struct wa_client *c, void *user, int count)
{

	say("event: offline count=%d", count);
}

static void
ev_log(struct wa_client *c, void *user, int level, const char *line)
{

	switch (level) {
	case LOG_LEVEL_ERROR:
	case LOG_LEVEL_WARN:
		log_warnx("wa: %s", line);
		break;
	case LOG_LEVEL_INFO:
		log_info("wa: %s", line);
		break;
	default:
		log_debug("wa: %s", line);
		break;
	}
}

/* Run one stdin command. */
static void
command(struct app *a, const char *cmd)
{

	if (strcmp(cmd, "logout") == 0) {
		if (wa_client_logout(a->wa) == -1)
			say("event: error logout-refused");
	} else if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "quit") == 0)
		wa_client_stop(a->wa, 1);
	else if (strcmp(cmd, "state") == 0)
		say("state: %s", wa_state_name(wa_client_state(a->wa)));
	else if (*cmd != '\0')
		say("event: error unknown-command");
}

/* Read what stdin has without blocking; run complete lines. */
static void
stdin_poll(struct app *a)
{
	struct pollfd	 pfd;
	char		 c;
	ssize_t		 n;

	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	while (!a->stdin_eof && poll(&pfd, 1, 0) == 1) {
		if ((n = read(STDIN_FILENO, &c, 1)) <= 0) {
			a->stdin_eof = 1;
			break;
		}
		if (c == '\n' || a->linelen == sizeof(a->line) - 1) {
			a->line[a->linelen] = '\0';
			a->linelen = 0;
			command(a, a->line);
		} else
			a->line[a->linelen++] = c;
	}
}

/* Housekeeping: signals and stdin. */
static void
tick(lws_sorted_usec_list_t *sul)
{
	struct app	*a = lws_container_of(sul, struct app, tick);

	if (got_signal) {
		got_signal = 0;
		wa_client_stop(a->wa, 1);
	}
	stdin_poll(a);
	lws_sul_schedule(a->ctx, 0, &a->tick, tick, TICK_US);
}

/* Route libwebsockets' own log lines through lib/log.h. */
static void
lws_log_emit(int level, const char *line)
{
	size_t	 n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_warnx("lws: %.*s", (int)n, line);
}

/* A positive millisecond option value, or usage(). */
static unsigned int
ms_arg(const char *s)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 86400000UL)
		usage();
	return (unsigned int)v;
}

int
main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "creds", required_argument, NULL, 'c' },
		{ "pair-code", required_argument, NULL, 'p' },
		{ "logout", no_argument, NULL, 'L' },
		{ "no-qr-art", no_argument, NULL, 'n' },
		{ "ping-interval", required_argument, NULL, 'i' },
		{ "ping-timeout", required_argument, NULL, 't' },
		{ "dead-after", required_argument, NULL, 'd' },
		{ "qr-first", required_argument, NULL, 'f' },
		{ "qr-next", required_argument, NULL, 'x' },
		{ "version", required_argument, NULL, 'V' },
		{ "device-name", required_argument, NULL, 'N' },
		{ "insecure", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	/* Designated: new members of the table stay NULL here. */
	static const struct wa_callbacks	 cbs = {
		.qr = ev_qr, .pair_code = ev_pair_code, .paired = ev_paired,
		.connected = ev_connected, .creds_changed = ev_creds_changed,
		.logged_out = ev_logged_out, .closed = ev_closed, .log = ev_log,
		.prekeys_new = ev_prekeys_new, .offline = ev_offline,
	};
	struct lws_context_creation_info	 info;
	struct wa_config			 cfg;
	struct app				 a;
	enum log_level				 level = LOG_LEVEL_WARN;
	uint8_t					 root[32];
	uint8_t					 blob[CREDS_MAX];
	size_t					 bloblen = 0;
	const char				*phone = NULL, *s;
	int					 ch, have = 0, rc;

	memset(&a, 0, sizeof(a));
	memset(&cfg, 0, sizeof(cfg));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a.creds_path = optarg;
			break;
		case 'p':
			phone = optarg;
			break;
		case 'L':
			a.want_logout = 1;
			break;
		case 'n':
			a.no_qr_art = 1;
			break;
		case 'i':
			cfg.keepalive_min_ms = cfg.keepalive_max_ms =
			    ms_arg(optarg);
			break;
		case 't':
			cfg.keepalive_timeout_ms = ms_arg(optarg);
			break;
		case 'd':
			cfg.keepalive_dead_ms = ms_arg(optarg);
			break;
		case 'f':
			cfg.qr_first_ms = ms_arg(optarg);
			break;
		case 'x':
			cfg.qr_next_ms = ms_arg(optarg);
			break;
		case 'V':
			cfg.version = optarg;
			break;
		case 'N':
			cfg.device_name = optarg;
			break;
		case 'I':
			cfg.allow_insecure_tls = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((s = getenv("WADESK_LOG_LEVEL")) != NULL &&
	    log_level_parse(s, &level) == -1) {
		fprintf(stderr, "wa-pair: bad WADESK_LOG_LEVEL\n");
		return 1;
	}
	log_init("wa-pair", level);
	if ((s = getenv("WADESK_WA_ROOT_KEY")) != NULL && *s != '\0') {
		if (hex32(s, root) == -1) {
			fprintf(stderr, "wa-pair: WADESK_WA_ROOT_KEY must be "
			    "64 hex digits\n");
			return 1;
		}
		cfg.root_key = root;
	}
	if ((s = getenv("WADESK_WA_URL")) != NULL && *s != '\0')
		cfg.url = s;
	if (a.creds_path != NULL &&
	    (have = creds_load(a.creds_path, blob, &bloblen)) == -1)
		return 1;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	if ((a.ctx = lws_create_context(&info)) == NULL) {
		log_warnx("lws_create_context failed");
		return 1;
	}
	cfg.lws = a.ctx;
	cfg.user = &a;
	cfg.cb = &cbs;
	if ((a.wa = wa_client_new(&cfg)) == NULL) {
		lws_context_destroy(a.ctx);
		return 1;
	}
	if (have)
		rc = wa_client_start_login(a.wa, blob, bloblen);
	else if (phone != NULL)
		rc = wa_client_start_pair_code(a.wa, phone);
	else
		rc = wa_client_start_pair(a.wa);
	memset(blob, 0, sizeof(blob));
	if (rc == -1) {
		wa_client_free(a.wa);
		lws_context_destroy(a.ctx);
		return 1;
	}
	say("event: started mode=%s", have ? "login" :
	    phone != NULL ? "pair-code" : "pair");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lws_sul_schedule(a.ctx, 0, &a.tick, tick, TICK_US);
	while (!a.done && lws_service(a.ctx, 0) >= 0)
		;
	lws_sul_cancel(&a.tick);
	wa_client_free(a.wa);
	lws_context_destroy(a.ctx);
	return a.status;
}
