/* state.h -- one account's scoring memory, as a JSON object (stored as
 * jsonb in score_account_state), and how a signal folds into it.
 *
 * Layout (every list bounded):
 *   "v": 1, "account": id,
 *   "first_day", "today": UTC day numbers (first seen, newest seen),
 *   "applied": [signal ids] oldest first, the last applied_max (dedup),
 *   "profile": {name, ae, csm, csm_lead, segment, domain, arr, renewal_date},
 *   "opps": {opportunity_id: {amount, close_day, signal}} open renewals (<= 16),
 *   "renewal": {opp, signal} the open renewal that sets renewal_date,
 *   "contacts": {contact_id: {title, roles: {role_key: role_class}, day}} (<= 64),
 *   "champion": {changed_day, signal, contact} the latest champion change,
 *   "champion_evidence": [signal ids] newest first,
 *   "usage"/"tickets": {first_day, days: [[day, amount]...] ascending, kept
 *       for the last 2W+5 days, evidence: [signal ids] newest first},
 *   "nps": {latest, latest_id, latest_ms, latest_day, previous, previous_id, previous_ms},
 *   "derived": {name: {active, key, id, severity}} (owned by the engine),
 *   "scores": {kind: {value, tier}} last computed,
 *   "emitted": {kind: {value, tier}} last emitted (owned by the engine).
 * Numbers are read with json_number_value, so the state survives a round
 * trip through jsonb (which may turn 10.0 into 10 or reorder keys); nothing
 * here depends on key order.
 *
 * Not thread-safe per state object; states of different accounts are
 * independent. */
#ifndef REVOS_SCORE_STATE_H
#define REVOS_SCORE_STATE_H

#include <jansson.h>
#include <stdint.h>

#include "core/status.h"
#include "score/signal.h"

#define REVOS_SCORE_STATE_VERSION 1
#define REVOS_SCORE_MAX_OPPS 16
#define REVOS_SCORE_MAX_CONTACTS 64
#define REVOS_SCORE_MAX_ROLES 8

typedef struct revos_score_limits {
    int window_days;   /* W: day buckets are kept for 2W + lateness_days + 5 days */
    int lateness_days; /* how far a stream's windows may end before today */
    int evidence_max;  /* evidence ids kept per input */
    int applied_max;   /* applied signal ids kept for de-duplication */
} revos_score_limits;

/* A new, empty state for account_id (new reference). */
json_t *revos_score_state_new(const char *account_id);

/* Checks a loaded state belongs to account_id and has a known layout.
 * Errors: REVOS_ERR_FATAL (the stored state is corrupt: a bug). */
revos_status revos_score_state_check(const json_t *state, const char *account_id, revos_err *err);

/* Whether signal_id is among the applied ids kept. */
int revos_score_state_applied(const json_t *state, const char *signal_id);

/* Folds one validated signal into the state: records it as applied, moves
 * today/first_day, and updates profile, renewals, contacts and champion,
 * usage and ticket buckets, NPS. Prunes every bounded list. */
void revos_score_state_fold(json_t *state, const revos_score_signal *sig,
                            const revos_score_limits *limits);

/* Reads an integer-valued number (also stored as a real); fallback if absent. */
int64_t revos_score_state_int(const json_t *obj, const char *key, int64_t fallback);

/* Sum of a series' day buckets over from..to (inclusive day numbers). */
double revos_score_state_window_sum(const json_t *series, int64_t from, int64_t to);

/* Whether any contact holds a champion role. */
int revos_score_state_has_champion(const json_t *state);

/* Pushes id in front of a newest-first id list, keeping at most max. */
void revos_score_state_push_evidence(json_t *list, const char *id, int max);

#endif
