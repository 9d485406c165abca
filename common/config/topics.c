#include "config/topics.h"

#include <stddef.h>
#include <string.h>

#include "avro/avro_codec.h"

const char *const revos_topic_suffixes[] = {
    "raw.salesforce", "raw.hubspot", "raw.debezium", "raw.zendesk", "raw.intercom", "raw.segment", "raw.nps",
    "raw.conversation", "raw.market", "raw.handoff", "events", "signals", "scores", "actions",
    "outcomes", "thresholds", "dlq", NULL};

int revos_topic_record_type(const char *suffix)
{
    static const struct { const char *suffix; revos_record_type type; } map[] = {
        {"events", REVOS_REC_SOURCE_EVENT}, {"signals", REVOS_REC_SIGNAL},
        {"scores", REVOS_REC_SCORE_UPDATE}, {"actions", REVOS_REC_ACTION},
        {"outcomes", REVOS_REC_OUTCOME}, {"thresholds", REVOS_REC_THRESHOLD_CHANGE},
        {"dlq", REVOS_REC_DEAD_LETTER}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].suffix, suffix) == 0)
            return (int)map[i].type;
    return -1;
}
