/* test_route_decide.c -- specification of revos-route's decision logic
 * (workers/route/decide.h): triggers, the matrix, SLAs, owners, ids and the
 * decision for the reference walkthrough, against config/routing.json and
 * config/plays.json; and of the plan (workers/route/plan.h): inhibition (a
 * critical renewal-risk play absorbs the same account's warnings as
 * evidence) and the high tier routed to the CSM. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "route/decide.h"
#include "route/plan.h"

/* 2026-08-29T09:00:00Z; the renewal (2026-12-08) is 101 days later. */
#define AS_OF 1787994000000LL

static json_t *config;

static json_t *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", REVOS_CONFIG_DIR, name);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s: %s", path, jerr.text);
    return doc;
}

static void setup(void)
{
    config = json_object();
    json_object_set_new(config, "routing", load("routing.json"));
    json_object_set_new(config, "plays", load("plays.json"));
}

static void teardown(void)
{
    json_decref(config);
}

static const json_t *routing(void)
{
    return json_object_get(config, "routing");
}

/* The walkthrough's renewal-risk update: high -> critical. */
static json_t *walkthrough_update(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:I, s:I, s:s, s:[], s:s,"
        " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "score_id", "acct-001:renewal_risk:sig-9", "account_id", "acct-001", "kind",
        "renewal_risk", "value", 82.5, "previous", 58.0, "tier", "critical", "previous_tier",
        "high", "as_of", (json_int_t)AS_OF, "config_version", (json_int_t)3,
        "trigger_signal_id", "sig-9", "contributions", "explanation",
        "Renewal risk 82.5 = usage down 35% (+30) + champion left (+25) + NPS 3 (+27.5).",
        "context", "arr", "180000", "renewal_date", "2026-12-08", "ae", "005Dn000AE01AAA",
        "csm", "005Dn000CS01AAA", "csm_lead", "005Dn000CL01AAA", "name",
        "Lincoln Unified School District", "forecast_confidence", "15", "derived",
        "champion_changed:critical, usage_down:warning");
}

/* ==== Severity and matrix ==== */

START_TEST(severity_ranks_order_info_warning_high_critical)
{
    ck_assert_int_eq(revos_route_severity_rank("info"), 0);
    ck_assert_int_eq(revos_route_severity_rank("low"), 0);
    ck_assert_int_eq(revos_route_severity_rank("warning"), 1);
    ck_assert_int_eq(revos_route_severity_rank("medium"), 1);
    ck_assert_int_eq(revos_route_severity_rank("high"), 2);
    ck_assert_int_eq(revos_route_severity_rank("critical"), 3);
    ck_assert_int_eq(revos_route_severity_rank("urgent"), -1);
    ck_assert_int_eq(revos_route_severity_rank(NULL), -1);
}
END_TEST

START_TEST(matrix_lookup_finds_renewal_risk_critical)
{
    const json_t *e = revos_route_matrix_lookup(routing(), "renewal_risk", "critical");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(json_string_value(json_object_get(e, "play")), "renewal_save");
    ck_assert_str_eq(json_string_value(json_object_get(e, "sla")), "4h");
    ck_assert_int_eq(json_array_size(json_object_get(e, "owners")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "owners"), 0)),
                     "csm_lead");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "owners"), 1)), "ae");
}
END_TEST

START_TEST(matrix_lookup_has_no_entry_below_the_lowest_severity)
{
    ck_assert_ptr_null(revos_route_matrix_lookup(routing(), "renewal_risk", "medium"));
    ck_assert_ptr_null(revos_route_matrix_lookup(routing(), "renewal_risk", "low"));
    ck_assert_ptr_null(revos_route_matrix_lookup(routing(), "champion_departed", "warning"));
}
END_TEST

START_TEST(matrix_lookup_uses_the_highest_entry_not_above_the_severity)
{
    const json_t *e = revos_route_matrix_lookup(routing(), "adoption_decay", "critical");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(json_string_value(json_object_get(e, "severity")), "warning");
    ck_assert_str_eq(json_string_value(json_object_get(e, "sla")), "48h");
}
END_TEST

START_TEST(matrix_lookup_of_unknown_trigger_or_severity_is_null)
{
    ck_assert_ptr_null(revos_route_matrix_lookup(routing(), "weather", "critical"));
    ck_assert_ptr_null(revos_route_matrix_lookup(routing(), "renewal_risk", "apocalyptic"));
}
END_TEST

START_TEST(matrix_routes_design_examples)
{
    struct { const char *trigger, *severity, *owner, *sla; const char *play; } rows[] = {
        {"champion_departed", "critical", "ae", "24h", NULL},
        {"adoption_decay", "warning", "csm", "48h", NULL},
        {"expansion_trigger", "warning", "ae", "72h", "expansion"},
        {"nps_decline", "info", "csm", "1w", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const json_t *e = revos_route_matrix_lookup(routing(), rows[i].trigger, rows[i].severity);
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "owners"), 0)),
                         rows[i].owner);
        ck_assert_str_eq(json_string_value(json_object_get(e, "sla")), rows[i].sla);
        const char *play = json_string_value(json_object_get(e, "play"));
        if (rows[i].play == NULL)
            ck_assert_ptr_null(play);
        else
            ck_assert_str_eq(play, rows[i].play);
    }
}
END_TEST

/* ==== Triggers ==== */

