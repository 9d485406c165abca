/* tuning.c -- the threshold tuning rule; see tuning.h. */
#include "outcome/tuning.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double number_or(const json_t *obj, const char *key, double fallback, double lo, double hi)
{
    const json_t *value = json_object_get(obj, key);
    if (!json_is_number(value))
        return fallback;
    double v = json_number_value(value);
    return isfinite(v) && v >= lo && v <= hi ? v : fallback;
}

void revos_tuning_rule_load(const json_t *outcomes, revos_tuning_rule *rule)
{
    static const char *const default_bands[] = {"medium", "high", "critical"};
    const json_t *t = outcomes ? json_object_get(outcomes, "tuning") : NULL;
    memset(rule, 0, sizeof *rule);
    const char *kind = json_string_value(json_object_get(t, "score_kind"));
    snprintf(rule->score_kind, sizeof rule->score_kind, "%s",
             kind && *kind && strlen(kind) < sizeof rule->score_kind ? kind : "renewal_risk");
    rule->min_outcomes = (long)number_or(t, "min_outcomes", 1, 1, 1e9);
    rule->gain = number_or(t, "gain", 10.0, 0.0, 100.0);
    rule->target_save_rate = number_or(t, "target_save_rate", 0.5, 0.0, 1.0);
    rule->round_to = number_or(t, "round_to", 0.5, 1e-6, 100.0);
    rule->max_shift = number_or(t, "max_shift", 10.0, 0.0, 100.0);
    size_t i;
    const json_t *band;
    json_array_foreach(json_object_get(t, "bands"), i, band) {
        if (json_is_string(band) && rule->n_bands < sizeof rule->bands / sizeof rule->bands[0])
            rule->bands[rule->n_bands++] = json_string_value(band);
    }
    if (rule->n_bands == 0) {
        for (i = 0; i < 3; i++)
            rule->bands[i] = default_bands[i];
        rule->n_bands = 3;
    }
}

int revos_tuning_rule_check(const json_t *outcomes, char *msg, size_t msg_len)
{
    static const struct {
        const char *key;
        double lo, hi;
    } ranges[] = {{"min_outcomes", 1, 1e9}, {"gain", 0, 100}, {"target_save_rate", 0, 1},
                  {"round_to", 1e-6, 100}, {"max_shift", 0, 100}};
    if (outcomes == NULL || !json_is_object(outcomes)) {
        snprintf(msg, msg_len, "outcomes: expected an object");
        return -1;
    }
    const json_t *t = json_object_get(outcomes, "tuning");
    if (t == NULL)
        return 0; /* every default */
    if (!json_is_object(t)) {
        snprintf(msg, msg_len, "outcomes.tuning: expected an object");
        return -1;
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)t, key, value) {
        if (strcmp(key, "score_kind") == 0) {
            const char *kind = json_string_value(value);
            if (kind == NULL || kind[0] == '\0' || strlen(kind) >= sizeof ((revos_tuning_rule *)0)->score_kind) {
                snprintf(msg, msg_len, "outcomes.tuning.score_kind: expected a score kind name");
                return -1;
            }
            continue;
        }
        if (strcmp(key, "bands") == 0) {
            size_t i;
            const json_t *band;
            if (!json_is_array(value) || json_array_size(value) > 8) {
                snprintf(msg, msg_len, "outcomes.tuning.bands: expected at most 8 tier names");
                return -1;
            }
            json_array_foreach(value, i, band) {
                if (!json_is_string(band)) {
                    snprintf(msg, msg_len, "outcomes.tuning.bands[%zu]: expected a tier name", i);
                    return -1;
                }
            }
            continue;
        }
        size_t r = 0;
        while (r < sizeof ranges / sizeof ranges[0] && strcmp(ranges[r].key, key) != 0)
            r++;
        if (r == sizeof ranges / sizeof ranges[0]) {
            if (strcmp(key, "rule") == 0 || strcmp(key, "doc") == 0 || key[0] == '_')
                continue; /* commentary */
            snprintf(msg, msg_len, "outcomes.tuning.%s: unknown key", key);
            return -1;
        }
        double v = json_is_number(value) ? json_number_value(value) : NAN;
        if (!isfinite(v) || v < ranges[r].lo || v > ranges[r].hi) {
            snprintf(msg, msg_len, "outcomes.tuning.%s: expected a number in %g..%g", key,
                     ranges[r].lo, ranges[r].hi);
            return -1;
        }
    }
    return 0;
}

int revos_tuning_is_band(const revos_tuning_rule *rule, const char *band)
{
    for (size_t i = 0; band != NULL && i < rule->n_bands; i++)
        if (strcmp(rule->bands[i], band) == 0)
            return 1;
    return 0;
}

/* A threshold given as a number or {"min"|"threshold"|"from": n}. */
static int threshold_value(const json_t *value, double *out)
{
    static const char *const keys[] = {"min", "threshold", "from", "at", NULL};
    if (json_is_number(value)) {
        *out = json_number_value(value);
        return 1;
    }
    for (size_t i = 0; json_is_object(value) && keys[i] != NULL; i++) {
        const json_t *v = json_object_get(value, keys[i]);
        if (json_is_number(v)) {
            *out = json_number_value(v);
            return 1;
        }
    }
    return 0;
}

static int tier_in(const json_t *tiers, const char *tier, double *base)
{
    if (json_is_object(tiers))
        return threshold_value(json_object_get(tiers, tier), base);
    size_t i;
    const json_t *item;
    json_array_foreach(tiers, i, item) {
        const char *name = json_string_value(json_object_get(item, "tier"));
        if (name == NULL)
            name = json_string_value(json_object_get(item, "name"));
        if (name != NULL && strcmp(name, tier) == 0)
            return threshold_value(item, base);
    }
    return 0;
}

