/* outcome_apply.c -- a batch of Outcomes -> play state, band statistics
 * and ThresholdChanges; see outcome_apply.h. */
#include "outcome/outcome_apply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "outcome/outcome_validate.h"
#include "outcome/tuning.h"
#include "pg/pg.h"

typedef struct batch_ctx {
    const revos_outcome_io *io;
    revos_tuning_rule rule;
    const json_t *scoring;
} batch_ctx;

/* A play closed by the current outcome. */
typedef struct closed_play {
    char *play_id;
    char *band;
} closed_play;

typedef struct closed_list {
    closed_play *items;
    size_t n;
} closed_list;

static void closed_free(closed_list *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].play_id);
        free(c->items[i].band);
    }
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

static revos_status oom(revos_err *err)
{
    return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
}

static void count(const revos_outcome_io *io, const char *metric, const char *help, int64_t n)
{
    if (io->count != NULL && n != 0)
        io->count(io->ctx, metric, help, n);
}

static const char *text(const json_t *obj, const char *key)
{
    const char *value = json_string_value(json_object_get(obj, key));
    return value != NULL && *value != '\0' ? value : NULL;
}

/* ==== Kinds ==== */

/* Rows of the closing statement (play_id, score_band) into *closed, sorted
 * by play id so the order never depends on the plan. */
static int by_play_id(const void *a, const void *b)
{
    return strcmp(((const closed_play *)a)->play_id, ((const closed_play *)b)->play_id);
}

static revos_status collect_closed(PGresult *res, closed_list *closed, revos_err *err)
{
    int n = PQntuples(res);
    if (n == 0)
        return REVOS_OK;
    closed->items = calloc((size_t)n, sizeof *closed->items);
    if (closed->items == NULL)
        return oom(err);
    for (int i = 0; i < n; i++) {
        closed->items[i].play_id = strdup(PQgetvalue(res, i, 0));
        closed->items[i].band = strdup(PQgetvalue(res, i, 1));
        closed->n++;
        if (closed->items[i].play_id == NULL || closed->items[i].band == NULL)
            return oom(err);
    }
    qsort(closed->items, closed->n, sizeof *closed->items, by_play_id);
    return REVOS_OK;
}

/* Applies the kind's state change. Fills the record's missing account_id,
 * play_id and band (into *record) and the plays it closed. REVOS_ERR_INPUT:
 * reject (unknown page, play or task). */
