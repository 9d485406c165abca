/* test_common_settings.c -- specification of process settings
 * (common/config/settings.h): flags named after environment variables,
 * flags winning over the environment, switches, librdkafka pass-through
 * properties (-X and REVOS_KAFKA_PROP_*), positional arguments, numbers and
 * topic names. Every test clears the REVOS_* variables it touches. */
#include "config/settings.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static revos_settings settings;

/* Removes every REVOS_* variable, so the caller's environment (a CI job
 * with REVOS_KAFKA_BROKERS set, say) cannot change the outcome. */
static void clear_revos_environment(void)
{
    for (;;) {
        char name[256] = "";
        for (char **env = environ; env != NULL && *env != NULL; env++) {
            if (strncmp(*env, "REVOS_", 6) == 0) {
                const char *eq = strchr(*env, '=');
                size_t len = eq ? (size_t)(eq - *env) : strlen(*env);
                if (len < sizeof name) {
                    memcpy(name, *env, len);
                    name[len] = '\0';
                    break;
                }
            }
        }
        if (name[0] == '\0')
            return;
        unsetenv(name);
    }
}

static void setup(void)
{
    memset(&settings, 0, sizeof settings);
    clear_revos_environment();
}

static void teardown(void)
{
    revos_settings_free(&settings);
    clear_revos_environment();
}

/* Parses a NULL-terminated list of arguments (argv[0] is added). */
#define PARSE(...) parse_args((char *[]){"revos-test", __VA_ARGS__, NULL})

static revos_status parse_args(char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    revos_err err = {{0}, {0}};
    return revos_settings_parse(&settings, argc, argv, &err);
}

static void parse_ok(char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    revos_err err = {{0}, {0}};
    revos_status st = revos_settings_parse(&settings, argc, argv, &err);
    ck_assert_msg(st == REVOS_OK, "parse failed: %s", err.msg);
}
#define PARSE_OK(...) parse_ok((char *[]){"revos-test", __VA_ARGS__, NULL})

/* ==== Flags and the environment ==== */

START_TEST(flag_with_equals_sets_the_environment_name)
{
    PARSE_OK("--kafka-brokers=k1:9092");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", NULL), "k1:9092");
}
END_TEST

START_TEST(flag_with_separate_value_sets_the_environment_name)
{
    PARSE_OK("--kafka-brokers", "k2:9092");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", NULL), "k2:9092");
    ck_assert_uint_eq(settings.n_positional, 0);
}
END_TEST

START_TEST(flag_value_may_itself_contain_equals_signs)
{
    PARSE_OK("--pg-dsn=host=db port=5432 dbname=revos");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_PG_DSN", NULL),
                     "host=db port=5432 dbname=revos");
}
END_TEST

START_TEST(flag_value_may_be_a_negative_number)
{
    PARSE_OK("--http-port", "-1");
    ck_assert_int_eq(revos_settings_get_long(&settings, "REVOS_HTTP_PORT", 8080), -1);
}
END_TEST

START_TEST(flag_wins_over_the_environment)
{
    setenv("REVOS_KAFKA_BROKERS", "from-env:9092", 1);
    PARSE_OK("--kafka-brokers", "from-flag:9092");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", NULL), "from-flag:9092");
}
END_TEST

START_TEST(environment_is_used_when_no_flag_is_given)
{
    setenv("REVOS_KAFKA_BROKERS", "from-env:9092", 1);
    PARSE_OK("--pg-dsn", "dbname=x");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", NULL), "from-env:9092");
}
END_TEST

