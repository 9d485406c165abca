/* mapping.c -- see mapping.h. The table below is the single statement of the
 * defaults; config/mapping.json spells the same values out for operators,
 * and a unit test checks the two agree. */
#include "ingest/mapping.h"

#include <stdio.h>
#include <string.h>

typedef enum map_type { MAP_FIELD, MAP_LIST, MAP_SIZE, MAP_TABLE } map_type;

typedef revos_status (*map_table_check)(const json_t *table, const char *path, revos_err *err);

typedef struct map_key {
    const char *path;
    map_type type;
    const char *field;         /* MAP_FIELD default; NULL = not read */
    const char *const *list;   /* MAP_LIST default, NULL-terminated */
    size_t size;               /* MAP_SIZE default */
    map_table_check check;     /* MAP_TABLE: checks the object (its default lives
                                * with the parser that reads it) */
} map_key;

static revos_status check_deal_stages(const json_t *table, const char *path, revos_err *err);
static revos_status check_debezium_tables(const json_t *table, const char *path, revos_err *err);

static const char *const default_entities[] = {"Account", "Opportunity", "OpportunityContactRole",
                                               "Contact", NULL};
static const char *const default_renewal_values[] = {"Renewal", "Existing Business", NULL};
static const char *const default_champion_roles[] = {"Champion", "Executive Sponsor", NULL};
static const char *const default_economic_buyer_roles[] = {"Economic Buyer", "Decision Maker",
                                                           "Economic Decision Maker", NULL};

static const char *const default_hubspot_renewal_values[] = {"existingbusiness", NULL};
static const char *const default_positive_trackers[] = {"Positive Sentiment", NULL};
static const char *const default_negative_trackers[] = {"Negative Sentiment", "Objections",
                                                        NULL};

static const map_key map_keys[] = {
    {"max_raw_bytes", MAP_SIZE, NULL, NULL, 1048576, NULL},
    {"salesforce.entities", MAP_LIST, NULL, default_entities, 0, NULL},
    {"salesforce.account.ae_field", MAP_FIELD, "OwnerId", NULL, 0, NULL},
    {"salesforce.account.csm_field", MAP_FIELD, "CSM__c", NULL, 0, NULL},
    {"salesforce.account.csm_lead_field", MAP_FIELD, "CSM_Lead__c", NULL, 0, NULL},
    {"salesforce.account.arr_field", MAP_FIELD, NULL, NULL, 0, NULL},
    {"salesforce.account.segment_field", MAP_FIELD, "Type", NULL, 0, NULL},
    {"salesforce.account.product_line_field", MAP_FIELD, "Product_Line__c", NULL, 0, NULL},
    {"salesforce.opportunity.amount_field", MAP_FIELD, "Amount", NULL, 0, NULL},
    {"salesforce.opportunity.close_date_field", MAP_FIELD, "CloseDate", NULL, 0, NULL},
    {"salesforce.opportunity.renewal_field", MAP_FIELD, "Type", NULL, 0, NULL},
    {"salesforce.opportunity.renewal_values", MAP_LIST, NULL, default_renewal_values, 0, NULL},
    {"salesforce.contact_roles.champion", MAP_LIST, NULL, default_champion_roles, 0, NULL},
    {"salesforce.contact_roles.economic_buyer", MAP_LIST, NULL, default_economic_buyer_roles, 0, NULL},
    {"salesforce.contact_roles.account_field", MAP_FIELD, "AccountId", NULL, 0, NULL},
    {"segment.group_property", MAP_FIELD, "groupId", NULL, 0, NULL},
    {"segment.account_property", MAP_FIELD, "salesforce_account_id", NULL, 0, NULL},
    {"segment.quantity_property", MAP_FIELD, "quantity", NULL, 0, NULL},
    {"segment.group_account_trait", MAP_FIELD, "salesforce_account_id", NULL, 0, NULL},
    {"nps.account_property", MAP_FIELD, "salesforce_account_id", NULL, 0, NULL},
    {"hubspot.max_batch_events", MAP_SIZE, NULL, NULL, 1000, NULL},
    {"hubspot.company.salesforce_account_property", MAP_FIELD, "salesforceaccountid", NULL, 0, NULL},
    {"hubspot.company.domain_property", MAP_FIELD, "domain", NULL, 0, NULL},
    {"hubspot.company.name_property", MAP_FIELD, "name", NULL, 0, NULL},
    {"hubspot.company.ae_property", MAP_FIELD, "hubspot_owner_id", NULL, 0, NULL},
    {"hubspot.company.arr_property", MAP_FIELD, NULL, NULL, 0, NULL},
    {"hubspot.deal.stage_property", MAP_FIELD, "dealstage", NULL, 0, NULL},
    {"hubspot.deal.amount_property", MAP_FIELD, "amount", NULL, 0, NULL},
    {"hubspot.deal.close_date_property", MAP_FIELD, "closedate", NULL, 0, NULL},
    {"hubspot.deal.name_property", MAP_FIELD, "dealname", NULL, 0, NULL},
    {"hubspot.deal.owner_property", MAP_FIELD, "hubspot_owner_id", NULL, 0, NULL},
    {"hubspot.deal.renewal_property", MAP_FIELD, "dealtype", NULL, 0, NULL},
    {"hubspot.deal.renewal_values", MAP_LIST, NULL, default_hubspot_renewal_values, 0, NULL},
    {"hubspot.deal_stages", MAP_TABLE, NULL, NULL, 0, check_deal_stages},
    {"hubspot.contact.email_property", MAP_FIELD, "email", NULL, 0, NULL},
    {"hubspot.contact.title_property", MAP_FIELD, "jobtitle", NULL, 0, NULL},
    {"debezium.tables", MAP_TABLE, NULL, NULL, 0, check_debezium_tables},
    {"intercom.account_attribute", MAP_FIELD, "salesforce_account_id", NULL, 0, NULL},
    {"conversation.competitors", MAP_LIST, NULL, NULL, 0, NULL},
    {"conversation.positive_trackers", MAP_LIST, NULL, default_positive_trackers, 0, NULL},
    {"conversation.negative_trackers", MAP_LIST, NULL, default_negative_trackers, 0, NULL},
    {"conversation.max_parties", MAP_SIZE, NULL, NULL, 500, NULL},
};

