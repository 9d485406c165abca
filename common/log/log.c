#include "log/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Written once by the main thread before workers start; read-only after. */
static struct {
    char worker[64];
    revos_log_level min_level;
} log_settings = {"revos", REVOS_LOG_INFO};

static const char *level_name(revos_log_level level)
{
    switch (level) {
    case REVOS_LOG_DEBUG: return "debug";
    case REVOS_LOG_INFO: return "info";
    case REVOS_LOG_WARN: return "warn";
    case REVOS_LOG_ERROR: return "error";
    }
    return "info";
}

void revos_log_init(const char *worker, revos_log_level min_level)
{
    snprintf(log_settings.worker, sizeof log_settings.worker, "%s", worker);
    log_settings.min_level = min_level;
}

revos_log_level revos_log_level_parse(const char *text, revos_log_level fallback)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (text == NULL)
        return fallback;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(text, names[i]) == 0)
            return (revos_log_level)i;
    return fallback;
}

void revos_log(revos_log_level level, const char *fmt, ...)
{
    if (level < log_settings.min_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char ts[96];
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             now.tv_nsec / 1000000);

    json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_name(level),
                             "worker", log_settings.worker, "msg", msg);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    else
        fprintf(stderr, "{\"level\":\"error\",\"msg\":\"log line could not be encoded\"}\n");
    free(text);
    json_decref(line);
}

static size_t append(char *out, size_t o, size_t outlen, const char *text, size_t n)
{
    while (n-- > 0 && *text != '\0' && o + 1 < outlen)
        out[o++] = *text++;
    return o;
}

void revos_log_redact_dsn(const char *dsn, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (dsn == NULL)
        return;
    size_t o = 0;
    const char *scheme = strstr(dsn, "://");
    if (scheme != NULL) {
        /* URL form: scheme://user:password@host/... */
        const char *userinfo = scheme + 3;
        const char *at = strchr(userinfo, '@');
        const char *colon = at ? memchr(userinfo, ':', (size_t)(at - userinfo)) : NULL;
        if (colon != NULL) {
            o = append(out, o, outlen, dsn, (size_t)(colon - dsn));
            o = append(out, o, outlen, ":***", 4);
            o = append(out, o, outlen, at, strlen(at));
        } else {
            o = append(out, o, outlen, dsn, strlen(dsn));
        }
        out[o] = '\0';
        return;
    }
    /* keyword form: ... password=secret ... or password='sec ret' */
    const char *p = dsn;
    while (*p != '\0' && o + 1 < outlen) {
        if (strncmp(p, "password=", 9) == 0 && (p == dsn || p[-1] == ' ')) {
            o = append(out, o, outlen, "password=***", 12);
            p += 9;
            if (*p == '\'') {
                for (p++; *p != '\0' && *p != '\''; p++)
                    ;
                if (*p == '\'')
                    p++;
            } else {
                while (*p != '\0' && *p != ' ')
                    p++;
            }
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}
