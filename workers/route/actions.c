/* actions.c -- Action records; see actions.h. */
#include "route/actions.h"

#include <stdlib.h>

#include "route/pager.h"

static json_t *tasks_json(const revos_route_decision *d)
{
    json_t *tasks = json_array();
    for (size_t i = 0; tasks != NULL && i < d->n_tasks; i++) {
        const revos_route_task *t = &d->tasks[i];
        json_t *task = json_pack("{s:s, s:s, s:s, s:O, s:I, s:f}", "task_id", t->task_id,
                                 "title", t->title, "owner_role", t->owner_role, "depends_on",
                                 t->depends_on, "due_at", (json_int_t)t->due_at_ms, "cost",
                                 t->cost);
        if (task == NULL || json_array_append_new(tasks, task) != 0) {
            json_decref(tasks);
            return NULL;
        }
    }
    return tasks;
}

/* The fields every action of a decision shares. */
static json_t *base(const revos_route_decision *d, const char *kind, char *action_id,
                    json_t *page_id, json_t *owners, json_t *tasks)
{
    json_t *action = NULL;
    if (action_id != NULL && page_id != NULL && owners != NULL && tasks != NULL)
        action = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:O, s:i, s:I, s:I, s:f, s:f, s:f, s:f, s:f,"
            " s:s, s:s, s:I, s:s, s:O, s:b}",
            "action_id", action_id, "account_id", d->account_id, "kind", kind, "play_id",
            d->decision_id, "play", d->play ? d->play : REVOS_ROUTE_NO_PLAY, "page_id", page_id,
            "route", d->route, "owners", owners, "level", 0, "sla_seconds",
            (json_int_t)d->sla_seconds, "due_at",
            (json_int_t)(d->as_of_ms + d->sla_seconds * 1000), "arr_at_risk",
            d->finance.arr_at_risk, "save_cost", d->finance.save_cost, "replacement_cost",
            d->finance.replacement_cost, "ev_act", d->finance.ev_act, "ev_no_act",
            d->finance.ev_no_act, "score_id", d->score_id, "score_band", d->score_band,
            "config_version", (json_int_t)d->config_version, "summary", d->summary, "tasks",
            tasks, "historical", d->historical);
    free(action_id);
    json_decref(page_id);
    json_decref(owners);
    json_decref(tasks);
    return action;
}

json_t *revos_route_action_play(const revos_route_decision *d)
{
    return base(d, "play_assigned", revos_route_strf("assigned:%s", d->decision_id), json_null(),
                revos_pager_owners_json(&d->owners), tasks_json(d));
}

json_t *revos_route_action_page(const revos_route_decision *d, size_t recipient,
                                const char *page_id)
{
    revos_route_owners one = {.n = 1};
    one.owner[0] = d->owners.owner[recipient];
    return base(d, "page", revos_route_strf("page:%s", page_id), json_string(page_id),
                revos_pager_owners_json(&one), json_array());
}

static const char *body_str(const json_t *body, const char *key)
{
    const char *value = json_string_value(json_object_get(body, key));
    return value ? value : "";
}

static double body_num(const json_t *body, const char *key)
{
    return json_number_value(json_object_get(body, key));
}

json_t *revos_route_action_escalation(const json_t *body, int64_t now_ms)
{
    int level = (int)json_integer_value(json_object_get(body, "level"));
    json_int_t sla = json_integer_value(json_object_get(body, "sla_seconds"));
    char *action_id = revos_route_strf("escalation:%s:%d", body_str(body, "play_id"), level);
    json_t *owners = json_object_get(body, "owners");
    json_t *action = NULL;
    if (action_id != NULL && json_is_array(owners))
        action = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:O, s:i, s:I, s:I, s:f, s:f, s:f, s:f, s:f,"
            " s:s, s:s, s:I, s:s, s:[], s:b}",
            "action_id", action_id, "account_id", body_str(body, "account_id"), "kind",
            "escalation", "play_id", body_str(body, "play_id"), "play", body_str(body, "play"),
            "page_id", "route", body_str(body, "route"), "owners", owners, "level", level,
            "sla_seconds", sla, "due_at", (json_int_t)(now_ms + (int64_t)sla * 1000),
            "arr_at_risk", body_num(body, "arr_at_risk"), "save_cost", body_num(body, "save_cost"),
            "replacement_cost", body_num(body, "replacement_cost"), "ev_act",
            body_num(body, "ev_act"), "ev_no_act", body_num(body, "ev_no_act"), "score_id",
            body_str(body, "score_id"), "score_band", body_str(body, "score_band"),
            "config_version", json_integer_value(json_object_get(body, "config_version")),
            "summary", body_str(body, "summary"), "tasks", "historical", 0);
    free(action_id);
    return action;
}
