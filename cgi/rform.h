/*
 * The reminder form (issue 11) apart from its pages: what was typed
 * (struct rform), reading it from the decoded POST pairs, checking all
 * of it (every problem a sentence for its field) and building the rule
 * with lib/recur.c, and the locked entry points into lib/recur.c that
 * wadesk.fcgi's threads share.  No database and no HTML here, so
 * tests/fuzz/fuzz_rform.c drives it directly.  cgi/page_reminders.c
 * loads, draws and saves.
 */
#ifndef WADESK_RFORM_H
#define WADESK_RFORM_H

#include <stddef.h>
#include <stdint.h>

#include "cgi.h"
#include "recur.h"

#define	NAME_MAX_BYTES	200	/* reminders.name */
#define	TEXT_MAX_BYTES	4096	/* reminder_messages.text */
#define	MSGS_MAX	10	/* message boxes the form takes */
#define	TARGETS_MAX	REQ_FIELDS_MAX
#define	FIRES_SHOWN	5	/* next fire times on detail and preview */
#define	LOCAL_MAX	32	/* "YYYY-MM-DD HH:MM" and a bit */
#define	RF_NFREQ	5	/* rf_freq_names[]: enum recur_freq order */
#define	RF_NEND		3	/* rf_end_names[]: enum recur_end order */

/* Form fields that can carry an error, in the form's order. */
enum	ferr {
	FE_ACCOUNT, FE_NAME, FE_GROUPS, FE_MESSAGES, FE_WHEN, FE_TZ,
	FE_UNTIL, FE_RULE, FE_WINDOW, FE__MAX
};

/* The form as typed (or as loaded for an edit); strings are borrowed
 * from the request or a result that outlives the rendering. */
struct	rform {
	int64_t		 id;		/* 0: a new reminder */
	const char	*name;
	int64_t		 account;	/* 0: none chosen */
	const char	*label;		/* the account's label */
	const char	*jids[TARGETS_MAX];
	size_t		 njids;
	const char	*msgs[MSGS_MAX];
	size_t		 nmsgs;
	char		 date[16], time[16];
	const char	*tz;
	enum recur_freq	 freq;
	char		 interval[16];
	unsigned int	 weekdays;
	char		 monthday[16];
	enum recur_end	 end;
	char		 count[16];
	char		 until[16];
	char		 window[16];
	int		 preview;	/* "Preview" pressed */
	const char	*err[FE__MAX];
	const char	*error;		/* above the form */
	char		 errbuf[FE__MAX][256];
	/* Filled by rf_check() when everything is valid. */
	char		 rule[RECUR_RULE_MAX];
	int64_t		 first;
	int64_t		 saved_first;	/* edit: the stored first fire */
	int64_t		 fires[FIRES_SHOWN];
	int		 nfires;
	int		 win;		/* 0: none */
};

/* Form values and labels, indexed by enum recur_freq / recur_end. */
extern const char *const rf_freq_names[RF_NFREQ];	/* "none", ... */
extern const char *const rf_freq_labels[RF_NFREQ];
extern const char *const rf_end_names[RF_NEND];	/* "never", ... */
extern const char *const rf_end_labels[RF_NEND];
extern const char *const rf_wd_labels[7];		/* "Mon" .. "Sun" */

/* rform.c: lib/recur.c's functions, one caller at a time (recur.h). */
int	rz_zone_valid(const char *tz);
int	rz_local_to_utc(const char *tz, const char *local, int64_t *out,
	    const char **why);
int	rz_utc_to_local(const char *tz, int64_t t, char *out, size_t outsz);
int	rz_rule_build(const struct recur_controls *c, const char *tz,
	    int64_t first, char *out, const char **why);
int	rz_rule_parse(const char *rrule, const char *tz,
	    struct recur_controls *c, const char **why);
int	rz_next(const char *tz, int64_t first, const char *rrule,
	    int64_t after, int64_t *out, int n, const char **why);
int	rz_validate(const char *tz, int64_t first, const char *rrule,
	    const char **why);
int	rz_summary(const char *tz, int64_t first, const char *rrule,
	    struct buf *out, const char **why);

/* rform.c: the form. */
void	rf_local_text(const char *tz, int64_t t, char *out, size_t outsz);
int	rf_text_check(const char *s, size_t max, int multiline);
int	rf_id_parse(const char *s, int64_t *out);
int	rf_int_parse(const char *s, int lo, int hi, int *out);
int	rf_date_valid(const char *s);
int	rf_time_valid(const char *s);
void	rf_copy(char *dst, size_t dstsz, const char *s);
void	rf_err_set(struct rform *f, enum ferr e, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	rf_nerrors(const struct rform *f);
void	rf_defaults(struct rform *f, const char *tz, int64_t now);
void	rf_read(const struct kvlist *form, struct rform *f);
int	rf_check(struct rform *f, int account_ok, const char *const *groups,
	    size_t ngroups, int64_t now);

#endif /* !WADESK_RFORM_H */
