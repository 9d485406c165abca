/* test_common_kafka.c -- specification of the librdkafka handles built by
 * common/kafka/kafka.h, against librdkafka's in-process mock cluster (no
 * real broker): producer and consumer configuration, delivery counting,
 * consuming with the cooperative protocol, pass-through properties, error
 * classes and the bounded consumer close.
 *
 * Each test gets a fresh one-broker mock cluster whose address is given to
 * the code under test as --kafka-brokers. The mock's first group join takes
 * about 3 s, so only the tests that must join a group do. */
#include "config/settings.h"
#include "kafka/kafka.h"
#include "log/log.h"

#include <check.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOPIC "t.kafka"
/* Kafka protocol ApiKeys, for the mock cluster's request errors */
#define PRODUCE_REQUEST 0
#define INIT_PRODUCER_ID_REQUEST 22
#define END_TXN_REQUEST 26

static rd_kafka_t *mock_owner;       /* the handle the mock cluster lives in */
static rd_kafka_mock_cluster_t *mock;
static char brokers[256];
static revos_settings settings;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parses "--kafka-brokers <mock>" followed by extra (NULL-terminated). */
static void settings_with(const char *const *extra)
{
    char *argv[16] = {"revos-test", "--kafka-brokers", brokers};
    int argc = 3;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && argc < 15; i++)
        argv[argc++] = (char *)extra[i];
    argv[argc] = NULL;
    revos_settings_free(&settings);
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_settings_parse(&settings, argc, argv, &err) == REVOS_OK, "%s", err.msg);
}

static void setup(void)
{
    revos_log_init("test-kafka", REVOS_LOG_WARN);
    unsetenv("REVOS_KAFKA_BROKERS");
    unsetenv("REVOS_KAFKA_PROP_CLIENT_ID");
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr), RD_KAFKA_CONF_OK);
    mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert_msg(mock_owner != NULL, "%s", errstr);
    mock = rd_kafka_mock_cluster_new(mock_owner, 1);
    ck_assert_ptr_nonnull(mock);
    snprintf(brokers, sizeof brokers, "%s", rd_kafka_mock_cluster_bootstraps(mock));
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, TOPIC, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    memset(&settings, 0, sizeof settings);
    settings_with(NULL);
}

static void teardown(void)
{
    revos_settings_free(&settings);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_owner);
    unsetenv("REVOS_KAFKA_PROP_CLIENT_ID");
}

static const char *conf_value(rd_kafka_t *rk, const char *name, char *buf, size_t len)
{
    ck_assert_int_eq(rd_kafka_conf_get(rd_kafka_conf(rk), name, buf, &len), RD_KAFKA_CONF_OK);
    return buf;
}

static rd_kafka_t *new_producer(revos_delivery_stats *stats)
{
    rd_kafka_t *producer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_kafka_producer_new(&settings, NULL, stats, &producer, &err) == REVOS_OK,
                  "%s", err.msg);
    ck_assert_ptr_nonnull(producer);
    return producer;
}