START_TEST(tier_change_and_derived_signals_become_triggers)
{
    json_t *u = walkthrough_update();
    revos_route_trigger t[8];
    size_t n = revos_route_triggers(u, routing(), t, 8);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(t[0].name, "renewal_risk");
    ck_assert_str_eq(t[0].severity, "critical");
    ck_assert_str_eq(t[0].source, "tier");
    ck_assert_str_eq(t[1].name, "champion_departed");
    ck_assert_str_eq(t[1].severity, "critical");
    ck_assert_str_eq(t[1].source, "champion_changed");
    ck_assert_str_eq(t[2].name, "adoption_decay");
    ck_assert_str_eq(t[2].severity, "warning");
    ck_assert_str_eq(t[2].source, "usage_down");
    json_decref(u);
}
END_TEST

START_TEST(unchanged_tier_is_not_a_trigger)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "previous_tier", json_string("critical"));
    json_object_set_new(json_object_get(u, "context"), "derived", json_string(""));
    revos_route_trigger t[8];
    ck_assert_uint_eq(revos_route_triggers(u, routing(), t, 8), 0);
    json_decref(u);
}
END_TEST

START_TEST(tier_change_to_a_tier_without_entry_is_not_a_trigger)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "tier", json_string("medium"));
    json_object_set_new(u, "previous_tier", json_string("low"));
    json_object_del(json_object_get(u, "context"), "derived");
    revos_route_trigger t[8];
    ck_assert_uint_eq(revos_route_triggers(u, routing(), t, 8), 0);
    /* high is routed (CSM, 48 h) */
    json_object_set_new(u, "tier", json_string("high"));
    json_object_set_new(u, "previous_tier", json_string("medium"));
    ck_assert_uint_eq(revos_route_triggers(u, routing(), t, 8), 1);
    ck_assert_str_eq(json_string_value(json_object_get(t[0].entry, "sla")), "48h");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(t[0].entry, "owners"), 0)), "csm");
    json_decref(u);
}
END_TEST

START_TEST(first_score_with_null_previous_tier_is_a_change)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "previous_tier", json_null());
    json_object_del(json_object_get(u, "context"), "derived");
    revos_route_trigger t[8];
    ck_assert_uint_eq(revos_route_triggers(u, routing(), t, 8), 1);
    ck_assert_str_eq(t[0].name, "renewal_risk");
    json_decref(u);
}
END_TEST

START_TEST(derived_signals_map_through_config_names)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "previous_tier", json_string("critical"));
    json_object_set_new(json_object_get(u, "context"), "derived",
                        json_string("nps_drop:warning,ticket_surge:critical,unknown_thing:critical"));
    revos_route_trigger t[8];
    size_t n = revos_route_triggers(u, routing(), t, 8);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(t[0].name, "nps_decline");
    ck_assert_str_eq(t[0].severity, "warning");
    ck_assert_str_eq(json_string_value(json_object_get(t[0].entry, "severity")), "info");
    ck_assert_str_eq(t[1].name, "support_surge");
    ck_assert_str_eq(t[1].severity, "critical");
    json_decref(u);
}
END_TEST

START_TEST(derived_signal_without_severity_counts_as_info)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "previous_tier", json_string("critical"));
    json_object_set_new(json_object_get(u, "context"), "derived",
                        json_string("nps_drop,champion_changed"));
    revos_route_trigger t[8];
    size_t n = revos_route_triggers(u, routing(), t, 8);
    ck_assert_uint_eq(n, 1); /* champion_departed needs critical */
    ck_assert_str_eq(t[0].name, "nps_decline");
    ck_assert_str_eq(t[0].severity, "info");
    json_decref(u);
}
END_TEST

START_TEST(same_trigger_twice_keeps_the_higher_severity)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "previous_tier", json_string("critical"));
    json_object_set_new(json_object_get(u, "context"), "derived",
                        json_string("stalled_deal:warning,close_date_drift:critical"));
    revos_route_trigger t[8];
    size_t n = revos_route_triggers(u, routing(), t, 8);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(t[0].name, "deal_stalled");
    ck_assert_str_eq(t[0].severity, "critical");
    ck_assert_str_eq(t[0].source, "close_date_drift");
    json_decref(u);
}
END_TEST

START_TEST(malformed_derived_items_are_skipped)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "previous_tier", json_string("critical"));
    json_object_set_new(json_object_get(u, "context"), "derived",
                        json_string(",,:critical, usage_down:, ,usage_down:warning"));
    revos_route_trigger t[8];
    size_t n = revos_route_triggers(u, routing(), t, 8);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(t[0].name, "adoption_decay");
    ck_assert_str_eq(t[0].severity, "warning");
    json_decref(u);
}
END_TEST

/* ==== Durations ==== */

START_TEST(sla_strings_parse_to_seconds)
{
    struct { const char *text; int64_t seconds; } rows[] = {
        {"30s", 30}, {"15m", 900}, {"4h", 14400}, {"24h", 86400}, {"2d", 172800},
        {"1w", 604800}, {"3600", 3600},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t s = -1;
        revos_err err = {{0}, {0}};
        ck_assert_int_eq(revos_route_parse_duration_text(rows[i].text, &s, &err), REVOS_OK);
        ck_assert_int_eq(s, rows[i].seconds);
    }
}
END_TEST

START_TEST(sla_as_json_integer_is_seconds)
{
    json_t *v = json_integer(14400);
    int64_t s = 0;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_parse_duration(v, &s, &err), REVOS_OK);
    ck_assert_int_eq(s, 14400);
    json_decref(v);
}
END_TEST

