/* normalize_worker.c -- revos-normalize's batch: identity from PostgreSQL,
 * signals out, parking and unparking. See normalize_worker.h for the steps. */
#include "normalize/normalize_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "normalize/identity.h"
#include "normalize/signals.h"
#include "pg/pg.h"

/* ==== SQL ==== */

static const char sql_load_identity[] =
    "SELECT kind, value, account_id FROM norm_identity"
    " WHERE (kind, value) IN (SELECT * FROM unnest($1::text[], $2::text[]))";

/* Authoritative links replace, inferred ones only fill gaps. The batch's map
 * holds one row per key, so no row is affected twice. */
static const char sql_write_links[] =
    "WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
    " $5::text[]) AS t(kind, value, account_id, learned_from, mode)),"
    " up AS (INSERT INTO norm_identity (kind, value, account_id, learned_from)"
    "  SELECT kind, value, account_id, learned_from FROM t WHERE mode = 'upsert'"
    "  ON CONFLICT (kind, value) DO UPDATE SET account_id = EXCLUDED.account_id,"
    "  learned_from = EXCLUDED.learned_from, learned_at = now()"
    "  WHERE norm_identity.account_id IS DISTINCT FROM EXCLUDED.account_id)"
    " INSERT INTO norm_identity (kind, value, account_id, learned_from)"
    " SELECT kind, value, account_id, learned_from FROM t WHERE mode = 'insert'"
    " ON CONFLICT (kind, value) DO NOTHING";

static const char sql_park_events[] =
    "INSERT INTO norm_parked (event_id, record)"
    " SELECT e, r::jsonb FROM unnest($1::text[], $2::text[]) AS t(e, r)"
    " ON CONFLICT (event_id) DO NOTHING";

static const char sql_park_keys[] =
    "INSERT INTO norm_parked_keys (kind, value, event_id)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
    " ON CONFLICT DO NOTHING";

/* Parked events under any of the given keys leave the parking lot (their
 * keys go with them, ON DELETE CASCADE), oldest event first. */
static const char sql_unpark_by_keys[] =
    "WITH hit AS (SELECT DISTINCT event_id FROM norm_parked_keys"
    "  WHERE (kind, value) IN (SELECT * FROM unnest($1::text[], $2::text[]))),"
    " gone AS (DELETE FROM norm_parked p USING hit WHERE p.event_id = hit.event_id"
    "  RETURNING p.event_id, p.record)"
    " SELECT event_id, record::text FROM gone"
    " ORDER BY (record->>'occurred_at')::bigint, event_id";

static const char sql_unpark_resolvable[] =
    "WITH hit AS (SELECT DISTINCT k.event_id FROM norm_parked_keys k"
    "  JOIN norm_identity i ON i.kind = k.kind AND i.value = k.value"
    "  ORDER BY k.event_id LIMIT $1::bigint),"
    " gone AS (DELETE FROM norm_parked p USING hit WHERE p.event_id = hit.event_id"
    "  RETURNING p.event_id, p.record)"
    " SELECT event_id, record::text FROM gone"
    " ORDER BY (record->>'occurred_at')::bigint, event_id";

/* ==== A run: one batch (or one sweep) ==== */

typedef struct pending {
    json_t *event;  /* owned reference */
    size_t index;   /* position in the input, when !from_park */
    int from_park;  /* taken out of the parking tables in this run */
} pending;

typedef struct norm_run {
    PGconn *conn;
    const json_t *rules;
    const revos_norm_sink *sink;
    revos_norm_stats stats;
    revos_norm_idmap *map;
    pending *waiting; /* unresolved so far, in arrival order */
    size_t n_waiting, cap_waiting;
} norm_run;

static revos_status oom(revos_err *err, const char *what)
{
    return revos_fail(err, REVOS_ERR_FATAL, "normalize: out of memory %s", what);
}

/* Text arrays for a statement: params[i] = revos_pg_text_array(cols[i]). */
typedef struct text_cols {
    const char **cols[5];
    size_t n_cols, n, cap;
} text_cols;

static int cols_push(text_cols *tc, const char *const *row)
{
    if (tc->n == tc->cap) {
        size_t cap = tc->cap ? tc->cap * 2 : 32;
        for (size_t c = 0; c < tc->n_cols; c++) {
            const char **col = realloc(tc->cols[c], cap * sizeof *col);
            if (col == NULL)
                return -1;
            tc->cols[c] = col;
        }
        tc->cap = cap;
    }
    for (size_t c = 0; c < tc->n_cols; c++)
        tc->cols[c][tc->n] = row[c];
    tc->n++;
    return 0;
}

