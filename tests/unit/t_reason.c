/*
 * Tests for lib/reason.c.  The codes come from the source, not from a
 * copy of them: policy_decide() (daemon/policy.c) is run over every
 * state, event, close reason and fact, and every reason, event kind
 * and command error a plan can carry is collected; then the daemon's
 * and the web's C files are read (run from the repository root, as
 * tests/run-all.sh does) for the literals they write themselves: the
 * arguments of pairing_failed(), write_row(), db_command_done() and
 * db_event_insert(), "->reason = ...", the SQL sweeps' codes, and the
 * web's event kinds.  Each must have an entry in the tables.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "daemon.h"
#include "reason.h"
#include "t.h"

#define	MAXCODES	512

struct	codeset {
	char	*v[MAXCODES];
	size_t	 n;
};

static struct codeset	reasons_seen, kinds_seen;

static void
add(struct codeset *s, const char *v, size_t len)
{
	size_t	 i;

	if (v == NULL || len == 0)
		return;
	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && strncmp(s->v[i], v, len) == 0)
			return;
	if (s->n == MAXCODES)
		abort();
	s->v[s->n] = strndup(v, len);
	if (s->v[s->n] == NULL)
		abort();
	s->n++;
}

static int
has(const struct codeset *s, const char *v)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return 1;
	return 0;
}

/* Every plan policy_decide() can make; collect its codes. */
static void
collect_policy(void)
{
	struct sess_facts	 f;
	struct sess_input	 in;
	struct sess_plan	 p;
	int			 st, ev, rs, flags, op, dup;

	for (st = 0; st < SESS__MAX; st++)
	for (ev = 0; ev < SEV__MAX; ev++)
	for (rs = 0; rs < WA_REASON__MAX; rs++)
	for (flags = 0; flags < 32; flags++)
	for (op = 0; op < SOP__MAX; op++)
	for (dup = 0; dup < 2; dup++) {
		memset(&f, 0, sizeof(f));
		memset(&in, 0, sizeof(in));
		f.state = (enum sess_state)st;
		f.gen = 3;
		f.has_creds = flags & 1;
		f.was_connected = (flags >> 1) & 1;
		f.auto_connect = (flags >> 2) & 1;
		f.pair_by_code = (flags >> 3) & 1;
		f.op = (enum sess_op)op;
		in.ev = (enum sess_ev)ev;
		in.gen = 3;
		in.reason = (enum wa_reason)rs;
		in.intentional = (flags >> 4) & 1;
		in.qr_n = 1 + dup;
		in.dup_label = dup ? "Other" : NULL;
		policy_decide(&f, &in, &p);
		if (p.write_row && p.reason != NULL)
			add(&reasons_seen, p.reason, strlen(p.reason));
		if (p.event_reason != NULL)
			add(&reasons_seen, p.event_reason,
			    strlen(p.event_reason));
		if (p.error != NULL)
			add(&reasons_seen, p.error, strlen(p.error));
		if (p.event != NULL)
			add(&kinds_seen, p.event, strlen(p.event));
	}
	for (rs = 0; rs < WA_REASON__MAX; rs++)
		add(&reasons_seen, policy_close_reason((enum wa_reason)rs),
		    strlen(policy_close_reason((enum wa_reason)rs)));
}

/* "path" without its comments, or NULL (reported) if unreadable. */
static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*s, *in, *o;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot read (run from the repo root)\n",
		    path);
		return NULL;
	}
	if (fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1 || (s = malloc((size_t)n + 1)) ==
	    NULL || fread(s, 1, (size_t)n, fp) != (size_t)n)
		abort();
	fclose(fp);
	s[n] = '\0';
	/* Drop comments, keeping string literals intact. */
	for (in = o = s; *in != '\0';) {
		if (in[0] == '/' && in[1] == '*') {
			if ((in = strstr(in + 2, "*/")) == NULL)
				break;
			in += 2;
			*o++ = ' ';
		} else if (*in == '"') {
			*o++ = *in++;
			while (*in != '\0' && *in != '"') {
				if (*in == '\\' && in[1] != '\0')
					*o++ = *in++;
				*o++ = *in++;
			}
			if (*in != '\0')
				*o++ = *in++;
		} else if (*in == '\'' && in[1] != '\0' && in[2] == '\'') {
			*o++ = *in++;
			*o++ = *in++;
			*o++ = *in++;
		} else
			*o++ = *in++;
	}
	*o = '\0';
	return s;
}

