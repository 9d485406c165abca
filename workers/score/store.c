/* store.c -- revos-score's SQL: one statement per batch read or write.
 * See store.h and schema.sql. */
#include "score/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"
#include "score/calendar.h"
#include "score/state.h"
#include "score/state_codec.h"

/* ==== Columns: arrays of text passed as one text[] parameter ==== */

typedef struct column {
    char **items;  /* owned; NULL entries are SQL NULL */
    size_t n;
} column;

/* Makes n_cols empty columns for n rows each; -1 when out of memory (the
 * columns are still safe to free). */
static int columns_init(column *cols, size_t n_cols, size_t n)
{
    int rc = 0;
    for (size_t c = 0; c < n_cols; c++) {
        cols[c].n = 0;
        cols[c].items = calloc(n > 0 ? n : 1, sizeof *cols[c].items);
        rc |= cols[c].items != NULL ? 0 : -1;
    }
    return rc;
}

/* Appends a copy of text (NULL stays NULL); returns -1 when out of memory. */
static int column_add(column *c, const char *text)
{
    char *copy = NULL;
    if (text != NULL && (copy = strdup(text)) == NULL)
        return -1;
    c->items[c->n++] = copy;
    return 0;
}

static int column_add_double(column *c, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return column_add(c, buf);
}

static int column_add_int(column *c, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    return column_add(c, buf);
}

static void columns_free(column *cols, size_t n_cols)
{
    for (size_t c = 0; c < n_cols; c++) {
        for (size_t i = 0; i < cols[c].n; i++)
            free(cols[c].items[i]);
        free(cols[c].items);
        cols[c].items = NULL;
        cols[c].n = 0;
    }
}

/* Runs sql with each column as one text[] literal parameter. */
static revos_status exec_columns(PGconn *conn, const char *sql, column *cols, size_t n_cols,
                                 revos_err *err)
{
    char *params[8] = {0};
    revos_status st = REVOS_OK;
    for (size_t i = 0; i < n_cols && st == REVOS_OK; i++) {
        params[i] = revos_pg_text_array((const char *const *)cols[i].items, cols[i].n);
        if (params[i] == NULL)
            st = revos_fail(err, REVOS_ERR_FATAL, "out of memory building a statement");
    }
    if (st == REVOS_OK)
        st = revos_pg_exec(conn, sql, (int)n_cols, (const char *const *)params, NULL, err);
    for (size_t i = 0; i < n_cols; i++)
        free(params[i]);
    return st;
}

/* Whether records[i] is the last one of its key (fields a and b joined). */
static json_t *last_index(const json_t *records, const char *a, const char *b)
{
    json_t *last = json_object();
    for (size_t i = 0; i < json_array_size(records); i++) {
        const json_t *r = json_array_get(records, i);
        const char *x = json_string_value(json_object_get(r, a));
        const char *y = json_string_value(json_object_get(r, b));
        char key[1024];
        snprintf(key, sizeof key, "%s\x1f%s", x ? x : "", y ? y : "");
        json_object_set_new(last, key, json_integer((json_int_t)i));
    }
    return last;
}

static int is_last(const json_t *last, const json_t *record, const char *a, const char *b, size_t i)
{
    const char *x = json_string_value(json_object_get(record, a));
    const char *y = json_string_value(json_object_get(record, b));
    char key[1024];
    snprintf(key, sizeof key, "%s\x1f%s", x ? x : "", y ? y : "");
    return json_integer_value(json_object_get(last, key)) == (json_int_t)i;
}

/* ==== Account states ==== */

/* The columns every state read selects: blob is the stored form; a row
 * written before it (schema_blob.sql) still holds jsonb. Read with binary
 * results, so a blob arrives as its bytes. */
#define STATE_COLUMNS "account_id, blob, state::text"

/* Reads (account_id, blob, state[, unchanged]) rows into *states; a row
 * flagged unchanged (a binary boolean) goes into unchanged instead. */
