/*
 * Unit tests for cgi/tmpl.c: escaping, partials, the layout, unknown
 * and missing keys, unsafe placements, and every real template in
 * templates/ compiling.
 */
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "log.h"
#include "t.h"

struct	row {
	const char	*label;
	const char	*status;
};

static int
row_key(struct tout *o, enum tkey key, void *arg)
{
	const struct row	*r = arg;

	switch (key) {
	case TKEY_LABEL:
		tmpl_text(o, r->label);
		return 0;
	case TKEY_STATUS:
		tmpl_url(o, r->status);
		return 0;
	case TKEY_ROWS:
		return tmpl_partial(o, TMPL_ACCOUNT_ROW, row_key, arg);
	case TKEY_CONTENT:
		return tmpl_partial(o, TMPL_ACCOUNT, row_key, arg);
	case TKEY_ID:
		tmpl_textf(o, "%d-%s", 7, "x<");
		return 0;
	default:
		return -1;
	}
}

/* Compile "src" as TMPL_ACCOUNT, render with "r"; pass if == "want". */
static int
renders(const char *src, const struct row *r, const char *want)
{
	struct buf	 b;
	int		 ok = 0;

	buf_init(&b);
	if (T_TRUE(tmpl_compile(TMPL_ACCOUNT, src) == 0) &&
	    T_TRUE(tmpl_render(&b, TMPL_ACCOUNT, row_key, (void *)r) == 0))
		ok = T_STREQ(buf_str(&b), want);
	buf_free(&b);
	return ok;
}

static int
text_and_attribute_escaped(void)
{
	struct row	 r = { "<b>\"Tom\" & 'Jerry'</b>", "x" };

	return renders("<p title=\"@@label@@\">@@label@@</p>", &r,
	    "<p title=\"&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;"
	    "&lt;/b&gt;\">&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;"
	    "&lt;/b&gt;</p>");
}

static int
url_encoded(void)
{
	struct row	 r = { "", "a b&c/\"'<é" };

	return renders("<a href=\"/accounts?status=@@status@@\">x</a>", &r,
	    "<a href=\"/accounts?status=a%20b%26c%2F%22%27%3C%C3%A9\">x</a>");
}

static int
textf_escapes(void)
{
	struct row	 r = { "", "" };

	return renders("<i>@@id@@</i>", &r, "<i>7-x&lt;</i>");
}

static int
partials_nest(void)
{
	struct row	 r = { "A&B", "s" };
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = T_TRUE(tmpl_compile(TMPL_ACCOUNT_ROW, "<td>@@label@@</td>") == 0) &&
	    T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<tr>@@rows@@</tr>") == 0) &&
	    T_TRUE(tmpl_render(&b, TMPL_ACCOUNT, row_key, &r) == 0) &&
	    T_STREQ(buf_str(&b), "<tr><td>A&amp;B</td></tr>");
	buf_free(&b);
	return ok;
}

static int
layout_wraps_content(void)
{
	struct row	 r = { "L", "s" };
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = T_TRUE(tmpl_compile(TMPL_LAYOUT,
	    "<html><body>@@content@@</body></html>") == 0) &&
	    T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<h1>@@label@@</h1>") == 0) &&
	    T_TRUE(tmpl_render(&b, TMPL_LAYOUT, row_key, &r) == 0) &&
	    T_STREQ(buf_str(&b), "<html><body><h1>L</h1></body></html>");
	buf_free(&b);
	return ok;
}

static int
recursion_capped(void)
{
	struct row	 r = { "x", "s" };
	struct buf	 b;
	int		 ok;

	/* A template that includes itself must fail, not overflow. */
	buf_init(&b);
	ok = T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<p>@@content@@</p>") == 0) &&
	    T_TRUE(tmpl_render(&b, TMPL_ACCOUNT, row_key, &r) == -1);
	buf_free(&b);
	return ok;
}

/*
 * fuzz_tmpl found it: a source that ends inside an attribute value
 * left its placeholder to whatever text follows the template.
 */
static int
unfinished_tag_rejected(void)
{

	return T_TRUE(tmpl_compile(TMPL_ACCOUNT,
	    "<p title=\"@@label@@ x") == -1) &&
	    T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<p a/b=\"<@@label@@x") == -1) &&
	    T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<p>@@label@@</p><a") == -1) &&
	    T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<p title=\"@@label@@\">") ==
	    0);
}

static int
unknown_placeholder_rejected(void)
{

	return T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<p>@@nope@@</p>") == -1) &&
	    T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<p>@@label</p>") == -1);
}

