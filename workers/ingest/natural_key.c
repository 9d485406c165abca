/* natural_key.c -- revos_ingest_natural_key: which id of a raw record is
 * its partition key, per source (the rules are listed in natural_key.h).
 *
 * Each source function looks the candidate fields up in order and stops at
 * the first usable one: a non-empty string or an integer (rendered in
 * decimal, so Zendesk's 36000123456 and "36000123456" are one key). Emails
 * are lower-cased. Nothing here rejects a record: deciding whether it is
 * valid is the parser's job in revos-ingest; this only places it. */
#include "ingest/natural_key.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Building the key ==== */

static uint64_t fnv1a64(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void set_hash(revos_natural_key *out, const char *s, size_t len, const char *rule)
{
    out->len = (size_t)snprintf(out->key, sizeof out->key, "fnv1a64:%016" PRIx64, fnv1a64(s, len));
    out->rule = rule;
}

/* Sets out from an id value when it is usable; returns 1 if it was. */
static int take(revos_natural_key *out, const json_t *value, const char *rule, int lower)
{
    char num[32];
    const char *s;
    size_t len;
    if (json_is_string(value)) {
        s = json_string_value(value);
        len = json_string_length(value);
    } else if (json_is_integer(value)) {
        len = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        s = num;
    } else {
        return 0;
    }
    while (len > 0 && isspace((unsigned char)s[0])) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0)
        return 0;
    if (len >= sizeof out->key) {
        set_hash(out, s, len, rule);
        return 1;
    }
    for (size_t i = 0; i < len; i++)
        out->key[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    out->key[len] = '\0';
    out->len = len;
    out->rule = rule;
    return 1;
}

/* obj.a.b.c (NULL-terminated path), or NULL. */
static const json_t *at(const json_t *obj, const char *a, const char *b, const char *c)
{
    const char *path[] = {a, b, c};
    for (size_t i = 0; i < 3 && path[i] != NULL && obj != NULL; i++)
        obj = json_is_object(obj) ? json_object_get(obj, path[i]) : NULL;
    return obj;
}

static const json_t *object_or_null(const json_t *v)
{
    return json_is_object(v) ? v : NULL;
}

/* ==== Sources ==== */

static int salesforce_key(const json_t *root, revos_natural_key *out)
{
    const json_t *payload = object_or_null(at(root, "data", "payload", NULL));
    if (payload == NULL)
        payload = root;
    const json_t *header = object_or_null(json_object_get(payload, "ChangeEventHeader"));
    const json_t *ids = json_object_get(header, "recordIds");
    const char *entity = json_string_value(json_object_get(header, "entityName"));
    if (entity != NULL && strcmp(entity, "Account") == 0 &&
        take(out, json_array_get(ids, 0), "ChangeEventHeader.recordIds[0]", 0))
        return 1;
    return take(out, json_object_get(payload, "AccountId"), "AccountId", 0) ||
           take(out, json_array_get(ids, 0), "ChangeEventHeader.recordIds[0]", 0);
}

static int segment_call_key(const json_t *call, revos_natural_key *out)
{
    return take(out, json_object_get(call, "groupId"), "groupId", 0) ||
           take(out, at(call, "context", "groupId", NULL), "context.groupId", 0) ||
           take(out, at(call, "properties", "groupId", NULL), "properties.groupId", 0) ||
           take(out, at(call, "traits", "company", "id"), "traits.company.id", 0) ||
           take(out, json_object_get(call, "userId"), "userId", 0) ||
           take(out, json_object_get(call, "anonymousId"), "anonymousId", 0) ||
           take(out, json_object_get(call, "messageId"), "messageId", 0);
}

static int segment_key(const json_t *root, revos_natural_key *out)
{
    const json_t *batch = json_object_get(root, "batch");
    if (json_is_array(batch))
        return take(out, at(root, "context", "groupId", NULL), "context.groupId", 0) ||
               segment_call_key(json_array_get(batch, 0), out);
    return segment_call_key(root, out);
}

/* A Zendesk ticket, user or organization object, whichever kind it is. */
static int zendesk_subject_key(const json_t *subject, int is_org, revos_natural_key *out)
{
    if (is_org)
        return take(out, json_object_get(subject, "id"), "organization.id", 0);
    return take(out, json_object_get(subject, "organization_id"), "organization_id", 0) ||
           take(out, json_object_get(subject, "requester_id"), "requester_id", 0) ||
           take(out, json_object_get(subject, "id"), "id", 0);
}

static int zendesk_key(const json_t *root, revos_natural_key *out)
{
    /* EventBridge (detail.*_event) or Integration Services (input.*_event) */
    const json_t *container = object_or_null(json_object_get(root, "input"));
    if (container == NULL && json_object_get(root, "detail-type") != NULL)
        container = object_or_null(json_object_get(root, "detail"));
    if (container != NULL) {
        const json_t *ev;
        if ((ev = object_or_null(json_object_get(container, "organization_event"))) != NULL &&
            zendesk_subject_key(json_object_get(ev, "organization"), 1, out))
            return 1;
        if ((ev = object_or_null(json_object_get(container, "ticket_event"))) != NULL &&
            zendesk_subject_key(json_object_get(ev, "ticket"), 0, out))
            return 1;
        if ((ev = object_or_null(json_object_get(container, "user_event"))) != NULL &&
            zendesk_subject_key(json_object_get(ev, "user"), 0, out))
            return 1;
        return take(out, json_object_get(root, "id"), "id", 0);
    }
    /* webhook: {"type": "zen:event-type:<object>.<event>", "detail": {object}} */
    const char *type = json_string_value(json_object_get(root, "type"));
    int is_org = type != NULL && strncmp(type, "zen:event-type:organization.", 28) == 0;
    return zendesk_subject_key(json_object_get(root, "detail"), is_org, out) ||
           take(out, json_object_get(root, "id"), "id", 0);
}

static int nps_key(const json_t *root, revos_natural_key *out)
{
    const json_t *data = object_or_null(json_object_get(root, "event_data")); /* Delighted */
    if (data != NULL)
        return take(out, at(data, "person", "email", NULL), "event_data.person.email", 1) ||
               take(out, json_object_get(data, "id"), "event_data.id", 0) ||
               take(out, json_object_get(root, "event_id"), "event_id", 0);
    const json_t *response = object_or_null(json_object_get(root, "response")); /* Wootric */
    if (response == NULL)
        response = object_or_null(json_object_get(root, "decline"));
    return take(out, json_object_get(response, "email"), "response.email", 1) ||
           take(out, json_object_get(response, "end_user_id"), "response.end_user_id", 0) ||
           take(out, json_object_get(response, "id"), "response.id", 0);
}

static int hubspot_key(const json_t *root, revos_natural_key *out)
{
    if (json_is_object(root))
        return take(out, json_object_get(root, "objectId"), "objectId", 0) ||
               take(out, json_object_get(root, "portalId"), "portalId", 0) ||
               take(out, json_object_get(root, "eventId"), "eventId", 0);
    if (!json_is_array(root) || json_array_size(root) == 0)
        return 0;
    const json_t *first = json_array_get(root, 0);
    const json_t *object_id = json_object_get(first, "objectId");
    int same_object = object_id != NULL;
    for (size_t i = 1; i < json_array_size(root) && same_object; i++)
        same_object = json_equal(json_object_get(json_array_get(root, i), "objectId"), object_id);
    return (same_object && take(out, object_id, "objectId", 0)) ||
           take(out, json_object_get(first, "portalId"), "portalId", 0) ||
           take(out, json_object_get(first, "eventId"), "eventId", 0);
}

/* A Debezium struct with a schema beside it is {"schema": ..., "payload": X}. */
static const json_t *debezium_unwrap(const json_t *v)
{
    const json_t *payload = json_object_get(v, "payload");
    return json_object_get(v, "schema") != NULL && payload != NULL ? payload : v;
}

static int debezium_key(const json_t *root, revos_natural_key *out)
{
    const json_t *key = json_object_get(root, "key");
    const json_t *value = json_object_get(root, "value");
    if (key != NULL && (value != NULL || json_object_get(root, "payload") != NULL)) {
        key = debezium_unwrap(key);
        if (json_is_object(key) && json_object_size(key) == 1)
            return take(out, json_object_iter_value(json_object_iter((json_t *)key)), "key", 0);
        if (json_is_object(key)) {
            char *text = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS);
            json_t *s = text != NULL ? json_string(text) : NULL;
            int ok = take(out, s, "key", 0);
            json_decref(s);
            free(text);
            if (ok)
                return 1;
        } else if (take(out, key, "key", 0)) {
            return 1;
        }
    }
    const json_t *envelope = debezium_unwrap(value != NULL ? value : root);
    const json_t *row = object_or_null(json_object_get(envelope, "after"));
    const char *which = "after";
    if (row == NULL) {
        row = object_or_null(json_object_get(envelope, "before"));
        which = "before";
    }
    if (row == NULL)
        return 0;
    if (take(out, json_object_get(row, "id"), strcmp(which, "after") == 0 ? "after.id" : "before.id", 0))
        return 1;
    void *it = json_object_iter((json_t *)row);
    return it != NULL && take(out, json_object_iter_value(it),
                              strcmp(which, "after") == 0 ? "after.<first column>" : "before.<first column>", 0);
}

