/*
 * webhook/sign.c and webhook/seal.c: the X-Wadesk-Signature value
 * (checked against RFC 4231's HMAC-SHA256 vector and one computed
 * with Node's crypto.createHmac, an implementation we do not share),
 * the retry policy, the request body and sealed secrets.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "hook.h"
#include "t.h"

/*
 * RFC 4231 test case 2 (key "Jefe", data "what do ya want for
 * nothing?") through the same libsodium calls hook_sign() makes: the
 * primitive is the standard one.
 */
static int
hmac_rfc4231(void)
{
	unsigned char	 mac[crypto_auth_hmacsha256_BYTES];
	char		 hex[65];
	const char	*data = "what do ya want for nothing?";
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)"Jefe", 4);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)data,
	    strlen(data));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	return T_STREQ(hex, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

/* node -e 'crypto.createHmac("sha256","whsec_test")
 *     .update("1700000000.{\"a\":1}").digest("hex")' */
static int
signature_matches_node(void)
{
	char	 sig[HOOK_SIG_MAX];

	if (hook_sign("whsec_test", 1700000000, "{\"a\":1}", 7, sig) != 0)
		return 0;
	return T_STREQ(sig, "t=1700000000,v1=38877139021993b830af32feea6e18a8"
	    "da83eb2f6e49ee50bd9e4cf4ca4d3789");
}

static int
signature_depends_on_everything(void)
{
	char	 a[HOOK_SIG_MAX], b[HOOK_SIG_MAX], c[HOOK_SIG_MAX],
		 d[HOOK_SIG_MAX];

	return hook_sign("whsec_x", 10, "body", 4, a) == 0 &&
	    hook_sign("whsec_y", 10, "body", 4, b) == 0 &&
	    hook_sign("whsec_x", 11, "body", 4, c) == 0 &&
	    hook_sign("whsec_x", 10, "bodY", 4, d) == 0 &&
	    T_TRUE(strcmp(a + 5, b + 5) != 0) &&
	    T_TRUE(strcmp(a + 5, c + 5) != 0) &&
	    T_TRUE(strcmp(a, d) != 0) &&
	    T_TRUE(strncmp(a, "t=10,v1=", 8) == 0 && strlen(a) == 8 + 64);
}

static int
signature_refuses_bad_input(void)
{
	char	 s[HOOK_SIG_MAX];

	return T_INTEQ(hook_sign(NULL, 1, "x", 1, s), -1) &&
	    T_INTEQ(hook_sign("", 1, "x", 1, s), -1) &&
	    T_INTEQ(hook_sign("whsec_a", -1, "x", 1, s), -1) &&
	    /* The largest time still fits the buffer. */
	    T_INTEQ(hook_sign("whsec_a", INT64_MAX, "", 0, s), 0) &&
	    T_INTEQ((long long)strlen(s), 2 + 19 + 4 + 64);
}

static int
backoff_doubles_capped_jittered(void)
{
	struct hook_policy	 p = { 1000, 60000, 86400000 };

	/* rnd 2^31 is the middle: exactly base * 2^(n-1). */
	return T_INTEQ(hook_delay_ms(1, &p, 1u << 31), 1000) &&
	    T_INTEQ(hook_delay_ms(2, &p, 1u << 31), 2000) &&
	    T_INTEQ(hook_delay_ms(6, &p, 1u << 31), 32000) &&
	    T_INTEQ(hook_delay_ms(7, &p, 1u << 31), 60000) &&
	    T_INTEQ(hook_delay_ms(1000, &p, 1u << 31), 60000) &&
	    /* +-20 %. */
	    T_INTEQ(hook_delay_ms(1, &p, 0), 800) &&
	    T_TRUE(hook_delay_ms(1, &p, UINT32_MAX) >= 1199 &&
	    hook_delay_ms(1, &p, UINT32_MAX) <= 1200) &&
	    T_INTEQ(hook_delay_ms(7, &p, 0), 48000);
}

static int
backoff_never_zero(void)
{
	struct hook_policy	 p = { 1, 1, 1000 };

	return T_INTEQ(hook_delay_ms(1, &p, 0), 1);
}

static int
window_then_dead(void)
{
	struct hook_policy	 p = { 1000, 3600000, 86400000 };
	int64_t			 d = -1;

	/* Early: the plain back-off. */
	if (!T_INTEQ(hook_next(1, 5000, &p, 1u << 31, &d), 1) ||
	    !T_INTEQ(d, 1000))
		return 0;
	/* Near the end: cut to land on the window's end. */
	if (!T_INTEQ(hook_next(20, 86400000 - 500, &p, 1u << 31, &d), 1) ||
	    !T_INTEQ(d, 500))
		return 0;
	/* At or past the end: dead. */
	return T_INTEQ(hook_next(21, 86400000, &p, 0, &d), 0) &&
	    T_INTEQ(hook_next(2, 90000000, &p, 0, &d), 0);
}

/* A whole day of retries at the defaults: about 30 attempts. */
static int
a_day_of_attempts(void)
{
	struct hook_policy	 p = { 10000, 3600000, 86400000 };
	int64_t			 age = 0, d;
	int			 n = 1;

	while (hook_next(n, age, &p, 1u << 31, &d)) {
		age += d;
		n++;
	}
	return T_TRUE(n >= 25 && n <= 35) && T_INTEQ(age, 86400000);
}

static int
body_shape(void)
{
	char	*b;
	int	 ok;

	b = hook_body("0b6c0e7e-0000-4000-8000-000000000001",
	    "account.status", "2026-12-03T06:00:00.123Z", 42,
	    "{\"to\": \"logged_out\", \"reason\": \"logged_out_from_phone\"}");
	ok = T_TRUE(b != NULL) && T_STREQ(b,
	    "{\"id\":\"0b6c0e7e-0000-4000-8000-000000000001\","
	    "\"type\":\"account.status\","
	    "\"created_at\":\"2026-12-03T06:00:00.123Z\",\"account_id\":42,"
	    "\"data\":{\"to\":\"logged_out\","
	    "\"reason\":\"logged_out_from_phone\",\"reason_text\":"
	    "\"The phone removed this linked device, or WhatsApp logged it "
	    "out. Press Pair and scan the new QR code to link it again.\"}}");
	free(b);
	return ok;
}

static int
body_without_reason_and_bad_payload(void)
{
	char	*b;
	int	 ok;

	b = hook_body("e", "account.qr", "t", 1, "{\"reason\": null, "
	    "\"url\": \"http://x/y\"}");
	ok = T_STREQ(b, "{\"id\":\"e\",\"type\":\"account.qr\","
	    "\"created_at\":\"t\",\"account_id\":1,\"data\":{\"reason\":null,"
	    "\"url\":\"http://x/y\"}}");
	free(b);
	return ok && T_TRUE(hook_body("e", "k", "t", 1, "[1]") == NULL) &&
	    T_TRUE(hook_body("e", "k", "t", 1, "{") == NULL);
}

/* Write "n" bytes of "key" to a fresh file with mode "mode". */
static char *
key_file(const unsigned char *key, size_t n, int mode)
{
	static char	 path[64];
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/t_hooksign.%d.key", (int)getpid());
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1)
		return NULL;
	if (write(fd, key, n) != (ssize_t)n) {
		close(fd);
		return NULL;
	}
	close(fd);
	return path;
}

