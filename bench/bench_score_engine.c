/* bench_score_engine.c -- throughput of revos-score's pure engine
 * (workers/score/engine.h) with the shipped config/scoring.json, no I/O:
 *
 *   (a) one account fed the reference-walkthrough stream: 90 days of
 *       product usage (10/day, then -35%), tickets (every 10 days, then
 *       tripled), NPS 8 -> 3, champion contact role changing; ~816 signals,
 *       replayed REPEAT times per run, each replay on a fresh state;
 *   (b) ACCOUNTS accounts (default 1,000) with the same stream, interleaved
 *       in event-time order (day by day, round-robin across accounts), all
 *       states kept in memory;
 *   (c) the cost of storing an account's state the way revos-score does in
 *       PostgreSQL (score_account_state.blob, written with
 *       revos_score_state_encode and read back with revos_score_state_decode,
 *       score/state_codec.h), measured on
 *       the 1,000 end-of-stream states;
 *   (d) the worker's batch shape in steady state: starting from (b)'s
 *       end-of-stream states stored as bytes (the "rows"), 15 more days
 *       of usage (~97,000 signals) in batches of BATCH signals (default
 *       500, REVOS_BATCH_MAX's default), every account a batch touches
 *       loaded from its text before the batch and dumped after it, as
 *       revos-score does around its PostgreSQL round trip;
 *   (e) as (d), with revos-score's state cache all hits: a state decoded
 *       once stays in memory across batches and is only encoded after
 *       each batch that touched it.
 *
 * (a) and (c): one warm-up run, then RUNS runs (default 5). (b) (816,000
 * signals) and (d) (97,000 signals, ~0.4 ms each) take a minute or two per
 * run, so they run LONG_RUNS times (default 3) with no warm-up of their own
 * ((a) has warmed the code). The median run is printed as signals/s and
 * us/signal, with the process CPU time per signal (the machine may be
 * shared). Signals for (b) and (d) are built a day at a time outside the
 * timed sections. The whole program takes about 8 minutes on this machine.
 *
 * Usage: bench_score_engine [SCORING_JSON [ACCOUNTS [RUNS [LONG_RUNS]]]]
 *   SCORING_JSON defaults to the source tree's config/scoring.json;
 *   REVOS_BATCH_MAX sets (d)'s batch size; BENCH_DUMP_STATES=1 prints (d)'s
 *   final state rows (to check that batching does not change them). */
#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "score/calendar.h"
#include "score/engine.h"
#include "score/rules.h"
#include "score/state.h"
#include "score/state_codec.h"

#ifndef REVOS_CONFIG_DIR
#define REVOS_CONFIG_DIR "config"
#endif

#define DAYS 90
#define EXTRA_DAYS 15 /* (d): days 90..104, usage only, on the day-89 states */
#define REPEAT 20
#define CONFIG_VERSION 1

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
    double *c = malloc(sizeof *c * (size_t)n);
    memcpy(c, v, sizeof *c * (size_t)n);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    double m = c[n / 2];
    free(c);
    return m;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_score_engine: %s: %s\n", what, msg);
    exit(1);
}

/* ---- The walkthrough stream, per account ---- */

static int64_t day_ms(int day, int minute_of_day)
{
    return (revos_day_from_civil(2026, 6, 1) + day) * REVOS_MS_PER_DAY +
           (int64_t)minute_of_day * 60000;
}

/* A Signal record; attributes as name, value pairs ending with NULL; value
 * NAN means null. */
static json_t *make_signal(const char *account, const char *id, const char *family,
                           const char *type, int64_t ms, double value, ...)
{
    json_t *attrs = json_object();
    va_list ap;
    va_start(ap, value);
    for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *))
        json_object_set_new(attrs, k, json_string(va_arg(ap, const char *)));
    va_end(ap);
    json_t *sig = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:s,s:s,s:i,s:I}",
                            "signal_id", id, "account_id", account, "family", family, "type", type,
                            "severity", "info", "occurred_at", (json_int_t)ms, "value",
                            isnan(value) ? json_null() : json_real(value), "attributes", attrs,
                            "evidence", "bench", "source_event_id", id, "source", "bench",
                            "source_topic", "revos.raw.bench", "source_partition", 0,
                            "source_offset", (json_int_t)0);
    if (sig == NULL)
        die("make_signal", "json_pack failed");
    return sig;
}

