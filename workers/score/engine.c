/* engine.c -- scoring one signal: fold, compute, detect, emit. See engine.h. */
#include "score/engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score/calendar.h"
#include "core/status.h"
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

/* Whether the main condition and every "and" condition hold. */
static int derived_holds(const revos_score_derived *d, const revos_score_inputs *inputs)
{
    if (!revos_score_condition_holds(&d->when, revos_score_inputs_get(inputs, d->when.input)))
        return 0;
    for (size_t i = 0; i < d->n_and; i++)
        if (!revos_score_condition_holds(&d->and_when[i],
                                         revos_score_inputs_get(inputs, d->and_when[i].input)))
            return 0;
    return 1;
}

/* Raises each derived signal whose conditions have held for hold_days in a
 * row (or hold for a new episode) on day -- on a school day of the
 * account's calendar: on a break day or a weekend it waits --; ends the episodes whose main
 * input cleared. An episode that ended less than rearm_days ago resumes
 * without a new raise. mem is the episode memory {name: {active, key, id,
 * severity, since, ended}} (since: first day of the current run of days
 * the conditions held; ended: the day the last episode ended). Appends
 * "name:severity" to raised and the ids to ids (comma-separated). */
static void detect_derived(const revos_score_rules *rules, json_t *mem,
                           const revos_score_inputs *inputs, const json_t *profile,
                           const revos_score_school_days *school, const char *account_id,
                           int64_t day, char *raised, size_t raised_cap, char *ids, size_t ids_cap)
{
    char today[16];
    revos_day_format(day, today, sizeof today);
    int in_break = !revos_score_is_school_day(school, day);
    for (size_t i = 0; i < rules->n_derived; i++) {
        const revos_score_derived own = revos_score_derived_for(&rules->derived[i], profile);
        const revos_score_derived *d = &own;
        const revos_score_input *in = revos_score_inputs_get(inputs, d->when.input);
        json_t *st = json_object_get(mem, d->name);
        int holds = derived_holds(d, inputs);
        if (st == NULL) {
            if (!holds)
                continue; /* never held: nothing to remember */
            st = json_pack("{s:b,s:s,s:s,s:s,s:n,s:n}", "active", 0, "key", "", "id", "",
                           "severity", "", "since", "ended");
            json_object_set_new(mem, d->name, st);
        }
        int active = json_is_true(json_object_get(st, "active"));
        if (active && revos_score_derived_clears(d, in)) {
            json_object_set_new(st, "active", json_false());
            json_object_set_new(st, "ended", json_integer((json_int_t)day));
            active = 0;
        }
        if (!holds) {
            json_object_set_new(st, "since", json_null());
            continue;
        }
        const json_t *since = json_object_get(st, "since");
        if (!json_is_integer(since)) {
            json_object_set_new(st, "since", json_integer((json_int_t)day));
            since = json_object_get(st, "since");
        }
        if (day - (int64_t)json_integer_value(since) + 1 < d->hold_days)
            continue; /* not held long enough yet */
        if (in_break)
            continue; /* the school is out: raised on its next school day */
        const char *key = json_string_value(json_object_get(st, "key"));
        int same_key = key != NULL && strcmp(key, in->episode) == 0;
        if (active && same_key)
            continue; /* the same episode: raised already */
        const json_t *ended = json_object_get(st, "ended");
        const char *last_id = json_string_value(json_object_get(st, "id"));
        if (!active && same_key && json_is_integer(ended) && last_id != NULL && last_id[0] != '\0' &&
            day - (int64_t)json_integer_value(ended) < d->rearm_days) {
            json_object_set_new(st, "active", json_true()); /* it flapped: the same episode */
            continue;
        }
        const char *severity = d->severity;
        if (d->has_escalation &&
            revos_score_condition_holds(&d->escalate_when,
                                        revos_score_inputs_get(inputs, d->escalate_when.input)))
            severity = d->escalate_severity;
        char id[3 * REVOS_SCORE_ID_MAX];
        snprintf(id, sizeof id, "%s:%s:%s", account_id, d->name, today);
        json_object_set_new(st, "active", json_true());
        json_object_set_new(st, "key", json_string(in->episode));
        json_object_set_new(st, "id", json_string(id));
        json_object_set_new(st, "severity", json_string(severity));
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

/* One day cell being published. */
typedef struct cell_record {
    const char *account_id;
    int64_t day;
    int revision;
    const char *trigger_signal_id;
    int has_previous;
    double previous;
    const char *previous_tier;  /* NULL: none */
} cell_record;

static void cell_id(char *out, size_t outlen, const char *account, const char *kind, int64_t day,
                    int revision)
{
    char date[16];
    revos_day_format(day, date, sizeof date);
    if (revision > 0)
        snprintf(out, outlen, "%s:%s:%s:r%d", account, kind, date, revision);
    else
        snprintf(out, outlen, "%s:%s:%s", account, kind, date);
}

static json_t *build_update(const cell_record *c, const score_result *r, int64_t config_version,
                            const json_t *ctx)
{
    char score_id[3 * REVOS_SCORE_ID_MAX + 64], revises[3 * REVOS_SCORE_ID_MAX + 64];
    cell_id(score_id, sizeof score_id, c->account_id, r->def->kind, c->day, c->revision);
    cell_id(revises, sizeof revises, c->account_id, r->def->kind, c->day, c->revision - 1);
    return json_pack("{s:s,s:s,s:s,s:f,s:o,s:o,s:o,s:I,s:I,s:s,s:O,s:s,s:O,s:i,s:o}",
                     "score_id", score_id, "account_id", c->account_id, "kind", r->def->kind,
                     "value", r->value,
                     "previous", c->has_previous ? json_real(c->previous) : json_null(),
                     "tier", r->tier ? json_string(r->tier) : json_null(),
                     "previous_tier", c->previous_tier ? json_string(c->previous_tier) : json_null(),
                     "as_of", (json_int_t)(c->day * REVOS_MS_PER_DAY + REVOS_MS_PER_DAY - 1),
                     "config_version", (json_int_t)config_version,
                     "trigger_signal_id", c->trigger_signal_id, "contributions", r->contributions,
                     "explanation", r->explanation, "context", ctx, "revision", c->revision,
                     "revises", c->revision > 0 ? json_string(revises) : json_null());
}

/* ==== Tiers as indices ==== */

static int tier_index(const revos_score_def *def, const char *tier)
{
    for (size_t i = 0; tier != NULL && i < def->n_tiers; i++)
        if (strcmp(def->tiers[i].name, tier) == 0)
            return (int)i;
    return -1;
}

static const char *tier_name(const revos_score_def *def, int index)
{
    return index >= 0 && (size_t)index < def->n_tiers ? def->tiers[index].name : NULL;
}

/* ==== Thresholds in event time ==== */

/* {kind: {tier: threshold}} of the changes in force at the end of day:
 * changes is sorted by (day, change_id), the later one of a tier wins. */
static json_t *tuned_at(const json_t *changes, int64_t day)
{
    json_t *tuned = json_object();
    for (size_t i = 0; i < json_array_size(changes); i++) {
        const json_t *ch = json_array_get(changes, i);
        if (revos_score_state_int(ch, "day", 0) > day)
            break;
        const char *kind = json_string_value(json_object_get(ch, "score_kind"));
        const char *tier = json_string_value(json_object_get(ch, "tier"));
        if (kind == NULL || tier == NULL)
            continue;
        json_t *tiers = json_object_get(tuned, kind);
        if (tiers == NULL) {
            tiers = json_object();
            json_object_set_new(tuned, kind, tiers);
        }
        json_object_set_new(tiers, tier,
                            json_real(json_number_value(json_object_get(ch, "new_threshold"))));
    }
    return tuned;
}

/* The first day after `day` on which a change takes effect, INT64_MAX none. */
static int64_t next_change_day(const json_t *changes, int64_t day)
{
    for (size_t i = 0; i < json_array_size(changes); i++) {
        int64_t d = revos_score_state_int(json_array_get(changes, i), "day", 0);
        if (d > day)
            return d;
    }
    return INT64_MAX;
}

/* ==== The state's timeline ==== */

static json_t *object_child(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(obj, key, c);
    }
    return c;
}

static json_t *array_child(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);
    if (!json_is_array(c)) {
        c = json_array();
        json_object_set_new(obj, key, c);
    }
    return c;
}