static revos_status apply_kind(const revos_outcome_io *io, const json_t *o, const char *at,
                               json_t *record, closed_list *closed, revos_err *err)
{
    const char *kind = text(o, "kind");
    const char *result = text(o, "result");
    PGresult *res = NULL;
    revos_status st;

    if (strcmp(kind, "ack") == 0) {
        const char *page_id = text(o, "page_id");
        const char *params[] = {page_id, text(o, "actor"), at, text(o, "outcome_id")};
        st = revos_pg_exec(io->pg,
            "WITH page AS (SELECT page_id, account_id, play_id FROM route_pages WHERE page_id = $1),"
            " ins AS (INSERT INTO page_acks (page_id, acked_by, acked_at, outcome_id)"
            "         SELECT page_id, $2, to_timestamp($3::double precision / 1000), $4 FROM page"
            "         ON CONFLICT DO NOTHING RETURNING page_id)"
            " SELECT account_id, play_id, (SELECT count(*) FROM ins) FROM page",
            4, params, &res, err);
        if (st != REVOS_OK)
            return revos_wrap(err, st, "ack");
        if (PQntuples(res) == 0) {
            PQclear(res);
            return revos_reject(err, "validation", "ack for unknown page_id '%s'", page_id);
        }
        if (text(record, "account_id") == NULL)
            json_object_set_new(record, "account_id", json_string(PQgetvalue(res, 0, 0)));
        if (text(record, "play_id") == NULL)
            json_object_set_new(record, "play_id", json_string(PQgetvalue(res, 0, 1)));
        PQclear(res);
        return REVOS_OK;
    }

    if (strcmp(kind, "play") == 0) {
        const char *play_id = text(o, "play_id");
        const char *params[] = {play_id, result, at};
        st = revos_pg_exec(io->pg,
            "WITH pl AS (SELECT play_id, account_id, score_band, status FROM route_plays"
            "            WHERE play_id = $1 FOR UPDATE),"
            " upd AS (UPDATE route_plays SET status = $2, band_counted = true,"
            "           closed_at = to_timestamp($3::double precision / 1000)"
            "         WHERE play_id = $1 AND status = 'open' RETURNING play_id, score_band)"
            " SELECT pl.account_id, pl.score_band, pl.status, (SELECT count(*) FROM upd) FROM pl",
            3, params, &res, err);
        if (st != REVOS_OK)
            return revos_wrap(err, st, "close play");
        if (PQntuples(res) == 0) {
            PQclear(res);
            return revos_reject(err, "validation", "outcome for unknown play_id '%s'", play_id);
        }
        const char *band = PQgetvalue(res, 0, 1);
        if (text(record, "account_id") == NULL)
            json_object_set_new(record, "account_id", json_string(PQgetvalue(res, 0, 0)));
        json_object_set_new(record, "band", *band ? json_string(band) : json_null());
        if (strcmp(PQgetvalue(res, 0, 3), "0") == 0) {
            revos_log_info("play %s is already %s; outcome %s recorded without effect", play_id,
                           PQgetvalue(res, 0, 2), text(o, "outcome_id"));
        } else {
            closed->items = calloc(1, sizeof *closed->items);
            if (closed->items == NULL) {
                PQclear(res);
                return oom(err);
            }
            closed->items[0].play_id = strdup(play_id);
            closed->items[0].band = strdup(band);
            closed->n = 1;
            if (closed->items[0].play_id == NULL || closed->items[0].band == NULL) {
                PQclear(res);
                return oom(err);
            }
        }
        PQclear(res);
        return REVOS_OK;
    }

    if (strcmp(kind, "task") == 0) {
        const char *task_id = text(o, "task_id");
        const char *note = json_string_value(json_object_get(o, "note"));
        const char *params[] = {task_id, result, note ? note : ""};
        st = revos_pg_exec(io->pg,
            "UPDATE route_tasks SET status = $2, result = NULLIF($3, ''), updated_at = now()"
            " WHERE task_id = $1 RETURNING play_id",
            3, params, &res, err);
        if (st != REVOS_OK)
            return revos_wrap(err, st, "update task");
        if (PQntuples(res) == 0) {
            PQclear(res);
            return revos_reject(err, "validation", "outcome for unknown task_id '%s'", task_id);
        }
        if (text(record, "play_id") == NULL)
            json_object_set_new(record, "play_id", json_string(PQgetvalue(res, 0, 0)));
        PQclear(res);
        return REVOS_OK;
    }

    /* crm_renewal: the renewal closed; so does every open play of the account. */
    const char *params[] = {text(o, "account_id"), result, at, text(o, "outcome_id")};
    st = revos_pg_exec(io->pg,
        "UPDATE route_plays SET status = $2, closed_at = to_timestamp($3::double precision / 1000),"
        "   closed_by = $4, band_counted = true"
        " WHERE account_id = $1 AND status = 'open' RETURNING play_id, score_band",
        4, params, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "close account plays");
    st = collect_closed(res, closed, err);
    PQclear(res);
    return st;
}

/* ==== Records ==== */

static json_t *record_of(const json_t *o)
{
    const char *note = json_string_value(json_object_get(o, "note"));
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:n, s:s, s:s, s:O}", "outcome_id",
                     text(o, "outcome_id"), "kind", text(o, "kind"), "result", text(o, "result"),
                     "account_id", text(o, "account_id"), "play_id", text(o, "play_id"),
                     "task_id", text(o, "task_id"), "page_id", text(o, "page_id"), "band",
                     "actor", text(o, "actor"), "note", note ? note : "", "occurred_at_ms",
                     json_object_get(o, "occurred_at"));
}

