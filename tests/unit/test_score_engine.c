/* test_score_engine.c -- specification of revos-score's pure scoring engine
 * (workers/score/engine.h, rules.h, state.h) with the shipped
 * config/scoring.json: one behaviour per test. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score/calendar.h"
#include "score/engine.h"
#include "score/rules.h"
#include "score/state.h"
#include "score/state_codec.h"

#define ACCOUNT "acct-district-042"
#define CONFIG_VERSION 7

/* ==== Helpers ==== */

static json_t *load_scoring(void)
{
    json_error_t jerr;
    json_t *doc = json_load_file(REVOS_CONFIG_DIR "/scoring.json", 0, &jerr);
    ck_assert_msg(doc != NULL, "config/scoring.json: %s (line %d)", jerr.text, jerr.line);
    return doc;
}

static revos_score_rules *load_rules(void)
{
    json_t *doc = load_scoring();
    revos_score_rules *rules = NULL;
    revos_err err = {0};
    revos_status st = revos_score_rules_load(doc, &rules, &err);
    ck_assert_msg(st == REVOS_OK, "rules: %s", err.msg);
    json_decref(doc);
    return rules;
}

/* Day 0 of the walkthrough: 2026-06-01T00:00:00Z. */
static int64_t day_ms(int day, int minute_of_day)
{
    return (revos_day_from_civil(2026, 6, 1) + day) * REVOS_MS_PER_DAY +
           (int64_t)minute_of_day * 60000;
}

/* A Signal record; attributes as name, value pairs ending with NULL. value
 * NAN means null. */
static json_t *make_signal(const char *id, const char *family, const char *type, int64_t ms,
                           double value, ...)
{
    json_t *attrs = json_object();
    va_list ap;
    va_start(ap, value);
    for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *))
        json_object_set_new(attrs, k, json_string(va_arg(ap, const char *)));
    va_end(ap);
    json_t *sig = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:s,s:s,s:i,s:I}",
                            "signal_id", id, "account_id", ACCOUNT, "family", family, "type", type,
                            "severity", "info", "occurred_at", (json_int_t)ms, "value",
                            isnan(value) ? json_null() : json_real(value), "attributes", attrs,
                            "evidence", "test", "source_event_id", id, "source", "test",
                            "source_topic", "revos.raw.test", "source_partition", 0,
                            "source_offset", (json_int_t)0);
    ck_assert_ptr_nonnull(sig);
    return sig;
}

/* Applies one signal; returns the updates it produced (new reference). */
static json_t *apply(const revos_score_rules *rules, json_t *state, json_t *signal,
                     const json_t *tuned)
{
    json_t *updates = json_array();
    revos_err err = {0};
    revos_score_outcome outcome;
    revos_status st = revos_score_engine_apply(rules, state, signal, tuned, CONFIG_VERSION, updates,
                                               &outcome, &err);
    ck_assert_msg(st == REVOS_OK, "apply %s: %s",
                  json_string_value(json_object_get(signal, "signal_id")), err.msg);
    return updates;
}

/* Applies a new signal and releases it. */
static json_t *feed(const revos_score_rules *rules, json_t *state, json_t *signal, const json_t *tuned)
{
    json_t *updates = apply(rules, state, signal, tuned);
    json_decref(signal);
    return updates;
}

/* The rules current() reads tiers with: the shipped config. */
static revos_score_rules *current_rules;

static double current(const json_t *state, const char *kind, const char **tier)
{
    double v = -1;
    const char *t = NULL;
    if (current_rules == NULL)
        current_rules = load_rules();
    ck_assert_int_eq(revos_score_engine_current(state, kind, &v, &t, current_rules), 0);
    if (tier != NULL)
        *tier = t;
    return v;
}

/* ==== The reference walkthrough (DESIGN.md) ==== */

/* Every signal of the walkthrough in event-time order: a $180K district
 * account renewing on day 190; usage 10/day for 60 days, then 6 and 7 a day
 * (195 in 30 days, -35%); tickets on days 5..55 every 10 days, then 9 on days
 * 61..85 every 3 days (tripled); NPS 8 on day 20, 3 on day 80; the
 * champion's role changes on day 88. */
static json_t *walkthrough_signals(void)
{
    json_t *list = json_array();
    char id[64];
    json_array_append_new(list, make_signal("sf-acct-1", "institutional", "account_profile",
                                            day_ms(0, 480), NAN, "name", "Lincoln Unified School District",
                                            "ae", "ae@revos.test", "csm", "csm@revos.test",
                                            "csm_lead", "csm-lead@revos.test", "segment", "Customer - District",
                                            "domain", "lincoln.k12.test", NULL));
    json_array_append_new(list, make_signal("sf-opp-1", "procurement", "renewal_opportunity",
                                            day_ms(0, 485), 180000, "opportunity_id", "006RENEW",
                                            "close_date", "2026-12-08", "stage", "Negotiation",
                                            "is_closed", "false", "is_won", "false", NULL));
    json_array_append_new(list, make_signal("sf-ocr-1", "stakeholder", "contact_role", day_ms(0, 490),
                                            NAN, "contact_id", "003CHAMP", "role", "Business User",
                                            "role_class", "champion", "is_primary", "true",
                                            "opportunity_id", "006RENEW", "contact_role_id", "00K1",
                                            "action", "create", NULL));
    for (int day = 0; day < 90; day++) {
        int n = day < 60 ? 10 : ((day - 60) % 2 == 0 ? 6 : 7);
        for (int i = 0; i < n; i++) {
            snprintf(id, sizeof id, "seg-usage-%d-%d", day, i);
            json_array_append_new(list, make_signal(id, "usage", "product_usage",
                                                    day_ms(day, 540 + 60 * i), NAN, "event",
                                                    "Lesson Assigned", NULL));
        }
        int ticket = (day < 60 && day % 10 == 5) || (day >= 61 && day <= 85 && (day - 61) % 3 == 0);
        if (ticket) {
            snprintf(id, sizeof id, "zd-ticket-%d", day);
            json_array_append_new(list, make_signal(id, "health", "ticket_opened", day_ms(day, 750),
                                                    NAN, "ticket_id", id, "priority", "high", NULL));
        }
        if (day == 20 || day == 80) {
            snprintf(id, sizeof id, "nps-%d", day);
            json_array_append_new(list, make_signal(id, "engagement", "nps_response", day_ms(day, 870),
                                                    day == 20 ? 8 : 3, "contact_id", "003CHAMP", NULL));
        }
        if (day == 88)
            json_array_append_new(list, make_signal("sf-ocr-2", "stakeholder", "contact_role",
                                                    day_ms(88, 630), NAN, "contact_id", "003CHAMP",
                                                    "role", "Other", "role_class", "other",
                                                    "is_primary", "false", "opportunity_id", "006RENEW",
                                                    "contact_role_id", "00K1", "action", "update", NULL));
    }
    return list;
}

/* The UTC day (from day 0) of a signal. */
static int64_t signal_day(const json_t *signal)
{
    return revos_day_of_ms(json_integer_value(json_object_get(signal, "occurred_at"))) -
           revos_day_from_civil(2026, 6, 1);
}

typedef struct walk {
    json_t *state;
    json_t *updates;   /* every update, in order */
    json_t *at_day59;  /* a copy of the state after the last signal of day 59 */
} walk;

/* Runs the walkthrough; with reload_every > 0 the state goes through JSON
 * text with sorted keys (as jsonb stores it) every reload_every signals,
 * like a worker that commits one batch and loads the state for the next. */
static walk run_walkthrough(const revos_score_rules *rules, size_t reload_every)
{
    walk w = {revos_score_state_new(ACCOUNT), json_array(), NULL};
    json_t *signals = walkthrough_signals();
    for (size_t i = 0; i < json_array_size(signals); i++) {
        json_t *signal = json_array_get(signals, i);
        json_t *updates = apply(rules, w.state, signal, NULL);
        json_array_extend(w.updates, updates);
        json_decref(updates);
        json_t *next = json_array_get(signals, i + 1);
        if (signal_day(signal) == 59 && (next == NULL || signal_day(next) == 60))
            w.at_day59 = json_deep_copy(w.state);
        if (reload_every > 0 && (i + 1) % reload_every == 0) {
            char *text = json_dumps(w.state, JSON_SORT_KEYS | JSON_COMPACT);
            json_decref(w.state);
            json_error_t jerr;
            w.state = json_loads(text, 0, &jerr);
            ck_assert_ptr_nonnull(w.state);
            free(text);
        }
    }
    json_decref(signals);
    return w;
}

static void walk_free(walk *w)
{
    json_decref(w->state);
    json_decref(w->updates);
    json_decref(w->at_day59);
}

/* The last update of a kind. */
static const json_t *last_update(const json_t *updates, const char *kind)
{
    const json_t *found = NULL;
    for (size_t i = 0; i < json_array_size(updates); i++) {
        const json_t *u = json_array_get(updates, i);
        if (strcmp(json_string_value(json_object_get(u, "kind")), kind) == 0)
            found = u;
    }
    return found;
}

/* The settled view of an update stream: the last revision of each cell
 * (kind, day), in the order the cells first appeared (new reference). */
static json_t *settled(const json_t *updates)
{
    json_t *latest = json_object(), *order = json_array();
    for (size_t i = 0; i < json_array_size(updates); i++) {
        json_t *u = json_array_get(updates, i);
        char key[160];
        snprintf(key, sizeof key, "%020lld:%s", (long long)json_integer_value(json_object_get(u, "as_of")),
                 json_string_value(json_object_get(u, "kind")));
        if (json_object_get(latest, key) == NULL)
            json_array_append_new(order, json_string(key));
        json_object_set(latest, key, u);
    }
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(order); i++)
        json_array_append(out, json_object_get(latest, json_string_value(json_array_get(order, i))));
    json_decref(latest);
    json_decref(order);
    return out;
}

/* One threshold change in force from day (engine.h's thresholds). */
static json_t *threshold_from(const char *kind, const char *tier, double value, int day)
{
    return json_pack("[{s:s,s:s,s:s,s:f,s:I}]", "change_id", "t-1", "score_kind", kind, "tier", tier,
                     "new_threshold", value, "day",
                     (json_int_t)(revos_day_from_civil(2026, 6, 1) + day));
}

static void add_all(const revos_score_rules *rules, json_t *state, json_t *signals, size_t from,
                    size_t to, json_t *updates);

/* ==== Rules ==== */

START_TEST(test_piecewise_interpolates_between_points)
{
    const double pts[][2] = {{-100, -20}, {-35, -6}, {0, 10}, {100, 15}};
    ck_assert_double_eq_tol(revos_score_piecewise(pts, 4, -35), -6.0, 1e-12);
    ck_assert_double_eq_tol(revos_score_piecewise(pts, 4, 0), 10.0, 1e-12);
    ck_assert_double_eq_tol(revos_score_piecewise(pts, 4, -17.5), 2.0, 1e-12);
    ck_assert_double_eq_tol(revos_score_piecewise(pts, 4, 50), 12.5, 1e-12);
    ck_assert_double_eq_tol(revos_score_piecewise(pts, 4, -67.5), -13.0, 1e-12);
}
END_TEST

