/* test_normalize_worker.c -- revos-normalize's batch core against a real
 * PostgreSQL (REVOS_PG_DSN, e.g. from `deploy/local/up --pg-only`): parking
 * events whose account is unknown, re-processing them when the link appears,
 * and never dropping one.
 *
 * Each test works in a schema of its own (created from
 * workers/normalize/schema.sql, dropped afterwards), committing batch by batch
 * like the worker does. */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "normalize/normalize_worker.h"
#include "pg/pg.h"

#define SCHEMA_SQL REVOS_CONFIG_DIR "/../workers/normalize/schema.sql"

#define SF_LINC "001NT000001LincAAA"
#define ACCT_LINC "acct-001NT000001LincAAA"
#define SF_OTHER "001NT000001OthrAAA"
#define ACCT_OTHER "acct-001NT000001OthrAAA"

/* ==== Fixture: a private schema ==== */

static PGconn *conn;
static char schema[64];

static void exec_ok(const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
}

static void setup(void)
{
    const char *dsn = getenv("REVOS_PG_DSN");
    ck_assert_msg(dsn != NULL && *dsn, "REVOS_PG_DSN is not set (eval \"$(deploy/local/up --pg-only)\")");
    revos_err err;
    ck_assert_msg(revos_pg_connect(dsn, "test_normalize_worker", &conn, &err) == REVOS_OK, "%s",
                  err.msg);
    snprintf(schema, sizeof schema, "norm_it_%d", (int)getpid());
    char sql[320];
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE;"
             " CREATE SCHEMA %s; SET search_path = %s",
             schema, schema, schema);
    exec_ok(sql);
    FILE *f = fopen(SCHEMA_SQL, "r");
    ck_assert_msg(f != NULL, "cannot open %s", SCHEMA_SQL);
    char *text = calloc(1, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    ck_assert_uint_gt(n, 0);
    exec_ok(text);
    free(text);
}

static void teardown(void)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    exec_ok(sql);
    PQfinish(conn);
    conn = NULL;
}

/* ==== A sink that records everything ==== */

typedef struct recorder {
    json_t *emitted;  /* [{topic, key, record}] */
    json_t *rejected; /* [{index, cls, msg}] */
    json_t *counters; /* {metric: n} */
} recorder;

static revos_status rec_emit(void *ctx, const char *topic_suffix, const char *key,
                             revos_record_type type, const json_t *record, revos_err *err)
{
    (void)err;
    recorder *r = ctx;
    ck_assert_int_eq(type, strcmp(topic_suffix, "signals") == 0 ? REVOS_REC_SIGNAL
                                                                  : REVOS_REC_OUTCOME);
    json_array_append_new(r->emitted, json_pack("{s:s, s:s, s:O}", "topic", topic_suffix, "key",
                                                key, "record", record));
    return REVOS_OK;
}

static void rec_reject(void *ctx, size_t index, const revos_err *why)
{
    recorder *r = ctx;
    json_array_append_new(r->rejected, json_pack("{s:I, s:s, s:s}", "index", (json_int_t)index,
                                                 "cls", why->cls, "msg", why->msg));
}

static void rec_count(void *ctx, const char *metric, const char *help, int64_t n)
{
    (void)help;
    recorder *r = ctx;
    json_int_t prev = json_integer_value(json_object_get(r->counters, metric));
    json_object_set_new(r->counters, metric, json_integer(prev + n));
}

static recorder rec;
static revos_norm_sink sink = {&rec, rec_emit, rec_reject, rec_count};

static void rec_reset(void)
{
    json_decref(rec.emitted);
    json_decref(rec.rejected);
    json_decref(rec.counters);
    rec.emitted = json_array();
    rec.rejected = json_array();
    rec.counters = json_object();
}

/* ==== Events ==== */

static json_t *strmap(const char *key, ...)
{
    json_t *map = json_object();
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k != NULL; k = va_arg(ap, const char *))
        json_object_set_new(map, k, json_string(va_arg(ap, const char *)));
    va_end(ap);
    return map;
}

static json_int_t clock_ms = 1767225600000LL;

static json_t *event(const char *event_id, const char *kind, json_t *ids, json_t *attributes)
{
    clock_ms += 1000;
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:i, s:I}", "event_id", event_id,
                     "source", "test", "kind", kind, "action", "update", "occurred_at", clock_ms,
                     "ids", ids, "attributes", attributes ? attributes : json_object(),
                     "raw_topic", "revos.raw.test", "raw_partition", 0, "raw_offset", clock_ms);
}

