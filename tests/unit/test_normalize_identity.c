/* test_normalize_identity.c -- specification of revos-normalize's identity:
 * resolution order, the link each event kind teaches, normalization of id
 * values, and the batch-local map's bookkeeping. */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "normalize/identity.h"

/* Salesforce ids in their 18-character form stay unchanged. */
#define SF_LINC "001A000001LincXYZA"
#define SF_OTHER "001A000001OtherXYA"
#define ACCT_LINC "acct-001A000001LincXYZA"
#define ACCT_OTHER "acct-001A000001OtherXYA"

/* ==== Helpers ==== */

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

static json_t *event(const char *kind, json_t *ids, json_t *attributes)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:i, s:I}", "event_id",
                     "evt-9", "source", "test", "kind", kind, "action", "update", "occurred_at",
                     (json_int_t)1767225600000LL, "ids", ids, "attributes",
                     attributes ? attributes : json_object(), "raw_topic", "revos.raw.test",
                     "raw_partition", 0, "raw_offset", (json_int_t)1);
}

/* Applies ev (consumed) and returns the resolved account id (malloc'd) or
 * NULL; *via_kind / *via_value (if not NULL) get the resolving key. */
static char *apply(revos_norm_idmap *map, json_t *ev, char **via)
{
    revos_norm_resolution res;
    revos_err err;
    ck_assert_int_eq(revos_norm_identity_apply(map, ev, &res, &err), REVOS_OK);
    char *acct = res.account_id ? strdup(res.account_id) : NULL;
    if (via != NULL) {
        *via = NULL;
        if (res.via.value != NULL) {
            size_t n = strlen(res.via.kind) + strlen(res.via.value) + 2;
            *via = malloc(n);
            snprintf(*via, n, "%s=%s", res.via.kind, res.via.value);
        }
    }
    revos_norm_resolution_clear(&res);
    json_decref(ev);
    return acct;
}

static void assert_apply(revos_norm_idmap *map, json_t *ev, const char *account,
                         const char *via_expected)
{
    char *via = NULL;
    char *acct = apply(map, ev, &via);
    if (account == NULL) {
        ck_assert_ptr_null(acct);
    } else {
        ck_assert_ptr_nonnull(acct);
        ck_assert_str_eq(acct, account);
        if (via_expected != NULL)
            ck_assert_str_eq(via, via_expected);
    }
    free(acct);
    free(via);
}

static void assert_link(const revos_norm_idmap *map, const char *kind, const char *value,
                        const char *account)
{
    const char *got = revos_norm_idmap_get(map, kind, value);
    if (account == NULL) {
        ck_assert_msg(got == NULL, "%s=%s is linked to %s", kind, value, got);
    } else {
        ck_assert_msg(got != NULL, "%s=%s is not linked", kind, value);
        ck_assert_str_eq(got, account);
    }
}

static json_t *crm_account(const char *sfid, const char *domain)
{
    return event("crm.account",
                 domain ? strmap("salesforce_account", sfid, "domain", domain, NULL)
                        : strmap("salesforce_account", sfid, NULL),
                 strmap("name", "Lincoln", NULL));
}

/* A map where Lincoln's account exists with its domain. */
static revos_norm_idmap *lincoln_map(void)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    ck_assert_ptr_nonnull(map);
    assert_apply(map, crm_account(SF_LINC, "lincoln.k12.ca.us"), ACCT_LINC, NULL);
    return map;
}

static json_t *survey(const char *email, const char *domain)
{
    return event("nps.response", strmap("email", email, "domain", domain, NULL),
                 strmap("score", "3", NULL));
}

/* ==== Resolution order ==== */

