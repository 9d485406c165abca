/* ingest.h -- revos-ingest's transformation: a raw event in a source's own
 * public format (JSON) -> zero or more SourceEvent records.
 *
 * Pure functions: no I/O, no global state. Which source fields carry which
 * business facts is read from the "mapping" config document
 * (config/mapping.json), with the documented defaults when a key is absent. */
#ifndef REVOS_INGEST_H
#define REVOS_INGEST_H

#include <jansson.h>
#include <stdint.h>

#include "core/status.h"

/* Where a raw record came from; copied into each SourceEvent for provenance. */
typedef struct revos_raw_meta {
    const char *topic;     /* e.g. "revos.raw.salesforce" */
    const char *source;    /* topic name after "<prefix>raw.", e.g. "salesforce" */
    int32_t partition;
    int64_t offset;
    const void *key;       /* the Kafka record key, or NULL (Debezium deletes
                            * without a before image name their row by it) */
    size_t key_len;
} revos_raw_meta;

/* Parses one raw record and appends the SourceEvent objects (shaped like
 * schemas/SourceEvent.avsc) to events, a JSON array. A record the mapping
 * deliberately ignores (an unmapped Salesforce entity, a Segment page call)
 * appends nothing and returns REVOS_OK; *ignored (if not NULL) is set to 1.
 *
 * Errors: REVOS_ERR_INPUT with err->cls one of "decode" (not JSON,
 * truncated), "validation" (a required field missing or of the wrong type),
 * "unknown_source" (no parser for meta->source), "oversized" (len above the
 * mapping's max_raw_bytes, default 1 MiB) -- the message says what and where. */
revos_status revos_ingest_parse(const json_t *mapping, const revos_raw_meta *meta,
                                const char *payload, size_t len, json_t *events,
                                int *ignored, revos_err *err);

/* 1 when a record is a tombstone: a null (empty) value on a source that
 * writes them (Debezium, after each delete, for log compaction). Not an
 * event and not an error: the worker counts it and moves on. */
int revos_ingest_is_tombstone(const revos_raw_meta *meta, const void *payload, size_t len);

#endif