static void cols_free(text_cols *tc)
{
    for (size_t c = 0; c < tc->n_cols; c++)
        free(tc->cols[c]);
    memset(tc, 0, sizeof *tc);
}

/* Runs sql with one text[] parameter per column (plus extra trailing params). */
static revos_status exec_cols(PGconn *conn, const char *sql, const text_cols *tc,
                              PGresult **out, revos_err *err)
{
    char *params[5] = {NULL};
    revos_status st = REVOS_OK;
    for (size_t c = 0; c < tc->n_cols; c++) {
        params[c] = revos_pg_text_array(tc->cols[c], tc->n);
        if (params[c] == NULL) {
            st = oom(err, "building a text array");
            break;
        }
    }
    if (st == REVOS_OK)
        st = revos_pg_exec(conn, sql, (int)tc->n_cols, (const char *const *)params, out, err);
    for (size_t c = 0; c < tc->n_cols; c++)
        free(params[c]);
    return st;
}

/* Loads the identity rows for the keys the map does not hold yet. */
static revos_status preload(norm_run *run, const revos_norm_keys *keys, revos_err *err)
{
    text_cols tc = {.n_cols = 2};
    revos_norm_idmap *asked = revos_norm_idmap_new(); /* dedup: a set of keys */
    revos_status st = asked != NULL ? REVOS_OK : oom(err, "collecting identity keys");
    for (size_t i = 0; i < keys->n && st == REVOS_OK; i++) {
        const char *row[2] = {keys->items[i].kind, keys->items[i].value};
        if (revos_norm_idmap_has(run->map, row[0], row[1]) ||
            revos_norm_idmap_has(asked, row[0], row[1]))
            continue;
        if (revos_norm_idmap_load(asked, row[0], row[1], NULL) != 0 || cols_push(&tc, row) != 0)
            st = oom(err, "collecting identity keys");
    }
    revos_norm_idmap_free(asked);
    if (st != REVOS_OK || tc.n == 0) {
        cols_free(&tc);
        return st;
    }
    PGresult *res = NULL;
    st = exec_cols(run->conn, sql_load_identity, &tc, &res, err);
    if (st != REVOS_OK) {
        cols_free(&tc);
        return revos_wrap(err, st, "loading identity");
    }
    for (int r = 0; r < PQntuples(res) && st == REVOS_OK; r++)
        if (revos_norm_idmap_load(run->map, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                                  PQgetvalue(res, r, 2)) != 0)
            st = oom(err, "loading identity");
    PQclear(res);
    /* What storage does not link is known to be unlinked. */
    for (size_t i = 0; i < tc.n && st == REVOS_OK; i++)
        if (revos_norm_idmap_load(run->map, tc.cols[0][i], tc.cols[1][i], NULL) != 0)
            st = oom(err, "loading identity");
    cols_free(&tc);
    return st;
}

static revos_status wait_push(norm_run *run, json_t *event, size_t index, int from_park,
                              revos_err *err)
{
    if (run->n_waiting == run->cap_waiting) {
        size_t cap = run->cap_waiting ? run->cap_waiting * 2 : 16;
        pending *w = realloc(run->waiting, cap * sizeof *w);
        if (w == NULL)
            return oom(err, "parking an event");
        run->waiting = w;
        run->cap_waiting = cap;
    }
    run->waiting[run->n_waiting++] = (pending){json_incref(event), index, from_park};
    return REVOS_OK;
}

static revos_status emit(norm_run *run, const pending *p, const char *topic, const char *key,
                         revos_record_type type, const json_t *record, int *rejected,
                         revos_err *err)
{
    revos_status st = run->sink->emit(run->sink->ctx, topic, key, type, record, err);
    if (st != REVOS_ERR_INPUT)
        return st;
    if (p->from_park) /* no input record to dead-letter: a mapping bug */
        return revos_wrap(err, REVOS_ERR_FATAL, "normalize: unparked event does not map");
    snprintf(err->cls, sizeof err->cls, "mapping");
    run->sink->reject(run->sink->ctx, p->index, err);
    run->stats.rejected++;
    *rejected = 1;
    return REVOS_OK;
}

/* Learns from p->event and resolves it; emits its records when resolved.
 * *resolved says which. */
