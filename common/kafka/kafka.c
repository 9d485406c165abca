#include "kafka/kafka.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    (void)rk;
    revos_log_level lvl = level <= 3 ? REVOS_LOG_ERROR : level <= 4 ? REVOS_LOG_WARN
                        : level <= 6 ? REVOS_LOG_INFO : REVOS_LOG_DEBUG;
    revos_log(lvl, "rdkafka %s: %s", facility, buf);
}

static void error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    (void)opaque;
    revos_log_warn("kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    revos_delivery_stats *stats = opaque;
    if (stats == NULL)
        return;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        stats->delivered++;
    } else {
        stats->failed++;
        snprintf(stats->last_error, sizeof stats->last_error, "%s", rd_kafka_err2str(msg->err));
    }
}

static revos_status set_prop(void *ctx, const char *name, const char *value, revos_err *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(ctx, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return revos_fail(err, REVOS_ERR_FATAL, "kafka property %s: %s", name, errstr);
    return REVOS_OK;
}

/* Brokers and callbacks; callers add their defaults and then the
 * passed-through properties, so an operator's -X always wins. */
static rd_kafka_conf_t *base_conf(const revos_settings *settings, revos_err *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *brokers = revos_settings_get(settings, "REVOS_KAFKA_BROKERS", "127.0.0.1:19092");
    if (set_prop(conf, "bootstrap.servers", brokers, err) != REVOS_OK ||
        set_prop(conf, "client.id", "revos", err) != REVOS_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    return conf;
}

revos_status revos_kafka_consumer_new(const revos_settings *settings, const char *group_id,
                                      void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                                                           rd_kafka_topic_partition_list_t *,
                                                           void *),
                                      void *opaque, rd_kafka_t **out, revos_err *err)
{
    *out = NULL;
    rd_kafka_conf_t *conf = base_conf(settings, err);
    if (conf == NULL)
        return REVOS_ERR_FATAL;
    static const char *const props[][2] = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"isolation.level", "read_committed"},
        {"auto.offset.reset", "earliest"},
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"enable.partition.eof", "false"},
        {"topic.metadata.refresh.interval.ms", "5000"},
        {"session.timeout.ms", "10000"},
        {"heartbeat.interval.ms", "1000"},
    };
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        if (set_prop(conf, props[i][0], props[i][1], err) != REVOS_OK)
            goto fail;
    if (set_prop(conf, "group.id", group_id, err) != REVOS_OK)
        goto fail;
    /* Flags and REVOS_KAFKA_PROP_* win over the defaults above. */
    if (revos_settings_each_kafka_prop(settings, set_prop, conf, err) != REVOS_OK)
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, opaque);

    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return revos_fail(err, REVOS_ERR_FATAL, "kafka consumer: %s", errstr);
    }
    rd_kafka_poll_set_consumer(rk);
    *out = rk;
    return REVOS_OK;
fail:
    rd_kafka_conf_destroy(conf);
    return REVOS_ERR_FATAL;
}

revos_status revos_kafka_producer_new(const revos_settings *settings,
                                      const char *transactional_id, revos_delivery_stats *stats,
                                      rd_kafka_t **out, revos_err *err)
{
    *out = NULL;
    rd_kafka_conf_t *conf = base_conf(settings, err);
    if (conf == NULL)
        return REVOS_ERR_FATAL;
    if (set_prop(conf, "enable.idempotence", "true", err) != REVOS_OK ||
        set_prop(conf, "linger.ms", "5", err) != REVOS_OK ||
        (transactional_id != NULL &&
         set_prop(conf, "transactional.id", transactional_id, err) != REVOS_OK) ||
        revos_settings_each_kafka_prop(settings, set_prop, conf, err) != REVOS_OK) {
        rd_kafka_conf_destroy(conf);
        return REVOS_ERR_FATAL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
    rd_kafka_conf_set_opaque(conf, stats);

    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return revos_fail(err, REVOS_ERR_FATAL, "kafka producer: %s", errstr);
    }
    if (transactional_id != NULL) {
        revos_status st = revos_kafka_error(rd_kafka_init_transactions(rk, 30000),
                                            "init_transactions", err);
        if (st != REVOS_OK) {
            rd_kafka_destroy(rk);
            return st;
        }
    }
    *out = rk;
    return REVOS_OK;
}

static int64_t kafka_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

revos_status revos_kafka_produce_within(rd_kafka_t *producer, const char *topic, const void *key,
                                        size_t key_len, const void *value, size_t value_len,
                                        int max_wait_ms, revos_err *err)
{
    int64_t deadline = kafka_mono_ms() + max_wait_ms;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY((void *)key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return REVOS_OK;
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            int64_t left = deadline - kafka_mono_ms();
            if (left <= 0)
                return revos_fail(err, REVOS_ERR_RETRY,
                                  "produce to %s: local queue still full after %d ms "
                                  "(is the broker reachable and accepting records?)",
                                  topic, max_wait_ms);
            rd_kafka_poll(producer, left < 100 ? (int)left : 100); /* serve delivery reports */
            continue;
        }
        revos_status st = e == RD_KAFKA_RESP_ERR__FATAL ? REVOS_ERR_FATAL : REVOS_ERR_RETRY;
        return revos_fail(err, st, "produce to %s: %s", topic, rd_kafka_err2str(e));
    }
}

