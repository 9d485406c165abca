/* engine.c -- scoring one signal: fold, compute, detect, emit. See engine.h. */
#include "score/engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "score/calendar.h"
#include "score/inputs.h"
#include "score/signal.h"
#include "score/state.h"

#define EXPLANATION_MAX 4096
#define PHRASE_MAX 512

/* ==== Tenths ==== */

/* Scores are kept in integer tenths so that sums are exact. */
static long long to_tenths(double x)
{
    return llround(x * 10.0);
}

static void format_tenths(long long t, char *out, size_t outlen)
{
    long long a = t < 0 ? -t : t;
    snprintf(out, outlen, "%s%lld.%lld", t < 0 ? "-" : "", a / 10, a % 10);
}

/* ==== One score ==== */

typedef struct score_result {
    const revos_score_def *def;
    long long tenths;
    double value;
    const char *tier;
    json_t *contributions;  /* owned */
    char explanation[EXPLANATION_MAX];
} score_result;

static void appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

static json_t *contribution(const char *rule_id, const char *label, long long tenths,
                            json_t *inputs, json_t *evidence)
{
    return json_pack("{s:s,s:s,s:f,s:o,s:o}", "rule_id", rule_id, "label", label, "points",
                     (double)tenths / 10.0, "inputs", inputs ? inputs : json_object(),
                     "evidence_ids", evidence ? evidence : json_array());
}

/* Appends "<phrase> adds X" or "<phrase> subtracts X" to the terms. */
static void explain_term(char *terms, size_t cap, const char *phrase, long long tenths)
{
    char num[32];
    format_tenths(tenths < 0 ? -tenths : tenths, num, sizeof num);
    appendf(terms, cap, "%s%s %s %s", terms[0] ? "; " : "", phrase,
            tenths < 0 ? "subtracts" : "adds", num);
}

static json_t *copy_evidence(const json_t *ids, int max)
{
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(ids) && i < (size_t)max; i++)
        json_array_append(out, json_array_get(ids, i));
    return out;
}

static void compute_score(const revos_score_rules *rules, const revos_score_def *def,
                          const revos_score_inputs *inputs, const json_t *tuned,
                          const char *previous_tier, score_result *r)
{
    memset(r, 0, sizeof *r);
    r->def = def;
    r->contributions = json_array();

    char rule_id[160], num[32], phrase[PHRASE_MAX];
    long long total = to_tenths(def->baseline);
    snprintf(rule_id, sizeof rule_id, "%s.baseline", def->kind);
    format_tenths(total, num, sizeof num);
    snprintf(phrase, sizeof phrase, "baseline %s", num);
    json_array_append_new(r->contributions, contribution(rule_id, phrase, total, NULL, NULL));

    /* the terms; the headline goes in front once the value is known */
    char terms[EXPLANATION_MAX] = "";
    if (total != 0)
        snprintf(terms, sizeof terms, "%s", phrase);
    for (size_t i = 0; i < def->n_rules; i++) {
        const revos_score_rule *rule = &def->rules[i];
        const revos_score_input *in = revos_score_inputs_get(inputs, rule->input);
        long long pts = to_tenths(revos_score_rule_points(rule, in));
        total += pts;
        revos_score_rule_phrase(rule, in, phrase, sizeof phrase);
        json_t *vars = in ? json_deep_copy(in->vars) : json_object();
        if (in == NULL || !in->present)
            json_object_set_new(vars, rule->input, json_string("missing"));
        json_array_append_new(r->contributions,
                              contribution(rule->id, phrase, pts, vars,
                                           copy_evidence(in ? in->evidence : NULL, rules->evidence_max)));
        explain_term(terms, sizeof terms, phrase, pts);
    }
    long long clamped = total < 0 ? 0 : total > 1000 ? 1000 : total;
    if (clamped != total) {
        snprintf(rule_id, sizeof rule_id, "%s.clamp", def->kind);
        snprintf(phrase, sizeof phrase, "%s", clamped == 0 ? "floored at 0" : "capped at 100");
        json_array_append_new(r->contributions, contribution(rule_id, phrase, clamped - total, NULL, NULL));
        explain_term(terms, sizeof terms, phrase, clamped - total);
    }
    r->tenths = clamped;
    r->value = (double)clamped / 10.0;
    r->tier = revos_score_tier_of(def, tuned, r->value, previous_tier);

    format_tenths(clamped, num, sizeof num);
    snprintf(r->explanation, sizeof r->explanation, "%s %s", def->label, num);
    if (r->tier != NULL)
        appendf(r->explanation, sizeof r->explanation, " (%s)", r->tier);
    appendf(r->explanation, sizeof r->explanation, ": %s.", terms);
}