static revos_status process_one(norm_run *run, const pending *p, int *resolved, revos_err *err)
{
    revos_norm_resolution res;
    revos_status st = revos_norm_identity_apply(run->map, p->event, &res, err);
    if (st != REVOS_OK)
        return st;
    *resolved = res.account_id != NULL;
    if (!*resolved) {
        revos_norm_resolution_clear(&res);
        return REVOS_OK;
    }
    json_t *signals = json_array();
    json_t *outcome = NULL;
    if (signals == NULL) {
        revos_norm_resolution_clear(&res);
        return oom(err, "mapping an event");
    }
    st = revos_norm_map_event(res.event, res.account_id, run->rules, signals, &outcome, err);
    int rejected = 0;
    size_t i;
    json_t *sig;
    json_array_foreach(signals, i, sig) {
        if (st != REVOS_OK || rejected)
            break;
        st = emit(run, p, "signals", res.account_id, REVOS_REC_SIGNAL, sig, &rejected, err);
        if (st == REVOS_OK && !rejected)
            run->stats.signals++;
    }
    if (st == REVOS_OK && !rejected && outcome != NULL) {
        st = emit(run, p, "outcomes", res.account_id, REVOS_REC_OUTCOME, outcome, &rejected, err);
        if (st == REVOS_OK && !rejected)
            run->stats.outcomes++;
    }
    if (st == REVOS_OK && !rejected && p->from_park)
        run->stats.unparked++;
    json_decref(signals);
    json_decref(outcome);
    revos_norm_resolution_clear(&res);
    return st;
}

/* Re-tries the waiting events until a pass resolves none of them. */
static revos_status retry_waiting(norm_run *run, revos_err *err)
{
    int progress = 1;
    while (progress) {
        progress = 0;
        size_t kept = 0;
        for (size_t i = 0; i < run->n_waiting; i++) {
            pending p = run->waiting[i];
            int resolved = 0;
            revos_status st = process_one(run, &p, &resolved, err);
            if (st != REVOS_OK) {
                /* keep the list consistent for cleanup */
                memmove(&run->waiting[kept], &run->waiting[i],
                        (run->n_waiting - i) * sizeof *run->waiting);
                run->n_waiting = kept + (run->n_waiting - i);
                return st;
            }
            if (resolved) {
                json_decref(p.event);
                progress = 1;
            } else {
                run->waiting[kept++] = p;
            }
        }
        run->n_waiting = kept;
    }
    return REVOS_OK;
}

/* Runs an unpark statement and processes what it returns, in order. */
static revos_status unpark(norm_run *run, const char *sql, const text_cols *tc,
                           const char *limit, revos_err *err)
{
    PGresult *res = NULL;
    revos_status st;
    if (tc != NULL) {
        st = exec_cols(run->conn, sql, tc, &res, err);
    } else {
        const char *params[1] = {limit};
        st = revos_pg_exec(run->conn, sql, 1, params, &res, err);
    }
    if (st != REVOS_OK)
        return revos_wrap(err, st, "unparking");
    int n = PQntuples(res);
    json_t **events = calloc((size_t)n + 1, sizeof *events);
    revos_norm_keys lookups = {0};
    if (events == NULL) {
        PQclear(res);
        return oom(err, "unparking");
    }
    for (int r = 0; r < n && st == REVOS_OK; r++) {
        json_error_t jerr;
        events[r] = json_loads(PQgetvalue(res, r, 1), 0, &jerr);
        revos_err verr;
        if (events[r] == NULL || revos_norm_validate(events[r], &verr) != REVOS_OK)
            st = revos_fail(err, REVOS_ERR_FATAL,
                            "normalize: parked event %.128s is not a valid SourceEvent",
                            PQgetvalue(res, r, 0));
        else if (revos_norm_identity_lookups(events[r], &lookups) != 0)
            st = oom(err, "unparking");
    }
    PQclear(res);
    if (st == REVOS_OK)
        st = preload(run, &lookups, err);
    revos_norm_keys_free(&lookups);
    for (int r = 0; r < n && st == REVOS_OK; r++) {
        pending p = {events[r], 0, 1};
        int resolved = 0;
        st = process_one(run, &p, &resolved, err);
        if (st == REVOS_OK && !resolved)
            st = wait_push(run, events[r], 0, 1, err);
    }
    for (int r = 0; r < n; r++)
        json_decref(events[r]);
    free(events);
    return st;
}

