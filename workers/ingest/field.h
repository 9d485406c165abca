/* field.h -- typed reads of raw-event fields, and the SourceEvent builder,
 * shared by the per-source parsers (salesforce.c, segment.c, zendesk.c,
 * nps.c).
 *
 * Raw input is never trusted. Every read checks the JSON type; a mismatch
 * rejects the record (REVOS_ERR_INPUT, class "validation") with a message
 * naming the source and the field's path:
 *     "salesforce: ChangeEventHeader.commitTimestamp: expected number or string"
 * An absent key and a JSON null are the same thing: absent. A required field
 * that is absent is "<source>: <path>: missing".
 *
 * Pure functions, no global state. */
#ifndef REVOS_INGEST_FIELD_H
#define REVOS_INGEST_FIELD_H

#include <jansson.h>
#include <stdint.h>

#include "core/status.h"
#include "ingest/ingest.h"

#define REVOS_INGEST_ATTR_MAX 4096 /* bytes kept of an attribute value */
#define REVOS_INGEST_ID_MAX 1024   /* longest id accepted; longer is "validation" */
#define REVOS_INGEST_EVENT_ID_MAX 2048

/* Where the parser is reading: the source name and the path of the object
 * being read ("" at the top, else ending in '.', e.g. "data.payload."). */
typedef struct revos_ingest_at {
    const char *source;
    const char *prefix;
    revos_err *err;
} revos_ingest_at;

/* A scalar field as text. s is NULL when the field is absent. Numbers and
 * booleans are rendered into buf, so never copy this struct by value. */
typedef struct revos_ingest_text {
    const char *s;
    size_t len;
    char buf[48];
} revos_ingest_text;

/* Returns from the calling function when expr is not REVOS_OK. */
#define INGEST_TRY(expr)                                                                           \
    do {                                                                                           \
        revos_status ingest_try_st_ = (expr);                                                      \
        if (ingest_try_st_ != REVOS_OK)                                                            \
            return ingest_try_st_;                                                                 \
    } while (0)

/* Where to read a nested object: child->prefix = parent prefix + name + "."
 * in buf (buflen bytes; a longer path is cut, only messages use it). */
void revos_ingest_at_sub(const revos_ingest_at *parent, const char *name, char *buf,
                         size_t buflen, revos_ingest_at *child);

/* ==== Errors ==== */

/* "<source>: <prefix><name>: missing" (validation). */
revos_status revos_ingest_missing(const revos_ingest_at *at, const char *name);
/* "<source>: <prefix><name>: expected <what>" (validation). */
revos_status revos_ingest_expected(const revos_ingest_at *at, const char *name, const char *what);

/* ==== Reads ====
 * Each reads obj[key] (obj may be NULL: everything is then absent). With
 * required set, absence is an error; otherwise the output says "absent"
 * (NULL pointer or text.s == NULL). The *_value forms check a value already
 * in hand, name being its path for messages. */

/* obj[key], or NULL when obj is not an object, the key is absent or null. */
const json_t *revos_ingest_get(const json_t *obj, const char *key);

revos_status revos_ingest_object(const revos_ingest_at *at, const json_t *obj, const char *key,
                                 int required, const json_t **out);
revos_status revos_ingest_array(const revos_ingest_at *at, const json_t *obj, const char *key,
                                int required, const json_t **out);
/* A JSON string (any length: cap it when storing). */
revos_status revos_ingest_string(const revos_ingest_at *at, const json_t *obj, const char *key,
                                 int required, revos_ingest_text *out);
/* An identifier: a non-empty string of at most REVOS_INGEST_ID_MAX bytes, or
 * an integer (Zendesk ids are numbers, its webhooks send them as strings).
 * An empty string counts as absent. */
revos_status revos_ingest_id(const revos_ingest_at *at, const json_t *obj, const char *key,
                             int required, revos_ingest_text *out);
revos_status revos_ingest_id_value(const revos_ingest_at *at, const char *name, const json_t *value,
                                   int required, revos_ingest_text *out);
/* A string, number (see revos_ingest_number_text) or boolean ("true"/"false"). */
revos_status revos_ingest_scalar(const revos_ingest_at *at, const json_t *obj, const char *key,
                                 int required, revos_ingest_text *out);
revos_status revos_ingest_scalar_value(const revos_ingest_at *at, const char *name,
                                       const json_t *value, int required, revos_ingest_text *out);
/* A timestamp: a string in a form revos_ingest_time_parse accepts, or an
 * epoch number (seconds or milliseconds). *found (may be NULL) tells whether
 * the field was there. */
revos_status revos_ingest_time(const revos_ingest_at *at, const json_t *obj, const char *key,
                               int required, int64_t *ms, int *found);

/* A JSON number as a decimal string: integers without a fraction
 * (180000, and 180000.0 -> "180000"), other reals in the shortest form that
 * reads back to the same double (1234.5 -> "1234.5"). buf: 32 bytes or more. */
void revos_ingest_number_text(const json_t *number, char *buf, size_t len);
void revos_ingest_double_text(double value, char *buf, size_t len);

/* ==== SourceEvent builder ==== */

/* Formats an event id into buf (REVOS_INGEST_EVENT_ID_MAX bytes); rejects
 * (validation) one that does not fit. */
revos_status revos_ingest_event_idf(const revos_ingest_at *at, char *buf, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A SourceEvent with empty ids and attributes, or NULL when out of memory. */
json_t *revos_ingest_event_new(const revos_raw_meta *meta, const char *event_id, const char *kind,
                               const char *action, int64_t occurred_at);

/* event.ids[key] = s[0..len). Does nothing when s is NULL or empty. */
revos_status revos_ingest_set_id(json_t *event, const char *key, const char *s, size_t len,
                                 revos_err *err);
/* event.attributes[key] = s[0..len), cut to REVOS_INGEST_ATTR_MAX bytes on a
 * UTF-8 character boundary. Does nothing when s is NULL. */
revos_status revos_ingest_set_attr(json_t *event, const char *key, const char *s, size_t len,
                                   revos_err *err);
/* The same with a text read above; absent text sets nothing. */
revos_status revos_ingest_set_id_text(json_t *event, const char *key, const revos_ingest_text *t,
                                      revos_err *err);
revos_status revos_ingest_set_attr_text(json_t *event, const char *key,
                                        const revos_ingest_text *t, revos_err *err);
/* ids.email (lower-cased) and ids.domain from an email address; a malformed
 * address sets nothing. */
revos_status revos_ingest_set_email(json_t *event, const revos_ingest_text *email, revos_err *err);
/* ids.domain from a website URL or host; a malformed one sets nothing. */
revos_status revos_ingest_set_domain_from_url(json_t *event, const revos_ingest_text *url,
                                              revos_err *err);

/* Appends event to out (stealing the reference); REVOS_ERR_FATAL when out of
 * memory (event is released either way). */
revos_status revos_ingest_append(json_t *out, json_t *event, revos_err *err);

/* Out of memory: REVOS_ERR_FATAL. */
revos_status revos_ingest_oom(revos_err *err);

#endif