/* The tiers array of score_kind in scoring.scores[] (config/scoring.json). */
static const json_t *tier_list(const json_t *scoring, const char *score_kind)
{
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(scoring, "scores"), i, item) {
        const char *kind = json_string_value(json_object_get(item, "kind"));
        if (kind != NULL && strcmp(kind, score_kind) == 0)
            return json_object_get(item, "tiers");
    }
    return NULL;
}

const char *revos_tuning_first_band(const json_t *scoring, const char *score_kind)
{
    return json_string_value(json_object_get(json_array_get(tier_list(scoring, score_kind), 0), "tier"));
}

const char *revos_tuning_band_above(const json_t *scoring, const char *score_kind, const char *tier)
{
    const json_t *tiers = tier_list(scoring, score_kind);
    for (size_t i = 0; tier != NULL && i + 1 < json_array_size(tiers); i++) {
        const char *name = json_string_value(json_object_get(json_array_get(tiers, i), "tier"));
        if (name != NULL && strcmp(name, tier) == 0)
            return json_string_value(json_object_get(json_array_get(tiers, i + 1), "tier"));
    }
    return NULL;
}

int revos_tuning_base(const json_t *scoring, const char *score_kind, const char *tier,
                      double *base)
{
    if (scoring == NULL || score_kind == NULL || tier == NULL)
        return 0;
    /* scoring.scores as an array of {kind, tiers} (config/scoring.json). */
    const json_t *scores = json_object_get(scoring, "scores");
    size_t i;
    const json_t *item;
    json_array_foreach(scores, i, item) {
        const char *kind = json_string_value(json_object_get(item, "kind"));
        if (kind != NULL && strcmp(kind, score_kind) == 0 &&
            tier_in(json_object_get(item, "tiers"), tier, base))
            return 1;
    }
    const json_t *candidates[] = {
        json_object_get(json_object_get(scores, score_kind), "tiers"),
        json_object_get(json_object_get(scoring, score_kind), "tiers"),
        json_object_get(json_object_get(scoring, "tiers"), score_kind),
    };
    for (i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (candidates[i] != NULL && tier_in(candidates[i], tier, base))
            return 1;
    return 0;
}

int revos_tuning_apply(const revos_tuning_rule *rule, double base, long saves, long losses,
                       revos_tuning_result *out)
{
    if (saves < 0 || losses < 0 || saves + losses < rule->min_outcomes)
        return 0;
    double r = ((double)saves + 1.0) / ((double)saves + (double)losses + 2.0);
    double raw = base + rule->gain * (r - rule->target_save_rate);
    double rounded = round(raw / rule->round_to) * rule->round_to;
    double lo = base - rule->max_shift, hi = base + rule->max_shift;
    double clamped = rounded < lo ? lo : rounded > hi ? hi : rounded;
    out->save_rate = r;
    out->raw = raw;
    out->threshold = clamped;
    out->clamped = clamped != rounded;
    out->too_few = 0;
    return 1;
}

void revos_tuning_in_force(const revos_tuning_rule *rule, double base, long saves, long losses,
                           revos_tuning_result *out)
{
    if (revos_tuning_apply(rule, base, saves, losses, out))
        return;
    out->save_rate = saves >= 0 && losses >= 0
                         ? ((double)saves + 1.0) / ((double)saves + (double)losses + 2.0)
                         : 0.0;
    out->raw = base;
    out->threshold = base;
    out->clamped = 0;
    out->too_few = 1;
}

void revos_tuning_describe(const revos_tuning_rule *rule, const char *band, double base,
                           long saves, long losses, const revos_tuning_result *res, char *out,
                           size_t outlen)
{
    if (res->too_few) {
        snprintf(out, outlen, "%s: %ld save(s), %ld loss(es); fewer than the %ld outcome(s)"
                 " tuning needs: the base %g", band, saves, losses, rule->min_outcomes, base);
        return;
    }
    snprintf(out, outlen,
             "%s: %ld save(s), %ld loss(es); r = (%ld + 1) / (%ld + %ld + 2) = %.4f; "
             "%g + %g x (%.4f - %g) = %.2f; rounded to %g -> %g%s (bounds %g..%g)",
             band, saves, losses, saves, saves, losses, res->save_rate, base, rule->gain,
             res->save_rate, rule->target_save_rate, res->raw, rule->round_to, res->threshold,
             res->clamped ? ", clamped" : "", base - rule->max_shift, base + rule->max_shift);
}

void revos_tuning_change_id(const revos_tuning_rule *rule, const char *band, int64_t day,
                            char *out, size_t outlen)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    char date[32] = "?";
    if (gmtime_r(&t, &tm) != NULL)
        strftime(date, sizeof date, "%Y-%m-%d", &tm);
    snprintf(out, outlen, "%s:%s:%s", rule->score_kind, band, date);
}

json_t *revos_tuning_change(const revos_tuning_rule *rule, const char *outcome_id,
                            const char *band, int64_t day, double old_threshold,
                            const revos_tuning_result *res, long saves, long losses,
                            const char *rule_text)
{
    char change_id[160];
    revos_tuning_change_id(rule, band, day, change_id, sizeof change_id);
    return json_pack("{s:s, s:s, s:s, s:f, s:f, s:I, s:I, s:s, s:s, s:I}", "change_id",
                     change_id, "score_kind", rule->score_kind, "tier", band, "old_threshold",
                     old_threshold, "new_threshold", res->threshold, "saves", (json_int_t)saves,
                     "losses", (json_int_t)losses, "rule", rule_text, "outcome_id", outcome_id,
                     "occurred_at", (json_int_t)(day * 86400000));
}
