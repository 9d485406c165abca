/* revosctl.h -- the operator CLI's commands, one file per group. Each command
 * returns a process exit code: 0 done, 1 failed (message on stderr), 2 usage. */
#ifndef REVOSCTL_H
#define REVOSCTL_H

#include <jansson.h>
#include <libpq-fe.h>

#include "config/settings.h"

int cmd_migrate(const revos_settings *s);
int cmd_config_apply(const revos_settings *s);
int cmd_topics_create(const revos_settings *s);
int cmd_produce(const revos_settings *s, const char *topic_suffix, const char *file);
int cmd_consume(const revos_settings *s, const char *topic_suffix);
int cmd_explain(const revos_settings *s, const char *account);
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
