#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p (1..4), 0 when p does not
 * start one; *cut is set when it is a valid prefix ended by the NUL. */
static size_t utf8_sequence(const unsigned char *p, int *cut)
{
    *cut = 0;
    if (p[0] < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        if (p[0] == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (p[0] == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        if (p[0] == 0xF0)
            lo = 0x90;
        else if (p[0] == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        unsigned char c = p[i];
        if (c == '\0') {
            *cut = 1;
            return 0;
        }
        if (i == 1 ? (c < lo || c > hi) : (c & 0xC0) != 0x80)
            return 0;
    }
    return len;
}

void revos_utf8_clean(char *text)
{
    unsigned char *p = (unsigned char *)text;
    while (*p != '\0') {
        int cut;
        size_t len = utf8_sequence(p, &cut);
        if (len > 0) {
            p += len;
        } else if (cut) {
            *p = '\0';
            return;
        } else {
            *p++ = '?';
        }
    }
}

revos_status revos_fail(revos_err *err, revos_status status, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        revos_utf8_clean(err->msg);
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
        revos_utf8_clean(err->msg);
        revos_utf8_clean(err->cls);
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
        revos_utf8_clean(err->msg);
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
