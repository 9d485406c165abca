/* test_route_pg.c -- revos-route against a real PostgreSQL (REVOS_PG_DSN):
 * decisions written and emitted once, one open play per account, pages sent
 * once with backoff, escalation when nobody acknowledges within the SLA.
 *
 * Each test runs in its own schema (t_route_<pid>) holding the tables of
 * workers/route/schema.sql and workers/outcome/schema.sql, and drives
 * revos_route_apply / revos_pager_tick through a recording revos_route_io,
 * one transaction per call like the worker loop. Fails without
 * REVOS_PG_DSN. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include <unistd.h>

#include "config/settings.h"
#include "log/log.h"
#include "route/decide.h"
#include "route/pager.h"
#include "route/route_apply.h"

#define HOUR_MS 3600000LL

static PGconn *pg;
static char schema[64];
static json_t *config;
static revos_settings settings;
static json_t *emitted;   /* [{topic, key, type, record}] */
static json_t *rejected;  /* [{offset, cls, reason}] */
static json_t *posted;    /* [{url, secret, format, page}] */
static json_t *counters;  /* {metric: n} */
static revos_status script[64]; /* what the next posts return; OK after the end */
static int post_sleep_ms;       /* how long each post takes */
static int64_t post_budget_ms;  /* io.post_budget_ms */
static size_t n_script, script_pos;
static int64_t t0;        /* wall clock at setup, ms */

/* ==== Harness ==== */

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void exec_ok(const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(res));
    PQclear(res);
}

/* The first column of the first row as text, "<none>" without rows,
 * "<null>" for NULL (in one of four rotating buffers). */
static const char *scalar(const char *sql)
{
    static char bufs[4][8192];
    static unsigned next;
    char *out = bufs[next++ % 4];
    const size_t cap = sizeof bufs[0];
    PGresult *res = PQexec(pg, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(res));
    if (PQntuples(res) == 0)
        snprintf(out, cap, "<none>");
    else if (PQgetisnull(res, 0, 0))
        snprintf(out, cap, "<null>");
    else
        snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
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

static json_t *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", REVOS_CONFIG_DIR, name);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s: %s", path, jerr.text);
    return doc;
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

static void fake_count_by(void *ctx, const char *metric, const char *help, const char *label,
                          const char *value, int64_t n)
{
    char key[192];
    snprintf(key, sizeof key, "%s{%s=%s}", metric, label, value);
    fake_count(ctx, key, help, n);
}

static revos_status fake_post(void *ctx, const revos_route_destination *dest, const json_t *page,
                              int64_t now_unix, revos_err *err)
{
    (void)ctx;
    (void)now_unix;
    if (post_sleep_ms > 0)
        usleep((useconds_t)post_sleep_ms * 1000);
    json_array_append_new(posted, json_pack("{s:s, s:s?, s:s, s:O}", "url", dest->url, "secret",
                                            dest->secret, "format", dest->format, "page", page));
    revos_status st = script_pos < n_script ? script[script_pos++] : REVOS_OK;
    if (st != REVOS_OK)
        revos_fail(err, st, "scripted failure %zu", script_pos);
    return st;
}

static revos_route_io io(void)
{
    revos_route_io x = {
        .pg = pg, .config = config, .config_version = 7, .settings = &settings, .ctx = NULL,
        .emit = fake_emit, .reject = fake_reject, .count = fake_count,
        .count_by = fake_count_by, .post = fake_post,
        .post_budget_ms = post_budget_ms,
    };
    return x;
}

static void use_settings(const char *url)
{
    revos_settings_free(&settings);
    char flag_url[512];
    snprintf(flag_url, sizeof flag_url, "--page-webhook-url=%s", url ? url : "");
    char *argv[] = {"test", flag_url, "--page-webhook-secret=s3cret", NULL};
    revos_err err = {{0}, {0}};
    ck_assert_int_eq(revos_settings_parse(&settings, 3, argv, &err), REVOS_OK);
}

/* Drops the schemas of earlier runs whose process is gone (a failed test
 * skips its teardown). */
static void drop_stale_schemas(void)
{
    PGresult *res = PQexec(pg, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_route\\_%'");
    for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        long pid = strtol(name + strlen("t_route_"), NULL, 10);
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
    snprintf(schema, sizeof schema, "t_route_%d", (int)getpid());
    char sql[512];
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE;"
             " CREATE SCHEMA %s; SET search_path TO %s", schema, schema, schema);
    exec_ok(sql);
    run_file("workers/route/schema.sql");
    run_file("workers/outcome/schema.sql");
    run_file("workers/route/schema_eventtime.sql");
    config = json_object();
    json_object_set_new(config, "routing", load("routing.json"));
    json_object_set_new(config, "plays", load("plays.json"));
    /* the fixtures' conditions (2026-08-29) stay live; pages go out at once */
    json_object_set_new(json_object_get(config, "routing"), "live_horizon", json_string("366d"));
    json_object_set_new(json_object_get(config, "routing"), "page_wait", json_integer(0));
    memset(&settings, 0, sizeof settings);
    use_settings("http://pages.test/hook");
    emitted = json_array();
    rejected = json_array();
    posted = json_array();
    counters = json_object();
    n_script = script_pos = 0;
    post_sleep_ms = 0;
    post_budget_ms = 0;
    t0 = wall_ms() + 1000;
}

