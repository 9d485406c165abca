/* avro_codec.h -- Avro encode/decode of the project's records.
 *
 * Records travel inside the workers as jansson objects shaped exactly like
 * the Avro schema (field name -> value; a nullable union is either JSON null
 * or the plain value; bytes are JSON strings holding the raw bytes as
 * "\u00XX" code points 0-255, i.e. ISO-8859-1; maps are objects; arrays are
 * arrays). This codec is the only place that knows Avro: it checks every
 * record against its schema (avro-c generic values) on the way in and out.
 *
 * Framing (DESIGN.md): with a schema registry configured, Confluent wire
 * format (0x00 + 4-byte big-endian schema id + body); without one, Avro
 * single-object encoding (0xC3 0x01 + 8-byte little-endian CRC-64-AVRO
 * fingerprint of the schema's Parsing Canonical Form + body). Decoders
 * accept both.
 *
 * Thread-safety: a revos_avro is owned by one thread (the worker loop). */
#ifndef REVOS_AVRO_CODEC_H
#define REVOS_AVRO_CODEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum revos_record_type {
    REVOS_REC_SOURCE_EVENT = 0,
    REVOS_REC_SIGNAL,
    REVOS_REC_SCORE_UPDATE,
    REVOS_REC_ACTION,
    REVOS_REC_OUTCOME,
    REVOS_REC_THRESHOLD_CHANGE,
    REVOS_REC_DEAD_LETTER,
    REVOS_REC__COUNT
} revos_record_type;

typedef struct revos_avro revos_avro;

/* Largest encoded record accepted or produced (bytes). */
#define REVOS_AVRO_MAX_RECORD (1024 * 1024)

/* Loads the embedded schemas. registry_url may be NULL or "" (single-object
 * framing); otherwise each schema is registered under subject
 * "<topic_prefix><topic>-value" lazily on first encode for that topic.
 * Errors: REVOS_ERR_FATAL (a schema does not parse). */
revos_status revos_avro_open(revos_avro **out, const char *registry_url, revos_err *err);
void revos_avro_close(revos_avro *codec);

const char *revos_record_type_name(revos_record_type type);

/* Encodes record as type, framed for topic (topic only matters with a
 * registry). *out is malloc'd; caller frees. Errors: REVOS_ERR_INPUT (record
 * does not match the schema: message names the field), REVOS_ERR_RETRY
 * (registry unreachable). */
revos_status revos_avro_encode(revos_avro *codec, revos_record_type type, const char *topic,
                               const json_t *record, uint8_t **out, size_t *out_len,
                               revos_err *err);

/* Decodes a framed record that must be of the expected type. *out is a new
 * reference. Errors: REVOS_ERR_INPUT (bad magic, unknown fingerprint or
 * schema id, truncated or trailing bytes, oversized), REVOS_ERR_RETRY
 * (registry lookup failed transiently). */
revos_status revos_avro_decode(revos_avro *codec, revos_record_type expected,
                               const uint8_t *data, size_t len, json_t **out, revos_err *err);

/* CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form. */
uint64_t revos_avro_fingerprint(const revos_avro *codec, revos_record_type type);

/* The Parsing Canonical Form of a schema given as JSON text; malloc'd.
 * Errors: REVOS_ERR_INPUT (class "decode": not JSON, or not a schema). */
revos_status revos_avro_canonical_form(const char *schema_json, char **out, revos_err *err);

/* CRC-64-AVRO (Rabin) of bytes, as in the Avro specification. */
uint64_t revos_avro_crc64(const void *data, size_t len);

#endif
