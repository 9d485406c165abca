/* test_common_pg.c -- specification of common/pg/pg.h against a real
 * PostgreSQL (REVOS_PG_DSN, from `eval "$(deploy/local/up --pg-only)"`):
 * migrations, the governed configuration store and its audit trail, error
 * classes (syntax error, lost connection), reconnecting, and text[]
 * literals for batch statements.
 *
 * Every test works in a database of its own, created by the fixture and
 * dropped afterwards, so runs never collide. */
#include "pg/pg.h"

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char db_name[64];
static char db_dsn[2048];
static PGconn *conn;

/* ==== Database fixture ==== */

#define PGFX_DB_PREFIX "revos_common_pg_"
#include "integration/pg_fixture.h"

static PGconn *connect_db(void)
{
    PGconn *c = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_connect(db_dsn, "test_common_pg", &c, &err) == REVOS_OK, "%s", err.msg);
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

static void setup(void)
{
    create_database(db_name, sizeof db_name, db_dsn, sizeof db_dsn);
    conn = connect_db();
}

static void teardown(void)
{
    if (conn != NULL)
        PQfinish(conn);
    conn = NULL;
    drop_database(db_name);
}

static void migrate(PGconn *c)
{
    int applied = -1;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_migrate(c, &applied, &err) == REVOS_OK, "%s", err.msg);
}

/* First column of the first row as a long (the query must return one). */
static long query_long(PGconn *c, const char *sql, const char *param)
{
    revos_err err = {{0}, {0}};
    PGresult *res = NULL;
    const char *params[] = {param};
    ck_assert_msg(revos_pg_exec(c, sql, param ? 1 : 0, params, &res, &err) == REVOS_OK, "%s: %s", sql,
                  err.msg);
    ck_assert_int_eq(PQntuples(res), 1);
    long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s", jerr.text);
    return doc;
}

static void store(const char *text, int64_t *version, int *changed)
{
    json_t *doc = parse(text);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_config_store(conn, doc, "tester", version, changed, &err) == REVOS_OK, "%s",
                  err.msg);
    json_decref(doc);
}

/* "section:change" for every audit row of a version, ordered by section. */
static void audit_rows(int64_t version, char *out, size_t outlen)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)version);
    const char *params[] = {v};
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_exec(conn,
                                "SELECT section || ':' || change FROM config_audit"
                                " WHERE version = $1::bigint ORDER BY section", 1, params, &res, &err)
                  == REVOS_OK, "%s", err.msg);
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < PQntuples(res); i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? " " : "", PQgetvalue(res, i, 0));
    PQclear(res);
}

#define DOC_V1 "{\"scoring\": {\"rules\": [1, 2]}, \"routing\": {\"matrix\": []}, \"plays\": {\"renewal_save\": {}}}"

/* ==== Migrations ==== */

