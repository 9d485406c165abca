/* score_worker.c -- revos-score's glue between the worker loop and the pure
 * scoring engine. See score_worker.h. */
#include "score/score_worker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "score/engine.h"
#include "score/rules.h"
#include "score/signal.h"
#include "score/state.h"
#include "score/state_cache.h"
#include "score/store.h"
#include "score/calendar.h"

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Bytes a decoded state takes in memory per byte of its stored form
 * (bench_score_engine (c): 12.5 on 90 days of history), for the cache bound. */
#define TREE_BYTES_PER_STORED_BYTE 13

typedef struct score_worker {
    revos_score_rules *rules;  /* compiled "scoring" section of rules_version */
    int64_t rules_version;
    revos_score_cache *cache;  /* decoded states kept across batches */
    uint64_t evictions_counted;
} score_worker;

/* ==== Lifecycle ==== */

revos_status revos_score_init(void **state, const revos_settings *settings, revos_err *err)
{
    long mb = 0;
    revos_status st = revos_settings_get_bounded(settings, "REVOS_SCORE_CACHE_MB", 256, 0,
                                                 1L << 20, &mb, err);
    if (st != REVOS_OK)
        return st;
    score_worker *w = calloc(1, sizeof *w);
    if (w == NULL || (w->cache = revos_score_cache_new((size_t)mb << 20)) == NULL) {
        free(w);
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    }
    *state = w;
    return REVOS_OK;
}

revos_status revos_score_config_check(const json_t *config, revos_err *err)
{
    revos_score_rules *rules = NULL;
    revos_status st = revos_score_rules_load(json_object_get(config, "scoring"), &rules, err);
    revos_score_rules_free(rules);
    return st == REVOS_OK ? REVOS_OK : REVOS_ERR_INPUT; /* the message names scoring.<key> */
}

static int is_signals_topic(const char *topic)
{
    size_t n = strlen(topic);
    return n >= 7 && strcmp(topic + n - 7, "signals") == 0;
}

void revos_score_on_revoke(void *state, const char *topic, int32_t partition)
{
    /* Another instance scores these accounts now: their cached states would
     * only be found stale (state_cache.h), so the memory goes back. */
    score_worker *w = state;
    if (is_signals_topic(topic))
        revos_score_cache_drop_partition(w->cache, partition);
}

void revos_score_fini(void *state)
{
    score_worker *w = state;
    if (w == NULL)
        return;
    revos_score_rules_free(w->rules);
    revos_score_cache_free(w->cache);
    free(w);
}

/* The rules of the configuration in force, recompiled when its version
 * changes. An invalid scoring section is fatal: revosctl should have
 * refused it, and scoring with other rules would break determinism. */
static revos_status rules_for(score_worker *w, revos_batch *batch, revos_err *err)
{
    int64_t version = revos_batch_config_version(batch);
    if (w->rules != NULL && w->rules_version == version)
        return REVOS_OK;
    const json_t *scoring = json_object_get(revos_batch_config(batch), "scoring");
    revos_score_rules *rules = NULL;
    revos_status st = revos_score_rules_load(scoring, &rules, err);
    if (st != REVOS_OK) {
        char context[64];
        snprintf(context, sizeof context, "config version %lld", (long long)version);
        return revos_wrap(err, st == REVOS_ERR_INPUT ? REVOS_ERR_FATAL : st, context);
    }
    revos_score_rules_free(w->rules);
    w->rules = rules;
    w->rules_version = version;
    revos_log_info("scoring rules of config version %lld loaded", (long long)version);
    return REVOS_OK;
}

/* ==== Thresholds ==== */

/* Checks a ThresholdChange against the rules: a known kind and tier, a
 * finite bound in 0-100. */
