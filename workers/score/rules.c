/* rules.c -- compiling and evaluating the scoring rules. See rules.h. */
#include "score/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Loading ==== */

static const char *opt_string(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static revos_status need_string(const json_t *obj, const char *key, const char *path,
                                const char **out, revos_err *err)
{
    *out = opt_string(obj, key);
    if (*out == NULL || (*out)[0] == '\0')
        return revos_reject(err, "config", "scoring: %s.%s must be a non-empty string", path, key);
    return REVOS_OK;
}

static revos_status opt_int(const json_t *obj, const char *key, int lo, int hi, int fallback,
                            int *out, revos_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        *out = fallback;
        return REVOS_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return revos_reject(err, "config", "scoring: %s must be an integer in %d-%d", key, lo, hi);
    *out = (int)json_integer_value(v);
    return REVOS_OK;
}

static int is_score_kind(const revos_score_rules *rules, size_t before, const char *name)
{
    for (size_t i = 0; i < before; i++)
        if (strcmp(rules->scores[i].kind, name) == 0)
            return 1;
    return 0;
}

/* The type and template variables of an input visible to score number
 * `before` (catalogue inputs, and the scores computed before it). */
static int input_type(const revos_score_rules *rules, size_t before, const char *name,
                      revos_score_input_type *type, const char *const **vars)
{
    if (revos_score_input_lookup(name, type, vars))
        return 1;
    if (is_score_kind(rules, before, name)) {
        *type = REVOS_INPUT_NUMBER;
        *vars = NULL;
        return 1;
    }
    return 0;
}

/* Every {name} in text must be a variable of the input. */
static revos_status check_template(const char *text, const char *input, const char *const *vars,
                                   const char *path, revos_err *err)
{
    for (const char *p = strchr(text, '{'); p != NULL; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (end == NULL)
            return revos_reject(err, "config", "scoring: %s: unclosed {", path);
        size_t len = (size_t)(end - p - 1);
        int ok = 0;
        if (vars == NULL) {
            /* a score used as an input: {kind} and {kind_tier} */
            size_t kl = strlen(input);
            ok = (len == kl && strncmp(p + 1, input, kl) == 0) ||
                 (len == kl + 5 && strncmp(p + 1, input, kl) == 0 && strncmp(p + 1 + kl, "_tier", 5) == 0);
        } else {
            for (size_t i = 0; vars[i] != NULL && !ok; i++)
                ok = strlen(vars[i]) == len && strncmp(p + 1, vars[i], len) == 0;
        }
        if (!ok)
            return revos_reject(err, "config", "scoring: %s: {%.*s} is not a variable of input %s", path,
                                (int)(len > 40 ? 40 : len), p + 1, input);
    }
    return REVOS_OK;
}

static revos_status load_rule(revos_score_rules *rules, size_t score_index, const json_t *obj,
                              const char *path, revos_score_rule *rule, revos_err *err)
{
    revos_status st;
    if (!json_is_object(obj))
        return revos_reject(err, "config", "scoring: %s must be an object", path);
    if ((st = need_string(obj, "id", path, &rule->id, err)) != REVOS_OK ||
        (st = need_string(obj, "input", path, &rule->input, err)) != REVOS_OK ||
        (st = need_string(obj, "template", path, &rule->template_text, err)) != REVOS_OK)
        return st;
    rule->label = opt_string(obj, "label");
    if (rule->label == NULL)
        rule->label = rule->id;
    const char *const *vars;
    if (!input_type(rules, score_index, rule->input, &rule->type, &vars))
        return revos_reject(err, "config", "scoring: %s: unknown input \"%.40s\"", path, rule->input);
    const json_t *points = json_object_get(obj, "points");
    rule->categories = json_object_get(obj, "categories");
    if ((points == NULL) == (rule->categories == NULL))
        return revos_reject(err, "config", "scoring: %s needs exactly one of points, categories", path);
    if (points != NULL) {
        if (rule->type != REVOS_INPUT_NUMBER)
            return revos_reject(err, "config", "scoring: %s: points need a numeric input", path);
        size_t n = json_array_size(points);
        if (!json_is_array(points) || n == 0 || n > REVOS_SCORE_MAX_POINTS)
            return revos_reject(err, "config", "scoring: %s.points must hold 1-%d [x,y] pairs", path,
                                REVOS_SCORE_MAX_POINTS);
        for (size_t i = 0; i < n; i++) {
            const json_t *pair = json_array_get(points, i);
            if (json_array_size(pair) != 2 || !json_is_number(json_array_get(pair, 0)) ||
                !json_is_number(json_array_get(pair, 1)))
                return revos_reject(err, "config", "scoring: %s.points[%zu] must be [x,y]", path, i);
            rule->points[i][0] = json_number_value(json_array_get(pair, 0));
            rule->points[i][1] = json_number_value(json_array_get(pair, 1));
            if (i > 0 && !(rule->points[i][0] > rule->points[i - 1][0]))
                return revos_reject(err, "config", "scoring: %s.points x must increase", path);
        }
        rule->n_points = n;
    } else {
        if (rule->type != REVOS_INPUT_CATEGORY)
            return revos_reject(err, "config", "scoring: %s: categories need a categorical input", path);
        if (!json_is_object(rule->categories) || json_object_size(rule->categories) == 0)
            return revos_reject(err, "config", "scoring: %s.categories must be a non-empty object", path);
        const char *key;
        const json_t *value;
        json_object_foreach ((json_t *)rule->categories, key, value) {
            if (!json_is_number(value))
                return revos_reject(err, "config", "scoring: %s.categories.%.40s must be a number", path, key);
        }
    }
    st = check_template(rule->template_text, rule->input, vars, path, err);
    if (st != REVOS_OK)
        return st;
    rule->templates = json_object_get(obj, "templates");
    if (rule->templates != NULL) {
        if (!json_is_object(rule->templates))
            return revos_reject(err, "config", "scoring: %s.templates must be an object", path);
        const char *key;
        const json_t *value;
        json_object_foreach ((json_t *)rule->templates, key, value) {
            if (!json_is_string(value))
                return revos_reject(err, "config", "scoring: %s.templates.%.40s must be a string", path, key);
            if ((st = check_template(json_string_value(value), rule->input, vars, path, err)) != REVOS_OK)
                return st;
        }
    }
    rule->missing = opt_string(obj, "missing");
    if (rule->missing == NULL)
        rule->missing = "no data";
    return REVOS_OK;
}

static revos_status load_score(revos_score_rules *rules, size_t index, const json_t *obj,
                               revos_err *err)
{
    revos_score_def *def = &rules->scores[index];
    char path[96];
    snprintf(path, sizeof path, "scores[%zu]", index);
    revos_status st;
    if (!json_is_object(obj))
        return revos_reject(err, "config", "scoring: %s must be an object", path);
    if ((st = need_string(obj, "kind", path, &def->kind, err)) != REVOS_OK)
        return st;
    if (is_score_kind(rules, index, def->kind) || revos_score_input_lookup(def->kind, NULL, NULL))
        return revos_reject(err, "config", "scoring: %s: kind \"%.40s\" is defined twice or names an input", path, def->kind);
    def->label = opt_string(obj, "label");
    if (def->label == NULL)
        def->label = def->kind;
    json_t *baseline = json_object_get(obj, "baseline");
    if (baseline != NULL && !json_is_number(baseline))
        return revos_reject(err, "config", "scoring: %s.baseline must be a number", path);
    def->baseline = baseline ? json_number_value(baseline) : 0.0;
    const json_t *list = json_object_get(obj, "rules");
    if (!json_is_array(list) || json_array_size(list) > REVOS_SCORE_MAX_RULES)
        return revos_reject(err, "config", "scoring: %s.rules must be an array of at most %d rules", path,
                            REVOS_SCORE_MAX_RULES);
    def->n_rules = json_array_size(list);
    for (size_t i = 0; i < def->n_rules; i++) {
        char rpath[128];
        snprintf(rpath, sizeof rpath, "%s.rules[%zu]", path, i);
        if ((st = load_rule(rules, index, json_array_get(list, i), rpath, &def->rules[i], err)) != REVOS_OK)
            return st;
    }
    const json_t *tiers = json_object_get(obj, "tiers");
    if (tiers != NULL) {
        size_t n = json_array_size(tiers);
        if (!json_is_array(tiers) || n == 0 || n > REVOS_SCORE_MAX_TIERS)
            return revos_reject(err, "config", "scoring: %s.tiers must be an array of 1-%d {tier,min}", path,
                                REVOS_SCORE_MAX_TIERS);
        for (size_t i = 0; i < n; i++) {
            const json_t *t = json_array_get(tiers, i);
            const json_t *min = json_object_get(t, "min");
            def->tiers[i].name = opt_string(t, "tier");
            if (def->tiers[i].name == NULL || def->tiers[i].name[0] == '\0' || !json_is_number(min))
                return revos_reject(err, "config", "scoring: %s.tiers[%zu] must be {\"tier\": name, \"min\": number}", path, i);
            def->tiers[i].min = json_number_value(min);
            if (i > 0 && !(def->tiers[i].min > def->tiers[i - 1].min))
                return revos_reject(err, "config", "scoring: %s.tiers min must increase", path);
        }
        def->n_tiers = n;
    }
    const json_t *hyst = json_object_get(obj, "tier_hysteresis");
    if (hyst != NULL && (!json_is_number(hyst) || json_number_value(hyst) < 0))
        return revos_reject(err, "config", "scoring: %s.tier_hysteresis must be a number >= 0", path);
    def->tier_hysteresis = hyst ? json_number_value(hyst) : 0.0;
    return REVOS_OK;
}

static revos_status parse_op(const char *text, revos_score_op *op)
{
    static const struct { const char *text; revos_score_op op; } ops[] = {
        {"<=", REVOS_OP_LE}, {"<", REVOS_OP_LT}, {">=", REVOS_OP_GE}, {">", REVOS_OP_GT}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (text != NULL && strcmp(text, ops[i].text) == 0) {
            *op = ops[i].op;
            return REVOS_OK;
        }
    return REVOS_ERR_INPUT;
}

static revos_status load_condition(const revos_score_rules *rules, const json_t *obj,
                                   const char *path, revos_score_condition *cond, revos_err *err)
{
    revos_score_input_type type;
    const char *const *vars;
    revos_status st = need_string(obj, "input", path, &cond->input, err);
    if (st != REVOS_OK)
        return st;
    if (!input_type(rules, rules->n_scores, cond->input, &type, &vars))
        return revos_reject(err, "config", "scoring: %s: unknown input \"%.40s\"", path, cond->input);
    if (type == REVOS_INPUT_CATEGORY) {
        cond->op = REVOS_OP_EQ;
        if ((st = need_string(obj, "equals", path, &cond->equals, err)) != REVOS_OK)
            return st;
        return REVOS_OK;
    }
    const json_t *threshold = json_object_get(obj, "threshold");
    if (parse_op(opt_string(obj, "op"), &cond->op) != REVOS_OK || !json_is_number(threshold))
        return revos_reject(err, "config", "scoring: %s needs op (<=, <, >=, >) and a numeric threshold", path);
    cond->threshold = json_number_value(threshold);
    return REVOS_OK;
}

static int valid_severity(const char *s)
{
    return s != NULL && (strcmp(s, "info") == 0 || strcmp(s, "warning") == 0 || strcmp(s, "critical") == 0);
}

static revos_status load_overrides(revos_score_derived *d, const json_t *list, const char *path,
                                   revos_err *err)
{
    if (list == NULL)
        return REVOS_OK;
    if (!json_is_array(list) || json_array_size(list) > REVOS_SCORE_MAX_OVERRIDES)
        return revos_reject(err, "config", "scoring: %s.overrides must be an array of at most %d",
                            path, REVOS_SCORE_MAX_OVERRIDES);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *o = json_array_get(list, i);
        revos_score_override *ov = &d->overrides[i];
        memset(ov, 0, sizeof *ov);
        ov->field = json_object_get(o, "segment") ? "segment" : "product_line";
        ov->match = opt_string(o, ov->field);
        const json_t *threshold = json_object_get(o, "threshold");
        const json_t *clear = json_object_get(o, "clear_threshold");
        const json_t *hold = json_object_get(o, "hold_days");
        int numeric = d->when.op != REVOS_OP_EQ;
        if (ov->match == NULL || ov->match[0] == '\0' || (threshold && (!numeric || !json_is_number(threshold))) ||
            (clear && (!d->has_clear || !json_is_number(clear))) ||
            (hold && (!json_is_integer(hold) || json_integer_value(hold) < 1 || json_integer_value(hold) > 366)))
            return revos_reject(err, "config",
                                "scoring: %s.overrides[%zu] needs a segment or product_line to match and "
                                "only a numeric threshold, a clear_threshold (where the signal has one) "
                                "or hold_days 1-366", path, i);
        ov->has_threshold = threshold != NULL;
        ov->threshold = json_number_value(threshold);
        ov->has_clear = clear != NULL;
        ov->clear_threshold = json_number_value(clear);
        ov->hold_days = hold ? (int)json_integer_value(hold) : 0;
        d->n_overrides = i + 1;
    }
    return REVOS_OK;
}

static revos_status load_derived(revos_score_rules *rules, size_t index, const json_t *obj,
                                 revos_err *err)
{
    revos_score_derived *d = &rules->derived[index];
    char path[64];
    snprintf(path, sizeof path, "derived[%zu]", index);
    revos_status st;
    if (!json_is_object(obj))
        return revos_reject(err, "config", "scoring: %s must be an object", path);
    if ((st = need_string(obj, "name", path, &d->name, err)) != REVOS_OK)
        return st;
    d->severity = opt_string(obj, "severity");
    if (!valid_severity(d->severity))
        return revos_reject(err, "config", "scoring: %s.severity must be info, warning or critical", path);
    if ((st = load_condition(rules, obj, path, &d->when, err)) != REVOS_OK)
        return st;
    const json_t *clear = json_object_get(obj, "clear_threshold");
    if (clear != NULL) {
        if (!json_is_number(clear) || d->when.op == REVOS_OP_EQ)
            return revos_reject(err, "config", "scoring: %s.clear_threshold must be a number, on a numeric input", path);
        d->clear_threshold = json_number_value(clear);
        int lower = d->when.op == REVOS_OP_LE || d->when.op == REVOS_OP_LT;
        if (lower ? d->clear_threshold < d->when.threshold : d->clear_threshold > d->when.threshold)
            return revos_reject(err, "config", "scoring: %s.clear_threshold must lie on the healthy side of threshold", path);
        d->has_clear = 1;
    }
    const json_t *esc = json_object_get(obj, "escalate");
    if (esc != NULL) {
        char epath[80];
        snprintf(epath, sizeof epath, "%s.escalate", path);
        if (!json_is_object(esc))
            return revos_reject(err, "config", "scoring: %s must be an object", epath);
        if ((st = load_condition(rules, esc, epath, &d->escalate_when, err)) != REVOS_OK)
            return st;
        d->escalate_severity = opt_string(esc, "severity");
        if (!valid_severity(d->escalate_severity))
            return revos_reject(err, "config", "scoring: %s.severity must be info, warning or critical", epath);
        d->has_escalation = 1;
    }
    const json_t *and_list = json_object_get(obj, "and");
    if (and_list != NULL && (!json_is_array(and_list) || json_array_size(and_list) > REVOS_SCORE_MAX_AND))
        return revos_reject(err, "config", "scoring: %s.and must be an array of at most %d conditions",
                            path, REVOS_SCORE_MAX_AND);
    for (size_t i = 0; i < json_array_size(and_list); i++) {
        char apath[96];
        snprintf(apath, sizeof apath, "%s.and[%zu]", path, i);
        if ((st = load_condition(rules, json_array_get(and_list, i), apath, &d->and_when[i], err)) != REVOS_OK)
            return st;
        d->n_and = i + 1;
    }
    if ((st = opt_int(obj, "hold_days", 1, 366, 1, &d->hold_days, err)) != REVOS_OK ||
        (st = opt_int(obj, "rearm_days", 0, 3660, 0, &d->rearm_days, err)) != REVOS_OK ||
        (st = load_overrides(d, json_object_get(obj, "overrides"), path, err)) != REVOS_OK)
        return st;
    for (size_t i = 0; i < index; i++)
        if (strcmp(rules->derived[i].name, d->name) == 0)
            return revos_reject(err, "config", "scoring: %s: name \"%.40s\" is defined twice", path, d->name);
    return REVOS_OK;
}

static revos_status opt_number(const json_t *obj, const char *key, double lo, double hi,
                               double fallback, double *out, revos_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        *out = fallback;
        return REVOS_OK;
    }
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return revos_reject(err, "config", "scoring: %s must be a number in %g-%g", key, lo, hi);
    *out = json_number_value(v);
    return REVOS_OK;
}

