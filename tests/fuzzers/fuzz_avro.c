/* fuzz_avro.c -- libFuzzer target: revos_avro_decode, the decoder every
 * worker runs on its input topic, in both framings.
 *
 * Byte 0 picks the expected record type (mod the type count). Byte 1 picks
 * the mode: even, the rest of the input is the framed record as read from
 * Kafka (Confluent 0x00 + schema id, single-object 0xC3 0x01 +
 * fingerprint, or anything else); odd, the rest is a record body, behind
 * the single-object header of the expected type, so the fuzzer spends its
 * time in the body decoder both framings share. A decoded record is
 * encoded again, which must succeed. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avro_codec.h"

static revos_avro *codec;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    revos_err err = {{0}, {0}};
    if (revos_avro_open(&codec, NULL, &err) != REVOS_OK) {
        fprintf(stderr, "fuzz_avro: %s\n", err.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > REVOS_AVRO_MAX_RECORD)
        return 0;
    revos_record_type type = (revos_record_type)(data[0] % REVOS_REC__COUNT);
    const uint8_t *framed = data + 2;
    size_t len = size - 2;
    uint8_t *owned = NULL;
    if (data[1] & 1) {
        owned = malloc(len + 10);
        if (owned == NULL)
            return 0;
        uint64_t fp = revos_avro_fingerprint(codec, type);
        owned[0] = 0xC3;
        owned[1] = 0x01;
        for (int i = 0; i < 8; i++)
            owned[2 + i] = (uint8_t)(fp >> (8 * i));
        memcpy(owned + 10, framed, len);
        framed = owned;
        len += 10;
    }
    json_t *record = NULL;
    revos_err err = {{0}, {0}};
    if (revos_avro_decode(codec, type, framed, len, &record, &err) == REVOS_OK) {
        uint8_t *again = NULL;
        size_t again_len = 0;
        revos_err eerr = {{0}, {0}};
        if (revos_avro_encode(codec, type, "fuzz", record, &again, &again_len, &eerr) != REVOS_OK) {
            fprintf(stderr, "fuzz_avro: a decoded %s does not encode: %s\n",
                    revos_record_type_name(type), eerr.msg);
            abort();
        }
        free(again);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    json_decref(record);
    free(owned);
    return 0;
}