START_TEST(test_piecewise_clamps_at_the_ends)
{
    const double pts[][2] = {{1, 0}, {3, -8}, {5, -12}};
    ck_assert_double_eq(revos_score_piecewise(pts, 3, 0.2), 0.0);
    ck_assert_double_eq(revos_score_piecewise(pts, 3, -50), 0.0);
    ck_assert_double_eq(revos_score_piecewise(pts, 3, 5), -12.0);
    ck_assert_double_eq(revos_score_piecewise(pts, 3, 40), -12.0);
    const double one[][2] = {{10, 4}};
    ck_assert_double_eq(revos_score_piecewise(one, 1, -3), 4.0);
    ck_assert_double_eq(revos_score_piecewise(one, 1, 30), 4.0);
}
END_TEST

START_TEST(test_categories_map_values_to_points)
{
    revos_score_rules *rules = load_rules();
    const revos_score_def *health = revos_score_rules_find(rules, "account_health");
    const revos_score_def *risk = revos_score_rules_find(rules, "renewal_risk");
    ck_assert_ptr_nonnull(health);
    ck_assert_ptr_nonnull(risk);
    const revos_score_rule *hc = &health->rules[2], *rc = &risk->rules[1];
    ck_assert_str_eq(hc->input, "champion_status");
    revos_score_input in = {.name = "champion_status", .present = 1};
    const struct { const char *category; double health, risk; } cases[] = {
        {"stable", 6, 0}, {"changed", -4, 42}, {"pending", -4, 10}, {"replaced", 2, 6},
        {"none", 0, 6},   {"unheard_of", 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        in.category = cases[i].category;
        ck_assert_double_eq(revos_score_rule_points(hc, &in), cases[i].health);
        ck_assert_double_eq(revos_score_rule_points(rc, &in), cases[i].risk);
    }
    in.present = 0;
    ck_assert_double_eq(revos_score_rule_points(rc, &in), 0.0);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_config_rejects_unknown_input)
{
    json_t *doc = load_scoring();
    json_t *rule = json_array_get(json_object_get(json_array_get(json_object_get(doc, "scores"), 0),
                                                  "rules"), 0);
    json_object_set_new(rule, "input", json_string("usage_vibes"));
    revos_score_rules *rules = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_score_rules_load(doc, &rules, &err), REVOS_ERR_INPUT);
    ck_assert_ptr_null(rules);
    ck_assert_ptr_nonnull(strstr(err.msg, "scores[0].rules[0]"));
    ck_assert_ptr_nonnull(strstr(err.msg, "usage_vibes"));
    json_decref(doc);
}
END_TEST

/* The detection keys of the scoring config, each broken one way: the rules
 * refuse it, naming the key (config apply runs the same check). */
START_TEST(test_config_rejects_bad_detection_keys)
{
    const struct { const char *patch; const char *names; } cases[] = {
        {"{\"usage\": {\"current_days\": 3}}", "current_days"},
        {"{\"usage\": {\"baseline_days\": 30, \"min_block_days\": 40}}", "min_block_days"},
        {"{\"usage\": \"fast\"}", "usage must be an object"},
        {"{\"tickets\": {\"prior_days\": 20, \"min_prior_days\": 30}}", "min_prior_days"},
        {"{\"tickets\": {\"prior_floor\": 0}}", "prior_floor"},
        {"{\"champion_grace_days\": -1}", "champion_grace_days"},
        {"{\"seasons\": {\"calendars\": {}}}", "seasons needs"},
        {"{\"seasons\": {\"segments\": [{\"match\": \"k-12\", \"calendar\": \"nope\"}],"
         " \"calendars\": {\"k12\": {\"breaks\": []}}}}", "seasons.segments[0]"},
        {"{\"seasons\": {\"segments\": [], \"calendars\": {\"k12\": {\"breaks\":"
         " [{\"name\": \"summer\", \"from\": \"06-31\", \"to\": \"08-20\"}]}}}}", "seasons.calendars.k12[0]"},
        {"{\"seasons\": {\"segments\": [], \"calendars\": {\"k12\": {\"weekends\": \"no\","
         " \"breaks\": []}}}}", "weekends"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *doc = load_scoring();
        json_error_t jerr;
        json_t *patch = json_loads(cases[i].patch, 0, &jerr);
        ck_assert_msg(patch != NULL, "case %zu: %s", i, jerr.text);
        json_object_update(doc, patch);
        revos_score_rules *rules = NULL;
        revos_err err = {0};
        ck_assert_msg(revos_score_rules_load(doc, &rules, &err) == REVOS_ERR_INPUT, "case %zu accepted", i);
        ck_assert_ptr_null(rules);
        ck_assert_msg(strstr(err.msg, cases[i].names) != NULL, "case %zu: \"%s\" does not name %s", i,
                      err.msg, cases[i].names);
        json_decref(patch);
        json_decref(doc);
    }
    /* and inside a derived signal */
    const struct { const char *key; const char *value; const char *names; } derived[] = {
        {"and", "[{\"input\": \"ticket_vibes\", \"op\": \">=\", \"threshold\": 1}]", "derived[0].and[0]"},
        {"and", "{\"input\": \"ticket_count\"}", "derived[0].and must be an array"},
        {"hold_days", "0", "hold_days"},
        {"rearm_days", "-3", "rearm_days"},
        {"overrides", "[{\"threshold\": -40}]", "derived[0].overrides[0]"},
        {"overrides", "[{\"segment\": \"k-12\", \"hold_days\": 400}]", "derived[0].overrides[0]"},
    };
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++) {
        json_t *doc = load_scoring();
        json_t *d = json_array_get(json_object_get(doc, "derived"), 0);
        json_error_t jerr;
        json_object_set_new(d, derived[i].key, json_loads(derived[i].value, JSON_DECODE_ANY, &jerr));
        revos_score_rules *rules = NULL;
        revos_err err = {0};
        ck_assert_msg(revos_score_rules_load(doc, &rules, &err) == REVOS_ERR_INPUT, "derived case %zu accepted", i);
        ck_assert_msg(strstr(err.msg, derived[i].names) != NULL, "derived case %zu: \"%s\" does not name %s", i,
                      err.msg, derived[i].names);
        json_decref(doc);
    }
}
END_TEST

START_TEST(test_config_rejects_unknown_template_variable)
{
    json_t *doc = load_scoring();
    json_t *rule = json_array_get(json_object_get(json_array_get(json_object_get(doc, "scores"), 1),
                                                  "rules"), 1);
    json_object_set_new(rule, "template", json_string("renewal in {days_to_renewl} days"));
    revos_score_rules *rules = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_score_rules_load(doc, &rules, &err), REVOS_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "days_to_renewl"));
    json_decref(doc);
}
END_TEST

/* ==== The walkthrough ==== */

START_TEST(test_walkthrough_day59_is_healthy_and_low_risk)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    const char *tier;
    ck_assert_ptr_nonnull(w.at_day59);
    /* 50 + 10 (usage flat) + 6 (NPS 8) + 6 (champion in place) + 0 (tickets flat) */
    ck_assert_double_eq(current(w.at_day59, "account_health", NULL), 72.0);
    /* 0 (usage flat) + 0 (champion in place) + 0 (NPS 8) + 0 (not enough
     * ticket history) + 21.0 (131 days to renewal: 22 - 7 * 11 / 80) */
    ck_assert_double_eq(current(w.at_day59, "renewal_risk", &tier), 21.0);
    ck_assert_str_eq(tier, "low");
    /* 85 - 45 * 1 / 40 = 83.9 */
    ck_assert_double_eq(current(w.at_day59, "forecast_confidence", NULL), 83.9);
    ck_assert_double_eq_tol(current(w.at_day59, "renewal_risk", NULL), 21.0, 1.0);
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_walkthrough_day89_is_critical)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    const char *tier;
    /* 50 - 6 (usage -35%) - 4 (NPS 3) - 4 (champion changed, no successor
     * yet) - 8.4 (tickets at 2.75x the prior rate: 9 vs 6 in 55 days) */
    ck_assert_double_eq(current(w.state, "account_health", NULL), 27.6);
    /* 42 (usage -35%) + 10 (champion pending) + 4 (NPS 3) + 4.4 (tickets
     * 2.75x) + 22.5 (101 days) */
    ck_assert_double_eq(current(w.state, "renewal_risk", &tier), 82.9);
    ck_assert_str_eq(tier, "critical");
    ck_assert_double_eq(current(w.state, "forecast_confidence", NULL), 15.1);
    ck_assert_double_eq_tol(current(w.state, "account_health", NULL), 28.0, 1.0);
    ck_assert_double_eq_tol(current(w.state, "forecast_confidence", NULL), 15.0, 1.0);
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_walkthrough_last_updates_match_the_story)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    const json_t *health = last_update(w.updates, "account_health");
    const json_t *risk = last_update(w.updates, "renewal_risk");
    const json_t *forecast = last_update(w.updates, "forecast_confidence");
    ck_assert_double_eq_tol(json_real_value(json_object_get(health, "value")), 28.0, 1.0);
    ck_assert_double_eq_tol(json_real_value(json_object_get(risk, "value")), 82.9, 0.1);
    ck_assert_str_eq(json_string_value(json_object_get(risk, "tier")), "critical");
    ck_assert_double_eq_tol(json_real_value(json_object_get(forecast, "value")), 15.0, 1.0);
    /* the risk went low -> critical through the emitted updates */
    const json_t *first_risk = NULL;
    for (size_t i = 0; i < json_array_size(w.updates) && first_risk == NULL; i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(w.updates, i), "kind")),
                   "renewal_risk") == 0)
            first_risk = json_array_get(w.updates, i);
    ck_assert_str_eq(json_string_value(json_object_get(first_risk, "tier")), "low");
    const json_t *ctx = json_object_get(risk, "context");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "arr")), "180000");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "renewal_date")), "2026-12-08");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "csm_lead")), "csm-lead@revos.test");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "ae")), "ae@revos.test");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "name")), "Lincoln Unified School District");
    ck_assert_int_eq(json_integer_value(json_object_get(risk, "config_version")), CONFIG_VERSION);
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_walkthrough_risk_tiers_rise_without_flapping)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    /* after day 59 the emitted tiers only ever rise: low -> high (the
     * typical day of the last 30 falls by 35% at once, once most of them
     * declined) -> critical (the champion leaves, day 88) */
    char seen[256] = "low";
    const char *last = "low";
    json_t *cells = settled(w.updates);
    for (size_t i = 0; i < json_array_size(cells); i++) {
        const json_t *u = json_array_get(cells, i);
        if (strcmp(json_string_value(json_object_get(u, "kind")), "renewal_risk") != 0 ||
            json_integer_value(json_object_get(u, "as_of")) < day_ms(60, 0))
            continue;
        const char *tier = json_string_value(json_object_get(u, "tier"));
        if (strcmp(tier, last) != 0) {
            strcat(seen, ",");
            strcat(seen, tier);
            last = tier;
        }
    }
    ck_assert_str_eq(seen, "low,high,critical");
    json_decref(cells);
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_walkthrough_final_risk_explanation_adds_up)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    /* the settled cell of day 89, as of the end of the day */
    json_t *records = json_array();
    revos_err err = {0};
    ck_assert_int_eq(revos_score_engine_at(rules, w.state, NULL, CONFIG_VERSION,
                                           revos_day_from_civil(2026, 6, 1) + 89, records, &err),
                     REVOS_OK);
    const json_t *risk = last_update(records, "renewal_risk");
    ck_assert_ptr_nonnull(risk);
    ck_assert_str_eq(json_string_value(json_object_get(risk, "explanation")),
                     "Renewal risk 82.9 (critical): usage down 35.0% against the best recent quarter adds "
                     "42.0; champion changed on 2026-08-28, no successor yet adds 10.0; latest NPS 3 adds "
                     "4.0; support tickets at 2.8x the prior rate adds 4.4; renewal in 101 days adds 22.5.");
    ck_assert_int_eq(json_integer_value(json_object_get(risk, "as_of")), day_ms(90, 0) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(risk, "trigger_signal_id")), "seg-usage-89-6");
    const char *tier;
    ck_assert_double_eq(current(w.state, "renewal_risk", &tier), 82.9);
    ck_assert_str_eq(tier, "critical");
    json_decref(records);
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