/* The score as an input of the scores after it: {kind} and {kind_tier};
 * its evidence is the newest evidence id of each of its terms. */
static void add_score_input(const revos_score_rules *rules, revos_score_inputs *inputs,
                            const score_result *r)
{
    json_t *vars = json_object(), *evidence = json_array();
    char num[32], key[160];
    format_tenths(r->tenths, num, sizeof num);
    json_object_set_new(vars, r->def->kind, json_string(num));
    snprintf(key, sizeof key, "%s_tier", r->def->kind);
    json_object_set_new(vars, key, json_string(r->tier ? r->tier : ""));
    for (size_t i = 0; i < json_array_size(r->contributions); i++) {
        json_t *ids = json_object_get(json_array_get(r->contributions, i), "evidence_ids");
        json_t *id = json_array_get(ids, 0);
        int dup = 0;
        for (size_t j = 0; id != NULL && j < json_array_size(evidence); j++)
            dup |= json_equal(json_array_get(evidence, j), id);
        if (id != NULL && !dup && json_array_size(evidence) < (size_t)rules->evidence_max)
            json_array_append(evidence, id);
    }
    revos_score_inputs_add(inputs, r->def->kind, r->value, vars, evidence);
}

/* ==== Derived signals ==== */

/* Raises each derived signal whose condition starts to hold (or holds for a
 * new episode); ends the episodes whose condition stopped holding. Appends
 * "name:severity" to raised and the ids to ids (comma-separated). */
static void detect_derived(const revos_score_rules *rules, json_t *state,
                           const revos_score_inputs *inputs, const char *account_id,
                           char *raised, size_t raised_cap, char *ids, size_t ids_cap)
{
    json_t *derived = json_object_get(state, "derived");
    if (!json_is_object(derived)) {
        derived = json_object();
        json_object_set_new(state, "derived", derived);
    }
    char today[16];
    revos_day_format(revos_score_state_int(state, "today", 0), today, sizeof today);
    for (size_t i = 0; i < rules->n_derived; i++) {
        const revos_score_derived *d = &rules->derived[i];
        const revos_score_input *in = revos_score_inputs_get(inputs, d->when.input);
        json_t *st = json_object_get(derived, d->name);
        int active = json_is_true(json_object_get(st, "active"));
        if (active && revos_score_derived_clears(d, in)) {
            json_object_set_new(st, "active", json_false());
            active = 0;
        }
        if (!revos_score_condition_holds(&d->when, in))
            continue;
        const char *key = json_string_value(json_object_get(st, "key"));
        if (active && key != NULL && strcmp(key, in->episode) == 0)
            continue; /* the same episode: raised already */
        const char *severity = d->severity;
        if (d->has_escalation &&
            revos_score_condition_holds(&d->escalate_when,
                                        revos_score_inputs_get(inputs, d->escalate_when.input)))
            severity = d->escalate_severity;
        char id[3 * REVOS_SCORE_ID_MAX];
        snprintf(id, sizeof id, "%s:%s:%s", account_id, d->name, today);
        json_object_set_new(derived, d->name,
                            json_pack("{s:b,s:s,s:s,s:s}", "active", 1, "key", in->episode, "id", id,
                                      "severity", severity));
        appendf(raised, raised_cap, "%s%s:%s", raised[0] ? "," : "", d->name, severity);
        appendf(ids, ids_cap, "%s%s", ids[0] ? "," : "", id);
    }
}