static void teardown(void)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    exec_ok(sql);
    PQfinish(pg);
    revos_settings_free(&settings);
    json_decref(config);
    json_decref(emitted);
    json_decref(rejected);
    json_decref(posted);
    json_decref(counters);
}

/* A renewal_risk update of acct-001 (the walkthrough's account) as of
 * as_of, revision revision of its cell. */
static json_t *update_at(const char *score_id, const char *tier, const char *previous_tier,
                         const char *derived, int64_t as_of, int revision)
{
    json_t *u = json_pack(
        "{s:s, s:s, s:s, s:f, s:s?, s:s?, s:I, s:I, s:s, s:[], s:s,"
        " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "score_id", score_id, "account_id", "acct-001", "kind", "renewal_risk", "value", 82.5,
        "tier", tier, "previous_tier", previous_tier, "as_of", (json_int_t)as_of,
        "config_version", (json_int_t)3, "trigger_signal_id", "sig", "contributions",
        "explanation", "Renewal risk 82.5: usage -35%, champion left, NPS 3.", "context", "arr",
        "180000", "renewal_date", "2026-12-08", "ae", "005Dn000AE01AAA", "csm",
        "005Dn000CS01AAA", "csm_lead", "005Dn000CL01AAA", "name",
        "Lincoln Unified School District", "forecast_confidence", "15", "renewal_risk_tier",
        tier ? tier : "critical", "derived", derived ? derived : "");
    json_object_set_new(u, "revision", json_integer(revision));
    return u;
}

static json_t *update(const char *score_id, const char *tier, const char *previous_tier,
                      const char *derived)
{
    return update_at(score_id, tier, previous_tier, derived, 1787994000000LL, 0);
}

static json_t *walkthrough(void)
{
    return update("acct-001:renewal_risk:sig-9", "critical", "high",
                  "champion_changed:critical,usage_down:warning");
}

/* Runs one batch in its own transaction, like the worker loop. */
static revos_status process_n(json_t **records, size_t n)
{
    revos_msg msgs[8];
    memset(msgs, 0, sizeof msgs);
    for (size_t i = 0; i < n; i++) {
        msgs[i].topic = "revos.scores";
        msgs[i].topic_suffix = "scores";
        msgs[i].offset = (int64_t)i;
        msgs[i].record = records[i];
        msgs[i].type = REVOS_REC_SCORE_UPDATE;
    }
    revos_route_io x = io();
    revos_err err = {{0}, {0}};
    exec_ok("BEGIN");
    revos_status st = revos_route_apply(&x, msgs, n, &err);
    exec_ok(st == REVOS_OK ? "COMMIT" : "ROLLBACK");
    ck_assert_msg(st == REVOS_OK, "apply: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        json_decref(records[i]);
    return st;
}

static void process(json_t *record)
{
    process_n(&record, 1);
}

static void tick(int64_t now_ms)
{
    revos_route_io x = io();
    revos_err err = {{0}, {0}};
    exec_ok("BEGIN");
    revos_status st = revos_pager_tick(&x, now_ms, &err);
    exec_ok(st == REVOS_OK ? "COMMIT" : "ROLLBACK");
    ck_assert_msg(st == REVOS_OK, "tick: %s", err.msg);
}

static const char *kind_of(size_t i)
{
    return json_string_value(json_object_get(json_object_get(json_array_get(emitted, i), "record"), "kind"));
}

static const json_t *action(size_t i)
{
    return json_object_get(json_array_get(emitted, i), "record");
}

static const char *play_id(void)
{
    static char id[256];
    snprintf(id, sizeof id, "%s", scalar("SELECT play_id FROM route_plays"));
    return id;
}

/* printf with one string argument into one of four rotating buffers, so
 * both sides of an assertion may use it. */
static const char *sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *sqlf(const char *fmt, ...)
{
    static char sql[4][1024];
    static unsigned next;
    char *out = sql[next++ % 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, sizeof sql[0], fmt, ap);
    va_end(ap);
    return out;
}

/* ==== Decisions ==== */

START_TEST(walkthrough_update_opens_renewal_save_with_its_financial_frame)
{
    process(walkthrough());
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays"), "1");
    ck_assert_str_eq(scalar("SELECT play||'/'||status||'/'||score_band||'/'||round(arr_at_risk)||'/'"
                            "||round(save_cost)||'/'||round(replacement_cost)||'/'||round(ev_act)||'/'"
                            "||round(ev_no_act)||'/'||config_version||'/'||route FROM route_plays"),
                     "renewal_save/open/critical/180000/14000/54000/94000/27000/7/renewal_risk/critical");
    char *want = revos_route_play_id("acct-001", "renewal_save", "renewal_risk",
                                     "acct-001:renewal_risk:sig-9");
    ck_assert_str_eq(play_id(), want);
    free(want);
}
END_TEST

START_TEST(walkthrough_play_has_three_tasks_in_dependency_order)
{
    process(walkthrough());
    ck_assert_str_eq(
        scalar("SELECT string_agg(title||'|'||owner_role||'|'||owner_id||'|'||cost||'|'"
               "||cardinality(depends_on)||'|'||status, ';' ORDER BY due_at) FROM route_tasks"),
        "Executive sponsor call|ae|005Dn000AE01AAA|2000|0|open;"
        "Usage recovery workshop|csm_lead|005Dn000CL01AAA|6000|1|open;"
        "Renewal proposal with multi-year incentive|ae|005Dn000AE01AAA|6000|1|open");
    ck_assert_str_eq(scalar(sqlf("SELECT depends_on[1] FROM route_tasks WHERE task_id = '%s:usage_recovery_workshop'",
                                 play_id())),
                     sqlf("%s:executive_sponsor_call", play_id()));
    ck_assert_str_eq(scalar("SELECT sum(cost) FROM route_tasks"), "14000");
}
END_TEST

START_TEST(walkthrough_pages_the_csm_lead_and_ae_and_the_notices_owners)
{
    process(walkthrough());
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(owner_role||'@'||level||'/'||status||'/'||sla_seconds,"
                                 " ',' ORDER BY page_id) FROM route_pages WHERE play_id = '%s'",
                                 play_id())),
                     "ae@0/pending/14400,csm_lead@0/pending/14400");
    ck_assert_str_eq(scalar("SELECT string_agg(trigger||':'||owner_role||'/'||sla_seconds, ',' ORDER BY trigger)"
                            " FROM route_pages WHERE play_id LIKE 'notice:%'"),
                     "champion_departed:ae/86400");
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_play_events WHERE NOT attached"), "2");
    /* the critical play absorbs the same update's adoption decay (routing.inhibit) */
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(trigger, ',') FROM route_play_events"
                                 " WHERE attached AND play_id = '%s'", play_id())),
                     "adoption_decay");
}
END_TEST

