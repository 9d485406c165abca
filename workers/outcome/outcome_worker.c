/* outcome_worker.c -- revos-outcome's worker-loop callbacks: the batch as
 * a revos_outcome_io, then revos_outcome_apply. */
#include "outcome/outcome_worker.h"

#include "outcome/outcome_apply.h"
#include "outcome/tuning.h"

static revos_status batch_emit(void *ctx, const char *topic_suffix, const char *key,
                               revos_record_type type, const json_t *record, revos_err *err)
{
    return revos_batch_emit(ctx, topic_suffix, key, type, record, err);
}

static void batch_reject(void *ctx, const revos_msg *msg, const revos_err *why)
{
    revos_batch_reject(ctx, msg, why);
}

static void batch_count(void *ctx, const char *metric, const char *help, int64_t n)
{
    revos_batch_count(ctx, metric, help, n);
}

revos_status revos_outcome_config_check(const json_t *config, revos_err *err)
{
    char msg[256];
    if (revos_tuning_rule_check(json_object_get(config, "outcomes"), msg, sizeof msg) != 0)
        return revos_reject(err, "config", "%s", msg);
    return REVOS_OK;
}

revos_status revos_outcome_init(void **state, const revos_settings *settings, revos_err *err)
{
    (void)settings;
    (void)err;
    *state = NULL; /* everything lives in PostgreSQL */
    return REVOS_OK;
}

revos_status revos_outcome_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                   revos_err *err)
{
    (void)state;
    revos_outcome_io io = {
        .pg = revos_batch_pg(batch),
        .config = revos_batch_config(batch),
        .ctx = batch,
        .emit = batch_emit,
        .reject = batch_reject,
        .count = batch_count,
    };
    if (io.pg == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "revos-outcome needs PostgreSQL (PG_OUTBOX delivery)");
    return revos_outcome_apply(&io, msgs, n, err);
}

revos_status revos_outcome_tick(void *state, revos_batch *batch, int64_t now_ms, revos_err *err)
{
    (void)state;
    (void)now_ms;
    revos_outcome_io io = {
        .pg = revos_batch_pg(batch),
        .config = revos_batch_config(batch),
        .ctx = batch,
        .emit = batch_emit,
        .reject = batch_reject,
        .count = batch_count,
    };
    if (io.pg == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "revos-outcome needs PostgreSQL (PG_OUTBOX delivery)");
    return revos_outcome_reconcile(&io, err);
}

void revos_outcome_fini(void *state)
{
    (void)state;
}
