/* test_common_relay.c -- specification of the transactional outbox
 * (common/worker/relay.h) with a real PostgreSQL (REVOS_PG_DSN) and
 * librdkafka's mock cluster: rows are written in order with their keys, the
 * relay publishes them in id order to their topics with the idempotent
 * producer and deletes them, and a failed delivery keeps the rows for the
 * next relay.
 *
 * Every test works in a database of its own and a mock cluster of its own;
 * records are read back with an assigned (group-less) consumer, so no test
 * waits for a group join. */
#include "config/settings.h"
#include "kafka/kafka.h"
#include "log/log.h"
#include "pg/pg.h"
#include "worker/batch.h"
#include "worker/relay.h"

#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PRODUCER "revos-test"
#define TOPIC_A "t.relay.a"
#define TOPIC_B "t.relay.b"
#define PRODUCE_REQUEST 0 /* Kafka protocol ApiKey of ProduceRequest */

static char db_name[64];
static char db_dsn[2048];
static PGconn *conn;
static rd_kafka_t *mock_owner;
static rd_kafka_mock_cluster_t *mock;
static revos_settings settings;
static rd_kafka_t *producer;
static revos_delivery_stats stats;

/* ==== Database and cluster fixture ==== */

#define PGFX_DB_PREFIX "revos_common_relay_"
#include "integration/pg_fixture.h"

static void setup(void)
{
    revos_log_init("test-relay", REVOS_LOG_ERROR);
    create_database(db_name, sizeof db_name, db_dsn, sizeof db_dsn);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_connect(db_dsn, "test_common_relay", &conn, &err) == REVOS_OK, "%s", err.msg);
    PQsetNoticeProcessor(conn, quiet, NULL);
    int applied = 0;
    ck_assert_msg(revos_pg_migrate(conn, &applied, &err) == REVOS_OK, "%s", err.msg);

    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert_msg(mock_owner != NULL, "%s", errstr);
    mock = rd_kafka_mock_cluster_new(mock_owner, 1);
    ck_assert_ptr_nonnull(mock);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, TOPIC_A, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, TOPIC_B, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);

    char *argv[] = {"revos-test", "--kafka-brokers", (char *)rd_kafka_mock_cluster_bootstraps(mock), NULL};
    memset(&settings, 0, sizeof settings);
    ck_assert_msg(revos_settings_parse(&settings, 3, argv, &err) == REVOS_OK, "%s", err.msg);
    memset(&stats, 0, sizeof stats);
    ck_assert_msg(revos_kafka_producer_new(&settings, NULL, &stats, &producer, &err) == REVOS_OK, "%s",
                  err.msg);
}

static void teardown(void)
{
    if (producer != NULL)
        rd_kafka_destroy(producer);
    producer = NULL;
    revos_settings_free(&settings);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_owner);
    if (conn != NULL)
        PQfinish(conn);
    conn = NULL;
    drop_database(db_name);
}

/* ==== Helpers ==== */

static revos_output output(const char *topic, const char *key, size_t key_len, const char *value,
                           size_t value_len)
{
    revos_output o;
    o.topic = (char *)topic;
    o.key = (uint8_t *)key;
    o.key_len = key_len;
    o.value = (uint8_t *)value;
    o.value_len = value_len;
    return o;
}