#define MAP_KEYS (sizeof map_keys / sizeof map_keys[0])
#define PATH_MAX_LEN 128

static revos_status mapping_error(revos_err *err, const char *path, const char *what)
{
    if (err != NULL)
        snprintf(err->cls, sizeof err->cls, "mapping");
    return revos_fail(err, REVOS_ERR_FATAL, "mapping: %s: %s", path, what);
}

static const map_key *key_find(const char *path)
{
    for (size_t i = 0; i < MAP_KEYS; i++)
        if (strcmp(map_keys[i].path, path) == 0)
            return &map_keys[i];
    return NULL;
}

/* Walks the dotted path. *value = NULL when some part is absent (or the leaf
 * is null: *is_null says which). An intermediate that is not an object is an
 * error. */
static revos_status lookup(const json_t *mapping, const char *path, const json_t **value,
                           int *is_null, revos_err *err)
{
    *value = NULL;
    *is_null = 0;
    if (mapping == NULL)
        return REVOS_OK;
    if (!json_is_object(mapping))
        return mapping_error(err, "(document)", "expected object");
    const json_t *node = mapping;
    const char *p = path;
    char part[PATH_MAX_LEN];
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        size_t plen = dot ? (size_t)(dot - p) : strlen(p);
        if (plen >= sizeof part || n >= sizeof part)
            return mapping_error(err, path, "path too long");
        memcpy(part, p, plen);
        part[plen] = '\0';
        node = json_object_get(node, part);
        if (node == NULL)
            return REVOS_OK;
        if (dot == NULL)
            break;
        if (json_is_null(node))
            return REVOS_OK;
        if (!json_is_object(node)) {
            char prefix[PATH_MAX_LEN];
            snprintf(prefix, sizeof prefix, "%.*s", (int)n, path);
            return mapping_error(err, prefix, "expected object");
        }
        p = dot + 1;
    }
    if (json_is_null(node))
        *is_null = 1;
    else
        *value = node;
    return REVOS_OK;
}

static revos_status check_field(const json_t *v, const char *path, revos_err *err)
{
    if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0))
        return mapping_error(err, path, "expected a field name (non-empty string) or null");
    return REVOS_OK;
}

static revos_status check_list(const json_t *v, const char *path, revos_err *err)
{
    if (v == NULL)
        return REVOS_OK;
    if (!json_is_array(v))
        return mapping_error(err, path, "expected array of strings");
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return mapping_error(err, path, "expected array of strings");
    }
    return REVOS_OK;
}

static revos_status check_size(const json_t *v, const char *path, revos_err *err)
{
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) <= 0))
        return mapping_error(err, path, "expected a positive integer");
    return REVOS_OK;
}

