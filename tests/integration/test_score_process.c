/* test_score_process.c -- revos_score_process (workers/score/score_worker.h)
 * against a real PostgreSQL (REVOS_PG_DSN), driven through a fake batch:
 * this file implements the revos_batch_* calls of common/worker/worker.h,
 * recording what the worker emits and rejects, and encoding every emitted
 * record with the real Avro codec so a record that does not match its
 * schema fails the test. Each run works in a database of its own. */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avro/avro_codec.h"
#include "pg/pg.h"
#include "score/calendar.h"
#include "score/score_worker.h"
#include "score/store.h"

#define SCHEMA_FILE REVOS_CONFIG_DIR "/../workers/score/schema.sql"
#define SCHEMA_EVENT_TIME_FILE REVOS_CONFIG_DIR "/../workers/score/schema_eventtime.sql"
#define SCHEMA_BLOB_FILE REVOS_CONFIG_DIR "/../workers/score/schema_blob.sql"
#define SCHEMA_VERSION_FILE REVOS_CONFIG_DIR "/../workers/score/schema_state_version.sql"
#define SCHEMA_TIERS_FILE REVOS_CONFIG_DIR "/../workers/score/schema_tiers.sql"

/* ==== The fake batch ==== */

struct revos_batch {
    PGconn *pg;
    json_t *config;
    int64_t config_version;
    revos_avro *codec;
    json_t *emitted;   /* [{topic, key, record}] */
    json_t *rejected;  /* [{offset, cls, reason}] */
    json_t *counters;  /* metric -> count */
};

PGconn *revos_batch_pg(revos_batch *batch)
{
    return batch->pg;
}

const json_t *revos_batch_config(const revos_batch *batch)
{
    return batch->config;
}

int64_t revos_batch_config_version(const revos_batch *batch)
{
    return batch->config_version;
}

const revos_settings *revos_batch_settings(const revos_batch *batch)
{
    (void)batch;
    return NULL;
}

revos_status revos_batch_emit(revos_batch *batch, const char *topic_suffix, const char *key,
                              revos_record_type type, const json_t *record, revos_err *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    revos_status st = revos_avro_encode(batch->codec, type, topic_suffix, record, &bytes, &len, err);
    free(bytes);
    if (st != REVOS_OK)
        return st;
    json_array_append_new(batch->emitted, json_pack("{s:s,s:s?,s:O}", "topic", topic_suffix, "key", key,
                                                    "record", (json_t *)record));
    return REVOS_OK;
}

void revos_batch_reject(revos_batch *batch, const revos_msg *msg, const revos_err *why)
{
    json_array_append_new(batch->rejected, json_pack("{s:I,s:s,s:s}", "offset", (json_int_t)msg->offset,
                                                     "cls", why->cls, "reason", why->msg));
}

void revos_batch_count(revos_batch *batch, const char *metric, const char *help, int64_t n)
{
    (void)help;
    json_int_t was = json_integer_value(json_object_get(batch->counters, metric));
    json_object_set_new(batch->counters, metric, json_integer(was + (json_int_t)n));
}

/* ==== Database fixture ==== */

static char db_name[64];
static char db_dsn[1024];

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void run_admin(const char *sql)
{
    PGconn *admin = PQconnectdb(getenv("REVOS_PG_DSN"));
    ck_assert_msg(PQstatus(admin) == CONNECTION_OK, "connect: %s", PQerrorMessage(admin));
    PQsetNoticeProcessor(admin, quiet, NULL);
    PGresult *res = PQexec(admin, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(admin));
    PQclear(res);
    PQfinish(admin);
}

static void setup(void)
{
    const char *dsn = getenv("REVOS_PG_DSN");
    ck_assert_msg(dsn != NULL && dsn[0] != '\0',
                  "REVOS_PG_DSN is not set: eval \"$(deploy/local/up --pg-only)\"");
    snprintf(db_name, sizeof db_name, "revos_score_proc_%ld", (long)getpid());
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    run_admin(sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    run_admin(sql);
    snprintf(db_dsn, sizeof db_dsn, "%s dbname=%s", dsn, db_name);
}

static void teardown(void)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    run_admin(sql);
}

