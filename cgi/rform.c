/*
 * The reminder form: reading, checking, building the rule; see
 * rform.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "recur.h"
#include "rform.h"

/*
 * lib/recur.c runs on libical, whose zone cache is process-wide and not
 * thread safe, and wadesk.fcgi serves from several threads (main.c):
 * every call into it from the pages goes through these wrappers, one
 * at a time.
 */
static pthread_mutex_t	 recur_lock = PTHREAD_MUTEX_INITIALIZER;

/* recur_zone_valid() under the lock (recur.h). */
int
rz_zone_valid(const char *tz)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_zone_valid(tz);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/* recur_local_to_utc() under the lock (recur.h). */
int
rz_local_to_utc(const char *tz, const char *local, int64_t *out,
    const char **why)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_local_to_utc(tz, local, out, why);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/* recur_utc_to_local() under the lock (recur.h). */
int
rz_utc_to_local(const char *tz, int64_t t, char *out, size_t outsz)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_utc_to_local(tz, t, out, outsz);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/* recur_rule_build() under the lock (recur.h). */
int
rz_rule_build(const struct recur_controls *c, const char *tz, int64_t first,
    char *out, const char **why)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_rule_build(c, tz, first, out, why);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/* recur_rule_parse() under the lock (recur.h). */
int
rz_rule_parse(const char *rrule, const char *tz, struct recur_controls *c,
    const char **why)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_rule_parse(rrule, tz, c, why);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/* recur_next() under the lock (recur.h). */
int
rz_next(const char *tz, int64_t first, const char *rrule, int64_t after,
    int64_t *out, int n, const char **why)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_next(tz, first, rrule, after, out, n, why);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/* recur_validate() under the lock (recur.h). */
int
rz_validate(const char *tz, int64_t first, const char *rrule,
    const char **why)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_validate(tz, first, rrule, why);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/* recur_summary() under the lock (recur.h). */
int
rz_summary(const char *tz, int64_t first, const char *rrule, struct buf *out,
    const char **why)
{
	int	 rc;

	pthread_mutex_lock(&recur_lock);
	rc = recur_summary(tz, first, rrule, out, why);
	pthread_mutex_unlock(&recur_lock);
	return rc;
}

/*
 * 0 if "s" is text the daemon may send or show: valid UTF-8 without
 * control characters (tab and line breaks only when "multiline"),
 * not only blanks, at most "max" bytes.  Else -1 (bad bytes), -2 (too
 * long) or -3 (blank).
 */
int
rf_text_check(const char *s, size_t max, int multiline)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i, k, n;
	int			 blank = 1;

	if (len > max)
		return -2;
	for (i = 0; i < len; i += n) {
		n = 1;
		if (p[i] < 0x80) {
			if (p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
				if (!multiline)
					return -1;
				continue;
			}
			if (p[i] < 0x20 || p[i] == 0x7f)
				return -1;
			if (p[i] != ' ')
				blank = 0;
			continue;
		}
		blank = 0;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			return -1;
		if (i + n > len)
			return -1;
		for (k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
		if ((p[i] == 0xe0 && p[i + 1] < 0xa0) ||
		    (p[i] == 0xed && p[i + 1] > 0x9f) ||
		    (p[i] == 0xf0 && p[i + 1] < 0x90) ||
		    (p[i] == 0xf4 && p[i + 1] > 0x8f))
			return -1;
	}
	return blank ? -3 : 0;
}

/* A positive decimal id (1..INT64_MAX) in *out: 0, else -1. */
int
rf_id_parse(const char *s, int64_t *out)
{
	char		*end;
	long long	 n;

	if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
		return -1;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || n <= 0)
		return -1;
	*out = (int64_t)n;
	return 0;
}

