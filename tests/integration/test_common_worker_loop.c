/* test_common_worker_loop.c -- specification of the one worker loop
 * (common/worker/worker.h) in PG_OUTBOX mode, run whole: librdkafka's mock
 * cluster as the broker and a real PostgreSQL (REVOS_PG_DSN) database of
 * this test's own.
 *
 * A toy worker ("revos-toy") reads Signals, counts each one in a table of
 * its own inside the batch transaction, emits one Outcome per Signal and
 * rejects Signals of account "bad". Its very first batch fails on purpose
 * after writing its counts (REVOS_ERR_RETRY), so the loop must roll it back
 * and consume it again. The scenario runs once (an unchecked fixture: the
 * loop's signal flag is process-wide and never re-armed):
 *
 *   config stored -> Signals (+ one garbage record) produced -> worker
 *   thread started -> everything processed -> SIGTERM -> thread returns
 *
 * and then gathers what the tests below assert: the counts, the stored
 * offsets, the relayed Outcomes and the dead letters. */
#include "avro/avro_codec.h"
#include "config/settings.h"
#include "kafka/kafka.h"
#include "pg/pg.h"
#include "worker/worker.h"

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORKER "revos-toy"
#define N_GOOD 24          /* good Signals: 3 accounts x 8 */
#define N_PARTITIONS 2     /* of the signals topic */

/* ==== What the scenario leaves for the tests ==== */

static char scenario_error[1024]; /* empty when the scenario ran to the end */
static char prefix[64];
static char db_name[64];
static char db_dsn[2048];
static int worker_exit_code = -1;
static int64_t worker_stop_ms = -1;   /* from SIGTERM to the thread's return */
static int64_t produced[N_PARTITIONS]; /* records produced per partition */
static int64_t stored_offset[N_PARTITIONS];
static int32_t garbage_partition = -1, bad_partition = -1;
static int64_t garbage_offset = -1, bad_offset = -1;
static json_t *counts;       /* signal_id -> times counted */
static json_t *count_config; /* signal_id -> config version seen by process() */
static json_t *outcomes;     /* decoded Outcomes, in topic order, each with "_key" */
static json_t *dead_letters; /* decoded DeadLetters, in topic order */
static long outbox_left = -1;
static int process_calls;