static revos_status check_threshold(const revos_score_rules *rules, const json_t *rec,
                                    revos_err *err)
{
    const char *change_id = json_string_value(json_object_get(rec, "change_id"));
    const char *kind = json_string_value(json_object_get(rec, "score_kind"));
    const char *tier = json_string_value(json_object_get(rec, "tier"));
    const json_t *value = json_object_get(rec, "new_threshold");
    if (change_id == NULL || change_id[0] == '\0')
        return revos_reject(err, "validation", "threshold change: missing change_id");
    const revos_score_def *def = kind ? revos_score_rules_find(rules, kind) : NULL;
    if (def == NULL)
        return revos_reject(err, "validation", "threshold change %.80s: unknown score kind \"%.40s\"",
                            change_id, kind ? kind : "");
    if (tier == NULL || revos_score_tier_min(def, NULL, tier) < 0)
        return revos_reject(err, "validation", "threshold change %.80s: %s has no tier \"%.40s\"",
                            change_id, kind, tier ? tier : "");
    if (!json_is_number(value) || !isfinite(json_number_value(value)) ||
        json_number_value(value) < 0 || json_number_value(value) > 100)
        return revos_reject(err, "validation", "threshold change %.80s: new_threshold out of range 0-100",
                            change_id);
    return REVOS_OK;
}

/* A ThresholdChange as the engine reads it: in force from the UTC day of
 * the outcome that produced it. */
static json_t *threshold_entry(const json_t *rec)
{
    int64_t ms = (int64_t)json_integer_value(json_object_get(rec, "occurred_at"));
    return json_pack("{s:O,s:O,s:O,s:O,s:I}", "change_id", json_object_get(rec, "change_id"),
                     "score_kind", json_object_get(rec, "score_kind"), "tier",
                     json_object_get(rec, "tier"), "new_threshold",
                     json_object_get(rec, "new_threshold"), "day",
                     (json_int_t)revos_day_of_ms(ms));
}

static int change_before(const json_t *a, const json_t *b)
{
    int64_t da = revos_score_state_int(a, "day", 0), db = revos_score_state_int(b, "day", 0);
    if (da != db)
        return da < db;
    const char *ia = json_string_value(json_object_get(a, "change_id"));
    const char *ib = json_string_value(json_object_get(b, "change_id"));
    return strcmp(ia ? ia : "", ib ? ib : "") < 0;
}

/* Puts entry into the sorted change list. A change_id already there with
 * the same day and threshold is a re-delivery (entry dropped, returns
 * INT64_MAX); with another threshold or day, entry replaces it (outcomes
 * re-tune a band's day when a late one arrives). Returns the earliest day
 * whose threshold in force changed. */
static int64_t thresholds_put(json_t *changes, json_t *entry)
{
    const char *id = json_string_value(json_object_get(entry, "change_id"));
    int64_t day = revos_score_state_int(entry, "day", 0);
    for (size_t i = 0; i < json_array_size(changes); i++) {
        const json_t *c = json_array_get(changes, i);
        const char *cid = json_string_value(json_object_get(c, "change_id"));
        if (cid == NULL || id == NULL || strcmp(cid, id) != 0)
            continue;
        int64_t was = revos_score_state_int(c, "day", 0);
        if (was == day && json_number_value(json_object_get(c, "new_threshold")) ==
                              json_number_value(json_object_get(entry, "new_threshold"))) {
            json_decref(entry);
            return INT64_MAX;
        }
        json_array_remove(changes, i);
        if (was < day)
            day = was;
        break;
    }
    size_t at = json_array_size(changes);
    for (size_t i = 0; i < json_array_size(changes); i++)
        if (change_before(entry, json_array_get(changes, i))) {
            at = i;
            break;
        }
    json_array_insert_new(changes, at, entry);
    return day;
}

/* ==== One batch ==== */

typedef struct batch_work {
    json_t *states;      /* account_id -> state, loaded, cached or new */
    json_t *partitions;  /* account_id -> partition of its signals in this batch */
    json_t *dirty;       /* account_id -> state changed in this batch */
    json_t *tuned;       /* every threshold change, sorted (engine.h) */
    json_t *thresholds;  /* threshold changes new in this batch, to store */
    json_t *current;     /* newest record per account and kind, for score_current */
    json_t *tiers;       /* every tiered update emitted, for score_tiers */
    int64_t retune_from; /* earliest day a new threshold change is in force from */
} batch_work;

