/* salesforce.c -- Salesforce Change Data Capture events -> SourceEvents.
 *
 * Two framings of the same event are accepted:
 *   Pub/Sub API payload   {"ChangeEventHeader": {...}, "Name": ..., ...}
 *   CometD (Streaming)    {"data": {"schema": "...", "payload": {same},
 *                                   "event": {"replayId": N}},
 *                          "channel": "/data/AccountChangeEvent"}
 *
 * One change event can name several records (recordIds: a merged event);
 * each becomes its own SourceEvent. Fields beside the header are the
 * record's fields; on an update only the changed ones are non-null, so only
 * non-null mapped fields become attributes. Which entities are read and which
 * fields carry the account team, ARR, amounts and renewal flags come from
 * the "salesforce" section of the mapping (see mapping.c for defaults).
 *
 *   Account                 crm.account       ids: salesforce_account, domain
 *   Opportunity             crm.opportunity   ids: salesforce_opportunity, salesforce_account
 *   OpportunityContactRole  crm.contact_role  ids: salesforce_contact_role, salesforce_opportunity, salesforce_contact,
 *                                                  salesforce_account
 *   Contact                 crm.contact       ids: salesforce_contact, salesforce_account,
 *                                                  email, domain
 */
#include <stdio.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/mapping.h"
#include "ingest/sources.h"
#include "ingest/timeparse.h"

#define SF_MAX_RECORD_IDS 200

/* ==== The change event header ==== */

typedef struct sf_header {
    const char *entity;
    char action[32];
    int64_t commit_ms;
    const char *transaction_key; /* NULL when absent */
    int has_sequence;
    json_int_t sequence;
    int has_commit_number;
    json_int_t commit_number;
    const json_t *record_ids;
} sf_header;

