/* hubspot.c -- HubSpot webhook batches -> SourceEvents.
 *
 * HubSpot POSTs a JSON array of up to 100 events per request; a bridge that
 * splits batches may send one event object. Each event names its type in
 * "subscriptionType" (current) or "eventType" (older apps), as
 * "<object>.<change>":
 *
 *   company.*   crm.account       ids: hubspot_company [, salesforce_account, domain]
 *   deal.*      crm.opportunity   ids: hubspot_deal [, hubspot_company, hubspot_contact]
 *   contact.*   crm.contact       ids: hubspot_contact [, email, domain, hubspot_company]
 *   ticket.*, product.*, line_item.*, conversation.*, ...   ignored
 *
 * Changes: creation (action create), deletion and privacyDeletion (delete),
 * propertyChange, associationChange, merge and restore (update); attribute
 * "event" is the change in snake_case ("property_change").
 *
 * A webhook carries ids and at most one property, never the whole record:
 *   propertyChange     attributes property, value; and when the property is
 *                      a mapped one (the "hubspot" section of the mapping),
 *                      the fact it carries: a company's Salesforce account id
 *                      (ids.salesforce_account) or domain (ids.domain), name,
 *                      owner (ae), ARR; a deal's stage, amount, close date,
 *                      name, owner, renewal flag; a contact's email, title.
 *   associationChange  associationType "<FROM>_TO_<TO>" with fromObjectId and
 *                      toObjectId: ids hubspot_<from> and hubspot_<to>;
 *                      attributes association (lower case), associated_id,
 *                      association_removed ("true"/"false").
 *
 * A deal stage is HubSpot's stage id ("closedwon", or a UUID in a custom
 * pipeline); hubspot.deal_stages maps it to the pipeline stage
 * (attributes stage, is_closed, is_won; hubspot_stage keeps the id). An
 * unmapped stage keeps its id as stage, with no is_closed/is_won.
 *
 * Retries: HubSpot redelivers a failed batch with attemptNumber + 1 and the
 * same eventId. event_id is "hubspot:<portalId>:<eventId>" whatever the
 * attempt, so downstream deduplication recognizes the retry; the attempt is
 * attribute attempt. occurred_at is occurredAt (epoch ms).
 *
 * A bad element rejects the whole batch (HubSpot retries batches whole); the
 * message names it: "hubspot: [2].eventId: missing". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/mapping.h"
#include "ingest/sources.h"
#include "ingest/timeparse.h"

#define HS_NAME_MAX 48

typedef enum hs_object { HS_COMPANY, HS_DEAL, HS_CONTACT, HS_OTHER } hs_object;

typedef struct hs_event {
    const json_t *mapping;
    const revos_ingest_at *at;
    const json_t *raw;
    hs_object object;
    char change[HS_NAME_MAX]; /* snake_case */
    json_t *event;
} hs_event;

/* ==== Helpers ==== */

static hs_object object_of(const char *s, size_t len)
{
    if (len == 7 && memcmp(s, "company", 7) == 0)
        return HS_COMPANY;
    if (len == 4 && memcmp(s, "deal", 4) == 0)
        return HS_DEAL;
    if (len == 7 && memcmp(s, "contact", 7) == 0)
        return HS_CONTACT;
    return HS_OTHER;
}

static const char *id_key_of(hs_object object)
{
    switch (object) {
    case HS_COMPANY: return "hubspot_company";
    case HS_DEAL: return "hubspot_deal";
    case HS_CONTACT: return "hubspot_contact";
    default: return NULL;
    }
}

/* "propertyChange" -> "property_change". 0, or -1 when it is not a plain
 * camelCase word that fits. */
static int snake_case(const char *s, size_t len, char out[HS_NAME_MAX])
{
    size_t n = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            if (n > 0) {
                if (n + 1 >= HS_NAME_MAX)
                    return -1;
                out[n++] = '_';
            }
            c = (char)(c - 'A' + 'a');
        } else if (!(c >= 'a' && c <= 'z')) {
            return -1;
        }
        if (n + 1 >= HS_NAME_MAX)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