/* "usage": how usage_trend_pct reads the usage stream (inputs.h). */
static revos_status load_usage(revos_score_rules *rules, const json_t *usage, revos_err *err)
{
    revos_score_window *w = &rules->window;
    if (usage != NULL && !json_is_object(usage))
        return revos_reject(err, "config", "scoring: usage must be an object");
    revos_status st;
    if ((st = opt_int(usage, "current_days", 7, REVOS_SCORE_USAGE_MAX_CURRENT, 30, &w->usage_current_days, err)) != REVOS_OK ||
        (st = opt_int(usage, "baseline_days", 7, REVOS_SCORE_USAGE_MAX_BLOCK, 90, &w->usage_baseline_days, err)) != REVOS_OK ||
        (st = opt_int(usage, "baseline_blocks", 1, REVOS_SCORE_USAGE_MAX_BLOCKS, 3, &w->usage_baseline_blocks, err)) != REVOS_OK ||
        (st = opt_int(usage, "min_block_days", 1, REVOS_SCORE_USAGE_MAX_BLOCK, 20, &w->usage_min_block_days, err)) != REVOS_OK ||
        (st = opt_number(usage, "min_level", 0, 1e12, 1, &w->usage_min_level, err)) != REVOS_OK ||
        (st = opt_int(usage, "break_allowance_days", 0, 366, 150, &w->usage_span_days, err)) != REVOS_OK)
        return st;
    if (w->usage_min_block_days > w->usage_baseline_days)
        return revos_reject(err, "config", "scoring: usage.min_block_days must not exceed usage.baseline_days");
    w->usage_span_days += w->usage_current_days + w->usage_baseline_days * w->usage_baseline_blocks;
    return REVOS_OK;
}

