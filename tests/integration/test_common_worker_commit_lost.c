/* test_common_worker_commit_lost.c -- specification of the worker loop
 * (common/worker/worker.c, PG_OUTBOX mode) when a COMMIT lands but its
 * reply is lost: the loop must notice that the stored offsets moved, resume
 * from them, and neither stall nor apply the batch twice.
 *
 * The fault is real, not simulated in the loop: the worker reaches
 * PostgreSQL through a TCP proxy in this test. The proxy forwards bytes both
 * ways; the first time a transaction that updated consumer_offsets sends its
 * COMMIT, the proxy forwards it, waits for the server's reply (so the COMMIT
 * did land), throws the reply away and closes the connection. librdkafka's
 * mock cluster is the broker.
 *
 *   database + one Signal topic of 1030 partitions: N_SIGNALS records on
 *   partition 0, one more on the last -> worker thread (through the proxy,
 *   4 records a batch) -> every record counted -> SIGTERM
 *
 * The 1030 partitions also show that partitions beyond the 1024 the loop
 * once tracked are consumed, not silently dropped. *
 * The scenario runs once (the loop's signal flag is process-wide); the tests
 * assert what it left. */
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
#include <poll.h>
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
#define N_SIGNALS 20
#define N_PARTITIONS 1030  /* above the 1024 the loop used to track */
#define LAST_PARTITION (N_PARTITIONS - 1)

static char scenario_error[1024];
static char prefix[64];
static char db_name[64];
static char db_dsn[2048];
static int worker_exit_code = -1;
static long counted_once = -1, counted_total = -1, stored_next = -99, last_partition_next = -99;
static atomic_int faults_injected;
static int64_t finished_after_ms = -1;

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

/* ==== The toy worker: counts each Signal in its own table ==== */

static revos_status toy_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                revos_err *err)
{
    (void)state;
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_object_get(msgs[i].record, "signal_id"));
        if (id == NULL)
            return revos_fail(err, REVOS_ERR_FATAL, "toy: record without signal_id");
        const char *params[] = {id};
        revos_status st = revos_pg_exec(revos_batch_pg(batch),
            "INSERT INTO toy_counts (signal_id, n) VALUES ($1, 1)"
            " ON CONFLICT (signal_id) DO UPDATE SET n = toy_counts.n + 1", 1, params, NULL, err);
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

static void *worker_thread(void *arg)
{
    (void)arg;
    worker_exit_code = revos_worker_run(&toy_def, worker_argc, worker_argv);
    atomic_store(&worker_done, 1);
    return NULL;
}

/* ==== The proxy that loses one COMMIT reply ==== */

static int proxy_listener = -1;
static int proxy_port;
static struct sockaddr_in pg_addr;
static atomic_int proxy_stop;

typedef struct pipe_pair {
    int client;
    int server;
} pipe_pair;

static int contains(const char *buf, size_t len, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i + wl <= len; i++)
        if (memcmp(buf + i, word, wl) == 0)
            return 1;
    return 0;
}

static void *pump(void *arg)
{
    pipe_pair pp = *(pipe_pair *)arg;
    free(arg);
    int offsets_updated = 0; /* this connection's transaction updated consumer_offsets */
    char buf[65536];
    while (!atomic_load(&proxy_stop)) {
        struct pollfd fds[2] = {{pp.client, POLLIN, 0}, {pp.server, POLLIN, 0}};
        if (poll(fds, 2, 200) <= 0)
            continue;
        if (fds[0].revents) {
            ssize_t n = read(pp.client, buf, sizeof buf);
            if (n <= 0)
                break;
            if (contains(buf, (size_t)n, "UPDATE consumer_offsets"))
                offsets_updated = 1;
            int lose_reply = offsets_updated && contains(buf, (size_t)n, "COMMIT") &&
                             atomic_load(&faults_injected) == 0;
            if (contains(buf, (size_t)n, "COMMIT") || contains(buf, (size_t)n, "ROLLBACK"))
                offsets_updated = 0;
            if (write(pp.server, buf, (size_t)n) != n)
                break;
            if (lose_reply) {
                /* the COMMIT lands: wait for the server's answer, drop it */
                struct pollfd s = {pp.server, POLLIN, 0};
                if (poll(&s, 1, 10000) == 1)
                    (void)!read(pp.server, buf, sizeof buf);
                atomic_fetch_add(&faults_injected, 1);
                break;
            }
        }
        if (fds[1].revents) {
            ssize_t n = read(pp.server, buf, sizeof buf);
            if (n <= 0 || write(pp.client, buf, (size_t)n) != n)
                break;
        }
    }
    close(pp.client);
    close(pp.server);
    return NULL;
}

