/* revosctl.h -- the operator CLI's commands, one file per group. Each command
 * returns a process exit code: 0 done, 1 failed (message on stderr), 2 usage. */
#ifndef REVOSCTL_H
#define REVOSCTL_H

#include <jansson.h>
#include <libpq-fe.h>

#include "config/settings.h"
#include "core/status.h"

int cmd_migrate(const revos_settings *s);
int cmd_config_apply(const revos_settings *s);
int cmd_topics_create(const revos_settings *s);
int cmd_produce(const revos_settings *s, const char *topic_suffix, const char *file);
int cmd_consume(const revos_settings *s, const char *topic_suffix);
int cmd_explain(const revos_settings *s, const char *account);
int cmd_timeline(const revos_settings *s, const char *account);
int cmd_state(const revos_settings *s, const char *account);
int cmd_identity(const revos_settings *s, const char *account);

/* The account id ACCOUNT names (an account id, or any external id the
 * identity map knows), malloc'd, or NULL when unknown. */
char *revosctl_resolve_account(PGconn *conn, const char *account, revos_err *err);

/* What the account commands start with: a migrated connection (*conn) and
 * the account id ACCOUNT names (malloc'd). NULL after printing why, with
 * nothing left open. */
char *revosctl_open_account(const revos_settings *s, const char *account, PGconn **conn);

/* The settled scores of account_id as of the end of day (a UTC day number),
 * recomputed from its stored event-time state with the scoring rules and
 * thresholds in force: {kind: {value, tier, score_id, config_version,
 * as_of, explanation: {text, contributions, context}}}. NULL with a message
 * in err (no such day in the history held, no state). */
json_t *revosctl_scores_at(PGconn *conn, const char *account_id, int64_t day, revos_err *err);
int cmd_ack(const revos_settings *s, const char *page_id);
int cmd_outcome(const revos_settings *s, const char *play_id);
int cmd_wait(const revos_settings *s);
int cmd_lag(const revos_settings *s, const char *worker);

/* Runs every worker's configuration check over doc (all sections): 0, or
 * -1 with the offending key and the worker whose check refused it in msg. */
int revosctl_config_check(const json_t *doc, char *msg, size_t msg_len);

/* Shared by the commands: a migrated connection, or NULL after printing why. */
PGconn *revosctl_connect(const revos_settings *s);

#endif
