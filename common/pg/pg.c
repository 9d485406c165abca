/* pg.c -- PostgreSQL access shared by every worker and revosctl.
 *
 * A thin layer over libpq whose job is to turn results into revos_status
 * values with the right class, run the embedded migrations and store the
 * governed configuration. All SQL is parameterized. */
#include "pg/pg.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

/* Generated from the migration files by common/CMakeLists.txt. */
extern const struct revos_migration {
    int version;
    const char *name;
    const char *sql;
} revos_migrations[];

/* Advisory lock key that serializes concurrent migrators ("revosmig"). */
#define MIGRATION_LOCK_KEY "7310593858020452199"

static revos_status classify(const PGresult *res, PGconn *conn)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(conn) != CONNECTION_OK)
        return REVOS_ERR_RETRY;
    if (state == NULL)
        return REVOS_ERR_RETRY; /* no SQLSTATE: lost connection mid-call */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "40", 2) == 0 ||
        strncmp(state, "57P", 3) == 0 || strcmp(state, "53300") == 0)
        return REVOS_ERR_RETRY;
    return REVOS_ERR_FATAL;
}

static void one_line(char *text)
{
    for (char *p = text; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
}

revos_status revos_pg_connect(const char *dsn, const char *app_name, PGconn **out,
                              revos_err *err)
{
    *out = NULL;
    if (dsn == NULL || *dsn == '\0')
        return revos_fail(err, REVOS_ERR_FATAL, "no PostgreSQL DSN (set REVOS_PG_DSN)");
    /* dbname holds the whole conninfo (expand_dbname=1); the rest are
     * defaults it may override. NOTICEs (e.g. "already exists") stay quiet. */
    const char *keys[] = {"application_name", "connect_timeout", "options", "dbname", NULL};
    const char *values[] = {app_name, "5", "-c client_min_messages=warning", dsn, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (conn == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        revos_fail(err, REVOS_ERR_RETRY, "postgres connect: %s", PQerrorMessage(conn));
        one_line(err->msg);
        PQfinish(conn);
        return REVOS_ERR_RETRY;
    }
    *out = conn;
    return REVOS_OK;
}

revos_status revos_pg_ensure(PGconn *conn, revos_err *err)
{
    if (PQstatus(conn) == CONNECTION_OK)
        return REVOS_OK;
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
        revos_fail(err, REVOS_ERR_RETRY, "postgres reconnect: %s", PQerrorMessage(conn));
        one_line(err->msg);
        return REVOS_ERR_RETRY;
    }
    return REVOS_OK;
}

revos_status revos_pg_exec(PGconn *conn, const char *sql, int n_params,
                           const char *const *params, PGresult **out, revos_err *err)
{
    return revos_pg_exec_binary(conn, sql, n_params, params, NULL, 0, out, err);
}

revos_status revos_pg_exec_binary(PGconn *conn, const char *sql, int n_params,
                                  const char *const *params, const int *lengths,
                                  int binary_result, PGresult **out, revos_err *err)
{
    if (out != NULL)
        *out = NULL;
    int formats[16];
    if (lengths != NULL && n_params > (int)(sizeof formats / sizeof formats[0]))
        return revos_fail(err, REVOS_ERR_FATAL, "postgres: %d parameters, at most 16 binary", n_params);
    for (int i = 0; lengths != NULL && i < n_params; i++)
        formats[i] = lengths[i] >= 0;
    PGresult *res = PQexecParams(conn, sql, n_params, NULL, params, lengths,
                                 lengths != NULL ? formats : NULL, binary_result ? 1 : 0);
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        if (out != NULL)
            *out = res;
        else
            PQclear(res);
        return REVOS_OK;
    }
    revos_status st = classify(res, conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    revos_fail(err, st, "postgres [%s]: %s", state ? state : "-",
               res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    one_line(err->msg);
    PQclear(res);
    return st;
}

revos_status revos_pg_begin(PGconn *conn, revos_err *err)
{
    revos_status st = revos_pg_ensure(conn, err);
    if (st != REVOS_OK)
        return st;
    return revos_pg_exec(conn, "BEGIN", 0, NULL, NULL, err);
}

revos_status revos_pg_commit(PGconn *conn, revos_err *err)
{
    /* COMMIT of a transaction that already failed answers "ROLLBACK" with
     * success status: that is a failed commit, not a successful one. */
    if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
        revos_pg_rollback(conn);
        return revos_fail(err, REVOS_ERR_RETRY, "postgres: commit of a failed transaction");
    }
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(conn, "COMMIT", 0, NULL, &res, err);
    if (st == REVOS_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0)
        st = revos_fail(err, REVOS_ERR_RETRY, "postgres: transaction rolled back at commit");
    PQclear(res);
    /* A COMMIT that fails leaves the outcome unknown only if the connection
     * dropped; both cases are retried from the stored offsets. */
    return st == REVOS_OK ? REVOS_OK : REVOS_ERR_RETRY;
}

void revos_pg_rollback(PGconn *conn)
{
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}

/* ==== Migrations ==== */

static int is_blank_sql(const char *sql)
{
    for (const char *p = sql; *p != '\0'; p++) {
        if (*p == '-' && p[1] == '-') {
            while (*p != '\0' && *p != '\n')
                p++;
            if (*p == '\0')
                break;
            continue;
        }
        if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
            return 0;
    }
    return 1;
}

revos_status revos_pg_migrate(PGconn *conn, int *applied, revos_err *err)
{
    *applied = 0;
    /* Under the lock too: two migrators creating the table at once collide
     * even with IF NOT EXISTS. */
    revos_status st = revos_pg_begin(conn, err);
    if (st == REVOS_OK)
        st = revos_pg_exec(conn, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY ")", 0, NULL,
                           NULL, err);
    if (st == REVOS_OK)
        st = revos_pg_exec(conn,
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version int PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL, NULL, err);
    if (st == REVOS_OK)
        st = revos_pg_commit(conn, err);
    else
        revos_pg_rollback(conn);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "migrate");
    for (const struct revos_migration *m = revos_migrations; m->sql != NULL; m++) {
        if (is_blank_sql(m->sql)) {
            revos_log_warn("migration %d (%s) is empty; skipped", m->version, m->name);
            continue;
        }
        char version[16];
        snprintf(version, sizeof version, "%d", m->version);
        const char *params[] = {version, m->name};
        if ((st = revos_pg_begin(conn, err)) != REVOS_OK)
            return st;
        PGresult *res = NULL;
        st = revos_pg_exec(conn, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY ")", 0, NULL,
                           NULL, err);
        if (st == REVOS_OK)
            st = revos_pg_exec(conn, "SELECT 1 FROM schema_migrations WHERE version = $1::int",
                               1, params, &res, err);
        int done = st == REVOS_OK && PQntuples(res) > 0;
        PQclear(res);
        if (st == REVOS_OK && !done) {
            PGresult *multi = PQexec(conn, m->sql);
            if (PQresultStatus(multi) != PGRES_COMMAND_OK &&
                PQresultStatus(multi) != PGRES_TUPLES_OK) {
                revos_fail(err, REVOS_ERR_FATAL, "migration %s: %s", m->name,
                           PQresultErrorMessage(multi));
                one_line(err->msg);
                st = REVOS_ERR_FATAL;
            }
            PQclear(multi);
            if (st == REVOS_OK)
                st = revos_pg_exec(conn,
                                   "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)",
                                   2, params, NULL, err);
            if (st == REVOS_OK)
                (*applied)++;
        }
        if (st != REVOS_OK) {
            revos_pg_rollback(conn);
            return st;
        }
        if ((st = revos_pg_commit(conn, err)) != REVOS_OK)
            return st;
    }
    return REVOS_OK;
}