/* "tickets": the prior window of ticket_ratio (inputs.h). */
static revos_status load_tickets(revos_score_rules *rules, const json_t *tickets, revos_err *err)
{
    revos_score_window *w = &rules->window;
    if (tickets != NULL && !json_is_object(tickets))
        return revos_reject(err, "config", "scoring: tickets must be an object");
    revos_status st;
    if ((st = opt_int(tickets, "prior_days", 1, 366, 90, &w->ticket_prior_days, err)) != REVOS_OK ||
        (st = opt_int(tickets, "min_prior_days", 1, 366, 30, &w->ticket_min_prior_days, err)) != REVOS_OK ||
        (st = opt_number(tickets, "prior_floor", 0.1, 1e6, 1, &w->ticket_prior_floor, err)) != REVOS_OK)
        return st;
    if (w->ticket_min_prior_days > w->ticket_prior_days)
        return revos_reject(err, "config", "scoring: tickets.min_prior_days must not exceed tickets.prior_days");
    return REVOS_OK;
}

static revos_status load(revos_score_rules *rules, const json_t *scoring, revos_err *err)
{
    revos_status st;
    if (!json_is_object(scoring))
        return revos_reject(err, "config", "scoring: the section must be an object");
    if ((st = opt_int(scoring, "window_days", 1, 366, 30, &rules->window.window_days, err)) != REVOS_OK ||
        (st = opt_int(scoring, "champion_window_days", 1, 3660, 90, &rules->window.champion_window_days, err)) != REVOS_OK ||
        (st = opt_int(scoring, "champion_grace_days", 0, 366, 14, &rules->window.champion_grace_days, err)) != REVOS_OK ||
        (st = opt_int(scoring, "usage_lateness_days", 0, 366, 14, &rules->window.usage_lateness_days, err)) != REVOS_OK ||
        (st = opt_int(scoring, "evidence_max", 1, 100, 10, &rules->evidence_max, err)) != REVOS_OK ||
        (st = opt_int(scoring, "applied_ids_max", 1, 4096, 64, &rules->applied_max, err)) != REVOS_OK ||
        (st = opt_int(scoring, "lateness_horizon_days", 1, 3660, 400, &rules->horizon_days, err)) != REVOS_OK)
        return st;
    rules->window.evidence_max = rules->evidence_max;
    if ((st = load_usage(rules, json_object_get(scoring, "usage"), err)) != REVOS_OK ||
        (st = load_tickets(rules, json_object_get(scoring, "tickets"), err)) != REVOS_OK ||
        (st = revos_score_seasons_load(json_object_get(scoring, "seasons"), &rules->seasons, err)) != REVOS_OK)
        return st;
    const json_t *min_change = json_object_get(scoring, "emit_min_change");
    if (min_change != NULL && (!json_is_number(min_change) || json_number_value(min_change) < 0))
        return revos_reject(err, "config", "scoring: emit_min_change must be a number >= 0");
    rules->emit_min_change = min_change ? json_number_value(min_change) : 1.0;
    const json_t *scores = json_object_get(scoring, "scores");
    if (!json_is_array(scores) || json_array_size(scores) == 0 ||
        json_array_size(scores) > REVOS_SCORE_MAX_KINDS)
        return revos_reject(err, "config", "scoring: scores must be an array of 1-%d scores", REVOS_SCORE_MAX_KINDS);
    for (size_t i = 0; i < json_array_size(scores); i++) {
        if ((st = load_score(rules, i, json_array_get(scores, i), err)) != REVOS_OK)
            return st;
        rules->n_scores = i + 1;
    }
    const json_t *derived = json_object_get(scoring, "derived");
    if (derived != NULL && (!json_is_array(derived) || json_array_size(derived) > REVOS_SCORE_MAX_DERIVED))
        return revos_reject(err, "config", "scoring: derived must be an array of at most %d", REVOS_SCORE_MAX_DERIVED);
    for (size_t i = 0; i < json_array_size(derived); i++) {
        if ((st = load_derived(rules, i, json_array_get(derived, i), err)) != REVOS_OK)
            return st;
        rules->n_derived = i + 1;
    }
    rules->derived_on = opt_string(scoring, "derived_on");
    if (rules->derived_on == NULL)
        rules->derived_on = rules->scores[0].kind;
    if (revos_score_rules_find(rules, rules->derived_on) == NULL)
        return revos_reject(err, "config", "scoring: derived_on \"%.40s\" is not a score kind", rules->derived_on);
    return REVOS_OK;
}

