/* segment.c -- Segment spec calls -> SourceEvents.
 *
 * A record is one call object, or an HTTP Tracking API batch
 * {"batch": [call, ...], "context": {...}} whose top-level context stands in
 * for an element's missing one. An invalid element rejects the whole record
 * (the message names it: "segment: batch[2].messageId: missing").
 *
 *   track     usage.track     ids: segment_user | segment_anonymous, segment_group,
 *                                  salesforce_account; attributes: event, quantity
 *   identify  usage.identify  ids: segment_user | segment_anonymous, email, domain,
 *                                  segment_group; attributes: name
 *   group     usage.group     ids: segment_group, segment_user | segment_anonymous,
 *                                  salesforce_account, domain; attributes: name, plan
 *   page, screen, alias       ignored
 *
 * occurred_at is timestamp, else originalTimestamp, receivedAt, sentAt;
 * event_id is "segment:" + messageId; action is always "event". Property
 * and trait names come from the "segment" section of the mapping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/mapping.h"
#include "ingest/sources.h"

typedef struct seg_call {
    const json_t *mapping;
    const revos_ingest_at *at;
    const json_t *call;
    const json_t *context; /* the call's, else the batch's; may be NULL */
    json_t *event;
} seg_call;

/* ids[key] = obj[the property named by the mapping key]. */
static revos_status id_mapped(seg_call *c, const revos_ingest_at *at, const json_t *obj,
                              const char *key, const char *map_path)
{
    const char *name;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_map_string(c->mapping, map_path, &name, at->err));
    if (name == NULL)
        return REVOS_OK;
    INGEST_TRY(revos_ingest_id(at, obj, name, 0, &t));
    return revos_ingest_set_id_text(c->event, key, &t, at->err);
}

static revos_status attr_scalar(seg_call *c, const revos_ingest_at *at, const json_t *obj,
                                const char *attr, const char *key)
{
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_scalar(at, obj, key, 0, &t));
    return revos_ingest_set_attr_text(c->event, attr, &t, at->err);
}

/* ids.segment_user = userId, else ids.segment_anonymous = anonymousId. */
static revos_status set_user(seg_call *c)
{
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(c->at, c->call, "userId", 0, &t));
    if (t.s != NULL)
        return revos_ingest_set_id_text(c->event, "segment_user", &t, c->at->err);
    INGEST_TRY(revos_ingest_id(c->at, c->call, "anonymousId", 0, &t));
    return revos_ingest_set_id_text(c->event, "segment_anonymous", &t, c->at->err);
}

/* ids.segment_group = context.groupId; *set tells whether it was there. */
static revos_status set_context_group(seg_call *c, int *set)
{
    char prefix[64];
    revos_ingest_at at;
    revos_ingest_text t;
    revos_ingest_at_sub(c->at, "context", prefix, sizeof prefix, &at);
    INGEST_TRY(revos_ingest_id(&at, c->context, "groupId", 0, &t));
    *set = t.s != NULL;
    return revos_ingest_set_id_text(c->event, "segment_group", &t, c->at->err);
}

/* Whether s is a plain decimal number ("12", "-3.5", "1e3"): no spaces, hex,
 * inf or nan, which strtod would also take. */
static int is_decimal(const char *s, size_t len)
{
    if (len == 0 || len > 63)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789.eE+-", s[i]) || s[i] == '\0')
            return 0;
    return 1;
}

/* A quantity: a JSON number or a numeric string; anything else is absent. */
static revos_status attr_quantity(seg_call *c, const json_t *properties)
{
    const char *name;
    INGEST_TRY(revos_ingest_map_string(c->mapping, "segment.quantity_property", &name, c->at->err));
    const json_t *v = name ? revos_ingest_get(properties, name) : NULL;
    char buf[48];
    if (json_is_number(v)) {
        revos_ingest_number_text(v, buf, sizeof buf);
    } else if (json_is_string(v) && is_decimal(json_string_value(v), json_string_length(v))) {
        char *end;
        double d = strtod(json_string_value(v), &end);
        if (*end != '\0' || !isfinite(d))
            return REVOS_OK;
        revos_ingest_double_text(d, buf, sizeof buf);
    } else {
        return REVOS_OK;
    }
    return revos_ingest_set_attr(c->event, "quantity", buf, strlen(buf), c->at->err);
}

static revos_status fill_track(seg_call *c)
{
    char prefix[64];
    revos_ingest_at props_at;
    const json_t *properties;
    revos_ingest_text name;
    int grouped;
    INGEST_TRY(revos_ingest_string(c->at, c->call, "event", 1, &name));
    if (name.len == 0)
        return revos_ingest_missing(c->at, "event");
    INGEST_TRY(revos_ingest_set_attr_text(c->event, "event", &name, c->at->err));
    INGEST_TRY(revos_ingest_object(c->at, c->call, "properties", 0, &properties));
    revos_ingest_at_sub(c->at, "properties", prefix, sizeof prefix, &props_at);
    INGEST_TRY(set_context_group(c, &grouped));
    if (!grouped)
        INGEST_TRY(id_mapped(c, &props_at, properties, "segment_group", "segment.group_property"));
    INGEST_TRY(
        id_mapped(c, &props_at, properties, "salesforce_account", "segment.account_property"));
    return attr_quantity(c, properties);
}

