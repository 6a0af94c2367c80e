/*
 * libpq helpers; see db.h.  One struct db wraps one connection and the
 * statement table prepared on it.  A lost connection is re-established
 * (and the table prepared again) by db_ensure(), which the FastCGI
 * workers call before each request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "xalloc.h"

struct	db {
	PGconn			*conn;		/* owned */
	char			*conninfo;	/* owned copy, for reconnects */
	const struct db_stmt	*stmts;		/* borrowed static table */
	size_t			 nstmts;
	char			 sqlstate[6];	/* of the last failure, or "" */
	int			 reconnect;	/* retry once after a lost link */
};

static PGresult	*db_exec_fmt(struct db *, size_t, const char *const *, int);

/* Keep the SQLSTATE of failed result "res" for db_sqlstate() ("" when
 * it has none). */
static void
sqlstate_keep(struct db *db, const PGresult *res)
{
	const char	*state;

	db->sqlstate[0] = '\0';
	if ((state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) != NULL)
		strncat(db->sqlstate, state, sizeof(db->sqlstate) - 1);
}

/* Route server notices to our log instead of raw stderr. */
static void
db_notice(void *arg, const char *msg)
{

	log_debug("postgres: %s", msg);
}

/* Connect, pin search_path and prepare every statement. */
static int
db_connect(struct db *db)
{
	PGresult	*res;
	size_t		 i;

	PQfinish(db->conn);
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		log_warnx("database: %s", PQerrorMessage(db->conn));
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	res = PQexec(db->conn,
	    "SELECT pg_catalog.set_config('search_path', 'wadesk', false)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("database: search_path: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	for (i = 0; i < db->nstmts; i++) {
		res = PQprepare(db->conn, db->stmts[i].name, db->stmts[i].sql,
		    db->stmts[i].nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			log_warnx("database: prepare %s: %s",
			    db->stmts[i].name, PQresultErrorMessage(res));
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

/*
 * Connect to "conninfo" and prepare "nstmts" statements from "stmts"
 * (a static table, borrowed for the life of the handle).
 * Returns a handle for db_close(), or NULL on error (logged).
 */
struct db *
db_open(const char *conninfo, const struct db_stmt *stmts, size_t nstmts)
{
	struct db	*db;

	db = xcalloc(1, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	db->stmts = stmts;
	db->nstmts = nstmts;
	if (db_connect(db) == -1) {
		db_close(db);
		return NULL;
	}
	return db;
}

/* Close the connection and free "db"; NULL is a no-op. */
void
db_close(struct db *db)
{

	if (db == NULL)
		return;
	PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

/*
 * Make sure the connection is usable, reconnecting (and re-preparing)
 * if the server went away.  Returns 0 if usable, -1 if not (logged).
 */
int
db_ensure(struct db *db)
{

	if (PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	log_info("database: connection lost; reconnecting");
	return db_connect(db);
}

/*
 * With "on", a statement outside a transaction that finds the server
 * gone (it restarted) reconnects, prepares again and is retried once.
 * Off by default: a connection that LISTENs must notice the loss
 * itself, since a new connection has no LISTEN.
 */
void
db_set_reconnect(struct db *db, int on)
{

	db->reconnect = on;
}

/* Borrowed libpq handle, valid until db_close() or a reconnect. */
PGconn *
db_conn(struct db *db)
{

	return db->conn;
}

/*
 * Run prepared statement "id" with text parameters "params" (exactly
 * stmts[id].nparams of them; a NULL element is SQL NULL).
 * Returns a result the caller must PQclear(), or NULL on error, which
 * is logged here and whose SQLSTATE is kept for db_sqlstate().
 */
PGresult *
db_exec(struct db *db, size_t id, const char *const *params)
{

	return db_exec_fmt(db, id, params, 0);
}

/*
 * db_exec() with every result column in PostgreSQL's binary format
 * (an int8 or a timestamptz is 8 bytes big-endian, a bool 1 byte, a
 * text its bytes): for a hot statement whose values cost more to print
 * as text than to decode (the API's list: cgi/api.c).  The parameters
 * stay text.
 */
PGresult *
db_exec_binary(struct db *db, size_t id, const char *const *params)
{

	return db_exec_fmt(db, id, params, 1);
}

/* db_exec() with result format "fmt": 0 text, 1 binary. */
static PGresult *
db_exec_fmt(struct db *db, size_t id, const char *const *params, int fmt)
{
	const struct db_stmt	*st;
	PGresult		*res;
	int			 idle;

	if (id >= db->nstmts)
		fatalx("%s: statement %zu out of range", __func__, id);
	st = &db->stmts[id];
	db->sqlstate[0] = '\0';

	/*
	 * A server restart shows only when a query fails.  Outside a
	 * transaction nothing is lost by reconnecting and trying once
	 * more; inside one, the caller must see the failure.
	 */
	idle = db->reconnect &&
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	res = PQexecPrepared(db->conn, st->name, st->nparams, params,
	    NULL, NULL, fmt);
	if (idle && PQstatus(db->conn) == CONNECTION_BAD) {
		PQclear(res);
		log_info("database: connection lost; reconnecting");
		if (db_connect(db) == -1)
			return NULL;
		res = PQexecPrepared(db->conn, st->name, st->nparams,
		    params, NULL, NULL, fmt);
	}
	if (res == NULL) {
		log_warnx("%s: %s: %s", __func__, st->name,
		    PQerrorMessage(db->conn));
		return NULL;
	}
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		return res;
	default:
		break;
	}
	sqlstate_keep(db, res);
	log_warnx("%s: %s: %s", __func__, st->name,
	    PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

/* db_exec() for statements whose rows are not needed: 0 ok, -1 error. */
int
db_exec_cmd(struct db *db, size_t id, const char *const *params)
{
	PGresult	*res;

	if ((res = db_exec(db, id, params)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* SQLSTATE of the last failed db_exec(), or "" (borrowed). */
const char *
db_sqlstate(const struct db *db)
{

	return db->sqlstate;
}

/*
 * 1 if the last failed db_exec() (or COMMIT) ended its transaction for
 * a conflict with a concurrent one, which PostgreSQL asks the client to
 * retry as a whole: 40001 serialization_failure or 40P01
 * deadlock_detected (PostgreSQL manual, "Serialization Failure
 * Handling").  0 otherwise.
 */
int
db_retryable(const struct db *db)
{

	return strcmp(db->sqlstate, "40001") == 0 ||
	    strcmp(db->sqlstate, "40P01") == 0;
}

static int
db_simple(struct db *db, const char *sql)
{
	PGresult	*res;
	int		 rc = 0, idle;

	idle = db->reconnect &&
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	res = PQexec(db->conn, sql);
	if (idle && PQstatus(db->conn) == CONNECTION_BAD) {
		PQclear(res);
		log_info("database: connection lost; reconnecting");
		if (db_connect(db) == -1)
			return -1;
		res = PQexec(db->conn, sql);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warnx("database: %s: %s", sql, PQresultErrorMessage(res));
		sqlstate_keep(db, res);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* BEGIN.  Returns 0 or -1 (logged). */
int
db_tx_begin(struct db *db)
{

	return db_simple(db, "BEGIN");
}

/* COMMIT.  Returns 0 or -1 (logged; the transaction is gone either way). */
int
db_tx_commit(struct db *db)
{

	return db_simple(db, "COMMIT");
}

/* ROLLBACK, ignoring failure (the connection may be dead). */
void
db_tx_rollback(struct db *db)
{

	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		(void)db_simple(db, "ROLLBACK");
}

/*
 * LISTEN on "channel", quoted with PQescapeIdentifier (the one place an
 * identifier, not a value, enters SQL).  Returns 0 or -1 (logged).
 */
int
db_listen(struct db *db, const char *channel)
{
	char	*id, *sql;
	int	 rc;

	if ((id = PQescapeIdentifier(db->conn, channel,
	    strlen(channel))) == NULL) {
		log_warnx("%s: %s", __func__, PQerrorMessage(db->conn));
		return -1;
	}
	sql = xasprintf("LISTEN %s", id);
	PQfreemem(id);
	rc = db_simple(db, sql);
	free(sql);
	return rc;
}

/* Parse column "col" of "row" as int64.  0 ok, -1 NULL or malformed. */
int
db_get_int64(const PGresult *res, int row, int col, int64_t *out)
{
	const char	*v;
	char		*end;
	long long	 n;

	if (PQgetisnull(res, row, col))
		return -1;
	v = PQgetvalue(res, row, col);
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0') {
		log_warnx("%s: not an integer: %s", __func__, v);
		return -1;
	}
	*out = (int64_t)n;
	return 0;
}

/* As db_get_int64() for values that must fit an int. */
int
db_get_int(const PGresult *res, int row, int col, int *out)
{
	int64_t	 n;

	if (db_get_int64(res, row, col, &n) == -1 || n < INT32_MIN ||
	    n > INT32_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

/* 1 if column "col" of "row" is boolean true, else 0 (NULL is 0). */
int
db_get_bool(const PGresult *res, int row, int col)
{

	return !PQgetisnull(res, row, col) &&
	    strcmp(PQgetvalue(res, row, col), "t") == 0;
}

/* A copy of the text value the caller frees, or NULL for SQL NULL. */
char *
db_get_text(const PGresult *res, int row, int col)
{

	if (PQgetisnull(res, row, col))
		return NULL;
	return xstrdup(PQgetvalue(res, row, col));
}