static void fail_scenario(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_scenario(const char *fmt, ...)
{
    if (scenario_error[0] != '\0')
        return; /* keep the first cause */
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
    PGconn *pg = revos_batch_pg(batch);
    if (pg == NULL || revos_batch_config(batch) == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "toy: no transaction or no config");
    char version[32];
    snprintf(version, sizeof version, "%lld", (long long)revos_batch_config_version(batch));
    int first_call = process_calls++ == 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *rec = msgs[i].record;
        const char *account = json_string_value(json_object_get(rec, "account_id"));
        const char *signal_id = json_string_value(json_object_get(rec, "signal_id"));
        if (account == NULL || signal_id == NULL)
            return revos_fail(err, REVOS_ERR_FATAL, "toy: record without ids");
        if (strcmp(account, "bad") == 0) {
            revos_err why = {{0}, {0}};
            revos_reject(&why, "toy_rule", "account %s is not served by the toy", account);
            revos_batch_reject(batch, &msgs[i], &why);
            continue;
        }
        const char *params[] = {signal_id, version};
        revos_status st = revos_pg_exec(pg,
            "INSERT INTO toy_counts (signal_id, n, config_version) VALUES ($1, 1, $2::bigint)"
            " ON CONFLICT (signal_id) DO UPDATE SET n = toy_counts.n + 1", 2, params, NULL, err);
        if (st != REVOS_OK)
            return st;
        json_t *outcome = json_pack("{s:s, s:s, s:s, s:s, s:n, s:n, s:n, s:s, s:I, s:s}",
                                    "outcome_id", signal_id, "kind", "task", "result", "renewed",
                                    "account_id", account, "play_id", "task_id", "page_id",
                                    "actor", WORKER, "occurred_at",
                                    json_integer_value(json_object_get(rec, "occurred_at")),
                                    "note", signal_id);
        st = revos_batch_emit(batch, "outcomes", account, REVOS_REC_OUTCOME, outcome, err);
        json_decref(outcome);
        if (st != REVOS_OK)
            return st;
    }
    if (first_call)
        return revos_fail(err, REVOS_ERR_RETRY, "toy: the first batch fails on purpose");
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

/* ==== Worker thread ==== */

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int worker_done;
static char *worker_argv[16];
static int worker_argc;

static void *worker_thread(void *arg)
{
    (void)arg;
    int code = revos_worker_run(&toy_def, worker_argc, worker_argv);
    pthread_mutex_lock(&done_lock);
    worker_done = 1;
    worker_exit_code = code;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

/* 1 when the worker thread returned within timeout_ms. */
static int wait_worker(int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    pthread_mutex_lock(&done_lock);
    while (!worker_done)
        if (pthread_cond_timedwait(&done_cond, &done_lock, &deadline) != 0)
            break;
    int done = worker_done;
    pthread_mutex_unlock(&done_lock);
    return done;
}

/* ==== Database ==== */

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int run_admin(const char *sql)
{
    PGconn *admin = PQconnectdb(getenv("REVOS_PG_DSN"));
    int ok = PQstatus(admin) == CONNECTION_OK;
    if (ok) {
        PQsetNoticeProcessor(admin, quiet, NULL);
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

/* REVOS_PG_DSN (keyword or URL form) with dbname replaced, as keywords. */
static int dsn_for_database(const char *base, const char *dbname, char *out, size_t outlen)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(base, &errmsg);
    if (opts == NULL) {
        fail_scenario("REVOS_PG_DSN does not parse: %s", errmsg ? errmsg : "?");
        PQfreemem(errmsg);
        return 0;
    }
    size_t o = 0;
    out[0] = '\0';
    for (PQconninfoOption *opt = opts; opt->keyword != NULL && o + 8 < outlen; opt++) {
        const char *value = strcmp(opt->keyword, "dbname") == 0 ? dbname : opt->val;
        if (value == NULL)
            continue;
        o += (size_t)snprintf(out + o, outlen - o, "%s%s='", o ? " " : "", opt->keyword);
        for (const char *p = value; *p != '\0' && o + 3 < outlen; p++) {
            if (*p == '\'' || *p == '\\')
                out[o++] = '\\';
            out[o++] = *p;
        }
        o += (size_t)snprintf(out + o, outlen - o, "'");
    }
    PQconninfoFree(opts);
    return o < outlen;
}

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    revos_err err = {{0}, {0}};
    PGresult *res = NULL;
    if (revos_pg_exec(conn, sql, n, params, &res, &err) != REVOS_OK) {
        fail_scenario("%s: %s", sql, err.msg);
        return NULL;
    }
    return res;
}

static long query_long(PGconn *conn, const char *sql)
{
    PGresult *res = query(conn, sql, 0, NULL);
    if (res == NULL)
        return -1;
    long v = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return v;
}

/* ==== Records ==== */

static int produce_signals(rd_kafka_t *producer, revos_avro *codec, const char *topic)
{
    static const char *const accounts[] = {"acct-a", "acct-b", "acct-c"};
    int64_t t0 = 1780000000000LL;
    for (int i = 0; i < N_GOOD + 2; i++) {
        const void *payload;
        size_t len;
        uint8_t *encoded = NULL;
        const char *key;
        /* one account, one partition, as a keyed producer would do */
        int32_t partition = i == 9 || i == 14 ? 1 : (i % 3) % N_PARTITIONS;
        const char *garbage = "this is not avro {\"account_id\": 1}";
        if (i == 9) { /* the garbage record */
            key = "acct-x";
            payload = garbage;
            len = strlen(garbage);
            garbage_partition = partition;
            garbage_offset = produced[partition];
        } else {
            char signal_id[32];
            const char *account = i == 14 ? "bad" : accounts[i % 3];
            snprintf(signal_id, sizeof signal_id, "sig-%02d", i);
            json_t *sig = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:f, s:{s:s}, s:s, s:s, s:s, s:s, s:i, s:I}",
                                    "signal_id", signal_id, "account_id", account, "family", "usage",
                                    "type", "product_usage", "severity", "info",
                                    "occurred_at", (json_int_t)(t0 + i * 1000), "value", (double)i,
                                    "attributes", "source", "toy", "evidence", "toy evidence",
                                    "source_event_id", signal_id, "source", "toy", "source_topic",
                                    "revos.raw.toy", "source_partition", 0, "source_offset", (json_int_t)i);
            revos_err err = {{0}, {0}};
            revos_status st = sig ? revos_avro_encode(codec, REVOS_REC_SIGNAL, topic, sig, &encoded, &len, &err)
                                  : REVOS_ERR_FATAL;
            json_decref(sig);
            if (st != REVOS_OK) {
                fail_scenario("encode Signal: %s", err.msg);
                return 0;
            }
            key = account;
            payload = encoded;
            if (i == 14) {
                bad_partition = partition;
                bad_offset = produced[partition];
            }
        }
        rd_kafka_resp_err_t e = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY((void *)key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)payload, len), RD_KAFKA_V_END);
        free(encoded);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fail_scenario("produce: %s", rd_kafka_err2str(e));
            return 0;
        }
        produced[partition]++;
    }
    return 1;
}

