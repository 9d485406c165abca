/* test_common_topic_policy_mock.c -- revos_kafka_ensure_topics against
 * librdkafka's mock cluster (the walkthrough's embedded broker), which has
 * its topics made at start and no admin API for configs: the topics are
 * reported as present with their configs not checked, and the call
 * succeeds, so `revosctl topics create` works there too. The real broker's
 * behaviour is specified in tests/integration/test_common_topic_policy.c. */
#include "config/settings.h"
#include "config/topics.h"
#include "kafka/kafka.h"
#include "log/log.h"

#include <check.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct seen {
    int skipped, other;
    char reason[256];
} seen;

static void count_event(void *ctx, const char *topic, const char *action, const char *config,
                        const char *old_value, const char *new_value)
{
    seen *s = ctx;
    (void)topic;
    (void)config;
    (void)new_value;
    if (strcmp(action, "skipped") == 0) {
        s->skipped++;
        snprintf(s->reason, sizeof s->reason, "%s", old_value ? old_value : "");
    } else {
        s->other++;
    }
}

START_TEST(test_mock_cluster_topics_are_present_with_configs_not_checked)
{
    revos_log_init("test-topic-policy-mock", REVOS_LOG_ERROR);
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr), RD_KAFKA_CONF_OK);
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert_ptr_nonnull(owner);
    rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(owner, 1);
    ck_assert_ptr_nonnull(mock);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, "t.raw.segment", 2, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, "t.scores", 2, 1), RD_KAFKA_RESP_ERR_NO_ERROR);

    char *argv[] = {"revos-test", "--kafka-brokers", (char *)rd_kafka_mock_cluster_bootstraps(mock), NULL};
    revos_settings settings;
    memset(&settings, 0, sizeof settings);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_settings_parse(&settings, 3, argv, &err) == REVOS_OK, "%s", err.msg);
    revos_delivery_stats stats = {0};
    rd_kafka_t *rk = NULL;
    ck_assert_msg(revos_kafka_producer_new(&settings, NULL, &stats, &rk, &err) == REVOS_OK, "%s", err.msg);

    const revos_topic_policy *raw = revos_topic_policy_for("raw.segment");
    const revos_topic_policy *scores = revos_topic_policy_for("scores");
    revos_topic_spec specs[] = {{"t.raw.segment", raw->configs, raw->n_configs},
                                {"t.scores", scores->configs, scores->n_configs}};
    seen s = {0, 0, {0}};
    ck_assert_msg(revos_kafka_ensure_topics(rk, specs, 2, 2, 1, count_event, &s, &err) == REVOS_OK, "%s",
                  err.msg);
    ck_assert_int_eq(s.skipped, 2);
    ck_assert_int_eq(s.other, 0);
    ck_assert_str_ne(s.reason, "");

    rd_kafka_destroy(rk);
    revos_settings_free(&settings);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(owner);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topic_policy_mock");
    TCase *tc = tcase_create("mock");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mock_cluster_topics_are_present_with_configs_not_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