static const char *action_of(const char *change)
{
    if (strcmp(change, "creation") == 0)
        return "create";
    if (strcmp(change, "deletion") == 0 || strcmp(change, "privacy_deletion") == 0)
        return "delete";
    return "update";
}

static int text_is(const revos_ingest_text *t, const char *s)
{
    return t->s != NULL && s != NULL && t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

/* Whether the changed property is the one the mapping key names. */
static revos_status property_is(const hs_event *e, const revos_ingest_text *property,
                                const char *map_path, int *yes)
{
    const char *name;
    INGEST_TRY(revos_ingest_map_string(e->mapping, map_path, &name, e->at->err));
    *yes = text_is(property, name);
    return REVOS_OK;
}

static revos_status set_attr_str(hs_event *e, const char *key, const char *s)
{
    return revos_ingest_set_attr(e->event, key, s, strlen(s), e->at->err);
}

/* A number given as text ("50000", "1234.5"): 1 when the whole text is one. */
static int is_number_text(const revos_ingest_text *t)
{
    if (t->s == NULL || t->len == 0 || t->len > 40)
        return 0;
    char buf[48];
    memcpy(buf, t->s, t->len);
    buf[t->len] = '\0';
    char *end = NULL;
    strtod(buf, &end);
    return end != buf && *end == '\0';
}

/* A HubSpot date property value: epoch ms as text ("1577664000000"), or an
 * ISO date or date-time. -> "YYYY-MM-DD" (UTC). */
static revos_status value_date(const hs_event *e, const revos_ingest_text *value, char date[11])
{
    int64_t ms = 0;
    int ok = 0;
    if (value->len > 0 && value->len <= 19 && strspn(value->s, "0123456789") == value->len) {
        char buf[24];
        memcpy(buf, value->s, value->len);
        buf[value->len] = '\0';
        ok = revos_ingest_time_from_epoch_int(strtoll(buf, NULL, 10), &ms) == 0;
    } else {
        ok = revos_ingest_time_parse(value->s, value->len, &ms) == 0;
    }
    if (!ok || revos_ingest_time_format_date(ms, date) != 0)
        return revos_ingest_expected(e->at, "propertyValue", "a date (epoch ms or ISO-8601)");
    return REVOS_OK;
}

/* ==== Deal stages ==== */

typedef struct hs_stage {
    const char *id, *stage;
    int is_closed, is_won;
} hs_stage;

/* HubSpot's default sales pipeline, as Salesforce-style pipeline stages. */
static const hs_stage default_stages[] = {
    {"appointmentscheduled", "Prospecting", 0, 0},
    {"qualifiedtobuy", "Qualification", 0, 0},
    {"presentationscheduled", "Value Proposition", 0, 0},
    {"decisionmakerboughtin", "Id. Decision Makers", 0, 0},
    {"contractsent", "Negotiation/Review", 0, 0},
    {"closedwon", "Closed Won", 1, 1},
    {"closedlost", "Closed Lost", 1, 0},
};

static revos_status deal_stage(hs_event *e, const revos_ingest_text *value)
{
    revos_err *err = e->at->err;
    INGEST_TRY(revos_ingest_set_attr_text(e->event, "hubspot_stage", value, err));
    const json_t *table;
    INGEST_TRY(revos_ingest_map_table(e->mapping, "hubspot.deal_stages", &table, err));
    hs_stage found = {NULL, NULL, -1, -1};
    if (table != NULL) {
        char id[REVOS_INGEST_ID_MAX + 1];
        if (value->len <= REVOS_INGEST_ID_MAX && memchr(value->s, '\0', value->len) == NULL) {
            memcpy(id, value->s, value->len);
            id[value->len] = '\0';
            const json_t *row = json_object_get(table, id);
            if (row != NULL) {
                found.stage = json_string_value(json_object_get(row, "stage"));
                const json_t *closed = json_object_get(row, "is_closed");
                const json_t *won = json_object_get(row, "is_won");
                found.is_closed = closed ? json_is_true(closed) : -1;
                found.is_won = won ? json_is_true(won) : -1;
            }
        }
    } else {
        for (size_t i = 0; i < sizeof default_stages / sizeof default_stages[0]; i++)
            if (text_is(value, default_stages[i].id))
                found = default_stages[i];
    }
    if (found.stage == NULL)
        return revos_ingest_set_attr_text(e->event, "stage", value, err);
    INGEST_TRY(set_attr_str(e, "stage", found.stage));
    if (found.is_closed >= 0)
        INGEST_TRY(set_attr_str(e, "is_closed", found.is_closed ? "true" : "false"));
    if (found.is_won >= 0)
        INGEST_TRY(set_attr_str(e, "is_won", found.is_won ? "true" : "false"));
    return REVOS_OK;
}

/* ==== Property changes ==== */

static revos_status company_property(hs_event *e, const revos_ingest_text *property,
                                     const revos_ingest_text *value)
{
    revos_err *err = e->at->err;
    int yes;
    INGEST_TRY(property_is(e, property, "hubspot.company.salesforce_account_property", &yes));
    if (yes) {
        revos_ingest_text id;
        INGEST_TRY(revos_ingest_id(e->at, e->raw, "propertyValue", 0, &id));
        return revos_ingest_set_id_text(e->event, "salesforce_account", &id, err);
    }
    INGEST_TRY(property_is(e, property, "hubspot.company.domain_property", &yes));
    if (yes)
        return revos_ingest_set_domain_from_url(e->event, value, err);
    static const char *const facts[][2] = {{"hubspot.company.name_property", "name"},
                                           {"hubspot.company.ae_property", "ae"},
                                           {"hubspot.company.arr_property", "arr"}};
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        INGEST_TRY(property_is(e, property, facts[i][0], &yes));
        if (yes && (strcmp(facts[i][1], "arr") != 0 || is_number_text(value)))
            return revos_ingest_set_attr_text(e->event, facts[i][1], value, err);
    }
    return REVOS_OK;
}