START_TEST(walkthrough_emits_play_assigned_then_one_page_action_per_owner)
{
    process(walkthrough());
    ck_assert_uint_eq(json_array_size(emitted), 4);
    ck_assert_str_eq(kind_of(0), "play_assigned");
    ck_assert_str_eq(kind_of(1), "page");
    ck_assert_str_eq(kind_of(2), "page");
    ck_assert_str_eq(kind_of(3), "page");
    const json_t *first = json_array_get(emitted, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "topic")), "actions");
    ck_assert_str_eq(json_string_value(json_object_get(first, "key")), "acct-001");
    ck_assert_int_eq(json_integer_value(json_object_get(first, "type")), REVOS_REC_ACTION);
    char want[300];
    snprintf(want, sizeof want, "assigned:%s", play_id());
    ck_assert_str_eq(json_string_value(json_object_get(action(0), "action_id")), want);
    snprintf(want, sizeof want, "page:%s:0:005Dn000CL01AAA", play_id());
    ck_assert_str_eq(json_string_value(json_object_get(action(1), "action_id")), want);
    ck_assert_str_eq(json_string_value(json_object_get(action(3), "play")), "none");
    ck_assert_str_eq(json_string_value(json_object_get(action(3), "route")), "champion_departed/critical");
    ck_assert_uint_eq(json_array_size(rejected), 0);
}
END_TEST

START_TEST(redelivered_update_changes_nothing_and_emits_nothing)
{
    process(walkthrough());
    size_t first = json_array_size(emitted);
    process(walkthrough());
    ck_assert_uint_eq(json_array_size(emitted), first);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays"), "1");
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_tasks"), "3");
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages"), "3");
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_play_events"), "3");
}
END_TEST

START_TEST(trigger_for_an_open_play_is_attached_not_reopened)
{
    process(walkthrough());
    json_array_clear(emitted);
    /* a later cell */
    process(update_at("acct-001:renewal_risk:sig-10", "critical", "high", NULL, 1788080400000LL, 0));
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays"), "1");
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages"), "3");
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(score_id||'/'||attached, ',' ORDER BY score_id)"
                                 " FROM route_play_events WHERE play_id = '%s' AND trigger = 'renewal_risk'",
                                 play_id())),
                     "acct-001:renewal_risk:sig-10/true,acct-001:renewal_risk:sig-9/false");
}
END_TEST

START_TEST(closed_play_lets_the_next_trigger_open_a_new_one)
{
    process(walkthrough());
    exec_ok("INSERT INTO outcome_records (outcome_id, kind, result, account_id, actor, occurred_at)"
            " VALUES ('crm-1', 'crm_renewal', 'churned', 'acct-001', 'crm', to_timestamp(1788000000))");
    exec_ok("UPDATE route_plays SET status = 'churned', closed_at = to_timestamp(1788000000)");
    json_array_clear(emitted);
    process(update_at("acct-001:renewal_risk:sig-11", "critical", "high", NULL, 1788100000000LL, 0));
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays WHERE status = 'open'"), "1");
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays"), "2");
    ck_assert_str_eq(kind_of(0), "play_assigned");
}
END_TEST

START_TEST(two_triggers_in_one_batch_open_one_play)
{
    json_t *batch[2] = {update("acct-001:renewal_risk:a", "critical", "high", NULL),
                        update("acct-001:renewal_risk:b", "critical", "medium", NULL)};
    process_n(batch, 2);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays"), "1");
    ck_assert_str_eq(scalar("SELECT score_id FROM route_plays"), "acct-001:renewal_risk:a");
    ck_assert_str_eq(scalar("SELECT string_agg(attached::text, ',' ORDER BY score_id) FROM route_play_events"),
                     "false,true");
    ck_assert_uint_eq(json_array_size(emitted), 3); /* play_assigned + 2 pages */
}
END_TEST

