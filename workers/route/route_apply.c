/* route_apply.c -- a batch of ScoreUpdates -> the cells' triggers, each
 * touched account's plan (plan.h), and what changed in PostgreSQL and on
 * revos.actions; see route_apply.h. */
#include "route/route_apply.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "pg/pg.h"
#include "route/actions.h"
#include "route/decide.h"
#include "route/pager.h"
#include "route/plan.h"

/* Rows collected over the batch, written with one statement per table. */
typedef struct rows {
    json_t *plays;
    json_t *tasks;
    json_t *pages;
    json_t *events;
    json_t *closes;      /* [{play_id, status, closed_by, closed_ms}] plays the plan closed */
    json_t *superseded;  /* ids of decisions no longer planned */
    int64_t page_wait_s;
} rows;

static revos_status oom(revos_err *err)
{
    return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
}

static int append(json_t *array, json_t *row)
{
    return row != NULL && json_array_append_new(array, row) == 0;
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

/* ==== Durations of the routing config ==== */

/* A duration of the routing config in seconds; 0 (a JSON integer) only
 * where allow_zero; fallback when absent or invalid (revosctl config apply
 * refuses an invalid one before it is stored). */
static int64_t routing_seconds(const json_t *routing, const char *key, int allow_zero,
                               int64_t fallback)
{
    const json_t *v = json_object_get(routing, key);
    int64_t seconds;
    revos_err ignored = {0};
    if (allow_zero && json_is_integer(v) && json_integer_value(v) == 0)
        return 0;
    if (v == NULL || revos_route_parse_duration(v, &seconds, &ignored) != REVOS_OK)
        return fallback;
    return seconds;
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
static revos_status open_decision(const revos_route_io *io, const revos_route_planned *p,
                                  rows *r, revos_err *err)
{
    const revos_route_decision *d = &p->decision;
    /* a live page waits page_wait before it is sent: a correction arriving
     * meanwhile can still withdraw it; a historical one is never sent */
    const char *page_status = d->historical ? "historical" : p->closed ? "cancelled" : "pending";
    if (d->play != NULL) {
        json_t *play = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:s, s:I,"
            " s:s, s:b, s:s?, s:I}",
            "play_id", d->decision_id, "account_id", d->account_id, "play", d->play, "trigger",
            d->trigger.name, "severity", d->trigger.severity, "route", d->route, "score_band",
            d->score_band, "arr_at_risk", d->finance.arr_at_risk, "save_cost",
            d->finance.save_cost, "replacement_cost", d->finance.replacement_cost, "ev_act",
            d->finance.ev_act, "ev_no_act", d->finance.ev_no_act, "config_version",
            (json_int_t)d->config_version, "score_id", d->score_id, "as_of_ms",
            (json_int_t)d->as_of_ms, "status", p->closed ? p->result : "open", "historical",
            d->historical, "closed_by", p->closed ? p->closed_by : NULL, "closed_ms",
            (json_int_t)p->closed_ms);
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
    revos_log_ids ids = {d->decision_id, d->account_id, d->trace};
    revos_log_record(REVOS_LOG_INFO, &ids, "%s %s on %s %s (%s): %zu page(s) %s",
                     d->play ? "play" : "notice", d->decision_id, d->trigger.name,
                     d->trigger.severity, d->score_id, d->owners.n, page_status);
    for (size_t k = 0; k < d->owners.n; k++) {
        const revos_route_owner *o = &d->owners.owner[k];
        char *page_id = revos_route_page_id(d->decision_id, 0, o->owner_id);
        json_t *body = page_id ? revos_pager_body(d, &d->owners, k, page_id) : NULL;
        json_t *page = body ? json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s?, s:s, s:s,"
                                        " s:I, s:O, s:o, s:s, s:I}",
                                        "page_id", page_id, "play_id", d->decision_id,
                                        "account_id", d->account_id, "level", 0, "owner_id",
                                        o->owner_id, "owner_role", o->role, "format", o->format,
                                        "url", o->url, "trigger", d->trigger.name, "route",
                                        d->route, "sla_seconds", (json_int_t)d->sla_seconds,
                                        "team", d->team, "body", body, "status", page_status,
                                        "wait_seconds", (json_int_t)r->page_wait_s)
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
    revos_route_io_count(io, d->historical ? "revos_route_historical_decisions_total"
                                           : "revos_route_live_decisions_total",
                         d->historical ? "Decisions older than the live horizon: recorded, never paged"
                                       : "Decisions within the live horizon", 1);
    return REVOS_OK;
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

/* Superseded decisions first (a new play may take the open slot of one),
 * then the new rows, the closes and the accounts' trigger histories. */
static revos_status write_plan(const revos_route_io *io, const json_t *accounts, const rows *r,
                               revos_err *err)
{
    revos_status st = insert(io,
        "WITH s AS (SELECT jsonb_array_elements_text($1::jsonb) AS id),"
        " p AS (UPDATE route_plays SET status = 'superseded' WHERE play_id IN (SELECT id FROM s)"
        "   RETURNING play_id)"
        " UPDATE route_pages SET status = 'cancelled'"
        "  WHERE play_id IN (SELECT id FROM s) AND status IN ('pending', 'historical')",
        r->superseded, "supersede decisions", err);
    if (st == REVOS_OK)
        st = insert(io,
            "DELETE FROM route_play_events"
            " WHERE account_id IN (SELECT jsonb_array_elements_text($1::jsonb))",
            accounts, "clear play events", err);
    if (st == REVOS_OK)
        st = insert(io,
        "INSERT INTO route_plays (play_id, account_id, play, trigger, severity, route, score_band,"
        "   arr_at_risk, save_cost, replacement_cost, ev_act, ev_no_act, config_version, score_id,"
        "   as_of, status, historical, closed_by, closed_at)"
        " SELECT play_id, account_id, play, trigger, severity, route, score_band, arr_at_risk,"
        "   save_cost, replacement_cost, ev_act, ev_no_act, config_version, score_id,"
        "   to_timestamp(as_of_ms / 1000.0), status, historical, closed_by,"
        "   CASE WHEN closed_by IS NULL THEN NULL ELSE to_timestamp(closed_ms / 1000.0) END"
        " FROM jsonb_to_recordset($1::jsonb) AS r(play_id text, account_id text, play text,"
        "   trigger text, severity text, route text, score_band text,"
        "   arr_at_risk double precision, save_cost double precision,"
        "   replacement_cost double precision, ev_act double precision,"
        "   ev_no_act double precision, config_version bigint, score_id text, as_of_ms bigint,"
        "   status text, historical boolean, closed_by text, closed_ms bigint)"
        " ON CONFLICT (play_id) DO UPDATE SET status = EXCLUDED.status, closed_by = EXCLUDED.closed_by,"
        "   closed_at = EXCLUDED.closed_at WHERE route_plays.status = 'superseded'",
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
            "   format, url, trigger, route, sla_seconds, team, body, status, next_attempt_at)"
            " SELECT page_id, play_id, account_id, level, owner_id, owner_role, format, url,"
            "   trigger, route, sla_seconds, team, body, status,"
            "   now() + make_interval(secs => wait_seconds)"
            " FROM jsonb_to_recordset($1::jsonb) AS r(page_id text, play_id text,"
            "   account_id text, level int, owner_id text, owner_role text, format text,"
            "   url text, trigger text, route text, sla_seconds bigint, team jsonb, body jsonb,"
            "   status text, wait_seconds bigint)"
            " ON CONFLICT (page_id) DO UPDATE SET status = EXCLUDED.status,"
            "   next_attempt_at = EXCLUDED.next_attempt_at WHERE route_pages.status = 'cancelled'"
            "   AND route_pages.sent_at IS NULL",
            r->pages, "insert pages", err);
    if (st == REVOS_OK)
        st = insert(io,
            "INSERT INTO route_play_events (play_id, account_id, score_id, trigger, severity,"
            "   attached, as_of)"
            " SELECT play_id, account_id, score_id, trigger, severity, attached,"
            "   to_timestamp(as_of_ms / 1000.0)"
            " FROM jsonb_to_recordset($1::jsonb) AS r(play_id text, account_id text,"
            "   score_id text, trigger text, severity text, attached boolean, as_of_ms bigint)"
            " ON CONFLICT DO NOTHING",
            r->events, "insert play events", err);
    if (st == REVOS_OK)
        st = insert(io,
            "UPDATE route_plays p SET status = c.status, closed_by = c.closed_by,"
            "   closed_at = to_timestamp(c.closed_ms / 1000.0)"
            " FROM jsonb_to_recordset($1::jsonb) AS c(play_id text, status text, closed_by text,"
            "   closed_ms bigint)"
            " WHERE p.play_id = c.play_id AND p.status = 'open'",
            r->closes, "close plays", err);
    return st;
}

/* ==== Cells ==== */

/* The batch's updates as cell rows, the highest revision of each cell. */
static revos_status collect_cells(const revos_route_io *io, const revos_msg *msgs, size_t n,
                                  json_t *cells, revos_err *err)
{
    const json_t *routing = json_object_get(io->config, "routing");
    for (size_t i = 0; i < n; i++) {
        const json_t *u = msgs[i].record;
        if (!valid_update(u)) {
            revos_err why = {{0}, {0}};
            revos_reject(&why, "validation",
                         "score update lacks account_id, score_id, kind, as_of or context");
            io->reject(io->ctx, &msgs[i], &why);
            continue;
        }
        revos_route_trigger t[REVOS_ROUTE_MAX_TRIGGERS];
        size_t nt = revos_route_triggers(u, routing, t, REVOS_ROUTE_MAX_TRIGGERS);
        /* a trigger the config cannot decide rejects the update, whole */
        revos_err why = {{0}, {0}};
        revos_status bad = REVOS_OK;
        for (size_t k = 0; k < nt && bad == REVOS_OK; k++) {
            revos_route_decision d;
            bad = revos_route_decide(u, &t[k], io->config, io->config_version, &d, &why);
            revos_route_decision_free(&d);
        }
        if (bad == REVOS_ERR_INPUT) {
            io->reject(io->ctx, &msgs[i], &why);
            continue;
        }
        if (bad != REVOS_OK) {
            *err = why;
            return bad;
        }
        json_t *names = json_array();
        for (size_t k = 0; names != NULL && k < nt; k++)
            json_array_append_new(names, json_pack("{s:s,s:s}", "name", t[k].name, "severity",
                                                   t[k].severity));
        char cell[512], key[1024];
        revos_route_cell_of(text_field(u, "score_id"), cell, sizeof cell);
        snprintf(key, sizeof key, "%s\x1f%s", text_field(u, "account_id"), cell);
        json_int_t rev = json_integer_value(json_object_get(u, "revision"));
        const json_t *have = json_object_get(cells, key);
        if (have != NULL && json_integer_value(json_object_get(have, "revision")) >= rev) {
            json_decref(names);
            continue;
        }
        json_t *row = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:O}", "account_id",
                                text_field(u, "account_id"), "cell_id", cell, "kind",
                                text_field(u, "kind"), "as_of",
                                json_integer_value(json_object_get(u, "as_of")), "revision", rev,
                                "triggers", names ? names : json_array(), "update", u);
        if (row == NULL || json_object_set_new(cells, key, row) != 0)
            return oom(err);
    }
    return REVOS_OK;
}

static revos_status exec_rows(const revos_route_io *io, const char *sql, const json_t *rows_json,
                              PGresult **res, const char *what, revos_err *err)
{
    char *text = json_dumps(rows_json, JSON_COMPACT);
    if (text == NULL)
        return oom(err);
    const char *params[] = {text};
    revos_status st = revos_pg_exec(io->pg, sql, 1, params, res, err);
    free(text);
    return st == REVOS_OK ? REVOS_OK : revos_wrap(err, st, what);
}

/* Stores the cells that hold triggers (and empties cells that no longer
 * do), newer revisions only; the accounts whose cells changed go to
 * touched. */
static revos_status store_cells(const revos_route_io *io, const json_t *cells, json_t *touched,
                                revos_err *err)
{
    json_t *with = json_array(), *without = json_array();
    const char *key;
    json_t *row;
    json_object_foreach ((json_t *)cells, key, row)
        json_array_append(json_array_size(json_object_get(row, "triggers")) ? with : without, row);
    revos_status st = REVOS_OK;
    PGresult *res = NULL;
    if (json_array_size(with) > 0) {
        st = exec_rows(io,
            "INSERT INTO route_cells (account_id, cell_id, kind, as_of, revision, triggers, update)"
            " SELECT account_id, cell_id, kind, as_of, revision, triggers, update"
            " FROM jsonb_to_recordset($1::jsonb) AS r(account_id text, cell_id text, kind text,"
            "   as_of bigint, revision int, triggers jsonb, update jsonb)"
            " ON CONFLICT (account_id, cell_id) DO UPDATE SET revision = EXCLUDED.revision,"
            "   triggers = EXCLUDED.triggers, update = EXCLUDED.update, as_of = EXCLUDED.as_of"
            "   WHERE route_cells.revision < EXCLUDED.revision"
            " RETURNING account_id",
            with, &res, "store cells", err);
        for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++)
            json_object_set_new(touched, PQgetvalue(res, i, 0), json_true());
        PQclear(res);
        res = NULL;
    }
    if (st == REVOS_OK && json_array_size(without) > 0) {
        /* a cell that lost its triggers: kept, empty, as a tombstone that an
         * older revision delivered again cannot overwrite */
        st = exec_rows(io,
            "UPDATE route_cells c SET revision = r.revision, triggers = '[]', update = r.update"
            " FROM jsonb_to_recordset($1::jsonb) AS r(account_id text, cell_id text,"
            "   revision int, update jsonb)"
            " WHERE c.account_id = r.account_id AND c.cell_id = r.cell_id"
            "   AND c.revision < r.revision"
            " RETURNING c.account_id",
            without, &res, "empty cells", err);
        for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++)
            json_object_set_new(touched, PQgetvalue(res, i, 0), json_true());
        PQclear(res);
    }
    json_decref(with);
    json_decref(without);
    return st;
}

