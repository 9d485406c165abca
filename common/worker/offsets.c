#include "worker/offsets.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

/* Builds the three parallel arrays (topics, partitions, values) for unnest. */
typedef struct arrays {
    char *topics;
    char *partitions;
    char *values;
    char *next;
} arrays;

static void arrays_free(arrays *a)
{
    free(a->topics);
    free(a->partitions);
    free(a->values);
    free(a->next);
}

static char *int_array(const int64_t *values, size_t n)
{
    char *out = malloc(n * 22 + 3);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(out + o, "%s%" PRId64, i ? "," : "", values[i]);
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

revos_status revos_offsets_load(PGconn *conn, const char *group,
                                rd_kafka_topic_partition_list_t *parts, revos_err *err)
{
    size_t n = (size_t)parts->cnt;
    if (n == 0)
        return REVOS_OK;
    const char **topics = calloc(n, sizeof *topics);
    int64_t *partitions = calloc(n, sizeof *partitions);
    arrays a = {0};
    revos_status st = REVOS_OK;
    if (topics == NULL || partitions == NULL) {
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        topics[i] = parts->elems[i].topic;
        partitions[i] = parts->elems[i].partition;
    }
    a.topics = revos_pg_text_array(topics, n);
    a.partitions = int_array(partitions, n);
    if (a.topics == NULL || a.partitions == NULL) {
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory");
        goto done;
    }
    /* Insert the missing rows, then read all of them, in one statement. */
    const char *params[] = {group, a.topics, a.partitions};
    PGresult *res = NULL;
    st = revos_pg_exec(conn,
        "WITH wanted AS (SELECT * FROM unnest($2::text[], $3::int[]) AS w(topic, partition)),"
        " created AS (INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
        "   SELECT $1, topic, partition, -1 FROM wanted ON CONFLICT DO NOTHING"
        "   RETURNING topic, partition, next_offset)"
        " SELECT topic, partition, next_offset FROM created"
        " UNION ALL SELECT c.topic, c.partition, c.next_offset FROM consumer_offsets c"
        "   JOIN wanted w ON c.topic = w.topic AND c.partition = w.partition"
        "   WHERE c.group_id = $1",
        3, params, &res, err);
    if (st != REVOS_OK)
        goto done;
    for (int i = 0; i < parts->cnt; i++)
        parts->elems[i].offset = -1;
    for (int row = 0; row < PQntuples(res); row++) {
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(
            parts, PQgetvalue(res, row, 0), (int32_t)strtol(PQgetvalue(res, row, 1), NULL, 10));
        if (tp != NULL)
            tp->offset = strtoll(PQgetvalue(res, row, 2), NULL, 10);
    }
    PQclear(res);
done:
    arrays_free(&a);
    free(topics);
    free(partitions);
    return st;
}

revos_status revos_offsets_store(PGconn *conn, const char *group,
                                 const revos_offset_update *updates, size_t n, revos_err *err)
{
    if (n == 0)
        return REVOS_OK;
    const char **topics = calloc(n, sizeof *topics);
    int64_t *partitions = calloc(n, sizeof *partitions);
    int64_t *expected = calloc(n, sizeof *expected);
    int64_t *next = calloc(n, sizeof *next);
    arrays a = {0};
    revos_status st = REVOS_OK;
    if (topics == NULL || partitions == NULL || expected == NULL || next == NULL) {
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        topics[i] = updates[i].topic;
        partitions[i] = updates[i].partition;
        expected[i] = updates[i].expected;
        next[i] = updates[i].next;
    }
    a.topics = revos_pg_text_array(topics, n);
    a.partitions = int_array(partitions, n);
    a.values = int_array(expected, n);
    a.next = int_array(next, n);
    if (a.topics == NULL || a.partitions == NULL || a.values == NULL || a.next == NULL) {
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory");
        goto done;
    }
    const char *params[] = {group, a.topics, a.partitions, a.values, a.next};
    PGresult *res = NULL;
    st = revos_pg_exec(conn,
        "UPDATE consumer_offsets c SET next_offset = u.next, updated_at = now()"
        " FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[])"
        "   AS u(topic, partition, expected, next)"
        " WHERE c.group_id = $1 AND c.topic = u.topic AND c.partition = u.partition"
        "   AND c.next_offset = u.expected",
        5, params, &res, err);
    if (st == REVOS_OK) {
        long updated = strtol(PQcmdTuples(res), NULL, 10);
        if (updated != (long)n)
            st = revos_fail(err, REVOS_ERR_RETRY,
                            "stored offsets moved under us (%ld of %zu partitions matched): "
                            "partitions were reassigned", updated, n);
    }
    PQclear(res);
done:
    arrays_free(&a);
    free(topics);
    free(partitions);
    free(expected);
    free(next);
    return st;
}
