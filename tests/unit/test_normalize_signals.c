/* test_normalize_signals.c -- specification of revos-normalize's mapping:
 * each SourceEvent kind -> the exact Signal (and the CRM renewal Outcome),
 * and which events are rejected as invalid. */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_codec.h"
#include "normalize/signals.h"

#define ACCT "acct-001A000001LincXYZ"

/* ==== Helpers ==== */

/* A map of strings from NULL-terminated key, value pairs. */
static json_t *strmap(const char *key, ...)
{
    json_t *map = json_object();
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k != NULL; k = va_arg(ap, const char *))
        json_object_set_new(map, k, json_string(va_arg(ap, const char *)));
    va_end(ap);
    return map;
}

/* A SourceEvent; takes ownership of ids and attributes. */
static json_t *event(const char *source, const char *kind, const char *action, json_t *ids,
                     json_t *attributes)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:i, s:I}", "event_id",
                     "evt-1", "source", source, "kind", kind, "action", action, "occurred_at",
                     (json_int_t)1767225600000LL, "ids", ids, "attributes", attributes,
                     "raw_topic", "revos.raw.test", "raw_partition", 2, "raw_offset",
                     (json_int_t)4711);
}

/* Maps ev (consumed) and returns its only signal (new reference); the outcome
 * goes to *outcome when outcome is not NULL, else must be NULL. */
static json_t *map_one_rules(json_t *ev, const json_t *rules, json_t **outcome)
{
    ck_assert_int_eq(revos_norm_validate(ev, NULL), REVOS_OK);
    json_t *signals = json_array();
    json_t *out = NULL;
    revos_err err;
    ck_assert_int_eq(revos_norm_map_event(ev, ACCT, rules, signals, &out, &err), REVOS_OK);
    ck_assert_uint_eq(json_array_size(signals), 1);
    json_t *sig = json_incref(json_array_get(signals, 0));
    json_decref(signals);
    json_decref(ev);
    if (outcome != NULL)
        *outcome = out;
    else
        ck_assert_ptr_null(out);
    return sig;
}

static json_t *map_one(json_t *ev, json_t **outcome)
{
    return map_one_rules(ev, NULL, outcome);
}

