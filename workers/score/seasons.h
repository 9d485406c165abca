/* seasons.h -- the institutional calendars of the scoring config: which
 * days of the year an account's segment is on a break (a K-12 summer, a
 * university's winter break), so that the usage rules read the school
 * year and never mistake a break for a decline.
 *
 * Config ("seasons" in config/scoring.json):
 *   "segments": [{"match": text, "calendar": name}...] -- the first entry
 *       whose match occurs in the account's segment (case-insensitive)
 *       picks its calendar; no match: no breaks;
 *   "calendars": {name: {"weekends": bool, "breaks": [{"name", "from":
 *       "MM-DD", "to": "MM-DD"}...]}} -- breaks as inclusive day-of-year
 *       ranges, wrapping the year end when from is after to ("12-18" to
 *       "01-05"); weekends false: Saturdays and Sundays are not school days
 *       either (default true).
 *
 * A compiled revos_score_seasons borrows its strings from the config
 * document; immutable, share it read-only. */
#ifndef REVOS_SCORE_SEASONS_H
#define REVOS_SCORE_SEASONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define REVOS_SCORE_MAX_CALENDARS 8
#define REVOS_SCORE_MAX_BREAKS 12
#define REVOS_SCORE_MAX_SEGMENT_MATCHES 16

typedef struct revos_score_break {
    const char *name;   /* e.g. "summer break" */
    int from, to;       /* month * 100 + day */
} revos_score_break;

typedef struct revos_score_calendar {
    const char *name;   /* e.g. "k12" */
    int weekends;       /* 0: Saturday and Sunday are out of session */
    size_t n_breaks;
    revos_score_break breaks[REVOS_SCORE_MAX_BREAKS];
} revos_score_calendar;

typedef struct revos_score_seasons {
    size_t n_calendars;
    revos_score_calendar calendars[REVOS_SCORE_MAX_CALENDARS];
    size_t n_matches;
    struct {
        const char *match;
        size_t calendar;
    } matches[REVOS_SCORE_MAX_SEGMENT_MATCHES];
} revos_score_seasons;

/* Compiles the "seasons" object (NULL: no calendars). Errors:
 * REVOS_ERR_INPUT naming the offending key. */
revos_status revos_score_seasons_load(const json_t *config, revos_score_seasons *out,
                                      revos_err *err);

/* Whether text contains match, ignoring ASCII case (how segments and
 * product lines are matched, here and by rule overrides). */
int revos_score_text_matches(const char *text, const char *match);

/* The calendar of a segment, or NULL (no segment, or none matches). */
const revos_score_calendar *revos_score_seasons_for(const revos_score_seasons *seasons,
                                                    const char *segment);

/* The break that holds day (a UTC day number), or NULL when the day is in
 * session (and always when cal is NULL). A weekend of a calendar without
 * weekends is the static break "weekend". */
const revos_score_break *revos_score_calendar_break(const revos_score_calendar *cal, int64_t day);

/* The school days of one calendar over a range of days, counted once so
 * that a window's school days are one subtraction and a day's status one
 * lookup: the scoring pass builds it for the account's calendar and every
 * input reads it. Days outside the range are asked of the calendar. */
typedef struct revos_score_school_days {
    const revos_score_calendar *cal;  /* NULL: every day is a school day */
    int64_t from;                     /* day of index 0 */
    size_t n;                         /* days counted */
    int32_t *prefix;                  /* owned: school days in from..from+i-1, n + 1 entries */
} revos_score_school_days;

/* Counts the school days of cal over from..to (inclusive). Returns -1 when
 * out of memory (s is then empty and still answers, day by day). */
int revos_score_school_days_init(revos_score_school_days *s, const revos_score_calendar *cal,
                                 int64_t from, int64_t to);
void revos_score_school_days_free(revos_score_school_days *s);

/* Whether day is a school day (not a break, nor a weekend of a calendar
 * without weekends). */
int revos_score_is_school_day(const revos_score_school_days *s, int64_t day);

/* School days in from..to (inclusive; 0 when to < from). */
int64_t revos_score_school_days_count(const revos_score_school_days *s, int64_t from, int64_t to);

#endif
