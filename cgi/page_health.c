/*
 * GET /health (no auth), GET /health/deep (admin session or
 * "Authorization: Bearer $WADESK_API_KEY") and GET /metrics
 * (Prometheus text).  /health answers 503 when the database is
 * unreachable or the session daemon's heartbeat is missing or older
 * than WADESK_DAEMON_DEAD_S; 200 otherwise, with status "degraded"
 * when some paired accounts are not connected.
 *
 * /health and /metrics reuse one reading of the database for
 * WADESK_HEALTH_CACHE_MS (1 s by default) across all workers: both are
 * unauthenticated and polled, so a flood of them costs the database
 * one query a second rather than one a request.  The heartbeat age is
 * advanced by the time since the reading, so it never reads younger
 * than it is; a dead database is cached too (one probe per lifetime).
 * /health/deep always reads afresh.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "qrmemo.h"
#include "status.h"

static time_t	 started;

/* Record the program's start time for uptime_s; call once in main(). */
void
health_init(void)
{

	started = time(NULL);
}

struct	health {
	int		 db_ok;
	int64_t		 hb_age;	/* -1: no heartbeat ever */
	int		 daemon_alive;
	int64_t		 counts[STATUS__MAX];
	int64_t		 total;
	double		 db_ms;		/* round-trip of the counts query */
};

/* Gather database, daemon and session facts into "h". */
static void
health_read(struct req *r, struct health *h)
{
	PGresult	*res;
	enum status	 st;
	int64_t		 n;
	double		 t0;
	int		 i;

	memset(h, 0, sizeof(*h));
	h->hb_age = -1;
	if (r->w->db == NULL || db_ensure(r->w->db) == -1)
		return;
	t0 = mono_ms();
	if ((res = db_exec(r->w->db, WS_HEALTH_COUNTS, NULL)) == NULL)
		return;
	h->db_ms = mono_ms() - t0;
	for (i = 0; i < PQntuples(res); i++)
		if (status_parse(PQgetvalue(res, i, 0), &st) == 0 &&
		    db_get_int64(res, i, 1, &n) == 0) {
			h->counts[st] = n;
			h->total += n;
		}
	if (PQntuples(res) == 0 || db_get_int64(res, 0, 2, &h->hb_age) == -1)
		h->hb_age = -1;
	PQclear(res);
	h->db_ok = 1;
	h->daemon_alive = h->hb_age >= 0 &&
	    h->hb_age < r->w->conf->daemon_dead_s;
}

/* The last reading, shared by every worker (see the file comment). */
static pthread_mutex_t	 snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct health	 snap;
static double		 snap_at;	/* mono_ms() of the reading */
static int		 snap_valid;

/*
 * "h" from the shared reading when it is younger than
 * WADESK_HEALTH_CACHE_MS, else from a fresh health_read() that then
 * becomes the shared reading.  The heartbeat age is aged by the
 * reading's age in whole seconds and "daemon_alive" recomputed.
 */
static void
health_read_cached(struct req *r, struct health *h)
{
	double	 now = mono_ms(), age_ms = 0;
	int	 ttl = r->w->conf->health_cache_ms, hit = 0;

	if (ttl > 0) {
		pthread_mutex_lock(&snap_lock);
		if (snap_valid && now - snap_at >= 0 && now - snap_at < ttl) {
			*h = snap;
			age_ms = now - snap_at;
			hit = 1;
		}
		pthread_mutex_unlock(&snap_lock);
	}
	if (!hit) {
		health_read(r, h);
		if (ttl > 0) {
			pthread_mutex_lock(&snap_lock);
			snap = *h;
			snap_at = mono_ms();
			snap_valid = 1;
			pthread_mutex_unlock(&snap_lock);
		}
		return;
	}
	if (h->hb_age >= 0) {
		h->hb_age += (int64_t)(age_ms / 1000.0);
		h->daemon_alive = h->db_ok &&
		    h->hb_age < r->w->conf->daemon_dead_s;
	}
}

/* The health document; returns the HTTP code it implies. */
static int
health_json(const struct health *h, struct json_object **out)
{
	struct json_object	*o, *d, *s;
	const char		*word;
	int			 i, code;

	if (!h->db_ok || !h->daemon_alive) {
		word = "error";
		code = 503;
	} else if (h->counts[STATUS_DISCONNECTED] +
	    h->counts[STATUS_LOGGED_OUT] + h->counts[STATUS_BANNED] > 0) {
		word = "degraded";
		code = 200;
	} else {
		word = "ok";
		code = 200;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(word));
	json_object_object_add(o, "uptime_s",
	    json_object_new_int64((int64_t)(time(NULL) - started)));
	json_object_object_add(o, "database",
	    json_object_new_string(h->db_ok ? "ok" : "unreachable"));
	d = json_object_new_object();
	json_object_object_add(d, "alive",
	    json_object_new_boolean(h->daemon_alive));
	json_object_object_add(d, "heartbeat_age_s", h->hb_age < 0 ? NULL :
	    json_object_new_int64(h->hb_age));
	json_object_object_add(o, "daemon", d);
	s = json_object_new_object();
	json_object_object_add(s, "total", json_object_new_int64(h->total));
	for (i = 0; i < STATUS__MAX; i++)
		json_object_object_add(s, status_name(i),
		    json_object_new_int64(h->counts[i]));
	json_object_object_add(o, "sessions", s);
	*out = o;
	return code;
}