START_TEST(test_resolution_follows_documented_order)
{
    /* One event carrying every id; each id linked to its own account. Unlink
     * them from the top one by one: the next in order must win each time. */
    static const char *const order[][3] = {
        {"salesforce_account", "salesforce_account", SF_LINC},
        {"salesforce_opportunity", "salesforce_opportunity", "006A000000OppAAAAA"},
        {"salesforce_contact", "salesforce_contact", "003A000000ConAAAAA"},
        {"zendesk_org", "zendesk_org", "360001"},
        {"zendesk_org_external", "salesforce_account", SF_OTHER},
        {"segment_group", "segment_group", "g-7"},
        {"email", "email", "jane@lincoln.k12.ca.us"},
        {"segment_user", "segment_user", "u-42"},
        {"domain", "domain", "lincoln.org"},
        {NULL, "domain", "lincoln.k12.ca.us"}, /* the email's domain */
    };
    size_t n = sizeof order / sizeof order[0];
    for (size_t first = 0; first < n; first++) {
        revos_norm_idmap *map = revos_norm_idmap_new();
        for (size_t i = first; i < n; i++) {
            char acct[32];
            snprintf(acct, sizeof acct, "acct-%zu", i);
            revos_norm_idmap_load(map, order[i][1], order[i][2], acct);
        }
        json_t *ids = json_object();
        for (size_t i = 0; i < n; i++)
            if (order[i][0] != NULL)
                json_object_set_new(ids, order[i][0], json_string(order[i][2]));
        char expected[32], via[128];
        snprintf(expected, sizeof expected, "acct-%zu", first);
        snprintf(via, sizeof via, "%s=%s", order[first][1], order[first][2]);
        assert_apply(map, event("support.ticket", ids, strmap("ticket_id", "1", NULL)), expected,
                     via);
        revos_norm_idmap_free(map);
    }
}
END_TEST

START_TEST(test_unknown_account_resolves_to_nothing)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, survey("sam@elsewhere.org", "elsewhere.org"), NULL, NULL);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_parking_keys_are_the_resolution_keys_in_order)
{
    json_t *ev = survey("Sam@Elsewhere.ORG", "elsewhere.org");
    json_object_set_new(json_object_get(ev, "ids"), "salesforce_account",
                        json_string("001A00000Xyz123"));
    revos_norm_keys keys = {0};
    ck_assert_int_eq(revos_norm_identity_keys(ev, &keys), 0);
    ck_assert_uint_eq(keys.n, 3);
    ck_assert_str_eq(keys.items[0].kind, "salesforce_account");
    ck_assert_str_eq(keys.items[0].value, "001A00000Xyz123IQA");
    ck_assert_str_eq(keys.items[1].kind, "email");
    ck_assert_str_eq(keys.items[1].value, "sam@elsewhere.org");
    ck_assert_str_eq(keys.items[2].kind, "domain");
    ck_assert_str_eq(keys.items[2].value, "elsewhere.org");
    revos_norm_keys_free(&keys);
    json_decref(ev);
}
END_TEST

START_TEST(test_event_with_only_unresolvable_ids_has_no_keys)
{
    json_t *ev = event("support.ticket", strmap("zendesk_requester", "9001", NULL),
                       strmap("ticket_id", "1", NULL));
    revos_norm_keys keys = {0};
    ck_assert_int_eq(revos_norm_identity_keys(ev, &keys), 0);
    ck_assert_uint_eq(keys.n, 0);
    revos_norm_keys_free(&keys);
    json_decref(ev);
}
END_TEST

/* ==== CRM links ==== */

