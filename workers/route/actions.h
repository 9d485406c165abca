/* actions.h -- Action records (schemas/Action.avsc) revos-route emits on
 * revos.actions, keyed by account_id. Deterministic action ids:
 *   play_assigned  "assigned:<play_id>"
 *   page           "page:<page_id>"
 *   escalation     "escalation:<play_id>:<level>"
 * Pure; each returns a new reference (NULL only when out of memory). */
#ifndef REVOS_ROUTE_ACTIONS_H
#define REVOS_ROUTE_ACTIONS_H

#include <jansson.h>
#include <stdint.h>

#include "route/decide.h"

/* Kind play_assigned: the play, its level-0 owners, tasks and finance;
 * due_at = as_of + SLA. */
json_t *revos_route_action_play(const revos_route_decision *d);

/* Kind page: one per owner page at level 0 (owners lists that owner). */
json_t *revos_route_action_page(const revos_route_decision *d, size_t recipient,
                                const char *page_id);

/* Kind escalation, from the body of one of the new level's pages (see
 * revos_pager_escalated_body): owners = the new level's owners, due_at =
 * now_ms + SLA. */
json_t *revos_route_action_escalation(const json_t *body, int64_t now_ms);

#endif
