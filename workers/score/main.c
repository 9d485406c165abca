/* revos-score: Signals -> per-account state in PostgreSQL -> ScoreUpdates on
 * revos.scores; applies tuned thresholds from revos.thresholds. */
#include "score/score_worker.h"

int main(int argc, char **argv)
{
    static const revos_worker_def def = {
        .name = "revos-score",
        .delivery = REVOS_DELIVERY_PG_OUTBOX,
        .default_http_port = 9413,
        .n_inputs = 2,
        .inputs = {{"signals", REVOS_REC_SIGNAL}, {"thresholds", REVOS_REC_THRESHOLD_CHANGE}},
        .init = revos_score_init,
        .process = revos_score_process,
        .on_revoke = revos_score_on_revoke,
        .check_config = revos_score_config_check,
        .fini = revos_score_fini,
    };
    return revos_worker_run(&def, argc, argv);
}
