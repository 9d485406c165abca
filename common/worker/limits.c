/* limits.c -- start-up checks of the worker loop's settings (limits.h). */
#include "worker/limits.h"

#include <stdio.h>
#include <string.h>

#include "worker/batch.h"

const char *const revos_worker_flags[] = {
    /* every worker */
    "REVOS_KAFKA_BROKERS", "REVOS_PG_DSN", "REVOS_SCHEMA_REGISTRY_URL", "REVOS_TOPIC_PREFIX",
    "REVOS_HTTP_PORT", "REVOS_HTTP_BIND", "REVOS_CONFIG_DIR", "REVOS_LOG_LEVEL",
    "REVOS_BATCH_MAX", "REVOS_BATCH_WAIT_MS", "REVOS_DLQ_MAX_PAYLOAD", "REVOS_INSTANCE_ID",
    /* revos-ingest */
    "REVOS_MAX_FUTURE_SKEW",
    /* revos-normalize */
    "REVOS_NORMALIZE_SWEEP_LIMIT",
    /* revos-score */
    "REVOS_SCORE_CACHE_MB",
    /* revos-route */
    "REVOS_PAGE_WEBHOOK_URL", "REVOS_PAGE_WEBHOOK_SECRET",
    NULL,
};

/* Kafka topic names are [a-zA-Z0-9._-]; so must the prefix be. */
static int valid_prefix(const char *prefix)
{
    for (const char *c = prefix; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return 0;
    return 1;
}

revos_status revos_worker_limits_load(const revos_settings *s, int default_http_port,
                                      revos_worker_limits *out, revos_err *err)
{
    memset(out, 0, sizeof *out);
    revos_status st = revos_settings_check_flags(s, revos_worker_flags, err);
    if (st != REVOS_OK)
        return st;
    long value;
    if ((st = revos_settings_get_bounded(s, "REVOS_BATCH_MAX", 500, 1, REVOS_BATCH_MAX_LIMIT,
                                         &value, err)) != REVOS_OK)
        return st;
    out->batch_max = (int)value;
    if ((st = revos_settings_get_bounded(s, "REVOS_BATCH_WAIT_MS", 100, 0, 60000, &value, err)) !=
        REVOS_OK)
        return st;
    out->batch_wait_ms = (int)value;
    if ((st = revos_settings_get_bounded(s, "REVOS_DLQ_MAX_PAYLOAD", REVOS_DLQ_DEFAULT_PAYLOAD, 1,
                                         REVOS_DLQ_PAYLOAD_LIMIT, &value, err)) != REVOS_OK)
        return st;
    out->dlq_max_payload = (size_t)value;
    if ((st = revos_settings_get_bounded(s, "REVOS_HTTP_PORT", default_http_port, -1, 65535,
                                         &value, err)) != REVOS_OK)
        return st;
    out->http_port = (int)value;
    const char *prefix = revos_settings_get(s, "REVOS_TOPIC_PREFIX", "revos.");
    if (strlen(prefix) > REVOS_TOPIC_PREFIX_MAX)
        return revos_fail(err, REVOS_ERR_FATAL, "REVOS_TOPIC_PREFIX: %zu characters, at most %d",
                          strlen(prefix), REVOS_TOPIC_PREFIX_MAX);
    if (!valid_prefix(prefix))
        return revos_fail(err, REVOS_ERR_FATAL,
                          "REVOS_TOPIC_PREFIX: '%s' has a character Kafka topic names cannot "
                          "hold (only a-z A-Z 0-9 . _ -)", prefix);
    snprintf(out->prefix, sizeof out->prefix, "%s", prefix);
    return REVOS_OK;
}