START_TEST(fallback_is_returned_when_neither_flag_nor_environment_is_set)
{
    PARSE_OK("--pg-dsn", "dbname=x");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", "default:1"), "default:1");
    ck_assert_ptr_null(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", NULL));
}
END_TEST

START_TEST(flag_given_twice_keeps_the_last_value)
{
    PARSE_OK("--kafka-brokers=first:1", "--kafka-brokers", "second:2");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", NULL), "second:2");
    ck_assert_uint_eq(settings.n_vars, 1);
}
END_TEST

/* ==== Switches and bare flags ==== */

START_TEST(json_switch_never_swallows_the_next_argument)
{
    PARSE_OK("--json", "status");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_JSON", NULL), "1");
    ck_assert_uint_eq(settings.n_positional, 1);
    ck_assert_str_eq(settings.positional[0], "status");
}
END_TEST

START_TEST(avro_switch_never_swallows_the_next_argument)
{
    PARSE_OK("--avro", "signals.json");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_AVRO", NULL), "1");
    ck_assert_uint_eq(settings.n_positional, 1);
    ck_assert_str_eq(settings.positional[0], "signals.json");
}
END_TEST

START_TEST(bare_flag_at_the_end_is_one)
{
    PARSE_OK("apply", "--dry-run");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_DRY_RUN", NULL), "1");
}
END_TEST

START_TEST(bare_flag_followed_by_another_flag_is_one)
{
    PARSE_OK("--dry-run", "--kafka-brokers", "k:1");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_DRY_RUN", NULL), "1");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_KAFKA_BROKERS", NULL), "k:1");
}
END_TEST

/* ==== librdkafka properties ==== */

typedef struct seen_props {
    char names[8][64];
    char values[8][64];
    size_t n;
} seen_props;

static revos_status collect_prop(void *ctx, const char *name, const char *value, revos_err *err)
{
    (void)err;
    seen_props *seen = ctx;
    ck_assert_uint_lt(seen->n, 8);
    snprintf(seen->names[seen->n], sizeof seen->names[0], "%s", name);
    snprintf(seen->values[seen->n], sizeof seen->values[0], "%s", value);
    seen->n++;
    return REVOS_OK;
}

static revos_status fail_on_second(void *ctx, const char *name, const char *value, revos_err *err)
{
    (void)value;
    size_t *calls = ctx;
    if (++*calls == 2)
        return revos_fail(err, REVOS_ERR_FATAL, "rejected %s", name);
    return REVOS_OK;
}

static void each_prop(seen_props *seen)
{
    memset(seen, 0, sizeof *seen);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_settings_each_kafka_prop(&settings, collect_prop, seen, &err), REVOS_OK);
}

START_TEST(dash_x_with_separate_assignment_passes_a_property)
{
    PARSE_OK("-X", "security.protocol=ssl");
    seen_props seen;
    each_prop(&seen);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_str_eq(seen.names[0], "security.protocol");
    ck_assert_str_eq(seen.values[0], "ssl");
}
END_TEST

START_TEST(dash_x_attached_assignment_passes_a_property)
{
    PARSE_OK("-Xsasl.mechanism=PLAIN");
    seen_props seen;
    each_prop(&seen);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_str_eq(seen.names[0], "sasl.mechanism");
    ck_assert_str_eq(seen.values[0], "PLAIN");
}
END_TEST

START_TEST(dash_x_value_keeps_later_equals_signs)
{
    PARSE_OK("-X", "sasl.jaas.config=user=a pass=b");
    seen_props seen;
    each_prop(&seen);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_str_eq(seen.names[0], "sasl.jaas.config");
    ck_assert_str_eq(seen.values[0], "user=a pass=b");
}
END_TEST

START_TEST(environment_property_name_maps_underscores_to_dots_in_lower_case)
{
    setenv("REVOS_KAFKA_PROP_SECURITY_PROTOCOL", "SASL_SSL", 1);
    PARSE_OK("--json");
    seen_props seen;
    each_prop(&seen);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_str_eq(seen.names[0], "security.protocol");
    ck_assert_str_eq(seen.values[0], "SASL_SSL");
}
END_TEST

START_TEST(dash_x_property_comes_after_the_environment_so_it_wins)
{
    setenv("REVOS_KAFKA_PROP_SECURITY_PROTOCOL", "plaintext", 1);
    PARSE_OK("-X", "security.protocol=ssl");
    seen_props seen;
    each_prop(&seen);
    ck_assert_uint_eq(seen.n, 2);
    ck_assert_str_eq(seen.names[0], "security.protocol");
    ck_assert_str_eq(seen.values[0], "plaintext");
    ck_assert_str_eq(seen.names[1], "security.protocol");
    ck_assert_str_eq(seen.values[1], "ssl");
}
END_TEST

