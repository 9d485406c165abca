/* debezium.c -- Debezium change events from a CRM kept in a database ->
 * SourceEvents.
 *
 * A record value is a Debezium change envelope, as the JSON converter writes
 * it with or without schemas:
 *     {"schema": {...}, "payload": {"before", "after", "source", "op", "ts_ms"}}
 *     {"before", "after", "source", "op", "ts_ms"}
 * op: c create, u update, r snapshot read (action "create"; attribute
 * snapshot "true"), d delete, t truncate, m message.
 *
 * Which tables are read, and which of their columns carry which facts, is
 * the "debezium.tables" table of the mapping, keyed "<schema>.<table>" (or
 * "<db>.<table>", or the bare table name), e.g.
 *     "public.accounts": {"entity": "account", "key": ["id"],
 *                         "columns": {"salesforce_account": "sfdc_id", "name": "name",
 *                                     "domain": "website", "arr": "arr", ...}}
 *
 *   account       crm.account       ids: db_account [, salesforce_account, domain]
 *                 facts: salesforce_account name domain ae csm csm_lead arr segment
 *   opportunity   crm.opportunity   ids: db_opportunity [, db_account, salesforce_account]
 *                 facts: account salesforce_account amount close_date stage is_closed
 *                        is_won renewal type name owner
 *   contact       crm.contact       ids: db_contact [, db_account, email, domain]
 *                 facts: account email name title
 *   contact_role  crm.contact_role  ids: db_contact_role [, db_contact, db_opportunity,
 *                                        db_account]
 *                 facts: contact opportunity account role is_primary (role_class from
 *                        the salesforce.contact_roles lists)
 * "account", "contact", "opportunity" are foreign-key columns: their values
 * are the referenced rows' keys. A row's key (ids.db_<entity>) is its key
 * columns' values joined with ':'.
 *
 * Rows: after for c/u/r; before for d. With REPLICA IDENTITY DEFAULT an
 * update carries no before (after is complete, so nothing is lost) and a
 * delete's before holds only the key columns, or nothing at all: then the
 * key comes from the Kafka record key ({"id": 1}, with or without schema).
 * A delete whose row cannot be named is rejected.
 *
 * Not events, and not errors:
 *   tombstone        a null value (after a delete, for log compaction): the
 *                    worker counts it (revos_ingest_is_tombstone) and moves on;
 *                    {"schema": ..., "payload": null} is ignored the same way
 *   op t (truncate)  names no rows: ignored rather than read as "every
 *                    account deleted"
 *   op m, unmapped tables   ignored
 *
 * event_id: "debezium:<server>:<table>:<key>:<op>:<position>", position being
 * source.lsn (PostgreSQL), else source.file:pos[:row] (MySQL), else ts_ms:
 * snapshot rows share an LSN, so the key is part of the id. occurred_at is
 * source.ts_ms (the commit time), else ts_ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/mapping.h"
#include "ingest/sources.h"
#include "ingest/timeparse.h"

#define DBZ_KEY_MAX 512 /* bytes of a joined row key */
#define DBZ_TABLE_MAX 256

typedef enum dbz_entity { DBZ_ACCOUNT, DBZ_OPPORTUNITY, DBZ_CONTACT, DBZ_CONTACT_ROLE } dbz_entity;

typedef struct dbz_row {
    const json_t *mapping;
    const revos_ingest_at *at; /* where the row's columns are */
    const json_t *row;
    const json_t *columns; /* the table's fact -> column map (may be NULL) */
    json_t *event;
} dbz_row;

int revos_ingest_is_tombstone(const revos_raw_meta *meta, const void *payload, size_t len)
{
    (void)payload;
    return len == 0 && meta != NULL && meta->source != NULL &&
           strcmp(meta->source, "debezium") == 0;
}

/* ==== Columns ==== */

/* The column a fact is read from, or NULL (not mapped). */
static const char *column_of(const dbz_row *r, const char *fact)
{
    return json_string_value(json_object_get(r->columns, fact));
}

static revos_status fact_attr(dbz_row *r, const char *fact, const char *attr)
{
    const char *col = column_of(r, fact);
    if (col == NULL)
        return REVOS_OK;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_scalar(r->at, r->row, col, 0, &t));
    return revos_ingest_set_attr_text(r->event, attr, &t, r->at->err);
}

