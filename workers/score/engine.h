/* engine.h -- revos-score's transformation, pure: an account's event-time
 * state + Signals + the scoring rules + the tuned thresholds in force ->
 * the account's settled timeline and the ScoreUpdate records that changed.
 *
 * No I/O and no wall clock. Time is event time, counted in UTC days. The
 * score of a kind as of the end of day d is a function of the account's
 * events with event time on or before d, the rules, and the thresholds in
 * force on d -- never of arrival order, batching or restarts:
 *
 *  - add: a signal enters the state at its own day (state.h) and marks the
 *    timeline dirty from that day on; one older than the lateness horizon
 *    (rules->horizon_days behind the account's newest event) is refused;
 *  - settle: the days from the earliest dirty one to the newest are scored
 *    again in order. Each day folds that day's discrete events, computes
 *    every score in config order (each score is an input of the next),
 *    its tier (with hysteresis against the previous day's tier and the
 *    thresholds in force that day) and the derived signals (raised once per
 *    episode). The result is the day's cell: value and tier.
 *
 * Which cells are published is itself a function of the timeline: a cell
 * is publishable when it is the kind's first, moved by emit_min_change
 * from the last publishable cell, changed tier, or (for derived_on) raised
 * a derived signal. A ScoreUpdate goes out when a publishable cell is new
 * or differs from what was last sent for it, and when a cell sent before is
 * no longer publishable (then with previous_tier = tier and no derived
 * signals: nothing to act on). Its score_id names the cell,
 * "<account>:<kind>:<YYYY-MM-DD>", with ":r<n>" for its n-th revision, and
 * `revises` names the record it corrects; as_of is the end of the day.
 *
 * A score is its baseline plus one contribution per rule, each rounded to
 * 0.1 first, then clamped to 0-100 by a visible "clamp" contribution, so the
 * contributions always add up to the value.
 *
 * thresholds: ThresholdChange-shaped objects with "day" (the UTC day from
 * which each is in force), sorted by (day, change_id); may be NULL.
 * Not thread-safe per state; the rules are shared read-only. */
#ifndef REVOS_SCORE_ENGINE_H
#define REVOS_SCORE_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "core/status.h"
#include "score/rules.h"

typedef enum revos_score_outcome {
    REVOS_SCORE_APPLIED = 0,   /* added; the timeline is dirty from its day */
    REVOS_SCORE_DUPLICATE      /* already held by this account: no effect */
} revos_score_outcome;

/* Adds one Signal record (schemas/Signal.avsc) to state, which must be the
 * state of the signal's account (revos_score_state_new for a new one).
 * Errors: REVOS_ERR_INPUT (malformed signal, class "validation", or older
 * than the lateness horizon, class "too_late" with its age; state
 * untouched), REVOS_ERR_FATAL (state of another account: a caller bug). */
revos_status revos_score_engine_add(const revos_score_rules *rules, json_t *state,
                                    const json_t *signal, revos_score_outcome *outcome,
                                    revos_err *err);

/* Scores the dirty days of state again (nothing when settled) and appends
 * to updates the ScoreUpdate records (schemas/ScoreUpdate.avsc) that
 * changed, in day order, and to latest (when not NULL) one record per kind
 * for the newest day, published or not: what "explain" shows.
 * Errors: REVOS_ERR_FATAL (out of memory). */
revos_status revos_score_engine_settle(const revos_score_rules *rules, json_t *state,
                                       const json_t *thresholds, int64_t config_version,
                                       json_t *updates, json_t *latest, revos_err *err);

/* add then settle: one signal at a time. */
revos_status revos_score_engine_apply(const revos_score_rules *rules, json_t *state,
                                      const json_t *signal, const json_t *thresholds,
                                      int64_t config_version, json_t *updates,
                                      revos_score_outcome *outcome, revos_err *err);

/* The records of every kind as of the end of day (a UTC day number), from
 * a settled state, appended to records; state is not changed.
 * Errors: REVOS_ERR_INPUT when day lies outside the history held. */
revos_status revos_score_engine_at(const revos_score_rules *rules, const json_t *state,
                                   const json_t *thresholds, int64_t config_version, int64_t day,
                                   json_t *records, revos_err *err);

/* The settled value of a score kind on the newest day, and its tier (NULL
 * when none); returns -1 when the kind was never computed. */
int revos_score_engine_current(const json_t *state, const char *kind, double *value,
                               const char **tier, const revos_score_rules *rules);

#endif
