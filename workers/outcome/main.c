/* revos-outcome: acknowledgements and outcomes on revos.outcomes -> play
 * state, outcomes per score band, ThresholdChanges on revos.thresholds. */
#include "outcome/outcome_worker.h"

int main(int argc, char **argv)
{
    static const revos_worker_def def = {
        .name = "revos-outcome",
        .delivery = REVOS_DELIVERY_PG_OUTBOX,
        .default_http_port = 9415,
        .n_inputs = 1,
        .inputs = {{"outcomes", REVOS_REC_OUTCOME}},
        .init = revos_outcome_init,
        .process = revos_outcome_process,
        .tick = revos_outcome_tick,
        .tick_ms = 1000,
        .check_config = revos_outcome_config_check,
        .fini = revos_outcome_fini,
    };
    return revos_worker_run(&def, argc, argv);
}