START_TEST(bad_sla_strings_are_rejected_with_the_text)
{
    const char *bad[] = {"", "4", "h", "4x", "4hh", "-4h", "0s", "4 h", "1.5h", "53w",
                         "99999999999999999999s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t s = 7;
        revos_err err = {{0}, {0}};
        revos_status st = revos_route_parse_duration_text(bad[i], &s, &err);
        if (strcmp(bad[i], "4") == 0) { /* plain seconds are fine */
            ck_assert_int_eq(st, REVOS_OK);
            ck_assert_int_eq(s, 4);
            continue;
        }
        ck_assert_msg(st == REVOS_ERR_INPUT, "'%s' accepted", bad[i]);
        ck_assert_int_eq(s, 0);
        ck_assert_str_eq(err.cls, "config");
        if (*bad[i] != '\0') {
            char want[64];
            snprintf(want, sizeof want, "duration '%s' is not valid", bad[i]);
            ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
        } else {
            ck_assert_str_eq(err.msg, "duration is empty: expected e.g. 30s, 15m, 4h, 2d, 1w");
        }
    }
}
END_TEST

START_TEST(sla_of_wrong_json_type_is_rejected)
{
    json_t *v = json_real(4.5);
    int64_t s = 7;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_parse_duration(v, &s, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "duration must be a string such as \"4h\" or seconds");
    json_decref(v);
    v = json_integer(0);
    ck_assert_int_eq(revos_route_parse_duration(v, &s, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "duration 0 is not valid: expected 1 to 31622400 seconds");
    json_decref(v);
}
END_TEST

START_TEST(durations_format_to_their_shortest_exact_unit)
{
    struct { int64_t seconds; const char *text; } rows[] = {
        {14400, "4h"}, {604800, "1w"}, {86400, "24h"}, {5400, "90m"}, {45, "45s"}, {8, "8s"},
        {1209600, "2w"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[32];
        revos_route_format_duration(rows[i].seconds, out, sizeof out);
        ck_assert_str_eq(out, rows[i].text);
    }
}
END_TEST

/* ==== Owners ==== */

START_TEST(owners_resolve_from_the_account_team_first)
{
    json_t *team = json_pack("{s:s, s:s}", "csm_lead", "u-lead", "ae", "u-ae");
    json_t *roles = json_pack("[s, s]", "csm_lead", "ae");
    revos_route_owners o;
    revos_route_resolve_owners(roles, team, routing(), &o);
    ck_assert_uint_eq(o.n, 2);
    ck_assert_uint_eq(o.n_unresolved, 0);
    ck_assert_str_eq(o.owner[0].role, "csm_lead");
    ck_assert_str_eq(o.owner[0].owner_id, "u-lead");
    ck_assert_str_eq(o.owner[0].name, "u-lead"); /* not in the directory */
    ck_assert_str_eq(o.owner[0].format, "json");
    ck_assert_ptr_null(o.owner[0].url);
    ck_assert_str_eq(o.owner[1].role, "ae");
    ck_assert_str_eq(o.owner[1].owner_id, "u-ae");
    json_decref(team);
    json_decref(roles);
}
END_TEST

START_TEST(owner_names_come_from_the_directory)
{
    json_t *team = json_pack("{s:s}", "ae", "005Dn000AE01AAA");
    revos_route_owner o;
    ck_assert_int_eq(revos_route_resolve_role("ae", team, routing(), &o), 1);
    ck_assert_str_eq(o.owner_id, "005Dn000AE01AAA");
    ck_assert_str_eq(o.name, "Jordan Ellis");
    json_decref(team);
}
END_TEST

START_TEST(owner_name_falls_back_to_context_role_name)
{
    json_t *team = json_pack("{s:s, s:s}", "csm", "u-77", "csm_name", "Ada Byron");
    revos_route_owner o;
    ck_assert_int_eq(revos_route_resolve_role("csm", team, routing(), &o), 1);
    ck_assert_str_eq(o.name, "Ada Byron");
    json_decref(team);
}
END_TEST

START_TEST(roles_outside_the_team_resolve_from_directory_roles)
{
    json_t *team = json_object();
    revos_route_owner o;
    ck_assert_int_eq(revos_route_resolve_role("cs_director", team, routing(), &o), 1);
    ck_assert_str_eq(o.owner_id, "005Dn000CD01AAA");
    ck_assert_str_eq(o.name, "Dana Whitfield");
    json_decref(team);
}
END_TEST

START_TEST(per_owner_webhook_and_format_come_from_the_directory)
{
    json_t *r = json_pack("{s:{s:{s:s}, s:{s:{s:s, s:s, s:s}}}}", "directory", "roles", "vp",
                          "u-vp", "owners", "u-vp", "name", "Vic Park", "webhook_url",
                          "https://hooks.slack.test/T1/B2", "format", "slack");
    revos_route_owner o;
    ck_assert_int_eq(revos_route_resolve_role("vp", NULL, r, &o), 1);
    ck_assert_str_eq(o.owner_id, "u-vp");
    ck_assert_str_eq(o.url, "https://hooks.slack.test/T1/B2");
    ck_assert_str_eq(o.format, "slack");
    json_decref(r);
}
END_TEST

START_TEST(unresolvable_role_is_reported_and_skipped)
{
    json_t *team = json_pack("{s:s, s:s}", "ae", "u-ae", "csm_lead", "");
    json_t *roles = json_pack("[s, s, s]", "csm_lead", "ae", "chief_happiness_officer");
    revos_route_owners o;
    revos_route_resolve_owners(roles, team, routing(), &o);
    ck_assert_uint_eq(o.n, 1);
    ck_assert_str_eq(o.owner[0].role, "ae");
    ck_assert_uint_eq(o.n_unresolved, 2);
    ck_assert_str_eq(o.unresolved[0], "csm_lead");
    ck_assert_str_eq(o.unresolved[1], "chief_happiness_officer");
    json_decref(team);
    json_decref(roles);
}
END_TEST

START_TEST(one_person_with_two_roles_is_paged_once)
{
    json_t *team = json_pack("{s:s, s:s}", "ae", "u-same", "csm_lead", "u-same");
    json_t *roles = json_pack("[s, s]", "csm_lead", "ae");
    revos_route_owners o;
    revos_route_resolve_owners(roles, team, routing(), &o);
    ck_assert_uint_eq(o.n, 1);
    ck_assert_str_eq(o.owner[0].role, "csm_lead");
    ck_assert_uint_eq(o.n_unresolved, 0);
    json_decref(team);
    json_decref(roles);
}
END_TEST

/* ==== Ids ==== */

START_TEST(ids_are_deterministic_and_readable)
{
    char *a = revos_route_play_id("acct-1", "renewal_save", "renewal_risk", "s-1");
    char *b = revos_route_play_id("acct-1", "renewal_save", "renewal_risk", "s-1");
    char *c = revos_route_play_id("acct-1", "renewal_save", "renewal_risk", "s-2");
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_int_eq(strncmp(a, "renewal_save:acct-1:", 20), 0);
    ck_assert_uint_eq(strlen(a), 20 + 16);
    char *n = revos_route_notice_id("acct-1", "champion_departed", "s-1");
    ck_assert_int_eq(strncmp(n, "notice:champion_departed:acct-1:", 32), 0);
    ck_assert_uint_eq(strlen(n), 32 + 16);
    char *p = revos_route_page_id(a, 1, "u-9");
    char want[128];
    snprintf(want, sizeof want, "%s:1:u-9", a);
    ck_assert_str_eq(p, want);
    free(a);
    free(b);
    free(c);
    free(n);
    free(p);
}
END_TEST

START_TEST(page_ids_are_visible_ascii)
{
    char *p = revos_route_page_id("notice:nps_decline:Zürich Schools:ab", 0, "jo smith");
    ck_assert_str_eq(p, "notice:nps_decline:Z__rich_Schools:ab:0:jo_smith");
    free(p);
}
END_TEST

START_TEST(ids_separate_their_parts)
{
    /* ("ab", "c") and ("a", "bc") must not collide. */
    char *x = revos_route_play_id("ab", "p", "c", "s");
    char *y = revos_route_play_id("a", "p", "bc", "s");
    ck_assert_str_ne(strrchr(x, ':'), strrchr(y, ':'));
    free(x);
    free(y);
}
END_TEST

/* ==== Dates ==== */

START_TEST(days_until_counts_calendar_days)
{
    int days = 0;
    ck_assert_int_eq(revos_route_days_until(AS_OF, "2026-12-08", &days), 0);
    ck_assert_int_eq(days, 101);
    ck_assert_int_eq(revos_route_days_until(AS_OF, "2026-12-08T00:00:00Z", &days), 0);
    ck_assert_int_eq(days, 101);
    ck_assert_int_eq(revos_route_days_until(AS_OF, "2026-08-29", &days), 0);
    ck_assert_int_eq(days, 0);
    ck_assert_int_eq(revos_route_days_until(AS_OF, "2026-08-20", &days), 0);
    ck_assert_int_eq(days, -9);
    ck_assert_int_eq(revos_route_days_until(AS_OF, "2027-08-29", &days), 0);
    ck_assert_int_eq(days, 365);
}
END_TEST

START_TEST(days_until_refuses_non_dates)
{
    int days = 42;
    ck_assert_int_eq(revos_route_days_until(AS_OF, "next spring", &days), -1);
    ck_assert_int_eq(revos_route_days_until(AS_OF, "2026-13-01", &days), -1);
    ck_assert_int_eq(revos_route_days_until(AS_OF, "2026-1-01", &days), -1);
    ck_assert_int_eq(revos_route_days_until(AS_OF, NULL, &days), -1);
    ck_assert_int_eq(days, 42);
}
END_TEST

/* ==== The walkthrough decision ==== */

START_TEST(walkthrough_decision_is_renewal_save_for_csm_lead_and_ae)
{
    json_t *u = walkthrough_update();
    revos_route_trigger t[8];
    ck_assert_uint_eq(revos_route_triggers(u, routing(), t, 8), 3);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_OK);
    ck_assert_str_eq(d.play, "renewal_save");
    ck_assert_str_eq(d.play_title, "Renewal Save");
    ck_assert_str_eq(d.route, "renewal_risk/critical");
    ck_assert_str_eq(d.score_band, "critical");
    ck_assert_int_eq(d.sla_seconds, 14400);
    ck_assert_int_eq(d.config_version, 7);
    ck_assert_int_eq(d.has_renewal_days, 1);
    ck_assert_int_eq(d.renewal_days, 101);
    ck_assert_str_eq(d.account_name, "Lincoln Unified School District");
    ck_assert_uint_eq(d.owners.n, 2);
    ck_assert_str_eq(d.owners.owner[0].role, "csm_lead");
    ck_assert_str_eq(d.owners.owner[0].owner_id, "005Dn000CL01AAA");
    ck_assert_str_eq(d.owners.owner[0].name, "Sam Okafor");
    ck_assert_str_eq(d.owners.owner[1].role, "ae");
    ck_assert_str_eq(d.owners.owner[1].owner_id, "005Dn000AE01AAA");
    char *id = revos_route_play_id("acct-001", "renewal_save", "renewal_risk",
                                   "acct-001:renewal_risk:sig-9");
    ck_assert_str_eq(d.decision_id, id);
    free(id);
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(walkthrough_decision_has_the_financial_frame)
{
    json_t *u = walkthrough_update();
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_OK);
    ck_assert_double_eq(d.finance.arr_at_risk, 180000.0);
    ck_assert_double_eq(d.finance.save_cost, 14000.0);
    ck_assert_double_eq_tol(d.finance.replacement_cost, 54000.0, 1e-6);
    ck_assert_double_eq_tol(d.finance.ev_act, 94000.0, 1e-6);
    ck_assert_double_eq_tol(d.finance.ev_no_act, 27000.0, 1e-6);
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(walkthrough_tasks_follow_the_play_with_due_dates_by_severity)
{
    json_t *u = walkthrough_update();
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_OK);
    ck_assert_uint_eq(d.n_tasks, 3);
    char want[256];
    snprintf(want, sizeof want, "%s:executive_sponsor_call", d.decision_id);
    ck_assert_str_eq(d.tasks[0].task_id, want);
    ck_assert_str_eq(d.tasks[0].title, "Executive sponsor call");
    ck_assert_str_eq(d.tasks[0].owner_role, "ae");
    ck_assert_str_eq(d.tasks[0].owner_id, "005Dn000AE01AAA");
    ck_assert_double_eq(d.tasks[0].cost, 2000.0);
    ck_assert_int_eq(d.tasks[0].due_at_ms, AS_OF + 2LL * 86400000);
    ck_assert_uint_eq(json_array_size(d.tasks[0].depends_on), 0);
    ck_assert_str_eq(d.tasks[1].title, "Usage recovery workshop");
    ck_assert_str_eq(d.tasks[1].owner_id, "005Dn000CL01AAA");
    ck_assert_double_eq(d.tasks[1].cost, 6000.0);
    ck_assert_int_eq(d.tasks[1].due_at_ms, AS_OF + 14LL * 86400000);
    ck_assert_uint_eq(json_array_size(d.tasks[1].depends_on), 1);
    ck_assert_str_eq(json_string_value(json_array_get(d.tasks[1].depends_on, 0)), want);
    ck_assert_str_eq(d.tasks[2].title, "Renewal proposal with multi-year incentive");
    ck_assert_double_eq(d.tasks[2].cost, 6000.0);
    ck_assert_int_eq(d.tasks[2].due_at_ms, AS_OF + 30LL * 86400000);
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(walkthrough_summary_reads_in_plain_language)
{
    json_t *u = walkthrough_update();
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_OK);
    ck_assert_str_eq(d.summary,
                     "Renewal risk critical for Lincoln Unified School District: $180,000 ARR at "
                     "risk, renewal in 101 days. Renewal Save play: save cost $14,000 vs "
                     "replacement $54,000. Acknowledge within 4h.");
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(decision_without_play_is_a_notice)
{
    json_t *u = walkthrough_update();
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[1], config, 7, &d, &err), REVOS_OK);
    ck_assert_ptr_null(d.play);
    ck_assert_int_eq(strncmp(d.decision_id, "notice:champion_departed:acct-001:", 34), 0);
    ck_assert_uint_eq(d.n_tasks, 0);
    ck_assert_double_eq(d.finance.save_cost, 0.0);
    ck_assert_double_eq_tol(d.finance.ev_act, 27000.0, 1e-6);
    ck_assert_uint_eq(d.owners.n, 1);
    ck_assert_str_eq(d.owners.owner[0].role, "ae");
    ck_assert_str_eq(d.summary,
                     "Champion departed critical for Lincoln Unified School District: $180,000 "
                     "ARR at risk, renewal in 101 days. No play: replacement cost $54,000. "
                     "Acknowledge within 24h.");
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(summary_lists_unresolved_roles)
{
    json_t *u = walkthrough_update();
    json_object_del(json_object_get(u, "context"), "csm_lead");
    json_object_del(json_object_get(u, "context"), "renewal_date");
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_OK);
    ck_assert_uint_eq(d.owners.n, 1);
    ck_assert_uint_eq(d.owners.n_unresolved, 1);
    ck_assert_str_eq(d.owners.unresolved[0], "csm_lead");
    ck_assert_ptr_null(d.tasks[1].owner_id); /* the workshop's csm_lead */
    ck_assert_str_eq(d.summary,
                     "Renewal risk critical for Lincoln Unified School District: $180,000 ARR at "
                     "risk. Renewal Save play: save cost $14,000 vs replacement $54,000. "
                     "Acknowledge within 4h. Unresolved owner roles: csm_lead.");
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(days_to_renewal_in_context_wins_over_renewal_date)
{
    json_t *u = walkthrough_update();
    json_object_set_new(json_object_get(u, "context"), "days_to_renewal", json_string("99"));
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_OK);
    ck_assert_int_eq(d.has_renewal_days, 1);
    ck_assert_int_eq(d.renewal_days, 99);
    ck_assert_ptr_nonnull(strstr(d.summary, ", renewal in 99 days."));
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(derived_trigger_takes_the_band_from_context_renewal_risk_tier)
{
    json_t *u = walkthrough_update();
    json_object_set_new(u, "kind", json_string("account_health"));
    json_object_set_new(u, "tier", json_null());
    json_object_set_new(u, "previous_tier", json_null());
    json_object_set_new(json_object_get(u, "context"), "renewal_risk_tier", json_string("high"));
    revos_route_trigger t[8];
    ck_assert_uint_eq(revos_route_triggers(u, routing(), t, 8), 2);
    ck_assert_str_eq(t[0].name, "champion_departed");
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_OK);
    ck_assert_str_eq(d.score_band, "high");
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(update_without_account_is_rejected_as_validation)
{
    json_t *u = walkthrough_update();
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    json_object_del(u, "account_id");
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "validation");
    ck_assert_str_eq(err.msg, "score update lacks account_id, score_id, kind, as_of or context");
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(matrix_naming_a_missing_play_is_a_config_error)
{
    json_t *u = walkthrough_update();
    json_t *entry = (json_t *)revos_route_matrix_lookup(routing(), "renewal_risk", "critical");
    json_object_set_new(entry, "play", json_string("miracle"));
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "config");
    ck_assert_str_eq(err.msg, "renewal_risk/critical: play 'miracle' is not in the play library");
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

START_TEST(bad_sla_in_matrix_is_a_config_error_naming_the_route)
{
    json_t *u = walkthrough_update();
    json_t *entry = (json_t *)revos_route_matrix_lookup(routing(), "renewal_risk", "critical");
    json_object_set_new(entry, "sla", json_string("soon"));
    revos_route_trigger t[8];
    revos_route_triggers(u, routing(), t, 8);
    revos_route_decision d;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_decide(u, &t[0], config, 7, &d, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "config");
    ck_assert_str_eq(err.msg,
                     "renewal_risk/critical: duration 'soon' is not valid: expected a positive "
                     "count with unit s, m, h, d or w (e.g. 4h), or seconds, at most 366 days");
    revos_route_decision_free(&d);
    json_decref(u);
}
END_TEST

/* ==== Config check ==== */

START_TEST(shipped_config_passes_the_check)
{
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_route_config_check(config, &err) == REVOS_OK, "%s", err.msg);
}
END_TEST