static revos_status insert_records(const revos_outcome_io *io, const json_t *records,
                                   revos_err *err)
{
    char *rows = json_dumps(records, JSON_COMPACT);
    if (rows == NULL)
        return oom(err);
    const char *params[] = {rows};
    revos_status st = revos_pg_exec(io->pg,
        "INSERT INTO outcome_records (outcome_id, kind, result, account_id, play_id, task_id,"
        "   page_id, band, actor, note, occurred_at)"
        " SELECT outcome_id, kind, result, account_id, play_id, task_id, page_id, band, actor,"
        "   note, to_timestamp(occurred_at_ms / 1000.0)"
        " FROM jsonb_to_recordset($1::jsonb) AS r(outcome_id text, kind text, result text,"
        "   account_id text, play_id text, task_id text, page_id text, band text, actor text,"
        "   note text, occurred_at_ms bigint)"
        " ON CONFLICT DO NOTHING",
        1, params, NULL, err);
    free(rows);
    return st == REVOS_OK ? REVOS_OK : revos_wrap(err, st, "record outcome");
}

/* ==== Tuning ==== */

/* The UTC day number of an outcome's occurred_at (floored before 1970). */
static int64_t outcome_day(const json_t *o)
{
    int64_t at = (int64_t)json_integer_value(json_object_get(o, "occurred_at"));
    return at >= 0 ? at / 86400000 : -((-at + 86399999) / 86400000);
}

/* One day of a band's outcomes, as stored. */
typedef struct band_day {
    int64_t day;
    long saves, losses;
    int has_threshold;  /* a threshold was emitted as in force from this day */
    double threshold;
} band_day;

static revos_status load_band_days(batch_ctx *b, const char *band, band_day **days, int *n,
                                   revos_err *err)
{
    const char *params[] = {b->rule.score_kind, band};
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(b->io->pg,
        "SELECT day, saves, losses, threshold FROM outcome_band_days"
        " WHERE score_kind = $1 AND tier = $2 ORDER BY day",
        2, params, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "read band days");
    *n = PQntuples(res);
    *days = calloc((size_t)*n + 1, sizeof **days);
    if (*days == NULL) {
        PQclear(res);
        return oom(err);
    }
    for (int i = 0; i < *n; i++) {
        band_day *d = &(*days)[i];
        d->day = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        d->saves = strtol(PQgetvalue(res, i, 1), NULL, 10);
        d->losses = strtol(PQgetvalue(res, i, 2), NULL, 10);
        d->has_threshold = !PQgetisnull(res, i, 3);
        d->threshold = d->has_threshold ? strtod(PQgetvalue(res, i, 3), NULL) : 0.0;
    }
    PQclear(res);
    return REVOS_OK;
}

/* Emits the band's threshold in force from d->day and remembers it. */
static revos_status emit_in_force(batch_ctx *b, const json_t *o, const char *band, double base,
                                  band_day *d, long saves, long losses, double old,
                                  const revos_tuning_result *tuned, revos_err *err)
{
    const revos_outcome_io *io = b->io;
    char rule_text[512];
    revos_tuning_describe(&b->rule, band, base, saves, losses, tuned, rule_text, sizeof rule_text);
    json_t *change = revos_tuning_change(&b->rule, text(o, "outcome_id"), band, d->day, old,
                                         tuned, saves, losses, rule_text);
    if (change == NULL)
        return oom(err);
    revos_status st = io->emit(io->ctx, "thresholds", b->rule.score_kind,
                               REVOS_REC_THRESHOLD_CHANGE, change, err);
    json_decref(change);
    if (st == REVOS_ERR_INPUT)
        return revos_wrap(err, REVOS_ERR_FATAL, "emit threshold change");
    if (st != REVOS_OK)
        return st;
    char day[24], threshold[64];
    snprintf(day, sizeof day, "%lld", (long long)d->day);
    snprintf(threshold, sizeof threshold, "%.17g", tuned->threshold);
    const char *params[] = {b->rule.score_kind, band, day, threshold};
    st = revos_pg_exec(io->pg,
        "UPDATE outcome_band_days SET threshold = $4::double precision"
        " WHERE score_kind = $1 AND tier = $2 AND day = $3::bigint",
        4, params, NULL, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "remember threshold");
    d->has_threshold = 1;
    d->threshold = tuned->threshold;
    revos_log_info("threshold %s/%s from day %lld: %g -> %g (%s)", b->rule.score_kind, band,
                   (long long)d->day, old, tuned->threshold, rule_text);
    count(io, "revos_threshold_changes_total", "ThresholdChanges emitted", 1);
    return REVOS_OK;
}