/* The rank of a walkthrough signal's source, in the order the e2e scenario
 * produces its files: Salesforce, Segment, Zendesk, NPS. */
static int source_rank(const char *signal_id)
{
    return strncmp(signal_id, "sf-", 3) == 0 ? 0 : strncmp(signal_id, "seg-", 4) == 0 ? 1
         : strncmp(signal_id, "zd-", 3) == 0 ? 2 : 3;
}

START_TEST(test_walkthrough_grouped_by_source_ends_on_the_exact_values)
{
    /* The e2e produces each phase one source file after the other, so the
     * signals of one account arrive grouped by source, not in event time.
     * Windows are counted in event time: the end state is the same, and the
     * last updates carry the walkthrough's exact numbers. */
    revos_score_rules *rules = load_rules();
    json_t *all = walkthrough_signals();
    json_t *state = revos_score_state_new(ACCOUNT), *updates = json_array();
    const int phase_end[] = {0, 59, 89};
    int64_t from = -1;
    for (size_t phase = 0; phase < 3; phase++) {
        for (int rank = 0; rank < 4; rank++) {
            for (size_t i = 0; i < json_array_size(all); i++) {
                json_t *sig = json_array_get(all, i);
                int64_t day = signal_day(sig);
                int first = i < 3; /* profile, renewal, champion: phase 1 */
                int in_phase = phase == 0 ? first : !first && day > from && day <= phase_end[phase];
                if (in_phase && source_rank(json_string_value(json_object_get(sig, "signal_id"))) == rank) {
                    json_t *u = apply(rules, state, sig, NULL);
                    json_array_extend(updates, u);
                    json_decref(u);
                }
            }
        }
        from = phase == 0 ? -1 : phase_end[phase];
        if (phase == 1) {
            ck_assert_double_eq(json_real_value(json_object_get(last_update(updates, "account_health"), "value")), 72.0);
            ck_assert_str_eq(json_string_value(json_object_get(last_update(updates, "renewal_risk"), "tier")), "low");
        }
    }
    const json_t *risk = last_update(updates, "renewal_risk");
    ck_assert_str_eq(json_string_value(json_object_get(risk, "explanation")),
                     "Renewal risk 82.9 (critical): usage down 35.0% against the best recent quarter adds "
                     "42.0; champion changed on 2026-08-28, no successor yet adds 10.0; latest NPS 3 adds "
                     "4.0; support tickets at 2.8x the prior rate adds 4.4; renewal in 101 days adds 22.5.");
    ck_assert_double_eq(json_real_value(json_object_get(last_update(updates, "account_health"), "value")), 27.6);
    ck_assert_double_eq(json_real_value(json_object_get(last_update(updates, "forecast_confidence"), "value")), 15.1);
    ck_assert_str_eq(json_string_value(json_object_get(last_update(updates, "account_health"), "explanation")),
                     "Account health 27.6: baseline 50.0; usage down 35.0% (6.5 a day vs 10 before) subtracts "
                     "6.0; latest NPS 3 (previous 8) subtracts 4.0; champion changed on 2026-08-28, no "
                     "successor yet subtracts 4.0; support tickets at 2.8x the prior rate (9 vs 3.3 per 30 "
                     "days) subtracts 8.4.");
    json_decref(updates);
    json_decref(state);
    json_decref(all);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_contributions_add_up_to_every_emitted_value)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    ck_assert_uint_gt(json_array_size(w.updates), 10);
    for (size_t i = 0; i < json_array_size(w.updates); i++) {
        const json_t *u = json_array_get(w.updates, i);
        const json_t *contribs = json_object_get(u, "contributions");
        long long tenths = 0;
        for (size_t j = 0; j < json_array_size(contribs); j++) {
            double p = json_real_value(json_object_get(json_array_get(contribs, j), "points"));
            ck_assert_double_eq(p * 10, (double)llround(p * 10)); /* each a multiple of 0.1 */
            tenths += llround(p * 10);
        }
        double value = json_real_value(json_object_get(u, "value"));
        ck_assert_int_eq(tenths, llround(value * 10));
        ck_assert(value >= 0 && value <= 100);
    }
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_replay_gives_bit_identical_output)
{
    revos_score_rules *rules = load_rules();
    walk a = run_walkthrough(rules, 0);
    walk b = run_walkthrough(rules, 0);
    char *ua = json_dumps(a.updates, JSON_COMPACT), *ub = json_dumps(b.updates, JSON_COMPACT);
    char *sa = json_dumps(a.state, JSON_COMPACT | JSON_SORT_KEYS);
    char *sb = json_dumps(b.state, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(ua, ub);
    ck_assert_str_eq(sa, sb);
    free(ua);
    free(ub);
    free(sa);
    free(sb);
    walk_free(&a);
    walk_free(&b);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_batching_does_not_change_output)
{
    revos_score_rules *rules = load_rules();
    walk whole = run_walkthrough(rules, 0);
    char *expected = json_dumps(whole.updates, JSON_COMPACT);
    const size_t batch_sizes[] = {1, 7, 100};
    for (size_t i = 0; i < sizeof batch_sizes / sizeof batch_sizes[0]; i++) {
        walk batched = run_walkthrough(rules, batch_sizes[i]);
        char *got = json_dumps(batched.updates, JSON_COMPACT);
        ck_assert_msg(strcmp(got, expected) == 0, "batches of %zu differ", batch_sizes[i]);
        free(got);
        walk_free(&batched);
    }
    free(expected);
    walk_free(&whole);
    revos_score_rules_free(rules);
}
END_TEST

/* ==== Windows, derived signals, dedup, bounds ==== */

START_TEST(test_usage_trend_needs_50_days_of_history)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    char id[32];
    for (int day = 0; day <= 59; day++) {
        snprintf(id, sizeof id, "u-%d", day);
        json_decref(feed(rules, state, make_signal(id, "usage", "product_usage", day_ms(day, 600), 4, NULL), NULL));
        if (day == 48) /* 30 current days + 19 baseline days: no usage term */
            ck_assert_double_eq(current(state, "account_health", NULL), 50.0);
    }
    /* day 49 on: the current window and a first baseline block of 20 days */
    ck_assert_double_eq(current(state, "account_health", NULL), 50.0 + 10.0 + 0.0);
    /* the missing input contributes 0 with a label saying why */
    json_t *fresh = revos_score_state_new(ACCOUNT);
    json_t *ups = feed(rules, fresh, make_signal("u-x", "usage", "product_usage", day_ms(0, 600), 1, NULL), NULL);
    const json_t *h = last_update(ups, "account_health");
    const json_t *usage = json_array_get(json_object_get(h, "contributions"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(usage, "rule_id")), "health.usage_trend");
    ck_assert_str_eq(json_string_value(json_object_get(usage, "label")), "not enough usage history");
    ck_assert_double_eq(json_real_value(json_object_get(usage, "points")), 0.0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(usage, "inputs"), "usage_trend_pct")),
                     "missing");
    json_decref(ups);
    json_decref(fresh);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

/* Sources arrive with different delays: a ticket stamped day 73 processed
 * before days 60-72 of usage must not read as a usage drop. The usage window
 * ends at the usage stream's newest day unless it lags by more than
 * usage_lateness_days (14), after which silence counts as zero. */
