/* test_common_topic_policy.c -- specification of revos_kafka_ensure_topics
 * (common/kafka/kafka.h) on the real broker (REVOS_KAFKA_BROKERS): a
 * missing topic is created with its class's policy; an existing topic made
 * with the broker's defaults is brought to the policy, each changed config
 * reported with its old value, while an operator's other override
 * survives (librdkafka 2.0.2's AlterConfigs replaces the whole set); a
 * conforming topic is reported unchanged and left alone. Also the policy
 * table itself as the broker sees it: every class's configs are accepted.
 *
 * Each test uses topics of its own (pid and counter in the name). */
#include "config/settings.h"
#include "config/topics.h"
#include "kafka/kafka.h"
#include "log/log.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static revos_settings settings;
static rd_kafka_t *rk;
static revos_delivery_stats stats;
static int counter;

/* ==== What ensure reported ==== */

typedef struct event_log {
    char lines[64][256];
    int n;
} event_log;

static void record_event(void *ctx, const char *topic, const char *action, const char *config,
                         const char *old_value, const char *new_value)
{
    event_log *log = ctx;
    (void)topic;
    if (log->n < 64)
        snprintf(log->lines[log->n++], sizeof log->lines[0], "%s %s %s -> %s", action,
                 config ? config : "-", old_value ? old_value : "-", new_value ? new_value : "-");
}

static int logged(const event_log *log, const char *line)
{
    for (int i = 0; i < log->n; i++)
        if (strcmp(log->lines[i], line) == 0)
            return 1;
    return 0;
}

static int logged_prefix(const event_log *log, const char *prefix)
{
    int count = 0;
    for (int i = 0; i < log->n; i++)
        count += strncmp(log->lines[i], prefix, strlen(prefix)) == 0;
    return count;
}

/* ==== Fixture ==== */

static void setup(void)
{
    revos_log_init("test-topic-policy", REVOS_LOG_ERROR);
    ck_assert_msg(getenv("REVOS_KAFKA_BROKERS") != NULL, "start the local stack (REVOS_KAFKA_BROKERS)");
    char *argv[] = {"revos-test", NULL};
    revos_err err = {{0}, {0}};
    memset(&settings, 0, sizeof settings);
    ck_assert_msg(revos_settings_parse(&settings, 1, argv, &err) == REVOS_OK, "%s", err.msg);
    memset(&stats, 0, sizeof stats);
    ck_assert_msg(revos_kafka_producer_new(&settings, NULL, &stats, &rk, &err) == REVOS_OK, "%s", err.msg);
}

static void teardown(void)
{
    rd_kafka_destroy(rk);
    revos_settings_free(&settings);
}

static void topic_name(char *buf, size_t len, const char *what)
{
    snprintf(buf, len, "revos-it-policy-%d-%d-%s", (int)getpid(), ++counter, what);
}

/* The broker's current value of config on topic (static buffer). */
static const char *described(const char *topic, const char *config)
{
    static char value[256];
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
    rd_kafka_DescribeConfigs(rk, &res, 1, NULL, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 30000);
    ck_assert_ptr_nonnull(event);
    ck_assert_int_eq(rd_kafka_event_error(event), RD_KAFKA_RESP_ERR_NO_ERROR);
    size_t count = 0, n = 0;
    const rd_kafka_ConfigResource_t **resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count);
    ck_assert_uint_eq(count, 1);
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(resources[0], &n);
    value[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (strcmp(rd_kafka_ConfigEntry_name(entries[i]), config) == 0)
            snprintf(value, sizeof value, "%s", rd_kafka_ConfigEntry_value(entries[i]) ?: "");
    rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_ConfigResource_destroy(res);
    return value;
}

static revos_topic_spec spec_for(const char *name, const char *suffix)
{
    const revos_topic_policy *p = revos_topic_policy_for(suffix);
    ck_assert_ptr_nonnull(p);
    return (revos_topic_spec){name, p->configs, p->n_configs};
}

static void ensure(const revos_topic_spec *specs, size_t n, event_log *log)
{
    revos_err err = {{0}, {0}};
    memset(log, 0, sizeof *log);
    ck_assert_msg(revos_kafka_ensure_topics(rk, specs, n, 2, 1, record_event, log, &err) == REVOS_OK, "%s",
                  err.msg);
}

/* ==== Specification ==== */