START_TEST(shipped_play_library_has_the_five_plays)
{
    const json_t *plays = json_object_get(json_object_get(config, "plays"), "plays");
    const char *names[] = {"renewal_save", "expansion", "deal_rescue", "competitor_displacement",
                           "new_icp_fit_qualification"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_msg(json_is_object(json_object_get(plays, names[i])), "%s missing", names[i]);
    ck_assert_double_eq(
        json_number_value(json_object_get(json_object_get(plays, "renewal_save"), "p_save")), 0.6);
}
END_TEST

START_TEST(config_check_refuses_a_dependency_on_a_later_task)
{
    json_t *plays = json_object_get(json_object_get(config, "plays"), "plays");
    json_t *tasks = json_object_get(json_object_get(plays, "renewal_save"), "tasks");
    json_object_set_new(json_array_get(tasks, 0), "depends_on", json_pack("[s]", "renewal_proposal"));
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "play renewal_save: task executive_sponsor_call depends on "
                              "'renewal_proposal', which is not an earlier task");
}
END_TEST

START_TEST(config_check_refuses_a_play_whose_entry_criteria_reject_the_route)
{
    json_t *entry = (json_t *)revos_route_matrix_lookup(routing(), "adoption_decay", "warning");
    json_object_set_new(entry, "play", json_string("renewal_save"));
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "routing.matrix[2] adoption_decay/warning: play renewal_save's "
                              "entry criteria do not accept it");
}
END_TEST