/* A worker, a connection with the schema, and an empty fake batch. */
typedef struct fixture {
    void *worker;
    revos_batch batch;
} fixture;

static void fixture_open(fixture *f)
{
    memset(f, 0, sizeof *f);
    revos_err err = {0};
    ck_assert_msg(revos_pg_connect(db_dsn, "test_score_process", &f->batch.pg, &err) == REVOS_OK, "%s", err.msg);
    PQsetNoticeProcessor(f->batch.pg, quiet, NULL);
    const char *files[] = {SCHEMA_FILE, SCHEMA_EVENT_TIME_FILE, SCHEMA_BLOB_FILE, SCHEMA_VERSION_FILE,
                           SCHEMA_TIERS_FILE};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *file = fopen(files[i], "rb");
        ck_assert_ptr_nonnull(file);
        char sql[8192] = {0};
        ck_assert_uint_gt(fread(sql, 1, sizeof sql - 1, file), 0);
        fclose(file);
        PGresult *res = PQexec(f->batch.pg, sql);
        ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", files[i], PQerrorMessage(f->batch.pg));
        PQclear(res);
    }
    json_error_t jerr;
    json_t *scoring = json_load_file(REVOS_CONFIG_DIR "/scoring.json", 0, &jerr);
    ck_assert_msg(scoring != NULL, "%s", jerr.text);
    f->batch.config = json_pack("{s:o}", "scoring", scoring);
    f->batch.config_version = 5;
    ck_assert_msg(revos_avro_open(&f->batch.codec, NULL, &err) == REVOS_OK, "%s", err.msg);
    ck_assert_msg(revos_score_init(&f->worker, NULL, &err) == REVOS_OK, "%s", err.msg);
}

static void fixture_reset(fixture *f)
{
    json_decref(f->batch.emitted);
    json_decref(f->batch.rejected);
    json_decref(f->batch.counters);
    f->batch.emitted = json_array();
    f->batch.rejected = json_array();
    f->batch.counters = json_object();
}

static void fixture_close(fixture *f)
{
    revos_score_on_revoke(f->worker, "revos.signals", 0);
    revos_score_fini(f->worker);
    revos_avro_close(f->batch.codec);
    json_decref(f->batch.config);
    json_decref(f->batch.emitted);
    json_decref(f->batch.rejected);
    json_decref(f->batch.counters);
    PQfinish(f->batch.pg);
}

/* Runs one batch in its own transaction, as the worker loop would. */
static revos_status process(fixture *f, json_t *records, revos_record_type *types)
{
    fixture_reset(f);
    size_t n = json_array_size(records);
    revos_msg *msgs = calloc(n > 0 ? n : 1, sizeof *msgs);
    for (size_t i = 0; i < n; i++) {
        revos_record_type type = types ? types[i] : REVOS_REC_SIGNAL;
        msgs[i] = (revos_msg){.topic = type == REVOS_REC_SIGNAL ? "revos.signals" : "revos.thresholds",
                              .topic_suffix = type == REVOS_REC_SIGNAL ? "signals" : "thresholds",
                              .offset = (int64_t)i, .record = json_array_get(records, i), .type = type};
    }
    revos_err err = {0};
    ck_assert_msg(revos_pg_begin(f->batch.pg, &err) == REVOS_OK, "%s", err.msg);
    revos_status st = revos_score_process(f->worker, &f->batch, msgs, n, &err);
    if (st != REVOS_OK)
        fprintf(stderr, "process: %s\n", err.msg);
    if (st == REVOS_OK)
        ck_assert_msg(revos_pg_commit(f->batch.pg, &err) == REVOS_OK, "%s", err.msg);
    else
        revos_pg_rollback(f->batch.pg);
    free(msgs);
    return st;
}

