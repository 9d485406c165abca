/* test_ingest_hubspot.c -- HubSpot webhook batches -> SourceEvents:
 * companies, deals and contacts; creation, propertyChange, deletion and
 * associationChange; retries; deal stages; bad batches. */
#include "test_ingest_support.h"

#define HS "hubspot"

/* ==== Batches and event types ==== */

START_TEST(test_legacy_event_type_batch_gives_one_event_per_element)
{
    parsed p = parse_fixture(NULL, HS, "contact_batch_legacy_event_type.json");
    expect_ok(&p, 2);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "hubspot:4417:7201443310", HS, "crm.contact", "update", INT64_C(1719850000123));
    expect_ids(e, "hubspot_contact", "5120331", NULL);
    expect_attrs(e, "event", "property_change", "attempt", "0", "change_source", "CRM_UI",
                 "property", "lifecyclestage", "value", "customer", NULL);
    e = event_at(&p, 1);
    expect_event(e, "hubspot:4417:7201443388", HS, "crm.contact", "create", INT64_C(1719850000123));
    expect_ids(e, "hubspot_contact", "5120347", NULL);
    expect_attrs(e, "event", "creation", "attempt", "0", "change_source", "IMPORT", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_subscription_type_contact_creation)
{
    parsed p = parse_fixture(NULL, HS, "contact_creation.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "hubspot:4417:88120455", HS, "crm.contact", "create", INT64_C(1719936400741));
    expect_ids(e, "hubspot_contact", "71003344551", NULL);
    expect_attrs(e, "event", "creation", "attempt", "0", "change_source", "CRM_UI", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_subscription_type_wins_over_event_type)
{
    json_t *doc = fixture_json(HS, "contact_creation.json");
    json_object_set_new(json_array_get(doc, 0), "eventType", json_string("deal.deletion"));
    parsed p = parse_json(NULL, HS, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(event_at(&p, 0), "kind"), "crm.contact");
    parsed_free(&p);
}
END_TEST

START_TEST(test_one_event_object_is_accepted_like_a_batch_of_one)
{
    json_t *doc = fixture_json(HS, "contact_creation.json");
    json_t *one = json_incref(json_array_get(doc, 0));
    json_decref(doc);
    parsed p = parse_json(NULL, HS, one);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(event_at(&p, 0), "event_id"), "hubspot:4417:88120455");
    parsed_free(&p);
}
END_TEST

START_TEST(test_empty_batch_is_ignored)
{
    parsed p = parse_bytes(NULL, HS, "[]", 2);
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

START_TEST(test_objects_revos_does_not_read_are_ignored)
{
    parsed p = parse_json(NULL, HS, json_text("[{\"eventId\": 1, \"portalId\": 2, \"occurredAt\": "
                                              "1720000000000, \"subscriptionType\": "
                                              "\"ticket.creation\", \"objectId\": 3}]"));
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

/* ==== Retries ==== */

START_TEST(test_a_retry_keeps_the_event_id_and_records_the_attempt)
{
    parsed first = parse_fixture(NULL, HS, "deal_stage_closedwon_retry.json");
    json_t *doc = fixture_json(HS, "deal_stage_closedwon_retry.json");
    json_object_set_new(json_array_get(doc, 0), "attemptNumber", json_integer(0));
    parsed again = parse_json(NULL, HS, doc);
    expect_ok(&first, 1);
    expect_ok(&again, 1);
    ck_assert_str_eq(str_of(event_at(&first, 0), "event_id"), "hubspot:4417:3390017265");
    ck_assert_str_eq(str_of(event_at(&again, 0), "event_id"), "hubspot:4417:3390017265");
    ck_assert_str_eq(str_of(json_object_get(event_at(&first, 0), "attributes"), "attempt"), "3");
    parsed_free(&first);
    parsed_free(&again);
}
END_TEST

/* ==== Deals ==== */

START_TEST(test_closedwon_maps_to_a_closed_won_pipeline_stage)
{
    parsed p = parse_fixture(NULL, HS, "deal_stage_closedwon_retry.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "hubspot:4417:3390017265", HS, "crm.opportunity", "update",
                 INT64_C(1722470400500));
    expect_ids(e, "hubspot_deal", "918273645", NULL);
    expect_attrs(e, "event", "property_change", "attempt", "3", "change_source",
                 "AUTOMATION_PLATFORM", "property", "dealstage", "value", "closedwon",
                 "hubspot_stage", "closedwon", "stage", "Closed Won", "is_closed", "true", "is_won",
                 "true", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_unmapped_custom_pipeline_stage_keeps_its_id)
{
    parsed p = parse_fixture(NULL, HS, "deal_stage_custom_pipeline.json");
    expect_ok(&p, 1);
    expect_attrs(event_at(&p, 0), "event", "property_change", "attempt", "0", "change_source",
                 "CRM_UI", "property", "dealstage", "value", "9b2c7e14-3f6a-4d58-8e01-c4a7b5d2f9e3",
                 "hubspot_stage", "9b2c7e14-3f6a-4d58-8e01-c4a7b5d2f9e3", "stage",
                 "9b2c7e14-3f6a-4d58-8e01-c4a7b5d2f9e3", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_custom_pipeline_stage_maps_through_the_mapping)
{
    json_t *mapping = json_text("{\"hubspot\": {\"deal_stages\": {"
                                "\"9b2c7e14-3f6a-4d58-8e01-c4a7b5d2f9e3\": {\"stage\": \"Renewal "
                                "Pending\", \"is_closed\": false}}}}");
    parsed p = parse_fixture(mapping, HS, "deal_stage_custom_pipeline.json");
    expect_ok(&p, 1);
    const json_t *attrs = json_object_get(event_at(&p, 0), "attributes");
    ck_assert_str_eq(str_of(attrs, "stage"), "Renewal Pending");
    ck_assert_str_eq(str_of(attrs, "is_closed"), "false");
    ck_assert_ptr_null(json_object_get(attrs, "is_won"));
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_deal_amount_close_date_and_renewal_type)
{
    parsed p = parse_fixture(NULL, HS, "deal_properties.json");
    expect_ok(&p, 4);
    const json_t *amount = json_object_get(event_at(&p, 0), "attributes");
    ck_assert_str_eq(str_of(amount, "amount"), "180000");
    const json_t *close = json_object_get(event_at(&p, 1), "attributes");
    ck_assert_str_eq(str_of(close, "close_date"), "2024-09-30");
    const json_t *type = json_object_get(event_at(&p, 2), "attributes");
    ck_assert_str_eq(str_of(type, "type"), "existingbusiness");
    ck_assert_str_eq(str_of(type, "renewal"), "true");
    parsed_free(&p);
}
END_TEST

START_TEST(test_deal_amount_that_is_not_a_number_is_rejected)
{
    parsed p = parse_json(NULL, HS, json_text("[{\"eventId\": 1, \"portalId\": 2, \"occurredAt\": "
                                              "1720000000000, \"subscriptionType\": "
                                              "\"deal.propertyChange\", \"objectId\": 3, "
                                              "\"propertyName\": \"amount\", \"propertyValue\": "
                                              "\"lots\"}]"));
    expect_reject(&p, "validation", "hubspot: [0].propertyValue: expected an amount (a number)");
    parsed_free(&p);
}
END_TEST

/* ==== Companies ==== */

START_TEST(test_company_creation_name_domain_and_salesforce_link)
{
    parsed p = parse_fixture(NULL, HS, "company_batch.json");
    expect_ok(&p, 4);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "hubspot:4417:501", HS, "crm.account", "create", INT64_C(1719800000000));
    expect_ids(e, "hubspot_company", "2277001", NULL);
    e = event_at(&p, 1);
    expect_ids(e, "hubspot_company", "2277001", NULL);
    ck_assert_str_eq(str_of(json_object_get(e, "attributes"), "name"),
                     "Maple Grove Unified School District");
    expect_ids(event_at(&p, 2), "hubspot_company", "2277001", "domain", "maplegrove.k12.ca.us",
               NULL);
    e = event_at(&p, 3);
    expect_ids(e, "hubspot_company", "2277001", "salesforce_account", "001Dn00000MapleAAA", NULL);
    expect_attrs(e, "event", "property_change", "attempt", "0", "change_source", "INTEGRATION",
                 "property", "salesforceaccountid", "value", "001Dn00000MapleAAA", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_salesforce_property_comes_from_the_mapping)
{
    json_t *mapping =
        json_text("{\"hubspot\": {\"company\": {\"salesforce_account_property\": \"sfdc_id\"}}}");
    parsed p = parse_fixture(mapping, HS, "company_batch.json");
    expect_ok(&p, 4);
    expect_ids(event_at(&p, 3), "hubspot_company", "2277001", NULL);
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_company_deletion_is_a_delete)
{
    parsed p = parse_fixture(NULL, HS, "company_deletion.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "hubspot:4417:733", HS, "crm.account", "delete", INT64_C(1720000000000));
    expect_ids(e, "hubspot_company", "2277050", NULL);
    expect_attrs(e, "event", "deletion", "attempt", "1", "change_source", "CRM_UI", NULL);
    parsed_free(&p);
}
END_TEST

/* ==== Associations and contacts ==== */

START_TEST(test_association_change_names_both_objects)
{
    parsed p = parse_fixture(NULL, HS, "deal_association_company.json");
    expect_ok(&p, 2);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "hubspot:4417:845", HS, "crm.opportunity", "update", INT64_C(1720100000000));
    expect_ids(e, "hubspot_deal", "918273645", "hubspot_company", "2277001", NULL);
    expect_attrs(e, "event", "association_change", "attempt", "0", "change_source", "USER",
                 "association", "deal_to_company", "associated_id", "2277001",
                 "association_removed", "false", NULL);
    expect_ids(event_at(&p, 1), "hubspot_contact", "5120331", "hubspot_company", "2277001", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_association_from_another_object_is_rejected)
{
    json_t *doc = fixture_json(HS, "deal_association_company.json");
    json_object_set_new(json_array_get(doc, 0), "associationType", json_string("CONTACT_TO_DEAL"));
    parsed p = parse_json(NULL, HS, doc);
    expect_reject(&p, "validation",
                  "hubspot: [0].associationType: expected an association from the event's object");
    parsed_free(&p);
}
END_TEST

START_TEST(test_contact_email_sets_email_and_domain)
{
    parsed p = parse_fixture(NULL, HS, "deal_properties.json");
    expect_ok(&p, 4);
    expect_ids(event_at(&p, 3), "hubspot_contact", "5120331", "email",
               "r.alvarez@maplegrove.k12.ca.us", "domain", "maplegrove.k12.ca.us", NULL);
    parsed_free(&p);
}
END_TEST

/* ==== Bad input ==== */

START_TEST(test_bad_element_rejects_the_whole_batch_and_names_it)
{
    json_t *doc = fixture_json(HS, "company_batch.json");
    json_object_del(json_array_get(doc, 2), "eventId");
    parsed p = parse_json(NULL, HS, doc);
    expect_reject(&p, "validation", "hubspot: [2].eventId: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_missing_type_is_rejected)
{
    parsed p = parse_json(NULL, HS, json_text("[{\"eventId\": 1, \"portalId\": 2}]"));
    expect_reject(&p, "validation", "hubspot: [0].subscriptionType: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_malformed_type_is_rejected)
{
    static const char *const bad[] = {"deal", ".creation", "deal.", "deal.prop-change",
                                      "deal.aVeryLongChangeNameThatDoesNotFitTheBufferAtAllReally"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *doc = json_pack("[{s:i, s:i, s:I, s:s, s:i}]", "eventId", 1, "portalId", 2,
                                "occurredAt", (json_int_t)1720000000000, "subscriptionType",
                                bad[i], "objectId", 3);
        parsed p = parse_json(NULL, HS, doc);
        expect_reject(&p, "validation", "hubspot: [0].subscriptionType: expected <object>.<change>");
        parsed_free(&p);
    }
}
END_TEST

START_TEST(test_negative_attempt_number_is_rejected)
{
    json_t *doc = fixture_json(HS, "contact_creation.json");
    json_object_set_new(json_array_get(doc, 0), "attemptNumber", json_integer(-1));
    parsed p = parse_json(NULL, HS, doc);
    expect_reject(&p, "validation", "hubspot: [0].attemptNumber: expected a non-negative integer");
    parsed_free(&p);
}
END_TEST

START_TEST(test_batch_above_the_limit_is_rejected)
{
    json_t *mapping = json_text("{\"hubspot\": {\"max_batch_events\": 2}}");
    parsed p = parse_fixture(mapping, HS, "company_batch.json");
    expect_reject(&p, "validation", "hubspot: batch of 4 events is above 2");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_non_object_elements_and_top_level_scalars_are_rejected)
{
    parsed p = parse_bytes(NULL, HS, "[1]", 3);
    expect_reject(&p, "validation", "hubspot: [0]: expected an event object");
    parsed_free(&p);
    p = parse_bytes(NULL, HS, "\"x\"", 3);
    expect_reject(&p, "decode", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_truncated_batch_is_a_decode_error)
{
    size_t len;
    char *text = fixture_read(HS, "company_batch.json", &len);
    parsed p = parse_bytes(NULL, HS, text, len / 2);
    ck_assert_int_eq(p.st, REVOS_ERR_INPUT);
    ck_assert_str_eq(p.err.cls, "decode");
    parsed_free(&p);
    free(text);
}
END_TEST

START_TEST(test_bad_deal_stage_mapping_is_a_configuration_error)
{
    json_t *mapping = json_text("{\"hubspot\": {\"deal_stages\": {\"closedwon\": {\"is_won\": 1}}}}");
    parsed p = parse_fixture(mapping, HS, "deal_stage_closedwon_retry.json");
    ck_assert_int_eq(p.st, REVOS_ERR_FATAL);
    ck_assert_str_eq(p.err.cls, "mapping");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_hubspot");
    TCase *tc = tcase_create("batches");
    tcase_add_test(tc, test_legacy_event_type_batch_gives_one_event_per_element);
    tcase_add_test(tc, test_subscription_type_contact_creation);
    tcase_add_test(tc, test_subscription_type_wins_over_event_type);
    tcase_add_test(tc, test_one_event_object_is_accepted_like_a_batch_of_one);
    tcase_add_test(tc, test_empty_batch_is_ignored);
    tcase_add_test(tc, test_objects_revos_does_not_read_are_ignored);
    tcase_add_test(tc, test_a_retry_keeps_the_event_id_and_records_the_attempt);
    suite_add_tcase(s, tc);
    tc = tcase_create("objects");
    tcase_add_test(tc, test_closedwon_maps_to_a_closed_won_pipeline_stage);
    tcase_add_test(tc, test_unmapped_custom_pipeline_stage_keeps_its_id);
    tcase_add_test(tc, test_custom_pipeline_stage_maps_through_the_mapping);
    tcase_add_test(tc, test_deal_amount_close_date_and_renewal_type);
    tcase_add_test(tc, test_deal_amount_that_is_not_a_number_is_rejected);
    tcase_add_test(tc, test_company_creation_name_domain_and_salesforce_link);
    tcase_add_test(tc, test_salesforce_property_comes_from_the_mapping);
    tcase_add_test(tc, test_company_deletion_is_a_delete);
    tcase_add_test(tc, test_association_change_names_both_objects);
    tcase_add_test(tc, test_association_from_another_object_is_rejected);
    tcase_add_test(tc, test_contact_email_sets_email_and_domain);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_bad_element_rejects_the_whole_batch_and_names_it);
    tcase_add_test(tc, test_missing_type_is_rejected);
    tcase_add_test(tc, test_malformed_type_is_rejected);
    tcase_add_test(tc, test_negative_attempt_number_is_rejected);
    tcase_add_test(tc, test_batch_above_the_limit_is_rejected);
    tcase_add_test(tc, test_non_object_elements_and_top_level_scalars_are_rejected);
    tcase_add_test(tc, test_truncated_batch_is_a_decode_error);
    tcase_add_test(tc, test_bad_deal_stage_mapping_is_a_configuration_error);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
