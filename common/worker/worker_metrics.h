/* worker_metrics.h -- the catalogue of every series a worker exposes, so
 * that each one is on /metrics at 0 from start-up (a counter that appears
 * only after its first event makes rate() and absent() alerts lie), plus the
 * few measurements the loop takes besides counting: batch size and duration
 * histograms, outbox backlog and age, consumer lag per partition.
 *
 * Names (all prefixed revos_):
 *   records_in_total, records_out_total           all topics together
 *   topic_records_in_total{topic}, topic_records_out_total{topic}
 *   batches_total, batch_failures_total, batch_retries_total,
 *   transaction_aborts_total, producer_recreated_total
 *   batch_records (histogram), batch_duration_seconds (histogram)
 *   dead_letters_total, dead_letters_by_class_total{class}
 *   outbox_relayed_total, outbox_backlog, outbox_oldest_age_seconds
 *   kafka_offset_commits_total, consumer_lag{partition="<topic>[<n>]"},
 *   assigned_partitions, config_version, config_refresh_failures_total,
 *   ready, dependency_up{dependency}
 *   and each worker's own counters (pages, escalations, scores, ...).
 *
 * Threads: the worker's main thread (registration and updates); the
 * registry itself may be rendered concurrently by the ops server. */
#ifndef REVOS_WORKER_METRICS_H
#define REVOS_WORKER_METRICS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "http/metrics.h"

/* Dead-letter classes counted by class (DeadLetter.error_class). */
extern const char *const revos_dead_letter_classes[];

/* Registers every series of worker `name` ("revos-score" or "score") at 0. inputs are the input topic
 * suffixes ("signals", or a pattern "raw.*" expanded from the topic
 * catalogue); pg_outbox says whether the outbox series apply. */
void revos_worker_metrics_register(revos_metrics *metrics, const revos_settings *settings,
                                   const char *name, const char *const *inputs, size_t n_inputs,
                                   int pg_outbox);

/* One committed batch: its size and its wall time (poll excluded). */
void revos_worker_metrics_batch(revos_metrics *metrics, size_t records, double seconds);

/* Counts n records consumed from (or emitted to) a full topic name. */
void revos_worker_metrics_topic_in(revos_metrics *metrics, const char *topic, int64_t n);
void revos_worker_metrics_topic_out(revos_metrics *metrics, const char *topic, int64_t n);

/* Sets the consumer lag of one partition (high watermark - next offset). */
void revos_worker_metrics_lag(revos_metrics *metrics, const char *topic, int32_t partition,
                              int64_t lag);

/* Reads this producer's outbox backlog (rows) and the age of its oldest row
 * into outbox_backlog / outbox_oldest_age_seconds. Outside a transaction;
 * a failure leaves the gauges as they were (the readiness probe reports a
 * lost database). */
void revos_worker_metrics_outbox(revos_metrics *metrics, PGconn *conn, const char *producer);

#endif
