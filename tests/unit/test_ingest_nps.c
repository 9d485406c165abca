/* test_ingest_nps.c -- Delighted and Wootric NPS webhooks -> SourceEvents. */
#include "test_ingest_support.h"

#define NPS "nps"
#define ACCOUNT_ID "001Hs00002XyZ7QIAV"

/* ==== Delighted ==== */

START_TEST(test_delighted_response_created)
{
    parsed p = parse_fixture(NULL, NPS, "delighted_response_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e,
                 "delighted:4e1f0a9c7d2b8e6f3a5c1d9e7b0f2a4c6e8d1b3f5a7c9e0d2f4b6a8c0e1d3f5a",
                 NPS, "nps.response", "create", INT64_C(1720000000000));
    expect_ids(e, "email", "dana.whitfield@lakeviewusd.org", "domain", "lakeviewusd.org",
               "salesforce_account", ACCOUNT_ID, NULL);
    expect_attrs(e, "vendor", "delighted", "score", "3", "comment",
                 "Rostering has been broken for weeks and support keeps asking for the same "
                 "logs.",
                 "response_id", "98412", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_delighted_update_without_comment_uses_updated_at)
{
    parsed p = parse_fixture(NULL, NPS, "delighted_response_updated.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e,
                 "delighted:a0c2e4f6b8d1a3c5e7f9b2d4a6c8e0f1d3b5a7c9e2f4a6b8d0c1e3f5a7b9d2c4",
                 NPS, "nps.response", "update", INT64_C(1712003600000));
    expect_ids(e, "email", "lortega@lakeviewusd.org", "domain", "lakeviewusd.org", NULL);
    expect_attrs(e, "vendor", "delighted", "score", "8", "response_id", "97120", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_delighted_without_event_id_uses_response_id_and_time)
{
    json_t *doc = fixture_json(NPS, "delighted_response_updated.json");
    json_object_del(doc, "event_id");
    json_object_del(jpath(doc, "event_data"), "updated_at");
    parsed p = parse_json(NULL, NPS, doc);
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    ck_assert_str_eq(str_of(e, "event_id"), "delighted:97120:1712000000000");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "occurred_at")),
                     INT64_C(1712000000000));
    parsed_free(&p);
}
END_TEST

