/* worker_metrics.c -- every series at 0 from start-up, and the loop's own
 * measurements. See worker_metrics.h for the names.
 *
 * The worker-specific counters are incremented by the workers' own code
 * (revos_batch_count) under the names and help texts listed in `own` below;
 * registering them here first is what makes them visible before their first
 * event. A name missing from this table still works, it only appears late. */
#include "worker/worker_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/topics.h"

const char *const revos_dead_letter_classes[] = {
    "decode", "validation", "unknown_source", "oversized", "too_late", NULL,
};

static const double batch_records_bounds[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 4096};
static const double batch_seconds_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,     2.5,  5,     10,   30};

typedef struct named {
    const char *name;
    const char *help;
} named;

static const named common_counters[] = {
    {"revos_records_in_total", "Records consumed"},
    {"revos_records_out_total", "Records emitted"},
    {"revos_batches_total", "Batches committed"},
    {"revos_batch_failures_total", "Batches rolled back"},
    {"revos_batch_retries_total", "Batches rolled back to be retried after a transient failure"},
    {"revos_transaction_aborts_total", "Kafka transactions aborted"},
    {"revos_producer_recreated_total", "Kafka producers replaced after a fatal error"},
    {"revos_dead_letters_total", "Records sent to the dead-letter topic"},
    {"revos_config_refresh_failures_total", "Failed reads of the governed configuration"},
    {NULL, NULL},
};

static const named outbox_counters[] = {
    {"revos_outbox_relayed_total", "Outbox records published"},
    {"revos_kafka_offset_commits_total",
     "Informational commits of the PostgreSQL-stored offsets to the Kafka group"},
    {NULL, NULL},
};

/* Each worker's own counters, and the topics it writes (besides dlq). */
/* A counter with one label, present at 0 for each of its known values. */
typedef struct labeled {
    const char *name, *help, *label;
    const char *values[4];
} labeled;

typedef struct worker_catalogue {
    const char *worker;
    const char *outputs[4];
    named counters[16];
    labeled by[4];
} worker_catalogue;

static const worker_catalogue own[] = {
    {"ingest", {"events"}, {{"revos_ingest_ignored_total", "Raw records the mapping deliberately ignores"}}, {{0}}},
    {"normalize",
     {"signals", "outcomes"},
     {{"revos_normalize_signals_total", "Signals emitted"},
      {"revos_normalize_parked_total", "SourceEvents parked until their account is known"},
      {"revos_normalize_unparked_total",
       "Parked SourceEvents re-processed once their account became known"}}, {{0}}},
    {"score",
     {"scores"},
     {{"revos_score_signals_total", "Signals applied to account scores"},
      {"revos_score_updates_total", "ScoreUpdate records emitted"},
      {"revos_score_duplicate_signals_total",
       "Signals skipped because they were already applied to the account"},
      {"revos_score_threshold_changes_total", "Tuned thresholds applied"},
      {"revos_score_state_cache_hits_total", "Account states taken from memory, their rows unchanged"},
      {"revos_score_state_cache_misses_total", "Account states read and decoded from PostgreSQL"},
      {"revos_score_state_cache_evictions_total",
       "Cached account states evicted to stay within REVOS_SCORE_CACHE_MB"}}, {{0}}},
    {"route",
     {"actions"},
     {{"revos_pages_sent_total", "Pages delivered to their destination"},
      {"revos_page_retries_total", "Page deliveries to retry"},
      {"revos_pages_failed_total", "Pages given up on"},
      {"revos_escalations_total", "Decisions escalated to a next level"},
      {"revos_sla_breaches_total", "Decisions not acknowledged within their SLA"},
      {"revos_escalations_exhausted_total",
       "Unacknowledged decisions with no further escalation level"},
      {"revos_escalations_unroutable_total", "Escalations whose matrix entry is gone"},
      {"revos_route_decisions_total", "Triggers decided (opened or attached)"},
      {"revos_route_plays_opened_total", "Plays opened"},
      {"revos_route_notices_opened_total", "Decisions without a play opened"},
      {"revos_route_triggers_attached_total", "Triggers attached to an already open decision"},
      {"revos_route_unresolved_roles_total", "Owner roles nobody holds for the account"}},
     /* deliveries by channel: a page's format (workers/route/pager.c) */
     {{"revos_pages_sent_by_channel_total", "Pages delivered, by channel", "channel",
       {"json", "slack", "pagerduty"}},
      {"revos_pages_retried_by_channel_total", "Page deliveries to retry, by channel", "channel",
       {"json", "slack", "pagerduty"}},
      {"revos_pages_failed_by_channel_total", "Pages given up on, by channel", "channel",
       {"json", "slack", "pagerduty"}}}},
    {"outcome",
     {"thresholds"},
     {{"revos_outcomes_total", "Outcomes applied"},
      {"revos_outcomes_duplicate_total", "Outcomes already recorded"},
      {"revos_threshold_changes_total", "ThresholdChanges emitted"}}, {{0}}},
};