/* Adds (saves, losses) to the band, on the UTC day the outcome occurred,
 * and re-tunes the band from that day on: each later day with outcomes
 * gets the threshold its running counts give, emitted where it differs
 * from the one in force there. */
static revos_status tune_band(batch_ctx *b, const json_t *o, const char *band, long saves,
                              long losses, revos_err *err)
{
    const revos_outcome_io *io = b->io;
    int64_t day = outcome_day(o);
    char ds[24], dl[24], dd[24];
    snprintf(ds, sizeof ds, "%ld", saves);
    snprintf(dl, sizeof dl, "%ld", losses);
    snprintf(dd, sizeof dd, "%lld", (long long)day);
    const char *params[] = {b->rule.score_kind, band, ds, dl, dd};
    revos_status st = revos_pg_exec(io->pg,
        "WITH t AS (INSERT INTO outcome_band_stats (score_kind, tier, saves, losses)"
        "   VALUES ($1, $2, $3::bigint, $4::bigint)"
        "   ON CONFLICT (score_kind, tier) DO UPDATE SET"
        "     saves = outcome_band_stats.saves + EXCLUDED.saves,"
        "     losses = outcome_band_stats.losses + EXCLUDED.losses, updated_at = now())"
        " INSERT INTO outcome_band_days (score_kind, tier, day, saves, losses)"
        "  VALUES ($1, $2, $5::bigint, $3::bigint, $4::bigint)"
        "  ON CONFLICT (score_kind, tier, day) DO UPDATE SET"
        "   saves = outcome_band_days.saves + EXCLUDED.saves,"
        "   losses = outcome_band_days.losses + EXCLUDED.losses",
        5, params, NULL, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "count band outcome");

    double base;
    if (!revos_tuning_is_band(&b->rule, band))
        return REVOS_OK;
    if (!revos_tuning_base(b->scoring, b->rule.score_kind, band, &base)) {
        revos_log_warn("no base threshold for %s tier %s in the scoring config; not tuned",
                       b->rule.score_kind, band);
        return REVOS_OK;
    }
    band_day *days = NULL;
    int n = 0;
    if ((st = load_band_days(b, band, &days, &n, err)) != REVOS_OK)
        return st;
    long s = 0, l = 0;
    double in_force = base; /* as emitted so far, day by day */
    int64_t in_force_day = INT64_MIN, emitted = 0;
    for (int i = 0; i < n && st == REVOS_OK; i++) {
        band_day *d = &days[i];
        s += d->saves;
        l += d->losses;
        double old = d->has_threshold ? d->threshold : in_force;
        if (d->day >= day) {
            revos_tuning_result tuned;
            revos_tuning_in_force(&b->rule, base, s, l, &tuned);
            if (fabs(tuned.threshold - old) >= 1e-9) {
                st = emit_in_force(b, o, band, base, d, s, l, old, &tuned, err);
                emitted++;
            }
        }
        if (d->has_threshold) {
            in_force = d->threshold;
            in_force_day = d->day;
        }
    }
    free(days);
    if (st != REVOS_OK || emitted == 0)
        return st;
    /* the band's threshold in force now, and the change that set it */
    char threshold[64], change_id[160];
    snprintf(threshold, sizeof threshold, "%.17g", in_force);
    revos_tuning_change_id(&b->rule, band, in_force_day, change_id, sizeof change_id);
    const char *now[] = {b->rule.score_kind, band, threshold, change_id};
    st = revos_pg_exec(io->pg,
        "UPDATE outcome_band_stats SET threshold = $3::double precision, change_id = $4"
        " WHERE score_kind = $1 AND tier = $2",
        4, now, NULL, err);
    return st == REVOS_OK ? st : revos_wrap(err, st, "remember threshold");
}