revos_status revos_ingest_map_string(const json_t *mapping, const char *path, const char **out,
                                     revos_err *err)
{
    const map_key *key = key_find(path);
    const json_t *v;
    int is_null;
    *out = NULL;
    if (key == NULL || key->type != MAP_FIELD)
        return mapping_error(err, path, "not a field-name key (bug)");
    revos_status st = lookup(mapping, path, &v, &is_null, err);
    if (st == REVOS_OK)
        st = check_field(v, path, err);
    if (st != REVOS_OK)
        return st;
    if (v != NULL)
        *out = json_string_value(v);
    else if (!is_null)
        *out = key->field;
    return REVOS_OK;
}

revos_status revos_ingest_map_contains(const json_t *mapping, const char *path, const char *value,
                                       size_t len, int *found, revos_err *err)
{
    const map_key *key = key_find(path);
    const json_t *v;
    int is_null;
    *found = 0;
    if (key == NULL || key->type != MAP_LIST)
        return mapping_error(err, path, "not a list key (bug)");
    revos_status st = lookup(mapping, path, &v, &is_null, err);
    if (st == REVOS_OK)
        st = check_list(v, path, err);
    if (st != REVOS_OK || value == NULL || is_null)
        return st;
    if (v != NULL) {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item) {
            if (json_string_length(item) == len && memcmp(json_string_value(item), value, len) == 0) {
                *found = 1;
                break;
            }
        }
        return REVOS_OK;
    }
    for (const char *const *d = key->list; d != NULL && *d != NULL; d++) {
        if (strlen(*d) == len && memcmp(*d, value, len) == 0) {
            *found = 1;
            break;
        }
    }
    return REVOS_OK;
}

revos_status revos_ingest_map_size(const json_t *mapping, const char *path, size_t *out,
                                   revos_err *err)
{
    const map_key *key = key_find(path);
    const json_t *v;
    int is_null;
    if (key == NULL || key->type != MAP_SIZE)
        return mapping_error(err, path, "not a size key (bug)");
    *out = key->size;
    revos_status st = lookup(mapping, path, &v, &is_null, err);
    if (st == REVOS_OK)
        st = check_size(v, path, err);
    if (st == REVOS_OK && v != NULL)
        *out = (size_t)json_integer_value(v);
    return st;
}

revos_status revos_ingest_map_list(const json_t *mapping, const char *path, const char **items,
                                   size_t max, size_t *n, revos_err *err)
{
    const map_key *key = key_find(path);
    const json_t *v;
    int is_null;
    *n = 0;
    if (key == NULL || key->type != MAP_LIST)
        return mapping_error(err, path, "not a list key (bug)");
    revos_status st = lookup(mapping, path, &v, &is_null, err);
    if (st == REVOS_OK)
        st = check_list(v, path, err);
    if (st != REVOS_OK || is_null)
        return st;
    if (v != NULL) {
        if (json_array_size(v) > max)
            return mapping_error(err, path, "too many entries");
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item) items[(*n)++] = json_string_value(item);
        return REVOS_OK;
    }
    for (const char *const *d = key->list; d != NULL && *d != NULL; d++) {
        if (*n == max)
            return mapping_error(err, path, "too many entries (bug)");
        items[(*n)++] = *d;
    }
    return REVOS_OK;
}

revos_status revos_ingest_map_table(const json_t *mapping, const char *path, const json_t **out,
                                    revos_err *err)
{
    const map_key *key = key_find(path);
    const json_t *v;
    int is_null;
    *out = NULL;
    if (key == NULL || key->type != MAP_TABLE)
        return mapping_error(err, path, "not a table key (bug)");
    revos_status st = lookup(mapping, path, &v, &is_null, err);
    if (st == REVOS_OK && v != NULL)
        st = key->check(v, path, err);
    if (st == REVOS_OK)
        *out = v;
    return st;
}

/* ==== Tables ==== */

/* hubspot.deal_stages: {"<stage id>": {"stage": "Closed Won", "is_closed": true,
 * "is_won": true}, ...}; is_closed and is_won are optional booleans. */
static revos_status check_deal_stages(const json_t *table, const char *path, revos_err *err)
{
    if (!json_is_object(table))
        return mapping_error(err, path, "expected object of stage id -> {stage, is_closed, is_won}");
    const char *id;
    const json_t *v;
    json_object_foreach((json_t *)table, id, v) {
        if (id[0] == '_')
            continue;
        char at[PATH_MAX_LEN];
        snprintf(at, sizeof at, "%s.%s", path, id);
        const json_t *stage = json_object_get(v, "stage");
        if (!json_is_object(v) || !json_is_string(stage) || json_string_length(stage) == 0)
            return mapping_error(err, at, "expected {\"stage\": name, ...}");
        static const char *const flags[] = {"is_closed", "is_won"};
        for (size_t i = 0; i < 2; i++) {
            const json_t *flag = json_object_get(v, flags[i]);
            if (flag != NULL && !json_is_boolean(flag))
                return mapping_error(err, at, "is_closed and is_won must be booleans");
        }
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (strcmp(k, "stage") != 0 && strcmp(k, "is_closed") != 0 &&
                strcmp(k, "is_won") != 0 && k[0] != '_')
                return mapping_error(err, at, "unknown key (stage, is_closed, is_won)");
        }
    }
    return REVOS_OK;
}