static void write_outputs(const char *producer_name, const revos_output *outputs, size_t n)
{
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_begin(conn, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_msg(revos_outbox_write(conn, producer_name, outputs, n, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_msg(revos_pg_commit(conn, &err) == REVOS_OK, "%s", err.msg);
}

static long outbox_rows(const char *producer_name)
{
    const char *params[] = {producer_name};
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_exec(conn, "SELECT count(*) FROM outbox WHERE producer = $1", 1, params, &res,
                                &err) == REVOS_OK, "%s", err.msg);
    long n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

typedef struct consumed {
    int n;
    struct {
        char *key; /* NULL for a NULL key */
        size_t key_len;
        char *value;
        size_t value_len;
    } records[3000];
} consumed;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *copy_bytes(const void *data, size_t len)
{
    char *copy = malloc(len + 1);
    ck_assert_ptr_nonnull(copy);
    if (len > 0)
        memcpy(copy, data, len);
    copy[len] = '\0';
    return copy;
}

/* Reads partition 0 of topic from the beginning until want records arrived
 * and then for another quiet_ms (to catch extra ones). */
static consumed *consume(const char *topic, int want, int quiet_ms)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mock), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.partition.eof", "false", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "test-relay-reader", errstr, sizeof errstr); /* never joined */
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    ck_assert_msg(consumer != NULL, "%s", errstr);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ck_assert_int_eq(rd_kafka_assign(consumer, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);

    consumed *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    int64_t deadline = mono_ms() + 20000;
    int64_t quiet_until = -1;
    for (;;) {
        int64_t now = mono_ms();
        if (now > deadline || (quiet_until >= 0 && now > quiet_until))
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && c->n < 3000) {
            c->records[c->n].key = m->key ? copy_bytes(m->key, m->key_len) : NULL;
            c->records[c->n].key_len = m->key_len;
            c->records[c->n].value = copy_bytes(m->payload, m->len);
            c->records[c->n].value_len = m->len;
            c->n++;
            if (c->n >= want && quiet_until < 0)
                quiet_until = mono_ms() + quiet_ms;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return c;
}

static void consumed_free(consumed *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->records[i].key);
        free(c->records[i].value);
    }
    free(c);
}

static void relay_ok(void)
{
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_outbox_relay(conn, producer, &stats, PRODUCER, NULL, &err) == REVOS_OK, "%s", err.msg);
}

/* ==== Writing ==== */

START_TEST(outbox_write_inserts_rows_in_order_with_their_keys)
{
    static const char binary_key[] = {'a', 0, (char)0xff, 'z'};
    static const char binary_value[] = {0, 1, 2, (char)0xc3, (char)0x28, 0};
    revos_output outputs[] = {
        output(TOPIC_A, "acct-1", 6, "first", 5),
        output(TOPIC_B, NULL, 0, "second", 6),
        output(TOPIC_A, binary_key, sizeof binary_key, binary_value, sizeof binary_value),
    };
    write_outputs(PRODUCER, outputs, 3);
    PGresult *res = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_exec(conn,
                                "SELECT producer, topic, encode(key, 'hex'), key IS NULL, encode(payload, 'hex')"
                                " FROM outbox ORDER BY id", 0, NULL, &res, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_int_eq(PQntuples(res), 3);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), PRODUCER);
    ck_assert_str_eq(PQgetvalue(res, 0, 1), TOPIC_A);
    ck_assert_str_eq(PQgetvalue(res, 0, 2), "616363742d31"); /* acct-1 */
    ck_assert_str_eq(PQgetvalue(res, 0, 4), "6669727374");   /* first */
    ck_assert_str_eq(PQgetvalue(res, 1, 1), TOPIC_B);
    ck_assert_str_eq(PQgetvalue(res, 1, 3), "t");
    ck_assert_str_eq(PQgetvalue(res, 1, 4), "7365636f6e64"); /* second */
    ck_assert_str_eq(PQgetvalue(res, 2, 2), "6100ff7a");
    ck_assert_str_eq(PQgetvalue(res, 2, 4), "000102c32800");
    PQclear(res);
}
END_TEST

START_TEST(outbox_write_of_nothing_inserts_nothing)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_outbox_write(conn, PRODUCER, NULL, 0, &err), REVOS_OK);
    ck_assert_int_eq(outbox_rows(PRODUCER), 0);
}
END_TEST

START_TEST(outbox_write_is_undone_by_a_rollback)
{
    revos_output outputs[] = {output(TOPIC_A, "k", 1, "v", 1)};
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    ck_assert_int_eq(revos_outbox_write(conn, PRODUCER, outputs, 1, &err), REVOS_OK);
    revos_pg_rollback(conn);
    ck_assert_int_eq(outbox_rows(PRODUCER), 0);
}
END_TEST

/* ==== Relaying ==== */