START_TEST(test_usage_window_follows_the_usage_stream_within_lateness)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    char id[32];
    for (int day = 0; day <= 59; day++) {
        snprintf(id, sizeof id, "u-%d", day);
        json_decref(feed(rules, state, make_signal(id, "usage", "product_usage", day_ms(day, 600), 4, NULL), NULL));
    }
    ck_assert_double_eq(current(state, "account_health", NULL), 60.0); /* flat usage: +10 */
    json_decref(feed(rules, state, make_signal("t-73", "health", "ticket_opened", day_ms(73, 100), NAN, NULL), NULL));
    ck_assert_double_eq(current(state, "account_health", NULL), 60.0); /* 14 days late: still flat */
    json_decref(feed(rules, state, make_signal("t-80", "health", "ticket_opened", day_ms(80, 100), NAN, NULL), NULL));
    /* 21 days of silence: the window ends on day 66, seven empty days
     * count, but the typical day of the 30 (the median) is still 4 */
    ck_assert_double_eq(current(state, "account_health", NULL), 60.0);
    json_decref(feed(rules, state, make_signal("t-90", "health", "ticket_opened", day_ms(90, 100), NAN, NULL), NULL));
    /* the window ends on day 76: 17 of its 30 days are empty */
    ck_assert_double_lt(current(state, "account_health", NULL), 60.0);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_derived_signals_are_raised_once_per_episode)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    /* the tickets reach 3x the prior rate (9 vs 3.0 a window) but a surge
     * needs 10 of them; the champion change is within its grace days at
     * the end: neither is raised */
    const char *names[] = {"usage_down:warning", "nps_drop:info", "ticket_surge",
                           "champion_changed"};
    const int expected[] = {1, 1, 0, 0};
    int seen[4] = {0};
    json_t *cells = settled(w.updates);
    for (size_t i = 0; i < json_array_size(cells); i++) {
        const json_t *u = json_array_get(cells, i);
        const char *derived = json_string_value(json_object_get(json_object_get(u, "context"), "derived"));
        ck_assert_ptr_nonnull(derived);
        if (derived[0] != '\0')
            ck_assert_str_eq(json_string_value(json_object_get(u, "kind")), "account_health");
        for (size_t k = 0; k < 4; k++)
            if (strstr(derived, names[k]) != NULL)
                seen[k]++;
    }
    for (size_t k = 0; k < 4; k++)
        ck_assert_msg(seen[k] == expected[k], "%s raised %d times", names[k], seen[k]);
    /* stable ids: account + name + day; raised once the decline held 14
     * days (-35% from day 75 on) */
    const json_t *log = json_object_get(json_object_get(w.state, "dlog"), "usage_down");
    const char *raised_id = NULL;
    for (size_t i = 0; i < json_array_size(log); i++)
        if (json_is_true(json_array_get(json_array_get(log, i), 1)))
            raised_id = json_string_value(json_array_get(json_array_get(log, i), 3));
    ck_assert_ptr_nonnull(raised_id);
    ck_assert_str_eq(raised_id, ACCOUNT ":usage_down:2026-08-28");
    json_decref(cells);
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_duplicate_signal_id_is_ignored)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_t *sig = make_signal("nps-1", "engagement", "nps_response", day_ms(3, 60), 9, NULL);
    json_t *first = apply(rules, state, sig, NULL);
    ck_assert_uint_eq(json_array_size(first), 3);
    char *before = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);

    json_t *updates = json_array();
    revos_err err = {0};
    revos_score_outcome outcome = REVOS_SCORE_APPLIED;
    ck_assert_int_eq(revos_score_engine_apply(rules, state, sig, NULL, CONFIG_VERSION, updates,
                                              &outcome, &err), REVOS_OK);
    ck_assert_int_eq(outcome, REVOS_SCORE_DUPLICATE);
    ck_assert_uint_eq(json_array_size(updates), 0);
    char *after = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    json_decref(updates);
    json_decref(first);
    json_decref(sig);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_state_stays_bounded_past_the_horizon)
{
    /* two years of daily usage, tickets and contacts, in order: the state
     * holds the lateness horizon (400 days) plus the windows' lookback, a
     * month of slack before trimming, and bounded lists */
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    char id[48];
    size_t size_at_day500 = 0; /* (day 1000: the lookback is full by then) */
    json_t *week = json_array(), *updates = json_array();
    for (int day = 0; day < 1100; day++) {
        for (int i = 0; i < 3; i++) {
            snprintf(id, sizeof id, "usage-%04d-%d", day, i);
            json_array_append_new(week, make_signal(id, "usage", "product_usage", day_ms(day, 60 * i), 3, NULL));
        }
        snprintf(id, sizeof id, "ticket-%04d", day);
        json_array_append_new(week, make_signal(id, "health", "ticket_opened", day_ms(day, 700), NAN, NULL));
        if (day % 7 == 0) {
            snprintf(id, sizeof id, "contact-%04d", day);
            json_array_append_new(week, make_signal(id, "stakeholder", "contact_role", day_ms(day, 800), NAN,
                                                     "contact_id", id, "role_class", "other", NULL));
        }
        if (day % 7 == 6 || day == 1099) { /* a batch a week */
            add_all(rules, state, week, 0, json_array_size(week), updates);
            json_array_clear(week);
            json_array_clear(updates);
        }
        if (day == 1000) {
            char *text = json_dumps(state, JSON_COMPACT);
            size_at_day500 = strlen(text);
            free(text);
        }
    }
    json_decref(week);
    json_decref(updates);
    int64_t newest = revos_score_state_int(state, "newest_day", 0);
    int64_t base = revos_score_state_int(state, "base_day", 0);
    ck_assert_int_ge(newest - base, 400);
    ck_assert_int_le(newest - base, 400 + 32);
    /* the usage trend reads back 30 + 3 x 90 days and 150 days of breaks */
    size_t lookback = 30 + 3 * 90 + 150 + 14 + 5;
    ck_assert_uint_le(json_array_size(json_object_get(json_object_get(state, "usage"), "v")),
                      400 + 32 + lookback + 1);
    ck_assert_uint_eq(json_array_size(json_object_get(state, "recent")), 64);
    ck_assert_uint_le(json_array_size(json_object_get(state, "events")), 400 / 7 + 6);
    ck_assert_uint_le(json_object_size(json_object_get(json_object_get(state, "base"), "contacts")), 64);
    char *text = json_dumps(state, JSON_COMPACT);
    size_t size_at_day729 = strlen(text);
    free(text);
    ck_assert_uint_le(size_at_day729, size_at_day500 + size_at_day500 / 10);
    /* the day the trimming left behind still scores as before */
    const char *tier;
    ck_assert_double_ge(current(state, "account_health", &tier), 0.0);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_tuned_threshold_changes_the_tier)
{
    revos_score_rules *rules = load_rules();
    walk w = run_walkthrough(rules, 0);
    json_t *state = w.at_day59; /* renewal risk 21.0, low by the config */
    json_t *tuned = threshold_from("renewal_risk", "medium", 20.0, 59);
    json_t *updates = feed(rules, state, make_signal("other-1", "risk", "market_event", day_ms(59, 1400), NAN, NULL), tuned);
    const char *tier;
    ck_assert_double_eq(current(state, "renewal_risk", &tier), 21.0);
    ck_assert_str_eq(tier, "medium");
    const json_t *risk = last_update(updates, "renewal_risk");
    ck_assert_ptr_nonnull(risk); /* a tier change is always emitted */
    ck_assert_str_eq(json_string_value(json_object_get(risk, "tier")), "medium");
    ck_assert_str_eq(json_string_value(json_object_get(risk, "previous_tier")), "low");
    json_decref(updates);
    json_decref(tuned);
    walk_free(&w);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_first_signal_emits_every_score)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_t *updates = feed(rules, state, make_signal("p-1", "institutional", "account_profile",
                                                      day_ms(0, 0), NAN, "name", "Acme", NULL), NULL);
    ck_assert_uint_eq(json_array_size(updates), 3);
    const json_t *health = json_array_get(updates, 0);
    ck_assert_str_eq(json_string_value(json_object_get(health, "score_id")), ACCOUNT ":account_health:2026-06-01");
    ck_assert_int_eq(json_integer_value(json_object_get(health, "revision")), 0);
    ck_assert(json_is_null(json_object_get(health, "revises")));
    ck_assert(json_is_null(json_object_get(health, "previous")));
    ck_assert(json_is_null(json_object_get(health, "tier")));
    ck_assert_int_eq(json_integer_value(json_object_get(health, "as_of")), day_ms(1, 0) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(health, "trigger_signal_id")), "p-1");
    /* no champion, no renewal, no history: 50 + 0 + 0 + 0 + 0 */
    ck_assert_double_eq(json_real_value(json_object_get(health, "value")), 50.0);
    ck_assert_str_eq(json_string_value(json_object_get(health, "explanation")),
                     "Account health 50.0: baseline 50.0; not enough usage history adds 0.0; "
                     "no NPS response yet adds 0.0; no champion known adds 0.0; "
                     "not enough ticket history adds 0.0.");
    json_decref(updates);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_small_moves_are_not_emitted)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_decref(feed(rules, state, make_signal("o-1", "procurement", "renewal_opportunity", day_ms(0, 0),
                                                1000, "opportunity_id", "o", "close_date", "2026-12-08", NULL), NULL));
    /* one day closer to renewal moves the risk by less than 1.0 */
    json_t *updates = feed(rules, state, make_signal("x-1", "expansion", "anything", day_ms(1, 0), NAN, NULL), NULL);
    ck_assert_uint_eq(json_array_size(updates), 0);
    json_decref(updates);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_clamp_is_a_visible_contribution)
{
    json_t *doc = load_scoring();
    json_t *health = json_array_get(json_object_get(doc, "scores"), 0);
    json_object_set_new(health, "baseline", json_integer(97));
    revos_score_rules *rules = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_score_rules_load(doc, &rules, &err), REVOS_OK);
    json_t *state = revos_score_state_new(ACCOUNT);
    json_t *updates = feed(rules, state, make_signal("r-1", "stakeholder", "contact_role", day_ms(0, 0), NAN,
                                                     "contact_id", "c1", "role_class", "champion", NULL), NULL);
    const json_t *h = last_update(updates, "account_health");
    ck_assert_ptr_nonnull(h);
    ck_assert_double_eq(json_real_value(json_object_get(h, "value")), 100.0);
    const json_t *contribs = json_object_get(h, "contributions");
    const json_t *clamp = json_array_get(contribs, json_array_size(contribs) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(clamp, "rule_id")), "account_health.clamp");
    /* 97 + 6 (champion in place) = 103 -> capped: -3 */
    ck_assert_double_eq(json_real_value(json_object_get(clamp, "points")), -3.0);
    ck_assert_str_eq(json_string_value(json_object_get(clamp, "label")), "capped at 100");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(h, "explanation")),
                                 "; capped at 100 subtracts 3.0."));
    json_decref(updates);
    json_decref(state);
    json_decref(doc);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_malformed_signals_are_rejected_without_touching_state)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    char *before = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *bad[4];
    bad[0] = make_signal("b-1", "engagement", "nps_response", day_ms(0, 0), 11, NULL);
    bad[1] = make_signal("b-2", "astrology", "horoscope", day_ms(0, 0), NAN, NULL);
    bad[2] = make_signal("b-3", "usage", "product_usage", day_ms(0, 0), -5, NULL);
    bad[3] = make_signal("b-4", "usage", "product_usage", day_ms(0, 0), 1, NULL);
    json_object_set_new(bad[3], "account_id", json_string(""));
    const char *why[] = {"out of range 0-10", "unknown family", "out of range", "account_id"};
    for (size_t i = 0; i < 4; i++) {
        json_t *updates = json_array();
        revos_err err = {0};
        revos_score_outcome outcome;
        ck_assert_int_eq(revos_score_engine_apply(rules, state, bad[i], NULL, 1, updates, &outcome, &err),
                         REVOS_ERR_INPUT);
        ck_assert_msg(strstr(err.msg, why[i]) != NULL, "reason \"%s\" lacks \"%s\"", err.msg, why[i]);
        ck_assert_str_eq(err.cls, "validation");
        ck_assert_uint_eq(json_array_size(updates), 0);
        json_decref(updates);
        json_decref(bad[i]);
    }
    char *after = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