static revos_status deal_property(hs_event *e, const revos_ingest_text *property,
                                  const revos_ingest_text *value)
{
    revos_err *err = e->at->err;
    int yes;
    INGEST_TRY(property_is(e, property, "hubspot.deal.stage_property", &yes));
    if (yes)
        return deal_stage(e, value);
    INGEST_TRY(property_is(e, property, "hubspot.deal.amount_property", &yes));
    if (yes) {
        if (!is_number_text(value))
            return revos_ingest_expected(e->at, "propertyValue", "an amount (a number)");
        return revos_ingest_set_attr_text(e->event, "amount", value, err);
    }
    INGEST_TRY(property_is(e, property, "hubspot.deal.close_date_property", &yes));
    if (yes) {
        char date[11];
        INGEST_TRY(value_date(e, value, date));
        return revos_ingest_set_attr(e->event, "close_date", date, 10, err);
    }
    INGEST_TRY(property_is(e, property, "hubspot.deal.renewal_property", &yes));
    if (yes) {
        int renewal;
        INGEST_TRY(revos_ingest_set_attr_text(e->event, "type", value, err));
        INGEST_TRY(revos_ingest_map_contains(e->mapping, "hubspot.deal.renewal_values", value->s,
                                             value->len, &renewal, err));
        return set_attr_str(e, "renewal", renewal ? "true" : "false");
    }
    static const char *const facts[][2] = {{"hubspot.deal.name_property", "name"},
                                           {"hubspot.deal.owner_property", "owner"}};
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        INGEST_TRY(property_is(e, property, facts[i][0], &yes));
        if (yes)
            return revos_ingest_set_attr_text(e->event, facts[i][1], value, err);
    }
    return REVOS_OK;
}

