/* test_common_offsets.c -- specification of the consumed offsets kept in
 * PostgreSQL (common/worker/offsets.h) against a real PostgreSQL
 * (REVOS_PG_DSN): loading creates the missing rows, storing is a
 * compare-and-set over every partition of a batch, and a consumer that lost
 * one of its partitions cannot overwrite the new owner's progress (DESIGN.md,
 * "Known pitfalls").
 *
 * Every test works in a database of its own, migrated by the fixture and
 * dropped afterwards. */
#include "pg/pg.h"
#include "worker/offsets.h"

#include <check.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUP "revos.test-offsets"

static char db_name[64];
static char db_dsn[2048];
static PGconn *conn;

/* ==== Database fixture ==== */

#define PGFX_DB_PREFIX "revos_common_offsets_"
#include "integration/pg_fixture.h"

static PGconn *connect_db(void)
{
    PGconn *c = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_connect(db_dsn, "test_common_offsets", &c, &err) == REVOS_OK, "%s", err.msg);
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

static void setup(void)
{
    create_database(db_name, sizeof db_name, db_dsn, sizeof db_dsn);
    conn = connect_db();
    int applied = 0;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_migrate(conn, &applied, &err) == REVOS_OK, "%s", err.msg);
}

static void teardown(void)
{
    if (conn != NULL)
        PQfinish(conn);
    conn = NULL;
    drop_database(db_name);
}

/* ==== Helpers ==== */

static void put_row(const char *group, const char *topic, int partition, long long next)
{
    char p[16], n[32];
    snprintf(p, sizeof p, "%d", partition);
    snprintf(n, sizeof n, "%lld", next);
    const char *params[] = {group, topic, p, n};
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_exec(conn,
                                "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
                                " VALUES ($1, $2, $3::int, $4::bigint)", 4, params, NULL, &err) == REVOS_OK,
                  "%s", err.msg);
}

/* The stored next_offset, or -99 when there is no row. */
static long long stored(PGconn *c, const char *group, const char *topic, int partition)
{
    char p[16];
    snprintf(p, sizeof p, "%d", partition);
    const char *params[] = {group, topic, p};
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_exec(c,
                                "SELECT next_offset FROM consumer_offsets"
                                " WHERE group_id = $1 AND topic = $2 AND partition = $3::int",
                                3, params, &res, &err) == REVOS_OK, "%s", err.msg);
    long long v = PQntuples(res) == 0 ? -99 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

static long long row_count(void)
{
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert(revos_pg_exec(conn, "SELECT count(*) FROM consumer_offsets", 0, NULL, &res, &err) == REVOS_OK);
    long long v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

static int64_t offset_of(rd_kafka_topic_partition_list_t *parts, const char *topic, int partition)
{
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(parts, topic, partition);
    ck_assert_ptr_nonnull(tp);
    return tp->offset;
}

static void begin(PGconn *c)
{
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_begin(c, &err) == REVOS_OK, "%s", err.msg);
}

static void commit(PGconn *c)
{
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_commit(c, &err) == REVOS_OK, "%s", err.msg);
}

/* ==== Loading ==== */

START_TEST(load_creates_rows_with_minus_one_for_unseen_partitions)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(parts, "t.signals", 0)->offset = 1234; /* overwritten */
    rd_kafka_topic_partition_list_add(parts, "t.signals", 1)->offset = RD_KAFKA_OFFSET_INVALID;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_offsets_load(conn, GROUP, parts, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(offset_of(parts, "t.signals", 0), -1);
    ck_assert_int_eq(offset_of(parts, "t.signals", 1), -1);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), -1);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 1), -1);
    ck_assert_int_eq(row_count(), 2);
    rd_kafka_topic_partition_list_destroy(parts);
}
END_TEST

START_TEST(load_returns_stored_values_and_creates_missing_ones_in_one_call)
{
    put_row(GROUP, "t.signals", 0, 42);
    put_row(GROUP, "t.signals", 2, 7);
    put_row(GROUP, "t.outcomes", 1, 0);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(5);
    rd_kafka_topic_partition_list_add(parts, "t.signals", 0);
    rd_kafka_topic_partition_list_add(parts, "t.signals", 1);
    rd_kafka_topic_partition_list_add(parts, "t.signals", 2);
    rd_kafka_topic_partition_list_add(parts, "t.outcomes", 0);
    rd_kafka_topic_partition_list_add(parts, "t.outcomes", 1);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_offsets_load(conn, GROUP, parts, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(offset_of(parts, "t.signals", 0), 42);
    ck_assert_int_eq(offset_of(parts, "t.signals", 1), -1);
    ck_assert_int_eq(offset_of(parts, "t.signals", 2), 7);
    ck_assert_int_eq(offset_of(parts, "t.outcomes", 0), -1);
    ck_assert_int_eq(offset_of(parts, "t.outcomes", 1), 0);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), 42); /* known rows untouched */
    ck_assert_int_eq(row_count(), 5);
    rd_kafka_topic_partition_list_destroy(parts);
}
END_TEST

