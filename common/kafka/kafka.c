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
        if (stats->on_failure != NULL)
            stats->on_failure(stats->ctx, msg);
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

/* One record; while the local queue is full, delivery reports are served
 * for at most max_wait_ms. */
static revos_status produce_one(rd_kafka_t *producer, const char *topic, const void *key,
                                size_t key_len, const void *value, size_t value_len,
                                int64_t timestamp_ms, void *msg_opaque, int max_wait_ms,
                                revos_err *err)
{
    int64_t deadline = kafka_mono_ms() + max_wait_ms;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY((void *)key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
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
        revos_status st = e == RD_KAFKA_RESP_ERR__FATAL              ? REVOS_ERR_FATAL
                          : e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? REVOS_ERR_INPUT
                                                                      : REVOS_ERR_RETRY;
        return revos_fail(err, st, "produce to %s: %s", topic, rd_kafka_err2str(e));
    }
}

revos_status revos_kafka_produce_at(rd_kafka_t *producer, const char *topic, const void *key,
                                    size_t key_len, const void *value, size_t value_len,
                                    int64_t timestamp_ms, void *msg_opaque, revos_err *err)
{
    return produce_one(producer, topic, key, key_len, value, value_len, timestamp_ms, msg_opaque,
                       REVOS_KAFKA_QUEUE_FULL_WAIT_MS, err);
}

revos_status revos_kafka_produce_within(rd_kafka_t *producer, const char *topic, const void *key,
                                        size_t key_len, const void *value, size_t value_len,
                                        int max_wait_ms, revos_err *err)
{
    revos_status st = produce_one(producer, topic, key, key_len, value, value_len, 0, NULL,
                                  max_wait_ms, err);
    return st == REVOS_ERR_INPUT ? REVOS_ERR_RETRY : st;
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

/* ==== Topics with a config policy ==== */

/* One admin request's answer: waits on its own queue for the result event. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *queue, const char *what, revos_err *err)
{
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 60000);
    if (event == NULL) {
        revos_fail(err, REVOS_ERR_RETRY, "%s: no answer from the broker", what);
        return NULL;
    }
    return event;
}

/* Errors meaning "this broker has no such API": librdkafka's mock cluster
 * in 2.0.2 answers neither CreateTopics nor DescribeConfigs (the request
 * times out waiting for a controller). The caller reports such topics as
 * "skipped", which revosctl prints as a warning. */
static int admin_unsupported(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION ||
           e == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

static void admin_timeout(rd_kafka_AdminOptions_t *options, int ms)
{
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(options, ms, errstr, sizeof errstr);
}

/* Step 0: existing[i] = 1 for each topic the cluster's metadata lists, so
 * only missing ones are created (librdkafka's mock cluster has no
 * controller: a CreateTopics there waits 30 s for nothing). */
static revos_status ensure_lookup(rd_kafka_t *rk, const revos_topic_spec *specs, size_t n, int *existing,
                                  revos_err *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, 30000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return revos_fail(err, REVOS_ERR_RETRY, "topic metadata: %s", rd_kafka_err2str(e));
    for (size_t i = 0; i < n; i++)
        for (int t = 0; t < md->topic_cnt && !existing[i]; t++)
            existing[i] = md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                          strcmp(md->topics[t].topic, specs[i].name) == 0;
    rd_kafka_metadata_destroy(md);
    return REVOS_OK;
}

/* Step 1: CreateTopics with the configs for the topics not yet existing;
 * existing[i] becomes 1 for one another client created meanwhile. */
static revos_status ensure_create(rd_kafka_t *rk, rd_kafka_queue_t *queue, const revos_topic_spec *all,
                                  size_t n_all, int partitions, int replication, int *existing,
                                  revos_topic_report_fn report, void *ctx, revos_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++)
        n += !existing[i];
    if (n == 0)
        return REVOS_OK;
    const revos_topic_spec **specs = calloc(n, sizeof *specs);
    rd_kafka_NewTopic_t **topics = calloc(n, sizeof *topics);
    if (specs == NULL || topics == NULL) {
        free(specs);
        free(topics);
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    }
    n = 0;
    for (size_t i = 0; i < n_all; i++)
        if (!existing[i])
            specs[n++] = &all[i];
    char errstr[256];
    revos_status st = REVOS_OK;
    for (size_t i = 0; i < n && st == REVOS_OK; i++) {
        topics[i] = rd_kafka_NewTopic_new(specs[i]->name, partitions, replication, errstr, sizeof errstr);
        if (topics[i] == NULL) {
            st = revos_fail(err, REVOS_ERR_FATAL, "topic %s: %s", specs[i]->name, errstr);
            break;
        }
        for (size_t c = 0; c < specs[i]->n_configs && st == REVOS_OK; c++)
            if (rd_kafka_NewTopic_set_config(topics[i], specs[i]->configs[c].name,
                                             specs[i]->configs[c].value) != RD_KAFKA_RESP_ERR_NO_ERROR)
                st = revos_fail(err, REVOS_ERR_FATAL, "topic %s: config %s", specs[i]->name,
                                specs[i]->configs[c].name);
    }
    if (st == REVOS_OK) {
        rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(options, 30000, errstr, sizeof errstr);
        admin_timeout(options, 30000);
        rd_kafka_CreateTopics(rk, topics, n, options, queue);
        rd_kafka_AdminOptions_destroy(options);
        rd_kafka_event_t *event = admin_wait(queue, "create topics", err);
        if (event == NULL) {
            st = REVOS_ERR_RETRY;
        } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            st = revos_fail(err, REVOS_ERR_RETRY, "create topics: %s", rd_kafka_event_error_string(event));
        } else {
            const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result(event);
            size_t count = 0;
            const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(result, &count);
            for (size_t r = 0; r < count && st == REVOS_OK; r++) {
                const char *name = rd_kafka_topic_result_name(results[r]);
                rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[r]);
                size_t i = 0;
                while (i < n_all && strcmp(all[i].name, name) != 0)
                    i++;
                if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && i < n_all)
                    existing[i] = 1;
                else if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                    st = revos_fail(err, REVOS_ERR_RETRY, "topic %s: %s", name,
                                    rd_kafka_topic_result_error_string(results[r]));
                else if (report != NULL)
                    report(ctx, name, "created", NULL, NULL, NULL);
            }
        }
        if (event != NULL)
            rd_kafka_event_destroy(event);
    }
    for (size_t i = 0; i < n; i++)
        if (topics[i] != NULL)
            rd_kafka_NewTopic_destroy(topics[i]);
    free(topics);
    free(specs);
    return st;
}

