/* test_ingest_debezium.c -- Debezium change envelopes -> SourceEvents, with
 * the tables of the shipped config/mapping.json: with and without schema,
 * op c/u/r/d/t, REPLICA IDENTITY DEFAULT, tombstones, bad rows. */
#include "test_ingest_support.h"

#include "ingest/mapping.h"

#define DBZ "debezium"

static parsed parse_shipped(const char *name)
{
    json_t *mapping = mapping_load();
    parsed p = parse_fixture(mapping, DBZ, name);
    json_decref(mapping);
    return p;
}

static parsed parse_shipped_json(json_t *doc)
{
    json_t *mapping = mapping_load();
    parsed p = parse_json(mapping, DBZ, doc);
    json_decref(mapping);
    return p;
}

/* revos_ingest_parse with a Kafka record key. */
static parsed parse_with_key(const char *name, const char *key)
{
    json_t *mapping = mapping_load();
    size_t len;
    char *text = fixture_read(DBZ, name, &len);
    revos_raw_meta meta = {"revos.raw.debezium", DBZ, TEST_PARTITION, TEST_OFFSET, key,
                           key ? strlen(key) : 0};
    parsed p;
    memset(&p, 0, sizeof p);
    p.events = json_array();
    p.ignored = -1;
    p.st = revos_ingest_parse(mapping, &meta, text, len, p.events, &p.ignored, &p.err);
    free(text);
    json_decref(mapping);
    return p;
}

/* ==== Envelopes ==== */