START_TEST(load_ignores_other_groups_offsets)
{
    put_row("revos.other-group", "t.signals", 0, 500);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, "t.signals", 0);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_offsets_load(conn, GROUP, parts, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(offset_of(parts, "t.signals", 0), -1);
    ck_assert_int_eq(stored(conn, "revos.other-group", "t.signals", 0), 500);
    rd_kafka_topic_partition_list_destroy(parts);
}
END_TEST

START_TEST(load_twice_keeps_one_row_per_partition)
{
    for (int round = 0; round < 2; round++) {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(parts, "t.signals", 3);
        revos_err err = {{0}, {0}};
        ck_assert_msg(revos_offsets_load(conn, GROUP, parts, &err) == REVOS_OK, "%s", err.msg);
        ck_assert_int_eq(offset_of(parts, "t.signals", 3), -1);
        rd_kafka_topic_partition_list_destroy(parts);
    }
    ck_assert_int_eq(row_count(), 1);
}
END_TEST

START_TEST(load_of_an_empty_list_is_ok)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(0);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_offsets_load(conn, GROUP, parts, &err), REVOS_OK);
    ck_assert_int_eq(row_count(), 0);
    rd_kafka_topic_partition_list_destroy(parts);
}
END_TEST

/* ==== Storing ==== */

START_TEST(store_moves_the_offset_when_expected_matches)
{
    put_row(GROUP, "t.signals", 0, 10);
    revos_offset_update u[] = {{"t.signals", 0, 10, 25}};
    revos_err err = {{0}, {0}};
    begin(conn);
    ck_assert_msg(revos_offsets_store(conn, GROUP, u, 1, &err) == REVOS_OK, "%s", err.msg);
    commit(conn);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), 25);
}
END_TEST

START_TEST(store_first_commit_replaces_the_minus_one_created_by_load)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, "t.signals", 0);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_offsets_load(conn, GROUP, parts, &err) == REVOS_OK, "%s", err.msg);
    revos_offset_update u[] = {{"t.signals", 0, offset_of(parts, "t.signals", 0), 3}};
    rd_kafka_topic_partition_list_destroy(parts);
    begin(conn);
    ck_assert_msg(revos_offsets_store(conn, GROUP, u, 1, &err) == REVOS_OK, "%s", err.msg);
    commit(conn);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), 3);
}
END_TEST

START_TEST(store_of_several_partitions_moves_them_all)
{
    put_row(GROUP, "t.signals", 0, 10);
    put_row(GROUP, "t.signals", 1, 20);
    put_row(GROUP, "t.outcomes", 0, -1);
    revos_offset_update u[] = {
        {"t.signals", 0, 10, 11}, {"t.signals", 1, 20, 29}, {"t.outcomes", 0, -1, 1}};
    revos_err err = {{0}, {0}};
    begin(conn);
    ck_assert_msg(revos_offsets_store(conn, GROUP, u, 3, &err) == REVOS_OK, "%s", err.msg);
    commit(conn);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), 11);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 1), 29);
    ck_assert_int_eq(stored(conn, GROUP, "t.outcomes", 0), 1);
}
END_TEST

START_TEST(store_of_nothing_is_ok)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_offsets_store(conn, GROUP, NULL, 0, &err), REVOS_OK);
}
END_TEST

/* The lost-partition case: this consumer read 10 and 20 at assignment;
 * partition 1 was then reassigned and its new owner committed 35. This
 * consumer's batch must fail and, once rolled back, change nothing. */
START_TEST(store_fails_retriably_and_changes_nothing_when_another_consumer_moved_one_partition)
{
    put_row(GROUP, "t.signals", 0, 10);
    put_row(GROUP, "t.signals", 1, 20);
    put_row(GROUP, "t.signals", 2, 30);

    PGconn *new_owner = connect_db();
    revos_offset_update theirs[] = {{"t.signals", 1, 20, 35}};
    revos_err err = {{0}, {0}};
    begin(new_owner);
    ck_assert_msg(revos_offsets_store(new_owner, GROUP, theirs, 1, &err) == REVOS_OK, "%s", err.msg);
    commit(new_owner);
    PQfinish(new_owner);

    revos_offset_update mine[] = {
        {"t.signals", 0, 10, 14}, {"t.signals", 1, 20, 24}, {"t.signals", 2, 30, 34}};
    begin(conn);
    ck_assert_int_eq(revos_offsets_store(conn, GROUP, mine, 3, &err), REVOS_ERR_RETRY);
    ck_assert_msg(strstr(err.msg, "2 of 3") != NULL, "%s", err.msg);
    revos_pg_rollback(conn);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), 10);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 1), 35);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 2), 30);
}
END_TEST