START_TEST(config_check_names_a_bad_sla)
{
    json_t *entry = (json_t *)revos_route_matrix_lookup(routing(), "nps_decline", "info");
    json_object_set_new(entry, "sla", json_string("a week"));
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "routing.matrix[4] nps_decline/info: sla: duration 'a week' is not "
                              "valid: expected a positive count with unit s, m, h, d or w (e.g. "
                              "4h), or seconds, at most 366 days");
}
END_TEST

START_TEST(config_check_refuses_secrets_in_the_directory)
{
    json_t *owners = json_object_get(json_object_get(routing(), "directory"), "owners");
    json_object_set_new(owners, "u-pd", json_pack("{s:s, s:s, s:s}", "name", "P", "format",
                                                  "pagerduty", "routing_key", "abc"));
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "routing.directory.owners.u-pd: secrets do not belong in config; "
                              "name an environment variable in secret_env");
}
END_TEST

START_TEST(config_check_refuses_an_unknown_page_format)
{
    json_t *owners = json_object_get(json_object_get(routing(), "directory"), "owners");
    json_object_set_new(owners, "u-x", json_pack("{s:s, s:s}", "name", "X", "format", "fax"));
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "routing.directory.owners.u-x: format 'fax' is not json, slack or pagerduty");
}
END_TEST