START_TEST(open_notice_absorbs_repeats_until_acknowledged)
{
    process(update("s-1", "critical", "critical", "champion_changed:critical"));
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages"), "1");
    json_array_clear(emitted);
    process(update("s-2", "critical", "critical", "champion_changed:critical"));
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages"), "1");
    exec_ok("INSERT INTO page_acks (page_id, acked_by, acked_at, outcome_id)"
            " SELECT page_id, 'u', now() - interval '1 minute', 'o-1' FROM route_pages");
    /* a condition after the acknowledgement starts a new notice */
    process(update_at("s-3", "critical", "critical", "champion_changed:critical",
                      (int64_t)time(NULL) * 1000, 0));
    ck_assert_uint_eq(json_array_size(emitted), 1);
    ck_assert_str_eq(kind_of(0), "page");
    ck_assert_str_eq(scalar("SELECT count(DISTINCT play_id) FROM route_pages"), "2");
}
END_TEST

START_TEST(update_without_trigger_writes_nothing)
{
    process(update("s-1", "critical", "critical", ""));
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_str_eq(scalar("SELECT (SELECT count(*) FROM route_plays) + (SELECT count(*) FROM route_pages)"),
                     "0");
}
END_TEST

START_TEST(malformed_update_is_rejected_and_the_batch_goes_on)
{
    json_t *bad = walkthrough();
    json_object_del(bad, "account_id");
    json_t *batch[2] = {bad, walkthrough()};
    process_n(batch, 2);
    ck_assert_uint_eq(json_array_size(rejected), 1);
    const json_t *r = json_array_get(rejected, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "offset")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(r, "cls")), "validation");
    ck_assert_str_eq(json_string_value(json_object_get(r, "reason")),
                     "score update lacks account_id, score_id, kind, as_of or context");
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays"), "1");
}
END_TEST

START_TEST(config_error_rejects_the_whole_update_with_its_reason)
{
    json_t *entry = (json_t *)revos_route_matrix_lookup(json_object_get(config, "routing"),
                                                        "renewal_risk", "critical");
    json_object_set_new(entry, "play", json_string("miracle"));
    process(walkthrough());
    ck_assert_uint_eq(json_array_size(rejected), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rejected, 0), "cls")), "config");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rejected, 0), "reason")),
                     "renewal_risk/critical: play 'miracle' is not in the play library");
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages"), "0");
}
END_TEST

START_TEST(unresolvable_owner_role_is_skipped_not_fatal)
{
    json_t *u = walkthrough();
    json_object_del(json_object_get(u, "context"), "csm_lead");
    process(u);
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(owner_role, ',') FROM route_pages WHERE play_id = '%s'",
                                 play_id())), "ae");
    ck_assert_str_eq(scalar("SELECT owner_id FROM route_tasks WHERE title = 'Usage recovery workshop'"),
                     "<null>");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_route_unresolved_roles_total")), 1);
}
END_TEST

/* ==== Paging ==== */

START_TEST(tick_sends_each_due_page_once_to_the_default_webhook)
{
    process(walkthrough());
    tick(t0);
    ck_assert_uint_eq(json_array_size(posted), 3);
    const json_t *p = json_array_get(posted, 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "url")), "http://pages.test/hook");
    ck_assert_str_eq(json_string_value(json_object_get(p, "secret")), "s3cret");
    ck_assert_str_eq(json_string_value(json_object_get(p, "format")), "json");
    ck_assert_str_eq(scalar("SELECT string_agg(DISTINCT status||'/'||attempts, ',') FROM route_pages"), "sent/1");
    tick(t0 + 1000);
    tick(t0 + 2000);
    ck_assert_uint_eq(json_array_size(posted), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_pages_sent_total")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_pages_sent_by_channel_total{channel=json}")), 3);
    /* and each page body names the source event its condition came from */
    ck_assert(json_string_length(json_object_get(json_object_get(p, "page"), "trace")) > 0);
}
END_TEST

START_TEST(sent_page_carries_ack_due_at_now_plus_sla)
{
    process(walkthrough());
    tick(t0);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT (extract(epoch FROM ack_due_at) * 1000)::bigint - %lld FROM route_pages"
             " WHERE owner_role = 'csm_lead' AND level = 0", (long long)t0);
    ck_assert_str_eq(scalar(sql), "14400000");
    const json_t *page = NULL;
    for (size_t i = 0; i < json_array_size(posted); i++) {
        const json_t *body = json_object_get(json_array_get(posted, i), "page");
        if (strcmp(json_string_value(json_object_get(json_object_get(body, "owner"), "role")), "csm_lead") == 0)
            page = body;
    }
    ck_assert_ptr_nonnull(page);
    char iso[32];
    revos_pager_iso8601(t0 + 4 * HOUR_MS, iso, sizeof iso);
    ck_assert_str_eq(json_string_value(json_object_get(page, "ack_due_at")), iso);
    ck_assert_str_eq(json_string_value(json_object_get(page, "summary")),
                     "Renewal risk critical for Lincoln Unified School District: $180,000 ARR at "
                     "risk, renewal in 101 days. Renewal Save play: save cost $14,000 vs "
                     "replacement $54,000. Acknowledge within 4h.");
    ck_assert_str_eq(scalar("SELECT body->>'ack_due_at' FROM route_pages WHERE owner_role = 'csm_lead'"), iso);
}
END_TEST

