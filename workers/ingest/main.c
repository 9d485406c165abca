/* revos-ingest: raw source events (JSON, the sources' own formats) on
 * revos.raw.<source> -> SourceEvents (Avro) on revos.events. */
#include "ingest/ingest_worker.h"

int main(int argc, char **argv)
{
    static const revos_worker_def def = {
        .name = "revos-ingest",
        .delivery = REVOS_DELIVERY_KAFKA_TXN,
        .default_http_port = 9411,
        .n_inputs = 1,
        .inputs = {{"raw.*", REVOS_INPUT_RAW}},
        .init = revos_ingest_init,
        .process = revos_ingest_process,
        .check_config = revos_ingest_config_check,
        .fini = revos_ingest_fini,
    };
    return revos_worker_run(&def, argc, argv);
}
