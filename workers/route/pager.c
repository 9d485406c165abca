/* pager.c -- page bodies, sending with backoff, escalation; see pager.h.
 *
 * Every statement of a tick is a multi-row statement: one SELECT of due
 * pages, one UPDATE of their results; one SELECT of overdue pages, one
 * UPDATE marking them escalated, one INSERT of the next level's pages. */
#include "route/pager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "pg/pg.h"
#include "route/actions.h"

/* ==== Pure parts ==== */

int64_t revos_pager_backoff_ms(int attempts)
{
    if (attempts < 1)
        attempts = 1;
    if (attempts > 20)
        return REVOS_PAGER_MAX_BACKOFF_MS;
    int64_t delay = (int64_t)1000 << (attempts - 1);
    return delay > REVOS_PAGER_MAX_BACKOFF_MS ? REVOS_PAGER_MAX_BACKOFF_MS : delay;
}

void revos_pager_iso8601(int64_t ms, char *out, size_t outlen)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, outlen, "%lld", (long long)ms);
}

static json_t *owner_json(const revos_route_owner *o)
{
    return json_pack("{s:s, s:s, s:s}", "role", o->role, "owner_id", o->owner_id, "name",
                     o->name);
}

json_t *revos_pager_owners_json(const revos_route_owners *owners)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < owners->n; i++) {
        if (json_array_append_new(list, owner_json(&owners->owner[i])) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

json_t *revos_pager_body(const revos_route_decision *d, const revos_route_owners *owners,
                         size_t recipient, const char *page_id)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:I, s:n, s:f, s:f, s:f,"
        " s:f, s:f, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
        "page_id", page_id, "play_id", d->decision_id, "account_id", d->account_id,
        "account_name", d->account_name, "play", d->play ? d->play : REVOS_ROUTE_NO_PLAY,
        "trigger", d->trigger.name, "severity", d->trigger.severity, "route", d->route, "level",
        0, "owner", owner_json(&owners->owner[recipient]), "owners",
        revos_pager_owners_json(owners), "sla_seconds", (json_int_t)d->sla_seconds,
        "ack_due_at", "arr_at_risk", d->finance.arr_at_risk, "save_cost", d->finance.save_cost,
        "replacement_cost", d->finance.replacement_cost, "ev_act", d->finance.ev_act,
        "ev_no_act", d->finance.ev_no_act, "summary", d->summary, "decision_summary",
        d->summary, "explanation", d->explanation, "score_id", d->score_id, "score_band",
        d->score_band, "config_version", (json_int_t)d->config_version, "as_of",
        (json_int_t)d->as_of_ms, "trace", d->trace);
}

json_t *revos_pager_escalated_body(const json_t *previous, int level,
                                   const revos_route_owners *owners, size_t recipient,
                                   const char *page_id)
{
    json_t *body = json_deep_copy(previous);
    if (body == NULL)
        return NULL;
    char sla[32];
    revos_route_format_duration(json_integer_value(json_object_get(previous, "sla_seconds")),
                                sla, sizeof sla);
    const char *base = json_string_value(json_object_get(previous, "decision_summary"));
    char *summary = revos_route_strf("Escalated to level %d, not acknowledged within %s: %s",
                                     level, sla, base ? base : "");
    json_t *owner = owner_json(&owners->owner[recipient]);
    json_t *list = revos_pager_owners_json(owners);
    if (summary == NULL || owner == NULL || list == NULL ||
        json_object_set_new(body, "page_id", json_string(page_id)) != 0 ||
        json_object_set_new(body, "level", json_integer(level)) != 0 ||
        json_object_set_new(body, "owner", owner) != 0 ||
        json_object_set_new(body, "owners", list) != 0 ||
        json_object_set_new(body, "ack_due_at", json_null()) != 0 ||
        json_object_set_new(body, "summary", json_string(summary)) != 0) {
        free(summary);
        json_decref(body);
        return NULL;
    }
    free(summary);
    return body;
}

/* ==== Sending ==== */

static revos_status oom(revos_err *err)
{
    return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
}

static revos_status exec_json(PGconn *pg, const char *sql, const json_t *rows, const char *now,
                              PGresult **out, revos_err *err)
{
    char *text = json_dumps(rows, JSON_COMPACT);
    if (text == NULL)
        return oom(err);
    const char *params[] = {text, now};
    revos_status st = revos_pg_exec(pg, sql, now ? 2 : 1, params, out, err);
    free(text);
    return st;
}