static int cmp_occurred(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "occurred_at"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "occurred_at"));
    return x < y ? -1 : x > y;
}

/* Appends account a's signals of one day, in event-time order. */
static void day_signals(int a, int day, json_t *out)
{
    char account[64], id[96];
    snprintf(account, sizeof account, "acct-bench-%05d", a);
    if (day == 0) {
        snprintf(id, sizeof id, "sig:sf-acct-%05d", a);
        json_array_append_new(out, make_signal(account, id, "institutional", "account_profile",
                                               day_ms(0, 480), NAN, "name", "Lincoln Unified",
                                               "ae", "ae@revos.test", "csm", "csm@revos.test",
                                               "csm_lead", "csm-lead@revos.test", "segment",
                                               "K-12 district", "domain", "lincoln.k12.test", NULL));
        snprintf(id, sizeof id, "sig:sf-opp-%05d", a);
        json_array_append_new(out, make_signal(account, id, "procurement", "renewal_opportunity",
                                               day_ms(0, 485), 180000, "opportunity_id", "006RENEW",
                                               "close_date", "2026-12-08", "stage", "Negotiation",
                                               "is_closed", "false", "is_won", "false", NULL));
        snprintf(id, sizeof id, "sig:sf-ocr-%05d-1", a);
        json_array_append_new(out, make_signal(account, id, "stakeholder", "contact_role",
                                               day_ms(0, 490), NAN, "contact_id", "003CHAMP",
                                               "role", "Business User", "role_class", "champion",
                                               "is_primary", "true", "opportunity_id", "006RENEW",
                                               "contact_role_id", "00K1", "action", "create", NULL));
    }
    /* Usage hourly from 09:00, role change 10:30, ticket 12:30, NPS 14:30;
     * sorted by event time below. */
    json_t *day_list = json_array();
    int n = day < 60 ? 10 : ((day - 60) % 2 == 0 ? 6 : 7);
    int ticket = (day < 60 && day % 10 == 5) || (day >= 61 && day <= 85 && (day - 61) % 3 == 0);
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "sig:seg-%05d-%d-%d", a, day, i);
        json_array_append_new(day_list, make_signal(account, id, "usage", "product_usage",
                                                    day_ms(day, 540 + 60 * i), NAN, "event",
                                                    "Lesson Assigned", NULL));
    }
    if (day == 70) {
        snprintf(id, sizeof id, "sig:sf-ocr-%05d-2", a);
        json_array_append_new(day_list, make_signal(account, id, "stakeholder", "contact_role",
                                                    day_ms(70, 630), NAN, "contact_id", "003CHAMP",
                                                    "role", "Other", "role_class", "other",
                                                    "is_primary", "false", "opportunity_id",
                                                    "006RENEW", "contact_role_id", "00K1", "action",
                                                    "update", NULL));
    }
    if (ticket) {
        snprintf(id, sizeof id, "sig:zd-%05d-%d", a, day);
        json_array_append_new(day_list, make_signal(account, id, "health", "ticket_opened",
                                                    day_ms(day, 750), NAN, "ticket_id", id,
                                                    "priority", "high", NULL));
    }
    if (day == 20 || day == 80) {
        snprintf(id, sizeof id, "sig:nps-%05d-%d", a, day);
        json_array_append_new(day_list, make_signal(account, id, "engagement", "nps_response",
                                                    day_ms(day, 870), day == 20 ? 8 : 3,
                                                    "contact_id", "003CHAMP", NULL));
    }
    size_t count = json_array_size(day_list);
    json_t **sorted = malloc(sizeof *sorted * count);
    for (size_t i = 0; i < count; i++)
        sorted[i] = json_array_get(day_list, i);
    qsort(sorted, count, sizeof *sorted, cmp_occurred);
    for (size_t i = 0; i < count; i++)
        json_array_append(out, sorted[i]);
    free(sorted);
    json_decref(day_list);
}

