/* route_apply.c -- a batch of ScoreUpdates -> decisions in PostgreSQL and
 * Actions; see route_apply.h. */
#include "route/route_apply.h"

#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "pg/pg.h"
#include "route/actions.h"
#include "route/decide.h"
#include "route/pager.h"

/* Rows collected over the batch, written with one statement per table. */
typedef struct rows {
    json_t *plays;
    json_t *tasks;
    json_t *pages;
    json_t *events;
    json_t *open;     /* "<account>\x1f<play | notice:trigger>" -> decision id */
} rows;

static revos_status oom(revos_err *err)
{
    return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
}

static int append(json_t *array, json_t *row)
{
    return row != NULL && json_array_append_new(array, row) == 0;
}

static char *open_key(const char *account_id, const revos_route_decision *d)
{
    return d->play ? revos_route_strf("%s\x1f%s", account_id, d->play)
                   : revos_route_strf("%s\x1fnotice:%s", account_id, d->trigger.name);
}

/* ==== Reading ==== */

static const char *text_field(const json_t *obj, const char *key)
{
    const char *value = json_string_value(json_object_get(obj, key));
    return value != NULL && *value != '\0' ? value : NULL;
}

static int valid_update(const json_t *u)
{
    return json_is_object(u) && text_field(u, "account_id") && text_field(u, "score_id") &&
           text_field(u, "kind") && json_is_integer(json_object_get(u, "as_of")) &&
           json_is_object(json_object_get(u, "context"));
}

/* The open decisions of the accounts in `accounts` (JSON array) into
 * r->open. */
static revos_status load_open(const revos_route_io *io, const json_t *accounts, rows *r,
                              revos_err *err)
{
    char *text = json_dumps(accounts, JSON_COMPACT);
    if (text == NULL)
        return oom(err);
    const char *params[] = {text};
    PGresult *res = NULL;
    revos_status st = revos_pg_exec(io->pg,
        "WITH a AS (SELECT jsonb_array_elements_text($1::jsonb) AS account_id)"
        " SELECT account_id, play, play_id FROM route_plays"
        "  WHERE status = 'open' AND account_id IN (SELECT account_id FROM a)"
        " UNION ALL"
        " SELECT DISTINCT ON (p.account_id, p.trigger) p.account_id, 'notice:' || p.trigger,"
        "        p.play_id FROM route_pages p"
        "  WHERE p.level = 0 AND p.play_id LIKE 'notice:%'"
        "    AND p.account_id IN (SELECT account_id FROM a)"
        "    AND NOT EXISTS (SELECT 1 FROM route_pages q JOIN page_acks k ON k.page_id = q.page_id"
        "                    WHERE q.play_id = p.play_id)",
        1, params, &res, err);
    free(text);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "load open decisions");
    for (int i = 0; i < PQntuples(res); i++) {
        char *key = revos_route_strf("%s\x1f%s", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        if (key == NULL || json_object_set_new(r->open, key, json_string(PQgetvalue(res, i, 2)))) {
            free(key);
            PQclear(res);
            return oom(err);
        }
        free(key);
    }
    PQclear(res);
    return REVOS_OK;
}

/* ==== Collecting rows and actions ==== */

static json_t *event_row(const char *play_id, const revos_route_decision *d, int attached)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:I}", "play_id", play_id, "score_id",
                     d->score_id, "trigger", d->trigger.name, "severity", d->trigger.severity,
                     "attached", attached, "as_of_ms", (json_int_t)d->as_of_ms);
}

static revos_status emit(const revos_route_io *io, const char *account_id, json_t *action,
                         revos_err *err)
{
    if (action == NULL)
        return oom(err);
    revos_status st = io->emit(io->ctx, "actions", account_id, REVOS_REC_ACTION, action, err);
    json_decref(action);
    if (st == REVOS_ERR_INPUT) /* the record does not match its schema: our bug */
        return revos_wrap(err, REVOS_ERR_FATAL, "emit action");
    return st;
}