/* The secret for an owner's pages: the environment variable (or flag) the
 * directory entry names in "secret_env", else the default secret. Secrets
 * never live in the governed config. NULL when there is none. */
static const char *owner_secret(const revos_route_io *io, const char *owner_id,
                                const char *fallback)
{
    const json_t *directory = json_object_get(json_object_get(io->config, "routing"), "directory");
    const json_t *owner = json_object_get(json_object_get(directory, "owners"), owner_id);
    const char *env = json_string_value(json_object_get(owner, "secret_env"));
    const char *secret = env != NULL && *env != '\0' ? revos_settings_get(io->settings, env, NULL)
                                                     : fallback;
    return secret != NULL && *secret != '\0' ? secret : NULL;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static revos_status send_due(const revos_route_io *io, int64_t now_ms, const char *now,
                             revos_err *err)
{
    PGresult *res = NULL;
    const char *params[] = {now};
    revos_status st = revos_pg_exec(io->pg,
        "SELECT page_id, format, url, attempts, sla_seconds, body::text, owner_id FROM route_pages"
        " WHERE status = 'pending' AND next_attempt_at <= to_timestamp($1::double precision / 1000)"
        " ORDER BY next_attempt_at, page_id LIMIT 50 FOR UPDATE SKIP LOCKED", /* REVOS_PAGER_BATCH */
        1, params, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "select due pages");
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        return REVOS_OK;
    }
    const char *default_url = revos_settings_get(io->settings, "REVOS_PAGE_WEBHOOK_URL", NULL);
    const char *secret = revos_settings_get(io->settings, "REVOS_PAGE_WEBHOOK_SECRET", NULL);
    if (default_url != NULL && *default_url == '\0')
        default_url = NULL;

    json_t *results = json_array();
    int64_t sent = 0, retried = 0, failed = 0;
    int64_t budget = io->post_budget_ms > 0 ? io->post_budget_ms : REVOS_PAGER_POST_BUDGET_MS;
    int64_t started = monotonic_ms();
    for (int i = 0; results != NULL && i < n; i++) {
        if (monotonic_ms() - started >= budget) {
            revos_log_info("paging budget of %lld ms spent; %d page(s) wait for the next tick",
                           (long long)budget, n - i);
            break;
        }
        const char *page_id = PQgetvalue(res, i, 0);
        int attempts = atoi(PQgetvalue(res, i, 3)) + 1;
        int64_t sla = strtoll(PQgetvalue(res, i, 4), NULL, 10);
        json_t *body = json_loads(PQgetvalue(res, i, 5), 0, NULL);
        revos_route_destination dest = {
            .url = PQgetisnull(res, i, 2) ? default_url : PQgetvalue(res, i, 2),
            .secret = owner_secret(io, PQgetvalue(res, i, 6), secret),
            .format = PQgetvalue(res, i, 1),
        };
        int64_t ack_due_ms = now_ms + sla * 1000;
        char ack_due[32];
        revos_pager_iso8601(ack_due_ms, ack_due, sizeof ack_due);
        revos_err why = {{0}, {0}};
        revos_status posted;
        if (body == NULL) {
            posted = revos_fail(&why, REVOS_ERR_INPUT, "stored page body is not JSON");
        } else if (dest.url == NULL) {
            posted = revos_fail(&why, REVOS_ERR_RETRY, "no destination: set "
                                "REVOS_PAGE_WEBHOOK_URL or the owner's webhook_url");
        } else if (dest.secret == NULL && strcmp(dest.format, "slack") != 0) {
            posted = strcmp(dest.format, "pagerduty") == 0
                         ? revos_fail(&why, REVOS_ERR_RETRY,
                                      "no PagerDuty routing key: set the owner's secret_env")
                         : revos_fail(&why, REVOS_ERR_RETRY, "no signing secret: set "
                                      "REVOS_PAGE_WEBHOOK_SECRET or the owner's secret_env");
        } else {
            json_object_set_new(body, "ack_due_at", json_string(ack_due));
            posted = io->post(io->ctx, &dest, body, now_ms / 1000, &why);
        }
        json_t *row;
        revos_log_ids ids = {page_id, json_string_value(json_object_get(body, "account_id")),
                             json_string_value(json_object_get(body, "trace"))};
        if (posted == REVOS_OK) {
            revos_log_record(REVOS_LOG_INFO, &ids, "page %s sent to %s (%s, attempt %d)", page_id,
                             PQgetvalue(res, i, 6), dest.format, attempts);
            revos_route_io_count_by(io, "revos_pages_sent_by_channel_total",
                                    "Pages delivered, by channel", "channel", dest.format, 1);
            row = json_pack("{s:s, s:s, s:i, s:n, s:I, s:n, s:O}", "page_id", page_id, "status",
                            "sent", "attempts", attempts, "next_ms", "ack_due_ms",
                            (json_int_t)ack_due_ms, "error", "body", body);
            sent++;
        } else if (posted == REVOS_ERR_INPUT || attempts >= REVOS_PAGER_MAX_ATTEMPTS) {
            revos_log_record(REVOS_LOG_WARN, &ids, "page %s failed after %d attempt(s): %s", page_id,
                             attempts, why.msg);
            revos_route_io_count_by(io, "revos_pages_failed_by_channel_total",
                                    "Pages given up on, by channel", "channel", dest.format, 1);
            row = json_pack("{s:s, s:s, s:i, s:n, s:I, s:s, s:n}", "page_id", page_id, "status",
                            "failed", "attempts", attempts, "next_ms", "ack_due_ms",
                            (json_int_t)now_ms, "error", why.msg, "body");
            failed++;
        } else {
            revos_log_record(REVOS_LOG_INFO, &ids, "page %s attempt %d failed, retrying: %s", page_id,
                             attempts, why.msg);
            revos_route_io_count_by(io, "revos_pages_retried_by_channel_total",
                                    "Page deliveries to retry, by channel", "channel", dest.format, 1);
            row = json_pack("{s:s, s:s, s:i, s:I, s:n, s:s, s:n}", "page_id", page_id, "status",
                            "pending", "attempts", attempts, "next_ms",
                            (json_int_t)(now_ms + revos_pager_backoff_ms(attempts)), "ack_due_ms",
                            "error", why.msg, "body");
            retried++;
        }
        json_decref(body);
        if (row == NULL || json_array_append_new(results, row) != 0) {
            json_decref(results);
            results = NULL;
        }
    }
    PQclear(res);
    if (results == NULL)
        return oom(err);
    if (json_array_size(results) == 0) {
        json_decref(results);
        return REVOS_OK;
    }
    st = exec_json(io->pg,
        "UPDATE route_pages p SET status = r.status, attempts = r.attempts,"
        " next_attempt_at = COALESCE(to_timestamp(r.next_ms / 1000), p.next_attempt_at),"
        " ack_due_at = COALESCE(to_timestamp(r.ack_due_ms / 1000), p.ack_due_at),"
        " sent_at = CASE WHEN r.status = 'sent' THEN to_timestamp($2::double precision / 1000)"
        "           ELSE p.sent_at END,"
        " last_error = r.error, body = COALESCE(r.body, p.body)"
        " FROM jsonb_to_recordset($1::jsonb) AS r(page_id text, status text, attempts int,"
        "      next_ms double precision, ack_due_ms double precision, error text, body jsonb)"
        " WHERE p.page_id = r.page_id",
        results, now, NULL, err);
    json_decref(results);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "update sent pages");
    revos_route_io_count(io, "revos_pages_sent_total", "Pages delivered to their destination", sent);
    revos_route_io_count(io, "revos_page_retries_total", "Page deliveries to retry", retried);
    revos_route_io_count(io, "revos_pages_failed_total", "Pages given up on", failed);
    return REVOS_OK;
}