/* The tier of the rule's score kind the account was in at the end of the
 * day before the outcome's (score_tiers, written by revos-score; the
 * outcome's own day already scores without the renewal it closed), "low"
 * -- the first tier -- when it had none. *ready is 0 while revos-score has
 * not yet scored the account up to the outcome's day (its newest event
 * day, score_account_state.newest_day: the renewal's own close is an event
 * of that day): in a backfill revos-outcome runs ahead of revos-score, and
 * a tier read then would be a stale one; the outcome waits
 * (revos_outcome_reconcile). */
static revos_status band_on_day(batch_ctx *b, const char *account, const json_t *o, char *band,
                                size_t cap, int *ready, revos_err *err)
{
    char day[24];
    snprintf(day, sizeof day, "%lld", (long long)outcome_day(o));
    const char *params[] = {account ? account : "", b->rule.score_kind, day};
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(b->io->pg,
        "SELECT (SELECT tier FROM score_tiers WHERE account_id = $1 AND kind = $2 AND day < $3::int"
        "        ORDER BY day DESC LIMIT 1),"
        "       EXISTS (SELECT 1 FROM score_account_state WHERE account_id = $1 AND newest_day >= $3::int)",
        3, params, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "read the account's band");
    const char *first = revos_tuning_first_band(b->scoring, b->rule.score_kind);
    snprintf(band, cap, "%s", !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : first ? first : "low");
    *ready = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    PQclear(res);
    return REVOS_OK;
}

/* Counts a renewal no play covered in its band: a save confirms it, a loss
 * counts in it and, as a miss, in the band above (that band should have
 * paged); sign -1 takes the count back. */
static revos_status count_without_play(batch_ctx *b, const json_t *o, const char *band,
                                       const char *result, int sign, revos_err *err)
{
    int save = revos_outcome_is_save(result), loss = revos_outcome_is_loss(result);
    revos_status st = tune_band(b, o, band, sign * save, sign * loss, err);
    const char *above = loss ? revos_tuning_band_above(b->scoring, b->rule.score_kind, band) : NULL;
    if (st == REVOS_OK && above != NULL)
        st = tune_band(b, o, above, 0, sign, err);
    return st;
}

/* ==== One outcome ==== */

