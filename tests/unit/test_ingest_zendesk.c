/* test_ingest_zendesk.c -- Zendesk EventBridge, webhook and Integration Services
 * events -> SourceEvents. */
#include "test_ingest_support.h"

#define ZD "zendesk"
#define ORG_ID "36000123456"
#define REQUESTER_ID "381234567890"

/* ==== Tickets ==== */

START_TEST(test_eventbridge_ticket_created_is_a_created_ticket)
{
    parsed p = parse_fixture(NULL, ZD, "eventbridge_ticket_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    /* meta.occurred_at 2024-07-01T14:02:09.118734206Z, nanoseconds cut to ms */
    expect_event(e, "zendesk:6f0c2e4a-8b1d-4c3e-9f7a-2d5b8e1c0a96", ZD, "support.ticket", "create",
                 INT64_C(1719842529118));
    expect_ids(e, "zendesk_org", ORG_ID, "zendesk_requester", REQUESTER_ID, NULL);
    expect_attrs(e, "ticket_id", "48213", "event", "created", "status", "new", "priority", "high",
                 "type", "incident", "tags", "district,rostering,urgent", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_eventbridge_status_changed_is_snake_cased)
{
    parsed p = parse_fixture(NULL, ZD, "eventbridge_status_changed.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "zendesk:c41d7a2e-5f3b-4e8c-a0d9-1b6e2f7c8d34", ZD, "support.ticket", "update",
                 INT64_C(1719847844902));
    expect_ids(e, "zendesk_org", ORG_ID, "zendesk_requester", REQUESTER_ID, NULL);
    expect_attrs(e, "ticket_id", "48213", "event", "status_changed", "status", "open", "priority",
                 "high", "type", "incident", "tags", "district,rostering,urgent", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_eventbridge_time_is_used_without_meta_occurred_at)
{
    json_t *doc = fixture_json(ZD, "eventbridge_ticket_created.json");
    json_object_del(jpath(doc, "detail.ticket_event.meta"), "occurred_at");
    parsed p = parse_json(NULL, ZD, doc);
    expect_ok(&p, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(event_at(&p, 0), "occurred_at")),
                     INT64_C(1719842531000));
    parsed_free(&p);
}
END_TEST

START_TEST(test_webhook_ticket_created_is_a_created_ticket)
{
    parsed p = parse_fixture(NULL, ZD, "webhook_ticket_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "zendesk:01J1Z8QK4M6T2V9X3B5N7P0R8S", ZD, "support.ticket", "create",
                 INT64_C(1719909677000));
    expect_ids(e, "zendesk_org", ORG_ID, "zendesk_requester", REQUESTER_ID, NULL);
    expect_attrs(e, "ticket_id", "48214", "event", "created", "status", "open", "priority", "high",
                 "type", "incident", "subject", "Rostering sync failed for 3 schools", "tags",
                 "rostering,sync", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_webhook_priority_changed)
{
    parsed p = parse_fixture(NULL, ZD, "webhook_ticket_priority_changed.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "zendesk:01J1Z9C2W8E4R6T1Y3U5I7O9P0", ZD, "support.ticket", "update",
                 INT64_C(1719911152000));
    expect_ids(e, "zendesk_org", ORG_ID, "zendesk_requester", REQUESTER_ID, NULL);
    expect_attrs(e, "ticket_id", "48214", "event", "priority_changed", "status", "open",
                 "priority", "urgent", "type", "incident", "subject",
                 "Rostering sync failed for 3 schools", "tags", "escalated,rostering,sync", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_integration_services_event_id_comes_from_meta_sequence)
{
    parsed p = parse_fixture(NULL, ZD, "integration_ticket_agent_assignment_changed.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "zendesk:0D9C8B7A6F5E4D3C2B1A0F9E8D7C6B5A:1", ZD, "support.ticket", "update",
                 INT64_C(1719847844000));
    expect_ids(e, "zendesk_org", ORG_ID, "zendesk_requester", REQUESTER_ID, NULL);
    expect_attrs(e, "ticket_id", "48213", "event", "agent_assignment_changed", "status", "new",
                 "priority", "high", "type", "incident", "tags", "district,rostering,urgent", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_ticket_without_organization_has_no_org_id)
{
    json_t *doc = fixture_json(ZD, "webhook_ticket_created.json");
    json_object_set_new(jpath(doc, "detail"), "organization_id", json_string("0"));
    parsed p = parse_json(NULL, ZD, json_incref(doc));
    expect_ok(&p, 1);
    expect_ids(event_at(&p, 0), "zendesk_requester", REQUESTER_ID, NULL);
    parsed_free(&p);
    json_object_set_new(jpath(doc, "detail"), "organization_id", json_null());
    p = parse_json(NULL, ZD, doc);
    expect_ok(&p, 1);
    expect_ids(event_at(&p, 0), "zendesk_requester", REQUESTER_ID, NULL);
    parsed_free(&p);
}
END_TEST

/* ==== Organizations ==== */

START_TEST(test_eventbridge_organization_name_changed)
{
    parsed p = parse_fixture(NULL, ZD, "eventbridge_organization_name_changed.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "zendesk:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", ZD, "support.organization",
                 "update", INT64_C(1718961301000));
    expect_ids(e, "zendesk_org", ORG_ID, "zendesk_org_external", "001Hs00002XyZ7QIAV", NULL);
    expect_attrs(e, "name", "Lakeview Unified School District", "event", "name_changed", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_webhook_organization_created)
{
    parsed p = parse_fixture(NULL, ZD, "webhook_organization_created.json");
    expect_ok(&p, 1);
    const json_t *e = event_at(&p, 0);
    expect_event(e, "zendesk:3e9b1f6a-7c2d-4a85-b0e4-5d6c7b8a9f10", ZD, "support.organization",
                 "create", INT64_C(1719573605000));
    expect_ids(e, "zendesk_org", "36000123999", "zendesk_org_external", "001Hs00002XzA1RIAV",
               NULL);
    expect_attrs(e, "name", "Brookfield Area School District", "event", "created", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_organization_domain_names_give_the_domain)
{
    json_t *doc = fixture_json(ZD, "webhook_organization_created.json");
    json_object_set_new(jpath(doc, "detail"), "domain_names",
                        json_pack("[s,s]", "Brookfield.k12.wi.us", "basd.org"));
    parsed p = parse_json(NULL, ZD, doc);
    expect_ok(&p, 1);
    expect_ids(event_at(&p, 0), "zendesk_org", "36000123999", "zendesk_org_external",
               "001Hs00002XzA1RIAV", "domain", "brookfield.k12.wi.us", NULL);
    parsed_free(&p);
}
END_TEST

START_TEST(test_organization_deleted_is_a_delete)
{
    json_t *doc = fixture_json(ZD, "webhook_organization_created.json");
    json_object_set_new(doc, "type", json_string("zen:event-type:organization.deleted"));
    parsed p = parse_json(NULL, ZD, doc);
    expect_ok(&p, 1);
    ck_assert_str_eq(str_of(event_at(&p, 0), "action"), "delete");
    ck_assert_str_eq(str_of(json_object_get(event_at(&p, 0), "attributes"), "event"), "deleted");
    parsed_free(&p);
}
END_TEST

START_TEST(test_user_events_are_ignored)
{
    parsed p = parse_fixture(NULL, ZD, "webhook_user_created.json");
    expect_ok(&p, 0);
    ck_assert_int_eq(p.ignored, 1);
    parsed_free(&p);
}
END_TEST

/* ==== Bad input ==== */

static void expect_invalid(const char *fixture, void (*edit)(json_t *doc), const char *msg)
{
    json_t *doc = fixture_json(ZD, fixture);
    edit(doc);
    parsed p = parse_json(NULL, ZD, doc);
    expect_reject(&p, "validation", msg);
    parsed_free(&p);
}

static void drop_id(json_t *doc)
{
    json_object_del(doc, "id");
}
static void drop_ticket_id(json_t *doc)
{
    json_object_del(jpath(doc, "detail.ticket_event.ticket"), "id");
}
static void drop_ticket(json_t *doc)
{
    json_object_del(jpath(doc, "detail.ticket_event"), "ticket");
}
static void drop_ticket_event(json_t *doc)
{
    json_object_del(jpath(doc, "detail"), "ticket_event");
}
static void drop_sequence(json_t *doc)
{
    json_object_del(jpath(doc, "input.ticket_event.meta"), "sequence");
}
static void tag_number(json_t *doc)
{
    json_array_set_new(jpath(doc, "detail.tags"), 1, json_integer(7));
}
static void status_number(json_t *doc)
{
    json_object_set_new(jpath(doc, "detail"), "status", json_integer(2));
}
static void org_id_bool(json_t *doc)
{
    json_object_set_new(jpath(doc, "detail.ticket_event.ticket"), "organization_id", json_true());
}
static void detail_string(json_t *doc)
{
    json_object_set_new(doc, "detail", json_string("{}"));
}
static void drop_time_everywhere(json_t *doc)
{
    json_object_del(doc, "time");
    json_object_del(jpath(doc, "detail"), "updated_at");
}
static void not_zendesk(json_t *doc)
{
    json_object_set_new(doc, "type", json_string("ticket.created"));
}
static void organization_without_id(json_t *doc)
{
    json_object_del(jpath(doc, "detail.organization_event.organization"), "id");
}

START_TEST(test_missing_event_id_is_validation)
{
    expect_invalid("eventbridge_ticket_created.json", drop_id, "zendesk: id: missing");
    expect_invalid("webhook_ticket_created.json", drop_id, "zendesk: id: missing");
    expect_invalid("integration_ticket_agent_assignment_changed.json", drop_sequence,
                   "zendesk: input.ticket_event.meta.sequence: missing");
}
END_TEST

START_TEST(test_ticket_without_id_is_validation)
{
    expect_invalid("eventbridge_ticket_created.json", drop_ticket_id,
                   "zendesk: detail.ticket_event.ticket.id: missing");
    expect_invalid("eventbridge_ticket_created.json", drop_ticket,
                   "zendesk: detail.ticket_event.ticket: missing");
    expect_invalid("eventbridge_ticket_created.json", drop_ticket_event,
                   "zendesk: detail.ticket_event: missing");
    expect_invalid("eventbridge_organization_name_changed.json", organization_without_id,
                   "zendesk: detail.organization_event.organization.id: missing");
}
END_TEST

START_TEST(test_fields_of_wrong_type_are_validation)
{
    expect_invalid("webhook_ticket_priority_changed.json", tag_number,
                   "zendesk: detail.tags[1]: expected string");
    expect_invalid("webhook_ticket_created.json", status_number,
                   "zendesk: detail.status: expected string");
    expect_invalid("eventbridge_ticket_created.json", org_id_bool,
                   "zendesk: detail.ticket_event.ticket.organization_id: expected string or "
                   "integer");
    expect_invalid("webhook_ticket_created.json", detail_string,
                   "zendesk: detail: expected object");
}
END_TEST

START_TEST(test_webhook_without_any_time_is_validation)
{
    expect_invalid("webhook_ticket_created.json", drop_time_everywhere,
                   "zendesk: detail.updated_at: missing");
}
END_TEST

START_TEST(test_unrecognized_shape_is_validation)
{
    expect_invalid("webhook_ticket_created.json", not_zendesk,
                   "zendesk: expected an EventBridge event (detail-type), a webhook event (type "
                   "zen:event-type:...) or an Integration Services event (input)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_zendesk");
    TCase *tc = tcase_create("tickets");
    tcase_add_test(tc, test_eventbridge_ticket_created_is_a_created_ticket);
    tcase_add_test(tc, test_eventbridge_status_changed_is_snake_cased);
    tcase_add_test(tc, test_eventbridge_time_is_used_without_meta_occurred_at);
    tcase_add_test(tc, test_webhook_ticket_created_is_a_created_ticket);
    tcase_add_test(tc, test_webhook_priority_changed);
    tcase_add_test(tc, test_integration_services_event_id_comes_from_meta_sequence);
    tcase_add_test(tc, test_ticket_without_organization_has_no_org_id);
    suite_add_tcase(s, tc);

    tc = tcase_create("organizations");
    tcase_add_test(tc, test_eventbridge_organization_name_changed);
    tcase_add_test(tc, test_webhook_organization_created);
    tcase_add_test(tc, test_organization_domain_names_give_the_domain);
    tcase_add_test(tc, test_organization_deleted_is_a_delete);
    tcase_add_test(tc, test_user_events_are_ignored);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_missing_event_id_is_validation);
    tcase_add_test(tc, test_ticket_without_id_is_validation);
    tcase_add_test(tc, test_fields_of_wrong_type_are_validation);
    tcase_add_test(tc, test_webhook_without_any_time_is_validation);
    tcase_add_test(tc, test_unrecognized_shape_is_validation);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