/*
 * The arguments of the call whose '(' is at "p": up to 8, each as
 * [start, end) in the text; returns the count (0 if unbalanced).
 */
static int
call_args(const char *p, const char *start[8], const char *end[8])
{
	int	 depth = 0, n = 0;

	if (*p != '(')
		return 0;
	start[0] = ++p;
	for (; *p != '\0'; p++) {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && depth-- == 0) {
			end[n++] = p;
			return n;
		} else if (*p == ',' && depth == 0) {
			end[n++] = p;
			if (n == 8)
				return 0;
			start[n] = p + 1;
		}
	}
	return 0;
}

/*
 * The next string literal in [*p, e): its contents in "*lit" and
 * "*len", with "*p" moved past it.  Returns 0, or -1 when there is
 * none (or it is cut off at "e").
 */
static int
next_literal(const char **p, const char *e, const char **lit, size_t *len)
{
	const char	*s, *q;

	for (s = *p; s < e && *s != '"'; s++)
		;
	if (s >= e)
		return -1;
	for (q = s + 1; q < e && *q != '"'; q++)
		if (*q == '\\')
			q++;
	if (q >= e)
		return -1;
	*lit = s + 1;
	*len = (size_t)(q - s - 1);
	*p = q + 1;
	return 0;
}

/* Add every string literal in [s, e) to "set". */
static void
literals(const char *s, const char *e, struct codeset *set)
{
	const char	*lit;
	size_t		 len;

	while (next_literal(&s, e, &lit, &len) == 0)
		add(set, lit, len);
}

/*
 * For each call of "fn" in "text", add the literals of argument "arg"
 * to "set"; returns the number of calls seen.
 */
static int
scan_calls(const char *text, const char *fn, int arg, struct codeset *set)
{
	const char	*p = text, *st[8], *en[8];
	size_t		 len = strlen(fn);
	int		 n, calls = 0;

	while ((p = strstr(p, fn)) != NULL) {
		if ((p > text && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '_')) || p[len] != '(') {
			p += len;
			continue;
		}
		n = call_args(p + len, st, en);
		if (n > arg) {
			literals(st[arg], en[arg], set);
			calls++;
		}
		p += len;
	}
	return calls;
}

/* Add the literal after each "pat" up to the byte "stop". */
static void
scan_after(const char *text, const char *pat, int stop, struct codeset *set)
{
	const char	*p = text, *e;

	while ((p = strstr(p, pat)) != NULL) {
		p += strlen(pat);
		if ((e = strchr(p, stop)) != NULL)
			add(set, p, (size_t)(e - p));
	}
}

/* Add the last string literal in [s, e) to "set", if any. */
static void
last_literal(const char *s, const char *e, struct codeset *set)
{
	const char	*lit = NULL, *l;
	size_t		 len = 0, n;

	while (next_literal(&s, e, &l, &n) == 0) {
		lit = l;
		len = n;
	}
	add(set, lit, len);
}

/* The event kinds of an actions[] table: each entry's last literal. */
static void
scan_actions(const char *text, struct codeset *set)
{
	const char	*p, *end, *e;

	if ((p = strstr(text, "actions[] = {")) == NULL ||
	    (end = strstr(p, "};")) == NULL)
		return;
	for (p = strchr(p + 13, '{'); p != NULL && p < end;
	    p = strchr(e, '{')) {
		if ((e = strchr(p, '}')) == NULL)
			return;
		last_literal(p, e, set);
	}
}

/*
 * db_event_insert(db, id, kind, "reason", VALUE): a literal "reason"
 * key carries a reason code; add the literals of VALUE.
 */
static void
scan_reason_values(const char *text, struct codeset *set)
{
	const char	*p = text, *st[8], *en[8], *k;
	const char	*fn = "db_event_insert";

	while ((p = strstr(p, fn)) != NULL) {
		p += strlen(fn);
		if (*p != '(' || call_args(p, st, en) != 5)
			continue;
		for (k = st[3]; k < en[3] && *k == ' '; k++)
			;
		if (strncmp(k, "\"reason\"", 8) == 0)
			literals(st[4], en[4], set);
	}
}

static const char *const daemon_files[] = {
	"daemon/policy.c", "daemon/session.c", "daemon/intake.c",
	"daemon/db_daemon.c", "daemon/main.c", "daemon/groups.c",
};

