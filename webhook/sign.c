/*
 * The pure parts of the sender, unit-tested in tests/unit/t_hooksign.c:
 * the signature header, the retry policy and the request body.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "buf.h"
#include "hook.h"
#include "reason.h"
#include "xalloc.h"

/*
 * The X-Wadesk-Signature value for "body" ("len" bytes) sent at unix
 * time "t" (seconds): "t=<t>,v1=<hex>", where hex is HMAC-SHA256 with
 * the secret's bytes as key (the whole "whsec_..." string as shown to
 * the operator) over "<t>.<body>" (the scheme Stripe documents for
 * its Stripe-Signature header, which receivers already know how to
 * check).  Writes NUL-terminated text to "out".  Returns 0, or -1 for
 * a NULL or empty secret or a negative time.
 */
int
hook_sign(const char *secret, int64_t t, const char *body, size_t len,
    char out[HOOK_SIG_MAX])
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];
	char				 ts[24], hex[2 * sizeof(mac) + 1];
	int				 n;

	if (secret == NULL || *secret == '\0' || t < 0)
		return -1;
	n = snprintf(ts, sizeof(ts), "%" PRId64, t);
	if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret,
	    strlen(secret)) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts,
	    (unsigned long long)n) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".",
	    1) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body,
	    (unsigned long long)len) != 0 ||
	    crypto_auth_hmacsha256_final(&st, mac) != 0) {
		sodium_memzero(&st, sizeof(st));
		return -1;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, HOOK_SIG_MAX, "t=%s,v1=%s", ts, hex);
	return 0;
}

/*
 * The wait after attempt number "attempts" (1 for the first failure)
 * failed, in ms: base * 2^(attempts - 1), capped at max, then moved by
 * up to +-20 % ("rnd" uniform over uint32; max is at most a day,
 * so the product fits 64 bits) so that many deliveries
 * that failed together do not retry together.  Never below 1 ms.
 */
int64_t
hook_delay_ms(int attempts, const struct hook_policy *p, uint32_t rnd)
{
	int64_t	 d = p->base_ms;
	int	 i;

	for (i = 1; i < attempts && d < p->max_ms; i++)
		d *= 2;
	if (d > p->max_ms)
		d = p->max_ms;
	/* d * (0.8 + 0.4 * rnd / 2^32), in integers. */
	d = d * 4 / 5 + (int64_t)(((uint64_t)(d * 2 / 5) * rnd) >> 32);
	return d < 1 ? 1 : d;
}

/*
 * After attempt "attempts" of a delivery created "age_ms" ago failed:
 * 1 with "*delay_ms" set when it is tried again, 0 when it is dead.
 * It is retried until the window has passed, the last wait cut short
 * so that one attempt falls at the window's end.
 */
int
hook_next(int attempts, int64_t age_ms, const struct hook_policy *p,
    uint32_t rnd, int64_t *delay_ms)
{
	int64_t	 d;

	if (age_ms >= p->window_ms)
		return 0;
	d = hook_delay_ms(attempts, p, rnd);
	if (d > p->window_ms - age_ms)
		d = p->window_ms - age_ms;
	*delay_ms = d;
	return 1;
}

/*
 * The request body for an outbox row: {"id": event uuid, "type": kind,
 * "created_at": RFC 3339 with milliseconds, "account_id": n, "data":
 * payload}, where payload is the row's JSON object; when it has a
 * "reason" code, "reason_text" (lib/reason.c's sentence, the one the
 * pages show) is added.  The same row always gives the same bytes, so
 * a redelivery is identical but for its signature time.  Returns an
 * allocated string, or NULL if "payload" is not a JSON object.
 */
char *
hook_body(const char *event_id, const char *kind, const char *created_at,
    int64_t account_id, const char *payload)
{
	struct json_object	*o, *d, *rv;
	struct buf		 b;
	char			*s;

	if ((d = json_tokener_parse(payload)) == NULL)
		return NULL;
	if (!json_object_is_type(d, json_type_object)) {
		json_object_put(d);
		return NULL;
	}
	if (json_object_object_get_ex(d, "reason", &rv) &&
	    json_object_is_type(rv, json_type_string)) {
		buf_init(&b);
		reason_write(&b, json_object_get_string(rv), NULL);
		json_object_object_add(d, "reason_text",
		    json_object_new_string(buf_str(&b)));
		buf_free(&b);
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(event_id));
	json_object_object_add(o, "type", json_object_new_string(kind));
	json_object_object_add(o, "created_at",
	    json_object_new_string(created_at));
	json_object_object_add(o, "account_id",
	    json_object_new_int64(account_id));
	json_object_object_add(o, "data", d);
	s = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* The error sentence for an answer with HTTP status "status" (not 2xx). */
void
hook_status_error(long status, char out[HOOK_ERR_MAX])
{

	if (status >= 300 && status < 400)
		snprintf(out, HOOK_ERR_MAX, "The endpoint answered HTTP %ld, "
		    "a redirect, which is not followed: set the final URL.",
		    status);
	else
		snprintf(out, HOOK_ERR_MAX, "The endpoint answered HTTP %ld "
		    "instead of 2xx; the delivery is retried with back-off.",
		    status);
}