/* GET /health: 200 ok/degraded, 503 error (see the file comment). */
void
page_health(struct req *r)
{
	struct health		 h;
	struct json_object	*o;
	int			 code;

	health_read_cached(r, &h);
	code = health_json(&h, &o);
	http_json(r, code, o);
}

/*
 * Issue 12: the session daemons of the fleet as a JSON array (new
 * reference): per daemon id, hostname, pid, sessions (accounts whose
 * lease it holds now), capacity, heartbeat_age_s, alive (heartbeat
 * younger than WADESK_DAEMON_DEAD_S), draining, takeovers and
 * lease_losses (since its start), started_at.  Empty when the query
 * fails.
 */
static struct json_object *
daemons_json(struct req *r)
{
	struct json_object	*arr, *a;
	PGresult		*res;
	int64_t			 v;
	int			 i, j;
	static const char *const ints[] = { "id", NULL, "pid", "sessions",
	    "capacity", "heartbeat_age_s" };

	arr = json_object_new_array();
	if ((res = db_exec(r->w->db, WS_DAEMONS_LIST, NULL)) == NULL)
		return arr;
	for (i = 0; i < PQntuples(res); i++) {
		a = json_object_new_object();
		for (j = 0; j < 6; j++) {
			if (j == 1) {
				json_object_object_add(a, "hostname",
				    json_object_new_string(
				    PQgetvalue(res, i, 1)));
				continue;
			}
			json_object_object_add(a, ints[j],
			    db_get_int64(res, i, j, &v) == 0 ?
			    json_object_new_int64(v) : NULL);
		}
		v = -1;
		(void)db_get_int64(res, i, 5, &v);
		json_object_object_add(a, "alive", json_object_new_boolean(
		    v >= 0 && v < r->w->conf->daemon_dead_s));
		json_object_object_add(a, "draining",
		    json_object_new_boolean(db_get_bool(res, i, 6) == 1));
		json_object_object_add(a, "takeovers",
		    db_get_int64(res, i, 7, &v) == 0 ?
		    json_object_new_int64(v) : NULL);
		json_object_object_add(a, "lease_losses",
		    db_get_int64(res, i, 8, &v) == 0 ?
		    json_object_new_int64(v) : NULL);
		json_object_object_add(a, "started_at",
		    json_object_new_string(PQgetvalue(res, i, 9)));
		json_object_array_add(arr, a);
	}
	PQclear(res);
	return arr;
}

/*
 * GET /health/deep: /health plus the database round-trip in ms, a
 * row per account and one per session daemon; 401 without an admin
 * session or the API key.
 */
void
page_health_deep(struct req *r)
{
	struct health		 h;
	struct json_object	*o, *arr, *a;
	PGresult		*res;
	int			 code, i, j;
	static const char *const names[] = { "id", "label", "status",
	    "phone_number", "updated_at", "last_frame_age_s",
	    "disconnect_reason" };

	if (!auth_bearer_ok(r, r->w->conf->api_key) &&
	    !(r->w->db != NULL && auth_session_load(r) == 1 && r->is_admin)) {
		http_error(r, 401, NULL);
		(void)http_header(r, "WWW-Authenticate", "Bearer");
		return;
	}
	health_read(r, &h);
	code = health_json(&h, &o);
	json_object_object_add(o, "database_latency_ms",
	    json_object_new_double(h.db_ms));
	arr = json_object_new_array();
	if (h.db_ok &&
	    (res = db_exec(r->w->db, WS_HEALTH_ACCOUNTS, NULL)) != NULL) {
		for (i = 0; i < PQntuples(res); i++) {
			a = json_object_new_object();
			for (j = 0; j < 7; j++)
				json_object_object_add(a, names[j],
				    PQgetisnull(res, i, j) ? NULL :
				    json_object_new_string(
				    PQgetvalue(res, i, j)));
			json_object_array_add(arr, a);
		}
		PQclear(res);
	}
	json_object_object_add(o, "accounts", arr);
	json_object_object_add(o, "daemons", h.db_ok ? daemons_json(r) :
	    json_object_new_array());
	http_json(r, code, o);
}

/* GET /metrics: Prometheus text format. */
void
page_metrics(struct req *r)
{
	struct health	 h;
	int		 i;

	health_read_cached(r, &h);
	r->ctype = "text/plain; version=0.0.4; charset=utf-8";
	buf_puts(&r->body, "# HELP wadesk_accounts Accounts by status.\n"
	    "# TYPE wadesk_accounts gauge\n");
	for (i = 0; i < STATUS__MAX; i++)
		buf_printf(&r->body, "wadesk_accounts{status=\"%s\"} %" PRId64
		    "\n", status_name(i), h.counts[i]);
	buf_puts(&r->body, "# HELP wadesk_daemon_heartbeat_age_seconds "
	    "Seconds since the session daemon's last heartbeat "
	    "(-1: never).\n"
	    "# TYPE wadesk_daemon_heartbeat_age_seconds gauge\n");
	buf_printf(&r->body, "wadesk_daemon_heartbeat_age_seconds %" PRId64
	    "\n", h.hb_age);
	buf_puts(&r->body, "# HELP wadesk_database_up 1 if the database "
	    "answered.\n# TYPE wadesk_database_up gauge\n");
	buf_printf(&r->body, "wadesk_database_up %d\n", h.db_ok);
	metrics_write_outdated(r);
	metrics_write_sends(r);
	metrics_write_daemons(r);
	metrics_write(&r->body);
	qrmemo_metrics_write(&r->body);
}
