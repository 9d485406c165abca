/* identity.c -- id normalization, the batch-local identity map, and the link
 * and resolution rules of identity.h. */
#include "normalize/identity.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ==== Keys ==== */

void revos_norm_keys_free(revos_norm_keys *keys)
{
    for (size_t i = 0; i < keys->n; i++)
        free(keys->items[i].value);
    free(keys->items);
    keys->items = NULL;
    keys->n = keys->cap = 0;
}

/* Appends without looking for duplicates. */
static int keys_push(revos_norm_keys *keys, const char *kind, const char *value)
{
    if (keys->n == keys->cap) {
        size_t cap = keys->cap ? keys->cap * 2 : 8;
        revos_norm_key *items = realloc(keys->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        keys->items = items;
        keys->cap = cap;
    }
    char *copy = strdup(value);
    if (copy == NULL)
        return -1;
    keys->items[keys->n].kind = kind;
    keys->items[keys->n].value = copy;
    keys->n++;
    return 0;
}

int revos_norm_keys_add(revos_norm_keys *keys, const char *kind, const char *value)
{
    for (size_t i = 0; i < keys->n; i++)
        if (strcmp(keys->items[i].kind, kind) == 0 && strcmp(keys->items[i].value, value) == 0)
            return 0;
    return keys_push(keys, kind, value);
}

/* ==== Normalization ==== */

static char *trimmed_copy(const char *raw)
{
    while (isspace((unsigned char)*raw))
        raw++;
    size_t n = strlen(raw);
    while (n > 0 && isspace((unsigned char)raw[n - 1]))
        n--;
    if (n == 0)
        return NULL;
    return strndup(raw, n);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

char *revos_norm_sfid18(const char *id)
{
    size_t n = strlen(id);
    int alnum = n == 15;
    for (size_t i = 0; alnum && i < n; i++)
        alnum = isalnum((unsigned char)id[i]) != 0;
    if (!alnum)
        return strdup(id);
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    char *out = malloc(19);
    if (out == NULL)
        return NULL;
    memcpy(out, id, 15);
    for (int chunk = 0; chunk < 3; chunk++) {
        int bits = 0;
        for (int i = 0; i < 5; i++) {
            char c = id[chunk * 5 + i];
            if (c >= 'A' && c <= 'Z')
                bits |= 1 << i;
        }
        out[15 + chunk] = alphabet[bits];
    }
    out[18] = '\0';
    return out;
}

/* "https://WWW.Lincoln.k12.ca.us:443/about" -> "lincoln.k12.ca.us" */
static char *normalize_domain(const char *raw)
{
    char *s = trimmed_copy(raw);
    if (s == NULL)
        return NULL;
    lower(s);
    char *start = s;
    char *scheme = strstr(start, "://");
    if (scheme != NULL)
        start = scheme + 3;
    char *at = strrchr(start, '@'); /* user@host */
    if (at != NULL)
        start = at + 1;
    start[strcspn(start, "/:?#")] = '\0';
    if (strncmp(start, "www.", 4) == 0)
        start += 4;
    size_t n = strlen(start);
    while (n > 0 && start[n - 1] == '.')
        start[--n] = '\0';
    if (n == 0) {
        free(s);
        return NULL;
    }
    memmove(s, start, n + 1);
    return s;
}

char *revos_norm_id_value(const char *id_key, const char *raw)
{
    if (raw == NULL)
        return NULL;
    if (strcmp(id_key, "domain") == 0)
        return normalize_domain(raw);
    char *s = trimmed_copy(raw);
    if (s == NULL)
        return NULL;
    if (strcmp(id_key, "email") == 0) {
        lower(s);
    } else if (strncmp(id_key, "salesforce_", 11) == 0) {
        char *id18 = revos_norm_sfid18(s);
        free(s);
        s = id18;
    }
    return s;
}

/* ==== Reading an event ==== */

typedef struct event_ids {
    const char *event_id;
    const char *kind;
    char *sf_account, *sf_opportunity, *sf_contact, *sf_contact_role;
    char *zd_org, *zd_external; /* zd_external: as a Salesforce Account Id */
    char *seg_group, *seg_user, *email, *email_domain, *domain;
    char *hs_company, *hs_deal, *hs_contact;
    char *db_account, *db_opportunity, *db_contact, *db_contact_role;
    char *ic_company, *ic_contact, *ic_external; /* ic_external: as a Salesforce Account Id */
    int renewal_attr; /* -1 absent, 0 false, 1 true */
    int association_removed; /* a HubSpot associationChange that removes the link */
} event_ids;

static const char *raw_id(const json_t *event, const char *key)
{
    const json_t *v = json_object_get(json_object_get(event, "ids"), key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void event_ids_free(event_ids *ids)
{
    char **all[] = {&ids->sf_account, &ids->sf_opportunity, &ids->sf_contact, &ids->sf_contact_role, &ids->zd_org,
                    &ids->zd_external, &ids->seg_group, &ids->seg_user, &ids->email,
                    &ids->email_domain, &ids->domain, &ids->hs_company, &ids->hs_deal,
                    &ids->hs_contact, &ids->db_account, &ids->db_opportunity, &ids->db_contact,
                    &ids->db_contact_role, &ids->ic_company, &ids->ic_contact, &ids->ic_external};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
}

/* Returns 0, -1 on OOM (ids freed). */
static int event_ids_read(const json_t *event, event_ids *ids)
{
    memset(ids, 0, sizeof *ids);
    ids->event_id = json_string_value(json_object_get(event, "event_id"));
    ids->kind = json_string_value(json_object_get(event, "kind"));
    if (ids->event_id == NULL)
        ids->event_id = "";
    if (ids->kind == NULL)
        ids->kind = "";
    struct {
        const char *key;
        char **dst;
    } fields[] = {{"salesforce_account", &ids->sf_account},
                  {"salesforce_opportunity", &ids->sf_opportunity},
                  {"salesforce_contact", &ids->sf_contact},
                  {"salesforce_contact_role", &ids->sf_contact_role},
                  {"zendesk_org", &ids->zd_org},
                  {"segment_group", &ids->seg_group},
                  {"segment_user", &ids->seg_user},
                  {"email", &ids->email},
                  {"domain", &ids->domain},
                  {"hubspot_company", &ids->hs_company},
                  {"hubspot_deal", &ids->hs_deal},
                  {"hubspot_contact", &ids->hs_contact},
                  {"db_account", &ids->db_account},
                  {"db_opportunity", &ids->db_opportunity},
                  {"db_contact", &ids->db_contact},
                  {"db_contact_role", &ids->db_contact_role},
                  {"intercom_company", &ids->ic_company},
                  {"intercom_contact", &ids->ic_contact}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *raw = raw_id(event, fields[i].key);
        if (raw == NULL)
            continue;
        *fields[i].dst = revos_norm_id_value(fields[i].key, raw);
        if (*fields[i].dst == NULL && strspn(raw, " \t\r\n") != strlen(raw))
            goto oom; /* a non-blank value can only vanish by OOM */
    }
    const struct {
        const char *key;
        char **dst;
    } externals[] = {{"zendesk_org_external", &ids->zd_external},
                     {"intercom_company_external", &ids->ic_external}};
    for (size_t i = 0; i < 2; i++) {
        const char *ext = raw_id(event, externals[i].key);
        char *t = ext != NULL ? trimmed_copy(ext) : NULL;
        if (t == NULL)
            continue;
        const char *sfid = strncmp(t, "acct-", 5) == 0 ? t + 5 : t;
        *externals[i].dst = *sfid ? revos_norm_sfid18(sfid) : NULL;
        int lost = *sfid && *externals[i].dst == NULL;
        free(t);
        if (lost)
            goto oom;
    }
    if (ids->email != NULL) {
        const char *at = strrchr(ids->email, '@');
        if (at != NULL && at[1] != '\0') {
            ids->email_domain = normalize_domain(at + 1);
            if (ids->email_domain == NULL && strspn(at + 1, ".") != strlen(at + 1))
                goto oom;
        }
    }
    const json_t *removed =
        json_object_get(json_object_get(event, "attributes"), "association_removed");
    ids->association_removed = json_is_string(removed) && strcmp(json_string_value(removed), "true") == 0;
    const json_t *renewal = json_object_get(json_object_get(event, "attributes"), "renewal");
    ids->renewal_attr = -1;
    if (json_is_string(renewal) && json_string_length(renewal) > 0) {
        const char *r = json_string_value(renewal);
        ids->renewal_attr = strcasecmp(r, "true") == 0 || strcmp(r, "1") == 0;
    }
    return 0;
oom:
    event_ids_free(ids);
    return -1;
}

static char *account_of_sfid(const char *sf_account)
{
    size_t n = strlen(sf_account) + 6;
    char *out = malloc(n);
    if (out != NULL) {
        memcpy(out, "acct-", 5);
        memcpy(out + 5, sf_account, n - 5);
    }
    return out;
}

/* The value an opportunity's renewal memory is kept under: its Salesforce
 * id as is (the links written before other CRMs existed), else
 * "hubspot:<deal>" or "db:<row key>". malloc'd, NULL when it has none (or OOM). */
static char *renewal_memory_key(const event_ids *ids)
{
    const char *prefix = "", *id = ids->sf_opportunity;
    if (id == NULL && ids->hs_deal != NULL)
        prefix = "hubspot:", id = ids->hs_deal;
    if (id == NULL && ids->db_opportunity != NULL)
        prefix = "db:", id = ids->db_opportunity;
    if (id == NULL)
        return NULL;
    size_t n = strlen(prefix) + strlen(id) + 1;
    char *out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "%s%s", prefix, id);
    return out;
}

/* An account of its own for a company only one system knows:
 * "acct-hubspot-<company>", "acct-db-<row key>". malloc'd. */
static char *own_account(const char *system, const char *id)
{
    size_t n = strlen(system) + strlen(id) + 7;
    char *out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "acct-%s-%s", system, id);
    return out;
}

/* Resolution keys from parsed ids (see identity.h for the order). */
static int keys_of(const event_ids *ids, revos_norm_keys *keys)
{
    int rc = 0;
    if (strcmp(ids->kind, "usage.group") == 0) {
        if (ids->sf_account != NULL)
            return revos_norm_keys_add(keys, "salesforce_account", ids->sf_account);
        if (ids->seg_group != NULL)
            rc |= revos_norm_keys_add(keys, "segment_group", ids->seg_group);
        if (ids->domain != NULL)
            rc |= revos_norm_keys_add(keys, "domain", ids->domain);
        return rc ? -1 : 0;
    }
    const struct {
        const char *kind;
        const char *value;
    } order[] = {{"salesforce_account", ids->sf_account},
                 {"salesforce_opportunity", ids->sf_opportunity},
                 {"salesforce_contact", ids->sf_contact},
                 {"salesforce_contact_role", ids->sf_contact_role},
                 {"hubspot_company", ids->hs_company},
                 {"hubspot_deal", ids->hs_deal},
                 {"hubspot_contact", ids->hs_contact},
                 {"db_account", ids->db_account},
                 {"db_opportunity", ids->db_opportunity},
                 {"db_contact", ids->db_contact},
                 {"db_contact_role", ids->db_contact_role},
                 {"zendesk_org", ids->zd_org},
                 {"salesforce_account", ids->zd_external},
                 {"intercom_company", ids->ic_company},
                 {"salesforce_account", ids->ic_external},
                 {"intercom_contact", ids->ic_contact},
                 {"segment_group", ids->seg_group},
                 {"email", ids->email},
                 {"segment_user", ids->seg_user},
                 {"domain", ids->domain},
                 {"domain", ids->email_domain}};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (order[i].value != NULL)
            rc |= revos_norm_keys_add(keys, order[i].kind, order[i].value);
    return rc ? -1 : 0;
}

int revos_norm_identity_keys(const json_t *event, revos_norm_keys *keys)
{
    event_ids ids;
    if (event_ids_read(event, &ids) != 0)
        return -1;
    int rc = keys_of(&ids, keys);
    event_ids_free(&ids);
    return rc;
}

int revos_norm_identity_lookups(const json_t *event, revos_norm_keys *keys)
{
    event_ids ids;
    if (event_ids_read(event, &ids) != 0)
        return -1;
    int rc = keys_of(&ids, keys);
    const struct {
        const char *kind;
        const char *value;
    } own[] = {{"salesforce_account", ids.sf_account},
               {"salesforce_opportunity", ids.sf_opportunity},
               {"salesforce_contact", ids.sf_contact},
               {"salesforce_contact_role", ids.sf_contact_role},
               {"zendesk_org", ids.zd_org},
               {"segment_group", ids.seg_group},
               {"segment_user", ids.seg_user},
               {"email", ids.email},
               {"domain", ids.domain},
               {"domain", ids.email_domain},
               {"hubspot_company", ids.hs_company},
               {"hubspot_deal", ids.hs_deal},
               {"hubspot_contact", ids.hs_contact},
               {"db_account", ids.db_account},
               {"db_opportunity", ids.db_opportunity},
               {"db_contact", ids.db_contact},
               {"db_contact_role", ids.db_contact_role},
               {"intercom_company", ids.ic_company},
               {"intercom_contact", ids.ic_contact},
               {"salesforce_account", ids.ic_external}};
    for (size_t i = 0; rc == 0 && i < sizeof own / sizeof own[0]; i++)
        if (own[i].value != NULL)
            rc = revos_norm_keys_add(keys, own[i].kind, own[i].value);
    char *memory = strcmp(ids.kind, "crm.opportunity") == 0 ? renewal_memory_key(&ids) : NULL;
    if (rc == 0 && memory != NULL)
        rc = revos_norm_keys_add(keys, "renewal_opportunity", memory);
    free(memory);
    event_ids_free(&ids);
    return rc;
}

/* ==== The map ==== */

typedef struct idmap_entry {
    revos_norm_link link; /* kind/value/account_id/learned_from point at the owned copies */
    char *kind, *value, *account_id, *learned_from;
    uint64_t hash;
    int learned;  /* in the learned list */
    int in_round; /* in the round list */
} idmap_entry;

struct revos_norm_idmap {
    idmap_entry **slots; /* open addressing, linear probing */
    size_t n_slots, n_entries;
    idmap_entry **learned; /* unique, in first-learned order */
    size_t n_learned, cap_learned;
    idmap_entry **round; /* learned or changed since the last take_round */
    size_t n_round, cap_round;
};

static uint64_t key_hash(const char *kind, const char *value)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = kind; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
    for (const char *p = value; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

revos_norm_idmap *revos_norm_idmap_new(void)
{
    revos_norm_idmap *map = calloc(1, sizeof *map);
    if (map == NULL)
        return NULL;
    map->n_slots = 64;
    map->slots = calloc(map->n_slots, sizeof *map->slots);
    if (map->slots == NULL) {
        free(map);
        return NULL;
    }
    return map;
}

static void entry_free(idmap_entry *e)
{
    free(e->kind);
    free(e->value);
    free(e->account_id);
    free(e->learned_from);
    free(e);
}

void revos_norm_idmap_free(revos_norm_idmap *map)
{
    if (map == NULL)
        return;
    for (size_t i = 0; i < map->n_slots; i++)
        if (map->slots[i] != NULL)
            entry_free(map->slots[i]);
    free(map->slots);
    free(map->learned);
    free(map->round);
    free(map);
}

static idmap_entry *find(const revos_norm_idmap *map, const char *kind, const char *value)
{
    uint64_t h = key_hash(kind, value);
    for (size_t i = h & (map->n_slots - 1);; i = (i + 1) & (map->n_slots - 1)) {
        idmap_entry *e = map->slots[i];
        if (e == NULL)
            return NULL;
        if (e->hash == h && strcmp(e->kind, kind) == 0 && strcmp(e->value, value) == 0)
            return e;
    }
}

static void place(idmap_entry **slots, size_t n_slots, idmap_entry *e)
{
    size_t i = e->hash & (n_slots - 1);
    while (slots[i] != NULL)
        i = (i + 1) & (n_slots - 1);
    slots[i] = e;
}

static void entry_sync(idmap_entry *e)
{
    e->link.kind = e->kind;
    e->link.value = e->value;
    e->link.account_id = e->account_id;
    e->link.learned_from = e->learned_from;
}

/* Inserts a new entry (the key must be absent). NULL on OOM. */
static idmap_entry *insert(revos_norm_idmap *map, const char *kind, const char *value,
                           const char *account_id)
{
    if ((map->n_entries + 1) * 2 > map->n_slots) {
        size_t n_slots = map->n_slots * 2;
        idmap_entry **slots = calloc(n_slots, sizeof *slots);
        if (slots == NULL)
            return NULL;
        for (size_t i = 0; i < map->n_slots; i++)
            if (map->slots[i] != NULL)
                place(slots, n_slots, map->slots[i]);
        free(map->slots);
        map->slots = slots;
        map->n_slots = n_slots;
    }
    idmap_entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->kind = strdup(kind);
    e->value = strdup(value);
    e->account_id = account_id ? strdup(account_id) : NULL;
    if (e->kind == NULL || e->value == NULL || (account_id != NULL && e->account_id == NULL)) {
        entry_free(e);
        return NULL;
    }
    e->hash = key_hash(kind, value);
    entry_sync(e);
    place(map->slots, map->n_slots, e);
    map->n_entries++;
    return e;
}

int revos_norm_idmap_load(revos_norm_idmap *map, const char *kind, const char *value,
                          const char *account_id)
{
    if (find(map, kind, value) != NULL)
        return 0;
    return insert(map, kind, value, account_id) != NULL ? 0 : -1;
}

int revos_norm_idmap_has(const revos_norm_idmap *map, const char *kind, const char *value)
{
    return find(map, kind, value) != NULL;
}

const char *revos_norm_idmap_get(const revos_norm_idmap *map, const char *kind,
                                 const char *value)
{
    const idmap_entry *e = find(map, kind, value);
    return e != NULL ? e->account_id : NULL;
}

static int push_entry(idmap_entry ***list, size_t *n, size_t *cap, idmap_entry *e)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        idmap_entry **l = realloc(*list, c * sizeof *l);
        if (l == NULL)
            return -1;
        *list = l;
        *cap = c;
    }
    (*list)[(*n)++] = e;
    return 0;
}

int revos_norm_idmap_learn(revos_norm_idmap *map, const char *kind, const char *value,
                           const char *account_id, const char *learned_from,
                           revos_norm_link_mode mode)
{
    idmap_entry *e = find(map, kind, value);
    if (e != NULL && e->account_id != NULL &&
        (mode == REVOS_NORM_LINK_INSERT || strcmp(e->account_id, account_id) == 0))
        return 0;
    char *acct = strdup(account_id);
    char *from = strdup(learned_from);
    if (acct == NULL || from == NULL) {
        free(acct);
        free(from);
        return -1;
    }
    if (e == NULL) {
        e = insert(map, kind, value, NULL);
        if (e == NULL) {
            free(acct);
            free(from);
            return -1;
        }
    }
    /* Reserve the list slots first, so a failure leaves the entry unchanged. */
    if ((!e->learned && push_entry(&map->learned, &map->n_learned, &map->cap_learned, e) != 0) ||
        (!e->in_round && push_entry(&map->round, &map->n_round, &map->cap_round, e) != 0)) {
        if (!e->learned && map->n_learned > 0 && map->learned[map->n_learned - 1] == e)
            map->n_learned--;
        free(acct);
        free(from);
        return -1;
    }
    e->learned = 1;
    e->in_round = 1;
    free(e->account_id);
    free(e->learned_from);
    e->account_id = acct;
    e->learned_from = from;
    e->link.mode = mode;
    entry_sync(e);
    return 1;
}

size_t revos_norm_idmap_n_learned(const revos_norm_idmap *map)
{
    return map->n_learned;
}

revos_norm_link revos_norm_idmap_learned(const revos_norm_idmap *map, size_t i)
{
    return map->learned[i]->link;
}

int revos_norm_idmap_take_round(revos_norm_idmap *map, revos_norm_keys *keys)
{
    for (size_t i = 0; i < map->n_round; i++) {
        /* kind must be a static string in keys: map it to the canonical literal. */
        static const char *const kinds[] = {
            "salesforce_account", "salesforce_opportunity", "salesforce_contact",
            "zendesk_org",        "segment_group",          "segment_user",
            "email",              "domain",                 "renewal_opportunity",
            "salesforce_contact_role", "hubspot_company",   "hubspot_deal",
            "hubspot_contact",    "db_account",             "db_opportunity",
            "db_contact",         "db_contact_role",        "intercom_company",
            "intercom_contact"};
        const char *kind = NULL;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(kinds[k], map->round[i]->kind) == 0)
                kind = kinds[k];
        map->round[i]->in_round = 0;
        if (kind == NULL)
            continue; /* not a kind any event is parked under */
        if (keys_push(keys, kind, map->round[i]->value) != 0) {
            for (size_t k = i + 1; k < map->n_round; k++)
                map->round[k]->in_round = 0;
            map->n_round = 0;
            return -1;
        }
    }
    map->n_round = 0;
    return 0;
}

