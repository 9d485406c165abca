/* test_normalize_sources.c -- the newer sources through revos-normalize's
 * pure layer: each fixture is parsed by revos-ingest (shipped mapping), then
 * resolved by identity and mapped to Signals, as the two workers do.
 * HubSpot companies, deals and contacts; Debezium rows; Intercom companies,
 * contacts and conversations; calls; handoffs and their governance. */
#include "test_ingest_support.h"

#include "normalize/identity.h"
#include "normalize/signals.h"

#define SF_PINE "001Dn00000PineAAA"
#define ACCT_PINE "acct-001Dn00000PineAAA"
#define SF_MAPLE "001Dn00000MapleAAA"
#define ACCT_MAPLE "acct-001Dn00000MapleAAA"

/* ==== Helpers ==== */

/* The SourceEvents of a fixture, parsed with the shipped mapping. */
static json_t *events_of(const char *source, const char *name)
{
    json_t *mapping = mapping_load();
    parsed p = parse_fixture(mapping, source, name);
    json_decref(mapping);
    ck_assert_msg(p.st == REVOS_OK, "%s/%s: %s", source, name, p.err.msg);
    return p.events;
}

/* Validates and applies event; returns its account (malloc'd) or NULL. */
static char *resolve(revos_norm_idmap *map, const json_t *event)
{
    revos_err err;
    ck_assert_msg(revos_norm_validate(event, &err) == REVOS_OK, "%s", err.msg);
    revos_norm_resolution res;
    ck_assert_int_eq(revos_norm_identity_apply(map, event, &res, &err), REVOS_OK);
    char *acct = res.account_id ? strdup(res.account_id) : NULL;
    revos_norm_resolution_clear(&res);
    return acct;
}

/* Applies every event of a fixture; returns the account of the last one. */
static char *resolve_all(revos_norm_idmap *map, const char *source, const char *name)
{
    json_t *events = events_of(source, name);
    char *acct = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        free(acct);
        acct = resolve(map, e);
    }
    json_decref(events);
    return acct;
}

static void expect_account(char *acct, const char *want)
{
    ck_assert_msg(acct != NULL, "unresolved, want %s", want);
    ck_assert_str_eq(acct, want);
    free(acct);
}

/* A Salesforce account with a website, as CRM CDC teaches it. */
static void learn_salesforce_account(revos_norm_idmap *map, const char *sfid, const char *domain)
{
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s}, s:{}, s:s, s:i, s:I}",
                          "event_id", "salesforce:seed", "source", "salesforce", "kind",
                          "crm.account", "action", "create", "occurred_at",
                          (json_int_t)1700000000000, "ids", "salesforce_account", sfid, "domain",
                          domain, "attributes", "raw_topic", "revos.raw.salesforce",
                          "raw_partition", 0, "raw_offset", (json_int_t)0);
    free(resolve(map, e));
    json_decref(e);
}

/* The signals (and outcome) of event for account, with rules. */
static json_t *signals_of(const json_t *event, const char *account, const json_t *rules,
                          json_t **outcome)
{
    json_t *signals = json_array();
    json_t *out = NULL;
    revos_err err;
    ck_assert_int_eq(revos_norm_map_event(event, account, rules, signals, &out, &err), REVOS_OK);
    if (outcome != NULL)
        *outcome = out;
    else
        json_decref(out);
    return signals;
}

