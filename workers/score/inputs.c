/* inputs.c -- the rules' inputs, computed from an account's state at its
 * "today". See inputs.h for the catalogue. */
#include "score/inputs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score/calendar.h"
#include "score/state.h"

/* ==== Catalogue ==== */

static const char *const usage_vars[] = {"usage_trend_pct", "usage_change_abs", "usage_direction",
                                         "usage_current", "usage_baseline", "window_days",
                                         "baseline_days", "usage_breaks", NULL};
static const char *const ticket_vars[] = {"ticket_ratio", "tickets_current", "tickets_prior",
                                          "window_days", "prior_days", NULL};
static const char *const ticket_count_vars[] = {"ticket_count", "window_days", NULL};
static const char *const idle_vars[] = {"usage_idle_days", "usage_last_day", NULL};
static const char *const ticket_days_vars[] = {"ticket_days", "window_days", NULL};
static const char *const nps_vars[] = {"nps_latest", "nps_previous", "nps_date", NULL};
static const char *const nps_drop_vars[] = {"nps_drop", "nps_latest", "nps_previous", NULL};
static const char *const champion_vars[] = {"champion_status", "champion_changed_on",
                                            "champion_replaced_on", "champion_contact",
                                            "champion_window_days", NULL};
static const char *const renewal_vars[] = {"days_to_renewal", "renewal_date", "arr", NULL};

static const struct {
    const char *name;
    revos_score_input_type type;
    const char *const *vars;
} catalogue[] = {
    {"usage_trend_pct", REVOS_INPUT_NUMBER, usage_vars},
    {"ticket_ratio", REVOS_INPUT_NUMBER, ticket_vars},
    {"ticket_count", REVOS_INPUT_NUMBER, ticket_count_vars},
    {"usage_idle_days", REVOS_INPUT_NUMBER, idle_vars},
    {"ticket_days", REVOS_INPUT_NUMBER, ticket_days_vars},
    {"nps_latest", REVOS_INPUT_NUMBER, nps_vars},
    {"nps_drop", REVOS_INPUT_NUMBER, nps_drop_vars},
    {"champion_status", REVOS_INPUT_CATEGORY, champion_vars},
    {"days_to_renewal", REVOS_INPUT_NUMBER, renewal_vars},
};

int revos_score_input_lookup(const char *name, revos_score_input_type *type,
                             const char *const **vars)
{
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
        if (strcmp(catalogue[i].name, name) == 0) {
            if (type != NULL)
                *type = catalogue[i].type;
            if (vars != NULL)
                *vars = catalogue[i].vars;
            return 1;
        }
    }
    return 0;
}

/* ==== Formatting ==== */

void revos_score_format_number(double value, char *out, size_t outlen)
{
    char buf[64];
    if (value == floor(value) && fabs(value) < 1e15)
        snprintf(buf, sizeof buf, "%.0f", value);
    else
        snprintf(buf, sizeof buf, "%.1f", value);
    /* never "-0" or "-0.0" */
    const char *text = (strcmp(buf, "-0") == 0 || strcmp(buf, "-0.0") == 0) ? buf + 1 : buf;
    snprintf(out, outlen, "%s", text);
}

static const char *str_or_empty(const json_t *v)
{
    const char *s = json_string_value(v);
    return s != NULL ? s : "";
}

static void set_var(json_t *vars, const char *key, const char *value)
{
    json_object_set_new(vars, key, json_string(value));
}

/* One decimal, never "-0.0". */
static void set_var_1dp(json_t *vars, const char *key, double value)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.1f", value);
    set_var(vars, key, strcmp(buf, "-0.0") == 0 ? "0.0" : buf);
}

static void set_var_num(json_t *vars, const char *key, double value)
{
    char buf[64];
    revos_score_format_number(value, buf, sizeof buf);
    set_var(vars, key, buf);
}

static void set_var_int(json_t *vars, const char *key, int64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)value);
    set_var(vars, key, buf);
}

static void set_var_day(json_t *vars, const char *key, int64_t day)
{
    char buf[16];
    revos_day_format(day, buf, sizeof buf);
    set_var(vars, key, buf);
}

/* ==== The inputs ==== */

static revos_score_input *add(revos_score_inputs *inputs, const char *name)
{
    if (inputs->n >= REVOS_SCORE_MAX_INPUTS)
        return NULL;
    revos_score_input *in = &inputs->items[inputs->n++];
    memset(in, 0, sizeof *in);
    in->name = name;
    in->vars = json_object();
    in->evidence = json_array();
    return in;
}

