/*
 * HTTP POSTs, many at once, through libcurl's multi interface: each
 * request is started when it is claimed and handed back when it ends,
 * so a slow endpoint costs its own time limit and holds up nobody
 * else's requests.  hook_send_init() must have succeeded first.
 * Redirects are not followed, only http and https are spoken, and the
 * answer's body is read and dropped.  Not thread-safe (one loop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "clock.h"
#include "hook.h"
#include "log.h"
#include "xalloc.h"

/*
 * One multi handle for the life of the process: its connection cache
 * keeps connections to receivers open between requests (HTTP
 * keep-alive), so a busy endpoint costs no new handshake per event.
 */
static CURLM	*multi;

/* Once at start-up: 0, or -1 (logged). */
int
hook_send_init(void)
{
	CURLcode	 c;

	if ((c = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		log_warnx("libcurl: %s", curl_easy_strerror(c));
		return -1;
	}
	if ((multi = curl_multi_init()) == NULL) {
		log_warnx("libcurl: curl_multi_init failed");
		curl_global_cleanup();
		return -1;
	}
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)HOOK_INFLIGHT);
	return 0;
}

/* Once at exit. */
void
hook_send_fini(void)
{

	curl_multi_cleanup(multi);
	multi = NULL;
	curl_global_cleanup();
}

static size_t
drop_body(char *p, size_t size, size_t n, void *arg)
{

	return size * n;
}

/* The sentence for a transfer that got no HTTP answer. */
static void
curl_error(CURLcode c, const char *detail, int timeout_ms,
    char out[HOOK_ERR_MAX])
{
	const char	*d = detail[0] != '\0' ? detail : curl_easy_strerror(c);

	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out, HOOK_ERR_MAX, "The endpoint's host name did not "
		    "resolve (%.120s): check the URL.", d);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(out, HOOK_ERR_MAX, "The endpoint refused the "
		    "connection or was unreachable (%.120s): check that the "
		    "receiver is running.", d);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(out, HOOK_ERR_MAX, "The endpoint did not answer "
		    "within %d ms: make the receiver answer first and work "
		    "afterwards.", timeout_ms);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(out, HOOK_ERR_MAX, "The TLS handshake with the "
		    "endpoint failed (%.120s): check its certificate.", d);
		break;
	default:
		snprintf(out, HOOK_ERR_MAX, "The request to the endpoint "
		    "failed (%.120s).", d);
		break;
	}
}

struct	xfer {
	CURL			*easy;
	struct curl_slist	*hdrs;
	struct hook_req		*req;
	struct xfer		*next;	/* in the finished queue */
	int			 timeout_ms;
	char			 errbuf[CURL_ERROR_SIZE];
	int64_t			 t0;	/* mono_ms64() at start */
};

/* Finished transfers not yet handed out by hook_send_done(), oldest
 * first. */
static struct xfer	*done_head, **done_tail = &done_head;

static void
xfer_free(struct xfer *x)
{

	if (x == NULL)
		return;
	if (x->easy != NULL) {
		curl_multi_remove_handle(multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->hdrs);
	free(x);
}

/* Set up the transfer of "r" into "x"; 0, or -1 with r->err set. */
static int
xfer_setup(struct xfer *x, struct hook_req *r, int timeout_ms)
{
	char	 h[512];

	if ((x->easy = curl_easy_init()) == NULL) {
		snprintf(r->err, HOOK_ERR_MAX, "The sender could not set up "
		    "the request (out of memory?).");
		return -1;
	}
	x->req = r;
	x->timeout_ms = timeout_ms;
	x->hdrs = curl_slist_append(x->hdrs,
	    "Content-Type: application/json");
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	snprintf(h, sizeof(h), "X-Wadesk-Signature: %s", r->sig);
	x->hdrs = curl_slist_append(x->hdrs, h);
	snprintf(h, sizeof(h), "X-Wadesk-Event-Id: %s", r->event_id);
	x->hdrs = curl_slist_append(x->hdrs, h);
	snprintf(h, sizeof(h), "X-Wadesk-Event: %s", r->kind);
	x->hdrs = curl_slist_append(x->hdrs, h);
	snprintf(h, sizeof(h), "X-Wadesk-Delivery: %s", r->delivery);
	x->hdrs = curl_slist_append(x->hdrs, h);
	curl_easy_setopt(x->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "wadesk-webhookd/1");
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE,
	    (long)strlen(r->body));
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, drop_body);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (void *)x);
	x->t0 = (int64_t)mono_ms64();
	/* Until its transfer ends. */
	snprintf(r->err, HOOK_ERR_MAX, "The sender's transfer loop failed "
	    "before an answer was read.");
	return 0;
}

