/*
 * libpq mechanism shared by both programs: connect, pin search_path,
 * prepare a statement table, execute by index with text parameters,
 * typed getters, transactions, LISTEN.  No SQL is ever built from
 * strings: values travel as $n parameters (STYLE.md 2.7).
 */
#ifndef WADESK_DB_H
#define WADESK_DB_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct	db_stmt {
	const char	*name;		/* prepared statement name */
	int		 nparams;	/* number of $n parameters */
	const char	*sql;		/* the statement */
};

struct db;

struct db	*db_open(const char *conninfo, const struct db_stmt *stmts,
		    size_t nstmts);
void		 db_close(struct db *db);
int		 db_ensure(struct db *db);
void		 db_set_reconnect(struct db *db, int on);
PGconn		*db_conn(struct db *db);
PGresult	*db_exec(struct db *db, size_t id, const char *const *params);
PGresult	*db_exec_binary(struct db *db, size_t id,
		    const char *const *params);
int		 db_exec_cmd(struct db *db, size_t id,
		    const char *const *params);
const char	*db_sqlstate(const struct db *db);
int		 db_retryable(const struct db *db);
int		 db_tx_begin(struct db *db);
int		 db_tx_commit(struct db *db);
void		 db_tx_rollback(struct db *db);
int		 db_listen(struct db *db, const char *channel);
int		 db_get_int64(const PGresult *res, int row, int col,
		    int64_t *out);
int		 db_get_int(const PGresult *res, int row, int col, int *out);
int		 db_get_bool(const PGresult *res, int row, int col);
char		*db_get_text(const PGresult *res, int row, int col);

#endif /* !WADESK_DB_H */
