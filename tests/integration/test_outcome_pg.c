/* test_outcome_pg.c -- revos-outcome against a real PostgreSQL
 * (REVOS_PG_DSN): outcomes close plays, record acks and tasks, count saves
 * and losses per band and tune the band's threshold; bad or repeated
 * outcomes change nothing.
 *
 * Each test runs in its own schema (t_outcome_<pid>) holding the tables of
 * workers/route/schema.sql and workers/outcome/schema.sql, and drives
 * revos_outcome_apply through a recording revos_outcome_io, one transaction
 * per batch like the worker loop. Fails without REVOS_PG_DSN. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"
#include "outcome/outcome_apply.h"

static PGconn *pg;
static char schema[64];
static json_t *config;
static json_t *emitted;
static json_t *rejected;
static json_t *counters;

/* ==== Harness ==== */

static void exec_ok(const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(res));
    PQclear(res);
}

/* First column of the first row, "<none>" / "<null>"; rotating buffers. */
static const char *scalar(const char *sql)
{
    static char bufs[4][4096];
    static unsigned next;
    char *out = bufs[next++ % 4];
    PGresult *res = PQexec(pg, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(res));
    if (PQntuples(res) == 0)
        snprintf(out, sizeof bufs[0], "<none>");
    else if (PQgetisnull(res, 0, 0))
        snprintf(out, sizeof bufs[0], "<null>");
    else
        snprintf(out, sizeof bufs[0], "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return out;
}

static void run_file(const char *relative)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/../%s", REVOS_CONFIG_DIR, relative);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char sql[65536];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[n] = '\0';
    exec_ok(sql);
}

static revos_status fake_emit(void *ctx, const char *topic, const char *key,
                              revos_record_type type, const json_t *record, revos_err *err)
{
    (void)ctx;
    (void)err;
    json_array_append_new(emitted, json_pack("{s:s, s:s?, s:i, s:O}", "topic", topic, "key", key,
                                             "type", (int)type, "record", record));
    return REVOS_OK;
}

static void fake_reject(void *ctx, const revos_msg *msg, const revos_err *why)
{
    (void)ctx;
    json_array_append_new(rejected, json_pack("{s:I, s:s, s:s}", "offset",
                                              (json_int_t)msg->offset, "cls", why->cls,
                                              "reason", why->msg));
}

static void fake_count(void *ctx, const char *metric, const char *help, int64_t n)
{
    (void)ctx;
    (void)help;
    json_int_t before = json_integer_value(json_object_get(counters, metric));
    json_object_set_new(counters, metric, json_integer(before + n));
}

/* Drops the schemas of earlier runs whose process is gone (a failed test
 * skips its teardown). */
static void drop_stale_schemas(void)
{
    PGresult *res = PQexec(pg, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_outcome\\_%'");
    for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        long pid = strtol(name + strlen("t_outcome_"), NULL, 10);
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char sql[128];
            snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", name);
            PQclear(PQexec(pg, sql));
        }
    }
    PQclear(res);
}