/* A new decision: its rows and its actions. */
static revos_status open_decision(const revos_route_io *io, const revos_route_decision *d,
                                  rows *r, revos_err *err)
{
    if (d->play != NULL) {
        json_t *play = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:s, s:I}",
            "play_id", d->decision_id, "account_id", d->account_id, "play", d->play, "trigger",
            d->trigger.name, "severity", d->trigger.severity, "route", d->route, "score_band",
            d->score_band, "arr_at_risk", d->finance.arr_at_risk, "save_cost",
            d->finance.save_cost, "replacement_cost", d->finance.replacement_cost, "ev_act",
            d->finance.ev_act, "ev_no_act", d->finance.ev_no_act, "config_version",
            (json_int_t)d->config_version, "score_id", d->score_id, "as_of_ms",
            (json_int_t)d->as_of_ms);
        if (!append(r->plays, play))
            return oom(err);
        for (size_t i = 0; i < d->n_tasks; i++) {
            const revos_route_task *t = &d->tasks[i];
            json_t *task = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:O, s:I, s:f}", "task_id",
                                     t->task_id, "play_id", d->decision_id, "title", t->title,
                                     "owner_role", t->owner_role, "owner_id", t->owner_id,
                                     "depends_on", t->depends_on, "due_at_ms",
                                     (json_int_t)t->due_at_ms, "cost", t->cost);
            if (!append(r->tasks, task))
                return oom(err);
        }
        revos_status st = emit(io, d->account_id, revos_route_action_play(d), err);
        if (st != REVOS_OK)
            return st;
    }
    for (size_t k = 0; k < d->owners.n; k++) {
        const revos_route_owner *o = &d->owners.owner[k];
        char *page_id = revos_route_page_id(d->decision_id, 0, o->owner_id);
        json_t *body = page_id ? revos_pager_body(d, &d->owners, k, page_id) : NULL;
        json_t *page = body ? json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s?, s:s, s:s,"
                                        " s:I, s:O, s:o}",
                                        "page_id", page_id, "play_id", d->decision_id,
                                        "account_id", d->account_id, "level", 0, "owner_id",
                                        o->owner_id, "owner_role", o->role, "format", o->format,
                                        "url", o->url, "trigger", d->trigger.name, "route",
                                        d->route, "sla_seconds", (json_int_t)d->sla_seconds,
                                        "team", d->team, "body", body)
                            : NULL;
        if (!append(r->pages, page)) {
            free(page_id);
            return oom(err);
        }
        revos_status st = emit(io, d->account_id, revos_route_action_page(d, k, page_id), err);
        free(page_id);
        if (st != REVOS_OK)
            return st;
    }
    for (size_t k = 0; k < d->owners.n_unresolved; k++)
        revos_log_warn("%s: nobody holds role %s for account %s; skipped", d->decision_id,
                       d->owners.unresolved[k], d->account_id);
    revos_route_io_count(io, "revos_route_unresolved_roles_total",
                         "Owner roles nobody holds for the account", (int64_t)d->owners.n_unresolved);
    revos_route_io_count(io, d->play ? "revos_route_plays_opened_total"
                                     : "revos_route_notices_opened_total",
                         d->play ? "Plays opened" : "Decisions without a play opened", 1);
    if (!append(r->events, event_row(d->decision_id, d, 0)))
        return oom(err);
    return REVOS_OK;
}

/* All triggers of one update. REVOS_ERR_INPUT: reject the update (nothing
 * of it has been collected). */
