/* zendesk.c -- Zendesk ticket and organization events -> SourceEvents.
 *
 * Three deliveries of the same events are accepted:
 *   EventBridge (Events Connector)
 *       {"id": ..., "detail-type": "Support Ticket: Status Changed", "time": ...,
 *        "detail": {"ticket_event": {"meta": {...}, "type": "...", "ticket": {...}}}}
 *       (or detail.organization_event with an "organization" object)
 *   Webhook (event-type subscription)
 *       {"type": "zen:event-type:ticket.created", "id": ..., "time": ...,
 *        "detail": {ticket or organization fields}, "event": {...}}
 *   Integration Services trigger
 *       {"account_id": ..., "subdomain": ..., "input": {"ticket_event": {same as
 *        EventBridge's}}}
 *
 *   tickets        support.ticket        ids: zendesk_org, zendesk_requester
 *                  attributes: ticket_id, event, status, priority, type (these three
 *                  lower-cased), subject, tags (comma-joined)
 *   organizations  support.organization  ids: zendesk_org, zendesk_org_external, domain
 *                  attributes: name, event
 *   anything else (user, article events)  ignored
 *
 * "event" is the event type in snake_case without a leading "ticket_"
 * ("Ticket Created" and ticket.created -> "created"; "Agent Assignment
 * Changed" -> "agent_assignment_changed"). event_id is "zendesk:" + the
 * event's id; Integration Services events carry none, so theirs is
 * "zendesk:" + meta.sequence.id + ":" + meta.sequence.position. */
#include <stdio.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/sources.h"

#define ZD_NAME_MAX 96

typedef enum zd_object { ZD_TICKET, ZD_ORGANIZATION } zd_object;

/* One event, whatever its delivery. */
typedef struct zd_event {
    zd_object object;
    const revos_ingest_at *at; /* path of the ticket / organization object */
    const json_t *fields;      /* the ticket / organization object */
    char name[ZD_NAME_MAX];    /* normalized event name */
    char id[REVOS_INGEST_EVENT_ID_MAX];
    int64_t occurred_at;
} zd_event;

/* ==== Helpers ==== */

/* "Agent Assignment Changed" -> "agent_assignment_changed"; a leading
 * "ticket_" is dropped ("Ticket Created" -> "created"). */
static void event_name(const char *s, size_t len, char out[ZD_NAME_MAX])
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < ZD_NAME_MAX; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[n++] = c;
        else if (n > 0 && out[n - 1] != '_')
            out[n++] = '_';
    }
    while (n > 0 && out[n - 1] == '_')
        n--;
    out[n] = '\0';
    if (strncmp(out, "ticket_", 7) == 0)
        memmove(out, out + 7, n - 7 + 1);
}

static const char *action_for(const char *name)
{
    if (strcmp(name, "created") == 0)
        return "create";
    size_t n = strlen(name);
    if (n >= 7 && strcmp(name + n - 7, "deleted") == 0 && strcmp(name, "undeleted") != 0)
        return "delete";
    return "update";
}

/* An id that is "0" (Zendesk's "none" in webhook payloads) counts as absent. */
static revos_status set_zd_id(json_t *event, const revos_ingest_at *at, const json_t *obj,
                              const char *field, const char *key)
{
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(at, obj, field, 0, &t));
    if (t.s != NULL && t.len == 1 && t.s[0] == '0')
        return REVOS_OK;
    return revos_ingest_set_id_text(event, key, &t, at->err);
}

static revos_status attr_scalar(json_t *event, const revos_ingest_at *at, const json_t *obj,
                                const char *attr, const char *key)
{
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_scalar(at, obj, key, 0, &t));
    return revos_ingest_set_attr_text(event, attr, &t, at->err);
}

/* attributes[key] = obj[key] lower-cased: an enum ("open", "high",
 * "incident") that webhooks send capitalized and EventBridge in lower case. */
static revos_status attr_lower(json_t *event, const revos_ingest_at *at, const json_t *obj,
                               const char *key)
{
    revos_ingest_text t;
    char lower[64];
    INGEST_TRY(revos_ingest_string(at, obj, key, 0, &t));
    if (t.s == NULL)
        return REVOS_OK;
    if (t.len >= sizeof lower)
        return revos_ingest_expected(at, key, "a short enum value");
    for (size_t i = 0; i < t.len; i++)
        lower[i] = (t.s[i] >= 'A' && t.s[i] <= 'Z') ? (char)(t.s[i] - 'A' + 'a') : t.s[i];
    return revos_ingest_set_attr(event, key, lower, t.len, at->err);
}