START_TEST(test_crm_account_creates_account_from_salesforce_id_and_links_domain)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    assert_apply(map, crm_account(SF_LINC, "WWW.Lincoln.K12.CA.US"), ACCT_LINC,
                 "salesforce_account=" SF_LINC);
    assert_link(map, "salesforce_account", SF_LINC, ACCT_LINC);
    assert_link(map, "domain", "lincoln.k12.ca.us", ACCT_LINC);
    ck_assert_uint_eq(revos_norm_idmap_n_learned(map), 2);
    revos_norm_link link = revos_norm_idmap_learned(map, 1);
    ck_assert_str_eq(link.kind, "domain");
    ck_assert_str_eq(link.learned_from, "evt-9");
    ck_assert_int_eq(link.mode, REVOS_NORM_LINK_INSERT);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_domain_owned_by_another_account_is_not_relinked)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, crm_account(SF_OTHER, "lincoln.k12.ca.us"), ACCT_OTHER, NULL);
    assert_link(map, "domain", "lincoln.k12.ca.us", ACCT_LINC);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_domain_in_storage_owned_by_another_account_is_not_relinked)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_load(map, "domain", "lincoln.k12.ca.us", ACCT_OTHER);
    assert_apply(map, crm_account(SF_LINC, "lincoln.k12.ca.us"), ACCT_LINC, NULL);
    assert_link(map, "domain", "lincoln.k12.ca.us", ACCT_OTHER);
    ck_assert_uint_eq(revos_norm_idmap_n_learned(map), 1); /* salesforce_account only */
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_opportunity_links_to_the_account_it_names)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    assert_apply(map,
                 event("crm.opportunity",
                       strmap("salesforce_opportunity", "006A000000OppAAAAA", "salesforce_account",
                              SF_LINC, NULL),
                       NULL),
                 ACCT_LINC, "salesforce_account=" SF_LINC);
    assert_link(map, "salesforce_opportunity", "006A000000OppAAAAA", ACCT_LINC);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_opportunity_update_without_account_resolves_through_opportunity)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_load(map, "salesforce_opportunity", "006A000000OppAAAAA", ACCT_LINC);
    assert_apply(map,
                 event("crm.opportunity", strmap("salesforce_opportunity", "006A000000OppAAAAA",
                                                 NULL),
                       strmap("stage", "Closed Won", NULL)),
                 ACCT_LINC, "salesforce_opportunity=006A000000OppAAAAA");
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_renewal_is_remembered_for_updates_that_omit_it)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    assert_apply(map,
                 event("crm.opportunity",
                       strmap("salesforce_opportunity", "006A000000OppAAAAA", "salesforce_account",
                              SF_LINC, NULL),
                       strmap("renewal", "true", NULL)),
                 ACCT_LINC, NULL);
    assert_link(map, "renewal_opportunity", "006A000000OppAAAAA", ACCT_LINC);

    json_t *update = event("crm.opportunity",
                           strmap("salesforce_opportunity", "006A000000OppAAAAA", NULL),
                           strmap("stage", "Closed Won", "is_closed", "true", NULL));
    revos_norm_resolution res;
    ck_assert_int_eq(revos_norm_identity_apply(map, update, &res, NULL), REVOS_OK);
    ck_assert_ptr_ne(res.event, update);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(res.event, "attributes"),
                                                       "renewal")),
                     "true");
    ck_assert_ptr_null(json_object_get(json_object_get(update, "attributes"), "renewal"));
    revos_norm_resolution_clear(&res);
    json_decref(update);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_contact_links_its_id_and_email_to_its_account)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    assert_apply(map,
                 event("crm.contact",
                       strmap("salesforce_contact", "003A000000ConAAAAA", "salesforce_account",
                              SF_LINC, "email", "Jane@Lincoln.K12.CA.US", "domain",
                              "lincoln.k12.ca.us", NULL),
                       NULL),
                 ACCT_LINC, NULL);
    assert_link(map, "salesforce_contact", "003A000000ConAAAAA", ACCT_LINC);
    assert_link(map, "email", "jane@lincoln.k12.ca.us", ACCT_LINC);
    assert_link(map, "domain", "lincoln.k12.ca.us", NULL); /* contacts teach no domain */
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_contact_role_resolves_through_its_opportunity)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_load(map, "salesforce_opportunity", "006A000000OppAAAAA", ACCT_LINC);
    revos_norm_idmap_load(map, "salesforce_contact", "003A000000ConAAAAA", ACCT_OTHER);
    assert_apply(map,
                 event("crm.contact_role",
                       strmap("salesforce_opportunity", "006A000000OppAAAAA",
                              "salesforce_contact", "003A000000ConAAAAA", NULL),
                       NULL),
                 ACCT_LINC, "salesforce_opportunity=006A000000OppAAAAA");
    revos_norm_idmap_free(map);
}
END_TEST

/* A CDC update of the role carries only the changed Role and the role's own
 * id; the creation taught that id, so the update resolves by it. */
START_TEST(test_contact_role_update_resolves_by_the_role_id_its_creation_taught)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_load(map, "salesforce_opportunity", "006A000000OppAAAAA", ACCT_LINC);
    assert_apply(map,
                 event("crm.contact_role",
                       strmap("salesforce_opportunity", "006A000000OppAAAAA",
                              "salesforce_contact_role", "00KA000000RolAAAAA", NULL),
                       strmap("role", "Champion", NULL)),
                 ACCT_LINC, NULL);
    assert_link(map, "salesforce_contact_role", "00KA000000RolAAAAA", ACCT_LINC);
    assert_apply(map,
                 event("crm.contact_role", strmap("salesforce_contact_role", "00KA000000RolAAAAA", NULL),
                       strmap("role", "Business User", NULL)),
                 ACCT_LINC, "salesforce_contact_role=00KA000000RolAAAAA");
    revos_norm_idmap_free(map);
}
END_TEST

