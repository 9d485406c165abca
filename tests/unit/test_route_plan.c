/* test_route_plan.c -- specification of revos-route's plan
 * (workers/route/plan.h) with config/routing.json: inhibition (a critical
 * renewal-risk play absorbs the same account's warnings as evidence) and
 * the high tier routed to the CSM. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "route/plan.h"

#define DAY_MS 86400000LL
#define T0 1787994000000LL /* 2026-08-29T09:00:00Z */

static json_t *config;

static json_t *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", REVOS_CONFIG_DIR, name);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s: %s", path, jerr.text);
    return doc;
}

static void setup(void)
{
    config = json_object();
    json_object_set_new(config, "routing", load("routing.json"));
    json_object_set_new(config, "plays", load("plays.json"));
}

static void teardown(void)
{
    json_decref(config);
}

/* A published cell on day `day` after T0: a renewal-risk tier change
 * (tier NULL: none) and/or the derived signals of the day. */
static json_t *cell(int day, const char *kind, const char *tier, const char *previous,
                    const char *derived)
{
    char id[128];
    snprintf(id, sizeof id, "acct-1:%s:d%02d", kind, day);
    int64_t as_of = T0 + day * DAY_MS;
    json_t *update = json_pack(
        "{s:s, s:s, s:s, s:f, s:n, s:s?, s:s?, s:I, s:I, s:s, s:[], s:s,"
        " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "score_id", id, "account_id", "acct-1", "kind", kind, "value", 80.0, "previous",
        "tier", tier, "previous_tier", previous, "as_of", (json_int_t)as_of, "config_version",
        (json_int_t)3, "trigger_signal_id", "sig-1", "contributions", "explanation", "x",
        "context", "arr", "180000", "renewal_date", "2026-12-08", "ae", "005Dn000AE01AAA",
        "csm", "005Dn000CS01AAA", "csm_lead", "005Dn000CL01AAA", "name", "Lincoln USD",
        "derived", derived ? derived : "");
    return json_pack("{s:s, s:I, s:o}", "cell_id", id, "as_of", (json_int_t)as_of, "update", update);
}

static const revos_route_planned *find(const revos_route_plan_result *plan, const char *route)
{
    for (size_t i = 0; i < plan->n; i++)
        if (strcmp(plan->items[i].decision.route, route) == 0)
            return &plan->items[i];
    return NULL;
}

static size_t attached(const revos_route_planned *p, const char *trigger)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(p->events); i++) {
        const json_t *e = json_array_get(p->events, i);
        if (json_is_true(json_object_get(e, "attached")) &&
            strcmp(json_string_value(json_object_get(e, "trigger")), trigger) == 0)
            n++;
    }
    return n;
}

START_TEST(critical_renewal_risk_absorbs_the_same_episode_warnings)
{
    json_t *cells = json_array(), *ends = json_array();
    json_array_append_new(cells, cell(0, "renewal_risk", "critical", "high", NULL));
    json_array_append_new(cells, cell(1, "account_health", NULL, NULL, "usage_down:warning"));
    json_array_append_new(cells, cell(2, "account_health", NULL, NULL, "ticket_surge:warning,nps_drop:info"));
    revos_route_plan_result plan;
    revos_err err = {0};
    ck_assert_int_eq(revos_route_plan(config, 3, cells, ends, &plan, &err), REVOS_OK);
    /* one decision: the play; the warnings are its evidence */
    ck_assert_uint_eq(plan.n, 1);
    const revos_route_planned *play = find(&plan, "renewal_risk/critical");
    ck_assert_ptr_nonnull(play);
    ck_assert_uint_eq(attached(play, "adoption_decay"), 1);
    ck_assert_uint_eq(attached(play, "support_surge"), 1);
    ck_assert_uint_eq(attached(play, "nps_decline"), 1);
    revos_route_plan_free(&plan);
    json_decref(cells);
    json_decref(ends);
}
END_TEST