/* Reads partition 0 of topic from the beginning, decoding each record as
 * type, until quiet for 1 s (or 20 s in all). */
static json_t *read_topic(const char *bootstraps, const char *topic, revos_avro *codec,
                          revos_record_type type)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "test-worker-loop-reader", errstr, sizeof errstr); /* never joined */
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    json_t *records = json_array();
    if (consumer == NULL) {
        fail_scenario("reader: %s", errstr);
        return records;
    }
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    int64_t deadline = mono_ms() + 20000, quiet_until = mono_ms() + 3000;
    while (mono_ms() < deadline && mono_ms() < quiet_until) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            json_t *rec = NULL;
            revos_err err = {{0}, {0}};
            if (revos_avro_decode(codec, type, m->payload, m->len, &rec, &err) != REVOS_OK) {
                fail_scenario("%s@%lld does not decode: %s", topic, (long long)m->offset, err.msg);
            } else {
                json_object_set_new(rec, "_key", m->key ? json_stringn(m->key, m->key_len) : json_null());
                json_array_append_new(records, rec);
            }
            quiet_until = mono_ms() + 1000;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return records;
}

/* ==== The scenario ==== */

static void run_scenario(void)
{
    counts = json_object();
    count_config = json_object();
    outcomes = json_array();
    dead_letters = json_array();
    const char *base_dsn = getenv("REVOS_PG_DSN");
    if (base_dsn == NULL || base_dsn[0] == '\0') {
        fail_scenario("REVOS_PG_DSN is not set: eval \"$(deploy/local/up --pg-only)\"");
        return;
    }
    unsetenv("REVOS_SCHEMA_REGISTRY_URL");
    unsetenv("REVOS_BATCH_MAX");
    unsetenv("REVOS_BATCH_WAIT_MS");
    unsetenv("REVOS_DLQ_MAX_PAYLOAD");
    snprintf(prefix, sizeof prefix, "t%ld.", (long)getpid());
    snprintf(db_name, sizeof db_name, "revos_common_loop_%ld", (long)getpid());
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    if (!run_admin(sql))
        return;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    if (!run_admin(sql) || !dsn_for_database(base_dsn, db_name, db_dsn, sizeof db_dsn))
        return;

    /* Database: migrated, the toy's table, one configuration applied. */
    PGconn *conn = NULL;
    revos_err err = {{0}, {0}};
    if (revos_pg_connect(db_dsn, "test_common_worker_loop", &conn, &err) != REVOS_OK) {
        fail_scenario("%s", err.msg);
        return;
    }
    PQsetNoticeProcessor(conn, quiet, NULL);
    int applied = 0;
    int64_t version = 0;
    int changed = 0;
    json_t *config = json_pack("{s:{s:b}, s:{}}", "toy", "enabled", 1, "scoring");
    if (revos_pg_migrate(conn, &applied, &err) != REVOS_OK ||
        revos_pg_exec(conn, "CREATE TABLE toy_counts (signal_id text PRIMARY KEY, n int NOT NULL,"
                            " config_version bigint NOT NULL)", 0, NULL, NULL, &err) != REVOS_OK ||
        revos_pg_config_store(conn, config, "test", &version, &changed, &err) != REVOS_OK) {
        fail_scenario("database: %s", err.msg);
        json_decref(config);
        PQfinish(conn);
        return;
    }
    json_decref(config);

    /* The mock cluster and its topics. */
    char errstr[256];
    rd_kafka_conf_t *owner_conf = rd_kafka_conf_new();
    rd_kafka_conf_set(owner_conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, owner_conf, errstr, sizeof errstr);
    rd_kafka_mock_cluster_t *mock = owner ? rd_kafka_mock_cluster_new(owner, 1) : NULL;
    if (mock == NULL) {
        fail_scenario("mock cluster: %s", errstr);
        PQfinish(conn);
        return;
    }
    char bootstraps[256];
    snprintf(bootstraps, sizeof bootstraps, "%s", rd_kafka_mock_cluster_bootstraps(mock));
    char t_signals[128], t_outcomes[128], t_dlq[128];
    snprintf(t_signals, sizeof t_signals, "%ssignals", prefix);
    snprintf(t_outcomes, sizeof t_outcomes, "%soutcomes", prefix);
    snprintf(t_dlq, sizeof t_dlq, "%sdlq", prefix);
    rd_kafka_mock_topic_create(mock, t_signals, N_PARTITIONS, 1);
    rd_kafka_mock_topic_create(mock, t_outcomes, 1, 1);
    rd_kafka_mock_topic_create(mock, t_dlq, 1, 1);

    /* The input: Avro Signals, one of account "bad", one garbage record. */
    revos_avro *codec = NULL;
    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    rd_kafka_conf_set(pconf, "bootstrap.servers", bootstraps, errstr, sizeof errstr);
    rd_kafka_conf_set(pconf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr);
    if (producer == NULL || revos_avro_open(&codec, NULL, &err) != REVOS_OK) {
        fail_scenario("producer or codec: %s %s", errstr, err.msg);
    } else if (produce_signals(producer, codec, t_signals)) {
        if (rd_kafka_flush(producer, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
            fail_scenario("input was not delivered");
    }
    if (producer != NULL)
        rd_kafka_destroy(producer);

    /* The worker, until everything is processed and relayed. */
    pthread_t thread;
    int started = 0;
    if (scenario_error[0] == '\0') {
        static char *args[] = {"revos-toy", "--kafka-brokers", NULL, "--pg-dsn", NULL, "--http-port", "-1",
                               "--topic-prefix", NULL, "--log-level", "warn", NULL};
        args[2] = bootstraps;
        args[4] = db_dsn;
        args[8] = prefix;
        worker_argc = 0;
        while (args[worker_argc] != NULL) {
            worker_argv[worker_argc] = args[worker_argc];
            worker_argc++;
        }
        worker_argv[worker_argc] = NULL;
        started = pthread_create(&thread, NULL, worker_thread, NULL) == 0;
        if (!started)
            fail_scenario("cannot start the worker thread");
    }
    if (started) {
        int64_t total = produced[0] + produced[1];
        int64_t deadline = mono_ms() + 45000;
        for (;;) {
            long counted = query_long(conn, "SELECT count(*) FROM toy_counts");
            long offsets = query_long(conn, "SELECT sum(next_offset) FROM consumer_offsets");
            long pending = query_long(conn, "SELECT count(*) FROM outbox");
            if (counted == N_GOOD && offsets == total && pending == 0)
                break;
            if (wait_worker(0)) {
                fail_scenario("the worker stopped by itself (exit code %d)", worker_exit_code);
                break;
            }
            if (mono_ms() > deadline) {
                fail_scenario("not processed in 45 s: %ld counted, offsets sum %ld of %lld, %ld in the outbox",
                              counted, offsets, (long long)total, pending);
                break;
            }
            usleep(200000);
        }
        int64_t t_stop = mono_ms();
        raise(SIGTERM); /* the loop's handler flips its running flag */
        if (wait_worker(20000)) {
            worker_stop_ms = mono_ms() - t_stop;
            pthread_join(thread, NULL);
        } else {
            fail_scenario("the worker did not return within 20 s of SIGTERM");
            pthread_detach(thread);
        }
    }

    /* What it did. */
    PGresult *res = query(conn, "SELECT signal_id, n, config_version FROM toy_counts", 0, NULL);
    for (int i = 0; res != NULL && i < PQntuples(res); i++) {
        json_object_set_new(counts, PQgetvalue(res, i, 0), json_integer(strtol(PQgetvalue(res, i, 1), NULL, 10)));
        json_object_set_new(count_config, PQgetvalue(res, i, 0),
                            json_integer(strtol(PQgetvalue(res, i, 2), NULL, 10)));
    }
    PQclear(res);
    char group[128];
    snprintf(group, sizeof group, "%s%s", prefix, WORKER);
    for (int p = 0; p < N_PARTITIONS; p++) {
        char part[8];
        snprintf(part, sizeof part, "%d", p);
        const char *params[] = {group, t_signals, part};
        res = query(conn, "SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2"
                          " AND partition = $3::int", 3, params);
        stored_offset[p] = res != NULL && PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -99;
        PQclear(res);
    }
    outbox_left = query_long(conn, "SELECT count(*) FROM outbox");
    if (codec != NULL) {
        json_decref(outcomes);
        json_decref(dead_letters);
        outcomes = read_topic(bootstraps, t_outcomes, codec, REVOS_REC_OUTCOME);
        dead_letters = read_topic(bootstraps, t_dlq, codec, REVOS_REC_DEAD_LETTER);
        revos_avro_close(codec);
    }
    PQfinish(conn);
    if (worker_stop_ms >= 0) { /* never pull the cluster from under a running worker */
        rd_kafka_mock_cluster_destroy(mock);
        rd_kafka_destroy(owner);
        /* plain DROP waits for the worker's session to end and stops
         * autovacuum; FORCE is the fallback for a session left open */
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
        PGconn *admin = PQconnectdb(base_dsn);
        PGresult *dropped = PQstatus(admin) == CONNECTION_OK ? PQexec(admin, sql) : NULL;
        if (PQresultStatus(dropped) != PGRES_COMMAND_OK) {
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
            run_admin(sql);
        }
        PQclear(dropped);
        PQfinish(admin);
    }
}

static void scenario_teardown(void)
{
    json_decref(counts);
    json_decref(count_config);
    json_decref(outcomes);
    json_decref(dead_letters);
}

#define ASSERT_SCENARIO_RAN() ck_assert_msg(scenario_error[0] == '\0', "scenario: %s", scenario_error)

static const json_t *dead_letter_of_class(const char *cls)
{
    size_t i;
    json_t *letter;
    const json_t *found = NULL;
    json_array_foreach(dead_letters, i, letter) {
        if (strcmp(json_string_value(json_object_get(letter, "error_class")), cls) == 0) {
            ck_assert_msg(found == NULL, "two dead letters of class %s", cls);
            found = letter;
        }
    }
    ck_assert_msg(found != NULL, "no dead letter of class %s", cls);
    return found;
}

/* ==== The specification ==== */

START_TEST(worker_returns_0_soon_after_sigterm)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(worker_exit_code, 0);
    ck_assert_int_ge(worker_stop_ms, 0);
    ck_assert_int_lt(worker_stop_ms, 20000);
}
END_TEST

START_TEST(every_good_record_is_counted_exactly_once_despite_the_rolled_back_first_batch)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_ge(process_calls, 2);
    ck_assert_uint_eq(json_object_size(counts), N_GOOD);
    for (int i = 0; i < N_GOOD + 2; i++) {
        char id[32];
        snprintf(id, sizeof id, "sig-%02d", i);
        json_t *n = json_object_get(counts, id);
        if (i == 9 || i == 14) {
            ck_assert_msg(n == NULL, "%s (garbage or rejected) was counted", id);
            continue;
        }
        ck_assert_msg(n != NULL, "%s was never counted", id);
        ck_assert_msg(json_integer_value(n) == 1, "%s counted %lld times", id, (long long)json_integer_value(n));
    }
}
END_TEST