static void setup(void)
{
    const char *dsn = getenv("REVOS_PG_DSN");
    ck_assert_msg(dsn != NULL && *dsn != '\0', "REVOS_PG_DSN is not set (deploy/local/up --pg-only)");
    pg = PQconnectdb(dsn);
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "connect: %s", PQerrorMessage(pg));
    drop_stale_schemas();
    snprintf(schema, sizeof schema, "t_outcome_%d", (int)getpid());
    char sql[512];
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE;"
             " CREATE SCHEMA %s; SET search_path TO %s", schema, schema, schema);
    exec_ok(sql);
    run_file("workers/route/schema.sql");
    run_file("workers/outcome/schema.sql");
    run_file("workers/route/schema_eventtime.sql");
    run_file("workers/outcome/schema_band_days.sql");
    run_file("workers/score/schema.sql");
    run_file("workers/score/schema_blob.sql");
    run_file("workers/score/schema_tiers.sql");
    char path[1024];
    snprintf(path, sizeof path, "%s/outcomes.json", REVOS_CONFIG_DIR);
    json_t *outcomes = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(outcomes);
    /* The scoring section as config/scoring.json shapes it. */
    config = json_pack("{s:o, s:{s:[{s:s, s:[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}, {s:s, s:i}]}]}}",
                       "outcomes", outcomes, "scoring", "scores", "kind", "renewal_risk", "tiers",
                       "tier", "low", "min", 0, "tier", "medium", "min", 40, "tier", "high",
                       "min", 60, "tier", "critical", "min", 75);
    ck_assert_ptr_nonnull(config);
    emitted = json_array();
    rejected = json_array();
    counters = json_object();
    /* Two plays of acct-001 (critical, high), one closed play, one of acct-002. */
    exec_ok("INSERT INTO route_plays (play_id, account_id, play, trigger, severity, route, status,"
            " score_band, arr_at_risk, save_cost, replacement_cost, ev_act, ev_no_act,"
            " config_version, score_id, as_of) VALUES"
            " ('p-save', 'acct-001', 'renewal_save', 'renewal_risk', 'critical', 'renewal_risk/critical',"
            "  'open', 'critical', 180000, 14000, 54000, 94000, 27000, 7, 's-1', now()),"
            " ('p-comp', 'acct-001', 'competitor_displacement', 'competitor_threat', 'warning',"
            "  'competitor_threat/warning', 'open', 'high', 180000, 8000, 54000, 73000, 27000, 7, 's-2', now()),"
            " ('p-old', 'acct-001', 'expansion', 'expansion_trigger', 'warning', 'expansion_trigger/warning',"
            "  'churned', 'critical', 180000, 3000, 54000, 0, 0, 7, 's-0', now()),"
            " ('p-other', 'acct-002', 'renewal_save', 'renewal_risk', 'critical', 'renewal_risk/critical',"
            "  'open', 'critical', 50000, 14000, 15000, 16000, 5000, 7, 's-3', now())");
    exec_ok("INSERT INTO route_tasks (task_id, play_id, title, owner_role, due_at, cost) VALUES"
            " ('p-save:executive_sponsor_call', 'p-save', 'Executive sponsor call', 'ae', now(), 2000)");
    exec_ok("INSERT INTO route_pages (page_id, play_id, account_id, level, owner_id, owner_role,"
            " trigger, route, sla_seconds, body) VALUES"
            " ('p-save:0:u-ae', 'p-save', 'acct-001', 0, 'u-ae', 'ae', 'renewal_risk',"
            "  'renewal_risk/critical', 14400, '{}')");
}

static void teardown(void)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    exec_ok(sql);
    PQfinish(pg);
    json_decref(config);
    json_decref(emitted);
    json_decref(rejected);
    json_decref(counters);
}

/* kind, result and the one id the kind needs (page, play, task or account). */
#define DAY_MS 86400000LL
#define AT_MS 1787994000000LL /* 2026-08-29T09:00Z */

static json_t *outcome(const char *outcome_id, const char *kind, const char *result,
                       const char *subject)
{
    const char *field = strcmp(kind, "ack") == 0    ? "page_id"
                        : strcmp(kind, "play") == 0 ? "play_id"
                        : strcmp(kind, "task") == 0 ? "task_id"
                                                    : "account_id";
    json_t *o = json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:n, s:s, s:I, s:s}", "outcome_id",
                          outcome_id, "kind", kind, "result", result, "account_id", "play_id",
                          "task_id", "page_id", "actor", "revosctl", "occurred_at",
                          (json_int_t)AT_MS, "note", "");
    json_object_set_new(o, field, json_string(subject));
    return o;
}

/* outcome() on another day: days after (negative: before) 2026-08-29. */
static json_t *outcome_on(int days, const char *outcome_id, const char *kind, const char *result,
                          const char *subject)
{
    json_t *o = outcome(outcome_id, kind, result, subject);
    json_object_set_new(o, "occurred_at", json_integer((json_int_t)(AT_MS + days * DAY_MS)));
    return o;
}