/* ==== Resolution and learning ==== */

void revos_norm_resolution_clear(revos_norm_resolution *res)
{
    free(res->account_id);
    free(res->via.value);
    json_decref(res->event);
    memset(res, 0, sizeof *res);
}

/* First key of keys that the map links; fills res. 0, or -1 on OOM. */
static int resolve_keys(const revos_norm_idmap *map, const revos_norm_keys *keys,
                        revos_norm_resolution *res)
{
    for (size_t i = 0; i < keys->n; i++) {
        const char *acct = revos_norm_idmap_get(map, keys->items[i].kind, keys->items[i].value);
        if (acct == NULL)
            continue;
        res->account_id = strdup(acct);
        res->via.kind = keys->items[i].kind;
        res->via.value = strdup(keys->items[i].value);
        if (res->account_id == NULL || res->via.value == NULL) {
            free(res->account_id);
            free(res->via.value);
            res->account_id = res->via.value = NULL;
            return -1;
        }
        return 0;
    }
    return 0;
}

revos_status revos_norm_identity_resolve(const revos_norm_idmap *map, const json_t *event,
                                         revos_norm_resolution *res, revos_err *err)
{
    memset(res, 0, sizeof *res);
    revos_norm_keys keys = {0};
    int rc = revos_norm_identity_keys(event, &keys);
    if (rc == 0)
        rc = resolve_keys(map, &keys, res);
    revos_norm_keys_free(&keys);
    if (rc != 0)
        return revos_fail(err, REVOS_ERR_FATAL, "normalize: out of memory resolving an event");
    return REVOS_OK;
}