/* debezium.tables: {"<schema>.<table>": {"entity": "account" | "opportunity" |
 * "contact" | "contact_role", "key": ["col", ...], "columns": {"<fact>": "col"}}}.
 * The facts each entity reads are listed in debezium.c; this checks shapes. */
static revos_status check_debezium_tables(const json_t *table, const char *path, revos_err *err)
{
    static const char *const entities[] = {"account", "opportunity", "contact", "contact_role",
                                           NULL};
    if (!json_is_object(table))
        return mapping_error(err, path, "expected object of \"schema.table\" -> table mapping");
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)table, name, v) {
        if (name[0] == '_')
            continue;
        char at[PATH_MAX_LEN];
        snprintf(at, sizeof at, "%s.%s", path, name);
        if (!json_is_object(v))
            return mapping_error(err, at, "expected object");
        const char *entity = json_string_value(json_object_get(v, "entity"));
        int known = 0;
        for (size_t i = 0; entity != NULL && entities[i] != NULL; i++)
            known |= strcmp(entities[i], entity) == 0;
        if (!known)
            return mapping_error(err, at,
                                 "entity: expected account, opportunity, contact or contact_role");
        const json_t *key = json_object_get(v, "key");
        if (!json_is_array(key) || json_array_size(key) == 0 || json_array_size(key) > 8)
            return mapping_error(err, at, "key: expected 1 to 8 column names");
        size_t i;
        const json_t *col;
        json_array_foreach(key, i, col) {
            if (!json_is_string(col) || json_string_length(col) == 0)
                return mapping_error(err, at, "key: expected 1 to 8 column names");
        }
        const json_t *columns = json_object_get(v, "columns");
        if (columns != NULL && !json_is_object(columns))
            return mapping_error(err, at, "columns: expected object of fact -> column");
        const char *fact;
        json_object_foreach((json_t *)columns, fact, col) {
            if (fact[0] != '_' && !json_is_null(col) &&
                (!json_is_string(col) || json_string_length(col) == 0))
                return mapping_error(err, at, "columns: expected column names (or null)");
        }
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (strcmp(k, "entity") != 0 && strcmp(k, "key") != 0 && strcmp(k, "columns") != 0 &&
                k[0] != '_')
                return mapping_error(err, at, "unknown key (entity, key, columns)");
        }
    }
    return REVOS_OK;
}

/* ==== Whole-document check ==== */

/* Whether some key lives under prefix ("salesforce.account"). */
static int is_section(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < MAP_KEYS; i++)
        if (strncmp(map_keys[i].path, prefix, n) == 0 && map_keys[i].path[n] == '.')
            return 1;
    return 0;
}

static revos_status check_object(const json_t *obj, const char *prefix, revos_err *err)
{
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)obj, name, v) {
        if (name[0] == '_')
            continue;
        char path[PATH_MAX_LEN];
        int n = snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", name);
        if (n < 0 || (size_t)n >= sizeof path)
            return mapping_error(err, prefix, "key too long");
        const map_key *key = key_find(path);
        revos_status st = REVOS_OK;
        if (key != NULL) {
            const json_t *leaf = json_is_null(v) ? NULL : v;
            if (key->type == MAP_FIELD)
                st = check_field(leaf, path, err);
            else if (key->type == MAP_LIST)
                st = check_list(leaf, path, err);
            else if (key->type == MAP_TABLE)
                st = leaf != NULL ? key->check(leaf, path, err) : REVOS_OK;
            else
                st = check_size(leaf, path, err);
        } else if (is_section(path)) {
            if (json_is_object(v))
                st = check_object(v, path, err);
            else if (!json_is_null(v))
                st = mapping_error(err, path, "expected object");
        } else if (prefix[0] != '\0') {
            st = mapping_error(err, path, "unknown key");
        }
        if (st != REVOS_OK)
            return st;
    }
    return REVOS_OK;
}

revos_status revos_ingest_mapping_check(const json_t *mapping, revos_err *err)
{
    if (mapping == NULL)
        return REVOS_OK;
    if (!json_is_object(mapping))
        return mapping_error(err, "(document)", "expected object");
    return check_object(mapping, "", err);
}