static revos_status states_from(PGresult *res, json_t *states, json_t *unchanged, revos_err *err)
{
    for (int i = 0; i < PQntuples(res); i++) {
        const char *account = PQgetvalue(res, i, 0);
        if (unchanged != NULL && PQnfields(res) > 3 && !PQgetisnull(res, i, 3) &&
            PQgetvalue(res, i, 3)[0] == 1) {
            json_object_set_new(unchanged, account, json_true());
            continue;
        }
        json_t *state = NULL;
        if (!PQgetisnull(res, i, 1)) {
            state = revos_score_state_decode((const unsigned char *)PQgetvalue(res, i, 1),
                                             (size_t)PQgetlength(res, i, 1), err);
        } else {
            json_error_t jerr;
            state = json_loadb(PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2), 0, &jerr);
            if (!json_is_object(state)) {
                json_decref(state);
                state = NULL;
                revos_fail(err, REVOS_ERR_FATAL, "not a JSON object: %s", jerr.text);
            }
        }
        if (state == NULL) {
            char context[128];
            snprintf(context, sizeof context, "score state of %.80s", account);
            return revos_wrap(err, REVOS_ERR_FATAL, context);
        }
        json_object_set_new(states, account, state);
    }
    return REVOS_OK;
}

revos_status revos_score_store_load_states_versioned(PGconn *conn, const char *const *accounts,
                                                     const int64_t *versions, size_t n,
                                                     json_t **states, json_t **unchanged,
                                                     revos_err *err)
{
    *states = json_object();
    *unchanged = json_object();
    if (n == 0)
        return REVOS_OK;
    char **text = calloc(n, sizeof *text);
    char *ids = revos_pg_text_array(accounts, n), *vers = NULL;
    int ok = text != NULL && ids != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        char v[32];
        snprintf(v, sizeof v, "%lld", versions != NULL ? (long long)versions[i] : -1LL);
        ok = (text[i] = strdup(v)) != NULL;
    }
    if (ok)
        ok = (vers = revos_pg_text_array((const char *const *)text, n)) != NULL;
    for (size_t i = 0; text != NULL && i < n; i++)
        free(text[i]);
    free(text);
    if (!ok) {
        free(ids);
        free(vers);
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory loading score states");
    }
    const char *params[] = {ids, vers};
    const int lengths[] = {-1, -1};
    PGresult *res = NULL;
    /* Locked in account order: a threshold change re-scores accounts of
     * other instances' partitions (revos_score_store_load_states_from), and
     * both lock in the same order. */
    revos_status st = revos_pg_exec_binary(conn,
        "SELECT s.account_id, CASE WHEN s.version = c.v THEN NULL ELSE s.blob END,"
        "   CASE WHEN s.version = c.v THEN NULL ELSE s.state::text END, s.version = c.v"
        " FROM score_account_state s JOIN unnest($1::text[], $2::bigint[]) AS c(a, v)"
        "   ON c.a = s.account_id"
        " ORDER BY s.account_id FOR UPDATE OF s",
        2, params, lengths, 1, &res, err);
    free(ids);
    free(vers);
    if (st == REVOS_OK)
        st = states_from(res, *states, *unchanged, err);
    PQclear(res);
    if (st != REVOS_OK) {
        json_decref(*states);
        json_decref(*unchanged);
        *states = *unchanged = NULL;
        return revos_wrap(err, st, "loading score states");
    }
    return REVOS_OK;
}

revos_status revos_score_store_load_states(PGconn *conn, const char *const *accounts, size_t n,
                                           json_t **states, revos_err *err)
{
    json_t *unchanged = NULL;
    revos_status st =
        revos_score_store_load_states_versioned(conn, accounts, NULL, n, states, &unchanged, err);
    json_decref(unchanged);
    return st;
}

