/* test_ingest_natural_key.c -- specification of workers/ingest/natural_key.h:
 * which id of a raw record, in each source's own format, becomes its Kafka
 * key. The real-format fixtures of tests/fixtures/raw are keyed as a source
 * system would partition them: by the account-level id the record carries,
 * else the id of its subject, else its own id, else a hash of its bytes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/natural_key.h"

static char *read_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/raw/%s", REVOS_FIXTURES_DIR, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)size, f), (size_t)size);
    data[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return data;
}

static revos_natural_key key_of(const char *source, const char *payload, size_t len)
{
    revos_natural_key k;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_ingest_natural_key(source, payload, len, &k, &err), REVOS_OK);
    ck_assert_uint_eq(strlen(k.key), k.len);
    ck_assert_ptr_nonnull(k.rule);
    return k;
}

/* Asserts the key and the rule that produced it for a fixture file. */
static void assert_fixture_key(const char *source, const char *fixture, const char *key, const char *rule)
{
    size_t len;
    char *data = read_fixture(fixture, &len);
    revos_natural_key k = key_of(source, data, len);
    ck_assert_msg(strcmp(k.key, key) == 0, "%s: key %s, expected %s", fixture, k.key, key);
    ck_assert_msg(strcmp(k.rule, rule) == 0, "%s: rule %s, expected %s", fixture, k.rule, rule);
    free(data);
}

static void assert_key(const char *source, const char *json, const char *key, const char *rule)
{
    revos_natural_key k = key_of(source, json, strlen(json));
    ck_assert_msg(strcmp(k.key, key) == 0, "%s: key %s, expected %s", json, k.key, key);
    ck_assert_msg(strcmp(k.rule, rule) == 0, "%s: rule %s, expected %s", json, k.rule, rule);
}

/* ==== Salesforce Change Data Capture ==== */

START_TEST(test_salesforce_account_change_is_keyed_by_the_account_id)
{
    assert_fixture_key("salesforce", "salesforce/account_create.json", "001Hs00002XyZ7QIAV",
                       "ChangeEventHeader.recordIds[0]");
    assert_fixture_key("salesforce", "salesforce/account_update_csm.json", "001Hs00002XyZ7QIAV",
                       "ChangeEventHeader.recordIds[0]");
}
END_TEST

START_TEST(test_salesforce_merged_accounts_are_keyed_by_the_first_record)
{
    assert_fixture_key("salesforce", "salesforce/account_merged_update.json", "001Hs00002XyZ7QIAV",
                       "ChangeEventHeader.recordIds[0]");
}
END_TEST

START_TEST(test_salesforce_child_record_carrying_its_account_is_keyed_by_the_account)
{
    assert_fixture_key("salesforce", "salesforce/opportunity_renewal_create.json", "001Hs00002XyZ7QIAV",
                       "AccountId");
    assert_fixture_key("salesforce", "salesforce/contact_create.json", "001Hs00002XyZ7QIAV", "AccountId");
}
END_TEST

START_TEST(test_salesforce_update_without_its_account_is_keyed_by_the_record_id)
{
    assert_fixture_key("salesforce", "salesforce/contact_update_title.json", "003Hs00003AbC9dIAF",
                       "ChangeEventHeader.recordIds[0]");
    assert_fixture_key("salesforce", "salesforce/contact_role_update.json", "00KHs000006MpLqMAK",
                       "ChangeEventHeader.recordIds[0]");
}
END_TEST

START_TEST(test_salesforce_cometd_envelope_is_keyed_like_its_payload)
{
    assert_fixture_key("salesforce", "salesforce/opportunity_update_cometd.json", "006Hs00001SpX9aIAF",
                       "ChangeEventHeader.recordIds[0]");
}
END_TEST

/* ==== Segment ==== */

START_TEST(test_segment_group_call_is_keyed_by_its_group)
{
    assert_fixture_key("segment", "segment/group.json", "grp_lakeview_usd", "groupId");
}
END_TEST

