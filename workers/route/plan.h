/* plan.h -- revos-route's decisions for one account as a function of its
 * score timeline and its outcomes, whatever order they arrived in.
 *
 * The input is every published cell of the account's timeline that holds a
 * trigger (its latest revision), sorted by event time, and the ends of
 * decisions: CRM renewal results (close every open play), play outcomes
 * (close that play) and acknowledgements of notices (end that notice), each
 * at its own time. The plan walks them in event-time order:
 *  - a trigger with a matrix entry opens a decision, unless one for the
 *    same (account, play) -- or (account, trigger) for a notice -- is open
 *    at that time, in which case it is attached to it;
 *  - a notice whose trigger an inhibition rule absorbs (routing.inhibit:
 *    [{while: {trigger, severity}, absorbs: [trigger...]}], as
 *    Alertmanager's inhibit rules) attaches, as evidence, to an open
 *    decision of the rule's trigger at that severity or above instead of
 *    paging on its own;
 *  - an end closes what is open at its time.
 * Decision ids come from the opening cell (decide.h), so the same cells and
 * outcomes give the same plan in any arrival order.
 *
 * Pure: no I/O, no clock. Thread-safe. */
#ifndef REVOS_ROUTE_PLAN_H
#define REVOS_ROUTE_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "route/decide.h"

typedef struct revos_route_planned {
    revos_route_decision decision;  /* owned: free with revos_route_plan_free */
    int closed;                     /* ended by one of ends[] */
    char result[32];                /* its result (plays), "ack" for a notice */
    char closed_by[256];            /* the outcome id that ended it */
    int64_t closed_ms;
    json_t *events;                 /* owned: [{score_id, trigger, severity, attached, as_of_ms}] */
} revos_route_planned;

typedef struct revos_route_plan_result {
    revos_route_planned *items;
    size_t n;
} revos_route_plan_result;

/* cells: [{cell_id, as_of, update}] sorted by (as_of, cell_id); update is
 * the cell's latest ScoreUpdate. ends: [{kind: "crm"|"play"|"ack", ms,
 * result, outcome_id, play_id?}] in any order. config: "routing" and
 * "plays". Errors: REVOS_ERR_INPUT when a decision cannot be built (a
 * config error, decide.h), REVOS_ERR_FATAL when out of memory. */
revos_status revos_route_plan(const json_t *config, int64_t config_version, const json_t *cells,
                              const json_t *ends, revos_route_plan_result *out, revos_err *err);

void revos_route_plan_free(revos_route_plan_result *plan);

#endif