START_TEST(owner_webhook_overrides_the_default_destination)
{
    json_t *owners = json_object_get(json_object_get(json_object_get(config, "routing"), "directory"), "owners");
    json_object_set_new(owners, "005Dn000CL01AAA",
                        json_pack("{s:s, s:s, s:s}", "name", "Sam Okafor", "webhook_url",
                                  "https://hooks.slack.test/T1/B2", "format", "slack"));
    process(walkthrough());
    ck_assert_str_eq(scalar("SELECT format||' '||url FROM route_pages WHERE owner_role = 'csm_lead'"),
                     "slack https://hooks.slack.test/T1/B2");
    tick(t0);
    int found = 0;
    for (size_t i = 0; i < json_array_size(posted); i++) {
        const json_t *p = json_array_get(posted, i);
        if (strcmp(json_string_value(json_object_get(p, "format")), "slack") == 0) {
            found++;
            ck_assert_str_eq(json_string_value(json_object_get(p, "url")), "https://hooks.slack.test/T1/B2");
        }
    }
    ck_assert_int_eq(found, 1);
}
END_TEST

START_TEST(pagerduty_owner_gets_its_routing_key_from_secret_env)
{
    setenv("REVOS_TEST_PD_KEY", "pd-routing-key-1", 1);
    json_t *owners = json_object_get(json_object_get(json_object_get(config, "routing"), "directory"), "owners");
    json_object_set_new(owners, "005Dn000AE01AAA",
                        json_pack("{s:s, s:s, s:s, s:s}", "name", "Jordan Ellis", "webhook_url",
                                  "https://events.pagerduty.test/v2/enqueue", "format", "pagerduty",
                                  "secret_env", "REVOS_TEST_PD_KEY"));
    process(update("s-1", "critical", "critical", "champion_changed:critical")); /* ae only */
    tick(t0);
    ck_assert_uint_eq(json_array_size(posted), 1);
    const json_t *p = json_array_get(posted, 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "format")), "pagerduty");
    ck_assert_str_eq(json_string_value(json_object_get(p, "secret")), "pd-routing-key-1");
    ck_assert_str_eq(json_string_value(json_object_get(p, "url")), "https://events.pagerduty.test/v2/enqueue");
    unsetenv("REVOS_TEST_PD_KEY");
}
END_TEST

START_TEST(json_page_without_a_secret_waits_with_the_reason)
{
    revos_settings_free(&settings);
    char *argv[] = {"test", "--page-webhook-url=http://pages.test/hook", NULL};
    revos_err err = {{0}, {0}};
    unsetenv("REVOS_PAGE_WEBHOOK_SECRET");
    ck_assert_int_eq(revos_settings_parse(&settings, 2, argv, &err), REVOS_OK);
    process(update("s-1", "critical", "critical", "nps_drop:info"));
    tick(t0);
    ck_assert_uint_eq(json_array_size(posted), 0);
    ck_assert_str_eq(scalar("SELECT status||'/'||attempts||'/'||last_error FROM route_pages"),
                     "pending/1/no signing secret: set REVOS_PAGE_WEBHOOK_SECRET or the owner's secret_env");
}
END_TEST

START_TEST(failed_post_is_retried_after_1s_then_2s)
{
    process(update("s-1", "critical", "critical", "nps_drop:info")); /* one page */
    script[0] = REVOS_ERR_RETRY;
    script[1] = REVOS_ERR_RETRY;
    n_script = 2;
    tick(t0);
    ck_assert_str_eq(scalar("SELECT status||'/'||attempts||'/'||last_error FROM route_pages"),
                     "pending/1/scripted failure 1");
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT (extract(epoch FROM next_attempt_at) * 1000)::bigint - %lld"
             " FROM route_pages", (long long)t0);
    ck_assert_str_eq(scalar(sql), "1000");
    tick(t0 + 999);
    ck_assert_uint_eq(json_array_size(posted), 1);
    tick(t0 + 1000);
    ck_assert_uint_eq(json_array_size(posted), 2);
    ck_assert_str_eq(scalar(sql), "3000"); /* 1000 + 2000 */
    tick(t0 + 3000);
    ck_assert_uint_eq(json_array_size(posted), 3);
    ck_assert_str_eq(scalar("SELECT status||'/'||attempts FROM route_pages"), "sent/3");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_page_retries_total")), 2);
}
END_TEST

START_TEST(page_fails_after_ten_attempts)
{
    process(update("s-1", "critical", "critical", "nps_drop:info"));
    for (size_t i = 0; i < 20; i++)
        script[i] = REVOS_ERR_RETRY;
    n_script = 20;
    int64_t now = t0;
    for (int i = 0; i < 11; i++, now += 300000) /* the 11th escalates; its page is sent later */
        tick(now);
    ck_assert_uint_eq(json_array_size(posted), 10);
    ck_assert_str_eq(scalar("SELECT status||'/'||attempts||'/'||last_error FROM route_pages WHERE level = 0"),
                     "failed/10/scripted failure 10");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_pages_failed_total")), 1);
}
END_TEST

START_TEST(slow_destination_spreads_pages_over_ticks_within_the_budget)
{
    process(walkthrough()); /* three pages */
    post_sleep_ms = 300;
    post_budget_ms = 500;
    tick(t0);
    ck_assert_uint_eq(json_array_size(posted), 2); /* started at 0 and 300 ms */
    ck_assert_str_eq(scalar("SELECT string_agg(status||'/'||attempts, ',' ORDER BY status)"
                            " FROM route_pages"), "pending/0,sent/1,sent/1");
    tick(t0 + 1000);
    ck_assert_uint_eq(json_array_size(posted), 3);
    ck_assert_str_eq(scalar("SELECT string_agg(DISTINCT status, ',') FROM route_pages"), "sent");
}
END_TEST