/* Makes the cells of every kind cover from..to (new days hold -1). */
static void cells_cover(const revos_score_rules *rules, json_t *state, int64_t from, int64_t to)
{
    json_t *cells = object_child(state, "cells");
    json_t *k = object_child(cells, "k"), *t = object_child(cells, "t");
    int64_t have = revos_score_state_int(cells, "from", from);
    if (json_object_get(cells, "from") == NULL)
        json_object_set_new(cells, "from", json_integer((json_int_t)from));
    for (size_t i = 0; i < rules->n_scores; i++) {
        json_t *parts[2] = {array_child(k, rules->scores[i].kind), array_child(t, rules->scores[i].kind)};
        for (size_t p = 0; p < 2; p++) {
            if (from < have) {
                json_t *fresh = json_array();
                for (int64_t d = from; d < have; d++)
                    json_array_append_new(fresh, json_integer(-1));
                json_array_extend(fresh, parts[p]);
                json_object_set_new(p == 0 ? k : t, rules->scores[i].kind, fresh);
                parts[p] = fresh;
            }
            int64_t start = from < have ? from : have;
            while ((int64_t)json_array_size(parts[p]) < to - start + 1)
                json_array_append_new(parts[p], json_integer(-1));
        }
    }
    if (from < have)
        json_object_set_new(cells, "from", json_integer((json_int_t)from));
}

