/* cmd_timeline.c -- the settled timeline of an account, read from its
 * event-time state (workers/score/state.h):
 *
 *   revosctl timeline ACCOUNT [--kind K] [--from D] [--to D] [--json]
 *       one line per UTC day and score kind: the value and tier as of the
 *       end of that day, the latest correction winning;
 *   revosctl explain ACCOUNT --at D
 *       the same cell with its explanation, recomputed by the score
 *       engine from the stored state (revosctl_scores_at);
 *   revosctl state ACCOUNT
 *       the stored state itself as one line of JSON (keys sorted), for
 *       support and tests: it is stored as bytes (state_codec.h).
 *
 * All read what revos-score committed; nothing is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"
#include "revosctl.h"
#include "score/calendar.h"
#include "score/engine.h"
#include "score/rules.h"
#include "score/state.h"
#include "score/store.h"

/* The account's stored state (new reference), NULL when it has none. */
static json_t *load_state(PGconn *conn, const char *account_id, revos_err *err)
{
    const char *ids[] = {account_id};
    json_t *states = NULL;
    if (revos_pg_begin(conn, err) != REVOS_OK)
        return NULL;
    revos_status st = revos_score_store_load_states(conn, ids, 1, &states, err);
    revos_pg_rollback(conn); /* only read: the row lock goes with it */
    if (st != REVOS_OK)
        return NULL;
    json_t *state = json_incref(json_object_get(states, account_id));
    json_decref(states);
    if (state == NULL)
        revos_fail(err, REVOS_ERR_INPUT, "no scores for %s yet", account_id);
    return state;
}

json_t *revosctl_scores_at(PGconn *conn, const char *account_id, int64_t day, revos_err *err)
{
    json_t *state = load_state(conn, account_id, err);
    if (state == NULL)
        return NULL;
    json_t *config = NULL, *thresholds = NULL, *records = NULL, *scores = NULL;
    int64_t version = 0;
    revos_score_rules *rules = NULL;
    if (revos_pg_config_latest(conn, &config, &version, err) != REVOS_OK ||
        revos_score_rules_load(json_object_get(config, "scoring"), &rules, err) != REVOS_OK ||
        revos_score_store_load_thresholds(conn, &thresholds, err) != REVOS_OK)
        goto done;
    records = json_array();
    if (revos_score_engine_at(rules, state, thresholds, version, day, records, err) != REVOS_OK)
        goto done;
    scores = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r) {
        json_t *explanation = json_pack("{s:O, s:O, s:O, s:O}", "text",
                                        json_object_get(r, "explanation"), "contributions",
                                        json_object_get(r, "contributions"), "context",
                                        json_object_get(r, "context"), "trigger_signal_id",
                                        json_object_get(r, "trigger_signal_id"));
        json_object_set_new(scores, json_string_value(json_object_get(r, "kind")),
                            json_pack("{s:O, s:O, s:O, s:O, s:O, s:o}", "value",
                                      json_object_get(r, "value"), "tier", json_object_get(r, "tier"),
                                      "score_id", json_object_get(r, "score_id"), "config_version",
                                      json_object_get(r, "config_version"), "as_of",
                                      json_object_get(r, "as_of"), "explanation", explanation));
    }
done:
    revos_score_rules_free(rules);
    json_decref(records);
    json_decref(thresholds);
    json_decref(config);
    json_decref(state);
    return scores;
}

/* The tier names of each kind, from the scoring config in force. */
static const char *tier_name(const revos_score_rules *rules, const char *kind, int index)
{
    const revos_score_def *def = revos_score_rules_find(rules, kind);
    return def != NULL && index >= 0 && (size_t)index < def->n_tiers ? def->tiers[index].name : NULL;
}