static void *proxy_accept(void *arg)
{
    (void)arg;
    while (!atomic_load(&proxy_stop)) {
        struct pollfd l = {proxy_listener, POLLIN, 0};
        if (poll(&l, 1, 200) != 1)
            continue;
        int client = accept(proxy_listener, NULL, NULL);
        if (client < 0)
            continue;
        int server = socket(AF_INET, SOCK_STREAM, 0);
        if (server < 0 || connect(server, (struct sockaddr *)&pg_addr, sizeof pg_addr) != 0) {
            close(client);
            if (server >= 0)
                close(server);
            continue;
        }
        pipe_pair *pp = malloc(sizeof *pp);
        pp->client = client;
        pp->server = server;
        pthread_t t;
        if (pthread_create(&t, NULL, pump, pp) == 0)
            pthread_detach(t);
        else {
            close(client);
            close(server);
            free(pp);
        }
    }
    return NULL;
}

/* Listens on a free loopback port in front of the host:port of base_dsn. */
static int proxy_start(const char *base_dsn, pthread_t *thread)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(base_dsn, &errmsg);
    if (opts == NULL) {
        fail_scenario("REVOS_PG_DSN does not parse: %s", errmsg ? errmsg : "?");
        PQfreemem(errmsg);
        return 0;
    }
    const char *host = "127.0.0.1", *port = "5432";
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0 && o->val != NULL && o->val[0] != '\0')
            host = o->val;
        if (strcmp(o->keyword, "port") == 0 && o->val != NULL && o->val[0] != '\0')
            port = o->val;
    }
    memset(&pg_addr, 0, sizeof pg_addr);
    pg_addr.sin_family = AF_INET;
    pg_addr.sin_port = htons((uint16_t)atoi(port));
    int ok = inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                       &pg_addr.sin_addr) == 1;
    PQconninfoFree(opts);
    if (!ok) {
        fail_scenario("the proxy needs REVOS_PG_DSN's host as an IPv4 address");
        return 0;
    }
    proxy_listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (proxy_listener < 0 || bind(proxy_listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(proxy_listener, 16) != 0 ||
        getsockname(proxy_listener, (struct sockaddr *)&addr, &len) != 0) {
        fail_scenario("proxy: cannot listen");
        return 0;
    }
    proxy_port = ntohs(addr.sin_port);
    return pthread_create(thread, NULL, proxy_accept, NULL) == 0;
}

/* ==== Database ==== */

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

/* ==== The scenario ==== */

static int produce_signals(const char *bootstraps, const char *topic)
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
        return 0;
    }
    for (int i = 0; i <= N_SIGNALS && scenario_error[0] == '\0'; i++) {
        char id[32];
        snprintf(id, sizeof id, "sig-%02d", i);
        json_t *sig = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:f, s:{}, s:s, s:s, s:s, s:s, s:i, s:I}",
                                "signal_id", id, "account_id", "acct-a", "family", "usage",
                                "type", "product_usage", "severity", "info", "occurred_at",
                                (json_int_t)(1780000000000LL + i), "value", (double)i,
                                "attributes", "evidence", "toy", "source_event_id", id,
                                "source", "toy", "source_topic", "revos.raw.toy",
                                "source_partition", 0, "source_offset", (json_int_t)i);
        uint8_t *value = NULL;
        size_t len = 0;
        if (revos_avro_encode(codec, REVOS_REC_SIGNAL, topic, sig, &value, &len, &err) != REVOS_OK)
            fail_scenario("encode: %s", err.msg);
        else if (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                                   RD_KAFKA_V_PARTITION(i < N_SIGNALS ? 0 : LAST_PARTITION),
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
    return scenario_error[0] == '\0';
}