START_TEST(process_sees_the_applied_configuration_version)
{
    ASSERT_SCENARIO_RAN();
    const char *id;
    json_t *version;
    json_object_foreach(count_config, id, version)
        ck_assert_msg(json_integer_value(version) == 1, "%s saw config version %lld", id,
                      (long long)json_integer_value(version));
    ck_assert_uint_eq(json_object_size(count_config), N_GOOD);
}
END_TEST

START_TEST(stored_offsets_equal_the_records_produced_per_partition)
{
    ASSERT_SCENARIO_RAN();
    for (int p = 0; p < N_PARTITIONS; p++)
        ck_assert_msg(stored_offset[p] == produced[p], "partition %d: stored %lld, produced %lld", p,
                      (long long)stored_offset[p], (long long)produced[p]);
}
END_TEST

START_TEST(outputs_are_relayed_to_their_topic_once_each_and_the_outbox_is_empty)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_int_eq(outbox_left, 0);
    ck_assert_uint_eq(json_array_size(outcomes), N_GOOD);
    json_t *seen = json_object();
    size_t i;
    json_t *outcome;
    json_array_foreach(outcomes, i, outcome) {
        const char *id = json_string_value(json_object_get(outcome, "outcome_id"));
        ck_assert_ptr_nonnull(id);
        ck_assert_msg(json_object_get(seen, id) == NULL, "outcome %s published twice", id);
        json_object_set_new(seen, id, json_true());
        ck_assert_msg(json_object_get(counts, id) != NULL, "outcome %s for a record never counted", id);
        ck_assert_str_eq(json_string_value(json_object_get(outcome, "actor")), WORKER);
        ck_assert_str_eq(json_string_value(json_object_get(outcome, "note")), id);
    }
    json_decref(seen);
}
END_TEST