/* Until no new link is learned: retry what waits, then unpark what the
 * round's new links free. */
static revos_status settle(norm_run *run, revos_err *err)
{
    for (;;) {
        revos_status st = retry_waiting(run, err);
        if (st != REVOS_OK)
            return st;
        revos_norm_keys round = {0};
        if (revos_norm_idmap_take_round(run->map, &round) != 0) {
            revos_norm_keys_free(&round);
            return oom(err, "collecting new links");
        }
        if (round.n == 0)
            return REVOS_OK;
        text_cols tc = {.n_cols = 2};
        for (size_t i = 0; i < round.n && st == REVOS_OK; i++) {
            const char *row[2] = {round.items[i].kind, round.items[i].value};
            if (cols_push(&tc, row) != 0)
                st = oom(err, "collecting new links");
        }
        if (st == REVOS_OK)
            st = unpark(run, sql_unpark_by_keys, &tc, NULL, err);
        cols_free(&tc);
        revos_norm_keys_free(&round);
        if (st != REVOS_OK)
            return st;
    }
}

static int link_cmp(const void *a, const void *b)
{
    const revos_norm_link *x = a, *y = b;
    int c = strcmp(x->kind, y->kind);
    return c != 0 ? c : strcmp(x->value, y->value);
}

/* One statement for every link the run learned, in key order (so two
 * workers writing overlapping links lock rows in the same order). */
static revos_status write_links(norm_run *run, revos_err *err)
{
    size_t n = revos_norm_idmap_n_learned(run->map);
    if (n == 0)
        return REVOS_OK;
    revos_norm_link *links = malloc(n * sizeof *links);
    if (links == NULL)
        return oom(err, "writing links");
    for (size_t i = 0; i < n; i++)
        links[i] = revos_norm_idmap_learned(run->map, i);
    qsort(links, n, sizeof *links, link_cmp);
    text_cols tc = {.n_cols = 5};
    revos_status st = REVOS_OK;
    for (size_t i = 0; i < n && st == REVOS_OK; i++) {
        const char *row[5] = {links[i].kind, links[i].value, links[i].account_id,
                              links[i].learned_from,
                              links[i].mode == REVOS_NORM_LINK_UPSERT ? "upsert" : "insert"};
        if (cols_push(&tc, row) != 0)
            st = oom(err, "writing links");
    }
    if (st == REVOS_OK)
        st = exec_cols(run->conn, sql_write_links, &tc, NULL, err);
    cols_free(&tc);
    free(links);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "writing identity links");
    run->stats.links = n;
    return REVOS_OK;
}

static revos_status write_parked(norm_run *run, revos_err *err)
{
    if (run->n_waiting == 0)
        return REVOS_OK;
    text_cols events = {.n_cols = 2}, keys = {.n_cols = 3};
    char **texts = calloc(run->n_waiting, sizeof *texts);
    revos_norm_keys *event_keys = calloc(run->n_waiting, sizeof *event_keys);
    revos_status st = texts && event_keys ? REVOS_OK : oom(err, "parking");
    for (size_t i = 0; i < run->n_waiting && st == REVOS_OK; i++) {
        const json_t *event = run->waiting[i].event;
        const char *event_id = json_string_value(json_object_get(event, "event_id"));
        texts[i] = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
        const char *row[2] = {event_id, texts[i]};
        if (texts[i] == NULL || cols_push(&events, row) != 0 ||
            revos_norm_identity_keys(event, &event_keys[i]) != 0) {
            st = oom(err, "parking");
            break;
        }
        for (size_t k = 0; k < event_keys[i].n && st == REVOS_OK; k++) {
            const char *key_row[3] = {event_keys[i].items[k].kind, event_keys[i].items[k].value,
                                      event_id};
            if (cols_push(&keys, key_row) != 0)
                st = oom(err, "parking");
        }
    }
    if (st == REVOS_OK)
        st = exec_cols(run->conn, sql_park_events, &events, NULL, err);
    if (st == REVOS_OK && keys.n > 0)
        st = exec_cols(run->conn, sql_park_keys, &keys, NULL, err);
    if (st != REVOS_OK)
        revos_wrap(err, st, "parking");
    for (size_t i = 0; i < run->n_waiting; i++) {
        if (texts != NULL)
            free(texts[i]);
        if (event_keys != NULL)
            revos_norm_keys_free(&event_keys[i]);
        if (st == REVOS_OK && !run->waiting[i].from_park)
            run->stats.parked++;
    }
    free(texts);
    free(event_keys);
    cols_free(&events);
    cols_free(&keys);
    return st;
}