static revos_status fact_id(dbz_row *r, const char *fact, const char *key)
{
    const char *col = column_of(r, fact);
    if (col == NULL)
        return REVOS_OK;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_id(r->at, r->row, col, 0, &t));
    return revos_ingest_set_id_text(r->event, key, &t, r->at->err);
}

/* A number column: a JSON number, or a numeric string (decimal.handling.mode
 * string). Debezium's default "precise" decimals are base64 bytes: rejected
 * with the setting to change. */
static revos_status fact_number(dbz_row *r, const char *fact, const char *attr)
{
    const char *col = column_of(r, fact);
    if (col == NULL)
        return REVOS_OK;
    const json_t *v = revos_ingest_get(r->row, col);
    if (v == NULL)
        return REVOS_OK;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_scalar(r->at, r->row, col, 0, &t));
    int ok = json_is_number(v);
    if (json_is_string(v) && t.len > 0 && t.len < 40) {
        char buf[48], *end = NULL;
        memcpy(buf, t.s, t.len);
        buf[t.len] = '\0';
        strtod(buf, &end);
        ok = end != buf && *end == '\0';
    }
    if (!ok)
        return revos_ingest_expected(r->at, col,
                                     "a number (set decimal.handling.mode to double or string)");
    return revos_ingest_set_attr_text(r->event, attr, &t, r->at->err);
}

/* A boolean column: true/false, 0/1, or "true"/"false". */
static revos_status fact_bool(dbz_row *r, const char *fact, const char *attr)
{
    const char *col = column_of(r, fact);
    if (col == NULL)
        return REVOS_OK;
    const json_t *v = revos_ingest_get(r->row, col);
    if (v == NULL)
        return REVOS_OK;
    int b;
    const char *s = json_string_value(v);
    if (json_is_boolean(v))
        b = json_is_true(v);
    else if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
        b = json_integer_value(v) == 1;
    else if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
        b = s[0] == 't';
    else
        return revos_ingest_expected(r->at, col, "a boolean");
    const char *flag = b ? "true" : "false";
    return revos_ingest_set_attr(r->event, attr, flag, strlen(flag), r->at->err);
}

/* A date column: io.debezium.time.Date (days since the epoch), an epoch in
 * ms (Timestamp) or us (MicroTimestamp), or an ISO string (ZonedTimestamp,
 * or a date). -> "YYYY-MM-DD" (UTC). */
static revos_status fact_date(dbz_row *r, const char *fact, const char *attr)
{
    const char *col = column_of(r, fact);
    if (col == NULL)
        return REVOS_OK;
    const json_t *v = revos_ingest_get(r->row, col);
    if (v == NULL)
        return REVOS_OK;
    int64_t ms = 0;
    int ok = 0;
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n > -3000000 && n < 3000000) /* days: +-8000 years */
            ms = (int64_t)n * 86400000, ok = 1;
        else if (n > INT64_C(100000000000000) || n < -INT64_C(100000000000000))
            ok = revos_ingest_time_from_epoch_int(n / 1000, &ms) == 0; /* microseconds */
        else
            ok = revos_ingest_time_from_epoch_int(n, &ms) == 0;
    } else if (json_is_string(v)) {
        ok = revos_ingest_time_parse(json_string_value(v), json_string_length(v), &ms) == 0;
    }
    char date[11];
    if (!ok || revos_ingest_time_format_date(ms, date) != 0)
        return revos_ingest_expected(r->at, col, "a date (days or epoch, or ISO-8601)");
    return revos_ingest_set_attr(r->event, attr, date, 10, r->at->err);
}

/* ==== Entities ==== */

static revos_status fill_account(dbz_row *r)
{
    revos_err *err = r->at->err;
    INGEST_TRY(fact_id(r, "salesforce_account", "salesforce_account"));
    const char *col = column_of(r, "domain");
    if (col != NULL) {
        revos_ingest_text t;
        INGEST_TRY(revos_ingest_string(r->at, r->row, col, 0, &t));
        INGEST_TRY(revos_ingest_set_domain_from_url(r->event, &t, err));
    }
    static const char *const facts[] = {"name", "ae", "csm", "csm_lead", "segment", NULL};
    for (size_t i = 0; facts[i] != NULL; i++)
        INGEST_TRY(fact_attr(r, facts[i], facts[i]));
    return fact_number(r, "arr", "arr");
}