static json_t *lincoln_account(const char *event_id)
{
    return event(event_id, "crm.account",
                 strmap("salesforce_account", SF_LINC, "domain", "lincoln-nt.k12.ca.us", NULL),
                 strmap("name", "Lincoln Unified", "arr", "180000", NULL));
}

static json_t *lincoln_nps(const char *event_id, const char *email)
{
    return event(event_id, "nps.response", strmap("email", email, NULL),
                 strmap("vendor", "delighted", "score", "3", "comment", "Rostering keeps failing",
                        NULL));
}

/* Runs one batch in its own committed transaction; events consumed. */
static revos_norm_stats run_batch(size_t n, ...)
{
    json_t *events[64];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        events[i] = va_arg(ap, json_t *);
    va_end(ap);
    rec_reset();
    revos_err err;
    revos_norm_stats stats;
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    revos_status st = revos_normalize_events(conn, NULL, events, n, &sink, &stats, &err);
    ck_assert_msg(st == REVOS_OK, "batch failed: %s", err.msg);
    ck_assert_int_eq(revos_pg_commit(conn, &err), REVOS_OK);
    for (size_t i = 0; i < n; i++)
        json_decref(events[i]);
    return stats;
}

static revos_norm_stats run_array(json_t **events, size_t n)
{
    rec_reset();
    revos_err err;
    revos_norm_stats stats;
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    revos_status st = revos_normalize_events(conn, NULL, events, n, &sink, &stats, &err);
    ck_assert_msg(st == REVOS_OK, "batch failed: %s", err.msg);
    ck_assert_int_eq(revos_pg_commit(conn, &err), REVOS_OK);
    return stats;
}

static long scalar(const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(conn));
    long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

static const char *text_at(const json_t *arr, size_t i, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(json_array_get(arr, i), path1);
    if (path2 != NULL)
        v = json_object_get(v, path2);
    ck_assert_msg(json_is_string(v), "emitted[%zu].%s%s%s is not a string", i, path1,
                  path2 ? "." : "", path2 ? path2 : "");
    return json_string_value(v);
}

static long counter(const char *metric)
{
    return (long)json_integer_value(json_object_get(rec.counters, metric));
}

/* ==== Tests ==== */

START_TEST(test_nps_before_its_account_is_parked_then_emitted_when_account_arrives)
{
    revos_norm_stats stats = run_batch(1, lincoln_nps("nps-1", "jane@lincoln-nt.k12.ca.us"));
    ck_assert_uint_eq(json_array_size(rec.emitted), 0);
    ck_assert_uint_eq(json_array_size(rec.rejected), 0);
    ck_assert_uint_eq(stats.parked, 1);
    ck_assert_int_eq(counter("revos_normalize_parked_total"), 1);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked WHERE event_id = 'nps-1'"), 1);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked_keys WHERE event_id = 'nps-1' AND"
                            " ((kind = 'email' AND value = 'jane@lincoln-nt.k12.ca.us') OR"
                            " (kind = 'domain' AND value = 'lincoln-nt.k12.ca.us'))"),
                     2);

    stats = run_batch(1, lincoln_account("acct-ev-1"));
    ck_assert_uint_eq(json_array_size(rec.emitted), 2);
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "signal_id"), "sig:acct-ev-1");
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "type"), "account_profile");
    ck_assert_str_eq(text_at(rec.emitted, 1, "topic", NULL), "signals");
    ck_assert_str_eq(text_at(rec.emitted, 1, "key", NULL), ACCT_LINC);
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "signal_id"), "sig:nps-1");
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "account_id"), ACCT_LINC);
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "type"), "nps_response");
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "severity"), "warning");
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "evidence"),
                     "NPS 3 from jane@lincoln-nt.k12.ca.us (Delighted): 'Rostering keeps failing'");
    ck_assert_uint_eq(stats.unparked, 1);
    ck_assert_int_eq(counter("revos_normalize_unparked_total"), 1);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked_keys"), 0);
}
END_TEST

START_TEST(test_links_are_stored_and_resolve_later_batches)
{
    run_batch(1, lincoln_account("acct-ev-1"));
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_identity WHERE account_id = '" ACCT_LINC
                            "' AND learned_from = 'acct-ev-1' AND ((kind = 'salesforce_account'"
                            " AND value = '" SF_LINC "') OR (kind = 'domain' AND value ="
                            " 'lincoln-nt.k12.ca.us'))"),
                     2);
    revos_norm_stats stats = run_batch(1, lincoln_nps("nps-2", "sam@lincoln-nt.k12.ca.us"));
    ck_assert_uint_eq(json_array_size(rec.emitted), 1);
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "account_id"), ACCT_LINC);
    ck_assert_uint_eq(stats.parked, 0);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
}
END_TEST

