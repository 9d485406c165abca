/* fuzz_ingest.c -- libFuzzer target: one raw record of FUZZ_SOURCE (a
 * compile-time definition, one binary per source) through revos-ingest's
 * parser and the event-time bounds, as the worker calls them.
 *
 * The input is the record's value; the key is empty. Any outcome but a
 * crash, a sanitizer report or a leak is fine: REVOS_OK with events, or an
 * error value with a class and a message (the worker dead-letters it). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

#ifndef FUZZ_SOURCE
#error "FUZZ_SOURCE names the source"
#endif
#ifndef REVOS_CONFIG_DIR
#define REVOS_CONFIG_DIR "config"
#endif

static json_t *mapping;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_error_t jerr;
    mapping = json_load_file(REVOS_CONFIG_DIR "/mapping.json", 0, &jerr);
    if (mapping == NULL) {
        fprintf(stderr, "fuzz_ingest: %s/mapping.json: %s\n", REVOS_CONFIG_DIR, jerr.text);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    revos_raw_meta meta = {"revos.raw." FUZZ_SOURCE, FUZZ_SOURCE, 0, 0, NULL, 0};
    if (revos_ingest_is_tombstone(&meta, data, size))
        return 0;
    json_t *events = json_array();
    revos_err err = {{0}, {0}};
    int ignored = 0;
    revos_status st = revos_ingest_parse(mapping, &meta, (const char *)data, size, events,
                                         &ignored, &err);
    if (st == REVOS_OK) {
        revos_ingest_check_times(events, INT64_C(1764547200000), INT64_C(3600000), &err);
    } else if (err.msg[0] == '\0' || (st == REVOS_ERR_INPUT && err.cls[0] == '\0')) {
        fprintf(stderr, "fuzz_ingest: an error without a message or class\n");
        abort(); /* every refusal must say why, for its dead letter */
    }
    json_decref(events);
    return 0;
}