static revos_status apply_one(batch_ctx *b, const revos_msg *msg, revos_err *err)
{
    const revos_outcome_io *io = b->io;
    const json_t *o = msg->record;
    revos_err why = {{0}, {0}};
    if (revos_outcome_validate(o, &why) != REVOS_OK) {
        io->reject(io->ctx, msg, &why);
        return REVOS_OK;
    }
    const char *outcome_id = text(o, "outcome_id");
    const char *dup_params[] = {outcome_id};
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(io->pg,
        "SELECT 1 FROM outcome_records WHERE outcome_id = $1", 1, dup_params, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "look up outcome");
    int seen = PQntuples(res) > 0;
    PQclear(res);
    if (seen) {
        count(io, "revos_outcomes_duplicate_total", "Outcomes already recorded", 1);
        return REVOS_OK;
    }

    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)json_integer_value(json_object_get(o, "occurred_at")));
    json_t *record = record_of(o);
    json_t *records = json_array();
    closed_list closed = {NULL, 0};
    if (record == NULL || records == NULL) {
        st = oom(err);
        goto done;
    }
    st = apply_kind(io, o, at, record, &closed, &why);
    if (st == REVOS_ERR_INPUT) {
        io->reject(io->ctx, msg, &why);
        st = REVOS_OK;
        goto done;
    }
    if (st != REVOS_OK) {
        *err = why;
        goto done;
    }
    json_array_append(records, record);
    /* A CRM renewal is also recorded against each play it closed. */
    for (size_t i = 0; strcmp(text(o, "kind"), "crm_renewal") == 0 && i < closed.n; i++) {
        json_t *per_play = json_deep_copy(record);
        char *id = malloc(strlen(outcome_id) + strlen(closed.items[i].play_id) + 2);
        if (per_play == NULL || id == NULL) {
            json_decref(per_play);
            free(id);
            st = oom(err);
            goto done;
        }
        sprintf(id, "%s:%s", outcome_id, closed.items[i].play_id);
        json_object_set_new(per_play, "outcome_id", json_string(id));
        json_object_set_new(per_play, "play_id", json_string(closed.items[i].play_id));
        json_object_set_new(per_play, "band", *closed.items[i].band
                                                  ? json_string(closed.items[i].band)
                                                  : json_null());
        free(id);
        json_array_append_new(records, per_play);
    }
    /* A renewal no play covered counts in the band the account was in, once
     * revos-score has scored that far (else the record waits, band NULL). */
    const char *result = text(o, "result");
    int save = revos_outcome_is_save(result), loss = revos_outcome_is_loss(result);
    char band_at[32] = "";
    int ready = 0;
    if (strcmp(text(o, "kind"), "crm_renewal") == 0 && closed.n == 0 && (save || loss)) {
        st = band_on_day(b, text(o, "account_id"), o, band_at, sizeof band_at, &ready, err);
        if (st != REVOS_OK)
            goto done;
        if (ready)
            json_object_set_new(record, "band", json_string(band_at));
        else
            count(io, "revos_outcomes_waiting_for_scores_total",
                  "Renewal outcomes no play covered, waiting for revos-score to reach their day", 1);
    }
    if ((st = insert_records(io, records, err)) != REVOS_OK)
        goto done;
    count(io, "revos_outcomes_total", "Outcomes applied", 1);
    revos_log_ids ids = {outcome_id, text(record, "account_id"), NULL};
    revos_log_record(REVOS_LOG_INFO, &ids, "outcome %s (%s %s): %zu play(s) closed", outcome_id,
                     text(o, "kind") ? text(o, "kind") : "?",
                     text(o, "result") ? text(o, "result") : "?", closed.n);

    if (ready) {
        st = count_without_play(b, o, band_at, result, 1, err);
        count(io, "revos_outcomes_without_play_total",
              "Renewal outcomes no play covered, counted in the account's band", 1);
        goto done;
    }
    /* Saves and losses per band, then tuning, bands in the order of their first play id. */
    for (size_t i = 0; (save || loss) && i < closed.n; i++) {
        const char *band = closed.items[i].band;
        if (*band == '\0')
            continue;
        int first = 1; /* first play of this band in the list? */
        for (size_t k = 0; k < i; k++)
            if (strcmp(closed.items[k].band, band) == 0)
                first = 0;
        if (!first)
            continue;
        long plays = 0;
        for (size_t k = i; k < closed.n; k++)
            plays += strcmp(closed.items[k].band, band) == 0;
        st = tune_band(b, o, band, save ? plays : 0, loss ? plays : 0, err);
        if (st != REVOS_OK)
            goto done;
    }
done:
    closed_free(&closed);
    json_decref(record);
    json_decref(records);
    return st;
}

/* ==== Plays closed by revos-route ==== */

/* Renewals no play covered that waited for revos-score: counted once it
 * has scored the account up to the outcome's day, and only if no play was
 * closed by the outcome meanwhile. */
