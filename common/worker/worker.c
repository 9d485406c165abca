/* worker.c -- the loop every worker runs, top to bottom:
 *
 *   start:   settings -> log -> metrics/ops -> codec -> PostgreSQL (migrated,
 *            config loaded) -> producer -> consumer (subscribe)
 *   loop:    poll a batch -> decode -> process -> commit -> relay -> tick
 *   stop:    SIGTERM/SIGINT flips `running`; the batch in hand is finished
 *            and committed, then the consumer leaves the group.
 *
 * Rebalances happen inside rd_kafka_consumer_poll on this thread, so the
 * partition table below is only ever touched by the main thread. */
#include "worker/worker.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/metrics.h"
#include "http/ops_server.h"
#include "http/webhook.h"
#include "kafka/kafka.h"
#include "log/log.h"
#include "pg/pg.h"
#include "worker/batch.h"
#include "worker/limits.h"
#include "worker/offsets.h"
#include "worker/relay.h"
#include "worker/worker_metrics.h"

static volatile sig_atomic_t running = 1;

static void on_signal(int sig)
{
    (void)sig;
    running = 0;
}

typedef struct owned_partition {
    char topic[256];     /* Kafka topic names are at most 249 characters */
    int32_t partition;
    int64_t stored;      /* PG_OUTBOX: next_offset as stored in PostgreSQL (-1 none) */
    int64_t committed;   /* PG_OUTBOX: last offset also committed to the Kafka group (-1 none) */
} owned_partition;

typedef struct worker {
    const revos_worker_def *def;
    revos_settings settings;
    void *state;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    revos_delivery_stats delivery;
    PGconn *pg;
    revos_avro *codec;
    revos_metrics *metrics;
    revos_ops *ops;
    json_t *config;          /* the version in force: the latest one check_config accepted */
    int64_t config_version;
    int64_t config_checked_ms;
    int64_t config_refused;  /* latest version refused (reported once), 0 none */
    char ready_note[512];    /* /readyz detail while a refused version is the latest */
    char prefix[REVOS_TOPIC_PREFIX_MAX + 1];
    char group[128];       /* consumer group: <prefix><name>, so deployments sharing a broker do not mix */
    owned_partition *parts; /* every partition assigned to us, grown as needed */
    size_t n_parts;
    size_t cap_parts;
    int fatal;             /* set by the rebalance callback when it cannot go on */
    int batch_max;
    int batch_wait_ms;
    size_t dlq_max_payload;
    char instance[128];      /* REVOS_INSTANCE_ID, else the host name */
    char fatal_reason[600];  /* why the loop stopped on a fatal error */
    int64_t ready_checked_ms;  /* last readiness probe */
    int64_t gauges_checked_ms; /* last lag / outbox gauge update */
    char batch_error[512];     /* why the last batch rolled back ("" after a commit) */
} worker;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static owned_partition *find_part(worker *w, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < w->n_parts; i++)
        if (w->parts[i].partition == partition && strcmp(w->parts[i].topic, topic) == 0)
            return &w->parts[i];
    return NULL;
}

static void count(worker *w, const char *name, const char *help, int64_t n)
{
    revos_counter *c = revos_metrics_counter(w->metrics, name, help, NULL, NULL);
    if (c != NULL)
        revos_counter_add(c, n);
}

/* ==== Rebalance ==== */

static void assign_partitions(worker *w, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                              int cooperative)
{
    if (w->def->delivery == REVOS_DELIVERY_PG_OUTBOX) {
        /* Seek to what PostgreSQL says we have consumed; retry briefly since
         * assigning without it would re-apply or skip records. */
        revos_err err = {{0}, {0}};
        revos_status st = REVOS_ERR_RETRY;
        for (int attempt = 0; attempt < 30 && running; attempt++) {
            st = revos_offsets_load(w->pg, w->group, parts, &err);
            if (st != REVOS_ERR_RETRY)
                break;
            revos_log_warn("loading stored offsets: %s (retrying)", err.msg);
            sleep_ms(1000);
        }
        if (st != REVOS_OK) {
            revos_log_error("cannot load stored offsets: %s", err.msg);
            w->fatal = 1;
            return;
        }
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (find_part(w, tp->topic, tp->partition) != NULL)
            continue;
        if (w->n_parts == w->cap_parts) {
            size_t cap = w->cap_parts ? 2 * w->cap_parts : 64;
            owned_partition *grown = realloc(w->parts, cap * sizeof *grown);
            if (grown == NULL) {
                /* untracked, its records would be dropped: stop instead */
                revos_log_error("out of memory tracking %s[%d]", tp->topic, (int)tp->partition);
                w->fatal = 1;
                return;
            }
            w->parts = grown;
            w->cap_parts = cap;
        }
        owned_partition *op = &w->parts[w->n_parts++];
        snprintf(op->topic, sizeof op->topic, "%s", tp->topic);
        op->partition = tp->partition;
        op->stored = -1;
        op->committed = -1;
        if (w->def->delivery == REVOS_DELIVERY_PG_OUTBOX) {
            op->stored = tp->offset; /* revos_offsets_load put the stored value here */
            tp->offset = op->stored >= 0 ? op->stored : RD_KAFKA_OFFSET_BEGINNING;
        }
        if (op->stored >= 0)
            revos_log_info("assigned %s[%d] from stored offset %lld", tp->topic,
                           (int)tp->partition, (long long)op->stored);
        else
            revos_log_info("assigned %s[%d]", tp->topic, (int)tp->partition);
    }
    rd_kafka_error_t *error = NULL;
    if (cooperative)
        error = rd_kafka_incremental_assign(rk, parts);
    else
        rd_kafka_assign(rk, parts);
    revos_err err = {{0}, {0}};
    if (revos_kafka_error(error, "assign", &err) != REVOS_OK)
        revos_log_error("%s", err.msg);
}

