/* metrics.h -- a tiny Prometheus metrics registry.
 *
 * Every worker exposes the same few numbers (records consumed, produced,
 * dead-lettered, batch latency, lag, ...) on its ops endpoint. This module
 * holds them: counters (int64, only go up), gauges (double, set to any
 * value) and histograms (fixed buckets), each with a name, a help text and at most one label pair, e.g.
 *
 *     revos_records_total{topic="revos.signals"} 1234
 *
 * and renders the whole registry in the Prometheus text exposition format
 * (version 0.0.4), with the HELP and TYPE lines once per metric name.
 *
 * Threads: registration (revos_metrics_counter/gauge) takes a mutex and is
 * meant for start-up on the main thread, though any thread may call it.
 * Updates (revos_counter_add, revos_gauge_set/add) are lock-free C11 atomics
 * and may be called from any thread, including librdkafka callbacks.
 * revos_metrics_render may run on another thread (the ops server's) at the
 * same time as updates and registrations. revos_metrics_free must be the
 * last call, after every updater and the ops server have stopped.
 *
 * Bounds: at most REVOS_METRICS_MAX_SERIES series. A registration past that,
 * or one with an invalid name, or one that reuses a counter's name for a
 * gauge (or the reverse), returns a shared "overflow" series: updates to it
 * are accepted and go nowhere, so a caller never has to check for NULL and a
 * label explosion never crashes a worker. The number of such refused
 * registrations is rendered as revos_metrics_refused_series_total once it is
 * non-zero. */
#ifndef REVOS_HTTP_METRICS_H
#define REVOS_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define REVOS_METRICS_MAX_SERIES 512
#define REVOS_METRICS_MAX_BUCKETS 16

typedef struct revos_metrics revos_metrics;
typedef struct revos_counter revos_counter;
typedef struct revos_gauge revos_gauge;
typedef struct revos_histogram revos_histogram;

/* Returns an empty registry, or NULL when out of memory. */
revos_metrics *revos_metrics_new(void);

/* Frees the registry and every series in it. Pointers returned by
 * revos_metrics_counter/gauge become invalid. NULL is a no-op. */
void revos_metrics_free(revos_metrics *metrics);

/* Returns the counter named `name` with the label pair label_name=label_value
 * (both NULL for no label), creating it on first use. Idempotent: the same
 * name and label pair return the same counter; the help text of the first
 * registration of a name is the one rendered. Names must match
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; label values
 * are any UTF-8 text (escaped on render). Never returns NULL as long as
 * metrics is not NULL (see "Bounds" above). */
revos_counter *revos_metrics_counter(revos_metrics *metrics, const char *name, const char *help,
                                     const char *label_name, const char *label_value);

/* Same as revos_metrics_counter, for a gauge. */
revos_gauge *revos_metrics_gauge(revos_metrics *metrics, const char *name, const char *help,
                                 const char *label_name, const char *label_value);

/* Same, for a histogram with the given upper bounds (strictly increasing,
 * finite, 1..REVOS_METRICS_MAX_BUCKETS of them; +Inf is implied). Rendered
 * as <name>_bucket{le="..."} (cumulative), <name>_sum and <name>_count.
 * Bounds of a later call for an existing series are ignored; invalid bounds
 * are a refused registration (see "Bounds"). */
revos_histogram *revos_metrics_histogram(revos_metrics *metrics, const char *name,
                                         const char *help, const char *label_name,
                                         const char *label_value, const double *bounds,
                                         size_t n_bounds);

/* Any thread. Records one observation (NaN is ignored). NULL is a no-op. */
void revos_histogram_observe(revos_histogram *histogram, double value);

/* Any thread. Observations so far. */
int64_t revos_histogram_count(const revos_histogram *histogram);

/* Any thread. Adds delta to the counter; a negative delta is ignored
 * (Prometheus counters never go down). NULL is a no-op. */
void revos_counter_add(revos_counter *counter, int64_t delta);

/* Any thread. Current value (for tests and the worker's own logic). */
int64_t revos_counter_value(const revos_counter *counter);

/* Any thread. Sets the gauge. NULL is a no-op. */
void revos_gauge_set(revos_gauge *gauge, double value);

/* Any thread. Adds delta (may be negative) to the gauge atomically, for
 * in-flight style gauges updated from several threads. NULL is a no-op. */
void revos_gauge_add(revos_gauge *gauge, double delta);

/* Any thread. Current value. */
double revos_gauge_value(const revos_gauge *gauge);

/* Any thread. The whole registry in Prometheus text format, series grouped
 * by name in registration order. Returns a malloc'd string the caller frees,
 * or NULL when out of memory. */
char *revos_metrics_render(revos_metrics *metrics);

#endif