/* The cell (tenths, tier index) of kind on day; returns 0 when absent. */
static int cell_get(const json_t *state, const char *kind, int64_t day, long long *tenths, int *tier)
{
    const json_t *cells = json_object_get(state, "cells");
    if (cells == NULL)
        return 0;
    int64_t i = day - revos_score_state_int(cells, "from", 0);
    const json_t *k = json_object_get(json_object_get(cells, "k"), kind);
    const json_t *t = json_object_get(json_object_get(cells, "t"), kind);
    if (i < 0 || (size_t)i >= json_array_size(k) || (size_t)i >= json_array_size(t))
        return 0;
    long long v = (long long)json_number_value(json_array_get(k, (size_t)i));
    if (v < 0)
        return 0;
    *tenths = v;
    *tier = (int)json_number_value(json_array_get(t, (size_t)i));
    return 1;
}

static void cell_put(json_t *state, const char *kind, int64_t day, long long tenths, int tier)
{
    json_t *cells = json_object_get(state, "cells");
    size_t i = (size_t)(day - revos_score_state_int(cells, "from", 0));
    json_array_set_new(json_object_get(json_object_get(cells, "k"), kind), i, json_integer(tenths));
    json_array_set_new(json_object_get(json_object_get(cells, "t"), kind), i, json_integer(tier));
}

/* ==== The forward pass ==== */

typedef struct pass {
    const revos_score_rules *rules;
    json_t *state;
    const char *account;
    int64_t config_version;
    const json_t *changes;
    revos_score_series usage, tickets;
    revos_score_school_days school;    /* owned: the school days of the account's calendar */
    int has_school;
    json_t *disc;                      /* owned: discrete facts folded so far */
    json_t *mem;                       /* owned: derived episode memory */
    const json_t *tuned;               /* owned by tuned_owned */
    json_t *tuned_owned;
    int64_t tuned_until;               /* tuned holds until the day before this */
    int prev_tier[REVOS_SCORE_MAX_KINDS];
    int has_ref[REVOS_SCORE_MAX_KINDS];
    long long ref_tenths[REVOS_SCORE_MAX_KINDS];
    int ref_tier[REVOS_SCORE_MAX_KINDS];
    json_t *updates;                   /* borrowed, may be NULL */
    json_t *latest;                    /* borrowed, may be NULL */
    int64_t emitted;
} pass;

static void pass_thresholds(pass *p, int64_t day)
{
    if (p->tuned_owned != NULL && day < p->tuned_until)
        return;
    json_decref(p->tuned_owned);
    p->tuned_owned = tuned_at(p->changes, day);
    p->tuned = p->tuned_owned;
    p->tuned_until = next_change_day(p->changes, day);
}

/* The sequential memory as of the end of day - 1, from the stored
 * timeline, published cells and episode log; drops what is recomputed. */