static char *query_value(PGconn *conn, const char *sql)
{
    revos_err err = {0};
    PGresult *res = NULL;
    ck_assert_msg(revos_pg_exec(conn, sql, 0, NULL, &res, &err) == REVOS_OK, "%s", err.msg);
    char *v = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return v;
}

/* ==== Signals ==== */

static int64_t day_ms(int day, int minute)
{
    return (revos_day_from_civil(2026, 6, 1) + day) * REVOS_MS_PER_DAY + (int64_t)minute * 60000;
}

static json_t *signal(const char *account, const char *id, const char *family, const char *type,
                      int64_t ms, double value, ...)
{
    json_t *attrs = json_object();
    va_list ap;
    va_start(ap, value);
    for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *))
        json_object_set_new(attrs, k, json_string(va_arg(ap, const char *)));
    va_end(ap);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:s,s:s,s:i,s:I}", "signal_id", id,
                     "account_id", account, "family", family, "type", type, "severity", "info",
                     "occurred_at", (json_int_t)ms, "value", isnan(value) ? json_null() : json_real(value),
                     "attributes", attrs, "evidence", "it", "source_event_id", id, "source", "it",
                     "source_topic", "revos.raw.it", "source_partition", 0, "source_offset", (json_int_t)0);
}

/* Day 0 of an account: profile, a $180K renewal on 2026-12-08, a champion. */
static void onboarding(json_t *list, const char *account)
{
    char id[64];
    snprintf(id, sizeof id, "%s-profile", account);
    json_array_append_new(list, signal(account, id, "institutional", "account_profile", day_ms(0, 480), NAN,
                                       "name", "Lincoln Unified", "ae", "ae1", "csm", "csm1",
                                       "csm_lead", "lead1", NULL));
    snprintf(id, sizeof id, "%s-opp", account);
    json_array_append_new(list, signal(account, id, "procurement", "renewal_opportunity", day_ms(0, 485), 180000,
                                       "opportunity_id", "006R", "close_date", "2026-12-08", NULL));
    snprintf(id, sizeof id, "%s-role", account);
    json_array_append_new(list, signal(account, id, "stakeholder", "contact_role", day_ms(0, 490), NAN,
                                       "contact_id", "003C", "role_class", "champion", "action", "create", NULL));
}

static size_t count_topic(const json_t *emitted, const char *topic, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(emitted); i++) {
        const json_t *e = json_array_get(emitted, i);
        if (strcmp(json_string_value(json_object_get(e, "topic")), topic) == 0 &&
            (key == NULL || strcmp(json_string_value(json_object_get(e, "key")), key) == 0))
            n++;
    }
    return n;
}

/* ==== Tests ==== */