static int parse_day_flag(const revos_settings *s, const char *name, const char *flag, int64_t fallback,
                          int64_t *out)
{
    const char *text = revos_settings_get(s, name, NULL);
    *out = fallback;
    if (text != NULL && revos_day_parse(text, out) != 0) {
        fprintf(stderr, "revosctl: %s %s is not a date (YYYY-MM-DD)\n", flag, text);
        return -1;
    }
    return 0;
}

int cmd_timeline(const revos_settings *s, const char *account)
{
    PGconn *conn = NULL;
    char *account_id = revosctl_open_account(s, account, &conn);
    if (account_id == NULL)
        return 1;
    revos_err err = {{0}, {0}};
    int code = 1;
    json_t *state = NULL, *config = NULL;
    revos_score_rules *rules = NULL;
    int64_t version = 0;
    if ((state = load_state(conn, account_id, &err)) == NULL ||
        revos_pg_config_latest(conn, &config, &version, &err) != REVOS_OK ||
        revos_score_rules_load(json_object_get(config, "scoring"), &rules, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        goto done;
    }
    const json_t *cells = json_object_get(state, "cells");
    int64_t first = revos_score_state_int(cells, "from", 0);
    int64_t last = revos_score_state_int(state, "newest_day", first);
    int64_t from, to;
    if (parse_day_flag(s, "REVOS_FROM", "--from", first, &from) != 0 ||
        parse_day_flag(s, "REVOS_TO", "--to", last, &to) != 0) {
        code = 2;
        goto done;
    }
    const char *only = revos_settings_get(s, "REVOS_KIND", NULL);
    if (only != NULL && revos_score_rules_find(rules, only) == NULL) {
        fprintf(stderr, "revosctl: --kind %s is not a score kind of the scoring config\n", only);
        code = 2;
        goto done;
    }
    int as_json = revos_settings_get(s, "REVOS_JSON", NULL) != NULL;
    if (!as_json)
        printf("%-10s  %-20s  %6s  %s\n", "day", "kind", "value", "tier");
    for (int64_t day = from < first ? first : from; day <= to && day <= last; day++) {
        char date[16];
        revos_day_format(day, date, sizeof date);
        for (size_t k = 0; k < rules->n_scores; k++) {
            const char *kind = rules->scores[k].kind;
            if (only != NULL && strcmp(only, kind) != 0)
                continue;
            size_t i = (size_t)(day - first);
            const json_t *tenths = json_array_get(json_object_get(json_object_get(cells, "k"), kind), i);
            const json_t *tier = json_array_get(json_object_get(json_object_get(cells, "t"), kind), i);
            if (!json_is_number(tenths) || json_number_value(tenths) < 0)
                continue; /* not scored that day */
            double value = json_number_value(tenths) / 10.0;
            const char *tname = tier_name(rules, kind, (int)json_number_value(tier));
            if (as_json) {
                json_t *line = json_pack("{s:s, s:s, s:s, s:f, s:s?}", "account_id", account_id,
                                         "day", date, "kind", kind, "value", value, "tier", tname);
                char *text = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
                printf("%s\n", text ? text : "{}");
                free(text);
                json_decref(line);
            } else {
                printf("%-10s  %-20s  %6.1f  %s\n", date, kind, value, tname ? tname : "");
            }
        }
    }
    code = 0;
done:
    revos_score_rules_free(rules);
    json_decref(config);
    json_decref(state);
    free(account_id);
    PQfinish(conn);
    return code;
}

int cmd_state(const revos_settings *s, const char *account)
{
    PGconn *conn = NULL;
    char *account_id = revosctl_open_account(s, account, &conn);
    if (account_id == NULL)
        return 1;
    revos_err err = {{0}, {0}};
    int code = 1;
    json_t *state = NULL;
    if ((state = load_state(conn, account_id, &err)) == NULL)
        fprintf(stderr, "revosctl: %s\n", err.msg);
    else {
        char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
        if (text != NULL && printf("%s\n", text) > 0)
            code = 0;
        free(text);
    }
    json_decref(state);
    free(account_id);
    PQfinish(conn);
    return code;
}
