/* test_ingest_intercom.c -- Intercom webhook notifications -> SourceEvents:
 * conversations (created, replied, assigned, closed; priority; company),
 * tickets, companies, and bad notifications. */
#include "test_ingest_support.h"

#define IC "intercom"
#define CONTACT "66aa10f2c4e1b70012ab34cd"
#define COMPANY "66aa0f11c4e1b70012ab0001"
#define SFID "001Dn00000PineAAA"

/* ==== Conversations ==== */

START_TEST(test_conversation_created_is_a_new_high_priority_ticket_with_its_company)
{
    parsed p = parse_fixture(NULL, IC, "conversation_user_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "intercom:notif_4c1d9e27-6b0a-4f3e-9a55-0e8f2b7d6c11", IC, "support.ticket",
                 "create", INT64_C(1722502800000));
    expect_ids(e, "intercom_contact", CONTACT, "email", "p.natarajan@pineridge.k12.mn.us",
               "domain", "pineridge.k12.mn.us", "intercom_company", COMPANY,
               "intercom_company_external", SFID, NULL);
    expect_attrs(e, "ticket_id", "208811900000041", "object", "conversation", "event", "created",
                 "actor", "user", "status", "open", "priority", "high", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_admin_assigned_records_the_assignee)
{
    parsed p = parse_fixture(NULL, IC, "conversation_admin_assigned.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "intercom:notif_9e0b7f13-2c4d-4a8e-b1f6-7d3c5a9e2b40", IC, "support.ticket",
                 "update", INT64_C(1722503400000));
    expect_attrs(e, "ticket_id", "208811900000041", "object", "conversation", "event", "assigned",
                 "actor", "admin", "status", "open", "assignee", "5521907", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_admin_replied)
{
    parsed p = parse_fixture(NULL, IC, "conversation_admin_replied.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "intercom:notif_1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b", IC, "support.ticket",
                 "update", INT64_C(1722503700000));
    expect_ids(e, "intercom_contact", CONTACT, "email", "p.natarajan@pineridge.k12.mn.us",
               "domain", "pineridge.k12.mn.us", NULL);
    ck_assert_str_eq(str_of(json_object_get(e, "attributes"), "event"), "replied");
    parsed_free(&p);
}
END_TEST

START_TEST(test_admin_closed_has_status_closed)
{
    parsed p = parse_fixture(NULL, IC, "conversation_admin_closed.json");
    expect_ok(&p, 1);
    const json_t *attrs = json_object_get(event_at(&p, 0), "attributes");
    ck_assert_str_eq(str_of(attrs, "event"), "closed");
    ck_assert_str_eq(str_of(attrs, "status"), "closed");
    parsed_free(&p);
}
END_TEST

START_TEST(test_a_redelivered_notification_keeps_its_event_id)
{
    json_t *doc = fixture_json(IC, "conversation_admin_closed.json");
    json_object_set_new(doc, "delivery_attempts", json_integer(5));
    parsed again = parse_json(NULL, IC, doc);
    parsed first = parse_fixture(NULL, IC, "conversation_admin_closed.json");
    expect_ok(&again, 1);
    ck_assert(json_equal(first.events, again.events));
    parsed_free(&first);
    parsed_free(&again);
}
END_TEST

START_TEST(test_not_priority_is_normal_and_other_values_are_rejected)
{
    json_t *doc = fixture_json(IC, "conversation_user_created.json");
    json_object_set_new(jpath(doc, "data.item"), "priority", json_string("not_priority"));
    parsed p = parse_json(NULL, IC, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "priority"), "normal");
    parsed_free(&p);
    doc = fixture_json(IC, "conversation_user_created.json");
    json_object_set_new(jpath(doc, "data.item"), "priority", json_string("urgent!"));
    p = parse_json(NULL, IC, doc);
    expect_reject(&p, "validation", "intercom: data.item.priority: expected priority or not_priority");
    parsed_free(&p);
}
END_TEST

START_TEST(test_newer_api_author_stands_in_for_the_user)
{
    json_t *doc = fixture_json(IC, "conversation_user_created.json");
    json_t *item = jpath(doc, "data.item");
    json_object_del(item, "user");
    json_object_set_new(json_object_get(item, "source"), "author",
                        json_pack("{s:s, s:s, s:s}", "type", "user", "id", CONTACT, "email",
                                  "priya@pineridge.k12.mn.us"));
    json_object_set_new(item, "company_id", json_string(COMPANY));
    parsed p = parse_json(NULL, IC, doc);
    expect_ok(&p, 1);
    expect_ids(event_at(&p, 0), "intercom_company", COMPANY, "intercom_contact", CONTACT, "email",
               "priya@pineridge.k12.mn.us", "domain", "pineridge.k12.mn.us", NULL);
    parsed_free(&p);
}
END_TEST

/* ==== Tickets ==== */

START_TEST(test_ticket_created_uses_the_visible_ticket_id_state_and_title)
{
    parsed p = parse_fixture(NULL, IC, "ticket_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "intercom:notif_5d6e7f80-91a2-4b3c-8d4e-f5a6b7c8d9e0", IC, "support.ticket",
                 "create", INT64_C(1722600000000));
    expect_ids(e, "intercom_company", COMPANY, "intercom_contact", CONTACT, NULL);
    expect_attrs(e, "ticket_id", "4821", "object", "ticket", "event", "created", "status",
                 "submitted", "subject", "Roster sync drops co-teachers", "channel", "messenger",
                 NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_ticket_state_updated_is_an_update)
{
    json_t *doc = fixture_json(IC, "ticket_created.json");
    json_object_set_new(doc, "topic", json_string("ticket.state.updated"));
    parsed p = parse_json(NULL, IC, doc);
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    ck_assert_str_eq(str_of(e, "action"), "update");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "occurred_at")), INT64_C(1722600360000));
    ck_assert_str_eq(str_of(json_object_get(e, "attributes"), "event"), "state_updated");
    parsed_free(&p);
}
END_TEST

