/* cmd_kafka.c -- revosctl topics create, produce, consume.
 *
 * topics create makes every catalogue topic with its class's retention and
 * timestamp policy (common/config/topics.h) and brings existing topics back
 * to it, printing what it changed. produce keys each record by its source's
 * natural key unless told otherwise, reports every record that failed and
 * exits non-zero if any did. consume prints Avro topics as JSON lines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "avro/avro_codec.h"
#include "ingest/natural_key.h"
#include "config/topics.h"
#include "kafka/kafka.h"
#include "revosctl.h"

/* What topics create did, printed one line per event as it happens. */
typedef struct topics_report {
    int created, altered_topics, unchanged, skipped;
    char last_altered[256];
} topics_report;

static void print_topic_event(void *ctx, const char *topic, const char *action, const char *config,
                              const char *old_value, const char *new_value)
{
    topics_report *r = ctx;
    if (strcmp(action, "created") == 0) {
        r->created++;
        printf("%s: created\n", topic);
    } else if (strcmp(action, "altered") == 0) {
        if (strcmp(r->last_altered, topic) != 0) {
            r->altered_topics++;
            snprintf(r->last_altered, sizeof r->last_altered, "%s", topic);
        }
        printf("%s: %s %s -> %s\n", topic, config, old_value ? old_value : "(unset)", new_value);
    } else if (strcmp(action, "skipped") == 0) {
        r->skipped++;
        printf("%s: configs not checked, the broker does not support it (%s)\n", topic,
               old_value ? old_value : "unsupported");
    } else {
        r->unchanged++;
    }
}

/* Creates every catalogue topic with its class's policy (config/topics.h)
 * and brings existing topics back to it, printing each change. */