/* ==== The plan: inhibition ==== */

#define DAY_MS 86400000LL


/* A published cell on day `day` after AS_OF: a renewal-risk tier change
 * (tier NULL: none) and/or the derived signals of the day. */
static json_t *cell(int day, const char *kind, const char *tier, const char *previous,
                    const char *derived)
{
    char id[128];
    snprintf(id, sizeof id, "acct-1:%s:d%02d", kind, day);
    int64_t as_of = AS_OF + day * DAY_MS;
    json_t *update = json_pack(
        "{s:s, s:s, s:s, s:f, s:n, s:s?, s:s?, s:I, s:I, s:s, s:[], s:s,"
        " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "score_id", id, "account_id", "acct-1", "kind", kind, "value", 80.0, "previous",
        "tier", tier, "previous_tier", previous, "as_of", (json_int_t)as_of, "config_version",
        (json_int_t)3, "trigger_signal_id", "sig-1", "contributions", "explanation", "x",
        "context", "arr", "180000", "renewal_date", "2026-12-08", "ae", "005Dn000AE01AAA",
        "csm", "005Dn000CS01AAA", "csm_lead", "005Dn000CL01AAA", "name", "Lincoln USD",
        "derived", derived ? derived : "");
    return json_pack("{s:s, s:I, s:o}", "cell_id", id, "as_of", (json_int_t)as_of, "update", update);
}

