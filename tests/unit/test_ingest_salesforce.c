/* test_ingest_salesforce.c -- Salesforce Change Data Capture -> SourceEvents. */
#include "test_ingest_support.h"

#define SF "salesforce"
#define ACCOUNT_ID "001Hs00002XyZ7QIAV"
#define OPPORTUNITY_ID "006Hs00001RnW2kIAF"
#define CONTACT_ID "003Hs00003AbC9dIAF"
#define AE_ID "005Hs000004QwErIAK"

/* ==== Entities, default mapping ==== */

START_TEST(test_account_create_becomes_crm_account)
{
    parsed p = parse_fixture(NULL, SF, "account_create.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a3c1-7b1e-5f09-8a7d-3c5e2b1f4d10:1:" ACCOUNT_ID, SF, "crm.account",
                 "create", INT64_C(1718800000000));
    expect_ids(e, "salesforce_account", ACCOUNT_ID, "domain", "lakeviewusd.org", NULL);
    expect_attrs(e, "name", "Lakeview Unified School District", "ae", AE_ID, "csm",
                 "005Hs000004CsMaIAC", "csm_lead", "005Hs000004LeAdIAC", "segment",
                 "Customer - Direct", NULL);
    parsed_free(&p);
}
END_TEST

/* The product line (mapping salesforce.account.product_line_field, default
 * Product_Line__c) picks a derived signal's per-product-line overrides. */
