/* test_route_pager.c -- specification of pages and Actions
 * (workers/route/pager.h, actions.h): the page body and its summary, the
 * retry backoff, escalated pages and the Action records, for the reference
 * walkthrough. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "route/actions.h"
#include "route/decide.h"
#include "route/pager.h"

#define AS_OF 1787994000000LL /* 2026-08-29T09:00:00Z */

static json_t *config;
static json_t *update;
static revos_route_decision decision;

static json_t *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", REVOS_CONFIG_DIR, name);
    json_t *doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static void setup(void)
{
    config = json_object();
    json_object_set_new(config, "routing", load("routing.json"));
    json_object_set_new(config, "plays", load("plays.json"));
    update = json_pack(
        "{s:s, s:s, s:s, s:f, s:s, s:s, s:I, s:I, s:s, s:[], s:s, s:{s:s, s:s, s:s, s:s, s:s,"
        " s:s, s:s}}",
        "score_id", "acct-001:renewal_risk:sig-9", "account_id", "acct-001", "kind",
        "renewal_risk", "value", 82.5, "tier", "critical", "previous_tier", "high", "as_of",
        (json_int_t)AS_OF, "config_version", (json_int_t)3, "trigger_signal_id", "sig-9",
        "contributions", "explanation", "Renewal risk 82.5 = usage (+30) + champion (+25) + NPS (+27.5).",
        "context", "arr", "180000", "renewal_date", "2026-12-08", "ae", "005Dn000AE01AAA", "csm",
        "005Dn000CS01AAA", "csm_lead", "005Dn000CL01AAA", "name", "Lincoln Unified School District",
        "forecast_confidence", "15");
    revos_route_trigger t[4];
    ck_assert_uint_eq(revos_route_triggers(update, json_object_get(config, "routing"), t, 4), 1);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(update, &t[0], config, 7, &decision, &err), REVOS_OK);
}

static void teardown(void)
{
    revos_route_decision_free(&decision);
    json_decref(update);
    json_decref(config);
}

static const char *str(const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    ck_assert_msg(v != NULL, "%s missing", key);
    return v;
}

/* ==== Backoff ==== */

START_TEST(backoff_doubles_from_one_second)
{
    ck_assert_int_eq(revos_pager_backoff_ms(1), 1000);
    ck_assert_int_eq(revos_pager_backoff_ms(2), 2000);
    ck_assert_int_eq(revos_pager_backoff_ms(3), 4000);
    ck_assert_int_eq(revos_pager_backoff_ms(4), 8000);
    ck_assert_int_eq(revos_pager_backoff_ms(9), 256000);
}
END_TEST

START_TEST(backoff_is_capped_at_five_minutes)
{
    ck_assert_int_eq(revos_pager_backoff_ms(10), 300000);
    ck_assert_int_eq(revos_pager_backoff_ms(30), 300000);
    ck_assert_int_eq(revos_pager_backoff_ms(1000), 300000);
}
END_TEST

START_TEST(backoff_of_nonsense_attempts_is_one_second)
{
    ck_assert_int_eq(revos_pager_backoff_ms(0), 1000);
    ck_assert_int_eq(revos_pager_backoff_ms(-3), 1000);
}
END_TEST

START_TEST(iso8601_is_utc_whole_seconds)
{
    char out[32];
    revos_pager_iso8601(AS_OF + 14400000 + 999, out, sizeof out);
    ck_assert_str_eq(out, "2026-08-29T13:00:00Z");
    revos_pager_iso8601(0, out, sizeof out);
    ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
}
END_TEST

/* ==== Page bodies ==== */

