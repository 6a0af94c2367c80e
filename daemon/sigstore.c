/*
 * The Signal store of one account in PostgreSQL (sql/012): the
 * struct wa_store (wa.h) the protocol client's libsignal layer
 * (daemon/wa/signal_store.c) reads and writes through.  Sessions,
 * remote identities and sender keys are sealed rows of signal_store;
 * one-time pre-keys are read out of the sealed batches the upload
 * already stores (account_prekeys, sql/005; creds.c) and marked spent
 * in account_prekeys_used.  Sealing is the credentials' (creds.c,
 * crypto_secretbox under the key file's key); the plaintext starts with
 * "<account> <kind> <key>\n", checked on open, so a row copied to
 * another account or key does not open.  Every call is synchronous on
 * the daemon's connection (one small indexed statement).  The store's
 * user pointer is the client's slot: once the slot is detached from
 * its session (an older generation) every call fails, so a late
 * message of a replaced client cannot touch the new attempt's state.
 *
 * Issue 12: every write (put, delete, a spent pre-key) is fenced like
 * the daemon's other writes: its own transaction starts with
 * DS_LEASE_FENCE (db_fence_begin(), as lease_begin()), so a daemon that lost the account's
 * lease (paused, cut off, taken over) cannot overwrite the Signal
 * state the new owner now keeps.  A refused write fails the call
 * (libsignal gives up on that message; the server redelivers it to the
 * owner) and marks the session, which the next tick closes
 * (session_lost(); not from here: this runs deep inside the client).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "log.h"
#include "xalloc.h"

static const char *const kind_names[WA_STORE__MAX] = {
	[WA_STORE_SESSION] = "session",
	[WA_STORE_IDENTITY] = "identity",
	[WA_STORE_PREKEY] = "prekey",
	[WA_STORE_SENDER_KEY] = "sender_key",
};

/* The session behind a store call, or NULL (logged) when none. */
static struct session *
st_session(void *user, enum wa_store_kind kind)
{
	struct sess_slot	*sl = user;

	if (sl == NULL || sl->s == NULL || (unsigned)kind >= WA_STORE__MAX)
		return NULL;
	if (sl->s->d->db == NULL) {
		log_warnx("account %" PRId64 ": the Signal store is not "
		    "reachable (no database connection); the message waits "
		    "for the server's redelivery", sl->s->id);
		return NULL;
	}
	return sl->s;
}

/*
 * Begin the fenced transaction of a write for session "s": 1 begun
 * (end it with fence_end()), 0 the lease is lost (nothing begun; the
 * session is marked for the tick to close), -1 a database error, or a
 * transaction already open (a caller bug: refused rather than
 * committed early; logged).  Inside the transaction of a stanza the
 * session received (session_store_tx(), issue 9) the write joins that
 * one, fenced when it began: 1, and fence_end() leaves the COMMIT to
 * the stanza.
 */
static int
fence_begin(struct session *s)
{
	int	 rc;

	/* A received stanza's transaction, fenced when it began. */
	if (session_store_tx(s, 0))
		return 1;
	if (PQtransactionStatus(db_conn(s->d->db)) != PQTRANS_IDLE) {
		log_warnx("account %" PRId64 ": a Signal store write inside "
		    "another transaction; refused", s->id);
		return -1;
	}
	if (s->d->instance == 0)
		return -1;
	if ((rc = db_fence_begin(s->d->db, s->id, s->d->instance,
	    s->lease_gen)) == 0) {
		if (!s->fenced)
			log_warnx("account %" PRId64 ": Signal store write "
			    "refused: lease %" PRId64 " is no longer ours",
			    s->id, s->lease_gen);
		s->fenced = 1;
		s->d->any_fenced = 1;
	}
	return rc;
}

