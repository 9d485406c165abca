/* pager.h -- pages: what one says, when it is (re)sent, and escalation.
 *
 * A page is a row of route_pages created with its decision (status
 * pending). revos_pager_tick, run by the worker's tick in its own
 * transaction:
 *  1. sends the pending pages that are due (at most 50 per tick, rows locked
 *     FOR UPDATE SKIP LOCKED) with common/http/webhook.h: to the owner's
 *     webhook_url from the routing directory if set, else
 *     REVOS_PAGE_WEBHOOK_URL, in the owner's format (json, slack,
 *     pagerduty). The secret (json: HMAC key, pagerduty: routing key) is the
 *     setting named by the owner's "secret_env", else
 *     REVOS_PAGE_WEBHOOK_SECRET; a page without destination or needed
 *     secret is retried like a failed POST. A tick starts no POST after
 *     REVOS_PAGER_POST_BUDGET_MS of posting; the pages left wait, untouched,
 *     for the next tick. Success: status sent, sent_at, ack_due_at
 *     = now + SLA. Failure: retry after 1 s, 2 s, 4 s ... (capped at 5 min);
 *     after 10 attempts, or when the destination refuses the page for good,
 *     status failed with ack_due_at = now, so the next level is paged at
 *     once. Only pending pages are selected, so a page marked sent is never
 *     sent again. The POST cannot join the transaction: if the commit after
 *     a successful POST fails, the page is posted again; receivers dedupe by
 *     page_id (the PagerDuty dedup_key).
 *  2. escalates: pages sent (or failed) whose ack_due_at has passed and
 *     that no check has settled yet (route_pages.escalation IS NULL), at
 *     most 200 per tick, grouped by (decision, level). A group whose
 *     decision somebody acknowledged (a page_acks row for any of its pages)
 *     is settled "acknowledged", one whose play is no longer open "closed";
 *     otherwise the next level's pages are created from the matrix entry's
 *     escalation list (a level whose roles nobody holds is skipped), one
 *     Action kind "escalation" is emitted and the group is settled
 *     "escalated" with escalated_at (or "exhausted" past the last level).
 *     Settling keeps the overdue set small: each page is examined once.
 *     Escalation SLA = the entry's SLA. */
#ifndef REVOS_ROUTE_PAGER_H
#define REVOS_ROUTE_PAGER_H

#include <jansson.h>
#include <stdint.h>

#include "core/status.h"
#include "route/decide.h"
#include "route/route_io.h"

#define REVOS_PAGER_BATCH 50
#define REVOS_PAGER_MAX_ATTEMPTS 10
#define REVOS_PAGER_MAX_BACKOFF_MS (5 * 60 * 1000)
/* A tick stops starting POSTs after this long (a dead endpoint must not
 * stall the worker's poll loop); the rest go next tick. */
#define REVOS_PAGER_POST_BUDGET_MS 10000

/* Delay before the next attempt after `attempts` failed ones (>= 1):
 * 1 s x 2^(attempts-1), capped at 5 minutes. */
int64_t revos_pager_backoff_ms(int attempts);

/* "2024-03-01T10:00:00Z" (UTC, whole seconds) into out (>= 21 bytes). */
void revos_pager_iso8601(int64_t ms, char *out, size_t outlen);

/* Owners as the JSON array Action.owners and the page use:
 * [{"role", "owner_id", "name"}]. New reference. */
json_t *revos_pager_owners_json(const revos_route_owners *owners);

/* The page for owners->owner[recipient] at level 0 of decision d (new
 * reference): page_id, play_id, account_id, account_name, play ("none"
 * without one), trigger, severity, route, level, owner, owners,
 * sla_seconds, ack_due_at (null until sent), arr_at_risk, save_cost,
 * replacement_cost, ev_act, ev_no_act, summary, decision_summary,
 * explanation, score_id, score_band, config_version, as_of. */
json_t *revos_pager_body(const revos_route_decision *d, const revos_route_owners *owners,
                         size_t recipient, const char *page_id);

/* The page for the next level, made from a lower level's body: new
 * page_id, level, owner(s), and summary "Escalated to level <level>, not
 * acknowledged within <sla>: <decision summary>". New reference. */
json_t *revos_pager_escalated_body(const json_t *previous, int level,
                                   const revos_route_owners *owners, size_t recipient,
                                   const char *page_id);

/* Sends due pages, then escalates; see the file comment. now_ms is the wall
 * clock. Errors: those of PostgreSQL and io->emit (a failed POST is not an
 * error: it is retried). */
revos_status revos_pager_tick(const revos_route_io *io, int64_t now_ms, revos_err *err);

#endif
