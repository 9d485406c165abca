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

/* Event times must be plausible: on or after REVOS_INGEST_MIN_EVENT_MS
 * (2000-01-01T00:00:00Z, before any source revos reads existed) and at most
 * max_future_ms after now_ms (the wall clock, passed in so this stays pure).
 * A sender's seconds-for-milliseconds mistake, or a year-99999 value read as
 * milliseconds (2068), would otherwise become an account's "today" and
 * poison its scores. REVOS_ERR_INPUT ("validation") naming the event time
 * and the bound it broke, for the first event of events outside them. */
#define REVOS_INGEST_MIN_EVENT_MS INT64_C(946684800000)
#define REVOS_INGEST_DEFAULT_FUTURE_SKEW_S 3600 /* REVOS_MAX_FUTURE_SKEW */

revos_status revos_ingest_check_times(const json_t *events, int64_t now_ms, int64_t max_future_ms,
                                      revos_err *err);

/* The worker's state: REVOS_MAX_FUTURE_SKEW (seconds, 0..31536000, default
 * 3600), refused at start-up when malformed. */
typedef struct revos_ingest_state {
    int64_t max_future_ms;
} revos_ingest_state;

/* 1 when a record is a tombstone: a null (empty) value on a source that
 * writes them (Debezium, after each delete, for log compaction). Not an
 * event and not an error: the worker counts it and moves on. */
int revos_ingest_is_tombstone(const revos_raw_meta *meta, const void *payload, size_t len);

#endif
