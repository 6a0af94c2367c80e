/*
 * libFuzzer target for the template engine (cgi/tmpl.c) with hostile
 * values.  The input is
 *
 *	mode(1) choice-seed(4) rest
 *
 * Modes 0 and 1 render a real template (templates/, loaded at start;
 * "mode" picks which) with every placeholder filled from "rest", split
 * on 0xFF into values; the writer of each placeholder (tmpl_text,
 * tmpl_textf, tmpl_url, a nested partial, or a missing value) follows
 * the seed.  Mode 2 compiles "rest" as a template source, which must
 * fail cleanly or render like any other.  Properties:
 * - a value never adds a '<', '>', '"' or '\'' to the output: the same
 *   render with empty values has exactly as many (the template's own);
 * - every value comes back exactly: text unescapes to it (so each '&'
 *   it adds starts an entity), a URL value percent-decodes to it and
 *   holds only [A-Za-z0-9-._~%];
 * - every placeholder a template compiles with lands where escaping
 *   makes a value inert, as an independent reading of the rendered
 *   HTML (oracle(), after the WHATWG tokenizer) sees it: in text, or
 *   in a quoted value of an attribute that is not on*, style or srcdoc,
 *   and not at the start of a URL attribute.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "web_fuzz.h"

#define	NVALS		8
#define	SCRATCH		(TMPL__MAX - 1)	/* slot for sources under test */

struct	fill {
	const char	*vals[NVALS];
	size_t		 nvals;
	uint32_t	 seed;
	int		 empty;		/* write "" instead of each value */
	int		 partials;	/* nested renders so far */
	int		 force;		/* 1 tmpl_text, 2 tmpl_url, 0 seed */
};

static int	fill_key(struct tout *, enum tkey, void *);

static int
fill_key(struct tout *o, enum tkey key, void *arg)
{
	struct fill	*f = arg;
	const char	*v = f->empty ? "" : f->vals[key % f->nvals];
	uint32_t	 c = wf_next(&f->seed) % 16;

	if (f->force != 0)
		c = f->force == 1 ? 0 : 10;
	if (c < 8)
		tmpl_text(o, v);
	else if (c < 10)
		tmpl_textf(o, "%s", v);
	else if (c < 12)
		tmpl_url(o, v);
	else if (c < 15) {
		/* A bounded number: the depth cap stops loops, not fan-out. */
		if (f->partials++ >= 16)
			return 0;
		return tmpl_partial(o, (enum tmplid)(wf_next(&f->seed) %
		    SCRATCH), fill_key, f);
	} else
		return -1;
	return 0;
}

/* Count '<' '>' '"' '\''. */
static void
count_special(const char *s, size_t n[4])
{

	memset(n, 0, 4 * sizeof(n[0]));
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': n[0]++; break;
		case '>': n[1]++; break;
		case '"': n[2]++; break;
		case '\'': n[3]++; break;
		}
	}
}

/* Render "id" with "f"'s values and with empty ones; compare. */
static void
check_render(enum tmplid id, struct fill *f)
{
	struct buf	 hostile, plain;
	struct fill	 g = *f;
	size_t		 nh[4], np[4];
	int		 rh, rp;

	buf_init(&hostile);
	buf_init(&plain);
	rh = tmpl_render(&hostile, id, fill_key, f);
	g.empty = 1;
	rp = tmpl_render(&plain, id, fill_key, &g);
	WF_ASSERT(rh == rp);
	count_special(buf_str(&hostile), nh);
	count_special(buf_str(&plain), np);
	WF_ASSERT(memcmp(nh, np, sizeof(nh)) == 0);
	buf_free(&hostile);
	buf_free(&plain);
}