static void revoke_partitions(worker *w, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                              int cooperative)
{
    int lost = rd_kafka_assignment_lost(rk);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        owned_partition *op = find_part(w, tp->topic, tp->partition);
        if (op != NULL)
            *op = w->parts[--w->n_parts];
        revos_worker_metrics_lag(w->metrics, tp->topic, tp->partition, 0); /* another member's now */
        if (w->def->on_revoke != NULL)
            w->def->on_revoke(w->state, tp->topic, tp->partition);
        revos_log_info("%s %s[%d]", lost ? "lost" : "revoked", tp->topic, (int)tp->partition);
    }
    rd_kafka_error_t *error = NULL;
    if (cooperative)
        error = rd_kafka_incremental_unassign(rk, parts);
    else
        rd_kafka_assign(rk, NULL);
    revos_err err = {{0}, {0}};
    if (revos_kafka_error(error, "unassign", &err) != REVOS_OK)
        revos_log_error("%s", err.msg);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    worker *w = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        assign_partitions(w, rk, parts, cooperative);
    else
        revoke_partitions(w, rk, parts, cooperative);
}

/* ==== Configuration ==== */

/* Reads the latest configuration version; a new one goes through the
 * worker's own check first. A refused version never replaces the one in
 * force: it is reported once (log, revos_config_refused_total, /readyz
 * detail) and the worker keeps going with the last good version -- or, with
 * none yet, waits (REVOS_ERR_RETRY) for a good one to be applied. */
static revos_status refresh_config(worker *w, int force, revos_err *err)
{
    int64_t now = now_ms();
    if (!force && now - w->config_checked_ms < 5000)
        return REVOS_OK;
    w->config_checked_ms = now;
    json_t *doc = NULL;
    int64_t version = 0;
    revos_status st = revos_pg_config_latest(w->pg, &doc, &version, err);
    if (st != REVOS_OK) {
        count(w, "revos_config_refresh_failures_total", "Failed reads of the governed configuration", 1);
        if (w->config != NULL)
            revos_log_warn("configuration: %s (keeping version %lld)", err->msg,
                           (long long)w->config_version);
        return st;
    }
    if (version == w->config_version && w->config != NULL) {
        json_decref(doc);
        return REVOS_OK;
    }
    revos_err why = {{0}, {0}};
    if (w->def->check_config != NULL && w->def->check_config(doc, &why) != REVOS_OK) {
        json_decref(doc);
        if (version != w->config_refused) {
            w->config_refused = version;
            if (w->config != NULL)
                snprintf(w->ready_note, sizeof w->ready_note,
                         "configuration version %lld refused (%.300s); version %lld stays in force",
                         (long long)version, why.msg, (long long)w->config_version);
            else
                snprintf(w->ready_note, sizeof w->ready_note,
                         "configuration version %lld refused (%.300s); waiting for a valid one",
                         (long long)version, why.msg);
            revos_log_error("%s", w->ready_note);
            count(w, "revos_config_refused_total",
                  "Configuration versions refused by this worker's checks", 1);
            if (w->ops != NULL)
                revos_ops_set_ready(w->ops, w->config != NULL, w->ready_note);
        }
        if (w->config == NULL)
            return revos_fail(err, REVOS_ERR_RETRY, "%s", w->ready_note);
        return REVOS_OK;
    }
    revos_log_info("configuration version %lld in force", (long long)version);
    json_decref(w->config);
    w->config = doc;
    w->config_version = version;
    w->ready_note[0] = '\0';
    if (w->metrics != NULL) {
        revos_gauge *g = revos_metrics_gauge(w->metrics, "revos_config_version",
                                             "Configuration version in force", NULL, NULL);
        if (g != NULL)
            revos_gauge_set(g, (double)version);
    }
    return REVOS_OK;
}

/* ==== One batch ==== */

/* One poll batch: the messages, and the views handed to the transformation. */
typedef struct polled {
    rd_kafka_message_t *msgs[REVOS_BATCH_MAX_LIMIT];
    revos_msg views[REVOS_BATCH_MAX_LIMIT];
    size_t n;
} polled;

static void poll_batch(worker *w, polled *p)
{
    p->n = 0;
    int64_t deadline = now_ms() + w->batch_wait_ms;
    while (running && !w->fatal && p->n < (size_t)w->batch_max) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->consumer, (int)left);
        if (m == NULL)
            continue;
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                revos_log_warn("consume: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        p->msgs[p->n++] = m;
    }
}

static void release_batch(polled *p)
{
    for (size_t i = 0; i < p->n; i++)
        rd_kafka_message_destroy(p->msgs[i]);
    p->n = 0;
}

static int input_type_for(const worker *w, const char *suffix)
{
    for (size_t i = 0; i < w->def->n_inputs; i++) {
        const char *want = w->def->inputs[i].suffix;
        size_t len = strlen(want);
        if (len >= 2 && strcmp(want + len - 2, ".*") == 0) {
            if (strncmp(suffix, want, len - 1) == 0)
                return w->def->inputs[i].type;
        } else if (strcmp(suffix, want) == 0) {
            return w->def->inputs[i].type;
        }
    }
    return REVOS_INPUT_RAW;
}

/* Rewinds every partition of the batch to its first record, so a batch that
 * did not commit is consumed again. */