START_TEST(outputs_are_keyed_by_account_and_keep_each_accounts_order)
{
    ASSERT_SCENARIO_RAN();
    json_t *last = json_object(); /* account -> last occurred_at */
    size_t i;
    json_t *outcome;
    json_array_foreach(outcomes, i, outcome) {
        const char *account = json_string_value(json_object_get(outcome, "account_id"));
        ck_assert_ptr_nonnull(account);
        ck_assert_str_eq(json_string_value(json_object_get(outcome, "_key")), account);
        json_int_t at = json_integer_value(json_object_get(outcome, "occurred_at"));
        json_t *prev = json_object_get(last, account);
        if (prev != NULL)
            ck_assert_msg(json_integer_value(prev) < at, "%s out of order", account);
        json_object_set_new(last, account, json_integer(at));
    }
    json_decref(last);
}
END_TEST

START_TEST(garbage_record_is_a_decode_dead_letter_with_its_original_bytes)
{
    ASSERT_SCENARIO_RAN();
    const json_t *letter = dead_letter_of_class("decode");
    char topic[128];
    snprintf(topic, sizeof topic, "%ssignals", prefix);
    ck_assert_str_eq(json_string_value(json_object_get(letter, "worker")), WORKER);
    ck_assert_str_eq(json_string_value(json_object_get(letter, "topic")), topic);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "partition")), garbage_partition);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "offset")), garbage_offset);
    ck_assert_str_eq(json_string_value(json_object_get(letter, "payload")), "this is not avro {\"account_id\": 1}");
    ck_assert_str_eq(json_string_value(json_object_get(letter, "key")), "acct-x");
    ck_assert(json_is_false(json_object_get(letter, "truncated")));
    ck_assert_str_ne(json_string_value(json_object_get(letter, "reason")), "");
}
END_TEST

