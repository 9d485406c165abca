/* intercom.c -- Intercom webhook notifications -> SourceEvents.
 *
 * Every delivery is a notification_event:
 *     {"type": "notification_event", "id": "notif_...", "topic": "conversation.admin.replied",
 *      "created_at": 1596635369, "data": {"item": {...}}, ...}
 *
 *   conversation.*, ticket.*   support.ticket   ids: intercom_company, intercom_company_external,
 *                                                    salesforce_account, intercom_contact, email,
 *                                                    domain (each when present)
 *       attributes: ticket_id, object (conversation | ticket), event, actor,
 *                   status, priority, subject, assignee, channel
 *   company.created, company.updated
 *                              support.organization  ids: intercom_company,
 *                                    intercom_company_external, salesforce_account, domain;
 *                                    attributes: name, event
 *   company.contact.attached   support.contact       ids: intercom_contact, intercom_company,
 *                                    intercom_company_external, email, domain
 *   anything else (contact.*, visitor.*, ping)      ignored
 *
 * The topic after its object is the event, with a leading actor (admin,
 * user, contact, lead, bot, operator, team) split off as attribute actor:
 * "conversation.admin.replied" -> actor admin, event replied;
 * "conversation.priority.updated" -> event priority_updated;
 * "ticket.state.updated" -> state_updated. "created" is a new ticket.
 *
 * Fields, from the item: ticket_id is a ticket's ticket_id (the number
 * customers see), else the item's id. status is a conversation's state
 * (open, closed, snoozed) or a ticket's ticket_state category (submitted,
 * in_progress, waiting_on_customer, resolved). priority: Intercom's
 * "priority" is "high", "not_priority" is "normal". The company is the
 * item's company_id or company object, else the first of the user's
 * companies; intercom.account_attribute names the company custom attribute
 * holding the Salesforce account id. The contact is the user (older API
 * versions), the source's author, or the first of contacts.
 *
 * event_id is "intercom:" + the notification id (Intercom retries a
 * notification under the same id). occurred_at is the item's created_at for
 * a creation, else its updated_at, else the notification's created_at. */
#include <stdio.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/mapping.h"
#include "ingest/sources.h"

#define IC_NAME_MAX 64

typedef enum ic_object { IC_CONVERSATION, IC_TICKET, IC_COMPANY, IC_ATTACH, IC_OTHER } ic_object;

typedef struct ic_note {
    const json_t *mapping;
    const revos_ingest_at *at;      /* the item */
    const json_t *item;
    json_t *event;
} ic_note;

/* ==== Topic ==== */

static int is_actor(const char *s, size_t len)
{
    static const char *const actors[] = {"admin", "user", "contact", "lead", "bot", "operator",
                                         "team", NULL};
    for (size_t i = 0; actors[i] != NULL; i++)
        if (strlen(actors[i]) == len && memcmp(actors[i], s, len) == 0)
            return 1;
    return 0;
}

/* Splits "conversation.admin.replied" into object, actor and event
 * ("a.b" parts after the object joined with '_'). -1 when malformed. */