/* A small whole number lo..hi in *out: 0; "" is -2; else -1. */
int
rf_int_parse(const char *s, int lo, int hi, int *out)
{
	char	*end;
	long	 n;

	if (s == NULL || *s == '\0')
		return -2;
	if (strlen(s) > 6 || strspn(s, "0123456789") != strlen(s))
		return -1;
	n = strtol(s, &end, 10);
	if (*end != '\0' || n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

/* 1 if "s" is "YYYY-MM-DD" with a plausible month and day. */
int
rf_date_valid(const char *s)
{
	int	 m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2 ||
	    strspn(s + 8, "0123456789") != 2)
		return 0;
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* 1 if "s" is "HH:MM" or "HH:MM:SS" (a browser's step may add seconds). */
int
rf_time_valid(const char *s)
{
	size_t	 n = strlen(s);

	if ((n != 5 && n != 8) || s[2] != ':' || (n == 8 && s[5] != ':'))
		return 0;
	if (strspn(s, "0123456789") != 2 || strspn(s + 3, "0123456789") != 2 ||
	    (n == 8 && strspn(s + 6, "0123456789") != 2))
		return 0;
	return (s[0] - '0') * 10 + (s[1] - '0') < 24 &&
	    (s[3] - '0') * 10 + (s[4] - '0') < 60 &&
	    (n == 5 || (s[6] - '0') * 10 + (s[7] - '0') < 60);
}

/* "s" (NULL: "") into "dst", cut to fit: an echo of what was typed. */
void
rf_copy(char *dst, size_t dstsz, const char *s)
{

	size_t	 n;

	if (s == NULL)
		s = "";
	n = strlen(s);
	if (n >= dstsz)
		n = dstsz - 1;	/* only an echo of what was typed */
	memcpy(dst, s, n);
	dst[n] = '\0';
}

const char *const rf_freq_names[] = {
	"none", "daily", "weekly", "monthly", "yearly"
};
const char *const rf_freq_labels[] = {
	"Does not repeat", "Daily", "Weekly", "Monthly (by day of month)",
	"Yearly"
};
const char *const rf_end_names[] = { "never", "count", "until" };
const char *const rf_end_labels[] = {
	"never", "after a number of times", "on a date"
};
const char *const rf_wd_labels[] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

/* Record "fmt" as field "e"'s error, unless it has one already. */
void
rf_err_set(struct rform *f, enum ferr e, const char *fmt, ...)
{
	va_list	 ap;

	if (f->err[e] != NULL)
		return;		/* the first problem of a field is enough */
	va_start(ap, fmt);
	vsnprintf(f->errbuf[e], sizeof(f->errbuf[e]), fmt, ap);
	va_end(ap);
	f->err[e] = f->errbuf[e];
}

/* How many fields of "f" have an error. */
int
rf_nerrors(const struct rform *f)
{
	int	 i, n = 0;

	for (i = 0; i < FE__MAX; i++)
		n += f->err[i] != NULL;
	return n;
}

/* The form's defaults: the operator's zone, the next minute. */
void
rf_defaults(struct rform *f, const char *tz, int64_t now)
{
	char	 l[LOCAL_MAX];

	f->tz = tz;
	f->freq = RECUR_NONE;
	f->end = RECUR_END_NEVER;
	rf_copy(f->interval, sizeof(f->interval), "1");
	if (rz_utc_to_local(tz, (now / 60 + 1) * 60, l, sizeof(l)) == 0 &&
	    strlen(l) >= 16) {
		snprintf(f->date, sizeof(f->date), "%.10s", l);
		snprintf(f->time, sizeof(f->time), "%.5s", l + 11);
	}
}

/*
 * Read the posted form "form" into "f" (strings borrowed from it).  A
 * malformed weekday, frequency or end is recorded as a field error.
 */
void
rf_read(const struct kvlist *form, struct rform *f)
{
	const char	*k, *v;
	size_t		 i, j;
	int		 n;

	for (i = 0; i < form->n; i++) {
		k = form->kv[i].key;
		v = form->kv[i].val;
		if (strcmp(k, "g") == 0 && *v != '\0') {
			for (j = 0; j < f->njids; j++)
				if (strcmp(f->jids[j], v) == 0)
					break;
			if (j == f->njids && f->njids < TARGETS_MAX)
				f->jids[f->njids++] = v;
		} else if (strcmp(k, "message") == 0) {
			if (f->nmsgs < MSGS_MAX)
				f->msgs[f->nmsgs++] = v;
			else if (*v != '\0')
				rf_err_set(f, FE_MESSAGES,
				    "At most %d messages "
				    "can be sent per fire.", MSGS_MAX);
		} else if (strcmp(k, "wd") == 0) {
			if (rf_int_parse(v, 0, 6, &n) == 0)
				f->weekdays |= 1u << n;
			else
				rf_err_set(f, FE_RULE,
				    "A weekday in the form is "
				    "not valid; reload the page.");
		}
	}
	f->name = kv_get(form, "name");
	if (f->name == NULL)
		f->name = "";
	if (rf_id_parse(kv_get(form, "account"), &f->account) == -1)
		f->account = 0;
	rf_copy(f->date, sizeof(f->date), kv_get(form, "date"));
	rf_copy(f->time, sizeof(f->time), kv_get(form, "time"));
	f->tz = kv_get(form, "tz");
	if (f->tz == NULL)
		f->tz = "";
	v = kv_get(form, "freq");
	f->freq = RECUR_NONE;
	if (v != NULL) {
		for (j = 0; j < RF_NFREQ; j++)
			if (strcmp(v, rf_freq_names[j]) == 0)
				break;
		if (j == RF_NFREQ)
			rf_err_set(f, FE_RULE,
			    "Choose how the reminder repeats "
			    "from the list.");
		else
			f->freq = (enum recur_freq)j;
	}
	v = kv_get(form, "end");
	f->end = RECUR_END_NEVER;
	if (v != NULL) {
		for (j = 0; j < RF_NEND; j++)
			if (strcmp(v, rf_end_names[j]) == 0)
				break;
		if (j == RF_NEND)
			rf_err_set(f, FE_RULE,
			    "Choose how the repeats end from "
			    "the list.");
		else
			f->end = (enum recur_end)j;
	}
	rf_copy(f->interval, sizeof(f->interval), kv_get(form, "interval"));
	rf_copy(f->monthday, sizeof(f->monthday), kv_get(form, "monthday"));
	rf_copy(f->count, sizeof(f->count), kv_get(form, "count"));
	rf_copy(f->until, sizeof(f->until), kv_get(form, "until"));
	rf_copy(f->window, sizeof(f->window), kv_get(form, "window"));
	f->preview = kv_get(form, "preview") != NULL;
}

/*
 * Check the whole form, for an account that is the operator's
 * ("account_ok") with the synced group JIDs groups[0..ngroups), at
 * "now" (Unix s, wall_now()); fills f->rule, f->first, f->win and the
 * next fire times (f->fires[0] is the next_fire_at to save).  Returns
 * the number of field errors (0: the form may be saved).
 */
int
rf_check(struct rform *f, int account_ok, const char *const *groups,
    size_t ngroups, int64_t now)
{
	struct recur_controls	 c;
	const char		*why = NULL, *raw;
	char			 local[40], l2[LOCAL_MAX + 64];
	size_t			 i, nmsg = 0;
	size_t			 j;
	int			 n, rc, zone_ok;

	/* Name. */
	if ((rc = rf_text_check(f->name, NAME_MAX_BYTES, 0)) == -3)
		rf_err_set(f, FE_NAME, "Give the reminder a name.");
	else if (rc == -2)
		rf_err_set(f, FE_NAME, "The name is %zu bytes long; at most %d "
		    "are allowed.", strlen(f->name), NAME_MAX_BYTES);
	else if (rc == -1)
		rf_err_set(f, FE_NAME,
		    "The name must be plain text on one line "
		    "(UTF-8, no control characters).");
	/* Account and groups. */
	if (!account_ok)
		rf_err_set(f, FE_ACCOUNT, "Choose one of your accounts (with "
		    "Show its groups), then its groups.");
	else if (f->njids == 0)
		rf_err_set(f, FE_GROUPS, "Choose at least one group to send "
		    "to.");
	else {
		for (i = 0; i < f->njids; i++) {
			for (j = 0; j < ngroups; j++)
				if (strcmp(groups[j], f->jids[i]) == 0)
					break;
			if (j == ngroups) {
				rf_err_set(f, FE_GROUPS, "%.80s is not one of "
				    "this account's groups (it may have left "
				    "it; sync its groups and choose again).",
				    f->jids[i]);
				break;
			}
		}
	}
	/* Messages. */
	for (i = 0; i < f->nmsgs; i++) {
		if ((rc = rf_text_check(f->msgs[i], TEXT_MAX_BYTES, 1)) == -3)
			continue;
		nmsg++;
		if (rc == -2)
			rf_err_set(f, FE_MESSAGES, "Message %zu is %zu bytes "
			    "long; at most %d bytes can be sent.", nmsg,
			    strlen(f->msgs[i]), TEXT_MAX_BYTES);
		else if (rc == -1)
			rf_err_set(f, FE_MESSAGES, "Message %zu is not plain "
			    "UTF-8 text; remove any control characters.",
			    nmsg);
	}
	if (nmsg == 0)
		rf_err_set(f, FE_MESSAGES,
		    "Type at least one message; an empty "
		    "message cannot be sent.");
	/* Zone and first fire. */
	zone_ok = rf_text_check(f->tz, 64, 0) == 0 && rz_zone_valid(f->tz);
	if (!zone_ok)
		rf_err_set(f, FE_TZ, "\"%.64s\" is not a time zone this server "
		    "knows; use an IANA name such as Europe/Berlin or UTC.",
		    f->tz);
	f->first = 0;
	if (!rf_date_valid(f->date) || !rf_time_valid(f->time))
		rf_err_set(f, FE_WHEN, "Give the first fire as a date "
		    "(YYYY-MM-DD) and a time (HH:MM).");
	else if (zone_ok) {
		snprintf(local, sizeof(local), "%sT%.5s", f->date, f->time);
		if (rz_local_to_utc(f->tz, local, &f->first, &why) == -1)
			rf_err_set(f, FE_WHEN, "%s", why != NULL ? why :
			    "The first fire is not a valid local time.");
		else if (f->first < now && f->first != f->saved_first) {
			rf_local_text(f->tz, now, l2, sizeof(l2));
			rf_err_set(f, FE_WHEN, "The first fire is in the past "
			    "(it is now %s); choose a later time.", l2);
		}
	}
	/* Recurrence controls. */
	memset(&c, 0, sizeof(c));
	c.freq = f->freq;
	c.end = f->end;
	c.interval = 1;
	if (f->freq != RECUR_NONE) {
		if ((rc = rf_int_parse(f->interval, 1, RECUR_INTERVAL_MAX,
		    &c.interval)) == -1)
			rf_err_set(f, FE_RULE, "The interval must be a whole "
			    "number from 1 to %d.", RECUR_INTERVAL_MAX);
		c.weekdays = f->freq == RECUR_WEEKLY ? f->weekdays : 0;
		if (f->freq == RECUR_MONTHLY && rf_int_parse(f->monthday, 1, 31,
		    &c.monthday) == -1)
			rf_err_set(f, FE_RULE, "The day of the month must be a "
			    "number from 1 to 31, or empty for the first "
			    "fire's day.");
		if (f->end == RECUR_END_COUNT && rf_int_parse(f->count, 1,
		    RECUR_COUNT_MAX, &c.count) != 0)
			rf_err_set(f, FE_UNTIL, "Say after how many times it "
			    "ends: a number from 1 to %d.", RECUR_COUNT_MAX);
		if (f->end == RECUR_END_UNTIL) {
			if (!rf_date_valid(f->until))
				rf_err_set(f, FE_UNTIL, "Give the end date as "
				    "YYYY-MM-DD.");
			else if (rf_date_valid(f->date) &&
			    strcmp(f->until, f->date) < 0)
				rf_err_set(f, FE_UNTIL, "The end date %s is "
				    "before the first fire (%s); it would "
				    "never fire.", f->until, f->date);
			else
				rf_copy(c.until, sizeof(c.until), f->until);
		}
	}
	/* Window. */
	f->win = 0;
	if ((rc = rf_int_parse(f->window, 1, 24, &f->win)) == -1)
		rf_err_set(f, FE_WINDOW,
		    "The window end must be an hour from 1 "
		    "to 24, or empty for no window.");
	else if (rc == -2)
		f->win = 0;
	if (rf_nerrors(f) > 0)
		return rf_nerrors(f);
	/* The rule and its occurrences. */
	f->rule[0] = '\0';
	if (rz_rule_build(&c, f->tz, f->first, f->rule, &why) == -1) {
		rf_err_set(f, FE_RULE, "%s", why != NULL ? why :
		    "The repeat settings do not make a rule.");
		return rf_nerrors(f);
	}
	raw = f->rule[0] != '\0' ? f->rule : NULL;
	if (rz_validate(f->tz, f->first, raw, &why) == -1) {
		rf_err_set(f, FE_RULE, "%s", why != NULL ? why :
		    "The rule never fires.");
		return rf_nerrors(f);
	}
	n = rz_next(f->tz, f->first, raw, now - 1, f->fires, FIRES_SHOWN,
	    &why);
	if (n == -1)
		rf_err_set(f, FE_RULE, "%s", why != NULL ? why :
		    "The fire times cannot be computed.");
	else if (n == 0)
		rf_err_set(f, FE_RULE, "This schedule has no fire time left "
		    "after now; move the first fire or the end.");
	f->nfires = n > 0 ? n : 0;
	return rf_nerrors(f);
}

/*
 * Unix seconds "t" as "YYYY-MM-DD HH:MM Zone" in zone "tz" into "out"
 * (LOCAL_MAX + 64 bytes); an unknown zone falls back to UTC.
 */
void
rf_local_text(const char *tz, int64_t t, char *out, size_t outsz)
{
	char	 l[LOCAL_MAX], *p;

	if (tz == NULL || rz_utc_to_local(tz, t, l, sizeof(l)) == -1) {
		tz = "UTC";
		if (rz_utc_to_local(tz, t, l, sizeof(l)) == -1) {
			snprintf(out, outsz, "%" PRId64, t);
			return;
		}
	}
	if ((p = strchr(l, 'T')) != NULL)
		*p = ' ';
	snprintf(out, outsz, "%s %s", l, tz);
}
