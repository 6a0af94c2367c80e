/*
 * The SOCKS5 wire format; see socks5.h.  Facts from RFC 1928 (the
 * greeting, section 3; the request, section 4; addressing, section 5;
 * the reply and its codes, section 6) and RFC 1929 (user/password,
 * section 2).  Every length byte from the proxy is checked against what
 * it may hold before anything is read past it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include "socks5.h"

/*
 * Write the greeting (RFC 1928 section 3) into "out": "no
 * authentication" always, and user/password too when "with_auth".
 * Returns its length (3 or 4).
 */
size_t
socks5_greeting(uint8_t out[SOCKS5_GREETING_MAX], int with_auth)
{

	out[0] = SOCKS5_VERSION;
	out[1] = with_auth ? 2 : 1;
	out[2] = SOCKS5_METHOD_NONE;
	if (!with_auth)
		return 3;
	out[3] = SOCKS5_METHOD_USERPASS;
	return 4;
}

/*
 * Parse the method selection (VER METHOD, RFC 1928 section 3).
 * "offered_auth": the greeting offered user/password.  Sets "*method"
 * to the chosen method (SOCKS5_METHOD_NONE or, if offered,
 * SOCKS5_METHOD_USERPASS).  Returns 2, 0 (more bytes needed) or -1 with
 * "*why": not a SOCKS5 answer, no acceptable method (0xff), or a
 * method we did not offer.
 */
int
socks5_method_parse(const uint8_t *in, size_t len, int offered_auth,
    uint8_t *method, const char **why)
{

	*why = NULL;
	if (len < 2)
		return 0;
	if (in[0] != SOCKS5_VERSION) {
		*why = "does not speak SOCKS5 (bad version in its answer "
		    "to the greeting)";
		return -1;
	}
	if (in[1] == SOCKS5_METHOD_REFUSED) {
		*why = "accepts none of the offered authentication methods";
		return -1;
	}
	if (in[1] != SOCKS5_METHOD_NONE &&
	    !(offered_auth && in[1] == SOCKS5_METHOD_USERPASS)) {
		*why = "chose an authentication method that was not "
		    "offered";
		return -1;
	}
	*method = in[1];
	return 2;
}

/*
 * Write the user/password request (VER ULEN UNAME PLEN PASSWD, RFC
 * 1929 section 2) into "out", its length into "*len".  The user has 1
 * to 255 bytes, the password 0 to 255: RFC 1929 asks for at least one,
 * but a proxy URL may name a user alone, and servers take an empty
 * password for it.  Returns 0, or -1 when the user is empty or a part
 * is too long (nothing useful is left in "out").  The caller wipes "out" after use:
 * it holds the password.
 */
int
socks5_auth_request(const char *user, const char *pass,
    uint8_t out[SOCKS5_AUTH_MAX], size_t *len)
{
	size_t	 ul, pl;

	ul = strlen(user);
	pl = strlen(pass);
	if (ul == 0 || ul > 255 || pl > 255)
		return -1;
	out[0] = SOCKS5_AUTH_VERSION;
	out[1] = (uint8_t)ul;
	memcpy(out + 2, user, ul);
	out[2 + ul] = (uint8_t)pl;
	memcpy(out + 3 + ul, pass, pl);
	*len = 3 + ul + pl;
	return 0;
}

/*
 * Parse the user/password answer (VER STATUS, RFC 1929 section 2;
 * STATUS 0 is success, anything else a refusal).  Sets "*accepted".
 * Returns 2, 0 (more needed) or -1 with "*why" (not a sub-negotiation
 * answer).
 */
int
socks5_auth_parse(const uint8_t *in, size_t len, int *accepted,
    const char **why)
{

	*why = NULL;
	if (len < 2)
		return 0;
	if (in[0] != SOCKS5_AUTH_VERSION) {
		*why = "answered the user name and password malformed "
		    "(bad version)";
		return -1;
	}
	*accepted = in[1] == 0;
	return 2;
}

