/* seasons.c -- institutional calendars. See seasons.h. */
#include "score/seasons.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "score/calendar.h"

static const unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* "MM-DD" -> month * 100 + day; -1 when malformed. */
static int parse_month_day(const char *text)
{
    unsigned m, d;
    char tail;
    if (text == NULL || strlen(text) != 5 || sscanf(text, "%2u-%2u%c", &m, &d, &tail) != 2)
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > month_days[m - 1])
        return -1;
    return (int)(m * 100 + d);
}

static revos_status load_calendar(const char *name, const json_t *obj,
                                  revos_score_calendar *cal, revos_err *err)
{
    const json_t *breaks = json_object_get(obj, "breaks");
    const json_t *weekends = json_object_get(obj, "weekends");
    if (weekends != NULL && !json_is_boolean(weekends))
        return revos_reject(err, "config", "scoring: seasons.calendars.%.40s.weekends must be true or false", name);
    cal->weekends = weekends == NULL || json_is_true(weekends);
    if (!json_is_array(breaks) || json_array_size(breaks) > REVOS_SCORE_MAX_BREAKS)
        return revos_reject(err, "config", "scoring: seasons.calendars.%.40s must be an array of at most %d breaks",
                            name, REVOS_SCORE_MAX_BREAKS);
    cal->name = name;
    cal->n_breaks = 0;
    for (size_t i = 0; i < json_array_size(breaks); i++) {
        const json_t *b = json_array_get(breaks, i);
        revos_score_break *out = &cal->breaks[i];
        out->name = json_string_value(json_object_get(b, "name"));
        out->from = parse_month_day(json_string_value(json_object_get(b, "from")));
        out->to = parse_month_day(json_string_value(json_object_get(b, "to")));
        if (out->name == NULL || out->name[0] == '\0' || out->from < 0 || out->to < 0)
            return revos_reject(err, "config",
                                "scoring: seasons.calendars.%.40s[%zu] needs a name and from/to dates as \"MM-DD\"",
                                name, i);
        cal->n_breaks = i + 1;
    }
    return REVOS_OK;
}

revos_status revos_score_seasons_load(const json_t *config, revos_score_seasons *out,
                                      revos_err *err)
{
    memset(out, 0, sizeof *out);
    if (config == NULL)
        return REVOS_OK;
    const json_t *calendars = json_object_get(config, "calendars");
    const json_t *segments = json_object_get(config, "segments");
    if (!json_is_object(config) || !json_is_object(calendars) || !json_is_array(segments))
        return revos_reject(err, "config", "scoring: seasons needs a calendars object and a segments array");
    if (json_object_size(calendars) > REVOS_SCORE_MAX_CALENDARS)
        return revos_reject(err, "config", "scoring: seasons.calendars holds more than %d calendars",
                            REVOS_SCORE_MAX_CALENDARS);
    const char *name;
    const json_t *breaks;
    revos_status st;
    json_object_foreach ((json_t *)calendars, name, breaks) {
        if ((st = load_calendar(name, breaks, &out->calendars[out->n_calendars], err)) != REVOS_OK)
            return st;
        out->n_calendars++;
    }
    if (json_array_size(segments) > REVOS_SCORE_MAX_SEGMENT_MATCHES)
        return revos_reject(err, "config", "scoring: seasons.segments holds more than %d entries",
                            REVOS_SCORE_MAX_SEGMENT_MATCHES);
    for (size_t i = 0; i < json_array_size(segments); i++) {
        const json_t *s = json_array_get(segments, i);
        const char *match = json_string_value(json_object_get(s, "match"));
        const char *cal = json_string_value(json_object_get(s, "calendar"));
        size_t found = out->n_calendars;
        for (size_t c = 0; cal != NULL && c < out->n_calendars; c++)
            if (strcmp(out->calendars[c].name, cal) == 0)
                found = c;
        if (match == NULL || match[0] == '\0' || found == out->n_calendars)
            return revos_reject(err, "config",
                                "scoring: seasons.segments[%zu] needs a non-empty match and a calendar of seasons.calendars",
                                i);
        out->matches[i].match = match;
        out->matches[i].calendar = found;
        out->n_matches = i + 1;
    }
    return REVOS_OK;
}

int revos_score_text_matches(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = haystack; *p != '\0'; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

const revos_score_calendar *revos_score_seasons_for(const revos_score_seasons *seasons,
                                                    const char *segment)
{
    if (seasons == NULL || segment == NULL || segment[0] == '\0')
        return NULL;
    for (size_t i = 0; i < seasons->n_matches; i++)
        if (revos_score_text_matches(segment, seasons->matches[i].match))
            return &seasons->calendars[seasons->matches[i].calendar];
    return NULL;
}

const revos_score_break *revos_score_calendar_break(const revos_score_calendar *cal, int64_t day)
{
    static const revos_score_break weekend = {"weekend", 0, 0};
    if (cal == NULL)
        return NULL;
    /* 1970-01-01 was a Thursday: day 2 a Saturday */
    int64_t dow = ((day % 7) + 7) % 7;
    if (!cal->weekends && (dow == 2 || dow == 3))
        return &weekend;
    int64_t year;
    unsigned month, mday;
    revos_day_to_civil(day, &year, &month, &mday);
    int md = (int)(month * 100 + mday);
    for (size_t i = 0; i < cal->n_breaks; i++) {
        const revos_score_break *b = &cal->breaks[i];
        int in = b->from <= b->to ? (md >= b->from && md <= b->to) : (md >= b->from || md <= b->to);
        if (in)
            return b;
    }
    return NULL;
}

/* ==== School days ==== */

int revos_score_school_days_init(revos_score_school_days *s, const revos_score_calendar *cal,
                                 int64_t from, int64_t to)
{
    memset(s, 0, sizeof *s);
    s->cal = cal;
    s->from = from;
    if (cal == NULL || to < from)
        return 0; /* nothing to count: every day is a school day, or asked one by one */
    s->prefix = malloc(((size_t)(to - from) + 2) * sizeof *s->prefix);
    if (s->prefix == NULL)
        return -1;
    s->n = (size_t)(to - from) + 1;
    s->prefix[0] = 0;
    for (size_t i = 0; i < s->n; i++)
        s->prefix[i + 1] = s->prefix[i] + (revos_score_calendar_break(cal, from + (int64_t)i) == NULL);
    return 0;
}

void revos_score_school_days_free(revos_score_school_days *s)
{
    free(s->prefix);
    s->prefix = NULL;
    s->n = 0;
}

int revos_score_is_school_day(const revos_score_school_days *s, int64_t day)
{
    if (s == NULL || s->cal == NULL)
        return 1;
    int64_t i = day - s->from;
    if (i >= 0 && (size_t)i < s->n)
        return s->prefix[i + 1] != s->prefix[i];
    return revos_score_calendar_break(s->cal, day) == NULL;
}

int64_t revos_score_school_days_count(const revos_score_school_days *s, int64_t from, int64_t to)
{
    if (to < from)
        return 0;
    if (s == NULL || s->cal == NULL)
        return to - from + 1;
    int64_t lo = from - s->from, hi = to - s->from;
    if (lo >= 0 && hi < (int64_t)s->n)
        return s->prefix[hi + 1] - s->prefix[lo];
    int64_t count = 0;
    for (int64_t d = from; d <= to; d++)
        count += revos_score_is_school_day(s, d);
    return count;
}
