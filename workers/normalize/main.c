/* revos-normalize: SourceEvents on revos.events -> Signals on revos.signals,
 * every source's ids resolved to one account (unknown accounts parked). */
#include "normalize/normalize_worker.h"
#include "normalize/signals.h"

int main(int argc, char **argv)
{
    static const revos_worker_def def = {
        .name = "revos-normalize",
        .delivery = REVOS_DELIVERY_PG_OUTBOX,
        .default_http_port = 9412,
        .n_inputs = 1,
        .inputs = {{"events", REVOS_REC_SOURCE_EVENT}},
        .init = revos_normalize_init,
        .process = revos_normalize_process,
        .tick = revos_normalize_tick,
        .tick_ms = 60000,
        .check_config = revos_norm_rules_check,
        .fini = revos_normalize_fini,
    };
    return revos_worker_run(&def, argc, argv);
}