static int
hexval(int c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Each value through tmpl_text and tmpl_url alone, decoded back. */
static void
check_exact(const char *v)
{
	static const char *const ents[][2] = { { "&amp;", "&" },
	    { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
	    { "&#39;", "'" } };
	struct fill	 f;
	struct buf	 out, dec;
	const char	*s;
	size_t		 i;
	int		 hi, lo;

	memset(&f, 0, sizeof(f));
	f.vals[0] = v;
	f.nvals = 1;
	WF_ASSERT(tmpl_compile(SCRATCH, "<p title=\"@@value@@\">") == 0);
	buf_init(&out);
	buf_init(&dec);
	f.force = 1;
	WF_ASSERT(tmpl_render(&out, SCRATCH, fill_key, &f) == 0);
	s = buf_str(&out) + strlen("<p title=\"");
	for (; *s != '"'; ) {
		WF_ASSERT(*s != '\0');
		if (*s != '&') {
			buf_putc(&dec, *s++);
			continue;
		}
		for (i = 0; i < 5; i++)
			if (strncmp(s, ents[i][0], strlen(ents[i][0])) == 0)
				break;
		WF_ASSERT(i < 5);
		buf_puts(&dec, ents[i][1]);
		s += strlen(ents[i][0]);
	}
	WF_ASSERT(strcmp(buf_str(&dec), v) == 0);

	WF_ASSERT(tmpl_compile(SCRATCH, "<a href=\"/x?q=@@value@@\">") == 0);
	buf_reset(&out);
	buf_reset(&dec);
	f.force = 2;
	WF_ASSERT(tmpl_render(&out, SCRATCH, fill_key, &f) == 0);
	s = buf_str(&out) + strlen("<a href=\"/x?q=");
	WF_ASSERT(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~%") == strlen(s) - 2);
	for (; *s != '"'; s++) {
		if (*s != '%') {
			buf_putc(&dec, *s);
			continue;
		}
		WF_ASSERT((hi = hexval(s[1])) != -1 &&
		    (lo = hexval(s[2])) != -1);
		buf_putc(&dec, hi << 4 | lo);
		s += 2;
	}
	WF_ASSERT(strcmp(buf_str(&dec), v) == 0);
	buf_free(&out);
	buf_free(&dec);
}

/*
 * An independent reading of rendered HTML, after the WHATWG
 * tokenizer's states (data, tag open, tag and attribute names, quoted
 * and unquoted values, comments, bogus comments, the text-only
 * elements' RCDATA/RAWTEXT/script data), simplified where it cannot
 * matter here.  Returns NULL if every
 * MARK byte in "s" sits where an escaped value is inert (element text,
 * a comment, the content of a text-only element other than script and
 * style, or a quoted value of an attribute that is not
 * an event handler, style or srcdoc and not at the start of a URL
 * attribute), else the name of the place found.
 */
#define	MARK	'\x01'

static int
html_space(int c)
{

	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int
html_alpha(int c)
{

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *
oracle(const char *s, const char **where)
{
	static const char *const urls[] = { "href", "src", "action",
	    "formaction", "content", "srcset", "data", "poster", "cite",
	    "background", "ping", "xlink:href", "manifest", "icon",
	    "longdesc", "usemap", "codebase", "archive" };
	enum { DATA, TAGNAME, BEFORE_ATTR, ATTRNAME, AFTER_ATTR,
	    BEFORE_VAL, VAL_DQ, VAL_SQ, VAL_UNQ, COMMENT, BOGUS, RAW,
	    POISON } st = DATA;
	/* Text-only elements; the first two hold code. */
	static const char *const raws[] = { "script", "style", "textarea",
	    "title", "xmp", "iframe", "noembed", "noframes", "noscript",
	    "plaintext" };
	char	 tag[16] = "", attr[16] = "";
	size_t	 tl = 0, al = 0, vl = 0, i, n;
	int	 c, bad_attr = 0, is_end = 0, raw_code = 0;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == MARK) {
			*where = s;
			/*
			 * Text and comments: an escaped value
			 * holds no '<' or '>', so it cannot leave them.
			 */
			if (st == DATA || st == COMMENT || st == BOGUS ||
			    (st == RAW && !raw_code))
				continue;
			if (st == RAW || st == POISON)
				return "inside a script or style";
			if (st != VAL_DQ && st != VAL_SQ)
				return "outside text and quoted values";
			if (bad_attr)
				return "in an event handler, style or srcdoc";
			for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
				if (vl == 0 && strcmp(attr, urls[i]) == 0)
					return "at the start of a URL value";
			vl++;
			continue;
		}
		switch (st) {
		case DATA:
			if (c != '<')
				break;
			if (html_alpha(s[1]) ||
			    (s[1] == '/' && html_alpha(s[2]))) {
				/* End tags have attributes too (ignored). */
				st = TAGNAME;
				is_end = s[1] == '/';
				s += is_end;
				tl = 0;
			} else if (strncmp(s, "<!--", 4) == 0) {
				st = COMMENT;
				s += 3;
			} else if (s[1] == '!' || s[1] == '?' || s[1] == '/') {
				st = BOGUS;
				s++;
			}
			break;
		case TAGNAME:
			if (html_space(c))
				st = BEFORE_ATTR;
			else if (c == '/')
				st = BEFORE_ATTR;
			else if (c == '>')
				goto tag_end;
			else if (tl + 1 < sizeof(tag))
				tag[tl++] = (char)(html_alpha(c) ? c | 0x20 : c);
			tag[tl] = '\0';
			break;
		case BOGUS:
			if (c == '>')
				st = DATA;
			break;
		case BEFORE_ATTR:
		case AFTER_ATTR:
			/*
			 * A '/' goes through the self-closing start tag
			 * state back to "before attribute name" (WHATWG),
			 * where '=' begins a new name: "a/=x" is two names.
			 */
			if (c == '/') {
				st = BEFORE_ATTR;
				break;
			}
			if (html_space(c))
				break;
			if (c == '>')
				goto tag_end;
			if (st == AFTER_ATTR && c == '=') {
				st = BEFORE_VAL;
				break;
			}
			st = ATTRNAME;
			al = 0;
			/* FALLTHROUGH */
		case ATTRNAME:
			if (c == '/')
				st = BEFORE_ATTR;
			else if (html_space(c))
				st = AFTER_ATTR;
			else if (c == '>')
				goto tag_end;
			else if (c == '=' && al > 0)
				st = BEFORE_VAL;
			else if (al + 1 < sizeof(attr))
				attr[al++] = (char)(html_alpha(c) ? c | 0x20 : c);
			attr[al] = '\0';
			bad_attr = strncmp(attr, "on", 2) == 0 ||
			    strcmp(attr, "style") == 0 ||
			    strcmp(attr, "srcdoc") == 0;
			vl = 0;
			break;
		case BEFORE_VAL:
			if (html_space(c))
				break;
			if (c == '"')
				st = VAL_DQ;
			else if (c == '\'')
				st = VAL_SQ;
			else if (c == '>')
				goto tag_end;
			else
				st = VAL_UNQ;
			break;
		case VAL_DQ:
		case VAL_SQ:
			if (c == (st == VAL_DQ ? '"' : '\''))
				st = BEFORE_ATTR;
			else
				vl++;
			break;
		case VAL_UNQ:
			if (html_space(c))
				st = BEFORE_ATTR;
			else if (c == '>')
				goto tag_end;
			break;
		case COMMENT:
			if (strncmp(s, "-->", 3) == 0) {
				st = DATA;
				s += 2;
			}
			break;
		case POISON:
			break;
		case RAW:
			if (raw_code && strcmp(tag, "script") == 0 &&
			    strncmp(s, "<!--", 4) == 0) {
				st = POISON;	/* script data escaped states */
				break;
			}
			n = strlen(tag);
			if (strcmp(tag, "plaintext") != 0 && s[0] == '<' &&
			    s[1] == '/' && strncasecmp(s + 2, tag, n) == 0 &&
			    (html_space(s[n + 2]) || s[n + 2] == '/' ||
			    s[n + 2] == '>')) {
				st = TAGNAME;
				is_end = 1;
				tl = 0;
				s++;
			}
			break;
		}
		continue;
tag_end:
		st = DATA;
		for (i = 0; !is_end && i < sizeof(raws) / sizeof(raws[0]); i++)
			if (strcmp(tag, raws[i]) == 0) {
				st = RAW;
				raw_code = i < 2;
			}
	}
	return NULL;
}

/*
 * Render "id" with every placeholder a MARK through tmpl_text(), and
 * ask oracle() whether each landed where escaping makes it inert.
 */
static void
check_places(enum tmplid id)
{
	struct fill	 f;
	struct buf	 out;
	const char	*why, *where = NULL, *from;

	memset(&f, 0, sizeof(f));
	f.vals[0] = "\x01";
	f.nvals = 1;
	f.force = 1;
	buf_init(&out);
	if (tmpl_render(&out, id, fill_key, &f) == 0 &&
	    (why = oracle(buf_str(&out), &where)) != NULL) {
		from = where - buf_str(&out) > 60 ? where - 60 : buf_str(&out);
		fprintf(stderr, "placeholder %s: after \"%.*s\"\n", why,
		    (int)(where - from), from);
		WF_ASSERT(why == NULL);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hostile[] = {
	    "<script>alert(1)</script>", "\" onmouseover=\"x", "' x='",
	    "&amp;&#39;", "javascript:alert(1)", "" };
	static int	 init;
	struct fill	 f;
	char		*rest, *p, *q;
	size_t		 i;

	if (!init) {
		log_init("fuzz_tmpl", LOG_LEVEL_ERROR);
		WF_ASSERT(tmpl_load_dir("templates") == 0);
		init = 1;
	}
	if (size < 5)
		return 0;
	rest = malloc(size - 5 + 1);
	WF_ASSERT(rest != NULL);
	memcpy(rest, data + 5, size - 5);
	rest[size - 5] = '\0';
	memset(&f, 0, sizeof(f));
	f.seed = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 8 | data[4];

	if (data[0] % 3 == 2) {
		for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
			f.vals[f.nvals++] = hostile[i];
		if (tmpl_compile(SCRATCH, rest) == 0) {
			check_render(SCRATCH, &f);
			if (strchr(rest, MARK) == NULL)
				check_places(SCRATCH);
		}
	} else {
		for (p = rest; f.nvals < NVALS; p = q + 1) {
			f.vals[f.nvals++] = p;
			if ((q = strchr(p, '\xff')) == NULL)
				break;
			*q = '\0';
		}
		check_render((enum tmplid)(data[0] / 3 % SCRATCH), &f);
		check_places((enum tmplid)(data[0] / 3 % SCRATCH));
		for (i = 0; i < f.nvals; i++)
			check_exact(f.vals[i]);
	}
	free(rest);
	return 0;
}
