/* decide.h -- revos-route's decision logic: a ScoreUpdate, the routing
 * matrix, the play library and the owner directory -> decisions.
 *
 * Pure: no I/O, no clock, no global state; the same update and config give
 * the same decision, bit for bit. Thread-safe. Strings in the structures
 * below are borrowed from the update and the config (which must outlive
 * them) unless marked "owned".
 *
 * Triggers (what in an update asks for a decision):
 *  - a score with tiers (renewal_risk) whose tier changed: trigger = the
 *    score kind, severity = the new tier;
 *  - each derived signal listed in context "derived" ("name:severity,...";
 *    a name without ":severity" counts as info), mapped to a trigger name by
 *    routing.derived_triggers (champion_changed -> champion_departed, ...).
 *    The same trigger twice in one update keeps the higher severity.
 * A trigger only counts when the matrix has an entry for it (see
 * revos_route_matrix_lookup).
 *
 * Config (config/routing.json as config "routing", config/plays.json as
 * config "plays"):
 *   routing.matrix[]: {trigger, severity, label?, play (name or null),
 *                      owners: [role...], sla, escalation: [[role...]...]}
 *   routing.derived_triggers: {signal name: trigger name}
 *   routing.directory: {roles: {role: user id},
 *                       owners: {user id: {name, webhook_url?, format?,
 *                                          secret_env?}}}
 *     (format: json (default), slack or pagerduty; secret_env names the
 *     setting holding the owner's HMAC key or PagerDuty routing key)
 *   routing.finance: {cac_ratio}
 *   plays.plays: {name: {title, entry: [{trigger, severity}], p_save,
 *                        tasks: [{id, title, owner_role, depends_on: [id],
 *                                 due: {severity|"default": duration}, cost}],
 *                        exit: {success: [result], failure: [result]}}} */
#ifndef REVOS_ROUTE_DECIDE_H
#define REVOS_ROUTE_DECIDE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "route/finance.h"

#define REVOS_ROUTE_MAX_TRIGGERS 16
#define REVOS_ROUTE_MAX_OWNERS 8
#define REVOS_ROUTE_MAX_TASKS 16

/* Action.play of a decision without a play (a "notice": pages only). */
#define REVOS_ROUTE_NO_PLAY "none"

/* ==== Severity and the matrix ==== */

/* Rank of a severity or tier: info/low 0, warning/medium 1, high 2,
 * critical 3; -1 for anything else. */
int revos_route_severity_rank(const char *severity);

/* The matrix entry for trigger at an observed severity: among the entries
 * of that trigger, the one with the highest severity not above the observed
 * one (so usage_down:critical still finds adoption_decay/warning, and
 * renewal_risk/high finds nothing when only critical has an entry). Ties:
 * the first. NULL when none. */
const json_t *revos_route_matrix_lookup(const json_t *routing, const char *trigger,
                                        const char *severity);

/* The entry with exactly this trigger and severity (escalation uses it to
 * find the entry a page came from). NULL when none. */
const json_t *revos_route_matrix_entry(const json_t *routing, const char *trigger,
                                       const char *severity);

typedef struct revos_route_trigger {
    char name[64];        /* e.g. "renewal_risk", "champion_departed" */
    char severity[32];    /* observed: the new tier, or the derived severity */
    char source[64];      /* "tier", or the derived signal, e.g. "champion_changed" */
    const json_t *entry;  /* its matrix entry (borrowed from routing) */
} revos_route_trigger;

/* The triggers of a ScoreUpdate (shaped like schemas/ScoreUpdate.avsc)
 * that have a matrix entry, in order: the tier change first, then the
 * derived signals as listed. Returns how many were written (<= max).
 * Malformed or unknown items are skipped. */
size_t revos_route_triggers(const json_t *update, const json_t *routing,
                            revos_route_trigger *out, size_t max);

/* ==== Durations ==== */

/* An SLA or due offset: "30s", "15m", "4h", "2d", "1w", a plain number of
 * seconds as a string ("3600") or a JSON integer. Must be > 0 and at most
 * 366 days. Errors: REVOS_ERR_INPUT naming the bad text. */
revos_status revos_route_parse_duration(const json_t *value, int64_t *seconds, revos_err *err);
revos_status revos_route_parse_duration_text(const char *text, int64_t *seconds,
                                             revos_err *err);

/* The shortest exact form: "1w", "4h", "90m", "45s". */
void revos_route_format_duration(int64_t seconds, char *out, size_t outlen);

/* ==== Owners ==== */

typedef struct revos_route_owner {
    const char *role;      /* e.g. "csm_lead" */
    const char *owner_id;  /* user id */
    const char *name;      /* display name (directory, else context <role>_name, else id) */
    const char *format;    /* "json", "slack" or "pagerduty" */
    const char *url;       /* per-owner webhook, NULL: the default destination */
} revos_route_owner;

typedef struct revos_route_owners {
    revos_route_owner owner[REVOS_ROUTE_MAX_OWNERS];
    size_t n;
    const char *unresolved[REVOS_ROUTE_MAX_OWNERS]; /* roles nobody holds */
    size_t n_unresolved;
} revos_route_owners;

