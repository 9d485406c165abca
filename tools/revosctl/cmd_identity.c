/* cmd_identity.c -- revosctl identity ACCOUNT [--json]: every external id
 * revos-normalize links to the account (norm_identity), with how it was
 * learned (the SourceEvent that taught the link) and when. ACCOUNT is the
 * account id or any id the map knows (a Salesforce Account Id, a domain, a
 * Zendesk organization, ...). Read-only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"
#include "revosctl.h"

int cmd_identity(const revos_settings *s, const char *account)
{
    PGconn *conn = NULL;
    char *account_id = revosctl_open_account(s, account, &conn);
    if (account_id == NULL)
        return 1;
    revos_err err = {{0}, {0}};
    int code = 1;
    PGresult *res = NULL;
    const char *by_account[] = {account_id};
    if (revos_pg_exec(conn,
            "SELECT kind, value, coalesce(learned_from, ''),"
            "       to_char(learned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            " FROM norm_identity WHERE account_id = $1 ORDER BY kind, value",
            1, by_account, &res, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        goto done;
    }
    int as_json = revos_settings_get(s, "REVOS_JSON", NULL) != NULL;
    if (!as_json)
        printf("%s: %d linked id(s)\n%-24s  %-40s  %-20s  %s\n", account_id, PQntuples(res), "kind",
               "value", "learned at", "learned from (source event)");
    for (int i = 0; i < PQntuples(res); i++) {
        if (as_json) {
            json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s}", "account_id", account_id, "kind",
                                    PQgetvalue(res, i, 0), "value", PQgetvalue(res, i, 1),
                                    "learned_from", PQgetvalue(res, i, 2), "learned_at",
                                    PQgetvalue(res, i, 3));
            char *text = row ? json_dumps(row, JSON_COMPACT) : NULL;
            if (text != NULL)
                printf("%s\n", text);
            free(text);
            json_decref(row);
        } else {
            printf("%-24s  %-40s  %-20s  %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                   PQgetvalue(res, i, 3), PQgetvalue(res, i, 2));
        }
    }
    code = 0;
done:
    PQclear(res);
    free(account_id);
    PQfinish(conn);
    return code;
}
