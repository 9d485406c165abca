/* test_score_worker.c -- revos-score's SQL (workers/score/store.h and
 * schema.sql) against a real PostgreSQL: REVOS_PG_DSN (from
 * `eval "$(deploy/local/up --pg-only)"`). Each run works in a database of
 * its own, created and dropped here. */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg/pg.h"
#include "score/calendar.h"
#include "score/engine.h"
#include "score/rules.h"
#include "score/state.h"
#include "score/store.h"

#define SCHEMA_FILE REVOS_CONFIG_DIR "/../workers/score/schema.sql"
#define SCHEMA_EVENT_TIME_FILE REVOS_CONFIG_DIR "/../workers/score/schema_eventtime.sql"
#define SCHEMA_BLOB_FILE REVOS_CONFIG_DIR "/../workers/score/schema_blob.sql"
#define SCHEMA_VERSION_FILE REVOS_CONFIG_DIR "/../workers/score/schema_state_version.sql"
#define SCHEMA_TIERS_FILE REVOS_CONFIG_DIR "/../workers/score/schema_tiers.sql"

static char db_name[64];
static char db_dsn[1024];

/* ==== Database fixture ==== */

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "already exists, skipping" and the like */
}

static void run_admin(const char *sql)
{
    const char *dsn = getenv("REVOS_PG_DSN");
    PGconn *admin = PQconnectdb(dsn);
    ck_assert_msg(PQstatus(admin) == CONNECTION_OK, "connect: %s", PQerrorMessage(admin));
    PQsetNoticeProcessor(admin, quiet, NULL);
    PGresult *res = PQexec(admin, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(admin));
    PQclear(res);
    PQfinish(admin);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)size + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    return text;
}

static void apply_schema(PGconn *conn)
{
    const char *files[] = {SCHEMA_FILE, SCHEMA_EVENT_TIME_FILE, SCHEMA_BLOB_FILE, SCHEMA_VERSION_FILE,
                           SCHEMA_TIERS_FILE};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *sql = read_file(files[i]);
        PGresult *res = PQexec(conn, sql); /* several statements: simple protocol */
        ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", files[i], PQerrorMessage(conn));
        PQclear(res);
        free(sql);
    }
}

static void setup(void)
{
    const char *dsn = getenv("REVOS_PG_DSN");
    ck_assert_msg(dsn != NULL && dsn[0] != '\0',
                  "REVOS_PG_DSN is not set: eval \"$(deploy/local/up --pg-only)\"");
    snprintf(db_name, sizeof db_name, "revos_score_it_%ld", (long)getpid());
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    run_admin(sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    run_admin(sql);
    snprintf(db_dsn, sizeof db_dsn, "%s dbname=%s", dsn, db_name);
}

static void teardown(void)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    run_admin(sql);
}

static PGconn *connect_db(void)
{
    PGconn *conn = NULL;
    revos_err err = {0};
    ck_assert_msg(revos_pg_connect(db_dsn, "test_score_worker", &conn, &err) == REVOS_OK, "%s", err.msg);
    PQsetNoticeProcessor(conn, quiet, NULL);
    apply_schema(conn);
    return conn;
}

static void begin(PGconn *conn)
{
    revos_err err = {0};
    ck_assert_msg(revos_pg_begin(conn, &err) == REVOS_OK, "%s", err.msg);
}

static void commit(PGconn *conn)
{
    revos_err err = {0};
    ck_assert_msg(revos_pg_commit(conn, &err) == REVOS_OK, "%s", err.msg);
}

static char *query_value(PGconn *conn, const char *sql, const char *param)
{
    revos_err err = {0};
    PGresult *res = NULL;
    const char *params[] = {param};
    ck_assert_msg(revos_pg_exec(conn, sql, param ? 1 : 0, params, &res, &err) == REVOS_OK, "%s", err.msg);
    char *v = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return v;
}

/* ==== Signals ==== */

static revos_score_rules *load_rules(void)
{
    json_error_t jerr;
    json_t *doc = json_load_file(REVOS_CONFIG_DIR "/scoring.json", 0, &jerr);
    ck_assert_msg(doc != NULL, "scoring.json: %s", jerr.text);
    revos_score_rules *rules = NULL;
    revos_err err = {0};
    ck_assert_msg(revos_score_rules_load(doc, &rules, &err) == REVOS_OK, "%s", err.msg);
    json_decref(doc);
    return rules;
}

static int64_t day_ms(int day, int minute)
{
    return (revos_day_from_civil(2026, 6, 1) + day) * REVOS_MS_PER_DAY + (int64_t)minute * 60000;
}

