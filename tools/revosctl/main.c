/* revosctl -- the operator CLI.
 *
 *   revosctl migrate
 *   revosctl config apply [--config-dir DIR]
 *   revosctl topics create [--partitions N] [--replication N] [--raw-topic-config K=V,...]
 *                                    (each topic with its class's retention and timestamp policy,
 *                                     the raw ones with K=V merged over it; existing topics
 *                                     brought to it, changes printed)
 *   revosctl explain ACCOUNT [--at YYYY-MM-DD] [--json]
 *                                    (--at: the settled scores as of the end of that day)
 *   revosctl timeline ACCOUNT [--kind K] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]
 *                                    (the settled timeline: value and tier per day)
 *   revosctl state ACCOUNT             (revos-score's stored state of the account, as JSON)
 *   revosctl identity ACCOUNT [--json] (every external id linked to the account: how, when)
 *   revosctl ack PAGE_ID [--actor WHO]
 *   revosctl outcome PLAY_ID --result R [--note TEXT] [--actor WHO]
 *   revosctl produce TOPIC FILE [--avro] [--key K | --key-field NAME] [--rate N] [--timestamp-ms MS]
 *                                    (one record per line; TOPIC "-": "<topic>\t<record>" lines;
 *                                     keyed by the source's natural key unless told; every failed
 *                                     record reported, exit 1 if any failed)
 *   revosctl consume TOPIC [--max N] [--timeout-ms MS]   (Avro topics as JSON lines)
 *   revosctl wait [kafka] [postgres] [--wait-timeout S]  (until they answer, with backoff)
 *   revosctl lag WORKER [--group G]     (the group's committed offsets and lag, as Kafka sees them)
 *
 * Settings come from the same REVOS_* environment and flags as the workers. */
#include <stdio.h>
#include <string.h>

#include "log/log.h"
#include "revosctl.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: revosctl migrate\n"
            "       revosctl config apply [--config-dir DIR]\n"
            "       revosctl topics create [--partitions N] [--replication N] [--raw-topic-config K=V,...]\n"
            "       revosctl explain ACCOUNT [--at YYYY-MM-DD] [--json]\n"
            "       revosctl timeline ACCOUNT [--kind K] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]\n"
            "       revosctl state ACCOUNT\n"
            "       revosctl identity ACCOUNT [--json]\n"
            "       revosctl ack PAGE_ID [--actor WHO]\n"
            "       revosctl outcome PLAY_ID --result renewed|churned|expanded|lost|reassigned|blocked\n"
            "       revosctl produce TOPIC|- FILE [--avro] [--key K | --key-field NAME] [--rate N]\n"
            "                        [--timestamp-ms MS]\n"
            "       revosctl consume TOPIC [--max N] [--timeout-ms MS]\n"
            "       revosctl wait [kafka] [postgres] [--wait-timeout S]\n"
            "       revosctl lag WORKER [--group G]\n");
    return 2;
}

/* Every --flag revosctl understands; anything else is refused, so a typo
 * (--partition 8) is an error rather than a silent default. */
static const char *const known_flags[] = {
    "REVOS_KAFKA_BROKERS", "REVOS_PG_DSN", "REVOS_SCHEMA_REGISTRY_URL", "REVOS_TOPIC_PREFIX",
    "REVOS_CONFIG_DIR", "REVOS_LOG_LEVEL", "REVOS_PARTITIONS", "REVOS_REPLICATION",
    "REVOS_RAW_TOPIC_CONFIG", "REVOS_JSON", "REVOS_ACTOR", "REVOS_RESULT", "REVOS_NOTE",
    "REVOS_AVRO", "REVOS_KEY", "REVOS_KEY_FIELD", "REVOS_RATE", "REVOS_MAX", "REVOS_TIMEOUT_MS",
    "REVOS_TIMESTAMP_MS", "REVOS_WAIT_TIMEOUT", "REVOS_GROUP", "REVOS_AT", "REVOS_KIND",
    "REVOS_FROM", "REVOS_TO", "REVOS_HELP", NULL,
};

int main(int argc, char **argv)
{
    revos_settings s;
    revos_err err = {{0}, {0}};
    if (revos_settings_parse(&s, argc, argv, &err) != REVOS_OK ||
        revos_settings_check_flags(&s, known_flags, &err) != REVOS_OK) {
        fprintf(stderr, "revosctl: %s\n", err.msg);
        revos_settings_free(&s);
        return 2;
    }
    revos_log_init("revosctl", revos_log_level_parse(revos_settings_get(&s, "REVOS_LOG_LEVEL", NULL),
                                                     REVOS_LOG_WARN));
    const char *verb = s.n_positional > 0 ? s.positional[0] : "";
    const char *arg1 = s.n_positional > 1 ? s.positional[1] : NULL;
    const char *arg2 = s.n_positional > 2 ? s.positional[2] : NULL;
    int code;
    if (strcmp(verb, "migrate") == 0)
        code = cmd_migrate(&s);
    else if (strcmp(verb, "config") == 0 && arg1 != NULL && strcmp(arg1, "apply") == 0)
        code = cmd_config_apply(&s);
    else if (strcmp(verb, "topics") == 0 && arg1 != NULL && strcmp(arg1, "create") == 0)
        code = cmd_topics_create(&s);
    else if (strcmp(verb, "explain") == 0 && arg1 != NULL)
        code = cmd_explain(&s, arg1);
    else if (strcmp(verb, "timeline") == 0 && arg1 != NULL)
        code = cmd_timeline(&s, arg1);
    else if (strcmp(verb, "state") == 0 && arg1 != NULL)
        code = cmd_state(&s, arg1);
    else if (strcmp(verb, "identity") == 0 && arg1 != NULL)
        code = cmd_identity(&s, arg1);
    else if (strcmp(verb, "ack") == 0 && arg1 != NULL)
        code = cmd_ack(&s, arg1);
    else if (strcmp(verb, "outcome") == 0 && arg1 != NULL)
        code = cmd_outcome(&s, arg1);
    else if (strcmp(verb, "produce") == 0 && arg1 != NULL && arg2 != NULL)
        code = cmd_produce(&s, arg1, arg2);
    else if (strcmp(verb, "consume") == 0 && arg1 != NULL)
        code = cmd_consume(&s, arg1);
    else if (strcmp(verb, "lag") == 0 && arg1 != NULL)
        code = cmd_lag(&s, arg1);
    else if (strcmp(verb, "wait") == 0)
        code = cmd_wait(&s);
    else
        code = usage();
    revos_settings_free(&s);
    return code;
}
