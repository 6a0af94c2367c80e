/*
 * t_sigstore: daemon/sigstore.c against a real PostgreSQL (started by
 * tests/daemon/sigstore.sh, which passes the daemon role's conninfo,
 * the key file and an account id).  The account is "Bob": its one-time
 * pre-keys are sealed by creds_prekeys_store as the upload does, and
 * libsignal (daemon/wa/signal_store.c) runs over the PostgreSQL store
 * while "Alice" uses an in-memory one.  Checks the round trip, that a
 * used pre-key is never handed out again, that a sealed row moved to
 * another key does not open, that a detached slot cannot touch the
 * store, that every write is fenced by the account's lease (issue 12:
 * a daemon whose lease generation is stale, or whose lease ran out,
 * writes nothing), and that creds_delete wipes every Signal row.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <signal_protocol.h>

#include "daemon.h"
#include "keys.h"
#include "log.h"
#include "memstore.h"
#include "wasignal.h"
#include "t.h"

static struct daemon	 d;
static struct session	 sess;
static struct sess_slot	 slot;
static int64_t		 bob_id;

/*
 * Stand-in for session.c's: these writes never run inside a received
 * stanza's transaction, so each opens its own fenced one.
 */
int
session_store_tx(struct session *s, int failed)
{

	return 0;
}

/* One row count from "sql" (no parameters). */
static long
count(const char *sql)
{
	PGresult	*r;
	long		 n = -1;

	r = PQexec(db_conn(d.db), sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = atol(PQgetvalue(r, 0, 0));
	else
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(db_conn(d.db)));
	PQclear(r);
	return n;
}

static int
sql_ok(const char *sql)
{
	PGresult	*r;
	int		 ok;

	r = PQexec(db_conn(d.db), sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(db_conn(d.db)));
	PQclear(r);
	return ok;
}

struct	side {
	struct wa_creds			*cr;
	signal_context			*ctx;
	signal_protocol_store_context	*sc;
};

static int
side_new(struct side *s, const struct wa_store *st)
{

	memset(s, 0, sizeof(*s));
	return (s->cr = wa_creds_new()) != NULL &&
	    wa_creds_generate(s->cr) == 0 &&
	    wa_signal_context_new(&s->ctx) == 0 &&
	    wa_signal_store_new(s->ctx, st, s->cr, &s->sc) == 0;
}

static void
side_free(struct side *s)
{

	if (s->sc != NULL)
		signal_protocol_store_context_destroy(s->sc);
	if (s->ctx != NULL)
		signal_context_destroy(s->ctx);
	wa_creds_free(s->cr);
}

static signal_buffer *
enc(struct side *s, const signal_protocol_address *a, const char *text,
    int *type)
{
	session_cipher		*c = NULL;
	ciphertext_message	*m = NULL;
	signal_buffer		*out = NULL;

	if (session_cipher_create(&c, s->sc, a, s->ctx) == 0 &&
	    session_cipher_encrypt(c, (const uint8_t *)text, strlen(text),
	    &m) == 0) {
		*type = ciphertext_message_get_type(m);
		out = signal_buffer_copy(ciphertext_message_get_serialized(m));
	}
	SIGNAL_UNREF(m);
	session_cipher_free(c);
	return out;
}

static int
dec_ok(struct side *s, const signal_protocol_address *a, int type,
    const signal_buffer *in, const char *want)
{
	session_cipher		*c = NULL;
	pre_key_signal_message	*pm = NULL;
	signal_message		*m = NULL;
	signal_buffer		*plain = NULL;
	int			 rc;

	if ((rc = session_cipher_create(&c, s->sc, a, s->ctx)) == 0) {
		if (type == CIPHERTEXT_PREKEY_TYPE &&
		    (rc = pre_key_signal_message_deserialize(&pm,
		    signal_buffer_const_data(in), signal_buffer_len(in),
		    s->ctx)) == 0)
			rc = session_cipher_decrypt_pre_key_signal_message(c,
			    pm, NULL, &plain);
		else if (type != CIPHERTEXT_PREKEY_TYPE &&
		    (rc = signal_message_deserialize(&m,
		    signal_buffer_const_data(in), signal_buffer_len(in),
		    s->ctx)) == 0)
			rc = session_cipher_decrypt_signal_message(c, m, NULL,
			    &plain);
	}
	rc = T_INTEQ(rc, 0) && T_INTEQ(signal_buffer_len(plain),
	    strlen(want)) && T_MEMEQ(signal_buffer_data(plain), want,
	    strlen(want));
	signal_buffer_bzero_free(plain);
	SIGNAL_UNREF(pm);
	SIGNAL_UNREF(m);
	session_cipher_free(c);
	return rc;
}