static const json_t *signal_at(const json_t *signals, size_t i)
{
    const json_t *s = json_array_get(signals, i);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void expect_signal(const json_t *sig, const char *id, const char *family,
                          const char *type, const char *severity, const char *evidence)
{
    ck_assert_str_eq(str_of(sig, "signal_id"), id);
    ck_assert_str_eq(str_of(sig, "family"), family);
    ck_assert_str_eq(str_of(sig, "type"), type);
    ck_assert_str_eq(str_of(sig, "severity"), severity);
    if (evidence != NULL)
        ck_assert_str_eq(str_of(sig, "evidence"), evidence);
}

/* ==== HubSpot ==== */

START_TEST(test_hubspot_company_with_the_mapped_property_is_the_salesforce_account)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    expect_account(resolve_all(map, "hubspot", "company_batch.json"), ACCT_MAPLE);
    ck_assert_str_eq(revos_norm_idmap_get(map, "hubspot_company", "2277001"), ACCT_MAPLE);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_hubspot_only_company_is_an_account_of_its_own)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    expect_account(resolve_all(map, "hubspot", "company_hubspot_only.json"),
                   "acct-hubspot-2277050");
    ck_assert_str_eq(revos_norm_idmap_get(map, "domain", "cedarhollow.org"),
                     "acct-hubspot-2277050");
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_hubspot_company_moves_to_the_account_owning_its_domain)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    learn_salesforce_account(map, SF_MAPLE, "maplegrove.k12.ca.us");
    json_t *events = events_of("hubspot", "company_batch.json");
    expect_account(resolve(map, json_array_get(events, 0)), "acct-hubspot-2277001");
    free(resolve(map, json_array_get(events, 1)));
    expect_account(resolve(map, json_array_get(events, 2)), ACCT_MAPLE); /* the domain */
    json_decref(events);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_hubspot_deal_follows_its_company_association_and_closes_a_renewal)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    free(resolve_all(map, "hubspot", "company_batch.json"));
    expect_account(resolve_all(map, "hubspot", "deal_association_company.json"), ACCT_MAPLE);
    ck_assert_str_eq(revos_norm_idmap_get(map, "hubspot_deal", "918273645"), ACCT_MAPLE);
    ck_assert_str_eq(revos_norm_idmap_get(map, "hubspot_contact", "5120331"), ACCT_MAPLE);

    free(resolve_all(map, "hubspot", "deal_properties.json")); /* dealtype existingbusiness */
    json_t *events = events_of("hubspot", "deal_stage_closedwon_retry.json");
    revos_norm_resolution res;
    revos_err err;
    ck_assert_int_eq(revos_norm_identity_apply(map, json_array_get(events, 0), &res, &err),
                     REVOS_OK);
    ck_assert_str_eq(res.account_id, ACCT_MAPLE);
    json_t *outcome = NULL;
    json_t *signals = signals_of(res.event, res.account_id, NULL, &outcome);
    expect_signal(signal_at(signals, 0), "sig:hubspot:4417:3390017265", "procurement",
                  "renewal_opportunity", "info",
                  "Renewal opportunity 918273645 closed Closed Won");
    ck_assert_ptr_nonnull(outcome);
    ck_assert_str_eq(str_of(outcome, "outcome_id"), "crm:hubspot:918273645:closed");
    ck_assert_str_eq(str_of(outcome, "result"), "renewed");
    json_decref(outcome);
    json_decref(signals);
    revos_norm_resolution_clear(&res);
    json_decref(events);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_hubspot_deal_waits_for_its_association)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    json_t *events = events_of("hubspot", "deal_stage_closedwon_retry.json");
    char *acct = resolve(map, json_array_get(events, 0));
    ck_assert_ptr_null(acct); /* parked under hubspot_deal by the worker */
    revos_norm_keys keys = {0};
    ck_assert_int_eq(revos_norm_identity_keys(json_array_get(events, 0), &keys), 0);
    ck_assert_uint_eq(keys.n, 1);
    ck_assert_str_eq(keys.items[0].kind, "hubspot_deal");
    revos_norm_keys_free(&keys);
    json_decref(events);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_hubspot_company_without_a_name_is_named_by_its_id)
{
    json_t *events = events_of("hubspot", "company_hubspot_only.json");
    json_t *signals = signals_of(json_array_get(events, 0), "acct-hubspot-2277050", NULL, NULL);
    expect_signal(signal_at(signals, 0), "sig:hubspot:4417:611", "institutional",
                  "account_profile", "info", "Account 2277050 profile updated");
    json_decref(signals);
    json_decref(events);
}
END_TEST

/* ==== Debezium ==== */