/* ==== Zendesk ==== */

static json_t *zd_org(const char *external, const char *domain)
{
    json_t *ids = strmap("zendesk_org", "360001", NULL);
    if (external != NULL)
        json_object_set_new(ids, "zendesk_org_external", json_string(external));
    if (domain != NULL)
        json_object_set_new(ids, "domain", json_string(domain));
    return event("support.organization", ids, strmap("name", "Lincoln USD", NULL));
}

START_TEST(test_zendesk_org_linked_by_external_id_equal_to_salesforce_id)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, zd_org(SF_LINC, NULL), ACCT_LINC, "zendesk_org=360001");
    assert_link(map, "zendesk_org", "360001", ACCT_LINC);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_zendesk_org_linked_by_external_id_equal_to_account_id)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, zd_org(ACCT_LINC, NULL), ACCT_LINC, NULL);
    assert_link(map, "zendesk_org", "360001", ACCT_LINC);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_zendesk_org_linked_by_15_character_salesforce_id)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    assert_apply(map, crm_account("00570000001ZwTiAAK", NULL), "acct-00570000001ZwTiAAK", NULL);
    assert_apply(map, zd_org("00570000001ZwTi", NULL), "acct-00570000001ZwTiAAK", NULL);
    assert_link(map, "zendesk_org", "360001", "acct-00570000001ZwTiAAK");
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_zendesk_org_linked_by_domain_when_external_id_unknown)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, zd_org("ZD-CUSTOM-77", "Lincoln.K12.CA.US"), ACCT_LINC, NULL);
    assert_link(map, "zendesk_org", "360001", ACCT_LINC);
    ck_assert_int_eq(revos_norm_idmap_learned(map, revos_norm_idmap_n_learned(map) - 1).mode,
                     REVOS_NORM_LINK_INSERT);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_zendesk_org_external_id_moves_a_domain_link)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, crm_account(SF_OTHER, NULL), ACCT_OTHER, NULL);
    assert_apply(map, zd_org(NULL, "lincoln.k12.ca.us"), ACCT_LINC, NULL);
    assert_apply(map, zd_org(SF_OTHER, "lincoln.k12.ca.us"), ACCT_OTHER, NULL);
    assert_link(map, "zendesk_org", "360001", ACCT_OTHER);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_unmatched_zendesk_org_stays_unresolved)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, zd_org("ZD-CUSTOM-77", "elsewhere.org"), NULL, NULL);
    assert_link(map, "zendesk_org", "360001", NULL);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_ticket_resolves_through_linked_zendesk_org)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, zd_org(SF_LINC, NULL), ACCT_LINC, NULL);
    assert_apply(map,
                 event("support.ticket",
                       strmap("zendesk_org", "360001", "zendesk_requester", "9001", NULL),
                       strmap("ticket_id", "35436", NULL)),
                 ACCT_LINC, "zendesk_org=360001");
    revos_norm_idmap_free(map);
}
END_TEST

/* ==== Segment ==== */