/* ==== Tickets and organizations ==== */

static revos_status fill_ticket(json_t *event, const zd_event *e)
{
    const revos_ingest_at *at = e->at;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(at, e->fields, "id", 1, &t));
    INGEST_TRY(revos_ingest_set_attr_text(event, "ticket_id", &t, at->err));
    INGEST_TRY(set_zd_id(event, at, e->fields, "organization_id", "zendesk_org"));
    INGEST_TRY(set_zd_id(event, at, e->fields, "requester_id", "zendesk_requester"));
    INGEST_TRY(revos_ingest_set_attr(event, "event", e->name, strlen(e->name), at->err));

    INGEST_TRY(attr_lower(event, at, e->fields, "status"));
    INGEST_TRY(attr_lower(event, at, e->fields, "priority"));
    INGEST_TRY(attr_lower(event, at, e->fields, "type"));
    INGEST_TRY(attr_scalar(event, at, e->fields, "subject", "subject"));

    const json_t *tags;
    INGEST_TRY(revos_ingest_array(at, e->fields, "tags", 0, &tags));
    if (tags != NULL) {
        /* Joined up to just past the attribute cap; set_attr cuts cleanly. */
        char joined[REVOS_INGEST_ATTR_MAX + 2];
        size_t n = 0, i;
        const json_t *tag;
        json_array_foreach(tags, i, tag) {
            if (!json_is_string(tag))
                return revos_reject(at->err, "validation", "zendesk: %stags[%zu]: expected string",
                                    at->prefix, i);
            size_t len = json_string_length(tag);
            if (n > REVOS_INGEST_ATTR_MAX)
                continue;
            if (n > 0)
                joined[n++] = ',';
            size_t room = sizeof joined - n;
            size_t k = len < room ? len : room;
            memcpy(joined + n, json_string_value(tag), k);
            n += k;
        }
        INGEST_TRY(revos_ingest_set_attr(event, "tags", joined, n, at->err));
    }
    return REVOS_OK;
}

static revos_status fill_organization(json_t *event, const zd_event *e)
{
    const revos_ingest_at *at = e->at;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(at, e->fields, "id", 1, &t));
    INGEST_TRY(revos_ingest_set_id_text(event, "zendesk_org", &t, at->err));
    INGEST_TRY(revos_ingest_id(at, e->fields, "external_id", 0, &t));
    INGEST_TRY(revos_ingest_set_id_text(event, "zendesk_org_external", &t, at->err));
    const json_t *domains;
    INGEST_TRY(revos_ingest_array(at, e->fields, "domain_names", 0, &domains));
    if (json_array_size(domains) > 0) {
        const json_t *first = json_array_get(domains, 0);
        if (!json_is_string(first))
            return revos_reject(at->err, "validation",
                                "zendesk: %sdomain_names[0]: expected string", at->prefix);
        revos_ingest_text domain = {json_string_value(first), json_string_length(first), ""};
        INGEST_TRY(revos_ingest_set_domain_from_url(event, &domain, at->err));
    }
    INGEST_TRY(attr_scalar(event, at, e->fields, "name", "name"));
    INGEST_TRY(revos_ingest_set_attr(event, "event", e->name, strlen(e->name), at->err));
    return REVOS_OK;
}

static revos_status emit(const revos_raw_meta *meta, const zd_event *e, json_t *out)
{
    const char *kind = e->object == ZD_TICKET ? "support.ticket" : "support.organization";
    json_t *event = revos_ingest_event_new(meta, e->id, kind, action_for(e->name), e->occurred_at);
    if (event == NULL)
        return revos_ingest_oom(e->at->err);
    revos_status st = e->object == ZD_TICKET ? fill_ticket(event, e) : fill_organization(event, e);
    if (st != REVOS_OK) {
        json_decref(event);
        return st;
    }
    return revos_ingest_append(out, event, e->at->err);
}

/* ==== EventBridge and Integration Services ==== */

/* The shared inner shape {"meta": {...}, "type": "...", "ticket"|"organization": {...}}.
 * type_fallback: the event name when "type" is absent (EventBridge's
 * detail-type after ": "), or NULL. id_base: the event id when the delivery
 * has one, else NULL (use meta.sequence). time_fallback: an event time when
 * meta.occurred_at is absent. */