static int other_key(const json_t *root, revos_natural_key *out)
{
    static const char *const fields[] = {"account_id", "accountId", "id", "event_id", "eventId", NULL};
    for (size_t i = 0; fields[i] != NULL; i++)
        if (take(out, json_object_get(root, fields[i]), fields[i], 0))
            return 1;
    return 0;
}

/* ==== Entry point ==== */

revos_status revos_ingest_natural_key(const char *source, const char *payload, size_t len,
                                      revos_natural_key *out, revos_err *err)
{
    if (out == NULL || (payload == NULL && len > 0))
        return revos_fail(err, REVOS_ERR_FATAL, "natural key: called without a payload or output");
    memset(out, 0, sizeof *out);
    static const struct { const char *name; int (*fn)(const json_t *, revos_natural_key *); } sources[] = {
        {"salesforce", salesforce_key}, {"segment", segment_key}, {"zendesk", zendesk_key},
        {"nps", nps_key}, {"hubspot", hubspot_key}, {"debezium", debezium_key}};
    int (*fn)(const json_t *, revos_natural_key *) = other_key;
    for (size_t i = 0; source != NULL && i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(sources[i].name, source) == 0)
            fn = sources[i].fn;
    json_t *root = len > 0 ? json_loadb(payload, len, JSON_DECODE_ANY, NULL) : NULL;
    int found = root != NULL && fn(root, out);
    json_decref(root);
    if (!found)
        set_hash(out, payload != NULL ? payload : "", len, "content hash");
    return REVOS_OK;
}