static revos_status fill_opportunity(dbz_row *r)
{
    INGEST_TRY(fact_id(r, "account", "db_account"));
    INGEST_TRY(fact_id(r, "salesforce_account", "salesforce_account"));
    INGEST_TRY(fact_number(r, "amount", "amount"));
    INGEST_TRY(fact_date(r, "close_date", "close_date"));
    INGEST_TRY(fact_bool(r, "is_closed", "is_closed"));
    INGEST_TRY(fact_bool(r, "is_won", "is_won"));
    INGEST_TRY(fact_bool(r, "renewal", "renewal"));
    static const char *const facts[] = {"stage", "type", "name", "owner", NULL};
    for (size_t i = 0; facts[i] != NULL; i++)
        INGEST_TRY(fact_attr(r, facts[i], facts[i]));
    return REVOS_OK;
}

static revos_status fill_contact(dbz_row *r)
{
    INGEST_TRY(fact_id(r, "account", "db_account"));
    const char *col = column_of(r, "email");
    if (col != NULL) {
        revos_ingest_text t;
        INGEST_TRY(revos_ingest_string(r->at, r->row, col, 0, &t));
        INGEST_TRY(revos_ingest_set_email(r->event, &t, r->at->err));
    }
    INGEST_TRY(fact_attr(r, "name", "name"));
    return fact_attr(r, "title", "title");
}

static revos_status fill_contact_role(dbz_row *r)
{
    revos_err *err = r->at->err;
    INGEST_TRY(fact_id(r, "contact", "db_contact"));
    INGEST_TRY(fact_id(r, "opportunity", "db_opportunity"));
    INGEST_TRY(fact_id(r, "account", "db_account"));
    INGEST_TRY(fact_bool(r, "is_primary", "is_primary"));
    const char *col = column_of(r, "role");
    if (col == NULL)
        return REVOS_OK;
    revos_ingest_text role;
    INGEST_TRY(revos_ingest_scalar(r->at, r->row, col, 0, &role));
    if (role.s == NULL)
        return REVOS_OK;
    int champion, buyer;
    INGEST_TRY(revos_ingest_set_attr_text(r->event, "role", &role, err));
    INGEST_TRY(revos_ingest_map_contains(r->mapping, "salesforce.contact_roles.champion", role.s,
                                         role.len, &champion, err));
    INGEST_TRY(revos_ingest_map_contains(r->mapping, "salesforce.contact_roles.economic_buyer",
                                         role.s, role.len, &buyer, err));
    const char *cls = champion ? "champion" : buyer ? "economic_buyer" : "other";
    return revos_ingest_set_attr(r->event, "role_class", cls, strlen(cls), err);
}

/* ==== Keys ==== */

/* Joins the key columns' values of row with ':' into out. *found = 0 when
 * some key column is absent from row. */
static revos_status row_key(const revos_ingest_at *at, const json_t *row, const json_t *key_cols,
                            char out[DBZ_KEY_MAX], int *found)
{
    size_t n = 0, i;
    const json_t *col;
    *found = 0;
    json_array_foreach(key_cols, i, col) {
        revos_ingest_text t;
        INGEST_TRY(revos_ingest_id(at, row, json_string_value(col), 0, &t));
        if (t.s == NULL)
            return REVOS_OK;
        if (n + t.len + 2 > DBZ_KEY_MAX)
            return revos_ingest_expected(at, json_string_value(col), "a key of at most 511 bytes");
        if (n > 0)
            out[n++] = ':';
        memcpy(out + n, t.s, t.len);
        n += t.len;
    }
    out[n] = '\0';
    *found = 1;
    return REVOS_OK;
}

/* The Kafka record key of a delete that carries no row: {"id": 1} or
 * {"schema": ..., "payload": {"id": 1}}. */
