/* bench_avro.c -- throughput of common/avro's codec on two realistic
 * records, framed as Avro single-object encoding (no schema registry):
 *
 *   ScoreUpdate  account_health of the reference walkthrough, shaped like
 *                the engine's output: 6 contributions (baseline, the 4
 *                shipped health rules, one more rule as a 5-rule config
 *                would give), 2-10 evidence ids on each rule, the context
 *                map route reads.
 *   Signal       a Segment product_usage signal as revos-normalize emits it.
 *
 * For each record and direction: a warm-up, then 5 runs of a fixed number of
 * iterations; prints the median run as records/s and MB/s of encoded Avro
 * bytes, one line per measurement. Decode includes building the jansson
 * object and freeing it, as a worker does.
 *
 * Usage: bench_avro [ITERATIONS]   (default 20000 per run) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avro/avro_codec.h"

#define RUNS 5
#define DEFAULT_ITERATIONS 20000

/* The machine's load when the bench starts: other processes share the cores. */
static void print_load(const char *bench)
{
    char line[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fgets(line, sizeof line, f) == NULL)
            snprintf(line, sizeof line, "?\n");
        fclose(f);
    }
    printf("# %s: loadavg %s", bench, line);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: unlike the wall clock, not inflated when other
 * processes take the core (the machine is shared). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void die(const char *what, const revos_err *err)
{
    fprintf(stderr, "bench_avro: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

/* ---- The records ---- */

static json_t *evidence(const char *prefix, int n)
{
    json_t *ids = json_array();
    char id[96];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "sig:%s-%d", prefix, 89 - i * 3);
        json_array_append_new(ids, json_string(id));
    }
    return ids;
}

static json_t *contribution(const char *rule, const char *label, double points, json_t *inputs,
                            json_t *ids)
{
    return json_pack("{s:s,s:s,s:f,s:o,s:o}", "rule_id", rule, "label", label, "points", points,
                     "inputs", inputs ? inputs : json_object(), "evidence_ids",
                     ids ? ids : json_array());
}

static json_t *make_score_update(void)
{
    json_t *c = json_array();
    json_array_append_new(c, contribution("account_health.baseline", "baseline 50", 50, NULL, NULL));
    json_array_append_new(
        c, contribution("health.usage_trend",
                        "Product usage, last 30 days vs the prior 30: usage down 35% vs the prior "
                        "30 days (195 vs 300)",
                        -6.0,
                        json_pack("{s:s,s:s,s:s}", "usage_change_pct", "-35", "usage_current",
                                  "195", "usage_prior", "300"),
                        evidence("segment:trk-lin", 10)));
    json_array_append_new(
        c, contribution("health.nps", "Latest NPS response: latest NPS 3 (previous 8)", -4.0,
                        json_pack("{s:s,s:s}", "nps_latest", "3", "nps_previous", "8"),
                        evidence("nps:dl-lin", 2)));
    json_array_append_new(
        c, contribution("health.champion", "Champion: champion changed on 2026-08-10", -4.0,
                        json_pack("{s:s,s:s}", "champion_status", "changed",
                                  "champion_changed_on", "2026-08-10"),
                        evidence("salesforce:00KDn00000LINRAAA", 2)));
    json_array_append_new(
        c, contribution("health.tickets",
                        "Support tickets, last 30 days vs the prior 30: support tickets at 3x the "
                        "prior 30 days (9 vs 3)",
                        -8.0,
                        json_pack("{s:s,s:s,s:s}", "ticket_ratio", "3", "tickets_current", "9",
                                  "tickets_prior", "3"),
                        evidence("zendesk:01JLINTKT00", 10)));
    json_array_append_new(
        c, contribution("health.stakeholders", "Contacts engaged: 2 contacts active in 30 days",
                        -2.0, json_pack("{s:s}", "contacts_active", "2"),
                        evidence("salesforce:003Dn00000LINCAAA", 4)));

    json_t *ctx = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "arr", "180000",
        "renewal_date", "2026-12-08", "days_to_renewal", "100", "name",
        "Lincoln Unified School District", "ae", "005Dn000AE01AAA", "csm", "005Dn000CS01AAA",
        "csm_lead", "005Dn000CL01AAA", "segment", "Customer - District", "domain",
        "lincolnusd.org", "derived", "usage_down,ticket_surge,nps_drop,champion_changed",
        "derived_ids",
        "acct-001Dn00000LincAAA:usage_down:1,acct-001Dn00000LincAAA:ticket_surge:1,"
        "acct-001Dn00000LincAAA:nps_drop:1,acct-001Dn00000LincAAA:champion_changed:1",
        "account_health", "26", "renewal_risk", "79.3", "renewal_risk_tier", "critical");

    json_t *u = json_pack(
        "{s:s,s:s,s:s,s:f,s:f,s:n,s:n,s:I,s:I,s:s,s:o,s:s,s:o}", "score_id",
        "acct-001Dn00000LincAAA:account_health:sig:segment:trk-lin-89-4", "account_id",
        "acct-001Dn00000LincAAA", "kind", "account_health", "value", 26.0, "previous", 34.0,
        "tier", "previous_tier", "as_of", (json_int_t)1788253800000LL, "config_version",
        (json_int_t)7, "trigger_signal_id", "sig:segment:trk-lin-89-4", "contributions", c,
        "explanation",
        "Account health is 26: baseline 50; usage down 35% vs the prior 30 days (195 vs 300) "
        "-6; latest NPS 3 (previous 8) -4; champion changed on 2026-08-10 -4; support tickets "
        "at 3x the prior 30 days (9 vs 3) -8; 2 contacts active in 30 days -2.",
        "context", ctx);
    if (u == NULL) {
        fprintf(stderr, "bench_avro: cannot build the ScoreUpdate\n");
        exit(1);
    }
    return u;
}

