/* inputs.h -- the named inputs the scoring rules read, computed from one
 * account's facts as of the end of one event-time day, "today".
 *
 * Catalogue (name: type -- template variables):
 *   usage_trend_pct: number -- the typical in-session usage day (median) of
 *       the current window against the best block of the baseline before
 *       it, percent (see revos_score_window); days of the account's breaks
 *       (seasons.h) are skipped; missing until the current window and one
 *       short block of in-session history exist, or while the baseline is
 *       below the minimum level.
 *   ticket_ratio: number -- tickets opened in the last W days against the
 *       prior rate (see revos_score_window); missing until the ticket
 *       stream itself is old enough.
 *   ticket_count: number -- tickets opened in the last W days.
 *   ticket_days: number -- days of the last W with a ticket opened.
 *   usage_idle_days: number -- in-session days (the account's calendar)
 *       since the newest day with usage; missing before any usage.
 *   nps_latest: number -- the newest NPS score; missing before any response.
 *   nps_drop: number -- previous minus latest NPS; missing before two responses.
 *   champion_status: category -- for a champion who left the role or
 *       changed title within the champion window (or left it at any time,
 *       while nobody holds it): "pending" within the grace days, "changed"
 *       after them, "replaced" once another champion was named; otherwise
 *       "stable" (a champion is known) or "none".
 *   days_to_renewal: number -- renewal_date - today; missing with no open renewal.
 * The computed scores (account_health, ...) become inputs too, as the engine
 * computes them in config order.
 *
 * Each input carries its template variables (a string map, also reported as
 * a contribution's "inputs"), the ids of its evidence signals (newest first)
 * and an episode key for derived signals (a new key starts a new episode).
 * Pure; any thread. */
#ifndef REVOS_SCORE_INPUTS_H
#define REVOS_SCORE_INPUTS_H

#include <jansson.h>
#include <stddef.h>

#include "score/seasons.h"
#include "score/signal.h"
#include "score/state.h"

typedef enum revos_score_input_type {
    REVOS_INPUT_NUMBER,
    REVOS_INPUT_CATEGORY
} revos_score_input_type;

typedef struct revos_score_input {
    const char *name;      /* static or borrowed from the config */
    int present;           /* 0: missing (rules on it contribute 0) */
    double number;         /* REVOS_INPUT_NUMBER */
    const char *category;  /* REVOS_INPUT_CATEGORY; static string */
    json_t *vars;          /* owned: template variables, string -> string */
    json_t *evidence;      /* owned: array of signal ids, newest first */
    char episode[REVOS_SCORE_ID_MAX + 1];
} revos_score_input;

#define REVOS_SCORE_MAX_INPUTS 16
#define REVOS_SCORE_USAGE_MAX_CURRENT 120
#define REVOS_SCORE_USAGE_MAX_BLOCK 180
#define REVOS_SCORE_USAGE_MAX_BLOCKS 4

typedef struct revos_score_inputs {
    size_t n;
    revos_score_input items[REVOS_SCORE_MAX_INPUTS];
} revos_score_inputs;

typedef struct revos_score_window {
    int window_days;            /* W */
    int champion_window_days;
    int champion_grace_days;    /* a change nobody replaced within this reads "changed" */
    /* How far the usage stream may lag the account's newest signal before
     * its silence counts as zero usage: the usage windows end at the usage
     * stream's own newest day, or at today minus this, whichever is later.
     * Sources arrive with different delays; a ticket stamped today must not
     * make today's not-yet-arrived usage look like a drop. */
    int usage_lateness_days;
    int evidence_max;           /* evidence ids an input lists */
    /* usage_trend_pct ("usage" in the config): the typical in-session day
     * (median) of the last usage_current_days in-session days against the
     * best of up to usage_baseline_blocks blocks of usage_baseline_days
     * in-session days before them; a block of fewer than
     * usage_min_block_days counts only as the first; a baseline below
     * usage_min_level reads as "too little usage for a trend". The walk
     * back covers at most usage_span_days calendar days. */
    int usage_current_days;
    int usage_baseline_days;
    int usage_baseline_blocks;
    int usage_min_block_days;
    double usage_min_level;
    int usage_span_days;
    /* ticket_ratio ("tickets"): tickets of the last W days against the rate
     * of the ticket_prior_days before them (from the ticket stream's own
     * first ticket on, at least ticket_min_prior_days of it), both per
     * school day of the account's calendar, scaled to the current window
     * and floored at ticket_prior_floor tickets; missing while either
     * window is mostly a break. */
    int ticket_prior_days;
    int ticket_min_prior_days;
    double ticket_prior_floor;
} revos_score_window;

/* Whether name is a catalogue input; if so its type and the NULL-terminated
 * list of its template variables. */
int revos_score_input_lookup(const char *name, revos_score_input_type *type,
                             const char *const **vars);

/* What the inputs of one day are computed from. */
typedef struct revos_score_view {
    const json_t *disc;                 /* discrete facts as of the end of day (state.h) */
    const revos_score_series *usage;    /* day buckets (only days <= day are read) */
    const revos_score_series *tickets;
    const revos_score_school_days *school; /* the account's calendar (NULL: no breaks) */
    int64_t first_day;                  /* the account's first event day */
    int64_t day;                        /* "today": the day scored */
} revos_score_view;

/* Computes every catalogue input as of the end of view->day. Free with
 * revos_score_inputs_free. */
void revos_score_inputs_compute(revos_score_inputs *out, const revos_score_view *view,
                                const revos_score_window *window);

/* Appends a present numeric input (used for computed scores); vars and
 * evidence are stolen. Returns NULL when full. */
revos_score_input *revos_score_inputs_add(revos_score_inputs *inputs, const char *name,
                                          double number, json_t *vars, json_t *evidence);

const revos_score_input *revos_score_inputs_get(const revos_score_inputs *inputs,
                                                const char *name);

void revos_score_inputs_free(revos_score_inputs *inputs);

/* Formats a number for templates and records: integers without decimals
 * ("101"), otherwise one decimal ("28.5"). */
void revos_score_format_number(double value, char *out, size_t outlen);

#endif