revos_status revos_score_rules_load(const json_t *scoring, revos_score_rules **out, revos_err *err)
{
    *out = NULL;
    revos_score_rules *rules = calloc(1, sizeof *rules);
    if (rules == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "scoring: out of memory");
    /* A deep copy: the caller's document may change or go away. */
    rules->doc = json_deep_copy(scoring);
    if (rules->doc == NULL && scoring != NULL) {
        free(rules);
        return revos_fail(err, REVOS_ERR_FATAL, "scoring: out of memory");
    }
    revos_status st = load(rules, rules->doc, err);
    if (st != REVOS_OK) {
        revos_score_rules_free(rules);
        return st;
    }
    *out = rules;
    return REVOS_OK;
}

void revos_score_rules_free(revos_score_rules *rules)
{
    if (rules == NULL)
        return;
    json_decref(rules->doc);
    free(rules);
}

const revos_score_def *revos_score_rules_find(const revos_score_rules *rules, const char *kind)
{
    for (size_t i = 0; i < rules->n_scores; i++)
        if (strcmp(rules->scores[i].kind, kind) == 0)
            return &rules->scores[i];
    return NULL;
}

/* ==== Evaluation ==== */

double revos_score_piecewise(const double (*points)[2], size_t n, double x)
{
    if (n == 0)
        return 0.0;
    if (x <= points[0][0])
        return points[0][1];
    for (size_t i = 1; i < n; i++) {
        if (x <= points[i][0]) {
            const double x0 = points[i - 1][0], y0 = points[i - 1][1];
            const double x1 = points[i][0], y1 = points[i][1];
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    return points[n - 1][1];
}

double revos_score_rule_points(const revos_score_rule *rule, const revos_score_input *input)
{
    if (input == NULL || !input->present)
        return 0.0;
    if (rule->n_points > 0)
        return revos_score_piecewise((const double(*)[2])rule->points, rule->n_points, input->number);
    const json_t *v = json_object_get(rule->categories, input->category ? input->category : "");
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

void revos_score_render(const char *text, const json_t *vars, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    for (const char *p = text; *p != '\0' && o + 1 < outlen;) {
        const char *end;
        if (*p == '{' && (end = strchr(p, '}')) != NULL && end - p - 1 < 64) {
            char name[64];
            memcpy(name, p + 1, (size_t)(end - p - 1));
            name[end - p - 1] = '\0';
            const char *value = json_string_value(json_object_get(vars, name));
            if (value == NULL)
                value = "?";
            for (const char *v = value; *v != '\0' && o + 1 < outlen; v++)
                out[o++] = *v;
            p = end + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

void revos_score_rule_phrase(const revos_score_rule *rule, const revos_score_input *input,
                             char *out, size_t outlen)
{
    const char *text = rule->template_text;
    if (input == NULL || !input->present) {
        text = rule->missing;
    } else if (input->category != NULL && rule->templates != NULL) {
        const char *t = json_string_value(json_object_get(rule->templates, input->category));
        if (t != NULL)
            text = t;
    }
    revos_score_render(text, input ? input->vars : NULL, out, outlen);
}

int revos_score_condition_holds(const revos_score_condition *cond, const revos_score_input *input)
{
    if (input == NULL || !input->present)
        return 0;
    switch (cond->op) {
    case REVOS_OP_EQ: return input->category != NULL && strcmp(input->category, cond->equals) == 0;
    case REVOS_OP_LE: return input->number <= cond->threshold;
    case REVOS_OP_LT: return input->number < cond->threshold;
    case REVOS_OP_GE: return input->number >= cond->threshold;
    case REVOS_OP_GT: return input->number > cond->threshold;
    }
    return 0;
}

revos_score_derived revos_score_derived_for(const revos_score_derived *derived, const json_t *profile)
{
    revos_score_derived d = *derived;
    for (size_t i = 0; i < derived->n_overrides; i++) {
        const revos_score_override *ov = &derived->overrides[i];
        const char *value = json_string_value(json_object_get(profile, ov->field));
        if (value == NULL || !revos_score_text_matches(value, ov->match))
            continue;
        if (ov->has_threshold)
            d.when.threshold = ov->threshold;
        if (ov->has_clear)
            d.clear_threshold = ov->clear_threshold;
        if (ov->hold_days > 0)
            d.hold_days = ov->hold_days;
        break;
    }
    return d;
}

int revos_score_derived_clears(const revos_score_derived *derived, const revos_score_input *input)
{
    if (input == NULL || !input->present)
        return 1;
    if (!derived->has_clear)
        return !revos_score_condition_holds(&derived->when, input);
    switch (derived->when.op) {
    case REVOS_OP_LE:
    case REVOS_OP_LT: return input->number > derived->clear_threshold;
    case REVOS_OP_GE:
    case REVOS_OP_GT: return input->number < derived->clear_threshold;
    case REVOS_OP_EQ: break;
    }
    return !revos_score_condition_holds(&derived->when, input);
}

double revos_score_tier_min(const revos_score_def *def, const json_t *tuned, const char *tier)
{
    for (size_t i = 0; i < def->n_tiers; i++) {
        if (strcmp(def->tiers[i].name, tier) != 0)
            continue;
        const json_t *t = json_object_get(json_object_get(tuned, def->kind), tier);
        return json_is_number(t) ? json_number_value(t) : def->tiers[i].min;
    }
    return -1;
}

const char *revos_score_tier_of(const revos_score_def *def, const json_t *tuned, double value,
                                const char *previous)
{
    const char *tier = NULL;
    size_t rank = 0, prev_rank = 0;
    for (size_t i = 0; i < def->n_tiers; i++) {
        if (i == 0 || revos_score_tier_min(def, tuned, def->tiers[i].name) <= value) {
            tier = def->tiers[i].name;
            rank = i;
        }
        if (previous != NULL && strcmp(previous, def->tiers[i].name) == 0)
            prev_rank = i + 1;
    }
    /* going down: keep the previous tier while within the hysteresis band */
    if (prev_rank > 0 && prev_rank - 1 > rank &&
        value >= revos_score_tier_min(def, tuned, previous) - def->tier_hysteresis)
        return def->tiers[prev_rank - 1].name;
    return tier;
}
