/* pg.h -- PostgreSQL access: connection, error classes, migrations, the
 * governed configuration store.
 *
 * Every statement goes through PQexecParams (parameterized): no SQL is ever
 * built from input. Errors are classed by SQLSTATE: connection loss (08*,
 * 57P*), serialization failures and deadlocks (40*) are REVOS_ERR_RETRY;
 * anything else is REVOS_ERR_FATAL (a bug or a broken database). */
#ifndef REVOS_PG_H
#define REVOS_PG_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "core/status.h"

/* Connects (retriable on failure) and sets application_name. */
revos_status revos_pg_connect(const char *dsn, const char *app_name, PGconn **out,
                              revos_err *err);

/* Runs a parameterized statement; on success *out (if not NULL) holds the
 * result (caller PQclear's it), otherwise it is cleared for you. Parameters
 * are text; a NULL entry is SQL NULL. */
revos_status revos_pg_exec(PGconn *conn, const char *sql, int n_params,
                           const char *const *params, PGresult **out, revos_err *err);

/* As revos_pg_exec, with binary parameters and results: a parameter with
 * lengths[i] >= 0 is sent as those bytes in binary format (a bytea as its
 * bytes, no hex); lengths[i] < 0 (or lengths NULL) is text. binary_result
 * asks for every result column in binary format (text columns are their
 * bytes either way; a bytea arrives as its bytes). */
revos_status revos_pg_exec_binary(PGconn *conn, const char *sql, int n_params,
                                  const char *const *params, const int *lengths,
                                  int binary_result, PGresult **out, revos_err *err);

/* BEGIN / COMMIT / ROLLBACK. Rollback never fails loudly (it is the cleanup
 * path); a broken connection is reset on the next use. */
revos_status revos_pg_begin(PGconn *conn, revos_err *err);
revos_status revos_pg_commit(PGconn *conn, revos_err *err);
void revos_pg_rollback(PGconn *conn);

/* Ensures the connection is usable, resetting it if the server went away.
 * Errors: REVOS_ERR_RETRY. */
revos_status revos_pg_ensure(PGconn *conn, revos_err *err);

/* Applies the embedded migrations not yet applied, each in its own
 * transaction, serialized by an advisory lock. *applied counts them. */
revos_status revos_pg_migrate(PGconn *conn, int *applied, revos_err *err);

/* Latest governed configuration: *doc new reference, *version > 0. Returns
 * REVOS_ERR_RETRY with "no configuration applied" when there is none yet. */
revos_status revos_pg_config_latest(PGconn *conn, json_t **doc, int64_t *version,
                                    revos_err *err);

/* Stores doc as a new version with one audit row per changed section, unless
 * it equals the latest (then *version is the latest and *changed is 0). */
revos_status revos_pg_config_store(PGconn *conn, const json_t *doc, const char *applied_by,
                                   int64_t *version, int *changed, revos_err *err);

/* Formats a text[] literal for a PQexecParams parameter from n strings
 * (quoted and escaped); malloc'd. Used for batch statements with unnest. */
char *revos_pg_text_array(const char *const *items, size_t n);

#endif