/* The daemon's own literals; 0 ok, -1 a file is missing. */
static int
collect_source(void)
{
	char		*t;
	size_t		 i;

	for (i = 0; i < sizeof(daemon_files) / sizeof(daemon_files[0]); i++) {
		if ((t = slurp(daemon_files[i])) == NULL)
			return -1;
		scan_calls(t, "pairing_failed", 1, &reasons_seen);
		scan_calls(t, "write_row", 2, &reasons_seen);
		scan_calls(t, "db_command_done", 3, &reasons_seen);
		scan_calls(t, "db_event_insert", 2, &kinds_seen);
		scan_reason_values(t, &reasons_seen);
		scan_after(t, "->reason = \"", '"', &reasons_seen);
		scan_after(t, "->error = \"", '"', &reasons_seen);
		scan_after(t, "->event_reason = \"", '"', &reasons_seen);
		scan_after(t, "->event = \"", '"', &kinds_seen);
		/* SQL: "disconnect_reason = 'x'" and
		 * "'kind', '{\"reason\": \"x\"}'". */
		scan_after(t, "disconnect_reason = '", '\'', &reasons_seen);
		scan_after(t, "\\\"reason\\\": \\\"", '\\', &reasons_seen);
		scan_after(t, "SELECT id, '", '\'', &kinds_seen);
		free(t);
	}
	return 0;
}

/* The web's event kinds: actions[] and event_insert(r, id, "kind", ...). */
static int
collect_web(struct codeset *set)
{
	static const char *const files[] = { "cgi/page_account.c",
	    "cgi/page_accounts.c", "cgi/page_operators.c",
	    "cgi/page_login.c", "cgi/wadeskctl.c", "cgi/page_groups.c" };
	char		*t;
	size_t		 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((t = slurp(files[i])) == NULL)
			return -1;
		scan_calls(t, "event_insert", 2, set);
		scan_actions(t, set);
		free(t);
	}
	return 0;
}

static int
every_daemon_reason_has_a_sentence(void)
{
	size_t	 i;
	int	 ok = 1;

	reasons_seen.n = kinds_seen.n = 0;
	collect_policy();
	if (collect_source() == -1)
		return 0;
	/* The collection itself must have worked: a few known codes. */
	ok &= T_TRUE(has(&reasons_seen, "connect_failed"));
	ok &= T_TRUE(has(&reasons_seen, "qr_timeout"));
	ok &= T_TRUE(has(&reasons_seen, "daemon_stopped"));
	ok &= T_TRUE(has(&reasons_seen, "daemon_restarted"));
	ok &= T_TRUE(has(&reasons_seen, "account deleted"));
	ok &= T_TRUE(has(&reasons_seen, "no credentials"));
	ok &= T_TRUE(reasons_seen.n >= 25);
	if (getenv("T_REASON_LIST") != NULL)
		for (i = 0; i < reasons_seen.n; i++)
			fprintf(stderr, "reason: %s\n", reasons_seen.v[i]);
	for (i = 0; i < reasons_seen.n; i++)
		if (reason_find(reasons_seen.v[i]) == NULL) {
			fprintf(stderr, "no entry in lib/reason.c for the "
			    "reason \"%s\"\n", reasons_seen.v[i]);
			ok = 0;
		}
	return ok;
}

static int
every_event_kind_has_a_title(void)
{
	struct codeset	 web = { .n = 0 };
	size_t		 i;
	int		 ok = 1;

	if (collect_web(&web) == -1)
		return 0;
	ok &= T_TRUE(has(&kinds_seen, "pair_timeout"));
	ok &= T_TRUE(has(&kinds_seen, "deleted"));
	ok &= T_TRUE(has(&kinds_seen, "client_outdated"));
	ok &= T_TRUE(has(&web, "created"));
	ok &= T_TRUE(has(&web, "pair_requested"));
	ok &= T_TRUE(has(&web, "auto_connect_changed"));
	for (i = 0; i < web.n; i++)
		add(&kinds_seen, web.v[i], strlen(web.v[i]));
	for (i = 0; i < kinds_seen.n; i++)
		if (strcmp(event_title(kinds_seen.v[i]),
		    kinds_seen.v[i]) == 0) {
			fprintf(stderr, "no title in lib/reason.c for the "
			    "event kind \"%s\"\n", kinds_seen.v[i]);
			ok = 0;
		}
	for (i = 0; i < web.n; i++)
		free(web.v[i]);
	return ok;
}

