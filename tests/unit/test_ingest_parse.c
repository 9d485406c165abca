/* test_ingest_parse.c -- revos_ingest_parse as a whole: dispatch by source,
 * the bad-input classes (decode, validation, oversized, unknown_source), the
 * SourceEvent envelope, and the shipped config/mapping.json. Per-source
 * contents are specified in test_ingest_<source>.c. */
#include "test_ingest_support.h"

#include "ingest/field.h"
#include "ingest/mapping.h"

/* Every fixture, by source. */
static const char *const fixtures[][2] = {
    {"salesforce", "account_create.json"},
    {"salesforce", "account_update_csm.json"},
    {"salesforce", "account_merged_update.json"},
    {"salesforce", "opportunity_renewal_create.json"},
    {"salesforce", "opportunity_update_cometd.json"},
    {"salesforce", "opportunity_gap_update.json"},
    {"salesforce", "contact_role_create.json"},
    {"salesforce", "contact_role_update.json"},
    {"salesforce", "contact_create.json"},
    {"salesforce", "contact_update_title.json"},
    {"salesforce", "lead_create.json"},
    {"segment", "track.json"},
    {"segment", "track_anonymous.json"},
    {"segment", "identify.json"},
    {"segment", "group.json"},
    {"segment", "page.json"},
    {"segment", "batch.json"},
    {"zendesk", "eventbridge_ticket_created.json"},
    {"zendesk", "eventbridge_status_changed.json"},
    {"zendesk", "eventbridge_organization_name_changed.json"},
    {"zendesk", "webhook_ticket_created.json"},
    {"zendesk", "webhook_ticket_priority_changed.json"},
    {"zendesk", "webhook_organization_created.json"},
    {"zendesk", "webhook_user_created.json"},
    {"zendesk", "integration_ticket_agent_assignment_changed.json"},
    {"nps", "delighted_response_created.json"},
    {"nps", "delighted_response_updated.json"},
    {"nps", "wootric_response_created.json"},
    {"nps", "wootric_response_updated.json"},
    {"nps", "wootric_decline_created.json"},
    {"hubspot", "contact_batch_legacy_event_type.json"},
    {"hubspot", "contact_creation.json"},
    {"hubspot", "deal_stage_closedwon_retry.json"},
    {"hubspot", "deal_stage_custom_pipeline.json"},
    {"hubspot", "deal_properties.json"},
    {"hubspot", "deal_association_company.json"},
    {"hubspot", "company_batch.json"},
    {"hubspot", "company_hubspot_only.json"},
    {"hubspot", "company_deletion.json"},
    {"debezium", "account_snapshot_schemaless.json"},
    {"debezium", "account_create_with_schema.json"},
    {"debezium", "opportunity_update_no_before.json"},
    {"debezium", "contact_update_with_before.json"},
    {"debezium", "contact_delete_key_only_before.json"},
    {"debezium", "contact_role_create.json"},
    {"debezium", "accounts_truncate.json"},
    {"debezium", "unmapped_table_insert.json"},
    {"debezium", "tombstone_with_schema.json"},
    {"intercom", "conversation_user_created.json"},
    {"intercom", "conversation_admin_assigned.json"},
    {"intercom", "conversation_admin_replied.json"},
    {"intercom", "conversation_admin_closed.json"},
    {"intercom", "ticket_created.json"},
    {"intercom", "company_created.json"},
    {"intercom", "company_contact_attached.json"},
    {"conversation", "call_renewal_competitor.json"},
    {"conversation", "call_hubspot_context_no_trackers.json"},
    {"conversation", "call_test_delivery.json"},
    {"handoff", "ae_to_csm_completed.json"},
    {"handoff", "csm_to_support_missing_fields.json"},
    {"handoff", "sdr_to_ae_initiated_hubspot.json"},
};
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

/* ==== Dispatch ==== */

START_TEST(test_unknown_source_is_rejected)
{
    parsed p = parse_bytes(NULL, "stripe", "{}", 2);
    expect_reject(&p, "unknown_source", "unknown source 'stripe'");
    parsed_free(&p);
}
END_TEST

START_TEST(test_known_sources_without_a_parser_are_rejected)
{
    static const char *const pending[] = {"market"};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "no parser for source '%s' in this version", pending[i]);
        parsed p = parse_bytes(NULL, pending[i], "[{\"eventId\": 1}]", 16);
        expect_reject(&p, "unknown_source", msg);
        parsed_free(&p);
    }
}
END_TEST