START_TEST(refused_page_fails_at_once)
{
    process(update("s-1", "critical", "critical", "nps_drop:info"));
    script[0] = REVOS_ERR_INPUT;
    n_script = 1;
    tick(t0);
    tick(t0 + 5000);
    ck_assert_uint_eq(json_array_size(posted), 1);
    ck_assert_str_eq(scalar("SELECT status||'/'||attempts FROM route_pages WHERE level = 0"), "failed/1");
}
END_TEST

START_TEST(missing_destination_keeps_the_page_pending_with_the_reason)
{
    use_settings(NULL);
    process(update("s-1", "critical", "critical", "nps_drop:info"));
    tick(t0);
    ck_assert_uint_eq(json_array_size(posted), 0);
    ck_assert_str_eq(scalar("SELECT status||'/'||attempts||'/'||last_error FROM route_pages"),
                     "pending/1/no destination: set REVOS_PAGE_WEBHOOK_URL or the owner's webhook_url");
}
END_TEST

/* ==== Escalation ==== */

START_TEST(unacknowledged_play_escalates_to_the_next_level_after_the_sla)
{
    process(walkthrough());
    tick(t0);
    json_array_clear(emitted);
    tick(t0 + 4 * HOUR_MS); /* not past the SLA yet */
    ck_assert_uint_eq(json_array_size(emitted), 0);
    tick(t0 + 4 * HOUR_MS + 1000);
    ck_assert_uint_eq(json_array_size(emitted), 1);
    ck_assert_str_eq(kind_of(0), "escalation");
    const json_t *a = action(0);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "level")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(a, "owners"), 0), "role")),
                     "cs_director");
    char want[300];
    snprintf(want, sizeof want, "escalation:%s:1", play_id());
    ck_assert_str_eq(json_string_value(json_object_get(a, "action_id")), want);
    ck_assert_str_eq(scalar(sqlf("SELECT count(*) FROM route_pages WHERE play_id = '%s' AND level = 0"
                                 " AND escalated_at IS NOT NULL AND escalation = 'escalated'", play_id())), "2");
    ck_assert_str_eq(scalar(sqlf("SELECT page_id||'/'||owner_role||'/'||status FROM route_pages"
                                 " WHERE play_id = '%s' AND level = 1", play_id())),
                     sqlf("%s:1:005Dn000CD01AAA/cs_director/pending", play_id()));
    /* the next tick sends it */
    json_array_clear(posted);
    tick(t0 + 4 * HOUR_MS + 2000);
    ck_assert_uint_eq(json_array_size(posted), 1);
    const json_t *body = json_object_get(json_array_get(posted, 0), "page");
    ck_assert_int_eq(json_integer_value(json_object_get(body, "level")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(body, "summary")),
                     "Escalated to level 1, not acknowledged within 4h: Renewal risk critical for "
                     "Lincoln Unified School District: $180,000 ARR at risk, renewal in 101 days. "
                     "Renewal Save play: save cost $14,000 vs replacement $54,000. Acknowledge "
                     "within 4h.");
}
END_TEST

START_TEST(escalation_walks_the_chain_then_stops)
{
    process(walkthrough());
    tick(t0);
    int64_t t1 = t0 + 4 * HOUR_MS + 1000;
    tick(t1);          /* -> level 1 */
    tick(t1 + 1000);   /* send level 1 */
    int64_t t2 = t1 + 1000 + 4 * HOUR_MS + 1000;
    tick(t2);          /* -> level 2 */
    tick(t2 + 1000);   /* send level 2 */
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(level||':'||owner_role||':'||status, ',' ORDER BY level, owner_role)"
                                 " FROM route_pages WHERE play_id = '%s'", play_id())),
                     "0:ae:sent,0:csm_lead:sent,1:cs_director:sent,2:vp_customer_success:sent");
    json_array_clear(emitted);
    tick(t2 + 1000 + 4 * HOUR_MS + 1000); /* nothing beyond level 2 */
    ck_assert_str_eq(scalar(sqlf("SELECT count(*) FROM route_pages WHERE play_id = '%s'", play_id())), "4");
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(level||':'||escalation||':'||(escalated_at IS NOT NULL), ','"
                                 " ORDER BY level, owner_role) FROM route_pages WHERE play_id = '%s'", play_id())),
                     "0:escalated:true,0:escalated:true,1:escalated:true,2:exhausted:false");
    ck_assert_int_eq(json_integer_value(json_object_get(counters, "revos_escalations_exhausted_total")), 1);
    /* every breach of an SLA ends escalated, exhausted or unroutable */
    json_int_t breaches = json_integer_value(json_object_get(counters, "revos_sla_breaches_total"));
    ck_assert_int_ge(breaches, 3);
    ck_assert_int_eq(breaches, json_integer_value(json_object_get(counters, "revos_escalations_total")) +
                                   json_integer_value(json_object_get(counters, "revos_escalations_exhausted_total")) +
                                   json_integer_value(json_object_get(counters, "revos_escalations_unroutable_total")));
    for (size_t i = 0; i < json_array_size(emitted); i++)
        ck_assert_str_ne(json_string_value(json_object_get(action(i), "play_id")), play_id());
}
END_TEST

