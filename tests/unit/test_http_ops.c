/* test_http_ops.c -- specification of the ops endpoint
 * (common/http/ops_server.h): a real server on an ephemeral port, queried
 * with libcurl, for /healthz, /readyz (and its readiness flips), /metrics,
 * unknown paths and methods, and the start-up failures. */
#include "http/metrics.h"
#include "http/ops_server.h"
#include "http/webhook.h"

#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static revos_metrics *metrics;
static revos_ops *ops;

static void setup(void)
{
    revos_err err = {0};
    metrics = revos_metrics_new();
    ck_assert_ptr_nonnull(metrics);
    ck_assert_int_eq(revos_ops_start(&ops, "127.0.0.1", 0, metrics, &err), REVOS_OK);
    ck_assert_ptr_nonnull(ops);
}

static void teardown(void)
{
    revos_ops_stop(ops);
    ops = NULL;
    revos_metrics_free(metrics);
    metrics = NULL;
}

/* ==== A tiny HTTP client ==== */

typedef struct reply {
    long status;
    char body[8192];
    size_t len;
    char content_type[128];
} reply;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    reply *r = userdata;
    size_t n = size * nmemb;
    size_t room = sizeof r->body - 1 - r->len;
    size_t take = n < room ? n : room;
    memcpy(r->body + r->len, ptr, take);
    r->len += take;
    r->body[r->len] = '\0';
    return n;
}

/* Sends method to path on the server under test; fails the test on a
 * transport error. */
static reply request(const char *method, const char *path)
{
    reply r = {0};
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", revos_ops_port(ops), path);
    CURL *curl = curl_easy_init();
    ck_assert_ptr_nonnull(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "x=1");
    else if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(curl);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, url, curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    char *type = NULL;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != NULL)
        snprintf(r.content_type, sizeof r.content_type, "%s", type);
    curl_easy_cleanup(curl);
    return r;
}

/* ==== Endpoints ==== */

START_TEST(healthz_answers_200_ok)
{
    reply r = request("GET", "/healthz");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "ok");
}
END_TEST

START_TEST(readyz_answers_503_starting_before_the_worker_is_ready)
{
    reply r = request("GET", "/readyz");
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.body, "{\"ready\":false,\"missing\":[],\"reason\":\"starting\"}");
}
END_TEST

START_TEST(readyz_answers_200_ready_once_set_ready)
{
    revos_ops_set_ready(ops, 1, NULL);
    reply r = request("GET", "/readyz");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"ready\":true,\"missing\":[],\"reason\":\"ready\"}");
}
END_TEST

START_TEST(readyz_while_ready_shows_a_detail_other_than_ok)
{
    revos_ops_set_ready(ops, 1, "configuration version 2 refused; version 1 stays in force");
    reply r = request("GET", "/readyz");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"ready\":true,\"missing\":[],"
                             "\"reason\":\"configuration version 2 refused; version 1 stays in force\"}");
    revos_ops_set_ready(ops, 1, "ok");
    r = request("GET", "/readyz");
    ck_assert_str_eq(r.body, "{\"ready\":true,\"missing\":[],\"reason\":\"ready\"}");
}
END_TEST

START_TEST(readyz_answers_503_with_the_new_reason_when_readiness_is_lost)
{
    revos_ops_set_ready(ops, 1, NULL);
    revos_ops_set_ready(ops, 0, "kafka: all brokers down");
    reply r = request("GET", "/readyz");
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.body,
                     "{\"ready\":false,\"missing\":[],\"reason\":\"kafka: all brokers down\"}");
}
END_TEST

START_TEST(readyz_names_the_missing_parts_and_escapes_the_reason)
{
    revos_ops_set_readiness(ops, 0, "postgres: \"down\"", "postgres,assignment");
    reply r = request("GET", "/readyz");
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.body, "{\"ready\":false,\"missing\":[\"postgres\",\"assignment\"],"
                             "\"reason\":\"postgres: \\\"down\\\"\"}");
    revos_ops_set_readiness(ops, 1, NULL, NULL);
    r = request("GET", "/readyz");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"ready\":true,\"missing\":[],\"reason\":\"ready\"}");
}
END_TEST

static void *mark_ready(void *arg)
{
    revos_ops_set_ready(arg, 1, NULL);
    return NULL;
}

START_TEST(readiness_set_from_another_thread_is_served)
{
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, mark_ready, ops), 0);
    pthread_join(thread, NULL);
    ck_assert_int_eq(request("GET", "/readyz").status, 200);
}
END_TEST

START_TEST(metrics_serves_the_registry_as_prometheus_text)
{
    revos_counter_add(revos_metrics_counter(metrics, "revos_records_total", "Records.", "topic",
                                            "revos.signals"),
                      42);
    reply r = request("GET", "/metrics");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_str_eq(r.body, "# HELP revos_records_total Records.\n"
                             "# TYPE revos_records_total counter\n"
                             "revos_records_total{topic=\"revos.signals\"} 42\n");
}
END_TEST

START_TEST(metrics_reflect_updates_between_scrapes)
{
    revos_gauge *lag = revos_metrics_gauge(metrics, "revos_lag", "Lag.", NULL, NULL);
    revos_gauge_set(lag, 1);
    ck_assert_ptr_nonnull(strstr(request("GET", "/metrics").body, "\nrevos_lag 1\n"));
    revos_gauge_set(lag, 250);
    ck_assert_ptr_nonnull(strstr(request("GET", "/metrics").body, "\nrevos_lag 250\n"));
}
END_TEST