static void run_scenario(void)
{
    const char *base_dsn = getenv("REVOS_PG_DSN");
    if (base_dsn == NULL || base_dsn[0] == '\0') {
        fail_scenario("REVOS_PG_DSN is not set: eval \"$(deploy/local/up)\"");
        return;
    }
    unsetenv("REVOS_SCHEMA_REGISTRY_URL");
    snprintf(prefix, sizeof prefix, "lost%ld.", (long)getpid());
    snprintf(db_name, sizeof db_name, "revos_commit_lost_%ld", (long)getpid());
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    if (!admin_exec(sql))
        return;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    if (!admin_exec(sql))
        return;

    pthread_t proxy_thread;
    if (!proxy_start(base_dsn, &proxy_thread))
        return;
    /* The test's own connection goes straight to PostgreSQL; the worker's
     * through the proxy (without TLS, so the proxy can read the queries). */
    char direct_dsn[2048];
    snprintf(direct_dsn, sizeof direct_dsn, "%s dbname=%s", base_dsn, db_name);
    snprintf(db_dsn, sizeof db_dsn, "%s dbname=%s host=127.0.0.1 port=%d sslmode=disable",
             base_dsn, db_name, proxy_port);

    PGconn *conn = PQconnectdb(direct_dsn);
    revos_err err = {{0}, {0}};
    int applied = 0, changed = 0;
    int64_t version = 0;
    json_t *config = json_pack("{s:{s:b}}", "toy", "enabled", 1);
    if (PQstatus(conn) != CONNECTION_OK || revos_pg_migrate(conn, &applied, &err) != REVOS_OK ||
        revos_pg_exec(conn, "CREATE TABLE toy_counts (signal_id text PRIMARY KEY, n int NOT NULL)",
                      0, NULL, NULL, &err) != REVOS_OK ||
        revos_pg_config_store(conn, config, "test", &version, &changed, &err) != REVOS_OK)
        fail_scenario("database: %s %s", err.msg, PQerrorMessage(conn));
    json_decref(config);

    char errstr[256];
    rd_kafka_conf_t *owner_conf = rd_kafka_conf_new();
    rd_kafka_conf_set(owner_conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, owner_conf, errstr, sizeof errstr);
    rd_kafka_mock_cluster_t *mock = owner ? rd_kafka_mock_cluster_new(owner, 1) : NULL;
    char bootstraps[256] = "";
    char topic[128];
    snprintf(topic, sizeof topic, "%ssignals", prefix);
    if (mock == NULL) {
        fail_scenario("mock cluster: %s", errstr);
    } else {
        snprintf(bootstraps, sizeof bootstraps, "%s", rd_kafka_mock_cluster_bootstraps(mock));
        rd_kafka_mock_topic_create(mock, topic, N_PARTITIONS, 1);
        char t[128];
        snprintf(t, sizeof t, "%sdlq", prefix);
        rd_kafka_mock_topic_create(mock, t, 1, 1);
    }
    if (scenario_error[0] == '\0')
        produce_signals(bootstraps, topic);

    pthread_t thread;
    int started = 0;
    if (scenario_error[0] == '\0') {
        static char *args[] = {"revos-toy", "--kafka-brokers", NULL, "--pg-dsn", NULL,
                               "--http-port", "-1", "--topic-prefix", NULL, "--batch-max", "4",
                               "--log-level", "warn", NULL};
        args[2] = bootstraps;
        args[4] = db_dsn;
        args[8] = prefix;
        for (worker_argc = 0; args[worker_argc] != NULL; worker_argc++)
            worker_argv[worker_argc] = args[worker_argc];
        started = pthread_create(&thread, NULL, worker_thread, NULL) == 0;
        if (!started)
            fail_scenario("cannot start the worker thread");
    }
    if (started) {
        int64_t t0 = mono_ms();
        for (;;) {
            long total = query_long(conn, "SELECT coalesce(sum(n), 0) FROM toy_counts");
            long next = query_long(conn, "SELECT max(next_offset) FROM consumer_offsets");
            if (total >= N_SIGNALS + 1 && next == N_SIGNALS) {
                finished_after_ms = mono_ms() - t0;
                break;
            }
            if (atomic_load(&worker_done)) {
                fail_scenario("the worker stopped by itself (exit code %d)", worker_exit_code);
                break;
            }
            if (mono_ms() - t0 > 45000) {
                fail_scenario("stalled: %ld of %d counted, stored offset %ld, %d fault(s) injected",
                              total, N_SIGNALS + 1, next, atomic_load(&faults_injected));
                break;
            }
            usleep(200000);
        }
        raise(SIGTERM);
        for (int i = 0; i < 200 && !atomic_load(&worker_done); i++)
            usleep(100000);
        if (atomic_load(&worker_done))
            pthread_join(thread, NULL);
        else {
            fail_scenario("the worker did not return within 20 s of SIGTERM");
            pthread_detach(thread);
        }
    }
    counted_once = query_long(conn, "SELECT count(*) FROM toy_counts WHERE n = 1");
    counted_total = query_long(conn, "SELECT coalesce(sum(n), 0) FROM toy_counts");
    stored_next = query_long(conn, "SELECT next_offset FROM consumer_offsets WHERE partition = 0");
    char last_sql[128];
    snprintf(last_sql, sizeof last_sql,
             "SELECT next_offset FROM consumer_offsets WHERE partition = %d", LAST_PARTITION);
    last_partition_next = query_long(conn, last_sql);
    PQfinish(conn);
    atomic_store(&proxy_stop, 1);
    pthread_join(proxy_thread, NULL);
    close(proxy_listener);
    if (atomic_load(&worker_done)) {
        if (mock != NULL)
            rd_kafka_mock_cluster_destroy(mock);
        if (owner != NULL)
            rd_kafka_destroy(owner);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
        admin_exec(sql);
    }
}

#define ASSERT_SCENARIO_RAN() ck_assert_msg(scenario_error[0] == '\0', "scenario: %s", scenario_error)

START_TEST(the_reply_of_a_landed_commit_was_lost_once)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(atomic_load(&faults_injected), 1);
}
END_TEST

START_TEST(the_worker_resumes_after_the_lost_reply_instead_of_stalling)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(stored_next, N_SIGNALS);
    ck_assert_int_lt(finished_after_ms, 45000);
}
END_TEST

START_TEST(the_batch_whose_reply_was_lost_is_applied_once)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(counted_once, N_SIGNALS + 1);
    ck_assert_int_eq(counted_total, N_SIGNALS + 1);
}
END_TEST

START_TEST(a_partition_numbered_above_1024_is_consumed)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(last_partition_next, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("worker_commit_lost");
    TCase *tc = tcase_create("lost_commit_reply");
    tcase_add_unchecked_fixture(tc, run_scenario, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_reply_of_a_landed_commit_was_lost_once);
    tcase_add_test(tc, the_worker_resumes_after_the_lost_reply_instead_of_stalling);
    tcase_add_test(tc, the_batch_whose_reply_was_lost_is_applied_once);
    tcase_add_test(tc, a_partition_numbered_above_1024_is_consumed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
