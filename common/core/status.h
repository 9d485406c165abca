/* status.h -- error values shared by every module.
 *
 * Every fallible function returns a revos_status and, on failure, writes a
 * one-line message into a caller-supplied revos_err. The class tells the
 * caller what to do: REVOS_ERR_INPUT means this one record is bad (send it to
 * the dead-letter topic and go on), REVOS_ERR_RETRY means the environment
 * failed transiently (roll back and try the batch again), REVOS_ERR_FATAL
 * means the worker cannot continue (log and exit non-zero). Policy stays with
 * the caller; lower layers never log-and-exit.
 *
 * Messages are always valid UTF-8: they end up in JSON (log lines, dead
 * letters), and jansson refuses anything else. A message is often cut (by
 * %.Ns or the 512-byte buffer) through a multi-byte character, or quotes a
 * hostile input's bytes; revos_fail, revos_reject and revos_wrap clean the
 * text they write (revos_utf8_clean), so no such cut can make a record's
 * failure fatal. */
#ifndef REVOS_STATUS_H
#define REVOS_STATUS_H

#include <stddef.h>

typedef enum revos_status {
    REVOS_OK = 0,
    REVOS_ERR_INPUT = 1,
    REVOS_ERR_RETRY = 2,
    REVOS_ERR_FATAL = 3
} revos_status;

typedef struct revos_err {
    char msg[512];
    /* For REVOS_ERR_INPUT: a short class for the dead-letter record
     * (decode, validation, unknown_source, oversized, mapping). */
    char cls[24];
} revos_err;

/* Sets err->msg (printf-style) and returns status, so a failure path reads
 * `return revos_fail(err, REVOS_ERR_INPUT, "bad %s", what);`. err may be NULL. */
revos_status revos_fail(revos_err *err, revos_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rejects one input record: sets err->cls and err->msg, returns
 * REVOS_ERR_INPUT. */
revos_status revos_reject(revos_err *err, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err->msg with "context: ", keeping the status. */
revos_status revos_wrap(revos_err *err, revos_status status, const char *context);

const char *revos_status_name(revos_status status);

/* Makes text well-formed UTF-8 in place: a sequence cut short at the end is
 * dropped, any other byte that does not start or continue a valid sequence
 * (overlong forms, surrogates and code points above U+10FFFF included)
 * becomes '?'. */
void revos_utf8_clean(char *text);

#endif
