/* revos-mock-broker: librdkafka's mock cluster in a process of its own, the
 * zero-setup broker of the walkthrough. It prints its bootstrap address
 * (and writes it to --bootstrap-file) and serves until SIGTERM/SIGINT.
 *
 * The mock cluster does not implement read_committed and drops
 * transactional offset commits (DESIGN.md): exactly-once is tested on the
 * real broker, never here. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/settings.h"
#include "config/topics.h"
#include "core/status.h"

static volatile sig_atomic_t running = 1;

static void on_signal(int sig)
{
    (void)sig;
    running = 0;
}

int main(int argc, char **argv)
{
    revos_settings settings;
    revos_err err = {{0}, {0}};
    static const char *const known_flags[] = {"REVOS_PARTITIONS", "REVOS_BOOTSTRAP_FILE",
                                              "REVOS_LOG_LEVEL", NULL};
    if (revos_settings_parse(&settings, argc, argv, &err) != REVOS_OK ||
        revos_settings_check_flags(&settings, known_flags, &err) != REVOS_OK) {
        fprintf(stderr, "revos-mock-broker: %s\n", err.msg);
        revos_settings_free(&settings);
        return 2;
    }
    int partitions = (int)revos_settings_get_long(&settings, "REVOS_PARTITIONS", 4);
    const char *bootstrap_file = revos_settings_get(&settings, "REVOS_BOOTSTRAP_FILE", NULL);

    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* A producer handle only hosts the mock cluster; it produces nothing. */
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "revos-mock-broker: %s\n", errstr);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        fprintf(stderr, "revos-mock-broker: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, 1);
    if (cluster == NULL) {
        fprintf(stderr, "revos-mock-broker: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    /* Create the project's topics with the requested partition count; any
     * other topic is auto-created on first use. */
    for (size_t i = 0; revos_topic_suffixes[i] != NULL; i++) {
        char topic[256];
        revos_settings_topic(&settings, revos_topic_suffixes[i], topic, sizeof topic);
        rd_kafka_mock_topic_create(cluster, topic, partitions, 1);
    }
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
    printf("%s\n", bootstraps);
    fflush(stdout);
    if (bootstrap_file != NULL) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s.tmp", bootstrap_file);
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%s\n", bootstraps) < 0 || fclose(f) != 0 ||
            rename(tmp, bootstrap_file) != 0) {
            fprintf(stderr, "revos-mock-broker: cannot write %s\n", bootstrap_file);
            running = 0;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (running)
        pause();
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    revos_settings_free(&settings);
    return 0;
}