/* Bob's pre-keys 5..7, sealed as the upload path seals them. */
static int
bob_prekeys(uint8_t pub6[32])
{
	struct wa_prekey	 k[3];
	struct wa_keypair	 kp;
	int			 i;

	for (i = 0; i < 3; i++) {
		if (wa_keypair_generate(&kp) == -1)
			return -1;
		k[i].id = 5 + (uint32_t)i;
		memcpy(k[i].priv, kp.priv, 32);
		if (i == 1)
			memcpy(pub6, kp.pub, 32);
	}
	sodium_memzero(&kp, sizeof(kp));
	i = creds_prekeys_store(&d, bob_id, k, 3);
	sodium_memzero(k, sizeof(k));
	return i;
}

static int
round_trip_over_postgres(void)
{
	struct memstore		 ams;
	struct side		 alice, bob;
	signal_protocol_address	 to_bob = { "15550002", 8, 1 };
	signal_protocol_address	 to_alice = { "15550001", 8, 3 };
	session_pre_key_bundle	*b = NULL;
	session_builder		*sb = NULL;
	signal_buffer		*c1 = NULL, *c2 = NULL, *c3 = NULL;
	uint8_t			 pub6[32], *v = NULL;
	size_t			 vl = 0;
	int			 t1 = 0, t2 = 0, t3 = 0, ok = 0;

	ms_init(&ams);
	if (!side_new(&alice, &ams.st) || !side_new(&bob, &slot.store) ||
	    bob_prekeys(pub6) == -1)
		goto out;
	ok = T_INTEQ(slot.store.get(slot.store.user, WA_STORE_PREKEY, "6",
	    &v, &vl), 1) && T_INTEQ(vl, 32);
	free(v);
	ok = ok && T_INTEQ(wa_signal_bundle(alice.ctx,
	    bob.cr->registration_id, 1, 6, pub6, bob.cr->signed_pre_key_id,
	    bob.cr->signed_pre_key.pub, bob.cr->signed_pre_key_sig,
	    bob.cr->identity_key.pub, &b), 0) &&
	    T_INTEQ(session_builder_create(&sb, alice.sc, &to_bob, alice.ctx),
	    0) &&
	    T_INTEQ(session_builder_process_pre_key_bundle(sb, b), 0) &&
	    T_TRUE((c1 = enc(&alice, &to_bob, "over postgres", &t1)) != NULL) &&
	    T_INTEQ(t1, CIPHERTEXT_PREKEY_TYPE) &&
	    dec_ok(&bob, &to_alice, t1, c1, "over postgres") &&
	    /* pre-key 6 is spent; 5 and 7 are still there */
	    T_INTEQ(slot.store.get(slot.store.user, WA_STORE_PREKEY, "6",
	    &v, &vl), 0) &&
	    T_INTEQ(count("SELECT count(*) FROM account_prekeys_used"), 1) &&
	    T_INTEQ(count("SELECT count(*) FROM signal_store WHERE "
	    "kind = 'session' AND key = '15550001.3'"), 1) &&
	    T_INTEQ(count("SELECT count(*) FROM signal_store WHERE "
	    "kind = 'identity'"), 1) &&
	    T_TRUE((c2 = enc(&bob, &to_alice, "reply", &t2)) != NULL) &&
	    T_INTEQ(t2, CIPHERTEXT_SIGNAL_TYPE) &&
	    dec_ok(&alice, &to_bob, t2, c2, "reply") &&
	    T_TRUE((c3 = enc(&alice, &to_bob, "again", &t3)) != NULL) &&
	    T_INTEQ(t3, CIPHERTEXT_SIGNAL_TYPE) &&
	    dec_ok(&bob, &to_alice, t3, c3, "again") &&
	    /* the record is sealed: the plaintext header is not visible */
	    T_INTEQ(count("SELECT count(*) FROM signal_store WHERE "
	    "position('15550001'::bytea IN sealed) > 0"), 0);
out:
	session_builder_free(sb);
	SIGNAL_UNREF(b);
	signal_buffer_free(c1);
	signal_buffer_free(c2);
	signal_buffer_free(c3);
	side_free(&alice);
	side_free(&bob);
	ms_free(&ams);
	return ok;
}