static revos_status count_waiting(batch_ctx *b, revos_err *err)
{
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(b->io->pg,
        "SELECT outcome_id, account_id, result, (extract(epoch FROM occurred_at) * 1000)::bigint"
        " FROM outcome_records r"
        " WHERE kind = 'crm_renewal' AND play_id IS NULL AND band IS NULL"
        "   AND result IN ('renewed', 'expanded', 'churned', 'lost')"
        "   AND NOT EXISTS (SELECT 1 FROM route_plays p WHERE p.closed_by = r.outcome_id)"
        "   AND EXISTS (SELECT 1 FROM score_account_state s WHERE s.account_id = r.account_id"
        "     AND s.newest_day >= floor(extract(epoch FROM r.occurred_at) / 86400))"
        " ORDER BY occurred_at, outcome_id LIMIT 100 FOR UPDATE OF r SKIP LOCKED",
        0, NULL, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "find renewals waiting for scores");
    for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++) {
        const char *id = PQgetvalue(res, i, 0), *result = PQgetvalue(res, i, 2);
        json_t *o = json_pack("{s:s, s:I}", "outcome_id", id, "occurred_at",
                              (json_int_t)strtoll(PQgetvalue(res, i, 3), NULL, 10));
        char band[32];
        int ready = 0;
        st = o ? band_on_day(b, PQgetvalue(res, i, 1), o, band, sizeof band, &ready, err) : oom(err);
        if (st == REVOS_OK) {
            const char *set[] = {id, band};
            st = revos_pg_exec(b->io->pg, "UPDATE outcome_records SET band = $2 WHERE outcome_id = $1",
                               2, set, NULL, err);
        }
        if (st == REVOS_OK)
            st = count_without_play(b, o, band, result, 1, err);
        count(b->io, "revos_outcomes_without_play_total",
              "Renewal outcomes no play covered, counted in the account's band", 1);
        json_decref(o);
    }
    PQclear(res);
    return st;
}

/* A play revos-route opened already closed by outcome o (its closed_by):
 * if o had been counted as a renewal no play covered, that count is taken
 * back (the play's band counts instead) and the record marked so. */
static revos_status withdraw_without_play(batch_ctx *b, const json_t *o, revos_err *err)
{
    const char *params[] = {text(o, "outcome_id")};
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(b->io->pg,
        "UPDATE outcome_records r SET band = 'covered:' || r.band"
        " WHERE outcome_id = $1 AND play_id IS NULL AND band IS NOT NULL AND band NOT LIKE 'covered:%'"
        " RETURNING substr(band, 9), result",
        1, params, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "withdraw a renewal counted without a play");
    if (PQntuples(res) > 0) {
        st = count_without_play(b, o, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), -1, err);
        count(b->io, "revos_outcomes_without_play_withdrawn_total",
              "Renewals counted without a play whose play revos-route opened later", 1);
    }
    PQclear(res);
    return st;
}

