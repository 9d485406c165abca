/* batch.h -- the outputs of one batch, private to the worker loop.
 *
 * A batch collects encoded output records (including dead letters) until the
 * loop commits them: into the outbox (PG_OUTBOX) or a Kafka transaction
 * (KAFKA_TXN). Nothing is published unless the batch commits. */
#ifndef REVOS_WORKER_BATCH_H
#define REVOS_WORKER_BATCH_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "avro/avro_codec.h"
#include "config/settings.h"
#include "http/metrics.h"
#include "worker/worker.h"

/* Dead letters are always writable: the payload is cut to
 * REVOS_DLQ_MAX_PAYLOAD (default REVOS_DLQ_DEFAULT_PAYLOAD, at most
 * REVOS_DLQ_PAYLOAD_LIMIT) and the key to REVOS_DLQ_MAX_KEY, so a letter stays
 * below REVOS_AVRO_MAX_RECORD and Kafka's default 1 MB message size whatever
 * the size of the record it describes. */
#define REVOS_DLQ_DEFAULT_PAYLOAD (512 * 1024)
#define REVOS_DLQ_PAYLOAD_LIMIT (768 * 1024)
#define REVOS_DLQ_MAX_KEY 4096

typedef struct revos_output {
    char *topic;
    uint8_t *key;
    size_t key_len;
    uint8_t *value;
    size_t value_len;
} revos_output;

struct revos_batch {
    const char *worker_name;
    PGconn *pg;
    const json_t *config;
    int64_t config_version;
    const revos_settings *settings;
    revos_avro *codec;
    revos_metrics *metrics;
    size_t dlq_max_payload;    /* 0: REVOS_DLQ_PAYLOAD_LIMIT */
    revos_output *outputs;
    size_t n_outputs;
    size_t cap_outputs;
    size_t n_rejected;
    revos_status alloc_status; /* REVOS_ERR_FATAL once an allocation failed,
                                  REVOS_ERR_RETRY when a dead letter could not
                                  be encoded for now (schema registry down) */
};

void revos_batch_init(revos_batch *batch);
void revos_batch_clear(revos_batch *batch);

#endif