static void copy_ids(json_t *to, const json_t *from)
{
    for (size_t i = 0; i < json_array_size(from); i++)
        if (json_is_string(json_array_get(from, i)))
            json_array_append(to, json_array_get(from, i));
}

static void add_id(json_t *to, const json_t *id)
{
    if (json_is_string(id))
        json_array_append(to, (json_t *)id);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n-1] (n > 0); sorts v. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

#define USAGE_MAX_DAYS \
    (REVOS_SCORE_USAGE_MAX_CURRENT + REVOS_SCORE_USAGE_MAX_BLOCK * REVOS_SCORE_USAGE_MAX_BLOCKS)

/* usage_trend_pct: see revos_score_window. Break days (the account's
 * calendar) are skipped, as if the school year had no breaks. */
static void usage_trend(revos_score_inputs *inputs, const revos_score_view *view,
                        const revos_score_window *w)
{
    revos_score_input *in = add(inputs, "usage_trend_pct");
    const revos_score_series *usage = view->usage;
    set_var_int(in->vars, "window_days", w->usage_current_days);
    set_var_int(in->vars, "baseline_days", w->usage_baseline_days);
    set_var(in->vars, "usage_breaks", "");
    /* the usage stream's own "today" (see usage_lateness_days) */
    int64_t today = revos_score_series_last_day(usage, view->day);
    if (today < view->day - w->usage_lateness_days)
        today = view->day - w->usage_lateness_days;
    if (usage->first_day == INT64_MAX || usage->first_day > today)
        return; /* no usage yet */

    double days[USAGE_MAX_DAYS];
    size_t need = (size_t)w->usage_current_days +
                  (size_t)w->usage_baseline_days * (size_t)w->usage_baseline_blocks;
    size_t have = 0;
    int64_t stop = today - w->usage_span_days;
    if (stop < usage->first_day)
        stop = usage->first_day;
    int64_t current_from = today;
    const char *skipped = NULL;
    for (int64_t d = today; d >= stop && have < need; d--) {
        if (!revos_score_is_school_day(view->school, d)) {
            if (have < (size_t)w->usage_current_days && skipped == NULL) {
                const revos_score_break *b = revos_score_calendar_break(view->school->cal, d);
                if (b != NULL && b->from != 0) /* a named break, not a weekend */
                    skipped = b->name;
            }
            continue;
        }
        days[have++] = revos_score_series_sum(usage, d, d);
        if (have == (size_t)w->usage_current_days)
            current_from = d;
    }
    if (skipped != NULL)
        set_var(in->vars, "usage_breaks", skipped);
    size_t cur_n = (size_t)w->usage_current_days;
    if (have < cur_n + (size_t)w->usage_min_block_days)
        return; /* not enough usage history */
    revos_score_series_evidence(usage, current_from, today, in->evidence, w->evidence_max);
    double current = median(days, cur_n);
    double baseline = -1.0;
    for (int k = 0; k < w->usage_baseline_blocks; k++) {
        size_t lo = cur_n + (size_t)k * (size_t)w->usage_baseline_days;
        size_t n = have > lo ? have - lo : 0;
        if (n > (size_t)w->usage_baseline_days)
            n = (size_t)w->usage_baseline_days;
        if (n < (size_t)w->usage_min_block_days && k > 0)
            break; /* a short older block would only add noise */
        if (n == 0)
            break;
        double level = median(days + lo, n);
        if (level > baseline)
            baseline = level;
    }
    set_var_num(in->vars, "usage_current", current);
    set_var_num(in->vars, "usage_baseline", baseline);
    if (baseline < w->usage_min_level || baseline <= 0)
        return; /* too little usage to read a trend */
    double pct = (current - baseline) / baseline * 100.0;
    in->present = 1;
    in->number = pct;
    set_var_1dp(in->vars, "usage_trend_pct", pct);
    set_var_1dp(in->vars, "usage_change_abs", fabs(pct));
    set_var(in->vars, "usage_direction", pct < 0 ? "down" : pct > 0 ? "up" : "flat");
}

/* usage_idle_days: in-session days (the account's calendar) since the
 * newest day with usage, up to today. */
