/* test_ingest_conversation.c -- conversation-intelligence call webhooks
 * (Gong-style) -> conversation.call SourceEvents: CRM context, participants,
 * competitor mentions and sentiment from trackers, bad calls. */
#include "test_ingest_support.h"

#define CALL "conversation"

static parsed parse_shipped(const char *name)
{
    json_t *mapping = mapping_load();
    parsed p = parse_fixture(mapping, CALL, name);
    json_decref(mapping);
    return p;
}

static parsed parse_shipped_json(json_t *doc)
{
    json_t *mapping = mapping_load();
    parsed p = parse_json(mapping, CALL, doc);
    json_decref(mapping);
    return p;
}

START_TEST(test_call_with_crm_context_competitors_and_sentiment)
{
    parsed p = parse_shipped("call_renewal_competitor.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "conversation:7412098833561290114", CALL, "conversation.call", "event",
                 INT64_C(1724148134551));
    expect_ids(e, "salesforce_opportunity", "006Dn00000PineRnw", "salesforce_account",
               "001Dn00000PineAAA", "domain", "pineridge.k12.mn.us", NULL);
    expect_attrs(e, "call_id", "7412098833561290114", "title",
                 "Pine Ridge / RevOS renewal check-in", "scope", "External", "direction",
                 "Conference", "system", "Zoom", "duration_seconds", "2719", "participants", "4",
                 "internal_participants", "1", "external_participants", "2",
                 "competitor_mentions", "5", "competitors", "Clever,ClassLink",
                 "positive_mentions", "2", "negative_mentions", "6", "sentiment", "-0.5", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_competitors_come_from_the_mapping)
{
    json_t *mapping = json_text("{\"conversation\": {\"competitors\": [\"Clever\"]}}");
    parsed p = parse_fixture(mapping, CALL, "call_renewal_competitor.json");
    expect_ok(&p, 1);
    const json_t *attrs = json_object_get(event_at(&p, 0), "attributes");
    ck_assert_str_eq(str_of(attrs, "competitor_mentions"), "2");
    ck_assert_str_eq(str_of(attrs, "competitors"), "Clever");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_a_tracker_named_for_a_competitor_counts_once)
{
    json_t *doc = fixture_json(CALL, "call_renewal_competitor.json");
    json_t *trackers = jpath(doc, "callData.content.trackers");
    json_array_append_new(trackers, json_pack("{s:s, s:i, s:[{s:s, s:i}]}", "name", "PowerSchool",
                                              "count", 4, "phrases", "phrase", "PowerSchool",
                                              "count", 4));
    parsed p = parse_shipped_json(doc);
    expect_ok(&p, 1);
    const json_t *attrs = json_object_get(event_at(&p, 0), "attributes");
    ck_assert_str_eq(str_of(attrs, "competitor_mentions"), "9");
    ck_assert_str_eq(str_of(attrs, "competitors"), "Clever,ClassLink,PowerSchool");
    parsed_free(&p);
}
END_TEST

START_TEST(test_call_object_without_wrapper_hubspot_context_and_no_trackers)
{
    parsed p = parse_shipped("call_hubspot_context_no_trackers.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    /* no "started": the scheduled time */
    expect_event(e, "conversation:7412098833561299001", CALL, "conversation.call", "event",
                 INT64_C(1725375600000));
    expect_ids(e, "hubspot_company", "2277050", "hubspot_deal", "918273701", "domain",
               "cedarhollow.org", NULL);
    expect_attrs(e, "call_id", "7412098833561299001", "title", "Cedar Hollow discovery", "scope",
                 "External", "direction", "Outbound", "system", "Google Meet", "duration_seconds",
                 "1200", "participants", "2", "internal_participants", "1",
                 "external_participants", "1", "competitor_mentions", "0", "positive_mentions",
                 "0", "negative_mentions", "0", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_test_delivery_is_ignored)
{
    parsed p = parse_shipped("call_test_delivery.json");
    expect_ok(&p, 0);
    parsed_free(&p);
}
END_TEST

/* ==== Bad input ==== */

START_TEST(test_call_without_id_is_rejected_with_its_path)
{
    json_t *doc = fixture_json(CALL, "call_renewal_competitor.json");
    json_object_del(jpath(doc, "callData.metaData"), "id");
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "conversation: callData.metaData.id: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_call_without_a_time_is_rejected)
{
    json_t *doc = fixture_json(CALL, "call_hubspot_context_no_trackers.json");
    json_object_del(json_object_get(doc, "metaData"), "scheduled");
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "conversation: metaData.scheduled: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_negative_or_absurd_duration_is_rejected)
{
    static const double bad[] = {-1.0, 1e9};
    for (size_t i = 0; i < 2; i++) {
        json_t *doc = fixture_json(CALL, "call_hubspot_context_no_trackers.json");
        json_object_set_new(json_object_get(doc, "metaData"), "duration", json_real(bad[i]));
        parsed p = parse_shipped_json(doc);
        expect_reject(&p, "validation",
                      "conversation: metaData.duration: expected seconds, from 0 to a week");
        parsed_free(&p);
    }
}
END_TEST

START_TEST(test_negative_tracker_count_is_rejected)
{
    json_t *doc = fixture_json(CALL, "call_renewal_competitor.json");
    json_object_set_new(json_array_get(jpath(doc, "callData.content.trackers"), 2), "count",
                        json_integer(-3));
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation",
                  "conversation: callData.content.trackers[2].count: expected a count from 0 to "
                  "1000000");
    parsed_free(&p);
}
END_TEST

START_TEST(test_too_many_parties_is_rejected)
{
    json_t *mapping = json_text("{\"conversation\": {\"max_parties\": 3}}");
    parsed p = parse_fixture(mapping, CALL, "call_renewal_competitor.json");
    expect_reject(&p, "validation", "conversation: callData.parties: 4 entries is above 3");
    parsed_free(&p);
    json_decref(mapping);
}
END_TEST

START_TEST(test_context_object_without_id_is_rejected)
{
    json_t *doc = fixture_json(CALL, "call_renewal_competitor.json");
    json_t *objects = json_object_get(json_array_get(jpath(doc, "callData.context"), 0), "objects");
    json_object_del(json_array_get(objects, 1), "objectId");
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "conversation: callData.context[0].objects[1].objectId: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_is_test_must_be_a_boolean)
{
    json_t *doc = fixture_json(CALL, "call_renewal_competitor.json");
    json_object_set_new(doc, "isTest", json_string("no"));
    parsed p = parse_shipped_json(doc);
    expect_reject(&p, "validation", "conversation: isTest: expected boolean");
    parsed_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_conversation");
    TCase *tc = tcase_create("calls");
    tcase_add_test(tc, test_call_with_crm_context_competitors_and_sentiment);
    tcase_add_test(tc, test_competitors_come_from_the_mapping);
    tcase_add_test(tc, test_a_tracker_named_for_a_competitor_counts_once);
    tcase_add_test(tc, test_call_object_without_wrapper_hubspot_context_and_no_trackers);
    tcase_add_test(tc, test_test_delivery_is_ignored);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_call_without_id_is_rejected_with_its_path);
    tcase_add_test(tc, test_call_without_a_time_is_rejected);
    tcase_add_test(tc, test_negative_or_absurd_duration_is_rejected);
    tcase_add_test(tc, test_negative_tracker_count_is_rejected);
    tcase_add_test(tc, test_too_many_parties_is_rejected);
    tcase_add_test(tc, test_context_object_without_id_is_rejected);
    tcase_add_test(tc, test_is_test_must_be_a_boolean);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