static int parse_topic(const char *topic, size_t len, ic_object *object, char actor[IC_NAME_MAX],
                       char event[IC_NAME_MAX])
{
    const char *dot = memchr(topic, '.', len);
    actor[0] = event[0] = '\0';
    if (dot == NULL || dot == topic || (size_t)(dot - topic) + 1 >= len)
        return -1;
    size_t obj_len = (size_t)(dot - topic);
    const char *rest = dot + 1;
    size_t rest_len = len - obj_len - 1;
    if (obj_len == 12 && memcmp(topic, "conversation", 12) == 0)
        *object = IC_CONVERSATION;
    else if (obj_len == 6 && memcmp(topic, "ticket", 6) == 0)
        *object = IC_TICKET;
    else if (obj_len == 7 && memcmp(topic, "company", 7) == 0)
        *object = rest_len == 16 && memcmp(rest, "contact.attached", 16) == 0 ? IC_ATTACH
                                                                              : IC_COMPANY;
    else
        *object = IC_OTHER;
    const char *next = memchr(rest, '.', rest_len);
    if (next != NULL && is_actor(rest, (size_t)(next - rest))) {
        size_t n = (size_t)(next - rest);
        memcpy(actor, rest, n);
        actor[n] = '\0';
        rest_len -= n + 1;
        rest = next + 1;
    }
    if (rest_len == 0 || rest_len >= IC_NAME_MAX)
        return -1;
    for (size_t i = 0; i < rest_len; i++) {
        char c = rest[i];
        if (c == '.')
            c = '_';
        else if (!((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9')))
            return -1;
        event[i] = c;
    }
    event[rest_len] = '\0';
    return 0;
}

/* ==== Identity ==== */

static revos_status set_str(ic_note *n, const char *key, const char *s)
{
    return revos_ingest_set_attr(n->event, key, s, strlen(s), n->at->err);
}

/* A company object: {"id": Intercom's id, "company_id": yours, "name",
 * "website", "custom_attributes": {...}}. */
static revos_status company_ids(ic_note *n, const revos_ingest_at *at, const json_t *company,
                                int with_name)
{
    revos_err *err = at->err;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(at, company, "id", 0, &t));
    INGEST_TRY(revos_ingest_set_id_text(n->event, "intercom_company", &t, err));
    INGEST_TRY(revos_ingest_id(at, company, "company_id", 0, &t));
    INGEST_TRY(revos_ingest_set_id_text(n->event, "intercom_company_external", &t, err));
    INGEST_TRY(revos_ingest_string(at, company, "website", 0, &t));
    INGEST_TRY(revos_ingest_set_domain_from_url(n->event, &t, err));
    if (with_name) {
        INGEST_TRY(revos_ingest_scalar(at, company, "name", 0, &t));
        INGEST_TRY(revos_ingest_set_attr_text(n->event, "name", &t, err));
    }
    const char *attribute;
    const json_t *custom;
    INGEST_TRY(revos_ingest_map_string(n->mapping, "intercom.account_attribute", &attribute, err));
    INGEST_TRY(revos_ingest_object(at, company, "custom_attributes", 0, &custom));
    if (attribute != NULL && custom != NULL) {
        char prefix[96];
        revos_ingest_at custom_at;
        revos_ingest_at_sub(at, "custom_attributes", prefix, sizeof prefix, &custom_at);
        INGEST_TRY(revos_ingest_id(&custom_at, custom, attribute, 0, &t));
        INGEST_TRY(revos_ingest_set_id_text(n->event, "salesforce_account", &t, err));
    }
    return REVOS_OK;
}

/* A user / contact / author: {"id", "email"} -> intercom_contact, email, domain. */
static revos_status person_ids(ic_note *n, const revos_ingest_at *at, const json_t *person)
{
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(at, person, "id", 0, &t));
    INGEST_TRY(revos_ingest_set_id_text(n->event, "intercom_contact", &t, at->err));
    INGEST_TRY(revos_ingest_string(at, person, "email", 0, &t));
    return revos_ingest_set_email(n->event, &t, at->err);
}

/* The first element of obj[list_key][inner_key] (Intercom's list objects:
 * {"type": "contact.list", "contacts": [...]}), or NULL. */
static revos_status first_of(const revos_ingest_at *at, const json_t *obj, const char *list_key,
                             const char *inner_key, const json_t **out)
{
    const json_t *list, *items;
    *out = NULL;
    INGEST_TRY(revos_ingest_object(at, obj, list_key, 0, &list));
    char prefix[96];
    revos_ingest_at list_at;
    revos_ingest_at_sub(at, list_key, prefix, sizeof prefix, &list_at);
    INGEST_TRY(revos_ingest_array(&list_at, list, inner_key, 0, &items));
    if (json_array_size(items) == 0)
        return REVOS_OK;
    *out = json_array_get(items, 0);
    if (!json_is_object(*out))
        return revos_reject(at->err, "validation", "intercom: %s%s.%s[0]: expected object",
                            at->prefix, list_key, inner_key);
    return REVOS_OK;
}

static revos_status conversation_ids(ic_note *n)
{
    const revos_ingest_at *at = n->at;
    char prefix[96];
    revos_ingest_at sub;
    const json_t *company, *person, *source;

    revos_ingest_text company_id;
    INGEST_TRY(revos_ingest_id(at, n->item, "company_id", 0, &company_id));
    INGEST_TRY(revos_ingest_set_id_text(n->event, "intercom_company", &company_id, at->err));
    INGEST_TRY(revos_ingest_object(at, n->item, "company", 0, &company));
    if (company != NULL) {
        revos_ingest_at_sub(at, "company", prefix, sizeof prefix, &sub);
        INGEST_TRY(company_ids(n, &sub, company, 0));
    }

    INGEST_TRY(revos_ingest_object(at, n->item, "user", 0, &person));
    if (person != NULL) {
        revos_ingest_at_sub(at, "user", prefix, sizeof prefix, &sub);
        INGEST_TRY(person_ids(n, &sub, person));
        if (company_id.s == NULL && company == NULL) {
            const json_t *first;
            char user_prefix[128];
            revos_ingest_at user_at;
            INGEST_TRY(first_of(&sub, person, "companies", "companies", &first));
            revos_ingest_at_sub(&sub, "companies", user_prefix, sizeof user_prefix, &user_at);
            if (first != NULL)
                INGEST_TRY(company_ids(n, &user_at, first, 0));
        }
        return REVOS_OK;
    }
    INGEST_TRY(revos_ingest_object(at, n->item, "source", 0, &source));
    const json_t *author = revos_ingest_get(source, "author");
    if (json_is_object(author)) {
        revos_ingest_at_sub(at, "source.author", prefix, sizeof prefix, &sub);
        return person_ids(n, &sub, author);
    }
    INGEST_TRY(first_of(at, n->item, "contacts", "contacts", &person));
    if (person != NULL) {
        revos_ingest_at_sub(at, "contacts.contacts[0]", prefix, sizeof prefix, &sub);
        INGEST_TRY(person_ids(n, &sub, person));
    }
    return REVOS_OK;
}

/* ==== Tickets and conversations ==== */

static revos_status fill_ticket(ic_note *n, ic_object object, const char *actor, const char *event)
{
    const revos_ingest_at *at = n->at;
    revos_err *err = at->err;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(at, n->item, "id", 1, &t));
    revos_ingest_text visible;
    INGEST_TRY(revos_ingest_id(at, n->item, "ticket_id", 0, &visible));
    INGEST_TRY(revos_ingest_set_attr_text(n->event, "ticket_id", visible.s ? &visible : &t, err));
    INGEST_TRY(set_str(n, "object", object == IC_TICKET ? "ticket" : "conversation"));
    INGEST_TRY(set_str(n, "event", event));
    if (actor[0] != '\0')
        INGEST_TRY(set_str(n, "actor", actor));

    const json_t *state_obj;
    INGEST_TRY(revos_ingest_object(at, n->item, "ticket_state", 0, &state_obj));
    if (state_obj != NULL) {
        char prefix[96];
        revos_ingest_at state_at;
        revos_ingest_at_sub(at, "ticket_state", prefix, sizeof prefix, &state_at);
        INGEST_TRY(revos_ingest_string(&state_at, state_obj, "category", 0, &t));
    } else {
        INGEST_TRY(revos_ingest_string(at, n->item, "state", 0, &t));
    }
    INGEST_TRY(revos_ingest_set_attr_text(n->event, "status", &t, err));

    INGEST_TRY(revos_ingest_string(at, n->item, "priority", 0, &t));
    if (t.s != NULL) {
        if (t.len == 8 && memcmp(t.s, "priority", 8) == 0)
            INGEST_TRY(set_str(n, "priority", "high"));
        else if (t.len == 12 && memcmp(t.s, "not_priority", 12) == 0)
            INGEST_TRY(set_str(n, "priority", "normal"));
        else
            return revos_ingest_expected(at, "priority", "priority or not_priority");
    }

    const json_t *attrs, *source;
    INGEST_TRY(revos_ingest_object(at, n->item, "ticket_attributes", 0, &attrs));
    INGEST_TRY(revos_ingest_object(at, n->item, "source", 0, &source));
    t.s = NULL;
    if (attrs != NULL)
        INGEST_TRY(revos_ingest_scalar(at, attrs, "_default_title_", 0, &t));
    if (t.s == NULL && source != NULL)
        INGEST_TRY(revos_ingest_scalar(at, source, "subject", 0, &t));
    if (t.s != NULL && t.len > 0)
        INGEST_TRY(revos_ingest_set_attr_text(n->event, "subject", &t, err));

    const json_t *assignee;
    INGEST_TRY(revos_ingest_object(at, n->item, "assignee", 0, &assignee));
    if (assignee != NULL) {
        char prefix[96];
        revos_ingest_at assignee_at;
        revos_ingest_at_sub(at, "assignee", prefix, sizeof prefix, &assignee_at);
        INGEST_TRY(revos_ingest_id(&assignee_at, assignee, "id", 0, &t));
    } else {
        INGEST_TRY(revos_ingest_id(at, n->item, "admin_assignee_id", 0, &t));
    }
    if (t.s != NULL && !(t.len == 1 && t.s[0] == '0')) /* "0": unassigned */
        INGEST_TRY(revos_ingest_set_attr_text(n->event, "assignee", &t, err));
    INGEST_TRY(revos_ingest_scalar(at, n->item, "channel", 0, &t));
    INGEST_TRY(revos_ingest_set_attr_text(n->event, "channel", &t, err));
    return conversation_ids(n);
}