START_TEST(test_event_resolved_later_in_the_same_batch_is_emitted_not_parked)
{
    revos_norm_stats stats = run_batch(2, lincoln_nps("nps-1", "jane@lincoln-nt.k12.ca.us"),
                                       lincoln_account("acct-ev-1"));
    ck_assert_uint_eq(json_array_size(rec.emitted), 2);
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "signal_id"), "sig:acct-ev-1");
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "signal_id"), "sig:nps-1");
    ck_assert_uint_eq(stats.parked, 0);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
}
END_TEST

START_TEST(test_chain_of_parked_identity_and_signal_events_unparks_in_one_batch)
{
    /* A ticket for an org nobody knows, then the org whose external id names
     * an account nobody knows yet: both park. The CRM account frees the org,
     * whose link frees the ticket -- two rounds, one batch. */
    run_batch(2,
              event("tkt-1", "support.ticket", strmap("zendesk_org", "z-501", NULL),
                    strmap("ticket_id", "35436", "event", "created", "priority", "high", NULL)),
              event("org-1", "support.organization",
                    strmap("zendesk_org", "z-501", "zendesk_org_external", SF_LINC, NULL),
                    strmap("name", "Lincoln", NULL)));
    ck_assert_uint_eq(json_array_size(rec.emitted), 0);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 2);

    revos_norm_stats stats = run_batch(1, lincoln_account("acct-ev-1"));
    ck_assert_uint_eq(json_array_size(rec.emitted), 2);
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "signal_id"), "sig:tkt-1");
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "account_id"), ACCT_LINC);
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "evidence"),
                     "Test ticket 35436 opened (priority high)");
    ck_assert_uint_eq(stats.unparked, 2);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_identity WHERE kind = 'zendesk_org'"
                            " AND value = 'z-501' AND account_id = '" ACCT_LINC "'"),
                     1);
}
END_TEST

START_TEST(test_nothing_is_dropped_when_accounts_arrive_last)
{
    /* 40 signal events for two unknown accounts, through every id kind. */
    json_t *events[48];
    size_t n = 0;
    char id[32], email[64];
    for (int i = 0; i < 8; i++) {
        const char *domain = i % 2 ? "lincoln-nt.k12.ca.us" : "other-nt.org";
        snprintf(id, sizeof id, "nps-%d", i);
        snprintf(email, sizeof email, "user%d@%s", i, domain);
        events[n++] = lincoln_nps(id, email);
        snprintf(id, sizeof id, "trk-%d", i);
        events[n++] = event(id, "usage.track",
                            strmap("segment_user", i % 2 ? "u-l" : "u-o", NULL),
                            strmap("event", "Logged In", NULL));
        snprintf(id, sizeof id, "tkt-%d", i);
        events[n++] = event(id, "support.ticket",
                            strmap("zendesk_org", i % 2 ? "z-l" : "z-o", NULL),
                            strmap("ticket_id", id, "event", "created", NULL));
        snprintf(id, sizeof id, "opp-%d", i);
        events[n++] = event(id, "crm.opportunity",
                            strmap("salesforce_opportunity",
                                   i % 2 ? "006NT00000OppLAAA" : "006NT00000OppOAAA", NULL),
                            strmap("amount", "1000", NULL));
        snprintf(id, sizeof id, "crl-%d", i);
        events[n++] = event(id, "crm.contact_role",
                            strmap("salesforce_contact",
                                   i % 2 ? "003NT00000ConLAAA" : "003NT00000ConOAAA", NULL),
                            strmap("role", "Champion", NULL));
    }
    run_array(events, n);
    ck_assert_uint_eq(json_array_size(rec.emitted), 0);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 40);

    /* Identity arrives in its own batches, accounts last. */
    json_t *identity[] = {
        event("grp-l", "usage.group", strmap("segment_group", "g-l", "segment_user", "u-l",
                                             "salesforce_account", SF_LINC, NULL), NULL),
        event("grp-o", "usage.group", strmap("segment_group", "g-o", "segment_user", "u-o",
                                             "domain", "other-nt.org", NULL), NULL),
        event("org-l", "support.organization",
              strmap("zendesk_org", "z-l", "zendesk_org_external", SF_LINC, NULL), NULL),
        event("org-o", "support.organization", strmap("zendesk_org", "z-o", "domain",
                                                      "other-nt.org", NULL), NULL)};
    run_array(identity, 4);
    ck_assert_uint_eq(json_array_size(rec.emitted), 0);
    json_t *accounts[] = {
        lincoln_account("acct-l"),
        event("acct-o", "crm.account",
              strmap("salesforce_account", SF_OTHER, "domain", "other-nt.org", NULL), NULL),
        event("opp-l", "crm.opportunity",
              strmap("salesforce_opportunity", "006NT00000OppLAAA", "salesforce_account", SF_LINC,
                     NULL), NULL),
        event("opp-o", "crm.opportunity",
              strmap("salesforce_opportunity", "006NT00000OppOAAA", "salesforce_account",
                     SF_OTHER, NULL), NULL),
        event("con-l", "crm.contact",
              strmap("salesforce_contact", "003NT00000ConLAAA", "salesforce_account", SF_LINC,
                     NULL), NULL),
        event("con-o", "crm.contact",
              strmap("salesforce_contact", "003NT00000ConOAAA", "salesforce_account", SF_OTHER,
                     NULL), NULL)};
    revos_norm_stats stats = run_array(accounts, 6);

    /* Every parked signal event came out exactly once, for the right account. */
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
    ck_assert_uint_eq(stats.unparked, 44); /* 40 signal events + 4 identity events */
    ck_assert_uint_eq(json_array_size(rec.emitted), 6 + 40);
    json_t *seen = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(rec.emitted, i, item) {
        const char *sid = text_at(rec.emitted, i, "record", "signal_id");
        const char *acct = text_at(rec.emitted, i, "record", "account_id");
        ck_assert_msg(json_object_get(seen, sid) == NULL, "%s emitted twice", sid);
        json_object_set_new(seen, sid, json_string(acct));
    }
    for (int k = 0; k < 8; k++) {
        const char *prefixes[] = {"nps", "trk", "tkt", "opp", "crl"};
        for (int p = 0; p < 5; p++) {
            snprintf(id, sizeof id, "sig:%s-%d", prefixes[p], k);
            const json_t *acct = json_object_get(seen, id);
            ck_assert_msg(acct != NULL, "%s was dropped", id);
            ck_assert_str_eq(json_string_value(acct), k % 2 ? ACCT_LINC : ACCT_OTHER);
        }
    }
    json_decref(seen);
    for (size_t k = 0; k < n; k++)
        json_decref(events[k]);
    for (size_t k = 0; k < 4; k++)
        json_decref(identity[k]);
    for (size_t k = 0; k < 6; k++)
        json_decref(accounts[k]);
}
END_TEST

