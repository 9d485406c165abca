/* engine.h -- revos-score's transformation, pure: an account's state + one
 * Signal + the scoring rules + tuned thresholds -> the new state and zero or
 * more ScoreUpdate records.
 *
 * No I/O and no wall clock: windows and ages count UTC days of event time,
 * "today" being the day of the newest signal seen for the account. Every
 * signal is scored as it is applied, so the same signals in the same order
 * with the same rules give bit-identical records whatever the batching.
 *
 * After each signal the engine computes every score in config order (each
 * score is an input of the next), detects derived signals (each raised once
 * per episode), and emits a ScoreUpdate for a kind when it is first
 * computed, moved by at least emit_min_change since the last emitted value,
 * changed tier, or (for the derived_on kind) raised a derived signal.
 * A score is its baseline plus one contribution per rule, each rounded to
 * 0.1 first, then clamped to 0-100 by a visible "clamp" contribution, so the
 * contributions always add up to the value.
 *
 * Not thread-safe per state; the rules are shared read-only. */
#ifndef REVOS_SCORE_ENGINE_H
#define REVOS_SCORE_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "core/status.h"
#include "score/rules.h"

typedef enum revos_score_outcome {
    REVOS_SCORE_APPLIED = 0,   /* folded in and scored */
    REVOS_SCORE_DUPLICATE      /* already applied to this account: no effect */
} revos_score_outcome;

/* Applies one Signal record (shaped like schemas/Signal.avsc) to state,
 * which must be the state of the signal's account (revos_score_state_new for
 * a new one). Appends the ScoreUpdate records (schemas/ScoreUpdate.avsc) to
 * updates. tuned: {score_kind: {tier: threshold}} or NULL.
 * Errors: REVOS_ERR_INPUT (malformed signal; err->cls set; state untouched),
 * REVOS_ERR_FATAL (state of another account: a caller bug). */
revos_status revos_score_engine_apply(const revos_score_rules *rules, json_t *state,
                                      const json_t *signal, const json_t *tuned,
                                      int64_t config_version, json_t *updates,
                                      revos_score_outcome *outcome, revos_err *err);

/* As revos_score_engine_apply, and also appends to latest (when not NULL)
 * one record per score kind as computed after this signal, emitted or not:
 * the current value that "explain" shows, while updates carries only the
 * moves worth publishing. */
revos_status revos_score_engine_apply_latest(const revos_score_rules *rules, json_t *state,
                                             const json_t *signal, const json_t *tuned,
                                             int64_t config_version, json_t *updates,
                                             json_t *latest, revos_score_outcome *outcome,
                                             revos_err *err);

/* The last computed value of a score kind in state, and its tier (NULL when
 * none); returns -1 when the kind was never computed. */
int revos_score_engine_current(const json_t *state, const char *kind, double *value,
                               const char **tier);

#endif