START_TEST(acknowledged_decision_is_not_escalated)
{
    process(walkthrough());
    tick(t0);
    exec_ok("INSERT INTO page_acks (page_id, acked_by, acked_at, outcome_id)"
            " SELECT page_id, owner_id, now(), 'o-ack' FROM route_pages"
            " WHERE owner_role = 'ae' AND play_id NOT LIKE 'notice:%'");
    json_array_clear(emitted);
    tick(t0 + 4 * HOUR_MS + 1000);
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages WHERE level > 0"), "0");
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(DISTINCT escalation||':'||(escalated_at IS NULL), ',')"
                                 " FROM route_pages WHERE play_id = '%s'", play_id())),
                     "acknowledged:true");
}
END_TEST

START_TEST(closed_play_is_not_escalated)
{
    process(walkthrough());
    tick(t0);
    exec_ok("UPDATE route_plays SET status = 'renewed', closed_at = now()");
    json_array_clear(emitted);
    tick(t0 + 4 * HOUR_MS + 1000);
    ck_assert_uint_eq(json_array_size(emitted), 0);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages WHERE level > 0"), "0");
    ck_assert_str_eq(scalar(sqlf("SELECT string_agg(DISTINCT escalation, ',') FROM route_pages"
                                 " WHERE play_id = '%s'", play_id())), "closed");
}
END_TEST

START_TEST(notice_escalates_after_its_own_sla)
{
    process(update("s-1", "critical", "critical", "champion_changed:critical")); /* 24h, ae */
    tick(t0);
    json_array_clear(emitted);
    tick(t0 + 4 * HOUR_MS + 1000);
    ck_assert_uint_eq(json_array_size(emitted), 0);
    tick(t0 + 24 * HOUR_MS + 1000);
    ck_assert_uint_eq(json_array_size(emitted), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(action(0), "owners"), 0), "role")),
                     "sales_director");
    ck_assert_str_eq(json_string_value(json_object_get(action(0), "play")), "none");
}
END_TEST

START_TEST(failed_delivery_escalates_on_the_next_tick)
{
    process(update("s-1", "critical", "critical", "nps_drop:info")); /* csm, then csm_lead */
    script[0] = REVOS_ERR_INPUT;
    n_script = 1;
    tick(t0);
    json_array_clear(emitted);
    tick(t0 + 1000);
    ck_assert_uint_eq(json_array_size(emitted), 1);
    ck_assert_str_eq(kind_of(0), "escalation");
    ck_assert_str_eq(scalar("SELECT owner_role FROM route_pages WHERE level = 1"), "csm_lead");
}
END_TEST

START_TEST(escalation_skips_a_level_nobody_holds)
{
    json_t *entry = (json_t *)revos_route_matrix_lookup(json_object_get(config, "routing"),
                                                        "renewal_risk", "critical");
    json_object_set_new(entry, "escalation", json_pack("[[s], [s]]", "ghost", "vp_customer_success"));
    process(walkthrough());
    tick(t0);
    json_array_clear(emitted);
    tick(t0 + 4 * HOUR_MS + 1000);
    ck_assert_uint_eq(json_array_size(emitted), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(action(0), "level")), 2);
    ck_assert_str_eq(scalar(sqlf("SELECT level||':'||owner_role FROM route_pages WHERE play_id = '%s' AND level > 0",
                                 play_id())), "2:vp_customer_success");
}
END_TEST


/* ==== Event time ==== */

START_TEST(historical_decision_is_recorded_and_never_paged)
{
    json_object_set_new(json_object_get(config, "routing"), "live_horizon", json_string("72h"));
    process(walkthrough());
    ck_assert_str_eq(scalar("SELECT historical::text FROM route_plays"), "true");
    ck_assert_str_eq(scalar("SELECT string_agg(DISTINCT status, ',') FROM route_pages"), "historical");
    ck_assert(json_is_true(json_object_get(json_object_get(json_array_get(emitted, 0), "record"),
                                           "historical")));
    tick(time(NULL) * 1000 + 86400000LL);
    ck_assert_uint_eq(json_array_size(posted), 0);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_pages WHERE ack_due_at IS NOT NULL"), "0");
}
END_TEST

START_TEST(correction_that_takes_the_trigger_away_withdraws_the_decision)
{
    process(update_at("acct-001:renewal_risk:2026-08-29", "critical", "high", NULL, 1787994000000LL, 0));
    ck_assert_str_eq(scalar("SELECT status FROM route_plays"), "open");
    /* revision 1 of the same cell: the tier did not change after all */
    process(update_at("acct-001:renewal_risk:2026-08-29:r1", "high", "high", NULL, 1787994000000LL, 1));
    ck_assert_str_eq(scalar("SELECT status FROM route_plays"), "superseded");
    ck_assert_str_eq(scalar("SELECT string_agg(DISTINCT status, ',') FROM route_pages"), "cancelled");
    /* revision 0 delivered again changes nothing */
    process(update_at("acct-001:renewal_risk:2026-08-29", "critical", "high", NULL, 1787994000000LL, 0));
    ck_assert_str_eq(scalar("SELECT status FROM route_plays"), "superseded");
}
END_TEST