static const revos_route_planned *find(const revos_route_plan_result *plan, const char *route)
{
    for (size_t i = 0; i < plan->n; i++)
        if (strcmp(plan->items[i].decision.route, route) == 0)
            return &plan->items[i];
    return NULL;
}

static size_t attached(const revos_route_planned *p, const char *trigger)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(p->events); i++) {
        const json_t *e = json_array_get(p->events, i);
        if (json_is_true(json_object_get(e, "attached")) &&
            strcmp(json_string_value(json_object_get(e, "trigger")), trigger) == 0)
            n++;
    }
    return n;
}

START_TEST(critical_renewal_risk_absorbs_the_same_episode_warnings)
{
    json_t *cells = json_array(), *ends = json_array();
    json_array_append_new(cells, cell(0, "renewal_risk", "critical", "high", NULL));
    json_array_append_new(cells, cell(1, "account_health", NULL, NULL, "usage_down:warning"));
    json_array_append_new(cells, cell(2, "account_health", NULL, NULL, "ticket_surge:warning,nps_drop:info"));
    revos_route_plan_result plan;
    revos_err err = {0};
    ck_assert_int_eq(revos_route_plan(config, 3, cells, ends, &plan, &err), REVOS_OK);
    /* one decision: the play; the warnings are its evidence */
    ck_assert_uint_eq(plan.n, 1);
    const revos_route_planned *play = find(&plan, "renewal_risk/critical");
    ck_assert_ptr_nonnull(play);
    ck_assert_uint_eq(attached(play, "adoption_decay"), 1);
    ck_assert_uint_eq(attached(play, "support_surge"), 1);
    ck_assert_uint_eq(attached(play, "nps_decline"), 1);
    revos_route_plan_free(&plan);
    json_decref(cells);
    json_decref(ends);
}
END_TEST

START_TEST(warnings_page_on_their_own_without_an_open_critical)
{
    json_t *cells = json_array(), *ends = json_array();
    json_array_append_new(cells, cell(1, "account_health", NULL, NULL, "usage_down:warning"));
    json_array_append_new(cells, cell(5, "renewal_risk", "critical", "high", NULL));
    json_array_append_new(cells, cell(6, "account_health", NULL, NULL, "ticket_surge:warning"));
    /* the renewal closes the play; a surge after it pages again */
    json_array_append_new(ends, json_pack("{s:s, s:I, s:s, s:s}", "kind", "crm", "ms",
                                          (json_int_t)(AS_OF + 10 * DAY_MS), "result", "renewed",
                                          "outcome_id", "o-1"));
    json_array_append_new(cells, cell(12, "account_health", NULL, NULL, "ticket_surge:warning"));
    revos_route_plan_result plan;
    revos_err err = {0};
    ck_assert_int_eq(revos_route_plan(config, 3, cells, ends, &plan, &err), REVOS_OK);
    /* the decay came before the play: its own notice */
    ck_assert_ptr_nonnull(find(&plan, "adoption_decay/warning"));
    const revos_route_planned *play = find(&plan, "renewal_risk/critical");
    ck_assert_ptr_nonnull(play);
    ck_assert_uint_eq(attached(play, "support_surge"), 1);
    ck_assert_int_eq(play->closed, 1);
    /* day 12: no open critical: the surge is its own notice */
    const revos_route_planned *surge = find(&plan, "support_surge/warning");
    ck_assert_ptr_nonnull(surge);
    ck_assert_int_eq(surge->decision.as_of_ms, AS_OF + 12 * DAY_MS);
    ck_assert_uint_eq(plan.n, 3);
    revos_route_plan_free(&plan);
    json_decref(cells);
    json_decref(ends);
}
END_TEST

START_TEST(high_renewal_risk_pages_the_csm_and_absorbs_decay)
{
    json_t *cells = json_array(), *ends = json_array();
    json_array_append_new(cells, cell(0, "renewal_risk", "high", "medium", NULL));
    json_array_append_new(cells, cell(3, "account_health", NULL, NULL, "usage_down:warning"));
    json_array_append_new(cells, cell(4, "account_health", NULL, NULL, "ticket_surge:warning"));
    revos_route_plan_result plan;
    revos_err err = {0};
    ck_assert_int_eq(revos_route_plan(config, 3, cells, ends, &plan, &err), REVOS_OK);
    const revos_route_planned *high = find(&plan, "renewal_risk/high");
    ck_assert_ptr_nonnull(high);
    ck_assert_ptr_null(high->decision.play);
    ck_assert_int_eq(high->decision.sla_seconds, 48 * 3600);
    ck_assert_str_eq(high->decision.owners.owner[0].role, "csm");
    ck_assert_uint_eq(attached(high, "adoption_decay"), 1);
    /* a high risk does not absorb a support surge: it pages the CSM */
    ck_assert_ptr_nonnull(find(&plan, "support_surge/warning"));
    revos_route_plan_free(&plan);
    json_decref(cells);
    json_decref(ends);
}
END_TEST