static revos_status inner_event(const revos_raw_meta *meta, const revos_ingest_at *at,
                                const json_t *inner, zd_object object, const char *type_fallback,
                                const char *id_base, const int64_t *time_fallback, json_t *out)
{
    char meta_prefix[96], seq_prefix[112], fields_prefix[96];
    revos_ingest_at meta_at, seq_at, fields_at;
    const json_t *meta_obj, *sequence;
    revos_ingest_text t;
    zd_event e;
    e.object = object;
    e.at = &fields_at;

    const char *fields_key = object == ZD_TICKET ? "ticket" : "organization";
    INGEST_TRY(revos_ingest_object(at, inner, fields_key, 1, &e.fields));
    revos_ingest_at_sub(at, fields_key, fields_prefix, sizeof fields_prefix, &fields_at);

    INGEST_TRY(revos_ingest_string(at, inner, "type", type_fallback == NULL, &t));
    if (t.s != NULL)
        event_name(t.s, t.len, e.name);
    else
        event_name(type_fallback, strlen(type_fallback), e.name);
    if (e.name[0] == '\0')
        return revos_ingest_expected(at, "type", "an event type");

    INGEST_TRY(revos_ingest_object(at, inner, "meta", id_base == NULL, &meta_obj));
    revos_ingest_at_sub(at, "meta", meta_prefix, sizeof meta_prefix, &meta_at);
    int found;
    INGEST_TRY(revos_ingest_time(&meta_at, meta_obj, "occurred_at", 0, &e.occurred_at, &found));
    if (!found && time_fallback != NULL) {
        e.occurred_at = *time_fallback;
        found = 1;
    }
    if (!found)
        INGEST_TRY(revos_ingest_time(&fields_at, e.fields, "updated_at", 1, &e.occurred_at, NULL));

    if (id_base != NULL) {
        INGEST_TRY(revos_ingest_event_idf(at, e.id, "zendesk:%s", id_base));
    } else {
        INGEST_TRY(revos_ingest_object(&meta_at, meta_obj, "sequence", 1, &sequence));
        revos_ingest_at_sub(&meta_at, "sequence", seq_prefix, sizeof seq_prefix, &seq_at);
        revos_ingest_text seq_id, position;
        INGEST_TRY(revos_ingest_id(&seq_at, sequence, "id", 1, &seq_id));
        INGEST_TRY(revos_ingest_id(&seq_at, sequence, "position", 1, &position));
        INGEST_TRY(revos_ingest_event_idf(at, e.id, "zendesk:%s:%s", seq_id.s, position.s));
    }
    return emit(meta, &e, out);
}

/* Finds ticket_event / organization_event in container (EventBridge detail,
 * Integration Services input). *inner = NULL: neither is there. */
static revos_status find_inner(const revos_ingest_at *at, const json_t *container,
                               const json_t **inner, zd_object *object)
{
    INGEST_TRY(revos_ingest_object(at, container, "ticket_event", 0, inner));
    *object = ZD_TICKET;
    if (*inner == NULL) {
        INGEST_TRY(revos_ingest_object(at, container, "organization_event", 0, inner));
        *object = ZD_ORGANIZATION;
    }
    return REVOS_OK;
}

static revos_status eventbridge(const revos_raw_meta *meta, const revos_ingest_at *at,
                                const json_t *root, json_t *out)
{
    revos_ingest_text id, detail_type;
    const json_t *detail, *inner;
    zd_object object;
    INGEST_TRY(revos_ingest_id(at, root, "id", 1, &id));
    INGEST_TRY(revos_ingest_string(at, root, "detail-type", 1, &detail_type));
    INGEST_TRY(revos_ingest_object(at, root, "detail", 1, &detail));
    char detail_prefix[32], inner_prefix[64];
    revos_ingest_at detail_at, inner_at;
    revos_ingest_at_sub(at, "detail", detail_prefix, sizeof detail_prefix, &detail_at);
    INGEST_TRY(find_inner(&detail_at, detail, &inner, &object));

    int is_ticket = strncmp(detail_type.s, "Support Ticket:", 15) == 0;
    int is_org = strncmp(detail_type.s, "Support Organization:", 21) == 0;
    if (inner == NULL) {
        if (is_ticket)
            return revos_ingest_missing(&detail_at, "ticket_event");
        if (is_org)
            return revos_ingest_missing(&detail_at, "organization_event");
        return REVOS_OK; /* user and other events: ignored */
    }
    revos_ingest_at_sub(&detail_at, object == ZD_TICKET ? "ticket_event" : "organization_event",
                        inner_prefix, sizeof inner_prefix, &inner_at);

    const char *colon = strchr(detail_type.s, ':');
    const char *type_fallback = colon ? colon + 1 : detail_type.s;
    int64_t sent_at;
    int found;
    INGEST_TRY(revos_ingest_time(at, root, "time", 0, &sent_at, &found));
    return inner_event(meta, &inner_at, inner, object, type_fallback, id.s,
                       found ? &sent_at : NULL, out);
}

