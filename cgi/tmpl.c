/*
 * The template engine and the only HTML escaper in the tree.
 *
 * A template is HTML with @@name@@ placeholders and no logic (after
 * kcgi's khttp_template).  Templates are compiled once at start-up into
 * text and key segments; an unknown placeholder, or one in a place
 * where escaping cannot make it safe (a tag or attribute name, an
 * unquoted attribute, an on*, style or srcdoc attribute, the start of
 * a URL attribute, inside <script> or <style>, or anywhere after
 * <noscript> or a "<!--" in a script), fails compilation (a srcdoc value is markup
 * once the browser decodes it), so a typo
 * or a dangerous template stops start-up instead of rendering.
 *
 * Page code fills placeholders through a callback that may only call
 * tmpl_text(), tmpl_textf(), tmpl_url() and tmpl_partial(): struct
 * tout is opaque, so there is no way to write unescaped text.
 * Compiled templates are read-only after tmpl_load_dir(), so worker
 * threads share them.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "log.h"
#include "xalloc.h"

#define	TMPL_DEPTH_MAX	8	/* partial nesting */
#define	TMPL_SIZE_MAX	(256 * 1024)	/* bytes per template file */

const char *const tkey_names[TKEY__MAX] = {
#define	TKEY_NAME(n, s)	s,
	TKEYS(TKEY_NAME)
#undef	TKEY_NAME
};

const char *const tmpl_files[TMPL__MAX] = {
#define	TMPL_FILE(n, f)	f,
	TMPLS(TMPL_FILE)
#undef	TMPL_FILE
};

struct	tseg {
	const char	*text;	/* literal text, or NULL for a key */
	size_t		 len;
	enum tkey	 key;
};

struct	tmpl {
	char		*src;	/* owned; segments point into it */
	struct tseg	*segs;
	size_t		 segsz;
};

struct	tout {
	struct buf	*buf;	/* where output goes; page code never sees it */
	int		 depth;	/* partial nesting, capped at TMPL_DEPTH_MAX */
};

static struct tmpl	tmpls[TMPL__MAX];

/* Lexical HTML context at a placeholder, tracked by compile(). */
enum	hctx {
	HCTX_TEXT,	/* element content */
	HCTX_TAG,	/* inside <tag ...> between attributes */
	HCTX_ATTR_DQ,	/* inside a "..." attribute value */
	HCTX_ATTR_SQ,	/* inside a '...' attribute value */
	HCTX_ATTR_UNQ,	/* unquoted attribute value or after '=' */
	HCTX_RAW,	/* <script>, <style>, <textarea>, <title> ... content */
	HCTX_POISON,	/* after <!-- in a script, or <noscript>: no
			   placeholder is safe for the rest of the template */
	HCTX_COMMENT,	/* <!-- ... --> */
	HCTX_BOGUS,	/* <!x ...>, <?x ...>, </ ...>: up to '>' */
};

struct	hstate {
	enum hctx	 ctx;
	char		 tag[16];	/* current tag name, lower case */
	char		 attr[16];	/* current attribute name */
	int		 at_value_start; /* nothing yet in the value */
	const char	*raw_end;	/* RAW ends at this "</name", or never */
	int		 raw_unsafe;	/* RAW is script or CSS */
	int		 after_name;	/* TAG: an attribute name was just read */
};

/*
 * Elements whose content is not markup (WHATWG HTML, "parsing HTML
 * fragments" / the tokenizer's RCDATA, RAWTEXT, script data and
 * PLAINTEXT states): up to their end tag, or to the end for
 * <plaintext>, a '<' opens nothing.  An escaped value there is inert
 * text, except in script and CSS, where it would be code.
 */
static const struct {
	const char	*tag, *end;
	int		 unsafe;
} raw_tags[] = {
	{ "script", "</script", 1 }, { "style", "</style", 1 },
	{ "textarea", "</textarea", 0 }, { "title", "</title", 0 },
	{ "xmp", "</xmp", 0 }, { "iframe", "</iframe", 0 },
	{ "noembed", "</noembed", 0 }, { "noframes", "</noframes", 0 },
	{ "plaintext", NULL, 0 },
};