START_TEST(test_debezium_account_row_with_a_salesforce_id_is_that_account)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    expect_account(resolve_all(map, "debezium", "account_snapshot_schemaless.json"), ACCT_PINE);
    ck_assert_str_eq(revos_norm_idmap_get(map, "db_account", "7001"), ACCT_PINE);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_debezium_account_row_without_one_is_an_account_of_its_own)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    expect_account(resolve_all(map, "debezium", "account_create_with_schema.json"),
                   "acct-db-7002");
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_debezium_rows_resolve_through_their_key_columns)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    free(resolve_all(map, "debezium", "account_snapshot_schemaless.json"));
    json_t *events = events_of("debezium", "opportunity_update_no_before.json");
    const json_t *opp = json_array_get(events, 0);
    char *acct = resolve(map, opp);
    ck_assert_str_eq(acct, ACCT_PINE);
    json_t *outcome = NULL;
    json_t *signals = signals_of(opp, acct, NULL, &outcome);
    expect_signal(signal_at(signals, 0), "sig:debezium:crmdb:crm.opportunities:9101:u:60011224",
                  "procurement", "renewal_opportunity", "info",
                  "Renewal opportunity 9101 $96,000 closed Closed Won");
    ck_assert_str_eq(str_of(outcome, "outcome_id"), "crm:debezium:9101:closed");
    ck_assert_str_eq(str_of(outcome, "result"), "renewed");
    free(acct);
    json_decref(outcome);
    json_decref(signals);
    json_decref(events);

    expect_account(resolve_all(map, "debezium", "contact_update_with_before.json"), ACCT_PINE);
    expect_account(resolve_all(map, "debezium", "contact_role_create.json"), ACCT_PINE);
    ck_assert_str_eq(revos_norm_idmap_get(map, "db_contact_role", "9101:31"), ACCT_PINE);
    expect_account(resolve_all(map, "debezium", "contact_delete_key_only_before.json"), ACCT_PINE);
    revos_norm_idmap_free(map);
}
END_TEST

/* ==== Intercom ==== */

START_TEST(test_intercom_company_links_to_its_salesforce_account)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    learn_salesforce_account(map, SF_PINE, "pineridge.k12.mn.us");
    expect_account(resolve_all(map, "intercom", "company_created.json"), ACCT_PINE);
    ck_assert_str_eq(revos_norm_idmap_get(map, "intercom_company", "66aa0f11c4e1b70012ab0001"),
                     ACCT_PINE);
    expect_account(resolve_all(map, "intercom", "ticket_created.json"), ACCT_PINE);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_intercom_conversation_resolves_by_its_company_id_as_a_salesforce_id)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    learn_salesforce_account(map, SF_PINE, "pineridge.k12.mn.us");
    expect_account(resolve_all(map, "intercom", "conversation_user_created.json"), ACCT_PINE);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_intercom_contact_attached_teaches_the_contact)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    learn_salesforce_account(map, SF_PINE, "pineridge.k12.mn.us");
    free(resolve_all(map, "intercom", "company_created.json"));
    expect_account(resolve_all(map, "intercom", "company_contact_attached.json"), ACCT_PINE);
    ck_assert_str_eq(revos_norm_idmap_get(map, "intercom_contact", "66aa10f2c4e1b70012ab34cd"),
                     ACCT_PINE);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_intercom_conversation_is_a_ticket_signal)
{
    json_t *events = events_of("intercom", "conversation_user_created.json");
    json_t *signals = signals_of(json_array_get(events, 0), ACCT_PINE, NULL, NULL);
    ck_assert_uint_eq(json_array_size(signals), 1);
    expect_signal(signal_at(signals, 0), "sig:intercom:notif_4c1d9e27-6b0a-4f3e-9a55-0e8f2b7d6c11",
                  "health", "ticket_opened", "warning",
                  "Intercom ticket 208811900000041 opened (priority high)");
    json_decref(signals);
    json_decref(events);
}
END_TEST

/* ==== Calls ==== */

