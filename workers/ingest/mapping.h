/* mapping.h -- the "mapping" config document (config/mapping.json) as
 * revos-ingest reads it: which source fields carry which business facts.
 *
 * Keys are dotted paths ("salesforce.account.csm_field"). A key that is
 * absent takes its documented default (one table in mapping.c, mirrored in
 * config/mapping.json); keys starting with '_' are documentation and never
 * read; a field-name key set to null means "do not read this fact". A NULL
 * mapping document means "all defaults".
 *
 * A key of the wrong type is a configuration error, not a bad record: every
 * record would fail the same way, so it is REVOS_ERR_FATAL (err->cls
 * "mapping") and the worker stops instead of dead-lettering the stream.
 * revos_ingest_mapping_check finds such errors up front (start-up, or
 * `revosctl config apply`). Pure functions. */
#ifndef REVOS_INGEST_MAPPING_H
#define REVOS_INGEST_MAPPING_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"

/* Checks every key revos-ingest reads: types, and no misspelt keys inside
 * the "salesforce", "segment", "nps", "hubspot", "debezium",
 * "intercom" and "conversation" sections (other top-level sections
 * belong to other workers and are left alone). REVOS_OK or REVOS_ERR_FATAL
 * with the path in err->msg. */
revos_status revos_ingest_mapping_check(const json_t *mapping, revos_err *err);

/* A field name (string, or null = not read: *out = NULL). */
revos_status revos_ingest_map_string(const json_t *mapping, const char *path, const char **out,
                                     revos_err *err);

/* Whether value[0..len) is one of the strings of the list at path. */
revos_status revos_ingest_map_contains(const json_t *mapping, const char *path, const char *value,
                                       size_t len, int *found, revos_err *err);

/* The strings of the list at path (the mapping's, or the default), at most
 * max of them (more is a mapping error); *n is how many. */
revos_status revos_ingest_map_list(const json_t *mapping, const char *path, const char **items,
                                   size_t max, size_t *n, revos_err *err);

/* A table (an object whose keys are data: HubSpot stage ids, Debezium table
 * names), checked; *out = NULL when absent or null (the reader's default
 * applies). */
revos_status revos_ingest_map_table(const json_t *mapping, const char *path, const json_t **out,
                                    revos_err *err);

/* A positive integer (sizes). */
revos_status revos_ingest_map_size(const json_t *mapping, const char *path, size_t *out,
                                   revos_err *err);

#endif