START_TEST(test_process_emits_valid_score_updates_and_persists_state)
{
    fixture f;
    fixture_open(&f);
    json_t *records = json_array();
    onboarding(records, "acct-a");
    onboarding(records, "acct-b");
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    ck_assert_uint_eq(json_array_size(f.batch.rejected), 0);
    /* per account: one day, one cell per kind */
    ck_assert_uint_eq(count_topic(f.batch.emitted, "scores", "acct-a"), 3);
    ck_assert_uint_eq(count_topic(f.batch.emitted, "scores", "acct-b"), 3);
    const json_t *first = json_object_get(json_array_get(f.batch.emitted, 0), "record");
    ck_assert_int_eq(json_integer_value(json_object_get(first, "config_version")), 5);
    char *v = query_value(f.batch.pg, "SELECT count(*) FROM score_account_state");
    ck_assert_str_eq(v, "2");
    free(v);
    v = query_value(f.batch.pg, "SELECT value || ' ' || tier || ' ' || score_id FROM score_current"
                                " WHERE account_id = 'acct-b' AND kind = 'renewal_risk'");
    ck_assert_str_eq(v, "15.9 low acct-b:renewal_risk:2026-06-01");
    free(v);
    /* the tier of each tiered cell, by day, for revos-outcome's bands */
    v = query_value(f.batch.pg, "SELECT string_agg(account_id || ' ' || kind || ' ' || day || ' ' || tier, ','"
                                " ORDER BY account_id) FROM score_tiers");
    ck_assert_str_eq(v, "acct-a renewal_risk 20605 low,acct-b renewal_risk 20605 low");
    free(v);
    ck_assert_int_eq(json_integer_value(json_object_get(f.batch.counters, "revos_score_signals_total")), 6);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

START_TEST(test_process_skips_a_redelivered_signal)
{
    fixture f;
    fixture_open(&f);
    json_t *records = json_array();
    onboarding(records, "acct-a");
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    char *before = query_value(f.batch.pg, "SELECT md5(blob) FROM score_account_state");
    /* the same batch again, as after a crash before the offsets were stored */
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    ck_assert_uint_eq(json_array_size(f.batch.emitted), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(f.batch.counters, "revos_score_duplicate_signals_total")), 3);
    char *after = query_value(f.batch.pg, "SELECT md5(blob) FROM score_account_state");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

START_TEST(test_process_rejects_malformed_signals_and_goes_on)
{
    fixture f;
    fixture_open(&f);
    json_t *records = json_array();
    json_array_append_new(records, signal("acct-a", "bad-nps", "engagement", "nps_response", day_ms(0, 1), 11, NULL));
    json_t *no_account = signal("acct-a", "no-account", "usage", "product_usage", day_ms(0, 2), 1, NULL);
    json_object_set_new(no_account, "account_id", json_string(""));
    json_array_append_new(records, no_account);
    json_array_append_new(records, signal("acct-a", "odd-family", "weather", "rain", day_ms(0, 3), NAN, NULL));
    json_array_append_new(records, signal("acct-a", "good", "engagement", "nps_response", day_ms(0, 4), 9, NULL));
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    ck_assert_uint_eq(json_array_size(f.batch.rejected), 3);
    const char *reasons[] = {"out of range 0-10", "account_id", "unknown family"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *r = json_array_get(f.batch.rejected, i);
        ck_assert_int_eq(json_integer_value(json_object_get(r, "offset")), (json_int_t)i);
        ck_assert_str_eq(json_string_value(json_object_get(r, "cls")), "validation");
        ck_assert_msg(strstr(json_string_value(json_object_get(r, "reason")), reasons[i]) != NULL, "%s",
                      json_string_value(json_object_get(r, "reason")));
    }
    ck_assert_uint_eq(count_topic(f.batch.emitted, "scores", "acct-a"), 3);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

static json_t *threshold_change(const char *id, const char *tier, double threshold)
{
    return json_pack("{s:s,s:s,s:s,s:f,s:f,s:I,s:I,s:s,s:s,s:I}", "change_id", id,
                     "score_kind", "renewal_risk", "tier", tier, "old_threshold", 40.0,
                     "new_threshold", threshold, "saves", (json_int_t)4, "losses", (json_int_t)0,
                     "rule", "test", "outcome_id", "o-1", "occurred_at", (json_int_t)day_ms(0, 0));
}

START_TEST(test_process_applies_tuned_thresholds)
{
    fixture f;
    fixture_open(&f);
    /* no champion known, no renewal: renewal risk 6, low by the config
     * (medium from 40) */
    json_t *records = json_array();
    revos_record_type types[3] = {REVOS_REC_THRESHOLD_CHANGE, REVOS_REC_THRESHOLD_CHANGE, REVOS_REC_SIGNAL};
    json_array_append_new(records, threshold_change("tc-1", "medium", 5.0));
    json_array_append_new(records, threshold_change("tc-2", "severe", 30.0));
    json_array_append_new(records, signal("acct-a", "a-role", "stakeholder", "contact_role", day_ms(0, 490), NAN,
                                          "contact_id", "003C", "role_class", "other", NULL));
    ck_assert_int_eq(process(&f, records, types), REVOS_OK);
    ck_assert_uint_eq(json_array_size(f.batch.rejected), 1);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_array_get(f.batch.rejected, 0), "reason")),
                                 "no tier \"severe\""));
    char *v = query_value(f.batch.pg, "SELECT threshold || ' ' || change_id FROM score_thresholds"
                                      " WHERE score_kind = 'renewal_risk' AND tier = 'medium'");
    ck_assert_str_eq(v, "5 tc-1");
    free(v);
    v = query_value(f.batch.pg, "SELECT value || ' ' || tier FROM score_current"
                                " WHERE account_id = 'acct-a' AND kind = 'renewal_risk'");
    ck_assert_str_eq(v, "6 medium");
    free(v);
    /* a later batch reads the tuned bound from the table */
    json_t *more = json_array();
    json_array_append_new(more, signal("acct-b", "b-role", "stakeholder", "contact_role", day_ms(0, 490), NAN,
                                       "contact_id", "003C", "role_class", "other", NULL));
    ck_assert_int_eq(process(&f, more, NULL), REVOS_OK);
    v = query_value(f.batch.pg, "SELECT value || ' ' || tier FROM score_current"
                                " WHERE account_id = 'acct-b' AND kind = 'renewal_risk'");
    ck_assert_str_eq(v, "6 medium");
    free(v);
    json_decref(more);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