static void apply_n(json_t **records, size_t n)
{
    revos_msg msgs[8];
    memset(msgs, 0, sizeof msgs);
    for (size_t i = 0; i < n; i++) {
        msgs[i].topic = "revos.outcomes";
        msgs[i].topic_suffix = "outcomes";
        msgs[i].offset = (int64_t)i;
        msgs[i].record = records[i];
        msgs[i].type = REVOS_REC_OUTCOME;
    }
    revos_outcome_io io = {.pg = pg, .config = config, .ctx = NULL, .emit = fake_emit,
                           .reject = fake_reject, .count = fake_count};
    revos_err err = {{0}, {0}};
    exec_ok("BEGIN");
    revos_status st = revos_outcome_apply(&io, msgs, n, &err);
    exec_ok(st == REVOS_OK ? "COMMIT" : "ROLLBACK");
    ck_assert_msg(st == REVOS_OK, "apply: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        json_decref(records[i]);
}

static void apply(json_t *record)
{
    apply_n(&record, 1);
}

static const json_t *change(size_t i)
{
    return json_object_get(json_array_get(emitted, i), "record");
}

static const char *reason(size_t i)
{
    return json_string_value(json_object_get(json_array_get(rejected, i), "reason"));
}

/* ==== Plays and tuning ==== */

START_TEST(renewed_play_is_closed_and_recorded_in_its_band)
{
    apply(outcome("o-1", "play", "renewed", "p-save"));
    ck_assert_str_eq(scalar("SELECT status||'/'||(closed_at = to_timestamp(1787994000)) FROM route_plays"
                            " WHERE play_id = 'p-save'"), "renewed/true");
    ck_assert_str_eq(scalar("SELECT kind||'/'||result||'/'||account_id||'/'||play_id||'/'||band||'/'||actor"
                            " FROM outcome_records WHERE outcome_id = 'o-1'"),
                     "play/renewed/acct-001/p-save/critical/revosctl");
    ck_assert_str_eq(scalar("SELECT saves||'/'||losses FROM outcome_band_stats"
                            " WHERE score_kind = 'renewal_risk' AND tier = 'critical'"), "1/0");
    ck_assert_uint_eq(json_array_size(rejected), 0);
}
END_TEST

START_TEST(walkthrough_renewed_tunes_critical_from_75_to_76_5)
{
    apply(outcome("o-1", "play", "renewed", "p-save"));
    ck_assert_uint_eq(json_array_size(emitted), 1);
    const json_t *e = json_array_get(emitted, 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "topic")), "thresholds");
    ck_assert_str_eq(json_string_value(json_object_get(e, "key")), "renewal_risk");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "type")), REVOS_REC_THRESHOLD_CHANGE);
    const json_t *c = change(0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "change_id")),
                     "renewal_risk:critical:2026-08-29");
    ck_assert_str_eq(json_string_value(json_object_get(c, "score_kind")), "renewal_risk");
    ck_assert_str_eq(json_string_value(json_object_get(c, "tier")), "critical");
    ck_assert_double_eq(json_real_value(json_object_get(c, "old_threshold")), 75.0);
    ck_assert_double_eq(json_real_value(json_object_get(c, "new_threshold")), 76.5);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "saves")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "losses")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "outcome_id")), "o-1");
    /* in force from the start of the outcome's UTC day */
    ck_assert_int_eq(json_integer_value(json_object_get(c, "occurred_at")), AT_MS / DAY_MS * DAY_MS);
    ck_assert_str_eq(json_string_value(json_object_get(c, "rule")),
                     "critical: 1 save(s), 0 loss(es); r = (1 + 1) / (1 + 0 + 2) = 0.6667; "
                     "75 + 10 x (0.6667 - 0.5) = 76.67; rounded to 0.5 -> 76.5 (bounds 65..85)");
    ck_assert_str_eq(scalar("SELECT threshold||'/'||change_id FROM outcome_band_stats WHERE tier = 'critical'"),
                     "76.5/renewal_risk:critical:2026-08-29");
}
END_TEST

START_TEST(redelivered_outcome_changes_nothing)
{
    apply(outcome("o-1", "play", "renewed", "p-save"));
    apply(outcome("o-1", "play", "renewed", "p-save"));
    ck_assert_uint_eq(json_array_size(emitted), 1);
    ck_assert_str_eq(scalar("SELECT saves||'/'||losses FROM outcome_band_stats WHERE tier = 'critical'"), "1/0");
    ck_assert_str_eq(scalar("SELECT count(*) FROM outcome_records"), "1");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_outcomes_duplicate_total")), 1);
}
END_TEST

START_TEST(second_outcome_for_a_closed_play_is_recorded_without_effect)
{
    apply(outcome("o-1", "play", "renewed", "p-save"));
    apply(outcome("o-2", "play", "churned", "p-save"));
    ck_assert_str_eq(scalar("SELECT status FROM route_plays WHERE play_id = 'p-save'"), "renewed");
    ck_assert_str_eq(scalar("SELECT saves||'/'||losses FROM outcome_band_stats WHERE tier = 'critical'"), "1/0");
    ck_assert_str_eq(scalar("SELECT count(*) FROM outcome_records"), "2");
    ck_assert_uint_eq(json_array_size(emitted), 1);
}
END_TEST