START_TEST(migrate_applies_every_migration_then_is_idempotent)
{
    int applied = -1;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_migrate(conn, &applied, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_ge(applied, 5);
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM schema_migrations", NULL), applied);
    ck_assert_msg(revos_pg_migrate(conn, &applied, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(applied, 0);
}
END_TEST

START_TEST(migrate_creates_the_shared_and_the_workers_tables)
{
    migrate(conn);
    static const char *const tables[] = {
        "consumer_offsets", "outbox", "config_versions", "config_audit",
        "norm_identity", "norm_parked", "norm_parked_keys",
        "score_account_state", "score_current", "score_thresholds",
        "route_plays", "route_tasks", "route_pages",
        "page_acks", "outcome_records", "outcome_band_stats", NULL};
    for (size_t i = 0; tables[i] != NULL; i++)
        ck_assert_msg(query_long(conn, "SELECT (to_regclass($1) IS NOT NULL)::int", tables[i]) == 1,
                      "table %s missing", tables[i]);
}
END_TEST

START_TEST(migrate_from_a_second_connection_applies_nothing)
{
    migrate(conn);
    PGconn *other = connect_db();
    int applied = -1;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_migrate(other, &applied, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(applied, 0);
    PQfinish(other);
}
END_TEST

/* Workers migrate on start, so several may migrate a fresh database at the
 * same instant; every one of them must succeed. */
typedef struct migrator {
    pthread_barrier_t *start;
    PGconn *conn;
    revos_status status;
    revos_err err;
} migrator;

static void *migrate_thread(void *arg)
{
    migrator *m = arg;
    int applied = 0;
    pthread_barrier_wait(m->start);
    m->status = revos_pg_migrate(m->conn, &applied, &m->err);
    return NULL;
}

START_TEST(migrate_by_two_workers_at_once_on_a_fresh_database_succeeds_for_both)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    migrator m[2];
    memset(m, 0, sizeof m);
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
        m[i].start = &start;
        m[i].conn = i == 0 ? conn : connect_db();
        ck_assert_int_eq(pthread_create(&threads[i], NULL, migrate_thread, &m[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    PQfinish(m[1].conn);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(m[i].status == REVOS_OK, "migrator %d: %s", i, m[i].err.msg);
    ck_assert_int_ge(query_long(conn, "SELECT count(*) FROM schema_migrations", NULL), 5);
}
END_TEST

/* ==== Governed configuration ==== */

START_TEST(config_latest_on_an_empty_store_is_retriable)
{
    migrate(conn);
    json_t *doc = (json_t *)conn; /* must be reset to NULL */
    int64_t version = 99;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_config_latest(conn, &doc, &version, &err), REVOS_ERR_RETRY);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(version, 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "no configuration applied"));
}
END_TEST

START_TEST(config_first_store_is_version_1_with_one_added_row_per_section)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    ck_assert_int_eq(version, 1);
    ck_assert_int_eq(changed, 1);
    char rows[256];
    audit_rows(1, rows, sizeof rows);
    ck_assert_str_eq(rows, "plays:added routing:added scoring:added");
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM config_audit WHERE old_checksum IS NULL"
                                      " AND length(new_checksum) = 64 AND applied_by = 'tester'", NULL), 3);
}
END_TEST

START_TEST(config_latest_returns_the_stored_document_and_version)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    json_t *doc = NULL;
    int64_t latest = 0;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_config_latest(conn, &doc, &latest, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(latest, 1);
    json_t *want = parse(DOC_V1);
    ck_assert(json_equal(doc, want));
    json_decref(want);
    json_decref(doc);
}
END_TEST

START_TEST(config_storing_the_same_document_again_is_unchanged)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    store(DOC_V1, &version, &changed);
    ck_assert_int_eq(version, 1);
    ck_assert_int_eq(changed, 0);
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM config_versions", NULL), 1);
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM config_audit", NULL), 3);
}
END_TEST

START_TEST(config_storing_the_same_document_with_other_key_order_is_unchanged)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    store("{\"plays\": {\"renewal_save\": {}}, \"scoring\": {\"rules\": [1, 2]}, \"routing\": {\"matrix\": []}}",
          &version, &changed);
    ck_assert_int_eq(version, 1);
    ck_assert_int_eq(changed, 0);
}
END_TEST

START_TEST(config_changing_one_section_is_version_2_with_one_changed_row)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    store("{\"scoring\": {\"rules\": [1, 2, 3]}, \"routing\": {\"matrix\": []}, \"plays\": {\"renewal_save\": {}}}",
          &version, &changed);
    ck_assert_int_eq(version, 2);
    ck_assert_int_eq(changed, 1);
    char rows[256];
    audit_rows(2, rows, sizeof rows);
    ck_assert_str_eq(rows, "scoring:changed");
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM config_audit WHERE version = 2"
                                      " AND old_checksum IS NOT NULL AND new_checksum IS NOT NULL"
                                      " AND old_checksum <> new_checksum", NULL), 1);
    /* the changed row's old checksum is the one recorded when it was added */
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM config_audit a JOIN config_audit b"
                                      " ON a.section = b.section WHERE a.version = 1 AND b.version = 2"
                                      " AND a.new_checksum = b.old_checksum", NULL), 1);
}
END_TEST