static void usage_idle(revos_score_inputs *inputs, const revos_score_view *view,
                       const revos_score_window *w)
{
    revos_score_input *in = add(inputs, "usage_idle_days");
    const revos_score_series *usage = view->usage;
    if (usage->first_day == INT64_MAX || usage->first_day > view->day)
        return;
    int64_t last = revos_score_series_last_day(usage, view->day);
    int64_t from = last + 1 > view->day - w->usage_span_days + 1 ? last + 1 : view->day - w->usage_span_days + 1;
    int64_t idle = revos_score_school_days_count(view->school, from, view->day);
    in->present = 1;
    in->number = (double)idle;
    set_var_int(in->vars, "usage_idle_days", idle);
    set_var_day(in->vars, "usage_last_day", last);
    revos_score_series_evidence(usage, last, last, in->evidence, 1);
}

/* ticket_ratio and ticket_count: see revos_score_window. */
static void tickets(revos_score_inputs *inputs, const revos_score_view *view,
                    const revos_score_window *w)
{
    revos_score_input *in = add(inputs, "ticket_ratio");
    revos_score_input *count = add(inputs, "ticket_count");
    const revos_score_series *t = view->tickets;
    int64_t today = view->day;
    int wd = w->window_days;
    set_var_int(in->vars, "window_days", wd);
    revos_score_series_evidence(t, today - wd + 1, today, in->evidence, w->evidence_max);
    double cur = revos_score_series_sum(t, today - wd + 1, today);
    count->present = 1;
    count->number = cur;
    set_var_num(count->vars, "ticket_count", cur);
    set_var_int(count->vars, "window_days", wd);
    json_array_extend(count->evidence, in->evidence);
    /* on how many days: a burst of one week is not a sustained surge */
    revos_score_input *days = add(inputs, "ticket_days");
    int64_t with_tickets = 0;
    for (int64_t d = today - wd + 1; d <= today; d++)
        with_tickets += revos_score_series_sum(t, d, d) > 0;
    days->present = 1;
    days->number = (double)with_tickets;
    set_var_int(days->vars, "ticket_days", with_tickets);
    set_var_int(days->vars, "window_days", wd);
    set_var_num(in->vars, "tickets_current", cur);
    /* the prior window, from the ticket stream's own start */
    int64_t prior_to = today - wd;
    int64_t prior_from = prior_to - w->ticket_prior_days + 1;
    if (t->first_day == INT64_MAX || t->first_day > prior_to - w->ticket_min_prior_days + 1)
        return; /* not enough ticket history */
    if (prior_from < t->first_day)
        prior_from = t->first_day;
    /* rates per school day of the account's calendar: a prior window over
     * the summer holds few tickets, and the first weeks of school must not
     * read as a surge against it */
    int64_t cur_days = revos_score_school_days_count(view->school, today - wd + 1, today);
    int64_t prior_days = revos_score_school_days_count(view->school, prior_from, prior_to);
    if (cur_days * 3 < wd || prior_days * 3 < prior_to - prior_from + 1)
        return; /* mostly a break: no rate to compare */
    double prior = revos_score_series_sum(t, prior_from, prior_to);
    double per_window = prior * (double)cur_days / (double)prior_days;
    double ratio = cur / (per_window > w->ticket_prior_floor ? per_window : w->ticket_prior_floor);
    in->present = 1;
    in->number = ratio;
    set_var_1dp(in->vars, "ticket_ratio", ratio);
    set_var_1dp(in->vars, "tickets_prior", per_window);
    set_var_int(in->vars, "prior_days", prior_to - prior_from + 1);
}

static void nps(revos_score_inputs *inputs, const json_t *state)
{
    const json_t *nps = json_object_get(state, "nps");
    const json_t *latest = json_object_get(nps, "latest");
    const json_t *previous = json_object_get(nps, "previous");

    revos_score_input *in = add(inputs, "nps_latest");
    set_var(in->vars, "nps_previous", "none");
    if (json_is_number(previous))
        set_var_num(in->vars, "nps_previous", json_number_value(previous));
    if (json_is_number(latest)) {
        in->present = 1;
        in->number = json_number_value(latest);
        set_var_num(in->vars, "nps_latest", in->number);
        set_var_day(in->vars, "nps_date", revos_score_state_int(nps, "latest_day", 0));
        add_id(in->evidence, json_object_get(nps, "latest_id"));
        add_id(in->evidence, json_object_get(nps, "previous_id"));
    }

    revos_score_input *drop = add(inputs, "nps_drop");
    if (json_is_number(latest) && json_is_number(previous)) {
        drop->present = 1;
        drop->number = json_number_value(previous) - json_number_value(latest);
        set_var_num(drop->vars, "nps_drop", drop->number);
        set_var_num(drop->vars, "nps_latest", json_number_value(latest));
        set_var_num(drop->vars, "nps_previous", json_number_value(previous));
        add_id(drop->evidence, json_object_get(nps, "latest_id"));
        add_id(drop->evidence, json_object_get(nps, "previous_id"));
        /* each new response starts a new episode */
        snprintf(drop->episode, sizeof drop->episode, "%s",
                 str_or_empty(json_object_get(nps, "latest_id")));
    }
}