/* The account a usage.identify teaches its user: through its group, email
 * or domain (not through the user itself). */
static const char *identify_target(const revos_norm_idmap *map, const event_ids *ids)
{
    const char *candidates[][2] = {{"segment_group", ids->seg_group},
                                   {"email", ids->email},
                                   {"domain", ids->domain},
                                   {"domain", ids->email_domain}};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (candidates[i][1] == NULL)
            continue;
        const char *acct = revos_norm_idmap_get(map, candidates[i][0], candidates[i][1]);
        if (acct != NULL)
            return acct;
    }
    return NULL;
}

/* *acct = a copy of found (when found). -1 on OOM. */
static int acct_dup(char **acct, const char *found)
{
    if (found == NULL)
        return 0;
    *acct = strdup(found);
    return *acct != NULL ? 0 : -1;
}

/* A company record (HubSpot company, database account row) -> the links
 * of its own ids, by the documented rule:
 *   1. it names its Salesforce account (acct, from the mapped property or
 *      column): its id is that account's (UPSERT, authoritative);
 *   2. else its domain belongs to an account: that account (a link to the
 *      company's own account yields to it; any other link stays);
 *   3. else, not linked yet: an account of its own, acct-hubspot-<id> /
 *      acct-db-<key> (a company only that system knows is first-class).
 * 0, -1 on OOM. */