START_TEST(page_body_carries_the_decision_for_its_recipient)
{
    char *page_id = revos_route_page_id(decision.decision_id, 0, "005Dn000CL01AAA");
    json_t *body = revos_pager_body(&decision, &decision.owners, 0, page_id);
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(str(body, "page_id"), page_id);
    ck_assert_str_eq(str(body, "play_id"), decision.decision_id);
    ck_assert_str_eq(str(body, "account_id"), "acct-001");
    ck_assert_str_eq(str(body, "account_name"), "Lincoln Unified School District");
    ck_assert_str_eq(str(body, "play"), "renewal_save");
    ck_assert_str_eq(str(body, "trigger"), "renewal_risk");
    ck_assert_str_eq(str(body, "severity"), "critical");
    ck_assert_str_eq(str(body, "route"), "renewal_risk/critical");
    ck_assert_int_eq(json_integer_value(json_object_get(body, "level")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(body, "sla_seconds")), 14400);
    ck_assert(json_is_null(json_object_get(body, "ack_due_at")));
    ck_assert_double_eq(json_real_value(json_object_get(body, "arr_at_risk")), 180000.0);
    ck_assert_double_eq(json_real_value(json_object_get(body, "save_cost")), 14000.0);
    ck_assert_double_eq_tol(json_real_value(json_object_get(body, "replacement_cost")), 54000.0, 1e-9);
    ck_assert_str_eq(str(body, "explanation"),
                     "Renewal risk 82.5 = usage (+30) + champion (+25) + NPS (+27.5).");
    ck_assert_str_eq(str(body, "score_id"), "acct-001:renewal_risk:sig-9");
    ck_assert_str_eq(str(body, "score_band"), "critical");
    ck_assert_int_eq(json_integer_value(json_object_get(body, "config_version")), 7);
    const json_t *owner = json_object_get(body, "owner");
    ck_assert_str_eq(str(owner, "role"), "csm_lead");
    ck_assert_str_eq(str(owner, "owner_id"), "005Dn000CL01AAA");
    ck_assert_str_eq(str(owner, "name"), "Sam Okafor");
    const json_t *owners = json_object_get(body, "owners");
    ck_assert_uint_eq(json_array_size(owners), 2);
    ck_assert_str_eq(str(json_array_get(owners, 0), "role"), "csm_lead");
    ck_assert_str_eq(str(json_array_get(owners, 1), "role"), "ae");
    ck_assert_str_eq(str(json_array_get(owners, 1), "name"), "Jordan Ellis");
    json_decref(body);
    free(page_id);
}
END_TEST

START_TEST(page_body_summary_is_the_walkthrough_sentence)
{
    json_t *body = revos_pager_body(&decision, &decision.owners, 1, "p-1");
    ck_assert_str_eq(str(body, "summary"),
                     "Renewal risk critical for Lincoln Unified School District: $180,000 ARR at "
                     "risk, renewal in 101 days. Renewal Save play: save cost $14,000 vs "
                     "replacement $54,000. Acknowledge within 4h.");
    ck_assert_str_eq(str(body, "decision_summary"), str(body, "summary"));
    json_decref(body);
}
END_TEST

START_TEST(escalated_body_names_the_new_level_and_owners)
{
    json_t *body = revos_pager_body(&decision, &decision.owners, 0, "p-0");
    revos_route_owners next = {.n = 1};
    next.owner[0] = (revos_route_owner){"cs_director", "005Dn000CD01AAA", "Dana Whitfield",
                                        "json", NULL};
    json_t *up = revos_pager_escalated_body(body, 1, &next, 0, "p-1");
    ck_assert_ptr_nonnull(up);
    ck_assert_str_eq(str(up, "page_id"), "p-1");
    ck_assert_int_eq(json_integer_value(json_object_get(up, "level")), 1);
    ck_assert_str_eq(str(json_object_get(up, "owner"), "role"), "cs_director");
    ck_assert_uint_eq(json_array_size(json_object_get(up, "owners")), 1);
    ck_assert_str_eq(str(json_array_get(json_object_get(up, "owners"), 0), "name"),
                     "Dana Whitfield");
    ck_assert_str_eq(str(up, "summary"),
                     "Escalated to level 1, not acknowledged within 4h: Renewal risk critical for "
                     "Lincoln Unified School District: $180,000 ARR at risk, renewal in 101 days. "
                     "Renewal Save play: save cost $14,000 vs replacement $54,000. Acknowledge "
                     "within 4h.");
    ck_assert_str_eq(str(up, "play_id"), decision.decision_id);
    /* the lower level's body is untouched */
    ck_assert_str_eq(str(body, "page_id"), "p-0");
    json_decref(up);
    json_decref(body);
}
END_TEST

/* ==== Actions ==== */