static void rewind_batch(worker *w, const polled *p)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < p->n; i++) {
        const rd_kafka_message_t *m = p->msgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        if (find_part(w, topic, m->partition) == NULL)
            continue;
        if (rd_kafka_topic_partition_list_find(list, topic, m->partition) == NULL)
            rd_kafka_topic_partition_list_add(list, topic, m->partition)->offset = m->offset;
    }
    if (list->cnt > 0) {
        rd_kafka_error_t *error = rd_kafka_seek_partitions(w->consumer, list, 10000);
        revos_err err = {{0}, {0}};
        if (revos_kafka_error(error, "seek", &err) != REVOS_OK)
            revos_log_error("%s", err.msg);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

/* Builds the revos_msg views, decoding Avro inputs; undecodable records are
 * rejected into the batch. Records of partitions revoked while polling are
 * dropped: their new owner consumes them. */
static size_t decode_batch(worker *w, polled *p, revos_batch *batch, revos_msg *views)
{
    size_t n = 0;
    size_t prefix_len = strlen(w->prefix);
    for (size_t i = 0; i < p->n; i++) {
        rd_kafka_message_t *m = p->msgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        if (find_part(w, topic, m->partition) == NULL)
            continue;
        revos_msg *v = &views[n];
        memset(v, 0, sizeof *v);
        v->topic = topic;
        v->topic_suffix = strncmp(topic, w->prefix, prefix_len) == 0 ? topic + prefix_len : topic;
        v->partition = m->partition;
        v->offset = m->offset;
        rd_kafka_timestamp_type_t tstype;
        v->timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
        v->key = m->key;
        v->key_len = m->key_len;
        v->payload = m->payload;
        v->len = m->len;
        int type = input_type_for(w, v->topic_suffix);
        if (type != REVOS_INPUT_RAW) {
            revos_err err = {{0}, {0}};
            v->type = (revos_record_type)type;
            if (m->payload == NULL) {
                revos_reject(&err, "decode", "empty record (tombstone) on an Avro topic");
                revos_batch_reject(batch, v, &err);
                continue;
            }
            revos_status st = revos_avro_decode(w->codec, v->type, m->payload, m->len,
                                                &v->record, &err);
            if (st != REVOS_OK) {
                if (err.cls[0] == '\0')
                    snprintf(err.cls, sizeof err.cls, "decode");
                revos_batch_reject(batch, v, &err);
                continue;
            }
        }
        n++;
    }
    return n;
}

static revos_status commit_pg(worker *w, polled *p, revos_batch *batch, revos_err *err)
{
    /* one update per partition of the batch: at most one per record */
    revos_offset_update *updates = calloc(p->n > 0 ? p->n : 1, sizeof *updates);
    if (updates == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    size_t n_updates = 0;
    for (size_t i = 0; i < p->n; i++) {
        const rd_kafka_message_t *m = p->msgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        owned_partition *op = find_part(w, topic, m->partition);
        if (op == NULL)
            continue;
        size_t j = 0;
        while (j < n_updates && (updates[j].partition != m->partition ||
                                 strcmp(updates[j].topic, topic) != 0))
            j++;
        if (j == n_updates) {
            updates[j].topic = op->topic;
            updates[j].partition = op->partition;
            updates[j].expected = op->stored;
            n_updates++;
        }
        updates[j].next = m->offset + 1;
    }
    revos_status st = revos_offsets_store(w->pg, w->group, updates, n_updates, err);
    if (st == REVOS_OK)
        st = revos_outbox_write(w->pg, w->def->name, batch->outputs, batch->n_outputs, err);
    if (st == REVOS_OK)
        st = revos_pg_commit(w->pg, err);
    for (size_t j = 0; j < n_updates && st == REVOS_OK; j++) {
        owned_partition *op = find_part(w, updates[j].topic, updates[j].partition);
        if (op != NULL)
            op->stored = updates[j].next;
    }
    free(updates);
    return st;
}

/* After a PG_OUTBOX batch failed: its COMMIT may have landed although it
 * reported failure (the reply lost with the connection), in which case the
 * stored offsets moved and every retry with the old expected values would
 * fail its compare-and-set forever. So the stored offsets of the batch's
 * partitions are read again, op->stored follows them, and each partition
 * resumes from what PostgreSQL holds (the batch's first record when nothing
 * is stored). Returns 0 when PostgreSQL could not be read: the caller then
 * rewinds to the batch's first records and the next failure tries again. */
static int resync_offsets(worker *w, const polled *p)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < p->n; i++) {
        const rd_kafka_message_t *m = p->msgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        if (find_part(w, topic, m->partition) == NULL)
            continue;
        if (rd_kafka_topic_partition_list_find(list, topic, m->partition) == NULL)
            rd_kafka_topic_partition_list_add(list, topic, m->partition)->offset = m->offset;
    }
    int ok = 1;
    if (list->cnt > 0) {
        rd_kafka_topic_partition_list_t *stored = rd_kafka_topic_partition_list_copy(list);
        revos_err err = {{0}, {0}};
        revos_status st = revos_pg_ensure(w->pg, &err);
        if (st == REVOS_OK)
            st = revos_offsets_load(w->pg, w->group, stored, &err);
        if (st != REVOS_OK) {
            revos_log_warn("re-reading stored offsets after a failed batch: %s", err.msg);
            ok = 0;
        }
        for (int i = 0; ok && i < list->cnt; i++) {
            rd_kafka_topic_partition_t *tp = &list->elems[i];
            owned_partition *op = find_part(w, tp->topic, tp->partition);
            int64_t now = stored->elems[i].offset;
            if (op == NULL || now < 0)
                continue;
            if (now != op->stored) {
                revos_log_warn("stored offset of %s[%d] is %lld, not %lld: the last commit landed "
                               "(or another consumer moved it); resuming from there",
                               tp->topic, (int)tp->partition, (long long)now,
                               (long long)op->stored);
                count(w, "revos_offsets_resynced_total",
                      "Stored offsets re-read after a failed commit and found moved", 1);
            }
            op->stored = now;
            tp->offset = now;
        }
        rd_kafka_topic_partition_list_destroy(stored);
        if (ok) {
            rd_kafka_error_t *error = rd_kafka_seek_partitions(w->consumer, list, 10000);
            if (revos_kafka_error(error, "seek", &err) != REVOS_OK)
                revos_log_error("%s", err.msg);
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    return ok;
}

static revos_status commit_kafka(worker *w, polled *p, revos_batch *batch, revos_err *err)
{
    revos_status st = revos_kafka_error(rd_kafka_begin_transaction(w->producer),
                                        "begin_transaction", err);
    if (st != REVOS_OK)
        return st;
    for (size_t i = 0; i < batch->n_outputs && st == REVOS_OK; i++) {
        const revos_output *o = &batch->outputs[i];
        st = revos_kafka_produce(w->producer, o->topic, o->key, o->key_len, o->value,
                                 o->value_len, err);
    }
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < p->n && st == REVOS_OK; i++) {
        const rd_kafka_message_t *m = p->msgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        if (find_part(w, topic, m->partition) == NULL)
            continue;
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(offsets, topic, m->partition);
        if (tp == NULL)
            tp = rd_kafka_topic_partition_list_add(offsets, topic, m->partition);
        tp->offset = m->offset + 1;
    }
    if (st == REVOS_OK && offsets->cnt > 0) {
        rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(w->consumer);
        st = revos_kafka_error(rd_kafka_send_offsets_to_transaction(w->producer, offsets, cgmd, 30000),
                               "send_offsets_to_transaction", err);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
    }
    rd_kafka_topic_partition_list_destroy(offsets);
    if (st == REVOS_OK)
        st = revos_kafka_error(rd_kafka_commit_transaction(w->producer, 60000),
                               "commit_transaction", err);
    if (st != REVOS_OK) {
        count(w, "revos_transaction_aborts_total", "Kafka transactions aborted", 1);
        revos_err abort_err = {{0}, {0}};
        if (revos_kafka_error(rd_kafka_abort_transaction(w->producer, 30000), "abort_transaction",
                              &abort_err) != REVOS_OK)
            revos_log_error("%s", abort_err.msg);
    }
    return st;
}

/* Processes and commits one polled batch. Returns REVOS_OK, or the class of
 * the failure after the batch was rolled back and rewound. */
static revos_status run_batch(worker *w, polled *p, revos_err *err)
{
    int64_t started_ms = now_ms();
    revos_msg *views = p->views;
    revos_batch batch;
    revos_batch_init(&batch);
    batch.worker_name = w->def->name;
    batch.config = w->config;
    batch.config_version = w->config_version;
    batch.settings = &w->settings;
    batch.codec = w->codec;
    batch.metrics = w->metrics;
    batch.dlq_max_payload = w->dlq_max_payload;
    int pg_mode = w->def->delivery == REVOS_DELIVERY_PG_OUTBOX;
    revos_status st = REVOS_OK;
    if (pg_mode) {
        batch.pg = w->pg;
        st = revos_pg_begin(w->pg, err);
    }
    size_t n = 0;
    if (st == REVOS_OK) {
        n = decode_batch(w, p, &batch, views);
        if (n > 0)
            st = w->def->process(w->state, &batch, views, n, err);
        if (st == REVOS_OK && batch.alloc_status != REVOS_OK)
            st = revos_fail(err, batch.alloc_status, "batch could not queue its outputs");
    }
    if (st == REVOS_OK)
        st = pg_mode ? commit_pg(w, p, &batch, err) : commit_kafka(w, p, &batch, err);
    if (st == REVOS_OK) {
        count(w, "revos_records_in_total", "Records consumed", (int64_t)p->n);
        count(w, "revos_batches_total", "Batches committed", 1);
        for (size_t i = 0; i < p->n;) { /* per topic, counting runs of one topic at once */
            const char *topic = rd_kafka_topic_name(p->msgs[i]->rkt);
            size_t j = i + 1;
            while (j < p->n && p->msgs[j]->rkt == p->msgs[i]->rkt)
                j++;
            revos_worker_metrics_topic_in(w->metrics, topic, (int64_t)(j - i));
            i = j;
        }
        revos_worker_metrics_batch(w->metrics, p->n, (double)(now_ms() - started_ms) / 1000.0);
    } else {
        if (pg_mode)
            revos_pg_rollback(w->pg);
        if (!pg_mode || !resync_offsets(w, p))
            rewind_batch(w, p);
        count(w, "revos_batch_failures_total", "Batches rolled back", 1);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(views[i].record);
    /* records rejected while decoding were never given to views[0..n) */
    revos_batch_clear(&batch);
    free(batch.outputs);
    return st;
}

static revos_status run_tick(worker *w, revos_err *err)
{
    revos_batch batch;
    revos_batch_init(&batch);
    batch.worker_name = w->def->name;
    batch.config = w->config;
    batch.config_version = w->config_version;
    batch.settings = &w->settings;
    batch.codec = w->codec;
    batch.metrics = w->metrics;
    batch.pg = w->pg;
    revos_status st = revos_pg_begin(w->pg, err);
    if (st == REVOS_OK)
        st = w->def->tick(w->state, &batch, now_ms(), err);
    if (st == REVOS_OK)
        st = revos_outbox_write(w->pg, w->def->name, batch.outputs, batch.n_outputs, err);
    if (st == REVOS_OK)
        st = revos_pg_commit(w->pg, err);
    else
        revos_pg_rollback(w->pg);
    revos_batch_clear(&batch);
    free(batch.outputs);
    return st;
}

/* ==== Progress seen from Kafka ==== */

/* PG_OUTBOX: PostgreSQL holds the offsets that count; after each relay they
 * are also committed to the Kafka group, asynchronously and only when they
 * moved, so kafka-consumer-groups and lag exporters show progress. Nothing
 * reads them back: assignment always seeks to PostgreSQL's offsets. A lost
 * or late commit only makes the lag look larger for a moment. */
static void commit_offsets_to_group(worker *w)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < w->n_parts; i++) {
        owned_partition *op = &w->parts[i];
        if (op->stored < 0 || op->stored == op->committed)
            continue;
        rd_kafka_topic_partition_list_add(list, op->topic, op->partition)->offset = op->stored;
    }
    if (list->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(w->consumer, list, 1);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (int i = 0; i < list->cnt; i++) {
                owned_partition *op = find_part(w, list->elems[i].topic, list->elems[i].partition);
                if (op != NULL)
                    op->committed = list->elems[i].offset;
            }
            count(w, "revos_kafka_offset_commits_total",
                  "Informational commits of the PostgreSQL-stored offsets to the Kafka group", 1);
        } else {
            revos_log_debug("informational offset commit: %s", rd_kafka_err2str(e));
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
}

/* Every 5 s: consumer lag per owned partition from the locally known high
 * watermark (updated by fetches, no broker round trip) and the next offset
 * (PostgreSQL's for PG_OUTBOX, the consumer position otherwise), and the
 * outbox backlog and age. */
static void update_gauges(worker *w)
{
    int64_t now = now_ms();
    if (now - w->gauges_checked_ms < 5000)
        return;
    w->gauges_checked_ms = now;
    revos_gauge_set(revos_metrics_gauge(w->metrics, "revos_assigned_partitions",
                                        "Partitions assigned to this member", NULL, NULL),
                    (double)w->n_parts);
    for (size_t i = 0; i < w->n_parts; i++) {
        owned_partition *op = &w->parts[i];
        int64_t low = 0, high = 0;
        if (rd_kafka_get_watermark_offsets(w->consumer, op->topic, op->partition, &low, &high) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0)
            continue;
        int64_t next = op->stored;
        if (w->def->delivery != REVOS_DELIVERY_PG_OUTBOX) {
            rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(pos, op->topic, op->partition);
            next = rd_kafka_position(w->consumer, pos) == RD_KAFKA_RESP_ERR_NO_ERROR
                       ? pos->elems[0].offset
                       : -1;
            rd_kafka_topic_partition_list_destroy(pos);
        }
        if (next < 0)
            next = low; /* nothing consumed yet: all of what the partition holds */
        revos_worker_metrics_lag(w->metrics, op->topic, op->partition, high - next);
    }
    if (w->def->delivery == REVOS_DELIVERY_PG_OUTBOX)
        revos_worker_metrics_outbox(w->metrics, w->pg, w->def->name);
}

/* ==== Readiness ==== */

/* /readyz means: connected to Kafka, connected to PostgreSQL, holding an
 * assignment (and the last batch did not roll back). Probed from the loop,
 * on the main thread, at most once a second (force: now): a Metadata
 * round trip to the broker on the producer handle (1 s timeout) and
 * `SELECT 1` on the worker's
 * connection, which also reconnects a dropped one. The body names each
 * missing part, and revos_ready / revos_dependency_up carry the same for
 * Prometheus. Called only between batches, never inside a transaction. */
typedef struct readiness {
    char missing[128]; /* "kafka,postgres" */
    char reason[1024]; /* "kafka: ...; postgres: ..." */
} readiness;

__attribute__((format(printf, 3, 4)))
static void readiness_missing(readiness *rd, const char *part, const char *fmt, ...)
{
    size_t m = strlen(rd->missing), r = strlen(rd->reason);
    snprintf(rd->missing + m, sizeof rd->missing - m, "%s%s", m > 0 ? "," : "", part);
    snprintf(rd->reason + r, sizeof rd->reason - r, "%s", r > 0 ? "; " : "");
    r = strlen(rd->reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->reason + r, sizeof rd->reason - r, fmt, ap);
    va_end(ap);
}

static void probe_readiness(worker *w, int force)
{
    int64_t now = now_ms();
    if (!force && now - w->ready_checked_ms < 1000)
        return;
    w->ready_checked_ms = now;
    readiness rd = {"", ""};
    const struct rd_kafka_metadata *md = NULL;
    /* through the producer: a consumer's metadata cache (its regex
     * subscription, its partitions' leaders) is left to librdkafka alone */
    rd_kafka_resp_err_t e = w->producer != NULL ? rd_kafka_metadata(w->producer, 0, NULL, &md, 1000)
                                                : RD_KAFKA_RESP_ERR__STATE;
    int kafka_up = e == RD_KAFKA_RESP_ERR_NO_ERROR && md->broker_cnt > 0;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        rd_kafka_metadata_destroy(md);
    if (!kafka_up)
        readiness_missing(&rd, "kafka", "kafka: %s", rd_kafka_err2str(e));
    revos_err err = {{0}, {0}};
    int pg_up = revos_pg_ensure(w->pg, &err) == REVOS_OK &&
                revos_pg_exec(w->pg, "SELECT 1", 0, NULL, NULL, &err) == REVOS_OK;
    if (!pg_up)
        readiness_missing(&rd, "postgres", "postgres: %s", err.msg);
    if (w->n_parts == 0)
        readiness_missing(&rd, "assignment", "no partition assigned to this member of %s", w->group);
    if (w->batch_error[0] != '\0')
        readiness_missing(&rd, "processing", "last batch rolled back: %s", w->batch_error);
    if (w->config == NULL)
        readiness_missing(&rd, "configuration", "%s",
                          w->ready_note[0] != '\0' ? w->ready_note : "no configuration in force");
    int ready = rd.missing[0] == '\0';
    /* while ready, a refused configuration is a detail worth showing */
    revos_ops_set_readiness(w->ops, ready, ready ? w->ready_note : rd.reason, rd.missing);
    revos_gauge_set(revos_metrics_gauge(w->metrics, "revos_ready",
                                        "1 when /readyz answers 200 (Kafka, PostgreSQL, assignment)",
                                        NULL, NULL), ready);
    revos_gauge_set(revos_metrics_gauge(w->metrics, "revos_dependency_up",
                                        "1 when the dependency answered the last readiness probe",
                                        "dependency", "kafka"), kafka_up);
    revos_gauge_set(revos_metrics_gauge(w->metrics, "revos_dependency_up",
                                        "1 when the dependency answered the last readiness probe",
                                        "dependency", "postgres"), pg_up);
}

/* ==== Start and stop ==== */

static revos_status subscribe(worker *w, revos_err *err)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)w->def->n_inputs);
    for (size_t i = 0; i < w->def->n_inputs; i++) {
        const char *suffix = w->def->inputs[i].suffix;
        char name[320];
        size_t len = strlen(suffix);
        if (len >= 2 && strcmp(suffix + len - 2, ".*") == 0) {
            /* a pattern: "^revos\.raw\..*" */
            char escaped[128];
            size_t o = 0;
            for (const char *c = w->prefix; *c != '\0' && o + 3 < sizeof escaped; c++) {
                if (*c == '.')
                    escaped[o++] = '\\';
                escaped[o++] = *c;
            }
            escaped[o] = '\0';
            char rest[128];
            size_t r = 0;
            for (size_t k = 0; k + 2 < len && r + 3 < sizeof rest; k++) {
                if (suffix[k] == '.')
                    rest[r++] = '\\';
                rest[r++] = suffix[k];
            }
            rest[r] = '\0';
            snprintf(name, sizeof name, "^%s%s\\..*", escaped, rest);
        } else {
            revos_settings_topic(&w->settings, suffix, name, sizeof name);
        }
        rd_kafka_topic_partition_list_add(topics, name, RD_KAFKA_PARTITION_UA);
        revos_log_info("subscribing to %s", name);
    }
    rd_kafka_resp_err_t e = rd_kafka_subscribe(w->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return revos_fail(err, REVOS_ERR_FATAL, "subscribe: %s", rd_kafka_err2str(e));
    return REVOS_OK;
}