/* Put, overwrite, prefix delete; a row moved to another key refused. */
static int
rows_bound_to_their_key(void)
{
	const struct wa_store	*st = &slot.store;
	uint8_t			*v = NULL;
	size_t			 vl = 0;
	int			 ok;

	ok = T_INTEQ(st->put(st->user, WA_STORE_SENDER_KEY, "g@g.us\n1.2",
	    (const uint8_t *)"one", 3), 0) &&
	    T_INTEQ(st->put(st->user, WA_STORE_SENDER_KEY, "g@g.us\n1.2",
	    (const uint8_t *)"two", 3), 0) &&
	    T_INTEQ(st->get(st->user, WA_STORE_SENDER_KEY, "g@g.us\n1.2",
	    &v, &vl), 1) && T_INTEQ(vl, 3) && T_MEMEQ(v, "two", 3);
	free(v);
	v = NULL;
	ok = ok && T_INTEQ(st->put(st->user, WA_STORE_SESSION, "77.1",
	    (const uint8_t *)"s1", 2), 0) &&
	    T_INTEQ(st->put(st->user, WA_STORE_SESSION, "77.2",
	    (const uint8_t *)"s2", 2), 0) &&
	    T_INTEQ(st->put(st->user, WA_STORE_SESSION, "770.1",
	    (const uint8_t *)"s3", 2), 0) &&
	    T_INTEQ(st->del(st->user, WA_STORE_SESSION, "77.", 1), 2) &&
	    T_INTEQ(st->get(st->user, WA_STORE_SESSION, "770.1", &v, &vl), 1);
	free(v);
	v = NULL;
	ok = ok && sql_ok("UPDATE signal_store SET key = '771.1' "
	    "WHERE key = '770.1'") &&
	    T_INTEQ(st->get(st->user, WA_STORE_SESSION, "771.1", &v, &vl),
	    -1) && T_TRUE(v == NULL) &&
	    T_INTEQ(st->del(st->user, WA_STORE_SESSION, "771.1", 0), 1) &&
	    T_INTEQ(st->get(st->user, WA_STORE_SESSION, "nope.1", &v, &vl), 0);
	return ok;
}

/* A slot an older generation left behind cannot read or write. */
static int
detached_slot_refused(void)
{
	struct sess_slot	 old;
	uint8_t			*v = NULL;
	size_t			 vl;

	memset(&old, 0, sizeof(old));
	sigstore_init(&old.store, &old);
	return T_INTEQ(old.store.get(old.store.user, WA_STORE_SESSION,
	    "15550001.3", &v, &vl), -1) &&
	    T_INTEQ(old.store.put(old.store.user, WA_STORE_SESSION, "x.1",
	    (const uint8_t *)"x", 1), -1);
}

/* Give Bob's lease generation "gen" to daemon "d.instance" for "secs". */
static int
lease_set(int64_t gen, int secs)
{
	char	 q[256];

	snprintf(q, sizeof(q), "UPDATE account_leases SET owner_daemon = %"
	    PRId64 ", lease_generation = %" PRId64 ", lease_until = now() + "
	    "make_interval(secs => %d) WHERE account_id = %" PRId64,
	    d.instance, gen,
	    secs, bob_id);
	return sql_ok(q);
}

/*
 * Issue 12: with the lease taken over (generation + 1) or run out, no
 * put, delete or spent pre-key reaches the table, the call fails, and
 * the session is marked for closing; with the lease back, writes work.
 */