START_TEST(play_assigned_action_has_tasks_owners_and_finance)
{
    json_t *a = revos_route_action_play(&decision);
    ck_assert_ptr_nonnull(a);
    char want[256];
    snprintf(want, sizeof want, "assigned:%s", decision.decision_id);
    ck_assert_str_eq(str(a, "action_id"), want);
    ck_assert_str_eq(str(a, "kind"), "play_assigned");
    ck_assert_str_eq(str(a, "play"), "renewal_save");
    ck_assert_str_eq(str(a, "route"), "renewal_risk/critical");
    ck_assert(json_is_null(json_object_get(a, "page_id")));
    ck_assert_int_eq(json_integer_value(json_object_get(a, "level")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "sla_seconds")), 14400);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "due_at")), AS_OF + 14400000);
    ck_assert_double_eq(json_real_value(json_object_get(a, "arr_at_risk")), 180000.0);
    ck_assert_double_eq(json_real_value(json_object_get(a, "save_cost")), 14000.0);
    ck_assert_double_eq_tol(json_real_value(json_object_get(a, "replacement_cost")), 54000.0, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(a, "ev_act")), 94000.0, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(a, "ev_no_act")), 27000.0, 1e-9);
    ck_assert_str_eq(str(a, "score_band"), "critical");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "config_version")), 7);
    ck_assert_uint_eq(json_array_size(json_object_get(a, "owners")), 2);
    const json_t *tasks = json_object_get(a, "tasks");
    ck_assert_uint_eq(json_array_size(tasks), 3);
    ck_assert_str_eq(str(json_array_get(tasks, 2), "title"),
                     "Renewal proposal with multi-year incentive");
    ck_assert_double_eq(json_real_value(json_object_get(json_array_get(tasks, 2), "cost")), 6000.0);
    ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(tasks, 2), "depends_on")), 1);
    json_decref(a);
}
END_TEST

START_TEST(page_action_names_one_owner_and_the_page)
{
    json_t *a = revos_route_action_page(&decision, 1, "p-ae");
    ck_assert_str_eq(str(a, "action_id"), "page:p-ae");
    ck_assert_str_eq(str(a, "kind"), "page");
    ck_assert_str_eq(str(a, "page_id"), "p-ae");
    ck_assert_uint_eq(json_array_size(json_object_get(a, "owners")), 1);
    ck_assert_str_eq(str(json_array_get(json_object_get(a, "owners"), 0), "role"), "ae");
    ck_assert_uint_eq(json_array_size(json_object_get(a, "tasks")), 0);
    json_decref(a);
}
END_TEST

START_TEST(escalation_action_comes_from_the_new_level_page)
{
    json_t *body = revos_pager_body(&decision, &decision.owners, 0, "p-0");
    revos_route_owners next = {.n = 1};
    next.owner[0] = (revos_route_owner){"cs_director", "u-d", "Dana", "json", NULL};
    json_t *up = revos_pager_escalated_body(body, 1, &next, 0, "p-1");
    json_t *a = revos_route_action_escalation(up, 5000);
    ck_assert_ptr_nonnull(a);
    char want[256];
    snprintf(want, sizeof want, "escalation:%s:1", decision.decision_id);
    ck_assert_str_eq(str(a, "action_id"), want);
    ck_assert_str_eq(str(a, "kind"), "escalation");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "level")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "due_at")), 5000 + 14400000);
    ck_assert_str_eq(str(json_array_get(json_object_get(a, "owners"), 0), "owner_id"), "u-d");
    ck_assert_str_eq(str(a, "summary"), str(up, "summary"));
    ck_assert_double_eq(json_real_value(json_object_get(a, "save_cost")), 14000.0);
    json_decref(a);
    json_decref(up);
    json_decref(body);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("route_pager");
    TCase *pure = tcase_create("backoff");
    tcase_add_test(pure, backoff_doubles_from_one_second);
    tcase_add_test(pure, backoff_is_capped_at_five_minutes);
    tcase_add_test(pure, backoff_of_nonsense_attempts_is_one_second);
    tcase_add_test(pure, iso8601_is_utc_whole_seconds);
    suite_add_tcase(s, pure);
    TCase *tc = tcase_create("pages");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, page_body_carries_the_decision_for_its_recipient);
    tcase_add_test(tc, page_body_summary_is_the_walkthrough_sentence);
    tcase_add_test(tc, escalated_body_names_the_new_level_and_owners);
    tcase_add_test(tc, play_assigned_action_has_tasks_owners_and_finance);
    tcase_add_test(tc, page_action_names_one_owner_and_the_page);
    tcase_add_test(tc, escalation_action_comes_from_the_new_level_page);
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
