/* rules.h -- the scoring rules as data: config/scoring.json (the "scoring"
 * section of the governed configuration), checked and compiled.
 *
 * A score is a baseline plus one contribution per rule. A rule reads one
 * named input (see inputs.h) and maps it either through piecewise-linear
 * "points" [[x,y],...] (clamped at the ends) or through "categories"
 * {value: points}; a missing input contributes 0. Its plain-language phrase
 * is its "template" ("templates" per category, "missing" when the input is
 * missing) with {variable} replaced by the input's template variables.
 * Tiers are lower bounds, in order ([{"tier":"low","min":0},...]); tuned
 * thresholds override them. Derived signals are conditions on inputs: the
 * main one (input, op, threshold or equals), optional further ones that
 * must hold too ("and": [...]), how many days in a row they must hold
 * before the signal is raised ("hold_days", default 1) and how long after
 * an episode ended the same episode resumes without a new raise
 * ("rearm_days", default 0: a new episode at once).
 *
 * A compiled revos_score_rules is immutable: share it read-only. */
#ifndef REVOS_SCORE_RULES_H
#define REVOS_SCORE_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"
#include "score/inputs.h"
#include "score/seasons.h"

#define REVOS_SCORE_MAX_KINDS 8
#define REVOS_SCORE_MAX_RULES 16
#define REVOS_SCORE_MAX_POINTS 16
#define REVOS_SCORE_MAX_TIERS 8
#define REVOS_SCORE_MAX_DERIVED 16

typedef struct revos_score_rule {
    const char *id;
    const char *label;            /* what the rule measures, e.g. "Product usage trend" */
    const char *input;
    revos_score_input_type type;  /* of its input */
    size_t n_points;              /* > 0: piecewise-linear; 0: categories */
    double points[REVOS_SCORE_MAX_POINTS][2];
    const json_t *categories;     /* category -> points */
    const char *template_text;
    const json_t *templates;      /* category -> template (optional) */
    const char *missing;          /* phrase when the input is missing */
} revos_score_rule;

typedef struct revos_score_tier {
    const char *name;
    double min;
} revos_score_tier;

typedef struct revos_score_def {
    const char *kind;
    const char *label;            /* e.g. "Renewal risk" */
    double baseline;
    size_t n_rules;
    revos_score_rule rules[REVOS_SCORE_MAX_RULES];
    size_t n_tiers;               /* 0: the score has no tiers */
    revos_score_tier tiers[REVOS_SCORE_MAX_TIERS];
    double tier_hysteresis;       /* a tier is left downwards only below its bound minus this */
} revos_score_def;

typedef enum revos_score_op { REVOS_OP_LE, REVOS_OP_LT, REVOS_OP_GE, REVOS_OP_GT, REVOS_OP_EQ } revos_score_op;

typedef struct revos_score_condition {
    const char *input;
    revos_score_op op;
    double threshold;      /* numeric inputs */
    const char *equals;    /* categorical inputs */
} revos_score_condition;

#define REVOS_SCORE_MAX_AND 4
#define REVOS_SCORE_MAX_OVERRIDES 8

/* A per-segment or per-product-line variant of a derived signal's main
 * condition: where the account's profile field (segment or product_line)
 * contains match (case-insensitive), these values replace the shared
 * definition's ("overrides": [{"segment"|"product_line": text,
 * "threshold"?, "clear_threshold"?, "hold_days"?}...]; the first match
 * wins). */
typedef struct revos_score_override {
    const char *field;        /* "segment" or "product_line" */
    const char *match;
    int has_threshold;
    double threshold;
    int has_clear;
    double clear_threshold;
    int hold_days;            /* 0: the shared one */
} revos_score_override;

typedef struct revos_score_derived {
    const char *name;      /* e.g. "usage_down" */
    const char *severity;  /* info, warning, critical */
    revos_score_condition when;
    size_t n_and;          /* further conditions that must hold to raise ("and") */
    revos_score_condition and_when[REVOS_SCORE_MAX_AND];
    int hold_days;         /* the conditions hold this many days in a row before it is raised */
    int rearm_days;        /* an episode that ended less than this many days ago resumes, silently */
    size_t n_overrides;
    revos_score_override overrides[REVOS_SCORE_MAX_OVERRIDES];
    int has_clear;         /* an episode ends only once the input is past clear_threshold */
    double clear_threshold;
    int has_escalation;    /* severity becomes escalate_severity when escalate_when holds */
    revos_score_condition escalate_when;
    const char *escalate_severity;
} revos_score_derived;

typedef struct revos_score_rules {
    json_t *doc;                  /* owned reference; every string above is borrowed from it */
    revos_score_window window;
    int evidence_max;             /* evidence ids kept per input */
    int applied_max;              /* bucketed signal ids kept for de-duplication */
    int horizon_days;             /* lateness horizon: older events are too late */
    double emit_min_change;       /* emit when a value moved at least this much */
    const char *derived_on;       /* the score kind whose update carries derived signals */
    size_t n_scores;
    revos_score_def scores[REVOS_SCORE_MAX_KINDS];
    size_t n_derived;
    revos_score_derived derived[REVOS_SCORE_MAX_DERIVED];
    revos_score_seasons seasons;  /* the institutional calendars (seasons.h) */
} revos_score_rules;

/* Checks and compiles a scoring config. Errors: REVOS_ERR_INPUT, the
 * message naming the offending key (e.g. "scores[1].rules[0].points"). */
revos_status revos_score_rules_load(const json_t *scoring, revos_score_rules **out,
                                    revos_err *err);
void revos_score_rules_free(revos_score_rules *rules);

const revos_score_def *revos_score_rules_find(const revos_score_rules *rules, const char *kind);

/* Piecewise-linear interpolation through n points sorted by x, clamped to
 * the first and last y outside them. */
double revos_score_piecewise(const double (*points)[2], size_t n, double x);

/* The points a rule gives its input (0 when missing or an unknown category). */
double revos_score_rule_points(const revos_score_rule *rule, const revos_score_input *input);

/* The rule's phrase for this input value, rendered with the input's
 * template variables; {name} with no such variable renders as "?". */
void revos_score_rule_phrase(const revos_score_rule *rule, const revos_score_input *input,
                             char *out, size_t outlen);

/* Replaces {name} in text with vars[name]. */
void revos_score_render(const char *text, const json_t *vars, char *out, size_t outlen);

/* Whether a condition holds for an input (never for a missing one). */
int revos_score_condition_holds(const revos_score_condition *cond, const revos_score_input *input);

/* The derived signal as it applies to an account with this profile
 * (state.h "profile", may be NULL): a copy with the first matching
 * override's values in place. */
revos_score_derived revos_score_derived_for(const revos_score_derived *derived, const json_t *profile);

/* Whether an active episode of a derived signal ends: its input is missing,
 * or (with a clear_threshold) past it, or (without) the condition no longer
 * holds. The hysteresis keeps a value hovering at the threshold from
 * raising the same signal again and again. */
int revos_score_derived_clears(const revos_score_derived *derived, const revos_score_input *input);

/* The tier of value: the last tier in order whose lower bound (tuned
 * threshold tuned[kind][tier] if present, else the config's) is <= value --
 * except that the previous tier (may be NULL) is kept while value stays
 * within tier_hysteresis below its bound. NULL when the score has no tiers.
 * tuned may be NULL. */
const char *revos_score_tier_of(const revos_score_def *def, const json_t *tuned, double value,
                                const char *previous);

/* The lower bound in force for a tier, or -1 when the kind has no such tier. */
double revos_score_tier_min(const revos_score_def *def, const json_t *tuned, const char *tier);

#endif
