/* ingest_worker.h -- revos-ingest's callbacks for the worker loop. */
#ifndef REVOS_INGEST_WORKER_H
#define REVOS_INGEST_WORKER_H

#include "worker/worker.h"

revos_status revos_ingest_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                  revos_err *err);

#endif