START_TEST(config_check_refuses_a_malformed_inhibit_rule)
{
    revos_err err = {0};
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_OK);
    json_t *routing = json_object_get(config, "routing");
    json_object_set_new(routing, "inhibit", json_pack("[{s:{s:s}, s:[s]}]", "while", "trigger",
                                                      "renewal_risk", "absorbs", "adoption_decay"));
    ck_assert_int_eq(revos_route_config_check(config, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.msg, "routing.inhibit[0]: needs while {trigger, severity} and an absorbs "
                              "array of triggers");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("route_decide");
    TCase *tc = tcase_create("decide");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, severity_ranks_order_info_warning_high_critical);
    tcase_add_test(tc, matrix_lookup_finds_renewal_risk_critical);
    tcase_add_test(tc, matrix_lookup_has_no_entry_below_the_lowest_severity);
    tcase_add_test(tc, matrix_lookup_uses_the_highest_entry_not_above_the_severity);
    tcase_add_test(tc, matrix_lookup_of_unknown_trigger_or_severity_is_null);
    tcase_add_test(tc, matrix_routes_design_examples);
    tcase_add_test(tc, tier_change_and_derived_signals_become_triggers);
    tcase_add_test(tc, unchanged_tier_is_not_a_trigger);
    tcase_add_test(tc, tier_change_to_a_tier_without_entry_is_not_a_trigger);
    tcase_add_test(tc, first_score_with_null_previous_tier_is_a_change);
    tcase_add_test(tc, derived_signals_map_through_config_names);
    tcase_add_test(tc, derived_signal_without_severity_counts_as_info);
    tcase_add_test(tc, same_trigger_twice_keeps_the_higher_severity);
    tcase_add_test(tc, malformed_derived_items_are_skipped);
    tcase_add_test(tc, sla_strings_parse_to_seconds);
    tcase_add_test(tc, sla_as_json_integer_is_seconds);
    tcase_add_test(tc, bad_sla_strings_are_rejected_with_the_text);
    tcase_add_test(tc, sla_of_wrong_json_type_is_rejected);
    tcase_add_test(tc, durations_format_to_their_shortest_exact_unit);
    tcase_add_test(tc, owners_resolve_from_the_account_team_first);
    tcase_add_test(tc, owner_names_come_from_the_directory);
    tcase_add_test(tc, owner_name_falls_back_to_context_role_name);
    tcase_add_test(tc, roles_outside_the_team_resolve_from_directory_roles);
    tcase_add_test(tc, per_owner_webhook_and_format_come_from_the_directory);
    tcase_add_test(tc, unresolvable_role_is_reported_and_skipped);
    tcase_add_test(tc, one_person_with_two_roles_is_paged_once);
    tcase_add_test(tc, ids_are_deterministic_and_readable);
    tcase_add_test(tc, page_ids_are_visible_ascii);
    tcase_add_test(tc, ids_separate_their_parts);
    tcase_add_test(tc, days_until_counts_calendar_days);
    tcase_add_test(tc, days_until_refuses_non_dates);
    tcase_add_test(tc, walkthrough_decision_is_renewal_save_for_csm_lead_and_ae);
    tcase_add_test(tc, walkthrough_decision_has_the_financial_frame);
    tcase_add_test(tc, walkthrough_tasks_follow_the_play_with_due_dates_by_severity);
    tcase_add_test(tc, walkthrough_summary_reads_in_plain_language);
    tcase_add_test(tc, decision_without_play_is_a_notice);
    tcase_add_test(tc, summary_lists_unresolved_roles);
    tcase_add_test(tc, days_to_renewal_in_context_wins_over_renewal_date);
    tcase_add_test(tc, derived_trigger_takes_the_band_from_context_renewal_risk_tier);
    tcase_add_test(tc, update_without_account_is_rejected_as_validation);
    tcase_add_test(tc, matrix_naming_a_missing_play_is_a_config_error);
    tcase_add_test(tc, bad_sla_in_matrix_is_a_config_error_naming_the_route);
    tcase_add_test(tc, shipped_config_passes_the_check);
    tcase_add_test(tc, shipped_play_library_has_the_five_plays);
    tcase_add_test(tc, config_check_refuses_a_dependency_on_a_later_task);
    tcase_add_test(tc, config_check_refuses_a_play_whose_entry_criteria_reject_the_route);
    tcase_add_test(tc, config_check_names_a_bad_sla);
    tcase_add_test(tc, config_check_refuses_secrets_in_the_directory);
    tcase_add_test(tc, config_check_refuses_an_unknown_page_format);
    suite_add_tcase(s, tc);
    TCase *plan = tcase_create("plan");
    tcase_add_checked_fixture(plan, setup, teardown);
    tcase_add_test(plan, critical_renewal_risk_absorbs_the_same_episode_warnings);
    tcase_add_test(plan, warnings_page_on_their_own_without_an_open_critical);
    tcase_add_test(plan, high_renewal_risk_pages_the_csm_and_absorbs_decay);
    tcase_add_test(plan, config_check_refuses_a_malformed_inhibit_rule);
    suite_add_tcase(s, plan);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