/* Wording: "what" capitalised without a stop, "next" a sentence. */
static int
table_wording(void)
{
	const struct reason	*r, *o;
	const struct event_kind	*k, *l;
	size_t			 i, j, n;
	int			 ok = 1;

	for (i = 0; i < reason_count(); i++) {
		r = reason_at(i);
		n = strlen(r->what);
		if (!isupper((unsigned char)r->what[0]) || n == 0 ||
		    r->what[n - 1] == '.' || strlen(r->next) < 2 ||
		    r->next[strlen(r->next) - 1] != '.' ||
		    !isupper((unsigned char)r->next[0])) {
			fprintf(stderr, "wording of \"%s\"\n", r->code);
			ok = 0;
		}
		for (j = 0; j < i; j++)
			if (strcmp((o = reason_at(j))->code, r->code) == 0) {
				fprintf(stderr, "twice: %s\n", r->code);
				ok = 0;
			}
	}
	for (i = 0; i < event_kind_count(); i++) {
		k = event_kind_at(i);
		if (!isupper((unsigned char)k->title[0]))
			ok = 0;
		for (j = 0; j < i; j++)
			if (strcmp((l = event_kind_at(j))->kind, k->kind) == 0)
				ok = 0;
	}
	return ok && T_TRUE(reason_at(reason_count()) == NULL);
}

/* Render reason_write() into a fresh string (static buffer). */
static const char *
sentence(const char *code, const char *cause)
{
	static char	 out[1024];
	struct buf	 b;

	buf_init(&b);
	reason_write(&b, code, cause);
	snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

static int
sentence_names_the_cause(void)
{

	return T_STREQ(sentence("connect_failed",
	    "web.whatsapp.com: name lookup failed"),
	    "Could not reach WhatsApp (web.whatsapp.com: name lookup "
	    "failed). Check this server's internet access (DNS, firewall, "
	    "proxy), then try again.") &&
	    T_STREQ(sentence("connect_failed", NULL), "Could not reach "
	    "WhatsApp. Check this server's internet access (DNS, firewall, "
	    "proxy), then try again.") &&
	    T_STREQ(sentence("connect_failed", ""), sentence("connect_failed",
	    NULL));
}

static int
sentence_text_after_code(void)
{

	return T_STREQ(sentence("duplicate: Phone already linked to Shop",
	    NULL), "The phone that scanned is already linked to another "
	    "account (Phone already linked to Shop). Unpair that account "
	    "first if this one should have the phone, then press Pair.") &&
	    T_TRUE(reason_find("duplicate: x") == reason_find("duplicate")) &&
	    T_TRUE(reason_find("duplicatex") == NULL) &&
	    T_TRUE(reason_find("dup: x") == NULL);
}

static int
sentence_unknown_and_missing(void)
{

	return T_STREQ(sentence("weird_code", "x"), "The session daemon "
	    "reported \u201cweird_code\u201d. Check the session daemon's "
	    "log.") && T_STREQ(sentence(NULL, NULL),
	    "No reason was recorded.") && T_STREQ(sentence("", "x"),
	    "No reason was recorded.") && T_TRUE(reason_find(NULL) == NULL);
}

/* A long cause is cut at 200 bytes, never inside a UTF-8 sequence. */
static int
sentence_cause_cut(void)
{
	char		 cause[400], *s;
	const char	*got;
	size_t		 i;

	memset(cause, 'a', 199);
	for (i = 199; i + 2 < sizeof(cause); i += 2)
		memcpy(cause + i, "\xc3\xa9", 2);	/* U+00E9 */
	cause[i] = '\0';
	got = sentence("server_error", cause);
	if ((s = strstr(got, " (")) == NULL)
		return 0;
	return T_TRUE(strncmp(s + 2 + 199, ")", 1) == 0) &&
	    T_TRUE(strstr(got, "\xc3)") == NULL);
}

static int
titles(void)
{

	return T_STREQ(event_title("pair_timeout"), "Pairing ended") &&
	    T_STREQ(event_title("no_such_kind"), "no_such_kind") &&
	    T_STREQ(event_title(NULL), "");
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(every_daemon_reason_has_a_sentence),
		T_CASE(every_event_kind_has_a_title),
		T_CASE(table_wording),
		T_CASE(sentence_names_the_cause),
		T_CASE(sentence_text_after_code),
		T_CASE(sentence_unknown_and_missing),
		T_CASE(sentence_cause_cut),
		T_CASE(titles),
	};

	return t_run(cases, T_NCASES(cases));
}
