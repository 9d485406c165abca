/* test_route_records.c -- every Action revos-route emits matches
 * schemas/Action.avsc: encoded with the real codec (common/avro) and
 * decoded back unchanged, for the walkthrough's play_assigned, page and
 * escalation actions and for a notice's page. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_codec.h"
#include "route/actions.h"
#include "route/decide.h"
#include "route/pager.h"

#define AS_OF 1787994000000LL

static json_t *config;
static json_t *update;
static revos_avro *codec;

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
        " s:s, s:s, s:s}}",
        "score_id", "acct-001:renewal_risk:sig-9", "account_id", "acct-001", "kind",
        "renewal_risk", "value", 82.5, "tier", "critical", "previous_tier", "high", "as_of",
        (json_int_t)AS_OF, "config_version", (json_int_t)3, "trigger_signal_id", "sig-9",
        "contributions", "explanation", "Renewal risk 82.5.", "context", "arr", "180000",
        "renewal_date", "2026-12-08", "ae", "005Dn000AE01AAA", "csm", "005Dn000CS01AAA",
        "csm_lead", "005Dn000CL01AAA", "name", "Lincoln Unified School District",
        "forecast_confidence", "15", "derived", "champion_changed:critical");
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_avro_open(&codec, NULL, &err) == REVOS_OK, "%s", err.msg);
}

static void teardown(void)
{
    revos_avro_close(codec);
    json_decref(update);
    json_decref(config);
}

/* Encodes, decodes and compares; consumes action. */
static void assert_round_trips(json_t *action)
{
    ck_assert_ptr_nonnull(action);
    uint8_t *bytes = NULL;
    size_t len = 0;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_avro_encode(codec, REVOS_REC_ACTION, "revos.actions", action, &bytes, &len,
                                    &err) == REVOS_OK, "encode: %s", err.msg);
    json_t *back = NULL;
    ck_assert_msg(revos_avro_decode(codec, REVOS_REC_ACTION, bytes, len, &back, &err) == REVOS_OK,
                  "decode: %s", err.msg);
    char *want = json_dumps(action, JSON_SORT_KEYS | JSON_COMPACT);
    char *got = json_dumps(back, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_str_eq(got, want);
    free(want);
    free(got);
    free(bytes);
    json_decref(back);
    json_decref(action);
}

static void decide(size_t which, revos_route_decision *d)
{
    revos_route_trigger t[4];
    ck_assert_uint_eq(revos_route_triggers(update, json_object_get(config, "routing"), t, 4), 2);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(update, &t[which], config, 7, d, &err), REVOS_OK);
}

START_TEST(play_assigned_action_matches_the_action_schema)
{
    revos_route_decision d;
    decide(0, &d);
    assert_round_trips(revos_route_action_play(&d));
    revos_route_decision_free(&d);
}
END_TEST

START_TEST(page_action_matches_the_action_schema)
{
    revos_route_decision d;
    decide(0, &d);
    char *page_id = revos_route_page_id(d.decision_id, 0, d.owners.owner[1].owner_id);
    assert_round_trips(revos_route_action_page(&d, 1, page_id));
    free(page_id);
    revos_route_decision_free(&d);
}
END_TEST

START_TEST(notice_page_action_matches_the_action_schema)
{
    revos_route_decision d;
    decide(1, &d);
    ck_assert_ptr_null(d.play);
    assert_round_trips(revos_route_action_page(&d, 0, "n-0"));
    revos_route_decision_free(&d);
}
END_TEST

START_TEST(escalation_action_matches_the_action_schema)
{
    revos_route_decision d;
    decide(0, &d);
    json_t *body = revos_pager_body(&d, &d.owners, 0, "p-0");
    revos_route_owners next = {.n = 1};
    next.owner[0] = (revos_route_owner){"cs_director", "005Dn000CD01AAA", "Dana Whitfield",
                                        "json", NULL};
    json_t *up = revos_pager_escalated_body(body, 1, &next, 0, "p-1");
    assert_round_trips(revos_route_action_escalation(up, AS_OF + 1000));
    json_decref(up);
    json_decref(body);
    revos_route_decision_free(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("route_records");
    TCase *tc = tcase_create("actions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, play_assigned_action_matches_the_action_schema);
    tcase_add_test(tc, page_action_matches_the_action_schema);
    tcase_add_test(tc, notice_page_action_matches_the_action_schema);
    tcase_add_test(tc, escalation_action_matches_the_action_schema);
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
