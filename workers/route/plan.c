/* plan.c -- one account's decisions from its timeline; see plan.h. */
#include "route/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static revos_status oom(revos_err *err)
{
    return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
}

static int64_t int_of(const json_t *obj, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(obj, key));
}

static const char *str_of(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

/* Ends in time order, then by outcome id. */
static int end_cmp(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    int64_t mx = int_of(x, "ms"), my = int_of(y, "ms");
    if (mx != my)
        return mx < my ? -1 : 1;
    return strcmp(str_of(x, "outcome_id"), str_of(y, "outcome_id"));
}

static json_t *event_of(const revos_route_decision *d, int attached)
{
    char cell[512];
    revos_route_cell_of(d->score_id, cell, sizeof cell);
    return json_pack("{s:s, s:s, s:s, s:b, s:I}", "score_id", cell, "trigger", d->trigger.name,
                     "severity", d->trigger.severity, "attached", attached, "as_of_ms",
                     (json_int_t)d->as_of_ms);
}

/* The open decision of the same key (play, or notice trigger), or NULL. */
static revos_route_planned *open_like(revos_route_plan_result *plan, const revos_route_decision *d)
{
    for (size_t i = plan->n; i-- > 0;) {
        revos_route_planned *p = &plan->items[i];
        if (p->closed)
            continue;
        const revos_route_decision *o = &p->decision;
        if (d->play != NULL ? (o->play != NULL && strcmp(o->play, d->play) == 0)
                            : (o->play == NULL && strcmp(o->trigger.name, d->trigger.name) == 0))
            return p;
    }
    return NULL;
}

/* The open decision that inhibits d (routing.inhibit: while a decision of
 * the "while" trigger at that severity or above is open, the absorbed
 * triggers attach to it as evidence instead of paging), or NULL. Only
 * notices are absorbed: a play is always its own decision. */
static revos_route_planned *inhibitor(revos_route_plan_result *plan, const json_t *routing,
                                      const revos_route_decision *d)
{
    if (d->play != NULL)
        return NULL;
    size_t i;
    const json_t *rule;
    json_array_foreach(json_object_get(routing, "inhibit"), i, rule) {
        const json_t *when = json_object_get(rule, "while");
        const char *trigger = str_of(when, "trigger");
        int rank = revos_route_severity_rank(str_of(when, "severity"));
        int absorbed = 0;
        size_t k;
        const json_t *t;
        json_array_foreach(json_object_get(rule, "absorbs"), k, t) {
            const char *name = json_string_value(t);
            absorbed |= name != NULL && strcmp(name, d->trigger.name) == 0;
        }
        if (!absorbed || rank < 0)
            continue;
        for (size_t p = plan->n; p-- > 0;) {
            revos_route_planned *o = &plan->items[p];
            if (!o->closed && strcmp(o->decision.trigger.name, trigger) == 0 &&
                revos_route_severity_rank(o->decision.trigger.severity) >= rank)
                return o;
        }
    }
    return NULL;
}

static void end_one(revos_route_planned *p, const json_t *end, const char *result)
{
    p->closed = 1;
    snprintf(p->result, sizeof p->result, "%s", result);
    snprintf(p->closed_by, sizeof p->closed_by, "%s", str_of(end, "outcome_id"));
    p->closed_ms = int_of(end, "ms");
}

static void apply_end(revos_route_plan_result *plan, const json_t *end)
{
    const char *kind = str_of(end, "kind");
    for (size_t i = 0; i < plan->n; i++) {
        revos_route_planned *p = &plan->items[i];
        if (p->closed)
            continue;
        if (strcmp(kind, "crm") == 0 && p->decision.play != NULL)
            end_one(p, end, str_of(end, "result"));
        else if (strcmp(kind, "play") == 0 && p->decision.play != NULL &&
                 strcmp(p->decision.decision_id, str_of(end, "play_id")) == 0)
            end_one(p, end, str_of(end, "result"));
        else if (strcmp(kind, "ack") == 0 && p->decision.play == NULL &&
                 strcmp(p->decision.decision_id, str_of(end, "play_id")) == 0)
            end_one(p, end, "ack");
    }
}

/* The triggers of one cell, each opening or attaching. */
static revos_status apply_cell(revos_route_plan_result *plan, size_t *cap, const json_t *config,
                               int64_t config_version, const json_t *update, revos_err *err)
{
    const json_t *routing = json_object_get(config, "routing");
    revos_route_trigger triggers[REVOS_ROUTE_MAX_TRIGGERS];
    size_t n = revos_route_triggers(update, routing, triggers, REVOS_ROUTE_MAX_TRIGGERS);
    for (size_t t = 0; t < n; t++) {
        revos_route_decision d;
        revos_status st = revos_route_decide(update, &triggers[t], config, config_version, &d, err);
        if (st != REVOS_OK) {
            revos_route_decision_free(&d);
            return st;
        }
        revos_route_planned *open = inhibitor(plan, routing, &d);
        if (open == NULL)
            open = open_like(plan, &d);
        if (open != NULL) {
            /* the same cell again (two triggers of one play) is recorded once */
            int dup = strcmp(open->decision.decision_id, d.decision_id) == 0;
            if (!dup && json_array_append_new(open->events, event_of(&d, 1)) != 0) {
                revos_route_decision_free(&d);
                return oom(err);
            }
            revos_route_decision_free(&d);
            continue;
        }
        if (plan->n == *cap) {
            size_t grow = *cap ? 2 * *cap : 8;
            revos_route_planned *items = realloc(plan->items, grow * sizeof *items);
            if (items == NULL) {
                revos_route_decision_free(&d);
                return oom(err);
            }
            plan->items = items;
            *cap = grow;
        }
        revos_route_planned *p = &plan->items[plan->n++];
        memset(p, 0, sizeof *p);
        p->decision = d;
        p->events = json_array();
        if (p->events == NULL || json_array_append_new(p->events, event_of(&d, 0)) != 0)
            return oom(err);
    }
    return REVOS_OK;
}

revos_status revos_route_plan(const json_t *config, int64_t config_version, const json_t *cells,
                              const json_t *ends, revos_route_plan_result *out, revos_err *err)
{
    memset(out, 0, sizeof *out);
    size_t n_ends = json_array_size(ends), cap = 0;
    const json_t **sorted = calloc(n_ends + 1, sizeof *sorted);
    if (sorted == NULL)
        return oom(err);
    for (size_t i = 0; i < n_ends; i++)
        sorted[i] = json_array_get(ends, i);
    qsort(sorted, n_ends, sizeof *sorted, end_cmp);

    revos_status st = REVOS_OK;
    size_t e = 0;
    for (size_t c = 0; c < json_array_size(cells) && st == REVOS_OK; c++) {
        const json_t *cell = json_array_get(cells, c);
        int64_t at = int_of(cell, "as_of");
        /* an end at the very time of a trigger comes after it */
        while (e < n_ends && int_of(sorted[e], "ms") < at)
            apply_end(out, sorted[e++]);
        st = apply_cell(out, &cap, config, config_version, json_object_get(cell, "update"), err);
    }
    while (st == REVOS_OK && e < n_ends)
        apply_end(out, sorted[e++]);
    free(sorted);
    if (st != REVOS_OK)
        revos_route_plan_free(out);
    return st;
}

void revos_route_plan_free(revos_route_plan_result *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        revos_route_decision_free(&plan->items[i].decision);
        json_decref(plan->items[i].events);
    }
    free(plan->items);
    plan->items = NULL;
    plan->n = 0;
}
