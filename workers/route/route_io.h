/* route_io.h -- what revos-route's work needs from the outside world.
 *
 * The worker loop's batch provides it in production (route_worker.c); the
 * tests provide a real PostgreSQL connection and record what is emitted and
 * posted. Everything is used on the calling thread only. */
#ifndef REVOS_ROUTE_IO_H
#define REVOS_ROUTE_IO_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "avro/avro_codec.h"
#include "config/settings.h"
#include "core/status.h"
#include "worker/worker.h"

/* Where one page goes. */
typedef struct revos_route_destination {
    const char *url;     /* never NULL when posted */
    const char *secret;  /* HMAC key for the generic JSON webhook, may be NULL */
    const char *format;  /* "json", "slack" or "pagerduty" */
} revos_route_destination;

typedef struct revos_route_io {
    PGconn *pg;                      /* the open transaction; never committed here */
    const json_t *config;            /* "routing", "plays", ... */
    int64_t config_version;
    const revos_settings *settings;  /* REVOS_PAGE_WEBHOOK_URL / _SECRET */
    void *ctx;                       /* passed to the functions below */

    /* Queues an output record (revos_batch_emit). */
    revos_status (*emit)(void *ctx, const char *topic_suffix, const char *key,
                         revos_record_type type, const json_t *record, revos_err *err);
    /* Sends an input record to the dead-letter topic (revos_batch_reject). */
    void (*reject)(void *ctx, const revos_msg *msg, const revos_err *why);
    /* Increments a counter (revos_batch_count); may be NULL. */
    void (*count)(void *ctx, const char *metric, const char *help, int64_t n);
    /* Posts one page. REVOS_ERR_RETRY: try again later (backoff);
     * REVOS_ERR_INPUT: the destination refused it for good; anything else
     * is treated like RETRY. */
    revos_status (*post)(void *ctx, const revos_route_destination *dest, const json_t *page,
                         int64_t now_unix, revos_err *err);
    /* How long one tick may spend posting (0: REVOS_PAGER_POST_BUDGET_MS);
     * pages left over wait for the next tick, untouched. */
    int64_t post_budget_ms;
    /* As count, for a counter with one label (metric{label="value"}). */
    void (*count_by)(void *ctx, const char *metric, const char *help, const char *label,
                     const char *value, int64_t n);
} revos_route_io;

static inline void revos_route_io_count_by(const revos_route_io *io, const char *metric,
                                           const char *help, const char *label,
                                           const char *value, int64_t n)
{
    if (io->count_by != NULL && n != 0)
        io->count_by(io->ctx, metric, help, label, value, n);
}

static inline void revos_route_io_count(const revos_route_io *io, const char *metric,
                                        const char *help, int64_t n)
{
    if (io->count != NULL && n != 0)
        io->count(io->ctx, metric, help, n);
}

#endif