static void produce_n(rd_kafka_t *producer, int n)
{
    for (int i = 0; i < n; i++) {
        char key[16], value[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(value, sizeof value, "value-%d", i);
        revos_err err = {{0}, {0}};
        ck_assert_msg(revos_kafka_produce(producer, TOPIC, key, strlen(key), value, strlen(value),
                                          &err) == REVOS_OK, "%s", err.msg);
    }
}

/* ==== A rebalance callback for the cooperative protocol ==== */

typedef struct rebalance_log {
    int assigned;  /* partitions assigned so far */
    int revoked;
} rebalance_log;

static void cooperative_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                                  rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    rebalance_log *log = opaque;
    rd_kafka_error_t *error;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        error = rd_kafka_incremental_assign(rk, parts);
        log->assigned += parts->cnt;
    } else {
        error = rd_kafka_incremental_unassign(rk, parts);
        log->revoked += parts->cnt;
    }
    if (error != NULL) {
        fprintf(stderr, "rebalance: %s\n", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

static rd_kafka_t *new_subscribed_consumer(const char *group, rebalance_log *log)
{
    rd_kafka_t *consumer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_kafka_consumer_new(&settings, group, cooperative_rebalance, log, &consumer,
                                           &err) == REVOS_OK, "%s", err.msg);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, TOPIC, RD_KAFKA_PARTITION_UA);
    ck_assert_int_eq(rd_kafka_subscribe(consumer, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(topics);
    return consumer;
}

/* ==== Producer ==== */

START_TEST(producer_is_idempotent)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    char buf[64];
    ck_assert_str_eq(conf_value(producer, "enable.idempotence", buf, sizeof buf), "true");
    ck_assert_str_eq(conf_value(producer, "bootstrap.servers", buf, sizeof buf), brokers);
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(produce_then_flush_counts_every_delivery)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    produce_n(producer, 25);
    ck_assert_int_eq(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(stats.delivered, 25);
    ck_assert_int_eq(stats.failed, 0);
    ck_assert_str_eq(stats.last_error, "");
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(produce_copies_key_and_value)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    char key[8] = "acct-1", value[16] = "payload";
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_kafka_produce(producer, TOPIC, key, strlen(key), value, strlen(value), &err),
                     REVOS_OK);
    memset(key, 0, sizeof key); /* the caller's buffers may be reused at once */
    memset(value, 0, sizeof value);
    ck_assert_int_eq(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(stats.delivered, 1);
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(transactional_producer_is_ready_for_a_transaction_when_returned)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_kafka_producer_new(&settings, "test-txn-1", &stats, &producer, &err) == REVOS_OK,
                  "%s", err.msg);
    char buf[64];
    ck_assert_str_eq(conf_value(producer, "transactional.id", buf, sizeof buf), "test-txn-1");
    ck_assert_int_eq(revos_kafka_error(rd_kafka_begin_transaction(producer), "begin", &err), REVOS_OK);
    ck_assert_int_eq(revos_kafka_error(rd_kafka_abort_transaction(producer, 10000), "abort", &err),
                     REVOS_OK);
    rd_kafka_destroy(producer);
}
END_TEST

/* A Produce request refused with a non-retriable error fails the message;
 * the failure is counted, with its reason, so a relay can tell that its
 * flush did not deliver everything. */
START_TEST(delivery_failure_is_counted_with_its_reason)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    rd_kafka_resp_err_t errors[8];
    for (size_t i = 0; i < 8; i++)
        errors[i] = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    rd_kafka_mock_push_request_errors_array(mock, PRODUCE_REQUEST, 8, errors);
    produce_n(producer, 3);
    rd_kafka_flush(producer, 15000);
    ck_assert_int_eq(rd_kafka_outq_len(producer), 0);
    ck_assert_int_gt(stats.failed, 0);
    ck_assert_int_eq(stats.failed + stats.delivered, 3);
    ck_assert_msg(strstr(stats.last_error, "too large") != NULL, "last_error: %s", stats.last_error);
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(produce_on_a_handle_in_fatal_error_is_fatal)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    ck_assert_int_eq(rd_kafka_test_fatal_error(producer, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                               "test: fatal"), RD_KAFKA_RESP_ERR_NO_ERROR);
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_kafka_produce(producer, TOPIC, "k", 1, "v", 1, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, TOPIC));
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(produce_gives_up_when_the_local_queue_stays_full)
{
    /* A broker that never answers and a queue of one record: the second
     * record waits for room, but only as long as it was told to. */
    rd_kafka_mock_broker_set_down(mock, 1);
    const char *extra[] = {"-X", "queue.buffering.max.messages=1", NULL};
    settings_with(extra);
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_kafka_producer_new(&settings, NULL, &stats, &producer, &err), REVOS_OK);
    ck_assert_int_eq(revos_kafka_produce_within(producer, TOPIC, "k", 1, "v1", 2, 300, &err), REVOS_OK);
    int64_t t0 = mono_ms();
    ck_assert_int_eq(revos_kafka_produce_within(producer, TOPIC, "k", 1, "v2", 2, 300, &err),
                     REVOS_ERR_RETRY);
    int64_t waited = mono_ms() - t0;
    ck_assert_int_ge(waited, 250);
    ck_assert_int_lt(waited, 5000);
    ck_assert_ptr_nonnull(strstr(err.msg, "local queue still full after 300 ms"));
    ck_assert_ptr_nonnull(strstr(err.msg, TOPIC));
    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE);
    rd_kafka_destroy(producer);
}
END_TEST