static int apply_company(revos_norm_idmap *map, const event_ids *ids, const char *acct)
{
    static const struct {
        const char *kind, *system;
        size_t offset;
    } systems[] = {{"hubspot_company", "hubspot", offsetof(event_ids, hs_company)},
                   {"db_account", "db", offsetof(event_ids, db_account)}};
    for (size_t i = 0; i < 2; i++) {
        const char *id = *(char *const *)((const char *)ids + systems[i].offset);
        if (id == NULL)
            continue;
        if (acct != NULL) {
            if (revos_norm_idmap_learn(map, systems[i].kind, id, acct, ids->event_id,
                                       REVOS_NORM_LINK_UPSERT) < 0)
                return -1;
            continue;
        }
        char *own = own_account(systems[i].system, id);
        if (own == NULL)
            return -1;
        const char *current = revos_norm_idmap_get(map, systems[i].kind, id);
        const char *by_domain = ids->domain ? revos_norm_idmap_get(map, "domain", ids->domain) : NULL;
        int rc = 0;
        if (by_domain != NULL && strcmp(by_domain, own) != 0 &&
            (current == NULL || strcmp(current, own) == 0)) {
            char *dest = strdup(by_domain);
            rc = dest == NULL ? -1
                              : revos_norm_idmap_learn(map, systems[i].kind, id, dest,
                                                       ids->event_id, REVOS_NORM_LINK_UPSERT);
            free(dest);
        } else if (current == NULL) {
            rc = revos_norm_idmap_learn(map, systems[i].kind, id, own, ids->event_id,
                                        REVOS_NORM_LINK_INSERT);
        }
        free(own);
        if (rc < 0)
            return -1;
    }
    return 0;
}