/* Retries a start-up step while it fails transiently (broker or database
 * still starting), so workers can be started in any order. */
static revos_status with_retry(worker *w, const char *what,
                               revos_status (*step)(worker *, revos_err *), revos_err *err)
{
    for (int attempt = 1; running; attempt++) {
        revos_status st = step(w, err);
        if (st != REVOS_ERR_RETRY)
            return st;
        /* the part /readyz names: postgres for the connection and the
         * migrations, kafka for the producer, else the step itself */
        if (w->ops != NULL)
            revos_ops_set_readiness(w->ops, 0, err->msg,
                                    strncmp(what, "kafka", 5) == 0 ? "kafka"
                                    : strcmp(what, "migrations") == 0 ? "postgres"
                                                                       : what);
        if (attempt == 1 || attempt % 10 == 0)
            revos_log_warn("%s: %s (retrying)", what, err->msg);
        sleep_ms(attempt < 10 ? 500 : 2000);
    }
    return revos_fail(err, REVOS_ERR_FATAL, "%s: interrupted", what);
}

static revos_status step_connect_pg(worker *w, revos_err *err)
{
    if (w->pg != NULL)
        return revos_pg_ensure(w->pg, err);
    return revos_pg_connect(revos_settings_get(&w->settings, "REVOS_PG_DSN", NULL),
                            w->def->name, &w->pg, err);
}