static revos_status parse_header(const revos_ingest_at *payload_at, const json_t *payload,
                                 sf_header *h)
{
    const json_t *header;
    revos_status st = revos_ingest_object(payload_at, payload, "ChangeEventHeader", 1, &header);
    if (st != REVOS_OK)
        return st;
    char prefix[64];
    revos_ingest_at at;
    revos_ingest_at_sub(payload_at, "ChangeEventHeader", prefix, sizeof prefix, &at);

    revos_ingest_text text;
    if ((st = revos_ingest_string(&at, header, "entityName", 1, &text)) != REVOS_OK)
        return st;
    if (text.len == 0 || text.len > 255)
        return revos_ingest_expected(&at, "entityName", "an entity name");
    h->entity = text.s;

    if ((st = revos_ingest_string(&at, header, "changeType", 1, &text)) != REVOS_OK)
        return st;
    if (text.len == 0 || text.len >= sizeof h->action)
        return revos_ingest_expected(&at, "changeType", "a change type such as UPDATE");
    for (size_t i = 0; i < text.len; i++) {
        char c = text.s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'))
            return revos_ingest_expected(&at, "changeType", "a change type such as UPDATE");
        h->action[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    h->action[text.len] = '\0';

    if ((st = revos_ingest_array(&at, header, "recordIds", 1, &h->record_ids)) != REVOS_OK)
        return st;
    size_t n = json_array_size(h->record_ids);
    if (n == 0) {
        if (strcmp(h->action, "gap_overflow") == 0)
            return revos_reject(at.err, "validation",
                                "salesforce: %srecordIds: empty (GAP_OVERFLOW: resync %.64s from "
                                "Salesforce)",
                                prefix, h->entity);
        return revos_reject(at.err, "validation", "salesforce: %srecordIds: empty", prefix);
    }
    if (n > SF_MAX_RECORD_IDS)
        return revos_reject(at.err, "validation", "salesforce: %srecordIds: %zu ids, above %d",
                            prefix, n, SF_MAX_RECORD_IDS);
    for (size_t i = 0; i < n; i++) {
        const json_t *id = json_array_get(h->record_ids, i);
        if (!json_is_string(id) || json_string_length(id) == 0 ||
            json_string_length(id) > REVOS_INGEST_ID_MAX)
            return revos_reject(at.err, "validation",
                                "salesforce: %srecordIds[%zu]: expected a record id (string)",
                                prefix, i);
    }

    if ((st = revos_ingest_time(&at, header, "commitTimestamp", 1, &h->commit_ms, NULL)) !=
        REVOS_OK)
        return st;

    if ((st = revos_ingest_string(&at, header, "transactionKey", 0, &text)) != REVOS_OK)
        return st;
    h->transaction_key = text.len > 0 ? text.s : NULL;

    const json_t *v = revos_ingest_get(header, "sequenceNumber");
    if (v != NULL && !json_is_integer(v))
        return revos_ingest_expected(&at, "sequenceNumber", "integer");
    h->has_sequence = v != NULL;
    h->sequence = v ? json_integer_value(v) : 0;

    v = revos_ingest_get(header, "commitNumber");
    if (v != NULL && !json_is_integer(v))
        return revos_ingest_expected(&at, "commitNumber", "integer");
    h->has_commit_number = v != NULL;
    h->commit_number = v ? json_integer_value(v) : 0;
    return REVOS_OK;
}

/* ==== Entities ==== */

typedef struct sf_record {
    const json_t *mapping;
    const revos_ingest_at *at; /* where the record's fields are */
    const json_t *fields;
    const char *record_id;
    size_t record_id_len;
    json_t *event;
} sf_record;

/* attributes[attr] = fields[field] (if field is non-NULL and the value is). */
static revos_status attr_field(sf_record *r, const char *attr, const char *field)
{
    if (field == NULL)
        return REVOS_OK;
    revos_ingest_text t;
    revos_status st = revos_ingest_scalar(r->at, r->fields, field, 0, &t);
    if (st == REVOS_OK)
        st = revos_ingest_set_attr_text(r->event, attr, &t, r->at->err);
    return st;
}

/* attributes[attr] = fields[the field named by the mapping key]. */
static revos_status attr_mapped(sf_record *r, const char *attr, const char *map_path)
{
    const char *field;
    revos_status st = revos_ingest_map_string(r->mapping, map_path, &field, r->at->err);
    return st == REVOS_OK ? attr_field(r, attr, field) : st;
}

/* ids[key] = fields[field] (string or integer id). */
static revos_status id_field(sf_record *r, const char *key, const char *field)
{
    if (field == NULL)
        return REVOS_OK;
    revos_ingest_text t;
    revos_status st = revos_ingest_id(r->at, r->fields, field, 0, &t);
    if (st == REVOS_OK)
        st = revos_ingest_set_id_text(r->event, key, &t, r->at->err);
    return st;
}

static revos_status fill_account(sf_record *r)
{
    revos_err *err = r->at->err;
    INGEST_TRY(revos_ingest_set_id(r->event, "salesforce_account", r->record_id, r->record_id_len, err));
    revos_ingest_text website;
    INGEST_TRY(revos_ingest_string(r->at, r->fields, "Website", 0, &website));
    INGEST_TRY(revos_ingest_set_domain_from_url(r->event, &website, err));
    INGEST_TRY(attr_field(r, "name", "Name"));
    INGEST_TRY(attr_mapped(r, "ae", "salesforce.account.ae_field"));
    INGEST_TRY(attr_mapped(r, "csm", "salesforce.account.csm_field"));
    INGEST_TRY(attr_mapped(r, "csm_lead", "salesforce.account.csm_lead_field"));
    INGEST_TRY(attr_mapped(r, "arr", "salesforce.account.arr_field"));
    INGEST_TRY(attr_mapped(r, "segment", "salesforce.account.segment_field"));
    INGEST_TRY(attr_mapped(r, "product_line", "salesforce.account.product_line_field"));
    return REVOS_OK;
}

/* A date field as "YYYY-MM-DD": CDC sends dates as epoch ms (midnight UTC),
 * CometD as "YYYY-MM-DD"; a date-time string is reduced to its UTC date. */
static revos_status attr_date(sf_record *r, const char *attr, const char *field)
{
    if (field == NULL)
        return REVOS_OK;
    const json_t *v = revos_ingest_get(r->fields, field);
    if (v == NULL)
        return REVOS_OK;
    int64_t ms;
    int ok;
    if (json_is_integer(v))
        ok = revos_ingest_time_from_epoch_int(json_integer_value(v), &ms) == 0;
    else if (json_is_real(v))
        ok = revos_ingest_time_from_epoch(json_real_value(v), &ms) == 0;
    else if (json_is_string(v))
        ok = revos_ingest_time_parse(json_string_value(v), json_string_length(v), &ms) == 0;
    else
        ok = 0;
    char date[11];
    if (!ok || revos_ingest_time_format_date(ms, date) != 0)
        return revos_ingest_expected(r->at, field, "a date (epoch ms or YYYY-MM-DD)");
    return revos_ingest_set_attr(r->event, attr, date, 10, r->at->err);
}

static revos_status fill_opportunity(sf_record *r)
{
    revos_err *err = r->at->err;
    INGEST_TRY(revos_ingest_set_id(r->event, "salesforce_opportunity", r->record_id, r->record_id_len,
                            err));
    INGEST_TRY(id_field(r, "salesforce_account", "AccountId"));
    INGEST_TRY(attr_mapped(r, "amount", "salesforce.opportunity.amount_field"));
    const char *field;
    INGEST_TRY(revos_ingest_map_string(r->mapping, "salesforce.opportunity.close_date_field", &field, err));
    INGEST_TRY(attr_date(r, "close_date", field));
    INGEST_TRY(attr_field(r, "stage", "StageName"));
    INGEST_TRY(attr_field(r, "is_closed", "IsClosed"));
    INGEST_TRY(attr_field(r, "is_won", "IsWon"));
    INGEST_TRY(attr_field(r, "type", "Type"));
    INGEST_TRY(attr_field(r, "name", "Name"));
    INGEST_TRY(attr_field(r, "owner", "OwnerId"));

    INGEST_TRY(revos_ingest_map_string(r->mapping, "salesforce.opportunity.renewal_field", &field, err));
    if (field != NULL) {
        revos_ingest_text t;
        INGEST_TRY(revos_ingest_scalar(r->at, r->fields, field, 0, &t));
        if (t.s != NULL) {
            int renewal;
            INGEST_TRY(revos_ingest_map_contains(r->mapping, "salesforce.opportunity.renewal_values", t.s,
                                          t.len, &renewal, err));
            const char *flag = renewal ? "true" : "false";
            INGEST_TRY(revos_ingest_set_attr(r->event, "renewal", flag, strlen(flag), err));
        }
    }
    return REVOS_OK;
}

static revos_status fill_contact_role(sf_record *r)
{
    revos_err *err = r->at->err;
    INGEST_TRY(id_field(r, "salesforce_opportunity", "OpportunityId"));
    INGEST_TRY(id_field(r, "salesforce_contact", "ContactId"));
    const char *field;
    INGEST_TRY(revos_ingest_map_string(r->mapping, "salesforce.contact_roles.account_field", &field, err));
    INGEST_TRY(id_field(r, "salesforce_account", field));
    /* CDC updates carry only the changed fields: the role's own id is what
     * lets normalize find the account of "Role changed" with no opportunity. */
    INGEST_TRY(revos_ingest_set_id(r->event, "salesforce_contact_role", r->record_id, r->record_id_len, err));
    INGEST_TRY(revos_ingest_set_attr(r->event, "contact_role_id", r->record_id, r->record_id_len, err));
    INGEST_TRY(attr_field(r, "is_primary", "IsPrimary"));

    revos_ingest_text role;
    INGEST_TRY(revos_ingest_scalar(r->at, r->fields, "Role", 0, &role));
    if (role.s != NULL) {
        int champion, buyer;
        INGEST_TRY(revos_ingest_set_attr_text(r->event, "role", &role, err));
        INGEST_TRY(revos_ingest_map_contains(r->mapping, "salesforce.contact_roles.champion", role.s,
                                      role.len, &champion, err));
        INGEST_TRY(revos_ingest_map_contains(r->mapping, "salesforce.contact_roles.economic_buyer", role.s,
                                      role.len, &buyer, err));
        const char *cls = champion ? "champion" : buyer ? "economic_buyer" : "other";
        INGEST_TRY(revos_ingest_set_attr(r->event, "role_class", cls, strlen(cls), err));
    }
    return REVOS_OK;
}

/* Name: the compound {FirstName, LastName} (or a plain string), else the
 * FirstName/LastName fields; "First Last" with whichever parts are there. */
static revos_status attr_person_name(sf_record *r)
{
    const json_t *name = revos_ingest_get(r->fields, "Name");
    if (json_is_string(name))
        return attr_field(r, "name", "Name");
    const json_t *parts = r->fields;
    const revos_ingest_at *at = r->at;
    char prefix[80];
    revos_ingest_at name_at;
    if (name != NULL) {
        if (!json_is_object(name))
            return revos_ingest_expected(at, "Name", "object (FirstName, LastName) or string");
        revos_ingest_at_sub(at, "Name", prefix, sizeof prefix, &name_at);
        parts = name;
        at = &name_at;
    }
    revos_ingest_text first, last;
    INGEST_TRY(revos_ingest_string(at, parts, "FirstName", 0, &first));
    INGEST_TRY(revos_ingest_string(at, parts, "LastName", 0, &last));
    if (first.s == NULL && last.s == NULL)
        return REVOS_OK;
    static const size_t cap = REVOS_INGEST_ATTR_MAX;
    char full[2 * REVOS_INGEST_ATTR_MAX + 2];
    size_t n = 0;
    if (first.s != NULL) {
        size_t k = first.len < cap ? first.len : cap;
        memcpy(full, first.s, k);
        n = k;
    }
    if (last.s != NULL) {
        size_t k = last.len < cap ? last.len : cap;
        if (n > 0)
            full[n++] = ' ';
        memcpy(full + n, last.s, k);
        n += k;
    }
    return revos_ingest_set_attr(r->event, "name", full, n, r->at->err);
}

static revos_status fill_contact(sf_record *r)
{
    revos_err *err = r->at->err;
    INGEST_TRY(revos_ingest_set_id(r->event, "salesforce_contact", r->record_id, r->record_id_len, err));
    INGEST_TRY(id_field(r, "salesforce_account", "AccountId"));
    revos_ingest_text email;
    INGEST_TRY(revos_ingest_string(r->at, r->fields, "Email", 0, &email));
    INGEST_TRY(revos_ingest_set_email(r->event, &email, err));
    INGEST_TRY(attr_person_name(r));
    INGEST_TRY(attr_field(r, "title", "Title"));
    return REVOS_OK;
}

typedef struct sf_entity {
    const char *name;
    const char *kind;
    revos_status (*fill)(sf_record *r);
} sf_entity;

static const sf_entity sf_entities[] = {
    {"Account", "crm.account", fill_account},
    {"Opportunity", "crm.opportunity", fill_opportunity},
    {"OpportunityContactRole", "crm.contact_role", fill_contact_role},
    {"Contact", "crm.contact", fill_contact},
};

static const sf_entity *entity_find(const char *name)
{
    for (size_t i = 0; i < sizeof sf_entities / sizeof sf_entities[0]; i++)
        if (strcmp(sf_entities[i].name, name) == 0)
            return &sf_entities[i];
    return NULL;
}

/* ==== Entry point ==== */

static revos_status event_id(const revos_ingest_at *at, const sf_header *h, const char *record_id,
                             char *buf)
{
    if (h->transaction_key != NULL && h->has_sequence)
        return revos_ingest_event_idf(at, buf, "sf:%s:%" JSON_INTEGER_FORMAT ":%s",
                                      h->transaction_key, h->sequence, record_id);
    if (h->has_commit_number)
        return revos_ingest_event_idf(at, buf, "sf:%s:%s:%" JSON_INTEGER_FORMAT, h->entity,
                                      record_id, h->commit_number);
    return revos_ingest_event_idf(at, buf, "sf:%s:%s:%lld", h->entity, record_id,
                                  (long long)h->commit_ms);
}

revos_status revos_ingest_salesforce(const json_t *mapping, const revos_raw_meta *meta,
                                     const json_t *root, json_t *out, revos_err *err)
{
    revos_ingest_at at = {"salesforce", "", err};
    const json_t *payload = root;
    revos_status st;
    if (json_object_get(root, "ChangeEventHeader") == NULL &&
        json_object_get(root, "data") != NULL) { /* CometD envelope */
        const json_t *data;
        if ((st = revos_ingest_object(&at, root, "data", 1, &data)) != REVOS_OK)
            return st;
        at.prefix = "data.";
        if ((st = revos_ingest_object(&at, data, "payload", 1, &payload)) != REVOS_OK)
            return st;
        at.prefix = "data.payload.";
    }

    sf_header h;
    if ((st = parse_header(&at, payload, &h)) != REVOS_OK)
        return st;

    int mapped;
    if ((st = revos_ingest_map_contains(mapping, "salesforce.entities", h.entity, strlen(h.entity),
                                        &mapped, err)) != REVOS_OK)
        return st;
    const sf_entity *entity = entity_find(h.entity);
    if (!mapped || entity == NULL)
        return REVOS_OK; /* ignored */

    size_t i;
    const json_t *id;
    json_array_foreach(h.record_ids, i, id) {
        char eid[REVOS_INGEST_EVENT_ID_MAX];
        const char *record_id = json_string_value(id);
        if ((st = event_id(&at, &h, record_id, eid)) != REVOS_OK)
            return st;
        json_t *event = revos_ingest_event_new(meta, eid, entity->kind, h.action, h.commit_ms);
        if (event == NULL)
            return revos_ingest_oom(err);
        sf_record r = {mapping, &at, payload, record_id, json_string_length(id), event};
        st = entity->fill(&r);
        if (st != REVOS_OK) {
            json_decref(event);
            return st;
        }
        if ((st = revos_ingest_append(out, event, err)) != REVOS_OK)
            return st;
    }
    return REVOS_OK;
}