static revos_status fill_identify(seg_call *c)
{
    char prefix[64], company_prefix[80];
    revos_ingest_at traits_at, company_at;
    const json_t *traits, *company;
    revos_ingest_text email, id;
    int grouped;
    INGEST_TRY(revos_ingest_object(c->at, c->call, "traits", 0, &traits));
    revos_ingest_at_sub(c->at, "traits", prefix, sizeof prefix, &traits_at);
    INGEST_TRY(revos_ingest_string(&traits_at, traits, "email", 0, &email));
    INGEST_TRY(revos_ingest_set_email(c->event, &email, c->at->err));
    INGEST_TRY(attr_scalar(c, &traits_at, traits, "name", "name"));
    INGEST_TRY(set_context_group(c, &grouped));
    INGEST_TRY(revos_ingest_object(&traits_at, traits, "company", 0, &company));
    if (!grouped && company != NULL) {
        revos_ingest_at_sub(&traits_at, "company", company_prefix, sizeof company_prefix,
                            &company_at);
        INGEST_TRY(revos_ingest_id(&company_at, company, "id", 0, &id));
        INGEST_TRY(revos_ingest_set_id_text(c->event, "segment_group", &id, c->at->err));
    }
    return REVOS_OK;
}

static revos_status fill_group(seg_call *c)
{
    char prefix[64];
    revos_ingest_at traits_at;
    const json_t *traits;
    revos_ingest_text group, site;
    INGEST_TRY(revos_ingest_id(c->at, c->call, "groupId", 1, &group));
    INGEST_TRY(revos_ingest_set_id_text(c->event, "segment_group", &group, c->at->err));
    INGEST_TRY(revos_ingest_object(c->at, c->call, "traits", 0, &traits));
    revos_ingest_at_sub(c->at, "traits", prefix, sizeof prefix, &traits_at);
    INGEST_TRY(
        id_mapped(c, &traits_at, traits, "salesforce_account", "segment.group_account_trait"));
    INGEST_TRY(revos_ingest_string(&traits_at, traits, "website", 0, &site));
    if (site.s == NULL)
        INGEST_TRY(revos_ingest_string(&traits_at, traits, "domain", 0, &site));
    INGEST_TRY(revos_ingest_set_domain_from_url(c->event, &site, c->at->err));
    INGEST_TRY(attr_scalar(c, &traits_at, traits, "name", "name"));
    INGEST_TRY(attr_scalar(c, &traits_at, traits, "plan", "plan"));
    return REVOS_OK;
}

typedef struct seg_type {
    const char *type;
    const char *kind; /* NULL: ignored */
    revos_status (*fill)(seg_call *c);
} seg_type;

static const seg_type seg_types[] = {
    {"track", "usage.track", fill_track},
    {"identify", "usage.identify", fill_identify},
    {"group", "usage.group", fill_group},
    {"page", NULL, NULL},
    {"screen", NULL, NULL},
    {"alias", NULL, NULL},
};

static const char *const seg_time_keys[] = {"timestamp", "originalTimestamp", "receivedAt",
                                            "sentAt"};

static revos_status segment_call(const json_t *mapping, const revos_raw_meta *meta,
                                 const revos_ingest_at *at, const json_t *call,
                                 const json_t *batch_context, json_t *out)
{
    revos_ingest_text type, message_id;
    INGEST_TRY(revos_ingest_string(at, call, "type", 1, &type));
    const seg_type *t = NULL;
    for (size_t i = 0; i < sizeof seg_types / sizeof seg_types[0]; i++)
        if (strcmp(seg_types[i].type, type.s) == 0)
            t = &seg_types[i];
    if (t == NULL)
        return revos_ingest_expected(at, "type",
                                     "a Segment call type (track, identify, group, page, screen, "
                                     "alias)");
    if (t->kind == NULL)
        return REVOS_OK;

    INGEST_TRY(revos_ingest_string(at, call, "messageId", 1, &message_id));
    if (message_id.len == 0)
        return revos_ingest_missing(at, "messageId");
    if (message_id.len > REVOS_INGEST_ID_MAX)
        return revos_ingest_expected(at, "messageId", "an id of at most 1024 bytes");

    int64_t occurred_at = 0;
    int found = 0;
    for (size_t i = 0; i < sizeof seg_time_keys / sizeof seg_time_keys[0] && !found; i++)
        INGEST_TRY(revos_ingest_time(at, call, seg_time_keys[i], 0, &occurred_at, &found));
    if (!found)
        return revos_reject(at->err, "validation",
                            "segment: %stimestamp: missing (and no originalTimestamp, receivedAt "
                            "or sentAt)",
                            at->prefix);

    const json_t *context;
    INGEST_TRY(revos_ingest_object(at, call, "context", 0, &context));

    char eid[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_event_idf(at, eid, "segment:%s", message_id.s));
    json_t *event = revos_ingest_event_new(meta, eid, t->kind, "event", occurred_at);
    if (event == NULL)
        return revos_ingest_oom(at->err);
    seg_call c = {mapping, at, call, context ? context : batch_context, event};
    revos_status st = set_user(&c);
    if (st == REVOS_OK)
        st = t->fill(&c);
    if (st != REVOS_OK) {
        json_decref(event);
        return st;
    }
    return revos_ingest_append(out, event, at->err);
}

revos_status revos_ingest_segment(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err)
{
    revos_ingest_at at = {"segment", "", err};
    if (json_object_get(root, "batch") == NULL)
        return segment_call(mapping, meta, &at, root, NULL, out);

    const json_t *batch, *context;
    INGEST_TRY(revos_ingest_array(&at, root, "batch", 1, &batch));
    INGEST_TRY(revos_ingest_object(&at, root, "context", 0, &context));
    size_t i;
    const json_t *call;
    json_array_foreach(batch, i, call) {
        char prefix[32];
        revos_ingest_at element_at = {"segment", prefix, err};
        snprintf(prefix, sizeof prefix, "batch[%zu].", i);
        if (!json_is_object(call))
            return revos_reject(err, "validation", "segment: batch[%zu]: expected object", i);
        INGEST_TRY(segment_call(mapping, meta, &element_at, call, context, out));
    }
    return REVOS_OK;
}