START_TEST(relay_publishes_in_id_order_to_each_topic_and_empties_the_outbox)
{
    revos_output outputs[] = {
        output(TOPIC_A, "acct-1", 6, "a-1", 3),
        output(TOPIC_B, "acct-2", 6, "b-1", 3),
        output(TOPIC_A, NULL, 0, "a-2 (no key)", 12),
        output(TOPIC_A, "acct-1", 6, "a-3", 3),
        output(TOPIC_B, "acct-3", 6, "b-2", 3),
    };
    write_outputs(PRODUCER, outputs, 5);
    relay_ok();
    ck_assert_int_eq(outbox_rows(PRODUCER), 0);
    ck_assert_int_eq(stats.delivered, 5);

    consumed *a = consume(TOPIC_A, 3, 300);
    ck_assert_int_eq(a->n, 3);
    ck_assert_str_eq(a->records[0].key, "acct-1");
    ck_assert_str_eq(a->records[0].value, "a-1");
    ck_assert_ptr_null(a->records[1].key);
    ck_assert_str_eq(a->records[1].value, "a-2 (no key)");
    ck_assert_str_eq(a->records[2].key, "acct-1");
    ck_assert_str_eq(a->records[2].value, "a-3");
    consumed_free(a);
    consumed *b = consume(TOPIC_B, 2, 300);
    ck_assert_int_eq(b->n, 2);
    ck_assert_str_eq(b->records[0].key, "acct-2");
    ck_assert_str_eq(b->records[0].value, "b-1");
    ck_assert_str_eq(b->records[1].key, "acct-3");
    ck_assert_str_eq(b->records[1].value, "b-2");
    consumed_free(b);
}
END_TEST

START_TEST(relay_publishes_binary_keys_and_values_byte_for_byte)
{
    static const char key[] = {0, 'k', (char)0x80, (char)0xff};
    static const char value[] = {(char)0xc3, 0x01, 0, 0, 7, (char)0xfe};
    revos_output outputs[] = {output(TOPIC_A, key, sizeof key, value, sizeof value)};
    write_outputs(PRODUCER, outputs, 1);
    relay_ok();
    consumed *a = consume(TOPIC_A, 1, 200);
    ck_assert_int_eq(a->n, 1);
    ck_assert_uint_eq(a->records[0].key_len, sizeof key);
    ck_assert_int_eq(memcmp(a->records[0].key, key, sizeof key), 0);
    ck_assert_uint_eq(a->records[0].value_len, sizeof value);
    ck_assert_int_eq(memcmp(a->records[0].value, value, sizeof value), 0);
    consumed_free(a);
}
END_TEST

/* Records are keyed by account_id so one account stays on one partition:
 * the relay must never drop a key, whatever its length. */
START_TEST(relay_keeps_a_long_key)
{
    size_t key_len = 3000;
    char *key = malloc(key_len);
    for (size_t i = 0; i < key_len; i++)
        key[i] = (char)('a' + i % 26);
    revos_output outputs[] = {output(TOPIC_A, key, key_len, "v", 1)};
    write_outputs(PRODUCER, outputs, 1);
    relay_ok();
    consumed *a = consume(TOPIC_A, 1, 200);
    ck_assert_int_eq(a->n, 1);
    ck_assert_msg(a->records[0].key != NULL, "the key was dropped");
    ck_assert_uint_eq(a->records[0].key_len, key_len);
    ck_assert_int_eq(memcmp(a->records[0].key, key, key_len), 0);
    consumed_free(a);
    free(key);
}
END_TEST

START_TEST(relay_of_more_rows_than_one_chunk_publishes_them_all_in_order)
{
    enum { N = 2500 };
    static revos_output outputs[N];
    static char values[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(values[i], sizeof values[i], "r%05d", i);
        outputs[i] = output(TOPIC_A, "acct", 4, values[i], strlen(values[i]));
    }
    write_outputs(PRODUCER, outputs, N);
    relay_ok();
    ck_assert_int_eq(outbox_rows(PRODUCER), 0);
    consumed *a = consume(TOPIC_A, N, 300);
    ck_assert_int_eq(a->n, N);
    for (int i = 0; i < N; i++)
        ck_assert_str_eq(a->records[i].value, values[i]);
    consumed_free(a);
}
END_TEST