/* ==== Escalation ==== */

/* Splits "<trigger>/<severity>" at the last '/'. */
static const json_t *entry_of_route(const json_t *routing, const char *route)
{
    const char *slash = strrchr(route, '/');
    if (slash == NULL || (size_t)(slash - route) >= 64)
        return NULL;
    char trigger[64];
    memcpy(trigger, route, (size_t)(slash - route));
    trigger[slash - route] = '\0';
    return revos_route_matrix_entry(routing, trigger, slash + 1);
}

/* Columns of the overdue-pages query. */
enum { C_PAGE, C_PLAY, C_LEVEL, C_ACCOUNT, C_TRIGGER, C_ROUTE, C_SLA, C_TEAM, C_BODY, C_ACKED,
       C_CLOSED };

static int settle(json_t *settled, const char *play_id, int level, const char *state)
{
    return json_array_append_new(settled, json_pack("{s:s, s:i, s:s}", "play_id", play_id,
                                                    "level", level, "state", state)) == 0;
}

/* Settles one overdue (decision, level) group whose first row is row i:
 * acknowledged or closed decisions are only marked; otherwise the next
 * level's pages go to `pages` and the escalation Action is emitted. */
static revos_status escalate_group(const revos_route_io *io, PGresult *res, int i,
                                   int64_t now_ms, json_t *settled, json_t *pages, revos_err *err)
{
    const char *play_id = PQgetvalue(res, i, C_PLAY);
    int level = atoi(PQgetvalue(res, i, C_LEVEL));
    const char *route = PQgetvalue(res, i, C_ROUTE);
    const json_t *routing = json_object_get(io->config, "routing");

    if (strcmp(PQgetvalue(res, i, C_ACKED), "t") == 0)
        return settle(settled, play_id, level, "acknowledged") ? REVOS_OK : oom(err);
    if (strcmp(PQgetvalue(res, i, C_CLOSED), "t") == 0)
        return settle(settled, play_id, level, "closed") ? REVOS_OK : oom(err);
    /* neither acknowledged nor closed by its due time: the SLA is breached */
    revos_route_io_count(io, "revos_sla_breaches_total",
                         "Decisions not acknowledged within their SLA", 1);

    const json_t *entry = entry_of_route(routing, route);
    const json_t *chain = json_object_get(entry, "escalation");
    if (entry == NULL) {
        revos_log_warn("cannot escalate %s level %d: route %s is no longer in the matrix",
                       play_id, level, route);
        revos_route_io_count(io, "revos_escalations_unroutable_total",
                             "Escalations whose matrix entry is gone", 1);
        return settle(settled, play_id, level, "unroutable") ? REVOS_OK : oom(err);
    }
    json_t *team = json_loads(PQgetvalue(res, i, C_TEAM), 0, NULL);
    if (team == NULL)
        team = json_object();
    json_t *previous = json_loads(PQgetvalue(res, i, C_BODY), 0, NULL);
    revos_status st = REVOS_OK;
    revos_route_owners owners = {.n = 0};
    int next = level + 1;
    /* The first later level with somebody to page. */
    for (; next <= (int)json_array_size(chain); next++) {
        revos_route_resolve_owners(json_array_get(chain, (size_t)next - 1), team, routing,
                                   &owners);
        for (size_t k = 0; k < owners.n_unresolved; k++)
            revos_log_warn("escalation of %s to level %d: nobody holds role %s", play_id, next,
                           owners.unresolved[k]);
        if (owners.n > 0)
            break;
    }
    if (owners.n == 0 || previous == NULL) {
        revos_route_io_count(io, "revos_escalations_exhausted_total",
                             "Unacknowledged decisions with no further escalation level", 1);
        if (!settle(settled, play_id, level, "exhausted"))
            st = oom(err);
        goto done;
    }
    if (!settle(settled, play_id, level, "escalated")) {
        st = oom(err);
        goto done;
    }
    json_t *first = NULL;
    for (size_t k = 0; k < owners.n; k++) {
        char *page_id = revos_route_page_id(play_id, next, owners.owner[k].owner_id);
        json_t *body = page_id ? revos_pager_escalated_body(previous, next, &owners, k, page_id)
                               : NULL;
        json_t *row = body ? json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s?, s:s, s:s,"
                                       " s:I, s:O, s:O}",
                                       "page_id", page_id, "play_id", play_id, "account_id",
                                       PQgetvalue(res, i, C_ACCOUNT), "level", next, "owner_id",
                                       owners.owner[k].owner_id, "owner_role",
                                       owners.owner[k].role, "format", owners.owner[k].format,
                                       "url", owners.owner[k].url, "trigger",
                                       PQgetvalue(res, i, C_TRIGGER), "route", route,
                                       "sla_seconds", strtoll(PQgetvalue(res, i, C_SLA), NULL, 10),
                                       "team", team, "body", body)
                           : NULL;
        free(page_id);
        if (row == NULL || json_array_append_new(pages, row) != 0) {
            json_decref(body);
            st = oom(err);
            goto done;
        }
        if (first == NULL)
            first = body;
        else
            json_decref(body);
    }
    json_t *action = revos_route_action_escalation(first, now_ms);
    json_decref(first);
    if (action == NULL) {
        st = oom(err);
        goto done;
    }
    st = io->emit(io->ctx, "actions", PQgetvalue(res, i, C_ACCOUNT), REVOS_REC_ACTION, action,
                  err);
    json_decref(action);
    if (st == REVOS_ERR_INPUT) /* the record does not match its schema: our bug */
        st = revos_wrap(err, REVOS_ERR_FATAL, "emit escalation");
    revos_route_io_count(io, "revos_escalations_total", "Decisions escalated to a next level", 1);
    revos_log_info("escalated %s from level %d to %d (%zu owner(s))", play_id, level, next,
                   owners.n);
