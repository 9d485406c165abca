/* field.c -- see field.h. */
#include "ingest/field.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/domain.h"
#include "ingest/timeparse.h"

void revos_ingest_at_sub(const revos_ingest_at *parent, const char *name, char *buf,
                         size_t buflen, revos_ingest_at *child)
{
    snprintf(buf, buflen, "%s%s.", parent->prefix, name);
    child->source = parent->source;
    child->prefix = buf;
    child->err = parent->err;
}

/* ==== Errors ==== */

revos_status revos_ingest_missing(const revos_ingest_at *at, const char *name)
{
    return revos_reject(at->err, "validation", "%s: %s%s: missing", at->source, at->prefix, name);
}

revos_status revos_ingest_expected(const revos_ingest_at *at, const char *name, const char *what)
{
    return revos_reject(at->err, "validation", "%s: %s%s: expected %s", at->source, at->prefix,
                        name, what);
}

revos_status revos_ingest_oom(revos_err *err)
{
    return revos_fail(err, REVOS_ERR_FATAL, "ingest: out of memory");
}

/* ==== Reads ==== */

const json_t *revos_ingest_get(const json_t *obj, const char *key)
{
    if (!json_is_object(obj))
        return NULL;
    const json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static void text_absent(revos_ingest_text *out)
{
    out->s = NULL;
    out->len = 0;
    out->buf[0] = '\0';
}

revos_status revos_ingest_object(const revos_ingest_at *at, const json_t *obj, const char *key,
                                 int required, const json_t **out)
{
    const json_t *v = revos_ingest_get(obj, key);
    *out = NULL;
    if (v == NULL)
        return required ? revos_ingest_missing(at, key) : REVOS_OK;
    if (!json_is_object(v))
        return revos_ingest_expected(at, key, "object");
    *out = v;
    return REVOS_OK;
}

revos_status revos_ingest_array(const revos_ingest_at *at, const json_t *obj, const char *key,
                                int required, const json_t **out)
{
    const json_t *v = revos_ingest_get(obj, key);
    *out = NULL;
    if (v == NULL)
        return required ? revos_ingest_missing(at, key) : REVOS_OK;
    if (!json_is_array(v))
        return revos_ingest_expected(at, key, "array");
    *out = v;
    return REVOS_OK;
}

revos_status revos_ingest_string(const revos_ingest_at *at, const json_t *obj, const char *key,
                                 int required, revos_ingest_text *out)
{
    const json_t *v = revos_ingest_get(obj, key);
    text_absent(out);
    if (v == NULL)
        return required ? revos_ingest_missing(at, key) : REVOS_OK;
    if (!json_is_string(v))
        return revos_ingest_expected(at, key, "string");
    out->s = json_string_value(v);
    out->len = json_string_length(v);
    return REVOS_OK;
}

revos_status revos_ingest_id_value(const revos_ingest_at *at, const char *name, const json_t *value,
                                   int required, revos_ingest_text *out)
{
    text_absent(out);
    if (json_is_null(value))
        value = NULL;
    if (json_is_string(value)) {
        size_t len = json_string_length(value);
        if (len > REVOS_INGEST_ID_MAX)
            return revos_ingest_expected(at, name, "an id of at most 1024 bytes");
        if (len > 0) {
            out->s = json_string_value(value);
            out->len = len;
        }
    } else if (json_is_integer(value)) {
        snprintf(out->buf, sizeof out->buf, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        out->s = out->buf;
        out->len = strlen(out->buf);
    } else if (value != NULL) {
        return revos_ingest_expected(at, name, "string or integer");
    }
    if (out->s == NULL && required)
        return revos_ingest_missing(at, name);
    return REVOS_OK;
}

revos_status revos_ingest_id(const revos_ingest_at *at, const json_t *obj, const char *key,
                             int required, revos_ingest_text *out)
{
    return revos_ingest_id_value(at, key, revos_ingest_get(obj, key), required, out);
}

revos_status revos_ingest_scalar_value(const revos_ingest_at *at, const char *name,
                                       const json_t *value, int required, revos_ingest_text *out)
{
    text_absent(out);
    if (value == NULL || json_is_null(value))
        return required ? revos_ingest_missing(at, name) : REVOS_OK;
    if (json_is_string(value)) {
        out->s = json_string_value(value);
        out->len = json_string_length(value);
    } else if (json_is_number(value)) {
        revos_ingest_number_text(value, out->buf, sizeof out->buf);
        out->s = out->buf;
        out->len = strlen(out->buf);
    } else if (json_is_boolean(value)) {
        out->s = json_is_true(value) ? "true" : "false";
        out->len = strlen(out->s);
    } else {
        return revos_ingest_expected(at, name, "string, number or boolean");
    }
    return REVOS_OK;
}

revos_status revos_ingest_scalar(const revos_ingest_at *at, const json_t *obj, const char *key,
                                 int required, revos_ingest_text *out)
{
    return revos_ingest_scalar_value(at, key, revos_ingest_get(obj, key), required, out);
}

revos_status revos_ingest_time(const revos_ingest_at *at, const json_t *obj, const char *key,
                               int required, int64_t *ms, int *found)
{
    const json_t *v = revos_ingest_get(obj, key);
    if (found != NULL)
        *found = v != NULL;
    if (v == NULL)
        return required ? revos_ingest_missing(at, key) : REVOS_OK;
    if (json_is_string(v)) {
        if (revos_ingest_time_parse(json_string_value(v), json_string_length(v), ms) != 0)
            return revos_ingest_expected(at, key, "an ISO-8601 timestamp with a UTC offset");
    } else if (json_is_integer(v)) {
        if (revos_ingest_time_from_epoch_int(json_integer_value(v), ms) != 0)
            return revos_ingest_expected(at, key, "an epoch time within years 0000-9999");
    } else if (json_is_real(v)) {
        if (revos_ingest_time_from_epoch(json_real_value(v), ms) != 0)
            return revos_ingest_expected(at, key, "an epoch time within years 0000-9999");
    } else {
        return revos_ingest_expected(at, key, "number or string");
    }
    return REVOS_OK;
}

void revos_ingest_number_text(const json_t *number, char *buf, size_t len)
{
    if (json_is_integer(number))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(number));
    else
        revos_ingest_double_text(json_number_value(number), buf, len);
}

void revos_ingest_double_text(double v, char *buf, size_t len)
{
    if (v == 0.0) { /* also -0.0 */
        snprintf(buf, len, "0");
        return;
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) { /* 2^53: exact as an integer */
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, len, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* ==== SourceEvent builder ==== */

revos_status revos_ingest_event_idf(const revos_ingest_at *at, char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, REVOS_INGEST_EVENT_ID_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= REVOS_INGEST_EVENT_ID_MAX)
        return revos_reject(at->err, "validation", "%s: event id longer than %d bytes", at->source,
                            REVOS_INGEST_EVENT_ID_MAX - 1);
    return REVOS_OK;
}

json_t *revos_ingest_event_new(const revos_raw_meta *meta, const char *event_id, const char *kind,
                               const char *action, int64_t occurred_at)
{
    json_t *event = json_object();
    if (event == NULL)
        return NULL;
    int rc = 0;
    rc |= json_object_set_new(event, "event_id", json_string(event_id));
    rc |= json_object_set_new(event, "source", json_string(meta->source));
    rc |= json_object_set_new(event, "kind", json_string(kind));
    rc |= json_object_set_new(event, "action", json_string(action));
    rc |= json_object_set_new(event, "occurred_at", json_integer((json_int_t)occurred_at));
    rc |= json_object_set_new(event, "ids", json_object());
    rc |= json_object_set_new(event, "attributes", json_object());
    rc |= json_object_set_new(event, "raw_topic", json_string(meta->topic ? meta->topic : ""));
    rc |= json_object_set_new(event, "raw_partition", json_integer(meta->partition));
    rc |= json_object_set_new(event, "raw_offset", json_integer((json_int_t)meta->offset));
    if (rc != 0) {
        json_decref(event);
        return NULL;
    }
    return event;
}

static revos_status set_in(json_t *event, const char *map, const char *key, const char *s,
                           size_t len, revos_err *err)
{
    json_t *value = json_stringn(s, len);
    if (value == NULL || json_object_set_new(json_object_get(event, map), key, value) != 0)
        return revos_ingest_oom(err);
    return REVOS_OK;
}

revos_status revos_ingest_set_id(json_t *event, const char *key, const char *s, size_t len,
                                 revos_err *err)
{
    if (s == NULL || len == 0)
        return REVOS_OK;
    return set_in(event, "ids", key, s, len, err);
}

revos_status revos_ingest_set_attr(json_t *event, const char *key, const char *s, size_t len,
                                   revos_err *err)
{
    if (s == NULL)
        return REVOS_OK;
    if (len > REVOS_INGEST_ATTR_MAX) {
        len = REVOS_INGEST_ATTR_MAX;
        /* s[len] is the first byte dropped: if it continues a character,
         * drop that whole character. */
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    return set_in(event, "attributes", key, s, len, err);
}

revos_status revos_ingest_set_id_text(json_t *event, const char *key, const revos_ingest_text *t,
                                      revos_err *err)
{
    return revos_ingest_set_id(event, key, t->s, t->len, err);
}

revos_status revos_ingest_set_attr_text(json_t *event, const char *key,
                                        const revos_ingest_text *t, revos_err *err)
{
    return revos_ingest_set_attr(event, key, t->s, t->len, err);
}

revos_status revos_ingest_set_email(json_t *event, const revos_ingest_text *email, revos_err *err)
{
    char normalized[REVOS_INGEST_EMAIL_MAX];
    char domain[REVOS_INGEST_DOMAIN_MAX];
    if (email->s == NULL || revos_ingest_email_normalize(email->s, email->len, normalized) != 0)
        return REVOS_OK;
    revos_status st = revos_ingest_set_id(event, "email", normalized, strlen(normalized), err);
    if (st == REVOS_OK && revos_ingest_domain_from_email(email->s, email->len, domain) == 0)
        st = revos_ingest_set_id(event, "domain", domain, strlen(domain), err);
    return st;
}

revos_status revos_ingest_set_domain_from_url(json_t *event, const revos_ingest_text *url,
                                              revos_err *err)
{
    char domain[REVOS_INGEST_DOMAIN_MAX];
    if (url->s == NULL || revos_ingest_domain_from_url(url->s, url->len, domain) != 0)
        return REVOS_OK;
    return revos_ingest_set_id(event, "domain", domain, strlen(domain), err);
}

revos_status revos_ingest_append(json_t *out, json_t *event, revos_err *err)
{
    if (event == NULL)
        return revos_ingest_oom(err);
    if (json_array_append_new(out, event) != 0)
        return revos_ingest_oom(err);
    return REVOS_OK;
}
