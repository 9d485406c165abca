/* bench_ingest.c -- raw records/s through revos_ingest_parse
 * (workers/ingest/ingest.h), per source format, with the shipped
 * config/mapping.json.
 *
 * The records are the fixtures under tests/fixtures/raw/<source>/ (every .json),
 * read at run time and re-serialized compactly (one line per record, as
 * `revosctl produce` sends them). For each source: a warm-up, then RUNS runs
 * of ITERATIONS records cycling through that source's fixtures; prints the
 * median as records/s, SourceEvents/s and MB/s of raw JSON, one line per
 * source, then one for all sources mixed.
 *
 * Usage: bench_ingest [FIXTURES_RAW_DIR [MAPPING_JSON [ITERATIONS]]]
 *   defaults: the source tree's tests/fixtures/raw, config/mapping.json, 50000 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"

#ifndef REVOS_FIXTURES_RAW_DIR
#define REVOS_FIXTURES_RAW_DIR "tests/fixtures/raw"
#endif
#ifndef REVOS_CONFIG_DIR
#define REVOS_CONFIG_DIR "config"
#endif

#define RUNS 5
#define MAX_RECORDS 256

typedef struct record {
    const char *source;
    char name[128];
    char *text;
    size_t len;
} record;

static record records[MAX_RECORDS];
static size_t n_records;

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

static int cmp_name(const void *a, const void *b)
{
    const record *x = a, *y = b;
    int c = strcmp(x->source, y->source);
    return c ? c : strcmp(x->name, y->name);
}

static void load_source(const char *dir, const char *source)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, source);
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "bench_ingest: cannot open %s\n", path);
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || n_records == MAX_RECORDS)
            continue;
        snprintf(path, sizeof path, "%s/%s/%s", dir, source, e->d_name);
        json_error_t jerr;
        json_t *doc = json_load_file(path, 0, &jerr);
        if (doc == NULL) {
            fprintf(stderr, "bench_ingest: %s: %s\n", path, jerr.text);
            exit(1);
        }
        record *r = &records[n_records++];
        r->source = source;
        snprintf(r->name, sizeof r->name, "%.*s", (int)(sizeof r->name - 1), e->d_name);
        r->text = json_dumps(doc, JSON_COMPACT); /* key order kept, as sent */
        r->len = strlen(r->text);
        json_decref(doc);
    }
    closedir(d);
}

/* Parses the records of source (NULL: all) in turn until iters records were
 * parsed; returns seconds; *events and *bytes count SourceEvents and input. */
static double run(const json_t *mapping, const char *source, long iters, size_t *events,
                  size_t *bytes, double *cpu)
{
    size_t idx[MAX_RECORDS], k = 0;
    for (size_t i = 0; i < n_records; i++)
        if (source == NULL || strcmp(records[i].source, source) == 0)
            idx[k++] = i;
    json_t *out = json_array();
    *events = 0;
    *bytes = 0;
    double t0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < iters; i++) {
        const record *r = &records[idx[(size_t)i % k]];
        revos_raw_meta meta = {"revos.raw.bench", r->source, 0, (int64_t)i, NULL, 0};
        revos_err err = {0};
        int ignored = 0;
        if (revos_ingest_parse(mapping, &meta, r->text, r->len, out, &ignored, &err) != REVOS_OK) {
            fprintf(stderr, "bench_ingest: %s/%s: [%s] %s\n", r->source, r->name, err.cls, err.msg);
            exit(1);
        }
        *events += json_array_size(out);
        *bytes += r->len;
        json_array_clear(out);
    }
    double s = now_s() - t0;
    *cpu = cpu_s() - c0;
    json_decref(out);
    return s;
}

static void bench(const json_t *mapping, const char *source, long iters)
{
    size_t events = 0, bytes = 0, n = 0;
    for (size_t i = 0; i < n_records; i++)
        n += source == NULL || strcmp(records[i].source, source) == 0;
    if (n == 0)
        return;
    double secs[RUNS], cpu[RUNS];
    run(mapping, source, iters / 10 + 100, &events, &bytes, &cpu[0]); /* warm-up */
    for (int r = 0; r < RUNS; r++)
        secs[r] = run(mapping, source, iters, &events, &bytes, &cpu[r]);
    qsort(secs, RUNS, sizeof secs[0], cmp_double);
    qsort(cpu, RUNS, sizeof cpu[0], cmp_double);
    double s = secs[RUNS / 2], c = cpu[RUNS / 2];
    printf("ingest %-10s %2zu fixtures %5.0f B/record avg  %9.0f records/s  %9.0f events/s"
           "  %6.1f MB/s  %6.2f us/record (cpu %6.2f)  (median of %d x %ld)\n",
           source ? source : "all", n, (double)bytes / (double)iters, (double)iters / s,
           (double)events / s, (double)bytes / s / 1e6, s / (double)iters * 1e6,
           c / (double)iters * 1e6, RUNS, iters);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : REVOS_FIXTURES_RAW_DIR;
    const char *mapping_path = argc > 2 ? argv[2] : REVOS_CONFIG_DIR "/mapping.json";
    long iters = argc > 3 ? strtol(argv[3], NULL, 10) : 50000;
    if (iters <= 0) {
        fprintf(stderr, "usage: bench_ingest [FIXTURES_RAW_DIR [MAPPING_JSON [ITERATIONS]]]\n");
        return 2;
    }
    print_load("bench_ingest");
    static const char *const sources[] = {"salesforce", "segment", "zendesk", "nps"};
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        load_source(dir, sources[i]);
    qsort(records, n_records, sizeof records[0], cmp_name);

    json_error_t jerr;
    json_t *mapping = json_load_file(mapping_path, 0, &jerr);
    if (mapping == NULL) {
        fprintf(stderr, "bench_ingest: %s: %s\n", mapping_path, jerr.text);
        return 1;
    }
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        bench(mapping, sources[i], iters);
    bench(mapping, NULL, iters);

    json_decref(mapping);
    for (size_t i = 0; i < n_records; i++)
        free(records[i].text);
    return 0;
}