static void zero_counters(revos_metrics *m, const named *list)
{
    for (; list->name != NULL; list++)
        revos_metrics_counter(m, list->name, list->help, NULL, NULL);
}

void revos_worker_metrics_topic_in(revos_metrics *metrics, const char *topic, int64_t n)
{
    revos_counter_add(revos_metrics_counter(metrics, "revos_topic_records_in_total",
                                            "Records consumed per topic", "topic", topic),
                      n);
}

void revos_worker_metrics_topic_out(revos_metrics *metrics, const char *topic, int64_t n)
{
    revos_counter_add(revos_metrics_counter(metrics, "revos_topic_records_out_total",
                                            "Records emitted per topic", "topic", topic),
                      n);
}

static void register_input(revos_metrics *m, const revos_settings *s, const char *suffix)
{
    char topic[320];
    size_t len = strlen(suffix);
    if (len >= 2 && strcmp(suffix + len - 2, ".*") == 0) {
        /* a pattern ("raw.*"): every catalogue topic it matches */
        for (const char *const *t = revos_topic_suffixes; *t != NULL; t++)
            if (strncmp(*t, suffix, len - 1) == 0) {
                revos_settings_topic(s, *t, topic, sizeof topic);
                revos_worker_metrics_topic_in(m, topic, 0);
            }
        return;
    }
    revos_settings_topic(s, suffix, topic, sizeof topic);
    revos_worker_metrics_topic_in(m, topic, 0);
}