static int
fenced_writes_refused(void)
{
	const struct wa_store	*st = &slot.store;
	uint8_t			*v = NULL;
	size_t			 vl = 0;
	long			 rows, used;
	int			 ok;

	ok = T_INTEQ(st->put(st->user, WA_STORE_SESSION, "88.1",
	    (const uint8_t *)"mine", 4), 0);
	rows = count("SELECT count(*) FROM signal_store");
	used = count("SELECT count(*) FROM account_prekeys_used");
	ok = ok && T_INTEQ(sess.fenced, 0) && lease_set(sess.lease_gen + 1,
	    3600) &&
	    T_INTEQ(st->put(st->user, WA_STORE_SESSION, "88.1",
	    (const uint8_t *)"late", 4), -1) &&
	    T_INTEQ(st->put(st->user, WA_STORE_SENDER_KEY, "g@g.us\n9.9",
	    (const uint8_t *)"x", 1), -1) &&
	    T_INTEQ(st->del(st->user, WA_STORE_SESSION, "88.1", 0), -1) &&
	    T_INTEQ(st->del(st->user, WA_STORE_SESSION, "88.", 1), -1) &&
	    T_INTEQ(st->del(st->user, WA_STORE_PREKEY, "7", 0), -1) &&
	    T_INTEQ(st->put(st->user, WA_STORE_PREKEY, "99",
	    (const uint8_t *)"0123456789abcdef0123456789abcdef", 32), -1) &&
	    T_INTEQ(sess.fenced, 1) &&
	    T_INTEQ(count("SELECT count(*) FROM signal_store"), rows) &&
	    T_INTEQ(count("SELECT count(*) FROM account_prekeys_used"), used) &&
	    T_INTEQ(count("SELECT count(*) FROM account_prekeys WHERE "
	    "first_id = 99"), 0) &&
	    T_INTEQ(st->get(st->user, WA_STORE_SESSION, "88.1", &v, &vl), 1) &&
	    T_INTEQ(vl, 4) && T_MEMEQ(v, "mine", 4);
	free(v);
	v = NULL;
	/* Our own generation, but the lease ran out: refused too. */
	sess.fenced = 0;
	ok = ok && lease_set(sess.lease_gen, -1) &&
	    T_INTEQ(st->put(st->user, WA_STORE_SESSION, "88.1",
	    (const uint8_t *)"late", 4), -1) && T_INTEQ(sess.fenced, 1);
	/* Held again: writes go through. */
	sess.fenced = 0;
	ok = ok && lease_set(sess.lease_gen, 3600) &&
	    T_INTEQ(st->put(st->user, WA_STORE_SESSION, "88.1",
	    (const uint8_t *)"back", 4), 0) &&
	    T_INTEQ(st->get(st->user, WA_STORE_SESSION, "88.1", &v, &vl), 1) &&
	    T_INTEQ(vl, 4) && T_MEMEQ(v, "back", 4) &&
	    T_INTEQ(st->del(st->user, WA_STORE_SESSION, "88.1", 0), 1) &&
	    T_INTEQ(sess.fenced, 0);
	free(v);
	return ok;
}

/* creds_delete (logout, unpair, delete) takes every Signal row. */
static int
wipe_takes_everything(void)
{
	const char	*p[1];
	char		 sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, bob_id);
	p[0] = sid;
	return T_TRUE(count("SELECT count(*) FROM signal_store") > 0) &&
	    T_INTEQ(db_exec_cmd(d.db, DS_CREDS_DELETE, p), 0) &&
	    T_INTEQ(count("SELECT count(*) FROM signal_store"), 0) &&
	    T_INTEQ(count("SELECT count(*) FROM account_prekeys_used"), 0) &&
	    T_INTEQ(count("SELECT count(*) FROM account_prekeys"), 0);
}

int
main(int argc, char *argv[])
{
	static const struct t_case	 cases[] = {
		T_CASE(round_trip_over_postgres),
		T_CASE(rows_bound_to_their_key),
		T_CASE(detached_slot_refused),
		T_CASE(fenced_writes_refused),
		T_CASE(wipe_takes_everything),
	};
	PGresult			*r;
	int				 rc;

	if (argc != 4) {
		fprintf(stderr, "usage: t_sigstore CONNINFO KEYFILE ACCOUNT\n");
		return 2;
	}
	log_init("t_sigstore", LOG_LEVEL_WARN);
	if (sodium_init() == -1 ||
	    (d.db = db_open(argv[1], daemon_stmts, DS__MAX)) == NULL ||
	    creds_key_load(&d, argv[2]) == -1) {
		printf("FAIL sigstore-setup\n");
		return 1;
	}
	bob_id = strtoll(argv[3], NULL, 10);
	/* The daemon row and Bob's lease that the fenced writes need. */
	if ((r = PQexec(db_conn(d.db), "INSERT INTO daemon_instances "
	    "(hostname, pid) VALUES ('t_sigstore', 1) RETURNING id")) == NULL ||
	    PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		printf("FAIL sigstore-setup (daemon row: %s)\n",
		    PQerrorMessage(db_conn(d.db)));
		PQclear(r);
		return 1;
	}
	d.instance = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	sess.lease_gen = 7;
	if (!lease_set(sess.lease_gen, 3600)) {
		printf("FAIL sigstore-setup (lease)\n");
		return 1;
	}
	sess.d = &d;
	sess.id = bob_id;
	slot.s = &sess;
	sigstore_init(&slot.store, &slot);
	rc = t_run(cases, T_NCASES(cases));
	creds_key_free(&d);
	db_close(d.db);
	return rc;
}
