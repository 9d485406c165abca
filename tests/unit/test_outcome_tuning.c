/* test_outcome_tuning.c -- specification of the threshold tuning rule
 * (workers/outcome/tuning.h): r = (s + 1) / (s + l + 2),
 * new = base + gain x (r - target), rounded to 0.5, clamped to base +- 10. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "outcome/tuning.h"

static revos_tuning_rule rule;

static void setup(void)
{
    revos_tuning_rule_load(NULL, &rule); /* the defaults */
}

START_TEST(defaults_are_gain_10_target_half_round_half_shift_10)
{
    ck_assert_str_eq(rule.score_kind, "renewal_risk");
    ck_assert_int_eq(rule.min_outcomes, 1);
    ck_assert_double_eq(rule.gain, 10.0);
    ck_assert_double_eq(rule.target_save_rate, 0.5);
    ck_assert_double_eq(rule.round_to, 0.5);
    ck_assert_double_eq(rule.max_shift, 10.0);
    ck_assert_uint_eq(rule.n_bands, 3);
    ck_assert_str_eq(rule.bands[0], "medium");
    ck_assert_str_eq(rule.bands[1], "high");
    ck_assert_str_eq(rule.bands[2], "critical");
}
END_TEST

START_TEST(shipped_outcomes_config_matches_the_defaults)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/outcomes.json", REVOS_CONFIG_DIR);
    json_t *doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    revos_tuning_rule loaded;
    revos_tuning_rule_load(doc, &loaded);
    ck_assert_str_eq(loaded.score_kind, "renewal_risk");
    ck_assert_int_eq(loaded.min_outcomes, 1);
    ck_assert_double_eq(loaded.gain, 10.0);
    ck_assert_double_eq(loaded.target_save_rate, 0.5);
    ck_assert_double_eq(loaded.round_to, 0.5);
    ck_assert_double_eq(loaded.max_shift, 10.0);
    ck_assert_uint_eq(loaded.n_bands, 3);
    ck_assert_str_eq(loaded.bands[2], "critical");
    json_decref(doc);
}
END_TEST

START_TEST(walkthrough_one_renewed_in_critical_moves_75_to_76_5)
{
    revos_tuning_result r;
    ck_assert_int_eq(revos_tuning_apply(&rule, 75.0, 1, 0, &r), 1);
    ck_assert_double_eq_tol(r.save_rate, 2.0 / 3.0, 1e-12);
    ck_assert_double_eq_tol(r.raw, 76.666666666666667, 1e-9);
    ck_assert_double_eq(r.threshold, 76.5);
    ck_assert_int_eq(r.clamped, 0);
}
END_TEST

START_TEST(rule_over_several_save_loss_counts)
{
    struct { long s, l; double threshold; } rows[] = {
        {0, 1, 73.5},  /* r 1/3: 73.33 */
        {1, 1, 75.0},  /* r 1/2 */
        {2, 1, 76.0},  /* r 3/5 */
        {3, 0, 78.0},  /* r 4/5 */
        {0, 3, 72.0},  /* r 1/5 */
        {10, 0, 79.0}, /* r 11/12: 79.17 */
        {5, 5, 75.0},
        {1, 4, 73.0},  /* r 2/7: 72.857 */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        revos_tuning_result r;
        ck_assert_int_eq(revos_tuning_apply(&rule, 75.0, rows[i].s, rows[i].l, &r), 1);
        ck_assert_msg(r.threshold == rows[i].threshold, "s=%ld l=%ld: %g, want %g", rows[i].s,
                      rows[i].l, r.threshold, rows[i].threshold);
        ck_assert_int_eq(r.clamped, 0);
    }
}
END_TEST

START_TEST(medium_band_moves_from_its_own_base)
{
    revos_tuning_result r;
    ck_assert_int_eq(revos_tuning_apply(&rule, 40.0, 1, 0, &r), 1);
    ck_assert_double_eq(r.threshold, 41.5);
}
END_TEST

START_TEST(no_outcomes_means_no_change)
{
    revos_tuning_result r = {.threshold = -1};
    ck_assert_int_eq(revos_tuning_apply(&rule, 75.0, 0, 0, &r), 0);
    ck_assert_double_eq(r.threshold, -1);
}
END_TEST