#define LEARN(kind, value, acct, mode)                                                        \
    do {                                                                                      \
        if ((value) != NULL && (acct) != NULL &&                                             \
            revos_norm_idmap_learn(map, (kind), (value), (acct), ids.event_id, (mode)) < 0)  \
            goto oom;                                                                         \
    } while (0)

revos_status revos_norm_identity_apply(revos_norm_idmap *map, const json_t *event,
                                       revos_norm_resolution *res, revos_err *err)
{
    memset(res, 0, sizeof *res);
    event_ids ids;
    if (event_ids_read(event, &ids) != 0)
        return revos_fail(err, REVOS_ERR_FATAL, "normalize: out of memory reading ids");
    char *acct = NULL;      /* the account a CRM record names */
    char *target = NULL;    /* copy of a looked-up account (the map may change under it) */
    char *memory = NULL;    /* an opportunity's renewal memory key */
    revos_norm_keys keys = {0};
    const char *kind = ids.kind;

    /* 1. What the record itself says. */
    if ((strcmp(kind, "crm.account") == 0 || strcmp(kind, "crm.opportunity") == 0 ||
         strcmp(kind, "crm.contact") == 0) &&
        ids.sf_account != NULL) {
        acct = account_of_sfid(ids.sf_account);
        if (acct == NULL)
            goto oom;
        LEARN("salesforce_account", ids.sf_account, acct, REVOS_NORM_LINK_UPSERT);
    }
    if (strcmp(kind, "crm.account") == 0) {
        if (apply_company(map, &ids, acct) != 0)
            goto oom;
        if (acct == NULL && ids.hs_company != NULL &&
            acct_dup(&acct, revos_norm_idmap_get(map, "hubspot_company", ids.hs_company)) != 0)
            goto oom;
        if (acct == NULL && ids.db_account != NULL &&
            acct_dup(&acct, revos_norm_idmap_get(map, "db_account", ids.db_account)) != 0)
            goto oom;
        LEARN("domain", ids.domain, acct, REVOS_NORM_LINK_INSERT);
    } else if (strcmp(kind, "crm.opportunity") == 0) {
        LEARN("salesforce_opportunity", ids.sf_opportunity, acct, REVOS_NORM_LINK_UPSERT);
        /* a HubSpot deal belongs to its associated company, a database row
         * to the account its foreign key names */
        const char *owner = acct;
        if (owner == NULL && ids.hs_company != NULL && !ids.association_removed)
            owner = revos_norm_idmap_get(map, "hubspot_company", ids.hs_company);
        if (owner == NULL && ids.db_account != NULL)
            owner = revos_norm_idmap_get(map, "db_account", ids.db_account);
        if (owner != NULL && (target = strdup(owner)) == NULL)
            goto oom;
        LEARN("hubspot_deal", ids.hs_deal, target, REVOS_NORM_LINK_UPSERT);
        LEARN("db_opportunity", ids.db_opportunity, target, REVOS_NORM_LINK_UPSERT);
    } else if (strcmp(kind, "crm.contact") == 0) {
        LEARN("salesforce_contact", ids.sf_contact, acct, REVOS_NORM_LINK_UPSERT);
        LEARN("email", ids.email, acct, REVOS_NORM_LINK_UPSERT);
        const char *owner = acct;
        if (owner == NULL && ids.hs_company != NULL && !ids.association_removed)
            owner = revos_norm_idmap_get(map, "hubspot_company", ids.hs_company);
        if (owner == NULL && ids.db_account != NULL)
            owner = revos_norm_idmap_get(map, "db_account", ids.db_account);
        if (owner != NULL && (target = strdup(owner)) == NULL)
            goto oom;
        LEARN("hubspot_contact", ids.hs_contact, target, REVOS_NORM_LINK_UPSERT);
        LEARN("db_contact", ids.db_contact, target, REVOS_NORM_LINK_UPSERT);
        if (acct == NULL && ids.hs_contact != NULL && target == NULL) {
            /* an email change of a contact already linked */
            const char *known = revos_norm_idmap_get(map, "hubspot_contact", ids.hs_contact);
            if (known != NULL && (target = strdup(known)) == NULL)
                goto oom;
        }
        if (acct == NULL)
            LEARN("email", ids.email, target, ids.db_contact ? REVOS_NORM_LINK_UPSERT
                                                             : REVOS_NORM_LINK_INSERT);
    } else if (strcmp(kind, "support.organization") == 0) {
        /* Zendesk organizations and Intercom companies: by the Salesforce id
         * they carry (external_id, company_id, a mapped custom attribute),
         * else, if not linked yet, by their domain. */
        const char *org_kind = ids.zd_org ? "zendesk_org" : "intercom_company";
        const char *org = ids.zd_org ? ids.zd_org : ids.ic_company;
        const char *candidates[] = {ids.sf_account, ids.zd_external, ids.ic_external};
        const char *by_ext = NULL;
        for (size_t i = 0; i < 3 && by_ext == NULL; i++)
            if (candidates[i] != NULL)
                by_ext = revos_norm_idmap_get(map, "salesforce_account", candidates[i]);
        if (by_ext != NULL) {
            target = strdup(by_ext);
            if (target == NULL)
                goto oom;
            LEARN(org_kind, org, target, REVOS_NORM_LINK_UPSERT);
        } else if (ids.domain != NULL) {
            const char *by_domain = revos_norm_idmap_get(map, "domain", ids.domain);
            if (by_domain != NULL && (target = strdup(by_domain)) == NULL)
                goto oom;
            LEARN(org_kind, org, target, REVOS_NORM_LINK_INSERT);
        }
    } else if (strcmp(kind, "support.contact") == 0) {
        const char *company = ids.ic_company
                                  ? revos_norm_idmap_get(map, "intercom_company", ids.ic_company)
                                  : NULL;
        if (company == NULL && ids.ic_external != NULL)
            company = revos_norm_idmap_get(map, "salesforce_account", ids.ic_external);
        if (company != NULL && (target = strdup(company)) == NULL)
            goto oom;
        LEARN("intercom_contact", ids.ic_contact, target, REVOS_NORM_LINK_UPSERT);
        LEARN("email", ids.email, target, REVOS_NORM_LINK_INSERT);
    } else if (strcmp(kind, "usage.group") == 0) {
        if (ids.sf_account != NULL) {
            const char *by_trait = revos_norm_idmap_get(map, "salesforce_account", ids.sf_account);
            if (by_trait != NULL && (target = strdup(by_trait)) == NULL)
                goto oom;
            LEARN("segment_group", ids.seg_group, target, REVOS_NORM_LINK_UPSERT);
        } else if (ids.domain != NULL) {
            const char *by_domain = revos_norm_idmap_get(map, "domain", ids.domain);
            if (by_domain != NULL && (target = strdup(by_domain)) == NULL)
                goto oom;
            LEARN("segment_group", ids.seg_group, target, REVOS_NORM_LINK_INSERT);
        }
        const char *group_acct =
            ids.seg_group ? revos_norm_idmap_get(map, "segment_group", ids.seg_group) : NULL;
        /* With a trait the group is the trait's account or the event waits for it. */
        if (group_acct != NULL && (ids.sf_account == NULL || target != NULL)) {
            free(target);
            if ((target = strdup(group_acct)) == NULL)
                goto oom;
            LEARN("segment_user", ids.seg_user, target, REVOS_NORM_LINK_UPSERT);
        }
    } else if (strcmp(kind, "usage.identify") == 0) {
        const char *found = identify_target(map, &ids);
        if (found != NULL && (target = strdup(found)) == NULL)
            goto oom;
        LEARN("segment_user", ids.seg_user, target, REVOS_NORM_LINK_INSERT);
    }

    /* 2. Resolve. */
    if (keys_of(&ids, &keys) != 0 || resolve_keys(map, &keys, res) != 0)
        goto oom;

    /* 3. What depends on the resolved account: the contact role's own id
     * (its later updates carry nothing else) and the renewal memory. */
    res->event = json_incref((json_t *)event);
    if (strcmp(kind, "crm.contact_role") == 0 && res->account_id != NULL) {
        LEARN("salesforce_contact_role", ids.sf_contact_role, res->account_id,
              REVOS_NORM_LINK_UPSERT);
        LEARN("db_contact_role", ids.db_contact_role, res->account_id, REVOS_NORM_LINK_UPSERT);
    }
    memory = strcmp(kind, "crm.opportunity") == 0 ? renewal_memory_key(&ids) : NULL;
    if (strcmp(kind, "crm.opportunity") == 0 && memory == NULL &&
        (ids.sf_opportunity || ids.hs_deal || ids.db_opportunity))
        goto oom;
    if (memory != NULL && res->account_id != NULL) {
        if (ids.renewal_attr == 1) {
            LEARN("renewal_opportunity", memory, res->account_id, REVOS_NORM_LINK_UPSERT);
        } else if (ids.renewal_attr == -1 &&
                   revos_norm_idmap_get(map, "renewal_opportunity", memory) != NULL) {
            json_t *copy = json_deep_copy(event);
            if (copy == NULL ||
                json_object_set_new(json_object_get(copy, "attributes"), "renewal",
                                    json_string("true")) != 0) {
                json_decref(copy);
                goto oom;
            }
            json_decref(res->event);
            res->event = copy;
        }
    }
    free(acct);
    free(target);
    free(memory);
    revos_norm_keys_free(&keys);
    event_ids_free(&ids);
    return REVOS_OK;
oom:
    free(acct);
    free(target);
    free(memory);
    revos_norm_keys_free(&keys);
    event_ids_free(&ids);
    revos_norm_resolution_clear(res);
    return revos_fail(err, REVOS_ERR_FATAL, "normalize: out of memory applying identity");
}
