/* test_ingest_segment.c -- Segment track / identify / group calls -> SourceEvents. */
#include "test_ingest_support.h"

#define SEG "segment"
#define ACCOUNT_ID "001Hs00002XyZ7QIAV"
#define GROUP_ID "grp_lakeview_usd"

/* ==== Calls, default mapping ==== */

START_TEST(test_track_call_becomes_usage_track)
{
    parsed p = parse_fixture(NULL, SEG, "track.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "segment:ajs-next-1718812345678-7f1c2a9e4b3d", SEG, "usage.track", "event",
                 INT64_C(1718812345678));
    expect_ids(e, "segment_user", "u_48213", "segment_group", GROUP_ID, "salesforce_account",
               ACCOUNT_ID, NULL);
    expect_attrs(e, "event", "Assignment Published", "quantity", "12", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_anonymous_track_uses_anonymous_id_property_group_and_original_timestamp)
{
    parsed p = parse_fixture(NULL, SEG, "track_anonymous.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    /* originalTimestamp 2024-06-19T15:52:25.1234567+02:00, fraction cut to ms */
    expect_event(e, "segment:8c1e5a2b-3d4f-4e6a-9b7c-0d1e2f3a4b5c", SEG, "usage.track", "event",
                 INT64_C(1718805145123));
    expect_ids(e, "segment_anonymous", "a7d3e2f1-6c5b-4a39-8e27-1d0c9b8a7f65", "segment_group",
               GROUP_ID, NULL);
    expect_attrs(e, "event", "Report Exported", "quantity", "3.5", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_identify_reads_email_domain_and_company_group)
{
    parsed p = parse_fixture(NULL, SEG, "identify.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "segment:ajs-next-1718812200001-3c9d8e7f6a5b", SEG, "usage.identify", "event",
                 INT64_C(1718812200170));
    expect_ids(e, "segment_user", "u_48213", "email", "dana.whitfield@lakeviewusd.org", "domain",
               "lakeviewusd.org", "segment_group", GROUP_ID, NULL);
    expect_attrs(e, "name", "Dana Whitfield", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_group_reads_account_trait_and_website_domain)
{
    parsed p = parse_fixture(NULL, SEG, "group.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "segment:node-next-1718812100000-91ab2c3d", SEG, "usage.group", "event",
                 INT64_C(1718812100300));
    expect_ids(e, "segment_group", GROUP_ID, "segment_user", "u_48213", "salesforce_account",
               ACCOUNT_ID, "domain", "lakeviewusd.org", NULL);
    expect_attrs(e, "name", "Lakeview Unified School District", "plan", "district-enterprise",
                 NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_group_domain_trait_when_no_website)
{
    json_t *doc = fixture_json(SEG, "group.json");
    json_object_del(jpath(doc, "traits"), "website");
    json_object_set_new(jpath(doc, "traits"), "domain", json_string("LakeviewUSD.org"));
    parsed p = parse_json(NULL, SEG, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "ids"), "domain"), "lakeviewusd.org");
    parsed_free(&p);
}
END_TEST

START_TEST(test_batch_yields_an_event_per_mapped_call)
{
    parsed p = parse_fixture(NULL, SEG, "batch.json");
    expect_ok(&p, 2);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "segment:py-batch-0001-f3e2d1c0", SEG, "usage.track", "event",
                 INT64_C(1718866801000));
    /* segment_group from the batch's shared context */
    expect_ids(e, "segment_user", "u_48213", "segment_group", GROUP_ID, "salesforce_account",
               ACCOUNT_ID, NULL);
    expect_attrs(e, "event", "Gradebook Synced", "quantity", "640", NULL);
    e = event_at(&p, 1);
    expect_event(e, "segment:py-batch-0003-5e4d3c2b", SEG, "usage.identify", "event",
                 INT64_C(1718866803000));
    expect_ids(e, "segment_user", "u_50991", "email", "lortega@lakeviewusd.org", "domain",
               "lakeviewusd.org", "segment_group", GROUP_ID, NULL);
    expect_attrs(e, "name", "Luis Ortega", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_page_call_is_ignored)
{
    parsed p = parse_fixture(NULL, SEG, "page.json");
    expect_ok(&p, 0);
    ck_assert_int_eq(p.ignored, 1);
    parsed_free(&p);
}
END_TEST

START_TEST(test_timestamp_falls_back_to_received_at)
{
    json_t *doc = fixture_json(SEG, "track.json");
    json_object_del(doc, "timestamp");
    json_object_del(doc, "originalTimestamp");
    parsed p = parse_json(NULL, SEG, doc);
    expect_ok(&p, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(event_at(&p, 0), "occurred_at")),
                     INT64_C(1718812345912));
    parsed_free(&p);
}
END_TEST

START_TEST(test_non_numeric_quantity_is_left_out)
{
    json_t *doc = fixture_json(SEG, "track.json");
    json_object_set_new(jpath(doc, "properties"), "quantity", json_string("a dozen"));
    parsed p = parse_json(NULL, SEG, doc);
    expect_ok(&p, 1);
    expect_attrs(event_at(&p, 0), "event", "Assignment Published", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_custom_property_mapping_changes_ids_and_quantity)
{
    json_t *mapping = json_text("{\"segment\": {\"account_property\": \"sfdc_id\", "
                                "\"quantity_property\": \"seats\", \"group_property\": \"school\"}}");
    json_t *doc = fixture_json(SEG, "track_anonymous.json");
    json_t *props = jpath(doc, "properties");
    json_object_set_new(props, "sfdc_id", json_string("001Hs00002XzA1RIAV"));
    json_object_set_new(props, "seats", json_integer(40));
    json_object_set_new(props, "school", json_string("lincoln-elementary"));
    parsed p = parse_json(mapping, SEG, doc);
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_ids(e, "segment_anonymous", "a7d3e2f1-6c5b-4a39-8e27-1d0c9b8a7f65", "segment_group",
               "lincoln-elementary", "salesforce_account", "001Hs00002XzA1RIAV", NULL);
    expect_attrs(e, "event", "Report Exported", "quantity", "40", NULL);
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_custom_group_account_trait)
{
    json_t *mapping = json_text("{\"segment\": {\"group_account_trait\": \"crm_id\"}}");
    json_t *doc = fixture_json(SEG, "group.json");
    json_object_set_new(jpath(doc, "traits"), "crm_id", json_string("001Hs00002XzA1RIAV"));
    parsed p = parse_json(mapping, SEG, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "ids"), "salesforce_account"),
                     "001Hs00002XzA1RIAV");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

/* ==== Bad input ==== */

static void expect_invalid(const char *fixture, void (*edit)(json_t *doc), const char *msg)
{
    json_t *doc = fixture_json(SEG, fixture);
    edit(doc);
    parsed p = parse_json(NULL, SEG, doc);
    expect_reject(&p, "validation", msg);
    parsed_free(&p);
}

static void drop_message_id(json_t *doc)
{
    json_object_del(doc, "messageId");
}
static void drop_type(json_t *doc)
{
    json_object_del(doc, "type");
}
static void unknown_type(json_t *doc)
{
    json_object_set_new(doc, "type", json_string("purchase"));
}
static void drop_times(json_t *doc)
{
    json_object_del(doc, "timestamp");
    json_object_del(doc, "originalTimestamp");
    json_object_del(doc, "receivedAt");
    json_object_del(doc, "sentAt");
}
static void bad_timestamp(json_t *doc)
{
    json_object_set_new(doc, "timestamp", json_string("2024-06-19 15:52"));
}
static void user_id_object(json_t *doc)
{
    json_object_set_new(doc, "userId", json_pack("{s:i}", "id", 1));
}
static void drop_event_name(json_t *doc)
{
    json_object_del(doc, "event");
}
static void properties_array(json_t *doc)
{
    json_object_set_new(doc, "properties", json_array());
}
static void context_group_bool(json_t *doc)
{
    json_object_set_new(jpath(doc, "context"), "groupId", json_true());
}
static void drop_group_id(json_t *doc)
{
    json_object_del(doc, "groupId");
}
static void batch_element_without_message_id(json_t *doc)
{
    json_object_del(json_array_get(jpath(doc, "batch"), 2), "messageId");
}
static void batch_element_not_object(json_t *doc)
{
    json_array_set_new(jpath(doc, "batch"), 1, json_integer(5));
}
static void batch_not_array(json_t *doc)
{
    json_object_set_new(doc, "batch", json_object());
}

START_TEST(test_missing_message_id_is_validation)
{
    expect_invalid("track.json", drop_message_id, "segment: messageId: missing");
}
END_TEST

START_TEST(test_missing_or_unknown_type_is_validation)
{
    expect_invalid("track.json", drop_type, "segment: type: missing");
    expect_invalid("track.json", unknown_type,
                   "segment: type: expected a Segment call type (track, identify, group, page, "
                   "screen, alias)");
}
END_TEST

START_TEST(test_call_without_any_timestamp_is_validation)
{
    expect_invalid("track.json", drop_times,
                   "segment: timestamp: missing (and no originalTimestamp, receivedAt or sentAt)");
    expect_invalid("track.json", bad_timestamp,
                   "segment: timestamp: expected an ISO-8601 timestamp with a UTC offset");
}
END_TEST

START_TEST(test_fields_of_wrong_type_are_validation)
{
    expect_invalid("track.json", user_id_object, "segment: userId: expected string or integer");
    expect_invalid("track.json", properties_array, "segment: properties: expected object");
    expect_invalid("track.json", context_group_bool,
                   "segment: context.groupId: expected string or integer");
}
END_TEST

START_TEST(test_track_without_event_name_is_validation)
{
    expect_invalid("track.json", drop_event_name, "segment: event: missing");
}
END_TEST

START_TEST(test_group_without_group_id_is_validation)
{
    expect_invalid("group.json", drop_group_id, "segment: groupId: missing");
}
END_TEST

START_TEST(test_invalid_batch_element_rejects_the_record_and_names_its_index)
{
    expect_invalid("batch.json", batch_element_without_message_id,
                   "segment: batch[2].messageId: missing");
    expect_invalid("batch.json", batch_element_not_object, "segment: batch[1]: expected object");
    expect_invalid("batch.json", batch_not_array, "segment: batch: expected array");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_segment");
    TCase *tc = tcase_create("calls");
    tcase_add_test(tc, test_track_call_becomes_usage_track);
    tcase_add_test(tc, test_anonymous_track_uses_anonymous_id_property_group_and_original_timestamp);
    tcase_add_test(tc, test_identify_reads_email_domain_and_company_group);
    tcase_add_test(tc, test_group_reads_account_trait_and_website_domain);
    tcase_add_test(tc, test_group_domain_trait_when_no_website);
    tcase_add_test(tc, test_batch_yields_an_event_per_mapped_call);
    tcase_add_test(tc, test_page_call_is_ignored);
    tcase_add_test(tc, test_timestamp_falls_back_to_received_at);
    tcase_add_test(tc, test_non_numeric_quantity_is_left_out);
    suite_add_tcase(s, tc);

    tc = tcase_create("mapping");
    tcase_add_test(tc, test_custom_property_mapping_changes_ids_and_quantity);
    tcase_add_test(tc, test_custom_group_account_trait);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_missing_message_id_is_validation);
    tcase_add_test(tc, test_missing_or_unknown_type_is_validation);
    tcase_add_test(tc, test_call_without_any_timestamp_is_validation);
    tcase_add_test(tc, test_fields_of_wrong_type_are_validation);
    tcase_add_test(tc, test_track_without_event_name_is_validation);
    tcase_add_test(tc, test_group_without_group_id_is_validation);
    tcase_add_test(tc, test_invalid_batch_element_rejects_the_record_and_names_its_index);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