revos_status revos_outcome_reconcile(const revos_outcome_io *io, revos_err *err)
{
    batch_ctx b = {.io = io};
    revos_tuning_rule_load(json_object_get(io->config, "outcomes"), &b.rule);
    b.scoring = json_object_get(io->config, "scoring");
    PGresult *res = NULL;
    /* A counted play a correction took away (superseded) is taken out of
     * its band again, and the band re-tuned. */
    revos_status st = revos_pg_exec(io->pg,
        "UPDATE route_plays SET band_counted = false WHERE play_id IN ("
        "  SELECT play_id FROM route_plays WHERE status = 'superseded' AND band_counted"
        "   ORDER BY play_id LIMIT 100 FOR UPDATE SKIP LOCKED)"
        " RETURNING play_id, score_band,"
        "   (SELECT result FROM outcome_records r WHERE r.play_id = route_plays.play_id"
        "     AND r.kind = 'crm_renewal' AND r.result <> 'superseded' ORDER BY r.occurred_at DESC LIMIT 1),"
        "   closed_by, (extract(epoch FROM closed_at) * 1000)::bigint",
        0, NULL, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "find superseded plays counted");
    for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++) {
        const char *band = PQgetvalue(res, i, 1), *result = PQgetvalue(res, i, 2);
        int save = revos_outcome_is_save(result), loss = revos_outcome_is_loss(result);
        if (*band == '\0' || !(save || loss))
            continue;
        char id[600];
        snprintf(id, sizeof id, "%s:withdrawn", PQgetvalue(res, i, 3));
        json_t *o = json_pack("{s:s, s:I}", "outcome_id", id, "occurred_at",
                              (json_int_t)strtoll(PQgetvalue(res, i, 4), NULL, 10));
        st = o ? tune_band(&b, o, band, save ? -1 : 0, loss ? -1 : 0, err) : oom(err);
        json_decref(o);
        count(io, "revos_outcome_plays_uncounted_total",
              "Counted plays a correction withdrew, taken out of their band", 1);
    }
    PQclear(res);
    res = NULL;
    if (st != REVOS_OK)
        return st;
    if ((st = count_waiting(&b, err)) != REVOS_OK)
        return st;
    st = revos_pg_exec(io->pg,
        "UPDATE route_plays SET band_counted = true WHERE play_id IN ("
        "  SELECT play_id FROM route_plays WHERE closed_by IS NOT NULL AND NOT band_counted"
        "   AND status IN ('renewed', 'churned', 'expanded', 'lost', 'reassigned', 'blocked')"
        "   ORDER BY closed_at, play_id LIMIT 100 FOR UPDATE SKIP LOCKED)"
        " RETURNING play_id, score_band, status, closed_by,"
        "   (extract(epoch FROM closed_at) * 1000)::bigint, account_id",
        0, NULL, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "find plays closed by route");
    for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++) {
        const char *band = PQgetvalue(res, i, 1), *result = PQgetvalue(res, i, 2);
        json_int_t ms = (json_int_t)strtoll(PQgetvalue(res, i, 4), NULL, 10);
        json_t *o = json_pack("{s:s, s:I}", "outcome_id", PQgetvalue(res, i, 3), "occurred_at", ms);
        char *id = malloc(strlen(PQgetvalue(res, i, 3)) + strlen(PQgetvalue(res, i, 0)) + 2);
        if (o == NULL || id == NULL) {
            json_decref(o);
            free(id);
            st = oom(err);
            break;
        }
        sprintf(id, "%s:%s", PQgetvalue(res, i, 3), PQgetvalue(res, i, 0));
        /* recorded against the play, as when the outcome found it open */
        json_t *records = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:s?, s:s, s:s, s:I}]",
                                    "outcome_id", id, "kind", "crm_renewal", "result", result,
                                    "account_id", PQgetvalue(res, i, 5), "play_id",
                                    PQgetvalue(res, i, 0), "task_id", "page_id", "band",
                                    *band ? band : NULL, "actor", "crm", "note", "",
                                    "occurred_at_ms", ms);
        free(id);
        st = records ? insert_records(io, records, err) : oom(err);
        json_decref(records);
        int save = revos_outcome_is_save(result), loss = revos_outcome_is_loss(result);
        if (st == REVOS_OK && *band != '\0' && (save || loss))
            st = tune_band(&b, o, band, save, loss, err);
        /* the outcome was counted as one no play covered: the play counts instead */
        if (st == REVOS_OK)
            st = withdraw_without_play(&b, o, err);
        count(io, "revos_outcome_plays_reconciled_total",
              "Plays revos-route opened already closed by an earlier outcome, counted late", 1);
        json_decref(o);
    }
    PQclear(res);
    return st;
}

revos_status revos_outcome_apply(const revos_outcome_io *io, const revos_msg *msgs, size_t n,
                                 revos_err *err)
{
    batch_ctx b = {.io = io};
    revos_tuning_rule_load(json_object_get(io->config, "outcomes"), &b.rule);
    b.scoring = json_object_get(io->config, "scoring");
    for (size_t i = 0; i < n; i++) {
        revos_status st = apply_one(&b, &msgs[i], err);
        if (st != REVOS_OK)
            return st;
    }
    return REVOS_OK;
}
