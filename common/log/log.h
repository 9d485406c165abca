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

/* The ids a line about one record carries, so one account's journey can be
 * followed through the five workers with grep:
 *   event_id    the record this worker handled (a SourceEvent id, a signal
 *               id, a score id, an action or outcome id);
 *   account_id  the account it belongs to, once known;
 *   trace       the source event it descends from (the SourceEvent id that
 *               revos-ingest gave the raw record).
 * NULL or empty fields are left out. */
typedef struct revos_log_ids {
    const char *event_id;
    const char *account_id;
    const char *trace;
} revos_log_ids;

/* As revos_log, with the record's ids as fields of the line. */
void revos_log_record(revos_log_level level, const revos_log_ids *ids, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether a line at level would be written (skip building one that is not). */
int revos_log_enabled(revos_log_level level);

/* The source event id a signal id descends from: normalize names a signal
 * "sig:<event_id>" or "sig:<event_id>:<suffix>" for a second signal of the
 * event (suffix one of its known names); copied into out. An id of another
 * form is copied as it is. */
void revos_log_trace_of_signal(const char *signal_id, char *out, size_t outlen);

#define revos_log_debug(...) revos_log(REVOS_LOG_DEBUG, __VA_ARGS__)
#define revos_log_info(...)  revos_log(REVOS_LOG_INFO, __VA_ARGS__)
#define revos_log_warn(...)  revos_log(REVOS_LOG_WARN, __VA_ARGS__)
#define revos_log_error(...) revos_log(REVOS_LOG_ERROR, __VA_ARGS__)

/* Copies a libpq conninfo or URL into out with any password replaced by ***. */
void revos_log_redact_dsn(const char *dsn, char *out, size_t outlen);

/* Parses "debug", "info", "warn", "error"; returns fallback otherwise. */
revos_log_level revos_log_level_parse(const char *text, revos_log_level fallback);

#endif