START_TEST(min_outcomes_holds_back_the_rule)
{
    json_t *cfg = json_pack("{s:{s:i}}", "tuning", "min_outcomes", 3);
    revos_tuning_rule strict;
    revos_tuning_rule_load(cfg, &strict);
    revos_tuning_result r;
    ck_assert_int_eq(revos_tuning_apply(&strict, 75.0, 1, 1, &r), 0);
    ck_assert_int_eq(revos_tuning_apply(&strict, 75.0, 2, 1, &r), 1);
    ck_assert_double_eq(r.threshold, 76.0);
    json_decref(cfg);
}
END_TEST

START_TEST(threshold_is_clamped_to_base_plus_max_shift)
{
    json_t *cfg = json_pack("{s:{s:i}}", "tuning", "gain", 50);
    revos_tuning_rule steep;
    revos_tuning_rule_load(cfg, &steep);
    revos_tuning_result r;
    ck_assert_int_eq(revos_tuning_apply(&steep, 75.0, 10, 0, &r), 1);
    ck_assert_double_eq_tol(r.raw, 95.833333333333333, 1e-9);
    ck_assert_double_eq(r.threshold, 85.0);
    ck_assert_int_eq(r.clamped, 1);
    json_decref(cfg);
}
END_TEST

START_TEST(threshold_is_clamped_to_base_minus_max_shift)
{
    json_t *cfg = json_pack("{s:{s:i, s:i}}", "tuning", "gain", 50, "max_shift", 5);
    revos_tuning_rule steep;
    revos_tuning_rule_load(cfg, &steep);
    revos_tuning_result r;
    ck_assert_int_eq(revos_tuning_apply(&steep, 75.0, 0, 10, &r), 1);
    ck_assert_double_eq(r.threshold, 70.0);
    ck_assert_int_eq(r.clamped, 1);
    json_decref(cfg);
}
END_TEST

START_TEST(out_of_range_config_falls_back_to_defaults)
{
    json_t *cfg = json_pack("{s:{s:f, s:i, s:s, s:i}}", "tuning", "target_save_rate", 1.5,
                            "round_to", 0, "gain", "big", "min_outcomes", -2);
    revos_tuning_rule odd;
    revos_tuning_rule_load(cfg, &odd);
    ck_assert_double_eq(odd.target_save_rate, 0.5);
    ck_assert_double_eq(odd.round_to, 0.5);
    ck_assert_double_eq(odd.gain, 10.0);
    ck_assert_int_eq(odd.min_outcomes, 1);
    json_decref(cfg);
}
END_TEST

START_TEST(only_tiers_with_thresholds_are_tuned)
{
    ck_assert_int_eq(revos_tuning_is_band(&rule, "critical"), 1);
    ck_assert_int_eq(revos_tuning_is_band(&rule, "medium"), 1);
    ck_assert_int_eq(revos_tuning_is_band(&rule, "low"), 0);
    ck_assert_int_eq(revos_tuning_is_band(&rule, ""), 0);
    ck_assert_int_eq(revos_tuning_is_band(&rule, NULL), 0);
}
END_TEST

START_TEST(base_thresholds_read_from_scoring_tiers)
{
    json_t *scoring = json_pack("{s:{s:{s:{s:i, s:i, s:i}}}}", "scores", "renewal_risk", "tiers",
                                "medium", 40, "high", 60, "critical", 75);
    double base = 0;
    ck_assert_int_eq(revos_tuning_base(scoring, "renewal_risk", "critical", &base), 1);
    ck_assert_double_eq(base, 75.0);
    ck_assert_int_eq(revos_tuning_base(scoring, "renewal_risk", "medium", &base), 1);
    ck_assert_double_eq(base, 40.0);
    ck_assert_int_eq(revos_tuning_base(scoring, "renewal_risk", "low", &base), 0);
    ck_assert_int_eq(revos_tuning_base(scoring, "account_health", "critical", &base), 0);
    json_decref(scoring);
}
END_TEST

