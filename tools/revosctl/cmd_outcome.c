/* cmd_outcome.c -- revosctl ack PAGE_ID, revosctl outcome PLAY_ID --result R.
 *
 * Both publish an Outcome to revos.outcomes (revos-outcome applies it), keyed
 * by the account so it is ordered with the account's other outcomes. The
 * result is validated here with the same rule revos-outcome applies, so a
 * bad result is refused before it is published. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "avro/avro_codec.h"
#include "kafka/kafka.h"
#include "outcome/outcome_worker.h"
#include "pg/pg.h"
#include "revosctl.h"

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The account of a page or play, malloc'd, or NULL (message printed). */
static char *account_of(const revos_settings *s, const char *sql, const char *id, const char *what)
{
    PGconn *conn = revosctl_connect(s);
    if (conn == NULL)
        return NULL;
    revos_err err = {{0}, {0}};
    const char *params[] = {id};
    PGresult *res = NULL;
    char *account = NULL;
    if (revos_pg_exec(conn, sql, 1, params, &res, &err) != REVOS_OK)
        fprintf(stderr, "revosctl: %s\n", err.msg);
    else if (PQntuples(res) == 0)
        fprintf(stderr, "revosctl: no %s with id %s\n", what, id);
    else
        account = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return account;
}

static int publish(const revos_settings *s, json_t *outcome)
{
    revos_err err = {{0}, {0}};
    if (revos_outcome_validate(outcome, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        return 1;
    }
    revos_avro *codec = NULL;
    rd_kafka_t *rk = NULL;
    revos_delivery_stats stats = {0};
    uint8_t *value = NULL;
    size_t value_len = 0;
    char topic[256];
    revos_settings_topic(s, "outcomes", topic, sizeof topic);
    const char *key = json_string_value(json_object_get(outcome, "account_id"));
    int code = 1;
    if (revos_avro_open(&codec, revos_settings_get(s, "REVOS_SCHEMA_REGISTRY_URL", NULL), &err) != REVOS_OK ||
        revos_avro_encode(codec, REVOS_REC_OUTCOME, topic, outcome, &value, &value_len, &err) != REVOS_OK ||
        revos_kafka_producer_new(s, NULL, &stats, &rk, &err) != REVOS_OK ||
        revos_kafka_produce(rk, topic, key, key ? strlen(key) : 0, value, value_len, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
    } else {
        rd_kafka_flush(rk, 30000);
        if (stats.delivered == 1) {
            printf("%s\n", json_string_value(json_object_get(outcome, "outcome_id")));
            code = 0;
        } else {
            fprintf(stderr, "revosctl: outcome not delivered: %s\n", stats.last_error);
        }
    }
    free(value);
    if (rk != NULL)
        rd_kafka_destroy(rk);
    if (codec != NULL)
        revos_avro_close(codec);
    return code;
}

int cmd_ack(const revos_settings *s, const char *page_id)
{
    char *account = account_of(s, "SELECT account_id FROM route_pages WHERE page_id = $1", page_id, "page");
    if (account == NULL)
        return 1;
    const char *actor = revos_settings_get(s, "REVOS_ACTOR", "revosctl");
    char outcome_id[512];
    snprintf(outcome_id, sizeof outcome_id, "ack:%s", page_id);
    json_t *outcome = json_pack("{s:s, s:s, s:s, s:s, s:n, s:n, s:s, s:s, s:I, s:s}",
        "outcome_id", outcome_id, "kind", "ack", "result", "acknowledged", "account_id", account,
        "play_id", "task_id", "page_id", page_id, "actor", actor, "occurred_at", (json_int_t)now_ms(),
        "note", revos_settings_get(s, "REVOS_NOTE", ""));
    free(account);
    int code = outcome ? publish(s, outcome) : 1;
    json_decref(outcome);
    return code;
}

int cmd_outcome(const revos_settings *s, const char *play_id)
{
    const char *result = revos_settings_get(s, "REVOS_RESULT", NULL);
    if (result == NULL) {
        fprintf(stderr, "revosctl: outcome needs --result\n");
        return 2;
    }
    char *account = account_of(s, "SELECT account_id FROM route_plays WHERE play_id = $1", play_id, "play");
    if (account == NULL)
        return 1;
    char outcome_id[512];
    snprintf(outcome_id, sizeof outcome_id, "play:%s:%s", play_id, result);
    json_t *outcome = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:s, s:I, s:s}",
        "outcome_id", outcome_id, "kind", "play", "result", result, "account_id", account,
        "play_id", play_id, "task_id", "page_id", "actor", revos_settings_get(s, "REVOS_ACTOR", "revosctl"),
        "occurred_at", (json_int_t)now_ms(), "note", revos_settings_get(s, "REVOS_NOTE", ""));
    free(account);
    int code = outcome ? publish(s, outcome) : 1;
    json_decref(outcome);
    return code;
}
