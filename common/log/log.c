#include "log/log.h"

#include "core/status.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

int revos_log_enabled(revos_log_level level)
{
    return level >= log_settings.min_level;
}

static void put_id(json_t *line, const char *key, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return;
    char clean[512];
    snprintf(clean, sizeof clean, "%s", value);
    revos_utf8_clean(clean);
    json_object_set_new(line, key, json_string(clean));
}

static void vlog(revos_log_level level, const revos_log_ids *ids, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vlog(revos_log_level level, const revos_log_ids *ids, const char *fmt, va_list ap)
{
    if (level < log_settings.min_level)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    revos_utf8_clean(msg); /* stays valid JSON, even when cut or quoting bytes */

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
    if (line != NULL && ids != NULL) {
        put_id(line, "event_id", ids->event_id);
        put_id(line, "account_id", ids->account_id);
        put_id(line, "trace", ids->trace);
    }
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    else
        fprintf(stderr, "{\"level\":\"error\",\"msg\":\"log line could not be encoded\"}\n");
    free(text);
    json_decref(line);
}

void revos_log(revos_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void revos_log_record(revos_log_level level, const revos_log_ids *ids, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, ids, fmt, ap);
    va_end(ap);
}

void revos_log_trace_of_signal(const char *signal_id, char *out, size_t outlen)
{
    static const char *const suffixes[] = {":competitor", ":governance"};
    const char *id = signal_id ? signal_id : "";
    if (strncmp(id, "sig:", 4) != 0) {
        snprintf(out, outlen, "%s", id);
        return;
    }
    id += 4;
    size_t len = strlen(id);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t n = strlen(suffixes[i]);
        if (len > n && strcmp(id + len - n, suffixes[i]) == 0) {
            len -= n;
            break;
        }
    }
    snprintf(out, outlen, "%.*s", (int)len, id);
}

static size_t append(char *out, size_t o, size_t outlen, const char *text, size_t n)
{
    while (n-- > 0 && *text != '\0' && o + 1 < outlen)
        out[o++] = *text++;
    return o;
}

/* URL form: scheme://user:password@host/db?...&password=... */
static void redact_url(const char *dsn, const char *scheme, char *out, size_t outlen)
{
    size_t o = 0;
    const char *userinfo = scheme + 3;
    const char *end = userinfo + strcspn(userinfo, "/?#");
    const char *at = memchr(userinfo, '@', (size_t)(end - userinfo));
    const char *colon = at ? memchr(userinfo, ':', (size_t)(at - userinfo)) : NULL;
    const char *p = dsn;
    if (colon != NULL) {
        o = append(out, o, outlen, dsn, (size_t)(colon - dsn));
        o = append(out, o, outlen, ":***", 4);
        p = at;
    }
    const char *query = strchr(p, '?');
    if (query == NULL) {
        o = append(out, o, outlen, p, strlen(p));
        out[o] = '\0';
        return;
    }
    o = append(out, o, outlen, p, (size_t)(query - p) + 1);
    for (const char *q = query + 1; *q != '\0';) {
        size_t len = strcspn(q, "&");
        if (strncmp(q, "password=", 9) == 0)
            o = append(out, o, outlen, "password=***", 12);
        else
            o = append(out, o, outlen, q, len);
        q += len;
        if (*q == '&')
            o = append(out, o, outlen, q++, 1);
    }
    out[o] = '\0';
}

/* Keyword form: key = value pairs, a value quoted with '...' (backslash
 * escapes) or running to the next space; any password value is masked. */
static void redact_keywords(const char *dsn, char *out, size_t outlen)
{
    size_t o = 0;
    const char *p = dsn;
    while (*p != '\0' && o + 1 < outlen) {
        if (*p == ' ' || *p == '\t') {
            out[o++] = *p++;
            continue;
        }
        const char *key = p;
        while (*p != '\0' && *p != '=' && *p != ' ' && *p != '\t')
            p++;
        size_t key_len = (size_t)(p - key);
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=') { /* not a pair: copy the word as it is */
            o = append(out, o, outlen, key, (size_t)(p - key));
            continue;
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *value = p;
        if (*p == '\'') {
            for (p++; *p != '\0' && *p != '\''; p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
            if (*p == '\'')
                p++;
        } else {
            while (*p != '\0' && *p != ' ' && *p != '\t')
                p++;
        }
        o = append(out, o, outlen, key, key_len);
        if (key_len == 8 && strncmp(key, "password", 8) == 0)
            o = append(out, o, outlen, "=***", 4);
        else {
            o = append(out, o, outlen, "=", 1);
            o = append(out, o, outlen, value, (size_t)(p - value));
        }
    }
    out[o] = '\0';
}

void revos_log_redact_dsn(const char *dsn, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (dsn == NULL)
        return;
    const char *scheme = strstr(dsn, "://");
    if (scheme != NULL)
        redact_url(dsn, scheme, out, outlen);
    else
        redact_keywords(dsn, out, outlen);
}
