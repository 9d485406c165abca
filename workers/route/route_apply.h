/* route_apply.h -- revos-route's transformation of one batch of
 * ScoreUpdates, inside the batch's PostgreSQL transaction.
 *
 * Each update is a revision of one score cell. Its triggers (decide.h) are
 * stored with the cell in route_cells, a newer revision replacing an older
 * one (an update whose trigger the config cannot decide is rejected to the
 * dead-letter topic, whole). Every account whose cells changed is planned
 * again from all its cells and outcomes (plan.h), and what differs from
 * what is stored is written:
 *  - a new decision: a route_plays row (open, or already closed by an
 *    outcome recorded first) with its route_tasks, one route_pages row per
 *    level-0 owner and the Actions play_assigned + page; a notice (no play)
 *    only its pages and page Actions. Older than routing.live_horizon it is
 *    historical: pages 'historical', never sent, no SLA; otherwise pending,
 *    sent by the tick after routing.page_wait;
 *  - a stored decision no longer planned: superseded, its unsent pages
 *    cancelled;
 *  - a play the plan closes: its status and closed_by;
 *  - the accounts' trigger histories (route_play_events), rewritten.
 * Ids are deterministic, so a re-delivered update changes nothing.
 *
 * Statements per batch, whatever its size: two to store the cells, three
 * to load the touched accounts' cells, outcomes and decisions, and at most
 * one per table to write. */
#ifndef REVOS_ROUTE_APPLY_H
#define REVOS_ROUTE_APPLY_H

#include <stddef.h>

#include "core/status.h"
#include "route/route_io.h"
#include "worker/worker.h"

/* msgs[i].record is a ScoreUpdate (schemas/ScoreUpdate.avsc). Errors:
 * PostgreSQL's (REVOS_ERR_RETRY / REVOS_ERR_FATAL), REVOS_ERR_FATAL when an
 * Action does not match its schema (a bug). */
revos_status revos_route_apply(const revos_route_io *io, const revos_msg *msgs, size_t n,
                               revos_err *err);

#endif