/* The context of the newest day's renewal_risk record of state. */
static json_t *newest_context(const revos_score_rules *rules, const json_t *state)
{
    json_t *records = json_array();
    revos_err err = {0};
    ck_assert_int_eq(revos_score_engine_at(rules, state, NULL, CONFIG_VERSION,
                                           revos_score_state_int(state, "newest_day", 0), records, &err),
                     REVOS_OK);
    json_t *ctx = json_incref(json_object_get(last_update(records, "renewal_risk"), "context"));
    json_decref(records);
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

START_TEST(test_nearest_open_renewal_sets_the_date)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_decref(feed(rules, state, make_signal("o-1", "procurement", "renewal_opportunity", day_ms(0, 0), 90000,
                                                "opportunity_id", "far", "close_date", "2027-06-01", NULL), NULL));
    json_decref(feed(rules, state, make_signal("o-2", "procurement", "renewal_opportunity", day_ms(0, 1), 180000,
                                                "opportunity_id", "near", "close_date", "2026-12-08", NULL), NULL));
    json_t *ctx = newest_context(rules, state);
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "renewal_date")), "2026-12-08");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "arr")), "180000");
    json_decref(ctx);
    /* the near one closes: the far one takes over */
    json_decref(feed(rules, state, make_signal("o-3", "procurement", "renewal_opportunity", day_ms(1, 0), 180000,
                                                "opportunity_id", "near", "close_date", "2026-12-08",
                                                "is_closed", "true", "is_won", "true", NULL), NULL));
    ctx = newest_context(rules, state);
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "renewal_date")), "2027-06-01");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "arr")), "90000");
    json_decref(ctx);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_champion_title_change_counts_as_champion_changed)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_decref(feed(rules, state, make_signal("c-1", "stakeholder", "contact", day_ms(0, 0), NAN,
                                                "contact_id", "c1", "title", "Director of Curriculum", NULL), NULL));
    json_decref(feed(rules, state, make_signal("r-1", "stakeholder", "contact_role", day_ms(0, 1), NAN,
                                                "contact_id", "c1", "role_class", "champion", "action", "create", NULL), NULL));
    json_decref(feed(rules, state, make_signal("c-2", "stakeholder", "contact", day_ms(5, 0), NAN,
                                                "contact_id", "c1", "title", "Assistant Superintendent", NULL), NULL));
    /* within the 14 grace days the change is pending; on day 19 it counts */
    json_t *updates = feed(rules, state, make_signal("x-19", "risk", "market_event", day_ms(19, 0), NAN, NULL), NULL);
    const json_t *h = last_update(updates, "account_health");
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(h, "context"), "derived")),
                     "champion_changed:warning");
    const json_t *champ = json_array_get(json_object_get(h, "contributions"), 3);
    ck_assert_str_eq(json_string_value(json_object_get(champ, "label")),
                     "champion changed on 2026-06-06, no successor");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(champ, "evidence_ids"), 0)), "c-2");
    json_decref(updates);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

/* The stored bytes give back the same state: the same values bit for bit
 * and of the same type, the same bytes again, and the same scores after. */
START_TEST(test_stored_state_round_trips)
{
    revos_score_rules *rules = load_rules();
    json_t *signals = walkthrough_signals();
    /* a fractional usage amount, so the sums are not all integers */
    json_array_append_new(signals, make_signal("u-frac", "usage", "product_usage", day_ms(40, 5), 0.1, NULL));
    json_array_append_new(signals, make_signal("u-frac2", "usage", "product_usage", day_ms(40, 6), 0.2, NULL));
    json_t *state = revos_score_state_new(ACCOUNT);
    add_all(rules, state, signals, 0, json_array_size(signals), NULL);
    json_object_set_new(state, "odd", json_pack("{s:s,s:n,s:b,s:I,s:[]}", "text", "\u00e9t\u00e9 \"q\"",
                                                 "none", "yes", 1, "big", (json_int_t)-9007199254740993LL,
                                                 "empty"));
    revos_score_bytes buf = {0};
    ck_assert_int_eq(revos_score_state_encode(state, &buf), 0);
    unsigned char *bytes = buf.data;
    size_t len = buf.len;
    char *plain = json_dumps(state, JSON_COMPACT);
    ck_assert_uint_lt(len, strlen(plain)); /* and smaller than the JSON text */
    revos_err err = {0};
    json_t *back = revos_score_state_decode(bytes, len, &err);
    ck_assert_msg(back != NULL, "%s", err.msg);
    ck_assert(json_equal(state, back));
    /* json_equal compares numbers by value within a type: types and bits too */
    const json_t *v0 = json_object_get(json_object_get(state, "usage"), "v");
    const json_t *v1 = json_object_get(json_object_get(back, "usage"), "v");
    int fractional = 0;
    for (size_t i = 0; i < json_array_size(v0); i++) {
        const json_t *a = json_array_get(v0, i), *b = json_array_get(v1, i);
        ck_assert_int_eq(json_typeof(a), json_typeof(b));
        ck_assert(json_number_value(a) == json_number_value(b));
        fractional += json_number_value(a) != floor(json_number_value(a));
    }
    ck_assert_int_gt(fractional, 0);
    /* appended behind the first: the same bytes again */
    ck_assert_int_eq(revos_score_state_encode(back, &buf), 0);
    bytes = buf.data;
    ck_assert_uint_eq(buf.len, 2 * len);
    ck_assert(memcmp(bytes + len, bytes, len) == 0);
    /* one more day scores the same on both */
    json_t *more = make_signal("u-more", "usage", "product_usage", day_ms(90, 600), NAN, NULL);
    json_t *u0 = json_array(), *u1 = json_array();
    json_t *pair[2] = {state, back}, *latest[2] = {u0, u1};
    for (int k = 0; k < 2; k++) {
        revos_score_outcome outcome;
        ck_assert_int_eq(revos_score_engine_add(rules, pair[k], more, &outcome, &err), REVOS_OK);
        ck_assert_int_eq(revos_score_engine_settle(rules, pair[k], NULL, CONFIG_VERSION, NULL, latest[k], &err),
                         REVOS_OK);
    }
    json_decref(more);
    char *t0 = json_dumps(u0, JSON_COMPACT | JSON_SORT_KEYS), *t1 = json_dumps(u1, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_uint_gt(json_array_size(u0), 0);
    ck_assert_str_eq(t1, t0);
    free(t0);
    free(t1);
    json_decref(u0);
    json_decref(u1);
    free(plain);
    free(bytes);
    json_decref(back);
    json_decref(state);
    json_decref(signals);
    revos_score_rules_free(rules);
}
END_TEST

/* Bytes that are not what the encoder writes are a corrupt state, never a
 * crash: every cut of a real state, every flipped tag and a few forgeries. */
START_TEST(test_corrupt_stored_state_is_fatal)
{
    json_t *state = json_pack("{s:i,s:s,s:[i,i,i],s:[f,s,n],s:{s:b}}", "v", 2, "account", "a-\u00e9",
                              "ints", 1, -2, 300, "mixed", 1.5, "x", "o", "t", 1);
    revos_score_bytes buf = {0};
    ck_assert_int_eq(revos_score_state_encode(state, &buf), 0);
    unsigned char *bytes = buf.data;
    size_t len = buf.len;
    revos_err err = {0};
    for (size_t cut = 0; cut < len; cut++) {
        json_t *got = revos_score_state_decode(bytes, cut, &err);
        ck_assert_msg(got == NULL, "accepted the first %zu of %zu bytes", cut, len);
        ck_assert(err.msg[0] != '\0');
    }
    json_t *whole = revos_score_state_decode(bytes, len, &err);
    ck_assert(json_equal(whole, state));
    json_decref(whole);
    /* every single-bit change decodes to an error that says why, or to some other state */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            bytes[i] ^= (unsigned char)(1u << bit);
            err.msg[0] = '\0';
            json_t *got = revos_score_state_decode(bytes, len, &err);
            ck_assert(got != NULL ? json_is_object(got) : err.msg[0] != '\0');
            json_decref(got);
            bytes[i] ^= (unsigned char)(1u << bit);
        }
    }
    free(bytes);
    json_decref(state);
    const struct {
        const char *what;
        const unsigned char b[16];
        size_t len;
    } forged[] = {
        {"no magic", {'{', '}'}, 2},
        {"an array, not an object", {'R', 'V', 'S', 1, 6, 0}, 6},
        {"a count beyond the bytes", {'R', 'V', 'S', 1, 7, 0xff, 0xff, 0xff, 0x7f}, 9},
        {"an endless varint", {'R', 'V', 'S', 1, 7, 1, 1, 'k', 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 16},
        {"a cut UTF-8 string", {'R', 'V', 'S', 1, 7, 1, 1, 'k', 5, 1, 0xc3}, 11},
        {"an unknown tag", {'R', 'V', 'S', 1, 7, 1, 1, 'k', 9}, 9},
        {"an empty integer array", {'R', 'V', 'S', 1, 7, 1, 1, 'k', 8, 0}, 10},
        {"a NaN", {'R', 'V', 'S', 1, 7, 1, 1, 'k', 4, 0, 0, 0, 0, 0, 0xf8, 0x7f}, 16},
        {"trailing bytes", {'R', 'V', 'S', 1, 7, 0, 0}, 7},
    };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++)
        ck_assert_msg(revos_score_state_decode(forged[i].b, forged[i].len, &err) == NULL, "accepted %s",
                      forged[i].what);
    /* nesting deeper than the limit is refused both ways */
    json_t *deep = json_object(), *at = deep;
    for (int d = 0; d < REVOS_SCORE_CODEC_MAX_DEPTH + 2; d++) {
        json_t *next = json_object();
        json_object_set_new(at, "d", next);
        at = next;
    }
    revos_score_bytes kept = {0};
    json_t *small = json_pack("{s:i}", "v", 2);
    ck_assert_int_eq(revos_score_state_encode(small, &kept), 0);
    json_decref(small);
    size_t before = kept.len;
    ck_assert_int_eq(revos_score_state_encode(deep, &kept), -1);
    ck_assert_uint_eq(kept.len, before); /* what the buffer held stays */
    free(kept.data);
    json_decref(deep);
}
END_TEST

/* A Salesforce CDC update of a contact role carries only the changed Role and
 * the role's own id: the engine finds the contact from the role's creation. */
START_TEST(test_role_update_without_contact_counts_as_champion_changed)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_decref(feed(rules, state, make_signal("r-1", "stakeholder", "contact_role", day_ms(0, 1), NAN,
                                                "contact_id", "c1", "contact_role_id", "00K1",
                                                "role_class", "champion", "action", "create", NULL), NULL));
    json_decref(feed(rules, state, make_signal("r-2", "stakeholder", "contact_role", day_ms(5, 0), NAN,
                                                "contact_role_id", "00K1", "role_class", "other",
                                                "action", "update", NULL), NULL));
    json_t *updates = feed(rules, state, make_signal("x-19", "risk", "market_event", day_ms(19, 0), NAN, NULL), NULL);
    const json_t *h = last_update(updates, "account_health");
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(h, "context"), "derived")),
                     "champion_changed:warning");
    json_decref(updates);
    /* an update of a role never seen created changes nothing */
    updates = feed(rules, state, make_signal("r-3", "stakeholder", "contact_role", day_ms(6, 0), NAN,
                                             "contact_role_id", "00K9", "role_class", "other",
                                             "action", "update", NULL), NULL);
    ck_assert_ptr_null(last_update(updates, "account_health"));
    json_decref(updates);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST


/* ==== Event time ==== */

/* Adds signals without settling, then settles once: one batch. */
static void add_all(const revos_score_rules *rules, json_t *state, json_t *signals, size_t from,
                    size_t to, json_t *updates)
{
    revos_err err = {0};
    for (size_t i = from; i < to; i++) {
        revos_score_outcome outcome;
        ck_assert_int_eq(revos_score_engine_add(rules, state, json_array_get(signals, i), &outcome, &err),
                         REVOS_OK);
    }
    ck_assert_int_eq(revos_score_engine_settle(rules, state, NULL, CONFIG_VERSION, updates, NULL, &err),
                     REVOS_OK);
}