/* ==== Records ==== */

static void context_set(json_t *ctx, const char *key, const char *value)
{
    json_object_set_new(ctx, key, json_string(value ? value : ""));
}

static json_t *build_context(const json_t *state, const revos_score_inputs *inputs,
                             const score_result *results, size_t n, const char *raised,
                             const char *ids)
{
    json_t *ctx = json_object();
    const json_t *profile = json_object_get(state, "profile");
    char num[64];
    const json_t *arr = json_object_get(profile, "arr");
    num[0] = '\0';
    if (json_is_number(arr))
        revos_score_format_number(json_number_value(arr), num, sizeof num);
    context_set(ctx, "arr", num);
    context_set(ctx, "renewal_date", json_string_value(json_object_get(profile, "renewal_date")));
    const revos_score_input *renewal = revos_score_inputs_get(inputs, "days_to_renewal");
    context_set(ctx, "days_to_renewal",
                renewal && renewal->present
                    ? json_string_value(json_object_get(renewal->vars, "days_to_renewal"))
                    : "");
    static const char *const facts[] = {"ae", "csm", "csm_lead", "name", "segment", "domain"};
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
        context_set(ctx, facts[i], json_string_value(json_object_get(profile, facts[i])));
    context_set(ctx, "derived", raised);
    context_set(ctx, "derived_ids", ids);
    for (size_t i = 0; i < n; i++) {
        char key[160];
        format_tenths(results[i].tenths, num, sizeof num);
        context_set(ctx, results[i].def->kind, num);
        if (results[i].tier != NULL) {
            snprintf(key, sizeof key, "%s_tier", results[i].def->kind);
            context_set(ctx, key, results[i].tier);
        }
    }
    return ctx;
}

static json_t *build_update(const revos_score_signal *sig, const score_result *r,
                            const json_t *emitted, int64_t config_version, const json_t *ctx)
{
    char score_id[3 * REVOS_SCORE_ID_MAX + 64];
    snprintf(score_id, sizeof score_id, "%s:%s:%s", sig->account_id, r->def->kind, sig->signal_id);
    const json_t *prev_value = json_object_get(emitted, "value");
    const json_t *prev_tier = json_object_get(emitted, "tier");
    return json_pack("{s:s,s:s,s:s,s:f,s:o,s:o,s:o,s:I,s:I,s:s,s:O,s:s,s:O}",
                     "score_id", score_id, "account_id", sig->account_id, "kind", r->def->kind,
                     "value", r->value,
                     "previous", json_is_number(prev_value) ? json_real(json_number_value(prev_value)) : json_null(),
                     "tier", r->tier ? json_string(r->tier) : json_null(),
                     "previous_tier", json_is_string(prev_tier) ? json_copy((json_t *)prev_tier) : json_null(),
                     "as_of", (json_int_t)sig->occurred_ms, "config_version", (json_int_t)config_version,
                     "trigger_signal_id", sig->signal_id, "contributions", r->contributions,
                     "explanation", r->explanation, "context", ctx);
}

static int should_emit(const revos_score_rules *rules, const score_result *r,
                       const json_t *emitted, int raised_any)
{
    if (emitted == NULL)
        return 1; /* first computed */
    long long last = to_tenths(json_number_value(json_object_get(emitted, "value")));
    long long moved = r->tenths > last ? r->tenths - last : last - r->tenths;
    if (moved >= to_tenths(rules->emit_min_change))
        return 1;
    const char *last_tier = json_string_value(json_object_get(emitted, "tier"));
    if ((last_tier == NULL) != (r->tier == NULL) ||
        (last_tier != NULL && strcmp(last_tier, r->tier) != 0))
        return 1;
    return raised_any && strcmp(r->def->kind, rules->derived_on) == 0;
}

static json_t *score_entry(const score_result *r)
{
    return json_pack("{s:f,s:o}", "value", r->value, "tier", r->tier ? json_string(r->tier) : json_null());
}

/* ==== Applying a signal ==== */

static json_t *object_child(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(obj, key, c);
    }
    return c;
}

