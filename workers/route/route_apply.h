/* route_apply.h -- revos-route's transformation of one batch of
 * ScoreUpdates, inside the batch's PostgreSQL transaction.
 *
 * For each update, in order, each trigger with a matrix entry becomes a
 * decision (decide.h):
 *  - with a play: a route_plays row (status open), its route_tasks, one
 *    route_pages row per level-0 owner (status pending: the tick sends
 *    them), Actions play_assigned + one page per owner;
 *  - without a play (a notice): the pages and page Actions only.
 * One open decision per (account, play) -- and per (account, trigger) for
 * notices, open until any of its pages is acknowledged: a trigger that finds
 * one open is attached to its history (route_play_events) and opens
 * nothing. Ids are deterministic and every INSERT is ON CONFLICT DO
 * NOTHING, so a re-delivered update changes nothing and emits nothing.
 *
 * Statements per batch, whatever its size: one SELECT of the open
 * decisions of the batch's accounts, then at most one multi-row INSERT per
 * table (plays, tasks, pages, events). An update that lacks required
 * fields, or whose decision hits a config error, is rejected to the
 * dead-letter topic with the reason, as a whole. */
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