revos_status revos_score_store_load_states_from(PGconn *conn, int64_t day, json_t *states,
                                                revos_err *err)
{
    char day_text[32];
    snprintf(day_text, sizeof day_text, "%lld", (long long)day);
    const char *params[] = {day_text};
    const int lengths[] = {-1};
    PGresult *res = NULL;
    revos_status st = revos_pg_exec_binary(conn,
        "SELECT " STATE_COLUMNS " FROM score_account_state"
        " WHERE newest_day >= $1::bigint ORDER BY account_id FOR UPDATE",
        1, params, lengths, 1, &res, err);
    if (st == REVOS_OK) {
        json_t *loaded = json_object();
        st = states_from(res, loaded, NULL, err);
        const char *account;
        json_t *state;
        json_object_foreach (loaded, account, state) {
            if (json_object_get(states, account) == NULL)
                json_object_set(states, account, state);
        }
        json_decref(loaded);
    }
    PQclear(res);
    return st == REVOS_OK ? st : revos_wrap(err, st, "loading score states for a threshold change");
}

/* The states travel as one bytea parameter in binary format, every state's
 * bytes one after the other, cut apart by offset and length in SQL. */
revos_status revos_score_store_save_states(PGconn *conn, const json_t *states, size_t *sizes,
                                           int64_t *version, revos_err *err)
{
    size_t n = json_object_size(states), k = 0;
    if (version != NULL)
        *version = 0;
    if (n == 0)
        return REVOS_OK;
    column cols[4] = {{0}}; /* account, offset, length, newest day */
    int ok = columns_init(cols, 4, n) == 0;
    revos_score_bytes blobs = {0};
    const char *account;
    json_t *state;
    json_object_foreach ((json_t *)states, account, state) {
        size_t offset = blobs.len;
        ok = ok && revos_score_state_encode(state, &blobs) == 0 &&
             column_add(&cols[0], account) == 0 &&
             column_add_int(&cols[1], (long long)offset + 1) == 0 &&
             column_add_int(&cols[2], (long long)(blobs.len - offset)) == 0 &&
             column_add_int(&cols[3], (long long)revos_score_state_int(state, "newest_day", 0)) == 0;
        if (!ok)
            break;
        if (sizes != NULL)
            sizes[k] = blobs.len - offset;
        k++;
    }
    revos_status st = REVOS_OK;
    if (!ok || blobs.len > (size_t)INT32_MAX)
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory saving score states");
    char *arrays[4] = {0};
    for (size_t c = 0; c < 4 && st == REVOS_OK; c++)
        if ((arrays[c] = revos_pg_text_array((const char *const *)cols[c].items, cols[c].n)) == NULL)
            st = revos_fail(err, REVOS_ERR_FATAL, "out of memory saving score states");
    if (st == REVOS_OK) {
        const char *params[5] = {arrays[0], (const char *)blobs.data, arrays[1], arrays[2],
                                 arrays[3]};
        const int lengths[5] = {-1, (int)blobs.len, -1, -1, -1};
        PGresult *res = NULL;
        st = revos_pg_exec_binary(conn,
            "INSERT INTO score_account_state (account_id, blob, newest_day, state, version,"
            "   updated_at)"
            " SELECT u.a, substring($2::bytea FROM u.o::int FOR u.l::int), u.d, NULL,"
            "   pg_current_xact_id()::text::bigint, now()"
            " FROM unnest($1::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(a, o, l, d)"
            " ON CONFLICT (account_id) DO UPDATE SET blob = EXCLUDED.blob,"
            " newest_day = EXCLUDED.newest_day, state = NULL, version = EXCLUDED.version,"
            " updated_at = EXCLUDED.updated_at"
            " RETURNING version",
            5, params, lengths, 0, &res, err);
        if (st == REVOS_OK && PQntuples(res) > 0 && version != NULL)
            *version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
    }
    for (size_t c = 0; c < 4; c++)
        free(arrays[c]);
    columns_free(cols, 4);
    free(blobs.data);
    return st == REVOS_OK ? st : revos_wrap(err, st, "saving score states");
}

/* ==== Tuned thresholds ==== */