START_TEST(base_thresholds_accept_object_and_array_tiers)
{
    json_t *a = json_pack("{s:{s:{s:{s:{s:f}}}}}", "scores", "renewal_risk", "tiers", "high",
                          "min", 60.5);
    json_t *b = json_pack("{s:{s:[{s:s, s:i}, {s:s, s:i}]}}", "renewal_risk", "tiers", "tier",
                          "high", "threshold", 61, "tier", "critical", "threshold", 77);
    double base = 0;
    ck_assert_int_eq(revos_tuning_base(a, "renewal_risk", "high", &base), 1);
    ck_assert_double_eq(base, 60.5);
    ck_assert_int_eq(revos_tuning_base(b, "renewal_risk", "critical", &base), 1);
    ck_assert_double_eq(base, 77.0);
    ck_assert_int_eq(revos_tuning_base(NULL, "renewal_risk", "critical", &base), 0);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(shipped_scoring_config_gives_renewal_risk_bases_40_60_75)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scoring.json", REVOS_CONFIG_DIR);
    json_t *scoring = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(scoring);
    double base = 0;
    ck_assert_int_eq(revos_tuning_base(scoring, "renewal_risk", "medium", &base), 1);
    ck_assert_double_eq(base, 40.0);
    ck_assert_int_eq(revos_tuning_base(scoring, "renewal_risk", "high", &base), 1);
    ck_assert_double_eq(base, 60.0);
    ck_assert_int_eq(revos_tuning_base(scoring, "renewal_risk", "critical", &base), 1);
    ck_assert_double_eq(base, 75.0);
    json_decref(scoring);
}
END_TEST

START_TEST(rule_text_shows_the_numbers)
{
    revos_tuning_result r;
    revos_tuning_apply(&rule, 75.0, 1, 0, &r);
    char text[512];
    revos_tuning_describe(&rule, "critical", 75.0, 1, 0, &r, text, sizeof text);
    ck_assert_str_eq(text, "critical: 1 save(s), 0 loss(es); r = (1 + 1) / (1 + 0 + 2) = 0.6667; "
                           "75 + 10 x (0.6667 - 0.5) = 76.67; rounded to 0.5 -> 76.5 "
                           "(bounds 65..85)");
}
END_TEST

START_TEST(rule_text_says_when_clamped)
{
    json_t *cfg = json_pack("{s:{s:i}}", "tuning", "gain", 50);
    revos_tuning_rule steep;
    revos_tuning_rule_load(cfg, &steep);
    revos_tuning_result r;
    revos_tuning_apply(&steep, 75.0, 10, 0, &r);
    char text[512];
    revos_tuning_describe(&steep, "critical", 75.0, 10, 0, &r, text, sizeof text);
    ck_assert_str_eq(text, "critical: 10 save(s), 0 loss(es); r = (10 + 1) / (10 + 0 + 2) = "
                           "0.9167; 75 + 50 x (0.9167 - 0.5) = 95.83; rounded to 0.5 -> 85, "
                           "clamped (bounds 65..85)");
    json_decref(cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("outcome_tuning");
    TCase *tc = tcase_create("tuning");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, defaults_are_gain_10_target_half_round_half_shift_10);
    tcase_add_test(tc, shipped_outcomes_config_matches_the_defaults);
    tcase_add_test(tc, walkthrough_one_renewed_in_critical_moves_75_to_76_5);
    tcase_add_test(tc, rule_over_several_save_loss_counts);
    tcase_add_test(tc, medium_band_moves_from_its_own_base);
    tcase_add_test(tc, no_outcomes_means_no_change);
    tcase_add_test(tc, min_outcomes_holds_back_the_rule);
    tcase_add_test(tc, threshold_is_clamped_to_base_plus_max_shift);
    tcase_add_test(tc, threshold_is_clamped_to_base_minus_max_shift);
    tcase_add_test(tc, out_of_range_config_falls_back_to_defaults);
    tcase_add_test(tc, only_tiers_with_thresholds_are_tuned);
    tcase_add_test(tc, base_thresholds_read_from_scoring_tiers);
    tcase_add_test(tc, base_thresholds_accept_object_and_array_tiers);
    tcase_add_test(tc, shipped_scoring_config_gives_renewal_risk_bases_40_60_75);
    tcase_add_test(tc, rule_text_shows_the_numbers);
    tcase_add_test(tc, rule_text_says_when_clamped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
