/*
 * HTTP POSTs of one batch, all at once, through libcurl's multi
 * interface: a slow endpoint costs its own time limit, not the sum of
 * everyone's.  hook_send_init() must have succeeded first.  Redirects are not followed, only http and https are
 * spoken, and the answer's body is read and dropped.
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
 * keeps connections to receivers open between batches (HTTP
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
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)HOOK_BATCH);
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
	char			 errbuf[CURL_ERROR_SIZE];
	int64_t			 t0;	/* mono_ms64() at start */
};

/* Set up the transfer of "r" into "x"; 0, or -1 with r->err set. */
static int
xfer_setup(struct xfer *x, struct hook_req *r, int timeout_ms)
{
	char	 h[512];

	memset(x, 0, sizeof(*x));
	if ((x->easy = curl_easy_init()) == NULL) {
		snprintf(r->err, HOOK_ERR_MAX, "The sender could not set up "
		    "the request (out of memory?).");
		return -1;
	}
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
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (void *)r);
	x->t0 = (int64_t)mono_ms64();
	/* Until its transfer ends. */
	snprintf(r->err, HOOK_ERR_MAX, "The sender's transfer loop failed "
	    "before an answer was read.");
	return 0;
}

/*
 * POST every request of "v" ("n" of them) not marked skip, each with
 * a time limit of "timeout_ms", and fill in its status, latency and
 * error sentence ("" after a 2xx).  Returns when all are done.
 */
void
hook_send_all(struct hook_req *v, size_t n, int timeout_ms)
{
	struct xfer	*x;
	struct hook_req	*r;
	CURLM		*m = multi;
	CURLMsg		*msg;
	size_t		 i;
	int		 running, left;

	x = xcalloc(n, sizeof(*x));
	for (i = 0; i < n; i++) {
		if (v[i].skip || xfer_setup(&x[i], &v[i], timeout_ms) == -1) {
			v[i].skip = 1;
			continue;
		}
		curl_multi_add_handle(m, x[i].easy);
	}
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&r);
			i = (size_t)(r - v);
			r->latency_ms = (int)((int64_t)mono_ms64() - x[i].t0);
			r->status = 0;
			r->err[0] = '\0';
			if (msg->data.result != CURLE_OK)
				curl_error(msg->data.result, x[i].errbuf,
				    timeout_ms, r->err);
			else {
				curl_easy_getinfo(msg->easy_handle,
				    CURLINFO_RESPONSE_CODE, &r->status);
				if (r->status < 200 || r->status > 299)
					hook_status_error(r->status, r->err);
			}
		}
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000,
		    NULL) != CURLM_OK)
			break;
	} while (running > 0);
	for (i = 0; i < n; i++) {
		if (x[i].easy == NULL)
			continue;
		curl_multi_remove_handle(m, x[i].easy);
		curl_easy_cleanup(x[i].easy);
		curl_slist_free_all(x[i].hdrs);
	}
	free(x);
}
