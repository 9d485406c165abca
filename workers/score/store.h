/* store.h -- revos-score's PostgreSQL tables (workers/score/schema.sql):
 * account states, current scores, tuned thresholds.
 *
 * Every function runs one parameterized statement on conn inside the
 * caller's open transaction (the worker loop's batch transaction): batch
 * reads use = ANY($1::text[]) and batch writes one multi-row
 * INSERT ... SELECT FROM unnest(...) ON CONFLICT. Errors are pg.h's classes:
 * REVOS_ERR_RETRY (connection, serialization) or REVOS_ERR_FATAL. Main
 * thread only (the connection is not shared). */
#ifndef REVOS_SCORE_STORE_H
#define REVOS_SCORE_STORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Loads and locks (FOR UPDATE, in account order) the states of n
 * accounts: *states is a new object account_id -> state holding the
 * accounts that have one. A stored state that is not JSON is
 * REVOS_ERR_FATAL. */
revos_status revos_score_store_load_states(PGconn *conn, const char *const *accounts, size_t n,
                                           json_t **states, revos_err *err);

/* As revos_score_store_load_states, for a caller that keeps states in
 * memory (state_cache.h). versions holds the version of a
 * state the caller has in memory for accounts[i], or -1: a row still at
 * that version is locked but not read, its account put in *unchanged (a
 * new object account_id -> true) instead. A stored state that is not JSON
 * is REVOS_ERR_FATAL. */
revos_status revos_score_store_load_states_versioned(PGconn *conn, const char *const *accounts,
                                                     const int64_t *versions, size_t n,
                                                     json_t **states, json_t **unchanged,
                                                     revos_err *err);

/* Loads and locks every state whose newest day is >= day into states
 * (accounts already there are kept as they are): the accounts a threshold
 * change in force from day re-scores. */
revos_status revos_score_store_load_states_from(PGconn *conn, int64_t day, json_t *states,
                                                revos_err *err);

/* Upserts every state of states (account_id -> state) in one statement,
 * versioned with the id of the current transaction, which *version gets
 * (0 when states is empty; version may be NULL). sizes (may be NULL) gets each state's stored
 * bytes, in the order json_object_foreach visits states. */
revos_status revos_score_store_save_states(PGconn *conn, const json_t *states, size_t *sizes,
                                           int64_t *version, revos_err *err);

/* Loads every applied threshold change, oldest effective day first, as
 * {change_id, score_kind, tier, new_threshold, day} (new reference). */
revos_status revos_score_store_load_thresholds(PGconn *conn, json_t **changes, revos_err *err);

/* Records threshold changes (objects as loaded, "day" the UTC day from
 * which each is in force; change_ids distinct) in the log, a known
 * change_id taking the new threshold and day, and sets score_thresholds to the
 * bound in force last for each tier they touch; one statement. */
revos_status revos_score_store_save_thresholds(PGconn *conn, const json_t *changes, revos_err *err);

/* Upserts score_current from ScoreUpdate records (an array; for the same
 * account and kind the last one wins) in one statement. */
revos_status revos_score_store_save_current(PGconn *conn, const json_t *updates, revos_err *err);

/* Upserts score_tiers (account, kind, event-time day -> tier) from tiered
 * ScoreUpdate records, the latest revision of a cell winning, in one
 * statement: what revos-outcome reads as the band an account was in on
 * the day of an outcome without a play. */
revos_status revos_score_store_save_tiers(PGconn *conn, const json_t *updates, revos_err *err);

#endif