/* The published cells of a state (publishable ones only), as text. */
static char *published(const json_t *state)
{
    json_t *out = json_object();
    const char *kind;
    json_t *cells;
    json_object_foreach ((json_t *)json_object_get(state, "pub"), kind, cells) {
        json_t *kept = json_object();
        const char *day;
        json_t *entry;
        json_object_foreach (cells, day, entry) {
            if (json_is_true(json_array_get(entry, 5))) {
                json_t *content = json_deep_copy(entry);
                json_array_remove(content, 0); /* the revision counts arrivals */
                json_object_set_new(kept, day, content);
            }
        }
        json_object_set_new(out, kind, kept);
    }
    char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(out);
    return text;
}

START_TEST(test_any_arrival_order_gives_the_same_timeline)
{
    revos_score_rules *rules = load_rules();
    json_t *ordered = walkthrough_signals();
    json_t *reference = revos_score_state_new(ACCOUNT), *ref_updates = json_array();
    add_all(rules, reference, ordered, 0, json_array_size(ordered), ref_updates);
    char *ref_cells = json_dumps(json_object_get(reference, "cells"), JSON_COMPACT | JSON_SORT_KEYS);
    char *ref_pub = published(reference);

    /* in event-time order one signal and 7 signals at a time (each pass
     * resumes from the checkpoint), then shuffled (a fixed LCG) in batches
     * of 13, 50 and 500; every batch through a jsonb-like reload */
    const size_t batch_sizes[] = {1, 7, 13, 50, 500};
    const int shuffle[] = {0, 0, 1, 1, 1};
    for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++) {
        json_t *shuffled = json_deep_copy(ordered);
        unsigned long long seed = 42 + b;
        for (size_t i = json_array_size(shuffled); shuffle[b] && i > 1; i--) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t j = (size_t)((seed >> 33) % i);
            json_t *a = json_incref(json_array_get(shuffled, i - 1));
            json_array_set(shuffled, i - 1, json_array_get(shuffled, j));
            json_array_set_new(shuffled, j, a);
        }
        json_t *state = revos_score_state_new(ACCOUNT), *updates = json_array();
        for (size_t i = 0; i < json_array_size(shuffled); i += batch_sizes[b]) {
            size_t end = i + batch_sizes[b];
            if (end > json_array_size(shuffled))
                end = json_array_size(shuffled);
            add_all(rules, state, shuffled, i, end, updates);
            char *text = json_dumps(state, JSON_SORT_KEYS | JSON_COMPACT);
            json_decref(state);
            json_error_t jerr;
            state = json_loads(text, 0, &jerr);
            free(text);
        }
        char *cells = json_dumps(json_object_get(state, "cells"), JSON_COMPACT | JSON_SORT_KEYS);
        char *pub = published(state);
        ck_assert_msg(strcmp(cells, ref_cells) == 0, "timeline differs for batches of %zu%s",
                      batch_sizes[b], shuffle[b] ? " (shuffled)" : "");
        ck_assert_msg(strcmp(pub, ref_pub) == 0, "published cells differ for batches of %zu%s",
                      batch_sizes[b], shuffle[b] ? " (shuffled)" : "");
        /* every correction names the record it revises */
        size_t corrections = 0;
        for (size_t i = 0; i < json_array_size(updates); i++) {
            const json_t *u = json_array_get(updates, i);
            json_int_t rev = json_integer_value(json_object_get(u, "revision"));
            const char *revises = json_string_value(json_object_get(u, "revises"));
            if (rev > 0) {
                corrections++;
                ck_assert_ptr_nonnull(revises);
                ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(u, "score_id")), ":r"));
            } else {
                ck_assert(json_is_null(json_object_get(u, "revises")));
            }
        }
        if (batch_sizes[b] == 13)
            ck_assert_uint_gt(corrections, 0);
        free(cells);
        free(pub);
        json_decref(updates);
        json_decref(state);
        json_decref(shuffled);
    }
    const char *tier;
    ck_assert_double_eq(current(reference, "renewal_risk", &tier), 82.9);
    ck_assert_str_eq(tier, "critical");
    free(ref_cells);
    free(ref_pub);
    json_decref(ref_updates);
    json_decref(reference);
    json_decref(ordered);
    revos_score_rules_free(rules);
}
END_TEST

/* Fed in event-time order one signal at a time, each pass resuming from the
 * checkpoint, the account ends as one pass over everything leaves it: the
 * NPS response before the latest is still the previous one (a checkpoint
 * that shared the pass's facts folded the latest twice), and days with no
 * event between two signals are scored too. */
START_TEST(test_one_signal_at_a_time_equals_one_pass)
{
    revos_score_rules *rules = load_rules();
    json_t *signals = json_array();
    char id[32];
    for (int day = 0; day < 12; day++) {
        if (day >= 7 && day <= 9)
            continue; /* no event on days 7..9 */
        snprintf(id, sizeof id, "u-%d", day);
        if (day != 3) /* day 3 holds the second response alone */
            json_array_append_new(signals, make_signal(id, "usage", "product_usage", day_ms(day, 600), 4, NULL));
        if (day == 1 || day == 3)
            json_array_append_new(signals, make_signal(day == 1 ? "nps-1" : "nps-3", "engagement",
                                                       "nps_response", day_ms(day, 700),
                                                       day == 1 ? 8 : 3, "contact_id", "c1", NULL));
    }
    revos_err err = {0};
    json_t *reference = revos_score_state_new(ACCOUNT), *ref_latest = json_array();
    add_all(rules, reference, signals, 0, json_array_size(signals), NULL);
    json_t *state = revos_score_state_new(ACCOUNT), *latest = json_array();
    for (size_t i = 0; i < json_array_size(signals); i++)
        add_all(rules, state, signals, i, i + 1, NULL);
    /* both evaluated once more on the newest day from their checkpoints */
    json_t *again = make_signal("u-11b", "usage", "product_usage", day_ms(11, 800), 4, NULL);
    json_t *pair[2] = {reference, state};
    json_t *out[2] = {ref_latest, latest};
    for (int k = 0; k < 2; k++) {
        revos_score_outcome outcome;
        ck_assert_int_eq(revos_score_engine_add(rules, pair[k], again, &outcome, &err), REVOS_OK);
        ck_assert_int_eq(revos_score_engine_settle(rules, pair[k], NULL, CONFIG_VERSION, NULL, out[k], &err),
                         REVOS_OK);
    }
    char *a = json_dumps(ref_latest, JSON_COMPACT | JSON_SORT_KEYS);
    char *b = json_dumps(latest, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_ptr_nonnull(strstr(a, "previous 8"));
    ck_assert_msg(strcmp(a, b) == 0, "the newest records differ from one pass's: %.300s",
                  strstr(b, "latest NPS") ? strstr(b, "latest NPS") : b);
    char *ca = json_dumps(json_object_get(reference, "cells"), JSON_COMPACT | JSON_SORT_KEYS);
    char *cb = json_dumps(json_object_get(state, "cells"), JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_msg(strcmp(ca, cb) == 0, "the timeline differs from one pass's: %.300s", cb);
    /* every day from the first holds a score */
    const char *kind;
    json_t *values;
    json_object_foreach (json_object_get(json_object_get(state, "cells"), "k"), kind, values) {
        for (size_t i = 0; i < json_array_size(values); i++)
            ck_assert_int_ge(json_integer_value(json_array_get(values, i)), 0);
    }
    free(a);
    free(b);
    free(ca);
    free(cb);
    json_decref(again);
    json_decref(ref_latest);
    json_decref(latest);
    json_decref(reference);
    json_decref(state);
    json_decref(signals);
    revos_score_rules_free(rules);
}
END_TEST

/* A year of usage, then a ticket burst 200 days late: the timeline changes
 * from the burst's day on and nothing before it; the changes are published
 * as corrections. */
START_TEST(test_late_event_revises_the_timeline_from_its_day_only)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT), *signals = json_array(), *updates = json_array();
    char id[48];
    for (int day = 0; day < 300; day++) {
        snprintf(id, sizeof id, "u-%03d", day);
        json_array_append_new(signals, make_signal(id, "usage", "product_usage", day_ms(day, 600), 5, NULL));
        if (day % 10 == 3) { /* a ticket every ten days: the ratio reads 1x */
            snprintf(id, sizeof id, "t-%03d", day);
            json_array_append_new(signals, make_signal(id, "health", "ticket_opened", day_ms(day, 650), NAN, NULL));
        }
    }
    add_all(rules, state, signals, 0, json_array_size(signals), updates);
    json_t *before = json_deep_copy(json_object_get(state, "cells"));
    json_decref(updates);
    updates = json_array();
    json_t *late = json_array();
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "late-ticket-%d", i);
        json_array_append_new(late, make_signal(id, "health", "ticket_opened", day_ms(100 + i, 700), NAN, NULL));
    }
    add_all(rules, state, late, 0, json_array_size(late), updates);
    const json_t *after = json_object_get(state, "cells");
    const json_t *kb = json_object_get(json_object_get(before, "k"), "account_health");
    const json_t *ka = json_object_get(json_object_get(after, "k"), "account_health");
    ck_assert_uint_eq(json_array_size(kb), 300);
    ck_assert_uint_eq(json_array_size(ka), 300);
    int changed_from = -1;
    for (size_t d = 0; d < 300; d++) {
        int same = json_integer_value(json_array_get(kb, d)) == json_integer_value(json_array_get(ka, d));
        if (d < 100)
            ck_assert_msg(same, "day %zu changed before the late event", d);
        else if (!same && changed_from < 0)
            changed_from = (int)d;
    }
    /* the first late ticket, on day 100, lifts the ratio above 1x */
    ck_assert_int_eq(changed_from, 100);
    ck_assert_uint_gt(json_array_size(updates), 0);
    for (size_t i = 0; i < json_array_size(updates); i++) {
        const json_t *u = json_array_get(updates, i);
        ck_assert_int_ge(json_integer_value(json_object_get(u, "as_of")), day_ms(100, 0));
    }
    json_decref(late);
    json_decref(before);
    json_decref(updates);
    json_decref(signals);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_event_past_the_horizon_is_too_late)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_decref(feed(rules, state, make_signal("new", "usage", "product_usage", day_ms(500, 0), 1, NULL), NULL));
    json_t *old = make_signal("old", "usage", "product_usage", day_ms(50, 0), 1, NULL);
    char *before = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    revos_err err = {0};
    revos_score_outcome outcome;
    ck_assert_int_eq(revos_score_engine_add(rules, state, old, &outcome, &err), REVOS_ERR_INPUT);
    ck_assert_str_eq(err.cls, "too_late");
    ck_assert_ptr_nonnull(strstr(err.msg, "450 days older"));
    ck_assert_ptr_nonnull(strstr(err.msg, "400 days"));
    char *after = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(before, after);
    /* inside the horizon it is taken */
    json_t *inside = make_signal("inside", "usage", "product_usage", day_ms(101, 0), 1, NULL);
    ck_assert_int_eq(revos_score_engine_add(rules, state, inside, &outcome, &err), REVOS_OK);
    ck_assert_int_eq(outcome, REVOS_SCORE_APPLIED);
    free(before);
    free(after);
    json_decref(inside);
    json_decref(old);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_threshold_change_is_in_force_from_its_day)
{
    revos_score_rules *rules = load_rules();
    json_t *signals = walkthrough_signals();
    json_t *thresholds = threshold_from("renewal_risk", "medium", 20.0, 59);
    json_t *state = revos_score_state_new(ACCOUNT), *updates = json_array();
    revos_err err = {0};
    for (size_t i = 0; i < json_array_size(signals); i++) {
        revos_score_outcome outcome;
        ck_assert_int_eq(revos_score_engine_add(rules, state, json_array_get(signals, i), &outcome, &err), REVOS_OK);
    }
    ck_assert_int_eq(revos_score_engine_settle(rules, state, thresholds, CONFIG_VERSION, updates, NULL, &err), REVOS_OK);
    const json_t *tiers = json_object_get(json_object_get(json_object_get(state, "cells"), "t"), "renewal_risk");
    int64_t from = revos_score_state_int(json_object_get(state, "cells"), "from", 0) - revos_day_from_civil(2026, 6, 1);
    /* risk about 20.8 on days 58 and 59: low by the config, medium once the bound is 20 */
    ck_assert_int_eq(json_integer_value(json_array_get(tiers, (size_t)(58 - from))), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(tiers, (size_t)(59 - from))), 1);
    json_decref(updates);
    json_decref(state);
    json_decref(thresholds);
    json_decref(signals);
    revos_score_rules_free(rules);
}
END_TEST