START_TEST(each_kafka_prop_stops_at_the_first_failure)
{
    PARSE_OK("-X", "a.b=1", "-X", "c.d=2", "-X", "e.f=3");
    size_t calls = 0;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_settings_each_kafka_prop(&settings, fail_on_second, &calls, &err),
                     REVOS_ERR_FATAL);
    ck_assert_uint_eq(calls, 2);
    ck_assert_str_eq(err.msg, "rejected c.d");
}
END_TEST

START_TEST(dash_x_without_equals_is_fatal)
{
    revos_err err = {{0}, {0}};
    char *argv[] = {"revos-test", "-X", "security.protocol", NULL};
    ck_assert_int_eq(revos_settings_parse(&settings, 3, argv, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "security.protocol"));
}
END_TEST

START_TEST(dash_x_with_empty_name_is_fatal)
{
    ck_assert_int_eq(PARSE("-X=ssl"), REVOS_ERR_FATAL);
}
END_TEST

START_TEST(dash_x_at_the_end_is_fatal)
{
    ck_assert_int_eq(PARSE("--json", "-X"), REVOS_ERR_FATAL);
}
END_TEST

/* ==== Positional arguments ==== */

START_TEST(positional_arguments_are_kept_in_order_around_flags)
{
    PARSE_OK("config", "--pg-dsn", "dbname=x", "apply", "--json", "config/");
    ck_assert_uint_eq(settings.n_positional, 3);
    ck_assert_str_eq(settings.positional[0], "config");
    ck_assert_str_eq(settings.positional[1], "apply");
    ck_assert_str_eq(settings.positional[2], "config/");
    ck_assert_str_eq(revos_settings_get(&settings, "REVOS_PG_DSN", NULL), "dbname=x");
}
END_TEST

START_TEST(too_many_positional_arguments_is_fatal)
{
    char *argv[20];
    argv[0] = "revos-test";
    for (int i = 1; i < 19; i++)
        argv[i] = "word";
    argv[19] = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_settings_parse(&settings, 19, argv, &err), REVOS_ERR_FATAL);
}
END_TEST

/* ==== Numbers ==== */

START_TEST(get_long_reads_a_number)
{
    PARSE_OK("--http-port=9102");
    ck_assert_int_eq(revos_settings_get_long(&settings, "REVOS_HTTP_PORT", 1), 9102);
}
END_TEST

START_TEST(get_long_falls_back_on_trailing_garbage)
{
    PARSE_OK("--http-port=91abc");
    ck_assert_int_eq(revos_settings_get_long(&settings, "REVOS_HTTP_PORT", 77), 77);
}
END_TEST

START_TEST(get_long_falls_back_on_words)
{
    setenv("REVOS_HTTP_PORT", "eighty", 1);
    PARSE_OK("--json");
    ck_assert_int_eq(revos_settings_get_long(&settings, "REVOS_HTTP_PORT", 77), 77);
}
END_TEST

START_TEST(get_long_falls_back_on_empty_value)
{
    PARSE_OK("--http-port=");
    ck_assert_int_eq(revos_settings_get_long(&settings, "REVOS_HTTP_PORT", 77), 77);
}
END_TEST

START_TEST(get_long_falls_back_on_overflow)
{
    PARSE_OK("--http-port=99999999999999999999999");
    ck_assert_int_eq(revos_settings_get_long(&settings, "REVOS_HTTP_PORT", 77), 77);
}
END_TEST

START_TEST(get_long_falls_back_when_unset)
{
    PARSE_OK("--json");
    ck_assert_int_eq(revos_settings_get_long(&settings, "REVOS_HTTP_PORT", 9100), 9100);
}
END_TEST

/* ==== Topic names ==== */

START_TEST(topic_uses_the_default_prefix)
{
    PARSE_OK("--json");
    char topic[64];
    revos_settings_topic(&settings, "signals", topic, sizeof topic);
    ck_assert_str_eq(topic, "revos.signals");
}
END_TEST

START_TEST(topic_uses_the_prefix_from_the_environment)
{
    setenv("REVOS_TOPIC_PREFIX", "staging.", 1);
    PARSE_OK("--json");
    char topic[64];
    revos_settings_topic(&settings, "dlq", topic, sizeof topic);
    ck_assert_str_eq(topic, "staging.dlq");
}
END_TEST