revos_status revos_score_store_load_thresholds(PGconn *conn, json_t **changes, revos_err *err)
{
    PGresult *res = NULL;
    *changes = NULL;
    revos_status st = revos_pg_exec(conn,
        "SELECT change_id, score_kind, tier, threshold, effective_day FROM score_threshold_log"
        " ORDER BY effective_day, change_id",
        0, NULL, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "loading tuned thresholds");
    *changes = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(*changes,
                              json_pack("{s:s,s:s,s:s,s:f,s:I}", "change_id", PQgetvalue(res, i, 0),
                                        "score_kind", PQgetvalue(res, i, 1), "tier",
                                        PQgetvalue(res, i, 2), "new_threshold",
                                        strtod(PQgetvalue(res, i, 3), NULL), "day",
                                        (json_int_t)strtoll(PQgetvalue(res, i, 4), NULL, 10)));
    PQclear(res);
    return REVOS_OK;
}

revos_status revos_score_store_save_thresholds(PGconn *conn, const json_t *changes, revos_err *err)
{
    size_t n = json_array_size(changes);
    if (n == 0)
        return REVOS_OK;
    column cols[5];
    int oom = columns_init(cols, 5, n) != 0;
    for (size_t i = 0; i < n && !oom; i++) {
        const json_t *ch = json_array_get(changes, i);
        oom |= column_add(&cols[0], json_string_value(json_object_get(ch, "change_id")));
        oom |= column_add(&cols[1], json_string_value(json_object_get(ch, "score_kind")));
        oom |= column_add(&cols[2], json_string_value(json_object_get(ch, "tier")));
        oom |= column_add_double(&cols[3], json_number_value(json_object_get(ch, "new_threshold")));
        oom |= column_add_int(&cols[4], (long long)json_integer_value(json_object_get(ch, "day")));
    }
    /* the log, then the bound in force at the newest effective day per tier */
    revos_status st = oom ? revos_fail(err, REVOS_ERR_FATAL, "out of memory saving thresholds")
                          : exec_columns(conn,
        "INSERT INTO score_threshold_log (change_id, score_kind, tier, threshold, effective_day)"
        " SELECT c, k, t, th, d FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[],"
        "   $5::bigint[]) AS u(c, k, t, th, d)"
        " ON CONFLICT (change_id) DO UPDATE SET threshold = EXCLUDED.threshold,"
        "   effective_day = EXCLUDED.effective_day, recorded_at = now()",
        cols, 5, err);
    if (st == REVOS_OK)
        st = exec_columns(conn,
            "INSERT INTO score_thresholds (score_kind, tier, threshold, change_id, applied_at)"
            " SELECT DISTINCT ON (l.score_kind, l.tier) l.score_kind, l.tier, l.threshold,"
            "   l.change_id, now() FROM score_threshold_log l"
            "  WHERE (l.score_kind, l.tier) IN (SELECT k, t FROM unnest($1::text[], $2::text[])"
            "   AS u(k, t))"
            "  ORDER BY l.score_kind, l.tier, l.effective_day DESC, l.change_id DESC"
            " ON CONFLICT (score_kind, tier) DO UPDATE SET threshold = EXCLUDED.threshold,"
            " change_id = EXCLUDED.change_id, applied_at = EXCLUDED.applied_at",
            cols + 1, 2, err);
    columns_free(cols, 5);
    return st == REVOS_OK ? st : revos_wrap(err, st, "saving tuned thresholds");
}

/* ==== Current scores ==== */