/* Queue "x" as finished. */
static void
done_push(struct xfer *x)
{

	x->next = NULL;
	*done_tail = x;
	done_tail = &x->next;
}

/*
 * Start POSTing "r" (not marked skip), with a time limit of
 * "timeout_ms"; "r" and the strings it points to must stay until
 * hook_send_done() hands it back or hook_send_cancel() drops it.  A
 * request that cannot even be set up is handed back finished, with
 * r->skip set and its sentence in r->err.
 */
void
hook_send_start(struct hook_req *r, int timeout_ms)
{
	struct xfer	*x;

	x = xcalloc(1, sizeof(*x));
	r->xfer = x;
	x->req = r;
	if (xfer_setup(x, r, timeout_ms) == -1 ||
	    curl_multi_add_handle(multi, x->easy) != CURLM_OK) {
		if (x->easy != NULL)
			snprintf(r->err, HOOK_ERR_MAX, "The sender could not "
			    "start the request (out of memory?).");
		r->skip = 1;
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		done_push(x);
		return;
	}
}

/* Move what libcurl finished to the finished queue, with results. */
static void
collect(void)
{
	struct hook_req	*r;
	struct xfer	*x;
	CURLMsg		*msg;
	int		 left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		r = x->req;
		r->latency_ms = (int)((int64_t)mono_ms64() - x->t0);
		r->status = 0;
		r->err[0] = '\0';
		if (msg->data.result != CURLE_OK)
			curl_error(msg->data.result, x->errbuf, x->timeout_ms,
			    r->err);
		else {
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &r->status);
			if (r->status < 200 || r->status > 299)
				hook_status_error(r->status, r->err);
		}
		curl_multi_remove_handle(multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		done_push(x);
	}
}

/*
 * Drive the transfers for up to "timeout_ms" (0: do what is ready and
 * return), returning early when one finishes or when "fd" (-1: none;
 * the database socket) is readable, which sets *fd_ready.  0, or -1
 * if libcurl failed (logged).
 */
int
hook_send_wait(int fd, int timeout_ms, int *fd_ready)
{
	struct curl_waitfd	 w;
	int			 still;

	*fd_ready = 0;
	if (curl_multi_perform(multi, &still) != CURLM_OK)
		goto fail;
	collect();
	if (done_head != NULL)
		timeout_ms = 0;
	memset(&w, 0, sizeof(w));
	w.fd = fd;
	w.events = CURL_WAIT_POLLIN;
	if (curl_multi_poll(multi, fd >= 0 ? &w : NULL, fd >= 0 ? 1 : 0,
	    timeout_ms, NULL) != CURLM_OK)
		goto fail;
	*fd_ready = fd >= 0 && (w.revents & CURL_WAIT_POLLIN) != 0;
	if (curl_multi_perform(multi, &still) != CURLM_OK)
		goto fail;
	collect();
	return 0;
fail:
	log_warnx("libcurl: the transfer loop failed");
	return -1;
}

/* The oldest finished request (status, latency and error filled in),
 * or NULL when none is; its transfer is gone. */
struct hook_req *
hook_send_done(void)
{
	struct xfer	*x;
	struct hook_req	*r;

	if ((x = done_head) == NULL)
		return NULL;
	if ((done_head = x->next) == NULL)
		done_tail = &done_head;
	r = x->req;
	r->xfer = NULL;
	xfer_free(x);
	return r;
}

/* Drop the transfer of "r", finished or not, without a result (what
 * the receiver got of it is unknown). */
void
hook_send_cancel(struct hook_req *r)
{
	struct xfer	*x = r->xfer, **pp;

	if (x == NULL)
		return;
	for (pp = &done_head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			if ((*pp = x->next) == NULL)
				done_tail = pp;
			break;
		}
	if (x->easy != NULL)
	xfer_free(x);
	r->xfer = NULL;
}