static json_t *signal(const char *account, const char *id, const char *family, const char *type,
                      int64_t ms, double value, ...)
{
    json_t *attrs = json_object();
    va_list ap;
    va_start(ap, value);
    for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *))
        json_object_set_new(attrs, k, json_string(va_arg(ap, const char *)));
    va_end(ap);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:s,s:s,s:i,s:I}", "signal_id", id,
                     "account_id", account, "family", family, "type", type, "severity", "info",
                     "occurred_at", (json_int_t)ms, "value", isnan(value) ? json_null() : json_real(value),
                     "attributes", attrs, "evidence", "it", "source_event_id", id, "source", "it",
                     "source_topic", "revos.raw.it", "source_partition", 0, "source_offset", (json_int_t)0);
}

/* The reference walkthrough for two accounts, interleaved as one partition
 * would deliver them. */
static json_t *walkthrough(void)
{
    static const char *const accounts[] = {"acct-a", "acct-b"};
    json_t *list = json_array();
    char id[64];
    for (size_t a = 0; a < 2; a++) {
        const char *acct = accounts[a];
        snprintf(id, sizeof id, "%s-profile", acct);
        json_array_append_new(list, signal(acct, id, "institutional", "account_profile", day_ms(0, 480), NAN,
                                           "name", "Lincoln Unified", "ae", "ae1", "csm", "csm1",
                                           "csm_lead", "lead1", NULL));
        snprintf(id, sizeof id, "%s-opp", acct);
        json_array_append_new(list, signal(acct, id, "procurement", "renewal_opportunity", day_ms(0, 485), 180000,
                                           "opportunity_id", "006R", "close_date", "2026-12-08", NULL));
        snprintf(id, sizeof id, "%s-role", acct);
        json_array_append_new(list, signal(acct, id, "stakeholder", "contact_role", day_ms(0, 490), NAN,
                                           "contact_id", "003C", "role_class", "champion", "action", "create", NULL));
    }
    for (int day = 0; day < 90; day++) {
        for (size_t a = 0; a < 2; a++) {
            const char *acct = accounts[a];
            int n = day < 60 ? 10 : ((day - 60) % 2 == 0 ? 6 : 7);
            for (int i = 0; i < n; i++) {
                snprintf(id, sizeof id, "%s-u-%d-%d", acct, day, i);
                json_array_append_new(list, signal(acct, id, "usage", "product_usage", day_ms(day, 540 + 60 * i), NAN, NULL));
            }
            if ((day < 60 && day % 10 == 5) || (day >= 61 && day <= 85 && (day - 61) % 3 == 0)) {
                snprintf(id, sizeof id, "%s-t-%d", acct, day);
                json_array_append_new(list, signal(acct, id, "health", "ticket_opened", day_ms(day, 750), NAN, NULL));
            }
            if (day == 20 || day == 80) {
                snprintf(id, sizeof id, "%s-nps-%d", acct, day);
                json_array_append_new(list, signal(acct, id, "engagement", "nps_response", day_ms(day, 870),
                                                   day == 20 ? 8 : 3, NULL));
            }
            if (day == 88) {
                snprintf(id, sizeof id, "%s-role-2", acct);
                json_array_append_new(list, signal(acct, id, "stakeholder", "contact_role", day_ms(88, 630), NAN,
                                                   "contact_id", "003C", "role_class", "other", "action", "update", NULL));
            }
        }
    }
    return list;
}

/* What revos_score_process does with one batch, minus the Kafka outputs:
 * one query for the states, one for the thresholds, the engine (every
 * signal added, then each touched account settled once), one statement
 * for the states and one for score_current. */
