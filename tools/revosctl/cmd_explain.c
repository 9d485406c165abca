/* cmd_explain.c -- revosctl explain ACCOUNT [--at DATE] [--json]: "why is
 * this account 34?" in plain language, with the numbers and the evidence.
 * ACCOUNT is the account id or any external id the identity map knows (a
 * Salesforce Account Id, a domain, a Zendesk organization, ...). Without
 * --at the latest scores (score_current); with it the settled scores as of
 * the end of that UTC day, from the account's event-time state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"
#include "score/calendar.h"
#include "revosctl.h"

char *revosctl_resolve_account(PGconn *conn, const char *account, revos_err *err)
{
    const char *params[] = {account};
    PGresult *res = NULL;
    if (revos_pg_exec(conn,
            "SELECT account_id FROM score_account_state WHERE account_id = $1"
            " UNION ALL SELECT account_id FROM norm_identity WHERE account_id = $1"
            " UNION ALL SELECT account_id FROM norm_identity WHERE value = lower($1) OR value = $1"
            " LIMIT 1", 1, params, &res, err) != REVOS_OK)
        return NULL;
    char *id = PQntuples(res) > 0 ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return id;
}

static json_t *load_scores(PGconn *conn, const char *account_id, revos_err *err)
{
    const char *params[] = {account_id};
    PGresult *res = NULL;
    if (revos_pg_exec(conn,
            "SELECT kind, value, tier, score_id, config_version, as_of, explanation::text"
            " FROM score_current WHERE account_id = $1 ORDER BY kind", 1, params, &res, err) != REVOS_OK)
        return NULL;
    json_t *scores = json_object();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *explanation = json_loads(PQgetvalue(res, i, 6), JSON_DECODE_ANY, NULL);
        json_t *score = json_pack("{s:f, s:s?, s:s, s:I, s:I, s:o}",
            "value", strtod(PQgetvalue(res, i, 1), NULL),
            "tier", PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
            "score_id", PQgetvalue(res, i, 3),
            "config_version", (json_int_t)strtoll(PQgetvalue(res, i, 4), NULL, 10),
            "as_of", (json_int_t)strtoll(PQgetvalue(res, i, 5), NULL, 10),
            "explanation", explanation ? explanation : json_null());
        json_object_set_new(scores, PQgetvalue(res, i, 0), score);
    }
    PQclear(res);
    return scores;
}

static json_t *load_plays(PGconn *conn, const char *account_id, revos_err *err)
{
    const char *params[] = {account_id};
    PGresult *res = NULL;
    if (revos_pg_exec(conn,
            "SELECT play_id, play, status, arr_at_risk, save_cost, replacement_cost"
            " FROM route_plays WHERE account_id = $1 ORDER BY created_at", 1, params, &res, err) != REVOS_OK)
        return NULL;
    json_t *plays = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(plays, json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}",
            "play_id", PQgetvalue(res, i, 0), "play", PQgetvalue(res, i, 1),
            "status", PQgetvalue(res, i, 2), "arr_at_risk", strtod(PQgetvalue(res, i, 3), NULL),
            "save_cost", strtod(PQgetvalue(res, i, 4), NULL),
            "replacement_cost", strtod(PQgetvalue(res, i, 5), NULL)));
    PQclear(res);
    return plays;
}

static json_t *load_ids(PGconn *conn, const char *account_id, revos_err *err)
{
    const char *params[] = {account_id};
    PGresult *res = NULL;
    if (revos_pg_exec(conn, "SELECT kind, value FROM norm_identity WHERE account_id = $1 ORDER BY kind, value",
                      1, params, &res, err) != REVOS_OK)
        return NULL;
    json_t *ids = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(ids, json_pack("{s:s, s:s}", "kind", PQgetvalue(res, i, 0),
                                             "value", PQgetvalue(res, i, 1)));
    PQclear(res);
    return ids;
}

static const char *explanation_text(const json_t *explanation)
{
    if (json_is_string(explanation))
        return json_string_value(explanation);
    const char *text = json_string_value(json_object_get(explanation, "text"));
    return text ? text : json_string_value(json_object_get(explanation, "explanation"));
}

static void print_plain(const char *account_id, const json_t *report)
{
    const json_t *scores = json_object_get(report, "scores");
    printf("Account %s\n", account_id);
    static const char *const order[] = {"account_health", "renewal_risk", "forecast_confidence"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *score = json_object_get(scores, order[i]);
        if (score == NULL)
            continue;
        const char *tier = json_string_value(json_object_get(score, "tier"));
        printf("\n%s: %.1f%s%s%s (config version %lld)\n", order[i],
               json_real_value(json_object_get(score, "value")), tier ? " (" : "", tier ? tier : "",
               tier ? ")" : "", (long long)json_integer_value(json_object_get(score, "config_version")));
        const json_t *explanation = json_object_get(score, "explanation");
        const char *text = explanation_text(explanation);
        if (text != NULL)
            printf("  %s\n", text);
        const json_t *contributions = json_object_get(explanation, "contributions");
        size_t k;
        const json_t *c;
        json_array_foreach(contributions, k, c) {
            printf("  %+7.1f  %s", json_number_value(json_object_get(c, "points")),
                   json_string_value(json_object_get(c, "label")) ?: "");
            const json_t *evidence = json_object_get(c, "evidence_ids");
            if (json_array_size(evidence) > 0) {
                printf("  [evidence:");
                size_t e;
                const json_t *id;
                json_array_foreach(evidence, e, id) {
                    if (e == 3) {
                        printf(" +%zu more", json_array_size(evidence) - 3);
                        break;
                    }
                    printf(" %s", json_string_value(id));
                }
                printf("]");
            }
            printf("\n");
        }
    }
    const json_t *plays = json_object_get(report, "plays");
    size_t k;
    const json_t *play;
    json_array_foreach(plays, k, play) {
        printf("\nPlay %s (%s, %s): $%.0f ARR at risk, save cost $%.0f vs replacement $%.0f\n",
               json_string_value(json_object_get(play, "play")),
               json_string_value(json_object_get(play, "play_id")),
               json_string_value(json_object_get(play, "status")),
               json_number_value(json_object_get(play, "arr_at_risk")),
               json_number_value(json_object_get(play, "save_cost")),
               json_number_value(json_object_get(play, "replacement_cost")));
    }
}

char *revosctl_open_account(const revos_settings *s, const char *account, PGconn **conn)
{
    if ((*conn = revosctl_connect(s)) == NULL)
        return NULL;
    revos_err err = {{0}, {0}};
    char *account_id = revosctl_resolve_account(*conn, account, &err);
    if (account_id == NULL) {
        fprintf(stderr, "revosctl: %s\n", err.msg[0] ? err.msg : "no account known by that id");
        PQfinish(*conn);
        *conn = NULL;
    }
    return account_id;
}

int cmd_explain(const revos_settings *s, const char *account)
{
    PGconn *conn = NULL;
    char *account_id = revosctl_open_account(s, account, &conn);
    if (account_id == NULL)
        return 1;
    revos_err err = {{0}, {0}};
    int code = 1;
    json_t *report = NULL;
    const char *at = revos_settings_get(s, "REVOS_AT", NULL);
    int64_t day = 0;
    if (at != NULL && revos_day_parse(at, &day) != 0) {
        fprintf(stderr, "revosctl: --at %s is not a date (YYYY-MM-DD)\n", at);
        code = 2;
        goto done;
    }
    json_t *scores = at != NULL ? revosctl_scores_at(conn, account_id, day, &err)
                                : load_scores(conn, account_id, &err);
    json_t *plays = scores ? load_plays(conn, account_id, &err) : NULL;
    json_t *ids = plays ? load_ids(conn, account_id, &err) : NULL;
    if (ids == NULL) {
        json_decref(scores);
        json_decref(plays);
        fprintf(stderr, "revosctl: %s\n", err.msg);
        goto done;
    }
    report = json_pack("{s:s, s:o, s:o, s:o}", "account_id", account_id, "scores", scores,
                       "plays", plays, "external_ids", ids);
    if (revos_settings_get(s, "REVOS_JSON", NULL) != NULL) {
        char *text = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text ? text : "{}");
        free(text);
    } else {
        print_plain(account_id, report);
    }
    code = 0;
done:
    json_decref(report);
    free(account_id);
    PQfinish(conn);
    return code;
}