int cmd_topics_create(const revos_settings *s)
{
    revos_err err = {{0}, {0}};
    revos_delivery_stats stats = {0};
    rd_kafka_t *rk = NULL;
    if (revos_kafka_producer_new(s, NULL, &stats, &rk, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        return 1;
    }
    /* Raw topics receive the sources' own payloads, which may need other
     * settings (larger messages, log-append timestamps for backfills):
     * --raw-topic-config name=value,... applies to them only. */
    char names[32][256];
    revos_topic_spec specs[32];
    /* raw topics: the class policy with --raw-topic-config merged over it */
    enum { MAX_EXTRA = 16 };
    revos_topic_config raw_configs[32 + MAX_EXTRA];
    char extra_text[1024] = "";
    size_t n_raw_configs = 0;
    const char *raw_config = revos_settings_get(s, "REVOS_RAW_TOPIC_CONFIG", NULL);
    const revos_topic_policy *raw_policy = revos_topic_policy_for("raw.any");
    for (size_t i = 0; raw_policy != NULL && i < raw_policy->n_configs && i < 32; i++)
        raw_configs[n_raw_configs++] = raw_policy->configs[i];
    if (raw_config != NULL) {
        if (strlen(raw_config) >= sizeof extra_text) {
            fprintf(stderr, "revosctl: --raw-topic-config is longer than %zu bytes\n", sizeof extra_text - 1);
            rd_kafka_destroy(rk);
            return 2;
        }
        snprintf(extra_text, sizeof extra_text, "%s", raw_config);
        size_t extras = 0;
        for (char *save = NULL, *item = strtok_r(extra_text, ",", &save); item != NULL;
             item = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(item, '=');
            if (eq == NULL || eq == item || eq[1] == '\0' || ++extras > MAX_EXTRA) {
                fprintf(stderr, "revosctl: --raw-topic-config: \"%s\" is not name=value (at most %d)\n",
                        item, MAX_EXTRA);
                rd_kafka_destroy(rk);
                return 2;
            }
            *eq = '\0';
            size_t k = 0;
            while (k < n_raw_configs && strcmp(raw_configs[k].name, item) != 0)
                k++;
            raw_configs[k] = (revos_topic_config){item, eq + 1};
            if (k == n_raw_configs)
                n_raw_configs++;
        }
    }
    size_t n = 0;
    for (; revos_topic_suffixes[n] != NULL && n < 32; n++) {
        const revos_topic_policy *policy = revos_topic_policy_for(revos_topic_suffixes[n]);
        revos_settings_topic(s, revos_topic_suffixes[n], names[n], sizeof names[n]);
        if (strncmp(revos_topic_suffixes[n], "raw.", 4) == 0)
            specs[n] = (revos_topic_spec){names[n], raw_configs, n_raw_configs};
        else
            specs[n] = (revos_topic_spec){names[n], policy ? policy->configs : NULL,
                                          policy ? policy->n_configs : 0};
    }
    long partitions, replication;
    if (revos_settings_get_bounded(s, "REVOS_PARTITIONS", 4, 1, 100000, &partitions, &err) != REVOS_OK ||
        revos_settings_get_bounded(s, "REVOS_REPLICATION", 1, 1, 32767, &replication, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        rd_kafka_destroy(rk);
        return 2;
    }
    topics_report report = {0, 0, 0, 0, {0}};
    int code = 0;
    if (revos_kafka_ensure_topics(rk, specs, n, (int)partitions, (int)replication, print_topic_event,
                                  &report, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        code = 1;
    } else {
        printf("%zu topics present (%ld partitions each when created): %d created, %d altered, "
               "%d unchanged%s\n", n, partitions, report.created, report.altered_topics,
               report.unchanged, report.skipped ? ", configs not checked on this broker" : "");
        if (report.skipped)
            fprintf(stderr, "revosctl: warning: the configs of %d existing topics were not checked: "
                    "the broker answers no DescribeConfigs (librdkafka's mock cluster does not)\n",
                    report.skipped);
    }
    rd_kafka_destroy(rk);
    return code;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}


/* ==== produce ==== */

/* The whole input, malloc'd and NUL-terminated (bounded to 256 MiB). */
static char *read_all(const char *file, size_t *size)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *data = malloc(cap);
    while (data != NULL) {
        if (n + 1 == cap) {
            char *grown = cap < ((size_t)256 << 20) ? realloc(data, cap * 2) : NULL;
            if (grown == NULL) {
                free(data);
                data = NULL;
                break;
            }
            data = grown;
            cap *= 2;
        }
        size_t got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (f != stdin)
        fclose(f);
    if (data != NULL)
        data[n] = '\0';
    *size = n;
    return data;
}

/* Every failed record is reported on stderr by its number in the input,
 * as its delivery report arrives (inside rd_kafka_poll/flush, this thread). */
static void report_failed_record(void *ctx, const rd_kafka_message_t *msg)
{
    (void)ctx;
    fprintf(stderr, "revosctl: record %ld to %s (key %.*s) not delivered: %s\n",
            (long)(intptr_t)msg->_private, rd_kafka_topic_name(msg->rkt),
            msg->key ? (int)(msg->key_len > 128 ? 128 : msg->key_len) : 6,
            msg->key ? (const char *)msg->key : "(none)", rd_kafka_err2str(msg->err));
}

/* The key of one record: --key, else the record's --key-field, else the
 * source's natural key (workers/ingest/natural_key.h: the account-level
 * id the record carries, so one account's raw events stay ordered on one
 * partition). Avro topics' JSON lines use the same rules ("account_id"). */
static const char *record_key(const char *key, const char *key_field, const char *topic_suffix,
                              const char *line, size_t len, char *buf, size_t buflen)
{
    if (key != NULL)
        return key;
    if (key_field != NULL) {
        /* --key-field NAME: each record's own field is its key, so a
         * replayed stream partitions exactly as the original did */
        json_t *record = json_loadb(line, len, 0, NULL);
        const char *value = json_string_value(json_object_get(record, key_field));
        int found = value != NULL && *value != '\0';
        if (found)
            snprintf(buf, buflen, "%s", value);
        json_decref(record);
        if (found)
            return buf;
    }
    revos_natural_key nk;
    revos_err err = {{0}, {0}};
    const char *source = strncmp(topic_suffix, "raw.", 4) == 0 ? topic_suffix + 4 : NULL;
    if (revos_ingest_natural_key(source, line, len, &nk, &err) != REVOS_OK)
        return NULL;
    snprintf(buf, buflen, "%s", nk.key);
    return buf;
}

/* One line of FILE is one record (a file holding one pretty-printed JSON
 * document is one record, as webhook bodies are saved). With TOPIC "-" each
 * line is "<topic suffix><TAB><record>", so records for several topics are
 * produced in the file's order (a scenario in event-time order). With
 * --avro each line is a JSON record encoded as the topic's Avro type (for
 * tests and repairs: nothing is validated beyond the schema).
 *
 * Every record that fails is reported with its number; a record the client
 * refuses by itself (too large) does not stop the others. The exit code is
 * 1 when any record was not delivered. --timestamp-ms sets the records'
 * CreateTime (as a connector replaying history would; revos's own topics
 * are LogAppendTime and overwrite it). */
int cmd_produce(const revos_settings *s, const char *topic_suffix, const char *file)
{
    size_t size = 0;
    char *data = read_all(file, &size);
    if (data == NULL) {
        fprintf(stderr, "revosctl: cannot read %s\n", file);
        return 1;
    }
    if (strcmp(topic_suffix, "-") != 0) {
        json_t *doc = json_loadb(data, size, JSON_DECODE_ANY, NULL);
        if (doc != NULL && strchr(data, '\n') != NULL && strchr(data, '\n') < data + size - 1) {
            char *compact = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
            if (compact != NULL) {
                free(data);
                data = compact;
                size = strlen(compact);
            }
        }
        json_decref(doc);
    }
    FILE *in = fmemopen(data, size > 0 ? size : 1, "r");
    if (in == NULL) {
        free(data);
        fprintf(stderr, "revosctl: cannot read %s\n", file);
        return 1;
    }
    revos_err err = {{0}, {0}};
    revos_delivery_stats stats = {0};
    stats.on_failure = report_failed_record;
    rd_kafka_t *rk = NULL;
    if (revos_kafka_producer_new(s, NULL, &stats, &rk, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        fclose(in);
        free(data);
        return 1;
    }
    int per_line_topic = strcmp(topic_suffix, "-") == 0;
    char topic[256], line_suffix[160];
    snprintf(line_suffix, sizeof line_suffix, "%s", topic_suffix);
    revos_settings_topic(s, topic_suffix, topic, sizeof topic);
    const char *key = revos_settings_get(s, "REVOS_KEY", NULL);
    const char *key_field = revos_settings_get(s, "REVOS_KEY_FIELD", NULL);
    int64_t timestamp_ms = revos_settings_get_long(s, "REVOS_TIMESTAMP_MS", 0);
    /* --rate N: at most N records a second, to replay history at a pace the
     * pipeline keeps up with (sources then arrive interleaved as in life) */
    long rate = revos_settings_get_long(s, "REVOS_RATE", 0);
    int64_t started = now_ms();
    int type = revos_settings_get(s, "REVOS_AVRO", NULL) != NULL ? revos_topic_record_type(topic_suffix) : -1;
    revos_avro *codec = NULL;
    if (revos_settings_get(s, "REVOS_AVRO", NULL) != NULL &&
        (type < 0 || revos_avro_open(&codec, revos_settings_get(s, "REVOS_SCHEMA_REGISTRY_URL", NULL), &err) != REVOS_OK)) {
        fprintf(stderr, "revosctl: %s\n", type < 0 ? "--avro needs an Avro topic" : err.msg);
        rd_kafka_destroy(rk);
        fclose(in);
        free(data);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long records = 0, refused = 0; /* records read; refused by the client */
    int code = 0;
    while ((len = getline(&line, &cap, in)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (per_line_topic) {
            char *tab = memchr(line, '\t', (size_t)len);
            if (tab == NULL || tab == line || (size_t)(tab - line) > 128) {
                fprintf(stderr, "revosctl: line %ld: expected <topic><TAB><record>\n", records + 1);
                code = 1;
                break;
            }
            *tab = '\0';
            snprintf(line_suffix, sizeof line_suffix, "%s", line);
            revos_settings_topic(s, line, topic, sizeof topic);
            len -= (ssize_t)(tab + 1 - line);
            memmove(line, tab + 1, (size_t)len + 1);
        }
        records++;
        uint8_t *encoded = NULL;
        size_t encoded_len = 0;
        if (codec != NULL) {
            json_error_t jerr;
            json_t *record = json_loadb(line, (size_t)len, 0, &jerr);
            revos_status st = record ? revos_avro_encode(codec, (revos_record_type)type, topic, record,
                                                         &encoded, &encoded_len, &err)
                                     : revos_fail(&err, REVOS_ERR_INPUT, "line %ld: %s", records, jerr.text);
            json_decref(record);
            if (st != REVOS_OK) {
                fprintf(stderr, "revosctl: %s\n", err.msg);
                code = 1;
                break;
            }
        }
        char key_buf[512];
        const char *line_key = record_key(key, key_field, line_suffix, line, (size_t)len, key_buf, sizeof key_buf);
        void *opaque = (void *)(intptr_t)records;
        revos_status st = codec ? revos_kafka_produce_at(rk, topic, line_key, line_key ? strlen(line_key) : 0,
                                                         encoded, encoded_len, timestamp_ms, opaque, &err)
                                : revos_kafka_produce_at(rk, topic, line_key, line_key ? strlen(line_key) : 0,
                                                         line, (size_t)len, timestamp_ms, opaque, &err);
        free(encoded);
        if (st == REVOS_ERR_INPUT) {
            /* this record is bad (too large): report it, send the rest */
            fprintf(stderr, "revosctl: record %ld to %s (key %s) not delivered: %s\n", records, topic,
                    line_key ? line_key : "(none)", err.msg);
            refused++;
            code = 1;
            continue;
        }
        if (st != REVOS_OK) {
            fprintf(stderr, "revosctl: record %ld: %s\n", records, err.msg);
            refused++;
            code = 1;
            break;
        }
        rd_kafka_poll(rk, 0);
        if (rate > 0) {
            int64_t due = started + records * 1000 / rate;
            int64_t wait = due - now_ms();
            if (wait > 0) {
                rd_kafka_flush(rk, (int)wait); /* send what we have while we wait */
                wait = due - now_ms();
                if (wait > 0)
                    usleep((useconds_t)wait * 1000);
            }
        }
    }
    free(line);
    fclose(in);
    free(data);
    /* every record sent gets its delivery report before we judge */
    rd_kafka_flush(rk, 60000);
    int pending = rd_kafka_outq_len(rk);
    long sent = records - refused;
    if (pending > 0)
        fprintf(stderr, "revosctl: %d records still unacknowledged after 60 s\n", pending);
    if (stats.failed > 0 || refused > 0 || stats.delivered != sent) {
        fprintf(stderr, "revosctl: %lld of %ld records not delivered\n",
                (long long)(records - stats.delivered), records);
        code = 1;
    } else if (code == 0) {
        printf("produced %ld records to %s\n", records, per_line_topic ? "their topics" : topic);
    }
    rd_kafka_destroy(rk);
    if (codec != NULL)
        revos_avro_close(codec);
    return code;
}

static void ignore_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                             rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        error = cooperative ? rd_kafka_incremental_assign(rk, parts) : (rd_kafka_assign(rk, parts), NULL);
    else
        error = cooperative ? rd_kafka_incremental_unassign(rk, parts) : (rd_kafka_assign(rk, NULL), NULL);
    if (error != NULL)
        rd_kafka_error_destroy(error);
}

/* Prints every record of an Avro topic as one JSON line (raw topics as they
 * are), from the beginning, until --max records or --timeout-ms of silence. */
int cmd_consume(const revos_settings *s, const char *topic_suffix)
{
    int type = revos_topic_record_type(topic_suffix);
    long max = revos_settings_get_long(s, "REVOS_MAX", -1);
    long idle_ms = revos_settings_get_long(s, "REVOS_TIMEOUT_MS", 8000);
    char topic[256], group[128];
    revos_settings_topic(s, topic_suffix, topic, sizeof topic);
    snprintf(group, sizeof group, "revosctl-consume-%d-%lld", (int)getpid(), (long long)now_ms());
    revos_err err = {{0}, {0}};
    rd_kafka_t *rk = NULL;
    revos_avro *codec = NULL;
    if (revos_avro_open(&codec, revos_settings_get(s, "REVOS_SCHEMA_REGISTRY_URL", NULL), &err) != REVOS_OK ||
        revos_kafka_consumer_new(s, group, ignore_rebalance, NULL, &rk, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        if (codec != NULL)
            revos_avro_close(codec);
        return 1;
    }
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    long count = 0;
    int64_t last = now_ms();
    int code = 0;
    while ((max < 0 || count < max) && now_ms() - last < idle_ms) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            last = now_ms();
            count++;
            if (type < 0) {
                fwrite(m->payload, 1, m->len, stdout);
                fputc('\n', stdout);
            } else {
                json_t *record = NULL;
                if (revos_avro_decode(codec, (revos_record_type)type, m->payload, m->len, &record, &err) == REVOS_OK) {
                    char *text = json_dumps(record, JSON_COMPACT | JSON_ENSURE_ASCII);
                    printf("%s\n", text ? text : "null");
                    free(text);
                    json_decref(record);
                } else {
                    fprintf(stderr, "revosctl: offset %lld: %s\n", (long long)m->offset, err.msg);
                    code = 1;
                }
            }
        }
        rd_kafka_message_destroy(m);
    }
    fflush(stdout);
    revos_kafka_consumer_close(rk, 5000);
    revos_avro_close(codec);
    return code;
}