static void run_batch(PGconn *conn, const revos_score_rules *rules, json_t *signals, size_t from,
                      size_t to, json_t *all_updates)
{
    revos_err err = {0};
    const char *ids[4096];
    size_t n_ids = 0;
    json_t *seen = json_object();
    for (size_t i = from; i < to; i++) {
        const char *acct = json_string_value(json_object_get(json_array_get(signals, i), "account_id"));
        if (json_object_get(seen, acct) == NULL) {
            json_object_set_new(seen, acct, json_true());
            ids[n_ids++] = acct;
        }
    }
    begin(conn);
    json_t *states = NULL, *tuned = NULL;
    ck_assert_msg(revos_score_store_load_states(conn, ids, n_ids, &states, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_msg(revos_score_store_load_thresholds(conn, &tuned, &err) == REVOS_OK, "%s", err.msg);
    json_t *dirty = json_object(), *updates = json_array(), *latest = json_array();
    for (size_t i = from; i < to; i++) {
        json_t *sig = json_array_get(signals, i);
        const char *acct = json_string_value(json_object_get(sig, "account_id"));
        json_t *state = json_object_get(states, acct);
        if (state == NULL) {
            state = revos_score_state_new(acct);
            json_object_set_new(states, acct, state);
        }
        revos_score_outcome outcome;
        ck_assert_msg(revos_score_engine_add(rules, state, sig, &outcome, &err) == REVOS_OK, "%s", err.msg);
        json_object_set(dirty, acct, state);
    }
    const char *acct;
    json_t *state;
    json_object_foreach (dirty, acct, state)
        ck_assert_msg(revos_score_engine_settle(rules, state, tuned, 3, updates, latest, &err) == REVOS_OK,
                      "%s", err.msg);
    ck_assert_msg(revos_score_store_save_states(conn, dirty, NULL, NULL, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_msg(revos_score_store_save_current(conn, latest, &err) == REVOS_OK, "%s", err.msg);
    commit(conn);
    json_array_extend(all_updates, updates);
    json_decref(updates);
    json_decref(latest);
    json_decref(dirty);
    json_decref(states);
    json_decref(tuned);
    json_decref(seen);
}

/* The settled timelines ({account: cells}) of the signals scored in memory,
 * one signal at a time. */
static json_t *run_in_memory(const revos_score_rules *rules, json_t *signals)
{
    json_t *states = json_object(), *updates = json_array();
    for (size_t i = 0; i < json_array_size(signals); i++) {
        json_t *sig = json_array_get(signals, i);
        const char *acct = json_string_value(json_object_get(sig, "account_id"));
        json_t *state = json_object_get(states, acct);
        if (state == NULL) {
            state = revos_score_state_new(acct);
            json_object_set_new(states, acct, state);
        }
        revos_err err = {0};
        revos_score_outcome outcome;
        ck_assert(revos_score_engine_apply(rules, state, sig, NULL, 3, updates, &outcome, &err) == REVOS_OK);
    }
    json_t *timelines = json_object();
    const char *acct;
    json_t *state;
    json_object_foreach (states, acct, state)
        json_object_set(timelines, acct, json_object_get(state, "cells"));
    json_decref(updates);
    json_decref(states);
    return timelines;
}

/* ==== Tests ==== */

START_TEST(test_schema_applies_twice)
{
    PGconn *conn = connect_db();
    apply_schema(conn); /* IF NOT EXISTS everywhere */
    char *n = query_value(conn,
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN"
        " ('score_account_state', 'score_current', 'score_thresholds')", NULL);
    ck_assert_str_eq(n, "3");
    free(n);
    PQfinish(conn);
}
END_TEST

START_TEST(test_batches_through_jsonb_give_the_in_memory_updates)
{
    PGconn *conn = connect_db();
    revos_score_rules *rules = load_rules();
    json_t *signals = walkthrough();
    json_t *expected = run_in_memory(rules, signals);
    json_t *got = json_array();
    size_t n = json_array_size(signals), batch = 97;
    for (size_t from = 0; from < n; from += batch)
        run_batch(conn, rules, signals, from, from + batch < n ? from + batch : n, got);
    /* the timelines stored through jsonb are the in-memory ones */
    ck_assert_uint_gt(json_array_size(got), 0);
    const char *acct;
    json_t *cells;
    json_object_foreach (expected, acct, cells) {
        char *want_cells = json_dumps(cells, JSON_COMPACT | JSON_SORT_KEYS);
        /* stored as bytes (state_codec.h), with its newest day beside */
        char *stored = query_value(conn, "SELECT (state IS NULL AND length(blob) > 100)::text"
                                         " || ' ' || newest_day"
                                         " FROM score_account_state WHERE account_id = $1", acct);
        const char *ids[] = {acct};
        json_t *loaded = NULL;
        revos_err err = {0};
        ck_assert_int_eq(revos_score_store_load_states(conn, ids, 1, &loaded, &err), REVOS_OK);
        char want_row[64];
        snprintf(want_row, sizeof want_row, "true %lld",
                 (long long)json_integer_value(json_object_get(json_object_get(loaded, acct), "newest_day")));
        ck_assert_str_eq(stored, want_row);
        free(stored);
        char *got_cells = json_dumps(json_object_get(json_object_get(loaded, acct), "cells"),
                                     JSON_COMPACT | JSON_SORT_KEYS);
        ck_assert_msg(strcmp(want_cells, got_cells) == 0, "timeline of %s differs after jsonb", acct);
        free(want_cells);
        free(got_cells);
        json_decref(loaded);
    }

    /* score_current holds the last update of each kind */
    char *v = query_value(conn, "SELECT value || ' ' || tier FROM score_current WHERE account_id = $1"
                                " AND kind = 'renewal_risk'", "acct-b");
    ck_assert_str_eq(v, "82.9 critical");
    free(v);
    v = query_value(conn, "SELECT explanation->>'text' FROM score_current WHERE account_id = $1"
                          " AND kind = 'renewal_risk'", "acct-a");
    ck_assert_str_eq(v, "Renewal risk 82.9 (critical): usage down 35.0% against the best recent quarter adds "
                        "42.0; champion changed on 2026-08-28, no successor yet adds 10.0; latest NPS 3 adds "
                        "4.0; support tickets at 2.8x the prior rate adds 4.4; renewal in 101 days adds 22.5.");
    free(v);
    v = query_value(conn, "SELECT score_id || ' ' || as_of || ' ' || config_version FROM score_current"
                          " WHERE account_id = $1 AND kind = 'renewal_risk'", "acct-a");
    char want[160];
    snprintf(want, sizeof want, "acct-a:renewal_risk:2026-08-29 %lld 3", (long long)day_ms(90, 0) - 1);
    ck_assert_str_eq(v, want);
    free(v);
    v = query_value(conn, "SELECT count(*) FROM score_current WHERE tier IS NULL", NULL);
    ck_assert_str_eq(v, "4"); /* account_health and forecast_confidence of both accounts */
    free(v);
    v = query_value(conn, "SELECT count(*) FROM score_account_state", NULL);
    ck_assert_str_eq(v, "2");
    free(v);

    json_decref(expected);
    json_decref(got);
    json_decref(signals);
    revos_score_rules_free(rules);
    PQfinish(conn);
}
END_TEST

START_TEST(test_contributions_add_up_in_score_current)
{
    PGconn *conn = connect_db();
    revos_score_rules *rules = load_rules();
    json_t *signals = walkthrough();
    json_t *got = json_array();
    run_batch(conn, rules, signals, 0, json_array_size(signals), got);
    char *bad = query_value(conn,
        "SELECT count(*) FROM (SELECT s.account_id, s.kind FROM score_current s,"
        " jsonb_array_elements(s.explanation->'contributions') c GROUP BY s.account_id, s.kind, s.value"
        " HAVING abs(sum((c->>'points')::float8) - s.value) > 1e-9) x", NULL);
    ck_assert_str_eq(bad, "0");
    free(bad);
    json_decref(got);
    json_decref(signals);
    revos_score_rules_free(rules);
    PQfinish(conn);
}
END_TEST

START_TEST(test_thresholds_upsert_last_change_wins)
{
    PGconn *conn = connect_db();
    revos_err err = {0};
    /* in force from days 20500, 20400 and 20600: the latest effective one wins */
    json_t *changes = json_pack("[{s:s,s:s,s:s,s:f,s:I},{s:s,s:s,s:s,s:f,s:I},{s:s,s:s,s:s,s:f,s:I}]",
                                "change_id", "c1", "score_kind", "renewal_risk", "tier", "critical", "new_threshold", 72.0, "day", (json_int_t)20500,
                                "change_id", "c2", "score_kind", "renewal_risk", "tier", "high", "new_threshold", 58.5, "day", (json_int_t)20400,
                                "change_id", "c3", "score_kind", "renewal_risk", "tier", "critical", "new_threshold", 70.0, "day", (json_int_t)20600);
    begin(conn);
    ck_assert_msg(revos_score_store_save_thresholds(conn, changes, &err) == REVOS_OK, "%s", err.msg);
    commit(conn);
    json_t *tuned = NULL;
    ck_assert_msg(revos_score_store_load_thresholds(conn, &tuned, &err) == REVOS_OK, "%s", err.msg);
    /* the log, oldest effective day first */
    ck_assert_uint_eq(json_array_size(tuned), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(tuned, 0), "change_id")), "c2");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(tuned, 2), "change_id")), "c3");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(tuned, 1), "day")), 20500);
    ck_assert_double_eq(json_real_value(json_object_get(json_array_get(tuned, 2), "new_threshold")), 70.0);
    char *id = query_value(conn, "SELECT change_id FROM score_thresholds WHERE tier = $1", "critical");
    ck_assert_str_eq(id, "c3");
    free(id);
    json_decref(tuned);
    json_decref(changes);
    PQfinish(conn);
}
END_TEST

