/* batch.c -- what a transformation may do inside a batch: emit records,
 * reject inputs to the dead-letter topic, read config and count things. */
#include "worker/batch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/evp.h>

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

/* One debug line per record emitted, with its ids (log.h): the id of the
 * record, its account and the source event it descends from. */
static void log_emitted(const char *topic, revos_record_type type, const json_t *record)
{
    if (!revos_log_enabled(REVOS_LOG_DEBUG) || type == REVOS_REC_DEAD_LETTER)
        return;
    static const char *const id_field[REVOS_REC__COUNT] = {
        [REVOS_REC_SOURCE_EVENT] = "event_id",    [REVOS_REC_SIGNAL] = "signal_id",
        [REVOS_REC_SCORE_UPDATE] = "score_id",    [REVOS_REC_ACTION] = "action_id",
        [REVOS_REC_OUTCOME] = "outcome_id",       [REVOS_REC_THRESHOLD_CHANGE] = "change_id"};
    const char *id = json_string_value(json_object_get(record, id_field[type]));
    char trace[256] = "";
    if (type == REVOS_REC_SOURCE_EVENT)
        snprintf(trace, sizeof trace, "%s", id ? id : "");
    else if (type == REVOS_REC_SIGNAL && json_is_string(json_object_get(record, "source_event_id")))
        snprintf(trace, sizeof trace, "%s", json_string_value(json_object_get(record, "source_event_id")));
    else if (type == REVOS_REC_SCORE_UPDATE)
        revos_log_trace_of_signal(json_string_value(json_object_get(record, "trigger_signal_id")),
                                  trace, sizeof trace);
    revos_log_ids ids = {id, json_string_value(json_object_get(record, "account_id")), trace};
    revos_log_record(REVOS_LOG_DEBUG, &ids, "%s %s to %s", revos_record_type_name(type),
                     id ? id : "?", topic);
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
        log_emitted(topic, type, record);
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

/* Hex SHA-256 of data into out[65]; "" when the digest is unavailable. */
static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    out[0] = '\0';
    if (EVP_Digest(data != NULL ? data : (const uint8_t *)"", len, md, &mdlen, EVP_sha256(),
                   NULL) != 1 || mdlen != 32)
        return;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0F];
    }
    out[64] = '\0';
}

/* The DeadLetter for msg, its payload cut to max_payload bytes and its key
 * to REVOS_DLQ_MAX_KEY (both flagged); sizes and the hash always describe
 * the original. NULL when out of memory. */
static json_t *dead_letter(const revos_batch *batch, const revos_msg *msg, const char *cls,
                           const char *reason, size_t max_payload, const char *sha)
{
    size_t keep = msg->len < max_payload ? msg->len : max_payload;
    size_t keep_key = msg->key_len < REVOS_DLQ_MAX_KEY ? msg->key_len : REVOS_DLQ_MAX_KEY;
    struct timeval now;
    gettimeofday(&now, NULL);
    json_t *key = msg->key != NULL ? latin1_bytes(msg->key, keep_key) : json_null();
    json_t *payload = msg->payload != NULL ? latin1_bytes(msg->payload, keep) : json_null();
    return json_pack("{s:s, s:s, s:i, s:I, s:o?, s:o?, s:b, s:I, s:s, s:s, s:I, s:b, s:I, s:s?}",
                     "worker", batch->worker_name, "topic", msg->topic,
                     "partition", (int)msg->partition, "offset", (json_int_t)msg->offset,
                     "key", key, "payload", payload,
                     "truncated", msg->payload != NULL && keep < msg->len,
                     "original_size", (json_int_t)msg->len, "reason", reason, "error_class", cls,
                     "failed_at", (json_int_t)now.tv_sec * 1000 + now.tv_usec / 1000,
                     "key_truncated", msg->key != NULL && keep_key < msg->key_len,
                     "original_key_size", msg->key != NULL ? (json_int_t)msg->key_len : -1,
                     "payload_sha256", msg->payload != NULL && sha[0] != '\0' ? sha : NULL);
}