static void champion(revos_score_inputs *inputs, const json_t *state, int64_t today,
                     const revos_score_window *w)
{
    revos_score_input *in = add(inputs, "champion_status");
    const json_t *change = json_object_get(state, "champion");
    int has_champion = revos_score_state_has_champion(state);
    set_var_int(in->vars, "champion_window_days", w->champion_window_days);
    set_var(in->vars, "champion_changed_on", "");
    set_var(in->vars, "champion_contact", "");
    set_var(in->vars, "champion_replaced_on", "");
    in->present = 1;
    if (change != NULL) {
        int64_t day = revos_score_state_int(change, "changed_day", 0);
        set_var_day(in->vars, "champion_changed_on", day);
        const char *contact = json_string_value(json_object_get(change, "contact"));
        set_var(in->vars, "champion_contact", contact ? contact : "");
        int64_t replaced = revos_score_state_int(change, "replaced_day", INT64_MAX);
        if (replaced <= today) {
            set_var_day(in->vars, "champion_replaced_on", replaced);
            const char *by = json_string_value(json_object_get(change, "replaced_by"));
            set_var(in->vars, "champion_contact", by ? by : "");
        }
        /* a recent change counts; one nobody replaced counts until someone is */
        if (today - day < w->champion_window_days || (replaced > today && !has_champion)) {
            if (replaced <= today)
                in->category = "replaced";
            else
                in->category = today - day < w->champion_grace_days ? "pending" : "changed";
            /* each change starts a new episode */
            snprintf(in->episode, sizeof in->episode, "%s",
                     str_or_empty(json_object_get(change, "signal")));
        }
    }
    if (in->category == NULL)
        in->category = has_champion ? "stable" : "none";
    copy_ids(in->evidence, json_object_get(state, "champion_evidence"));
    set_var(in->vars, "champion_status", in->category);
}

static void renewal(revos_score_inputs *inputs, const json_t *state, int64_t today)
{
    revos_score_input *in = add(inputs, "days_to_renewal");
    const json_t *profile = json_object_get(state, "profile");
    const json_t *arr = json_object_get(profile, "arr");
    set_var(in->vars, "arr", "");
    if (json_is_number(arr))
        set_var_num(in->vars, "arr", json_number_value(arr));
    int64_t day;
    const char *date = json_string_value(json_object_get(profile, "renewal_date"));
    if (date == NULL || revos_day_parse(date, &day) != 0)
        return; /* no open renewal */
    in->present = 1;
    in->number = (double)(day - today);
    set_var_int(in->vars, "days_to_renewal", day - today);
    set_var(in->vars, "renewal_date", date);
    add_id(in->evidence, json_object_get(json_object_get(state, "renewal"), "signal"));
}

void revos_score_inputs_compute(revos_score_inputs *out, const revos_score_view *view,
                                const revos_score_window *window)
{
    memset(out, 0, sizeof *out);
    usage_trend(out, view, window);
    usage_idle(out, view, window);
    tickets(out, view, window);
    nps(out, view->disc);
    champion(out, view->disc, view->day, window);
    renewal(out, view->disc, view->day);
}

revos_score_input *revos_score_inputs_add(revos_score_inputs *inputs, const char *name,
                                          double number, json_t *vars, json_t *evidence)
{
    revos_score_input *in = add(inputs, name);
    if (in == NULL) {
        json_decref(vars);
        json_decref(evidence);
        return NULL;
    }
    json_decref(in->vars);
    json_decref(in->evidence);
    in->vars = vars;
    in->evidence = evidence;
    in->present = 1;
    in->number = number;
    return in;
}

const revos_score_input *revos_score_inputs_get(const revos_score_inputs *inputs, const char *name)
{
    for (size_t i = 0; i < inputs->n; i++)
        if (strcmp(inputs->items[i].name, name) == 0)
            return &inputs->items[i];
    return NULL;
}

void revos_score_inputs_free(revos_score_inputs *inputs)
{
    for (size_t i = 0; i < inputs->n; i++) {
        json_decref(inputs->items[i].vars);
        json_decref(inputs->items[i].evidence);
    }
    inputs->n = 0;
}