/* ==== Error mapping ==== */

START_TEST(kafka_error_of_null_is_ok)
{
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_kafka_error(NULL, "anything", &err), REVOS_OK);
    ck_assert_str_eq(err.msg, "");
}
END_TEST

START_TEST(kafka_error_of_an_ordinary_error_is_retriable_and_named)
{
    revos_err err = {{0}, {0}};
    rd_kafka_error_t *error = rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "took %d ms", 30000);
    ck_assert_int_eq(revos_kafka_error(error, "commit_transaction", &err), REVOS_ERR_RETRY);
    ck_assert_ptr_nonnull(strstr(err.msg, "commit_transaction"));
    ck_assert_ptr_nonnull(strstr(err.msg, "took 30000 ms"));
}
END_TEST

START_TEST(kafka_error_of_a_fatal_error_is_fatal)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_kafka_producer_new(&settings, "test-txn-2", &stats, &producer, &err) == REVOS_OK,
                  "%s", err.msg);
    ck_assert_int_eq(revos_kafka_error(rd_kafka_begin_transaction(producer), "begin", &err), REVOS_OK);
    ck_assert_int_eq(revos_kafka_produce(producer, TOPIC, "k", 1, "v", 1, &err), REVOS_OK);
    rd_kafka_mock_push_request_errors(mock, END_TXN_REQUEST, 1, RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(revos_kafka_error(rd_kafka_commit_transaction(producer, 10000), "commit_transaction",
                                       &err), REVOS_ERR_FATAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "commit_transaction"));
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(transactional_producer_refused_by_the_broker_is_fatal)
{
    rd_kafka_mock_push_request_errors(mock, INIT_PRODUCER_ID_REQUEST, 1,
                                      RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = (rd_kafka_t *)&stats; /* must be reset to NULL */
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_kafka_producer_new(&settings, "test-txn-3", &stats, &producer, &err),
                     REVOS_ERR_FATAL);
    ck_assert_ptr_null(producer);
    ck_assert_msg(strstr(err.msg, "init_transactions") != NULL, "%s", err.msg);
}
END_TEST

/* ==== Pass-through properties ==== */