/* HTML's ASCII whitespace. */
static int
html_blank(char c)
{

	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* The '>' that ends the tag h->tag: text, or a text-only element. */
static void
tag_end(struct hstate *h)
{
	size_t	 i;

	h->ctx = HCTX_TEXT;
	for (i = 0; i < sizeof(raw_tags) / sizeof(raw_tags[0]); i++)
		if (strcmp(h->tag, raw_tags[i].tag) == 0) {
			h->ctx = HCTX_RAW;
			h->raw_end = raw_tags[i].end;
			h->raw_unsafe = raw_tags[i].unsafe;
		}
	/*
	 * <noscript> is text with scripting on and markup with it off:
	 * no one reading of what follows is safe.
	 */
	if (strcmp(h->tag, "noscript") == 0)
		h->ctx = HCTX_POISON;
}

static void
lcopy(char *dst, size_t dstsz, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && i + 1 < dstsz; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[i] = '\0';
}

/* Advance the HTML context over the literal text "s" of "len" bytes. */
static void
html_scan(struct hstate *h, const char *s, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < len; i++) {
		char	 c = s[i];

		switch (h->ctx) {
		case HCTX_TEXT:
			if (c != '<')
				break;
			/*
			 * As browsers read it (WHATWG HTML, "tag open
			 * state"): '<' opens markup only before a letter,
			 * '/', '!' or '?'; else it is text ("1 < 2"), and
			 * a <style> after it is a real one.  A '<' that
			 * ends the literal (a placeholder follows) opens a
			 * tag, so "<@@x@@" stays refused.
			 */
			if (i + 1 < len && !isalpha((unsigned char)s[i + 1]) &&
			    strchr("/!?", s[i + 1]) == NULL)
				break;
			if (len - i >= 4 && strncmp(s + i, "<!--", 4) == 0) {
				h->ctx = HCTX_COMMENT;
				i += 3;
				break;
			}
			/* <!DOCTYPE, <?x, </ without a name: up to '>'. */
			if (i + 1 < len && (s[i + 1] == '!' || s[i + 1] == '?' ||
			    (s[i + 1] == '/' && (i + 2 >= len ||
			    !isalpha((unsigned char)s[i + 2]))))) {
				h->ctx = HCTX_BOGUS;
				i++;
				break;
			}
			/*
			 * The tag name runs to a blank, '/' or '>' (so
			 * "<a=\"" is all name, as browsers read it).
			 */
			n = s[i + 1] == '/';
			n += strcspn(s + i + 1 + n, " \t\n\f\r/>");
			if (n > len - i - 1)
				n = len - i - 1;
			lcopy(h->tag, sizeof(h->tag), s + i + 1, n);
			h->ctx = HCTX_TAG;
			h->attr[0] = '\0';
			h->after_name = 0;
			i += n;
			break;
		case HCTX_TAG:
			if (c == '>')
				tag_end(h);
			else if (c == '=' && h->after_name) {
				h->ctx = HCTX_ATTR_UNQ;
				h->at_value_start = 1;
				h->after_name = 0;
			} else if (c == '/')
				h->after_name = 0;
			else if (!html_blank(c)) {
				/*
				 * An attribute name runs to a blank, '/',
				 * '>' or '=' and may begin with '=' (WHATWG
				 * "attribute name state"): in <a ="x"> the
				 * quotes are part of a name, not a value.
				 */
				n = 1 + strcspn(s + i + 1, " \t\n\f\r/>=");
				if (n > len - i)
					n = len - i;
				lcopy(h->attr, sizeof(h->attr), s + i, n);
				i += n - 1;
				h->after_name = 1;
			}
			break;
		case HCTX_ATTR_UNQ:
			if (c == '"' && h->at_value_start)
				h->ctx = HCTX_ATTR_DQ;
			else if (c == '\'' && h->at_value_start)
				h->ctx = HCTX_ATTR_SQ;
			else if (html_blank(c))
				h->ctx = h->at_value_start ? HCTX_ATTR_UNQ :
				    HCTX_TAG;
			else if (c == '>')
				tag_end(h);
			else
				h->at_value_start = 0;
			break;
		case HCTX_ATTR_DQ:
		case HCTX_ATTR_SQ:
			if (c == (h->ctx == HCTX_ATTR_DQ ? '"' : '\''))
				h->ctx = HCTX_TAG;
			else
				h->at_value_start = 0;
			break;
		case HCTX_RAW:
			/*
			 * In a script, "<!--" may start the "escaped" states
			 * in which a "</script>" does not end it: refuse
			 * every placeholder after it.
			 */
			if (h->raw_unsafe && len - i >= 4 &&
			    strncmp(s + i, "<!--", 4) == 0) {
				h->ctx = HCTX_POISON;
				break;
			}
			/* Only "</name" then a blank, '/' or '>' ends it. */
			if (h->raw_end == NULL)
				break;
			n = strlen(h->raw_end);
			if (len - i > n && strncasecmp(s + i, h->raw_end,
			    n) == 0 && (html_blank(s[i + n]) ||
			    s[i + n] == '/' || s[i + n] == '>')) {
				h->ctx = HCTX_TAG;
				lcopy(h->tag, sizeof(h->tag), s + i + 1, n - 1);
				h->after_name = 0;
				i += n - 1;
			}
			break;
		case HCTX_POISON:
			break;
		case HCTX_BOGUS:
			if (c == '>')
				h->ctx = HCTX_TEXT;
			break;
		case HCTX_COMMENT:
			if (len - i >= 3 && strncmp(s + i, "-->", 3) == 0) {
				h->ctx = HCTX_TEXT;
				i += 2;
			}
			break;
		}
	}
}

