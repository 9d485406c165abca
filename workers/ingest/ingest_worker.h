/* ingest_worker.h -- revos-ingest's callbacks for the worker loop. */
#ifndef REVOS_INGEST_WORKER_H
#define REVOS_INGEST_WORKER_H

#include "worker/worker.h"

/* Reads REVOS_MAX_FUTURE_SKEW into a revos_ingest_state (ingest.h). */
revos_status revos_ingest_init(void **state, const revos_settings *settings, revos_err *err);
void revos_ingest_fini(void *state);

/* The "mapping" section through revos_ingest_mapping_check. */
revos_status revos_ingest_config_check(const json_t *config, revos_err *err);

/* Parses each raw record; a record whose event time is implausible
 * (revos_ingest_check_times) is dead-lettered like any bad input. */
revos_status revos_ingest_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                  revos_err *err);

#endif
