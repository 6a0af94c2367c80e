/*
 * JID text forms and the wire form each takes (see jid.h).  Facts per
 * whatsmeow types/jid.go (servers, domain bytes, NewADJID, String) and
 * binary/encoder.go writeJID; Baileys src/WABinary/decode.ts for the
 * FB and interop text forms.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#include "jid.h"

/* Is [s, s + len) the string lit? */
static int
span_is(const char *s, size_t len, const char *lit)
{

	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/*
 * Parse [s, s + len) as a canonical decimal ("0" or no leading zero) no
 * larger than max.  Returns 1 and sets *v, or 0.
 */
static int
decimal(const char *s, size_t len, unsigned int max, unsigned int *v)
{
	unsigned long	 n = 0;
	size_t		 i;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (n > max)
		return 0;
	*v = (unsigned int)n;
	return 1;
}

/* The last occurrence of c in [s, s + len), or NULL. */
static const char *
span_rchr(const char *s, size_t len, int c)
{

	while (len > 0) {
		len--;
		if (s[len] == c)
			return s + len;
	}
	return NULL;
}

/* Domain byte of an AD_JID server, per whatsmeow ActualAgent(). */
static int
ad_domain(const char *server, size_t len, unsigned int *domain)
{

	if (span_is(server, len, WA_SERVER_USER))
		*domain = WA_DOMAIN_WHATSAPP;
	else if (span_is(server, len, WA_SERVER_LID))
		*domain = WA_DOMAIN_LID;
	else if (span_is(server, len, WA_SERVER_HOSTED))
		*domain = WA_DOMAIN_HOSTED;
	else if (span_is(server, len, WA_SERVER_HOSTED_LID))
		*domain = WA_DOMAIN_HOSTED_LID;
	else
		return 0;
	return 1;
}

/*
 * Try the structured reading of "user...@server" (AD, FB, interop);
 * fill *j and return 1, or 0 if the user part has no such shape.
 */
static int
parse_structured(const char *u, size_t ulen, struct wa_jid *j)
{
	const char	*colon, *dot, *dash;
	unsigned int	 domain, dev, v;

	colon = span_rchr(u, ulen, ':');
	if (span_is(j->server, j->server_len, WA_SERVER_MSGR)) {
		if (colon == NULL || colon == u ||
		    !decimal(colon + 1, ulen - (colon + 1 - u), 0xffff, &dev))
			return 0;
		j->kind = WA_JID_FB;
		j->user = u;
		j->user_len = colon - u;
		j->device = dev;
		return 1;
	}
	if (span_is(j->server, j->server_len, WA_SERVER_INTEROP)) {
		dash = memchr(u, '-', ulen);
		if (colon == NULL || dash == NULL || dash > colon ||
		    dash + 1 == colon ||
		    !decimal(u, dash - u, 0xffff, &v) ||
		    !decimal(colon + 1, ulen - (colon + 1 - u), 0xffff, &dev))
			return 0;
		j->kind = WA_JID_INTEROP;
		j->integrator = v;
		j->user = dash + 1;
		j->user_len = colon - (dash + 1);
		j->device = dev;
		return 1;
	}
	if (!ad_domain(j->server, j->server_len, &domain))
		return 0;
	j->kind = WA_JID_AD;
	j->domain = domain;
	j->device = 0;
	j->user = u;
	j->user_len = ulen;
	if (colon != NULL &&
	    decimal(colon + 1, ulen - (colon + 1 - u), 0xff, &dev)) {
		j->device = dev;
		j->user_len = colon - u;
		dot = span_rchr(u, colon - u, '.');
		if (domain == WA_DOMAIN_WHATSAPP && dot != NULL &&
		    decimal(dot + 1, colon - (dot + 1), 0xff, &v) &&
		    v != WA_DOMAIN_WHATSAPP && v != WA_DOMAIN_LID &&
		    v != WA_DOMAIN_HOSTED && v != WA_DOMAIN_HOSTED_LID) {
			j->domain = v;
			j->user_len = dot - u;
		}
	}
	if (j->user_len == 0)
		return 0;
	/* Device 0 on a phone or LID server is a plain pair (whatsmeow). */
	if ((domain == WA_DOMAIN_WHATSAPP || domain == WA_DOMAIN_LID) &&
	    j->device == 0 && j->domain == domain)
		return 0;
	return 1;
}

int
wa_jid_parse(const char *s, struct wa_jid *out)
{
	const char	*at;
	struct buf	 b;
	int		 ok;

	memset(out, 0, sizeof(*out));
	if ((at = strchr(s, '@')) == NULL || strchr(at + 1, '@') != NULL ||
	    at[1] == '\0')
		return 0;
	out->server = at + 1;
	out->server_len = strlen(at + 1);
	if (!parse_structured(s, at - s, out)) {
		memset(out, 0, sizeof(*out));
		out->kind = WA_JID_PAIR;
		out->user = s;
		out->user_len = at - s;
		out->server = at + 1;
		out->server_len = strlen(at + 1);
	}

	/* Canonical only if formatting gives s back byte for byte. */
	buf_init(&b);
	wa_jid_format(out, &b);
	ok = strcmp(buf_str(&b), s) == 0;
	buf_free(&b);
	if (ok || out->kind == WA_JID_PAIR)
		return ok;
	memset(out, 0, sizeof(*out));
	out->kind = WA_JID_PAIR;
	out->user = s;
	out->user_len = at - s;
	out->server = at + 1;
	out->server_len = strlen(at + 1);
	return 1;
}

void
wa_jid_format(const struct wa_jid *j, struct buf *out)
{

	switch (j->kind) {
	case WA_JID_AD:
		buf_append(out, j->user, j->user_len);
		if (j->domain != WA_DOMAIN_WHATSAPP &&
		    j->domain != WA_DOMAIN_LID &&
		    j->domain != WA_DOMAIN_HOSTED &&
		    j->domain != WA_DOMAIN_HOSTED_LID)
			buf_printf(out, ".%u:%u", j->domain, j->device);
		else if (j->device > 0)
			buf_printf(out, ":%u", j->device);
		break;
	case WA_JID_FB:
		buf_append(out, j->user, j->user_len);
		buf_printf(out, ":%u", j->device);
		break;
	case WA_JID_INTEROP:
		buf_printf(out, "%u-", j->integrator);
		buf_append(out, j->user, j->user_len);
		buf_printf(out, ":%u", j->device);
		break;
	case WA_JID_PAIR:
	default:
		buf_append(out, j->user, j->user_len);
		break;
	}
	buf_putc(out, '@');
	buf_append(out, j->server, j->server_len);
}

char *
wa_jid_string(const struct wa_jid *j)
{
	struct buf	 b;
	char		*s;

	buf_init(&b);
	wa_jid_format(j, &b);
	s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

char *
wa_jid_to_non_ad(const char *s)
{
	struct wa_jid	 j;

	if (!wa_jid_parse(s, &j))
		return NULL;
	switch (j.kind) {
	case WA_JID_AD:
		j.device = 0;
		if (!ad_domain(j.server, j.server_len, &j.domain))
			j.domain = WA_DOMAIN_WHATSAPP;
		break;
	case WA_JID_FB:
	case WA_JID_INTEROP:
		j.device = 0;
		break;
	default:
		break;
	}
	return wa_jid_string(&j);
}
