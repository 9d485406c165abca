/* test_outcome_tuning_check.c -- specification of revos_tuning_rule_check
 * (workers/outcome/tuning.h): where revos_tuning_rule_load falls back to a
 * default, the check refuses, naming the key, so revosctl config apply and
 * revos-outcome's check_config can stop a bad tuning section. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "outcome/tuning.h"

static char msg[256];

/* The check's verdict on {"tuning": <tuning>} (tuning given as JSON text). */
static int check_tuning(const char *tuning)
{
    json_error_t jerr;
    json_t *t = json_loads(tuning, 0, &jerr);
    ck_assert_msg(t != NULL, "bad test JSON: %s", jerr.text);
    json_t *outcomes = json_pack("{s:o}", "tuning", t);
    msg[0] = '\0';
    int rc = revos_tuning_rule_check(outcomes, msg, sizeof msg);
    json_decref(outcomes);
    return rc;
}

START_TEST(the_shipped_shape_passes)
{
    ck_assert_int_eq(check_tuning("{\"rule\": \"text\", \"score_kind\": \"renewal_risk\","
                                  " \"bands\": [\"medium\", \"high\", \"critical\"],"
                                  " \"min_outcomes\": 1, \"gain\": 10, \"target_save_rate\": 0.5,"
                                  " \"round_to\": 0.5, \"max_shift\": 10}"), 0);
}
END_TEST

START_TEST(an_absent_tuning_section_takes_every_default)
{
    json_t *outcomes = json_object();
    ck_assert_int_eq(revos_tuning_rule_check(outcomes, msg, sizeof msg), 0);
    json_decref(outcomes);
}
END_TEST

START_TEST(a_value_out_of_range_is_refused_naming_the_key)
{
    ck_assert_int_eq(check_tuning("{\"gain\": 500}"), -1);
    ck_assert_str_eq(msg, "outcomes.tuning.gain: expected a number in 0..100");
    ck_assert_int_eq(check_tuning("{\"target_save_rate\": 1.5}"), -1);
    ck_assert_ptr_nonnull(strstr(msg, "outcomes.tuning.target_save_rate"));
    ck_assert_int_eq(check_tuning("{\"min_outcomes\": 0}"), -1);
    ck_assert_ptr_nonnull(strstr(msg, "outcomes.tuning.min_outcomes"));
}
END_TEST

START_TEST(a_number_given_as_text_is_refused)
{
    ck_assert_int_eq(check_tuning("{\"max_shift\": \"10\"}"), -1);
    ck_assert_ptr_nonnull(strstr(msg, "outcomes.tuning.max_shift"));
}
END_TEST

START_TEST(a_misspelt_key_is_refused)
{
    ck_assert_int_eq(check_tuning("{\"gian\": 10}"), -1);
    ck_assert_str_eq(msg, "outcomes.tuning.gian: unknown key");
}
END_TEST

START_TEST(bands_must_be_at_most_eight_tier_names)
{
    ck_assert_int_eq(check_tuning("{\"bands\": [\"high\", 3]}"), -1);
    ck_assert_str_eq(msg, "outcomes.tuning.bands[1]: expected a tier name");
    ck_assert_int_eq(check_tuning("{\"bands\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}"), -1);
    ck_assert_ptr_nonnull(strstr(msg, "at most 8"));
}
END_TEST

START_TEST(a_score_kind_that_is_not_a_name_is_refused)
{
    ck_assert_int_eq(check_tuning("{\"score_kind\": \"\"}"), -1);
    ck_assert_ptr_nonnull(strstr(msg, "outcomes.tuning.score_kind"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outcome_tuning_check");
    TCase *tc = tcase_create("check");
    tcase_add_test(tc, the_shipped_shape_passes);
    tcase_add_test(tc, an_absent_tuning_section_takes_every_default);
    tcase_add_test(tc, a_value_out_of_range_is_refused_naming_the_key);
    tcase_add_test(tc, a_number_given_as_text_is_refused);
    tcase_add_test(tc, a_misspelt_key_is_refused);
    tcase_add_test(tc, bands_must_be_at_most_eight_tier_names);
    tcase_add_test(tc, a_score_kind_that_is_not_a_name_is_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
