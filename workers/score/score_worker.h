/* score_worker.h -- revos-score's callbacks for the worker loop
 * (common/worker/worker.h, REVOS_DELIVERY_PG_OUTBOX).
 *
 * Inputs: "signals" (Signal) and "thresholds" (ThresholdChange). For each
 * batch, inside the loop's PostgreSQL transaction: load and lock the states
 * of the batch's accounts and the threshold log (two queries); add every
 * signal to its account at its own event time (engine.h); record the new
 * threshold changes, and when there are some load and lock every account
 * with history since the earliest one's day; settle each touched account
 * once, in account order, queueing the ScoreUpdates that changed on
 * "scores" keyed by account_id; then write the states, the newest score of
 * each account and kind, and the threshold log (one statement each).
 * Malformed and too-late records go to the dead-letter topic. No cache:
 * the state lives in PostgreSQL only, so a rebalance needs no clean-up.
 *
 * All four run on the worker loop's main thread. */
#ifndef REVOS_SCORE_WORKER_H
#define REVOS_SCORE_WORKER_H

#include <stdint.h>

#include "worker/worker.h"

/* The "scoring" section through the rules loader (revos_score_rules_load). */
revos_status revos_score_config_check(const json_t *config, revos_err *err);

revos_status revos_score_init(void **state, const revos_settings *settings, revos_err *err);
revos_status revos_score_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                 revos_err *err);
void revos_score_on_revoke(void *state, const char *topic, int32_t partition);
void revos_score_fini(void *state);

#endif