START_TEST(relay_leaves_other_producers_rows_alone)
{
    revos_output mine[] = {output(TOPIC_A, "k", 1, "mine", 4)};
    revos_output theirs[] = {output(TOPIC_B, "k", 1, "theirs", 6)};
    write_outputs(PRODUCER, mine, 1);
    write_outputs("revos-other", theirs, 1);
    relay_ok();
    ck_assert_int_eq(outbox_rows(PRODUCER), 0);
    ck_assert_int_eq(outbox_rows("revos-other"), 1);
    ck_assert_int_eq(stats.delivered, 1);
}
END_TEST

START_TEST(relay_of_an_empty_outbox_is_ok_and_publishes_nothing)
{
    relay_ok();
    ck_assert_int_eq(stats.delivered, 0);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
}
END_TEST

START_TEST(relay_with_failing_produce_is_retriable_and_keeps_the_rows)
{
    revos_output outputs[] = {
        output(TOPIC_A, "acct-1", 6, "x-1", 3),
        output(TOPIC_A, "acct-2", 6, "x-2", 3),
    };
    write_outputs(PRODUCER, outputs, 2);
    rd_kafka_resp_err_t errors[16];
    for (size_t i = 0; i < 16; i++)
        errors[i] = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    rd_kafka_mock_push_request_errors_array(mock, PRODUCE_REQUEST, 16, errors);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_outbox_relay(conn, producer, &stats, PRODUCER, NULL, &err), REVOS_ERR_RETRY);
    ck_assert_msg(strstr(err.msg, "outbox delivery incomplete") != NULL, "%s", err.msg);
    ck_assert_int_gt(stats.failed, 0);
    ck_assert_int_eq(outbox_rows(PRODUCER), 2);
    ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_IDLE);
}
END_TEST

START_TEST(relay_after_the_error_is_cleared_publishes_the_kept_rows)
{
    revos_output outputs[] = {
        output(TOPIC_A, "acct-1", 6, "y-1", 3),
        output(TOPIC_A, "acct-2", 6, "y-2", 3),
    };
    write_outputs(PRODUCER, outputs, 2);
    rd_kafka_resp_err_t errors[16];
    for (size_t i = 0; i < 16; i++)
        errors[i] = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    rd_kafka_mock_push_request_errors_array(mock, PRODUCE_REQUEST, 16, errors);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_outbox_relay(conn, producer, &stats, PRODUCER, NULL, &err), REVOS_ERR_RETRY);
    rd_kafka_mock_clear_request_errors(mock, PRODUCE_REQUEST);

    relay_ok();
    ck_assert_int_eq(outbox_rows(PRODUCER), 0);
    consumed *a = consume(TOPIC_A, 2, 500);
    /* whatever the failed attempt got through, the kept rows are all there, in order, last */
    ck_assert_int_ge(a->n, 2);
    ck_assert_str_eq(a->records[a->n - 2].value, "y-1");
    ck_assert_str_eq(a->records[a->n - 1].value, "y-2");
    consumed_free(a);
}
END_TEST

START_TEST(relay_counts_relayed_records_in_the_metrics)
{
    revos_output outputs[] = {output(TOPIC_A, "k", 1, "1", 1), output(TOPIC_A, "k", 1, "2", 1)};
    write_outputs(PRODUCER, outputs, 2);
    revos_metrics *metrics = revos_metrics_new();
    ck_assert_ptr_nonnull(metrics);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_outbox_relay(conn, producer, &stats, PRODUCER, metrics, &err) == REVOS_OK, "%s",
                  err.msg);
    revos_counter *c = revos_metrics_counter(metrics, "revos_outbox_relayed_total", "Outbox records published",
                                             NULL, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(revos_counter_value(c), 2);
    revos_metrics_free(metrics);
}
END_TEST