START_TEST(test_segment_group_linked_by_salesforce_account_trait)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map,
                 event("usage.group",
                       strmap("segment_group", "g-7", "segment_user", "u-42", "salesforce_account",
                              SF_LINC, "domain", "elsewhere.org", NULL),
                       NULL),
                 ACCT_LINC, "salesforce_account=" SF_LINC);
    assert_link(map, "segment_group", "g-7", ACCT_LINC);
    assert_link(map, "segment_user", "u-42", ACCT_LINC);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_segment_group_linked_by_domain_without_trait)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map,
                 event("usage.group",
                       strmap("segment_group", "g-7", "segment_user", "u-42", "domain",
                              "lincoln.k12.ca.us", NULL),
                       NULL),
                 ACCT_LINC, "segment_group=g-7");
    assert_link(map, "segment_group", "g-7", ACCT_LINC);
    assert_link(map, "segment_user", "u-42", ACCT_LINC);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_segment_group_with_unknown_trait_waits_for_that_account)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map,
                 event("usage.group",
                       strmap("segment_group", "g-7", "segment_user", "u-42", "salesforce_account",
                              SF_OTHER, "domain", "lincoln.k12.ca.us", NULL),
                       NULL),
                 NULL, NULL);
    assert_link(map, "segment_group", "g-7", NULL);
    assert_link(map, "segment_user", "u-42", NULL);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_track_resolves_through_user_of_a_linked_group)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map,
                 event("usage.group",
                       strmap("segment_group", "g-7", "segment_user", "u-42", "salesforce_account",
                              SF_LINC, NULL),
                       NULL),
                 ACCT_LINC, NULL);
    assert_apply(map,
                 event("usage.track", strmap("segment_user", "u-42", NULL),
                       strmap("event", "Logged In", NULL)),
                 ACCT_LINC, "segment_user=u-42");
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_identify_links_user_through_its_email)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_load(map, "email", "jane@lincoln.k12.ca.us", ACCT_LINC);
    assert_apply(map,
                 event("usage.identify",
                       strmap("segment_user", "u-42", "email", "Jane@Lincoln.k12.ca.us", NULL),
                       NULL),
                 ACCT_LINC, "email=jane@lincoln.k12.ca.us");
    assert_link(map, "segment_user", "u-42", ACCT_LINC);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_identify_does_not_move_a_linked_user)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_load(map, "email", "jane@lincoln.k12.ca.us", ACCT_LINC);
    revos_norm_idmap_load(map, "segment_user", "u-42", ACCT_OTHER);
    assert_apply(map,
                 event("usage.identify",
                       strmap("segment_user", "u-42", "email", "jane@lincoln.k12.ca.us", NULL),
                       NULL),
                 ACCT_LINC, NULL);
    assert_link(map, "segment_user", "u-42", ACCT_OTHER);
    revos_norm_idmap_free(map);
}
END_TEST

/* ==== Surveys ==== */

START_TEST(test_survey_email_matched_to_crm_contact)
{
    revos_norm_idmap *map = lincoln_map();
    assert_apply(map, crm_account(SF_OTHER, NULL), ACCT_OTHER, NULL);
    assert_apply(map,
                 event("crm.contact",
                       strmap("salesforce_contact", "003A000000ConAAAAA", "salesforce_account",
                              SF_OTHER, "email", "jane@lincoln.k12.ca.us", NULL),
                       NULL),
                 ACCT_OTHER, NULL);
    /* The contact's account wins over the domain's. */
    assert_apply(map, survey("jane@lincoln.k12.ca.us", "lincoln.k12.ca.us"), ACCT_OTHER,
                 "email=jane@lincoln.k12.ca.us");
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_survey_email_matched_by_domain)
{
    revos_norm_idmap *map = lincoln_map();
    json_t *ev = event("nps.response", strmap("email", "Sam@LINCOLN.k12.ca.us", NULL),
                       strmap("score", "8", NULL));
    assert_apply(map, ev, ACCT_LINC, "domain=lincoln.k12.ca.us");
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_survey_salesforce_account_beats_email)
{
    revos_norm_idmap *map = lincoln_map();
    revos_norm_idmap_load(map, "salesforce_account", SF_OTHER, ACCT_OTHER);
    json_t *ev = survey("jane@lincoln.k12.ca.us", "lincoln.k12.ca.us");
    json_object_set_new(json_object_get(ev, "ids"), "salesforce_account", json_string(SF_OTHER));
    assert_apply(map, ev, ACCT_OTHER, "salesforce_account=" SF_OTHER);
    revos_norm_idmap_free(map);
}
END_TEST

/* ==== Normalization ==== */

START_TEST(test_domain_loses_scheme_www_path_port_and_case)
{
    char *d = revos_norm_id_value("domain", " https://WWW.Lincoln.K12.CA.US:443/about?x=1 ");
    ck_assert_str_eq(d, "lincoln.k12.ca.us");
    free(d);
    d = revos_norm_id_value("domain", "lincoln.org.");
    ck_assert_str_eq(d, "lincoln.org");
    free(d);
}
END_TEST

START_TEST(test_email_is_trimmed_and_lower_cased)
{
    char *e = revos_norm_id_value("email", "  Jane.Park@Lincoln.ORG ");
    ck_assert_str_eq(e, "jane.park@lincoln.org");
    free(e);
}
END_TEST