static void work_free(batch_work *bw)
{
    json_decref(bw->states);
    json_decref(bw->partitions);
    json_decref(bw->dirty);
    json_decref(bw->tuned);
    json_decref(bw->thresholds);
    json_decref(bw->current);
    json_decref(bw->tiers);
}

/* Loads (and locks) the state of every account named by the batch's
 * signals, taking the cached one where its row is still at the cached
 * version, and the threshold changes: two queries. */
static revos_status load(score_worker *w, revos_batch *batch, PGconn *conn, const revos_msg *msgs,
                         size_t n, batch_work *bw, revos_err *err)
{
    const char **ids = calloc(n > 0 ? n : 1, sizeof *ids);
    int64_t *versions = calloc(n > 0 ? n : 1, sizeof *versions);
    json_t *cached = json_object(); /* account -> its cached state (borrowed) */
    bw->partitions = json_object();
    if (ids == NULL || versions == NULL || cached == NULL || bw->partitions == NULL) {
        free(ids);
        free(versions);
        json_decref(cached);
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    }
    size_t n_ids = 0;
    for (size_t i = 0; i < n; i++) {
        if (msgs[i].type != REVOS_REC_SIGNAL || msgs[i].record == NULL)
            continue;
        const char *account = json_string_value(json_object_get(msgs[i].record, "account_id"));
        if (account == NULL || account[0] == '\0' || json_object_get(bw->partitions, account) != NULL)
            continue;
        json_object_set_new(bw->partitions, account, json_integer(msgs[i].partition));
        ids[n_ids] = account;
        json_t *state = revos_score_cache_get(w->cache, account, &versions[n_ids]);
        if (state != NULL)
            json_object_set(cached, account, state);
        else
            versions[n_ids] = -1;
        n_ids++;
    }
    json_t *unchanged = NULL;
    revos_status st = revos_score_store_load_states_versioned(conn, ids, versions, n_ids,
                                                              &bw->states, &unchanged, err);
    if (st == REVOS_OK) {
        const char *account;
        json_t *yes;
        json_object_foreach (unchanged, account, yes)
            json_object_set(bw->states, account, json_object_get(cached, account));
        revos_batch_count(batch, "revos_score_state_cache_hits_total",
                          "Account states taken from memory, their rows unchanged",
                          (int64_t)json_object_size(unchanged));
        revos_batch_count(batch, "revos_score_state_cache_misses_total",
                          "Account states read and decoded from PostgreSQL",
                          (int64_t)(json_object_size(bw->states) - json_object_size(unchanged)));
        st = revos_score_store_load_thresholds(conn, &bw->tuned, err);
    }
    json_decref(unchanged);
    json_decref(cached);
    free(ids);
    free(versions);
    return st;
}

/* After the batch's states are saved as version: each one of this batch's
 * own accounts is cached as saved; a state loaded for a threshold change
 * (another partition's account) is not kept. */
static void cache_saved(score_worker *w, batch_work *bw, const size_t *sizes, int64_t version)
{
    const char *account;
    json_t *state;
    size_t k = 0;
    json_object_foreach (bw->dirty, account, state) {
        const json_t *partition = json_object_get(bw->partitions, account);
        if (partition == NULL ||
            revos_score_cache_put(w->cache, account, state, version,
                                  (int32_t)json_integer_value(partition),
                                  sizes[k] * TREE_BYTES_PER_STORED_BYTE) != 0)
            revos_score_cache_drop(w->cache, account);
        k++;
    }
}

/* A batch that failed may have changed the states it holds: none of them
 * is what its row holds any more. */
static void cache_forget(score_worker *w, const batch_work *bw)
{
    const char *account;
    json_t *state;
    json_object_foreach (bw->states, account, state)
        revos_score_cache_drop(w->cache, account);
}