START_TEST(test_every_fixture_parses_with_the_shipped_mapping)
{
    json_t *mapping = mapping_load();
    for (size_t i = 0; i < N_FIXTURES; i++) {
        parsed p = parse_fixture(mapping, fixtures[i][0], fixtures[i][1]);
        ck_assert_msg(p.st == REVOS_OK, "%s/%s: [%s] %s", fixtures[i][0], fixtures[i][1],
                      p.err.cls, p.err.msg);
        ck_assert_int_eq(p.ignored, json_array_size(p.events) == 0);
        parsed_free(&p);
    }
    json_decref(mapping);
}
END_TEST

START_TEST(test_source_events_carry_the_raw_records_provenance)
{
    revos_raw_meta meta = {"acme.raw.segment", "segment", 11, INT64_C(9000000000), NULL, 0};
    size_t len;
    char *text = fixture_read("segment", "batch.json", &len);
    json_t *events = json_array();
    int ignored = -1;
    revos_err err;
    ck_assert_int_eq(revos_ingest_parse(NULL, &meta, text, len, events, &ignored, &err), REVOS_OK);
    ck_assert_uint_eq(json_array_size(events), 2);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        ck_assert_str_eq(str_of(e, "source"), "segment");
        ck_assert_str_eq(str_of(e, "raw_topic"), "acme.raw.segment");
        ck_assert_int_eq(json_integer_value(json_object_get(e, "raw_partition")), 11);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "raw_offset")), INT64_C(9000000000));
    }
    free(text);
    json_decref(events);
}
END_TEST

START_TEST(test_events_have_exactly_the_schema_fields)
{
    static const char *const keys[] = {"event_id",   "source",        "kind",        "action",
                                       "occurred_at", "ids",          "attributes",  "raw_topic",
                                       "raw_partition", "raw_offset"};
    for (size_t f = 0; f < N_FIXTURES; f++) {
        parsed p = parse_fixture(NULL, fixtures[f][0], fixtures[f][1]);
        size_t i;
        json_t *e;
        json_array_foreach(p.events, i, e) {
            ck_assert_uint_eq(json_object_size(e), 10);
            for (size_t k = 0; k < 10; k++)
                ck_assert_msg(json_object_get(e, keys[k]) != NULL, "%s/%s: no %s", fixtures[f][0],
                              fixtures[f][1], keys[k]);
            ck_assert(json_is_integer(json_object_get(e, "occurred_at")));
            const char *maps[2] = {"ids", "attributes"};
            for (size_t m = 0; m < 2; m++) {
                const char *key;
                json_t *value;
                json_object_foreach(json_object_get(e, maps[m]), key, value)
                    ck_assert_msg(json_is_string(value), "%s.%s is not a string", maps[m], key);
            }
        }
        parsed_free(&p);
    }
}
END_TEST

START_TEST(test_success_appends_after_existing_events)
{
    revos_raw_meta meta = {"revos.raw.nps", "nps", 0, 1, NULL, 0};
    size_t len;
    char *text = fixture_read("nps", "wootric_response_created.json", &len);
    json_t *events = json_pack("[s]", "earlier");
    int ignored = -1;
    revos_err err;
    ck_assert_int_eq(revos_ingest_parse(NULL, &meta, text, len, events, &ignored, &err), REVOS_OK);
    ck_assert_uint_eq(json_array_size(events), 2);
    ck_assert_str_eq(json_string_value(json_array_get(events, 0)), "earlier");
    ck_assert_int_eq(ignored, 0);
    free(text);
    json_decref(events);
}
END_TEST

START_TEST(test_failure_leaves_events_untouched)
{
    /* the third batch element is bad: the first two must not leak out */
    json_t *doc = fixture_json("segment", "batch.json");
    json_object_del(json_array_get(jpath(doc, "batch"), 2), "messageId");
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    revos_raw_meta meta = {"revos.raw.segment", "segment", 0, 1, NULL, 0};
    json_t *events = json_pack("[s]", "earlier");
    int ignored = -1;
    revos_err err;
    ck_assert_int_eq(revos_ingest_parse(NULL, &meta, text, strlen(text), events, &ignored, &err),
                     REVOS_ERR_INPUT);
    ck_assert_uint_eq(json_array_size(events), 1);
    ck_assert_int_eq(ignored, 0);
    free(text);
    json_decref(events);
}
END_TEST

