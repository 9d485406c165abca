/* batch.c -- what a transformation may do inside a batch: emit records,
 * reject inputs to the dead-letter topic, read config and count things. */
#include "worker/batch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log/log.h"
#include "worker/worker_metrics.h"

void revos_batch_init(revos_batch *batch)
{
    memset(batch, 0, sizeof *batch);
}

void revos_batch_clear(revos_batch *batch)
{
    for (size_t i = 0; i < batch->n_outputs; i++) {
        free(batch->outputs[i].topic);
        free(batch->outputs[i].key);
        free(batch->outputs[i].value);
    }
    batch->n_outputs = 0;
    batch->n_rejected = 0;
}

PGconn *revos_batch_pg(revos_batch *batch) { return batch->pg; }
const json_t *revos_batch_config(const revos_batch *batch) { return batch->config; }
int64_t revos_batch_config_version(const revos_batch *batch) { return batch->config_version; }
const revos_settings *revos_batch_settings(const revos_batch *batch) { return batch->settings; }

/* Takes ownership of value. */
static revos_status push_output(revos_batch *batch, const char *topic, const void *key,
                                size_t key_len, uint8_t *value, size_t value_len,
                                revos_err *err)
{
    if (batch->n_outputs == batch->cap_outputs) {
        size_t cap = batch->cap_outputs ? 2 * batch->cap_outputs : 64;
        revos_output *grown = realloc(batch->outputs, cap * sizeof *grown);
        if (grown == NULL)
            goto oom;
        batch->outputs = grown;
        batch->cap_outputs = cap;
    }
    revos_output *out = &batch->outputs[batch->n_outputs];
    out->topic = strdup(topic);
    out->key = NULL;
    out->key_len = key_len;
    if (key != NULL && key_len > 0) {
        out->key = malloc(key_len);
        if (out->key != NULL)
            memcpy(out->key, key, key_len);
    }
    if (out->topic == NULL || (key_len > 0 && key != NULL && out->key == NULL)) {
        free(out->topic);
        free(out->key);
        goto oom;
    }
    out->value = value;
    out->value_len = value_len;
    batch->n_outputs++;
    return REVOS_OK;
oom:
    free(value);
    batch->alloc_status = REVOS_ERR_FATAL;
    return revos_fail(err, REVOS_ERR_FATAL, "out of memory queueing output");
}

revos_status revos_batch_emit(revos_batch *batch, const char *topic_suffix, const char *key,
                              revos_record_type type, const json_t *record, revos_err *err)
{
    char topic[256];
    revos_settings_topic(batch->settings, topic_suffix, topic, sizeof topic);
    uint8_t *value = NULL;
    size_t value_len = 0;
    revos_status st = revos_avro_encode(batch->codec, type, topic, record, &value, &value_len, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, revos_record_type_name(type));
    st = push_output(batch, topic, key, key ? strlen(key) : 0, value, value_len, err);
    if (st == REVOS_OK) {
        revos_batch_count(batch, "revos_records_out_total", "Records emitted", 1);
        revos_worker_metrics_topic_out(batch->metrics, topic, 1);
    }
    return st;
}

static json_t *latin1_bytes(const uint8_t *data, size_t len)
{
    /* The codec's representation of Avro bytes: one code point per byte. */
    char *text = malloc(2 * len + 1);
    if (text == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] < 0x80) {
            text[o++] = (char)data[i];
        } else {
            text[o++] = (char)(0xC0 | (data[i] >> 6));
            text[o++] = (char)(0x80 | (data[i] & 0x3F));
        }
    }
    json_t *value = json_stringn(text, o);
    free(text);
    return value;
}

void revos_batch_reject(revos_batch *batch, const revos_msg *msg, const revos_err *why)
{
    size_t keep = msg->len < batch->dlq_max_payload ? msg->len : batch->dlq_max_payload;
    struct timeval now;
    gettimeofday(&now, NULL);
    json_t *key = msg->key != NULL ? latin1_bytes(msg->key, msg->key_len) : json_null();
    json_t *payload = msg->payload != NULL ? latin1_bytes(msg->payload, keep) : json_null();
    const char *cls = why->cls[0] != '\0' ? why->cls : "validation";
    json_t *letter = json_pack("{s:s, s:s, s:i, s:I, s:o?, s:o?, s:b, s:I, s:s, s:s, s:I}",
                               "worker", batch->worker_name, "topic", msg->topic,
                               "partition", (int)msg->partition, "offset", (json_int_t)msg->offset,
                               "key", key, "payload", payload, "truncated", keep < msg->len,
                               "original_size", (json_int_t)msg->len, "reason", why->msg,
                               "error_class", cls,
                               "failed_at", (json_int_t)now.tv_sec * 1000 + now.tv_usec / 1000);
    revos_log_warn("dead letter: %s[%d]@%lld: %s: %s", msg->topic, (int)msg->partition,
                   (long long)msg->offset, cls, why->msg);
    revos_err err = {{0}, {0}};
    if (letter == NULL ||
        revos_batch_emit(batch, "dlq", NULL, REVOS_REC_DEAD_LETTER, letter, &err) != REVOS_OK) {
        /* A dead letter that cannot be written must stop the batch, or the
         * record would be lost: fail the commit. */
        revos_log_error("dead letter could not be queued: %s", err.msg);
        batch->alloc_status = REVOS_ERR_FATAL;
    }
    json_decref(letter);
    batch->n_rejected++;
    revos_batch_count(batch, "revos_dead_letters_total", "Records sent to the dead-letter topic", 1);
    revos_counter_add(revos_metrics_counter(batch->metrics, "revos_dead_letters_by_class_total",
                                            "Records sent to the dead-letter topic, by error class",
                                            "class", cls),
                      1);
}

void revos_batch_count(revos_batch *batch, const char *metric, const char *help, int64_t n)
{
    if (batch->metrics == NULL)
        return;
    revos_counter *counter = revos_metrics_counter(batch->metrics, metric, help, NULL, NULL);
    if (counter != NULL)
        revos_counter_add(counter, n);
}
