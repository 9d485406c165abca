/* state.h -- one account's scoring memory in event time, as a JSON object
 * (stored as bytes in score_account_state.blob, state_codec.h), and how a
 * signal enters it.
 *
 * The state keeps the account's history over the lateness horizon, in the
 * order of event time, never of arrival, so that the score as of any day is
 * a function of the events up to that day (see engine.h):
 *
 *   "v": 2, "account": id,
 *   "first_day", "newest_day": UTC day numbers of the oldest and newest
 *       event added (any scored or unscored signal),
 *   "dirty_from": the earliest day whose scores must be recomputed (absent
 *       when the timeline is settled),
 *   "base_day": set once trimmed: days before it were folded into "base"
 *       and are gone (until then the history starts at first_day),
 *   "base": the discrete facts as of the end of base_day - 1 (a "disc"),
 *   "events": the discrete signals (profile, renewal, contact, role, NPS)
 *       with day >= base_day, as compact Signal records sorted by
 *       (occurred_at, signal_id),
 *   "usage"/"tickets": day buckets, dense from "from": "v" sums, "n"
 *       signal counts, "ms"/"id" the newest signal of each day (evidence),
 *   "recent": ids of the last applied_max bucketed signals, for
 *       de-duplicating a redelivery (discrete ones are found in "events"),
 *   "ck": {"day", "disc"}: the discrete facts as of the end of "day", a
 *       checkpoint that spares a fold from base when events arrive in order,
 *   "cells": {"from", "k": {kind: [tenths...]}, "t": {kind: [tier...]}}: the
 *       settled timeline, one value (tenths) and tier index (-1: none) per
 *       day from "from" to newest_day,
 *   "pub": {kind: {day: [revision, tenths, tier, previous tier, derived,
 *       publishable]}}: what was last emitted for each published cell,
 *   "dlog": {derived name: [[day, active, key, id, severity, since, ended]...]}: the
 *       derived-signal episodes as they changed, by day.
 *
 * A "disc" is the old per-account layout of discrete facts:
 *   "profile": {name, ae, csm, csm_lead, segment, product_line, domain, arr, renewal_date},
 *   "opps": {opportunity_id: {amount, close_day, signal}} open renewals (<= 16),
 *   "renewal": {opp, signal} the open renewal that sets renewal_date,
 *   "contacts": {contact_id: {title, roles: {role_key: role_class}, day}} (<= 64),
 *   "role_contacts": {role_key: contact_id},
 *   "champion": {changed_day, signal, contact, replaced_day?, replaced_by?}
 *       the latest champion change, and who took the role after it,
 *   "champion_evidence": [signal ids] newest first,
 *   "nps": {latest, latest_id, latest_ms, latest_day, previous, previous_id, previous_ms}.
 *
 * Numbers are read with json_number_value, so the state survives a round
 * trip through the stored form; nothing here depends on key order. Not thread-safe
 * per state object; states of different accounts are independent. */
#ifndef REVOS_SCORE_STATE_H
#define REVOS_SCORE_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "score/signal.h"

#define REVOS_SCORE_STATE_VERSION 2
#define REVOS_SCORE_MAX_OPPS 16
#define REVOS_SCORE_MAX_CONTACTS 64
#define REVOS_SCORE_MAX_ROLES 8

typedef struct revos_score_limits {
    int window_days;   /* W */
    int lateness_days; /* how far the usage stream may lag (inputs.h) */
    int evidence_max;  /* evidence ids kept per input */
    int applied_max;   /* bucketed signal ids kept for de-duplication */
    int horizon_days;  /* lateness horizon: older events are too late */
    int usage_span_days;   /* calendar days the usage trend may read back */
    int ticket_prior_days; /* the ticket ratio's prior window */
} revos_score_limits;

/* Days of bucket history an evaluation may read before the day it scores. */
int revos_score_lookback_days(const revos_score_limits *limits);

typedef enum revos_score_add_result {
    REVOS_SCORE_ADDED = 0,
    REVOS_SCORE_ADD_DUPLICATE,  /* already in the state: no effect */
    REVOS_SCORE_ADD_TOO_LATE    /* older than newest_day - horizon_days: not added */
} revos_score_add_result;

/* A new, empty state for account_id (new reference). */
json_t *revos_score_state_new(const char *account_id);

/* Checks a loaded state belongs to account_id and has a known layout.
 * Errors: REVOS_ERR_FATAL (the stored state is corrupt: a bug). */
revos_status revos_score_state_check(const json_t *state, const char *account_id, revos_err *err);

/* Adds one validated signal (record is its Signal record) at its own event
 * time and moves dirty_from back to its day. *age_days: how many days it
 * is older than the account's newest event (0 when newer). */
revos_score_add_result revos_score_state_add(json_t *state, const revos_score_signal *sig,
                                             const json_t *record,
                                             const revos_score_limits *limits,
                                             int64_t *age_days);

/* Marks the timeline dirty from day on (a threshold change in force from
 * then); no effect when day is after newest_day. */
void revos_score_state_touch(json_t *state, int64_t day);

/* Folds one discrete signal into a disc (see above). */
void revos_score_disc_fold(json_t *disc, const revos_score_signal *sig, int evidence_max);

/* Drops what lies before new_base_day: events folded into "base" (disc is
 * the disc as of the end of new_base_day - 1), buckets older than the
 * lookback, cells, published cells and episode logs. */
void revos_score_state_trim(json_t *state, int64_t new_base_day, json_t *disc,
                            const revos_score_limits *limits);

/* Reads an integer-valued number (also stored as a real); fallback if absent. */
int64_t revos_score_state_int(const json_t *obj, const char *key, int64_t fallback);

/* Whether any contact of a disc holds a champion role. */
int revos_score_state_has_champion(const json_t *disc);

/* Pushes id in front of a newest-first id list, keeping at most max. */
void revos_score_state_push_evidence(json_t *list, const char *id, int max);

/* ==== Day buckets, read for evaluation ==== */

typedef struct revos_score_series {
    int64_t from;          /* day of index 0 */
    size_t n;              /* days held */
    double *prefix;        /* owned: prefix[i] = sum of v[0..i-1], n + 1 entries */
    int64_t *last;         /* owned: last[i] = newest index <= i with a signal, -1 none */
    const json_t *ids;     /* borrowed: the "id" array */
    int64_t first_day;     /* first day with a signal, INT64_MAX when none */
} revos_score_series;

/* Reads state[name] into *s (empty when absent). Returns -1 when out of memory. */
int revos_score_series_load(revos_score_series *s, const json_t *state, const char *name);
void revos_score_series_free(revos_score_series *s);

/* Sum of the buckets over from..to (inclusive day numbers). */
double revos_score_series_sum(const revos_score_series *s, int64_t from, int64_t to);

/* The newest day <= day that holds a signal, or INT64_MIN when none. */
int64_t revos_score_series_last_day(const revos_score_series *s, int64_t day);

/* Appends to list the evidence ids of the newest days in from..to with a
 * signal, newest first, up to max ids in the list. */
void revos_score_series_evidence(const revos_score_series *s, int64_t from, int64_t to,
                                 json_t *list, int max);

#endif