/* Adds one signal to its account's state; the scores follow in settle. */
static revos_status apply_signal(score_worker *w, revos_batch *batch, const revos_msg *msg,
                                 batch_work *bw, revos_err *err)
{
    revos_score_signal sig;
    revos_err why = {0};
    if (revos_score_signal_parse(msg->record, &sig, &why) != REVOS_OK) {
        revos_batch_reject(batch, msg, &why);
        return REVOS_OK;
    }
    json_t *state = json_object_get(bw->states, sig.account_id);
    if (state == NULL) {
        state = revos_score_state_new(sig.account_id);
        if (state == NULL)
            return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
        json_object_set_new(bw->states, sig.account_id, state);
    }
    revos_score_outcome outcome;
    revos_status st = revos_score_engine_add(w->rules, state, msg->record, &outcome, &why);
    if (st == REVOS_ERR_INPUT) {
        revos_batch_reject(batch, msg, &why);
        return REVOS_OK;
    }
    if (st != REVOS_OK) {
        *err = why;
        return st;
    }
    if (outcome == REVOS_SCORE_DUPLICATE) {
        revos_batch_count(batch, "revos_score_duplicate_signals_total",
                          "Signals skipped because they were already applied to the account", 1);
        return REVOS_OK;
    }
    json_object_set(bw->dirty, sig.account_id, state);
    revos_batch_count(batch, "revos_score_signals_total", "Signals applied to account scores", 1);
    return REVOS_OK;
}

static revos_status apply_threshold(score_worker *w, revos_batch *batch, const revos_msg *msg,
                                    batch_work *bw, revos_err *err)
{
    revos_err why = {0};
    if (check_threshold(w->rules, msg->record, &why) != REVOS_OK) {
        revos_batch_reject(batch, msg, &why);
        return REVOS_OK;
    }
    json_t *entry = threshold_entry(msg->record);
    if (entry == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    /* the batch stores each change once, as it last came */
    const char *id = json_string_value(json_object_get(entry, "change_id"));
    for (size_t i = 0; i < json_array_size(bw->thresholds); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(bw->thresholds, i),
                                                     "change_id")), id) == 0) {
            json_array_remove(bw->thresholds, i);
            break;
        }
    json_array_append(bw->thresholds, entry);
    int64_t day = thresholds_put(bw->tuned, entry);
    if (day < bw->retune_from)
        bw->retune_from = day;
    revos_batch_count(batch, "revos_score_threshold_changes_total", "Tuned thresholds applied", 1);
    return REVOS_OK;
}

/* A new threshold change re-scores every account from the day it is in
 * force: they are loaded (and locked) and marked dirty from then. */
static revos_status retune(PGconn *conn, batch_work *bw, revos_err *err)
{
    if (bw->retune_from == INT64_MAX)
        return REVOS_OK;
    revos_status st = revos_score_store_load_states_from(conn, bw->retune_from, bw->states, err);
    if (st != REVOS_OK)
        return st;
    const char *account;
    json_t *state;
    json_object_foreach (bw->states, account, state) {
        revos_score_state_touch(state, bw->retune_from);
        if (json_object_get(state, "dirty_from") != NULL)
            json_object_set(bw->dirty, account, state);
    }
    return REVOS_OK;
}