START_TEST(warnings_page_on_their_own_without_an_open_critical)
{
    json_t *cells = json_array(), *ends = json_array();
    json_array_append_new(cells, cell(1, "account_health", NULL, NULL, "usage_down:warning"));
    json_array_append_new(cells, cell(5, "renewal_risk", "critical", "high", NULL));
    json_array_append_new(cells, cell(6, "account_health", NULL, NULL, "ticket_surge:warning"));
    /* the renewal closes the play; a surge after it pages again */
    json_array_append_new(ends, json_pack("{s:s, s:I, s:s, s:s}", "kind", "crm", "ms",
                                          (json_int_t)(T0 + 10 * DAY_MS), "result", "renewed",
                                          "outcome_id", "o-1"));
    json_array_append_new(cells, cell(12, "account_health", NULL, NULL, "ticket_surge:warning"));
    revos_route_plan_result plan;
    revos_err err = {0};
    ck_assert_int_eq(revos_route_plan(config, 3, cells, ends, &plan, &err), REVOS_OK);
    /* the decay came before the play: its own notice */
    ck_assert_ptr_nonnull(find(&plan, "adoption_decay/warning"));
    const revos_route_planned *play = find(&plan, "renewal_risk/critical");
    ck_assert_ptr_nonnull(play);
    ck_assert_uint_eq(attached(play, "support_surge"), 1);
    ck_assert_int_eq(play->closed, 1);
    /* day 12: no open critical: the surge is its own notice */
    const revos_route_planned *surge = find(&plan, "support_surge/warning");
    ck_assert_ptr_nonnull(surge);
    ck_assert_int_eq(surge->decision.as_of_ms, T0 + 12 * DAY_MS);
    ck_assert_uint_eq(plan.n, 3);
    revos_route_plan_free(&plan);
    json_decref(cells);
    json_decref(ends);
}
END_TEST

START_TEST(high_renewal_risk_pages_the_csm_and_absorbs_decay)
{
    json_t *cells = json_array(), *ends = json_array();
    json_array_append_new(cells, cell(0, "renewal_risk", "high", "medium", NULL));
    json_array_append_new(cells, cell(3, "account_health", NULL, NULL, "usage_down:warning"));
    json_array_append_new(cells, cell(4, "account_health", NULL, NULL, "ticket_surge:warning"));
    revos_route_plan_result plan;
    revos_err err = {0};
    ck_assert_int_eq(revos_route_plan(config, 3, cells, ends, &plan, &err), REVOS_OK);
    const revos_route_planned *high = find(&plan, "renewal_risk/high");
    ck_assert_ptr_nonnull(high);
    ck_assert_ptr_null(high->decision.play);
    ck_assert_int_eq(high->decision.sla_seconds, 48 * 3600);
    ck_assert_str_eq(high->decision.owners.owner[0].role, "csm");
    ck_assert_uint_eq(attached(high, "adoption_decay"), 1);
    /* a high risk does not absorb a support surge: it pages the CSM */
    ck_assert_ptr_nonnull(find(&plan, "support_surge/warning"));
    revos_route_plan_free(&plan);
    json_decref(cells);
    json_decref(ends);
}
END_TEST

START_TEST(config_check_refuses_a_malformed_inhibit_rule)
{
    revos_err err = {0};
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_OK);
    json_t *routing = json_object_get(config, "routing");
    json_object_set_new(routing, "inhibit", json_pack("[{s:{s:s}, s:[s]}]", "while", "trigger",
                                                      "renewal_risk", "absorbs", "adoption_decay"));
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "routing.inhibit[0]: needs while {trigger, severity} and an absorbs "
                              "array of triggers");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("route_plan");
    TCase *tc = tcase_create("plan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, critical_renewal_risk_absorbs_the_same_episode_warnings);
    tcase_add_test(tc, warnings_page_on_their_own_without_an_open_critical);
    tcase_add_test(tc, high_renewal_risk_pages_the_csm_and_absorbs_decay);
    tcase_add_test(tc, config_check_refuses_a_malformed_inhibit_rule);
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