revos_status revos_kafka_produce(rd_kafka_t *producer, const char *topic, const void *key,
                                 size_t key_len, const void *value, size_t value_len,
                                 revos_err *err)
{
    return revos_kafka_produce_within(producer, topic, key, key_len, value, value_len,
                                      REVOS_KAFKA_QUEUE_FULL_WAIT_MS, err);
}

revos_status revos_kafka_error(rd_kafka_error_t *error, const char *what, revos_err *err)
{
    if (error == NULL)
        return REVOS_OK;
    revos_status st = rd_kafka_error_is_fatal(error) ? REVOS_ERR_FATAL : REVOS_ERR_RETRY;
    revos_fail(err, st, "kafka %s: %s%s", what, rd_kafka_error_string(error),
               rd_kafka_error_txn_requires_abort(error) ? " (transaction must abort)" : "");
    rd_kafka_error_destroy(error);
    return st;
}

/* ==== Bounded consumer close ==== */

struct close_job {
    rd_kafka_t *consumer;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int done;
    int abandoned;
};

static void *close_thread(void *arg)
{
    struct close_job *job = arg;
    rd_kafka_consumer_close(job->consumer);
    rd_kafka_destroy(job->consumer);
    pthread_mutex_lock(&job->lock);
    job->done = 1;
    int abandoned = job->abandoned;
    pthread_cond_signal(&job->done_cond);
    pthread_mutex_unlock(&job->lock);
    if (abandoned) {
        pthread_mutex_destroy(&job->lock);
        pthread_cond_destroy(&job->done_cond);
        free(job);
    }
    return NULL;
}

int revos_kafka_consumer_close(rd_kafka_t *consumer, int timeout_ms)
{
    struct close_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        return -1;
    job->consumer = consumer;
    pthread_mutex_init(&job->lock, NULL);
    pthread_cond_init(&job->done_cond, NULL);
    pthread_t thread;
    if (pthread_create(&thread, NULL, close_thread, job) != 0) {
        pthread_mutex_destroy(&job->lock);
        pthread_cond_destroy(&job->done_cond);
        free(job);
        return -1;
    }
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&job->lock);
    while (!job->done)
        if (pthread_cond_timedwait(&job->done_cond, &job->lock, &deadline) != 0)
            break;
    int done = job->done;
    if (!done)
        job->abandoned = 1; /* the thread frees the job when close returns */
    pthread_mutex_unlock(&job->lock);
    if (done) {
        pthread_join(thread, NULL);
        pthread_mutex_destroy(&job->lock);
        pthread_cond_destroy(&job->done_cond);
        free(job);
        return 0;
    }
    pthread_detach(thread);
    revos_log_warn("kafka consumer close did not finish in %d ms; abandoned", timeout_ms);
    return -1;
}

/* ==== Admin ==== */

/* Sets "name=value,name=value" on a new topic. */
static revos_status set_topic_config(rd_kafka_NewTopic_t *topic, const char *config, revos_err *err)
{
    const char *p = config;
    while (p != NULL && *p != '\0') {
        size_t len = strcspn(p, ",");
        char item[256];
        if (len >= sizeof item)
            return revos_fail(err, REVOS_ERR_FATAL, "topic config item too long: %.40s...", p);
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (eq == NULL || eq == item)
            return revos_fail(err, REVOS_ERR_FATAL, "topic config expects name=value, got '%s'", item);
        *eq = '\0';
        rd_kafka_resp_err_t e = rd_kafka_NewTopic_set_config(topic, item, eq + 1);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            return revos_fail(err, REVOS_ERR_FATAL, "topic config %s: %s", item, rd_kafka_err2str(e));
        p += len;
        if (*p == ',')
            p++;
    }
    return REVOS_OK;
}

revos_status revos_kafka_create_topics(rd_kafka_t *rk, const char *const *names, size_t n,
                                       int partitions, int replication, const char *config,
                                       revos_err *err)
{
    rd_kafka_NewTopic_t **topics = calloc(n, sizeof *topics);
    if (topics == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    char errstr[256];
    revos_status st = REVOS_OK;
    for (size_t i = 0; i < n && st == REVOS_OK; i++) {
        topics[i] = rd_kafka_NewTopic_new(names[i], partitions, replication, errstr, sizeof errstr);
        if (topics[i] == NULL)
            st = revos_fail(err, REVOS_ERR_FATAL, "topic %s: %s", names[i], errstr);
        else
            st = set_topic_config(topics[i], config, err);
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
    if (st == REVOS_OK) {
        rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(options, 30000, errstr, sizeof errstr);
        rd_kafka_CreateTopics(rk, topics, n, options, queue);
        rd_kafka_AdminOptions_destroy(options);
        rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 60000);
        if (event == NULL) {
            st = revos_fail(err, REVOS_ERR_RETRY, "create topics: no answer from the broker");
        } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            st = revos_fail(err, REVOS_ERR_RETRY, "create topics: %s", rd_kafka_event_error_string(event));
        } else {
            const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result(event);
            size_t count = 0;
            const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(result, &count);
            for (size_t i = 0; i < count && st == REVOS_OK; i++) {
                rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
                if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                    st = revos_fail(err, REVOS_ERR_RETRY, "topic %s: %s",
                                    rd_kafka_topic_result_name(results[i]),
                                    rd_kafka_topic_result_error_string(results[i]));
            }
        }
        if (event != NULL)
            rd_kafka_event_destroy(event);
    }
    rd_kafka_queue_destroy(queue);
    for (size_t i = 0; i < n; i++)
        if (topics[i] != NULL)
            rd_kafka_NewTopic_destroy(topics[i]);
    free(topics);
    return st;
}