START_TEST(losses_lower_the_threshold)
{
    apply(outcome("o-1", "play", "churned", "p-save"));
    ck_assert_uint_eq(json_array_size(emitted), 1);
    ck_assert_double_eq(json_real_value(json_object_get(change(0), "new_threshold")), 73.5);
    ck_assert_int_eq(json_integer_value(json_object_get(change(0), "losses")), 1);
}
END_TEST

START_TEST(reassigned_and_blocked_close_the_play_but_do_not_count)
{
    json_t *batch[2] = {outcome("o-1", "play", "reassigned", "p-save"),
                        outcome("o-2", "play", "blocked", "p-comp")};
    apply_n(batch, 2);
    ck_assert_str_eq(scalar("SELECT string_agg(play_id||':'||status, ',' ORDER BY play_id) FROM route_plays"
                            " WHERE play_id IN ('p-save', 'p-comp')"), "p-comp:blocked,p-save:reassigned");
    ck_assert_str_eq(scalar("SELECT count(*) FROM outcome_band_stats"), "0");
    ck_assert_uint_eq(json_array_size(emitted), 0);
}
END_TEST

START_TEST(a_second_outcome_the_same_day_replaces_that_days_threshold)
{
    apply(outcome("o-1", "play", "renewed", "p-save"));
    apply(outcome("o-2", "play", "renewed", "p-other")); /* s = 2: r = 3/4 -> 77.5 */
    ck_assert_uint_eq(json_array_size(emitted), 2);
    ck_assert_double_eq(json_real_value(json_object_get(change(1), "old_threshold")), 76.5);
    ck_assert_double_eq(json_real_value(json_object_get(change(1), "new_threshold")), 77.5);
    ck_assert_str_eq(json_string_value(json_object_get(change(1), "change_id")),
                     "renewal_risk:critical:2026-08-29");
    ck_assert_str_eq(json_string_value(json_object_get(change(1), "outcome_id")), "o-2");
}
END_TEST

/* The threshold in force per day, from the changes emitted so far (the
 * last of each change_id), as "YYYY-MM-DD=value,..." in day order. */
static const char *in_force_by_day(void)
{
    json_t *last = json_object();
    for (size_t i = 0; i < json_array_size(emitted); i++)
        json_object_set(last, json_string_value(json_object_get(change(i), "change_id")),
                        json_object_get(change(i), "new_threshold"));
    static char out[1024];
    out[0] = '\0';
    const char *id;
    json_t *v;
    /* ids end in the date, and every id here has the same prefix */
    const char *keys[64];
    size_t n = 0;
    json_object_foreach (last, id, v)
        if (n < 64)
            keys[n++] = id;
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            if (strcmp(keys[k], keys[i]) < 0) {
                const char *t = keys[i];
                keys[i] = keys[k];
                keys[k] = t;
            }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, sizeof out - len, "%s%s=%g", len ? "," : "",
                 strrchr(keys[i], ':') + 1, json_real_value(json_object_get(last, keys[i])));
    }
    json_decref(last);
    return out;
}

START_TEST(a_late_outcome_retunes_its_day_and_every_later_one)
{
    /* a save on 09-08 arrives first, then a loss from 08-29 */
    apply(outcome_on(10, "o-save", "play", "renewed", "p-save"));
    ck_assert_str_eq(in_force_by_day(), "2026-09-08=76.5");
    apply(outcome("o-loss", "play", "churned", "p-other"));
    ck_assert_uint_eq(json_array_size(emitted), 3);
    /* from 08-29: 0 saves 1 loss; from 09-08: 1 and 1 */
    ck_assert_str_eq(in_force_by_day(), "2026-08-29=73.5,2026-09-08=75");
    ck_assert_double_eq(json_real_value(json_object_get(change(2), "old_threshold")), 76.5);
    ck_assert_int_eq(json_integer_value(json_object_get(change(2), "saves")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(change(2), "losses")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(change(2), "outcome_id")), "o-loss");
    ck_assert_str_eq(scalar("SELECT threshold||'/'||change_id FROM outcome_band_stats WHERE tier = 'critical'"),
                     "75/renewal_risk:critical:2026-09-08");
}
END_TEST