/* The described entry named name, or NULL. */
static const rd_kafka_ConfigEntry_t *entry_find(const rd_kafka_ConfigEntry_t **entries, size_t n,
                                                const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rd_kafka_ConfigEntry_name(entries[i]), name) == 0)
            return entries[i];
    return NULL;
}

static int value_differs(const rd_kafka_ConfigEntry_t *entry, const char *want)
{
    const char *have = entry != NULL ? rd_kafka_ConfigEntry_value(entry) : NULL;
    return have == NULL || strcmp(have, want) != 0;
}

/* Step 2 for one described topic: the AlterConfigs resource that brings it
 * to spec (its other overrides kept), or NULL with *changed = 0 when it
 * already conforms. */
static revos_status ensure_plan(const revos_topic_spec *spec, const rd_kafka_ConfigResource_t *described,
                                rd_kafka_ConfigResource_t **out, int *changed, revos_err *err)
{
    *out = NULL;
    *changed = 0;
    size_t n = 0;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(described, &n);
    for (size_t c = 0; c < spec->n_configs; c++)
        if (value_differs(entry_find(entries, n, spec->configs[c].name), spec->configs[c].value))
            *changed = 1;
    if (!*changed)
        return REVOS_OK;
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, spec->name);
    if (res == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_ConfigEntry_t *e = entries[i];
        if (rd_kafka_ConfigEntry_source(e) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG ||
            rd_kafka_ConfigEntry_is_read_only(e))
            continue;
        const char *name = rd_kafka_ConfigEntry_name(e);
        int in_policy = 0;
        for (size_t c = 0; c < spec->n_configs && !in_policy; c++)
            in_policy = strcmp(spec->configs[c].name, name) == 0;
        if (in_policy)
            continue;
        if (rd_kafka_ConfigEntry_value(e) == NULL) {
            rd_kafka_ConfigResource_destroy(res);
            return revos_fail(err, REVOS_ERR_RETRY,
                              "topic %s: override %s is sensitive (the broker hides its value), so "
                              "AlterConfigs would drop it; set the policy by hand", spec->name, name);
        }
        rd_kafka_ConfigResource_set_config(res, name, rd_kafka_ConfigEntry_value(e));
    }
    for (size_t c = 0; c < spec->n_configs; c++)
        rd_kafka_ConfigResource_set_config(res, spec->configs[c].name, spec->configs[c].value);
    *out = res;
    return REVOS_OK;
}