START_TEST(rejected_record_is_a_dead_letter_with_the_workers_class_and_reason)
{
    ASSERT_SCENARIO_RAN();
    const json_t *letter = dead_letter_of_class("toy_rule");
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "partition")), bad_partition);
    ck_assert_int_eq(json_integer_value(json_object_get(letter, "offset")), bad_offset);
    ck_assert_str_eq(json_string_value(json_object_get(letter, "reason")), "account bad is not served by the toy");
    ck_assert_str_eq(json_string_value(json_object_get(letter, "key")), "bad");
}
END_TEST

START_TEST(dead_letters_of_the_rolled_back_batch_are_not_published)
{
    ASSERT_SCENARIO_RAN();
    ck_assert_uint_eq(json_array_size(dead_letters), 2);
}
END_TEST

static Suite *loop_suite(void)
{
    Suite *s = suite_create("worker_loop");
    TCase *tc = tcase_create("pg_outbox");
    tcase_add_unchecked_fixture(tc, run_scenario, scenario_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, worker_returns_0_soon_after_sigterm);
    tcase_add_test(tc, every_good_record_is_counted_exactly_once_despite_the_rolled_back_first_batch);
    tcase_add_test(tc, process_sees_the_applied_configuration_version);
    tcase_add_test(tc, stored_offsets_equal_the_records_produced_per_partition);
    tcase_add_test(tc, outputs_are_relayed_to_their_topic_once_each_and_the_outbox_is_empty);
    tcase_add_test(tc, outputs_are_keyed_by_account_and_keep_each_accounts_order);
    tcase_add_test(tc, garbage_record_is_a_decode_dead_letter_with_its_original_bytes);
    tcase_add_test(tc, rejected_record_is_a_dead_letter_with_the_workers_class_and_reason);
    tcase_add_test(tc, dead_letters_of_the_rolled_back_batch_are_not_published);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(loop_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
