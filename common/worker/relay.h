/* relay.h -- the transactional outbox (PG_OUTBOX mode).
 *
 * Outputs are written to the outbox table in the batch's transaction; the
 * relay then publishes them in id order with the idempotent producer and
 * deletes what was delivered. A crash between publishing and deleting
 * publishes those records again: every record carries a deterministic id, so
 * consumers recognise the repeat. One relay per worker name runs at a time
 * (a transaction-scoped advisory lock), which keeps per-key order. */
#ifndef REVOS_WORKER_RELAY_H
#define REVOS_WORKER_RELAY_H

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#include "core/status.h"
#include "http/metrics.h"
#include "kafka/kafka.h"
#include "worker/batch.h"

/* Inserts outputs into the outbox with one statement (caller's transaction). */
revos_status revos_outbox_write(PGconn *conn, const char *producer, const revos_output *outputs,
                                size_t n, revos_err *err);

/* Publishes and deletes pending outbox rows of producer until none is left
 * or a delivery fails (REVOS_ERR_RETRY; the rows stay for the next try). */
revos_status revos_outbox_relay(PGconn *conn, rd_kafka_t *kafka_producer,
                                revos_delivery_stats *stats, const char *producer,
                                revos_metrics *metrics, revos_err *err);

#endif