/* ==== One account's plan against what is stored ==== */

typedef struct account_inputs {
    json_t *cells;   /* account -> [{cell_id, as_of, update}] */
    json_t *ends;    /* account -> [{kind, ms, result, outcome_id, play_id}] */
    json_t *stored;  /* account -> {decision id: status} */
} account_inputs;

static json_t *list_of(json_t *by_account, const char *account)
{
    json_t *list = json_object_get(by_account, account);
    if (list == NULL) {
        list = json_array();
        json_object_set_new(by_account, account, list);
    }
    return list;
}

static revos_status load_inputs(const revos_route_io *io, const json_t *accounts,
                                account_inputs *in, revos_err *err)
{
    PGresult *res = NULL;
    revos_status st = exec_rows(io,
        "SELECT account_id, cell_id, as_of, update::text FROM route_cells"
        " WHERE account_id IN (SELECT jsonb_array_elements_text($1::jsonb))"
        "   AND triggers <> '[]'::jsonb ORDER BY account_id, as_of, cell_id",
        accounts, &res, "load cells", err);
    for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++) {
        json_error_t jerr;
        json_t *update = json_loads(PQgetvalue(res, i, 3), 0, &jerr);
        json_t *cell = json_pack("{s:s, s:I, s:o}", "cell_id", PQgetvalue(res, i, 1), "as_of",
                                 (json_int_t)strtoll(PQgetvalue(res, i, 2), NULL, 10), "update",
                                 update ? update : json_object());
        if (cell == NULL || json_array_append_new(list_of(in->cells, PQgetvalue(res, i, 0)), cell))
            st = oom(err);
    }
    PQclear(res);
    res = NULL;
    if (st == REVOS_OK)
        st = exec_rows(io,
            "WITH a AS (SELECT jsonb_array_elements_text($1::jsonb) AS account_id)"
            " SELECT account_id, 'crm', outcome_id, result,"
            "   (extract(epoch FROM occurred_at) * 1000)::bigint, ''"
            "   FROM outcome_records WHERE kind = 'crm_renewal' AND play_id IS NULL"
            "   AND account_id IN (SELECT account_id FROM a)"
            " UNION ALL"
            " SELECT p.account_id, 'play', r.outcome_id, r.result,"
            "   (extract(epoch FROM r.occurred_at) * 1000)::bigint, r.play_id"
            "   FROM outcome_records r JOIN route_plays p ON p.play_id = r.play_id"
            "   WHERE r.kind = 'play' AND p.account_id IN (SELECT account_id FROM a)"
            " UNION ALL"
            " SELECT p.account_id, 'ack', k.outcome_id, 'ack',"
            "   (extract(epoch FROM k.acked_at) * 1000)::bigint, p.play_id"
            "   FROM page_acks k JOIN route_pages p ON p.page_id = k.page_id"
            "   WHERE p.play_id LIKE 'notice:%' AND p.account_id IN (SELECT account_id FROM a)",
            accounts, &res, "load outcomes", err);
    for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++) {
        json_t *end = json_pack("{s:s, s:s, s:s, s:I, s:s}", "kind", PQgetvalue(res, i, 1),
                                "outcome_id", PQgetvalue(res, i, 2), "result", PQgetvalue(res, i, 3),
                                "ms", (json_int_t)strtoll(PQgetvalue(res, i, 4), NULL, 10),
                                "play_id", PQgetvalue(res, i, 5));
        if (end == NULL || json_array_append_new(list_of(in->ends, PQgetvalue(res, i, 0)), end))
            st = oom(err);
    }
    PQclear(res);
    res = NULL;
    if (st == REVOS_OK)
        st = exec_rows(io,
            "WITH a AS (SELECT jsonb_array_elements_text($1::jsonb) AS account_id)"
            " SELECT account_id, play_id, status FROM route_plays"
            "  WHERE status <> 'superseded' AND account_id IN (SELECT account_id FROM a)"
            " UNION ALL"
            " SELECT DISTINCT account_id, play_id, 'notice' FROM route_pages"
            "  WHERE level = 0 AND play_id LIKE 'notice:%' AND status <> 'cancelled'"
            "    AND account_id IN (SELECT account_id FROM a)",
            accounts, &res, "load decisions", err);
    for (int i = 0; st == REVOS_OK && i < PQntuples(res); i++) {
        json_t *map = json_object_get(in->stored, PQgetvalue(res, i, 0));
        if (map == NULL) {
            map = json_object();
            json_object_set_new(in->stored, PQgetvalue(res, i, 0), map);
        }
        if (json_object_set_new(map, PQgetvalue(res, i, 1), json_string(PQgetvalue(res, i, 2))))
            st = oom(err);
    }
    PQclear(res);
    return st;
}