static revos_status contact_property(hs_event *e, const revos_ingest_text *property,
                                     const revos_ingest_text *value)
{
    int yes;
    INGEST_TRY(property_is(e, property, "hubspot.contact.email_property", &yes));
    if (yes)
        return revos_ingest_set_email(e->event, value, e->at->err);
    INGEST_TRY(property_is(e, property, "hubspot.contact.title_property", &yes));
    if (yes)
        return revos_ingest_set_attr_text(e->event, "title", value, e->at->err);
    return REVOS_OK;
}

static revos_status property_change(hs_event *e)
{
    revos_ingest_text property, value;
    INGEST_TRY(revos_ingest_string(e->at, e->raw, "propertyName", 1, &property));
    INGEST_TRY(revos_ingest_scalar(e->at, e->raw, "propertyValue", 0, &value));
    INGEST_TRY(revos_ingest_set_attr_text(e->event, "property", &property, e->at->err));
    INGEST_TRY(revos_ingest_set_attr_text(e->event, "value", &value, e->at->err));
    if (value.s == NULL || value.len == 0)
        return REVOS_OK; /* a cleared property: nothing to map */
    if (e->object == HS_COMPANY)
        return company_property(e, &property, &value);
    if (e->object == HS_DEAL)
        return deal_property(e, &property, &value);
    return contact_property(e, &property, &value);
}

/* ==== Associations ==== */

static revos_status association_change(hs_event *e)
{
    revos_err *err = e->at->err;
    revos_ingest_text type, from, to;
    INGEST_TRY(revos_ingest_string(e->at, e->raw, "associationType", 1, &type));
    INGEST_TRY(revos_ingest_id(e->at, e->raw, "fromObjectId", 1, &from));
    INGEST_TRY(revos_ingest_id(e->at, e->raw, "toObjectId", 1, &to));
    const char *sep = type.len < 64 ? strstr(type.s, "_TO_") : NULL;
    if (sep == NULL)
        return revos_ingest_expected(e->at, "associationType", "<FROM>_TO_<TO>, e.g. DEAL_TO_COMPANY");
    char lower[64];
    for (size_t i = 0; i < type.len; i++)
        lower[i] = (type.s[i] >= 'A' && type.s[i] <= 'Z') ? (char)(type.s[i] - 'A' + 'a') : type.s[i];
    lower[type.len] = '\0';
    size_t from_len = (size_t)(sep - type.s);
    hs_object from_obj = object_of(lower, from_len);
    hs_object to_obj = object_of(lower + from_len + 4, type.len - from_len - 4);
    if (from_obj != e->object)
        return revos_ingest_expected(e->at, "associationType", "an association from the event's object");
    INGEST_TRY(revos_ingest_set_id_text(e->event, id_key_of(from_obj), &from, err));
    if (to_obj != HS_OTHER && to_obj != from_obj)
        INGEST_TRY(revos_ingest_set_id_text(e->event, id_key_of(to_obj), &to, err));
    INGEST_TRY(revos_ingest_set_attr(e->event, "association", lower, type.len, err));
    INGEST_TRY(revos_ingest_set_attr_text(e->event, "associated_id", &to, err));
    const json_t *removed = revos_ingest_get(e->raw, "associationRemoved");
    if (removed != NULL && !json_is_boolean(removed))
        return revos_ingest_expected(e->at, "associationRemoved", "boolean");
    return set_attr_str(e, "association_removed", json_is_true(removed) ? "true" : "false");
}

/* ==== One event ==== */