START_TEST(bad_dash_x_property_makes_the_producer_fatal_naming_it)
{
    const char *extra[] = {"-X", "no.such.property=1", NULL};
    settings_with(extra);
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = (rd_kafka_t *)&stats; /* must be reset to NULL */
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_kafka_producer_new(&settings, NULL, &stats, &producer, &err), REVOS_ERR_FATAL);
    ck_assert_ptr_null(producer);
    ck_assert_msg(strstr(err.msg, "no.such.property") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(bad_dash_x_property_makes_the_consumer_fatal_naming_it)
{
    const char *extra[] = {"-X", "session.timeout.ms=soon", NULL};
    settings_with(extra);
    rebalance_log log = {0};
    rd_kafka_t *consumer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_kafka_consumer_new(&settings, "g", cooperative_rebalance, &log, &consumer, &err),
                     REVOS_ERR_FATAL);
    ck_assert_ptr_null(consumer);
    ck_assert_msg(strstr(err.msg, "session.timeout.ms") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(dash_x_property_wins_over_the_producer_defaults)
{
    const char *extra[] = {"-X", "linger.ms=50", NULL};
    settings_with(extra);
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    char buf[64];
    ck_assert_str_eq(conf_value(producer, "linger.ms", buf, sizeof buf), "50");
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(dash_x_property_wins_over_the_consumer_defaults)
{
    const char *extra[] = {"-Xisolation.level=read_uncommitted", NULL};
    settings_with(extra);
    rebalance_log log = {0};
    rd_kafka_t *consumer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_kafka_consumer_new(&settings, "g", cooperative_rebalance, &log, &consumer, &err)
                  == REVOS_OK, "%s", err.msg);
    char buf[64];
    ck_assert_str_eq(conf_value(consumer, "isolation.level", buf, sizeof buf), "read_uncommitted");
    ck_assert_int_eq(revos_kafka_consumer_close(consumer, 5000), 0);
}
END_TEST

START_TEST(environment_property_reaches_the_producer)
{
    setenv("REVOS_KAFKA_PROP_CLIENT_ID", "from-env", 1);
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    char buf[64];
    ck_assert_str_eq(conf_value(producer, "client.id", buf, sizeof buf), "from-env");
    rd_kafka_destroy(producer);
}
END_TEST

/* ==== Consumer ==== */

START_TEST(consumer_uses_manual_offsets_read_committed_and_cooperative_sticky)
{
    rebalance_log log = {0};
    rd_kafka_t *consumer = NULL;
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_kafka_consumer_new(&settings, "grp-conf", cooperative_rebalance, &log, &consumer,
                                           &err) == REVOS_OK, "%s", err.msg);
    char buf[64];
    ck_assert_str_eq(conf_value(consumer, "group.id", buf, sizeof buf), "grp-conf");
    ck_assert_str_eq(conf_value(consumer, "enable.auto.commit", buf, sizeof buf), "false");
    ck_assert_str_eq(conf_value(consumer, "enable.auto.offset.store", buf, sizeof buf), "false");
    ck_assert_str_eq(conf_value(consumer, "isolation.level", buf, sizeof buf), "read_committed");
    ck_assert_str_eq(conf_value(consumer, "partition.assignment.strategy", buf, sizeof buf),
                     "cooperative-sticky");
    conf_value(consumer, "auto.offset.reset", buf, sizeof buf); /* librdkafka's alias */
    ck_assert_msg(strcmp(buf, "earliest") == 0 || strcmp(buf, "smallest") == 0, "%s", buf);
    ck_assert_int_eq(revos_kafka_consumer_close(consumer, 5000), 0);
}
END_TEST

START_TEST(consumer_receives_what_was_produced_in_order)
{
    revos_delivery_stats stats = {0};
    rd_kafka_t *producer = new_producer(&stats);
    produce_n(producer, 10);
    ck_assert_int_eq(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(stats.delivered, 10);

    rebalance_log log = {0};
    rd_kafka_t *consumer = new_subscribed_consumer("grp-receive", &log);
    int got = 0;
    int64_t deadline = mono_ms() + 30000;
    while (got < 10 && mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 200);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            char key[16], value[32];
            snprintf(key, sizeof key, "k%d", got);
            snprintf(value, sizeof value, "value-%d", got);
            ck_assert_int_eq(m->offset, got);
            ck_assert_uint_eq(m->key_len, strlen(key));
            ck_assert_int_eq(memcmp(m->key, key, m->key_len), 0);
            ck_assert_uint_eq(m->len, strlen(value));
            ck_assert_int_eq(memcmp(m->payload, value, m->len), 0);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    ck_assert_int_eq(got, 10);
    ck_assert_int_eq(log.assigned, 1);
    ck_assert_str_eq(rd_kafka_rebalance_protocol(consumer), "COOPERATIVE");
    ck_assert_int_eq(revos_kafka_consumer_close(consumer, 10000), 0);
    rd_kafka_destroy(producer);
}
END_TEST

START_TEST(consumer_close_after_joining_returns_within_its_timeout)
{
    rebalance_log log = {0};
    rd_kafka_t *consumer = new_subscribed_consumer("grp-close", &log);
    int64_t deadline = mono_ms() + 30000;
    while (log.assigned == 0 && mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 200);
        if (m != NULL)
            rd_kafka_message_destroy(m);
    }
    ck_assert_int_eq(log.assigned, 1);
    int64_t start = mono_ms();
    int rc = revos_kafka_consumer_close(consumer, 3000);
    int64_t took = mono_ms() - start;
    ck_assert_msg(took < 3500, "close took %lld ms", (long long)took);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(log.revoked, 1); /* the close left the group cleanly */
}
END_TEST

START_TEST(consumer_close_with_the_broker_down_returns_within_its_timeout)
{
    /* A consumer whose coordinator is down while it closes: close may hang
     * in librdkafka, revos_kafka_consumer_close must not. */
    rebalance_log log = {0};
    rd_kafka_t *consumer = new_subscribed_consumer("grp-close-down", &log);
    int64_t deadline = mono_ms() + 30000;
    while (log.assigned == 0 && mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 200);
        if (m != NULL)
            rd_kafka_message_destroy(m);
    }
    ck_assert_int_eq(log.assigned, 1);
    rd_kafka_mock_broker_set_down(mock, 1);
    int64_t start = mono_ms();
    int rc = revos_kafka_consumer_close(consumer, 1000);
    int64_t took = mono_ms() - start;
    ck_assert_msg(took < 1500, "close took %lld ms (rc %d)", (long long)took, rc);
    ck_assert(rc == 0 || rc == -1);
    rd_kafka_mock_broker_set_up(mock, 1);
}
END_TEST