/* ==== Companies ==== */

START_TEST(test_company_created_teaches_its_salesforce_account)
{
    parsed p = parse_fixture(NULL, IC, "company_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "intercom:notif_0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f", IC,
                 "support.organization", "create", INT64_C(1719792000000));
    expect_ids(e, "intercom_company", COMPANY, "intercom_company_external", SFID, "domain",
               "pineridge.k12.mn.us", "salesforce_account", SFID, NULL);
    expect_attrs(e, "name", "Pine Ridge Public Schools", "event", "created", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_contact_attached_to_a_company)
{
    parsed p = parse_fixture(NULL, IC, "company_contact_attached.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "intercom:notif_6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e", IC, "support.contact",
                 "update", INT64_C(1719800001000));
    expect_ids(e, "intercom_contact", CONTACT, "email", "p.natarajan@pineridge.k12.mn.us",
               "domain", "pineridge.k12.mn.us", "intercom_company", COMPANY,
               "intercom_company_external", SFID, NULL);
    parsed_free(&p);
}
END_TEST

/* ==== Ignored and bad ==== */

START_TEST(test_ping_and_contact_topics_are_ignored)
{
    static const char *const topics[] = {"ping", "contact.user.created", "visitor.signed_up"};
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        json_t *doc = fixture_json(IC, "company_created.json");
        json_object_set_new(doc, "topic", json_string(topics[i]));
        parsed p = parse_json(NULL, IC, doc);
        expect_ok(&p, 0);
        parsed_free(&p);
    }
}
END_TEST

START_TEST(test_not_a_notification_is_rejected)
{
    parsed p = parse_json(NULL, IC, json_text("{\"type\": \"conversation\", \"id\": \"1\"}"));
    expect_reject(&p, "validation", "intercom: type: expected notification_event");
    parsed_free(&p);
}
END_TEST

START_TEST(test_malformed_topic_is_rejected)
{
    static const char *const bad[] = {"conversation", "conversation.", "conversation.admin.Re plied",
                                      ".created"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *doc = fixture_json(IC, "conversation_admin_replied.json");
        json_object_set_new(doc, "topic", json_string(bad[i]));
        parsed p = parse_json(NULL, IC, doc);
        expect_reject(&p, "validation",
                      "intercom: topic: expected <object>.<event>, e.g. conversation.admin.replied");
        parsed_free(&p);
    }
}
END_TEST

START_TEST(test_missing_item_and_item_id_are_rejected)
{
    json_t *doc = fixture_json(IC, "conversation_admin_replied.json");
    json_object_del(json_object_get(doc, "data"), "item");
    parsed p = parse_json(NULL, IC, doc);
    expect_reject(&p, "validation", "intercom: data.item: missing");
    parsed_free(&p);
    doc = fixture_json(IC, "conversation_admin_replied.json");
    json_object_del(jpath(doc, "data.item"), "id");
    p = parse_json(NULL, IC, doc);
    expect_reject(&p, "validation", "intercom: data.item.id: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_company_without_an_id_is_rejected)
{
    json_t *doc = fixture_json(IC, "company_created.json");
    json_object_del(jpath(doc, "data.item"), "id");
    parsed p = parse_json(NULL, IC, doc);
    expect_reject(&p, "validation", "intercom: data.item.id: missing");
    parsed_free(&p);
}
END_TEST

START_TEST(test_overlong_ids_are_rejected)
{
    json_t *doc = fixture_json(IC, "conversation_admin_replied.json");
    char big[1100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_object_set_new(jpath(doc, "data.item.user"), "id", json_string(big));
    parsed p = parse_json(NULL, IC, doc);
    expect_reject(&p, "validation", "intercom: data.item.user.id: expected an id of at most 1024 bytes");
    parsed_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_intercom");
    TCase *tc = tcase_create("conversations");
    tcase_add_test(tc, test_conversation_created_is_a_new_high_priority_ticket_with_its_company);
    tcase_add_test(tc, test_admin_assigned_records_the_assignee);
    tcase_add_test(tc, test_admin_replied);
    tcase_add_test(tc, test_admin_closed_has_status_closed);
    tcase_add_test(tc, test_a_redelivered_notification_keeps_its_event_id);
    tcase_add_test(tc, test_not_priority_is_normal_and_other_values_are_rejected);
    tcase_add_test(tc, test_newer_api_author_stands_in_for_the_user);
    suite_add_tcase(s, tc);
    tc = tcase_create("tickets_and_companies");
    tcase_add_test(tc, test_ticket_created_uses_the_visible_ticket_id_state_and_title);
    tcase_add_test(tc, test_ticket_state_updated_is_an_update);
    tcase_add_test(tc, test_company_created_teaches_its_salesforce_account);
    tcase_add_test(tc, test_contact_attached_to_a_company);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_ping_and_contact_topics_are_ignored);
    tcase_add_test(tc, test_not_a_notification_is_rejected);
    tcase_add_test(tc, test_malformed_topic_is_rejected);
    tcase_add_test(tc, test_missing_item_and_item_id_are_rejected);
    tcase_add_test(tc, test_company_without_an_id_is_rejected);
    tcase_add_test(tc, test_overlong_ids_are_rejected);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