/* One day of ACCOUNTS accounts, interleaved round-robin (the same timeline
 * for every account, so this is event-time order). */
static json_t *day_interleaved(int accounts, int day)
{
    json_t **per = malloc(sizeof *per * (size_t)accounts);
    size_t longest = 0;
    for (int a = 0; a < accounts; a++) {
        per[a] = json_array();
        day_signals(a, day, per[a]);
        if (json_array_size(per[a]) > longest)
            longest = json_array_size(per[a]);
    }
    json_t *out = json_array();
    for (size_t i = 0; i < longest; i++)
        for (int a = 0; a < accounts; a++)
            if (i < json_array_size(per[a]))
                json_array_append(out, json_array_get(per[a], i));
    for (int a = 0; a < accounts; a++)
        json_decref(per[a]);
    free(per);
    return out;
}

static int account_index(const json_t *signal)
{
    const char *acct = json_string_value(json_object_get(signal, "account_id"));
    return atoi(acct + strlen("acct-bench-"));
}

/* ---- Applying ---- */

static size_t g_updates; /* ScoreUpdates emitted in the last run */
static double g_cpu;      /* CPU seconds of the last run's timed sections */

static void apply_one(const revos_score_rules *rules, json_t *state, const json_t *signal,
                      json_t *updates)
{
    revos_err err = {0};
    revos_score_outcome outcome;
    if (revos_score_engine_apply(rules, state, signal, NULL, CONFIG_VERSION, updates, &outcome,
                                 &err) != REVOS_OK)
        die("apply", err.msg);
    g_updates += json_array_size(updates);
    json_array_clear(updates);
}

/* (a): returns seconds for REPEAT replays of stream on fresh states. */
static double run_single(const revos_score_rules *rules, const json_t *stream)
{
    json_t *updates = json_array();
    g_updates = 0;
    double t0 = now_s(), c0 = cpu_s();
    for (int r = 0; r < REPEAT; r++) {
        json_t *state = revos_score_state_new("acct-bench-00000");
        for (size_t i = 0; i < json_array_size(stream); i++)
            apply_one(rules, state, json_array_get(stream, i), updates);
        json_decref(state);
    }
    double s = now_s() - t0;
    g_cpu = cpu_s() - c0;
    json_decref(updates);
    return s;
}

/* (b): returns the seconds spent applying; *n_signals the count; states
 * (ACCOUNTS of them) are left with the end-of-stream states. */
static double run_interleaved(const revos_score_rules *rules, int accounts, json_t **states,
                              size_t *n_signals)
{
    json_t *updates = json_array();
    char account[64];
    for (int a = 0; a < accounts; a++) {
        json_decref(states[a]);
        snprintf(account, sizeof account, "acct-bench-%05d", a);
        states[a] = revos_score_state_new(account);
    }
    g_updates = 0;
    g_cpu = 0;
    *n_signals = 0;
    double spent = 0;
    for (int day = 0; day < DAYS; day++) {
        json_t *stream = day_interleaved(accounts, day);
        double t0 = now_s(), c0 = cpu_s();
        for (size_t i = 0; i < json_array_size(stream); i++) {
            const json_t *signal = json_array_get(stream, i);
            apply_one(rules, states[account_index(signal)], signal, updates);
        }
        spent += now_s() - t0;
        g_cpu += cpu_s() - c0;
        *n_signals += json_array_size(stream);
        json_decref(stream);
    }
    json_decref(updates);
    return spent;
}

/* (d): the worker's batch shape with state round-tripped through JSON text. */
typedef struct batch_times {
    double load, apply, dump, total, cpu;
    size_t n_signals, n_batches, n_loads, n_updates;
} batch_times;

/* A stored state: its bytes as score_account_state.blob holds them. */
typedef revos_score_bytes row;