static void count(norm_run *run, const char *metric, const char *help, size_t n)
{
    if (n > 0 && run->sink->count != NULL)
        run->sink->count(run->sink->ctx, metric, help, (int64_t)n);
}

static revos_status finish(norm_run *run, revos_err *err)
{
    revos_status st = settle(run, err);
    if (st == REVOS_OK)
        st = write_links(run, err);
    if (st == REVOS_OK)
        st = write_parked(run, err);
    if (st == REVOS_OK) {
        count(run, "revos_normalize_parked_total",
              "SourceEvents parked until their account is known", run->stats.parked);
        count(run, "revos_normalize_unparked_total",
              "Parked SourceEvents re-processed once their account became known",
              run->stats.unparked);
        count(run, "revos_normalize_signals_total", "Signals emitted", run->stats.signals);
    }
    return st;
}

static revos_status run_open(norm_run *run, PGconn *conn, const json_t *rules,
                             const revos_norm_sink *sink, revos_err *err)
{
    memset(run, 0, sizeof *run);
    if (conn == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "normalize: no PostgreSQL connection");
    run->conn = conn;
    run->rules = rules;
    run->sink = sink;
    run->map = revos_norm_idmap_new();
    return run->map != NULL ? REVOS_OK : oom(err, "creating the identity map");
}

static void run_close(norm_run *run, revos_norm_stats *stats)
{
    for (size_t i = 0; i < run->n_waiting; i++)
        json_decref(run->waiting[i].event);
    free(run->waiting);
    revos_norm_idmap_free(run->map);
    if (stats != NULL)
        *stats = run->stats;
}

/* ==== The core ==== */

revos_status revos_normalize_events(PGconn *conn, const json_t *rules, json_t *const *events,
                                    size_t n, const revos_norm_sink *sink,
                                    revos_norm_stats *stats, revos_err *err)
{
    norm_run run;
    revos_status st = run_open(&run, conn, rules, sink, err);
    unsigned char *valid = n ? calloc(n, 1) : NULL;
    revos_norm_keys lookups = {0}, keys = {0};
    if (st == REVOS_OK && n > 0 && valid == NULL)
        st = oom(err, "validating");

    /* Validate; collect every key the batch may read. */
    for (size_t i = 0; i < n && st == REVOS_OK; i++) {
        revos_err why;
        memset(&why, 0, sizeof why);
        if (revos_norm_validate(events[i], &why) == REVOS_OK) {
            if (revos_norm_identity_keys(events[i], &keys) != 0) {
                st = oom(err, "validating");
                break;
            }
            if (keys.n == 0)
                revos_reject(&why, "validation", "%s event %.128s has no id that can resolve an"
                             " account", json_string_value(json_object_get(events[i], "kind")),
                             json_string_value(json_object_get(events[i], "event_id")));
            else
                valid[i] = 1;
            revos_norm_keys_free(&keys);
        }
        if (!valid[i]) {
            sink->reject(sink->ctx, i, &why);
            run.stats.rejected++;
            continue;
        }
        /* Per event, then merged: the per-event list dedups a few keys cheaply,
         * preload skips what the map already holds. */
        revos_norm_keys mine = {0};
        if (revos_norm_identity_lookups(events[i], &mine) != 0) {
            revos_norm_keys_free(&mine);
            st = oom(err, "collecting identity keys");
            break;
        }
        for (size_t k = 0; k < mine.n; k++) {
            if (lookups.n == lookups.cap) {
                size_t cap = lookups.cap ? lookups.cap * 2 : 64;
                revos_norm_key *items = realloc(lookups.items, cap * sizeof *items);
                if (items == NULL) {
                    st = oom(err, "collecting identity keys");
                    break;
                }
                lookups.items = items;
                lookups.cap = cap;
            }
            lookups.items[lookups.n++] = mine.items[k];
            mine.items[k].value = NULL; /* moved */
        }
        revos_norm_keys_free(&mine);
    }
    if (st == REVOS_OK)
        st = preload(&run, &lookups, err);
    revos_norm_keys_free(&lookups);

    /* Each event in order. */
    for (size_t i = 0; i < n && st == REVOS_OK; i++) {
        if (!valid[i])
            continue;
        pending p = {events[i], i, 0};
        int resolved = 0;
        st = process_one(&run, &p, &resolved, err);
        if (st == REVOS_OK && !resolved)
            st = wait_push(&run, events[i], i, 0, err);
    }
    if (st == REVOS_OK)
        st = finish(&run, err);
    free(valid);
    run_close(&run, stats);
    return st;
}

