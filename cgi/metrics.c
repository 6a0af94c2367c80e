/*
 * Process-wide request counters for GET /metrics:
 * wadesk_http_requests_total{route, code}.  Worker threads count under
 * one mutex; the table is small (routes x distinct codes).  Also the
 * wadesk_client_outdated gauge, read from the database per scrape.
 *
 * Dependencies point one way, route.c -> metrics.c: the dispatcher
 * counts here and names a route by its pattern string (static, as
 * route_pattern() returns it), so this file needs nothing from the
 * route table and the router is the only place that knows routes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "cgi.h"
#include "db.h"
#include "db_web.h"

#define	METRIC_SLOTS	256

struct	metric {
	const char	*route;		/* pattern, static; "other" */
	int		 code;
	uint64_t	 n;
};

static pthread_mutex_t	 metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric	 metrics[METRIC_SLOTS];
static size_t		 nmetrics;

/*
 * Count one answer "code" on the route with pattern "route" (a string
 * that lives as long as the process, e.g. route_pattern()'s).
 */
void
metrics_count(const char *route, int code)
{
	size_t	 i;

	pthread_mutex_lock(&metrics_lock);
	for (i = 0; i < nmetrics; i++)
		if (metrics[i].code == code &&
		    strcmp(metrics[i].route, route) == 0)
			break;
	if (i == nmetrics && nmetrics < METRIC_SLOTS) {
		metrics[i].route = route;
		metrics[i].code = code;
		metrics[i].n = 0;
		nmetrics++;
	}
	if (i < nmetrics)
		metrics[i].n++;
	pthread_mutex_unlock(&metrics_lock);
}

/* Append the counters in Prometheus text format to "out". */
void
metrics_write(struct buf *out)
{
	size_t	 i;

	buf_puts(out, "# HELP wadesk_http_requests_total HTTP requests "
	    "answered by wadesk.fcgi, by route pattern and status code.\n"
	    "# TYPE wadesk_http_requests_total counter\n");
	pthread_mutex_lock(&metrics_lock);
	for (i = 0; i < nmetrics; i++)
		buf_printf(out, "wadesk_http_requests_total{route=\"%s\","
		    "code=\"%d\"} %llu\n", metrics[i].route,
		    metrics[i].code, (unsigned long long)metrics[i].n);
	pthread_mutex_unlock(&metrics_lock);
}

/*
 * Append the send-test and send_text ledger figures to r's body
 * (issue 10, from the command rows of sql/013): wadesk_sends_total by
 * result (sent: acked by WhatsApp; failed: refused or failed, with a
 * reason), wadesk_sends_pending (not done yet) and
 * wadesk_send_last_ack_age_seconds (-1: none yet), and
 * wadesk_accounts_send_stalled (issue 10, sql/020).  Left out when the
 * database does not answer.
 */
void
metrics_write_sends(struct req *r)
{
	PGresult	*res;

	if (r->w->db == NULL ||
	    (res = db_exec(r->w->db, WS_SEND_METRICS, NULL)) == NULL)
		return;
	if (PQntuples(res) == 1)
		buf_printf(&r->body, "# HELP wadesk_sends_total Messages "
		    "sent through send_text commands, by result.\n"
		    "# TYPE wadesk_sends_total counter\n"
		    "wadesk_sends_total{result=\"sent\"} %s\n"
		    "wadesk_sends_total{result=\"failed\"} %s\n"
		    "# HELP wadesk_sends_pending send_text commands not done "
		    "yet.\n# TYPE wadesk_sends_pending gauge\n"
		    "wadesk_sends_pending %s\n"
		    "# HELP wadesk_send_last_ack_age_seconds Seconds since "
		    "WhatsApp last acked a sent message (-1: never).\n"
		    "# TYPE wadesk_send_last_ack_age_seconds gauge\n"
		    "wadesk_send_last_ack_age_seconds %s\n"
		    "# HELP wadesk_accounts_send_stalled Accounts whose last "
		    "sends got no answer from WhatsApp (sql/020).\n"
		    "# TYPE wadesk_accounts_send_stalled gauge\n"
		    "wadesk_accounts_send_stalled %s\n",
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 2), PQgetisnull(res, 0, 3) ? "-1" :
		    PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
	PQclear(res);
}

/*
 * Append the wadesk_client_outdated gauge to r's body: the number of
 * accounts whose latest state is "client outdated" (WhatsApp refused
 * the client version, failure 405), so an alert can fire on > 0.  When
 * the database does not answer the gauge is left out (wadesk_database_up
 * says why) rather than reported as 0.
 */
void
metrics_write_outdated(struct req *r)
{
	PGresult	*res;
	int64_t		 n;

	if (r->w->db == NULL ||
	    (res = db_exec(r->w->db, WS_OUTDATED_COUNT, NULL)) == NULL)
		return;
	if (db_get_int64(res, 0, 0, &n) == 0)
		buf_printf(&r->body, "# HELP wadesk_client_outdated Accounts "
		    "whose latest state is client outdated (WhatsApp refused "
		    "the version sent; see WADESK_WA_VERSION).\n"
		    "# TYPE wadesk_client_outdated gauge\n"
		    "wadesk_client_outdated %" PRId64 "\n", n);
	PQclear(res);
}

/* A Prometheus label value: backslash, double quote, newline escaped. */
static void
label_value(struct buf *out, const char *v)
{

	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(out, '\\');
		if (*v == '\n') {
			buf_puts(out, "\\n");
			continue;
		}
		buf_putc(out, *v);
	}
}

/*
 * Issue 12: per session daemon of the fleet (labels daemon = its
 * daemon_instances id, host = its hostname), the gauges
 * wadesk_daemon_sessions (accounts whose lease it holds now) and
 * wadesk_daemon_capacity (WADESK_MAX_SESSIONS), and the counters since
 * its start wadesk_daemon_takeovers_total (expired leases of another
 * daemon it claimed) and wadesk_daemon_lease_losses_total (sessions it
 * closed because their lease was gone).  Left out when the database
 * does not answer (wadesk_database_up says why).
 */
void
metrics_write_daemons(struct req *r)
{
	static const struct {
		const char	*name, *type, *help;
		int		 col;
	} m[] = {
		{ "wadesk_daemon_sessions", "gauge", "Accounts whose lease "
		  "the session daemon holds now.", 3 },
		{ "wadesk_daemon_capacity", "gauge", "Sessions the session "
		  "daemon takes at most (WADESK_MAX_SESSIONS).", 4 },
		{ "wadesk_daemon_takeovers_total", "counter", "Expired "
		  "leases of another daemon this daemon claimed, since its "
		  "start.", 7 },
		{ "wadesk_daemon_lease_losses_total", "counter", "Sessions "
		  "this daemon closed because their lease was gone, since "
		  "its start.", 8 },
	};
	PGresult	*res;
	size_t		 k;
	int		 i;

	if (r->w->db == NULL ||
	    (res = db_exec(r->w->db, WS_DAEMONS_LIST, NULL)) == NULL)
		return;
	for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		buf_printf(&r->body, "# HELP %s %s\n# TYPE %s %s\n",
		    m[k].name, m[k].help, m[k].name, m[k].type);
		for (i = 0; i < PQntuples(res); i++) {
			buf_printf(&r->body, "%s{daemon=\"%s\",host=\"",
			    m[k].name, PQgetvalue(res, i, 0));
			label_value(&r->body, PQgetvalue(res, i, 1));
			buf_printf(&r->body, "\"} %s\n",
			    PQgetvalue(res, i, m[k].col));
		}
	}
	PQclear(res);
}