static revos_status step_migrate(worker *w, revos_err *err)
{
    int applied = 0;
    revos_status st = revos_pg_migrate(w->pg, &applied, err);
    if (st == REVOS_OK && applied > 0)
        revos_log_info("applied %d migration(s)", applied);
    return st;
}

static revos_status step_config(worker *w, revos_err *err)
{
    return refresh_config(w, 1, err);
}

static revos_status step_producer(worker *w, revos_err *err)
{
    char txn_id[320];
    const char *txn = NULL;
    if (w->def->delivery == REVOS_DELIVERY_KAFKA_TXN) {
        snprintf(txn_id, sizeof txn_id, "%s-%s", w->group, w->instance);
        txn = txn_id;
    }
    return revos_kafka_producer_new(&w->settings, txn, &w->delivery, &w->producer, err);
}

/* ==== Fatal exits ==== */

/* How many times this worker instance stopped on a fatal error before: the
 * process restarted after one reports it (revos_restarts_after_fatal_total
 * starts at that count) and logs the last reason. */
static revos_status step_fatal_history(worker *w, revos_err *err)
{
    const char *params[] = {w->def->name, w->instance};
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(w->pg,
        "SELECT count(*), (SELECT reason FROM worker_fatal_exits WHERE worker = $1 AND"
        " instance = $2 ORDER BY id DESC LIMIT 1) FROM worker_fatal_exits"
        " WHERE worker = $1 AND instance = $2", 2, params, &res, err);
    if (st != REVOS_OK)
        return st;
    long n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    revos_counter *c = revos_metrics_counter(w->metrics, "revos_restarts_after_fatal_total",
                                             "Starts of this worker instance after a fatal exit "
                                             "(recorded in PostgreSQL, last 30 days)", NULL, NULL);
    if (c != NULL)
        revos_counter_add(c, n);
    if (n > 0)
        revos_log_warn("started after %ld fatal exit(s) in the last 30 days; the last: %s", n,
                       PQgetisnull(res, 0, 1) ? "?" : PQgetvalue(res, 0, 1));
    PQclear(res);
    return REVOS_OK;
}