START_TEST(test_process_retuned_threshold_replaces_its_change)
{
    fixture f;
    fixture_open(&f);
    /* renewal risk 6 (see above); medium tuned to 5 in force: medium */
    json_t *records = json_array();
    revos_record_type types[2] = {REVOS_REC_THRESHOLD_CHANGE, REVOS_REC_SIGNAL};
    json_array_append_new(records, threshold_change("renewal_risk:medium:d0", "medium", 5.0));
    json_array_append_new(records, signal("acct-a", "a-role", "stakeholder", "contact_role", day_ms(0, 490), NAN,
                                          "contact_id", "003C", "role_class", "other", NULL));
    ck_assert_int_eq(process(&f, records, types), REVOS_OK);
    char *v = query_value(f.batch.pg, "SELECT value || ' ' || tier FROM score_current"
                                      " WHERE account_id = 'acct-a' AND kind = 'renewal_risk'");
    ck_assert_str_eq(v, "6 medium");
    free(v);
    /* a late outcome re-tuned that day: the same change, twice in a batch,
     * the last one (7: low again) is in force and the account re-scored */
    json_t *again = json_array();
    revos_record_type twice[2] = {REVOS_REC_THRESHOLD_CHANGE, REVOS_REC_THRESHOLD_CHANGE};
    json_array_append_new(again, threshold_change("renewal_risk:medium:d0", "medium", 8.0));
    json_array_append_new(again, threshold_change("renewal_risk:medium:d0", "medium", 7.0));
    ck_assert_int_eq(process(&f, again, twice), REVOS_OK);
    ck_assert_uint_eq(json_array_size(f.batch.rejected), 0);
    v = query_value(f.batch.pg, "SELECT count(*) || ' ' || min(threshold) FROM score_threshold_log");
    ck_assert_str_eq(v, "1 7");
    free(v);
    v = query_value(f.batch.pg, "SELECT threshold || ' ' || change_id FROM score_thresholds"
                                " WHERE tier = 'medium'");
    ck_assert_str_eq(v, "7 renewal_risk:medium:d0");
    free(v);
    v = query_value(f.batch.pg, "SELECT value || ' ' || tier FROM score_current"
                                " WHERE account_id = 'acct-a' AND kind = 'renewal_risk'");
    ck_assert_str_eq(v, "6 low");
    free(v);
    /* a re-delivery of the change in force changes nothing */
    ck_assert_uint_gt(count_topic(f.batch.emitted, "scores", "acct-a"), 0);
    json_t *redelivered = json_array();
    revos_record_type one[1] = {REVOS_REC_THRESHOLD_CHANGE};
    json_array_append_new(redelivered, threshold_change("renewal_risk:medium:d0", "medium", 7.0));
    ck_assert_int_eq(process(&f, redelivered, one), REVOS_OK);
    ck_assert_uint_eq(count_topic(f.batch.emitted, "scores", "acct-a"), 0);
    json_decref(redelivered);
    json_decref(again);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

/* The stored state of account as canonical JSON text (malloc'd). */
static char *stored_state(fixture *f, const char *account)
{
    const char *ids[] = {account};
    json_t *states = NULL;
    revos_err err = {0};
    ck_assert_int_eq(revos_score_store_load_states(f->batch.pg, ids, 1, &states, &err), REVOS_OK);
    char *text = json_dumps(json_object_get(states, account), JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(states);
    return text;
}

static json_int_t counter(const fixture *f, const char *name)
{
    return json_integer_value(json_object_get(f->batch.counters, name));
}

/* Usage of account on day, one signal per call. */
static json_t *usage(const char *account, int day, int i)
{
    char id[64];
    snprintf(id, sizeof id, "%s-u-%d-%d", account, day, i);
    return signal(account, id, "usage", "product_usage", day_ms(day, 600 + i), 10.0 + i,
                  "user_id", "t1", NULL);
}

/* Days 1-5 of acct-a's usage, a batch each; every batch takes its state
 * from memory `hits` times and from its row `misses` times. */
static void usage_days(fixture *f, json_int_t hits, json_int_t misses)
{
    for (int day = 1; day < 6; day++) {
        json_t *more = json_array();
        json_array_append_new(more, usage("acct-a", day, 0));
        ck_assert_int_eq(process(f, more, NULL), REVOS_OK);
        ck_assert_int_eq(counter(f, "revos_score_state_cache_hits_total"), hits);
        ck_assert_int_eq(counter(f, "revos_score_state_cache_misses_total"), misses);
        json_decref(more);
    }
}

static char *current_scores(fixture *f)
{
    return query_value(f->batch.pg, "SELECT string_agg(kind || ' ' || value || ' ' || tier, ','"
                                    " ORDER BY kind) FROM score_current WHERE account_id = 'acct-a'");
}

START_TEST(test_process_cached_state_gives_the_same_scores)
{
    /* one worker keeps states across batches, another has no cache */
    fixture f;
    fixture_open(&f);
    json_t *records = json_array();
    onboarding(records, "acct-a");
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    ck_assert_int_eq(counter(&f, "revos_score_state_cache_misses_total"), 0); /* a new account */
    usage_days(&f, 1, 0);
    char *cached = stored_state(&f, "acct-a");
    char *current = current_scores(&f);
    revos_score_fini(f.worker);
    /* the same batches through a worker whose every batch reads the rows */
    setenv("REVOS_SCORE_CACHE_MB", "0", 1);
    revos_err err = {0};
    ck_assert_msg(revos_score_init(&f.worker, NULL, &err) == REVOS_OK, "%s", err.msg);
    unsetenv("REVOS_SCORE_CACHE_MB");
    PQclear(PQexec(f.batch.pg, "TRUNCATE score_account_state, score_current"));
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    usage_days(&f, 0, 1);
    char *uncached = stored_state(&f, "acct-a");
    char *current2 = current_scores(&f);
    ck_assert_str_eq(cached, uncached);
    ck_assert_str_eq(current, current2);
    free(cached);
    free(uncached);
    free(current);
    free(current2);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

START_TEST(test_process_a_row_changed_elsewhere_is_read_again)
{
    fixture f;
    fixture_open(&f);
    json_t *records = json_array();
    onboarding(records, "acct-a");
    json_array_append_new(records, usage("acct-a", 1, 0));
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    /* another instance scores the account after a rebalance, from nothing:
     * its row holds the onboarding only, saved by another transaction */
    void *mine = f.worker, *other = NULL;
    revos_err err = {0};
    ck_assert_msg(revos_score_init(&other, NULL, &err) == REVOS_OK, "%s", err.msg);
    PQclear(PQexec(f.batch.pg, "DELETE FROM score_account_state"));
    json_t *onboard = json_array();
    onboarding(onboard, "acct-a");
    f.worker = other;
    ck_assert_int_eq(process(&f, onboard, NULL), REVOS_OK);
    f.worker = mine;
    /* this instance's cache holds the state with day 1; its next batch
     * must take the row */
    json_t *more = json_array();
    json_array_append_new(more, usage("acct-a", 2, 0));
    ck_assert_int_eq(process(&f, more, NULL), REVOS_OK);
    ck_assert_int_eq(counter(&f, "revos_score_state_cache_hits_total"), 0);
    ck_assert_int_eq(counter(&f, "revos_score_state_cache_misses_total"), 1);
    char *after = stored_state(&f, "acct-a");
    ck_assert_ptr_null(strstr(after, "acct-a-u-1-0")); /* day 1 was never in the row */
    ck_assert_ptr_nonnull(strstr(after, "acct-a-u-2-0"));
    free(after);
    revos_score_fini(other);
    json_decref(onboard);
    json_decref(more);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

START_TEST(test_process_a_rolled_back_batch_leaves_no_cached_state)
{
    fixture f;
    fixture_open(&f);
    json_t *records = json_array();
    onboarding(records, "acct-a");
    ck_assert_int_eq(process(&f, records, NULL), REVOS_OK);
    char *before = stored_state(&f, "acct-a");
    /* a batch scores day 1, then its transaction rolls back (the commit
     * failed, the broker went away): the cached state must not keep it */
    json_t *more = json_array();
    json_array_append_new(more, usage("acct-a", 1, 0));
    fixture_reset(&f);
    revos_msg msg = {.topic = "revos.signals", .topic_suffix = "signals",
                     .record = json_array_get(more, 0), .type = REVOS_REC_SIGNAL};
    revos_err err = {0};
    ck_assert_int_eq(revos_pg_begin(f.batch.pg, &err), REVOS_OK);
    ck_assert_int_eq(revos_score_process(f.worker, &f.batch, &msg, 1, &err), REVOS_OK);
    revos_pg_rollback(f.batch.pg);
    char *rolled_back = stored_state(&f, "acct-a");
    ck_assert_str_eq(rolled_back, before);
    free(rolled_back);
    /* the next batch reads the row, and day 1 is scored once from it */
    json_t *next = json_array();
    json_array_append_new(next, usage("acct-a", 2, 0));
    ck_assert_int_eq(process(&f, next, NULL), REVOS_OK);
    ck_assert_int_eq(counter(&f, "revos_score_state_cache_hits_total"), 0);
    char *after = stored_state(&f, "acct-a");
    ck_assert_ptr_null(strstr(after, "acct-a-u-1-0"));
    ck_assert_ptr_nonnull(strstr(after, "acct-a-u-2-0"));
    free(before);
    free(after);
    json_decref(next);
    json_decref(more);
    json_decref(records);
    fixture_close(&f);
}
END_TEST

START_TEST(test_process_output_does_not_depend_on_batch_size)
{
    json_t *records = json_array();
    onboarding(records, "acct-a");
    char id[64];
    for (int day = 0; day < 75; day++) {
        for (int i = 0; i < 4; i++) {
            snprintf(id, sizeof id, "u-%d-%d", day, i);
            json_array_append_new(records, signal("acct-a", id, "usage", "product_usage", day_ms(day, 600 + i),
                                                  day < 60 ? 5 : 3, NULL));
        }
        if (day % 7 == 0) {
            snprintf(id, sizeof id, "t-%d", day);
            json_array_append_new(records, signal("acct-a", id, "health", "ticket_opened", day_ms(day, 700), NAN, NULL));
        }
    }
    char *outputs[2];
    const size_t sizes[2] = {1000, 13};
    for (size_t k = 0; k < 2; k++) {
        fixture f;
        if (k == 1)
            teardown(), setup();
        fixture_open(&f);
        json_t *all = json_array();
        for (size_t from = 0; from < json_array_size(records); from += sizes[k]) {
            json_t *slice = json_array();
            for (size_t i = from; i < from + sizes[k] && i < json_array_size(records); i++)
                json_array_append(slice, json_array_get(records, i));
            ck_assert_int_eq(process(&f, slice, NULL), REVOS_OK);
            json_array_extend(all, f.batch.emitted);
            json_decref(slice);
        }
        /* corrections differ with the batching; the settled timeline and
         * the published cells (what they say, not how often) do not */
        char *account = query_value(f.batch.pg, "SELECT account_id FROM score_account_state");
        const char *ids[] = {account};
        json_t *states = NULL;
        revos_err err = {0};
        ck_assert_int_eq(revos_score_store_load_states(f.batch.pg, ids, 1, &states, &err), REVOS_OK);
        json_t *state = json_incref(json_object_get(states, account));
        json_decref(states);
        free(account);
        ck_assert_ptr_nonnull(state);
        json_t *last = json_pack("{s:O,s:{}}", "cells", json_object_get(state, "cells"), "pub");
        const char *kind;
        json_t *cellmap;
        json_object_foreach (json_object_get(state, "pub"), kind, cellmap) {
            const char *day;
            json_t *entry;
            json_object_foreach (cellmap, day, entry) {
                if (!json_is_true(json_array_get(entry, 5)))
                    continue; /* a cell sent once, no longer published */
                json_t *content = json_deep_copy(entry);
                json_array_remove(content, 0);
                char key[96];
                snprintf(key, sizeof key, "%s:%s", kind, day);
                json_object_set_new(json_object_get(last, "pub"), key, content);
            }
        }
        json_decref(state);
        ck_assert_uint_gt(json_object_size(json_object_get(last, "pub")), 10);
        /* the last record sent of every published cell carries its value */
        json_t *sent = json_object();
        for (size_t i = 0; i < json_array_size(all); i++) {
            const json_t *r = json_object_get(json_array_get(all, i), "record");
            char key[96];
            snprintf(key, sizeof key, "%s:%lld", json_string_value(json_object_get(r, "kind")),
                     (long long)(json_integer_value(json_object_get(r, "as_of")) / 86400000));
            json_object_set(sent, key, (json_t *)r);
        }
        const char *cell;
        json_t *content;
        json_object_foreach (json_object_get(last, "pub"), cell, content) {
            const json_t *r = json_object_get(sent, cell);
            ck_assert_msg(r != NULL, "published cell %s was never sent", cell);
            ck_assert_int_eq(llround(json_real_value(json_object_get(r, "value")) * 10),
                             json_integer_value(json_array_get(content, 0)));
        }
        json_decref(sent);
        outputs[k] = json_dumps(last, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(last);
        json_decref(all);
        fixture_close(&f);
    }
    ck_assert_msg(strcmp(outputs[0], outputs[1]) == 0, "settled cells differ with the batch size");
    free(outputs[0]);
    free(outputs[1]);
    json_decref(records);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("score_process");
    TCase *tc = tcase_create("postgres");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_process_emits_valid_score_updates_and_persists_state);
    tcase_add_test(tc, test_process_skips_a_redelivered_signal);
    tcase_add_test(tc, test_process_rejects_malformed_signals_and_goes_on);
    tcase_add_test(tc, test_process_applies_tuned_thresholds);
    tcase_add_test(tc, test_process_retuned_threshold_replaces_its_change);
    tcase_add_test(tc, test_process_cached_state_gives_the_same_scores);
    tcase_add_test(tc, test_process_a_row_changed_elsewhere_is_read_again);
    tcase_add_test(tc, test_process_a_rolled_back_batch_leaves_no_cached_state);
    tcase_add_test(tc, test_process_output_does_not_depend_on_batch_size);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