/*
 * Write a CONNECT request (RFC 1928 section 4) for "host" (an IPv4 or
 * IPv6 literal, sent as ATYP 1 or 4, or a name of 1 to 255 bytes, sent
 * as ATYP 3 for the proxy to resolve: this side looks nothing up) and
 * "port" (1..65535) into "out", its length into "*len".  Returns 0, or
 * -1 for a bad host or port.
 */
int
socks5_connect_request(const char *host, int port,
    uint8_t out[SOCKS5_CONNECT_MAX], size_t *len)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 hl, n;

	if (port < 1 || port > 65535 || host == NULL)
		return -1;
	hl = strlen(host);
	out[0] = SOCKS5_VERSION;
	out[1] = SOCKS5_CMD_CONNECT;
	out[2] = 0x00;		/* RSV */
	if (inet_pton(AF_INET, host, &a4) == 1) {
		out[3] = SOCKS5_ATYP_IPV4;
		memcpy(out + 4, &a4, 4);
		n = 8;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		out[3] = SOCKS5_ATYP_IPV6;
		memcpy(out + 4, &a6, 16);
		n = 20;
	} else {
		if (hl == 0 || hl > 255)
			return -1;
		out[3] = SOCKS5_ATYP_DOMAIN;
		out[4] = (uint8_t)hl;
		memcpy(out + 5, host, hl);
		n = 5 + hl;
	}
	out[n] = (uint8_t)(port >> 8);		/* network order */
	out[n + 1] = (uint8_t)(port & 0xff);
	*len = n + 2;
	return 0;
}

/*
 * Parse the reply to a CONNECT (VER REP RSV ATYP BND.ADDR BND.PORT,
 * RFC 1928 section 6; the address as in section 5).  Fills "*r" and
 * returns the reply's length (10, 22, or 7 + the name's length), 0 when
 * more bytes are needed, or -1 with "*why" for a bad version, a
 * reserved byte that is not 0, an unknown address type or an empty
 * name.  A refusal (REP != 0) is a well-formed reply: r->rep says it.
 */
int
socks5_reply_parse(const uint8_t *in, size_t len, struct socks5_reply *r,
    const char **why)
{
	size_t	 need;

	*why = NULL;
	if (len >= 1 && in[0] != SOCKS5_VERSION) {
		*why = "sent a malformed reply to the CONNECT (bad "
		    "version)";
		return -1;
	}
	if (len >= 3 && in[2] != 0x00) {
		*why = "sent a malformed reply to the CONNECT "
		    "(reserved byte not zero)";
		return -1;
	}
	if (len < 4)
		return 0;
	switch (in[3]) {
	case SOCKS5_ATYP_IPV4:
		need = 4 + 4 + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		need = 4 + 16 + 2;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return 0;
		if (in[4] == 0) {
			*why = "sent a malformed reply to the "
			    "CONNECT (empty bound name)";
			return -1;
		}
		need = 4 + 1 + (size_t)in[4] + 2;
		break;
	default:
		*why = "sent a malformed reply to the CONNECT "
		    "(unknown address type)";
		return -1;
	}
	if (len < need)
		return 0;
	r->rep = in[1];
	r->atyp = in[3];
	r->port = (uint16_t)((in[need - 2] << 8) | in[need - 1]);
	return (int)need;
}

/* The words for a reply code (RFC 1928 section 6), static. */
const char *
socks5_rep_words(uint8_t rep)
{

	switch (rep) {
	case 0x00:
		return "succeeded";
	case 0x01:
		return "general SOCKS server failure";
	case 0x02:
		return "connection not allowed by ruleset";
	case 0x03:
		return "network unreachable";
	case 0x04:
		return "host unreachable";
	case 0x05:
		return "connection refused";
	case 0x06:
		return "TTL expired";
	case 0x07:
		return "command not supported";
	case 0x08:
		return "address type not supported";
	default:
		return "unassigned reply code";
	}
}