void revos_batch_reject(revos_batch *batch, const revos_msg *msg, const revos_err *why)
{
    /* revos_reject already cleaned these; a message written another way
     * must not make the letter unencodable either */
    revos_err text = *why;
    revos_utf8_clean(text.msg);
    revos_utf8_clean(text.cls);
    why = &text;
    const char *cls = why->cls[0] != '\0' ? why->cls : "validation";
    size_t max_payload = batch->dlq_max_payload;
    if (max_payload == 0 || max_payload > REVOS_DLQ_PAYLOAD_LIMIT)
        max_payload = REVOS_DLQ_PAYLOAD_LIMIT;
    char sha[65] = "";
    if (msg->payload != NULL)
        sha256_hex(msg->payload, msg->len, sha);
    revos_log_warn("dead letter: %.255s[%d]@%lld (%zu bytes): %s: %s", msg->topic, (int)msg->partition,
                   (long long)msg->offset, msg->len, cls, why->msg);
    /* The bounds above keep a letter under REVOS_AVRO_MAX_RECORD and Kafka's
     * default message size. If it still cannot be encoded (a topic name or
     * worker name nobody expected), the same letter without payload and key
     * is written: the record is never lost and never stops the worker. */
    revos_err err = {{0}, {0}};
    json_t *letter = dead_letter(batch, msg, cls, why->msg, max_payload, sha);
    revos_status st = letter != NULL
                          ? revos_batch_emit(batch, "dlq", NULL, REVOS_REC_DEAD_LETTER, letter, &err)
                          : revos_fail(&err, REVOS_ERR_FATAL, "out of memory building a dead letter");
    json_decref(letter);
    if (st == REVOS_ERR_INPUT) {
        revos_log_error("dead letter of %.255s[%d]@%lld could not be encoded (%s): writing it "
                        "without its payload and key", msg->topic, (int)msg->partition,
                        (long long)msg->offset, err.msg);
        revos_msg bare = *msg;
        bare.key = NULL;
        bare.payload = NULL;
        char topic[256]; /* Kafka's names are at most 249 characters */
        snprintf(topic, sizeof topic, "%s", msg->topic);
        bare.topic = topic;
        char reason[sizeof why->msg + 64];
        snprintf(reason, sizeof reason, "%.460s (payload and key dropped from this dead letter)",
                 why->msg);
        letter = dead_letter(batch, &bare, cls, reason, 0, "");
        if (letter != NULL) {
            json_object_set_new(letter, "truncated", json_boolean(msg->payload != NULL));
            json_object_set_new(letter, "key_truncated", json_boolean(msg->key != NULL));
            json_object_set_new(letter, "original_key_size",
                                json_integer(msg->key != NULL ? (json_int_t)msg->key_len : -1));
            if (sha[0] != '\0')
                json_object_set_new(letter, "payload_sha256", json_string(sha));
        }
        st = letter != NULL
                 ? revos_batch_emit(batch, "dlq", NULL, REVOS_REC_DEAD_LETTER, letter, &err)
                 : revos_fail(&err, REVOS_ERR_FATAL, "out of memory building a dead letter");
        json_decref(letter);
        revos_batch_count(batch, "revos_dead_letters_stripped_total",
                          "Dead letters written without payload and key (too large to encode)", 1);
    }
    if (st != REVOS_OK) {
        /* Out of memory, or the schema registry unreachable (RETRY): fail
         * the batch rather than lose the record -- never for its size. */
        revos_log_error("dead letter could not be queued: %s", err.msg);
        if (batch->alloc_status != REVOS_ERR_FATAL)
            batch->alloc_status = st == REVOS_ERR_RETRY ? REVOS_ERR_RETRY : REVOS_ERR_FATAL;
    }
    batch->n_rejected++;
    revos_batch_count(batch, "revos_dead_letters_total", "Records sent to the dead-letter topic", 1);
    revos_counter_add(revos_metrics_counter(batch->metrics, "revos_dead_letters_by_class_total",
                                            "Records sent to the dead-letter topic, by error class",
                                            "class", cls),
                      1);
}

void revos_batch_count(revos_batch *batch, const char *metric, const char *help, int64_t n)
{
    revos_batch_count_by(batch, metric, help, NULL, NULL, n);
}

void revos_batch_count_by(revos_batch *batch, const char *metric, const char *help,
                          const char *label, const char *value, int64_t n)
{
    if (batch->metrics == NULL)
        return;
    revos_counter *counter = revos_metrics_counter(batch->metrics, metric, help, label, value);
    if (counter != NULL)
        revos_counter_add(counter, n);
}