START_TEST(test_segment_track_is_keyed_by_its_context_group)
{
    assert_fixture_key("segment", "segment/track.json", "grp_lakeview_usd", "context.groupId");
    assert_fixture_key("segment", "segment/track_anonymous.json", "grp_lakeview_usd", "properties.groupId");
}
END_TEST

START_TEST(test_segment_identify_is_keyed_by_its_company_else_the_user)
{
    assert_fixture_key("segment", "segment/identify.json", "grp_lakeview_usd", "traits.company.id");
    assert_fixture_key("segment", "segment/page.json", "u_48213", "userId");
    assert_key("segment", "{\"type\":\"track\",\"event\":\"x\",\"anonymousId\":\"anon-1\",\"messageId\":\"m1\"}",
               "anon-1", "anonymousId");
    assert_key("segment", "{\"type\":\"track\",\"event\":\"x\",\"messageId\":\"m1\"}", "m1", "messageId");
}
END_TEST

START_TEST(test_segment_batch_is_keyed_by_its_context_group)
{
    assert_fixture_key("segment", "segment/batch.json", "grp_lakeview_usd", "context.groupId");
    assert_key("segment", "{\"batch\":[{\"type\":\"track\",\"userId\":\"u_9\"}]}", "u_9", "userId");
}
END_TEST

/* ==== Zendesk ==== */

START_TEST(test_zendesk_ticket_is_keyed_by_its_organization_in_every_framing)
{
    assert_fixture_key("zendesk", "zendesk/eventbridge_ticket_created.json", "36000123456", "organization_id");
    assert_fixture_key("zendesk", "zendesk/integration_ticket_agent_assignment_changed.json", "36000123456",
                       "organization_id");
    /* the webhook sends the same id as a string: one key, one partition */
    assert_fixture_key("zendesk", "zendesk/webhook_ticket_created.json", "36000123456", "organization_id");
}
END_TEST

START_TEST(test_zendesk_organization_is_keyed_by_its_own_id)
{
    assert_fixture_key("zendesk", "zendesk/eventbridge_organization_name_changed.json", "36000123456",
                       "organization.id");
    assert_fixture_key("zendesk", "zendesk/webhook_organization_created.json", "36000123999", "organization.id");
}
END_TEST

START_TEST(test_zendesk_ticket_without_organization_falls_back_to_requester_then_ticket)
{
    assert_key("zendesk",
               "{\"type\":\"zen:event-type:ticket.created\",\"id\":\"e1\",\"detail\":{\"id\":\"48214\","
               "\"organization_id\":null,\"requester_id\":\"381234567890\"}}",
               "381234567890", "requester_id");
    assert_key("zendesk", "{\"type\":\"zen:event-type:ticket.created\",\"id\":\"e1\",\"detail\":{\"id\":48214}}",
               "48214", "id");
    assert_key("zendesk", "{\"type\":\"zen:event-type:ticket.created\",\"id\":\"e1\",\"detail\":{}}", "e1", "id");
}
END_TEST

START_TEST(test_zendesk_user_is_keyed_by_its_organization)
{
    assert_fixture_key("zendesk", "zendesk/webhook_user_created.json", "36000123456", "organization_id");
}
END_TEST

/* ==== NPS ==== */

START_TEST(test_delighted_response_is_keyed_by_the_lower_cased_person_email)
{
    assert_fixture_key("nps", "nps/delighted_response_created.json", "dana.whitfield@lakeviewusd.org",
                       "event_data.person.email");
    assert_key("nps", "{\"event_type\":\"survey_response.created\",\"event_id\":\"ev\",\"event_data\":{\"id\":\"98412\",\"person\":{}}}",
               "98412", "event_data.id");
}
END_TEST

START_TEST(test_wootric_response_and_decline_are_keyed_by_the_end_user_email)
{
    /* the same person's response, its update and a later response agree */
    assert_fixture_key("nps", "nps/wootric_response_created.json", "dana.whitfield@lakeviewusd.org",
                       "response.email");
    assert_fixture_key("nps", "nps/wootric_response_updated.json", "dana.whitfield@lakeviewusd.org",
                       "response.email");
    assert_fixture_key("nps", "nps/wootric_decline_created.json", "lortega@lakeviewusd.org", "response.email");
    assert_key("nps", "{\"response\":{\"id\":\"58213441\",\"end_user_id\":\"91834412\"}}", "91834412",
               "response.end_user_id");
    assert_key("nps", "{\"response\":{\"id\":\"58213441\"}}", "58213441", "response.id");
}
END_TEST