static void pass_seed(pass *p, int64_t day)
{
    const revos_score_rules *rules = p->rules;
    for (size_t i = 0; i < rules->n_scores; i++) {
        const char *kind = rules->scores[i].kind;
        long long tenths;
        int tier;
        p->prev_tier[i] = cell_get(p->state, kind, day - 1, &tenths, &tier) ? tier : -1;
        p->has_ref[i] = 0;
        const char *key;
        json_t *entry;
        int64_t best = INT64_MIN;
        json_object_foreach (json_object_get(json_object_get(p->state, "pub"), kind), key, entry) {
            int64_t d = strtoll(key, NULL, 10);
            if (d < day && d > best && json_is_true(json_array_get(entry, 5))) {
                best = d;
                p->has_ref[i] = 1;
                p->ref_tenths[i] = (long long)json_number_value(json_array_get(entry, 1));
                p->ref_tier[i] = (int)json_number_value(json_array_get(entry, 2));
            }
        }
    }
    p->mem = json_object();
    const char *name;
    json_t *log;
    json_object_foreach (json_object_get(p->state, "dlog"), name, log) {
        size_t keep = 0;
        for (size_t i = 0; i < json_array_size(log); i++) {
            const json_t *e = json_array_get(log, i);
            if ((int64_t)json_number_value(json_array_get(e, 0)) >= day)
                break;
            keep = i + 1;
        }
        if (keep > 0) {
            const json_t *e = json_array_get(log, keep - 1);
            json_object_set_new(p->mem, name,
                                json_pack("{s:b,s:O,s:O,s:O,s:O?,s:O?}", "active",
                                          json_is_true(json_array_get(e, 1)), "key",
                                          json_array_get(e, 2), "id", json_array_get(e, 3),
                                          "severity", json_array_get(e, 4), "since",
                                          json_array_get(e, 5), "ended", json_array_get(e, 6)));
        }
        while (json_array_size(log) > keep)
            json_array_remove(log, keep);
    }
}

/* Appends the memory of name to its log when it changed on day. */
static void log_episodes(pass *p, int64_t day)
{
    json_t *dlog = object_child(p->state, "dlog");
    for (size_t i = 0; i < p->rules->n_derived; i++) {
        const char *name = p->rules->derived[i].name;
        const json_t *m = json_object_get(p->mem, name);
        if (m == NULL)
            continue;
        json_t *entry = json_pack("[I,b,O,O,O,O?,O?]", (json_int_t)day,
                                  json_is_true(json_object_get(m, "active")),
                                  json_object_get(m, "key"), json_object_get(m, "id"),
                                  json_object_get(m, "severity"), json_object_get(m, "since"),
                                  json_object_get(m, "ended"));
        json_t *log = array_child(dlog, name);
        const json_t *last = json_array_get(log, json_array_size(log) - 1);
        int same = last != NULL;
        for (size_t k = 1; same && k < 7; k++)
            same = json_equal(json_array_get(last, k), json_array_get(entry, k));
        if (same)
            json_decref(entry);
        else
            json_array_append_new(log, entry);
    }
}

/* The newest signal id of day: discrete events folded that day, and the
 * newest usage and ticket signal of the day. */
static const char *day_trigger(const pass *p, int64_t day, const json_t *last_event)
{
    const char *best = NULL;
    int64_t best_ms = INT64_MIN;
    if (last_event != NULL) {
        best = json_string_value(json_object_get(last_event, "signal_id"));
        best_ms = (int64_t)json_integer_value(json_object_get(last_event, "occurred_at"));
    }
    const char *names[] = {"usage", "tickets"};
    for (size_t s = 0; s < 2; s++) {
        const json_t *series = json_object_get(p->state, names[s]);
        int64_t i = day - revos_score_state_int(series, "from", 0);
        const json_t *ids = json_object_get(series, "id");
        if (i < 0 || (size_t)i >= json_array_size(ids))
            continue;
        const char *id = json_string_value(json_array_get(ids, (size_t)i));
        int64_t ms = (int64_t)json_number_value(json_array_get(json_object_get(series, "ms"), (size_t)i));
        if (id != NULL && id[0] != '\0' &&
            (best == NULL || ms > best_ms || (ms == best_ms && strcmp(id, best) > 0))) {
            best = id;
            best_ms = ms;
        }
    }
    return best != NULL ? best : "";
}