static batch_times run_batched(const revos_score_rules *rules, int accounts, size_t batch,
                               const row *snapshot, int from_day, int to_day, int cached)
{
    batch_times t = {0};
    row *text = calloc((size_t)accounts, sizeof *text); /* the "rows" */
    json_t **live = calloc((size_t)accounts, sizeof *live);
    int *touched = malloc(sizeof *touched * (size_t)accounts);
    size_t *stamp = calloc((size_t)accounts, sizeof *stamp); /* batch that last touched it */
    json_t *updates = json_array();
    json_t *pending = json_array(); /* signals not yet in a batch */
    for (int a = 0; a < accounts; a++) {
        text[a].data = malloc(snapshot[a].len);
        if (text[a].data == NULL)
            die("malloc", "out of memory");
        memcpy(text[a].data, snapshot[a].data, snapshot[a].len);
        text[a].len = text[a].cap = snapshot[a].len;
    }
    g_updates = 0;
    for (int day = from_day; day <= to_day; day++) {
        if (day < to_day) {
            json_t *stream = day_interleaved(accounts, day);
            json_array_extend(pending, stream);
            json_decref(stream);
        }
        size_t have = json_array_size(pending);
        size_t done = 0;
        while (have - done >= batch || (day == to_day && done < have)) {
            size_t end = done + batch < have ? done + batch : have;
            size_t n_touched = 0;
            double t0 = now_s(), c0 = cpu_s();
            /* load every account of the batch (one SELECT ... = ANY in the worker) */
            for (size_t i = done; i < end; i++) {
                int a = account_index(json_array_get(pending, i));
                if (live[a] == NULL) {
                    revos_err err = {0};
                    live[a] = revos_score_state_decode(text[a].data, text[a].len, &err);
                    if (live[a] == NULL)
                        die("revos_score_state_decode", err.msg);
                } else if (!cached || stamp[a] == t.n_batches + 1) {
                    continue; /* already loaded for this batch */
                }
                stamp[a] = t.n_batches + 1;
                touched[n_touched++] = a;
            }
            double t1 = now_s();
            /* as revos-score: every signal added at its own day, then each
             * touched account's timeline settled once */
            for (size_t i = done; i < end; i++) {
                const json_t *signal = json_array_get(pending, i);
                revos_err err = {0};
                revos_score_outcome outcome;
                if (revos_score_engine_add(rules, live[account_index(signal)], signal, &outcome,
                                           &err) != REVOS_OK)
                    die("add", err.msg);
            }
            for (size_t k = 0; k < n_touched; k++) {
                revos_err err = {0};
                if (revos_score_engine_settle(rules, live[touched[k]], NULL, CONFIG_VERSION, updates,
                                              NULL, &err) != REVOS_OK)
                    die("settle", err.msg);
                g_updates += json_array_size(updates);
                json_array_clear(updates);
            }
            double t2 = now_s();
            /* write back every touched state (one multi-row upsert in the worker) */
            for (size_t k = 0; k < n_touched; k++) {
                int a = touched[k];
                text[a].len = 0; /* the row is rewritten */
                if (revos_score_state_encode(live[a], &text[a]) != 0)
                    die("revos_score_state_encode", "out of memory");
                if (!cached) {
                    json_decref(live[a]);
                    live[a] = NULL;
                }
            }
            double t3 = now_s();
            t.cpu += cpu_s() - c0;
            t.load += t1 - t0;
            t.apply += t2 - t1;
            t.dump += t3 - t2;
            t.n_signals += end - done;
            t.n_loads += n_touched;
            t.n_batches++;
            done = end;
        }
        /* keep the remainder for the next day */
        json_t *rest = json_array();
        for (size_t i = done; i < have; i++)
            json_array_append(rest, json_array_get(pending, i));
        json_decref(pending);
        pending = rest;
    }
    t.total = t.load + t.apply + t.dump;
    t.n_updates = g_updates;
    for (int a = 0; getenv("BENCH_DUMP_STATES") != NULL && a < accounts; a++) {
        /* debugging: the final rows, as JSON */
        revos_err err = {0};
        json_t *state = revos_score_state_decode(text[a].data, text[a].len, &err);
        char *json = state ? json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        printf("%s\n", json ? json : err.msg);
        free(json);
        json_decref(state);
    }
    for (int a = 0; a < accounts; a++)
        free(text[a].data);
    free(text);
    for (int a = 0; a < accounts; a++)
        json_decref(live[a]);
    free(live);
    free(touched);
    free(stamp);
    json_decref(updates);
    json_decref(pending);
    return t;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : REVOS_CONFIG_DIR "/scoring.json";
    int accounts = argc > 2 ? atoi(argv[2]) : 1000;
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    int long_runs = argc > 4 ? atoi(argv[4]) : 3;
    if (accounts <= 0 || runs <= 0 || long_runs <= 0) {
        fprintf(stderr, "usage: bench_score_engine [SCORING_JSON [ACCOUNTS [RUNS [LONG_RUNS]]]]\n");
        return 2;
    }
    print_load("bench_score_engine");
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        die(path, jerr.text);
    revos_score_rules *rules = NULL;
    revos_err err = {0};
    if (revos_score_rules_load(doc, &rules, &err) != REVOS_OK)
        die("rules", err.msg);
    json_decref(doc);

    /* (a) one account */
    json_t *stream = json_array();
    for (int day = 0; day < DAYS; day++)
        day_signals(0, day, stream);
    size_t n = json_array_size(stream);
    double *secs = malloc(sizeof *secs * (size_t)runs);
    double *cpus = malloc(sizeof *cpus * (size_t)(runs > long_runs ? runs : long_runs));
    run_single(rules, stream); /* warm-up */
    for (int r = 0; r < runs; r++) {
        secs[r] = run_single(rules, stream);
        cpus[r] = g_cpu;
    }
    double s = median(secs, runs), c = median(cpus, runs);
    double total = (double)n * REPEAT;
    printf("score (a) 1 account, walkthrough stream   %10.0f signals/s  %7.2f us/signal (cpu %.2f)"
           "  (%zu signals x %d replays, %.2f updates/signal, median of %d)\n",
           total / s, s / total * 1e6, c / total * 1e6, n, REPEAT, (double)g_updates / total, runs);
    fflush(stdout);
    json_decref(stream);

    /* (b) interleaved */
    json_t **states = calloc((size_t)accounts, sizeof *states);
    size_t n_sig = 0;
    double *long_secs = malloc(sizeof *long_secs * (size_t)long_runs);
    for (int r = 0; r < long_runs; r++) {
        long_secs[r] = run_interleaved(rules, accounts, states, &n_sig);
        cpus[r] = g_cpu;
    }
    s = median(long_secs, long_runs);
    c = median(cpus, long_runs);
    printf("score (b) %d accounts interleaved       %10.0f signals/s  %7.2f us/signal (cpu %.2f)"
           "  (%zu signals, %.2f updates/signal, median of %d)\n",
           accounts, (double)n_sig / s, s / (double)n_sig * 1e6, c / (double)n_sig * 1e6, n_sig,
           (double)g_updates / (double)n_sig, long_runs);
    fflush(stdout);

    /* (c) state as PostgreSQL stores it */
    size_t bytes = 0;
    row *text = calloc((size_t)accounts, sizeof *text);
    double *dump_s = malloc(sizeof *dump_s * (size_t)runs);
    double *load_s = malloc(sizeof *load_s * (size_t)runs);
    for (int r = -1; r < runs; r++) { /* r = -1: warm-up */
        double t0 = now_s();
        for (int a = 0; a < accounts; a++) {
            text[a].len = 0;
            if (revos_score_state_encode(states[a], &text[a]) != 0)
                die("revos_score_state_encode", "out of memory");
        }
        double t1 = now_s();
        for (int a = 0; a < accounts; a++) {
            revos_err lerr = {0};
            json_t *back = revos_score_state_decode(text[a].data, text[a].len, &lerr);
            if (back == NULL)
                die("revos_score_state_decode", lerr.msg);
            json_decref(back);
        }
        double t2 = now_s();
        if (r >= 0) {
            dump_s[r] = t1 - t0;
            load_s[r] = t2 - t1;
        }
    }
    for (int a = 0; a < accounts; a++)
        bytes += text[a].len; /* text[] stays: (d) starts from these rows */
    /* what a decoded state takes in memory, per stored byte (the state
     * cache's size estimate, state_cache.h) */
    struct mallinfo2 m0 = mallinfo2();
    json_t **decoded = calloc((size_t)accounts, sizeof *decoded);
    for (int a = 0; a < accounts; a++) {
        revos_err lerr = {0};
        decoded[a] = revos_score_state_decode(text[a].data, text[a].len, &lerr);
    }
    struct mallinfo2 m1 = mallinfo2();
    for (int a = 0; a < accounts; a++)
        json_decref(decoded[a]);
    free(decoded);

    double d = median(dump_s, runs), l = median(load_s, runs);
    printf("score (c) state encode (store)           %10.0f states/s   %7.2f us/state"
           "   (%.0f B/state avg, %.1f MB/s, median of %d)\n",
           accounts / d, d / accounts * 1e6, (double)bytes / accounts, (double)bytes / d / 1e6,
           runs);
    printf("score (c) decoded state in memory        %10.0f B/state     %7.2f B per stored byte\n",
           (double)(m1.uordblks - m0.uordblks) / accounts,
           (double)(m1.uordblks - m0.uordblks) / (double)bytes);
    printf("score (c) state decode (load)            %10.0f states/s   %7.2f us/state"
           "   (%.0f B/state avg, %.1f MB/s, median of %d)\n",
           accounts / l, l / accounts * 1e6, (double)bytes / accounts, (double)bytes / l / 1e6,
           runs);
    fflush(stdout);
    for (int a = 0; a < accounts; a++)
        json_decref(states[a]);
    free(states);

    /* (d) the worker's batch shape */
    size_t batch = 500;
    const char *env = getenv("REVOS_BATCH_MAX");
    if (env != NULL && atoi(env) > 0)
        batch = (size_t)atoi(env);
    batch_times *bt = malloc(sizeof *bt * (size_t)long_runs);
    double *tot = malloc(sizeof *tot * (size_t)long_runs);
    for (int cached = 0; cached <= 1; cached++) {
        for (int r = 0; r < long_runs; r++) {
            bt[r] = run_batched(rules, accounts, batch, text, DAYS, DAYS + EXTRA_DAYS, cached);
            tot[r] = bt[r].total;
        }
        double m = median(tot, long_runs);
        batch_times *mt = &bt[0];
        for (int r = 0; r < long_runs; r++)
            if (bt[r].total == m)
                mt = &bt[r];
        double ns = (double)mt->n_signals;
        printf("score (%s) %d accounts, batches of %zu    %10.0f signals/s  %7.2f us/signal (cpu %.2f)"
               "  (load %.2f + apply %.2f + dump %.2f us/signal; %.0f states %s/batch of %.0f;"
               " %zu signals, %.2f updates/signal, median of %d)\n",
               cached ? "e" : "d", accounts, batch, ns / mt->total, mt->total / ns * 1e6,
               mt->cpu / ns * 1e6, mt->load / ns * 1e6, mt->apply / ns * 1e6, mt->dump / ns * 1e6,
               (double)mt->n_loads / (double)mt->n_batches, cached ? "touched" : "loaded",
               ns / (double)mt->n_batches, mt->n_signals, (double)mt->n_updates / ns, long_runs);
        fflush(stdout);
    }

    for (int a = 0; a < accounts; a++)
        free(text[a].data);
    free(text);
    free(bt);
    free(tot);
    free(long_secs);
    free(secs);
    free(cpus);
    free(dump_s);
    free(load_s);
    revos_score_rules_free(rules);
    return 0;
}