static void score(const revos_score_rules *rules, json_t *state, const revos_score_signal *sig,
                  const json_t *tuned, int64_t config_version, json_t *updates, json_t *latest)
{
    revos_score_inputs inputs;
    revos_score_inputs_compute(&inputs, state, &rules->window);
    score_result results[REVOS_SCORE_MAX_KINDS];
    json_t *current = object_child(state, "scores");
    for (size_t i = 0; i < rules->n_scores; i++) {
        const char *previous_tier = json_string_value(
            json_object_get(json_object_get(current, rules->scores[i].kind), "tier"));
        compute_score(rules, &rules->scores[i], &inputs, tuned, previous_tier, &results[i]);
        add_score_input(rules, &inputs, &results[i]);
    }

    char raised[1024] = "", ids[4096] = "";
    detect_derived(rules, state, &inputs, sig->account_id, raised, sizeof raised, ids, sizeof ids);
    json_t *ctx = build_context(state, &inputs, results, rules->n_scores, raised, ids);

    json_t *emitted = object_child(state, "emitted");
    for (size_t i = 0; i < rules->n_scores; i++) {
        const score_result *r = &results[i];
        json_t *last = json_object_get(emitted, r->def->kind);
        if (latest != NULL) /* before "emitted" changes: last is borrowed from it */
            json_array_append_new(latest, build_update(sig, r, last, config_version, ctx));
        if (should_emit(rules, r, last, raised[0] != '\0')) {
            const int carries = strcmp(r->def->kind, rules->derived_on) == 0;
            json_t *own_ctx = json_deep_copy(ctx);
            if (!carries) {
                /* derived signals travel once, on the derived_on update */
                context_set(own_ctx, "derived", "");
                context_set(own_ctx, "derived_ids", "");
            }
            json_array_append_new(updates, build_update(sig, r, last, config_version, own_ctx));
            json_decref(own_ctx);
            json_object_set_new(emitted, r->def->kind, score_entry(r));
        }
        json_object_set_new(current, r->def->kind, score_entry(r));
        json_decref(results[i].contributions);
    }
    json_decref(ctx);
    revos_score_inputs_free(&inputs);
}

revos_status revos_score_engine_apply(const revos_score_rules *rules, json_t *state,
                                      const json_t *signal, const json_t *tuned,
                                      int64_t config_version, json_t *updates,
                                      revos_score_outcome *outcome, revos_err *err)
{
    return revos_score_engine_apply_latest(rules, state, signal, tuned, config_version, updates,
                                           NULL, outcome, err);
}

revos_status revos_score_engine_apply_latest(const revos_score_rules *rules, json_t *state,
                                             const json_t *signal, const json_t *tuned,
                                             int64_t config_version, json_t *updates,
                                             json_t *latest, revos_score_outcome *outcome,
                                             revos_err *err)
{
    revos_score_signal sig;
    revos_status st = revos_score_signal_parse(signal, &sig, err);
    if (st != REVOS_OK)
        return st;
    if ((st = revos_score_state_check(state, sig.account_id, err)) != REVOS_OK)
        return st;
    if (revos_score_state_applied(state, sig.signal_id)) {
        *outcome = REVOS_SCORE_DUPLICATE;
        return REVOS_OK;
    }
    const revos_score_limits limits = {.window_days = rules->window.window_days,
                                       .lateness_days = rules->window.usage_lateness_days,
                                       .evidence_max = rules->evidence_max,
                                       .applied_max = rules->applied_max};
    revos_score_state_fold(state, &sig, &limits);
    score(rules, state, &sig, tuned, config_version, updates, latest);
    *outcome = REVOS_SCORE_APPLIED;
    return REVOS_OK;
}

int revos_score_engine_current(const json_t *state, const char *kind, double *value,
                               const char **tier)
{
    const json_t *entry = json_object_get(json_object_get(state, "scores"), kind);
    if (entry == NULL)
        return -1;
    *value = json_number_value(json_object_get(entry, "value"));
    *tier = json_string_value(json_object_get(entry, "tier"));
    return 0;
}