START_TEST(test_ignored_is_optional)
{
    revos_raw_meta meta = {"revos.raw.salesforce", "salesforce", 0, 1, NULL, 0};
    size_t len;
    char *text = fixture_read("salesforce", "lead_create.json", &len);
    json_t *events = json_array();
    revos_err err;
    ck_assert_int_eq(revos_ingest_parse(NULL, &meta, text, len, events, NULL, &err), REVOS_OK);
    ck_assert_uint_eq(json_array_size(events), 0);
    free(text);
    json_decref(events);
}
END_TEST

/* ==== Bad input classes ==== */

START_TEST(test_not_json_is_decode)
{
    parsed p = parse_bytes(NULL, "salesforce", "hello", 5);
    expect_reject(&p, "decode", "json: '[' or '{' expected near 'hello' at line 1 column 5");
    parsed_free(&p);
    p = parse_bytes(NULL, "zendesk", "", 0);
    expect_reject(&p, "decode", "json: '[' or '{' expected near end of file at line 1 column 0");
    parsed_free(&p);
    p = parse_bytes(NULL, "nps", "{\"event_type\": \"survey_response.created\"} trailing", 50);
    expect_reject(&p, "decode", "json: end of file expected near 'trailing' at line 1 column 50");
    parsed_free(&p);
}
END_TEST

START_TEST(test_truncated_json_is_decode_at_every_prefix_length)
{
    static const char *const real[][2] = {{"salesforce", "opportunity_update_cometd.json"},
                                          {"segment", "batch.json"},
                                          {"zendesk", "webhook_ticket_created.json"},
                                          {"nps", "wootric_response_updated.json"}};
    for (size_t f = 0; f < sizeof real / sizeof real[0]; f++) {
        size_t len;
        char *text = fixture_read(real[f][0], real[f][1], &len);
        size_t end = len;
        while (end > 0 && text[end - 1] != '}') /* past the closing brace it parses */
            end--;
        ck_assert_uint_gt(end, 100);
        for (size_t cut = 0; cut < end; cut++) {
            parsed p = parse_bytes(NULL, real[f][0], text, cut);
            ck_assert_msg(p.st == REVOS_ERR_INPUT && strcmp(p.err.cls, "decode") == 0 &&
                              strncmp(p.err.msg, "json: ", 6) == 0,
                          "%s cut at %zu: status %d [%s] %s", real[f][1], cut, p.st, p.err.cls,
                          p.err.msg);
            ck_assert_uint_eq(json_array_size(p.events), 0);
            parsed_free(&p);
        }
        parsed p = parse_bytes(NULL, real[f][0], text, end);
        ck_assert_int_eq(p.st, REVOS_OK);
        parsed_free(&p);
        free(text);
    }
}
END_TEST

START_TEST(test_duplicate_keys_are_decode)
{
    const char *text = "{\"event_name\": \"created\", \"event_name\": \"updated\"}";
    parsed p = parse_bytes(NULL, "nps", text, strlen(text));
    ck_assert_int_eq(p.st, REVOS_ERR_INPUT);
    ck_assert_str_eq(p.err.cls, "decode");
    ck_assert(strncmp(p.err.msg, "json: duplicate object key", 26) == 0);
    parsed_free(&p);
}
END_TEST

START_TEST(test_json_that_is_not_an_object_is_validation)
{
    parsed p = parse_bytes(NULL, "salesforce", "[1, 2]", 6);
    expect_reject(&p, "validation", "salesforce: expected a JSON object at the top level");
    parsed_free(&p);
}
END_TEST

START_TEST(test_oversized_is_rejected_before_parsing)
{
    size_t max = 1048576;
    char *big = malloc(max + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, ' ', max + 1);
    big[0] = '{'; /* not JSON either way: only the size decides */
    parsed p = parse_bytes(NULL, "segment", big, max + 1);
    expect_reject(&p, "oversized",
                  "segment: payload of 1048577 bytes is above max_raw_bytes 1048576");
    parsed_free(&p);
    p = parse_bytes(NULL, "segment", big, max); /* at the bound: parsed, and not JSON */
    expect_reject(&p, "decode", NULL);
    parsed_free(&p);
    free(big);
}
END_TEST

