/* registry.h -- minimal client of a Confluent-compatible schema registry.
 *
 * Two calls, both blocking with 5-second timeouts (libcurl):
 *   register: POST {url}/subjects/{subject}/versions {"schema": "..."} -> {"id": N}
 *   schema:   GET  {url}/schemas/ids/{id}                -> {"schema": "..."}
 * Transient trouble (cannot connect, timeout, HTTP 5xx, 408, 429) is
 * REVOS_ERR_RETRY; any other refusal (4xx) is REVOS_ERR_FATAL carrying the
 * registry's own message, except that an unknown id on GET (error_code
 * 40403) is REVOS_ERR_INPUT (class "decode"): the record names a schema that
 * does not exist. Error messages show the URL without its password.
 *
 * Caching is the caller's business (the Avro codec owns its caches).
 * Thread-safety: a registry client is owned by one thread. */
#ifndef REVOS_AVRO_REGISTRY_H
#define REVOS_AVRO_REGISTRY_H

#include <stdint.h>

#include "core/status.h"

typedef struct revos_avro_registry revos_avro_registry;

/* url: base URL, e.g. "http://user:pass@registry:8081" (a trailing slash is
 * ignored). Errors: REVOS_ERR_FATAL (not an http(s) URL, out of memory). */
revos_status revos_avro_registry_open(revos_avro_registry **out, const char *url,
                                      revos_err *err);
void revos_avro_registry_close(revos_avro_registry *reg);

/* The URL with any password replaced by "***", for messages. */
const char *revos_avro_registry_display_url(const revos_avro_registry *reg);

/* Registers schema_json under subject (or finds it already registered) and
 * returns its global id. */
revos_status revos_avro_registry_register(revos_avro_registry *reg, const char *subject,
                                          const char *schema_json, int32_t *id, revos_err *err);

/* Fetches the schema text registered under id; *schema_json is malloc'd. */
revos_status revos_avro_registry_schema(revos_avro_registry *reg, int32_t id,
                                        char **schema_json, revos_err *err);

#endif
