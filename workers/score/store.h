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

#include "core/status.h"

/* Loads the states of n accounts: *states is a new object account_id ->
 * state holding the accounts that have one. A stored state that is not
 * JSON is REVOS_ERR_FATAL. */
revos_status revos_score_store_load_states(PGconn *conn, const char *const *accounts, size_t n,
                                           json_t **states, revos_err *err);

/* Upserts every state of states (account_id -> state) in one statement. */
revos_status revos_score_store_save_states(PGconn *conn, const json_t *states, revos_err *err);

/* Loads the tuned thresholds as {score_kind: {tier: threshold}} (new reference). */
revos_status revos_score_store_load_thresholds(PGconn *conn, json_t **tuned, revos_err *err);

/* Upserts ThresholdChange records (an array; for the same kind and tier the
 * last one wins) in one statement. */
revos_status revos_score_store_save_thresholds(PGconn *conn, const json_t *changes, revos_err *err);

/* Upserts score_current from ScoreUpdate records (an array; for the same
 * account and kind the last one wins) in one statement. */
revos_status revos_score_store_save_current(PGconn *conn, const json_t *updates, revos_err *err);

#endif
