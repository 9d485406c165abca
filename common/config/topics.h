/* topics.h -- the project's topics (after the prefix), the record type each
 * carries, and the retention and timestamp policy each is created with: one
 * catalogue for revosctl, the mock broker and the tests.
 *
 * Every topic belongs to a class (raw, events, signals, scores, actions,
 * outcomes, thresholds, dlq) and a class has one policy: the topic configs
 * `revosctl topics create` sets on a new topic and brings an existing one
 * back to. The policy exists because of two broker defaults that are wrong
 * for history:
 *
 *   - Kafka rejects a record whose CreateTime is more than
 *     message.timestamp.after.max.ms (1 h) in the future;
 *   - time-based retention deletes a segment once its newest record
 *     timestamp is older than retention.ms (7 days), so a backfill stamped
 *     with the sources' own year-old times is deleted minutes after it is
 *     written.
 *
 * So every class uses message.timestamp.type=LogAppendTime: the broker
 * stamps each record with the time it was appended, never validates the
 * producer's timestamp, and retention counts from arrival. No revos
 * consumer reads Kafka timestamps: event time travels in the payload
 * (occurred_at, as_of). Retention is then chosen per class for its job
 * (see the table in topics.c, README and docs/architecture.md); size-based
 * retention is off everywhere (retention.bytes=-1) because a size cap
 * deletes history silently. */
#ifndef REVOS_TOPICS_H
#define REVOS_TOPICS_H

#include <stddef.h>

/* NULL-terminated: the raw source topics, then the Avro topics. */
extern const char *const revos_topic_suffixes[];

/* The revos_record_type an Avro topic carries, or -1 for a raw topic or an
 * unknown name. */
int revos_topic_record_type(const char *suffix);

/* One topic-level config, as Kafka names it ("retention.ms"). */
typedef struct revos_topic_config {
    const char *name;
    const char *value;
} revos_topic_config;

/* A class's policy: its name ("raw"), its configs, and why, in one line. */
typedef struct revos_topic_policy {
    const char *cls;
    const revos_topic_config *configs;
    size_t n_configs;
    const char *why;
} revos_topic_policy;

/* The policy of a topic by suffix ("raw.segment", "scores"); any "raw.*"
 * suffix is raw, so a source added later gets the raw policy. NULL for a
 * name outside the catalogue's classes. Static data, any thread. */
const revos_topic_policy *revos_topic_policy_for(const char *suffix);

/* The value the policy sets for config name, or NULL when it sets none. */
const char *revos_topic_policy_value(const revos_topic_policy *policy, const char *name);

#endif
