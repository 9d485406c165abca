/* revos-route: ScoreUpdates -> decisions (plays, pages, escalations) on
 * revos.actions; pages owners and escalates unacknowledged pages. */
#include "route/decide.h"
#include "route/route_worker.h"

int main(int argc, char **argv)
{
    static const revos_worker_def def = {
        .name = "revos-route",
        .delivery = REVOS_DELIVERY_PG_OUTBOX,
        .default_http_port = 9414,
        .n_inputs = 1,
        .inputs = {{"scores", REVOS_REC_SCORE_UPDATE}},
        .init = revos_route_init,
        .process = revos_route_process,
        .tick = revos_route_tick,
        .tick_ms = 1000,
        .check_config = revos_route_config_check,
        .fini = revos_route_fini,
    };
    return revos_worker_run(&def, argc, argv);
}