START_TEST(test_call_is_engagement_and_competitor_mentions_are_risk)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    learn_salesforce_account(map, SF_PINE, "pineridge.k12.mn.us");
    json_t *events = events_of("conversation", "call_renewal_competitor.json");
    const json_t *call = json_array_get(events, 0);
    char *acct = resolve(map, call);
    ck_assert_str_eq(acct, ACCT_PINE);
    json_t *signals = signals_of(call, acct, NULL, NULL);
    ck_assert_uint_eq(json_array_size(signals), 2);
    const json_t *held = signal_at(signals, 0);
    expect_signal(held, "sig:conversation:7412098833561290114", "engagement", "call_held",
                  "warning",
                  "Call 'Pine Ridge / RevOS renewal check-in' (45.3 min, 2 external "
                  "participants), sentiment -0.5");
    ck_assert(json_real_value(json_object_get(held, "value")) == 45.3);
    const json_t *competitor = signal_at(signals, 1);
    expect_signal(competitor, "sig:conversation:7412098833561290114:competitor", "risk",
                  "competitor_mentioned", "warning",
                  "5 competitor mentions on a call (Clever,ClassLink): 'Pine Ridge / RevOS "
                  "renewal check-in'");
    ck_assert(json_real_value(json_object_get(competitor, "value")) == 5.0);
    free(acct);
    json_decref(signals);
    json_decref(events);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_calm_call_without_competitors_is_one_info_signal)
{
    json_t *events = events_of("conversation", "call_hubspot_context_no_trackers.json");
    json_t *signals = signals_of(json_array_get(events, 0), "acct-hubspot-2277050", NULL, NULL);
    ck_assert_uint_eq(json_array_size(signals), 1);
    expect_signal(signal_at(signals, 0), "sig:conversation:7412098833561299001", "engagement",
                  "call_held", "info",
                  "Call 'Cedar Hollow discovery' (20 min, 1 external participant)");
    json_decref(signals);
    json_decref(events);
}
END_TEST

/* ==== Handoffs ==== */

START_TEST(test_complete_handoff_is_one_stakeholder_signal)
{
    json_t *events = events_of("handoff", "ae_to_csm_completed.json");
    json_t *signals = signals_of(json_array_get(events, 0), ACCT_PINE, NULL, NULL);
    ck_assert_uint_eq(json_array_size(signals), 1);
    expect_signal(signal_at(signals, 0), "sig:handoff:ho-2024-0930-pine:completed", "stakeholder",
                  "handoff", "info",
                  "Handoff ho-2024-0930-pine (ae_to_csm) completed: ae dana.ko@revos.example -> "
                  "csm li.wen@revos.example");
    json_decref(signals);
    json_decref(events);
}
END_TEST

START_TEST(test_completed_handoff_missing_required_fields_is_a_governance_violation)
{
    json_t *events = events_of("handoff", "csm_to_support_missing_fields.json");
    json_t *signals = signals_of(json_array_get(events, 0), ACCT_PINE, NULL, NULL);
    ck_assert_uint_eq(json_array_size(signals), 2);
    const json_t *v = signal_at(signals, 1);
    expect_signal(v, "sig:handoff:ho-2024-1104-pine-esc:completed:governance", "risk",
                  "handoff_governance_violation", "warning",
                  "Handoff ho-2024-1104-pine-esc (csm_to_support) completed without known risks, "
                  "open commitments");
    ck_assert_str_eq(str_of(json_object_get(v, "attributes"), "missing_fields"),
                     "known_risks,open_commitments");
    ck_assert(json_real_value(json_object_get(v, "value")) == 2.0);
    json_decref(signals);
    json_decref(events);
}
END_TEST

START_TEST(test_required_fields_come_from_the_signals_config)
{
    json_t *rules = json_text("{\"handoff_required_fields\": {\"ae_to_csm\": "
                              "[\"buying_criteria\", \"related_signals\"]}}");
    json_t *events = events_of("handoff", "ae_to_csm_completed.json");
    json_t *signals = signals_of(json_array_get(events, 0), ACCT_PINE, rules, NULL);
    ck_assert_uint_eq(json_array_size(signals), 2);
    ck_assert_str_eq(str_of(json_object_get(signal_at(signals, 1), "attributes"),
                            "missing_fields"),
                     "related_signals");
    json_decref(signals);
    json_decref(events);
    json_decref(rules);
}
END_TEST

START_TEST(test_shipped_signals_config_requires_the_documented_fields)
{
    json_error_t jerr;
    json_t *rules = json_load_file(REVOS_CONFIG_DIR "/signals.json", 0, &jerr);
    ck_assert_ptr_nonnull(rules);
    json_t *events = events_of("handoff", "csm_to_support_missing_fields.json");
    json_t *with_file = signals_of(json_array_get(events, 0), ACCT_PINE, rules, NULL);
    json_t *with_none = signals_of(json_array_get(events, 0), ACCT_PINE, NULL, NULL);
    ck_assert(json_equal(with_file, with_none));
    json_decref(with_file);
    json_decref(with_none);
    json_decref(events);
    json_decref(rules);
}
END_TEST