static int entry_differs(const json_t *entry, long long tenths, int tier, int prev,
                         const char *raised, int publishable)
{
    if (entry == NULL)
        return 1;
    const char *r = json_string_value(json_array_get(entry, 4));
    return (long long)json_number_value(json_array_get(entry, 1)) != tenths ||
           (int)json_number_value(json_array_get(entry, 2)) != tier ||
           (int)json_number_value(json_array_get(entry, 3)) != prev ||
           strcmp(r ? r : "", raised) != 0 || json_is_true(json_array_get(entry, 5)) != publishable;
}

/* The school days of the account's calendar (its segment as of day),
 * counted once per pass over the days its buckets and timeline hold, and
 * again only when the segment picks another calendar. */
static const revos_score_school_days *pass_school_days(pass *p, int64_t day)
{
    const json_t *profile = json_object_get(p->disc, "profile");
    const revos_score_calendar *cal = revos_score_seasons_for(
        &p->rules->seasons, json_string_value(json_object_get(profile, "segment")));
    if (p->has_school && p->school.cal == cal)
        return &p->school;
    revos_score_school_days_free(&p->school);
    int64_t from = day, to = revos_score_state_int(p->state, "newest_day", day);
    if (p->usage.n > 0 && p->usage.from < from)
        from = p->usage.from;
    if (p->tickets.n > 0 && p->tickets.from < from)
        from = p->tickets.from;
    if (to < day)
        to = day;
    /* out of memory leaves it empty: it then answers day by day */
    (void)revos_score_school_days_init(&p->school, cal, from, to);
    p->has_school = 1;
    return &p->school;
}

/* Scores day: every kind, its tier, the derived signals; stores the cells
 * and, when emit, publishes what changed. */
static revos_status pass_day(pass *p, int64_t day, const json_t *last_event, int emit,
                             revos_err *err)
{
    const revos_score_rules *rules = p->rules;
    pass_thresholds(p, day);
    revos_score_view view = {.disc = p->disc, .usage = &p->usage, .tickets = &p->tickets,
                             .school = pass_school_days(p, day),
                             .first_day = revos_score_state_int(p->state, "first_day", day),
                             .day = day};
    revos_score_inputs inputs;
    revos_score_inputs_compute(&inputs, &view, &rules->window);
    score_result results[REVOS_SCORE_MAX_KINDS];
    for (size_t i = 0; i < rules->n_scores; i++) {
        compute_score(rules, &rules->scores[i], &inputs, p->tuned,
                      tier_name(&rules->scores[i], p->prev_tier[i]), &results[i]);
        add_score_input(rules, &inputs, &results[i]);
    }
    char raised[1024] = "", ids[4096] = "";
    detect_derived(rules, p->mem, &inputs, json_object_get(p->disc, "profile"), view.school,
                   p->account, day, raised, sizeof raised, ids, sizeof ids);
    log_episodes(p, day);
    json_t *ctx = build_context(p->disc, &inputs, results, rules->n_scores, raised, ids);
    const char *trigger = day_trigger(p, day, last_event);
    int64_t newest = revos_score_state_int(p->state, "newest_day", day);
    json_t *pub = object_child(p->state, "pub");
    revos_status st = REVOS_OK;

    for (size_t i = 0; i < rules->n_scores; i++) {
        const score_result *r = &results[i];
        const char *kind = r->def->kind;
        int tier = tier_index(r->def, r->tier);
        int carries = strcmp(kind, rules->derived_on) == 0;
        const char *own_raised = carries ? raised : "";
        long long moved = p->has_ref[i] ? llabs(r->tenths - p->ref_tenths[i]) : 0;
        int publishable = !p->has_ref[i] || moved >= to_tenths(rules->emit_min_change) ||
                          tier != p->ref_tier[i] || own_raised[0] != '\0';
        cell_record c = {.account_id = p->account, .day = day, .trigger_signal_id = trigger,
                         .has_previous = p->has_ref[i],
                         .previous = p->has_ref[i] ? (double)p->ref_tenths[i] / 10.0 : 0.0,
                         .previous_tier = tier_name(r->def, p->prev_tier[i])};
        if (emit) {
            char day_key[24];
            snprintf(day_key, sizeof day_key, "%lld", (long long)day);
            json_t *cellmap = object_child(pub, kind);
            const json_t *entry = json_object_get(cellmap, day_key);
            int withdrawn = !publishable && entry != NULL;
            int prev = publishable ? p->prev_tier[i] : tier;
            if ((publishable || withdrawn) &&
                entry_differs(entry, r->tenths, tier, prev, own_raised, publishable)) {
                c.revision = entry ? (int)json_number_value(json_array_get(entry, 0)) + 1 : 0;
                if (withdrawn)
                    c.previous_tier = r->tier; /* no tier change: nothing to act on */
                json_t *own_ctx = json_deep_copy(ctx);
                if (!carries) {
                    /* derived signals travel once, on the derived_on update */
                    context_set(own_ctx, "derived", "");
                    context_set(own_ctx, "derived_ids", "");
                }
                json_t *update = build_update(&c, r, p->config_version, own_ctx);
                json_decref(own_ctx);
                if (update == NULL) {
                    st = revos_fail(err, REVOS_ERR_FATAL, "out of memory building a ScoreUpdate");
                } else {
                    if (p->updates != NULL)
                        json_array_append(p->updates, update);
                    json_decref(update);
                    p->emitted++;
                }
                json_object_set_new(cellmap, day_key,
                                    json_pack("[i,I,i,i,s,b]", c.revision, (json_int_t)r->tenths,
                                              tier, prev, own_raised, publishable));
            }
            cell_put(p->state, kind, day, r->tenths, tier);
            if (day == newest && p->latest != NULL) {
                cell_record now = c;
                now.revision = 0; /* score_current names the cell */
                json_t *own_ctx = json_deep_copy(ctx);
                json_array_append_new(p->latest, build_update(&now, r, p->config_version, own_ctx));
                json_decref(own_ctx);
            }
        }
        if (publishable) {
            p->has_ref[i] = 1;
            p->ref_tenths[i] = r->tenths;
            p->ref_tier[i] = tier;
        }
        p->prev_tier[i] = tier;
    }
    for (size_t i = 0; i < rules->n_scores; i++)
        json_decref(results[i].contributions);
    json_decref(ctx);
    revos_score_inputs_free(&inputs);
    return st;
}

