#include "worker/relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "pg/pg.h"

#define RELAY_CHUNK 2000

/* Bytes of a hex string (as encode(..., 'hex') returns), malloc'd. */
static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    unsigned char *out = malloc(n > 0 ? n : 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
        unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *len = n;
    return out;
}

static char *hex_of(const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(2 * len + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

revos_status revos_outbox_write(PGconn *conn, const char *producer, const revos_output *outputs,
                                size_t n, revos_err *err)
{
    if (n == 0)
        return REVOS_OK;
    char **topics = calloc(n, sizeof *topics);
    char **keys = calloc(n, sizeof *keys);
    char **values = calloc(n, sizeof *values);
    char *topic_arr = NULL, *key_arr = NULL, *value_arr = NULL;
    revos_status st = REVOS_OK;
    if (topics == NULL || keys == NULL || values == NULL)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        topics[i] = outputs[i].topic;
        keys[i] = outputs[i].key != NULL ? hex_of(outputs[i].key, outputs[i].key_len) : NULL;
        values[i] = hex_of(outputs[i].value, outputs[i].value_len);
        if ((outputs[i].key != NULL && keys[i] == NULL) || values[i] == NULL)
            goto oom;
    }
    topic_arr = revos_pg_text_array((const char *const *)topics, n);
    key_arr = revos_pg_text_array((const char *const *)keys, n);
    value_arr = revos_pg_text_array((const char *const *)values, n);
    if (topic_arr == NULL || key_arr == NULL || value_arr == NULL)
        goto oom;
    const char *params[] = {producer, topic_arr, key_arr, value_arr};
    st = revos_pg_exec(conn,
        "INSERT INTO outbox (producer, topic, key, payload)"
        " SELECT $1, t, decode(k, 'hex'), decode(v, 'hex')"
        " FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(t, k, v, ord)"
        " ORDER BY ord",
        4, params, NULL, err);
    goto done;
oom:
    st = revos_fail(err, REVOS_ERR_FATAL, "out of memory writing the outbox");
done:
    for (size_t i = 0; i < n; i++) {
        if (keys != NULL)
            free(keys[i]);
        if (values != NULL)
            free(values[i]);
    }
    free(topics);
    free(keys);
    free(values);
    free(topic_arr);
    free(key_arr);
    free(value_arr);
    return st;
}

/* One chunk: lock, read, publish, wait for delivery, delete. *relayed is the
 * number of rows published and deleted. */
static revos_status relay_chunk(PGconn *conn, rd_kafka_t *kafka_producer,
                                revos_delivery_stats *stats, const char *producer, int *relayed,
                                revos_err *err)
{
    *relayed = 0;
    const char *params[] = {producer};
    PGresult *res = NULL;
    revos_status st = revos_pg_begin(conn, err);
    if (st != REVOS_OK)
        return st;
    st = revos_pg_exec(conn, "SELECT pg_try_advisory_xact_lock(hashtext('revos-outbox:' || $1))",
                       1, params, &res, err);
    if (st != REVOS_OK || strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        PQclear(res);
        revos_pg_rollback(conn);
        return st; /* another instance is relaying */
    }
    PQclear(res);
    st = revos_pg_exec(conn,
        "SELECT id, topic, encode(key, 'hex'), encode(payload, 'hex'), key IS NULL"
        " FROM outbox WHERE producer = $1 ORDER BY id LIMIT 2000",
        1, params, &res, err);
    if (st != REVOS_OK) {
        revos_pg_rollback(conn);
        return st;
    }
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        revos_pg_rollback(conn);
        return REVOS_OK;
    }
    int64_t failed_before = stats->failed;
    int64_t delivered_before = stats->delivered;
    /* the ids published, to delete exactly those: ids are not commit-ordered,
     * so a row with a smaller id may commit after this read */
    size_t ids_cap = (size_t)rows * 21 + 3;
    char *ids = malloc(ids_cap);
    size_t ids_len = 0;
    if (ids == NULL)
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory relaying the outbox");
    else
        ids[ids_len++] = '{';
    for (int i = 0; i < rows && st == REVOS_OK; i++) {
        size_t key_len = 0, value_len = 0;
        unsigned char *key = NULL;
        if (strcmp(PQgetvalue(res, i, 4), "f") == 0)
            key = unhex(PQgetvalue(res, i, 2), &key_len);
        unsigned char *value = unhex(PQgetvalue(res, i, 3), &value_len);
        if (value == NULL || (key == NULL && strcmp(PQgetvalue(res, i, 4), "f") == 0))
            st = revos_fail(err, REVOS_ERR_FATAL, "out of memory relaying the outbox");
        else
            st = revos_kafka_produce(kafka_producer, PQgetvalue(res, i, 1), key, key_len, value,
                                     value_len, err);
        free(key);
        free(value);
        ids_len += (size_t)snprintf(ids + ids_len, ids_cap - ids_len, "%s%s", i ? "," : "",
                                    PQgetvalue(res, i, 0));
    }
    if (ids != NULL && ids_len + 2 <= ids_cap) {
        ids[ids_len++] = '}';
        ids[ids_len] = '\0';
    }
    PQclear(res);
    if (st == REVOS_OK) {
        rd_kafka_flush(kafka_producer, 30000);
        if (rd_kafka_outq_len(kafka_producer) > 0 || stats->failed != failed_before ||
            stats->delivered - delivered_before < rows)
            st = revos_fail(err, REVOS_ERR_RETRY, "outbox delivery incomplete: %s",
                            stats->last_error[0] ? stats->last_error : "timed out");
    }
    if (st == REVOS_OK) {
        const char *del_params[] = {producer, ids};
        st = revos_pg_exec(conn, "DELETE FROM outbox WHERE producer = $1 AND id = ANY($2::bigint[])",
                           2, del_params, NULL, err);
    }
    free(ids);
    if (st != REVOS_OK) {
        revos_pg_rollback(conn);
        return st;
    }
    st = revos_pg_commit(conn, err);
    if (st == REVOS_OK)
        *relayed = rows;
    return st;
}

revos_status revos_outbox_relay(PGconn *conn, rd_kafka_t *kafka_producer,
                                revos_delivery_stats *stats, const char *producer,
                                revos_metrics *metrics, revos_err *err)
{
    for (;;) {
        int relayed = 0;
        revos_status st = relay_chunk(conn, kafka_producer, stats, producer, &relayed, err);
        if (st != REVOS_OK)
            return st;
        if (relayed > 0 && metrics != NULL) {
            revos_counter *c = revos_metrics_counter(metrics, "revos_outbox_relayed_total",
                                                     "Outbox records published", NULL, NULL);
            if (c != NULL)
                revos_counter_add(c, relayed);
        }
        if (relayed < RELAY_CHUNK)
            return REVOS_OK;
    }
}
