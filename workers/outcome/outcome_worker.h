/* outcome_worker.h -- revos-outcome's callbacks for the worker loop
 * (common/worker/worker.h): Outcomes on revos.outcomes -> play state, band
 * statistics and ThresholdChanges on revos.thresholds.
 *
 * The callbacks only adapt the loop's batch to revos_outcome_io; the work
 * is revos_outcome_apply (outcome_apply.h). revos_outcome_validate
 * (outcome_validate.h) is what revosctl calls before producing an outcome.
 * Main thread only, like every worker callback. */
#ifndef REVOS_OUTCOME_WORKER_H
#define REVOS_OUTCOME_WORKER_H

#include "outcome/outcome_validate.h"
#include "worker/worker.h"

/* The "outcomes" section through revos_tuning_rule_check. */
revos_status revos_outcome_config_check(const json_t *config, revos_err *err);

revos_status revos_outcome_init(void **state, const revos_settings *settings, revos_err *err);
revos_status revos_outcome_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                   revos_err *err);
/* Counts plays revos-route opened already closed (revos_outcome_reconcile). */
revos_status revos_outcome_tick(void *state, revos_batch *batch, int64_t now_ms, revos_err *err);
void revos_outcome_fini(void *state);

#endif
