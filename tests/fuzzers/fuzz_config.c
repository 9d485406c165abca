/* fuzz_config.c -- libFuzzer target: the configuration checks `revosctl
 * config apply` runs before anything is stored, on a whole configuration
 * document ({"scoring": ..., "routing": ..., "mapping": ..., ...}): every
 * worker's check, and the scoring rules loader. A refusal must name what
 * it refused; a configuration every check accepts must load. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ingest/ingest_worker.h"
#include "outcome/outcome_worker.h"
#include "route/decide.h"
#include "score/rules.h"
#include "score/score_worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *config = json_loadb((const char *)data, size, 0, &jerr);
    if (!json_is_object(config)) {
        json_decref(config);
        return 0;
    }
    revos_status (*const checks[])(const json_t *, revos_err *) = {
        revos_ingest_config_check, revos_score_config_check, revos_route_config_check,
        revos_outcome_config_check};
    int accepted = 1;
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        revos_err err = {{0}, {0}};
        if (checks[i](config, &err) != REVOS_OK) {
            accepted = 0;
            if (err.msg[0] == '\0')
                abort();
        }
    }
    revos_score_rules *rules = NULL;
    revos_err err = {{0}, {0}};
    revos_status st = revos_score_rules_load(json_object_get(config, "scoring"), &rules, &err);
    if (st == REVOS_OK)
        revos_score_rules_free(rules);
    else if (err.msg[0] == '\0' || (accepted && json_object_get(config, "scoring") != NULL))
        abort(); /* the score check accepted what the loader refuses */
    json_decref(config);
    return 0;
}