static revos_status record_key(const revos_raw_meta *meta, const revos_ingest_at *at,
                               const json_t *key_cols, char out[DBZ_KEY_MAX], int *found)
{
    *found = 0;
    if (meta->key == NULL || meta->key_len == 0 || meta->key_len > 4096)
        return REVOS_OK;
    json_error_t jerr;
    json_t *key = json_loadb((const char *)meta->key, meta->key_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(key)) {
        json_decref(key);
        return revos_reject(at->err, "validation", "debezium: record key: expected a JSON object");
    }
    const json_t *fields = key;
    if (json_is_object(json_object_get(key, "payload")))
        fields = json_object_get(key, "payload");
    revos_ingest_at key_at = {"debezium", "key.", at->err};
    revos_status st = row_key(&key_at, fields, key_cols, out, found);
    json_decref(key);
    return st;
}

/* ==== The envelope ==== */

static revos_status table_mapping(const json_t *mapping, const revos_ingest_at *source_at,
                                  const json_t *source, char table_name[DBZ_TABLE_MAX],
                                  const json_t **table)
{
    revos_ingest_text schema, db, name;
    INGEST_TRY(revos_ingest_string(source_at, source, "table", 1, &name));
    INGEST_TRY(revos_ingest_string(source_at, source, "schema", 0, &schema));
    INGEST_TRY(revos_ingest_string(source_at, source, "db", 0, &db));
    const json_t *tables;
    INGEST_TRY(revos_ingest_map_table(mapping, "debezium.tables", &tables, source_at->err));
    *table = NULL;
    const revos_ingest_text *qualifiers[] = {&schema, &db, NULL};
    for (size_t i = 0; i < 3 && *table == NULL; i++) {
        const revos_ingest_text *q = qualifiers[i];
        int n;
        if (q != NULL && q->s == NULL)
            continue;
        if (q != NULL)
            n = snprintf(table_name, DBZ_TABLE_MAX, "%.*s.%.*s", (int)q->len, q->s,
                         (int)name.len, name.s);
        else
            n = snprintf(table_name, DBZ_TABLE_MAX, "%.*s", (int)name.len, name.s);
        if (n < 0 || n >= DBZ_TABLE_MAX)
            return revos_ingest_expected(source_at, "table", "a table name of at most 255 bytes");
        *table = json_object_get(tables, table_name);
    }
    return REVOS_OK;
}

/* The change's position in the log, for its id. */
static revos_status position(const revos_ingest_at *source_at, const json_t *source,
                             int64_t ts_ms, char *out, size_t outlen)
{
    revos_ingest_text lsn, file, pos, row;
    INGEST_TRY(revos_ingest_scalar(source_at, source, "lsn", 0, &lsn));
    if (lsn.s != NULL) {
        snprintf(out, outlen, "%.*s", (int)(lsn.len < 64 ? lsn.len : 64), lsn.s);
        return REVOS_OK;
    }
    INGEST_TRY(revos_ingest_scalar(source_at, source, "file", 0, &file));
    INGEST_TRY(revos_ingest_scalar(source_at, source, "pos", 0, &pos));
    INGEST_TRY(revos_ingest_scalar(source_at, source, "row", 0, &row));
    if (file.s != NULL && pos.s != NULL) {
        snprintf(out, outlen, "%.*s:%.*s:%.*s", (int)(file.len < 128 ? file.len : 128), file.s,
                 (int)(pos.len < 32 ? pos.len : 32), pos.s, (int)(row.s ? (row.len < 16 ? row.len : 16) : 1),
                 row.s ? row.s : "0");
        return REVOS_OK;
    }
    snprintf(out, outlen, "%lld", (long long)ts_ms);
    return REVOS_OK;
}