revos_status revos_score_store_save_current(PGconn *conn, const json_t *updates, revos_err *err)
{
    size_t n = json_array_size(updates);
    if (n == 0)
        return REVOS_OK;
    column cols[8];
    int oom = columns_init(cols, 8, n) != 0;
    json_t *last = last_index(updates, "account_id", "kind");
    for (size_t i = 0; i < n && !oom; i++) {
        const json_t *u = json_array_get(updates, i);
        if (!is_last(last, u, "account_id", "kind", i))
            continue;
        json_t *explanation = json_pack("{s:O,s:O,s:O,s:O}", "text", json_object_get(u, "explanation"),
                                        "contributions", json_object_get(u, "contributions"),
                                        "context", json_object_get(u, "context"),
                                        "trigger_signal_id", json_object_get(u, "trigger_signal_id"));
        char *text = explanation ? json_dumps(explanation, JSON_COMPACT) : NULL;
        json_decref(explanation);
        oom |= text == NULL;
        oom |= column_add(&cols[0], json_string_value(json_object_get(u, "account_id")));
        oom |= column_add(&cols[1], json_string_value(json_object_get(u, "kind")));
        oom |= column_add_double(&cols[2], json_number_value(json_object_get(u, "value")));
        oom |= column_add(&cols[3], json_string_value(json_object_get(u, "tier"))); /* NULL: no tier */
        oom |= column_add(&cols[4], json_string_value(json_object_get(u, "score_id")));
        oom |= column_add_int(&cols[5], (long long)json_integer_value(json_object_get(u, "config_version")));
        oom |= column_add_int(&cols[6], (long long)json_integer_value(json_object_get(u, "as_of")));
        oom |= column_add(&cols[7], text);
        free(text);
    }
    json_decref(last);
    revos_status st = oom ? revos_fail(err, REVOS_ERR_FATAL, "out of memory saving current scores")
                          : exec_columns(conn,
        "INSERT INTO score_current (account_id, kind, value, tier, score_id, config_version, as_of,"
        " explanation, updated_at)"
        " SELECT a, k, v, t, id, cv, ms, e::jsonb, now() FROM unnest($1::text[], $2::text[],"
        " $3::float8[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])"
        " AS u(a, k, v, t, id, cv, ms, e)"
        " ON CONFLICT (account_id, kind) DO UPDATE SET value = EXCLUDED.value, tier = EXCLUDED.tier,"
        " score_id = EXCLUDED.score_id, config_version = EXCLUDED.config_version,"
        " as_of = EXCLUDED.as_of, explanation = EXCLUDED.explanation, updated_at = EXCLUDED.updated_at",
        cols, 8, err);
    columns_free(cols, 8);
    return st == REVOS_OK ? st : revos_wrap(err, st, "saving current scores");
}

/* ==== Tiers by day ==== */

revos_status revos_score_store_save_tiers(PGconn *conn, const json_t *updates, revos_err *err)
{
    size_t n = json_array_size(updates);
    if (n == 0)
        return REVOS_OK;
    column cols[5];
    int oom = columns_init(cols, 5, n) != 0;
    for (size_t i = 0; i < n && !oom; i++) {
        const json_t *u = json_array_get(updates, i);
        int64_t as_of = (int64_t)json_integer_value(json_object_get(u, "as_of"));
        oom |= column_add(&cols[0], json_string_value(json_object_get(u, "account_id")));
        oom |= column_add(&cols[1], json_string_value(json_object_get(u, "kind")));
        oom |= column_add_int(&cols[2], (long long)revos_day_of_ms(as_of));
        oom |= column_add(&cols[3], json_string_value(json_object_get(u, "tier")));
        oom |= column_add_int(&cols[4], (long long)json_integer_value(json_object_get(u, "revision")));
    }
    /* one row per cell: the latest revision of the batch, then of all time */
    revos_status st = oom ? revos_fail(err, REVOS_ERR_FATAL, "out of memory saving tiers")
                          : exec_columns(conn,
        "INSERT INTO score_tiers (account_id, kind, day, tier, revision)"
        " SELECT DISTINCT ON (a, k, d) a, k, d, t, r FROM unnest($1::text[], $2::text[],"
        " $3::int[], $4::text[], $5::int[]) AS u(a, k, d, t, r) ORDER BY a, k, d, r DESC"
        " ON CONFLICT (account_id, kind, day) DO UPDATE SET tier = EXCLUDED.tier,"
        " revision = EXCLUDED.revision WHERE score_tiers.revision <= EXCLUDED.revision",
        cols, 5, err);
    columns_free(cols, 5);
    return st == REVOS_OK ? st : revos_wrap(err, st, "saving tiers");
}
