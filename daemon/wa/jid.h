/*
 * WhatsApp JIDs as text, and the wire form the binary codec picks for
 * them.  Spec: wa-md-protocol.md 5.6; facts per whatsmeow types/jid.go
 * (servers, domain bytes, String/ParseJID) and binary/encoder.go
 * writeJID, Baileys src/WABinary/jid-utils.ts and decode.ts.
 *
 * Canonical text forms (what wa_jid_format() writes and the binary
 * decoder produces):
 *
 *	"user@server"			JID_PAIR
 *	"@server"			JID_PAIR with empty user, e.g. the
 *					server JID "@s.whatsapp.net" (Baileys'
 *					text form; whatsmeow prints the bare
 *					server)
 *	"user:D@s.whatsapp.net"		AD_JID, device D 1..255
 *	"user:D@lid"			AD_JID, domain 1
 *	"user[:D]@hosted", "user[:D]@hosted.lid"
 *					AD_JID (domain 128 / 129), written
 *					as AD_JID even for device 0
 *	"user.A:D@s.whatsapp.net"	AD_JID with a legacy agent A in the
 *					domain byte (A not 0, 1, 128, 129;
 *					D always shown, may be 0), whatsmeow
 *					JID.String form
 *	"user:D@msgr"			FB_JID, D 0..65535 always shown
 *					(Baileys decode form)
 *	"I-user:D@interop"		INTEROP_JID, integrator I and device
 *					D 0..65535 always shown (Baileys
 *					decode form; whatsmeow's String drops
 *					the integrator)
 *
 * Numbers are plain decimal without leading zeros.  Users of AD, FB and
 * interop JIDs are non-empty.  A device of 0 on s.whatsapp.net or lid
 * is written as a JID_PAIR (whatsmeow; Baileys writes AD_JID when the
 * text has ":0", which is not canonical here).
 */
#ifndef WADESK_WA_JID_H
#define WADESK_WA_JID_H

#include <stddef.h>

struct buf;

#define	WA_SERVER_USER		"s.whatsapp.net"
#define	WA_SERVER_LID		"lid"
#define	WA_SERVER_GROUP		"g.us"
#define	WA_SERVER_LEGACY_USER	"c.us"
#define	WA_SERVER_BROADCAST	"broadcast"
#define	WA_SERVER_NEWSLETTER	"newsletter"
#define	WA_SERVER_HOSTED	"hosted"
#define	WA_SERVER_HOSTED_LID	"hosted.lid"
#define	WA_SERVER_MSGR		"msgr"
#define	WA_SERVER_INTEROP	"interop"
#define	WA_SERVER_BOT		"bot"

/* AD_JID domain bytes, whatsmeow types/jid.go. */
#define	WA_DOMAIN_WHATSAPP	0
#define	WA_DOMAIN_LID		1
#define	WA_DOMAIN_HOSTED	128
#define	WA_DOMAIN_HOSTED_LID	129

enum	wa_jid_kind {
	WA_JID_PAIR,		/* tag 250 */
	WA_JID_AD,		/* tag 247 */
	WA_JID_FB,		/* tag 246 */
	WA_JID_INTEROP,		/* tag 245 */
	WA_JID__MAX
};

/*
 * A parsed JID.  user and server point into the parsed text (or are set
 * by the caller before wa_jid_format()); they are not NUL-terminated at
 * their lengths.
 */
struct	wa_jid {
	enum wa_jid_kind  kind;		/* wire form */
	const char	 *user;		/* borrowed; PAIR: may be empty */
	size_t		  user_len;
	const char	 *server;	/* borrowed, non-empty, no '@' */
	size_t		  server_len;
	unsigned int	  domain;	/* AD: domain/agent byte 0..255 */
	unsigned int	  device;	/* AD 0..255, else 0..65535 */
	unsigned int	  integrator;	/* INTEROP 0..65535 */
};

/*
 * Parse the C string s as the canonical text of a JID and fill *out
 * (pointers borrowed from s).  Returns 1 if s is canonical (formatting
 * *out gives s back exactly), 0 if it is not a JID in canonical form
 * (then *out is unspecified); never fails otherwise.
 */
int		 wa_jid_parse(const char *s, struct wa_jid *out);

/* Append the canonical text of j to out. */
void		 wa_jid_format(const struct wa_jid *j, struct buf *out);

/*
 * Copy the canonical text of j into a new string (caller frees).
 */
char		*wa_jid_string(const struct wa_jid *j);

/*
 * The user JID without agent or device ("user@server"), allocated
 * (caller frees), or NULL if s is not a canonical JID.  For an interop
 * JID the integrator is kept ("I-user:0@interop").  Whatsmeow ToNonAD.
 */
char		*wa_jid_to_non_ad(const char *s);

#endif /* !WADESK_WA_JID_H */