static void pass_free(pass *p)
{
    revos_score_school_days_free(&p->school);
    revos_score_series_free(&p->usage);
    revos_score_series_free(&p->tickets);
    json_decref(p->disc);
    json_decref(p->mem);
    json_decref(p->tuned_owned);
}

static revos_score_limits limits_of(const revos_score_rules *rules)
{
    return (revos_score_limits){.window_days = rules->window.window_days,
                                .lateness_days = rules->window.usage_lateness_days,
                                .evidence_max = rules->evidence_max,
                                .applied_max = rules->applied_max,
                                .horizon_days = rules->horizon_days,
                                .usage_span_days = rules->window.usage_span_days,
                                .ticket_prior_days = rules->window.ticket_prior_days};
}

/* Folds the events of day starting at *next into disc; returns the last. */
static const json_t *fold_day(pass *p, const json_t *events, size_t *next, int64_t day)
{
    const json_t *last = NULL;
    while (*next < json_array_size(events)) {
        const json_t *e = json_array_get(events, *next);
        revos_score_signal sig;
        revos_err ignored = {0};
        if (revos_score_signal_parse(e, &sig, &ignored) != REVOS_OK) {
            (*next)++; /* validated when added: cannot happen */
            continue;
        }
        if (sig.day > day)
            break;
        revos_score_disc_fold(p->disc, &sig, p->rules->evidence_max);
        last = e;
        (*next)++;
    }
    return last;
}

/* Keeps a copy of disc as of the end of day: the pass goes on folding
 * into disc, and a checkpoint that shared it would hold later days. */
static void checkpoint(json_t *state, int64_t day, const json_t *disc)
{
    json_object_set_new(state, "ck", json_pack("{s:I,s:o}", "day", (json_int_t)day, "disc",
                                               json_deep_copy(disc)));
}

/* Runs the pass up to last_day, folding the discrete events from the
 * checkpoint (use_ck, when it lies before emit_from) or the base; days
 * from emit_from on are scored, their cells stored and what changed
 * published. p->disc is left as of the end of last_day. */
