/* offsets.h -- consumed offsets stored in PostgreSQL (PG_OUTBOX mode).
 *
 * The offset a stateful worker has consumed lives in the same transaction
 * as the state it produced, so the two cannot disagree after a crash. The
 * update is a compare-and-set on the value read at assignment: a consumer
 * that lost its partitions but is still finishing a batch fails its
 * transaction instead of overwriting the new owner's progress. */
#ifndef REVOS_WORKER_OFFSETS_H
#define REVOS_WORKER_OFFSETS_H

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct revos_offset_update {
    const char *topic;
    int32_t partition;
    int64_t expected; /* value read at assignment or last commit; -1 none */
    int64_t next;     /* offset of the next record to consume */
} revos_offset_update;

/* For each partition of parts sets ->offset to the stored next offset, or -1
 * when none is stored (a row with -1 is created then, so the first commit
 * can compare-and-set it). One round trip for the whole list. */
revos_status revos_offsets_load(PGconn *conn, const char *group,
                                rd_kafka_topic_partition_list_t *parts, revos_err *err);

/* Compare-and-set of every partition in one statement, inside the caller's
 * transaction. REVOS_ERR_RETRY when any expected value no longer matches
 * (the partition moved to another consumer). */
revos_status revos_offsets_store(PGconn *conn, const char *group,
                                 const revos_offset_update *updates, size_t n, revos_err *err);

#endif
