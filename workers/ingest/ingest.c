/* ingest.c -- revos_ingest_parse: bound the size, decode the JSON, hand the
 * object (or a HubSpot batch array) to the source's parser (salesforce.c,
 * segment.c, zendesk.c, nps.c, hubspot.c, ...)
 * and publish its events only if the whole record parsed.
 *
 * Order of checks, each a REVOS_ERR_INPUT class for the dead-letter record:
 *   unknown_source  no parser for meta->source
 *   oversized       len above mapping max_raw_bytes (before any parsing)
 *   decode          not JSON, truncated JSON, duplicate keys
 *   validation      JSON of the wrong shape (the parser says where)
 * and then, by the worker with the wall clock, revos_ingest_check_times:
 *   validation      an event time before 2000 or too far in the future */
#include "ingest/ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ingest/mapping.h"
#include "ingest/sources.h"
#include "ingest/timeparse.h"

typedef struct source_entry {
    const char *name;
    revos_ingest_source_fn parse; /* NULL: known source, no parser yet */
    int array_ok;                 /* the top level may be a JSON array (a batch) */
} source_entry;

static const source_entry sources[] = {
    {"salesforce", revos_ingest_salesforce, 0},
    {"segment", revos_ingest_segment, 0},
    {"zendesk", revos_ingest_zendesk, 0},
    {"nps", revos_ingest_nps, 0},
    {"hubspot", revos_ingest_hubspot, 1},
    {"debezium", revos_ingest_debezium, 0},
    {"intercom", revos_ingest_intercom, 0},
    {"conversation", revos_ingest_conversation, 0},
    {"market", NULL, 0},
    {"handoff", revos_ingest_handoff, 0},
};

static const source_entry *source_find(const char *name)
{
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(sources[i].name, name) == 0)
            return &sources[i];
    return NULL;
}

revos_status revos_ingest_parse(const json_t *mapping, const revos_raw_meta *meta,
                                const char *payload, size_t len, json_t *events,
                                int *ignored, revos_err *err)
{
    if (err != NULL) {
        err->msg[0] = '\0';
        err->cls[0] = '\0';
    }
    if (ignored != NULL)
        *ignored = 0;
    if (meta == NULL || !json_is_array(events) || (payload == NULL && len > 0))
        return revos_fail(err, REVOS_ERR_FATAL, "ingest: called without meta, events or payload");

    const char *name = meta->source ? meta->source : "";
    const source_entry *source = source_find(name);
    if (source == NULL)
        return revos_reject(err, "unknown_source", "unknown source '%.64s'", name);
    if (source->parse == NULL)
        return revos_reject(err, "unknown_source", "no parser for source '%s' in this version", name);

    size_t max_bytes;
    revos_status st = revos_ingest_map_size(mapping, "max_raw_bytes", &max_bytes, err);
    if (st != REVOS_OK)
        return st;
    if (len > max_bytes)
        return revos_reject(err, "oversized", "%s: payload of %zu bytes is above max_raw_bytes %zu",
                            name, len, max_bytes);

    json_error_t jerr;
    json_t *root = json_loadb(payload ? payload : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return revos_reject(err, "decode", "json: %s at line %d column %d", jerr.text, jerr.line,
                            jerr.column);
    if (!json_is_object(root) && !(source->array_ok && json_is_array(root))) {
        json_decref(root);
        return revos_reject(err, "validation", "%s: expected a JSON %s at the top level", name,
                            source->array_ok ? "array or object" : "object");
    }

    json_t *out = json_array();
    if (out == NULL) {
        json_decref(root);
        return revos_fail(err, REVOS_ERR_FATAL, "ingest: out of memory");
    }
    st = source->parse(mapping, meta, root, out, err);
    if (st == REVOS_OK) {
        if (json_array_extend(events, out) != 0)
            st = revos_fail(err, REVOS_ERR_FATAL, "ingest: out of memory");
        else if (ignored != NULL)
            *ignored = json_array_size(out) == 0;
    }
    json_decref(out);
    json_decref(root);
    return st;
}

/* "2068-03-01" or, outside the calendar, the number itself. */
static void describe_time(int64_t ms, char *out, size_t outlen)
{
    char date[11];
    if (revos_ingest_time_format_date(ms, date) == 0)
        snprintf(out, outlen, "%s (%" PRId64 " ms)", date, ms);
    else
        snprintf(out, outlen, "%" PRId64 " ms", ms);
}

revos_status revos_ingest_check_times(const json_t *events, int64_t now_ms, int64_t max_future_ms,
                                      revos_err *err)
{
    size_t i;
    const json_t *event;
    json_array_foreach(events, i, event) {
        const json_t *at = json_object_get(event, "occurred_at");
        if (!json_is_integer(at))
            continue; /* the schema check on emit refuses it */
        int64_t ms = (int64_t)json_integer_value(at);
        char when[64];
        describe_time(ms, when, sizeof when);
        const char *id = json_string_value(json_object_get(event, "event_id"));
        if (ms < REVOS_INGEST_MIN_EVENT_MS)
            return revos_reject(err, "validation",
                                "event %.128s: event time %s is before 2000-01-01, not plausible",
                                id ? id : "?", when);
        if (ms > now_ms + max_future_ms)
            return revos_reject(err, "validation",
                                "event %.128s: event time %s is more than %" PRId64
                                " s ahead of the wall clock (REVOS_MAX_FUTURE_SKEW)",
                                id ? id : "?", when, max_future_ms / 1000);
    }
    return REVOS_OK;
}
