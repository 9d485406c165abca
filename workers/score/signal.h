/* signal.h -- reading one Signal record (schemas/Signal.avsc) for scoring.
 *
 * The decoder upstream checked the record against its schema; this module
 * checks what the schema cannot: non-empty ids, a known family, an event
 * time in range, and the values each scored type relies on (an NPS score in
 * 0-10, a usage quantity >= 0, a parseable close date, ...). A record that
 * fails is rejected before it touches any state. Pure; any thread. */
#ifndef REVOS_SCORE_SIGNAL_H
#define REVOS_SCORE_SIGNAL_H

#include <jansson.h>
#include <stdint.h>

#include "core/status.h"

/* Longest signal or account id accepted. */
#define REVOS_SCORE_ID_MAX 256

typedef enum revos_score_signal_kind {
    REVOS_SIG_OTHER = 0,          /* known family, type not scored: only moves the day */
    REVOS_SIG_ACCOUNT_PROFILE,    /* institutional/account_profile */
    REVOS_SIG_RENEWAL_OPPORTUNITY,/* procurement/renewal_opportunity */
    REVOS_SIG_CONTACT_ROLE,       /* stakeholder/contact_role */
    REVOS_SIG_CONTACT,            /* stakeholder/contact */
    REVOS_SIG_PRODUCT_USAGE,      /* usage/product_usage */
    REVOS_SIG_TICKET_OPENED,      /* health/ticket_opened */
    REVOS_SIG_NPS_RESPONSE        /* engagement/nps_response */
} revos_score_signal_kind;

/* A view of a Signal record; strings are borrowed from the record. */
typedef struct revos_score_signal {
    revos_score_signal_kind kind;
    const char *signal_id;
    const char *account_id;
    const char *family;
    const char *type;
    int64_t occurred_ms;
    int64_t day;               /* UTC day of occurred_at */
    int has_value;
    double value;
    const json_t *attributes;  /* string map, or NULL (then no attributes) */
} revos_score_signal;

/* Validates record and fills *out. Errors: REVOS_ERR_INPUT with class
 * "validation" and a message naming the field. */
revos_status revos_score_signal_parse(const json_t *record, revos_score_signal *out,
                                      revos_err *err);

/* The attribute's value, or NULL when absent or empty. */
const char *revos_score_signal_attr(const revos_score_signal *sig, const char *name);

/* Boolean attribute: "true"/"1"/"yes" (any case) is 1, anything else 0. */
int revos_score_signal_flag(const revos_score_signal *sig, const char *name);

/* Parses a date attribute: "YYYY-MM-DD" (a time after it is ignored) or
 * epoch milliseconds; returns 0 and the UTC day, or -1. */
int revos_score_parse_day(const char *text, int64_t *day);

/* Parses a decimal number attribute; returns 0 and *out on success, -1 when
 * absent or not a finite number. */
int revos_score_parse_number(const char *text, double *out);

#endif