void revos_worker_metrics_register(revos_metrics *metrics, const revos_settings *settings,
                                   const char *name, const char *const *inputs, size_t n_inputs,
                                   int pg_outbox)
{
    if (metrics == NULL)
        return;
    zero_counters(metrics, common_counters);
    if (pg_outbox) {
        zero_counters(metrics, outbox_counters);
        revos_metrics_gauge(metrics, "revos_outbox_backlog", "Outbox rows not yet relayed to Kafka",
                            NULL, NULL);
        revos_metrics_gauge(metrics, "revos_outbox_oldest_age_seconds",
                            "Age of the oldest outbox row not yet relayed (0 when empty)", NULL,
                            NULL);
    }
    revos_metrics_histogram(metrics, "revos_batch_records", "Records per committed batch", NULL,
                            NULL, batch_records_bounds,
                            sizeof batch_records_bounds / sizeof batch_records_bounds[0]);
    revos_metrics_histogram(metrics, "revos_batch_duration_seconds",
                            "Time to decode, process and commit one batch", NULL, NULL,
                            batch_seconds_bounds,
                            sizeof batch_seconds_bounds / sizeof batch_seconds_bounds[0]);
    for (const char *const *c = revos_dead_letter_classes; *c != NULL; c++)
        revos_metrics_counter(metrics, "revos_dead_letters_by_class_total",
                              "Records sent to the dead-letter topic, by error class", "class", *c);
    for (size_t i = 0; i < n_inputs; i++)
        register_input(metrics, settings, inputs[i]);
    char topic[320];
    revos_settings_topic(settings, "dlq", topic, sizeof topic);
    revos_worker_metrics_topic_out(metrics, topic, 0);
    const char *shortname = strncmp(name, "revos-", 6) == 0 ? name + 6 : name;
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        if (strcmp(own[i].worker, shortname) != 0)
            continue;
        for (size_t k = 0; k < 4 && own[i].outputs[k] != NULL; k++) {
            revos_settings_topic(settings, own[i].outputs[k], topic, sizeof topic);
            revos_worker_metrics_topic_out(metrics, topic, 0);
        }
        for (size_t k = 0; k < 16 && own[i].counters[k].name != NULL; k++)
            revos_metrics_counter(metrics, own[i].counters[k].name, own[i].counters[k].help, NULL,
                                  NULL);
        for (size_t k = 0; k < 4 && own[i].by[k].name != NULL; k++)
            for (size_t v = 0; v < 4 && own[i].by[k].values[v] != NULL; v++)
                revos_metrics_counter(metrics, own[i].by[k].name, own[i].by[k].help,
                                      own[i].by[k].label, own[i].by[k].values[v]);
    }
    revos_metrics_gauge(metrics, "revos_assigned_partitions", "Partitions assigned to this member",
                        NULL, NULL);
    revos_metrics_gauge(metrics, "revos_config_version",
                        "Version of the governed configuration in force (0 before one is loaded)",
                        NULL, NULL);
    revos_metrics_gauge(metrics, "revos_ready",
                        "1 when /readyz answers 200 (Kafka, PostgreSQL, assignment)", NULL, NULL);
    revos_metrics_gauge(metrics, "revos_dependency_up",
                        "1 when the dependency answered the last readiness probe", "dependency",
                        "kafka");
    revos_metrics_gauge(metrics, "revos_dependency_up",
                        "1 when the dependency answered the last readiness probe", "dependency",
                        "postgres");
}

void revos_worker_metrics_batch(revos_metrics *metrics, size_t records, double seconds)
{
    revos_histogram_observe(revos_metrics_histogram(metrics, "revos_batch_records",
                                                    "Records per committed batch", NULL, NULL,
                                                    batch_records_bounds,
                                                    sizeof batch_records_bounds /
                                                        sizeof batch_records_bounds[0]),
                            (double)records);
    revos_histogram_observe(revos_metrics_histogram(metrics, "revos_batch_duration_seconds",
                                                    "Time to decode, process and commit one batch",
                                                    NULL, NULL, batch_seconds_bounds,
                                                    sizeof batch_seconds_bounds /
                                                        sizeof batch_seconds_bounds[0]),
                            seconds);
}

void revos_worker_metrics_lag(revos_metrics *metrics, const char *topic, int32_t partition,
                              int64_t lag)
{
    char label[320];
    snprintf(label, sizeof label, "%s[%d]", topic, (int)partition);
    revos_gauge_set(revos_metrics_gauge(metrics, "revos_consumer_lag",
                                        "Records behind the partition's high watermark "
                                        "(from the offsets this worker committed)",
                                        "partition", label),
                    lag > 0 ? (double)lag : 0.0);
}

void revos_worker_metrics_outbox(revos_metrics *metrics, PGconn *conn, const char *producer)
{
    if (metrics == NULL || conn == NULL || PQstatus(conn) != CONNECTION_OK ||
        PQtransactionStatus(conn) != PQTRANS_IDLE)
        return;
    const char *params[1] = {producer};
    PGresult *res = PQexecParams(conn,
                                 "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - "
                                 "min(created_at)), 0)::float8 FROM outbox WHERE producer = $1",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        revos_gauge_set(revos_metrics_gauge(metrics, "revos_outbox_backlog",
                                            "Outbox rows not yet relayed to Kafka", NULL, NULL),
                        strtod(PQgetvalue(res, 0, 0), NULL));
        revos_gauge_set(revos_metrics_gauge(metrics, "revos_outbox_oldest_age_seconds",
                                            "Age of the oldest outbox row not yet relayed (0 when "
                                            "empty)",
                                            NULL, NULL),
                        strtod(PQgetvalue(res, 0, 1), NULL));
    }
    PQclear(res);
}