START_TEST(config_removing_a_section_records_a_removed_row)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    store("{\"scoring\": {\"rules\": [1, 2]}, \"routing\": {\"matrix\": []}}", &version, &changed);
    ck_assert_int_eq(version, 2);
    char rows[256];
    audit_rows(2, rows, sizeof rows);
    ck_assert_str_eq(rows, "plays:removed");
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM config_audit WHERE version = 2"
                                      " AND old_checksum IS NOT NULL AND new_checksum IS NULL", NULL), 1);
}
END_TEST

START_TEST(config_adding_a_section_records_an_added_row)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    store("{\"scoring\": {\"rules\": [1, 2]}, \"routing\": {\"matrix\": []}, \"plays\": {\"renewal_save\": {}},"
          " \"outcomes\": {\"tuning\": true}}", &version, &changed);
    char rows[256];
    audit_rows(version, rows, sizeof rows);
    ck_assert_str_eq(rows, "outcomes:added");
}
END_TEST

START_TEST(config_store_leaves_no_transaction_open)
{
    migrate(conn);
    int64_t version = 0;
    int changed = 0;
    store(DOC_V1, &version, &changed);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
    store(DOC_V1, &version, &changed); /* the unchanged path */
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
}
END_TEST

/* ==== Statements and error classes ==== */

START_TEST(exec_returns_rows_of_a_parameterized_query)
{
    const char *params[] = {"it's; DROP TABLE x --", NULL};
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_exec(conn, "SELECT $1::text, $2::text IS NULL", 2, params, &res, &err), REVOS_OK);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), "it's; DROP TABLE x --");
    ck_assert_str_eq(PQgetvalue(res, 0, 1), "t");
    PQclear(res);
}
END_TEST

START_TEST(exec_syntax_error_is_fatal_with_the_sqlstate)
{
    PGresult *res = (PGresult *)conn; /* must be reset to NULL */
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_exec(conn, "SELEKT 1", 0, NULL, &res, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_null(res);
    ck_assert_msg(strstr(err.msg, "42601") != NULL, "%s", err.msg);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "message is not one line: %s", err.msg);
}
END_TEST

