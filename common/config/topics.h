/* topics.h -- the project's topics (after the prefix) and the record type
 * each carries: one catalogue for revosctl and the mock broker. */
#ifndef REVOS_TOPICS_H
#define REVOS_TOPICS_H

/* NULL-terminated: the raw source topics, then the Avro topics. */
extern const char *const revos_topic_suffixes[];

/* The revos_record_type an Avro topic carries, or -1 for a raw topic or an
 * unknown name. */
int revos_topic_record_type(const char *suffix);

#endif
