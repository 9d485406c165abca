/* log.h -- JSON-lines logging to stderr.
 *
 * One JSON object per line: {"ts":..., "level":..., "worker":..., "msg":...}
 * plus optional key/value fields. The worker name is set once at start-up by
 * the main thread; logging itself is thread-safe (one fprintf per line).
 * Never pass secrets: DSNs go through revos_log_redact_dsn first. */
#ifndef REVOS_LOG_H
#define REVOS_LOG_H

#include <stddef.h>

typedef enum revos_log_level {
    REVOS_LOG_DEBUG = 0,
    REVOS_LOG_INFO,
    REVOS_LOG_WARN,
    REVOS_LOG_ERROR
} revos_log_level;

/* Main thread, before any other thread starts. */
void revos_log_init(const char *worker, revos_log_level min_level);

void revos_log(revos_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define revos_log_debug(...) revos_log(REVOS_LOG_DEBUG, __VA_ARGS__)
#define revos_log_info(...)  revos_log(REVOS_LOG_INFO, __VA_ARGS__)
#define revos_log_warn(...)  revos_log(REVOS_LOG_WARN, __VA_ARGS__)
#define revos_log_error(...) revos_log(REVOS_LOG_ERROR, __VA_ARGS__)

/* Copies a libpq conninfo or URL into out with any password replaced by ***. */
void revos_log_redact_dsn(const char *dsn, char *out, size_t outlen);

/* Parses "debug", "info", "warn", "error"; returns fallback otherwise. */
revos_log_level revos_log_level_parse(const char *text, revos_log_level fallback);

#endif