/* ==== HubSpot ==== */

START_TEST(test_hubspot_batch_about_one_object_is_keyed_by_that_object)
{
    assert_key("hubspot",
               "[{\"eventId\":1,\"portalId\":62515,\"objectId\":1246965,\"subscriptionType\":\"company.propertyChange\"},"
               "{\"eventId\":2,\"portalId\":62515,\"objectId\":1246965,\"subscriptionType\":\"company.propertyChange\"}]",
               "1246965", "objectId");
    assert_key("hubspot", "{\"eventId\":3,\"portalId\":62515,\"objectId\":77}", "77", "objectId");
}
END_TEST

START_TEST(test_hubspot_batch_about_several_objects_is_keyed_by_the_portal)
{
    assert_key("hubspot",
               "[{\"eventId\":1,\"portalId\":62515,\"objectId\":1},{\"eventId\":2,\"portalId\":62515,\"objectId\":2}]",
               "62515", "portalId");
}
END_TEST

/* ==== Debezium ==== */

START_TEST(test_debezium_row_is_keyed_by_its_primary_key)
{
    assert_key("debezium",
               "{\"before\":null,\"after\":{\"id\":1001,\"account_id\":\"a1\",\"seats\":40},"
               "\"source\":{\"table\":\"subscriptions\"},\"op\":\"c\",\"ts_ms\":1700000000000}",
               "1001", "after.id");
    /* a delete has only the row before it */
    assert_key("debezium", "{\"before\":{\"id\":1001},\"after\":null,\"op\":\"d\"}", "1001", "before.id");
    /* no id column: the row's first column, in the table's column order */
    assert_key("debezium", "{\"after\":{\"sku\":\"SKU-9\",\"qty\":1},\"op\":\"u\"}", "SKU-9",
               "after.<first column>");
}
END_TEST

START_TEST(test_debezium_envelope_with_schema_is_keyed_like_without)
{
    assert_key("debezium",
               "{\"schema\":{\"type\":\"struct\"},\"payload\":{\"before\":null,\"after\":{\"id\":7},\"op\":\"c\"}}",
               "7", "after.id");
}
END_TEST

START_TEST(test_debezium_dump_with_its_own_key_keeps_that_key)
{
    assert_key("debezium", "{\"key\":{\"id\":42},\"value\":{\"after\":{\"id\":42,\"x\":1},\"op\":\"u\"}}", "42",
               "key");
    assert_key("debezium",
               "{\"key\":{\"schema\":{},\"payload\":{\"tenant\":\"t1\",\"id\":5}},\"value\":{\"after\":{\"id\":5}}}",
               "{\"id\":5,\"tenant\":\"t1\"}", "key");
}
END_TEST

/* ==== Any source ==== */

START_TEST(test_other_sources_use_their_account_id_else_their_id)
{
    assert_key("conversation", "{\"id\":\"call-9\",\"account_id\":\"acct-1\"}", "acct-1", "account_id");
    assert_key("market", "{\"id\":\"news-3\"}", "news-3", "id");
    assert_key(NULL, "{\"eventId\":12}", "12", "eventId");
}
END_TEST

START_TEST(test_record_without_ids_is_keyed_by_a_hash_of_its_bytes)
{
    revos_natural_key a = key_of("segment", "not json at all", 15);
    revos_natural_key b = key_of("segment", "not json at all", 15);
    revos_natural_key c = key_of("segment", "not json either", 15);
    ck_assert_str_eq(a.rule, "content hash");
    ck_assert_str_eq(a.key, b.key); /* the same record always lands on the same partition */
    ck_assert_str_ne(a.key, c.key);
    ck_assert_int_eq(strncmp(a.key, "fnv1a64:", 8), 0);
    ck_assert_str_eq(key_of("zendesk", "{}", 2).rule, "content hash");
    ck_assert_str_eq(key_of("nps", "", 0).rule, "content hash");
}
END_TEST