/* Why a placeholder is not allowed here, or NULL if it is. */
static const char *
html_unsafe(const struct hstate *h)
{
	/* Attributes whose value may be a URL (javascript: runs). */
	static const char *const urls[] = {
	    "href", "src", "action", "formaction", "content", "srcset",
	    "data", "poster", "cite", "background", "ping", "xlink:href",
	    "manifest", "icon", "longdesc", "usemap", "codebase", "archive" };
	size_t	 i;

	switch (h->ctx) {
	case HCTX_TEXT:
		return NULL;
	case HCTX_ATTR_DQ:
	case HCTX_ATTR_SQ:
		if (strncmp(h->attr, "on", 2) == 0 ||
		    strcmp(h->attr, "style") == 0 ||
		    strcmp(h->attr, "srcdoc") == 0)
			return "inside an event handler, style or srcdoc "
			    "attribute";
		for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
			if (strcmp(h->attr, urls[i]) == 0 && h->at_value_start)
				return "at the start of a URL attribute";
		return NULL;
	case HCTX_RAW:
		return h->raw_unsafe ? "inside <script> or <style>" : NULL;
	case HCTX_POISON:
		return "after <noscript>, or after <!-- inside a <script>";
	case HCTX_COMMENT:
	case HCTX_BOGUS:
		return "inside a comment";
	default:
		return "in a tag, attribute name or unquoted attribute";
	}
}

static void
tmpl_clear(struct tmpl *t)
{

	free(t->src);
	free(t->segs);
	memset(t, 0, sizeof(*t));
}

static void
seg_add(struct tmpl *t, const char *text, size_t len, enum tkey key)
{

	t->segs = xreallocarray(t->segs, t->segsz + 1, sizeof(*t->segs));
	t->segs[t->segsz].text = text;
	t->segs[t->segsz].len = len;
	t->segs[t->segsz].key = key;
	t->segsz++;
}

/*
 * Compile "src" (copied) as template "id", replacing any earlier one.
 * Returns 0, or -1 (logged, and the template left empty) on an unknown
 * or unterminated placeholder or one in an unsafe HTML context.
 */
int
tmpl_compile(enum tmplid id, const char *src)
{
	struct tmpl	*t = &tmpls[id];
	struct hstate	 h;
	const char	*p, *open, *close, *why;
	size_t		 klen;
	int		 k;

	tmpl_clear(t);
	memset(&h, 0, sizeof(h));
	t->src = xstrdup(src);
	for (p = t->src; *p != '\0'; p = close + 2) {
		if ((open = strstr(p, "@@")) == NULL) {
			seg_add(t, p, strlen(p), 0);
			html_scan(&h, p, strlen(p));
			break;
		}
		if (open > p) {
			seg_add(t, p, (size_t)(open - p), 0);
			html_scan(&h, p, (size_t)(open - p));
		}
		if ((close = strstr(open + 2, "@@")) == NULL) {
			log_warnx("%s: unterminated @@ placeholder",
			    tmpl_files[id]);
			goto fail;
		}
		klen = (size_t)(close - open - 2);
		for (k = 0; k < TKEY__MAX; k++)
			if (strlen(tkey_names[k]) == klen &&
			    strncmp(tkey_names[k], open + 2, klen) == 0)
				break;
		if (k == TKEY__MAX) {
			log_warnx("%s: unknown placeholder @@%.*s@@",
			    tmpl_files[id], (int)(klen > 40 ? 40 : klen),
			    open + 2);
			goto fail;
		}
		if ((why = html_unsafe(&h)) != NULL) {
			log_warnx("%s: @@%s@@ %s", tmpl_files[id],
			    tkey_names[k], why);
			goto fail;
		}
		seg_add(t, NULL, 0, (enum tkey)k);
	}
	/*
	 * A template that ends inside a tag or an attribute value leaves
	 * its last placeholders to whatever follows it (browsers drop a
	 * tag cut off by the end, or a later quote closes the value).
	 */
	if (h.ctx == HCTX_TAG || h.ctx == HCTX_ATTR_DQ ||
	    h.ctx == HCTX_ATTR_SQ || h.ctx == HCTX_ATTR_UNQ) {
		log_warnx("%s: ends inside a tag or an attribute value",
		    tmpl_files[id]);
		goto fail;
	}
	return 0;
fail:
	tmpl_clear(t);
	return -1;
}