static revos_status one_event(const json_t *mapping, const revos_raw_meta *meta,
                              const revos_ingest_at *at, const json_t *raw, json_t *out)
{
    revos_ingest_text type;
    INGEST_TRY(revos_ingest_string(at, raw, "subscriptionType", 0, &type));
    if (type.s == NULL)
        INGEST_TRY(revos_ingest_string(at, raw, "eventType", 0, &type));
    if (type.s == NULL)
        return revos_ingest_missing(at, "subscriptionType");
    const char *dot = memchr(type.s, '.', type.len);
    if (dot == NULL || dot == type.s)
        return revos_ingest_expected(at, "subscriptionType", "<object>.<change>");

    hs_event e = {mapping, at, raw, object_of(type.s, (size_t)(dot - type.s)), "", NULL};
    size_t change_len = type.len - (size_t)(dot - type.s) - 1;
    if (snake_case(dot + 1, change_len, e.change) != 0)
        return revos_ingest_expected(at, "subscriptionType", "<object>.<change>");

    revos_ingest_text event_id, portal, attempt, source, object_id;
    int64_t occurred_at;
    INGEST_TRY(revos_ingest_id(at, raw, "eventId", 1, &event_id));
    INGEST_TRY(revos_ingest_id(at, raw, "portalId", 1, &portal));
    INGEST_TRY(revos_ingest_time(at, raw, "occurredAt", 1, &occurred_at, NULL));
    const json_t *attempt_v = revos_ingest_get(raw, "attemptNumber");
    if (attempt_v != NULL && (!json_is_integer(attempt_v) || json_integer_value(attempt_v) < 0))
        return revos_ingest_expected(at, "attemptNumber", "a non-negative integer");
    INGEST_TRY(revos_ingest_scalar(at, raw, "attemptNumber", 0, &attempt));
    INGEST_TRY(revos_ingest_string(at, raw, "changeSource", 0, &source));
    if (e.object == HS_OTHER)
        return REVOS_OK; /* tickets, products, line items, ...: not read */

    int association = strcmp(e.change, "association_change") == 0;
    INGEST_TRY(revos_ingest_id(at, raw, "objectId", !association, &object_id));
    if (object_id.s == NULL && !association)
        return revos_ingest_missing(at, "objectId");

    char id[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_event_idf(at, id, "hubspot:%s:%s", portal.s, event_id.s));
    static const char *const kinds[] = {"crm.account", "crm.opportunity", "crm.contact"};
    e.event = revos_ingest_event_new(meta, id, kinds[e.object], action_of(e.change), occurred_at);
    if (e.event == NULL)
        return revos_ingest_oom(at->err);

    revos_status st = revos_ingest_set_id_text(e.event, id_key_of(e.object), &object_id, at->err);
    if (st == REVOS_OK)
        st = set_attr_str(&e, "event", e.change);
    if (st == REVOS_OK)
        st = revos_ingest_set_attr_text(e.event, "attempt", &attempt, at->err);
    if (st == REVOS_OK)
        st = revos_ingest_set_attr_text(e.event, "change_source", &source, at->err);
    if (st == REVOS_OK && strcmp(e.change, "property_change") == 0)
        st = property_change(&e);
    else if (st == REVOS_OK && association)
        st = association_change(&e);
    if (st != REVOS_OK) {
        json_decref(e.event);
        return st;
    }
    return revos_ingest_append(out, e.event, at->err);
}

/* ==== Entry point ==== */

revos_status revos_ingest_hubspot(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err)
{
    revos_ingest_at at = {"hubspot", "", err};
    if (json_is_object(root))
        return one_event(mapping, meta, &at, root, out);
    size_t max;
    INGEST_TRY(revos_ingest_map_size(mapping, "hubspot.max_batch_events", &max, err));
    if (json_array_size(root) > max)
        return revos_reject(err, "validation", "hubspot: batch of %zu events is above %zu",
                            json_array_size(root), max);
    size_t i;
    const json_t *raw;
    json_array_foreach(root, i, raw) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "[%zu].", i);
        revos_ingest_at element = {"hubspot", prefix, err};
        if (!json_is_object(raw))
            return revos_reject(err, "validation", "hubspot: [%zu]: expected an event object", i);
        INGEST_TRY(one_event(mapping, meta, &element, raw, out));
    }
    return REVOS_OK;
}