/* Commit when "rc" is not -1 (then answer rc), else roll back (-1). */
static int
fence_end(struct session *s, int rc)
{

	if (session_store_tx(s, rc == -1))
		return rc;	/* the stanza's COMMIT decides */
	if (rc != -1)
		return db_tx_commit(s->d->db) == -1 ? -1 : rc;
	db_tx_rollback(s->d->db);
	return -1;
}

/* "\x" + hex: bytea input in text format.  Caller frees. */
static char *
hexa(const uint8_t *p, size_t len)
{
	char	*s;

	s = xmalloc(2 + len * 2 + 1);
	s[0] = '\\';
	s[1] = 'x';
	sodium_bin2hex(s + 2, len * 2 + 1, p, len);
	return s;
}

/* Open the sealed (nonce, sealed) bytea pair of row 0 of res into
 * sodium memory; *plain is released with creds_plain_free.  0 or -1. */
static int
row_open(struct session *s, PGresult *res, uint8_t **plain, size_t *len)
{
	unsigned char	*nonce, *sealed;
	size_t		 nl = 0, sl = 0;
	int		 rc = -1;

	nonce = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0),
	    &nl);
	sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1),
	    &sl);
	if (nonce != NULL && sealed != NULL)
		rc = creds_open(s->d->cred_key, nonce, nl, sealed, sl, plain,
		    len);
	if (nonce != NULL)
		PQfreemem(nonce);
	if (sealed != NULL)
		PQfreemem(sealed);
	return rc;
}

/* The id of a WA_STORE_PREKEY key, or 0 if it is not one. */
static uint32_t
prekey_id(const char *key)
{
	char		*end;
	unsigned long	 v;

	v = strtoul(key, &end, 10);
	if (*key < '1' || *key > '9' || *end != '\0' || v > 0xffffff)
		return 0;
	return (uint32_t)v;
}

