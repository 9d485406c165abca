/* test_http_metrics.c -- specification of the metrics registry
 * (common/http/metrics.h): registration is idempotent and bounded, updates
 * are atomic from any thread, and the rendering is Prometheus text format
 * with HELP/TYPE once per metric name. */
#include "http/metrics.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static revos_metrics *metrics;

static void setup(void)
{
    metrics = revos_metrics_new();
    ck_assert_ptr_nonnull(metrics);
}

static void teardown(void)
{
    revos_metrics_free(metrics);
    metrics = NULL;
}

/* Number of non-overlapping occurrences of needle in haystack. */
static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + strlen(needle), needle))
        n++;
    return n;
}

START_TEST(counter_renders_help_type_and_value)
{
    revos_counter *c = revos_metrics_counter(metrics, "revos_batches_total", "Batches committed.",
                                             NULL, NULL);
    revos_counter_add(c, 3);
    char *text = revos_metrics_render(metrics);
    ck_assert_str_eq(text, "# HELP revos_batches_total Batches committed.\n"
                           "# TYPE revos_batches_total counter\n"
                           "revos_batches_total 3\n");
    free(text);
}
END_TEST

START_TEST(counter_with_label_renders_the_label_pair)
{
    revos_counter *c = revos_metrics_counter(metrics, "revos_records_total", "Records.", "topic",
                                             "revos.signals");
    revos_counter_add(c, 7);
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_nonnull(strstr(text, "\nrevos_records_total{topic=\"revos.signals\"} 7\n"));
    free(text);
}
END_TEST

START_TEST(same_name_and_label_return_the_same_counter)
{
    revos_counter *a = revos_metrics_counter(metrics, "revos_records_total", "Records.", "topic",
                                             "revos.signals");
    revos_counter *b = revos_metrics_counter(metrics, "revos_records_total", "Other help.",
                                             "topic", "revos.signals");
    ck_assert_ptr_eq(a, b);
}
END_TEST

START_TEST(different_label_values_are_different_series)
{
    revos_counter *a = revos_metrics_counter(metrics, "revos_records_total", "Records.", "topic",
                                             "revos.signals");
    revos_counter *b = revos_metrics_counter(metrics, "revos_records_total", "Records.", "topic",
                                             "revos.scores");
    revos_counter_add(a, 1);
    revos_counter_add(b, 2);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(revos_counter_value(a), 1);
    ck_assert_int_eq(revos_counter_value(b), 2);
}
END_TEST

START_TEST(help_and_type_lines_appear_once_per_metric_name)
{
    revos_metrics_counter(metrics, "revos_records_total", "Records.", "topic", "a");
    revos_metrics_gauge(metrics, "revos_lag", "Lag.", NULL, NULL);
    revos_metrics_counter(metrics, "revos_records_total", "Records.", "topic", "b");
    char *text = revos_metrics_render(metrics);
    ck_assert_int_eq(count_of(text, "# HELP revos_records_total "), 1);
    ck_assert_int_eq(count_of(text, "# TYPE revos_records_total counter\n"), 1);
    /* Both series of the family follow its TYPE line, before the next family. */
    ck_assert_ptr_nonnull(strstr(text, "# TYPE revos_records_total counter\n"
                                       "revos_records_total{topic=\"a\"} 0\n"
                                       "revos_records_total{topic=\"b\"} 0\n"
                                       "# HELP revos_lag Lag.\n"));
    free(text);
}
END_TEST

START_TEST(gauge_renders_the_value_it_was_set_to)
{
    revos_gauge *g = revos_metrics_gauge(metrics, "revos_consumer_lag", "Lag.", "partition", "3");
    revos_gauge_set(g, 12.5);
    revos_gauge_set(g, 0.1);
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_nonnull(strstr(text, "# TYPE revos_consumer_lag gauge\n"));
    ck_assert_ptr_nonnull(strstr(text, "revos_consumer_lag{partition=\"3\"} 0.1\n"));
    free(text);
}
END_TEST

START_TEST(gauge_add_accumulates_positive_and_negative_deltas)
{
    revos_gauge *g = revos_metrics_gauge(metrics, "revos_in_flight", "In flight.", NULL, NULL);
    revos_gauge_add(g, 5);
    revos_gauge_add(g, -2);
    ck_assert_double_eq(revos_gauge_value(g), 3.0);
}
END_TEST

START_TEST(gauge_renders_nan_and_infinities_in_prometheus_spelling)
{
    revos_gauge_set(revos_metrics_gauge(metrics, "g_nan", "h", NULL, NULL), NAN);
    revos_gauge_set(revos_metrics_gauge(metrics, "g_pinf", "h", NULL, NULL), INFINITY);
    revos_gauge_set(revos_metrics_gauge(metrics, "g_ninf", "h", NULL, NULL), -INFINITY);
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_nonnull(strstr(text, "\ng_nan NaN\n"));
    ck_assert_ptr_nonnull(strstr(text, "\ng_pinf +Inf\n"));
    ck_assert_ptr_nonnull(strstr(text, "\ng_ninf -Inf\n"));
    free(text);
}
END_TEST

