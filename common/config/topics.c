/* topics.c -- the topic catalogue and the per-class policy table.
 *
 *   class       retention          why
 *   raw         400 days           the replay source of every backfill and
 *                                  backtest: kept for the lateness horizon
 *                                  after arrival (older history can no
 *                                  longer change a score: too_late)
 *   events      400 days           normalize can be replayed without
 *                                  re-ingesting, for the same horizon
 *   signals     400 days           what a rules backtest replays into
 *                                  revos-score
 *   scores      30 days            derived; the settled timeline lives in
 *                                  PostgreSQL, route reads it in seconds
 *   actions     90 days            audit trail for downstream consumers;
 *                                  plays and pages live in PostgreSQL
 *   outcomes    forever (-1)       people's decisions and CRM results,
 *                                  underivable, tiny; replaying them
 *                                  reproduces threshold tuning
 *   thresholds  forever (-1)       each change applies from its event
 *                                  time, so a replay needs all of them
 *   dlq         90 days            a quarter to notice, repair, replay
 *
 * All classes: cleanup.policy=delete (every record is history, none is
 * superseded by a later one with its key), message.timestamp.type=
 * LogAppendTime, retention.bytes=-1. Raw topics accept records up to the
 * ingest bound (max_raw_bytes, 1 MiB) plus Kafka's batch overhead; the
 * DLQ accepts twice that, since a dead letter carries the original bytes
 * plus its reason. */
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

/* ==== Policy table ==== */

#define COMMON_CONFIGS                                                                             \
    {"cleanup.policy", "delete"}, {"message.timestamp.type", "LogAppendTime"},                     \
        {"retention.bytes", "-1"}

static const revos_topic_config raw_configs[] = {
    COMMON_CONFIGS, {"retention.ms", "34560000000"}, /* 400 days */
    /* 1 MiB + 1 KiB: a record at max_raw_bytes with its key and batch overhead */
    {"max.message.bytes", "1049600"}};
static const revos_topic_config history_configs[] = {
    COMMON_CONFIGS, {"retention.ms", "34560000000"}}; /* 400 days */
static const revos_topic_config scores_configs[] = {
    COMMON_CONFIGS, {"retention.ms", "2592000000"}}; /* 30 days */
static const revos_topic_config actions_configs[] = {
    COMMON_CONFIGS, {"retention.ms", "7776000000"}}; /* 90 days */
static const revos_topic_config forever_configs[] = {
    COMMON_CONFIGS, {"retention.ms", "-1"}};
static const revos_topic_config dlq_configs[] = {
    COMMON_CONFIGS, {"retention.ms", "7776000000"}, /* 90 days */
    /* 2 MiB + 1 KiB */
    {"max.message.bytes", "2098176"}};

#define POLICY(cls, configs, why) {cls, configs, sizeof configs / sizeof configs[0], why}

static const revos_topic_policy policies[] = {
    POLICY("raw", raw_configs, "backfilled source history, kept 400 days after arrival"),
    POLICY("events", history_configs, "parsed history, replayable for the lateness horizon"),
    POLICY("signals", history_configs, "the input a rules backtest replays"),
    POLICY("scores", scores_configs, "derived; the timeline lives in PostgreSQL"),
    POLICY("actions", actions_configs, "decision audit trail for downstream consumers"),
    POLICY("outcomes", forever_configs, "people's decisions and CRM results, underivable"),
    POLICY("thresholds", forever_configs, "every change is needed to replay tuning"),
    POLICY("dlq", dlq_configs, "dead letters wait for a repair"),
};

const revos_topic_policy *revos_topic_policy_for(const char *suffix)
{
    if (suffix == NULL)
        return NULL;
    if (strncmp(suffix, "raw.", 4) == 0 && suffix[4] != '\0')
        return &policies[0];
    for (size_t i = 1; i < sizeof policies / sizeof policies[0]; i++)
        if (strcmp(policies[i].cls, suffix) == 0)
            return &policies[i];
    return NULL;
}

const char *revos_topic_policy_value(const revos_topic_policy *policy, const char *name)
{
    for (size_t i = 0; policy != NULL && i < policy->n_configs; i++)
        if (strcmp(policy->configs[i].name, name) == 0)
            return policy->configs[i].value;
    return NULL;
}