START_TEST(test_max_raw_bytes_comes_from_the_mapping)
{
    json_t *mapping = json_text("{\"max_raw_bytes\": 64}");
    size_t len;
    char *text = fixture_read("segment", "track.json", &len);
    parsed p = parse_bytes(mapping, "segment", text, len);
    char msg[128];
    snprintf(msg, sizeof msg, "segment: payload of %zu bytes is above max_raw_bytes 64", len);
    expect_reject(&p, "oversized", msg);
    parsed_free(&p);
    free(text);
    json_decref(mapping);
}
END_TEST

START_TEST(test_attribute_strings_are_capped_on_a_utf8_boundary)
{
    /* "a" then 2500 x "é" (2 bytes each): byte 4096 is the second half of a
     * character, so the cut falls at 4095. */
    char name[1 + 2 * 2500 + 1];
    name[0] = 'a';
    for (size_t i = 0; i < 2500; i++) {
        name[1 + 2 * i] = (char)0xC3;
        name[2 + 2 * i] = (char)0xA9;
    }
    name[sizeof name - 1] = '\0';
    json_t *doc = fixture_json("salesforce", "account_create.json");
    json_object_set_new(doc, "Name", json_string(name));
    parsed p = parse_json(NULL, "salesforce", doc);
    expect_ok(&p, 1);
    const json_t *got = json_object_get(json_object_get(event_at(&p, 0), "attributes"), "name");
    ck_assert_uint_eq(json_string_length(got), REVOS_INGEST_ATTR_MAX - 1);
    ck_assert(memcmp(json_string_value(got), name, REVOS_INGEST_ATTR_MAX - 1) == 0);
    parsed_free(&p);

    /* ASCII: exactly the cap */
    memset(name, 'x', sizeof name - 1);
    doc = fixture_json("salesforce", "account_create.json");
    json_object_set_new(doc, "Name", json_string(name));
    p = parse_json(NULL, "salesforce", doc);
    got = json_object_get(json_object_get(event_at(&p, 0), "attributes"), "name");
    ck_assert_uint_eq(json_string_length(got), REVOS_INGEST_ATTR_MAX);
    parsed_free(&p);
}
END_TEST

