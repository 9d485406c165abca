/* handoff.c -- account handoff events -> SourceEvents.
 *
 * No provider owns this format: a handoff is recorded by whatever tool runs
 * it (a CRM flow, a form, a workflow webhook). revos reads one JSON object:
 *     {"handoff_id": "ho-8812", "type": "ae_to_csm", "status": "completed",
 *      "occurred_at": "2024-09-30T17:00:00Z",
 *      "account": {"salesforce_account_id": "001...", "hubspot_company_id": "...",
 *                  "domain": "..."},
 *      "opportunity_id": "006...",
 *      "from": {"role": "ae", "email": "..."}, "to": {"role": "csm", "email": "..."},
 *      "fields": {"buying_criteria": "...", "champion_map": [...], "procurement_timeline": "...",
 *                 "known_risks": [...], "open_commitments": [...], "related_signals": [...]}}
 *
 * type: ae_to_csm (at close), csm_to_support (on escalation), sdr_to_ae (on a
 * qualified lead). status: initiated, accepted, completed, rejected.
 *
 *   handoff.event   ids: salesforce_account, hubspot_company, domain,
 *                        salesforce_opportunity (each when given)
 *                   attributes: handoff_id, type, status, from_role, from, to_role,
 *                               to, provided_fields
 * provided_fields is the comma-joined, sorted names of the fields that carry
 * something (not null, "", [] or {}). Which fields a type requires is
 * governance, not parsing: revos-normalize compares provided_fields with
 * the required fields of config/signals.json and raises
 * handoff_governance_violation for a completed handoff that lacks some.
 *
 * event_id is "handoff:<handoff_id>:<status>" (each transition once).
 * Bounds: at most 64 fields, names of [a-z0-9_] up to 64 bytes. */
#include <stdlib.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/sources.h"

#define HO_FIELDS_MAX 64
#define HO_FIELD_NAME_MAX 64

static int in(const char *const *list, const revos_ingest_text *t)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strlen(list[i]) == t->len && memcmp(list[i], t->s, t->len) == 0)
            return 1;
    return 0;
}

static int carries_something(const json_t *v)
{
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return 1;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static revos_status provided_fields(const revos_ingest_at *at, const json_t *root, json_t *event)
{
    const json_t *fields;
    INGEST_TRY(revos_ingest_object(at, root, "fields", 0, &fields));
    if (json_object_size(fields) > HO_FIELDS_MAX)
        return revos_reject(at->err, "validation", "handoff: fields: %zu entries is above %d",
                            json_object_size(fields), HO_FIELDS_MAX);
    const char *names[HO_FIELDS_MAX];
    size_t n = 0;
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)fields, name, v) {
        size_t len = strlen(name);
        if (len == 0 || len > HO_FIELD_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
            return revos_reject(at->err, "validation",
                                "handoff: fields: names must be 1-64 of [a-z0-9_], got '%.64s'", name);
        if (carries_something(v))
            names[n++] = name;
    }
    qsort(names, n, sizeof names[0], compare_names);
    char joined[HO_FIELDS_MAX * (HO_FIELD_NAME_MAX + 1) + 1];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(names[i]);
        if (i > 0)
            joined[len++] = ',';
        memcpy(joined + len, names[i], k);
        len += k;
    }
    return revos_ingest_set_attr(event, "provided_fields", joined, len, at->err);
}

static revos_status party(const revos_ingest_at *at, const json_t *root, const char *key,
                          json_t *event)
{
    const json_t *obj;
    INGEST_TRY(revos_ingest_object(at, root, key, 0, &obj));
    char prefix[16], attr[16];
    revos_ingest_at sub;
    revos_ingest_at_sub(at, key, prefix, sizeof prefix, &sub);
    revos_ingest_text role, email;
    INGEST_TRY(revos_ingest_string(&sub, obj, "role", 0, &role));
    INGEST_TRY(revos_ingest_string(&sub, obj, "email", 0, &email));
    if (role.s != NULL && role.len > 32)
        return revos_ingest_expected(&sub, "role", "a role of at most 32 bytes");
    memcpy(attr, key, strlen(key) + 1);
    strcat(attr, "_role");
    INGEST_TRY(revos_ingest_set_attr_text(event, attr, &role, at->err));
    return revos_ingest_set_attr_text(event, key, &email, at->err);
}