START_TEST(test_other_delighted_webhooks_are_ignored)
{
    json_t *doc = fixture_json(NPS, "delighted_response_created.json");
    json_object_set_new(doc, "event_type", json_string("unsubscribe.created"));
    parsed p = parse_json(NULL, NPS, doc);
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

/* ==== Wootric ==== */

START_TEST(test_wootric_response_created_reads_string_score)
{
    parsed p = parse_fixture(NULL, NPS, "wootric_response_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    /* updated_at "2024-07-03 09:14:22 -0700" */
    expect_event(e, "wootric:58213441:created:1720023262000", NPS, "nps.response", "create",
                 INT64_C(1720023262000));
    expect_ids(e, "email", "dana.whitfield@lakeviewusd.org", "domain", "lakeviewusd.org",
               "salesforce_account", ACCOUNT_ID, NULL);
    expect_attrs(e, "vendor", "wootric", "score", "3", "response_id", "58213441", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_wootric_response_updated_carries_comment)
{
    parsed p = parse_fixture(NULL, NPS, "wootric_response_updated.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "wootric:58213441:updated:1720023605000", NPS, "nps.response", "update",
                 INT64_C(1720023605000));
    expect_ids(e, "email", "dana.whitfield@lakeviewusd.org", "domain", "lakeviewusd.org",
               "salesforce_account", ACCOUNT_ID, NULL);
    expect_attrs(e, "vendor", "wootric", "score", "3", "comment",
                 "Rostering sync fails every night and we lose a morning fixing it.",
                 "response_id", "58213441", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_wootric_decline_is_nps_decline)
{
    parsed p = parse_fixture(NULL, NPS, "wootric_decline_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "wootric:decline:7712093:created:1720024307000", NPS, "nps.decline", "create",
                 INT64_C(1720024307000));
    expect_ids(e, "email", "lortega@lakeviewusd.org", "domain", "lakeviewusd.org", NULL);
    expect_attrs(e, "vendor", "wootric", "response_id", "7712093", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_integer_score_and_score_bounds_are_accepted)
{
    json_t *doc = fixture_json(NPS, "wootric_response_created.json");
    json_object_set_new(jpath(doc, "response"), "score", json_integer(10));
    parsed p = parse_json(NULL, NPS, json_incref(doc));
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "score"), "10");
    parsed_free(&p);
    json_object_set_new(jpath(doc, "response"), "score", json_string("0"));
    p = parse_json(NULL, NPS, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "score"), "0");
    parsed_free(&p);
}
END_TEST

START_TEST(test_custom_account_property_mapping)
{
    json_t *mapping = json_text("{\"nps\": {\"account_property\": \"Salesforce Account Id\"}}");
    json_t *doc = fixture_json(NPS, "delighted_response_updated.json");
    json_object_set_new(jpath(doc, "event_data"), "person_properties",
                        json_pack("{s:s}", "Salesforce Account Id", "001Hs00002XzA1RIAV"));
    parsed p = parse_json(mapping, NPS, doc);
    expect_ok(&p, 1);
    expect_ids(event_at(&p, 0), "email", "lortega@lakeviewusd.org", "domain", "lakeviewusd.org",
               "salesforce_account", "001Hs00002XzA1RIAV", NULL);
    parsed_free(&p);
    p = parse_fixture(mapping, NPS, "wootric_response_created.json"); /* default key unread */
    expect_ok(&p, 1);
    expect_ids(event_at(&p, 0), "email", "dana.whitfield@lakeviewusd.org", "domain",
               "lakeviewusd.org", NULL);
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

/* ==== Bad input ==== */

static void expect_invalid(const char *fixture, void (*edit)(json_t *doc), const char *msg)
{
    json_t *doc = fixture_json(NPS, fixture);
    edit(doc);
    parsed p = parse_json(NULL, NPS, doc);
    expect_reject(&p, "validation", msg);
    parsed_free(&p);
}

static void delighted_score_11(json_t *doc)
{
    json_object_set_new(jpath(doc, "event_data"), "score", json_integer(11));
}
static void delighted_score_negative(json_t *doc)
{
    json_object_set_new(jpath(doc, "event_data"), "score", json_integer(-1));
}
static void delighted_score_real(json_t *doc)
{
    json_object_set_new(jpath(doc, "event_data"), "score", json_real(7.5));
}
static void delighted_drop_score(json_t *doc)
{
    json_object_del(jpath(doc, "event_data"), "score");
}
static void wootric_score_word(json_t *doc)
{
    json_object_set_new(jpath(doc, "response"), "score", json_string("ten"));
}
static void wootric_score_12(json_t *doc)
{
    json_object_set_new(jpath(doc, "response"), "score", json_string("12"));
}
static void wootric_drop_body(json_t *doc)
{
    json_object_del(doc, "response");
}
static void wootric_bad_time(json_t *doc)
{
    json_object_set_new(jpath(doc, "response"), "updated_at", json_string("28/03/2018 15:11"));
}
static void wootric_unknown_event(json_t *doc)
{
    json_object_set_new(doc, "event_name", json_string("deleted"));
}
static void delighted_email_number(json_t *doc)
{
    json_object_set_new(jpath(doc, "event_data.person"), "email", json_integer(5));
}
static void delighted_drop_data(json_t *doc)
{
    json_object_del(doc, "event_data");
}
static void neither_vendor(json_t *doc)
{
    json_object_del(doc, "event_type");
}

START_TEST(test_score_out_of_range_is_validation)
{
    const char *msg = "nps: event_data.score: expected a score 0-10 (integer or numeric string)";
    expect_invalid("delighted_response_created.json", delighted_score_11, msg);
    expect_invalid("delighted_response_created.json", delighted_score_negative, msg);
    expect_invalid("wootric_response_created.json", wootric_score_12,
                   "nps: response.score: expected a score 0-10 (integer or numeric string)");
}
END_TEST

START_TEST(test_non_numeric_score_is_validation)
{
    expect_invalid("wootric_response_created.json", wootric_score_word,
                   "nps: response.score: expected a score 0-10 (integer or numeric string)");
    expect_invalid("delighted_response_created.json", delighted_score_real,
                   "nps: event_data.score: expected a score 0-10 (integer or numeric string)");
}
END_TEST

START_TEST(test_missing_score_is_validation)
{
    expect_invalid("delighted_response_created.json", delighted_drop_score,
                   "nps: event_data.score: missing");
}
END_TEST

START_TEST(test_wootric_without_response_or_decline_is_validation)
{
    expect_invalid("wootric_response_created.json", wootric_drop_body, "nps: response: missing");
    expect_invalid("wootric_response_created.json", wootric_unknown_event,
                   "nps: event_name: expected created or updated");
}
END_TEST

START_TEST(test_fields_of_wrong_type_are_validation)
{
    expect_invalid("wootric_response_created.json", wootric_bad_time,
                   "nps: response.updated_at: expected an ISO-8601 timestamp with a UTC offset");
    expect_invalid("delighted_response_created.json", delighted_email_number,
                   "nps: event_data.person.email: expected string");
    expect_invalid("delighted_response_created.json", delighted_drop_data,
                   "nps: event_data: missing");
}
END_TEST

START_TEST(test_unrecognized_payload_is_validation)
{
    expect_invalid("delighted_response_created.json", neither_vendor,
                   "nps: expected a Delighted (event_type) or Wootric (event_name) webhook");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_nps");
    TCase *tc = tcase_create("delighted");
    tcase_add_test(tc, test_delighted_response_created);
    tcase_add_test(tc, test_delighted_update_without_comment_uses_updated_at);
    tcase_add_test(tc, test_delighted_without_event_id_uses_response_id_and_time);
    tcase_add_test(tc, test_other_delighted_webhooks_are_ignored);
    suite_add_tcase(s, tc);

    tc = tcase_create("wootric");
    tcase_add_test(tc, test_wootric_response_created_reads_string_score);
    tcase_add_test(tc, test_wootric_response_updated_carries_comment);
    tcase_add_test(tc, test_wootric_decline_is_nps_decline);
    tcase_add_test(tc, test_integer_score_and_score_bounds_are_accepted);
    suite_add_tcase(s, tc);

    tc = tcase_create("mapping");
    tcase_add_test(tc, test_custom_account_property_mapping);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_score_out_of_range_is_validation);
    tcase_add_test(tc, test_non_numeric_score_is_validation);
    tcase_add_test(tc, test_missing_score_is_validation);
    tcase_add_test(tc, test_wootric_without_response_or_decline_is_validation);
    tcase_add_test(tc, test_fields_of_wrong_type_are_validation);
    tcase_add_test(tc, test_unrecognized_payload_is_validation);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
