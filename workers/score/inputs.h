/* inputs.h -- the named inputs the scoring rules read, computed from one
 * account's facts as of the end of one event-time day, "today".
 *
 * Catalogue (name: type -- template variables):
 *   usage_change_pct: number -- usage in the current window (today-W+1..today)
 *       vs the prior window (today-2W+1..today-W), percent; missing until the
 *       account's first usage day <= today-2W+1.
 *   ticket_ratio: number -- tickets opened in the current window / max(prior,1),
 *       1 when both are 0; missing until the first-seen day <= today-2W+1.
 *   nps_latest: number -- the newest NPS score; missing before any response.
 *   nps_drop: number -- previous minus latest NPS; missing before two responses.
 *   champion_status: category -- "changed" (a champion changed within the
 *       champion window), "stable" (a champion is known, none changed), "none".
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

typedef struct revos_score_inputs {
    size_t n;
    revos_score_input items[REVOS_SCORE_MAX_INPUTS];
} revos_score_inputs;

typedef struct revos_score_window {
    int window_days;            /* W */
    int champion_window_days;
    /* How far the usage stream may lag the account's newest signal before
     * its silence counts as zero usage: the usage windows end at the usage
     * stream's own newest day, or at today minus this, whichever is later.
     * Sources arrive with different delays; a ticket stamped today must not
     * make today's not-yet-arrived usage look like a drop. */
    int usage_lateness_days;
    int evidence_max;           /* evidence ids an input lists */
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