static json_t *make_signal(void)
{
    json_t *s = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:I,s:n,s:{s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:s,s:i,s:I}", "signal_id",
        "sig:segment:trk-lin-61-3", "account_id", "acct-001Dn00000LincAAA", "family", "usage",
        "type", "product_usage", "severity", "info", "occurred_at", (json_int_t)1785921060000LL,
        "value", "attributes", "event", "Gradebook Synced", "user_id", "lin-teacher-3",
        "group_id", "grp-lin", "course", "grade-4", "evidence",
        "Segment track 'Gradebook Synced' by lin-teacher-3", "source_event_id",
        "segment:trk-lin-61-3", "source", "segment", "source_topic", "revos.raw.segment",
        "source_partition", 2, "source_offset", (json_int_t)48213);
    if (s == NULL) {
        fprintf(stderr, "bench_avro: cannot build the Signal\n");
        exit(1);
    }
    return s;
}

/* ---- Runs ---- */

static void bench_encode(revos_avro *codec, revos_record_type type, const json_t *rec, long iters)
{
    revos_err err = {0};
    uint8_t *buf = NULL;
    size_t len = 0;
    for (long i = 0; i < iters / 10 + 100; i++) { /* warm-up */
        if (revos_avro_encode(codec, type, "revos.bench", rec, &buf, &len, &err) != REVOS_OK)
            die("encode", &err);
        free(buf);
    }
    double secs[RUNS], cpu[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_s(), c0 = cpu_s();
        for (long i = 0; i < iters; i++) {
            if (revos_avro_encode(codec, type, "revos.bench", rec, &buf, &len, &err) != REVOS_OK)
                die("encode", &err);
            free(buf);
        }
        secs[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
    }
    double s = median(secs, RUNS), c = median(cpu, RUNS);
    printf("avro encode %-11s %5zu B/record  %10.0f records/s  %7.1f MB/s  %6.2f us/record"
           " (cpu %6.2f)  (median of %d x %ld)\n",
           revos_record_type_name(type), len, (double)iters / s,
           (double)iters * (double)len / s / 1e6, s / (double)iters * 1e6, c / (double)iters * 1e6,
           RUNS, iters);
}

static void bench_decode(revos_avro *codec, revos_record_type type, const json_t *rec, long iters)
{
    revos_err err = {0};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (revos_avro_encode(codec, type, "revos.bench", rec, &buf, &len, &err) != REVOS_OK)
        die("encode", &err);
    json_t *out = NULL;
    if (revos_avro_decode(codec, type, buf, len, &out, &err) != REVOS_OK)
        die("decode", &err);
    if (!json_equal(out, rec)) {
        fprintf(stderr, "bench_avro: %s does not round-trip\n", revos_record_type_name(type));
        exit(1);
    }
    json_decref(out);
    for (long i = 0; i < iters / 10 + 100; i++) { /* warm-up */
        if (revos_avro_decode(codec, type, buf, len, &out, &err) != REVOS_OK)
            die("decode", &err);
        json_decref(out);
    }
    double secs[RUNS], cpu[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_s(), c0 = cpu_s();
        for (long i = 0; i < iters; i++) {
            if (revos_avro_decode(codec, type, buf, len, &out, &err) != REVOS_OK)
                die("decode", &err);
            json_decref(out);
        }
        secs[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
    }
    double s = median(secs, RUNS), c = median(cpu, RUNS);
    printf("avro decode %-11s %5zu B/record  %10.0f records/s  %7.1f MB/s  %6.2f us/record"
           " (cpu %6.2f)  (median of %d x %ld)\n",
           revos_record_type_name(type), len, (double)iters / s,
           (double)iters * (double)len / s / 1e6, s / (double)iters * 1e6, c / (double)iters * 1e6,
           RUNS, iters);
    free(buf);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : DEFAULT_ITERATIONS;
    if (iters <= 0) {
        fprintf(stderr, "usage: bench_avro [ITERATIONS]\n");
        return 2;
    }
    print_load("bench_avro");
    revos_avro *codec = NULL;
    revos_err err = {0};
    if (revos_avro_open(&codec, NULL, &err) != REVOS_OK)
        die("open", &err);

    json_t *score = make_score_update();
    json_t *signal = make_signal();
    char *text = json_dumps(score, JSON_COMPACT);
    printf("# ScoreUpdate: %zu contributions, JSON text %zu B; single-object framing\n",
           json_array_size(json_object_get(score, "contributions")), strlen(text));
    free(text);

    bench_encode(codec, REVOS_REC_SCORE_UPDATE, score, iters);
    bench_decode(codec, REVOS_REC_SCORE_UPDATE, score, iters);
    bench_encode(codec, REVOS_REC_SIGNAL, signal, iters * 4);
    bench_decode(codec, REVOS_REC_SIGNAL, signal, iters * 4);

    json_decref(score);
    json_decref(signal);
    revos_avro_close(codec);
    return 0;
}