START_TEST(test_redelivered_parked_event_is_parked_once_and_emitted_once)
{
    run_batch(1, lincoln_nps("nps-1", "jane@lincoln-nt.k12.ca.us"));
    run_batch(1, lincoln_nps("nps-1", "jane@lincoln-nt.k12.ca.us"));
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 1);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked_keys"), 2);
    run_batch(1, lincoln_account("acct-ev-1"));
    ck_assert_uint_eq(json_array_size(rec.emitted), 2);
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "signal_id"), "sig:nps-1");
}
END_TEST

START_TEST(test_invalid_events_are_rejected_and_the_rest_processed)
{
    run_batch(1, lincoln_account("acct-ev-1"));
    revos_norm_stats stats = run_batch(
        4, event("mkt-1", "market.news", strmap("domain", "lincoln-nt.k12.ca.us", NULL), NULL),
        lincoln_nps("nps-1", "jane@lincoln-nt.k12.ca.us"),
        event("tkt-1", "support.ticket", strmap("zendesk_requester", "9001", NULL),
              strmap("ticket_id", "1", NULL)),
        NULL);
    ck_assert_uint_eq(stats.rejected, 3);
    ck_assert_uint_eq(json_array_size(rec.rejected), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rec.rejected, 0), "index")),
                     0);
    ck_assert_str_eq(text_at(rec.rejected, 0, "msg", NULL), "unknown SourceEvent kind \"market.news\"");
    ck_assert_str_eq(text_at(rec.rejected, 1, "cls", NULL), "validation");
    ck_assert_str_eq(text_at(rec.rejected, 1, "msg", NULL),
                     "support.ticket event tkt-1 has no id that can resolve an account");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rec.rejected, 2), "index")),
                     3);
    ck_assert_uint_eq(json_array_size(rec.emitted), 1);
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "signal_id"), "sig:nps-1");
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
}
END_TEST

START_TEST(test_conflicting_domain_is_not_relinked_in_storage)
{
    run_batch(1, lincoln_account("acct-ev-1"));
    run_batch(1, event("acct-ev-2", "crm.account",
                       strmap("salesforce_account", SF_OTHER, "domain", "lincoln-nt.k12.ca.us",
                              NULL),
                       NULL));
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_identity WHERE kind = 'domain' AND value ="
                            " 'lincoln-nt.k12.ca.us' AND account_id = '" ACCT_LINC "'"),
                     1);
}
END_TEST