START_TEST(test_missing_topic_is_created_with_its_class_policy)
{
    char name[128];
    topic_name(name, sizeof name, "raw");
    revos_topic_spec spec = spec_for(name, "raw.salesforce");
    event_log log;
    ensure(&spec, 1, &log);
    ck_assert_int_eq(log.n, 1);
    ck_assert_str_eq(log.lines[0], "created - - -> -");
    ck_assert_str_eq(described(name, "message.timestamp.type"), "LogAppendTime");
    ck_assert_str_eq(described(name, "retention.ms"), "34560000000");
    ck_assert_str_eq(described(name, "retention.bytes"), "-1");
    ck_assert_str_eq(described(name, "max.message.bytes"), "1049600");
}
END_TEST

START_TEST(test_every_class_policy_is_accepted_by_the_broker)
{
    static const char *const suffixes[] = {"raw.nps", "events", "signals", "scores", "actions",
                                           "outcomes", "thresholds", "dlq"};
    char names[8][128];
    revos_topic_spec specs[8];
    for (size_t i = 0; i < 8; i++) {
        topic_name(names[i], sizeof names[i], suffixes[i]);
        specs[i] = spec_for(names[i], suffixes[i]);
    }
    event_log log;
    ensure(specs, 8, &log);
    ck_assert_int_eq(logged_prefix(&log, "created"), 8);
    for (size_t i = 0; i < 8; i++)
        for (size_t c = 0; c < specs[i].n_configs; c++)
            ck_assert_str_eq(described(names[i], specs[i].configs[c].name), specs[i].configs[c].value);
}
END_TEST

START_TEST(test_existing_topic_is_brought_to_the_policy_keeping_other_overrides)
{
    char name[128];
    topic_name(name, sizeof name, "old");
    revos_err err = {{0}, {0}};
    const char *names[] = {name};
    /* as the previous version created it: the broker's defaults ... */
    ck_assert_msg(revos_kafka_create_topics(rk, names, 1, 2, 1, NULL, &err) == REVOS_OK, "%s", err.msg);
    /* ... plus an operator's own override */
    static const revos_topic_config operator_override[] = {{"segment.ms", "3600000"}};
    revos_topic_spec by_operator = {name, operator_override, 1};
    event_log log;
    ensure(&by_operator, 1, &log);
    ck_assert(logged(&log, "altered segment.ms 604800000 -> 3600000"));
    ck_assert_str_eq(described(name, "message.timestamp.type"), "CreateTime");

    revos_topic_spec spec = spec_for(name, "raw.segment");
    ensure(&spec, 1, &log);
    ck_assert(logged(&log, "altered message.timestamp.type CreateTime -> LogAppendTime"));
    ck_assert(logged(&log, "altered retention.ms 604800000 -> 34560000000"));
    ck_assert_int_eq(logged_prefix(&log, "created"), 0);
    ck_assert_str_eq(described(name, "message.timestamp.type"), "LogAppendTime");
    ck_assert_str_eq(described(name, "retention.ms"), "34560000000");
    ck_assert_str_eq(described(name, "segment.ms"), "3600000"); /* survived */
}
END_TEST

START_TEST(test_conforming_topic_is_reported_unchanged)
{
    char name[128];
    topic_name(name, sizeof name, "same");
    revos_topic_spec spec = spec_for(name, "scores");
    event_log log;
    ensure(&spec, 1, &log);
    ensure(&spec, 1, &log);
    ck_assert_int_eq(log.n, 1);
    ck_assert_str_eq(log.lines[0], "unchanged - - -> -");
}
END_TEST

START_TEST(test_refused_config_fails_the_call_with_the_broker_reason)
{
    char name[128];
    topic_name(name, sizeof name, "bad");
    static const revos_topic_config bad[] = {{"message.timestamp.type", "WallClock"}};
    revos_topic_spec spec = {name, bad, 1};
    revos_err err = {{0}, {0}};
    event_log log = {.n = 0};
    ck_assert_int_eq(revos_kafka_ensure_topics(rk, &spec, 1, 1, 1, record_event, &log, &err), REVOS_ERR_RETRY);
    ck_assert_ptr_nonnull(strstr(err.msg, name));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topic_policy");
    TCase *tc = tcase_create("broker");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_missing_topic_is_created_with_its_class_policy);
    tcase_add_test(tc, test_every_class_policy_is_accepted_by_the_broker);
    tcase_add_test(tc, test_existing_topic_is_brought_to_the_policy_keeping_other_overrides);
    tcase_add_test(tc, test_conforming_topic_is_reported_unchanged);
    tcase_add_test(tc, test_refused_config_fails_the_call_with_the_broker_reason);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