START_TEST(the_thresholds_in_force_do_not_depend_on_arrival_order)
{
    /* in event order */
    apply(outcome("o-loss", "play", "churned", "p-other"));
    apply(outcome_on(10, "o-save", "play", "renewed", "p-save"));
    const char *ordered = in_force_by_day();
    char kept[1024];
    snprintf(kept, sizeof kept, "%s", ordered);
    ck_assert_str_eq(kept, "2026-08-29=73.5,2026-09-08=75");
    /* the same two outcomes in the other order, on fresh state */
    teardown();
    setup();
    apply(outcome_on(10, "o-save", "play", "renewed", "p-save"));
    apply(outcome("o-loss", "play", "churned", "p-other"));
    ck_assert_str_eq(in_force_by_day(), kept);
}
END_TEST

START_TEST(a_withdrawn_play_takes_its_day_back_to_the_base)
{
    apply(outcome("crm-1", "crm_renewal", "renewed", "acct-002")); /* p-other: a save */
    ck_assert_str_eq(in_force_by_day(), "2026-08-29=76.5");
    /* a correction superseded the play: reconcile takes it out of the band */
    exec_ok("UPDATE route_plays SET status = 'superseded' WHERE play_id = 'p-other'");
    exec_ok("BEGIN");
    revos_outcome_io io = {.pg = pg, .config = config, .emit = fake_emit, .reject = fake_reject,
                           .count = fake_count};
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_outcome_reconcile(&io, &err) == REVOS_OK, "reconcile: %s", err.msg);
    exec_ok("COMMIT");
    /* 0 saves 0 losses: below min_outcomes, the base is in force again */
    ck_assert_str_eq(in_force_by_day(), "2026-08-29=75");
    ck_assert_str_eq(scalar("SELECT saves||'/'||losses FROM outcome_band_stats WHERE tier = 'critical'"), "0/0");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_outcome_plays_uncounted_total")), 1);
}
END_TEST

START_TEST(band_without_base_threshold_is_counted_not_tuned)
{
    json_object_set_new(config, "scoring", json_object());
    apply(outcome("o-1", "play", "renewed", "p-save"));
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_str_eq(scalar("SELECT saves FROM outcome_band_stats WHERE tier = 'critical'"), "1");
}
END_TEST

/* ==== CRM renewals ==== */

START_TEST(crm_renewal_closes_every_open_play_of_the_account)
{
    apply(outcome("crm-1", "crm_renewal", "churned", "acct-001"));
    ck_assert_str_eq(scalar("SELECT string_agg(play_id||':'||status, ',' ORDER BY play_id) FROM route_plays"),
                     "p-comp:churned,p-old:churned,p-other:open,p-save:churned");
    ck_assert_str_eq(scalar("SELECT string_agg(outcome_id||':'||coalesce(play_id, '-')||':'||coalesce(band, '-'),"
                            " ',' ORDER BY outcome_id) FROM outcome_records"),
                     "crm-1:-:-,crm-1:p-comp:p-comp:high,crm-1:p-save:p-save:critical");
    ck_assert_str_eq(scalar("SELECT string_agg(tier||':'||saves||'/'||losses, ',' ORDER BY tier)"
                            " FROM outcome_band_stats"), "critical:0/1,high:0/1");
}
END_TEST

START_TEST(crm_renewal_tunes_each_band_it_touched)
{
    apply(outcome("crm-1", "crm_renewal", "churned", "acct-001"));
    ck_assert_uint_eq(json_array_size(emitted), 2);
    /* plays in id order: p-comp (high) then p-save (critical) */
    ck_assert_str_eq(json_string_value(json_object_get(change(0), "change_id")),
                     "renewal_risk:high:2026-08-29");
    ck_assert_double_eq(json_real_value(json_object_get(change(0), "old_threshold")), 60.0);
    ck_assert_double_eq(json_real_value(json_object_get(change(0), "new_threshold")), 58.5);
    ck_assert_str_eq(json_string_value(json_object_get(change(1), "change_id")),
                     "renewal_risk:critical:2026-08-29");
    ck_assert_double_eq(json_real_value(json_object_get(change(1), "new_threshold")), 73.5);
}
END_TEST

/* revos-score has scored the account up to day (score_account_state). */
static void scored_up_to(const char *account, int day)
{
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO score_account_state (account_id, newest_day) VALUES ('%s', %d)",
             account, day);
    exec_ok(sql);
}

