/* kafka.h -- librdkafka handles configured the revos way.
 *
 * Builds consumers and producers from revos_settings (REVOS_KAFKA_BROKERS
 * plus any passed-through librdkafka property), routes librdkafka's logs into
 * the JSON log, and counts delivery reports so a caller can tell whether a
 * flush delivered everything. Used from the worker's main thread only;
 * librdkafka invokes the callbacks from rd_kafka_poll/flush/consumer_poll on
 * that same thread. */
#ifndef REVOS_KAFKA_H
#define REVOS_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "config/settings.h"
#include "core/status.h"

/* Delivery outcome counters for one producer (its opaque). */
typedef struct revos_delivery_stats {
    int64_t delivered;
    int64_t failed;
    char last_error[256];
} revos_delivery_stats;

/* Consumer with manual offsets, read_committed, cooperative-sticky
 * assignment and the given rebalance callback (opaque passed to it). */
revos_status revos_kafka_consumer_new(const revos_settings *settings, const char *group_id,
                                      void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                                                           rd_kafka_topic_partition_list_t *,
                                                           void *),
                                      void *opaque, rd_kafka_t **out, revos_err *err);

/* Idempotent producer; with transactional_id, a transactional one whose
 * transactions are initialised before returning. stats receives delivery
 * reports and must outlive the handle. */
revos_status revos_kafka_producer_new(const revos_settings *settings,
                                      const char *transactional_id, revos_delivery_stats *stats,
                                      rd_kafka_t **out, revos_err *err);

/* Produces one record (copying key and value). While librdkafka's local
 * queue is full it serves delivery reports to make room, for at most
 * REVOS_KAFKA_QUEUE_FULL_WAIT_MS; then REVOS_ERR_RETRY saying so (a broker
 * that accepts nothing must not hang the caller forever). */
#define REVOS_KAFKA_QUEUE_FULL_WAIT_MS 30000
revos_status revos_kafka_produce(rd_kafka_t *producer, const char *topic, const void *key,
                                 size_t key_len, const void *value, size_t value_len,
                                 revos_err *err);

/* revos_kafka_produce with its own bound on the wait for queue space. */
revos_status revos_kafka_produce_within(rd_kafka_t *producer, const char *topic, const void *key,
                                        size_t key_len, const void *value, size_t value_len,
                                        int max_wait_ms, revos_err *err);

/* Maps a librdkafka error object to a status (and destroys it). */
revos_status revos_kafka_error(rd_kafka_error_t *error, const char *what, revos_err *err);

/* Closes a consumer, giving up after timeout_ms: librdkafka 2.0.2 can hang
 * in close during a rebalance. Returns 0 when the close finished in time
 * (and the handle was destroyed), -1 when it was abandoned. */
int revos_kafka_consumer_close(rd_kafka_t *consumer, int timeout_ms);

/* Creates topics (already existing is fine: their settings are left alone).
 * config is NULL or "name=value,name=value" topic settings, e.g.
 * "max.message.bytes=4194304". */
revos_status revos_kafka_create_topics(rd_kafka_t *rk, const char *const *names, size_t n,
                                       int partitions, int replication, const char *config,
                                       revos_err *err);

#endif