/* Settles every dirty account, in account order, and queues what changed. */
static revos_status settle(score_worker *w, revos_batch *batch, batch_work *bw, revos_err *err)
{
    const char **accounts = calloc(json_object_size(bw->dirty) + 1, sizeof *accounts);
    if (accounts == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    size_t n = 0;
    const char *account;
    json_t *state;
    json_object_foreach (bw->dirty, account, state)
        accounts[n++] = account;
    qsort(accounts, n, sizeof *accounts, compare_strings);
    revos_status st = REVOS_OK;
    int64_t emitted = 0, corrections = 0;
    for (size_t i = 0; i < n && st == REVOS_OK; i++) {
        json_t *updates = json_array();
        st = revos_score_engine_settle(w->rules, json_object_get(bw->dirty, accounts[i]), bw->tuned,
                                       revos_batch_config_version(batch), updates, bw->current, err);
        for (size_t k = 0; k < json_array_size(updates) && st == REVOS_OK; k++) {
            const json_t *update = json_array_get(updates, k);
            st = revos_batch_emit(batch, "scores", accounts[i], REVOS_REC_SCORE_UPDATE, update, err);
            if (st == REVOS_ERR_INPUT) /* our record does not match its schema: a bug */
                st = revos_wrap(err, REVOS_ERR_FATAL, "emitting a ScoreUpdate");
            corrections += json_integer_value(json_object_get(update, "revision")) > 0;
            if (json_is_string(json_object_get(update, "tier")))
                json_array_append(bw->tiers, (json_t *)update);
        }
        emitted += (int64_t)json_array_size(updates);
        json_decref(updates);
    }
    free(accounts);
    revos_batch_count(batch, "revos_score_updates_total", "ScoreUpdate records emitted", emitted);
    revos_batch_count(batch, "revos_score_corrections_total",
                      "ScoreUpdate records that revise an earlier one (late events)", corrections);
    revos_batch_count(batch, "revos_score_accounts_settled_total",
                      "Account timelines re-scored", (int64_t)n);
    return st;
}

revos_status revos_score_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                 revos_err *err)
{
    score_worker *w = state;
    PGconn *conn = revos_batch_pg(batch);
    revos_status st = rules_for(w, batch, err);
    if (st != REVOS_OK)
        return st;
    batch_work bw = {.dirty = json_object(), .thresholds = json_array(), .current = json_array(), .tiers = json_array(),
                     .retune_from = INT64_MAX};
    st = load(w, batch, conn, msgs, n, &bw, err);
    for (size_t i = 0; i < n && st == REVOS_OK; i++) {
        const revos_msg *msg = &msgs[i];
        if (msg->record != NULL && msg->type == REVOS_REC_SIGNAL) {
            st = apply_signal(w, batch, msg, &bw, err);
        } else if (msg->record != NULL && msg->type == REVOS_REC_THRESHOLD_CHANGE) {
            st = apply_threshold(w, batch, msg, &bw, err);
        } else {
            revos_err why = {0};
            revos_reject(&why, "validation", "revos-score does not take %s records on %s",
                         msg->record ? revos_record_type_name(msg->type) : "raw", msg->topic);
            revos_batch_reject(batch, msg, &why);
        }
    }
    if (st == REVOS_OK)
        st = retune(conn, &bw, err);
    if (st == REVOS_OK)
        st = settle(w, batch, &bw, err);
    size_t *sizes = calloc(json_object_size(bw.dirty) + 1, sizeof *sizes);
    int64_t version = 0;
    if (st == REVOS_OK && sizes == NULL)
        st = revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    if (st == REVOS_OK)
        st = revos_score_store_save_states(conn, bw.dirty, sizes, &version, err);
    if (st == REVOS_OK)
        cache_saved(w, &bw, sizes, version);
    free(sizes);
    if (st == REVOS_OK)
        st = revos_score_store_save_current(conn, bw.current, err);
    if (st == REVOS_OK)
        st = revos_score_store_save_tiers(conn, bw.tiers, err);
    if (st == REVOS_OK)
        st = revos_score_store_save_thresholds(conn, bw.thresholds, err);
    if (st != REVOS_OK && bw.states != NULL)
        cache_forget(w, &bw);
    revos_batch_count(batch, "revos_score_state_cache_evictions_total",
                      "Cached account states evicted to stay within REVOS_SCORE_CACHE_MB",
                      (int64_t)(revos_score_cache_evictions(w->cache) - w->evictions_counted));
    w->evictions_counted = revos_score_cache_evictions(w->cache);
    work_free(&bw);
    return st;
}