/*
 * Load and compile every template in tmpl_files[] from "dir".
 * Returns 0, or -1 (logged) if any is missing, too large or invalid.
 */
int
tmpl_load_dir(const char *dir)
{
	FILE	*f;
	char	*path, *src;
	size_t	 n;
	int	 i, rc = 0;

	src = xmalloc(TMPL_SIZE_MAX + 1);
	for (i = 0; i < TMPL__MAX; i++) {
		path = xasprintf("%s/%s", dir, tmpl_files[i]);
		if ((f = fopen(path, "r")) == NULL) {
			log_warn("%s", path);
			rc = -1;
		} else {
			n = fread(src, 1, TMPL_SIZE_MAX + 1, f);
			if (ferror(f) || n > TMPL_SIZE_MAX) {
				log_warnx("%s: unreadable or too large", path);
				rc = -1;
			} else {
				src[n] = '\0';
				if (tmpl_compile((enum tmplid)i, src) == -1)
					rc = -1;
			}
			fclose(f);
		}
		free(path);
	}
	free(src);
	return rc;
}

/* Free every compiled template. */
void
tmpl_free_all(void)
{
	int	 i;

	for (i = 0; i < TMPL__MAX; i++)
		tmpl_clear(&tmpls[i]);
}

/*
 * Expand template "id" into "out" (appending), calling "fn" with "arg"
 * for each placeholder.  Returns 0, or -1 if "fn" or a nested partial
 * failed; "out" then holds a partial rendering the caller discards.
 */
int
tmpl_render(struct buf *out, enum tmplid id, tmpl_keyfn fn, void *arg)
{
	struct tout	 o;

	o.buf = out;
	o.depth = 0;
	return tmpl_partial(&o, id, fn, arg);
}

/*
 * Expand template "id" into "o" from inside a callback.  Returns 0, or
 * -1 if "fn" (or a deeper partial) failed or nesting is too deep.
 */
int
tmpl_partial(struct tout *o, enum tmplid id, tmpl_keyfn fn, void *arg)
{
	const struct tmpl	*t = &tmpls[id];
	const struct tseg	*s;
	size_t			 i;
	int			 rc = 0;

	if (o->depth >= TMPL_DEPTH_MAX) {
		log_warnx("%s: partials nested too deep", __func__);
		return -1;
	}
	o->depth++;
	for (i = 0; i < t->segsz && rc == 0; i++) {
		s = &t->segs[i];
		if (s->text != NULL)
			buf_append(o->buf, s->text, s->len);
		else if ((rc = (*fn)(o, s->key, arg)) == -1)
			log_warnx("%s: %s: no value for @@%s@@", __func__,
			    tmpl_files[id], tkey_names[s->key]);
	}
	o->depth--;
	return rc;
}

/*
 * Write "s" so that it is inert both as HTML text and inside a quoted
 * attribute value: & < > " ' become entities.  NULL writes nothing.
 */
void
tmpl_text(struct tout *o, const char *s)
{
	size_t	 run;

	if (s == NULL)
		return;
	for (;;) {
		run = strcspn(s, "&<>\"'");
		buf_append(o->buf, s, run);
		s += run;
		switch (*s++) {
		case '\0':
			return;
		case '&':
			buf_puts(o->buf, "&amp;");
			break;
		case '<':
			buf_puts(o->buf, "&lt;");
			break;
		case '>':
			buf_puts(o->buf, "&gt;");
			break;
		case '"':
			buf_puts(o->buf, "&quot;");
			break;
		default:
			buf_puts(o->buf, "&#39;");
			break;
		}
	}
}

/* Format, then write the result through tmpl_text(). */
void
tmpl_textf(struct tout *o, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatalx("%s: out of memory", __func__);
	tmpl_text(o, s);
	free(s);
}

/*
 * Percent-encode "s" as one URL query value: the output has only
 * [A-Za-z0-9-._~%], so it is safe in any quoted attribute.
 */
void
tmpl_url(struct tout *o, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			buf_putc(o->buf, c);
		else {
			buf_putc(o->buf, '%');
			buf_putc(o->buf, hex[c >> 4]);
			buf_putc(o->buf, hex[c & 15]);
		}
	}
}