/* Reports the configs of spec that described lacks (call before altering). */
static void report_changes(const revos_topic_spec *spec, const rd_kafka_ConfigResource_t *described,
                           revos_topic_report_fn report, void *ctx)
{
    size_t n = 0;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(described, &n);
    for (size_t c = 0; c < spec->n_configs; c++) {
        const rd_kafka_ConfigEntry_t *e = entry_find(entries, n, spec->configs[c].name);
        if (value_differs(e, spec->configs[c].value))
            report(ctx, spec->name, "altered", spec->configs[c].name,
                   e != NULL ? rd_kafka_ConfigEntry_value(e) : NULL, spec->configs[c].value);
    }
}

/* DescribeConfigs of resources. A topic created a moment ago may not be
 * known to the broker answering yet (UNKNOWN_TOPIC_OR_PART): asked again
 * for up to 5 s. The timeout is 10 s: a broker answers in milliseconds,
 * librdkafka's mock cluster (no admin API) never does. */
static rd_kafka_event_t *describe_configs(rd_kafka_t *rk, rd_kafka_queue_t *queue,
                                          rd_kafka_ConfigResource_t **resources, size_t n, revos_err *err)
{
    for (int attempt = 0;; attempt++) {
        rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
        admin_timeout(options, 10000);
        rd_kafka_DescribeConfigs(rk, resources, n, options, queue);
        rd_kafka_AdminOptions_destroy(options);
        rd_kafka_event_t *event = admin_wait(queue, "describe topic configs", err);
        if (event == NULL || rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR || attempt >= 10)
            return event;
        size_t count = 0;
        const rd_kafka_ConfigResource_t **described =
            rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count);
        int unknown = 0;
        for (size_t r = 0; r < count; r++)
            unknown |= rd_kafka_ConfigResource_error(described[r]) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        if (!unknown)
            return event;
        rd_kafka_event_destroy(event);
        struct timespec pause = {0, 500 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/* 1 when every config of spec has its value in described. */
static int conforms(const revos_topic_spec *spec, const rd_kafka_ConfigResource_t *described)
{
    size_t n = 0;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(described, &n);
    for (size_t c = 0; c < spec->n_configs; c++)
        if (value_differs(entry_find(entries, n, spec->configs[c].name), spec->configs[c].value))
            return 0;
    return 1;
}

/* An accepted AlterConfigs reaches the broker's answers to DescribeConfigs
 * a moment later (KRaft applies it from the metadata log): waits, up to
 * 5 s, until the altered topics show their new configs, so that a
 * successful `topics create` means the policy is in force. */
static revos_status wait_applied(rd_kafka_t *rk, rd_kafka_queue_t *queue, const revos_topic_spec **specs,
                                 size_t n, revos_err *err)
{
    rd_kafka_ConfigResource_t **resources = calloc(n, sizeof *resources);
    if (resources == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        resources[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, specs[i]->name);
    revos_status st = REVOS_ERR_RETRY;
    const char *lagging = specs[0]->name;
    for (int attempt = 0; attempt < 20 && st != REVOS_OK; attempt++) {
        if (attempt > 0) {
            struct timespec pause = {0, 250 * 1000000L};
            nanosleep(&pause, NULL);
        }
        rd_kafka_event_t *event = describe_configs(rk, queue, resources, n, err);
        if (event == NULL)
            break;
        size_t count = 0;
        const rd_kafka_ConfigResource_t **described =
            rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count);
        int all = rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR && count == n;
        for (size_t r = 0; r < count && all; r++)
            for (size_t i = 0; i < n; i++)
                if (strcmp(specs[i]->name, rd_kafka_ConfigResource_name(described[r])) == 0 &&
                    !conforms(specs[i], described[r])) {
                    all = 0;
                    lagging = specs[i]->name;
                }
        rd_kafka_event_destroy(event);
        if (all)
            st = REVOS_OK;
    }
    if (st != REVOS_OK)
        revos_fail(err, REVOS_ERR_RETRY, "topic %s: the broker accepted its new configs but does "
                   "not show them after 5 s", lagging);
    for (size_t i = 0; i < n; i++)
        rd_kafka_ConfigResource_destroy(resources[i]);
    free(resources);
    return st;
}

/* Step 2: describe the existing topics, alter those that drifted. */
static revos_status ensure_existing(rd_kafka_t *rk, rd_kafka_queue_t *queue, const revos_topic_spec *specs,
                                    size_t n, const int *existing, revos_topic_report_fn report,
                                    void *ctx, revos_err *err)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += existing[i] != 0;
    if (k == 0)
        return REVOS_OK;
    rd_kafka_ConfigResource_t **wanted = calloc(k, sizeof *wanted);
    rd_kafka_ConfigResource_t **alter = calloc(k, sizeof *alter);
    const revos_topic_spec **altered_specs = calloc(k, sizeof *altered_specs);
    if (wanted == NULL || alter == NULL || altered_specs == NULL) {
        free(wanted);
        free(alter);
        free(altered_specs);
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    }
    size_t w = 0, a = 0;
    for (size_t i = 0; i < n; i++)
        if (existing[i])
            wanted[w++] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, specs[i].name);
    revos_status st = REVOS_OK;
    rd_kafka_AdminOptions_t *options;
    rd_kafka_event_t *event = describe_configs(rk, queue, wanted, w, err);
    rd_kafka_resp_err_t e = event != NULL ? rd_kafka_event_error(event) : RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (admin_unsupported(e)) {
            const char *why = event != NULL ? rd_kafka_event_error_string(event) : err->msg;
            for (size_t i = 0; i < n && report != NULL; i++)
                if (existing[i])
                    report(ctx, specs[i].name, "skipped", NULL, why, NULL);
        } else {
            st = revos_fail(err, REVOS_ERR_RETRY, "describe topic configs: %s",
                            rd_kafka_event_error_string(event));
        }
    } else {
        size_t count = 0;
        const rd_kafka_ConfigResource_t **described =
            rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count);
        for (size_t r = 0; r < count && st == REVOS_OK; r++) {
            const char *name = rd_kafka_ConfigResource_name(described[r]);
            const revos_topic_spec *spec = NULL;
            for (size_t i = 0; i < n && spec == NULL; i++)
                if (existing[i] && strcmp(specs[i].name, name) == 0)
                    spec = &specs[i];
            if (spec == NULL)
                continue;
            rd_kafka_resp_err_t re = rd_kafka_ConfigResource_error(described[r]);
            if (re != RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (admin_unsupported(re)) {
                    if (report != NULL)
                        report(ctx, name, "skipped", NULL, rd_kafka_ConfigResource_error_string(described[r]), NULL);
                    continue;
                }
                st = revos_fail(err, REVOS_ERR_RETRY, "describe %s: %s", name,
                                rd_kafka_ConfigResource_error_string(described[r]));
                break;
            }
            int changed = 0;
            st = ensure_plan(spec, described[r], &alter[a], &changed, err);
            if (st == REVOS_OK && changed) {
                if (report != NULL)
                    report_changes(spec, described[r], report, ctx);
                altered_specs[a++] = spec;
            } else if (st == REVOS_OK && report != NULL) {
                report(ctx, name, "unchanged", NULL, NULL, NULL);
            }
        }
    }
    if (event != NULL)
        rd_kafka_event_destroy(event);
    if (st == REVOS_OK && a > 0) {
        options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
        admin_timeout(options, 30000);
        rd_kafka_AlterConfigs(rk, alter, a, options, queue);
        rd_kafka_AdminOptions_destroy(options);
        event = admin_wait(queue, "alter topic configs", err);
        if (event == NULL) {
            st = REVOS_ERR_RETRY;
        } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            st = revos_fail(err, REVOS_ERR_RETRY, "alter topic configs: %s", rd_kafka_event_error_string(event));
        } else {
            size_t count = 0;
            const rd_kafka_ConfigResource_t **altered =
                rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count);
            for (size_t r = 0; r < count && st == REVOS_OK; r++)
                if (rd_kafka_ConfigResource_error(altered[r]) != RD_KAFKA_RESP_ERR_NO_ERROR)
                    st = revos_fail(err, REVOS_ERR_RETRY, "alter %s: %s",
                                    rd_kafka_ConfigResource_name(altered[r]),
                                    rd_kafka_ConfigResource_error_string(altered[r]));
        }
        if (event != NULL)
            rd_kafka_event_destroy(event);
        if (st == REVOS_OK)
            st = wait_applied(rk, queue, altered_specs, a, err);
    }
    for (size_t i = 0; i < w; i++)
        rd_kafka_ConfigResource_destroy(wanted[i]);
    for (size_t i = 0; i < k; i++)
        if (alter[i] != NULL)
            rd_kafka_ConfigResource_destroy(alter[i]);
    free(wanted);
    free(alter);
    free(altered_specs);
    return st;
}

revos_status revos_kafka_ensure_topics(rd_kafka_t *rk, const revos_topic_spec *specs, size_t n,
                                       int partitions, int replication,
                                       revos_topic_report_fn report, void *ctx, revos_err *err)
{
    if (n == 0)
        return REVOS_OK;
    int *existing = calloc(n, sizeof *existing);
    if (existing == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    revos_status st = ensure_lookup(rk, specs, n, existing, err);
    if (st != REVOS_OK) {
        free(existing);
        return st;
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
    st = ensure_create(rk, queue, specs, n, partitions, replication, existing, report, ctx, err);
    if (st == REVOS_OK)
        st = ensure_existing(rk, queue, specs, n, existing, report, ctx, err);
    rd_kafka_queue_destroy(queue);
    free(existing);
    return st;
}