revos_status revos_normalize_sweep(PGconn *conn, const json_t *rules, long limit,
                                   const revos_norm_sink *sink, revos_norm_stats *stats,
                                   revos_err *err)
{
    norm_run run;
    revos_status st = run_open(&run, conn, rules, sink, err);
    if (st == REVOS_OK && limit > 0) {
        char text[32];
        snprintf(text, sizeof text, "%ld", limit);
        st = unpark(&run, sql_unpark_resolvable, NULL, text, err);
        if (st == REVOS_OK)
            st = finish(&run, err);
    }
    run_close(&run, stats);
    return st;
}

/* ==== revos_worker_def glue ==== */

typedef struct normalize_state {
    long sweep_limit;
} normalize_state;

typedef struct batch_sink {
    revos_batch *batch;
    revos_msg *msgs;
} batch_sink;

static revos_status batch_emit(void *ctx, const char *topic_suffix, const char *key,
                               revos_record_type type, const json_t *record, revos_err *err)
{
    batch_sink *bs = ctx;
    return revos_batch_emit(bs->batch, topic_suffix, key, type, record, err);
}

static void batch_reject(void *ctx, size_t index, const revos_err *why)
{
    batch_sink *bs = ctx;
    if (bs->msgs != NULL)
        revos_batch_reject(bs->batch, &bs->msgs[index], why);
}

static void batch_count(void *ctx, const char *metric, const char *help, int64_t n)
{
    batch_sink *bs = ctx;
    revos_batch_count(bs->batch, metric, help, n);
}

revos_status revos_normalize_init(void **state, const revos_settings *settings, revos_err *err)
{
    normalize_state *ns = calloc(1, sizeof *ns);
    if (ns == NULL)
        return oom(err, "at start-up");
    long limit;
    revos_status st = revos_settings_get_bounded(settings, "REVOS_NORMALIZE_SWEEP_LIMIT", 500, 0,
                                                 100000, &limit, err);
    if (st != REVOS_OK) {
        free(ns);
        return st;
    }
    ns->sweep_limit = limit;
    *state = ns;
    return REVOS_OK;
}

static const json_t *batch_rules(const revos_batch *batch)
{
    return json_object_get(revos_batch_config(batch), "signals");
}

revos_status revos_normalize_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                     revos_err *err)
{
    (void)state;
    json_t **events = calloc(n ? n : 1, sizeof *events);
    if (events == NULL)
        return oom(err, "reading a batch");
    for (size_t i = 0; i < n; i++)
        events[i] = msgs[i].type == REVOS_REC_SOURCE_EVENT ? msgs[i].record : NULL;
    batch_sink bs = {batch, msgs};
    revos_norm_sink sink = {&bs, batch_emit, batch_reject, batch_count};
    revos_norm_stats stats;
    revos_status st = revos_normalize_events(revos_batch_pg(batch), batch_rules(batch), events, n,
                                             &sink, &stats, err);
    free(events);
    if (st == REVOS_OK && (stats.parked > 0 || stats.unparked > 0))
        revos_log_debug("normalize: batch of %zu: %zu signals, %zu parked, %zu unparked", n,
                        stats.signals, stats.parked, stats.unparked);
    return st;
}

revos_status revos_normalize_tick(void *state, revos_batch *batch, int64_t now_ms,
                                  revos_err *err)
{
    (void)now_ms;
    const normalize_state *ns = state;
    if (ns == NULL || ns->sweep_limit == 0)
        return REVOS_OK;
    batch_sink bs = {batch, NULL};
    revos_norm_sink sink = {&bs, batch_emit, batch_reject, batch_count};
    revos_norm_stats stats;
    revos_status st =
        revos_normalize_sweep(revos_batch_pg(batch), batch_rules(batch), ns->sweep_limit, &sink,
                              &stats, err);
    if (st == REVOS_OK && stats.unparked > 0)
        revos_log_info("normalize: sweep re-processed %zu parked events", stats.unparked);
    return st;
}

void revos_normalize_fini(void *state)
{
    free(state);
}