/* Sealed as cgi/page_webhooks.c seals, opened as the sender opens. */
static int
seal_round_trip(void)
{
	unsigned char	 raw[32], sk[32], pk[32], pk2[32];
	unsigned char	 sealed[crypto_box_SEALBYTES + 64];
	const char	*secret = "whsec_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
	char		 out[HOOK_SECRET_MAX], *path;
	size_t		 n = strlen(secret);
	int		 ok;

	randombytes_buf(raw, sizeof(raw));
	if ((path = key_file(raw, sizeof(raw), 0600)) == NULL ||
	    hook_key_load(path, sk, pk) != 0)
		return 0;
	crypto_scalarmult_base(pk2, raw);
	crypto_box_seal(sealed, (const unsigned char *)secret, n, pk);
	ok = T_MEMEQ(pk, pk2, 32) && T_MEMEQ(sk, raw, 32) &&
	    T_INTEQ(hook_secret_open(sk, pk, sealed, n + crypto_box_SEALBYTES,
	    out), 0) && T_STREQ(out, secret);
	/* Tampered, truncated, or sealed to another key: refused. */
	sealed[crypto_box_SEALBYTES + 3] ^= 1;
	ok = ok && T_INTEQ(hook_secret_open(sk, pk, sealed,
	    n + crypto_box_SEALBYTES, out), -1) && T_STREQ(out, "");
	ok = ok && T_INTEQ(hook_secret_open(sk, pk, sealed, 10, out), -1);
	crypto_box_keypair(pk2, raw);
	crypto_box_seal(sealed, (const unsigned char *)secret, n, pk2);
	ok = ok && T_INTEQ(hook_secret_open(sk, pk, sealed,
	    n + crypto_box_SEALBYTES, out), -1);
	/* Not a secret's shape (no prefix): refused even though it opens. */
	crypto_box_seal(sealed, (const unsigned char *)"plain", 5, pk);
	ok = ok && T_INTEQ(hook_secret_open(sk, pk, sealed,
	    5 + crypto_box_SEALBYTES, out), -1);
	unlink(path);
	return ok;
}

static int
key_file_rules(void)
{
	unsigned char	 raw[33], sk[32], pk[32];
	char		*path;
	int		 ok;

	memset(raw, 7, sizeof(raw));
	/* Readable by others: refused. */
	ok = (path = key_file(raw, 32, 0644)) != NULL &&
	    T_INTEQ(hook_key_load(path, sk, pk), -1);
	/* The wrong size: refused. */
	ok = ok && (path = key_file(raw, 33, 0600)) != NULL &&
	    T_INTEQ(hook_key_load(path, sk, pk), -1);
	ok = ok && (path = key_file(raw, 31, 0600)) != NULL &&
	    T_INTEQ(hook_key_load(path, sk, pk), -1);
	if (path != NULL)
		unlink(path);
	return ok && T_INTEQ(hook_key_load("/nonexistent/key", sk, pk), -1);
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(hmac_rfc4231),
		T_CASE(signature_matches_node),
		T_CASE(signature_depends_on_everything),
		T_CASE(signature_refuses_bad_input),
		T_CASE(backoff_doubles_capped_jittered),
		T_CASE(backoff_never_zero),
		T_CASE(window_then_dead),
		T_CASE(a_day_of_attempts),
		T_CASE(body_shape),
		T_CASE(body_without_reason_and_bad_payload),
		T_CASE(seal_round_trip),
		T_CASE(key_file_rules),
	};

	if (sodium_init() < 0)
		return 1;
	return t_run(cases, T_NCASES(cases));
}
