/* normalize_worker.h -- revos-normalize: SourceEvents -> Signals (and CRM
 * renewal Outcomes), every source's ids resolved to one account.
 *
 * One PostgreSQL transaction per batch (REVOS_DELIVERY_PG_OUTBOX) holds:
 *   1. one SELECT of every norm_identity row the batch may read, into a
 *      batch-local map (identity.h);
 *   2. each event in order: learn its links, resolve its account, emit its
 *      signals (signals.h) -- or, when the account is unknown, keep it to
 *      park (events later in the batch may still resolve it);
 *   3. while the batch has learned new links: one DELETE ... RETURNING of the
 *      parked events under those links, re-processed like new events (they
 *      may teach links in turn);
 *   4. one multi-row INSERT of the new links, one INSERT per parking table.
 * Unknown-account events are parked, never dropped or dead-lettered; invalid
 * ones are dead-lettered with class "validation".
 *
 * The core (revos_normalize_events, revos_normalize_sweep) takes a
 * connection inside an open transaction and a sink for its outputs, so tests
 * drive it without the worker loop; revos_normalize_process and
 * revos_normalize_tick adapt it to revos_worker_def.
 *
 * Thread-safety: everything runs on the worker's main thread. */
#ifndef REVOS_NORMALIZE_WORKER_H
#define REVOS_NORMALIZE_WORKER_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "avro/avro_codec.h"
#include "config/settings.h"
#include "core/status.h"
#include "worker/worker.h"

/* Where the core's outputs go. */
typedef struct revos_norm_sink {
    void *ctx;
    /* Queues a record: a Signal for "signals" or an Outcome for "outcomes",
     * keyed by account id. REVOS_ERR_INPUT means the record does not fit its
     * schema: the input is dead-lettered (class "mapping"). */
    revos_status (*emit)(void *ctx, const char *topic_suffix, const char *key,
                         revos_record_type type, const json_t *record, revos_err *err);
    /* Input event events[index] is invalid: dead-letter it. */
    void (*reject)(void *ctx, size_t index, const revos_err *why);
    /* Adds n to a counter (may be NULL). */
    void (*count)(void *ctx, const char *metric, const char *help, int64_t n);
} revos_norm_sink;

typedef struct revos_norm_stats {
    size_t signals;   /* Signal records emitted */
    size_t outcomes;  /* Outcome records emitted */
    size_t rejected;  /* input events dead-lettered */
    size_t parked;    /* input events written to the parking tables */
    size_t unparked;  /* parked events re-processed and emitted */
    size_t links;     /* identity links written */
} revos_norm_stats;

/* Normalizes events[0..n) (SourceEvent objects, borrowed; a NULL entry is
 * rejected) inside conn's open transaction. rules is the "signals" config
 * section or NULL. stats may be NULL.
 * Errors: REVOS_ERR_RETRY (database unavailable, serialization), REVOS_ERR_FATAL
 * (a bug, out of memory): the caller rolls the transaction back. */
revos_status revos_normalize_events(PGconn *conn, const json_t *rules, json_t *const *events,
                                    size_t n, const revos_norm_sink *sink,
                                    revos_norm_stats *stats, revos_err *err);

/* Re-processes up to limit parked events that one of their keys now
 * resolves -- events parked by one worker while another learned the link
 * concurrently. Same errors as revos_normalize_events. */
revos_status revos_normalize_sweep(PGconn *conn, const json_t *rules, long limit,
                                   const revos_norm_sink *sink, revos_norm_stats *stats,
                                   revos_err *err);

/* ==== revos_worker_def glue ====
 * Input topic "events" (REVOS_REC_SOURCE_EVENT), outputs "signals"
 * (REVOS_REC_SIGNAL) and "outcomes" (REVOS_REC_OUTCOME), delivery
 * REVOS_DELIVERY_PG_OUTBOX. Settings: REVOS_NORMALIZE_SWEEP_LIMIT (parked
 * events re-checked per tick, default 500; 0 disables the sweep).
 * Tables: workers/normalize/schema.sql. */
revos_status revos_normalize_init(void **state, const revos_settings *settings, revos_err *err);
revos_status revos_normalize_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                     revos_err *err);
revos_status revos_normalize_tick(void *state, revos_batch *batch, int64_t now_ms,
                                  revos_err *err);
void revos_normalize_fini(void *state);

#endif