START_TEST(unknown_path_answers_404)
{
    ck_assert_int_eq(request("GET", "/nope").status, 404);
}
END_TEST

START_TEST(post_answers_405)
{
    ck_assert_int_eq(request("POST", "/healthz").status, 405);
}
END_TEST

START_TEST(delete_answers_405)
{
    ck_assert_int_eq(request("DELETE", "/metrics").status, 405);
}
END_TEST

START_TEST(head_is_answered_like_get_without_a_body)
{
    reply r = request("HEAD", "/healthz");
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
}
END_TEST

START_TEST(ephemeral_port_is_reported_by_revos_ops_port)
{
    int port = revos_ops_port(ops);
    ck_assert_int_gt(port, 0);
    ck_assert_int_le(port, 65535);
}
END_TEST

/* ==== Start-up ==== */

START_TEST(port_minus_one_disables_the_endpoint)
{
    revos_ops *disabled = (revos_ops *)&disabled; /* anything but NULL */
    revos_err err = {0};
    ck_assert_int_eq(revos_ops_start(&disabled, "127.0.0.1", REVOS_OPS_PORT_DISABLED, metrics, &err),
                     REVOS_OK);
    ck_assert_ptr_null(disabled);
    ck_assert_int_eq(revos_ops_port(disabled), -1);
    revos_ops_set_ready(disabled, 1, NULL); /* no-ops on the disabled endpoint */
    revos_ops_stop(disabled);
}
END_TEST

START_TEST(port_in_use_is_fatal_with_a_clear_message)
{
    revos_ops *second = NULL;
    revos_err err = {0};
    revos_status status = revos_ops_start(&second, "127.0.0.1", revos_ops_port(ops), metrics, &err);
    ck_assert_int_eq(status, REVOS_ERR_FATAL);
    ck_assert_ptr_null(second);
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%d", revos_ops_port(ops));
    ck_assert_msg(strstr(err.msg, expected) != NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "Address already in use") != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(port_out_of_range_is_fatal)
{
    revos_ops *bad = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_ops_start(&bad, NULL, 70000, metrics, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_null(bad);
    ck_assert_ptr_nonnull(strstr(err.msg, "70000"));
}
END_TEST

START_TEST(unusable_bind_address_is_fatal)
{
    revos_ops *bad = NULL;
    revos_err err = {0};
    /* TEST-NET-1 (RFC 5737): not an address of this host, so bind fails. */
    ck_assert_int_eq(revos_ops_start(&bad, "192.0.2.1", 0, metrics, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_null(bad);
    ck_assert_msg(strstr(err.msg, "192.0.2.1") != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(null_metrics_serves_an_empty_metrics_page)
{
    revos_ops *bare = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_ops_start(&bare, "127.0.0.1", 0, NULL, &err), REVOS_OK);
    revos_ops *saved = ops;
    ops = bare;
    reply r = request("GET", "/metrics");
    ops = saved;
    revos_ops_stop(bare);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
}
END_TEST

static Suite *ops_suite(void)
{
    Suite *s = suite_create("http_ops");
    TCase *endpoints = tcase_create("endpoints");
    tcase_add_checked_fixture(endpoints, setup, teardown);
    tcase_add_test(endpoints, healthz_answers_200_ok);
    tcase_add_test(endpoints, readyz_answers_503_starting_before_the_worker_is_ready);
    tcase_add_test(endpoints, readyz_answers_200_ready_once_set_ready);
    tcase_add_test(endpoints, readyz_while_ready_shows_a_detail_other_than_ok);
    tcase_add_test(endpoints, readyz_answers_503_with_the_new_reason_when_readiness_is_lost);
    tcase_add_test(endpoints, readyz_names_the_missing_parts_and_escapes_the_reason);
    tcase_add_test(endpoints, readiness_set_from_another_thread_is_served);
    tcase_add_test(endpoints, metrics_serves_the_registry_as_prometheus_text);
    tcase_add_test(endpoints, metrics_reflect_updates_between_scrapes);
    tcase_add_test(endpoints, unknown_path_answers_404);
    tcase_add_test(endpoints, post_answers_405);
    tcase_add_test(endpoints, delete_answers_405);
    tcase_add_test(endpoints, head_is_answered_like_get_without_a_body);
    tcase_add_test(endpoints, ephemeral_port_is_reported_by_revos_ops_port);
    suite_add_tcase(s, endpoints);

    TCase *startup = tcase_create("startup");
    tcase_add_checked_fixture(startup, setup, teardown);
    tcase_add_test(startup, port_minus_one_disables_the_endpoint);
    tcase_add_test(startup, port_in_use_is_fatal_with_a_clear_message);
    tcase_add_test(startup, port_out_of_range_is_fatal);
    tcase_add_test(startup, unusable_bind_address_is_fatal);
    tcase_add_test(startup, null_metrics_serves_an_empty_metrics_page);
    suite_add_tcase(s, startup);
    return s;
}

int main(void)
{
    revos_err err = {0};
    if (revos_http_global_init(&err) != REVOS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(ops_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    revos_http_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