static void reconcile(void)
{
    exec_ok("BEGIN");
    revos_outcome_io io = {.pg = pg, .config = config, .emit = fake_emit, .reject = fake_reject,
                           .count = fake_count};
    revos_err err = {{0}, {0}};
    ck_assert_msg(revos_outcome_reconcile(&io, &err) == REVOS_OK, "reconcile: %s", err.msg);
    exec_ok("COMMIT");
}

/* In a backfill revos-outcome runs ahead of revos-score: a renewal no play
 * covered waits until revos-score has published a cell of the account on
 * or after its day, then counts in the tier of the day before. */
START_TEST(crm_renewal_without_open_plays_waits_for_scores_then_counts)
{
    apply(outcome("crm-1", "crm_renewal", "renewed", "acct-999"));
    ck_assert_str_eq(scalar("SELECT kind||'/'||result||'/'||account_id||'/'||coalesce(band, '<waiting>')"
                            " FROM outcome_records"),
                     "crm_renewal/renewed/acct-999/<waiting>");
    ck_assert_str_eq(scalar("SELECT count(*) FROM outcome_band_stats"), "0");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_outcomes_waiting_for_scores_total")), 1);
    reconcile(); /* still nothing scored that far */
    ck_assert_str_eq(scalar("SELECT count(*) FROM outcome_band_stats"), "0");
    /* revos-score reaches the outcome's day (2026-08-29, day 20694); no
     * tier before it: the first band, low, which confirms and tunes nothing */
    scored_up_to("acct-999", 20694);
    reconcile();
    ck_assert_str_eq(scalar("SELECT band FROM outcome_records"), "low");
    ck_assert_str_eq(scalar("SELECT tier||':'||saves||'/'||losses FROM outcome_band_stats"), "low:1/0");
    reconcile(); /* counted once */
    ck_assert_str_eq(scalar("SELECT tier||':'||saves||'/'||losses FROM outcome_band_stats"), "low:1/0");
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_uint_eq(json_array_size(rejected), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_outcomes_without_play_total")), 1);
}
END_TEST

/* Counted as a renewal without a play, then revos-route opens the play the
 * outcome closed (the score cells reached it later): the play's band counts
 * instead, and the first count is taken back. */
START_TEST(a_play_opened_after_its_outcome_replaces_the_count_without_a_play)
{
    exec_ok("INSERT INTO score_tiers (account_id, kind, day, tier) VALUES"
            " ('acct-555', 'renewal_risk', 20690, 'high')");
    scored_up_to("acct-555", 20694);
    apply(outcome("crm-5", "crm_renewal", "churned", "acct-555"));
    ck_assert_str_eq(scalar("SELECT string_agg(tier||':'||saves||'/'||losses, ',' ORDER BY tier)"
                            " FROM outcome_band_stats"), "critical:0/1,high:0/1");
    exec_ok("INSERT INTO route_plays (play_id, account_id, play, trigger, severity, route, status,"
            " score_band, arr_at_risk, save_cost, replacement_cost, ev_act, ev_no_act, config_version,"
            " score_id, as_of, closed_by, closed_at) VALUES"
            " ('p-late', 'acct-555', 'renewal_save', 'renewal_risk', 'critical', 'renewal_risk/critical',"
            "  'churned', 'critical', 90000, 14000, 27000, 40000, 9000, 7, 's-9', now(), 'crm-5',"
            "  to_timestamp(1787994000))");
    reconcile();
    ck_assert_str_eq(scalar("SELECT band FROM outcome_records WHERE outcome_id = 'crm-5'"), "covered:high");
    ck_assert_str_eq(scalar("SELECT string_agg(tier||':'||saves||'/'||losses, ',' ORDER BY tier)"
                            " FROM outcome_band_stats"), "critical:0/1,high:0/0");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_outcomes_without_play_withdrawn_total")), 1);
    reconcile(); /* taken back once */
    ck_assert_str_eq(scalar("SELECT string_agg(tier||':'||saves||'/'||losses, ',' ORDER BY tier)"
                            " FROM outcome_band_stats"), "critical:0/1,high:0/0");
}
END_TEST

/* The band of a renewal without a play is the account's tier at the end
 * of the day before the outcome's (its own day scores without the renewal
 * it closed), as revos-score published it. */
START_TEST(a_loss_without_a_play_counts_in_its_band_and_as_a_miss_above)
{
    /* 2026-08-29 is day 20694: high from day 20680, medium again later */
    exec_ok("INSERT INTO score_tiers (account_id, kind, day, tier) VALUES"
            " ('acct-777', 'renewal_risk', 20600, 'medium'),"
            " ('acct-777', 'renewal_risk', 20680, 'high'),"
            " ('acct-777', 'renewal_risk', 20694, 'low'),"
            " ('acct-777', 'renewal_risk', 20700, 'medium'),"
            " ('acct-777', 'account_health', 20690, 'low')");
    scored_up_to("acct-777", 20700);
    apply(outcome("crm-1", "crm_renewal", "churned", "acct-777"));
    ck_assert_str_eq(scalar("SELECT band FROM outcome_records"), "high");
    ck_assert_str_eq(scalar("SELECT string_agg(tier||':'||saves||'/'||losses, ',' ORDER BY tier)"
                            " FROM outcome_band_stats"), "critical:0/1,high:0/1");
    /* high: 60 + 10 x (1/3 - 0.5) = 58.3 -> 58.5; critical (the miss) 73.5 */
    ck_assert_uint_eq(json_array_size(emitted), 2);
    ck_assert_str_eq(json_string_value(json_object_get(change(0), "change_id")), "renewal_risk:high:2026-08-29");
    ck_assert_double_eq(json_real_value(json_object_get(change(0), "new_threshold")), 58.5);
    ck_assert_str_eq(json_string_value(json_object_get(change(1), "change_id")),
                     "renewal_risk:critical:2026-08-29");
    ck_assert_double_eq(json_real_value(json_object_get(change(1), "new_threshold")), 73.5);
    /* a renewal of a flagged account without a play raises its band again:
     * high 1 save 1 loss -> r = 0.5 -> back to the base 60 */
    exec_ok("INSERT INTO score_tiers (account_id, kind, day, tier) VALUES"
            " ('acct-778', 'renewal_risk', 20690, 'high')");
    scored_up_to("acct-778", 20694);
    apply(outcome("crm-2", "crm_renewal", "renewed", "acct-778"));
    ck_assert_uint_eq(json_array_size(emitted), 3);
    ck_assert_double_eq(json_real_value(json_object_get(change(2), "new_threshold")), 60.0);
}
END_TEST

/* ==== Acks and tasks ==== */

START_TEST(ack_records_the_page_acknowledgement_once)
{
    json_t *ack = outcome("a-1", "ack", "acknowledged", "p-save:0:u-ae");
    json_object_set_new(ack, "actor", json_string("u-ae"));
    apply(ack);
    ck_assert_str_eq(scalar("SELECT acked_by||'/'||(acked_at = to_timestamp(1787994000))||'/'||outcome_id"
                            " FROM page_acks"), "u-ae/true/a-1");
    ck_assert_str_eq(scalar("SELECT account_id||'/'||play_id||'/'||page_id FROM outcome_records"),
                     "acct-001/p-save/p-save:0:u-ae");
    apply(outcome("a-2", "ack", "acknowledged", "p-save:0:u-ae")); /* a second ack */
    ck_assert_str_eq(scalar("SELECT count(*)||'/'||min(outcome_id) FROM page_acks"), "1/a-1");
    ck_assert_str_eq(scalar("SELECT status FROM route_plays WHERE play_id = 'p-save'"), "open");
}
END_TEST

START_TEST(ack_for_an_unknown_page_is_rejected)
{
    apply(outcome("a-1", "ack", "acknowledged", "no-such-page"));
    ck_assert_uint_eq(json_array_size(rejected), 1);
    ck_assert_str_eq(reason(0), "ack for unknown page_id 'no-such-page'");
    ck_assert_str_eq(scalar("SELECT count(*) FROM outcome_records"), "0");
}
END_TEST

START_TEST(task_outcome_sets_the_task_status_and_note)
{
    json_t *o = outcome("t-1", "task", "blocked", "p-save:executive_sponsor_call");
    json_object_set_new(o, "note", json_string("sponsor on leave until May"));
    apply(o);
    ck_assert_str_eq(scalar("SELECT status||'/'||result FROM route_tasks"),
                     "blocked/sponsor on leave until May");
    ck_assert_str_eq(scalar("SELECT play_id FROM outcome_records"), "p-save");
    ck_assert_str_eq(scalar("SELECT status FROM route_plays WHERE play_id = 'p-save'"), "open");
    ck_assert_uint_eq(json_array_size(emitted), 0);
}
END_TEST

/* ==== Rejections ==== */

START_TEST(done_is_rejected_with_the_valid_results)
{
    apply(outcome("o-1", "play", "done", "p-save"));
    ck_assert_uint_eq(json_array_size(rejected), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rejected, 0), "cls")), "validation");
    ck_assert_str_eq(reason(0), "outcome result 'done' is not valid: expected one of renewed, churned, "
                                "expanded, lost, reassigned, blocked");
    ck_assert_str_eq(scalar("SELECT status FROM route_plays WHERE play_id = 'p-save'"), "open");
    ck_assert_str_eq(scalar("SELECT count(*) FROM outcome_records"), "0");
}
END_TEST