START_TEST(counter_ignores_negative_deltas)
{
    revos_counter *c = revos_metrics_counter(metrics, "revos_x_total", "x", NULL, NULL);
    revos_counter_add(c, 5);
    revos_counter_add(c, -3);
    ck_assert_int_eq(revos_counter_value(c), 5);
}
END_TEST

START_TEST(label_values_are_escaped)
{
    revos_metrics_counter(metrics, "revos_x_total", "x", "reason", "a\"b\\c\nd");
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_nonnull(strstr(text, "revos_x_total{reason=\"a\\\"b\\\\c\\nd\"} 0\n"));
    free(text);
}
END_TEST

START_TEST(help_text_is_escaped)
{
    revos_metrics_counter(metrics, "revos_x_total", "line one\nback\\slash", NULL, NULL);
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_nonnull(strstr(text, "# HELP revos_x_total line one\\nback\\\\slash\n"));
    free(text);
}
END_TEST

START_TEST(registry_refuses_series_past_the_limit_without_crashing)
{
    char value[16];
    revos_counter *last = NULL;
    for (int i = 0; i < REVOS_METRICS_MAX_SERIES + 100; i++) {
        snprintf(value, sizeof value, "%d", i);
        last = revos_metrics_counter(metrics, "revos_many_total", "Many.", "i", value);
        ck_assert_ptr_nonnull(last);
        revos_counter_add(last, 1);
    }
    char *text = revos_metrics_render(metrics);
    ck_assert_int_eq(count_of(text, "\nrevos_many_total{"), REVOS_METRICS_MAX_SERIES);
    ck_assert_ptr_null(strstr(text, "revos_many_total{i=\"512\"}"));
    ck_assert_ptr_nonnull(strstr(text, "\nrevos_metrics_refused_series_total 100\n"));
    free(text);
}
END_TEST

START_TEST(refused_registrations_share_one_overflow_series)
{
    char value[16];
    for (int i = 0; i < REVOS_METRICS_MAX_SERIES; i++) {
        snprintf(value, sizeof value, "%d", i);
        revos_metrics_counter(metrics, "revos_many_total", "Many.", "i", value);
    }
    revos_counter *a = revos_metrics_counter(metrics, "revos_extra_total", "x", NULL, NULL);
    revos_counter *b = revos_metrics_counter(metrics, "revos_other_total", "x", NULL, NULL);
    ck_assert_ptr_eq(a, b);
}
END_TEST

START_TEST(reusing_a_counter_name_for_a_gauge_is_refused)
{
    revos_metrics_counter(metrics, "revos_x", "x", NULL, NULL);
    revos_gauge *g = revos_metrics_gauge(metrics, "revos_x", "x", "l", "v");
    revos_gauge_set(g, 9);
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_null(strstr(text, "# TYPE revos_x gauge"));
    ck_assert_ptr_null(strstr(text, "revos_x{l=\"v\"}"));
    ck_assert_ptr_nonnull(strstr(text, "\nrevos_metrics_refused_series_total 1\n"));
    free(text);
}
END_TEST

START_TEST(invalid_metric_and_label_names_are_refused)
{
    ck_assert_ptr_nonnull(revos_metrics_counter(metrics, "9starts_with_digit", "x", NULL, NULL));
    ck_assert_ptr_nonnull(revos_metrics_counter(metrics, "has-dash", "x", NULL, NULL));
    ck_assert_ptr_nonnull(revos_metrics_counter(metrics, "ok_name", "x", "bad:label", "v"));
    ck_assert_ptr_nonnull(revos_metrics_counter(metrics, "ok_name", "x", "__reserved", "v"));
    char *text = revos_metrics_render(metrics);
    ck_assert_str_eq(text, "# HELP revos_metrics_refused_series_total Metric registrations "
                           "refused (series limit, invalid name or type conflict); their "
                           "updates are dropped.\n"
                           "# TYPE revos_metrics_refused_series_total counter\n"
                           "revos_metrics_refused_series_total 4\n");
    free(text);
}
END_TEST

START_TEST(empty_registry_renders_an_empty_document)
{
    char *text = revos_metrics_render(metrics);
    ck_assert_str_eq(text, "");
    free(text);
}
END_TEST

#define THREADS 4
#define ADDS_PER_THREAD 100000

static void *add_many(void *arg)
{
    revos_counter *c = revos_metrics_counter(metrics, "revos_shared_total", "x", NULL, NULL);
    revos_gauge *g = arg;
    for (int i = 0; i < ADDS_PER_THREAD; i++) {
        revos_counter_add(c, 1);
        revos_gauge_add(g, 1.0);
    }
    return NULL;
}

