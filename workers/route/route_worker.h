/* route_worker.h -- revos-route's callbacks for the worker loop
 * (common/worker/worker.h): ScoreUpdates on revos.scores -> plays, tasks
 * and pages in PostgreSQL and Action records on revos.actions; the tick
 * sends due pages and escalates unacknowledged ones.
 *
 * The callbacks only adapt the loop's batch to revos_route_io (route_io.h);
 * the work is done by revos_route_apply (route_apply.h) and
 * revos_pager_tick (pager.h), which the tests drive directly.
 * Main thread only, like every worker callback. */
#ifndef REVOS_ROUTE_WORKER_H
#define REVOS_ROUTE_WORKER_H

#include "worker/worker.h"

revos_status revos_route_init(void **state, const revos_settings *settings, revos_err *err);
revos_status revos_route_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                 revos_err *err);
revos_status revos_route_tick(void *state, revos_batch *batch, int64_t now_ms, revos_err *err);
void revos_route_fini(void *state);

#endif