static Suite *kafka_suite(void)
{
    Suite *s = suite_create("kafka");

    TCase *producer = tcase_create("producer");
    tcase_add_checked_fixture(producer, setup, teardown);
    tcase_set_timeout(producer, 60);
    tcase_add_test(producer, producer_is_idempotent);
    tcase_add_test(producer, produce_then_flush_counts_every_delivery);
    tcase_add_test(producer, produce_copies_key_and_value);
    tcase_add_test(producer, transactional_producer_is_ready_for_a_transaction_when_returned);
    tcase_add_test(producer, delivery_failure_is_counted_with_its_reason);
    tcase_add_test(producer, produce_on_a_handle_in_fatal_error_is_fatal);
    tcase_add_test(producer, produce_gives_up_when_the_local_queue_stays_full);
    suite_add_tcase(s, producer);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, kafka_error_of_null_is_ok);
    tcase_add_test(errors, kafka_error_of_an_ordinary_error_is_retriable_and_named);
    tcase_add_test(errors, kafka_error_of_a_fatal_error_is_fatal);
    tcase_add_test(errors, transactional_producer_refused_by_the_broker_is_fatal);
    suite_add_tcase(s, errors);

    TCase *props = tcase_create("properties");
    tcase_add_checked_fixture(props, setup, teardown);
    tcase_add_test(props, bad_dash_x_property_makes_the_producer_fatal_naming_it);
    tcase_add_test(props, bad_dash_x_property_makes_the_consumer_fatal_naming_it);
    tcase_add_test(props, dash_x_property_wins_over_the_producer_defaults);
    tcase_add_test(props, dash_x_property_wins_over_the_consumer_defaults);
    tcase_add_test(props, environment_property_reaches_the_producer);
    suite_add_tcase(s, props);

    TCase *consumer = tcase_create("consumer");
    tcase_add_checked_fixture(consumer, setup, teardown);
    tcase_set_timeout(consumer, 60);
    tcase_add_test(consumer, consumer_uses_manual_offsets_read_committed_and_cooperative_sticky);
    tcase_add_test(consumer, consumer_receives_what_was_produced_in_order);
    tcase_add_test(consumer, consumer_close_after_joining_returns_within_its_timeout);
    tcase_add_test(consumer, consumer_close_with_the_broker_down_returns_within_its_timeout);
    suite_add_tcase(s, consumer);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kafka_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
