/* cmd_lag.c -- revosctl lag WORKER [--group G]   (WORKER: score or revos-score)
 *
 * Consumer lag as Kafka sees it: for each partition of the project's topics
 * on which the worker's consumer group (<prefix><worker>, or --group) has a
 * committed offset, prints
 *
 *     <topic> <partition> committed=<offset> end=<high watermark> lag=<n>
 *
 * The stateful workers keep their true offsets in PostgreSQL and commit them
 * to the group after each relay only for tools like this one, Kafka's
 * kafka-consumer-groups and lag exporters. Reading committed offsets does not
 * join the group (nothing is subscribed), so it never disturbs the workers.
 * Exit status 1 when the group has no committed offset at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/topics.h"
#include "kafka/kafka.h"
#include "revosctl.h"

int cmd_lag(const revos_settings *s, const char *worker)
{
    char group[256];
    const char *given = revos_settings_get(s, "REVOS_GROUP", NULL);
    if (given != NULL)
        snprintf(group, sizeof group, "%s", given);
    else /* the workers' groups are <prefix><binary name>: "score" means revos-score */
        snprintf(group, sizeof group, "%s%s%s", revos_settings_get(s, "REVOS_TOPIC_PREFIX", "revos."),
                 strncmp(worker, "revos-", 6) == 0 ? "" : "revos-", worker);
    revos_err err = {{0}, {0}};
    rd_kafka_t *rk = NULL;
    if (revos_kafka_consumer_new(s, group, NULL, NULL, &rk, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        return 1;
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "revosctl: metadata: %s\n", rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return 1;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(64);
    for (const char *const *suffix = revos_topic_suffixes; *suffix != NULL; suffix++) {
        char topic[320];
        revos_settings_topic(s, *suffix, topic, sizeof topic);
        for (int t = 0; t < md->topic_cnt; t++)
            if (strcmp(md->topics[t].topic, topic) == 0)
                for (int p = 0; p < md->topics[t].partition_cnt; p++)
                    rd_kafka_topic_partition_list_add(list, topic, md->topics[t].partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    int shown = 0, code = 0;
    e = list->cnt > 0 ? rd_kafka_committed(rk, list, 10000) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "revosctl: committed offsets of %s: %s\n", group, rd_kafka_err2str(e));
        code = 1;
    }
    for (int i = 0; code == 0 && i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[i];
        if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR || tp->offset < 0)
            continue;
        int64_t low = 0, high = 0;
        if (rd_kafka_query_watermark_offsets(rk, tp->topic, tp->partition, &low, &high, 10000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
            high = -1;
        printf("%s %d committed=%lld end=%lld lag=%lld\n", tp->topic, (int)tp->partition,
               (long long)tp->offset, (long long)high,
               (long long)(high >= tp->offset ? high - tp->offset : 0));
        shown++;
    }
    if (code == 0 && shown == 0) {
        fprintf(stderr, "revosctl: group %s has no committed offset\n", group);
        code = 1;
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return code;
}