START_TEST(test_schemaless_snapshot_read_is_an_account_creation)
{
    parsed p = parse_shipped("account_snapshot_schemaless.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "debezium:crmdb:crm.accounts:7001:r:55112200", DBZ, "crm.account", "create",
                 INT64_C(1719792000123));
    expect_ids(e, "db_account", "7001", "salesforce_account", "001Dn00000PineAAA", "domain",
               "pineridge.k12.mn.us", NULL);
    expect_attrs(e, "table", "crm.accounts", "snapshot", "true", "name",
                 "Pine Ridge Public Schools", "ae", "dana.ko@revos.example", "csm",
                 "li.wen@revos.example", "segment", "K-12 District", "arr", "96000", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_envelope_with_schema_reads_its_payload)
{
    parsed p = parse_shipped("account_create_with_schema.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "debezium:crmdb:crm.accounts:7002:c:55190016", DBZ, "crm.account", "create",
                 INT64_C(1719878400000));
    expect_ids(e, "db_account", "7002", "domain", "birchwood.edu", NULL);
    expect_attrs(e, "table", "crm.accounts", "name", "Birchwood Community College", "arr",
                 "41000.5", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_occurred_at_falls_back_to_the_envelope_ts_ms)
{
    json_t *doc = fixture_json(DBZ, "account_snapshot_schemaless.json");
    json_object_del(json_object_get(doc, "source"), "ts_ms");
    parsed p = parse_shipped_json(doc);
    expect_ok(&p, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(event_at(&p, 0), "occurred_at")),
                     INT64_C(1719792000456));
    parsed_free(&p);
}
END_TEST

/* ==== Replica identity ==== */

START_TEST(test_update_without_before_reads_the_complete_after)
{
    parsed p = parse_shipped("opportunity_update_no_before.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "debezium:crmdb:crm.opportunities:9101:u:60011224", DBZ, "crm.opportunity",
                 "update", INT64_C(1735603200500));
    expect_ids(e, "db_opportunity", "9101", "db_account", "7001", NULL);
    expect_attrs(e, "table", "crm.opportunities", "amount", "96000.00", "close_date", "2025-01-01",
                 "is_closed", "true", "is_won", "true", "renewal", "true", "stage", "Closed Won",
                 "type", "Renewal", "name", "Pine Ridge - Renewal FY25", "owner",
                 "dana.ko@revos.example", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_update_with_before_reads_after)
{
    parsed p = parse_shipped("contact_update_with_before.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "debezium:crmdb:crm.contacts:31:u:57000128", DBZ, "crm.contact", "update",
                 INT64_C(1722470400000));
    expect_ids(e, "db_contact", "31", "db_account", "7001", "email",
               "m.okafor@pineridge.k12.mn.us", "domain", "pineridge.k12.mn.us", NULL);
    expect_attrs(e, "table", "crm.contacts", "name", "Maya Okafor", "title",
                 "Director of Curriculum", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_delete_with_key_only_before_names_the_row)
{
    parsed p = parse_shipped("contact_delete_key_only_before.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "debezium:crmdb:crm.contacts:31:d:58100256", DBZ, "crm.contact", "delete",
                 INT64_C(1725148800000));
    expect_ids(e, "db_contact", "31", NULL);
    expect_attrs(e, "table", "crm.contacts", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_delete_without_before_takes_the_row_from_the_record_key)
{
    parsed p = parse_with_key("opportunity_delete_no_row.json", "{\"id\": 9101}");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "debezium:crmdb:crm.opportunities:9101:d:60022448", DBZ, "crm.opportunity",
                 "delete", INT64_C(1735689600100));
    expect_ids(e, "db_opportunity", "9101", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_record_key_with_schema_is_read_from_its_payload)
{
    parsed p = parse_with_key("opportunity_delete_no_row.json",
                              "{\"schema\": {\"type\": \"struct\"}, \"payload\": {\"id\": 9101}}");
    expect_ok(&p, 1);
    expect_ids(event_at(&p, 0), "db_opportunity", "9101", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_delete_without_before_or_key_is_rejected)
{
    parsed p = parse_shipped("opportunity_delete_no_row.json");
    expect_reject(&p, "validation",
                  "debezium: crm.opportunities: delete (before and record key) without its key "
                  "column(s) id");
    parsed_free(&p);
}
END_TEST

START_TEST(test_record_key_that_is_not_json_is_rejected)
{
    parsed p = parse_with_key("opportunity_delete_no_row.json", "9101");
    expect_reject(&p, "validation", "debezium: record key: expected a JSON object");
    parsed_free(&p);
}
END_TEST

/* ==== Contact roles and composite keys ==== */

START_TEST(test_contact_role_with_a_composite_key)
{
    parsed p = parse_shipped("contact_role_create.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "debezium:crmdb:crm.opportunity_contacts:9101:31:c:57100512", DBZ,
                 "crm.contact_role", "create", INT64_C(1722556800000));
    expect_ids(e, "db_contact_role", "9101:31", "db_contact", "31", "db_opportunity", "9101",
               "db_account", "7001", NULL);
    expect_attrs(e, "table", "crm.opportunity_contacts", "is_primary", "true", "role",
                 "Champion", "role_class", "champion", NULL);
    parsed_free(&p);
}
END_TEST

/* ==== Not events ==== */

START_TEST(test_truncate_is_ignored)
{
    parsed p = parse_shipped("accounts_truncate.json");
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

START_TEST(test_unmapped_table_is_ignored)
{
    parsed p = parse_shipped("unmapped_table_insert.json");
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

START_TEST(test_without_a_table_mapping_nothing_is_read)
{
    parsed p = parse_fixture(NULL, DBZ, "account_snapshot_schemaless.json");
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

START_TEST(test_tombstone_with_schema_is_ignored)
{
    parsed p = parse_shipped("tombstone_with_schema.json");
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

START_TEST(test_a_null_value_is_a_tombstone_only_on_debezium)
{
    revos_raw_meta dbz = {"revos.raw.debezium", DBZ, 0, 0, "{\"id\":1}", 8};
    revos_raw_meta seg = {"revos.raw.segment", "segment", 0, 0, NULL, 0};
    ck_assert_int_eq(revos_ingest_is_tombstone(&dbz, NULL, 0), 1);
    ck_assert_int_eq(revos_ingest_is_tombstone(&dbz, "{}", 2), 0);
    ck_assert_int_eq(revos_ingest_is_tombstone(&seg, NULL, 0), 0);
}
END_TEST

/* ==== Bad input ==== */

START_TEST(test_unknown_op_is_rejected)
{
    json_t *doc = fixture_json(DBZ, "account_snapshot_schemaless.json");
    json_object_set_new(doc, "op", json_string("x"));
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "debezium: op: expected one of c, u, r, d, t, m");
    parsed_free(&p);
}
END_TEST

START_TEST(test_missing_op_in_a_schema_envelope_is_rejected_with_its_path)
{
    json_t *doc = fixture_json(DBZ, "account_create_with_schema.json");
    json_object_del(json_object_get(doc, "payload"), "op");
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "debezium: payload.op: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_create_without_after_is_rejected)
{
    json_t *doc = fixture_json(DBZ, "account_snapshot_schemaless.json");
    json_object_set_new(doc, "after", json_null());
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "debezium: after: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_row_without_its_key_column_is_rejected)
{
    json_t *doc = fixture_json(DBZ, "account_snapshot_schemaless.json");
    json_object_del(json_object_get(doc, "after"), "id");
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation",
                  "debezium: crm.accounts: change row without its key column(s) id");
    parsed_free(&p);
}
END_TEST

START_TEST(test_precise_decimal_bytes_are_rejected_with_the_setting_to_change)
{
    json_t *doc = fixture_json(DBZ, "account_snapshot_schemaless.json");
    json_object_set_new(json_object_get(doc, "after"), "arr", json_string("AXcE"));
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation",
                  "debezium: after.arr: expected a number (set decimal.handling.mode to double "
                  "or string)");
    parsed_free(&p);
}
END_TEST

START_TEST(test_row_that_is_not_an_object_is_rejected)
{
    json_t *doc = fixture_json(DBZ, "account_snapshot_schemaless.json");
    json_object_set_new(doc, "after", json_string("id=7001"));
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "debezium: after: expected object");
    parsed_free(&p);
}
END_TEST

START_TEST(test_oversized_key_is_rejected)
{
    json_t *doc = fixture_json(DBZ, "account_snapshot_schemaless.json");
    char big[1001];
    memset(big, '7', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_object_set_new(json_object_get(doc, "after"), "id", json_string(big));
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "debezium: after.id: expected a key of at most 511 bytes");
    parsed_free(&p);
}
END_TEST

START_TEST(test_bad_table_mapping_is_a_configuration_error)
{
    json_t *mapping = json_text("{\"debezium\": {\"tables\": {\"crm.accounts\": "
                                "{\"entity\": \"invoice\", \"key\": [\"id\"]}}}}");
    revos_err err;
    ck_assert_int_eq(revos_ingest_mapping_check(mapping, &err), REVOS_ERR_FATAL);
    ck_assert_str_eq(err.msg, "mapping: debezium.tables.crm.accounts: entity: expected account, "
                              "opportunity, contact or contact_role");
    json_decref(mapping);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_debezium");
    TCase *tc = tcase_create("envelopes");
    tcase_add_test(tc, test_schemaless_snapshot_read_is_an_account_creation);
    tcase_add_test(tc, test_envelope_with_schema_reads_its_payload);
    tcase_add_test(tc, test_occurred_at_falls_back_to_the_envelope_ts_ms);
    tcase_add_test(tc, test_update_without_before_reads_the_complete_after);
    tcase_add_test(tc, test_update_with_before_reads_after);
    tcase_add_test(tc, test_delete_with_key_only_before_names_the_row);
    tcase_add_test(tc, test_delete_without_before_takes_the_row_from_the_record_key);
    tcase_add_test(tc, test_record_key_with_schema_is_read_from_its_payload);
    tcase_add_test(tc, test_delete_without_before_or_key_is_rejected);
    tcase_add_test(tc, test_record_key_that_is_not_json_is_rejected);
    tcase_add_test(tc, test_contact_role_with_a_composite_key);
    suite_add_tcase(s, tc);
    tc = tcase_create("not_events");
    tcase_add_test(tc, test_truncate_is_ignored);
    tcase_add_test(tc, test_unmapped_table_is_ignored);
    tcase_add_test(tc, test_without_a_table_mapping_nothing_is_read);
    tcase_add_test(tc, test_tombstone_with_schema_is_ignored);
    tcase_add_test(tc, test_a_null_value_is_a_tombstone_only_on_debezium);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_unknown_op_is_rejected);
    tcase_add_test(tc, test_missing_op_in_a_schema_envelope_is_rejected_with_its_path);
    tcase_add_test(tc, test_create_without_after_is_rejected);
    tcase_add_test(tc, test_row_without_its_key_column_is_rejected);
    tcase_add_test(tc, test_precise_decimal_bytes_are_rejected_with_the_setting_to_change);
    tcase_add_test(tc, test_row_that_is_not_an_object_is_rejected);
    tcase_add_test(tc, test_oversized_key_is_rejected);
    tcase_add_test(tc, test_bad_table_mapping_is_a_configuration_error);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