START_TEST(test_a_handoff_that_is_not_completed_is_never_a_violation)
{
    json_t *events = events_of("handoff", "sdr_to_ae_initiated_hubspot.json");
    json_t *signals = signals_of(json_array_get(events, 0), "acct-hubspot-2277050", NULL, NULL);
    ck_assert_uint_eq(json_array_size(signals), 1);
    ck_assert_str_eq(str_of(signal_at(signals, 0), "type"), "handoff");
    json_decref(signals);
    json_decref(events);
}
END_TEST

/* ==== Validation ==== */

START_TEST(test_new_kinds_are_validated)
{
    json_t *events = events_of("conversation", "call_renewal_competitor.json");
    json_t *call = json_array_get(events, 0);
    json_object_set_new(json_object_get(call, "attributes"), "sentiment", json_string("upbeat"));
    revos_err err;
    ck_assert_int_eq(revos_norm_validate(call, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "conversation.call sentiment \"upbeat\" is not a number");
    json_decref(events);

    events = events_of("handoff", "ae_to_csm_completed.json");
    json_object_del(json_object_get(json_array_get(events, 0), "attributes"), "status");
    ck_assert_int_eq(revos_norm_validate(json_array_get(events, 0), &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "handoff.event event without attributes.status");
    json_decref(events);
}
END_TEST

/* ==== Hostile input ==== */

static const char *const new_fixtures[][2] = {
    {"hubspot", "contact_batch_legacy_event_type.json"}, {"hubspot", "company_batch.json"},
    {"hubspot", "deal_association_company.json"},        {"hubspot", "deal_properties.json"},
    {"debezium", "account_snapshot_schemaless.json"},    {"debezium", "account_create_with_schema.json"},
    {"debezium", "opportunity_update_no_before.json"},   {"debezium", "contact_role_create.json"},
    {"intercom", "conversation_user_created.json"},      {"intercom", "ticket_created.json"},
    {"intercom", "company_created.json"},                {"intercom", "company_contact_attached.json"},
    {"conversation", "call_renewal_competitor.json"},    {"handoff", "ae_to_csm_completed.json"},
    {"handoff", "csm_to_support_missing_fields.json"},
};

/* Parses doc; the result must be an event list that normalize accepts, or
 * a bad-record rejection with a reason: never a crash, never fatal. */
static void parse_must_be_safe(const json_t *mapping, const char *source, const char *name,
                               const json_t *doc, const char *where)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_ptr_nonnull(text);
    parsed p = parse_bytes(mapping, source, text, strlen(text));
    free(text);
    ck_assert_msg(p.st == REVOS_OK || (p.st == REVOS_ERR_INPUT && p.err.msg[0] != '\0'),
                  "%s/%s with %s: status %d [%s] %s", source, name, where, p.st, p.err.cls,
                  p.err.msg);
    size_t i;
    json_t *e;
    json_array_foreach(p.events, i, e) {
        revos_err err;
        ck_assert_msg(revos_norm_validate(e, &err) == REVOS_OK, "%s/%s with %s: %s", source,
                      name, where, err.msg);
    }
    parsed_free(&p);
}

/* Replaces, one at a time, every value of node (recursively) with each
 * hostile value and parses the whole document. */
static void mutate_all(const json_t *mapping, const char *source, const char *name, json_t *root,
                       json_t *node, int depth)
{
    static json_t *hostile[10];
    if (hostile[0] == NULL) {
        char big[6000];
        memset(big, 'A', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        hostile[0] = json_null();
        hostile[1] = json_integer(-1);
        hostile[2] = json_string("");
        hostile[3] = json_array();
        hostile[4] = json_object();
        hostile[5] = json_string(big);
        hostile[6] = json_real(1e308);
        hostile[7] = json_true();
        hostile[8] = json_integer(INT64_C(9223372036854775807));
        hostile[9] = json_string("\xc3\xa9\"<script>");
    }
    if (depth > 12)
        return;
    if (json_is_object(node)) {
        const char *key;
        json_t *child;
        void *tmp;
        json_object_foreach_safe(node, tmp, key, child) {
            json_t *saved = json_incref(child);
            for (size_t h = 0; h < 10; h++) {
                json_object_set(node, key, hostile[h]);
                parse_must_be_safe(mapping, source, name, root, key);
            }
            json_object_set_new(node, key, saved);
            mutate_all(mapping, source, name, root, json_object_get(node, key), depth + 1);
        }
    } else if (json_is_array(node)) {
        for (size_t i = 0; i < json_array_size(node); i++) {
            json_t *saved = json_incref(json_array_get(node, i));
            for (size_t h = 0; h < 10; h++) {
                json_array_set(node, i, hostile[h]);
                parse_must_be_safe(mapping, source, name, root, "an array element");
            }
            json_array_set_new(node, i, saved);
            mutate_all(mapping, source, name, root, json_array_get(node, i), depth + 1);
        }
    }
}

START_TEST(test_every_field_replaced_by_a_hostile_value_is_parsed_or_rejected_safely)
{
    json_t *mapping = mapping_load();
    for (size_t f = 0; f < sizeof new_fixtures / sizeof new_fixtures[0]; f++) {
        json_t *doc = fixture_json(new_fixtures[f][0], new_fixtures[f][1]);
        parse_must_be_safe(mapping, new_fixtures[f][0], new_fixtures[f][1], doc, "nothing");
        mutate_all(mapping, new_fixtures[f][0], new_fixtures[f][1], doc, doc, 0);
        json_decref(doc);
    }
    json_decref(mapping);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("normalize_sources");
    TCase *tc = tcase_create("hubspot");
    tcase_add_test(tc, test_hubspot_company_with_the_mapped_property_is_the_salesforce_account);
    tcase_add_test(tc, test_hubspot_only_company_is_an_account_of_its_own);
    tcase_add_test(tc, test_hubspot_company_moves_to_the_account_owning_its_domain);
    tcase_add_test(tc, test_hubspot_deal_follows_its_company_association_and_closes_a_renewal);
    tcase_add_test(tc, test_hubspot_deal_waits_for_its_association);
    tcase_add_test(tc, test_hubspot_company_without_a_name_is_named_by_its_id);
    suite_add_tcase(s, tc);
    tc = tcase_create("debezium");
    tcase_add_test(tc, test_debezium_account_row_with_a_salesforce_id_is_that_account);
    tcase_add_test(tc, test_debezium_account_row_without_one_is_an_account_of_its_own);
    tcase_add_test(tc, test_debezium_rows_resolve_through_their_key_columns);
    suite_add_tcase(s, tc);
    tc = tcase_create("intercom");
    tcase_add_test(tc, test_intercom_company_links_to_its_salesforce_account);
    tcase_add_test(tc, test_intercom_conversation_resolves_by_its_company_id_as_a_salesforce_id);
    tcase_add_test(tc, test_intercom_contact_attached_teaches_the_contact);
    tcase_add_test(tc, test_intercom_conversation_is_a_ticket_signal);
    suite_add_tcase(s, tc);
    tc = tcase_create("calls_and_handoffs");
    tcase_add_test(tc, test_call_is_engagement_and_competitor_mentions_are_risk);
    tcase_add_test(tc, test_calm_call_without_competitors_is_one_info_signal);
    tcase_add_test(tc, test_complete_handoff_is_one_stakeholder_signal);
    tcase_add_test(tc, test_completed_handoff_missing_required_fields_is_a_governance_violation);
    tcase_add_test(tc, test_required_fields_come_from_the_signals_config);
    tcase_add_test(tc, test_shipped_signals_config_requires_the_documented_fields);
    tcase_add_test(tc, test_a_handoff_that_is_not_completed_is_never_a_violation);
    tcase_add_test(tc, test_new_kinds_are_validated);
    suite_add_tcase(s, tc);
    tc = tcase_create("hostile_input");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_every_field_replaced_by_a_hostile_value_is_parsed_or_rejected_safely);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