/* Plans one account and collects what differs from what is stored. */
static revos_status apply_account(const revos_route_io *io, const char *account,
                                  account_inputs *in, int64_t now_ms, int64_t live_ms, rows *r,
                                  revos_err *err)
{
    revos_route_plan_result plan;
    revos_status st = revos_route_plan(io->config, io->config_version,
                                       list_of(in->cells, account), list_of(in->ends, account),
                                       &plan, err);
    if (st != REVOS_OK)
        return st;
    json_t *stored = json_object_get(in->stored, account);
    json_t *planned = json_object();
    for (size_t i = 0; st == REVOS_OK && i < plan.n; i++) {
        revos_route_planned *p = &plan.items[i];
        revos_route_decision *d = &p->decision;
        json_object_set_new(planned, d->decision_id, json_true());
        for (size_t k = 0; k < json_array_size(p->events); k++) {
            json_t *ev = json_deep_copy(json_array_get(p->events, k));
            json_object_set_new(ev, "play_id", json_string(d->decision_id));
            json_object_set_new(ev, "account_id", json_string(account));
            if (!append(r->events, ev))
                st = oom(err);
        }
        const char *status = json_string_value(json_object_get(stored, d->decision_id));
        if (status == NULL) {
            d->historical = d->as_of_ms < now_ms - live_ms;
            st = open_decision(io, p, r, err);
        } else if (p->closed && d->play != NULL && strcmp(status, "open") == 0) {
            if (!append(r->closes, json_pack("{s:s, s:s, s:s, s:I}", "play_id", d->decision_id,
                                             "status", p->result, "closed_by", p->closed_by,
                                             "closed_ms", (json_int_t)p->closed_ms)))
                st = oom(err);
        }
    }
    const char *id;
    json_t *status;
    json_object_foreach (stored, id, status) {
        if (st == REVOS_OK && json_object_get(planned, id) == NULL) {
            if (!append(r->superseded, json_string(id)))
                st = oom(err);
            revos_route_io_count(io, "revos_route_decisions_superseded_total",
                                 "Decisions withdrawn because a correction took their trigger away", 1);
        }
    }
    json_decref(planned);
    revos_route_plan_free(&plan);
    return st;
}