START_TEST(concurrent_updates_from_many_threads_are_not_lost)
{
    revos_counter *c = revos_metrics_counter(metrics, "revos_shared_total", "x", NULL, NULL);
    revos_gauge *g = revos_metrics_gauge(metrics, "revos_shared_gauge", "x", NULL, NULL);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, add_many, g), 0);
    for (int i = 0; i < THREADS; i++) {
        char *text = revos_metrics_render(metrics); /* renders while others update */
        ck_assert_ptr_nonnull(text);
        free(text);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    ck_assert_int_eq(revos_counter_value(c), (int64_t)THREADS * ADDS_PER_THREAD);
    ck_assert_double_eq(revos_gauge_value(g), (double)THREADS * ADDS_PER_THREAD);
}
END_TEST

START_TEST(null_series_updates_are_no_ops)
{
    revos_counter_add(NULL, 1);
    revos_gauge_set(NULL, 1.0);
    revos_gauge_add(NULL, 1.0);
    ck_assert_int_eq(revos_counter_value(NULL), 0);
    ck_assert_double_eq(revos_gauge_value(NULL), 0.0);
}
END_TEST

START_TEST(histogram_renders_cumulative_buckets_sum_and_count)
{
    static const double bounds[] = {0.1, 1, 10};
    revos_histogram *h = revos_metrics_histogram(metrics, "revos_batch_seconds", "Batch time.",
                                                 "worker", "score", bounds, 3);
    revos_histogram_observe(h, 0.05);
    revos_histogram_observe(h, 0.5);
    revos_histogram_observe(h, 1); /* le is inclusive */
    revos_histogram_observe(h, 50);
    char *text = revos_metrics_render(metrics);
    ck_assert_str_eq(text, "# HELP revos_batch_seconds Batch time.\n"
                           "# TYPE revos_batch_seconds histogram\n"
                           "revos_batch_seconds_bucket{worker=\"score\",le=\"0.1\"} 1\n"
                           "revos_batch_seconds_bucket{worker=\"score\",le=\"1\"} 3\n"
                           "revos_batch_seconds_bucket{worker=\"score\",le=\"10\"} 3\n"
                           "revos_batch_seconds_bucket{worker=\"score\",le=\"+Inf\"} 4\n"
                           "revos_batch_seconds_sum{worker=\"score\"} 51.55\n"
                           "revos_batch_seconds_count{worker=\"score\"} 4\n");
    ck_assert_int_eq(revos_histogram_count(h), 4);
    free(text);
}
END_TEST

START_TEST(histogram_without_observations_renders_zeros)
{
    static const double bounds[] = {1, 5};
    revos_metrics_histogram(metrics, "revos_batch_records", "Records per batch.", NULL, NULL,
                            bounds, 2);
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_nonnull(strstr(text, "revos_batch_records_bucket{le=\"1\"} 0\n"
                                       "revos_batch_records_bucket{le=\"5\"} 0\n"
                                       "revos_batch_records_bucket{le=\"+Inf\"} 0\n"
                                       "revos_batch_records_sum 0\n"
                                       "revos_batch_records_count 0\n"));
    free(text);
}
END_TEST

START_TEST(histogram_with_unordered_bounds_is_refused)
{
    static const double bad[] = {5, 1};
    revos_histogram *h = revos_metrics_histogram(metrics, "revos_bad", "Bad.", NULL, NULL, bad, 2);
    revos_histogram_observe(h, 1); /* goes nowhere, does not crash */
    char *text = revos_metrics_render(metrics);
    ck_assert_ptr_null(strstr(text, "revos_bad"));
    ck_assert_ptr_nonnull(strstr(text, "revos_metrics_refused_series_total 1\n"));
    free(text);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("http_metrics");
    TCase *tc = tcase_create("registry");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, counter_renders_help_type_and_value);
    tcase_add_test(tc, counter_with_label_renders_the_label_pair);
    tcase_add_test(tc, same_name_and_label_return_the_same_counter);
    tcase_add_test(tc, different_label_values_are_different_series);
    tcase_add_test(tc, help_and_type_lines_appear_once_per_metric_name);
    tcase_add_test(tc, gauge_renders_the_value_it_was_set_to);
    tcase_add_test(tc, gauge_add_accumulates_positive_and_negative_deltas);
    tcase_add_test(tc, gauge_renders_nan_and_infinities_in_prometheus_spelling);
    tcase_add_test(tc, counter_ignores_negative_deltas);
    tcase_add_test(tc, label_values_are_escaped);
    tcase_add_test(tc, help_text_is_escaped);
    tcase_add_test(tc, registry_refuses_series_past_the_limit_without_crashing);
    tcase_add_test(tc, refused_registrations_share_one_overflow_series);
    tcase_add_test(tc, reusing_a_counter_name_for_a_gauge_is_refused);
    tcase_add_test(tc, invalid_metric_and_label_names_are_refused);
    tcase_add_test(tc, empty_registry_renders_an_empty_document);
    tcase_add_test(tc, concurrent_updates_from_many_threads_are_not_lost);
    tcase_add_test(tc, null_series_updates_are_no_ops);
    tcase_add_test(tc, histogram_renders_cumulative_buckets_sum_and_count);
    tcase_add_test(tc, histogram_without_observations_renders_zeros);
    tcase_add_test(tc, histogram_with_unordered_bounds_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(metrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