/* ==== Companies ==== */

static revos_status fill_attach(ic_note *n)
{
    const revos_ingest_at *at = n->at;
    const json_t *contact, *company;
    char prefix[96];
    revos_ingest_at sub;
    INGEST_TRY(revos_ingest_object(at, n->item, "contact", 1, &contact));
    INGEST_TRY(revos_ingest_object(at, n->item, "company", 1, &company));
    revos_ingest_at_sub(at, "contact", prefix, sizeof prefix, &sub);
    revos_ingest_text contact_id;
    INGEST_TRY(revos_ingest_id(&sub, contact, "id", 1, &contact_id));
    INGEST_TRY(person_ids(n, &sub, contact));
    revos_ingest_at_sub(at, "company", prefix, sizeof prefix, &sub);
    INGEST_TRY(company_ids(n, &sub, company, 0));
    if (json_object_get(json_object_get(n->event, "ids"), "intercom_company") == NULL)
        return revos_ingest_missing(&sub, "id");
    return REVOS_OK;
}

/* ==== Entry point ==== */

revos_status revos_ingest_intercom(const json_t *mapping, const revos_raw_meta *meta,
                                   const json_t *root, json_t *out, revos_err *err)
{
    revos_ingest_at at = {"intercom", "", err};
    revos_ingest_text type, topic, id;
    INGEST_TRY(revos_ingest_string(&at, root, "type", 1, &type));
    if (type.len != 18 || memcmp(type.s, "notification_event", 18) != 0)
        return revos_ingest_expected(&at, "type", "notification_event");
    INGEST_TRY(revos_ingest_string(&at, root, "topic", 1, &topic));
    INGEST_TRY(revos_ingest_id(&at, root, "id", 1, &id));
    ic_object object;
    char actor[IC_NAME_MAX], event[IC_NAME_MAX];
    if (parse_topic(topic.s, topic.len, &object, actor, event) != 0) {
        if (topic.len == 4 && memcmp(topic.s, "ping", 4) == 0)
            return REVOS_OK;
        return revos_ingest_expected(&at, "topic", "<object>.<event>, e.g. conversation.admin.replied");
    }
    if (object == IC_OTHER)
        return REVOS_OK; /* contacts, visitors, ...: not read */

    const json_t *data, *item;
    char data_prefix[16], item_prefix[32];
    revos_ingest_at data_at, item_at;
    INGEST_TRY(revos_ingest_object(&at, root, "data", 1, &data));
    revos_ingest_at_sub(&at, "data", data_prefix, sizeof data_prefix, &data_at);
    INGEST_TRY(revos_ingest_object(&data_at, data, "item", 1, &item));
    revos_ingest_at_sub(&data_at, "item", item_prefix, sizeof item_prefix, &item_at);

    int64_t occurred_at;
    int found = 0;
    if (strcmp(event, "created") == 0)
        INGEST_TRY(revos_ingest_time(&item_at, item, "created_at", 0, &occurred_at, &found));
    if (!found)
        INGEST_TRY(revos_ingest_time(&item_at, item, "updated_at", 0, &occurred_at, &found));
    if (!found)
        INGEST_TRY(revos_ingest_time(&at, root, "created_at", 1, &occurred_at, NULL));

    char event_id[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_event_idf(&at, event_id, "intercom:%s", id.s));
    static const char *const kinds[] = {"support.ticket", "support.ticket", "support.organization",
                                        "support.contact"};
    const char *action = strcmp(event, "created") == 0 ? "create"
                         : strcmp(event, "deleted") == 0 ? "delete"
                                                         : "update";
    ic_note n = {mapping, &item_at, item, NULL};
    n.event = revos_ingest_event_new(meta, event_id, kinds[object], action, occurred_at);
    if (n.event == NULL)
        return revos_ingest_oom(err);
    revos_status st;
    if (object == IC_CONVERSATION || object == IC_TICKET) {
        st = fill_ticket(&n, object, actor, event);
    } else if (object == IC_COMPANY) {
        st = company_ids(&n, &item_at, item, 1);
        if (st == REVOS_OK && json_object_get(json_object_get(n.event, "ids"), "intercom_company") == NULL)
            st = revos_ingest_missing(&item_at, "id");
        if (st == REVOS_OK)
            st = set_str(&n, "event", event);
    } else {
        st = fill_attach(&n);
    }
    if (st != REVOS_OK) {
        json_decref(n.event);
        return st;
    }
    return revos_ingest_append(out, n.event, err);
}
