/* fuzz_score_state.c -- libFuzzer target: the stored form of an account's
 * score state (workers/score/state_codec.h). Any bytes decode to an error
 * or an object, and an object encodes again to the same bytes. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "score/state_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    revos_err err = {{0}, {0}};
    json_t *state = revos_score_state_decode(data, size, &err);
    if (state == NULL) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    revos_score_bytes bytes = {0};
    if (revos_score_state_encode(state, &bytes) != 0)
        abort();
    /* sorted keys: the same bytes unless the input's keys were unsorted or repeated */
    json_t *again = revos_score_state_decode(bytes.data, bytes.len, &err);
    if (again == NULL || !json_equal(again, state))
        abort();
    json_decref(again);
    free(bytes.data);
    json_decref(state);
    return 0;
}