static revos_status apply_update(const revos_route_io *io, const json_t *update, rows *r,
                                 revos_err *err)
{
    const json_t *routing = json_object_get(io->config, "routing");
    revos_route_trigger triggers[REVOS_ROUTE_MAX_TRIGGERS];
    size_t n = revos_route_triggers(update, routing, triggers, REVOS_ROUTE_MAX_TRIGGERS);
    revos_route_decision decisions[REVOS_ROUTE_MAX_TRIGGERS];
    size_t made = 0;
    revos_status st = REVOS_OK;
    for (; made < n; made++) {
        st = revos_route_decide(update, &triggers[made], io->config, io->config_version,
                                &decisions[made], err);
        if (st != REVOS_OK) {
            revos_route_decision_free(&decisions[made]);
            break;
        }
    }
    for (size_t i = 0; st == REVOS_OK && i < made; i++) {
        const revos_route_decision *d = &decisions[i];
        char *key = open_key(d->account_id, d);
        if (key == NULL) {
            st = oom(err);
            break;
        }
        const char *open_id = json_string_value(json_object_get(r->open, key));
        if (open_id != NULL) {
            /* The same id: this very update was applied before (re-delivery). */
            if (strcmp(open_id, d->decision_id) != 0) {
                if (!append(r->events, event_row(open_id, d, 1)))
                    st = oom(err);
                revos_route_io_count(io, "revos_route_triggers_attached_total",
                                     "Triggers attached to an already open decision", 1);
            }
        } else if (json_object_set_new(r->open, key, json_string(d->decision_id)) != 0) {
            st = oom(err);
        } else {
            st = open_decision(io, d, r, err);
        }
        free(key);
    }
    for (size_t i = 0; i < made; i++)
        revos_route_decision_free(&decisions[i]);
    return st;
}

/* ==== Writing ==== */

static revos_status insert(const revos_route_io *io, const char *sql, const json_t *rows_json,
                           const char *what, revos_err *err)
{
    if (json_array_size(rows_json) == 0)
        return REVOS_OK;
    char *text = json_dumps(rows_json, JSON_COMPACT);
    if (text == NULL)
        return oom(err);
    const char *params[] = {text};
    revos_status st = revos_pg_exec(io->pg, sql, 1, params, NULL, err);
    free(text);
    return st == REVOS_OK ? REVOS_OK : revos_wrap(err, st, what);
}

static revos_status write_rows(const revos_route_io *io, const rows *r, revos_err *err)
{
    revos_status st = insert(io,
        "INSERT INTO route_plays (play_id, account_id, play, trigger, severity, route, score_band,"
        "   arr_at_risk, save_cost, replacement_cost, ev_act, ev_no_act, config_version, score_id,"
        "   as_of)"
        " SELECT play_id, account_id, play, trigger, severity, route, score_band, arr_at_risk,"
        "   save_cost, replacement_cost, ev_act, ev_no_act, config_version, score_id,"
        "   to_timestamp(as_of_ms / 1000.0)"
        " FROM jsonb_to_recordset($1::jsonb) AS r(play_id text, account_id text, play text,"
        "   trigger text, severity text, route text, score_band text,"
        "   arr_at_risk double precision, save_cost double precision,"
        "   replacement_cost double precision, ev_act double precision,"
        "   ev_no_act double precision, config_version bigint, score_id text, as_of_ms bigint)"
        " ON CONFLICT DO NOTHING",
        r->plays, "insert plays", err);
    if (st == REVOS_OK)
        st = insert(io,
            "INSERT INTO route_tasks (task_id, play_id, title, owner_role, owner_id, depends_on,"
            "   due_at, cost)"
            " SELECT task_id, play_id, title, owner_role, owner_id, depends_on,"
            "   to_timestamp(due_at_ms / 1000.0), cost"
            " FROM jsonb_to_recordset($1::jsonb) AS r(task_id text, play_id text, title text,"
            "   owner_role text, owner_id text, depends_on text[], due_at_ms bigint,"
            "   cost double precision)"
            " ON CONFLICT DO NOTHING",
            r->tasks, "insert tasks", err);
    if (st == REVOS_OK)
        st = insert(io,
            "INSERT INTO route_pages (page_id, play_id, account_id, level, owner_id, owner_role,"
            "   format, url, trigger, route, sla_seconds, team, body)"
            " SELECT page_id, play_id, account_id, level, owner_id, owner_role, format, url,"
            "   trigger, route, sla_seconds, team, body"
            " FROM jsonb_to_recordset($1::jsonb) AS r(page_id text, play_id text,"
            "   account_id text, level int, owner_id text, owner_role text, format text,"
            "   url text, trigger text, route text, sla_seconds bigint, team jsonb, body jsonb)"
            " ON CONFLICT DO NOTHING",
            r->pages, "insert pages", err);
    if (st == REVOS_OK)
        st = insert(io,
            "INSERT INTO route_play_events (play_id, score_id, trigger, severity, attached, as_of)"
            " SELECT play_id, score_id, trigger, severity, attached,"
            "   to_timestamp(as_of_ms / 1000.0)"
            " FROM jsonb_to_recordset($1::jsonb) AS r(play_id text, score_id text, trigger text,"
            "   severity text, attached boolean, as_of_ms bigint)"
            " ON CONFLICT DO NOTHING",
            r->events, "insert play events", err);
    return st;
}