/* ==== Detection quality: seasons, noise, champions, episodes ==== */

/* Days from 2026-06-01 of a civil date. */
static int day_of(int year, unsigned month, unsigned mday)
{
    return (int)(revos_day_from_civil(year, month, mday) - revos_day_from_civil(2026, 6, 1));
}

static int weekday(int day) /* 0 Monday .. 6 Sunday */
{
    int64_t d = revos_day_from_civil(2026, 6, 1) + day; /* 1970-01-01 was a Thursday */
    return (int)(((d % 7) + 7 + 3) % 7);
}

/* A K-12 or higher-ed account: profile, a renewal a year out, a champion. */
static json_t *quality_account(const char *segment, int first_day)
{
    json_t *list = json_array();
    json_array_append_new(list, make_signal("q-profile", "institutional", "account_profile",
                                            day_ms(first_day, 0), NAN, "name", "Q District", "segment",
                                            segment, NULL));
    json_array_append_new(list, make_signal("q-opp", "procurement", "renewal_opportunity",
                                            day_ms(first_day, 1), 120000, "opportunity_id", "006Q",
                                            "close_date", "2027-06-30", NULL));
    json_array_append_new(list, make_signal("q-role", "stakeholder", "contact_role", day_ms(first_day, 2), NAN,
                                            "contact_id", "003Q", "contact_role_id", "00KQ",
                                            "role_class", "champion", "action", "create", NULL));
    return list;
}

/* Weekday usage of `level` a day from `from` to `to`, scaled by factor(day). */
static void quality_usage(json_t *list, int from, int to, double level, double (*factor)(int))
{
    char id[48];
    for (int day = from; day <= to; day++) {
        if (weekday(day) >= 5)
            continue;
        snprintf(id, sizeof id, "q-u-%d", day);
        json_array_append_new(list, make_signal(id, "usage", "product_usage", day_ms(day, 600),
                                                level * (factor ? factor(day) : 1.0), NULL));
    }
}

/* How many times the derived signal `name` was raised in updates. */
static int raised(const json_t *updates, const char *name, int *first_day)
{
    int n = 0;
    for (size_t i = 0; i < json_array_size(updates); i++) {
        const json_t *u = json_array_get(updates, i);
        const char *d = json_string_value(json_object_get(json_object_get(u, "context"), "derived"));
        if (d != NULL && strstr(d, name) != NULL) {
            if (n == 0 && first_day != NULL)
                *first_day = (int)(json_integer_value(json_object_get(u, "as_of")) / REVOS_MS_PER_DAY -
                                   revos_day_from_civil(2026, 6, 1));
            n++;
        }
    }
    return n;
}

static void sort_by_time(json_t *list);

/* Feeds the signals (stolen) in event-time order, a batch a week; returns
 * every update (new reference). */
static json_t *quality_run(const revos_score_rules *rules, json_t *state, json_t *signals)
{
    sort_by_time(signals);
    json_t *all = json_array(), *updates = json_array();
    size_t from = 0, n = json_array_size(signals);
    while (from < n) {
        int64_t week = json_integer_value(json_object_get(json_array_get(signals, from), "occurred_at")) /
                       (7 * REVOS_MS_PER_DAY);
        size_t to = from;
        while (to < n && json_integer_value(json_object_get(json_array_get(signals, to), "occurred_at")) /
                                 (7 * REVOS_MS_PER_DAY) == week)
            to++;
        add_all(rules, state, signals, from, to, updates);
        json_array_extend(all, updates);
        json_array_clear(updates);
        from = to;
    }
    json_decref(updates);
    json_decref(signals);
    return all;
}

static int cmp_occurred(const void *a, const void *b)
{
    int64_t x = json_integer_value(json_object_get(*(json_t *const *)a, "occurred_at"));
    int64_t y = json_integer_value(json_object_get(*(json_t *const *)b, "occurred_at"));
    return (x > y) - (x < y);
}

static void sort_by_time(json_t *list)
{
    size_t n = json_array_size(list);
    json_t **items = malloc(n * sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(list, i));
    qsort(items, n, sizeof *items, cmp_occurred);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, items[i]);
    free(items);
}

static double summer_dip(int day) /* the school summer: usage at 15% */
{
    return day >= day_of(2026, 6, 12) && day <= day_of(2026, 8, 20) ? 0.15 : 1.0;
}

static double october_dip(int day) /* the same dip in October */
{
    return day >= day_of(2026, 10, 1) && day <= day_of(2026, 11, 15) ? 0.15 : 1.0;
}

static double winter_and_spring(int day) /* higher-ed: winter break and a spring-break week */
{
    if (day >= day_of(2025, 12, 15) && day <= day_of(2026, 1, 14))
        return 0.1;
    if (day >= day_of(2026, 3, 16) && day <= day_of(2026, 3, 20))
        return 0.1;
    return 1.0;
}

START_TEST(test_k12_summer_dip_pages_nobody_but_the_same_dip_in_october_does)
{
    revos_score_rules *rules = load_rules();
    const int from = day_of(2025, 9, 1), to = day_of(2026, 12, 15);
    double (*dips[2])(int) = {summer_dip, october_dip};
    for (int k = 0; k < 2; k++) {
        json_t *state = revos_score_state_new(ACCOUNT);
        json_t *signals = quality_account("K-12", from);
        quality_usage(signals, from, to, 40, dips[k]);
        json_t *updates = quality_run(rules, state, signals);
        int first = 0;
        int n = raised(updates, "usage_down", &first);
        if (k == 0) {
            ck_assert_msg(n == 0, "the summer break raised usage_down (first on day %d)", first);
        } else {
            ck_assert_int_eq(n, 1);
            /* the typical school day of the last 30 falls after 15 dip
             * days (three weeks), and the decline holds 14 days more */
            ck_assert_int_ge(first, day_of(2026, 10, 28));
            ck_assert_int_le(first, day_of(2026, 11, 6));
        }
        json_decref(updates);
        json_decref(state);
    }
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_higher_ed_term_breaks_page_nobody)
{
    revos_score_rules *rules = load_rules();
    const int from = day_of(2025, 9, 1), to = day_of(2026, 5, 1);
    json_t *state = revos_score_state_new(ACCOUNT);
    json_t *signals = quality_account("Higher Education", from);
    quality_usage(signals, from, to, 60, winter_and_spring);
    json_t *updates = quality_run(rules, state, signals);
    ck_assert_int_eq(raised(updates, "usage_down", NULL), 0);
    /* the explanation says which break was skipped */
    json_t *records = json_array();
    revos_err err = {0};
    ck_assert_int_eq(revos_score_engine_at(rules, state, NULL, CONFIG_VERSION,
                                           revos_day_from_civil(2026, 1, 10), records, &err), REVOS_OK);
    const json_t *health = last_update(records, "account_health");
    const json_t *usage = json_array_get(json_object_get(health, "contributions"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(usage, "inputs"), "usage_breaks")),
                     "winter break");
    json_decref(records);
    json_decref(updates);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_three_tickets_on_a_new_account_are_no_surge)
{
    revos_score_rules *rules = load_rules();
    char id[32];
    /* a new account: 60 days of usage, no ticket ever, then 3 in a week */
    json_t *state = revos_score_state_new(ACCOUNT);
    json_t *signals = quality_account("Customer - District", 0);
    quality_usage(signals, 0, 80, 30, NULL);
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "q-t-%d", i);
        json_array_append_new(signals, make_signal(id, "health", "ticket_opened", day_ms(60 + 2 * i, 700), NAN, NULL));
    }
    json_t *updates = quality_run(rules, state, signals);
    ck_assert_int_eq(raised(updates, "ticket_surge", NULL), 0);
    json_decref(updates);
    json_decref(state);

    /* an account with a ticket every ten days for 120 days, then 10 in 20
     * days: 10 against 3 a window is a surge */
    state = revos_score_state_new(ACCOUNT);
    signals = quality_account("Customer - District", 0);
    quality_usage(signals, 0, 160, 30, NULL);
    for (int day = 0; day < 120; day += 10) {
        snprintf(id, sizeof id, "q-t-%d", day);
        json_array_append_new(signals, make_signal(id, "health", "ticket_opened", day_ms(day, 700), NAN, NULL));
    }
    for (int day = 121; day <= 140; day += 2) {
        snprintf(id, sizeof id, "q-t-%d", day);
        json_array_append_new(signals, make_signal(id, "health", "ticket_opened", day_ms(day, 700), NAN, NULL));
    }
    updates = quality_run(rules, state, signals);
    int first = 0;
    ck_assert_int_eq(raised(updates, "ticket_surge:warning", &first), 1);
    ck_assert_int_ge(first, 130);
    ck_assert_int_le(first, 140);
    json_decref(updates);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_a_champion_replaced_within_the_grace_days_raises_nothing)
{
    revos_score_rules *rules = load_rules();
    for (int replaced_after = 5; replaced_after <= 30; replaced_after += 25) {
        json_t *state = revos_score_state_new(ACCOUNT);
        json_t *signals = quality_account("Customer - District", 0);
        quality_usage(signals, 0, 120, 30, NULL);
        json_array_append_new(signals, make_signal("q-left", "stakeholder", "contact_role", day_ms(70, 5), NAN,
                                                   "contact_role_id", "00KQ", "role_class", "other",
                                                   "action", "update", NULL));
        json_array_append_new(signals, make_signal("q-new", "stakeholder", "contact_role",
                                                   day_ms(70 + replaced_after, 5), NAN, "contact_id", "003N",
                                                   "contact_role_id", "00KN", "role_class", "champion",
                                                   "action", "create", NULL));
        json_t *updates = quality_run(rules, state, signals);
        int first = 0;
        int n = raised(updates, "champion_changed", &first);
        if (replaced_after == 5) {
            ck_assert_int_eq(n, 0);
        } else { /* nobody for 14 days: champion changed, raised on day 84 */
            ck_assert_int_eq(n, 1);
            ck_assert_int_eq(first, 84);
        }
        /* once replaced, the risk reads "replaced" (6 points) */
        json_t *ctx = newest_context(rules, state);
        json_decref(ctx);
        json_t *records = json_array();
        revos_err err = {0};
        ck_assert_int_eq(revos_score_engine_at(rules, state, NULL, CONFIG_VERSION,
                                               revos_score_state_int(state, "newest_day", 0), records, &err),
                         REVOS_OK);
        const json_t *risk = last_update(records, "renewal_risk");
        const json_t *champ = json_array_get(json_object_get(risk, "contributions"), 2);
        ck_assert_str_eq(json_string_value(json_object_get(champ, "rule_id")), "risk.champion");
        ck_assert_double_eq(json_real_value(json_object_get(champ, "points")), 6.0);
        json_decref(records);
        json_decref(updates);
        json_decref(state);
    }
    revos_score_rules_free(rules);
}
END_TEST