/* Instances of one worker (one per partition share) write outbox rows under
 * the same producer name; ids are taken at INSERT but become visible at
 * COMMIT, so a row with a smaller id can appear while a relay is
 * publishing. The relay must only delete rows it has published. */
typedef struct relay_job {
    revos_status status;
    revos_err err;
} relay_job;

static void *relay_thread(void *arg)
{
    relay_job *job = arg;
    job->status = revos_outbox_relay(conn, producer, &stats, PRODUCER, NULL, &job->err);
    return NULL;
}

START_TEST(relay_never_deletes_a_row_it_did_not_publish)
{
    PGconn *other = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_pg_connect(db_dsn, "test_common_relay_other", &other, &err) == REVOS_OK, "%s", err.msg);
    revos_output late[] = {output(TOPIC_A, "acct-9", 6, "late", 4)};
    ck_assert_int_eq(revos_pg_begin(other, &err), REVOS_OK);
    ck_assert_msg(revos_outbox_write(other, PRODUCER, late, 1, &err) == REVOS_OK, "%s", err.msg); /* id 1, open */
    revos_output early[] = {output(TOPIC_A, "acct-1", 6, "early", 5)};
    write_outputs(PRODUCER, early, 1); /* id 2, committed */

    rd_kafka_mock_broker_set_rtt(mock, 1, 2500); /* the relay's flush takes a while */
    relay_job job = {REVOS_OK, {{0}, {0}}};
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, relay_thread, &job), 0);
    usleep(700000); /* the relay has read its rows and is waiting for delivery */
    ck_assert_msg(revos_pg_commit(other, &err) == REVOS_OK, "%s", err.msg);
    pthread_join(thread, NULL);
    PQfinish(other);
    rd_kafka_mock_broker_set_rtt(mock, 1, 0);
    ck_assert_msg(job.status == REVOS_OK, "%s", job.err.msg);

    relay_ok(); /* whatever is left goes now */
    ck_assert_int_eq(outbox_rows(PRODUCER), 0);
    consumed *a = consume(TOPIC_A, 2, 500);
    int seen_late = 0;
    for (int i = 0; i < a->n; i++)
        seen_late |= strcmp(a->records[i].value, "late") == 0;
    ck_assert_msg(seen_late, "row 'late' was deleted from the outbox without being published (%d records)",
                  a->n);
    consumed_free(a);
}
END_TEST

static Suite *relay_suite(void)
{
    Suite *s = suite_create("relay");

    TCase *write = tcase_create("write");
    tcase_add_checked_fixture(write, setup, teardown);
    tcase_add_unchecked_fixture(write, run_setup, run_teardown);
    tcase_add_test(write, outbox_write_inserts_rows_in_order_with_their_keys);
    tcase_add_test(write, outbox_write_of_nothing_inserts_nothing);
    tcase_add_test(write, outbox_write_is_undone_by_a_rollback);
    suite_add_tcase(s, write);

    TCase *relay = tcase_create("relay");
    tcase_add_checked_fixture(relay, setup, teardown);
    tcase_add_unchecked_fixture(relay, run_setup, run_teardown);
    tcase_set_timeout(relay, 120);
    tcase_add_test(relay, relay_publishes_in_id_order_to_each_topic_and_empties_the_outbox);
    tcase_add_test(relay, relay_publishes_binary_keys_and_values_byte_for_byte);
    tcase_add_test(relay, relay_keeps_a_long_key);
    tcase_add_test(relay, relay_of_more_rows_than_one_chunk_publishes_them_all_in_order);
    tcase_add_test(relay, relay_leaves_other_producers_rows_alone);
    tcase_add_test(relay, relay_of_an_empty_outbox_is_ok_and_publishes_nothing);
    tcase_add_test(relay, relay_with_failing_produce_is_retriable_and_keeps_the_rows);
    tcase_add_test(relay, relay_after_the_error_is_cleared_publishes_the_kept_rows);
    tcase_add_test(relay, relay_counts_relayed_records_in_the_metrics);
    tcase_add_test(relay, relay_never_deletes_a_row_it_did_not_publish);
    suite_add_tcase(s, relay);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(relay_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