START_TEST(test_blank_value_normalizes_to_nothing)
{
    ck_assert_ptr_null(revos_norm_id_value("segment_user", "   "));
    ck_assert_ptr_null(revos_norm_id_value("domain", "https://"));
}
END_TEST

START_TEST(test_salesforce_15_character_id_gets_its_checksum_suffix)
{
    char *id = revos_norm_sfid18("00570000001ZwTi");
    ck_assert_str_eq(id, "00570000001ZwTiAAK");
    free(id);
    id = revos_norm_id_value("salesforce_account", "001A00000Xyz123");
    ck_assert_str_eq(id, "001A00000Xyz123IQA");
    free(id);
    id = revos_norm_sfid18("00570000001ZwTiAAK");
    ck_assert_str_eq(id, "00570000001ZwTiAAK");
    free(id);
}
END_TEST

/* ==== The map ==== */

START_TEST(test_insert_link_never_replaces_and_upsert_does)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    ck_assert_int_eq(revos_norm_idmap_learn(map, "domain", "a.org", "acct-1", "e1",
                                            REVOS_NORM_LINK_INSERT),
                     1);
    ck_assert_int_eq(revos_norm_idmap_learn(map, "domain", "a.org", "acct-2", "e2",
                                            REVOS_NORM_LINK_INSERT),
                     0);
    assert_link(map, "domain", "a.org", "acct-1");
    ck_assert_int_eq(revos_norm_idmap_learn(map, "domain", "a.org", "acct-1", "e3",
                                            REVOS_NORM_LINK_UPSERT),
                     0);
    ck_assert_int_eq(revos_norm_idmap_learn(map, "domain", "a.org", "acct-2", "e4",
                                            REVOS_NORM_LINK_UPSERT),
                     1);
    assert_link(map, "domain", "a.org", "acct-2");
    ck_assert_uint_eq(revos_norm_idmap_n_learned(map), 1);
    revos_norm_link link = revos_norm_idmap_learned(map, 0);
    ck_assert_str_eq(link.account_id, "acct-2");
    ck_assert_str_eq(link.learned_from, "e4");
    ck_assert_int_eq(link.mode, REVOS_NORM_LINK_UPSERT);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_loaded_rows_are_not_learned_and_do_not_overwrite)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_learn(map, "email", "a@b.org", "acct-1", "e1", REVOS_NORM_LINK_UPSERT);
    revos_norm_idmap_load(map, "email", "a@b.org", "acct-9");
    revos_norm_idmap_load(map, "email", "c@b.org", NULL);
    assert_link(map, "email", "a@b.org", "acct-1");
    ck_assert_int_eq(revos_norm_idmap_has(map, "email", "c@b.org"), 1);
    assert_link(map, "email", "c@b.org", NULL);
    ck_assert_int_eq(revos_norm_idmap_has(map, "email", "d@b.org"), 0);
    ck_assert_uint_eq(revos_norm_idmap_n_learned(map), 1);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_round_hands_out_each_new_link_once)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    revos_norm_idmap_learn(map, "domain", "a.org", "acct-1", "e1", REVOS_NORM_LINK_INSERT);
    revos_norm_idmap_learn(map, "email", "x@a.org", "acct-1", "e1", REVOS_NORM_LINK_UPSERT);
    revos_norm_idmap_learn(map, "email", "x@a.org", "acct-2", "e2", REVOS_NORM_LINK_UPSERT);
    revos_norm_keys keys = {0};
    ck_assert_int_eq(revos_norm_idmap_take_round(map, &keys), 0);
    ck_assert_uint_eq(keys.n, 2);
    ck_assert_str_eq(keys.items[0].kind, "domain");
    ck_assert_str_eq(keys.items[1].value, "x@a.org");
    revos_norm_keys_free(&keys);
    ck_assert_int_eq(revos_norm_idmap_take_round(map, &keys), 0);
    ck_assert_uint_eq(keys.n, 0);
    revos_norm_idmap_learn(map, "email", "x@a.org", "acct-3", "e3", REVOS_NORM_LINK_UPSERT);
    ck_assert_int_eq(revos_norm_idmap_take_round(map, &keys), 0);
    ck_assert_uint_eq(keys.n, 1);
    ck_assert_str_eq(keys.items[0].value, "x@a.org");
    revos_norm_keys_free(&keys);
    revos_norm_idmap_free(map);
}
END_TEST

