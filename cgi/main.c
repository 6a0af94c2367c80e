/*
 * wadesk.fcgi: the FastCGI program, and the only file that calls
 * FCGX_*.  Start-up acquires everything before the first request
 * (configuration, templates, a database check with every statement
 * prepared, the listening socket); then a small pool of threads each
 * accepts requests with FCGX_Accept_r on its own libpq connection,
 * turns PARAMS and the body into a struct req, dispatches it, and sends
 * the buffered response.  One more thread keeps the process's LISTEN
 * connection, which keeps the workers' qr.png memos exact (qrmemo.h);
 * it is not started when WADESK_QR_CACHE_MS is 0 (memo off).
 * SIGTERM/SIGINT end it cleanly: the main thread waits for the signal,
 * shuts the listening socket down so every FCGX_Accept_r returns, and
 * joins the workers (a threaded libfcgi responder does not stop on its
 * own), then the listener.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "qrmemo.h"
#include "qrpng.h"
#include "xalloc.h"

struct	thread {
	pthread_t	 tid;
	struct worker	 w;
	int		 listen_fd;
};

/* req_read_fn over the request's FastCGI STDIN stream. */
static int
fcgi_read(void *ctx, char *buf, int len)
{

	return FCGX_GetStr(buf, len, ctx);
}

/*
 * Fill "r" from the request's PARAMS and body (req_from_params).
 * Returns 0 if the request should be dispatched, -1 if the error
 * answer (400, 413, 415) is final.
 */
static int
req_from_fcgi(struct req *r, FCGX_Request *fr)
{
	const char	*why = NULL;
	int		 code;

	if ((code = req_from_params(r, fr->envp, fcgi_read, fr->in,
	    &why)) == 0)
		return 0;
	http_error(r, code, why);
	return -1;
}

/* Send the buffered response; HEAD gets the headers only. */
static void
resp_send(struct req *r, FCGX_Request *fr)
{
	char	 head[256];
	int	 n;

	n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n", r->status,
	    http_status_text(r->status), r->ctype, r->body.len);
	if (n < 0 || (size_t)n >= sizeof(head))
		fatalx("%s: header overflow", __func__);
	FCGX_PutStr(head, n, fr->out);
	if (r->headers.len > 0)
		FCGX_PutStr(buf_str(&r->headers), (int)r->headers.len,
		    fr->out);
	FCGX_PutStr("\r\n", 2, fr->out);
	if (r->method != METHOD_HEAD && r->body.len > 0)
		FCGX_PutStr(buf_str(&r->body), (int)r->body.len, fr->out);
}

static void *
worker_main(void *arg)
{
	struct thread	*t = arg;
	FCGX_Request	 fr;
	struct req	 r;
	int		 rc;

	if (FCGX_InitRequest(&fr, t->listen_fd, 0) != 0)
		fatalx("FCGX_InitRequest");
	req_init(&r, &t->w);
	for (;;) {
		/*
		 * No accept lock: Linux accept(2) on one socket is safe
		 * from many threads and wakes one waiter per connection,
		 * and FCGX_Accept_r keeps its state in "fr".  A mutex
		 * here cost two futex calls a request under load.
		 */
		rc = FCGX_Accept_r(&fr);
		if (rc < 0)
			break;
		req_reset(&r);
		if (t->w.db == NULL &&
		    (t->w.db = db_open(t->w.conf->database_url, web_stmts,
		    WS__MAX)) != NULL)
			db_set_reconnect(t->w.db, 1);
		if (req_from_fcgi(&r, &fr) == 0) {
			if (t->w.db == NULL &&
			    strncmp(r.path, "/health", 7) != 0 &&
			    strcmp(r.path, "/metrics") != 0)
				http_error(&r, 503,
				    "The database is unavailable.");
			else
				route_dispatch(&r);
		} else
			metrics_count(route_pattern(route_count()), r.status);
		resp_send(&r, &fr);
		FCGX_Finish_r(&fr);
	}
	req_reset(&r);
	buf_free(&r.headers);
	buf_free(&r.body);
	FCGX_Free(&fr, 1);
	return NULL;
}

/* Open the listening socket: WADESK_FCGI_SOCKET, or fd 0 (spawn-fcgi). */
static int
listen_open(const struct conf *c)
{
	int	 fd;

	if (c->fcgi_socket == NULL)
		return 0;
	if (unlink(c->fcgi_socket) == -1 && errno != ENOENT)
		err(1, "%s", c->fcgi_socket);
	if ((fd = FCGX_OpenSocket(c->fcgi_socket, 1024)) == -1)
		errx(1, "%s: cannot listen", c->fcgi_socket);
	/* nginx reaches it through the group (INSTALL). */
	if (chmod(c->fcgi_socket, 0660) == -1)
		err(1, "%s", c->fcgi_socket);
	return fd;
}

int
main(void)
{
	struct conf	 conf;
	struct thread	*threads;
	struct qrmemo_listener *memo_feed = NULL;
	struct db	*check;
	sigset_t	 sigs;
	int		 i, sig, fd;

	if (conf_load(&conf) == -1)
		errx(1, "bad configuration; see the README");
	log_init("wadesk.fcgi", conf.log_level);
	if (sodium_init() < 0)
		errx(1, "sodium_init");
	health_init();
	if (tmpl_load_dir(conf.templates_dir) == -1)
		errx(1, "%s: bad templates", conf.templates_dir);
	if ((check = db_open(conf.database_url, web_stmts, WS__MAX)) == NULL)
		errx(1, "database unavailable or schema not migrated "
		    "(WADESK_DATABASE_URL)");
	db_close(check);
	if (FCGX_Init() != 0)
		errx(1, "FCGX_Init");
	fd = listen_open(&conf);

	/* Only the main thread takes the stop signals, with sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (conf.qr_cache_ms > 0)
		memo_feed = qrmemo_listen_start(conf.database_url);
	threads = xcalloc((size_t)conf.fcgi_threads, sizeof(*threads));
	for (i = 0; i < conf.fcgi_threads; i++) {
		threads[i].listen_fd = fd;
		threads[i].w.conf = &conf;
		threads[i].w.qr = xmalloc(sizeof(*threads[i].w.qr));
		qrpng_cache_init(threads[i].w.qr);
		threads[i].w.qrmemo = xmalloc(sizeof(*threads[i].w.qrmemo));
		qrmemo_init(threads[i].w.qrmemo);
		if (pthread_create(&threads[i].tid, NULL, worker_main,
		    &threads[i]) != 0)
			fatalx("pthread_create");
	}
	log_info("serving with %d threads", conf.fcgi_threads);

	if (sigwait(&sigs, &sig) != 0)
		fatalx("sigwait");
	log_info("signal %d: stopping", sig);
	shutdown(fd, SHUT_RDWR);
	for (i = 0; i < conf.fcgi_threads; i++) {
		pthread_join(threads[i].tid, NULL);
		db_close(threads[i].w.db);
		qrpng_cache_free(threads[i].w.qr);
		free(threads[i].w.qr);
		qrmemo_free(threads[i].w.qrmemo);
		free(threads[i].w.qrmemo);
	}
	free(threads);
	qrmemo_listen_stop(memo_feed);
	close(fd);
	if (conf.fcgi_socket != NULL)
		unlink(conf.fcgi_socket);
	tmpl_free_all();
	conf_free(&conf);
	return 0;
}
