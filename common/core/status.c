#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

revos_status revos_fail(revos_err *err, revos_status status, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

revos_status revos_reject(revos_err *err, const char *cls, const char *fmt, ...)
{
    if (err != NULL) {
        snprintf(err->cls, sizeof err->cls, "%s", cls);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return REVOS_ERR_INPUT;
}

revos_status revos_wrap(revos_err *err, revos_status status, const char *context)
{
    if (err != NULL) {
        char tail[sizeof err->msg];
        memcpy(tail, err->msg, sizeof tail);
        size_t used = (size_t)snprintf(err->msg, sizeof err->msg, "%s: ", context);
        if (used < sizeof err->msg) {
            size_t room = sizeof err->msg - used - 1;
            size_t len = strnlen(tail, room);
            memcpy(err->msg + used, tail, len);
            err->msg[used + len] = '\0';
        }
    }
    return status;
}

const char *revos_status_name(revos_status status)
{
    switch (status) {
    case REVOS_OK: return "ok";
    case REVOS_ERR_INPUT: return "input";
    case REVOS_ERR_RETRY: return "retriable";
    case REVOS_ERR_FATAL: return "fatal";
    }
    return "unknown";
}