START_TEST(test_unknown_accounts_load_no_state)
{
    PGconn *conn = connect_db();
    revos_err err = {0};
    const char *ids[] = {"nobody", "with \"quotes\" and \\ and , commas"};
    json_t *states = NULL;
    ck_assert_msg(revos_score_store_load_states(conn, ids, 2, &states, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_uint_eq(json_object_size(states), 0);
    json_decref(states);
    /* an account id that needs quoting in a text[] literal round-trips */
    json_t *save = json_object();
    json_object_set_new(save, ids[1], revos_score_state_new(ids[1]));
    begin(conn);
    ck_assert_msg(revos_score_store_save_states(conn, save, NULL, NULL, &err) == REVOS_OK, "%s", err.msg);
    commit(conn);
    ck_assert_msg(revos_score_store_load_states(conn, ids, 2, &states, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_uint_eq(json_object_size(states), 1);
    ck_assert(revos_score_state_check(json_object_get(states, ids[1]), ids[1], &err) == REVOS_OK);
    json_decref(states);
    json_decref(save);
    PQfinish(conn);
}
END_TEST

/* A row written before the stored form (schema_blob.sql) holds jsonb and
 * no blob: it loads as the same state, and is written back as a blob. A
 * blob that is not an encoded state is a fatal error naming the account. */
START_TEST(test_jsonb_rows_load_and_corrupt_blobs_are_fatal)
{
    PGconn *conn = connect_db();
    revos_score_rules *rules = load_rules();
    json_t *signals = walkthrough();
    json_t *timelines = run_in_memory(rules, signals);
    const char *acct = "acct-a";
    json_t *cells = json_object_get(timelines, acct);
    ck_assert_ptr_nonnull(cells);
    /* the old row: the state as jsonb (cells are enough for the check) */
    json_t *old = revos_score_state_new(acct);
    json_object_set(old, "cells", cells);
    json_object_set_new(old, "newest_day", json_integer(20694));
    char *text = json_dumps(old, JSON_COMPACT);
    const char *params[] = {acct, text};
    revos_err err = {0};
    ck_assert_msg(revos_pg_exec(conn, "INSERT INTO score_account_state (account_id, state, newest_day)"
                                      " VALUES ($1, $2::jsonb, 20694)", 2, params, NULL, &err) == REVOS_OK,
                  "%s", err.msg);
    const char *ids[] = {acct};
    json_t *states = NULL;
    ck_assert_msg(revos_score_store_load_states(conn, ids, 1, &states, &err) == REVOS_OK, "%s", err.msg);
    ck_assert(json_equal(json_object_get(states, acct), old));
    begin(conn);
    ck_assert_msg(revos_score_store_save_states(conn, states, NULL, NULL, &err) == REVOS_OK, "%s", err.msg);
    commit(conn);
    char *v = query_value(conn, "SELECT (state IS NULL AND blob IS NOT NULL)::text || ' ' || newest_day"
                                " FROM score_account_state WHERE account_id = $1", acct);
    ck_assert_str_eq(v, "true 20694");
    free(v);
    json_decref(states);
    ck_assert_msg(revos_score_store_load_states(conn, ids, 1, &states, &err) == REVOS_OK, "%s", err.msg);
    ck_assert(json_equal(json_object_get(states, acct), old));
    json_decref(states);
    /* a corrupt blob */
    ck_assert(revos_pg_exec(conn, "UPDATE score_account_state SET blob = '\\x5256530107ff'::bytea"
                                  " WHERE account_id = $1", 1, ids, NULL, &err) == REVOS_OK);
    states = NULL;
    err.msg[0] = '\0';
    ck_assert_int_eq(revos_score_store_load_states(conn, ids, 1, &states, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_null(states);
    ck_assert_msg(strstr(err.msg, acct) != NULL && strstr(err.msg, "corrupt") != NULL, "%s", err.msg);
    free(text);
    json_decref(old);
    json_decref(timelines);
    json_decref(signals);
    revos_score_rules_free(rules);
    PQfinish(conn);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("score_worker");
    TCase *tc = tcase_create("postgres");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_schema_applies_twice);
    tcase_add_test(tc, test_batches_through_jsonb_give_the_in_memory_updates);
    tcase_add_test(tc, test_contributions_add_up_in_score_current);
    tcase_add_test(tc, test_thresholds_upsert_last_change_wins);
    tcase_add_test(tc, test_unknown_accounts_load_no_state);
    tcase_add_test(tc, test_jsonb_rows_load_and_corrupt_blobs_are_fatal);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