/* A one-time pre-key's private half out of its sealed batch. */
static int
prekey_get(struct session *s, const char *key, uint8_t **val, size_t *len)
{
	PGresult	*res;
	uint8_t		*plain = NULL;
	const char	*p[2];
	char		 sid[24], sk[16];
	size_t		 plen = 0, i;
	uint32_t	 id;
	int		 rc = -1;

	if ((id = prekey_id(key)) == 0)
		return 0;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	snprintf(sk, sizeof(sk), "%" PRIu32, id);
	p[0] = sid;
	p[1] = sk;
	if ((res = db_exec(s->d->db, DS_PREKEY_GET, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rc = 0;
	else if (row_open(s, res, &plain, &plen) == 0) {
		rc = 0;
		for (i = 0; i + 35 <= plen; i += 35)
			if (((uint32_t)plain[i] << 16 |
			    (uint32_t)plain[i + 1] << 8 | plain[i + 2]) == id) {
				*val = xmalloc(32);
				memcpy(*val, plain + i + 3, 32);
				*len = 32;
				rc = 1;
				break;
			}
	}
	creds_plain_free(plain, plen);
	PQclear(res);
	return rc;
}

static int
st_get(void *user, enum wa_store_kind kind, const char *key, uint8_t **val,
    size_t *len)
{
	struct session	*s;
	PGresult	*res;
	uint8_t		*plain = NULL;
	const char	*p[3];
	char		 sid[24], hdr[320];
	size_t		 plen = 0, hl;
	int		 rc = -1;

	*val = NULL;
	*len = 0;
	if ((s = st_session(user, kind)) == NULL)
		return -1;
	if (kind == WA_STORE_PREKEY)
		return prekey_get(s, key, val, len);
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	p[0] = sid;
	p[1] = kind_names[kind];
	p[2] = key;
	if ((res = db_exec(s->d->db, DS_SIG_GET, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	hl = (size_t)snprintf(hdr, sizeof(hdr), "%s %s %s\n", sid,
	    kind_names[kind], key);
	if (row_open(s, res, &plain, &plen) == 0) {
		if (hl < sizeof(hdr) && plen >= hl &&
		    memcmp(plain, hdr, hl) == 0) {
			*len = plen - hl;
			*val = xmalloc(*len > 0 ? *len : 1);
			memcpy(*val, plain + hl, *len);
			rc = 1;
		} else
			log_warnx("account %" PRId64 ": a sealed Signal %s "
			    "record does not belong to its row (moved or "
			    "tampered); refusing it", s->id, kind_names[kind]);
	}
	creds_plain_free(plain, plen);
	PQclear(res);
	return rc;
}

static int
st_put(void *user, enum wa_store_kind kind, const char *key,
    const uint8_t *val, size_t len)
{
	struct session	*s;
	struct wa_prekey pk;
	uint8_t		 nonce[CREDS_NONCE_LEN], *plain, *sealed = NULL;
	const char	*p[5];
	char		 sid[24], *hn, *hs;
	size_t		 hl, sealedlen;
	int		 rc;

	if ((s = st_session(user, kind)) == NULL)
		return -1;
	if (kind == WA_STORE_PREKEY) {
		if ((pk.id = prekey_id(key)) == 0 || len != sizeof(pk.priv))
			return -1;
		memcpy(pk.priv, val, sizeof(pk.priv));
		if ((rc = fence_begin(s)) == 1)
			rc = fence_end(s, creds_prekeys_store(s->d, s->id,
			    &pk, 1));
		sodium_memzero(&pk, sizeof(pk));
		return rc == 0 ? -1 : rc;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	hl = strlen(sid) + strlen(kind_names[kind]) + strlen(key) + 3;
	if ((plain = sodium_malloc(hl + len + 1)) == NULL) {
		log_warnx("%s: sodium_malloc", __func__);
		return -1;
	}
	snprintf((char *)plain, hl + 1, "%s %s %s\n", sid, kind_names[kind],
	    key);
	if (len > 0)
		memcpy(plain + hl, val, len);
	rc = creds_seal(s->d->cred_key, plain, hl + len, nonce, &sealed,
	    &sealedlen);
	sodium_free(plain);
	if (rc == -1)
		return -1;
	hn = hexa(nonce, sizeof(nonce));
	hs = hexa(sealed, sealedlen);
	p[0] = sid;
	p[1] = kind_names[kind];
	p[2] = key;
	p[3] = hn;
	p[4] = hs;
	if ((rc = fence_begin(s)) == 1)
		rc = fence_end(s, db_exec_cmd(s->d->db, DS_SIG_PUT, p));
	else
		rc = -1;
	free(hn);
	free(hs);
	free(sealed);
	return rc;
}

static int
st_del(void *user, enum wa_store_kind kind, const char *key, int prefix)
{
	struct session	*s;
	PGresult	*res;
	const char	*p[3];
	char		 sid[24], sk[16];
	int		 n;

	if ((s = st_session(user, kind)) == NULL)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, s->id);
	p[0] = sid;
	if (kind == WA_STORE_PREKEY) {
		if (prefix || prekey_id(key) == 0)
			return -1;
		snprintf(sk, sizeof(sk), "%" PRIu32, prekey_id(key));
		p[1] = sk;
	} else {
		p[1] = kind_names[kind];
		p[2] = key;
	}
	if (fence_begin(s) != 1)
		return -1;
	res = db_exec(s->d->db, kind == WA_STORE_PREKEY ? DS_PREKEY_USE :
	    prefix ? DS_SIG_DEL_PREFIX : DS_SIG_DEL, p);
	if (res == NULL)
		return fence_end(s, -1);
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	return fence_end(s, n);
}

/*
 * Point "st" at the account behind slot "sl" (wa.h struct wa_store):
 * the callbacks above, user = sl.  Nothing is allocated.
 */
void
sigstore_init(struct wa_store *st, struct sess_slot *sl)
{

	st->get = st_get;
	st->put = st_put;
	st->del = st_del;
	st->user = sl;
}
