/* pg_fixture.h -- a database of its own for every integration test, so
 * runs never collide: include it after defining PGFX_DB_PREFIX (e.g.
 * "revos_common_pg_"); databases are named <prefix><run pid>_<test pid>.
 * Header-only on purpose: each test program is one translation unit and
 * uses the helpers it needs from here (Check asserts on any failure). */
#ifndef REVOS_TEST_PG_FIXTURE_H
#define REVOS_TEST_PG_FIXTURE_H

#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PGFX_DB_PREFIX
#error "define PGFX_DB_PREFIX before including pg_fixture.h"
#endif

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

/* Plain DROP DATABASE waits for closing sessions and stops autovacuum
 * workers; WITH (FORCE) (which a non-superuser cannot use against
 * autovacuum) is the fallback for a session a failed test left open. */
static void drop_database(const char *name)
{
    PGconn *admin = PQconnectdb(getenv("REVOS_PG_DSN"));
    ck_assert_msg(PQstatus(admin) == CONNECTION_OK, "connect: %s", PQerrorMessage(admin));
    PQsetNoticeProcessor(admin, quiet, NULL);
    int dropped = 0;
    for (int attempt = 0; attempt < 4 && !dropped; attempt++) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s%s", name, attempt % 2 ? " WITH (FORCE)" : "");
        PGresult *res = PQexec(admin, sql);
        dropped = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
    }
    ck_assert_msg(dropped, "DROP DATABASE %s: %s", name, PQerrorMessage(admin));
    PQfinish(admin);
}

/* Databases are named <PGFX_DB_PREFIX><run>_<test process>. In fork mode a
 * failing test exits before its teardown, so the run's unchecked teardown
 * (in the parent, after every test) drops whatever its tests left. */
static long run_pid;

static void run_setup(void)
{
    run_pid = (long)getpid();
}

static void run_teardown(void)
{
    PGconn *admin = PQconnectdb(getenv("REVOS_PG_DSN"));
    if (PQstatus(admin) == CONNECTION_OK) {
        PQsetNoticeProcessor(admin, quiet, NULL);
        char pattern[96];
        /* the prefix with LIKE's "_" escaped */
        size_t o = 0;
        for (const char *c = PGFX_DB_PREFIX; *c != '\0' && o + 3 < sizeof pattern; c++) {
            if (*c == '_')
                pattern[o++] = '\\';
            pattern[o++] = *c;
        }
        snprintf(pattern + o, sizeof pattern - o, "%ld\\_%%", run_pid);
        const char *params[] = {pattern};
        PGresult *res = PQexecParams(admin, "SELECT datname FROM pg_database WHERE datname LIKE $1", 1,
                                     NULL, params, NULL, NULL, 0);
        for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
            for (int force = 0; force < 2; force++) {
                char sql[160];
                snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s%s", PQgetvalue(res, i, 0),
                         force ? " WITH (FORCE)" : "");
                PGresult *dropped = PQexec(admin, sql);
                int ok = PQresultStatus(dropped) == PGRES_COMMAND_OK;
                PQclear(dropped);
                if (ok)
                    break;
            }
        }
        PQclear(res);
    }
    PQfinish(admin);
}

/* REVOS_PG_DSN (keyword or URL form) with dbname replaced, as keywords. */
static void dsn_for_database(const char *base, const char *dbname, char *out, size_t outlen)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(base, &errmsg);
    ck_assert_msg(opts != NULL, "REVOS_PG_DSN does not parse: %s", errmsg ? errmsg : "?");
    size_t o = 0;
    out[0] = '\0';
    for (PQconninfoOption *opt = opts; opt->keyword != NULL; opt++) {
        const char *value = strcmp(opt->keyword, "dbname") == 0 ? dbname : opt->val;
        if (value == NULL)
            continue;
        o += (size_t)snprintf(out + o, outlen - o, "%s%s='", o ? " " : "", opt->keyword);
        for (const char *p = value; *p != '\0' && o + 3 < outlen; p++) {
            if (*p == '\'' || *p == '\\')
                out[o++] = '\\';
            out[o++] = *p;
        }
        o += (size_t)snprintf(out + o, outlen - o, "'");
        ck_assert_uint_lt(o, outlen);
    }
    PQconninfoFree(opts);
}

/* Creates this test's fresh database <prefix><run>_<pid> and writes its
 * name and its DSN (REVOS_PG_DSN with dbname replaced). */
static void create_database(char *name, size_t name_len, char *dsn_out, size_t dsn_len)
{
    const char *dsn = getenv("REVOS_PG_DSN");
    ck_assert_msg(dsn != NULL && dsn[0] != '\0',
                  "REVOS_PG_DSN is not set: eval \"$(deploy/local/up --pg-only)\"");
    snprintf(name, name_len, PGFX_DB_PREFIX "%ld_%ld", run_pid, (long)getpid());
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    run_admin(sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    run_admin(sql);
    dsn_for_database(dsn, name, dsn_out, dsn_len);
}

#endif
