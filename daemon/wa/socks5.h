/*
 * socks5.h: the SOCKS5 client's wire format (RFC 1928) and its
 * user/password sub-negotiation (RFC 1929), pure: building the three
 * requests and parsing the three replies, bounds-checked, no I/O and
 * no allocation.  The I/O around it is daemon/wa/tunnel.c.
 *
 * Each parser takes the bytes received so far and returns the length
 * of the complete reply (> 0), 0 when more bytes are needed, or -1
 * when the bytes cannot be a valid reply (then "*why" is a sentence
 * fragment for the operator that follows "the SOCKS5 proxy HOST:PORT",
 * static).
 */
#ifndef WADESK_WA_SOCKS5_H
#define WADESK_WA_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

#define	SOCKS5_VERSION		0x05	/* RFC 1928 section 3 */
#define	SOCKS5_AUTH_VERSION	0x01	/* RFC 1929 section 2 */
#define	SOCKS5_METHOD_NONE	0x00	/* no authentication */
#define	SOCKS5_METHOD_USERPASS	0x02	/* RFC 1929 */
#define	SOCKS5_METHOD_REFUSED	0xff	/* no acceptable method */
#define	SOCKS5_CMD_CONNECT	0x01	/* RFC 1928 section 4 */
#define	SOCKS5_ATYP_IPV4	0x01
#define	SOCKS5_ATYP_DOMAIN	0x03
#define	SOCKS5_ATYP_IPV6	0x04

#define	SOCKS5_GREETING_MAX	4	/* VER NMETHODS METHODS (1 or 2) */
#define	SOCKS5_AUTH_MAX		(3 + 255 + 255)	/* VER ULEN U PLEN P */
#define	SOCKS5_CONNECT_MAX	(4 + 1 + 255 + 2) /* VER CMD RSV ATYP A P */
#define	SOCKS5_REPLY_MAX	(4 + 1 + 255 + 2) /* the longest reply */

/* The proxy's answer to a CONNECT (RFC 1928 section 6). */
struct	socks5_reply {
	uint8_t		 rep;	/* REP: 0 succeeded, else the refusal */
	uint8_t		 atyp;	/* the bound address' type */
	uint16_t	 port;	/* BND.PORT, host order */
};

size_t		 socks5_greeting(uint8_t out[SOCKS5_GREETING_MAX],
		    int with_auth);
int		 socks5_method_parse(const uint8_t *in, size_t len,
		    int offered_auth, uint8_t *method, const char **why);
int		 socks5_auth_request(const char *user, const char *pass,
		    uint8_t out[SOCKS5_AUTH_MAX], size_t *len);
int		 socks5_auth_parse(const uint8_t *in, size_t len,
		    int *accepted, const char **why);
int		 socks5_connect_request(const char *host, int port,
		    uint8_t out[SOCKS5_CONNECT_MAX], size_t *len);
int		 socks5_reply_parse(const uint8_t *in, size_t len,
		    struct socks5_reply *r, const char **why);
const char	*socks5_rep_words(uint8_t rep);

#endif /* !WADESK_WA_SOCKS5_H */
