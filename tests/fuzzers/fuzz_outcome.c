/* fuzz_outcome.c -- libFuzzer target: revos-outcome's validator on an
 * Outcome record given as JSON (what the Avro decoder hands it, or any
 * other JSON value). A refusal must carry a message. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "outcome/outcome_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *outcome = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    if (outcome == NULL)
        return 0;
    revos_err err = {{0}, {0}};
    if (revos_outcome_validate(outcome, &err) != REVOS_OK && err.msg[0] == '\0')
        abort();
    json_decref(outcome);
    return 0;
}