START_TEST(exec_constraint_violation_is_fatal_with_the_sqlstate)
{
    migrate(conn);
    revos_err err = {{0}, {0}};
    const char *sql = "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                      " VALUES ('g', 't', 0, 1)";
    ck_assert_int_eq(revos_pg_exec(conn, sql, 0, NULL, NULL, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_exec(conn, sql, 0, NULL, NULL, &err), REVOS_ERR_FATAL);
    ck_assert_msg(strstr(err.msg, "23505") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(exec_serialization_failure_is_retriable)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_exec(conn,
                                   "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$",
                                   0, NULL, NULL, &err), REVOS_ERR_RETRY);
    ck_assert_msg(strstr(err.msg, "40001") != NULL, "%s", err.msg);
}
END_TEST

static void terminate_backend_of(PGconn *victim)
{
    PGconn *killer = connect_db();
    char pid[32];
    snprintf(pid, sizeof pid, "%d", PQbackendPID(victim));
    ck_assert_int_eq(query_long(killer, "SELECT pg_terminate_backend($1::int)::int", pid), 1);
    /* wait until the backend is gone */
    for (int i = 0; i < 100; i++) {
        if (query_long(killer, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", pid) == 0)
            break;
        usleep(50000);
    }
    PQfinish(killer);
}

START_TEST(exec_on_a_lost_connection_is_retriable)
{
    terminate_backend_of(conn);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_exec(conn, "SELECT 1", 0, NULL, NULL, &err), REVOS_ERR_RETRY);
    ck_assert_str_ne(err.msg, "");
}
END_TEST

START_TEST(ensure_reconnects_a_lost_connection)
{
    int old_pid = PQbackendPID(conn);
    terminate_backend_of(conn);
    revos_err err = {{0}, {0}};
    revos_pg_exec(conn, "SELECT 1", 0, NULL, NULL, &err); /* notices the loss */
    ck_assert_msg(revos_pg_ensure(conn, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(query_long(conn, "SELECT 41 + 1", NULL), 42);
    ck_assert_int_ne(PQbackendPID(conn), old_pid);
}
END_TEST

START_TEST(begin_reconnects_a_lost_connection)
{
    terminate_backend_of(conn);
    revos_err err = {{0}, {0}};
    revos_pg_exec(conn, "SELECT 1", 0, NULL, NULL, &err); /* notices the loss */
    ck_assert_msg(revos_pg_begin(conn, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_INTRANS);
    revos_pg_rollback(conn);
}
END_TEST

START_TEST(ensure_on_a_healthy_connection_keeps_it)
{
    int pid = PQbackendPID(conn);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_ensure(conn, &err), REVOS_OK);
    ck_assert_int_eq(PQbackendPID(conn), pid);
}
END_TEST

START_TEST(connect_to_an_unreachable_server_is_retriable)
{
    PGconn *c = (PGconn *)&c;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_connect("host=127.0.0.1 port=1 dbname=x connect_timeout=2", "t", &c, &err),
                     REVOS_ERR_RETRY);
    ck_assert_ptr_null(c);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "message is not one line: %s", err.msg);
}
END_TEST

START_TEST(connect_without_a_dsn_is_fatal)
{
    PGconn *c = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_connect("", "t", &c, &err), REVOS_ERR_FATAL);
    ck_assert_int_eq(revos_pg_connect(NULL, "t", &c, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "REVOS_PG_DSN"));
}
END_TEST

START_TEST(connect_sets_the_application_name)
{
    ck_assert_int_eq(query_long(conn, "SELECT (current_setting('application_name') = $1)::int",
                                "test_common_pg"), 1);
}
END_TEST

START_TEST(commit_makes_the_transaction_visible_and_rollback_discards)
{
    migrate(conn);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_exec(conn, "INSERT INTO outbox (producer, topic, payload)"
                                         " VALUES ('p', 't', 'kept')", 0, NULL, NULL, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_commit(conn, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_exec(conn, "INSERT INTO outbox (producer, topic, payload)"
                                         " VALUES ('p', 't', 'dropped')", 0, NULL, NULL, &err), REVOS_OK);
    revos_pg_rollback(conn);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM outbox", NULL), 1);
}
END_TEST

/* PostgreSQL answers COMMIT in a failed transaction with "ROLLBACK" and no
 * error: revos_pg_commit must not report that as committed. */
START_TEST(commit_of_a_failed_transaction_is_not_ok)
{
    migrate(conn);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_exec(conn, "INSERT INTO outbox (producer, topic, payload)"
                                         " VALUES ('p', 't', 'x')", 0, NULL, NULL, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_exec(conn, "SELEKT", 0, NULL, NULL, &err), REVOS_ERR_FATAL);
    ck_assert_int_ne(revos_pg_commit(conn, &err), REVOS_OK);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
    ck_assert_int_eq(query_long(conn, "SELECT count(*) FROM outbox", NULL), 0);
}
END_TEST

/* ==== text[] literals ==== */

START_TEST(text_array_round_trips_hostile_strings)
{
    const char *items[] = {
        "plain", "", NULL, "with \"double\" quotes", "it's single", "back\\slash", "trailing\\",
        "comma,separated", "{braces}", "}", "NULL", "null", "  spaced  ", "tab\tnew\nline",
        "Zoë – 🚨 ünïcödé", "\\\"", "a\"b\\c,d{e}f",
    };
    size_t n = sizeof items / sizeof items[0];
    char *literal = revos_pg_text_array(items, n);
    ck_assert_ptr_nonnull(literal);
    const char *params[] = {literal};
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_exec(conn, "SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i",
                                1, params, &res, &err) == REVOS_OK, "%s (literal %s)", err.msg, literal);
    ck_assert_int_eq(PQntuples(res), (int)n);
    for (size_t i = 0; i < n; i++) {
        if (items[i] == NULL) {
            ck_assert_msg(PQgetisnull(res, (int)i, 0), "item %zu should be NULL", i);
        } else {
            ck_assert_msg(!PQgetisnull(res, (int)i, 0), "item %zu is NULL", i);
            ck_assert_str_eq(PQgetvalue(res, (int)i, 0), items[i]);
        }
    }
    PQclear(res);
    free(literal);
}
END_TEST

START_TEST(text_array_of_nothing_is_an_empty_array)
{
    char *literal = revos_pg_text_array(NULL, 0);
    ck_assert_str_eq(literal, "{}");
    ck_assert_int_eq(query_long(conn, "SELECT cardinality($1::text[])", literal), 0);
    free(literal);
}
END_TEST

START_TEST(text_array_of_long_strings_is_exact)
{
    size_t len = 100000;
    char *big = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        big[i] = "a\"\\,{} "[i % 7];
    big[len] = '\0';
    const char *items[] = {big, big};
    char *literal = revos_pg_text_array(items, 2);
    const char *params[] = {literal, big};
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_exec(conn, "SELECT count(*) FROM unnest($1::text[]) v WHERE v = $2", 2, params,
                                &res, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), "2");
    PQclear(res);
    free(literal);
    free(big);
}
END_TEST

