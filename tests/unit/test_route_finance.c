/* test_route_finance.c -- specification of the financial frame
 * (workers/route/finance.h), with the reference walkthrough's numbers. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>

#include "route/finance.h"

static json_t *play_def(void)
{
    /* config/plays.json's renewal_save, in short. */
    return json_pack("{s:s, s:f, s:[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}]}", "title",
                     "Renewal Save", "p_save", 0.6, "tasks", "id", "executive_sponsor_call",
                     "cost", 2000, "id", "usage_recovery_workshop", "cost", 6000, "id",
                     "renewal_proposal", "cost", 6000);
}

START_TEST(save_cost_is_the_sum_of_task_costs)
{
    json_t *play = play_def();
    ck_assert_double_eq(revos_route_play_save_cost(play), 14000.0);
    json_decref(play);
}
END_TEST

START_TEST(save_cost_of_no_play_is_zero)
{
    ck_assert_double_eq(revos_route_play_save_cost(NULL), 0.0);
}
END_TEST

START_TEST(shipped_renewal_save_costs_14000_with_p_save_0_6)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/plays.json", REVOS_CONFIG_DIR);
    json_t *doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    const json_t *play = json_object_get(json_object_get(doc, "plays"), "renewal_save");
    ck_assert_double_eq(revos_route_play_save_cost(play), 14000.0);
    ck_assert_double_eq(json_number_value(json_object_get(play, "p_save")), 0.6);
    json_decref(doc);
}
END_TEST

START_TEST(walkthrough_frame_is_180k_at_risk_14k_save_54k_replacement)
{
    json_t *play = play_def();
    revos_route_finance f;
    revos_route_finance_compute(180000.0, play, 0.3, 1, 15.0, &f);
    ck_assert_double_eq(f.arr_at_risk, 180000.0);
    ck_assert_double_eq(f.save_cost, 14000.0);
    ck_assert_double_eq_tol(f.replacement_cost, 54000.0, 1e-9);
    ck_assert_double_eq(f.p_save, 0.6);
    ck_assert_double_eq_tol(f.ev_act, 94000.0, 1e-9);    /* 180000 x 0.6 - 14000 */
    ck_assert_double_eq_tol(f.ev_no_act, 27000.0, 1e-9); /* 180000 x 15% */
    ck_assert_int_eq(f.has_forecast, 1);
    ck_assert_double_eq(f.forecast_confidence, 15.0);
    json_decref(play);
}
END_TEST

START_TEST(without_a_play_acting_is_worth_what_not_acting_is)
{
    revos_route_finance f;
    revos_route_finance_compute(180000.0, NULL, 0.3, 1, 15.0, &f);
    ck_assert_double_eq(f.save_cost, 0.0);
    ck_assert_double_eq(f.p_save, 0.0);
    ck_assert_double_eq_tol(f.ev_act, 27000.0, 1e-9);
    ck_assert_double_eq_tol(f.ev_no_act, 27000.0, 1e-9);
}
END_TEST

START_TEST(unknown_forecast_counts_as_zero)
{
    json_t *play = play_def();
    revos_route_finance f;
    revos_route_finance_compute(100000.0, play, 0.3, 0, 99.0, &f);
    ck_assert_int_eq(f.has_forecast, 0);
    ck_assert_double_eq(f.forecast_confidence, 0.0);
    ck_assert_double_eq(f.ev_no_act, 0.0);
    ck_assert_double_eq_tol(f.ev_act, 46000.0, 1e-9);
    json_decref(play);
}
END_TEST

START_TEST(forecast_is_clamped_to_0_100)
{
    revos_route_finance f;
    revos_route_finance_compute(1000.0, NULL, 0.3, 1, 140.0, &f);
    ck_assert_double_eq(f.forecast_confidence, 100.0);
    ck_assert_double_eq(f.ev_no_act, 1000.0);
    revos_route_finance_compute(1000.0, NULL, 0.3, 1, -5.0, &f);
    ck_assert_double_eq(f.forecast_confidence, 0.0);
    ck_assert_double_eq(f.ev_no_act, 0.0);
}
END_TEST

START_TEST(negative_arr_counts_as_zero)
{
    revos_route_finance f;
    revos_route_finance_compute(-5.0, NULL, 0.3, 1, 50.0, &f);
    ck_assert_double_eq(f.arr_at_risk, 0.0);
    ck_assert_double_eq(f.replacement_cost, 0.0);
}
END_TEST

START_TEST(cac_ratio_comes_from_routing_finance_else_default)
{
    json_t *r = json_pack("{s:{s:f}}", "finance", "cac_ratio", 0.45);
    ck_assert_double_eq(revos_route_cac_ratio(r), 0.45);
    json_decref(r);
    r = json_pack("{s:{s:s}}", "finance", "cac_ratio", "lots");
    ck_assert_double_eq(revos_route_cac_ratio(r), 0.3);
    json_decref(r);
    ck_assert_double_eq(revos_route_cac_ratio(NULL), 0.3);
}
END_TEST

START_TEST(money_is_whole_dollars_with_thousands_separators)
{
    struct { double amount; const char *text; } rows[] = {
        {180000.0, "$180,000"}, {14000.0, "$14,000"}, {54000.0, "$54,000"}, {0.0, "$0"},
        {999.4, "$999"}, {999.5, "$1,000"}, {1234567.0, "$1,234,567"}, {-5000.0, "-$5,000"},
        {-0.2, "$0"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[40];
        revos_route_money(rows[i].amount, out, sizeof out);
        ck_assert_str_eq(out, rows[i].text);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("route_finance");
    TCase *tc = tcase_create("finance");
    tcase_add_test(tc, save_cost_is_the_sum_of_task_costs);
    tcase_add_test(tc, save_cost_of_no_play_is_zero);
    tcase_add_test(tc, shipped_renewal_save_costs_14000_with_p_save_0_6);
    tcase_add_test(tc, walkthrough_frame_is_180k_at_risk_14k_save_54k_replacement);
    tcase_add_test(tc, without_a_play_acting_is_worth_what_not_acting_is);
    tcase_add_test(tc, unknown_forecast_counts_as_zero);
    tcase_add_test(tc, forecast_is_clamped_to_0_100);
    tcase_add_test(tc, negative_arr_counts_as_zero);
    tcase_add_test(tc, cac_ratio_comes_from_routing_finance_else_default);
    tcase_add_test(tc, money_is_whole_dollars_with_thousands_separators);
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