START_TEST(test_blank_and_non_scalar_ids_are_skipped)
{
    assert_key("segment", "{\"groupId\":\"  \",\"userId\":{\"id\":1},\"anonymousId\":\"an\"}", "an", "anonymousId");
    const char *none = "{\"response\":{\"email\":\"\",\"id\":3.5,\"end_user_id\":true}}";
    ck_assert_str_eq(key_of("nps", none, strlen(none)).rule, "content hash");
}
END_TEST

START_TEST(test_overlong_id_is_hashed_to_fit)
{
    char json[1200];
    char id[1001];
    memset(id, 'x', 1000);
    id[1000] = '\0';
    snprintf(json, sizeof json, "{\"id\":\"%s\"}", id);
    revos_natural_key k = key_of("market", json, strlen(json));
    ck_assert_str_eq(k.rule, "id");
    ck_assert_int_eq(strncmp(k.key, "fnv1a64:", 8), 0);
    ck_assert_uint_lt(k.len, REVOS_NATURAL_KEY_MAX);
}
END_TEST

START_TEST(test_missing_output_is_a_fatal_call_error)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_ingest_natural_key("segment", "{}", 2, NULL, &err), REVOS_ERR_FATAL);
    revos_natural_key k;
    ck_assert_int_eq(revos_ingest_natural_key("segment", NULL, 3, &k, &err), REVOS_ERR_FATAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("natural_key");
    TCase *tc = tcase_create("sources");
    tcase_add_test(tc, test_salesforce_account_change_is_keyed_by_the_account_id);
    tcase_add_test(tc, test_salesforce_merged_accounts_are_keyed_by_the_first_record);
    tcase_add_test(tc, test_salesforce_child_record_carrying_its_account_is_keyed_by_the_account);
    tcase_add_test(tc, test_salesforce_update_without_its_account_is_keyed_by_the_record_id);
    tcase_add_test(tc, test_salesforce_cometd_envelope_is_keyed_like_its_payload);
    tcase_add_test(tc, test_segment_group_call_is_keyed_by_its_group);
    tcase_add_test(tc, test_segment_track_is_keyed_by_its_context_group);
    tcase_add_test(tc, test_segment_identify_is_keyed_by_its_company_else_the_user);
    tcase_add_test(tc, test_segment_batch_is_keyed_by_its_context_group);
    tcase_add_test(tc, test_zendesk_ticket_is_keyed_by_its_organization_in_every_framing);
    tcase_add_test(tc, test_zendesk_organization_is_keyed_by_its_own_id);
    tcase_add_test(tc, test_zendesk_ticket_without_organization_falls_back_to_requester_then_ticket);
    tcase_add_test(tc, test_zendesk_user_is_keyed_by_its_organization);
    tcase_add_test(tc, test_delighted_response_is_keyed_by_the_lower_cased_person_email);
    tcase_add_test(tc, test_wootric_response_and_decline_are_keyed_by_the_end_user_email);
    tcase_add_test(tc, test_hubspot_batch_about_one_object_is_keyed_by_that_object);
    tcase_add_test(tc, test_hubspot_batch_about_several_objects_is_keyed_by_the_portal);
    tcase_add_test(tc, test_debezium_row_is_keyed_by_its_primary_key);
    tcase_add_test(tc, test_debezium_envelope_with_schema_is_keyed_like_without);
    tcase_add_test(tc, test_debezium_dump_with_its_own_key_keeps_that_key);
    tcase_add_test(tc, test_other_sources_use_their_account_id_else_their_id);
    tcase_add_test(tc, test_record_without_ids_is_keyed_by_a_hash_of_its_bytes);
    tcase_add_test(tc, test_blank_and_non_scalar_ids_are_skipped);
    tcase_add_test(tc, test_overlong_id_is_hashed_to_fit);
    tcase_add_test(tc, test_missing_output_is_a_fatal_call_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
