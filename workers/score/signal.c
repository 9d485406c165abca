/* signal.c -- validation of Signal records before they reach the score
 * state. See signal.h. */
#include "score/signal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "score/calendar.h"

/* The eight signal families of DESIGN.md. */
static const char *const families[] = {"engagement", "risk", "health", "expansion",
                                       "procurement", "stakeholder", "usage", "institutional"};

/* 9999-12-31T23:59:59.999Z: beyond it a day cannot be formatted. */
#define MAX_EVENT_MS INT64_C(253402300799999)
#define MAX_QUANTITY 1e12
#define MAX_AMOUNT 1e15

static int known_family(const char *family)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strcmp(family, families[i]) == 0)
            return 1;
    return 0;
}

static revos_score_signal_kind kind_of(const char *family, const char *type)
{
    static const struct {
        const char *family, *type;
        revos_score_signal_kind kind;
    } kinds[] = {
        {"institutional", "account_profile", REVOS_SIG_ACCOUNT_PROFILE},
        {"procurement", "renewal_opportunity", REVOS_SIG_RENEWAL_OPPORTUNITY},
        {"stakeholder", "contact_role", REVOS_SIG_CONTACT_ROLE},
        {"stakeholder", "contact", REVOS_SIG_CONTACT},
        {"usage", "product_usage", REVOS_SIG_PRODUCT_USAGE},
        {"health", "ticket_opened", REVOS_SIG_TICKET_OPENED},
        {"engagement", "nps_response", REVOS_SIG_NPS_RESPONSE},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(family, kinds[i].family) == 0 && strcmp(type, kinds[i].type) == 0)
            return kinds[i].kind;
    return REVOS_SIG_OTHER;
}

static const char *id_field(const json_t *record, const char *name)
{
    const char *s = json_string_value(json_object_get(record, name));
    if (s == NULL || s[0] == '\0' || strlen(s) > REVOS_SCORE_ID_MAX)
        return NULL;
    return s;
}