/* Records a fatal exit (best effort: PostgreSQL may be what failed). */
static void record_fatal_exit(worker *w, const char *reason)
{
    if (w->pg == NULL || PQstatus(w->pg) != CONNECTION_OK)
        return;
    revos_pg_rollback(w->pg);
    const char *params[] = {w->def->name, w->instance, reason};
    revos_err err = {{0}, {0}};
    if (revos_pg_exec(w->pg,
            "WITH pruned AS (DELETE FROM worker_fatal_exits WHERE exited_at < now() - interval '30 days')"
            " INSERT INTO worker_fatal_exits (worker, instance, reason) VALUES ($1, $2, $3)",
            3, params, NULL, &err) != REVOS_OK)
        revos_log_warn("could not record the fatal exit: %s", err.msg);
}

static int64_t time_ms(void) { return now_ms(); }

/* librdkafka 2.0.2 can hit a fatal idempotence error (sequence desync) that
 * the producer never recovers from: replace the handle instead of stopping
 * the worker. Returns 1 when the producer was replaced. */
static int recover_producer(worker *w)
{
    char reason[512];
    if (w->producer == NULL ||
        rd_kafka_fatal_error(w->producer, reason, sizeof reason) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    revos_log_error("kafka producer failed fatally (%s): recreating it", reason);
    rd_kafka_destroy(w->producer);
    w->producer = NULL;
    revos_err err = {{0}, {0}};
    if (with_retry(w, "kafka producer", step_producer, &err) != REVOS_OK) {
        revos_log_error("cannot recreate the kafka producer: %s", err.msg);
        w->fatal = 1;
        return 0;
    }
    count(w, "revos_producer_recreated_total", "Kafka producers replaced after a fatal error", 1);
    return 1;
}

static int main_loop(worker *w)
{
    polled *p = calloc(1, sizeof *p);
    if (p == NULL)
        return 1;
    int exit_code = 0;
    int64_t next_tick = 0;
    int backoff_ms = 100;
    while (running && !w->fatal) {
        revos_err err = {{0}, {0}};
        probe_readiness(w, 0);
        if (refresh_config(w, 0, &err) == REVOS_ERR_FATAL) {
            revos_log_error("%s", err.msg);
            snprintf(w->fatal_reason, sizeof w->fatal_reason, "configuration: %s", err.msg);
            exit_code = 1;
            break;
        }
        poll_batch(w, p);
        if (p->n > 0) {
            revos_status st = run_batch(w, p, &err);
            release_batch(p);
            if (st != REVOS_OK && recover_producer(w))
                st = REVOS_ERR_RETRY; /* the batch was rewound: run it again */
            if (st == REVOS_ERR_FATAL) {
                revos_log_error("batch failed fatally: %s", err.msg);
                snprintf(w->fatal_reason, sizeof w->fatal_reason, "batch: %s", err.msg);
                exit_code = 1;
                break;
            }
            if (st == REVOS_ERR_RETRY) {
                count(w, "revos_batch_retries_total",
                      "Batches rolled back to be retried after a transient failure", 1);
                revos_log_warn("batch rolled back, will retry: %s", err.msg);
                snprintf(w->batch_error, sizeof w->batch_error, "%s", err.msg);
                probe_readiness(w, 1);
                sleep_ms(backoff_ms);
                backoff_ms = backoff_ms < 5000 ? backoff_ms * 2 : 5000;
                continue;
            }
            backoff_ms = 100;
            if (w->batch_error[0] != '\0') {
                w->batch_error[0] = '\0';
                probe_readiness(w, 1);
            }
        }
        if (w->def->delivery == REVOS_DELIVERY_PG_OUTBOX) {
            revos_status st = revos_outbox_relay(w->pg, w->producer, &w->delivery, w->def->name,
                                                 w->metrics, &err);
            if (st != REVOS_OK) {
                revos_log_warn("outbox relay: %s", err.msg);
                recover_producer(w);
            } else {
                commit_offsets_to_group(w);
            }
        }
        update_gauges(w);
        if (w->def->tick != NULL && time_ms() >= next_tick) {
            next_tick = time_ms() + (w->def->tick_ms > 0 ? w->def->tick_ms : 1000);
            revos_status st = run_tick(w, &err);
            if (st == REVOS_ERR_FATAL) {
                revos_log_error("tick failed fatally: %s", err.msg);
                snprintf(w->fatal_reason, sizeof w->fatal_reason, "tick: %s", err.msg);
                exit_code = 1;
                break;
            }
            if (st != REVOS_OK)
                revos_log_warn("tick: %s", err.msg);
        }
        rd_kafka_poll(w->producer, 0);
    }
    if (w->fatal) {
        exit_code = 1;
        if (w->fatal_reason[0] == '\0')
            snprintf(w->fatal_reason, sizeof w->fatal_reason,
                     "rebalance or producer failure (see the log)");
    }
    release_batch(p);
    free(p);
    return exit_code;
}

static void shutdown_worker(worker *w)
{
    revos_log_info("shutting down");
    if (w->ops != NULL)
        revos_ops_set_ready(w->ops, 0, "shutting down");
    if (w->consumer != NULL) {
        rd_kafka_unsubscribe(w->consumer);
        revos_kafka_consumer_close(w->consumer, 10000);
        w->consumer = NULL;
    }
    if (w->producer != NULL && w->pg != NULL && w->def->delivery == REVOS_DELIVERY_PG_OUTBOX) {
        revos_err err = {{0}, {0}};
        if (revos_outbox_relay(w->pg, w->producer, &w->delivery, w->def->name, w->metrics, &err) != REVOS_OK)
            revos_log_warn("final relay: %s", err.msg);
    }
    if (w->producer != NULL) {
        rd_kafka_flush(w->producer, 10000);
        rd_kafka_destroy(w->producer);
    }
    if (w->def->fini != NULL)
        w->def->fini(w->state);
    if (w->pg != NULL)
        PQfinish(w->pg);
    if (w->codec != NULL)
        revos_avro_close(w->codec);
    json_decref(w->config);
    if (w->ops != NULL)
        revos_ops_stop(w->ops);
    if (w->metrics != NULL)
        revos_metrics_free(w->metrics);
    revos_settings_free(&w->settings);
}

int revos_worker_run(const revos_worker_def *def, int argc, char **argv)
{
    worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return 1;
    w->def = def;
    revos_err err = {{0}, {0}};
    int code = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    revos_worker_limits limits;
    if (revos_settings_parse(&w->settings, argc, argv, &err) != REVOS_OK ||
        revos_worker_limits_load(&w->settings, def->default_http_port, &limits, &err) != REVOS_OK) {
        fprintf(stderr, "%s: %s\n", def->name, err.msg);
        revos_settings_free(&w->settings);
        free(w);
        return 2;
    }
    revos_log_init(def->name, revos_log_level_parse(
                                  revos_settings_get(&w->settings, "REVOS_LOG_LEVEL", NULL),
                                  REVOS_LOG_INFO));
    snprintf(w->prefix, sizeof w->prefix, "%s", limits.prefix);
    snprintf(w->group, sizeof w->group, "%s%s", w->prefix, def->name);
    w->batch_max = limits.batch_max;
    w->batch_wait_ms = limits.batch_wait_ms;
    w->dlq_max_payload = limits.dlq_max_payload;
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(w->instance, sizeof w->instance, "%s",
             revos_settings_get(&w->settings, "REVOS_INSTANCE_ID", host));
    char dsn[512];
    revos_log_redact_dsn(revos_settings_get(&w->settings, "REVOS_PG_DSN", ""), dsn, sizeof dsn);
    revos_log_info("starting: brokers=%s pg=%s prefix=%s",
                   revos_settings_get(&w->settings, "REVOS_KAFKA_BROKERS", "127.0.0.1:19092"), dsn,
                   w->prefix);

    if (revos_http_global_init(&err) != REVOS_OK) {
        revos_log_error("cannot start: %s", err.msg);
        revos_settings_free(&w->settings);
        free(w);
        return 1;
    }
    w->metrics = revos_metrics_new();
    {   /* every series at 0 before anything else, so a scrape during start-up sees them */
        const char *inputs[16];
        size_t n_inputs = 0;
        for (; n_inputs < def->n_inputs && n_inputs < 16; n_inputs++)
            inputs[n_inputs] = def->inputs[n_inputs].suffix;
        revos_worker_metrics_register(w->metrics, &w->settings, def->name, inputs, n_inputs,
                                      def->delivery == REVOS_DELIVERY_PG_OUTBOX);
    }
    long port = limits.http_port;
    revos_status st = w->metrics ? REVOS_OK : REVOS_ERR_FATAL;
    if (st == REVOS_OK)
        st = revos_ops_start(&w->ops, revos_settings_get(&w->settings, "REVOS_HTTP_BIND", "0.0.0.0"),
                             (int)port, w->metrics, &err);
    if (st == REVOS_OK && w->ops != NULL)
        revos_log_info("ops endpoint on port %d", revos_ops_port(w->ops));
    if (st == REVOS_OK)
        st = revos_avro_open(&w->codec, revos_settings_get(&w->settings, "REVOS_SCHEMA_REGISTRY_URL", NULL), &err);
    if (st == REVOS_OK)
        st = with_retry(w, "postgres", step_connect_pg, &err);
    if (st == REVOS_OK)
        st = with_retry(w, "migrations", step_migrate, &err);
    if (st == REVOS_OK)
        st = with_retry(w, "fatal exit history", step_fatal_history, &err);
    if (st == REVOS_OK)
        st = with_retry(w, "configuration", step_config, &err);
    if (st == REVOS_OK && def->init != NULL)
        st = def->init(&w->state, &w->settings, &err);
    if (st == REVOS_OK)
        st = with_retry(w, "kafka producer", step_producer, &err);
    if (st == REVOS_OK)
        st = revos_kafka_consumer_new(&w->settings, w->group, on_rebalance, w, &w->consumer, &err);
    if (st == REVOS_OK)
        st = subscribe(w, &err);
    if (st == REVOS_OK) {
        code = main_loop(w);
        if (code != 0)
            record_fatal_exit(w, w->fatal_reason);
    } else if (running) {
        revos_log_error("cannot start: %s", err.msg);
        char reason[sizeof err.msg + 16];
        snprintf(reason, sizeof reason, "start: %s", err.msg);
        record_fatal_exit(w, reason);
    } else {
        code = 0;
    }
    shutdown_worker(w);
    free(w->parts);
    free(w);
    revos_http_global_cleanup();
    return code;
}