START_TEST(test_overlong_id_is_validation)
{
    char id[REVOS_INGEST_ID_MAX + 2];
    memset(id, '7', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    json_t *doc = fixture_json("segment", "track.json");
    json_object_set_new(doc, "userId", json_string(id));
    parsed p = parse_json(NULL, "segment", doc);
    expect_reject(&p, "validation", "segment: userId: expected an id of at most 1024 bytes");
    parsed_free(&p);
}
END_TEST

/* ==== The mapping document ==== */

START_TEST(test_shipped_mapping_passes_the_check)
{
    json_t *mapping = mapping_load();
    revos_err err;
    ck_assert_msg(revos_ingest_mapping_check(mapping, &err) == REVOS_OK, "%s", err.msg);
    json_decref(mapping);
}
END_TEST

START_TEST(test_shipped_mapping_equals_the_builtin_defaults)
{
    json_t *mapping = mapping_load();
    for (size_t i = 0; i < N_FIXTURES; i++) {
        if (strcmp(fixtures[i][0], "debezium") == 0 || strcmp(fixtures[i][0], "conversation") == 0)
            continue; /* the site's own tables and competitors: no built-in default */
        parsed with_file = parse_fixture(mapping, fixtures[i][0], fixtures[i][1]);
        parsed with_none = parse_fixture(NULL, fixtures[i][0], fixtures[i][1]);
        ck_assert_int_eq(with_file.st, REVOS_OK);
        ck_assert_msg(json_equal(with_file.events, with_none.events), "%s/%s differs",
                      fixtures[i][0], fixtures[i][1]);
        parsed_free(&with_file);
        parsed_free(&with_none);
    }
    json_decref(mapping);
}
END_TEST

START_TEST(test_mapping_check_rejects_misspelt_and_mistyped_keys)
{
    static const char *const bad[][2] = {
        {"{\"salesforce\": {\"account\": {\"csm_feild\": \"X__c\"}}}",
         "mapping: salesforce.account.csm_feild: unknown key"},
        {"{\"salesforce\": {\"account\": {\"csm_field\": 5}}}",
         "mapping: salesforce.account.csm_field: expected a field name (non-empty string) or null"},
        {"{\"salesforce\": {\"opportunity\": {\"renewal_values\": \"Renewal\"}}}",
         "mapping: salesforce.opportunity.renewal_values: expected array of strings"},
        {"{\"salesforce\": {\"entities\": [\"Account\", 7]}}",
         "mapping: salesforce.entities: expected array of strings"},
        {"{\"segment\": [] }", "mapping: segment: expected object"},
        {"{\"max_raw_bytes\": 0}", "mapping: max_raw_bytes: expected a positive integer"},
        {"{\"nps\": {\"account_property\": \"\"}}",
         "mapping: nps.account_property: expected a field name (non-empty string) or null"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *mapping = json_text(bad[i][0]);
        revos_err err;
        ck_assert_int_eq(revos_ingest_mapping_check(mapping, &err), REVOS_ERR_FATAL);
        ck_assert_str_eq(err.cls, "mapping");
        ck_assert_str_eq(err.msg, bad[i][1]);
        json_decref(mapping);
    }
    /* documentation keys and other workers' sections are left alone */
    json_t *mapping = json_text("{\"_doc\": 1, \"normalize\": {\"x\": 1}, \"salesforce\": "
                                "{\"_example\": {\"account\": 5}, \"account\": {\"_doc\": []}}}");
    revos_err err;
    ck_assert_int_eq(revos_ingest_mapping_check(mapping, &err), REVOS_OK);
    json_decref(mapping);
}
END_TEST

START_TEST(test_mistyped_mapping_stops_the_worker_instead_of_rejecting_records)
{
    json_t *mapping = json_text("{\"salesforce\": {\"account\": {\"csm_field\": 5}}}");
    parsed p = parse_fixture(mapping, "salesforce", "account_create.json");
    ck_assert_int_eq(p.st, REVOS_ERR_FATAL);
    ck_assert_str_eq(p.err.cls, "mapping");
    ck_assert_str_eq(p.err.msg, "mapping: salesforce.account.csm_field: expected a field name "
                                "(non-empty string) or null");
    ck_assert_uint_eq(json_array_size(p.events), 0);
    parsed_free(&p);
    json_decref(mapping);

    mapping = json_text("{\"max_raw_bytes\": \"1MB\"}");
    p = parse_fixture(mapping, "nps", "wootric_response_created.json");
    ck_assert_int_eq(p.st, REVOS_ERR_FATAL);
    ck_assert_str_eq(p.err.msg, "mapping: max_raw_bytes: expected a positive integer");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_parse");
    TCase *tc = tcase_create("dispatch");
    tcase_add_test(tc, test_unknown_source_is_rejected);
    tcase_add_test(tc, test_known_sources_without_a_parser_are_rejected);
    tcase_add_test(tc, test_every_fixture_parses_with_the_shipped_mapping);
    tcase_add_test(tc, test_source_events_carry_the_raw_records_provenance);
    tcase_add_test(tc, test_events_have_exactly_the_schema_fields);
    tcase_add_test(tc, test_success_appends_after_existing_events);
    tcase_add_test(tc, test_failure_leaves_events_untouched);
    tcase_add_test(tc, test_ignored_is_optional);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_not_json_is_decode);
    tcase_add_test(tc, test_truncated_json_is_decode_at_every_prefix_length);
    tcase_add_test(tc, test_duplicate_keys_are_decode);
    tcase_add_test(tc, test_json_that_is_not_an_object_is_validation);
    tcase_add_test(tc, test_oversized_is_rejected_before_parsing);
    tcase_add_test(tc, test_max_raw_bytes_comes_from_the_mapping);
    tcase_add_test(tc, test_attribute_strings_are_capped_on_a_utf8_boundary);
    tcase_add_test(tc, test_overlong_id_is_validation);
    suite_add_tcase(s, tc);

    tc = tcase_create("mapping");
    tcase_add_test(tc, test_shipped_mapping_passes_the_check);
    tcase_add_test(tc, test_shipped_mapping_equals_the_builtin_defaults);
    tcase_add_test(tc, test_mapping_check_rejects_misspelt_and_mistyped_keys);
    tcase_add_test(tc, test_mistyped_mapping_stops_the_worker_instead_of_rejecting_records);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