static revos_status integration(const revos_raw_meta *meta, const revos_ingest_at *at,
                                const json_t *root, json_t *out)
{
    const json_t *input, *inner;
    zd_object object;
    INGEST_TRY(revos_ingest_object(at, root, "input", 1, &input));
    char input_prefix[32], inner_prefix[64];
    revos_ingest_at input_at, inner_at;
    revos_ingest_at_sub(at, "input", input_prefix, sizeof input_prefix, &input_at);
    INGEST_TRY(find_inner(&input_at, input, &inner, &object));
    if (inner == NULL)
        return REVOS_OK; /* user and other events: ignored */
    revos_ingest_at_sub(&input_at, object == ZD_TICKET ? "ticket_event" : "organization_event",
                        inner_prefix, sizeof inner_prefix, &inner_at);
    return inner_event(meta, &inner_at, inner, object, NULL, NULL, NULL, out);
}

/* ==== Webhooks ==== */

#define ZD_TYPE_PREFIX "zen:event-type:"

static revos_status webhook(const revos_raw_meta *meta, const revos_ingest_at *at,
                            const json_t *root, const char *type, json_t *out)
{
    const char *family = type + strlen(ZD_TYPE_PREFIX);
    zd_event e;
    if (strncmp(family, "ticket.", 7) == 0)
        e.object = ZD_TICKET;
    else if (strncmp(family, "organization.", 13) == 0)
        e.object = ZD_ORGANIZATION;
    else
        return REVOS_OK; /* user, article, ... events: ignored */
    const char *dot = strchr(family, '.');
    event_name(dot + 1, strlen(dot + 1), e.name);
    if (e.name[0] == '\0')
        return revos_ingest_expected(at, "type", "zen:event-type:<object>.<event>");

    revos_ingest_text id;
    char detail_prefix[32];
    revos_ingest_at detail_at;
    INGEST_TRY(revos_ingest_id(at, root, "id", 1, &id));
    INGEST_TRY(revos_ingest_object(at, root, "detail", 1, &e.fields));
    revos_ingest_at_sub(at, "detail", detail_prefix, sizeof detail_prefix, &detail_at);
    e.at = &detail_at;
    int found;
    INGEST_TRY(revos_ingest_time(at, root, "time", 0, &e.occurred_at, &found));
    if (!found)
        INGEST_TRY(revos_ingest_time(&detail_at, e.fields, "updated_at", 1, &e.occurred_at, NULL));
    INGEST_TRY(revos_ingest_event_idf(at, e.id, "zendesk:%s", id.s));
    return emit(meta, &e, out);
}

/* ==== Entry point ==== */

revos_status revos_ingest_zendesk(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err)
{
    (void)mapping; /* nothing in Zendesk events is mapped yet */
    revos_ingest_at at = {"zendesk", "", err};
    if (json_object_get(root, "detail-type") != NULL)
        return eventbridge(meta, &at, root, out);
    if (json_object_get(root, "input") != NULL)
        return integration(meta, &at, root, out);
    revos_ingest_text type;
    INGEST_TRY(revos_ingest_string(&at, root, "type", 0, &type));
    if (type.s != NULL && strncmp(type.s, ZD_TYPE_PREFIX, strlen(ZD_TYPE_PREFIX)) == 0)
        return webhook(meta, &at, root, type.s, out);
    return revos_reject(err, "validation",
                        "zendesk: expected an EventBridge event (detail-type), a webhook event "
                        "(type zen:event-type:...) or an Integration Services event (input)");
}