START_TEST(test_account_product_line_is_read_from_its_mapped_field)
{
    json_t *doc = fixture_json(SF, "account_create.json");
    json_object_set_new(doc, "Product_Line__c", json_string("Credentialing"));
    parsed p = parse_json(NULL, SF, doc);
    expect_ok(&p, 1);
    expect_attrs(event_at(&p, 0), "name", "Lakeview Unified School District", "ae", AE_ID, "csm",
                 "005Hs000004CsMaIAC", "csm_lead", "005Hs000004LeAdIAC", "segment",
                 "Customer - Direct", "product_line", "Credentialing", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_account_update_carries_only_changed_fields)
{
    parsed p = parse_fixture(NULL, SF, "account_update_csm.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a3d4-18c0-9b2e-44f1-07e6c9a1b3d5:1:" ACCOUNT_ID, SF, "crm.account",
                 "update", INT64_C(1719405000000));
    expect_ids(e, "salesforce_account", ACCOUNT_ID, NULL);
    expect_attrs(e, "csm", "005Hs000004NeWcIAC", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_merged_change_event_yields_one_event_per_record)
{
    parsed p = parse_fixture(NULL, SF, "account_merged_update.json");
    expect_ok(&p, 2);
    const char *records[2] = {ACCOUNT_ID, "001Hs00002XzA1RIAV"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *e = event_at(&p, i);
        char id[128];
        snprintf(id, sizeof id, "sf:0002a3f9-5d21-77aa-c0b8-e3f41a9c2d07:3:%s", records[i]);
        expect_event(e, id, SF, "crm.account", "update", INT64_C(1719500000000));
        expect_ids(e, "salesforce_account", records[i], NULL);
        expect_attrs(e, "segment", "Customer - Channel", NULL);
    }
    parsed_free(&p);
}
END_TEST

START_TEST(test_opportunity_create_reads_amount_close_date_and_renewal)
{
    parsed p = parse_fixture(NULL, SF, "opportunity_renewal_create.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a3c9-e1f0-3a44-9d2c-6b7e8f0a1c23:1:" OPPORTUNITY_ID, SF,
                 "crm.opportunity", "create", INT64_C(1718900000000));
    expect_ids(e, "salesforce_opportunity", OPPORTUNITY_ID, "salesforce_account", ACCOUNT_ID, NULL);
    expect_attrs(e, "amount", "180000", "close_date", "2024-10-01", "stage", "Negotiation/Review",
                 "is_closed", "false", "is_won", "false", "type", "Renewal", "name",
                 "Lakeview USD - FY25 Renewal", "owner", AE_ID, "renewal", "true", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_cometd_envelope_is_accepted)
{
    parsed p = parse_fixture(NULL, SF, "opportunity_update_cometd.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0004b71e-2c9a-4f8d-a1e3-90c7d55b2e18:2:006Hs00001SpX9aIAF", SF,
                 "crm.opportunity", "update", INT64_C(1727373851000));
    expect_ids(e, "salesforce_opportunity", "006Hs00001SpX9aIAF", NULL);
    expect_attrs(e, "amount", "24999.5", "close_date", "2024-09-26", "stage", "Closed Won",
                 "is_closed", "true", "is_won", "true", "type", "Existing Business", "renewal",
                 "true", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_commit_timestamp_may_be_an_iso_string)
{
    json_t *doc = fixture_json(SF, "opportunity_update_cometd.json");
    json_object_set_new(jpath(doc, "data.payload.ChangeEventHeader"), "commitTimestamp",
                        json_string("2024-09-26T18:04:11.000Z"));
    parsed p = parse_json(NULL, SF, doc);
    expect_ok(&p, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(event_at(&p, 0), "occurred_at")),
                     INT64_C(1727373851000));
    parsed_free(&p);
}
END_TEST

START_TEST(test_gap_event_action_is_lower_cased_change_type)
{
    parsed p = parse_fixture(NULL, SF, "opportunity_gap_update.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a4b0-7e13-11c2-5f6d-2a8b9c0d1e2f:1:" OPPORTUNITY_ID, SF,
                 "crm.opportunity", "gap_update", INT64_C(1720100000000));
    expect_ids(e, "salesforce_opportunity", OPPORTUNITY_ID, NULL);
    expect_attrs(e, NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_contact_role_create_is_a_champion)
{
    parsed p = parse_fixture(NULL, SF, "contact_role_create.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a3cb-44d1-6e70-b2a9-1f3c5d7e9a0b:1:00KHs000006MpLqMAK", SF,
                 "crm.contact_role", "create", INT64_C(1718900420000));
    expect_ids(e, "salesforce_opportunity", OPPORTUNITY_ID, "salesforce_contact", CONTACT_ID,
               "salesforce_contact_role", "00KHs000006MpLqMAK", NULL);
    expect_attrs(e, "contact_role_id", "00KHs000006MpLqMAK", "role", "Champion", "is_primary",
                 "true", "role_class", "champion", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_contact_role_update_with_unlisted_role_is_other)
{
    parsed p = parse_fixture(NULL, SF, "contact_role_update.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a4c2-9b3e-2d10-f8a7-6c5b4a392817:1:00KHs000006MpLqMAK", SF,
                 "crm.contact_role", "update", INT64_C(1720600000000));
    /* an update names only the role record: its id is what resolves it */
    expect_ids(e, "salesforce_contact_role", "00KHs000006MpLqMAK", NULL);
    expect_attrs(e, "contact_role_id", "00KHs000006MpLqMAK", "role", "Technical Buyer",
                 "is_primary", "false", "role_class", "other", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_contact_role_economic_buyer_and_mapped_account_field)
{
    json_t *doc = fixture_json(SF, "contact_role_create.json");
    json_object_set_new(doc, "Role", json_string("Economic Decision Maker"));
    json_object_set_new(doc, "Account__c", json_string(ACCOUNT_ID));
    json_t *mapping = json_text("{\"salesforce\": {\"contact_roles\": "
                                "{\"account_field\": \"Account__c\"}}}");
    parsed p = parse_json(mapping, SF, doc);
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_ids(e, "salesforce_opportunity", OPPORTUNITY_ID, "salesforce_contact", CONTACT_ID,
               "salesforce_account", ACCOUNT_ID, "salesforce_contact_role", "00KHs000006MpLqMAK", NULL);
    expect_attrs(e, "contact_role_id", "00KHs000006MpLqMAK", "role", "Economic Decision Maker",
                 "is_primary", "true", "role_class", "economic_buyer", NULL);
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_contact_create_reads_compound_name_and_email)
{
    parsed p = parse_fixture(NULL, SF, "contact_create.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a3ca-0f1e-2d3c-4b5a-69788796a5b4:1:" CONTACT_ID, SF, "crm.contact",
                 "create", INT64_C(1718900300000));
    expect_ids(e, "salesforce_contact", CONTACT_ID, "salesforce_account", ACCOUNT_ID, "email",
               "dana.whitfield@lakeviewusd.org", "domain", "lakeviewusd.org", NULL);
    expect_attrs(e, "name", "Dana Whitfield", "title", "Director of Instructional Technology",
                 NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_contact_name_from_separate_first_and_last_name_fields)
{
    json_t *doc = fixture_json(SF, "contact_create.json");
    json_object_del(doc, "Name");
    json_object_set_new(doc, "LastName", json_string("Whitfield-Ames"));
    parsed p = parse_json(NULL, SF, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "name"),
                     "Whitfield-Ames");
    parsed_free(&p);
}
END_TEST

START_TEST(test_contact_title_change_sets_only_title)
{
    parsed p = parse_fixture(NULL, SF, "contact_update_title.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "sf:0002a4c1-5e6f-7a8b-9c0d-1e2f3a4b5c6d:1:" CONTACT_ID, SF, "crm.contact",
                 "update", INT64_C(1720599000000));
    expect_ids(e, "salesforce_contact", CONTACT_ID, NULL);
    expect_attrs(e, "title", "Assistant Superintendent, Operations", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_unmapped_entity_is_ignored)
{
    parsed p = parse_fixture(NULL, SF, "lead_create.json");
    expect_ok(&p, 0);
    ck_assert_int_eq(p.ignored, 1);
    parsed_free(&p);
}
END_TEST

START_TEST(test_event_id_without_transaction_key_uses_commit_number_then_time)
{
    json_t *doc = fixture_json(SF, "account_create.json");
    json_object_del(jpath(doc, "ChangeEventHeader"), "transactionKey");
    parsed p = parse_json(NULL, SF, json_incref(doc));
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(event_at(&p, 0), "event_id"), "sf:Account:" ACCOUNT_ID
                                                           ":11987654321012");
    parsed_free(&p);

    json_object_del(jpath(doc, "ChangeEventHeader"), "commitNumber");
    p = parse_json(NULL, SF, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(event_at(&p, 0), "event_id"), "sf:Account:" ACCOUNT_ID
                                                           ":1718800000000");
    parsed_free(&p);
}
END_TEST

/* ==== Mapping overrides ==== */

START_TEST(test_entities_override_ignores_unlisted_entities)
{
    json_t *mapping = json_text("{\"salesforce\": {\"entities\": [\"Opportunity\"]}}");
    parsed p = parse_fixture(mapping, SF, "account_create.json");
    expect_ok(&p, 0);
    parsed_free(&p);
    p = parse_fixture(mapping, SF, "opportunity_renewal_create.json");
    expect_ok(&p, 1);
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_custom_csm_field_mapping_changes_csm)
{
    json_t *mapping = json_text("{\"salesforce\": {\"account\": "
                                "{\"csm_field\": \"Customer_Success_Manager__c\"}}}");
    parsed p = parse_fixture(mapping, SF, "account_create.json");
    expect_ok(&p, 1);
    expect_attrs(event_at(&p, 0), "name", "Lakeview Unified School District", "ae", AE_ID, "csm",
                 "005Hs000004AltCIAC", "csm_lead", "005Hs000004LeAdIAC", "segment",
                 "Customer - Direct", NULL);
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_custom_arr_field_mapping_adds_arr)
{
    json_t *mapping = json_text("{\"salesforce\": {\"account\": {\"arr_field\": \"ARR__c\"}}}");
    parsed p = parse_fixture(mapping, SF, "account_create.json");
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "arr"), "180000");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_null_field_mapping_turns_attribute_off)
{
    json_t *mapping = json_text("{\"salesforce\": {\"account\": {\"segment_field\": null, "
                                "\"csm_lead_field\": null}}}");
    parsed p = parse_fixture(mapping, SF, "account_create.json");
    expect_ok(&p, 1);
    expect_attrs(event_at(&p, 0), "name", "Lakeview Unified School District", "ae", AE_ID, "csm",
                 "005Hs000004CsMaIAC", NULL);
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_custom_renewal_values_change_renewal_flag)
{
    json_t *mapping =
        json_text("{\"salesforce\": {\"opportunity\": {\"renewal_values\": [\"Renewal Upsell\"]}}}");
    parsed p = parse_fixture(mapping, SF, "opportunity_renewal_create.json");
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "renewal"), "false");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_custom_renewal_checkbox_field)
{
    json_t *mapping = json_text("{\"salesforce\": {\"opportunity\": {\"renewal_field\": "
                                "\"Renewal__c\", \"renewal_values\": [\"true\"]}}}");
    json_t *doc = fixture_json(SF, "opportunity_renewal_create.json");
    json_object_set_new(doc, "Type", json_string("New Business"));
    parsed p = parse_json(mapping, SF, doc);
    expect_ok(&p, 1);
    const json_t *attrs = json_object_get(event_at(&p, 0), "attributes");
    ck_assert_str_eq(str_of(attrs, "renewal"), "true");
    ck_assert_str_eq(str_of(attrs, "type"), "New Business");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_custom_champion_roles_change_role_class)
{
    json_t *mapping =
        json_text("{\"salesforce\": {\"contact_roles\": {\"champion\": [\"Technical Buyer\"]}}}");
    parsed p = parse_fixture(mapping, SF, "contact_role_update.json");
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "role_class"),
                     "champion");
    parsed_free(&p);
    p = parse_fixture(mapping, SF, "contact_role_create.json"); /* "Champion" no longer listed */
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "role_class"),
                     "other");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_custom_amount_and_close_date_fields)
{
    json_t *mapping = json_text("{\"salesforce\": {\"opportunity\": {\"amount_field\": "
                                "\"ExpectedRevenue\", \"close_date_field\": \"CreatedDate\"}}}");
    parsed p = parse_fixture(mapping, SF, "opportunity_renewal_create.json");
    expect_ok(&p, 1);
    const json_t *attrs = json_object_get(event_at(&p, 0), "attributes");
    ck_assert_str_eq(str_of(attrs, "amount"), "135000");
    ck_assert_str_eq(str_of(attrs, "close_date"), "2024-06-20");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

/* ==== Bad input ==== */

/* Parses the fixture after edit(doc) and expects a validation error. */
static void expect_invalid(const char *fixture, void (*edit)(json_t *doc), const char *msg)
{
    json_t *doc = fixture_json(SF, fixture);
    edit(doc);
    parsed p = parse_json(NULL, SF, doc);
    expect_reject(&p, "validation", msg);
    parsed_free(&p);
}

static void drop_header(json_t *doc)
{
    json_object_del(doc, "ChangeEventHeader");
}
static void drop_entity(json_t *doc)
{
    json_object_del(jpath(doc, "ChangeEventHeader"), "entityName");
}
static void drop_record_ids(json_t *doc)
{
    json_object_del(jpath(doc, "ChangeEventHeader"), "recordIds");
}
static void empty_record_ids(json_t *doc)
{
    json_array_clear(jpath(doc, "ChangeEventHeader.recordIds"));
}
static void overflow_without_ids(json_t *doc)
{
    json_object_set_new(jpath(doc, "ChangeEventHeader"), "changeType",
                        json_string("GAP_OVERFLOW"));
    empty_record_ids(doc);
}
static void too_many_record_ids(json_t *doc)
{
    json_t *ids = jpath(doc, "ChangeEventHeader.recordIds");
    for (int i = 0; i < 200; i++)
        json_array_append_new(ids, json_string(ACCOUNT_ID));
}
static void record_id_number(json_t *doc)
{
    json_array_set_new(jpath(doc, "ChangeEventHeader.recordIds"), 0, json_integer(42));
}
static void drop_commit_timestamp(json_t *doc)
{
    json_object_del(jpath(doc, "ChangeEventHeader"), "commitTimestamp");
}
static void commit_timestamp_bool(json_t *doc)
{
    json_object_set_new(jpath(doc, "ChangeEventHeader"), "commitTimestamp", json_true());
}
static void commit_timestamp_text(json_t *doc)
{
    json_object_set_new(jpath(doc, "ChangeEventHeader"), "commitTimestamp",
                        json_string("yesterday"));
}
static void header_not_object(json_t *doc)
{
    json_object_set_new(doc, "ChangeEventHeader", json_string("Account"));
}
static void change_type_number(json_t *doc)
{
    json_object_set_new(jpath(doc, "ChangeEventHeader"), "changeType", json_integer(1));
}
static void sequence_text(json_t *doc)
{
    json_object_set_new(jpath(doc, "ChangeEventHeader"), "sequenceNumber", json_string("1"));
}
static void name_object(json_t *doc)
{
    json_object_set_new(doc, "Name", json_pack("{s:s}", "en", "Lakeview"));
}
static void website_number(json_t *doc)
{
    json_object_set_new(doc, "Website", json_integer(7));
}
static void close_date_text(json_t *doc)
{
    json_object_set_new(doc, "CloseDate", json_string("next quarter"));
}
static void account_id_bool(json_t *doc)
{
    json_object_set_new(doc, "AccountId", json_false());
}
static void cometd_drop_header(json_t *doc)
{
    json_object_del(jpath(doc, "data.payload"), "ChangeEventHeader");
}
static void cometd_payload_array(json_t *doc)
{
    json_object_set_new(jpath(doc, "data"), "payload", json_array());
}
static void first_name_number(json_t *doc)
{
    json_object_set_new(jpath(doc, "Name"), "FirstName", json_integer(3));
}

START_TEST(test_missing_change_event_header_is_validation)
{
    expect_invalid("account_create.json", drop_header, "salesforce: ChangeEventHeader: missing");
    expect_invalid("account_create.json", header_not_object,
                   "salesforce: ChangeEventHeader: expected object");
}
END_TEST

START_TEST(test_missing_entity_name_is_validation)
{
    expect_invalid("account_create.json", drop_entity,
                   "salesforce: ChangeEventHeader.entityName: missing");
}
END_TEST

START_TEST(test_missing_or_empty_record_ids_is_validation)
{
    expect_invalid("account_create.json", drop_record_ids,
                   "salesforce: ChangeEventHeader.recordIds: missing");
    expect_invalid("account_create.json", empty_record_ids,
                   "salesforce: ChangeEventHeader.recordIds: empty");
}
END_TEST

START_TEST(test_overflow_event_without_record_ids_asks_for_resync)
{
    expect_invalid("account_create.json", overflow_without_ids,
                   "salesforce: ChangeEventHeader.recordIds: empty (GAP_OVERFLOW: resync Account "
                   "from Salesforce)");
}
END_TEST

START_TEST(test_more_than_200_record_ids_is_validation)
{
    expect_invalid("account_create.json", too_many_record_ids,
                   "salesforce: ChangeEventHeader.recordIds: 201 ids, above 200");
}
END_TEST

START_TEST(test_record_id_of_wrong_type_is_validation)
{
    expect_invalid("account_create.json", record_id_number,
                   "salesforce: ChangeEventHeader.recordIds[0]: expected a record id (string)");
}
END_TEST

START_TEST(test_missing_commit_timestamp_is_validation)
{
    expect_invalid("account_create.json", drop_commit_timestamp,
                   "salesforce: ChangeEventHeader.commitTimestamp: missing");
}
END_TEST

START_TEST(test_commit_timestamp_of_wrong_type_is_validation)
{
    expect_invalid("account_create.json", commit_timestamp_bool,
                   "salesforce: ChangeEventHeader.commitTimestamp: expected number or string");
    expect_invalid("account_create.json", commit_timestamp_text,
                   "salesforce: ChangeEventHeader.commitTimestamp: expected an ISO-8601 timestamp "
                   "with a UTC offset");
}
END_TEST

START_TEST(test_header_fields_of_wrong_type_are_validation)
{
    expect_invalid("account_create.json", change_type_number,
                   "salesforce: ChangeEventHeader.changeType: expected string");
    expect_invalid("account_create.json", sequence_text,
                   "salesforce: ChangeEventHeader.sequenceNumber: expected integer");
}
END_TEST

START_TEST(test_cometd_errors_name_the_envelope_path)
{
    expect_invalid("opportunity_update_cometd.json", cometd_drop_header,
                   "salesforce: data.payload.ChangeEventHeader: missing");
    expect_invalid("opportunity_update_cometd.json", cometd_payload_array,
                   "salesforce: data.payload: expected object");
}
END_TEST

START_TEST(test_record_fields_of_wrong_type_are_validation)
{
    expect_invalid("account_create.json", name_object,
                   "salesforce: Name: expected string, number or boolean");
    expect_invalid("account_create.json", website_number, "salesforce: Website: expected string");
    expect_invalid("opportunity_renewal_create.json", close_date_text,
                   "salesforce: CloseDate: expected a date (epoch ms or YYYY-MM-DD)");
    expect_invalid("opportunity_renewal_create.json", account_id_bool,
                   "salesforce: AccountId: expected string or integer");
    expect_invalid("contact_create.json", first_name_number,
                   "salesforce: Name.FirstName: expected string");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_salesforce");
    TCase *tc = tcase_create("entities");
    tcase_add_test(tc, test_account_create_becomes_crm_account);
    tcase_add_test(tc, test_account_product_line_is_read_from_its_mapped_field);
    tcase_add_test(tc, test_account_update_carries_only_changed_fields);
    tcase_add_test(tc, test_merged_change_event_yields_one_event_per_record);
    tcase_add_test(tc, test_opportunity_create_reads_amount_close_date_and_renewal);
    tcase_add_test(tc, test_cometd_envelope_is_accepted);
    tcase_add_test(tc, test_commit_timestamp_may_be_an_iso_string);
    tcase_add_test(tc, test_gap_event_action_is_lower_cased_change_type);
    tcase_add_test(tc, test_contact_role_create_is_a_champion);
    tcase_add_test(tc, test_contact_role_update_with_unlisted_role_is_other);
    tcase_add_test(tc, test_contact_role_economic_buyer_and_mapped_account_field);
    tcase_add_test(tc, test_contact_create_reads_compound_name_and_email);
    tcase_add_test(tc, test_contact_name_from_separate_first_and_last_name_fields);
    tcase_add_test(tc, test_contact_title_change_sets_only_title);
    tcase_add_test(tc, test_unmapped_entity_is_ignored);
    tcase_add_test(tc, test_event_id_without_transaction_key_uses_commit_number_then_time);
    suite_add_tcase(s, tc);

    tc = tcase_create("mapping");
    tcase_add_test(tc, test_entities_override_ignores_unlisted_entities);
    tcase_add_test(tc, test_custom_csm_field_mapping_changes_csm);
    tcase_add_test(tc, test_custom_arr_field_mapping_adds_arr);
    tcase_add_test(tc, test_null_field_mapping_turns_attribute_off);
    tcase_add_test(tc, test_custom_renewal_values_change_renewal_flag);
    tcase_add_test(tc, test_custom_renewal_checkbox_field);
    tcase_add_test(tc, test_custom_champion_roles_change_role_class);
    tcase_add_test(tc, test_custom_amount_and_close_date_fields);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_missing_change_event_header_is_validation);
    tcase_add_test(tc, test_missing_entity_name_is_validation);
    tcase_add_test(tc, test_missing_or_empty_record_ids_is_validation);
    tcase_add_test(tc, test_overflow_event_without_record_ids_asks_for_resync);
    tcase_add_test(tc, test_more_than_200_record_ids_is_validation);
    tcase_add_test(tc, test_record_id_of_wrong_type_is_validation);
    tcase_add_test(tc, test_missing_commit_timestamp_is_validation);
    tcase_add_test(tc, test_commit_timestamp_of_wrong_type_is_validation);
    tcase_add_test(tc, test_header_fields_of_wrong_type_are_validation);
    tcase_add_test(tc, test_cometd_errors_name_the_envelope_path);
    tcase_add_test(tc, test_record_fields_of_wrong_type_are_validation);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