/* ==== The batch ==== */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

revos_status revos_route_apply(const revos_route_io *io, const revos_msg *msgs, size_t n,
                               revos_err *err)
{
    const json_t *routing = json_object_get(io->config, "routing");
    rows r = {json_array(), json_array(), json_array(), json_array(), json_array(), json_array(),
              routing_seconds(routing, "page_wait", 1, 15)};
    account_inputs in = {json_object(), json_object(), json_object()};
    json_t *cells = json_object(), *touched = json_object(), *accounts = json_array();
    revos_status st = REVOS_OK;
    if (!r.plays || !r.tasks || !r.pages || !r.events || !r.closes || !r.superseded || !in.cells ||
        !in.ends || !in.stored || !cells || !touched || !accounts)
        st = oom(err);

    /* 1. The cells and their triggers; the accounts whose cells changed. */
    if (st == REVOS_OK)
        st = collect_cells(io, msgs, n, cells, err);
    if (st == REVOS_OK)
        st = store_cells(io, cells, touched, err);

    /* 2. Each touched account planned again, in account order. */
    size_t n_acc = json_object_size(touched);
    const char **ids = calloc(n_acc + 1, sizeof *ids);
    if (ids == NULL && st == REVOS_OK)
        st = oom(err);
    size_t k = 0;
    const char *account;
    json_t *v;
    json_object_foreach (touched, account, v)
        if (ids != NULL)
            ids[k++] = account;
    if (ids != NULL)
        qsort(ids, k, sizeof *ids, compare_strings);
    for (size_t i = 0; st == REVOS_OK && i < k; i++)
        if (json_array_append_new(accounts, json_string(ids[i])) != 0)
            st = oom(err);
    if (st == REVOS_OK && k > 0)
        st = load_inputs(io, accounts, &in, err);
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    int64_t live_ms = routing_seconds(routing, "live_horizon", 0, 72 * 3600) * 1000;
    for (size_t i = 0; st == REVOS_OK && i < k; i++) {
        revos_err why = {{0}, {0}};
        revos_status one = apply_account(io, ids[i], &in, now_ms, live_ms, &r, &why);
        if (one == REVOS_ERR_INPUT) {
            /* a config error: the account's decisions wait for a good config */
            revos_log_warn("route: account %s not planned: %s", ids[i], why.msg);
            revos_route_io_count(io, "revos_route_plan_errors_total",
                                 "Accounts whose decisions could not be planned (config errors)", 1);
            continue;
        }
        if (one != REVOS_OK) {
            *err = why;
            st = one;
        }
    }
    revos_route_io_count(io, "revos_route_accounts_planned_total",
                         "Accounts whose decisions were planned again", (int64_t)k);

    /* 3. What changed, one statement per table. */
    if (st == REVOS_OK && k > 0)
        st = write_plan(io, accounts, &r, err);

    free(ids);
    json_decref(r.plays);
    json_decref(r.tasks);
    json_decref(r.pages);
    json_decref(r.events);
    json_decref(r.closes);
    json_decref(r.superseded);
    json_decref(in.cells);
    json_decref(in.ends);
    json_decref(in.stored);
    json_decref(cells);
    json_decref(touched);
    json_decref(accounts);
    return st;
}