START_TEST(test_map_grows_past_its_initial_size)
{
    revos_norm_idmap *map = revos_norm_idmap_new();
    char value[32], acct[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(value, sizeof value, "u-%d", i);
        snprintf(acct, sizeof acct, "acct-%d", i % 7);
        ck_assert_int_eq(revos_norm_idmap_load(map, "segment_user", value, acct), 0);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(value, sizeof value, "u-%d", i);
        snprintf(acct, sizeof acct, "acct-%d", i % 7);
        assert_link(map, "segment_user", value, acct);
    }
    revos_norm_idmap_free(map);
}
END_TEST

static Suite *suite(void)
{
    Suite *su = suite_create("normalize_identity");
    TCase *tc = tcase_create("resolution");
    tcase_add_test(tc, test_resolution_follows_documented_order);
    tcase_add_test(tc, test_unknown_account_resolves_to_nothing);
    tcase_add_test(tc, test_parking_keys_are_the_resolution_keys_in_order);
    tcase_add_test(tc, test_event_with_only_unresolvable_ids_has_no_keys);
    suite_add_tcase(su, tc);
    TCase *tl = tcase_create("links");
    tcase_add_test(tl, test_crm_account_creates_account_from_salesforce_id_and_links_domain);
    tcase_add_test(tl, test_domain_owned_by_another_account_is_not_relinked);
    tcase_add_test(tl, test_domain_in_storage_owned_by_another_account_is_not_relinked);
    tcase_add_test(tl, test_opportunity_links_to_the_account_it_names);
    tcase_add_test(tl, test_opportunity_update_without_account_resolves_through_opportunity);
    tcase_add_test(tl, test_renewal_is_remembered_for_updates_that_omit_it);
    tcase_add_test(tl, test_contact_links_its_id_and_email_to_its_account);
    tcase_add_test(tl, test_contact_role_resolves_through_its_opportunity);
    tcase_add_test(tl, test_contact_role_update_resolves_by_the_role_id_its_creation_taught);
    tcase_add_test(tl, test_zendesk_org_linked_by_external_id_equal_to_salesforce_id);
    tcase_add_test(tl, test_zendesk_org_linked_by_external_id_equal_to_account_id);
    tcase_add_test(tl, test_zendesk_org_linked_by_15_character_salesforce_id);
    tcase_add_test(tl, test_zendesk_org_linked_by_domain_when_external_id_unknown);
    tcase_add_test(tl, test_zendesk_org_external_id_moves_a_domain_link);
    tcase_add_test(tl, test_unmatched_zendesk_org_stays_unresolved);
    tcase_add_test(tl, test_ticket_resolves_through_linked_zendesk_org);
    tcase_add_test(tl, test_segment_group_linked_by_salesforce_account_trait);
    tcase_add_test(tl, test_segment_group_linked_by_domain_without_trait);
    tcase_add_test(tl, test_segment_group_with_unknown_trait_waits_for_that_account);
    tcase_add_test(tl, test_track_resolves_through_user_of_a_linked_group);
    tcase_add_test(tl, test_identify_links_user_through_its_email);
    tcase_add_test(tl, test_identify_does_not_move_a_linked_user);
    tcase_add_test(tl, test_survey_email_matched_to_crm_contact);
    tcase_add_test(tl, test_survey_email_matched_by_domain);
    tcase_add_test(tl, test_survey_salesforce_account_beats_email);
    suite_add_tcase(su, tl);
    TCase *tn = tcase_create("normalization");
    tcase_add_test(tn, test_domain_loses_scheme_www_path_port_and_case);
    tcase_add_test(tn, test_email_is_trimmed_and_lower_cased);
    tcase_add_test(tn, test_blank_value_normalizes_to_nothing);
    tcase_add_test(tn, test_salesforce_15_character_id_gets_its_checksum_suffix);
    suite_add_tcase(su, tn);
    TCase *tm = tcase_create("map");
    tcase_add_test(tm, test_insert_link_never_replaces_and_upsert_does);
    tcase_add_test(tm, test_loaded_rows_are_not_learned_and_do_not_overwrite);
    tcase_add_test(tm, test_round_hands_out_each_new_link_once);
    tcase_add_test(tm, test_map_grows_past_its_initial_size);
    suite_add_tcase(su, tm);
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