static revos_status run_pass(pass *p, int64_t emit_from, int64_t last_day, int use_ck,
                             revos_err *err)
{
    json_t *state = p->state;
    const json_t *events = json_object_get(state, "events");
    int64_t base_day = revos_score_state_int(state, "base_day",
                                             revos_score_state_int(state, "first_day", 0));
    const json_t *ck = json_object_get(state, "ck");
    int64_t start = base_day;
    if (use_ck && ck != NULL && revos_score_state_int(ck, "day", INT64_MIN) >= base_day &&
        emit_from - 1 >= revos_score_state_int(ck, "day", INT64_MAX)) {
        start = revos_score_state_int(ck, "day", 0) + 1;
        p->disc = json_deep_copy(json_object_get(ck, "disc"));
    } else {
        const json_t *base = json_object_get(state, "base");
        p->disc = base ? json_deep_copy(base) : json_object();
    }
    if (p->disc == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    if (emit_from < start)
        emit_from = start;
    size_t next = 0;
    /* skip the events the checkpoint holds */
    while (next < json_array_size(events) &&
           revos_day_of_ms((int64_t)json_integer_value(
               json_object_get(json_array_get(events, next), "occurred_at"))) < start)
        next++;
    int64_t newest = revos_score_state_int(state, "newest_day", last_day);
    int64_t first = revos_score_state_int(state, "first_day", start);
    revos_status st = REVOS_OK;
    int seeded = 0;
    for (int64_t day = start; day <= last_day && st == REVOS_OK; day++) {
        const json_t *last_event = fold_day(p, events, &next, day);
        if (day == newest - 1 && p->latest != NULL)
            checkpoint(state, day, p->disc); /* scoring the day folds nothing more */
        if (day < emit_from)
            continue;
        if (!seeded) {
            pass_seed(p, day);
            seeded = 1;
        }
        if (day >= first)
            st = pass_day(p, day, last_event, 1, err);
    }
    return st;
}

/* ==== The engine ==== */

revos_status revos_score_engine_add(const revos_score_rules *rules, json_t *state,
                                    const json_t *signal, revos_score_outcome *outcome,
                                    revos_err *err)
{
    revos_score_signal sig;
    revos_status st = revos_score_signal_parse(signal, &sig, err);
    if (st != REVOS_OK)
        return st;
    if ((st = revos_score_state_check(state, sig.account_id, err)) != REVOS_OK)
        return st;
    const revos_score_limits limits = limits_of(rules);
    int64_t age = 0;
    switch (revos_score_state_add(state, &sig, signal, &limits, &age)) {
    case REVOS_SCORE_ADD_DUPLICATE:
        *outcome = REVOS_SCORE_DUPLICATE;
        return REVOS_OK;
    case REVOS_SCORE_ADD_TOO_LATE:
        return revos_reject(err, "too_late",
                            "signal %.80s is %lld days older than the newest event of %.80s,"
                            " beyond the lateness horizon of %d days",
                            sig.signal_id, (long long)age, sig.account_id, rules->horizon_days);
    case REVOS_SCORE_ADDED:
        break;
    }
    *outcome = REVOS_SCORE_APPLIED;
    return REVOS_OK;
}

revos_status revos_score_engine_settle(const revos_score_rules *rules, json_t *state,
                                       const json_t *thresholds, int64_t config_version,
                                       json_t *updates, json_t *latest, revos_err *err)
{
    const json_t *dirty = json_object_get(state, "dirty_from");
    if (dirty == NULL || json_object_get(state, "newest_day") == NULL)
        return REVOS_OK;
    const revos_score_limits limits = limits_of(rules);
    int64_t newest = revos_score_state_int(state, "newest_day", 0);
    int64_t first = revos_score_state_int(state, "first_day", newest);
    int64_t base_day = revos_score_state_int(state, "base_day", first);
    int64_t from = revos_score_state_int(state, "dirty_from", newest);
    if (from < base_day)
        from = base_day;
    int64_t new_base = newest - rules->horizon_days;
    int trim = new_base > base_day + 31;

    pass p = {.rules = rules, .state = state, .account = json_string_value(json_object_get(state, "account")),
              .config_version = config_version, .changes = thresholds, .updates = updates};
    json_t *scratch_latest = latest != NULL ? NULL : json_array();
    p.latest = latest != NULL ? latest : scratch_latest;
    cells_cover(rules, state, base_day, newest);
    revos_status st = REVOS_OK;
    if (trim) {
        /* fold up to the new base first, then let the pass go on from it */
        /* (it only folds: no day is scored, so it reads no buckets) */
        pass pre = {.rules = rules, .state = state, .account = p.account,
                    .config_version = config_version, .changes = thresholds};
        st = run_pass(&pre, new_base, new_base - 1, 0, err);
        if (st == REVOS_OK)
            revos_score_state_trim(state, new_base, pre.disc, &limits);
        pass_free(&pre);
        if (from < new_base)
            from = new_base;
    }
    /* the buckets as they are now: trimming replaced their arrays */
    if (st == REVOS_OK && (revos_score_series_load(&p.usage, state, "usage") != 0 ||
                           revos_score_series_load(&p.tickets, state, "tickets") != 0))
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory loading day buckets");
    if (st == REVOS_OK)
        st = run_pass(&p, from, newest, !trim, err);
    if (st == REVOS_OK)
        json_object_del(state, "dirty_from");
    pass_free(&p);
    json_decref(scratch_latest);
    return st;
}

revos_status revos_score_engine_apply(const revos_score_rules *rules, json_t *state,
                                      const json_t *signal, const json_t *thresholds,
                                      int64_t config_version, json_t *updates,
                                      revos_score_outcome *outcome, revos_err *err)
{
    revos_status st = revos_score_engine_add(rules, state, signal, outcome, err);
    if (st != REVOS_OK || *outcome == REVOS_SCORE_DUPLICATE)
        return st;
    return revos_score_engine_settle(rules, state, thresholds, config_version, updates, NULL, err);
}

revos_status revos_score_engine_at(const revos_score_rules *rules, const json_t *state,
                                   const json_t *thresholds, int64_t config_version, int64_t day,
                                   json_t *records, revos_err *err)
{
    json_t *copy = json_deep_copy(state);
    if (copy == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    int64_t newest = revos_score_state_int(copy, "newest_day", INT64_MIN);
    int64_t first = revos_score_state_int(copy, "first_day", INT64_MAX);
    int64_t base_day = revos_score_state_int(copy, "base_day", first);
    if (newest == INT64_MIN || day < base_day || day > newest) {
        json_decref(copy);
        return revos_reject(err, "validation", "no scores on that day (history held: %s)",
                            newest == INT64_MIN ? "none" : "another range");
    }
    /* re-evaluate day alone, from the settled memory of the day before:
     * its cells and published entries are overwritten in the copy only */
    json_object_del(copy, "ck");
    pass p = {.rules = rules, .state = copy, .account = json_string_value(json_object_get(copy, "account")),
              .config_version = config_version, .changes = thresholds};
    json_t *latest = json_array(), *sink = json_array();
    p.latest = latest;
    p.updates = sink;
    json_object_set_new(copy, "newest_day", json_integer((json_int_t)day));
    revos_status st = REVOS_OK;
    if (revos_score_series_load(&p.usage, copy, "usage") != 0 ||
        revos_score_series_load(&p.tickets, copy, "tickets") != 0)
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory loading day buckets");
    if (st == REVOS_OK)
        st = run_pass(&p, day, day, 0, err);
    for (size_t i = 0; st == REVOS_OK && i < json_array_size(latest); i++)
        json_array_append(records, json_array_get(latest, i));
    pass_free(&p);
    json_decref(latest);
    json_decref(sink);
    json_decref(copy);
    return st;
}

int revos_score_engine_current(const json_t *state, const char *kind, double *value,
                               const char **tier_out, const revos_score_rules *rules)
{
    long long tenths;
    int tier;
    int64_t newest = revos_score_state_int(state, "newest_day", 0);
    if (!cell_get(state, kind, newest, &tenths, &tier))
        return -1;
    *value = (double)tenths / 10.0;
    const revos_score_def *def = revos_score_rules_find(rules, kind);
    *tier_out = def ? tier_name(def, tier) : NULL;
    return 0;
}
