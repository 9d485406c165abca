/* cmd_wait.c -- revosctl wait [kafka] [postgres]
 *
 * Blocks until the named dependencies answer (both when none is named), with
 * exponential backoff (0.5 s doubling to 5 s), and gives up after
 * REVOS_WAIT_TIMEOUT seconds (--wait-timeout, default 300; 0 = forever).
 * deploy/entrypoint runs it before it execs a worker, so a worker started
 * before its broker and database sees them up; the workers would also wait
 * by themselves, this makes the wait visible and bounded.
 *
 *   kafka     a Metadata request answered with at least one broker, through a
 *             handle built from the same settings as the workers' (so TLS and
 *             SASL properties passed through apply to the probe too);
 *   postgres  PQping on REVOS_PG_DSN says the server accepts connections.
 *
 * Progress goes to stderr; the DSN is printed redacted, never a secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "kafka/kafka.h"
#include "log/log.h"
#include "revosctl.h"

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* 1 when the broker answered a Metadata request listing a broker. */
static int kafka_up(rd_kafka_t *rk, char *why, size_t whylen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, 2000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(why, whylen, "%s", rd_kafka_err2str(e));
        return 0;
    }
    int ok = md->broker_cnt > 0;
    if (!ok)
        snprintf(why, whylen, "metadata lists no broker");
    rd_kafka_metadata_destroy(md);
    return ok;
}

static int pg_up(const char *dsn, char *why, size_t whylen)
{
    switch (PQping(dsn)) {
    case PQPING_OK:
        return 1;
    case PQPING_REJECT:
        snprintf(why, whylen, "server is starting or refuses connections");
        return 0;
    case PQPING_NO_RESPONSE:
        snprintf(why, whylen, "no response");
        return 0;
    default:
        snprintf(why, whylen, "bad connection settings (REVOS_PG_DSN)");
        return 0;
    }
}

int cmd_wait(const revos_settings *s)
{
    int want_kafka = 0, want_pg = 0;
    for (size_t i = 1; i < s->n_positional; i++) {
        if (strcmp(s->positional[i], "kafka") == 0)
            want_kafka = 1;
        else if (strcmp(s->positional[i], "postgres") == 0)
            want_pg = 1;
        else {
            fprintf(stderr, "revosctl wait: unknown dependency '%s' (kafka, postgres)\n",
                    s->positional[i]);
            return 2;
        }
    }
    if (!want_kafka && !want_pg)
        want_kafka = want_pg = 1;
    long timeout = revos_settings_get_long(s, "REVOS_WAIT_TIMEOUT", 300);
    const char *dsn = revos_settings_get(s, "REVOS_PG_DSN", NULL);
    if (want_pg && (dsn == NULL || dsn[0] == '\0')) {
        fprintf(stderr, "revosctl wait: REVOS_PG_DSN is not set\n");
        return 1;
    }
    char shown[512] = "";
    if (dsn != NULL)
        revos_log_redact_dsn(dsn, shown, sizeof shown);
    const char *brokers = revos_settings_get(s, "REVOS_KAFKA_BROKERS", "127.0.0.1:19092");

    rd_kafka_t *rk = NULL;
    revos_delivery_stats stats = {0};
    if (want_kafka) {
        revos_err err = {{0}, {0}};
        if (revos_kafka_producer_new(s, NULL, &stats, &rk, &err) != REVOS_OK) {
            fprintf(stderr, "revosctl wait: %s\n", err.msg);
            return 1;
        }
    }
    double start = now_s();
    double delay = 0.5;
    int kafka_ok = !want_kafka, pg_ok = !want_pg;
    int code = 0;
    for (int attempt = 1;; attempt++) {
        char why_k[256] = "", why_p[256] = "";
        if (!pg_ok && (pg_ok = pg_up(dsn, why_p, sizeof why_p)))
            fprintf(stderr, "revosctl wait: postgres up (%s)\n", shown);
        if (!kafka_ok && (kafka_ok = kafka_up(rk, why_k, sizeof why_k)))
            fprintf(stderr, "revosctl wait: kafka up (%s)\n", brokers);
        if (kafka_ok && pg_ok)
            break;
        double waited = now_s() - start;
        if (attempt == 1 || attempt % 5 == 0) {
            if (!pg_ok)
                fprintf(stderr, "revosctl wait: postgres (%s) not up yet: %s\n", shown, why_p);
            if (!kafka_ok)
                fprintf(stderr, "revosctl wait: kafka (%s) not up yet: %s\n", brokers, why_k);
        }
        if (timeout > 0 && waited + delay > (double)timeout) {
            fprintf(stderr, "revosctl wait: gave up after %.0f s:%s%s\n", waited,
                    pg_ok ? "" : " postgres", kafka_ok ? "" : " kafka");
            code = 1;
            break;
        }
        sleep_s(delay);
        delay = delay * 2 < 5.0 ? delay * 2 : 5.0;
    }
    if (rk != NULL)
        rd_kafka_destroy(rk);
    return code;
}
