/* test_common_limits.c -- specification of the worker loop's start-up checks
 * (common/worker/limits.h): every bound is either honoured or refused with
 * the setting named, never silently replaced, and an unknown --flag stops
 * the worker before it touches Kafka or PostgreSQL. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "worker/batch.h"
#include "worker/limits.h"

static revos_settings settings;
static revos_worker_limits limits;
static revos_err err;

static const char *const touched[] = {"REVOS_BATCH_MAX", "REVOS_BATCH_WAIT_MS",
                                      "REVOS_DLQ_MAX_PAYLOAD", "REVOS_TOPIC_PREFIX",
                                      "REVOS_HTTP_PORT", NULL};

static void setup(void)
{
    for (size_t i = 0; touched[i] != NULL; i++)
        unsetenv(touched[i]);
    memset(&settings, 0, sizeof settings);
    memset(&err, 0, sizeof err);
}

static void teardown(void)
{
    revos_settings_free(&settings);
    for (size_t i = 0; touched[i] != NULL; i++)
        unsetenv(touched[i]);
}

/* Parses the NULL-terminated flags and loads the limits from them. */
#define LOAD(...) load((char *[]){"revos-test", __VA_ARGS__, NULL})
static revos_status load(char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    revos_settings_free(&settings);
    revos_status st = revos_settings_parse(&settings, argc, argv, &err);
    if (st != REVOS_OK)
        return st;
    return revos_worker_limits_load(&settings, 9411, &limits, &err);
}

START_TEST(defaults_apply_when_nothing_is_set)
{
    ck_assert_int_eq(LOAD(NULL), REVOS_OK);
    ck_assert_int_eq(limits.batch_max, 500);
    ck_assert_int_eq(limits.batch_wait_ms, 100);
    ck_assert_uint_eq(limits.dlq_max_payload, REVOS_DLQ_DEFAULT_PAYLOAD);
    ck_assert_str_eq(limits.prefix, "revos.");
    ck_assert_int_eq(limits.http_port, 9411);
}
END_TEST

START_TEST(an_http_port_that_is_not_a_port_is_refused)
{
    ck_assert_int_eq(LOAD("--http-port", "70000"), REVOS_ERR_FATAL);
    ck_assert_str_eq(err.msg, "REVOS_HTTP_PORT: 70000 is outside -1..65535");
    ck_assert_int_eq(LOAD("--http-port", "-1"), REVOS_OK);
    ck_assert_int_eq(limits.http_port, -1);
}
END_TEST

START_TEST(values_in_range_are_used_as_given)
{
    ck_assert_int_eq(LOAD("--batch-max", "4096", "--batch-wait-ms=0", "--dlq-max-payload", "1024",
                          "--topic-prefix", "acme.prod."), REVOS_OK);
    ck_assert_int_eq(limits.batch_max, 4096);
    ck_assert_int_eq(limits.batch_wait_ms, 0);
    ck_assert_uint_eq(limits.dlq_max_payload, 1024);
    ck_assert_str_eq(limits.prefix, "acme.prod.");
}
END_TEST

START_TEST(a_batch_size_above_4096_is_refused_not_clamped)
{
    ck_assert_int_eq(LOAD("--batch-max", "5000"), REVOS_ERR_FATAL);
    ck_assert_str_eq(err.msg, "REVOS_BATCH_MAX: 5000 is outside 1..4096");
}
END_TEST

START_TEST(a_batch_size_that_is_not_a_number_is_refused)
{
    setenv("REVOS_BATCH_MAX", "500x", 1);
    ck_assert_int_eq(LOAD(NULL), REVOS_ERR_FATAL);
    ck_assert_str_eq(err.msg, "REVOS_BATCH_MAX: '500x' is not a whole number");
}
END_TEST

START_TEST(a_dead_letter_payload_bound_that_would_make_letters_unwritable_is_refused)
{
    ck_assert_int_eq(LOAD("--dlq-max-payload", "1048576"), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "REVOS_DLQ_MAX_PAYLOAD: 1048576 is outside 1..786432"));
}
END_TEST

START_TEST(a_topic_prefix_longer_than_63_characters_is_refused_not_cut)
{
    char prefix[80];
    memset(prefix, 'p', 64);
    prefix[64] = '\0';
    setenv("REVOS_TOPIC_PREFIX", prefix, 1);
    ck_assert_int_eq(LOAD(NULL), REVOS_ERR_FATAL);
    ck_assert_str_eq(err.msg, "REVOS_TOPIC_PREFIX: 64 characters, at most 63");
    prefix[63] = '\0';
    setenv("REVOS_TOPIC_PREFIX", prefix, 1);
    ck_assert_int_eq(LOAD(NULL), REVOS_OK);
    ck_assert_str_eq(limits.prefix, prefix);
}
END_TEST

START_TEST(a_topic_prefix_with_characters_kafka_refuses_is_refused)
{
    ck_assert_int_eq(LOAD("--topic-prefix", "revos prod/"), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "REVOS_TOPIC_PREFIX: 'revos prod/'"));
}
END_TEST

START_TEST(an_unknown_flag_is_refused_by_name)
{
    ck_assert_int_eq(LOAD("--kafka-brokers", "b:9092", "--batch-maxx", "10"), REVOS_ERR_FATAL);
    ck_assert_str_eq(err.msg, "unknown flag --batch-maxx");
}
END_TEST

START_TEST(every_setting_a_worker_reads_is_a_known_flag)
{
    ck_assert_int_eq(LOAD("--kafka-brokers", "b", "--pg-dsn", "d", "--schema-registry-url", "u",
                          "--http-port", "0", "--http-bind", "127.0.0.1", "--log-level", "warn",
                          "--instance-id", "i", "--max-future-skew", "60",
                          "--normalize-sweep-limit", "5", "--page-webhook-url", "h",
                          "--page-webhook-secret", "s", "--config-dir", "c"), REVOS_OK);
}
END_TEST

START_TEST(unknown_variables_in_the_environment_are_not_refused)
{
    /* the environment is shared with other programs; only flags are checked */
    setenv("REVOS_SOMETHING_ELSE", "1", 1);
    ck_assert_int_eq(LOAD(NULL), REVOS_OK);
    unsetenv("REVOS_SOMETHING_ELSE");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_limits");
    TCase *tc = tcase_create("start_up");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults_apply_when_nothing_is_set);
    tcase_add_test(tc, values_in_range_are_used_as_given);
    tcase_add_test(tc, a_batch_size_above_4096_is_refused_not_clamped);
    tcase_add_test(tc, a_batch_size_that_is_not_a_number_is_refused);
    tcase_add_test(tc, a_dead_letter_payload_bound_that_would_make_letters_unwritable_is_refused);
    tcase_add_test(tc, a_topic_prefix_longer_than_63_characters_is_refused_not_cut);
    tcase_add_test(tc, a_topic_prefix_with_characters_kafka_refuses_is_refused);
    tcase_add_test(tc, an_unknown_flag_is_refused_by_name);
    tcase_add_test(tc, an_http_port_that_is_not_a_port_is_refused);
    tcase_add_test(tc, every_setting_a_worker_reads_is_a_known_flag);
    tcase_add_test(tc, unknown_variables_in_the_environment_are_not_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