/* Resolves one role: the account team in team (the update's context: ae,
 * csm, csm_lead, ...) first, then routing.directory.roles. Returns 1 and
 * fills *out if resolved, 0 if nobody holds the role. */
int revos_route_resolve_role(const char *role, const json_t *team, const json_t *routing,
                             revos_route_owner *out);

/* Resolves a JSON array of roles into out. An unresolvable role is listed
 * in out->unresolved and skipped; one person holding two roles is paged
 * once (under the first role). Never fails. */
void revos_route_resolve_owners(const json_t *roles, const json_t *team, const json_t *routing,
                                revos_route_owners *out);

/* ==== Ids ==== */

/* The cell a score id names: the id without its ":r<n>" revision suffix
 * (a correction of a cell decides what the cell decides). */
void revos_route_cell_of(const char *score_id, char *out, size_t outlen);

/* Deterministic, readable ids (owned, malloc'd; NULL only when out of
 * memory), the same for every revision of the cell:
 *   play:    "<play>:<account>:<16 hex of FNV-1a(account, play, trigger, cell)>"
 *   notice:  "notice:<trigger>:<account>:<16 hex of FNV-1a(account, trigger, cell)>"
 *   page:    "<play or notice id>:<level>:<owner id>", any byte outside
 *            visible ASCII replaced by '_' (it is an HTTP header and a
 *            PagerDuty dedup_key)
 *   task:    "<play id>:<task template id>" */
char *revos_route_play_id(const char *account_id, const char *play, const char *trigger,
                          const char *score_id);
char *revos_route_notice_id(const char *account_id, const char *trigger, const char *score_id);
char *revos_route_page_id(const char *decision_id, int level, const char *owner_id);

/* printf into a new malloc'd string; NULL when out of memory. */
char *revos_route_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ==== Decisions ==== */

typedef struct revos_route_task {
    char *task_id;            /* owned */
    const char *template_id;
    const char *title;
    const char *owner_role;
    const char *owner_id;     /* NULL when the role is unresolved */
    json_t *depends_on;       /* owned: array of task ids */
    int64_t due_at_ms;        /* as_of + the due offset for the severity */
    double cost;
} revos_route_task;

typedef struct revos_route_decision {
    revos_route_trigger trigger;
    char route[128];            /* matrix entry, "<trigger>/<entry severity>" */
    const char *route_severity; /* the entry's severity */
    const json_t *entry;
    const char *play;           /* NULL: no play (a notice) */
    const json_t *play_def;
    const char *play_title;     /* plays' "title", else the name */
    char *decision_id;          /* owned: the play id, or the notice id */

    const char *account_id;
    const char *account_name;   /* context "name", else the account id */
    const char *score_id;
    char trace[256];            /* the source event of the update's trigger signal (log.h) */
    const char *score_kind;
    const char *score_band;     /* renewal_risk tier when known, else "" */
    const char *explanation;
    const json_t *team;         /* the update's context */
    int64_t as_of_ms;
    int64_t config_version;
    int64_t sla_seconds;
    int has_renewal_days;
    int renewal_days;           /* context days_to_renewal, else calendar days from
                                   as_of to context renewal_date */

    int historical;             /* its condition is older than the live horizon: recorded,
                                   never delivered (set by the caller, route_apply.c) */
    revos_route_finance finance;
    revos_route_owners owners;  /* level 0 */
    revos_route_task tasks[REVOS_ROUTE_MAX_TASKS];
    size_t n_tasks;
    char *summary;              /* owned: plain language, see revos_route_summary */
} revos_route_decision;

/* Builds the decision for one trigger of update. config holds the
 * "routing" and "plays" sections. Errors: REVOS_ERR_INPUT with cls
 * "validation" (the update lacks account_id, score_id, as_of or context) or
 * "config" (the matrix names a missing play, a bad SLA or due offset).
 * On success call revos_route_decision_free. */
revos_status revos_route_decide(const json_t *update, const revos_route_trigger *trigger,
                                const json_t *config, int64_t config_version,
                                revos_route_decision *out, revos_err *err);
void revos_route_decision_free(revos_route_decision *decision);

/* The decision's plain-language summary (owned, malloc'd), e.g.
 *   "Renewal risk critical for Lincoln Unified School District: $180,000 ARR
 *    at risk, renewal in 101 days. Renewal Save play: save cost $14,000 vs
 *    replacement $54,000. Acknowledge within 4h."
 * Without a play: "... No play: replacement cost $54,000. ..."; unresolved
 * roles are appended as " Unresolved owner roles: a, b." */
char *revos_route_summary(const revos_route_decision *decision);

/* Calendar days from the UTC date of as_of_ms to a "YYYY-MM-DD..." date.
 * Returns 0 and sets *days on success, -1 if text is not such a date. */
int revos_route_days_until(int64_t as_of_ms, const char *date, int *days);

/* Checks the routing and plays sections (revosctl calls it before
 * storing a config): durations parse, plays named by the matrix exist and
 * accept the entry's trigger and severity, task dependencies exist, every
 * matrix entry has owners. Errors: REVOS_ERR_INPUT naming the problem. */
revos_status revos_route_config_check(const json_t *config, revos_err *err);

#endif