static double flapping_decline(int day) /* -40% from day 100, a two-week recovery at day 150 */
{
    if (day >= 150 && day < 164)
        return 1.0;
    return day >= 100 ? 0.6 : 1.0;
}

START_TEST(test_a_flapping_decline_is_one_episode_and_growth_is_expansion)
{
    revos_score_rules *rules = load_rules();
    json_t *state = revos_score_state_new(ACCOUNT);
    json_t *signals = quality_account("Customer - District", 0);
    quality_usage(signals, 0, 240, 50, flapping_decline);
    json_t *updates = quality_run(rules, state, signals);
    /* cleared above -15% at the recovery, back within rearm_days (60): the
     * same episode, raised once */
    int first = 0;
    ck_assert_int_eq(raised(updates, "usage_down:warning", &first), 1);
    ck_assert_int_ge(first, 114);
    ck_assert_int_le(first, 135);
    ck_assert_int_eq(raised(updates, "usage_growth", NULL), 0);
    json_decref(updates);
    json_decref(state);

    /* growth of 50% held three weeks: an expansion signal, once */
    state = revos_score_state_new(ACCOUNT);
    signals = quality_account("Customer - District", 0);
    quality_usage(signals, 0, 99, 50, NULL);
    quality_usage(signals, 100, 240, 75, NULL);
    updates = quality_run(rules, state, signals);
    ck_assert_int_eq(raised(updates, "usage_growth:warning", &first), 1);
    ck_assert_int_ge(first, 120);
    ck_assert_int_le(first, 145);
    ck_assert_int_eq(raised(updates, "usage_down", NULL), 0);
    json_decref(updates);
    json_decref(state);
    revos_score_rules_free(rules);
}
END_TEST

/* "Low adoption" is one shared signal with per-product-line thresholds:
 * 45 school days without usage for an academic product, 10 for a
 * credentialed one (config/scoring.json derived low_adoption.overrides). */
START_TEST(test_low_adoption_threshold_is_overridden_per_product_line)
{
    revos_score_rules *rules = load_rules();
    const char *lines[] = {"Academic Suite", "Credentialing"};
    for (int k = 0; k < 2; k++) {
        json_t *state = revos_score_state_new(ACCOUNT);
        json_t *signals = json_array();
        json_array_append_new(signals, make_signal("q-profile", "institutional", "account_profile",
                                                   day_ms(0, 0), NAN, "name", "Q", "segment",
                                                   "Customer - District", "product_line", lines[k], NULL));
        quality_usage(signals, 0, 60, 30, NULL);
        /* silence from day 61; a ticket on day 80 moves the timeline on */
        json_array_append_new(signals, make_signal("q-t", "health", "ticket_opened", day_ms(80, 0), NAN, NULL));
        json_t *updates = quality_run(rules, state, signals);
        int first = 0;
        int n = raised(updates, "low_adoption:warning", &first);
        if (k == 0) {
            ck_assert_int_eq(n, 0); /* 20 days: well under 45 */
        } else {
            ck_assert_int_eq(n, 1);
            ck_assert_int_eq(first, 70); /* the 10th idle day after day 60 */
        }
        json_decref(updates);
        json_decref(state);
    }
    revos_score_rules_free(rules);
}
END_TEST

START_TEST(test_risk_rules_at_their_breakpoints)
{
    revos_score_rules *rules = load_rules();
    const revos_score_def *risk = revos_score_rules_find(rules, "renewal_risk");
    const revos_score_rule *usage = &risk->rules[0], *timing = &risk->rules[4];
    ck_assert_str_eq(usage->input, "usage_trend_pct");
    ck_assert_str_eq(timing->input, "days_to_renewal");
    revos_score_input in = {.present = 1};
    const struct { double x, y; } usage_cases[] = {{0, 0}, {-15, 5}, {-25, 30}, {-30, 38}, {-35, 42},
                                                   {-50, 52}, {-80, 55}, {20, 0}};
    for (size_t i = 0; i < sizeof usage_cases / sizeof usage_cases[0]; i++) {
        in.number = usage_cases[i].x;
        ck_assert_double_eq_tol(revos_score_rule_points(usage, &in), usage_cases[i].y, 1e-9);
    }
    const struct { double x, y; } timing_cases[] = {{0, 25}, {120, 22}, {160, 18.5}, {200, 15}, {365, 0}, {500, 0}};
    for (size_t i = 0; i < sizeof timing_cases / sizeof timing_cases[0]; i++) {
        in.number = timing_cases[i].x;
        ck_assert_double_eq_tol(revos_score_rule_points(timing, &in), timing_cases[i].y, 1e-9);
    }
    /* the case, through the rules: a 120-day-out account with a
     * sustained 35% decline and a departed champion is critical; the
     * decline alone at 160 days out is high, not critical */
    const revos_score_rule *champion = &risk->rules[1];
    ck_assert_str_eq(champion->input, "champion_status");
    revos_score_input decline = {.present = 1, .number = -35};
    revos_score_input departed = {.present = 1, .category = "changed"};
    revos_score_input at120 = {.present = 1, .number = 120}, at160 = {.present = 1, .number = 160};
    double both = revos_score_rule_points(usage, &decline) + revos_score_rule_points(champion, &departed) +
                  revos_score_rule_points(timing, &at120);
    double alone = revos_score_rule_points(usage, &decline) + revos_score_rule_points(timing, &at160);
    ck_assert_str_eq(revos_score_tier_of(risk, NULL, both > 100 ? 100 : both, NULL), "critical");
    ck_assert_str_eq(revos_score_tier_of(risk, NULL, alone, NULL), "high");
    revos_score_rules_free(rules);
}
END_TEST

static Suite *score_engine_suite(void)
{
    Suite *s = suite_create("score_engine");
    TCase *rules = tcase_create("rules");
    tcase_add_test(rules, test_piecewise_interpolates_between_points);
    tcase_add_test(rules, test_role_update_without_contact_counts_as_champion_changed);
    tcase_add_test(rules, test_usage_window_follows_the_usage_stream_within_lateness);
    tcase_add_test(rules, test_piecewise_clamps_at_the_ends);
    tcase_add_test(rules, test_categories_map_values_to_points);
    tcase_add_test(rules, test_config_rejects_unknown_input);
    tcase_add_test(rules, test_config_rejects_unknown_template_variable);
    tcase_add_test(rules, test_config_rejects_bad_detection_keys);
    suite_add_tcase(s, rules);

    TCase *walkthrough = tcase_create("walkthrough");
    tcase_set_timeout(walkthrough, 120);
    tcase_add_test(walkthrough, test_walkthrough_day59_is_healthy_and_low_risk);
    tcase_add_test(walkthrough, test_walkthrough_day89_is_critical);
    tcase_add_test(walkthrough, test_walkthrough_last_updates_match_the_story);
    tcase_add_test(walkthrough, test_walkthrough_risk_tiers_rise_without_flapping);
    tcase_add_test(walkthrough, test_walkthrough_final_risk_explanation_adds_up);
    tcase_add_test(walkthrough, test_walkthrough_grouped_by_source_ends_on_the_exact_values);
    tcase_add_test(walkthrough, test_contributions_add_up_to_every_emitted_value);
    tcase_add_test(walkthrough, test_replay_gives_bit_identical_output);
    tcase_add_test(walkthrough, test_batching_does_not_change_output);
    tcase_add_test(walkthrough, test_derived_signals_are_raised_once_per_episode);
    tcase_add_test(walkthrough, test_tuned_threshold_changes_the_tier);
    suite_add_tcase(s, walkthrough);

    TCase *state = tcase_create("state");
    tcase_set_timeout(state, 120);
    tcase_add_test(state, test_usage_trend_needs_50_days_of_history);
    tcase_add_test(state, test_duplicate_signal_id_is_ignored);
    tcase_add_test(state, test_state_stays_bounded_past_the_horizon);
    tcase_add_test(state, test_first_signal_emits_every_score);
    tcase_add_test(state, test_small_moves_are_not_emitted);
    tcase_add_test(state, test_clamp_is_a_visible_contribution);
    tcase_add_test(state, test_malformed_signals_are_rejected_without_touching_state);
    tcase_add_test(state, test_nearest_open_renewal_sets_the_date);
    tcase_add_test(state, test_champion_title_change_counts_as_champion_changed);
    tcase_add_test(state, test_stored_state_round_trips);
    tcase_add_test(state, test_corrupt_stored_state_is_fatal);
    suite_add_tcase(s, state);

    TCase *event_time = tcase_create("event_time");
    tcase_set_timeout(event_time, 300);
    tcase_add_test(event_time, test_any_arrival_order_gives_the_same_timeline);
    tcase_add_test(event_time, test_one_signal_at_a_time_equals_one_pass);
    tcase_add_test(event_time, test_late_event_revises_the_timeline_from_its_day_only);
    tcase_add_test(event_time, test_event_past_the_horizon_is_too_late);
    tcase_add_test(event_time, test_threshold_change_is_in_force_from_its_day);
    suite_add_tcase(s, event_time);

    TCase *quality = tcase_create("quality");
    tcase_set_timeout(quality, 300);
    tcase_add_test(quality, test_k12_summer_dip_pages_nobody_but_the_same_dip_in_october_does);
    tcase_add_test(quality, test_higher_ed_term_breaks_page_nobody);
    tcase_add_test(quality, test_three_tickets_on_a_new_account_are_no_surge);
    tcase_add_test(quality, test_a_champion_replaced_within_the_grace_days_raises_nothing);
    tcase_add_test(quality, test_a_flapping_decline_is_one_episode_and_growth_is_expansion);
    tcase_add_test(quality, test_risk_rules_at_their_breakpoints);
    tcase_add_test(quality, test_low_adoption_threshold_is_overridden_per_product_line);
    suite_add_tcase(s, quality);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(score_engine_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
