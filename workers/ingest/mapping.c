/* mapping.c -- see mapping.h. The table below is the single statement of the
 * defaults; config/mapping.json spells the same values out for operators,
 * and a unit test checks the two agree. */
#include "ingest/mapping.h"

#include <stdio.h>
#include <string.h>

typedef enum map_type { MAP_FIELD, MAP_LIST, MAP_SIZE } map_type;

typedef struct map_key {
    const char *path;
    map_type type;
    const char *field;         /* MAP_FIELD default; NULL = not read */
    const char *const *list;   /* MAP_LIST default, NULL-terminated */
    size_t size;               /* MAP_SIZE default */
} map_key;

static const char *const default_entities[] = {"Account", "Opportunity", "OpportunityContactRole",
                                               "Contact", NULL};
static const char *const default_renewal_values[] = {"Renewal", "Existing Business", NULL};
static const char *const default_champion_roles[] = {"Champion", "Executive Sponsor", NULL};
static const char *const default_economic_buyer_roles[] = {"Economic Buyer", "Decision Maker",
                                                           "Economic Decision Maker", NULL};

static const map_key map_keys[] = {
    {"max_raw_bytes", MAP_SIZE, NULL, NULL, 1048576},
    {"salesforce.entities", MAP_LIST, NULL, default_entities, 0},
    {"salesforce.account.ae_field", MAP_FIELD, "OwnerId", NULL, 0},
    {"salesforce.account.csm_field", MAP_FIELD, "CSM__c", NULL, 0},
    {"salesforce.account.csm_lead_field", MAP_FIELD, "CSM_Lead__c", NULL, 0},
    {"salesforce.account.arr_field", MAP_FIELD, NULL, NULL, 0},
    {"salesforce.account.segment_field", MAP_FIELD, "Type", NULL, 0},
    {"salesforce.opportunity.amount_field", MAP_FIELD, "Amount", NULL, 0},
    {"salesforce.opportunity.close_date_field", MAP_FIELD, "CloseDate", NULL, 0},
    {"salesforce.opportunity.renewal_field", MAP_FIELD, "Type", NULL, 0},
    {"salesforce.opportunity.renewal_values", MAP_LIST, NULL, default_renewal_values, 0},
    {"salesforce.contact_roles.champion", MAP_LIST, NULL, default_champion_roles, 0},
    {"salesforce.contact_roles.economic_buyer", MAP_LIST, NULL, default_economic_buyer_roles, 0},
    {"salesforce.contact_roles.account_field", MAP_FIELD, "AccountId", NULL, 0},
    {"segment.group_property", MAP_FIELD, "groupId", NULL, 0},
    {"segment.account_property", MAP_FIELD, "salesforce_account_id", NULL, 0},
    {"segment.quantity_property", MAP_FIELD, "quantity", NULL, 0},
    {"segment.group_account_trait", MAP_FIELD, "salesforce_account_id", NULL, 0},
    {"nps.account_property", MAP_FIELD, "salesforce_account_id", NULL, 0},
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
    for (const char *const *d = key->list; *d != NULL; d++) {
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
