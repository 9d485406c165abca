/* limits.h -- the worker loop's settings, checked once at start-up.
 *
 * Every bound the loop has is a setting a person can get wrong: a batch size
 * the polled array cannot hold, a topic prefix longer than the names built
 * from it, a dead-letter payload bound that would make dead letters
 * unwritable, a mistyped --flag. Each used to be cut or ignored silently;
 * here each is refused with a message naming the setting, and the worker
 * exits with status 2 before touching Kafka or PostgreSQL. */
#ifndef REVOS_WORKER_LIMITS_H
#define REVOS_WORKER_LIMITS_H

#include <stddef.h>

#include "config/settings.h"
#include "core/status.h"

#define REVOS_BATCH_MAX_LIMIT 4096   /* records one poll batch may hold */
#define REVOS_TOPIC_PREFIX_MAX 63    /* characters of REVOS_TOPIC_PREFIX */
#define REVOS_MAX_PARTITIONS 1024    /* partitions one worker instance may own */

typedef struct revos_worker_limits {
    int batch_max;                   /* REVOS_BATCH_MAX, 1..4096, default 500 */
    int batch_wait_ms;               /* REVOS_BATCH_WAIT_MS, 0..60000, default 100 */
    size_t dlq_max_payload;          /* REVOS_DLQ_MAX_PAYLOAD, 1..REVOS_DLQ_PAYLOAD_LIMIT */
    char prefix[REVOS_TOPIC_PREFIX_MAX + 1]; /* REVOS_TOPIC_PREFIX, default "revos." */
    int http_port;                   /* REVOS_HTTP_PORT, -1 (off)..65535, 0 any free port */
} revos_worker_limits;

/* The settings every worker accepts as --flags (NULL-terminated). */
extern const char *const revos_worker_flags[];

/* Reads and checks the loop's settings and the command line's flags.
 * REVOS_ERR_FATAL with a message naming the setting when one is refused. */
revos_status revos_worker_limits_load(const revos_settings *s, int default_http_port,
                                      revos_worker_limits *out, revos_err *err);

#endif
