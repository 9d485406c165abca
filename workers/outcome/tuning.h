/* tuning.h -- the threshold tuning rule: outcomes per score band -> the
 * band's tier threshold. Deterministic and pure; thread-safe.
 *
 * For a band B (a renewal_risk tier with a threshold: medium, high,
 * critical) with s saves (renewed, expanded) and l losses (churned, lost)
 * recorded in it -- reassigned and blocked count as neither -- once
 * s + l >= min_outcomes:
 *
 *   r   = (s + 1) / (s + l + 2)                    smoothed save rate
 *   raw = base(B) + gain x (r - target_save_rate)
 *   new = round(raw / round_to) x round_to, clamped to
 *         [base(B) - max_shift, base(B) + max_shift]
 *
 * Defaults (config/outcomes.json "tuning"): min_outcomes 1, gain 10,
 * target_save_rate 0.5, round_to 0.5, max_shift 10.
 *
 * What counts in a band: a play closed with a save or a loss counts in
 * the band it was opened in. A renewal no play covered counts in the band
 * the account was in before it (the renewal_risk tier revos-score
 * published up to the day before, the first tier -- low -- when none): a save
 * there confirms the band; a loss counts in it and, as a miss, also as a
 * loss in the band above (that band should have paged). Every renewal
 * outcome therefore counts, play or no play, and a threshold moves both
 * ways: renewals of flagged accounts raise it, losses and misses lower it.
 *
 * Meaning: if accounts in a band mostly renew, the band pages earlier
 * than needed, so its threshold rises; if they mostly lose, it pages too
 * late, so its threshold falls. base(B) is the tier's threshold
 * in the scoring config, so the rule never drifts: the threshold is always
 * a function of the base and the counts, whatever the order or batching of
 * the outcomes. Walkthrough: one 'renewed' in critical (base 75):
 * r = 2/3, 75 + 10 x 0.1667 = 76.67 -> 76.5.
 *
 * In event time: the threshold in force on day D is the rule applied to
 * the outcomes of days <= D (the base while they are fewer than
 * min_outcomes), so an outcome that arrives late moves the threshold from
 * its own day on, as if it had arrived in order (outcome_apply.h). */
#ifndef REVOS_OUTCOME_TUNING_H
#define REVOS_OUTCOME_TUNING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct revos_tuning_rule {
    char score_kind[32];     /* "renewal_risk" */
    long min_outcomes;
    double gain;
    double target_save_rate;
    double round_to;
    double max_shift;
    const char *bands[8];    /* tuned tiers (static strings or from config) */
    size_t n_bands;
} revos_tuning_rule;

/* The rule from the "outcomes" config section ({"tuning": {...}}), with
 * the defaults above for anything absent or out of range. outcomes may be
 * NULL. Band names are borrowed from outcomes (keep it alive). */
void revos_tuning_rule_load(const json_t *outcomes, revos_tuning_rule *rule);

/* Checks the "outcomes" config section strictly, where
 * revos_tuning_rule_load would fall back to a default: every key of
 * "tuning" known, each number finite and in its range (min_outcomes
 * 1..1e9, gain 0..100, target_save_rate 0..1, round_to 1e-6..100,
 * max_shift 0..100), score_kind a string under 32 characters, bands at most
 * 8 strings. Returns 0, or -1 with the key and the problem in msg. */
int revos_tuning_rule_check(const json_t *outcomes, char *msg, size_t msg_len);

/* 1 if band is one of the rule's tuned bands. */
int revos_tuning_is_band(const revos_tuning_rule *rule, const char *band);

/* The tier's base threshold from the "scoring" config section. Accepted
 * shapes for the tiers of score_kind (first found wins):
 *   the scoring.scores[] item whose "kind" is score_kind, its "tiers"
 *   (config/scoring.json); scoring.scores.<kind>.tiers; scoring.<kind>.tiers;
 *   scoring.tiers.<kind>
 * each either {"medium": 40, ...}, {"medium": {"min"|"threshold"|"from": 40}}
 * or [{"tier"|"name": "medium", "min"|"threshold"|"from": 40}, ...].
 * Returns 1 and sets *base when found. */
int revos_tuning_base(const json_t *scoring, const char *score_kind, const char *tier,
                      double *base);

/* The first tier of score_kind in the scoring.scores[] list, and the tier
 * after `tier` (NULL: none, or the tiers are not in that shape). */
const char *revos_tuning_first_band(const json_t *scoring, const char *score_kind);
const char *revos_tuning_band_above(const json_t *scoring, const char *score_kind, const char *tier);

typedef struct revos_tuning_result {
    double save_rate;        /* r */
    double raw;              /* before rounding and clamping */
    double threshold;        /* the new threshold */
    int clamped;             /* 1 if the clamp changed it */
    int too_few;             /* 1: fewer than min_outcomes, threshold = base */
} revos_tuning_result;

/* Applies the rule. Returns 1 and fills *out when s + l >= min_outcomes,
 * 0 (out untouched) when there are too few outcomes yet. */
int revos_tuning_apply(const revos_tuning_rule *rule, double base, long saves, long losses,
                       revos_tuning_result *out);

/* The threshold in force for s saves and l losses: the rule's when
 * revos_tuning_apply tunes, else the base (too_few set; also for negative
 * counts). Always fills *out. */
void revos_tuning_in_force(const revos_tuning_rule *rule, double base, long saves, long losses,
                           revos_tuning_result *out);

/* The rule with its numbers, for ThresholdChange.rule, e.g.
 * "critical: 1 save(s), 0 loss(es); r = (1 + 1) / (1 + 0 + 2) = 0.6667;
 *  75 + 10 x (0.6667 - 0.5) = 76.67; rounded to 0.5 -> 76.5 (bounds 65..85)".
 * Always NUL-terminates. */
void revos_tuning_describe(const revos_tuning_rule *rule, const char *band, double base,
                           long saves, long losses, const revos_tuning_result *res, char *out,
                           size_t outlen);

/* The id of a band's threshold in force from day (days since the epoch,
 * UTC): "<score_kind>:<band>:<YYYY-MM-DD>". One per band and day: a later
 * change for the same day replaces it. Always NUL-terminates. */
void revos_tuning_change_id(const revos_tuning_rule *rule, const char *band, int64_t day,
                            char *out, size_t outlen);

/* The ThresholdChange record (schemas/ThresholdChange.avsc) for a band's
 * threshold in force from day, its saves and losses those of days <= day,
 * triggered by outcome_id: change_id as revos_tuning_change_id, occurred_at
 * the start of day, rule = rule_text. New reference, NULL when out of
 * memory. */
json_t *revos_tuning_change(const revos_tuning_rule *rule, const char *outcome_id,
                            const char *band, int64_t day, double old_threshold,
                            const revos_tuning_result *res, long saves, long losses,
                            const char *rule_text);

#endif
