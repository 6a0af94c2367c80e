/*
 * wadeskctl: the administrator's command-line tool, so an install never
 * needs hand-written SQL.
 *
 *   wadeskctl migrate [DIR]              apply pending sql/NNN_*.sql
 *   wadeskctl operator add NAME [--admin] [--if-missing]
 *   wadeskctl operator passwd NAME
 *   wadeskctl operator disable NAME | enable NAME
 *   wadeskctl keygen FILE                 credentials sealing key (0600)
 *   wadeskctl wa-version                  WhatsApp Web version in use
 *   wadeskctl daemon drain ID             hand a wadeskd's sessions to the
 *                                         other daemons, then it exits
 *   wadeskctl apikey add NAME --scope S[,S...] [--account ID...]
 *                        [--operator USER]
 *                                         a new API key, printed once
 *   wadeskctl apikey list [--operator USER]
 *   wadeskctl apikey revoke ID
 *   wadeskctl send ACCOUNT TO TEXT [--id CLIENT_ID] [--timeout S]
 *                                         queue a send_text command, wait
 *                                         for its result and print it
 *
 * Passwords are read from the first line of standard input (with a
 * prompt and no echo when it is a terminal).  It connects with
 * WADESK_DATABASE_URL as the schema owner.  Exit status 0 on success,
 * 1 on error, 2 on usage error; "add --if-missing" exits 0 and prints
 * "exists" when the operator is already there.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "apikey.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "pw.h"
#include "reason.h"
#include "waversion.h"
#include "xalloc.h"

enum	stmt {
	STMT_MIGRATION_DONE,
	STMT_MIGRATION_RECORD,
	STMT_OPERATOR_ADD,
	STMT_OPERATOR_PASSWD,
	STMT_OPERATOR_DISABLE,
	STMT_DAEMON_DRAIN,
	STMT_APIKEY_OPERATOR,
	STMT_APIKEY_SOLE_ADMIN,
	STMT_APIKEY_ACCOUNTS_VISIBLE,
	STMT_APIKEY_INSERT,
	STMT_APIKEY_LIST,
	STMT_APIKEY_REVOKE,
	STMT_SEND_ACCOUNT,
	STMT_SEND_INSERT,
	STMT_SEND_EXISTING,
	STMT_SEND_RESULT,
	STMT__MAX
};

/* Statements prepared after the schema exists (not for migrate). */
static const struct db_stmt	ctl_stmts[STMT__MAX] = {
	/* STMT_MIGRATION_DONE */
	{ "migration_done", 1,
	  "SELECT 1 FROM wadesk.schema_migrations WHERE version = $1" },
	/* STMT_MIGRATION_RECORD */
	{ "migration_record", 1,
	  "INSERT INTO wadesk.schema_migrations (version) VALUES ($1)" },
	/* STMT_OPERATOR_ADD */
	{ "operator_add", 3,
	  "INSERT INTO operators (username, password_hash, role) "
	  "VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING "
	  "RETURNING id" },
	/* STMT_OPERATOR_PASSWD */
	{ "operator_passwd", 2,
	  "UPDATE operators SET password_hash = $2 WHERE username = $1 "
	  "RETURNING id" },
	/* STMT_OPERATOR_DISABLE */
	{ "operator_disable", 2,
	  "UPDATE operators SET disabled = $2::boolean WHERE username = $1 "
	  "RETURNING id" },
	/* STMT_DAEMON_DRAIN: the daemon reads it with its heartbeat. */
	{ "daemon_drain", 1,
	  "UPDATE daemon_instances SET draining = true WHERE id = $1::bigint "
	  "RETURNING hostname, pid, sessions" },
	/* STMT_APIKEY_OPERATOR: the operator a new key acts as. */
	{ "apikey_operator", 1,
	  "SELECT id, role = 'admin', disabled FROM operators "
	  "WHERE username = $1" },
	/* STMT_APIKEY_SOLE_ADMIN: without --operator, the only admin. */
	{ "apikey_sole_admin", 0,
	  "SELECT id, username FROM operators WHERE role = 'admin' "
	  "AND NOT disabled ORDER BY id LIMIT 2" },
	/* STMT_APIKEY_ACCOUNTS_VISIBLE: as the settings page counts them
	 * (cgi/db_web.c WS_APIKEY_ACCOUNTS_VISIBLE): ids $1 that operator
	 * $2 (admin $3) sees. */
	{ "apikey_accounts_visible", 3,
	  "SELECT count(*) FROM accounts a WHERE a.id = ANY($1::bigint[]) "
	  "AND a.deleted_at IS NULL AND (a.operator_id = $2 OR $3::boolean)" },
	/* STMT_APIKEY_INSERT: as the settings page inserts one. */
	{ "apikey_insert", 6,
	  "INSERT INTO api_keys (operator_id, name, prefix, secret_hash, "
	  "scopes, account_ids) VALUES ($1, $2, $3, $4, $5::text[], "
	  "$6::bigint[]) RETURNING id" },
	/* STMT_APIKEY_LIST: every key, or operator $1's ($1 NULL: all). */
	{ "apikey_list", 1,
	  "SELECT k.id, o.username, k.prefix, k.scopes, "
	  "coalesce(array_to_string(k.account_ids, ','), 'all'), "
	  "to_char(k.created_at AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	  "coalesce(to_char(k.last_used_at AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'never'), "
	  "CASE WHEN k.revoked_at IS NULL THEN 'live' ELSE 'revoked' END, "
	  "k.name FROM api_keys k JOIN operators o ON o.id = k.operator_id "
	  "WHERE $1::text IS NULL OR o.username = $1 ORDER BY k.id" },
	/* STMT_APIKEY_REVOKE */
	{ "apikey_revoke", 1,
	  "UPDATE api_keys k SET revoked_at = now() FROM operators o "
	  "WHERE k.id = $1::bigint AND k.revoked_at IS NULL "
	  "AND o.id = k.operator_id RETURNING k.prefix, o.username, k.name" },
	/* STMT_SEND_ACCOUNT: an account by id, label or phone. */
	{ "send_account", 1,
	  "SELECT id FROM accounts WHERE deleted_at IS NULL AND "
	  "(id::text = $1 OR label = $1 OR phone_number = $1) LIMIT 2" },
	/* STMT_SEND_INSERT: issue 9 (sql/013); a client id already used
	 * for this account inserts nothing. */
	{ "send_insert", 4,
	  "INSERT INTO commands (account_id, type, payload, client_id) "
	  "VALUES ($1::bigint, 'send_text', jsonb_build_object('to', "
	  "$2::text, 'text', $3::text), $4) "
	  "ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL "
	  "DO NOTHING RETURNING id" },
	/* STMT_SEND_EXISTING: the command that took the client id. */
	{ "send_existing", 2,
	  "SELECT id FROM commands WHERE account_id = $1::bigint AND "
	  "client_id = $2" },
	/* STMT_SEND_RESULT */
	{ "send_result", 1,
	  "SELECT done_at IS NOT NULL, result, error, error_code, message_id "
	  "FROM commands WHERE id = $1::bigint" },
};

static void
usage(void)
{

	fprintf(stderr,
	    "usage: wadeskctl migrate [DIR]\n"
	    "       wadeskctl operator add NAME [--admin] [--if-missing]\n"
	    "       wadeskctl operator passwd NAME\n"
	    "       wadeskctl operator disable|enable NAME\n"
	    "       wadeskctl keygen FILE\n"
	    "       wadeskctl wa-version\n"
	    "       wadeskctl daemon drain ID\n"
	    "       wadeskctl apikey add NAME --scope S[,S...] "
	    "[--account ID...] [--operator USER]\n"
	    "       wadeskctl apikey list [--operator USER]\n"
	    "       wadeskctl apikey revoke ID\n"
	    "       wadeskctl send ACCOUNT TO TEXT [--id CLIENT_ID] "
	    "[--timeout SECONDS]\n");
	exit(2);
}

/* Run "sql" with the simple protocol; 0 ok, -1 error (printed). */
static int
exec_simple(PGconn *conn, const char *sql)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		warnx("%s", PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{

	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read all of "path" into a NUL-terminated string the caller frees. */
static char *
file_read(const char *path)
{
	FILE	*f;
	char	*s = NULL;
	long	 n;

	if ((f = fopen(path, "r")) == NULL) {
		warn("%s", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    n < 16 * 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0) {
		s = xmalloc((size_t)n + 1);
		if (fread(s, 1, (size_t)n, f) != (size_t)n) {
			warnx("%s: short read", path);
			free(s);
			s = NULL;
		} else
			s[n] = '\0';
	} else
		warnx("%s: cannot size", path);
	fclose(f);
	return s;
}

/* 1 if "name" looks like NNN_name.sql. */
static int
is_migration(const char *name)
{
	size_t	 len = strlen(name);

	return len > 8 && name[0] >= '0' && name[0] <= '9' &&
	    name[1] >= '0' && name[1] <= '9' && name[2] >= '0' &&
	    name[2] <= '9' && name[3] == '_' &&
	    strcmp(name + len - 4, ".sql") == 0;
}

/* Apply one migration file in its own transaction unless recorded. */
static int
migrate_one(struct db *db, const char *dir, const char *name)
{
	PGresult	*res;
	const char	*p[1];
	char		*path, *sql;
	int		 done, rc = -1;

	p[0] = name;
	if ((res = db_exec(db, STMT_MIGRATION_DONE, p)) == NULL)
		return -1;
	done = PQntuples(res) > 0;
	PQclear(res);
	if (done)
		return 0;
	path = xasprintf("%s/%s", dir, name);
	sql = file_read(path);
	free(path);
	if (sql == NULL)
		return -1;
	if (db_tx_begin(db) == 0 && exec_simple(db_conn(db), sql) == 0 &&
	    db_exec_cmd(db, STMT_MIGRATION_RECORD, p) == 0 &&
	    db_tx_commit(db) == 0) {
		printf("applied %s\n", name);
		rc = 0;
	} else {
		warnx("%s: not applied", name);
		db_tx_rollback(db);
	}
	free(sql);
	return rc;
}

/*
 * Apply every pending migration in "dir" in name order, each once and
 * inside a transaction, under an advisory lock so that two concurrent
 * runs cannot interleave.  Re-running is a no-op.
 */
static int
cmd_migrate(const char *url, const char *dir)
{
	struct db	*db = NULL;
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL;
	size_t		 n = 0, i;
	int		 rc = -1;
	PGconn		*boot;

	/* The bookkeeping table must exist before statements prepare. */
	boot = PQconnectdb(url);
	if (PQstatus(boot) != CONNECTION_OK) {
		warnx("database: %s", PQerrorMessage(boot));
		PQfinish(boot);
		return -1;
	}
	rc = exec_simple(boot, "SET client_min_messages = warning; "
	    "CREATE SCHEMA IF NOT EXISTS wadesk; "
	    "CREATE TABLE IF NOT EXISTS wadesk.schema_migrations ("
	    " version text PRIMARY KEY,"
	    " applied_at timestamptz NOT NULL DEFAULT now())");
	PQfinish(boot);
	if (rc == -1)
		return -1;
	rc = -1;

	if ((d = opendir(dir)) == NULL) {
		warn("%s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (is_migration(de->d_name)) {
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);

	/* Only the bookkeeping statements: the schema may not exist yet. */
	if ((db = db_open(url, ctl_stmts, STMT_OPERATOR_ADD)) == NULL)
		goto out;
	if (exec_simple(db_conn(db),
	    "SELECT pg_advisory_lock(7156334)") == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (migrate_one(db, dir, names[i]) == -1)
			goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	db_close(db);
	return rc;
}

/* Read a password line from stdin into "pw" (PW_MAX_LEN + 2 bytes). */
static int
password_read(char *pw, size_t pwsz)
{
	struct termios	 t, saved;
	int		 tty = isatty(STDIN_FILENO);
	size_t		 len;

	if (tty) {
		fprintf(stderr, "password: ");
		if (tcgetattr(STDIN_FILENO, &saved) == 0) {
			t = saved;
			t.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		} else
			tty = 0;
	}
	if (fgets(pw, (int)pwsz, stdin) == NULL)
		pw[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\n");
	}
	len = strcspn(pw, "\r\n");
	pw[len] = '\0';
	if (!pw_acceptable(pw)) {
		warnx("a password has %d to %d bytes", PW_MIN_LEN, PW_MAX_LEN);
		return -1;
	}
	return 0;
}

static int
cmd_operator(const char *url, int argc, char *argv[])
{
	struct db	*db;
	PGresult	*res = NULL;
	const char	*p[3];
	char		 pw[PW_MAX_LEN + 2], hash[PW_HASH_MAX];
	int		 i, admin = 0, if_missing = 0, rc = -1;

	if (argc < 2)
		usage();
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--admin") == 0)
			admin = 1;
		else if (strcmp(argv[i], "--if-missing") == 0)
			if_missing = 1;
		else
			usage();
	}
	if ((db = db_open(url, ctl_stmts, STMT__MAX)) == NULL)
		return -1;
	p[0] = argv[1];
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "passwd") == 0) {
		if (password_read(pw, sizeof(pw)) == -1 ||
		    pw_hash(pw, hash) == -1)
			goto out;
		p[1] = hash;
		p[2] = admin ? "admin" : "operator";
		res = db_exec(db, strcmp(argv[0], "add") == 0 ?
		    STMT_OPERATOR_ADD : STMT_OPERATOR_PASSWD, p);
	} else if (strcmp(argv[0], "disable") == 0 ||
	    strcmp(argv[0], "enable") == 0) {
		p[1] = strcmp(argv[0], "disable") == 0 ? "true" : "false";
		res = db_exec(db, STMT_OPERATOR_DISABLE, p);
	} else
		usage();
	if (res == NULL) {
		warnx("operator %s: database error", argv[0]);
		goto out;
	}
	if (PQntuples(res) == 1) {
		printf("%s %s\n", argv[0], argv[1]);
		rc = 0;
	} else if (strcmp(argv[0], "add") == 0 && if_missing) {
		printf("exists %s\n", argv[1]);
		rc = 0;
	} else
		warnx("operator %s: %s", argv[1], strcmp(argv[0], "add") == 0 ?
		    "already exists" : "no such operator");
out:
	sodium_memzero(pw, sizeof(pw));
	PQclear(res);
	db_close(db);
	return rc;
}

/*
 * Issue 12: mark daemon "id" (daemon_instances.id, as the dashboard
 * lists it) draining.  At its next heartbeat (a few seconds) it hands
 * its sessions to the other daemons one at a time and exits; with no
 * other daemon alive it stops as on SIGTERM.  0, or -1 (printed).
 */
static int
cmd_daemon_drain(const char *url, const char *id)
{
	struct db	*db;
	PGresult	*res;
	const char	*p[1];
	char		*end;
	int		 rc = -1;

	if (strtoll(id, &end, 10) <= 0 || *end != '\0')
		usage();
	if ((db = db_open(url, ctl_stmts, STMT__MAX)) == NULL)
		return -1;
	p[0] = id;
	if ((res = db_exec(db, STMT_DAEMON_DRAIN, p)) == NULL)
		warnx("daemon drain: database error");
	else if (PQntuples(res) != 1)
		warnx("daemon %s: no such daemon (it may have stopped "
		    "already); the dashboard lists the running ones", id);
	else {
		printf("draining daemon %s (%s, pid %s, %s sessions): it "
		    "hands them over and exits\n", id, PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
		rc = 0;
	}
	PQclear(res);
	db_close(db);
	return rc;
}

/* 1 if "s" is a key name the api_keys CHECK and the page accept: 1 to
 * 100 characters (UTF-8 is counted by the database), no control bytes,
 * not only blanks. */
static int
apikey_name_ok(const char *s)
{
	const unsigned char	*p;
	int			 seen = 0;

	if (*s == '\0' || strlen(s) > APIKEY_NAME_MAX * 4)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p != ' ')
			seen = 1;
	}
	return seen;
}

/*
 * The operator a key acts as: "user", or without one the only enabled
 * admin.  Sets "op" (decimal id) and "adm" ("true"/"false").  Returns
 * 0, or -1 with the reason printed.
 */
static int
apikey_operator(struct db *db, const char *user, char op[24],
    const char **adm)
{
	PGresult	*res;
	const char	*p[1];
	int		 rc = -1;

	if (user == NULL) {
		if ((res = db_exec(db, STMT_APIKEY_SOLE_ADMIN, NULL)) == NULL) {
			warnx("apikey: database error");
			return -1;
		}
		if (PQntuples(res) == 1) {
			snprintf(op, 24, "%s", PQgetvalue(res, 0, 0));
			*adm = "true";
			rc = 0;
		} else
			warnx("apikey: %s; name the operator the key acts as "
			    "with --operator USER", PQntuples(res) == 0 ?
			    "there is no enabled admin" :
			    "there is more than one admin");
		PQclear(res);
		return rc;
	}
	p[0] = user;
	if ((res = db_exec(db, STMT_APIKEY_OPERATOR, p)) == NULL) {
		warnx("apikey: database error");
		return -1;
	}
	if (PQntuples(res) != 1)
		warnx("apikey: no operator %s (wadeskctl operator add "
		    "makes one)", user);
	else if (db_get_bool(res, 0, 2))
		warnx("apikey: operator %s is disabled; its keys would not "
		    "work (wadeskctl operator enable %s)", user, user);
	else {
		snprintf(op, 24, "%s", PQgetvalue(res, 0, 0));
		*adm = db_get_bool(res, 0, 1) ? "true" : "false";
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/*
 * "apikey add NAME --scope S[,S...]... [--account ID[,ID...]]...
 * [--operator USER]": a key for USER (or the sole admin) limited to the
 * listed accounts (which that operator must see), made with
 * lib/apikey.h as the settings page makes it (only the hash is stored).
 * Prints "id ID prefix PREFIX" and then the key itself on a line of its
 * own, once.  0, -1 (printed), or usage (exit 2).
 */
static int
cmd_apikey_add(const char *url, int argc, char *argv[])
{
	struct db	*db = NULL;
	struct buf	 list, ids, scopes;
	PGresult	*res;
	const char	*p[6], *user = NULL, *adm = "false", *name;
	char		 key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_HEX + 1];
	char		 hash[APIKEY_HASH_HEX + 1], op[24], *tok, *save, *s;
	unsigned int	 mask = 0, bit;
	int64_t		 seen;
	int		 i, n, rc = -1;

	if (argc < 1 || argv[0][0] == '-')
		usage();
	name = argv[0];
	buf_init(&list);
	buf_init(&ids);
	buf_init(&scopes);
	for (i = 1; i < argc; i++) {
		if (i + 1 == argc)
			usage();
		if (strcmp(argv[i], "--scope") == 0) {
			s = xstrdup(argv[++i]);
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if ((bit = apikey_scope_bit(tok)) == 0) {
					warnx("apikey add: unknown scope %s; "
					    "the scopes are accounts:read, "
					    "accounts:write, messages:send and "
					    "webhooks:manage", tok);
					free(s);
					goto out;
				}
				mask |= bit;
			}
			free(s);
		} else if (strcmp(argv[i], "--account") == 0) {
			buf_puts(&list, argv[++i]);
			buf_putc(&list, ',');
		} else if (strcmp(argv[i], "--operator") == 0)
			user = argv[++i];
		else
			usage();
	}
	if (!apikey_name_ok(name)) {
		warnx("apikey add: a key's name has 1 to 100 characters and "
		    "no control characters");
		goto out;
	}
	if (mask == 0) {
		warnx("apikey add: give at least one --scope");
		goto out;
	}
	if ((n = apikey_ids_literal(buf_str(&list), &ids)) == -1) {
		warnx("apikey add: --account takes account numbers, separated "
		    "by commas (at most %d in all)", APIKEY_IDS_MAX);
		goto out;
	}
	if ((db = db_open(url, ctl_stmts, STMT__MAX)) == NULL ||
	    apikey_operator(db, user, op, &adm) == -1)
		goto out;
	if (n > 0) {
		p[0] = buf_str(&ids);
		p[1] = op;
		p[2] = adm;
		if ((res = db_exec(db, STMT_APIKEY_ACCOUNTS_VISIBLE, p)) ==
		    NULL) {
			warnx("apikey add: database error");
			goto out;
		}
		if (db_get_int64(res, 0, 0, &seen) == -1 || seen != n) {
			PQclear(res);
			warnx("apikey add: an --account is not the operator's "
			    "(or does not exist); the key was not made");
			goto out;
		}
		PQclear(res);
	}
	buf_putc(&scopes, '{');
	apikey_scopes_write(&scopes, mask, ",");
	buf_putc(&scopes, '}');
	(void)apikey_new(key, prefix, hash);
	p[0] = op;
	p[1] = name;
	p[2] = prefix;
	p[3] = hash;
	p[4] = buf_str(&scopes);
	p[5] = n > 0 ? buf_str(&ids) : NULL;
	if ((res = db_exec(db, STMT_APIKEY_INSERT, p)) == NULL) {
		warnx("apikey add: database error (%s); the key was not made",
		    db_sqlstate(db));
		goto out;
	}
	printf("id %s prefix %s\n%s\n", PQgetvalue(res, 0, 0), prefix, key);
	fprintf(stderr, "wadeskctl: the key is shown this once; only its "
	    "hash is kept\n");
	PQclear(res);
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	buf_free(&list);
	buf_free(&ids);
	buf_free(&scopes);
	db_close(db);
	return rc;
}

/*
 * "apikey list [--operator USER]": one line per key, oldest first, tab
 * separated: id, operator, prefix, scopes, accounts ("all" or
 * "3,7"), created, last used ("never"), live/revoked, name.  Never the
 * key (it is not kept).  0 or -1 (printed).
 */
static int
cmd_apikey_list(const char *url, int argc, char *argv[])
{
	struct db	*db;
	PGresult	*res;
	const char	*p[1] = { NULL };
	int		 i, j;

	if (argc == 2 && strcmp(argv[0], "--operator") == 0)
		p[0] = argv[1];
	else if (argc != 0)
		usage();
	if ((db = db_open(url, ctl_stmts, STMT__MAX)) == NULL)
		return -1;
	if ((res = db_exec(db, STMT_APIKEY_LIST, p)) == NULL) {
		warnx("apikey list: database error");
		db_close(db);
		return -1;
	}
	for (i = 0; i < PQntuples(res); i++)
		for (j = 0; j < PQnfields(res); j++)
			printf("%s%c", PQgetvalue(res, i, j),
			    j + 1 < PQnfields(res) ? '\t' : '\n');
	PQclear(res);
	db_close(db);
	return 0;
}

/* "apikey revoke ID": at once, for any operator's live key. */
static int
cmd_apikey_revoke(const char *url, const char *id)
{
	struct db	*db;
	PGresult	*res;
	const char	*p[1];
	char		*end;
	int		 rc = -1;

	if (strtoll(id, &end, 10) <= 0 || *end != '\0')
		usage();
	if ((db = db_open(url, ctl_stmts, STMT__MAX)) == NULL)
		return -1;
	p[0] = id;
	if ((res = db_exec(db, STMT_APIKEY_REVOKE, p)) == NULL)
		warnx("apikey revoke: database error");
	else if (PQntuples(res) != 1)
		warnx("apikey revoke: no live key %s (wadeskctl apikey list "
		    "shows them)", id);
	else {
		printf("revoked %s prefix %s (operator %s, %s)\n", id,
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 2));
		rc = 0;
	}
	PQclear(res);
	db_close(db);
	return rc;
}

static int
cmd_apikey(const char *url, int argc, char *argv[])
{

	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return cmd_apikey_add(url, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return cmd_apikey_list(url, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[0], "revoke") == 0)
		return cmd_apikey_revoke(url, argv[1]);
	usage();
	return -1;
}

/* The one account named by "who" (id, label or phone) into id; 0 or -1
 * (printed). */
static int
send_account(struct db *db, const char *who, char id[24])
{
	PGresult	*res;
	const char	*p[1];
	int		 rc = -1;

	p[0] = who;
	if ((res = db_exec(db, STMT_SEND_ACCOUNT, p)) == NULL)
		warnx("send: database error");
	else if (PQntuples(res) == 0)
		warnx("send: no account \"%s\" (give its id, label or phone "
		    "number as the dashboard shows it)", who);
	else if (PQntuples(res) > 1)
		warnx("send: \"%s\" names more than one account; give its id",
		    who);
	else {
		snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* Print the result of a finished command row; 0 sent, -1 not. */
static int
send_print(PGresult *res, const char *cmd)
{
	struct buf	 b;
	int		 sent;

	sent = !PQgetisnull(res, 0, 1) &&
	    strcmp(PQgetvalue(res, 0, 1), "sent") == 0;
	if (sent) {
		printf("sent: message %s (command %s)\n",
		    PQgetvalue(res, 0, 4), cmd);
		return 0;
	}
	buf_init(&b);
	reason_write(&b, PQgetisnull(res, 0, 2) ? NULL :
	    PQgetvalue(res, 0, 2), NULL);
	printf("not sent: %s", buf_str(&b));
	if (!PQgetisnull(res, 0, 3))
		printf(" (WhatsApp error %s)", PQgetvalue(res, 0, 3));
	printf(" (command %s)\n", cmd);
	buf_free(&b);
	return -1;
}

/*
 * Issue 9: queue send_text for ACCOUNT (id, label or phone) to TO
 * (phone number or JID) with TEXT, then wait up to "timeout" seconds
 * for the daemon's result and print it.  With a client id the command
 * is idempotent: a second call with the same id waits for (and prints)
 * the first one's result instead of sending again.  0 sent, -1 not
 * sent or no result in time (printed).
 */
static int
cmd_send(const char *url, int argc, char *argv[])
{
	struct db	*db;
	PGresult	*res;
	const char	*p[4], *client = NULL;
	char		 acct[24], cmd[24] = "", *end;
	long		 timeout = 90, waited;
	int		 i, rc = -1;

	if (argc < 3)
		usage();
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
			client = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout = strtol(argv[++i], &end, 10);
			if (*end != '\0' || timeout < 1 || timeout > 3600)
				usage();
		} else
			usage();
	}
	if (*argv[1] == '\0' || *argv[2] == '\0') {
		warnx("send: empty recipient or text");
		return -1;
	}
	if ((db = db_open(url, ctl_stmts, STMT__MAX)) == NULL)
		return -1;
	if (send_account(db, argv[0], acct) == -1)
		goto out;
	p[0] = acct;
	p[1] = argv[1];
	p[2] = argv[2];
	p[3] = client;
	if ((res = db_exec(db, STMT_SEND_INSERT, p)) == NULL) {
		warnx("send: the command could not be queued (database "
		    "error)");
		goto out;
	}
	if (PQntuples(res) == 1)
		snprintf(cmd, sizeof(cmd), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (cmd[0] == '\0') {
		p[1] = client;
		if ((res = db_exec(db, STMT_SEND_EXISTING, p)) != NULL &&
		    PQntuples(res) == 1)
			snprintf(cmd, sizeof(cmd), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		if (cmd[0] == '\0') {
			warnx("send: client id %s is taken but its command "
			    "is gone", client);
			goto out;
		}
		fprintf(stderr, "wadeskctl: client id %s was queued before "
		    "as command %s: not sending again, waiting for its "
		    "result\n", client, cmd);
	}
	p[0] = cmd;
	for (waited = 0; waited < timeout * 5; waited++) {
		if ((res = db_exec(db, STMT_SEND_RESULT, p)) == NULL) {
			warnx("send: lost the database while waiting; command "
			    "%s stays queued", cmd);
			goto out;
		}
		if (PQntuples(res) == 1 && db_get_bool(res, 0, 0) == 1) {
			rc = send_print(res, cmd);
			PQclear(res);
			goto out;
		}
		PQclear(res);
		usleep(200000);
	}
	printf("no result yet: command %s is still queued or in flight "
	    "after %ld s (is wadeskd running and the account connected?)\n",
	    cmd, timeout);
out:
	db_close(db);
	return rc;
}

/*
 * Write a new 32-byte crypto_secretbox key to "path" with mode 0600,
 * refusing to overwrite an existing file.
 */
static int
cmd_keygen(const char *path)
{
	unsigned char	 key[crypto_secretbox_KEYBYTES];
	int		 fd, rc = -1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1) {
		warn("%s", path);
		return -1;
	}
	randombytes_buf(key, sizeof(key));
	if (write(fd, key, sizeof(key)) == (ssize_t)sizeof(key) &&
	    fsync(fd) == 0)
		rc = 0;
	else
		warn("%s", path);
	sodium_memzero(key, sizeof(key));
	close(fd);
	if (rc == -1)
		unlink(path);
	return rc;
}

/*
 * Print the WhatsApp Web version the daemon sends at its next connect
 * and where it comes from, resolved as wadeskd does (lib/waversion.h):
 * "2.3000.N (file /path)", "(WADESK_WA_VERSION)" or "(built-in)"; a
 * skipped file or variable is named on a second line.  Needs no
 * database.
 */
static int
cmd_wa_version(const struct conf *conf)
{
	struct waversion	 v;

	waversion_resolve(conf->wa_version_file, conf->wa_version, &v);
	printf("%s (%s)\n", v.version, v.source);
	if (v.problem[0] != '\0')
		printf("skipped: %s\n", v.problem);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct conf	 conf;
	int		 rc;

	if (argc < 2)
		usage();
	log_init("wadeskctl", LOG_LEVEL_WARN);
	if (sodium_init() < 0)
		errx(1, "sodium_init");
	if (conf_load(&conf) == -1)
		errx(1, "bad configuration; see the README");
	log_init("wadeskctl", conf.log_level < LOG_LEVEL_WARN ?
	    conf.log_level : LOG_LEVEL_WARN);

	if (strcmp(argv[1], "migrate") == 0)
		rc = cmd_migrate(conf.database_url, argc > 2 ? argv[2] : "sql");
	else if (strcmp(argv[1], "operator") == 0)
		rc = cmd_operator(conf.database_url, argc - 2, argv + 2);
	else if (strcmp(argv[1], "keygen") == 0 && argc == 3)
		rc = cmd_keygen(argv[2]);
	else if (strcmp(argv[1], "wa-version") == 0 && argc == 2)
		rc = cmd_wa_version(&conf);
	else if (strcmp(argv[1], "daemon") == 0 && argc == 4 &&
	    strcmp(argv[2], "drain") == 0)
		rc = cmd_daemon_drain(conf.database_url, argv[3]);
	else if (strcmp(argv[1], "apikey") == 0)
		rc = cmd_apikey(conf.database_url, argc - 2, argv + 2);
	else if (strcmp(argv[1], "send") == 0)
		rc = cmd_send(conf.database_url, argc - 2, argv + 2);
	else
		usage();
	conf_free(&conf);
	return rc == 0 ? 0 : 1;
}
