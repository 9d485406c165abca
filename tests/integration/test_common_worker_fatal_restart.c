/* test_common_worker_fatal_restart.c -- specification of the worker loop's
 * refusal metrics (common/worker/worker.c): a fatal exit is recorded in
 * PostgreSQL and the run that follows reports it on /metrics
 * (revos_restarts_after_fatal_total) together with its dead letters by class
 * (revos_dead_letters_by_class_total{class=...}) and the configuration version in
 * force (revos_config_version).
 *
 * A toy worker ("revos-toy") counts Signals; in its first run it fails its
 * first batch fatally, so revos_worker_run returns 1 as a supervisor would
 * see it; the second run (a restart) processes everything, rejecting the
 * Signal of account "bad". librdkafka's mock cluster is the broker; the
 * database is this test's own. The scenario runs once; the tests assert
 * what it left. */
#include "avro/avro_codec.h"
#include "pg/pg.h"
#include "worker/worker.h"

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WORKER "revos-toy"

static char scenario_error[1024];
static int first_exit_code = -1, second_exit_code = -1;
static char recorded_reason[512];
static long recorded_exits = -1;
static char metrics_text[65536];
static atomic_int fail_fatally = 1;

static void fail_scenario(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_scenario(const char *fmt, ...)
{
    if (scenario_error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(scenario_error, sizeof scenario_error, fmt, ap);
    va_end(ap);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ==== The toy worker ==== */

static revos_status toy_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                revos_err *err)
{
    (void)state;
    if (atomic_load(&fail_fatally))
        return revos_fail(err, REVOS_ERR_FATAL, "toy: the first run fails fatally on purpose");
    for (size_t i = 0; i < n; i++) {
        const char *account = json_string_value(json_object_get(msgs[i].record, "account_id"));
        const char *id = json_string_value(json_object_get(msgs[i].record, "signal_id"));
        if (account == NULL || id == NULL)
            return revos_fail(err, REVOS_ERR_FATAL, "toy: record without ids");
        if (strcmp(account, "bad") == 0) {
            revos_err why = {{0}, {0}};
            revos_reject(&why, "toy_rule", "account bad is not served by the toy");
            revos_batch_reject(batch, &msgs[i], &why);
            continue;
        }
        const char *params[] = {id};
        revos_status st = revos_pg_exec(revos_batch_pg(batch),
            "INSERT INTO toy_counts (signal_id) VALUES ($1) ON CONFLICT DO NOTHING", 1, params,
            NULL, err);
        if (st != REVOS_OK)
            return st;
    }
    return REVOS_OK;
}

static const revos_worker_def toy_def = {
    .name = WORKER,
    .delivery = REVOS_DELIVERY_PG_OUTBOX,
    .default_http_port = -1,
    .n_inputs = 1,
    .inputs = {{"signals", REVOS_REC_SIGNAL}},
    .process = toy_process,
};

static char *worker_argv[16];
static int worker_argc;
static atomic_int worker_done;
static int worker_code;

static void *worker_thread(void *arg)
{
    (void)arg;
    worker_code = revos_worker_run(&toy_def, worker_argc, worker_argv);
    atomic_store(&worker_done, 1);
    return NULL;
}

/* Runs the worker in a thread; returns 1 once it is started. */
static int start_worker(pthread_t *thread)
{
    atomic_store(&worker_done, 0);
    return pthread_create(thread, NULL, worker_thread, NULL) == 0;
}

static int wait_done(int64_t timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    while (!atomic_load(&worker_done) && mono_ms() < deadline)
        usleep(100000);
    return atomic_load(&worker_done);
}

/* ==== Helpers ==== */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* GET path on 127.0.0.1:port into out (the whole response). */
static int http_get(int port, const char *path, char *out, size_t outlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return 0;
    }
    size_t o = 0;
    ssize_t got;
    while (o + 1 < outlen && (got = read(fd, out + o, outlen - o - 1)) > 0)
        o += (size_t)got;
    out[o] = '\0';
    close(fd);
    return o > 0;
}

static int admin_exec(const char *sql)
{
    PGconn *admin = PQconnectdb(getenv("REVOS_PG_DSN"));
    int ok = PQstatus(admin) == CONNECTION_OK;
    if (ok) {
        PGresult *res = PQexec(admin, sql);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            fail_scenario("%s: %s", sql, PQerrorMessage(admin));
        PQclear(res);
    } else {
        fail_scenario("admin connect: %s", PQerrorMessage(admin));
    }
    PQfinish(admin);
    return ok;
}

static long query_long(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    long v = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

static void produce_signals(const char *bootstraps, const char *topic)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    revos_avro *codec = NULL;
    revos_err err = {{0}, {0}};
    if (producer == NULL || revos_avro_open(&codec, NULL, &err) != REVOS_OK) {
        fail_scenario("producer or codec: %s %s", errstr, err.msg);
        if (producer != NULL)
            rd_kafka_destroy(producer);
        return;
    }
    static const char *const accounts[] = {"acct-a", "bad", "acct-b"};
    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "sig-%d", i);
        json_t *sig = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:f, s:{}, s:s, s:s, s:s, s:s, s:i, s:I}",
                                "signal_id", id, "account_id", accounts[i], "family", "usage",
                                "type", "product_usage", "severity", "info", "occurred_at",
                                (json_int_t)(1780000000000LL + i), "value", (double)i,
                                "attributes", "evidence", "toy", "source_event_id", id,
                                "source", "toy", "source_topic", "revos.raw.toy",
                                "source_partition", 0, "source_offset", (json_int_t)i);
        uint8_t *value = NULL;
        size_t len = 0;
        if (revos_avro_encode(codec, REVOS_REC_SIGNAL, topic, sig, &value, &len, &err) != REVOS_OK)
            fail_scenario("encode: %s", err.msg);
        else if (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_VALUE(value, len), RD_KAFKA_V_END) != 0)
            fail_scenario("produce failed");
        free(value);
        json_decref(sig);
    }
    if (rd_kafka_flush(producer, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        fail_scenario("input was not delivered");
    rd_kafka_destroy(producer);
    revos_avro_close(codec);
}

/* ==== The scenario ==== */

static void run_scenario(void)
{
    const char *base_dsn = getenv("REVOS_PG_DSN");
    if (base_dsn == NULL || base_dsn[0] == '\0') {
        fail_scenario("REVOS_PG_DSN is not set: eval \"$(deploy/local/up)\"");
        return;
    }
    unsetenv("REVOS_SCHEMA_REGISTRY_URL");
    unsetenv("REVOS_INSTANCE_ID");
    char prefix[64], db_name[64], db_dsn[2048], sql[200];
    snprintf(prefix, sizeof prefix, "fatal%ld.", (long)getpid());
    snprintf(db_name, sizeof db_name, "revos_fatal_restart_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    if (!admin_exec(sql))
        return;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    if (!admin_exec(sql))
        return;
    snprintf(db_dsn, sizeof db_dsn, "%s dbname=%s", base_dsn, db_name);

    PGconn *conn = PQconnectdb(db_dsn);
    revos_err err = {{0}, {0}};
    int applied = 0, changed = 0;
    int64_t version = 0;
    json_t *config = json_pack("{s:{s:b}}", "toy", "enabled", 1);
    if (PQstatus(conn) != CONNECTION_OK || revos_pg_migrate(conn, &applied, &err) != REVOS_OK ||
        revos_pg_exec(conn, "CREATE TABLE toy_counts (signal_id text PRIMARY KEY)", 0, NULL, NULL,
                      &err) != REVOS_OK ||
        revos_pg_config_store(conn, config, "test", &version, &changed, &err) != REVOS_OK)
        fail_scenario("database: %s %s", err.msg, PQerrorMessage(conn));
    json_decref(config);

    char errstr[256];
    rd_kafka_conf_t *owner_conf = rd_kafka_conf_new();
    rd_kafka_conf_set(owner_conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, owner_conf, errstr, sizeof errstr);
    rd_kafka_mock_cluster_t *mock = owner ? rd_kafka_mock_cluster_new(owner, 1) : NULL;
    char bootstraps[256] = "", topic[128], dlq[128];
    snprintf(topic, sizeof topic, "%ssignals", prefix);
    snprintf(dlq, sizeof dlq, "%sdlq", prefix);
    if (mock == NULL) {
        fail_scenario("mock cluster: %s", errstr);
    } else {
        snprintf(bootstraps, sizeof bootstraps, "%s", rd_kafka_mock_cluster_bootstraps(mock));
        rd_kafka_mock_topic_create(mock, topic, 1, 1);
        rd_kafka_mock_topic_create(mock, dlq, 1, 1);
        produce_signals(bootstraps, topic);
    }
    int port = free_port();
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    static char *args[] = {"revos-toy", "--kafka-brokers", NULL, "--pg-dsn", NULL, "--http-port",
                           NULL, "--http-bind", "127.0.0.1", "--topic-prefix", NULL,
                           "--instance-id", "toy-1", "--log-level", "warn", NULL};
    args[2] = bootstraps;
    args[4] = db_dsn;
    args[6] = port_text;
    args[10] = prefix;
    for (worker_argc = 0; args[worker_argc] != NULL; worker_argc++)
        worker_argv[worker_argc] = args[worker_argc];

    pthread_t thread;
    int stopped = 1;
    /* First run: fails fatally, as a supervisor would see it. */
    if (scenario_error[0] == '\0' && port > 0 && start_worker(&thread)) {
        if (wait_done(60000)) {
            pthread_join(thread, NULL);
            first_exit_code = worker_code;
        } else {
            fail_scenario("the first run did not stop on its fatal batch within 60 s");
            pthread_detach(thread);
            stopped = 0;
        }
    }
    PGresult *res = PQexec(conn, "SELECT count(*), max(reason) FROM worker_fatal_exits"
                                 " WHERE worker = 'revos-toy' AND instance = 'toy-1'");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        recorded_exits = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(recorded_reason, sizeof recorded_reason, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);

    /* Second run: the restart, which processes everything. */
    atomic_store(&fail_fatally, 0);
    if (scenario_error[0] == '\0' && stopped && start_worker(&thread)) {
        int64_t deadline = mono_ms() + 45000;
        while (mono_ms() < deadline && !atomic_load(&worker_done) &&
               query_long(conn, "SELECT max(next_offset) FROM consumer_offsets") != 3)
            usleep(200000);
        if (!http_get(port, "/metrics", metrics_text, sizeof metrics_text))
            fail_scenario("no /metrics on port %d", port);
        raise(SIGTERM);
        if (wait_done(20000)) {
            pthread_join(thread, NULL);
            second_exit_code = worker_code;
        } else {
            fail_scenario("the second run did not stop on SIGTERM");
            pthread_detach(thread);
            stopped = 0;
        }
    }
    PQfinish(conn);
    if (stopped) {
        if (mock != NULL)
            rd_kafka_mock_cluster_destroy(mock);
        if (owner != NULL)
            rd_kafka_destroy(owner);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
        admin_exec(sql);
    }
}

#define ASSERT_SCENARIO_RAN() ck_assert_msg(scenario_error[0] == '\0', "scenario: %s", scenario_error)

START_TEST(a_fatal_batch_ends_the_run_with_exit_code_1)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(first_exit_code, 1);
}
END_TEST

START_TEST(the_fatal_exit_is_recorded_with_its_reason)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(recorded_exits, 1);
    ck_assert_str_eq(recorded_reason, "batch: toy: the first run fails fatally on purpose");
}
END_TEST

START_TEST(the_restart_reports_the_fatal_exit_on_metrics)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(second_exit_code, 0);
    ck_assert_msg(strstr(metrics_text, "\nrevos_restarts_after_fatal_total 1\n") != NULL, "%s",
                  metrics_text);
}
END_TEST

START_TEST(dead_letters_are_counted_by_class)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_msg(strstr(metrics_text, "\nrevos_dead_letters_by_class_total{class=\"toy_rule\"} 1\n") != NULL,
                  "%s", metrics_text);
}
END_TEST

START_TEST(the_configuration_version_in_force_is_a_gauge)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_msg(strstr(metrics_text, "\nrevos_config_version 1\n") != NULL, "%s", metrics_text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_fatal_restart");
    TCase *tc = tcase_create("refusal_metrics");
    tcase_add_unchecked_fixture(tc, run_scenario, NULL);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, a_fatal_batch_ends_the_run_with_exit_code_1);
    tcase_add_test(tc, the_fatal_exit_is_recorded_with_its_reason);
    tcase_add_test(tc, the_restart_reports_the_fatal_exit_on_metrics);
    tcase_add_test(tc, dead_letters_are_counted_by_class);
    tcase_add_test(tc, the_configuration_version_in_force_is_a_gauge);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