/* ==== Governed configuration ==== */

static void sha256_hex(const char *text, char out[65])
{
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_Digest(text, strlen(text), digest, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    out[64] = '\0';
}

static char *canonical_json(const json_t *doc)
{
    return json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

revos_status revos_pg_config_latest(PGconn *conn, json_t **doc, int64_t *version,
                                    revos_err *err)
{
    *doc = NULL;
    *version = 0;
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(conn,
        "SELECT version, document::text FROM config_versions ORDER BY version DESC LIMIT 1",
        0, NULL, &res, err);
    if (st != REVOS_OK)
        return st;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return revos_fail(err, REVOS_ERR_RETRY,
                          "no configuration applied (run: revosctl config apply)");
    }
    json_error_t jerr;
    *version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *doc = json_loads(PQgetvalue(res, 0, 1), 0, &jerr);
    PQclear(res);
    if (*doc == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "stored config version %lld is not JSON: %s",
                          (long long)*version, jerr.text);
    return REVOS_OK;
}

static revos_status audit_sections(PGconn *conn, const json_t *old_doc, const json_t *new_doc,
                                   const char *version, const char *applied_by, revos_err *err)
{
    /* Walk the union of section names; one audit row per difference. */
    json_t *names = json_object();
    const char *name;
    json_t *value;
    if (old_doc != NULL)
        json_object_foreach((json_t *)old_doc, name, value) json_object_set(names, name, json_true());
    json_object_foreach((json_t *)new_doc, name, value) json_object_set(names, name, json_true());

    revos_status st = REVOS_OK;
    json_object_foreach(names, name, value) {
        json_t *before = old_doc ? json_object_get(old_doc, name) : NULL;
        json_t *after = json_object_get(new_doc, name);
        char old_sum[65] = "", new_sum[65] = "";
        if (before != NULL) {
            char *text = canonical_json(before);
            sha256_hex(text ? text : "", old_sum);
            free(text);
        }
        if (after != NULL) {
            char *text = canonical_json(after);
            sha256_hex(text ? text : "", new_sum);
            free(text);
        }
        const char *change = before == NULL ? "added" : after == NULL ? "removed"
                             : strcmp(old_sum, new_sum) != 0 ? "changed" : NULL;
        if (change == NULL)
            continue;
        const char *params[] = {version, name, change, before ? old_sum : NULL,
                                after ? new_sum : NULL, applied_by};
        st = revos_pg_exec(conn,
            "INSERT INTO config_audit (version, section, change, old_checksum, new_checksum, applied_by)"
            " VALUES ($1::bigint, $2, $3, $4, $5, $6)", 6, params, NULL, err);
        if (st != REVOS_OK)
            break;
    }
    json_decref(names);
    return st;
}

revos_status revos_pg_config_store(PGconn *conn, const json_t *doc, const char *applied_by,
                                   int64_t *version, int *changed, revos_err *err)
{
    *changed = 0;
    *version = 0;
    char *text = canonical_json(doc);
    if (text == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "config cannot be serialized");
    char checksum[65];
    sha256_hex(text, checksum);

    revos_status st = revos_pg_begin(conn, err);
    json_t *latest = NULL;
    int64_t latest_version = 0;
    PGresult *res = NULL;
    if (st == REVOS_OK)
        st = revos_pg_exec(conn, "LOCK TABLE config_versions IN EXCLUSIVE MODE", 0, NULL, NULL, err);
    if (st == REVOS_OK) {
        revos_status got = revos_pg_config_latest(conn, &latest, &latest_version, err);
        if (got == REVOS_ERR_FATAL)
            st = got;
        else if (got != REVOS_OK && PQtransactionStatus(conn) == PQTRANS_INERROR)
            st = got;
    }
    if (st == REVOS_OK && latest != NULL) {
        char *latest_text = canonical_json(latest);
        int same = latest_text != NULL && strcmp(latest_text, text) == 0;
        free(latest_text);
        if (same) {
            *version = latest_version;
            json_decref(latest);
            free(text);
            revos_pg_rollback(conn);
            return REVOS_OK;
        }
    }
    if (st == REVOS_OK) {
        const char *params[] = {checksum, text, applied_by};
        st = revos_pg_exec(conn,
            "INSERT INTO config_versions (checksum, document, applied_by)"
            " VALUES ($1, $2::jsonb, $3) RETURNING version", 3, params, &res, err);
    }
    if (st == REVOS_OK) {
        const char *version_text = PQgetvalue(res, 0, 0);
        *version = strtoll(version_text, NULL, 10);
        st = audit_sections(conn, latest, doc, version_text, applied_by, err);
    }
    PQclear(res);
    json_decref(latest);
    free(text);
    if (st != REVOS_OK) {
        revos_pg_rollback(conn);
        return st;
    }
    st = revos_pg_commit(conn, err);
    if (st == REVOS_OK)
        *changed = 1;
    return st;
}

/* ==== Arrays for batch statements ==== */

char *revos_pg_text_array(const char *const *items, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 4 + (items[i] ? 2 * strlen(items[i]) : 4);
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            out[o++] = ',';
        if (items[i] == NULL) {
            memcpy(out + o, "NULL", 4);
            o += 4;
            continue;
        }
        out[o++] = '"';
        for (const char *p = items[i]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                out[o++] = '\\';
            out[o++] = *p;
        }
        out[o++] = '"';
    }
    out[o++] = '}';
    out[o] = '\0';
    return out;
}
