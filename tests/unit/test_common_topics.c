/* test_common_topics.c -- specification of common/config/topics.h: the
 * topic catalogue and the record type each Avro topic carries. */
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

int main(void)
{
    Suite *s = suite_create("topics");
    TCase *tc = tcase_create("catalogue");
    tcase_add_test(tc, test_every_avro_topic_names_its_record_type);
    tcase_add_test(tc, test_raw_and_unknown_topics_have_no_record_type);
    tcase_add_test(tc, test_catalogue_lists_every_source_and_layer_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