static Suite *pg_suite(void)
{
    Suite *s = suite_create("pg");

    TCase *migrations = tcase_create("migrations");
    tcase_add_checked_fixture(migrations, setup, teardown);
    tcase_add_unchecked_fixture(migrations, run_setup, run_teardown);
    tcase_add_test(migrations, migrate_applies_every_migration_then_is_idempotent);
    tcase_add_test(migrations, migrate_creates_the_shared_and_the_workers_tables);
    tcase_add_test(migrations, migrate_from_a_second_connection_applies_nothing);
    tcase_add_test(migrations, migrate_by_two_workers_at_once_on_a_fresh_database_succeeds_for_both);
    suite_add_tcase(s, migrations);

    TCase *config = tcase_create("config");
    tcase_add_checked_fixture(config, setup, teardown);
    tcase_add_unchecked_fixture(config, run_setup, run_teardown);
    tcase_add_test(config, config_latest_on_an_empty_store_is_retriable);
    tcase_add_test(config, config_first_store_is_version_1_with_one_added_row_per_section);
    tcase_add_test(config, config_latest_returns_the_stored_document_and_version);
    tcase_add_test(config, config_storing_the_same_document_again_is_unchanged);
    tcase_add_test(config, config_storing_the_same_document_with_other_key_order_is_unchanged);
    tcase_add_test(config, config_changing_one_section_is_version_2_with_one_changed_row);
    tcase_add_test(config, config_removing_a_section_records_a_removed_row);
    tcase_add_test(config, config_adding_a_section_records_an_added_row);
    tcase_add_test(config, config_store_leaves_no_transaction_open);
    suite_add_tcase(s, config);

    TCase *exec = tcase_create("exec");
    tcase_add_checked_fixture(exec, setup, teardown);
    tcase_add_unchecked_fixture(exec, run_setup, run_teardown);
    tcase_add_test(exec, exec_returns_rows_of_a_parameterized_query);
    tcase_add_test(exec, exec_syntax_error_is_fatal_with_the_sqlstate);
    tcase_add_test(exec, exec_constraint_violation_is_fatal_with_the_sqlstate);
    tcase_add_test(exec, exec_serialization_failure_is_retriable);
    tcase_add_test(exec, exec_on_a_lost_connection_is_retriable);
    tcase_add_test(exec, ensure_reconnects_a_lost_connection);
    tcase_add_test(exec, begin_reconnects_a_lost_connection);
    tcase_add_test(exec, ensure_on_a_healthy_connection_keeps_it);
    tcase_add_test(exec, connect_to_an_unreachable_server_is_retriable);
    tcase_add_test(exec, connect_without_a_dsn_is_fatal);
    tcase_add_test(exec, connect_sets_the_application_name);
    tcase_add_test(exec, commit_makes_the_transaction_visible_and_rollback_discards);
    tcase_add_test(exec, commit_of_a_failed_transaction_is_not_ok);
    suite_add_tcase(s, exec);

    TCase *arrays = tcase_create("text_array");
    tcase_add_checked_fixture(arrays, setup, teardown);
    tcase_add_unchecked_fixture(arrays, run_setup, run_teardown);
    tcase_add_test(arrays, text_array_round_trips_hostile_strings);
    tcase_add_test(arrays, text_array_of_nothing_is_an_empty_array);
    tcase_add_test(arrays, text_array_of_long_strings_is_exact);
    suite_add_tcase(s, arrays);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
