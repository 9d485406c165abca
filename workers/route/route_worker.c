/* route_worker.c -- revos-route's worker-loop callbacks: the batch as a
 * revos_route_io, then revos_route_apply (process) or revos_pager_tick
 * (tick). Pages are posted with common/http/webhook.h. */
#include "route/route_worker.h"

#include "http/webhook.h"
#include "route/pager.h"
#include "route/route_apply.h"

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

static void batch_count_by(void *ctx, const char *metric, const char *help, const char *label,
                           const char *value, int64_t n)
{
    revos_batch_count_by(ctx, metric, help, label, value, n);
}

static revos_status post_page(void *ctx, const revos_route_destination *dest, const json_t *page,
                              int64_t now_unix, revos_err *err)
{
    (void)ctx;
    /* Short timeouts: the tick posts on the worker's main thread. */
    revos_webhook_target target = {.url = dest->url, .secret = dest->secret,
                                   .format = dest->format, .connect_timeout_ms = 2000,
                                   .timeout_ms = 5000};
    return revos_webhook_post(&target, page, now_unix, err);
}

static revos_route_io io_of(revos_batch *batch)
{
    revos_route_io io = {
        .pg = revos_batch_pg(batch),
        .config = revos_batch_config(batch),
        .config_version = revos_batch_config_version(batch),
        .settings = revos_batch_settings(batch),
        .ctx = batch,
        .emit = batch_emit,
        .reject = batch_reject,
        .count = batch_count,
        .count_by = batch_count_by,
        .post = post_page,
    };
    return io;
}

revos_status revos_route_init(void **state, const revos_settings *settings, revos_err *err)
{
    (void)settings;
    (void)err;
    *state = NULL; /* everything lives in PostgreSQL */
    return REVOS_OK;
}

revos_status revos_route_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                 revos_err *err)
{
    (void)state;
    revos_route_io io = io_of(batch);
    if (io.pg == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "revos-route needs PostgreSQL (PG_OUTBOX delivery)");
    return revos_route_apply(&io, msgs, n, err);
}

revos_status revos_route_tick(void *state, revos_batch *batch, int64_t now_ms, revos_err *err)
{
    (void)state;
    revos_route_io io = io_of(batch);
    if (io.pg == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "revos-route needs PostgreSQL (PG_OUTBOX delivery)");
    return revos_pager_tick(&io, now_ms, err);
}

void revos_route_fini(void *state)
{
    (void)state;
}
