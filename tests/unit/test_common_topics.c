/* test_common_topics.c -- specification of common/config/topics.h: the
 * topic catalogue, the record type each Avro topic carries, and the
 * retention and timestamp policy each topic class is created with. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_codec.h"
#include "config/topics.h"

START_TEST(test_every_avro_topic_names_its_record_type)
{
    ck_assert_int_eq(revos_topic_record_type("events"), REVOS_REC_SOURCE_EVENT);
    ck_assert_int_eq(revos_topic_record_type("signals"), REVOS_REC_SIGNAL);
    ck_assert_int_eq(revos_topic_record_type("scores"), REVOS_REC_SCORE_UPDATE);
    ck_assert_int_eq(revos_topic_record_type("actions"), REVOS_REC_ACTION);
    ck_assert_int_eq(revos_topic_record_type("outcomes"), REVOS_REC_OUTCOME);
    ck_assert_int_eq(revos_topic_record_type("thresholds"), REVOS_REC_THRESHOLD_CHANGE);
    ck_assert_int_eq(revos_topic_record_type("dlq"), REVOS_REC_DEAD_LETTER);
}
END_TEST

START_TEST(test_raw_and_unknown_topics_have_no_record_type)
{
    ck_assert_int_eq(revos_topic_record_type("raw.salesforce"), -1);
    ck_assert_int_eq(revos_topic_record_type("nosuchtopic"), -1);
    ck_assert_int_eq(revos_topic_record_type(""), -1);
}
END_TEST

START_TEST(test_catalogue_lists_every_source_and_layer_once)
{
    size_t n = 0, raw = 0, avro = 0;
    for (; revos_topic_suffixes[n] != NULL; n++) {
        for (size_t j = 0; j < n; j++)
            ck_assert_str_ne(revos_topic_suffixes[j], revos_topic_suffixes[n]);
        if (strncmp(revos_topic_suffixes[n], "raw.", 4) == 0)
            raw++;
        else if (revos_topic_record_type(revos_topic_suffixes[n]) >= 0)
            avro++;
    }
    ck_assert_uint_eq(raw, 10); /* DESIGN.md's nine sources and Intercom */
    ck_assert_uint_eq(avro, 7); /* one per schema */
    ck_assert_uint_eq(n, raw + avro);
}
END_TEST


/* ==== Policy ==== */

static long long policy_ms(const char *suffix)
{
    const char *v = revos_topic_policy_value(revos_topic_policy_for(suffix), "retention.ms");
    ck_assert_msg(v != NULL, "%s has no retention.ms", suffix);
    return atoll(v);
}

#define DAY_MS 86400000LL

START_TEST(test_every_catalogue_topic_has_a_policy)
{
    for (size_t i = 0; revos_topic_suffixes[i] != NULL; i++) {
        const revos_topic_policy *p = revos_topic_policy_for(revos_topic_suffixes[i]);
        ck_assert_msg(p != NULL, "%s has no policy", revos_topic_suffixes[i]);
        ck_assert_uint_gt(p->n_configs, 0);
        ck_assert_ptr_nonnull(p->why);
    }
}
END_TEST

START_TEST(test_every_class_stamps_records_with_their_arrival_time)
{
    /* LogAppendTime: the broker never rejects a future source timestamp and
     * retention counts from arrival, not from a year-old event time */
    for (size_t i = 0; revos_topic_suffixes[i] != NULL; i++) {
        const revos_topic_policy *p = revos_topic_policy_for(revos_topic_suffixes[i]);
        ck_assert_str_eq(revos_topic_policy_value(p, "message.timestamp.type"), "LogAppendTime");
        ck_assert_str_eq(revos_topic_policy_value(p, "cleanup.policy"), "delete");
        ck_assert_str_eq(revos_topic_policy_value(p, "retention.bytes"), "-1");
    }
}
END_TEST

START_TEST(test_raw_topics_keep_history_for_the_lateness_horizon)
{
    ck_assert_str_eq(revos_topic_policy_for("raw.salesforce")->cls, "raw");
    ck_assert_int_ge(policy_ms("raw.salesforce"), 400 * DAY_MS); /* the default lateness horizon */
    ck_assert_int_eq(policy_ms("raw.nps"), policy_ms("raw.segment"));
    /* a source added later is raw too */
    ck_assert_str_eq(revos_topic_policy_for("raw.gong")->cls, "raw");
    ck_assert_ptr_null(revos_topic_policy_for("raw."));
}
END_TEST

START_TEST(test_replayable_layers_keep_the_horizon_derived_ones_less)
{
    ck_assert_int_eq(policy_ms("events"), 400 * DAY_MS);
    ck_assert_int_eq(policy_ms("signals"), 400 * DAY_MS); /* what a backtest replays */
    ck_assert_int_eq(policy_ms("scores"), 30 * DAY_MS);
    ck_assert_int_eq(policy_ms("actions"), 90 * DAY_MS);
    ck_assert_int_eq(policy_ms("dlq"), 90 * DAY_MS);
}
END_TEST

START_TEST(test_outcomes_and_thresholds_are_kept_forever)
{
    ck_assert_int_eq(policy_ms("outcomes"), -1);
    ck_assert_int_eq(policy_ms("thresholds"), -1);
}
END_TEST

START_TEST(test_dead_letters_fit_the_largest_raw_record_they_carry)
{
    long long raw = atoll(revos_topic_policy_value(revos_topic_policy_for("raw.zendesk"), "max.message.bytes"));
    long long dlq = atoll(revos_topic_policy_value(revos_topic_policy_for("dlq"), "max.message.bytes"));
    ck_assert_int_gt(raw, 1048576); /* ingest's max_raw_bytes, with the key and batch overhead */
    ck_assert_int_gt(dlq, raw);
}
END_TEST

START_TEST(test_names_outside_the_classes_have_no_policy)
{
    ck_assert_ptr_null(revos_topic_policy_for("nosuchtopic"));
    ck_assert_ptr_null(revos_topic_policy_for(NULL));
    ck_assert_ptr_null(revos_topic_policy_value(revos_topic_policy_for("scores"), "segment.ms"));
    ck_assert_ptr_null(revos_topic_policy_value(NULL, "retention.ms"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topics");
    TCase *tc = tcase_create("catalogue");
    tcase_add_test(tc, test_every_avro_topic_names_its_record_type);
    tcase_add_test(tc, test_raw_and_unknown_topics_have_no_record_type);
    tcase_add_test(tc, test_catalogue_lists_every_source_and_layer_once);
    suite_add_tcase(s, tc);
    TCase *policy = tcase_create("policy");
    tcase_add_test(policy, test_every_catalogue_topic_has_a_policy);
    tcase_add_test(policy, test_every_class_stamps_records_with_their_arrival_time);
    tcase_add_test(policy, test_raw_topics_keep_history_for_the_lateness_horizon);
    tcase_add_test(policy, test_replayable_layers_keep_the_horizon_derived_ones_less);
    tcase_add_test(policy, test_outcomes_and_thresholds_are_kept_forever);
    tcase_add_test(policy, test_dead_letters_fit_the_largest_raw_record_they_carry);
    tcase_add_test(policy, test_names_outside_the_classes_have_no_policy);
    suite_add_tcase(s, policy);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