/* ==== The batch ==== */

revos_status revos_route_apply(const revos_route_io *io, const revos_msg *msgs, size_t n,
                               revos_err *err)
{
    const json_t *routing = json_object_get(io->config, "routing");
    rows r = {json_array(), json_array(), json_array(), json_array(), json_object()};
    json_t *accounts = json_array();
    json_t *seen = json_object();
    revos_status st = REVOS_OK;
    if (!r.plays || !r.tasks || !r.pages || !r.events || !r.open || !accounts || !seen)
        st = oom(err);

    /* 1. The accounts that may get a decision, to load what is open once. */
    for (size_t i = 0; st == REVOS_OK && i < n; i++) {
        const json_t *u = msgs[i].record;
        revos_route_trigger t[REVOS_ROUTE_MAX_TRIGGERS];
        if (!valid_update(u) || revos_route_triggers(u, routing, t, REVOS_ROUTE_MAX_TRIGGERS) == 0)
            continue;
        const char *account = text_field(u, "account_id");
        if (json_object_get(seen, account) == NULL &&
            (json_object_set_new(seen, account, json_true()) != 0 ||
             json_array_append_new(accounts, json_string(account)) != 0))
            st = oom(err);
    }
    if (st == REVOS_OK && json_array_size(accounts) > 0)
        st = load_open(io, accounts, &r, err);

    /* 2. Decisions, in order; malformed updates to the dead-letter topic. */
    int64_t decided = 0;
    for (size_t i = 0; st == REVOS_OK && i < n; i++) {
        const json_t *u = msgs[i].record;
        revos_err why = {{0}, {0}};
        if (!valid_update(u)) {
            revos_reject(&why, "validation",
                         "score update lacks account_id, score_id, kind, as_of or context");
            io->reject(io->ctx, &msgs[i], &why);
            continue;
        }
        if (json_object_get(seen, text_field(u, "account_id")) == NULL)
            continue; /* no trigger */
        size_t before = json_array_size(r.events);
        revos_status one = apply_update(io, u, &r, &why);
        if (one == REVOS_ERR_INPUT) {
            io->reject(io->ctx, &msgs[i], &why);
            continue;
        }
        if (one != REVOS_OK) {
            *err = why;
            st = one;
        }
        decided += (int64_t)(json_array_size(r.events) - before);
    }
    revos_route_io_count(io, "revos_route_decisions_total", "Triggers decided (opened or attached)",
                         decided);

    /* 3. One statement per table. */
    if (st == REVOS_OK)
        st = write_rows(io, &r, err);

    json_decref(r.plays);
    json_decref(r.tasks);
    json_decref(r.pages);
    json_decref(r.events);
    json_decref(r.open);
    json_decref(accounts);
    json_decref(seen);
    return st;
}
