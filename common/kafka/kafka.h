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
#include "config/topics.h"
#include "core/status.h"

/* Delivery outcome counters for one producer (its opaque). With
 * on_failure set, it is also called once for every record that failed,
 * from the delivery report (inside rd_kafka_poll/flush, on the caller's
 * thread), with the record's per-message opaque (revos_kafka_produce_at). */
typedef struct revos_delivery_stats {
    int64_t delivered;
    int64_t failed;
    char last_error[256];
    void (*on_failure)(void *ctx, const rd_kafka_message_t *msg);
    void *ctx;
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
 * that accepts nothing must not hang the caller forever). The record
 * timestamp is librdkafka's default, the wall clock at produce time:
 * workers never copy a source's event time into it (a future one is
 * rejected, an old one is deleted by retention; event time travels in the
 * payload). Any refusal is REVOS_ERR_RETRY (REVOS_ERR_FATAL on a fatal
 * producer error), as the worker loop and the outbox relay expect. */
#define REVOS_KAFKA_QUEUE_FULL_WAIT_MS 30000
revos_status revos_kafka_produce(rd_kafka_t *producer, const char *topic, const void *key,
                                 size_t key_len, const void *value, size_t value_len,
                                 revos_err *err);

/* revos_kafka_produce with its own bound on the wait for queue space. */
revos_status revos_kafka_produce_within(rd_kafka_t *producer, const char *topic, const void *key,
                                        size_t key_len, const void *value, size_t value_len,
                                        int max_wait_ms, revos_err *err);

/* The same with an explicit CreateTime (timestamp_ms 0: the wall clock) and
 * a per-message opaque handed to revos_delivery_stats.on_failure. A record
 * librdkafka refuses by itself (larger than message.max.bytes) is
 * REVOS_ERR_INPUT: this record is bad, the next may go. */
revos_status revos_kafka_produce_at(rd_kafka_t *producer, const char *topic, const void *key,
                                    size_t key_len, const void *value, size_t value_len,
                                    int64_t timestamp_ms, void *msg_opaque, revos_err *err);

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

/* ==== Topics with a config policy ==== */

/* A topic and the topic-level configs it must have. */
typedef struct revos_topic_spec {
    const char *name;
    const revos_topic_config *configs;
    size_t n_configs;
} revos_topic_spec;

/* What revos_kafka_ensure_topics did, one call per event, on the caller's
 * thread: action is "created" (config, values NULL), "altered" (one call per
 * config whose value changed: old_value is what the broker had), "unchanged",
 * or "skipped" (the broker cannot describe or alter configs, as librdkafka's
 * mock cluster; old_value holds the reason). */
typedef void (*revos_topic_report_fn)(void *ctx, const char *topic, const char *action,
                                      const char *config, const char *old_value,
                                      const char *new_value);

/* Creates each missing topic with its configs, and brings each existing
 * one to them. librdkafka 2.0.2 has no IncrementalAlterConfigs, and the
 * AlterConfigs it has replaces a topic's whole set of overrides, so the
 * topic's current overrides (DescribeConfigs, source DYNAMIC_TOPIC_CONFIG)
 * are sent back with the policy's values merged in: an operator's other
 * overrides survive. A topic whose overrides include a sensitive value the
 * broker will not show cannot be altered safely and fails the call.
 * Errors: REVOS_ERR_RETRY (broker refused or did not answer),
 * REVOS_ERR_FATAL (out of memory, a bad name or config). */
revos_status revos_kafka_ensure_topics(rd_kafka_t *rk, const revos_topic_spec *specs, size_t n,
                                       int partitions, int replication,
                                       revos_topic_report_fn report, void *ctx, revos_err *err);

#endif