static const char *s(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

static void assert_attributes(const json_t *sig, json_t *expected)
{
    const json_t *got = json_object_get(sig, "attributes");
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    char *e = json_dumps(expected, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_str_eq(g, e);
    free(g);
    free(e);
    json_decref(expected);
}

static void assert_kind(const json_t *sig, const char *family, const char *type,
                        const char *severity)
{
    ck_assert_str_eq(s(sig, "family"), family);
    ck_assert_str_eq(s(sig, "type"), type);
    ck_assert_str_eq(s(sig, "severity"), severity);
}

static void assert_value(const json_t *sig, double value)
{
    const json_t *v = json_object_get(sig, "value");
    ck_assert_msg(json_is_real(v), "value is not a number");
    ck_assert_double_eq(json_real_value(v), value);
}

static json_t *nps(const char *score, const char *comment)
{
    json_t *attrs = strmap("vendor", "delighted", "score", score, "response_id", "r-77", NULL);
    if (comment != NULL)
        json_object_set_new(attrs, "comment", json_string(comment));
    return event("nps", "nps.response", "event",
                 strmap("email", "jane@lincoln.k12.ca.us", "domain", "lincoln.k12.ca.us", NULL),
                 attrs);
}

static json_t *ticket(const char *what, const char *priority)
{
    return event("zendesk", "support.ticket", "event",
                 strmap("zendesk_org", "360001", "zendesk_requester", "9001", NULL),
                 strmap("ticket_id", "35436", "event", what, "status", "open", "priority",
                        priority, "subject", "Rostering fails", NULL));
}

static json_t *opportunity(const char *renewal, const char *is_closed, const char *is_won,
                           const char *stage)
{
    return event("salesforce", "crm.opportunity", "update",
                 strmap("salesforce_opportunity", "006A000000RenewAAA", "salesforce_account",
                        "001A000001LincXYZ", NULL),
                 strmap("amount", "180000", "close_date", "2026-12-08", "stage", stage,
                        "is_closed", is_closed, "is_won", is_won, "type", "Renewal", "name",
                        "Lincoln FY27", "owner", "005A", "renewal", renewal, NULL));
}

/* ==== Envelope ==== */

START_TEST(test_signal_carries_id_account_time_and_provenance)
{
    json_t *sig = map_one(ticket("created", "low"), NULL);
    ck_assert_str_eq(s(sig, "signal_id"), "sig:evt-1");
    ck_assert_str_eq(s(sig, "account_id"), ACCT);
    ck_assert_int_eq(json_integer_value(json_object_get(sig, "occurred_at")), 1767225600000LL);
    ck_assert_str_eq(s(sig, "source_event_id"), "evt-1");
    ck_assert_str_eq(s(sig, "source"), "zendesk");
    ck_assert_str_eq(s(sig, "source_topic"), "revos.raw.test");
    ck_assert_int_eq(json_integer_value(json_object_get(sig, "source_partition")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(sig, "source_offset")), 4711);
    json_decref(sig);
}
END_TEST

START_TEST(test_same_event_maps_to_identical_signal)
{
    json_t *a = map_one(nps("3", "Rostering keeps failing"), NULL);
    json_t *b = map_one(nps("3", "Rostering keeps failing"), NULL);
    ck_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}
END_TEST

/* ==== crm.account ==== */

START_TEST(test_account_becomes_institutional_profile_with_team_and_arr)
{
    json_t *sig = map_one(
        event("salesforce", "crm.account", "create",
              strmap("salesforce_account", "001A000001LincXYZ", "domain", "lincoln.k12.ca.us",
                     NULL),
              strmap("name", "Lincoln Unified", "ae", "Ann Lee", "csm", "Bo Ray", "csm_lead",
                     "Cy Dunn", "arr", "180000", "segment", "K12 District", "industry", "Edu",
                     NULL)),
        NULL);
    assert_kind(sig, "institutional", "account_profile", "info");
    assert_value(sig, 180000);
    assert_attributes(sig, strmap("name", "Lincoln Unified", "ae", "Ann Lee", "csm", "Bo Ray",
                                  "csm_lead", "Cy Dunn", "arr", "180000", "segment",
                                  "K12 District", "domain", "lincoln.k12.ca.us", NULL));
    ck_assert_str_eq(s(sig, "evidence"),
                     "Account Lincoln Unified profile: ARR $180,000, segment K12 District, "
                     "AE Ann Lee, CSM Bo Ray, CSM lead Cy Dunn");
    json_decref(sig);
}
END_TEST

START_TEST(test_account_without_arr_has_no_value_and_only_present_attributes)
{
    json_t *sig = map_one(event("salesforce", "crm.account", "update",
                                strmap("salesforce_account", "001A000001LincXYZ", NULL),
                                strmap("csm", "Dee Fox", NULL)),
                          NULL);
    ck_assert(json_is_null(json_object_get(sig, "value")));
    assert_attributes(sig, strmap("csm", "Dee Fox", NULL));
    ck_assert_str_eq(s(sig, "evidence"), "Account 001A000001LincXYZ profile: CSM Dee Fox");
    json_decref(sig);
}
END_TEST

/* ==== crm.opportunity ==== */

START_TEST(test_renewal_opportunity_becomes_procurement_signal_valued_at_amount)
{
    json_t *sig = map_one(opportunity("true", "false", "false", "Negotiation"), NULL);
    assert_kind(sig, "procurement", "renewal_opportunity", "info");
    assert_value(sig, 180000);
    assert_attributes(sig, strmap("opportunity_id", "006A000000RenewAAA", "close_date",
                                  "2026-12-08", "stage", "Negotiation", "is_closed", "false",
                                  "is_won", "false", "amount", "180000", NULL));
    ck_assert_str_eq(s(sig, "evidence"),
                     "Renewal opportunity 006A000000RenewAAA $180,000 closing 2026-12-08");
    json_decref(sig);
}
END_TEST

START_TEST(test_other_opportunity_becomes_expansion_signal)
{
    json_t *sig = map_one(
        event("salesforce", "crm.opportunity", "create",
              strmap("salesforce_opportunity", "006A000000ExpndAAA", NULL),
              strmap("amount", "24500.5", "close_date", "2026-03-01", "stage", "Prospecting",
                     "is_closed", "false", "is_won", "false", "renewal", "false", NULL)),
        NULL);
    assert_kind(sig, "expansion", "opportunity", "info");
    assert_value(sig, 24500.5);
    assert_attributes(sig, strmap("opportunity_id", "006A000000ExpndAAA", "close_date",
                                  "2026-03-01", "stage", "Prospecting", "is_closed", "false",
                                  "is_won", "false", "amount", "24500.5", NULL));
    ck_assert_str_eq(s(sig, "evidence"),
                     "Opportunity 006A000000ExpndAAA $24,500.50 closing 2026-03-01");
    json_decref(sig);
}
END_TEST

START_TEST(test_closed_won_renewal_also_yields_renewed_outcome)
{
    json_t *outcome = NULL;
    json_t *sig = map_one(opportunity("true", "true", "true", "Closed Won"), &outcome);
    ck_assert_str_eq(s(sig, "evidence"),
                     "Renewal opportunity 006A000000RenewAAA $180,000 closed Closed Won");
    ck_assert_ptr_nonnull(outcome);
    ck_assert_str_eq(s(outcome, "outcome_id"), "crm:006A000000RenewAAA:closed");
    ck_assert_str_eq(s(outcome, "kind"), "crm_renewal");
    ck_assert_str_eq(s(outcome, "result"), "renewed");
    ck_assert_str_eq(s(outcome, "account_id"), ACCT);
    ck_assert(json_is_null(json_object_get(outcome, "play_id")));
    ck_assert(json_is_null(json_object_get(outcome, "task_id")));
    ck_assert(json_is_null(json_object_get(outcome, "page_id")));
    ck_assert_str_eq(s(outcome, "actor"), "crm");
    ck_assert_int_eq(json_integer_value(json_object_get(outcome, "occurred_at")),
                     1767225600000LL);
    ck_assert_str_eq(s(outcome, "note"), "Renewal opportunity 006A000000RenewAAA closed Closed Won");
    json_decref(outcome);
    json_decref(sig);
}
END_TEST

START_TEST(test_closed_lost_renewal_yields_churned_outcome)
{
    json_t *outcome = NULL;
    json_t *sig = map_one(opportunity("true", "true", "false", "Closed Lost"), &outcome);
    ck_assert_ptr_nonnull(outcome);
    ck_assert_str_eq(s(outcome, "result"), "churned");
    ck_assert_str_eq(s(outcome, "note"),
                     "Renewal opportunity 006A000000RenewAAA closed Closed Lost");
    json_decref(outcome);
    json_decref(sig);
}
END_TEST

START_TEST(test_closed_non_renewal_opportunity_yields_no_outcome)
{
    json_t *outcome = NULL;
    json_t *sig = map_one(opportunity("false", "true", "true", "Closed Won"), &outcome);
    assert_kind(sig, "expansion", "opportunity", "info");
    ck_assert_ptr_null(outcome);
    json_decref(sig);
}
END_TEST

/* ==== crm.contact_role, crm.contact ==== */

START_TEST(test_contact_role_becomes_stakeholder_signal_with_its_facts)
{
    json_t *sig = map_one(
        event("salesforce", "crm.contact_role", "create",
              strmap("salesforce_opportunity", "006A000000RenewAAA", "salesforce_contact",
                     "003A000000JaneAAA", NULL),
              strmap("contact_role_id", "00KA0000001", "role", "Decision Maker", "is_primary",
                     "true", "role_class", "champion", NULL)),
        NULL);
    assert_kind(sig, "stakeholder", "contact_role", "info");
    ck_assert(json_is_null(json_object_get(sig, "value")));
    assert_attributes(sig, strmap("contact_id", "003A000000JaneAAA", "role", "Decision Maker",
                                  "role_class", "champion", "is_primary", "true",
                                  "opportunity_id", "006A000000RenewAAA", "contact_role_id",
                                  "00KA0000001", "action", "create", NULL));
    ck_assert_str_eq(s(sig, "evidence"), "Contact 003A000000JaneAAA added as Decision Maker "
                                         "(champion, primary) on opportunity 006A000000RenewAAA");
    json_decref(sig);
}
END_TEST

START_TEST(test_deleted_champion_role_stays_info_and_says_delete)
{
    json_t *sig = map_one(
        event("salesforce", "crm.contact_role", "delete",
              strmap("salesforce_opportunity", "006A000000RenewAAA", "salesforce_contact",
                     "003A000000JaneAAA", NULL),
              strmap("contact_role_id", "00KA0000001", "role", "Decision Maker", "role_class",
                     "champion", NULL)),
        NULL);
    assert_kind(sig, "stakeholder", "contact_role", "info");
    ck_assert_str_eq(s(json_object_get(sig, "attributes"), "action"), "delete");
    ck_assert_str_eq(s(sig, "evidence"), "Contact 003A000000JaneAAA removed as Decision Maker "
                                         "(champion) from opportunity 006A000000RenewAAA");
    json_decref(sig);
}
END_TEST

START_TEST(test_contact_becomes_stakeholder_contact)
{
    json_t *sig = map_one(
        event("salesforce", "crm.contact", "update",
              strmap("salesforce_contact", "003A000000JaneAAA", "salesforce_account",
                     "001A000001LincXYZ", "email", "jane@lincoln.k12.ca.us", "domain",
                     "lincoln.k12.ca.us", NULL),
              strmap("name", "Jane Park", "title", "Director of Technology", NULL)),
        NULL);
    assert_kind(sig, "stakeholder", "contact", "info");
    assert_attributes(sig, strmap("contact_id", "003A000000JaneAAA", "title",
                                  "Director of Technology", "email", "jane@lincoln.k12.ca.us",
                                  "name", "Jane Park", NULL));
    ck_assert_str_eq(s(sig, "evidence"), "Contact Jane Park (Director of Technology) "
                                         "jane@lincoln.k12.ca.us updated");
    json_decref(sig);
}
END_TEST

/* ==== usage.track ==== */

START_TEST(test_track_becomes_product_usage_valued_at_quantity)
{
    json_t *sig = map_one(event("segment", "usage.track", "event",
                                strmap("segment_user", "u-42", "segment_group", "g-7", NULL),
                                strmap("event", "Assignment Created", "quantity", "3", NULL)),
                          NULL);
    assert_kind(sig, "usage", "product_usage", "info");
    assert_value(sig, 3);
    assert_attributes(sig, strmap("event", "Assignment Created", "user", "u-42", NULL));
    ck_assert_str_eq(s(sig, "evidence"), "Product event 'Assignment Created' by user u-42 (x3)");
    json_decref(sig);
}
END_TEST

START_TEST(test_track_without_quantity_counts_one)
{
    json_t *sig = map_one(event("segment", "usage.track", "event",
                                strmap("segment_user", "u-42", NULL),
                                strmap("event", "Logged In", NULL)),
                          NULL);
    assert_value(sig, 1);
    ck_assert_str_eq(s(sig, "evidence"), "Product event 'Logged In' by user u-42");
    json_decref(sig);
}
END_TEST

/* ==== support.ticket ==== */

START_TEST(test_high_priority_ticket_opened_is_warning)
{
    json_t *sig = map_one(ticket("created", "high"), NULL);
    assert_kind(sig, "health", "ticket_opened", "warning");
    ck_assert(json_is_null(json_object_get(sig, "value")));
    assert_attributes(sig, strmap("ticket_id", "35436", "status", "open", "priority", "high",
                                  "subject", "Rostering fails", "event", "created", NULL));
    ck_assert_str_eq(s(sig, "evidence"), "Zendesk ticket 35436 opened (priority high)");
    json_decref(sig);
}
END_TEST

START_TEST(test_urgent_ticket_opened_is_warning)
{
    json_t *sig = map_one(ticket("created", "urgent"), NULL);
    assert_kind(sig, "health", "ticket_opened", "warning");
    json_decref(sig);
}
END_TEST

START_TEST(test_normal_priority_ticket_opened_is_info)
{
    json_t *sig = map_one(ticket("created", "normal"), NULL);
    assert_kind(sig, "health", "ticket_opened", "info");
    ck_assert_str_eq(s(sig, "evidence"), "Zendesk ticket 35436 opened (priority normal)");
    json_decref(sig);
}
END_TEST

START_TEST(test_ticket_status_change_is_info_ticket_updated)
{
    json_t *ev = ticket("status_changed", "high");
    json_object_set_new(json_object_get(ev, "attributes"), "status", json_string("solved"));
    json_t *sig = map_one(ev, NULL);
    assert_kind(sig, "health", "ticket_updated", "info");
    ck_assert_str_eq(s(sig, "evidence"), "Zendesk ticket 35436 status changed to solved");
    json_decref(sig);
}
END_TEST

START_TEST(test_ticket_priorities_that_warn_come_from_rules)
{
    json_t *rules = json_pack("{s:[s]}", "ticket_warning_priorities", "normal");
    json_t *sig = map_one_rules(ticket("created", "normal"), rules, NULL);
    assert_kind(sig, "health", "ticket_opened", "warning");
    json_decref(sig);
    sig = map_one_rules(ticket("created", "high"), rules, NULL);
    assert_kind(sig, "health", "ticket_opened", "info");
    json_decref(sig);
    json_decref(rules);
}
END_TEST

/* ==== nps ==== */

START_TEST(test_detractor_nps_response_is_warning_with_quoted_comment)
{
    json_t *sig = map_one(nps("3", "Rostering keeps failing"), NULL);
    assert_kind(sig, "engagement", "nps_response", "warning");
    assert_value(sig, 3);
    assert_attributes(sig, strmap("vendor", "delighted", "comment", "Rostering keeps failing",
                                  "email", "jane@lincoln.k12.ca.us", "response_id", "r-77",
                                  NULL));
    ck_assert_str_eq(s(sig, "evidence"), "NPS 3 from jane@lincoln.k12.ca.us (Delighted): "
                                         "'Rostering keeps failing'");
    json_decref(sig);
}
END_TEST

START_TEST(test_nps_six_is_warning_and_seven_is_info)
{
    json_t *sig = map_one(nps("6", NULL), NULL);
    ck_assert_str_eq(s(sig, "severity"), "warning");
    ck_assert_str_eq(s(sig, "evidence"), "NPS 6 from jane@lincoln.k12.ca.us (Delighted)");
    json_decref(sig);
    sig = map_one(nps("7", NULL), NULL);
    ck_assert_str_eq(s(sig, "severity"), "info");
    json_decref(sig);
}
END_TEST

START_TEST(test_promoter_nps_response_is_info)
{
    json_t *sig = map_one(nps("9", "Love it"), NULL);
    assert_kind(sig, "engagement", "nps_response", "info");
    assert_value(sig, 9);
    json_decref(sig);
}
END_TEST

START_TEST(test_nps_warning_threshold_comes_from_rules)
{
    json_t *rules = json_pack("{s:i}", "nps_warning_max", 4);
    json_t *sig = map_one_rules(nps("5", NULL), rules, NULL);
    ck_assert_str_eq(s(sig, "severity"), "info");
    json_decref(sig);
    json_decref(rules);
}
END_TEST

START_TEST(test_long_comment_is_cut_whole_characters_and_one_line)
{
    /* 119 ASCII bytes, then "é" (2 bytes) straddles the 120-byte limit. */
    char comment[256];
    memset(comment, 'a', 119);
    strcpy(comment + 119, "\xc3\xa9 and\nmore");
    json_t *sig = map_one(nps("2", comment), NULL);
    char expected[256];
    strcpy(expected, "NPS 2 from jane@lincoln.k12.ca.us (Delighted): '");
    size_t n = strlen(expected);
    memset(expected + n, 'a', 119);
    strcpy(expected + n + 119, "...'");
    ck_assert_str_eq(s(sig, "evidence"), expected);
    json_decref(sig);
}
END_TEST

START_TEST(test_comment_whitespace_collapses_to_single_spaces)
{
    json_t *sig = map_one(nps("4", "  Too\n\nslow\t today  "), NULL);
    ck_assert_str_eq(s(sig, "evidence"),
                     "NPS 4 from jane@lincoln.k12.ca.us (Delighted): 'Too slow today'");
    json_decref(sig);
}
END_TEST

START_TEST(test_nps_decline_is_info_without_value)
{
    json_t *sig = map_one(
        event("nps", "nps.decline", "event",
              strmap("email", "jane@lincoln.k12.ca.us", "domain", "lincoln.k12.ca.us", NULL),
              strmap("vendor", "delighted", "response_id", "r-78", NULL)),
        NULL);
    assert_kind(sig, "engagement", "nps_declined", "info");
    ck_assert(json_is_null(json_object_get(sig, "value")));
    assert_attributes(sig, strmap("vendor", "delighted", "email", "jane@lincoln.k12.ca.us",
                                  "response_id", "r-78", NULL));
    ck_assert_str_eq(s(sig, "evidence"),
                     "NPS survey declined by jane@lincoln.k12.ca.us (Delighted)");
    json_decref(sig);
}
END_TEST

/* ==== identity-only kinds ==== */

START_TEST(test_identity_only_kinds_yield_no_records)
{
    json_t *evs[3] = {
        event("segment", "usage.group", "event",
              strmap("segment_group", "g-7", "segment_user", "u-42", NULL),
              strmap("name", "Lincoln", NULL)),
        event("segment", "usage.identify", "event", strmap("segment_user", "u-42", NULL),
              json_object()),
        event("zendesk", "support.organization", "update", strmap("zendesk_org", "360001", NULL),
              strmap("name", "Lincoln", NULL))};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(revos_norm_validate(evs[i], NULL), REVOS_OK);
        json_t *signals = json_array();
        json_t *outcome = NULL;
        ck_assert_int_eq(revos_norm_map_event(evs[i], ACCT, NULL, signals, &outcome, NULL),
                         REVOS_OK);
        ck_assert_uint_eq(json_array_size(signals), 0);
        ck_assert_ptr_null(outcome);
        json_decref(signals);
        json_decref(evs[i]);
    }
}
END_TEST

/* ==== Schema conformance ==== */

START_TEST(test_every_record_encodes_with_its_avro_schema)
{
    revos_avro *codec = NULL;
    revos_err err;
    ck_assert_int_eq(revos_avro_open(&codec, NULL, &err), REVOS_OK);
    json_t *outcome = NULL;
    json_t *records[4] = {map_one(nps("3", "slow"), NULL), map_one(ticket("created", "high"), NULL),
                          map_one(opportunity("true", "true", "true", "Closed Won"), &outcome),
                          NULL};
    records[3] = outcome;
    for (int i = 0; i < 4; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        revos_record_type type = i == 3 ? REVOS_REC_OUTCOME : REVOS_REC_SIGNAL;
        revos_status st = revos_avro_encode(codec, type, "revos.signals", records[i], &bytes,
                                            &len, &err);
        ck_assert_msg(st == REVOS_OK, "record %d: %s", i, err.msg);
        free(bytes);
        json_decref(records[i]);
    }
    revos_avro_close(codec);
}
END_TEST

/* ==== Validation ==== */

static void assert_rejected(json_t *ev, const char *message)
{
    revos_err err;
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(revos_norm_validate(ev, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "validation");
    ck_assert_str_eq(err.msg, message);
    json_decref(ev);
}

START_TEST(test_unknown_kind_is_rejected)
{
    assert_rejected(event("market", "market.news", "event", strmap("domain", "x.org", NULL),
                          json_object()),
                    "unknown SourceEvent kind \"market.news\"");
}
END_TEST

START_TEST(test_event_without_event_id_is_rejected)
{
    json_t *ev = nps("3", NULL);
    json_object_del(ev, "event_id");
    assert_rejected(ev, "SourceEvent without a text event_id");
}
END_TEST

START_TEST(test_event_without_ids_is_rejected)
{
    json_t *ev = nps("3", NULL);
    json_object_del(ev, "ids");
    assert_rejected(ev, "nps.response event: ids is not a map of strings");
}
END_TEST

START_TEST(test_opportunity_without_opportunity_id_is_rejected)
{
    assert_rejected(event("salesforce", "crm.opportunity", "update",
                          strmap("salesforce_account", "001A000001LincXYZ", NULL),
                          strmap("amount", "1", NULL)),
                    "crm.opportunity event without ids.salesforce_opportunity (or hubspot_deal, db_opportunity)");
}
END_TEST

START_TEST(test_nps_score_that_is_not_a_number_is_rejected)
{
    assert_rejected(nps("three", NULL),
                    "nps.response score \"three\" is not a number from 0 to 10");
}
END_TEST

START_TEST(test_nps_score_above_ten_is_rejected)
{
    assert_rejected(nps("11", NULL), "nps.response score \"11\" is not a number from 0 to 10");
}
END_TEST

START_TEST(test_id_with_embedded_nul_is_rejected)
{
    json_t *ev = nps("3", NULL);
    json_object_set_new(json_object_get(ev, "ids"), "email", json_stringn("a\0b", 3));
    assert_rejected(ev, "nps.response event: ids is not a map of strings");
}
END_TEST

/* ==== The "signals" config section ==== */

static revos_status rules_check(const char *config_json, revos_err *err)
{
    json_error_t jerr;
    json_t *config = json_loads(config_json, 0, &jerr);
    ck_assert_msg(config != NULL, "bad test JSON: %s", jerr.text);
    revos_status st = revos_norm_rules_check(config, err);
    json_decref(config);
    return st;
}

START_TEST(test_shipped_signals_rules_pass_the_check)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(rules_check("{\"signals\": {\"doc\": \"x\", \"nps_warning_max\": 6,"
                                 " \"ticket_warning_priorities\": [\"high\", \"urgent\"],"
                                 " \"evidence_max_quote\": 120}}", &err), REVOS_OK);
    ck_assert_int_eq(rules_check("{}", &err), REVOS_OK);
}
END_TEST

START_TEST(test_signals_rules_out_of_range_or_mistyped_are_refused_by_key)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(rules_check("{\"signals\": {\"nps_warning_max\": 60}}", &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "signals.nps_warning_max: expected a number in 0..10");
    ck_assert_int_eq(rules_check("{\"signals\": {\"evidence_max_quote\": \"120\"}}", &err),
                     REVOS_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "signals.evidence_max_quote"));
    ck_assert_int_eq(rules_check("{\"signals\": {\"ticket_warning_priorities\": [1]}}", &err),
                     REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "signals.ticket_warning_priorities[0]: expected a priority name");
    ck_assert_int_eq(rules_check("{\"signals\": {\"nps_warn_max\": 6}}", &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "signals.nps_warn_max: unknown key");
}
END_TEST

static Suite *suite(void)
{
    Suite *su = suite_create("normalize_signals");
    TCase *tc = tcase_create("mapping");
    tcase_add_test(tc, test_signal_carries_id_account_time_and_provenance);
    tcase_add_test(tc, test_same_event_maps_to_identical_signal);
    tcase_add_test(tc, test_account_becomes_institutional_profile_with_team_and_arr);
    tcase_add_test(tc, test_account_without_arr_has_no_value_and_only_present_attributes);
    tcase_add_test(tc, test_renewal_opportunity_becomes_procurement_signal_valued_at_amount);
    tcase_add_test(tc, test_other_opportunity_becomes_expansion_signal);
    tcase_add_test(tc, test_closed_won_renewal_also_yields_renewed_outcome);
    tcase_add_test(tc, test_closed_lost_renewal_yields_churned_outcome);
    tcase_add_test(tc, test_closed_non_renewal_opportunity_yields_no_outcome);
    tcase_add_test(tc, test_contact_role_becomes_stakeholder_signal_with_its_facts);
    tcase_add_test(tc, test_deleted_champion_role_stays_info_and_says_delete);
    tcase_add_test(tc, test_contact_becomes_stakeholder_contact);
    tcase_add_test(tc, test_track_becomes_product_usage_valued_at_quantity);
    tcase_add_test(tc, test_track_without_quantity_counts_one);
    tcase_add_test(tc, test_high_priority_ticket_opened_is_warning);
    tcase_add_test(tc, test_urgent_ticket_opened_is_warning);
    tcase_add_test(tc, test_normal_priority_ticket_opened_is_info);
    tcase_add_test(tc, test_ticket_status_change_is_info_ticket_updated);
    tcase_add_test(tc, test_ticket_priorities_that_warn_come_from_rules);
    tcase_add_test(tc, test_detractor_nps_response_is_warning_with_quoted_comment);
    tcase_add_test(tc, test_nps_six_is_warning_and_seven_is_info);
    tcase_add_test(tc, test_promoter_nps_response_is_info);
    tcase_add_test(tc, test_nps_warning_threshold_comes_from_rules);
    tcase_add_test(tc, test_long_comment_is_cut_whole_characters_and_one_line);
    tcase_add_test(tc, test_comment_whitespace_collapses_to_single_spaces);
    tcase_add_test(tc, test_nps_decline_is_info_without_value);
    tcase_add_test(tc, test_identity_only_kinds_yield_no_records);
    tcase_add_test(tc, test_every_record_encodes_with_its_avro_schema);
    suite_add_tcase(su, tc);
    TCase *tv = tcase_create("validation");
    tcase_add_test(tv, test_unknown_kind_is_rejected);
    tcase_add_test(tv, test_event_without_event_id_is_rejected);
    tcase_add_test(tv, test_event_without_ids_is_rejected);
    tcase_add_test(tv, test_opportunity_without_opportunity_id_is_rejected);
    tcase_add_test(tv, test_nps_score_that_is_not_a_number_is_rejected);
    tcase_add_test(tv, test_nps_score_above_ten_is_rejected);
    tcase_add_test(tv, test_id_with_embedded_nul_is_rejected);
    suite_add_tcase(su, tv);
    TCase *tr = tcase_create("rules_check");
    tcase_add_test(tr, test_shipped_signals_rules_pass_the_check);
    tcase_add_test(tr, test_signals_rules_out_of_range_or_mistyped_are_refused_by_key);
    suite_add_tcase(su, tr);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