done:
    json_decref(team);
    json_decref(previous);
    return st;
}

static revos_status escalate_due(const revos_route_io *io, int64_t now_ms, const char *now,
                                 revos_err *err)
{
    PGresult *res = NULL;
    const char *params[] = {now};
    revos_status st = revos_pg_exec(io->pg,
        "SELECT p.page_id, p.play_id, p.level, p.account_id, p.trigger, p.route, p.sla_seconds,"
        "       p.team::text, p.body::text,"
        "       EXISTS (SELECT 1 FROM route_pages q JOIN page_acks a ON a.page_id = q.page_id"
        "               WHERE q.play_id = p.play_id),"
        "       pl.play_id IS NOT NULL AND pl.status <> 'open'"
        " FROM route_pages p LEFT JOIN route_plays pl ON pl.play_id = p.play_id"
        " WHERE p.status IN ('sent', 'failed') AND p.escalation IS NULL"
        "   AND p.ack_due_at < to_timestamp($1::double precision / 1000)"
        " ORDER BY p.play_id, p.level, p.page_id LIMIT 200 FOR UPDATE OF p SKIP LOCKED",
        1, params, &res, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, "select overdue pages");
    int n = PQntuples(res);
    json_t *settled = json_array();
    json_t *pages = json_array();
    if (settled == NULL || pages == NULL)
        st = oom(err);
    for (int i = 0; st == REVOS_OK && i < n; i++) {
        if (i > 0 && strcmp(PQgetvalue(res, i, C_PLAY), PQgetvalue(res, i - 1, C_PLAY)) == 0 &&
            strcmp(PQgetvalue(res, i, C_LEVEL), PQgetvalue(res, i - 1, C_LEVEL)) == 0)
            continue; /* same (decision, level) group */
        st = escalate_group(io, res, i, now_ms, settled, pages, err);
    }
    PQclear(res);
    if (st == REVOS_OK && json_array_size(settled) > 0) {
        st = exec_json(io->pg,
            "UPDATE route_pages p SET escalation = r.state,"
            "   escalated_at = CASE WHEN r.state = 'escalated'"
            "                  THEN to_timestamp($2::double precision / 1000) END"
            " FROM jsonb_to_recordset($1::jsonb) AS r(play_id text, level int, state text)"
            " WHERE p.play_id = r.play_id AND p.level = r.level AND p.escalation IS NULL",
            settled, now, NULL, err);
        if (st != REVOS_OK)
            revos_wrap(err, st, "settle overdue pages");
    }
    if (st == REVOS_OK && json_array_size(pages) > 0) {
        st = exec_json(io->pg,
            "INSERT INTO route_pages (page_id, play_id, account_id, level, owner_id, owner_role,"
            "   format, url, trigger, route, sla_seconds, team, body, next_attempt_at)"
            " SELECT r.page_id, r.play_id, r.account_id, r.level, r.owner_id, r.owner_role,"
            "   r.format, r.url, r.trigger, r.route, r.sla_seconds, r.team, r.body,"
            "   to_timestamp($2::double precision / 1000)"
            " FROM jsonb_to_recordset($1::jsonb) AS r(page_id text, play_id text,"
            "   account_id text, level int, owner_id text, owner_role text, format text, url text,"
            "   trigger text, route text, sla_seconds bigint, team jsonb, body jsonb)"
            " ON CONFLICT DO NOTHING",
            pages, now, NULL, err);
        if (st != REVOS_OK)
            revos_wrap(err, st, "insert escalation pages");
    }
    json_decref(settled);
    json_decref(pages);
    return st;
}

revos_status revos_pager_tick(const revos_route_io *io, int64_t now_ms, revos_err *err)
{
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    revos_status st = send_due(io, now_ms, now, err);
    if (st == REVOS_OK)
        st = escalate_due(io, now_ms, now, err);
    return st;
}