revos_status revos_ingest_handoff(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err)
{
    (void)mapping;
    static const char *const types[] = {"ae_to_csm", "csm_to_support", "sdr_to_ae", NULL};
    static const char *const statuses[] = {"initiated", "accepted", "completed", "rejected", NULL};
    revos_ingest_at at = {"handoff", "", err};
    revos_ingest_text id, type, status;
    int64_t occurred_at;
    INGEST_TRY(revos_ingest_id(&at, root, "handoff_id", 1, &id));
    INGEST_TRY(revos_ingest_string(&at, root, "type", 1, &type));
    if (!in(types, &type))
        return revos_ingest_expected(&at, "type", "ae_to_csm, csm_to_support or sdr_to_ae");
    INGEST_TRY(revos_ingest_string(&at, root, "status", 1, &status));
    if (!in(statuses, &status))
        return revos_ingest_expected(&at, "status", "initiated, accepted, completed or rejected");
    INGEST_TRY(revos_ingest_time(&at, root, "occurred_at", 1, &occurred_at, NULL));

    const json_t *account;
    char account_prefix[16];
    revos_ingest_at account_at;
    INGEST_TRY(revos_ingest_object(&at, root, "account", 1, &account));
    revos_ingest_at_sub(&at, "account", account_prefix, sizeof account_prefix, &account_at);

    char event_id[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_event_idf(&at, event_id, "handoff:%s:%s", id.s, status.s));
    json_t *event = revos_ingest_event_new(meta, event_id, "handoff.event",
                                           strcmp(status.s, "initiated") == 0 ? "create" : "update",
                                           occurred_at);
    if (event == NULL)
        return revos_ingest_oom(err);

    revos_status st = REVOS_OK;
    static const char *const account_ids[][2] = {{"salesforce_account_id", "salesforce_account"},
                                                 {"hubspot_company_id", "hubspot_company"}};
    revos_ingest_text t;
    for (size_t i = 0; st == REVOS_OK && i < 2; i++) {
        st = revos_ingest_id(&account_at, account, account_ids[i][0], 0, &t);
        if (st == REVOS_OK)
            st = revos_ingest_set_id_text(event, account_ids[i][1], &t, err);
    }
    if (st == REVOS_OK)
        st = revos_ingest_string(&account_at, account, "domain", 0, &t);
    if (st == REVOS_OK)
        st = revos_ingest_set_domain_from_url(event, &t, err);
    if (st == REVOS_OK && json_object_size(json_object_get(event, "ids")) == 0)
        st = revos_reject(err, "validation",
                          "handoff: account: needs salesforce_account_id, hubspot_company_id or "
                          "domain");
    if (st == REVOS_OK)
        st = revos_ingest_id(&at, root, "opportunity_id", 0, &t);
    if (st == REVOS_OK)
        st = revos_ingest_set_id_text(event, "salesforce_opportunity", &t, err);
    if (st == REVOS_OK)
        st = revos_ingest_set_attr_text(event, "handoff_id", &id, err);
    if (st == REVOS_OK)
        st = revos_ingest_set_attr_text(event, "type", &type, err);
    if (st == REVOS_OK)
        st = revos_ingest_set_attr_text(event, "status", &status, err);
    if (st == REVOS_OK)
        st = party(&at, root, "from", event);
    if (st == REVOS_OK)
        st = party(&at, root, "to", event);
    if (st == REVOS_OK)
        st = provided_fields(&at, root, event);
    if (st != REVOS_OK) {
        json_decref(event);
        return st;
    }
    return revos_ingest_append(out, event, err);
}
