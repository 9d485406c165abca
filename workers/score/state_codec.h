/* state_codec.h -- an account's state (state.h) as the bytes stored in
 * score_account_state.blob, and back.
 *
 * The state is a JSON tree that a batch loads and stores for every account
 * it touches, and over the lateness horizon it holds thousands of values.
 * As JSON text it cost more than the scoring: jansson parses and prints
 * text at 25-60 MB/s, and jsonb parses it once more. The stored form is a
 * compact binary encoding of the same tree instead, with nothing to lex:
 *
 *   blob   := "RVS" 0x01 value
 *   value  := 0 null | 1 true | 2 false
 *           | 3 int (zigzag varint)
 *           | 4 real (8 bytes, IEEE 754, little-endian)
 *           | 5 string (varint length, UTF-8 bytes)
 *           | 6 array (varint count, values)
 *           | 7 object (varint count, (varint key length, key bytes, value)...,
 *                       keys in byte order)
 *           | 8 integer array (varint count >= 1, zigzag varints)
 *
 * Types survive the round trip exactly (an integer stays an integer, a real
 * keeps its bits), and keys are written sorted, so equal states give equal
 * bytes. The decoder bounds every count and length by the bytes left, the
 * nesting by REVOS_SCORE_CODEC_MAX_DEPTH, checks UTF-8 and refuses a key
 * holding a NUL byte.
 *
 * `revosctl state ACCOUNT` prints a stored state as JSON.
 *
 * Pure, thread-safe. */
#ifndef REVOS_SCORE_STATE_CODEC_H
#define REVOS_SCORE_STATE_CODEC_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"

#define REVOS_SCORE_CODEC_MAX_DEPTH 32

/* A growing byte buffer: data (malloc'd, free it) holds len bytes. */
typedef struct revos_score_bytes {
    unsigned char *data;
    size_t len, cap;
} revos_score_bytes;

/* Appends the encoding of state (any JSON value) to out, so a batch can put
 * every state it stores one after the other. Returns -1, out->len left as
 * it was, when out of memory or the tree is deeper than the limit. */
int revos_score_state_encode(const json_t *state, revos_score_bytes *out);

/* Decodes a stored blob into a state object (new reference). Errors:
 * REVOS_ERR_FATAL when the bytes are not an encoded object (the stored
 * state is corrupt), or out of memory. */
json_t *revos_score_state_decode(const unsigned char *bytes, size_t len, revos_err *err);

#endif