START_TEST(topic_uses_the_prefix_from_a_flag)
{
    setenv("REVOS_TOPIC_PREFIX", "staging.", 1);
    PARSE_OK("--topic-prefix", "t42.");
    char topic[64];
    revos_settings_topic(&settings, "scores", topic, sizeof topic);
    ck_assert_str_eq(topic, "t42.scores");
}
END_TEST

START_TEST(topic_is_truncated_to_the_buffer)
{
    PARSE_OK("--topic-prefix", "averyveryverylongprefix.");
    char topic[8];
    memset(topic, 'x', sizeof topic);
    revos_settings_topic(&settings, "signals", topic, sizeof topic);
    ck_assert_str_eq(topic, "averyve");
}
END_TEST

static Suite *settings_suite(void)
{
    Suite *s = suite_create("settings");

    TCase *flags = tcase_create("flags");
    tcase_add_checked_fixture(flags, setup, teardown);
    tcase_add_test(flags, flag_with_equals_sets_the_environment_name);
    tcase_add_test(flags, flag_with_separate_value_sets_the_environment_name);
    tcase_add_test(flags, flag_value_may_itself_contain_equals_signs);
    tcase_add_test(flags, flag_value_may_be_a_negative_number);
    tcase_add_test(flags, flag_wins_over_the_environment);
    tcase_add_test(flags, environment_is_used_when_no_flag_is_given);
    tcase_add_test(flags, fallback_is_returned_when_neither_flag_nor_environment_is_set);
    tcase_add_test(flags, flag_given_twice_keeps_the_last_value);
    tcase_add_test(flags, json_switch_never_swallows_the_next_argument);
    tcase_add_test(flags, avro_switch_never_swallows_the_next_argument);
    tcase_add_test(flags, bare_flag_at_the_end_is_one);
    tcase_add_test(flags, bare_flag_followed_by_another_flag_is_one);
    suite_add_tcase(s, flags);

    TCase *kafka = tcase_create("kafka_props");
    tcase_add_checked_fixture(kafka, setup, teardown);
    tcase_add_test(kafka, dash_x_with_separate_assignment_passes_a_property);
    tcase_add_test(kafka, dash_x_attached_assignment_passes_a_property);
    tcase_add_test(kafka, dash_x_value_keeps_later_equals_signs);
    tcase_add_test(kafka, environment_property_name_maps_underscores_to_dots_in_lower_case);
    tcase_add_test(kafka, dash_x_property_comes_after_the_environment_so_it_wins);
    tcase_add_test(kafka, each_kafka_prop_stops_at_the_first_failure);
    tcase_add_test(kafka, dash_x_without_equals_is_fatal);
    tcase_add_test(kafka, dash_x_with_empty_name_is_fatal);
    tcase_add_test(kafka, dash_x_at_the_end_is_fatal);
    suite_add_tcase(s, kafka);

    TCase *positional = tcase_create("positional");
    tcase_add_checked_fixture(positional, setup, teardown);
    tcase_add_test(positional, positional_arguments_are_kept_in_order_around_flags);
    tcase_add_test(positional, too_many_positional_arguments_is_fatal);
    suite_add_tcase(s, positional);

    TCase *numbers = tcase_create("numbers");
    tcase_add_checked_fixture(numbers, setup, teardown);
    tcase_add_test(numbers, get_long_reads_a_number);
    tcase_add_test(numbers, get_long_falls_back_on_trailing_garbage);
    tcase_add_test(numbers, get_long_falls_back_on_words);
    tcase_add_test(numbers, get_long_falls_back_on_empty_value);
    tcase_add_test(numbers, get_long_falls_back_on_overflow);
    tcase_add_test(numbers, get_long_falls_back_when_unset);
    suite_add_tcase(s, numbers);

    TCase *topics = tcase_create("topics");
    tcase_add_checked_fixture(topics, setup, teardown);
    tcase_add_test(topics, topic_uses_the_default_prefix);
    tcase_add_test(topics, topic_uses_the_prefix_from_the_environment);
    tcase_add_test(topics, topic_uses_the_prefix_from_a_flag);
    tcase_add_test(topics, topic_is_truncated_to_the_buffer);
    suite_add_tcase(s, topics);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(settings_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