START_TEST(unknown_play_or_task_is_rejected_and_the_batch_goes_on)
{
    json_t *batch[3] = {outcome("o-1", "play", "renewed", "p-nope"),
                        outcome("o-2", "task", "renewed", "t-nope"),
                        outcome("o-3", "play", "renewed", "p-save")};
    apply_n(batch, 3);
    ck_assert_uint_eq(json_array_size(rejected), 2);
    ck_assert_str_eq(reason(0), "outcome for unknown play_id 'p-nope'");
    ck_assert_str_eq(reason(1), "outcome for unknown task_id 't-nope'");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rejected, 1), "offset")), 1);
    ck_assert_str_eq(scalar("SELECT string_agg(outcome_id, ',') FROM outcome_records"), "o-3");
    ck_assert_uint_eq(json_array_size(emitted), 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("outcome_pg");
    TCase *p = tcase_create("plays");
    tcase_add_checked_fixture(p, setup, teardown);
    tcase_set_timeout(p, 60);
    tcase_add_test(p, renewed_play_is_closed_and_recorded_in_its_band);
    tcase_add_test(p, walkthrough_renewed_tunes_critical_from_75_to_76_5);
    tcase_add_test(p, redelivered_outcome_changes_nothing);
    tcase_add_test(p, second_outcome_for_a_closed_play_is_recorded_without_effect);
    tcase_add_test(p, losses_lower_the_threshold);
    tcase_add_test(p, reassigned_and_blocked_close_the_play_but_do_not_count);
    tcase_add_test(p, a_second_outcome_the_same_day_replaces_that_days_threshold);
    tcase_add_test(p, a_late_outcome_retunes_its_day_and_every_later_one);
    tcase_add_test(p, the_thresholds_in_force_do_not_depend_on_arrival_order);
    tcase_add_test(p, a_withdrawn_play_takes_its_day_back_to_the_base);
    tcase_add_test(p, band_without_base_threshold_is_counted_not_tuned);
    suite_add_tcase(s, p);
    TCase *c = tcase_create("crm");
    tcase_add_checked_fixture(c, setup, teardown);
    tcase_set_timeout(c, 60);
    tcase_add_test(c, crm_renewal_closes_every_open_play_of_the_account);
    tcase_add_test(c, crm_renewal_tunes_each_band_it_touched);
    tcase_add_test(c, crm_renewal_without_open_plays_waits_for_scores_then_counts);
    tcase_add_test(c, a_play_opened_after_its_outcome_replaces_the_count_without_a_play);
    tcase_add_test(c, a_loss_without_a_play_counts_in_its_band_and_as_a_miss_above);
    suite_add_tcase(s, c);
    TCase *a = tcase_create("acks_tasks");
    tcase_add_checked_fixture(a, setup, teardown);
    tcase_set_timeout(a, 60);
    tcase_add_test(a, ack_records_the_page_acknowledgement_once);
    tcase_add_test(a, ack_for_an_unknown_page_is_rejected);
    tcase_add_test(a, task_outcome_sets_the_task_status_and_note);
    suite_add_tcase(s, a);
    TCase *r = tcase_create("rejections");
    tcase_add_checked_fixture(r, setup, teardown);
    tcase_set_timeout(r, 60);
    tcase_add_test(r, done_is_rejected_with_the_valid_results);
    tcase_add_test(r, unknown_play_or_task_is_rejected_and_the_batch_goes_on);
    suite_add_tcase(s, r);
    return s;
}

int main(void)
{
    revos_log_init("test_outcome_pg", REVOS_LOG_ERROR);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
