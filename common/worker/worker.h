/* worker.h -- the one worker loop every revos worker plugs into.
 *
 *   poll a batch -> decode -> process (the worker's transformation)
 *     -> commit (state + offsets + outputs, atomically) -> relay
 *
 * Two delivery modes (DESIGN.md, "Delivery semantics"):
 *  - REVOS_DELIVERY_KAFKA_TXN (stateless ingest): outputs and consumed
 *    offsets go into one Kafka transaction.
 *  - REVOS_DELIVERY_PG_OUTBOX (stateful workers): one PostgreSQL transaction
 *    holds the worker's state change, the consumed offsets (compare-and-set)
 *    and the outputs (outbox rows); the outbox is then relayed to Kafka by an
 *    idempotent producer. On assignment the consumer seeks to the offsets
 *    stored in PostgreSQL.
 * Records the loop cannot decode, and records the transformation rejects,
 * go to the dead-letter topic inside the same transaction.
 *
 * Everything here runs on the worker's main thread: the transformation's
 * callbacks are never called concurrently. */
#ifndef REVOS_WORKER_H
#define REVOS_WORKER_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "avro/avro_codec.h"
#include "config/settings.h"
#include "core/status.h"

typedef enum revos_delivery {
    REVOS_DELIVERY_KAFKA_TXN,
    REVOS_DELIVERY_PG_OUTBOX
} revos_delivery;

/* Marks an input topic whose records are raw JSON, not Avro. */
#define REVOS_INPUT_RAW (-1)

typedef struct revos_msg {
    const char *topic;        /* full topic name, e.g. "revos.signals" */
    const char *topic_suffix; /* the name after the prefix, e.g. "signals", "raw.zendesk" */
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;     /* Kafka record timestamp */
    const uint8_t *key;
    size_t key_len;
    const uint8_t *payload;
    size_t len;
    json_t *record;           /* decoded Avro record (borrowed), NULL for raw inputs */
    revos_record_type type;   /* type of record, when not raw */
} revos_msg;

typedef struct revos_batch revos_batch;

/* The open PostgreSQL transaction of this batch (PG_OUTBOX mode and ticks),
 * NULL in KAFKA_TXN mode. Do not COMMIT or ROLLBACK on it. */
PGconn *revos_batch_pg(revos_batch *batch);

/* The governed configuration in force (all sections of config/ as one
 * object: "mapping", "scoring", "routing", "plays", "outcomes") and its
 * version, never NULL inside process/tick. */
const json_t *revos_batch_config(const revos_batch *batch);
int64_t revos_batch_config_version(const revos_batch *batch);

const revos_settings *revos_batch_settings(const revos_batch *batch);

/* Queues an output record for topic "<prefix><topic_suffix>" keyed by key
 * (may be NULL). It is encoded now (REVOS_ERR_INPUT if it does not match its
 * schema -- a bug in the caller) and published only if the batch commits. */
revos_status revos_batch_emit(revos_batch *batch, const char *topic_suffix, const char *key,
                              revos_record_type type, const json_t *record, revos_err *err);

/* Sends msg to the dead-letter topic with why->msg as the reason and
 * why->cls as its class, in this batch's transaction. */
void revos_batch_reject(revos_batch *batch, const revos_msg *msg, const revos_err *why);

/* Increments a counter of this worker, e.g. ("revos_pages_sent_total", NULL). */
void revos_batch_count(revos_batch *batch, const char *metric, const char *help, int64_t n);

/* The same for a counter with one label, e.g. ("...", "channel", "slack"). */
void revos_batch_count_by(revos_batch *batch, const char *metric, const char *help,
                          const char *label, const char *value, int64_t n);

typedef struct revos_worker_def {
    const char *name;           /* binary and consumer group name, e.g. "revos-score" */
    revos_delivery delivery;
    int default_http_port;
    size_t n_inputs;
    struct {
        const char *suffix;     /* topic after the prefix; "raw.*" subscribes to a pattern */
        int type;               /* revos_record_type, or REVOS_INPUT_RAW */
    } inputs[4];

    /* Creates the transformation's state (may be NULL). Errors are fatal. */
    revos_status (*init)(void **state, const revos_settings *settings, revos_err *err);
    /* Processes one batch in order, inside its transaction. Bad records:
     * revos_batch_reject and go on. Return REVOS_ERR_RETRY to roll the whole
     * batch back and retry it, REVOS_ERR_FATAL to stop the worker. */
    revos_status (*process)(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                            revos_err *err);
    /* Optional: called about every tick_ms, in its own PostgreSQL
     * transaction (committed when it returns REVOS_OK), for time-driven work
     * such as escalations. now_ms is the wall clock. */
    revos_status (*tick)(void *state, revos_batch *batch, int64_t now_ms, revos_err *err);
    int tick_ms;
    /* Optional: checks a configuration version (all sections) with the
     * worker's own loaders before the loop puts it in force. A version it
     * refuses is reported (log, revos_config_refused_total, /readyz detail)
     * and the last good version stays in force; with none yet, the worker
     * waits for a good one. The message names the offending key. */
    revos_status (*check_config)(const json_t *config, revos_err *err);
    /* Optional: partitions were revoked or lost; drop caches for them. */
    void (*on_revoke)(void *state, const char *topic, int32_t partition);
    void (*fini)(void *state);
} revos_worker_def;

/* Runs the worker until SIGTERM/SIGINT; returns the process exit code. */
int revos_worker_run(const revos_worker_def *def, int argc, char **argv);

#endif