START_TEST(store_of_a_partition_never_loaded_is_retriable)
{
    revos_offset_update u[] = {{"t.signals", 9, -1, 5}};
    revos_err err = {{0}, {0}};
    begin(conn);
    ck_assert_int_eq(revos_offsets_store(conn, GROUP, u, 1, &err), REVOS_ERR_RETRY);
    revos_pg_rollback(conn);
    ck_assert_int_eq(row_count(), 0);
}
END_TEST

START_TEST(store_with_a_stale_expected_value_after_a_commit_is_retriable)
{
    put_row(GROUP, "t.signals", 0, 10);
    revos_offset_update first[] = {{"t.signals", 0, 10, 12}};
    revos_err err = {{0}, {0}};
    begin(conn);
    ck_assert_int_eq(revos_offsets_store(conn, GROUP, first, 1, &err), REVOS_OK);
    commit(conn);
    begin(conn);
    ck_assert_int_eq(revos_offsets_store(conn, GROUP, first, 1, &err), REVOS_ERR_RETRY); /* replayed */
    revos_pg_rollback(conn);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), 12);
}
END_TEST

/* Two consumers that both believe they own a partition commit at the same
 * time from the same expected value: exactly one wins. */
typedef struct racer {
    PGconn *conn;
    revos_status status;
    revos_err err;
} racer;

static void *second_store(void *arg)
{
    racer *r = arg;
    revos_offset_update u[] = {{"t.signals", 0, 10, 11}};
    r->status = revos_pg_begin(r->conn, &r->err);
    if (r->status == REVOS_OK)
        r->status = revos_offsets_store(r->conn, GROUP, u, 1, &r->err); /* blocks on the row lock */
    if (r->status == REVOS_OK)
        r->status = revos_pg_commit(r->conn, &r->err);
    else
        revos_pg_rollback(r->conn);
    return NULL;
}

START_TEST(concurrent_stores_from_the_same_expected_value_let_only_one_win)
{
    put_row(GROUP, "t.signals", 0, 10);
    revos_offset_update u[] = {{"t.signals", 0, 10, 17}};
    revos_err err = {{0}, {0}};
    begin(conn);
    ck_assert_int_eq(revos_offsets_store(conn, GROUP, u, 1, &err), REVOS_OK);

    racer r = {connect_db(), REVOS_OK, {{0}, {0}}};
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, second_store, &r), 0);
    usleep(300000); /* let it block behind our uncommitted update */
    commit(conn);
    pthread_join(thread, NULL);
    PQfinish(r.conn);
    ck_assert_int_eq(r.status, REVOS_ERR_RETRY);
    ck_assert_int_eq(stored(conn, GROUP, "t.signals", 0), 17);
}
END_TEST

static Suite *offsets_suite(void)
{
    Suite *s = suite_create("offsets");

    TCase *load = tcase_create("load");
    tcase_add_checked_fixture(load, setup, teardown);
    tcase_add_unchecked_fixture(load, run_setup, run_teardown);
    tcase_add_test(load, load_creates_rows_with_minus_one_for_unseen_partitions);
    tcase_add_test(load, load_returns_stored_values_and_creates_missing_ones_in_one_call);
    tcase_add_test(load, load_ignores_other_groups_offsets);
    tcase_add_test(load, load_twice_keeps_one_row_per_partition);
    tcase_add_test(load, load_of_an_empty_list_is_ok);
    suite_add_tcase(s, load);

    TCase *store = tcase_create("store");
    tcase_add_checked_fixture(store, setup, teardown);
    tcase_add_unchecked_fixture(store, run_setup, run_teardown);
    tcase_add_test(store, store_moves_the_offset_when_expected_matches);
    tcase_add_test(store, store_first_commit_replaces_the_minus_one_created_by_load);
    tcase_add_test(store, store_of_several_partitions_moves_them_all);
    tcase_add_test(store, store_of_nothing_is_ok);
    tcase_add_test(store, store_fails_retriably_and_changes_nothing_when_another_consumer_moved_one_partition);
    tcase_add_test(store, store_of_a_partition_never_loaded_is_retriable);
    tcase_add_test(store, store_with_a_stale_expected_value_after_a_commit_is_retriable);
    tcase_add_test(store, concurrent_stores_from_the_same_expected_value_let_only_one_win);
    suite_add_tcase(s, store);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(offsets_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