int revos_score_parse_number(const char *text, double *out)
{
    if (text == NULL || text[0] == '\0')
        return -1;
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int revos_score_parse_day(const char *text, int64_t *day)
{
    if (revos_day_parse(text, day) == 0)
        return 0;
    /* epoch milliseconds, as some CRMs export dates */
    if (text == NULL || text[0] == '\0' || strlen(text) > 15)
        return -1;
    for (const char *p = text; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return -1;
    int64_t ms = strtoll(text, NULL, 10);
    if (ms > MAX_EVENT_MS)
        return -1;
    *day = revos_day_of_ms(ms);
    return 0;
}

const char *revos_score_signal_attr(const revos_score_signal *sig, const char *name)
{
    const char *s = json_string_value(json_object_get(sig->attributes, name));
    return s != NULL && s[0] != '\0' ? s : NULL;
}

int revos_score_signal_flag(const revos_score_signal *sig, const char *name)
{
    const char *s = revos_score_signal_attr(sig, name);
    return s != NULL && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
                         strcasecmp(s, "yes") == 0);
}

/* Checks the facts one scored type relies on. */
static revos_status check_type(const revos_score_signal *sig, revos_err *err)
{
    double num;
    const char *s;
    int64_t day;
    switch (sig->kind) {
    case REVOS_SIG_ACCOUNT_PROFILE:
        s = revos_score_signal_attr(sig, "arr");
        if (s != NULL && (revos_score_parse_number(s, &num) != 0 || num < 0 || num > MAX_AMOUNT))
            return revos_reject(err, "validation", "account_profile: arr \"%.40s\" is not an amount in 0-%g", s, MAX_AMOUNT);
        break;
    case REVOS_SIG_RENEWAL_OPPORTUNITY:
        if (sig->has_value && (sig->value < 0 || sig->value > MAX_AMOUNT))
            return revos_reject(err, "validation", "renewal_opportunity: amount %g is out of range 0-%g", sig->value, MAX_AMOUNT);
        s = revos_score_signal_attr(sig, "close_date");
        if (s != NULL && revos_score_parse_day(s, &day) != 0)
            return revos_reject(err, "validation", "renewal_opportunity: close_date \"%.40s\" is not YYYY-MM-DD", s);
        break;
    case REVOS_SIG_CONTACT_ROLE:
        /* A CDC update names only the role record; its contact is known
         * from the role's creation (state "role_contacts"). */
        if (revos_score_signal_attr(sig, "contact_id") == NULL &&
            revos_score_signal_attr(sig, "contact_role_id") == NULL)
            return revos_reject(err, "validation", "contact_role: missing contact_id and contact_role_id");
        s = revos_score_signal_attr(sig, "role_class");
        if (s != NULL && strcasecmp(s, "champion") != 0 && strcasecmp(s, "economic_buyer") != 0 &&
            strcasecmp(s, "other") != 0)
            return revos_reject(err, "validation", "contact_role: role_class \"%.40s\" is not champion, economic_buyer or other", s);
        s = revos_score_signal_attr(sig, "action");
        if (s != NULL && strcasecmp(s, "create") != 0 && strcasecmp(s, "update") != 0 &&
            strcasecmp(s, "delete") != 0)
            return revos_reject(err, "validation", "contact_role: action \"%.40s\" is not create, update or delete", s);
        break;
    case REVOS_SIG_CONTACT:
        if (revos_score_signal_attr(sig, "contact_id") == NULL)
            return revos_reject(err, "validation", "contact: missing contact_id");
        break;
    case REVOS_SIG_PRODUCT_USAGE:
        if (sig->has_value && (sig->value < 0 || sig->value > MAX_QUANTITY))
            return revos_reject(err, "validation", "product_usage: quantity %g is out of range 0-%g", sig->value, MAX_QUANTITY);
        break;
    case REVOS_SIG_NPS_RESPONSE:
        if (!sig->has_value)
            return revos_reject(err, "validation", "nps_response: missing score (value)");
        if (sig->value < 0 || sig->value > 10)
            return revos_reject(err, "validation", "nps_response: score %g is out of range 0-10", sig->value);
        break;
    case REVOS_SIG_TICKET_OPENED:
    case REVOS_SIG_OTHER:
        break;
    }
    return REVOS_OK;
}

revos_status revos_score_signal_parse(const json_t *record, revos_score_signal *out,
                                      revos_err *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(record))
        return revos_reject(err, "validation", "signal is not a record");
    out->signal_id = id_field(record, "signal_id");
    if (out->signal_id == NULL)
        return revos_reject(err, "validation", "signal: missing or oversized signal_id");
    out->account_id = id_field(record, "account_id");
    if (out->account_id == NULL)
        return revos_reject(err, "validation", "signal %.80s: missing or oversized account_id", out->signal_id);
    out->family = json_string_value(json_object_get(record, "family"));
    if (out->family == NULL || !known_family(out->family))
        return revos_reject(err, "validation", "signal %.80s: unknown family \"%.40s\"", out->signal_id,
                            out->family ? out->family : "");
    out->type = json_string_value(json_object_get(record, "type"));
    if (out->type == NULL)
        return revos_reject(err, "validation", "signal %.80s: missing type", out->signal_id);
    json_t *at = json_object_get(record, "occurred_at");
    if (!json_is_integer(at) || json_integer_value(at) < 0 || json_integer_value(at) > MAX_EVENT_MS)
        return revos_reject(err, "validation", "signal %.80s: occurred_at missing or out of range", out->signal_id);
    out->occurred_ms = (int64_t)json_integer_value(at);
    out->day = revos_day_of_ms(out->occurred_ms);
    json_t *value = json_object_get(record, "value");
    if (json_is_number(value)) {
        out->has_value = 1;
        out->value = json_number_value(value);
        if (!isfinite(out->value))
            return revos_reject(err, "validation", "signal %.80s: value is not finite", out->signal_id);
    } else if (value != NULL && !json_is_null(value)) {
        return revos_reject(err, "validation", "signal %.80s: value is not a number", out->signal_id);
    }
    out->attributes = json_object_get(record, "attributes");
    if (out->attributes != NULL && !json_is_object(out->attributes))
        return revos_reject(err, "validation", "signal %.80s: attributes is not a map", out->signal_id);
    out->kind = kind_of(out->family, out->type);
    revos_status st = check_type(out, err);
    if (st != REVOS_OK) {
        char context[REVOS_SCORE_ID_MAX + 8];
        snprintf(context, sizeof context, "signal %s", out->signal_id);
        revos_wrap(err, st, context);
    }
    return st;
}