START_TEST(earlier_trigger_arriving_later_opens_the_play_it_would_have)
{
    /* in event-time order: the day-1 trigger opens, the day-2 one attaches */
    process(update_at("acct-001:renewal_risk:d1", "critical", "high", NULL, 1787900000000LL, 0));
    process(update_at("acct-001:renewal_risk:d2", "critical", "high", NULL, 1787994000000LL, 0));
    char *in_order = strdup(scalar("SELECT play_id FROM route_plays WHERE status = 'open'"));
    char *events = strdup(scalar("SELECT string_agg(score_id||'/'||attached, ',' ORDER BY score_id)"
                                 " FROM route_play_events"));
    exec_ok("TRUNCATE route_plays, route_tasks, route_pages, route_play_events, route_cells");
    /* the other way round */
    process(update_at("acct-001:renewal_risk:d2", "critical", "high", NULL, 1787994000000LL, 0));
    process(update_at("acct-001:renewal_risk:d1", "critical", "high", NULL, 1787900000000LL, 0));
    ck_assert_str_eq(scalar("SELECT play_id FROM route_plays WHERE status = 'open'"), in_order);
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays WHERE status = 'superseded'"), "1");
    ck_assert_str_eq(scalar("SELECT string_agg(score_id||'/'||attached, ',' ORDER BY score_id)"
                            " FROM route_play_events"), events);
    free(in_order);
    free(events);
}
END_TEST

START_TEST(crm_close_recorded_before_the_play_closes_it)
{
    exec_ok("INSERT INTO outcome_records (outcome_id, kind, result, account_id, actor, occurred_at)"
            " VALUES ('crm-1', 'crm_renewal', 'churned', 'acct-001', 'crm', to_timestamp(1788000000))");
    process(update_at("acct-001:renewal_risk:d1", "critical", "high", NULL, 1787994000000LL, 0));
    ck_assert_str_eq(scalar("SELECT status||'/'||closed_by FROM route_plays"), "churned/crm-1");
    ck_assert_str_eq(scalar("SELECT string_agg(DISTINCT status, ',') FROM route_pages"), "cancelled");
    /* a condition after the close opens a new play */
    process(update_at("acct-001:renewal_risk:d9", "critical", "high", NULL, 1788100000000LL, 0));
    ck_assert_str_eq(scalar("SELECT count(*) FROM route_plays WHERE status = 'open'"), "1");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("route_pg");
    TCase *d = tcase_create("decisions");
    tcase_add_checked_fixture(d, setup, teardown);
    tcase_set_timeout(d, 60);
    tcase_add_test(d, walkthrough_update_opens_renewal_save_with_its_financial_frame);
    tcase_add_test(d, walkthrough_play_has_three_tasks_in_dependency_order);
    tcase_add_test(d, walkthrough_pages_the_csm_lead_and_ae_and_the_notices_owners);
    tcase_add_test(d, walkthrough_emits_play_assigned_then_one_page_action_per_owner);
    tcase_add_test(d, redelivered_update_changes_nothing_and_emits_nothing);
    tcase_add_test(d, trigger_for_an_open_play_is_attached_not_reopened);
    tcase_add_test(d, closed_play_lets_the_next_trigger_open_a_new_one);
    tcase_add_test(d, two_triggers_in_one_batch_open_one_play);
    tcase_add_test(d, open_notice_absorbs_repeats_until_acknowledged);
    tcase_add_test(d, update_without_trigger_writes_nothing);
    tcase_add_test(d, malformed_update_is_rejected_and_the_batch_goes_on);
    tcase_add_test(d, config_error_rejects_the_whole_update_with_its_reason);
    tcase_add_test(d, unresolvable_owner_role_is_skipped_not_fatal);
    tcase_add_test(d, historical_decision_is_recorded_and_never_paged);
    tcase_add_test(d, correction_that_takes_the_trigger_away_withdraws_the_decision);
    tcase_add_test(d, earlier_trigger_arriving_later_opens_the_play_it_would_have);
    tcase_add_test(d, crm_close_recorded_before_the_play_closes_it);
    suite_add_tcase(s, d);
    TCase *p = tcase_create("paging");
    tcase_add_checked_fixture(p, setup, teardown);
    tcase_set_timeout(p, 60);
    tcase_add_test(p, tick_sends_each_due_page_once_to_the_default_webhook);
    tcase_add_test(p, sent_page_carries_ack_due_at_now_plus_sla);
    tcase_add_test(p, owner_webhook_overrides_the_default_destination);
    tcase_add_test(p, pagerduty_owner_gets_its_routing_key_from_secret_env);
    tcase_add_test(p, json_page_without_a_secret_waits_with_the_reason);
    tcase_add_test(p, failed_post_is_retried_after_1s_then_2s);
    tcase_add_test(p, page_fails_after_ten_attempts);
    tcase_add_test(p, slow_destination_spreads_pages_over_ticks_within_the_budget);
    tcase_add_test(p, refused_page_fails_at_once);
    tcase_add_test(p, missing_destination_keeps_the_page_pending_with_the_reason);
    suite_add_tcase(s, p);
    TCase *e = tcase_create("escalation");
    tcase_add_checked_fixture(e, setup, teardown);
    tcase_set_timeout(e, 60);
    tcase_add_test(e, unacknowledged_play_escalates_to_the_next_level_after_the_sla);
    tcase_add_test(e, escalation_walks_the_chain_then_stops);
    tcase_add_test(e, acknowledged_decision_is_not_escalated);
    tcase_add_test(e, closed_play_is_not_escalated);
    tcase_add_test(e, notice_escalates_after_its_own_sla);
    tcase_add_test(e, failed_delivery_escalates_on_the_next_tick);
    tcase_add_test(e, escalation_skips_a_level_nobody_holds);
    suite_add_tcase(s, e);
    return s;
}

int main(void)
{
    revos_log_init("test_route_pg", REVOS_LOG_ERROR);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