static revos_status change(const json_t *mapping, const revos_raw_meta *meta,
                           const revos_ingest_at *at, const json_t *payload, json_t *out)
{
    revos_ingest_text op, server;
    INGEST_TRY(revos_ingest_string(at, payload, "op", 1, &op));
    if (op.len != 1 || strchr("curdtm", op.s[0]) == NULL)
        return revos_ingest_expected(at, "op", "one of c, u, r, d, t, m");
    char o = op.s[0];
    if (o == 'm')
        return REVOS_OK; /* logical decoding messages carry no row */

    const json_t *source;
    char source_prefix[48];
    revos_ingest_at source_at;
    INGEST_TRY(revos_ingest_object(at, payload, "source", 1, &source));
    revos_ingest_at_sub(at, "source", source_prefix, sizeof source_prefix, &source_at);
    char table_name[DBZ_TABLE_MAX];
    const json_t *table;
    INGEST_TRY(table_mapping(mapping, &source_at, source, table_name, &table));
    if (table == NULL || o == 't')
        return REVOS_OK; /* not a mapped table; a truncate names no rows */

    int64_t occurred_at;
    int found;
    INGEST_TRY(revos_ingest_time(&source_at, source, "ts_ms", 0, &occurred_at, &found));
    if (!found)
        INGEST_TRY(revos_ingest_time(at, payload, "ts_ms", 1, &occurred_at, NULL));
    INGEST_TRY(revos_ingest_string(&source_at, source, "name", 0, &server));

    const char *row_field = o == 'd' ? "before" : "after";
    const json_t *row;
    INGEST_TRY(revos_ingest_object(at, payload, row_field, o != 'd', &row));
    char row_prefix[48];
    revos_ingest_at row_at;
    revos_ingest_at_sub(at, row_field, row_prefix, sizeof row_prefix, &row_at);

    const json_t *key_cols = json_object_get(table, "key");
    char key[DBZ_KEY_MAX];
    INGEST_TRY(row_key(&row_at, row, key_cols, key, &found));
    if (!found && o == 'd')
        INGEST_TRY(record_key(meta, at, key_cols, key, &found));
    if (!found)
        return revos_reject(at->err, "validation",
                            "debezium: %s: %s %s without its key column(s) %s%s", table_name,
                            o == 'd' ? "delete" : "change", o == 'd' ? "(before and record key)" : "row",
                            json_string_value(json_array_get(key_cols, 0)),
                            json_array_size(key_cols) > 1 ? ", ..." : "");

    char pos[256];
    INGEST_TRY(position(&source_at, source, occurred_at, pos, sizeof pos));
    char id[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_event_idf(at, id, "debezium:%.*s:%s:%s:%c:%s",
                                      (int)(server.s ? (server.len < 128 ? server.len : 128) : 0),
                                      server.s ? server.s : "", table_name, key, o, pos));

    static const struct {
        const char *entity, *kind, *id_key;
        revos_status (*fill)(dbz_row *);
    } entities[] = {{"account", "crm.account", "db_account", fill_account},
                    {"opportunity", "crm.opportunity", "db_opportunity", fill_opportunity},
                    {"contact", "crm.contact", "db_contact", fill_contact},
                    {"contact_role", "crm.contact_role", "db_contact_role", fill_contact_role}};
    const char *entity = json_string_value(json_object_get(table, "entity"));
    size_t e = 0;
    while (e < 3 && strcmp(entities[e].entity, entity) != 0)
        e++;
    const char *action = o == 'd' ? "delete" : o == 'u' ? "update" : "create";
    dbz_row r = {mapping, &row_at, row, json_object_get(table, "columns"), NULL};
    r.event = revos_ingest_event_new(meta, id, entities[e].kind, action, occurred_at);
    if (r.event == NULL)
        return revos_ingest_oom(at->err);
    revos_status st = revos_ingest_set_id(r.event, entities[e].id_key, key, strlen(key), at->err);
    if (st == REVOS_OK)
        st = revos_ingest_set_attr(r.event, "table", table_name, strlen(table_name), at->err);
    if (st == REVOS_OK && o == 'r')
        st = revos_ingest_set_attr(r.event, "snapshot", "true", 4, at->err);
    if (st == REVOS_OK && row != NULL)
        st = entities[e].fill(&r);
    if (st != REVOS_OK) {
        json_decref(r.event);
        return st;
    }
    return revos_ingest_append(out, r.event, at->err);
}

/* ==== Entry point ==== */

revos_status revos_ingest_debezium(const json_t *mapping, const revos_raw_meta *meta,
                                   const json_t *root, json_t *out, revos_err *err)
{
    revos_ingest_at at = {"debezium", "", err};
    if (json_object_get(root, "op") == NULL && json_object_get(root, "payload") != NULL) {
        const json_t *payload = json_object_get(root, "payload");
        if (json_is_null(payload))
            return REVOS_OK; /* a tombstone written with its schema */
        if (!json_is_object(payload))
            return revos_ingest_expected(&at, "payload", "object");
        revos_ingest_at payload_at = {"debezium", "payload.", err};
        return change(mapping, meta, &payload_at, payload, out);
    }
    return change(mapping, meta, &at, root, out);
}
