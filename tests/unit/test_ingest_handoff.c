/* test_ingest_handoff.c -- account handoffs (AE -> CSM, CSM -> support,
 * SDR -> AE) -> handoff.event SourceEvents, and bad handoffs. */
#include "test_ingest_support.h"

#define HO "handoff"

START_TEST(test_completed_ae_to_csm_handoff_lists_its_provided_fields)
{
    parsed p = parse_fixture(NULL, HO, "ae_to_csm_completed.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "handoff:ho-2024-0930-pine:completed", HO, "handoff.event", "update",
                 INT64_C(1727715600000));
    expect_ids(e, "salesforce_account", "001Dn00000PineAAA", "domain", "pineridge.k12.mn.us",
               "salesforce_opportunity", "006Dn00000PineRnw", NULL);
    /* related_signals is [] : nothing provided */
    expect_attrs(e, "handoff_id", "ho-2024-0930-pine", "type", "ae_to_csm", "status", "completed",
                 "from_role", "ae", "from", "dana.ko@revos.example", "to_role", "csm", "to",
                 "li.wen@revos.example", "provided_fields",
                 "buying_criteria,champion_map,known_risks,open_commitments,procurement_timeline",
                 NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_empty_and_null_fields_are_not_provided)
{
    parsed p = parse_fixture(NULL, HO, "csm_to_support_missing_fields.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "handoff:ho-2024-1104-pine-esc:completed", HO, "handoff.event", "update",
                 INT64_C(1730734200000));
    ck_assert_str_eq(str_of(json_object_get(e, "attributes"), "provided_fields"),
                     "related_signals");
    parsed_free(&p);
}
END_TEST

START_TEST(test_initiated_sdr_to_ae_handoff_of_a_hubspot_company)
{
    parsed p = parse_fixture(NULL, HO, "sdr_to_ae_initiated_hubspot.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "handoff:ho-2024-0905-cedar:initiated", HO, "handoff.event", "create",
                 INT64_C(1725526800000));
    expect_ids(e, "hubspot_company", "2277050", NULL);
    expect_attrs(e, "handoff_id", "ho-2024-0905-cedar", "type", "sdr_to_ae", "status",
                 "initiated", "from_role", "sdr", "from", "sdr.lee@revos.example", "to_role", "ae",
                 "provided_fields", "buying_criteria", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_each_transition_has_its_own_event_id)
{
    json_t *doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_object_set_new(doc, "status", json_string("accepted"));
    parsed p = parse_json(NULL, HO, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(event_at(&p, 0), "event_id"), "handoff:ho-2024-0930-pine:accepted");
    parsed_free(&p);
}
END_TEST

/* ==== Bad input ==== */

START_TEST(test_unknown_type_and_status_are_rejected)
{
    json_t *doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_object_set_new(doc, "type", json_string("ae_to_cfo"));
    parsed p = parse_json(NULL, HO, doc);
    expect_reject(&p, "validation", "handoff: type: expected ae_to_csm, csm_to_support or sdr_to_ae");
    parsed_free(&p);
    doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_object_set_new(doc, "status", json_string("done"));
    p = parse_json(NULL, HO, doc);
    expect_reject(&p, "validation",
                  "handoff: status: expected initiated, accepted, completed or rejected");
    parsed_free(&p);
}
END_TEST

START_TEST(test_handoff_without_an_account_id_is_rejected)
{
    json_t *doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_object_set_new(doc, "account", json_object());
    parsed p = parse_json(NULL, HO, doc);
    expect_reject(&p, "validation",
                  "handoff: account: needs salesforce_account_id, hubspot_company_id or domain");
    parsed_free(&p);
}
END_TEST

START_TEST(test_handoff_without_time_is_rejected)
{
    json_t *doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_object_del(doc, "occurred_at");
    parsed p = parse_json(NULL, HO, doc);
    expect_reject(&p, "validation", "handoff: occurred_at: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_hostile_field_names_and_too_many_fields_are_rejected)
{
    json_t *doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_object_set_new(json_object_get(doc, "fields"), "Known Risks!", json_string("x"));
    parsed p = parse_json(NULL, HO, doc);
    expect_reject(&p, "validation",
                  "handoff: fields: names must be 1-64 of [a-z0-9_], got 'Known Risks!'");
    parsed_free(&p);

    doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_t *fields = json_object_get(doc, "fields");
    for (int i = 0; i < 70; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        json_object_set_new(fields, name, json_string("x"));
    }
    p = parse_json(NULL, HO, doc);
    expect_reject(&p, "validation", "handoff: fields: 76 entries is above 64");
    parsed_free(&p);
}
END_TEST

START_TEST(test_overlong_role_is_rejected)
{
    json_t *doc = fixture_json(HO, "ae_to_csm_completed.json");
    json_object_set_new(json_object_get(doc, "to"), "role",
                        json_string("customer-success-manager-of-the-northern-region"));
    parsed p = parse_json(NULL, HO, doc);
    expect_reject(&p, "validation", "handoff: to.role: expected a role of at most 32 bytes");
    parsed_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_handoff");
    TCase *tc = tcase_create("handoffs");
    tcase_add_test(tc, test_completed_ae_to_csm_handoff_lists_its_provided_fields);
    tcase_add_test(tc, test_empty_and_null_fields_are_not_provided);
    tcase_add_test(tc, test_initiated_sdr_to_ae_handoff_of_a_hubspot_company);
    tcase_add_test(tc, test_each_transition_has_its_own_event_id);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_unknown_type_and_status_are_rejected);
    tcase_add_test(tc, test_handoff_without_an_account_id_is_rejected);
    tcase_add_test(tc, test_handoff_without_time_is_rejected);
    tcase_add_test(tc, test_hostile_field_names_and_too_many_fields_are_rejected);
    tcase_add_test(tc, test_overlong_role_is_rejected);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