START_TEST(test_closed_renewal_emits_outcome_keyed_by_account)
{
    run_batch(1, event("opp-1", "crm.opportunity",
                       strmap("salesforce_opportunity", "006NT00000RenwAAA", "salesforce_account",
                              SF_LINC, NULL),
                       strmap("renewal", "true", "is_closed", "true", "is_won", "true", "stage",
                              "Closed Won", "amount", "180000", NULL)));
    ck_assert_uint_eq(json_array_size(rec.emitted), 2);
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "type"), "renewal_opportunity");
    ck_assert_str_eq(text_at(rec.emitted, 1, "topic", NULL), "outcomes");
    ck_assert_str_eq(text_at(rec.emitted, 1, "key", NULL), ACCT_LINC);
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "outcome_id"), "crm:006NT00000RenwAAA:closed");
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "result"), "renewed");
}
END_TEST

START_TEST(test_renewal_flag_survives_across_batches)
{
    run_batch(1, event("opp-1", "crm.opportunity",
                       strmap("salesforce_opportunity", "006NT00000RenwAAA", "salesforce_account",
                              SF_LINC, NULL),
                       strmap("renewal", "true", "stage", "Negotiation", NULL)));
    run_batch(1, event("opp-2", "crm.opportunity",
                       strmap("salesforce_opportunity", "006NT00000RenwAAA", NULL),
                       strmap("is_closed", "true", "is_won", "false", "stage", "Closed Lost",
                              NULL)));
    ck_assert_uint_eq(json_array_size(rec.emitted), 2);
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "type"), "renewal_opportunity");
    ck_assert_str_eq(text_at(rec.emitted, 1, "record", "result"), "churned");
}
END_TEST

START_TEST(test_sweep_unparks_events_whose_link_another_worker_learned)
{
    run_batch(1, lincoln_nps("nps-1", "jane@lincoln-nt.k12.ca.us"));
    exec_ok("INSERT INTO norm_identity (kind, value, account_id, learned_from) VALUES"
            " ('email', 'jane@lincoln-nt.k12.ca.us', '" ACCT_LINC "', 'elsewhere')");
    rec_reset();
    revos_err err;
    revos_norm_stats stats;
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    ck_assert_int_eq(revos_normalize_sweep(conn, NULL, 100, &sink, &stats, &err), REVOS_OK);
    ck_assert_int_eq(revos_pg_commit(conn, &err), REVOS_OK);
    ck_assert_uint_eq(stats.unparked, 1);
    ck_assert_uint_eq(json_array_size(rec.emitted), 1);
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "signal_id"), "sig:nps-1");
    ck_assert_str_eq(text_at(rec.emitted, 0, "record", "account_id"), ACCT_LINC);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
}
END_TEST

START_TEST(test_failed_batch_rolls_back_its_parking)
{
    rec_reset();
    revos_err err;
    json_t *ev = lincoln_nps("nps-1", "jane@lincoln-nt.k12.ca.us");
    ck_assert_int_eq(revos_pg_begin(conn, &err), REVOS_OK);
    ck_assert_int_eq(revos_normalize_events(conn, NULL, &ev, 1, &sink, NULL, &err), REVOS_OK);
    revos_pg_rollback(conn);
    ck_assert_int_eq(scalar("SELECT count(*) FROM norm_parked"), 0);
    json_decref(ev);
}
END_TEST

static Suite *suite(void)
{
    Suite *su = suite_create("normalize_worker");
    TCase *tc = tcase_create("postgres");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_nps_before_its_account_is_parked_then_emitted_when_account_arrives);
    tcase_add_test(tc, test_links_are_stored_and_resolve_later_batches);
    tcase_add_test(tc, test_event_resolved_later_in_the_same_batch_is_emitted_not_parked);
    tcase_add_test(tc, test_chain_of_parked_identity_and_signal_events_unparks_in_one_batch);
    tcase_add_test(tc, test_nothing_is_dropped_when_accounts_arrive_last);
    tcase_add_test(tc, test_redelivered_parked_event_is_parked_once_and_emitted_once);
    tcase_add_test(tc, test_invalid_events_are_rejected_and_the_rest_processed);
    tcase_add_test(tc, test_conflicting_domain_is_not_relinked_in_storage);
    tcase_add_test(tc, test_closed_renewal_emits_outcome_keyed_by_account);
    tcase_add_test(tc, test_renewal_flag_survives_across_batches);
    tcase_add_test(tc, test_sweep_unparks_events_whose_link_another_worker_learned);
    tcase_add_test(tc, test_failed_batch_rolls_back_its_parking);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