static int
missing_value_fails_render(void)
{
	struct row	 r = { "x", "s" };
	struct buf	 b;
	int		 ok;

	/* "title" is a known key that row_key() has no value for. */
	buf_init(&b);
	ok = T_TRUE(tmpl_compile(TMPL_ACCOUNT, "<p>@@title@@</p>") == 0) &&
	    T_TRUE(tmpl_render(&b, TMPL_ACCOUNT, row_key, &r) == -1);
	buf_free(&b);
	return ok;
}

static int
unsafe_places_rejected(void)
{
	static const char *const bad[] = {
		"<script>var x = \"@@label@@\";</script>",
		"<style>p { color: @@label@@ }</style>",
		"<p onclick=\"go('@@label@@')\">x</p>",
		"<p style=\"width: @@label@@\">x</p>",
		"<a href=\"@@label@@\">x</a>",
		"<img src=\"@@label@@\">",
		"<form action=\"@@label@@\"></form>",
		"<p class=@@label@@>x</p>",
		"<@@label@@>",
		"<p @@label@@=\"x\">",
		"<!-- @@label@@ -->",
		/* Found by tests/fuzz/fuzz_tmpl.c's HTML oracle: */
		"1 < 2 <style>p { color: @@label@@ }</style>",
		"<a =\"@@label@@\">",
		"<ef=\"@@label@@\">",
		"<!x title=\"><script>@@label@@</script>\">",
		"<?x title=\"><style>@@label@@</style>\">",
		"<script>x</scripty>@@label@@</script>",
		"<a on[x=\"@@label@@\">",
		"<iframe srcdoc=\"@@label@@\"></iframe>",
		"<object data=\"@@label@@\"></object>",
		"<video poster=\"@@label@@\"></video>",
		"<textarea><a title=\"</textarea><script>\">@@label@@",
		"<script><!--<script></script>@@label@@",
		"<title></title ><style>@@label@@</style>",
		"<noscript><a title=\"</noscript><script>\">@@label@@",
		"<noscript><style>@@label@@</style></noscript>",
		"<style media=all>@@label@@</style>",
	};
	size_t	 i;
	int	 ok = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tmpl_compile(TMPL_ACCOUNT, bad[i]) != -1) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			ok = 0;
		}
	return ok;
}

static int
safe_places_accepted(void)
{
	static const char *const good[] = {
		"<p>@@label@@</p>",
		"<a href=\"/accounts/@@label@@\">@@label@@</a>",
		"<input value=\"@@label@@\" title='@@label@@'>",
		"<script src=\"/static/x.js\"></script><p>@@label@@</p>",
		"<style>p{}</style><p>@@label@@</p>",
		"<p>1 < 2: @@label@@</p>",
		"<script>x</script\t><p>@@label@@</p>",
		"<!DOCTYPE html><p title=\"@@label@@\">x</p>",
		"</p title=\"x\"><p>@@label@@</p>",
		"<video poster=\"/static/@@label@@\"></video>",
		"<title>@@label@@</title>",
		"<textarea><script>@@label@@</textarea>",
	};
	size_t	 i;
	int	 ok = 1;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (tmpl_compile(TMPL_ACCOUNT, good[i]) != 0) {
			fprintf(stderr, "refused: %s\n", good[i]);
			ok = 0;
		}
	return ok;
}

static int
real_templates_compile(void)
{
	const char	*dir = getenv("WADESK_TEMPLATES");

	return T_TRUE(tmpl_load_dir(dir != NULL ? dir : "templates") == 0);
}

static int
missing_dir_fails(void)
{

	return T_TRUE(tmpl_load_dir("/nonexistent") == -1);
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(text_and_attribute_escaped),
		T_CASE(url_encoded),
		T_CASE(textf_escapes),
		T_CASE(partials_nest),
		T_CASE(layout_wraps_content),
		T_CASE(recursion_capped),
		T_CASE(unknown_placeholder_rejected),
		T_CASE(unfinished_tag_rejected),
		T_CASE(missing_value_fails_render),
		T_CASE(unsafe_places_rejected),
		T_CASE(safe_places_accepted),
		T_CASE(real_templates_compile),
		T_CASE(missing_dir_fails),
	};
	int	 rc;

	log_init("t_tmpl", LOG_LEVEL_ERROR);
	rc = t_run(cases, T_NCASES(cases));
	tmpl_free_all();
	return rc;
}
