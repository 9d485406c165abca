/* decide.c -- revos-route's decision logic; see decide.h.
 *
 * Everything here is a function of (update, config): no I/O, no clock. */
#include "route/decide.h"

#include "log/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DURATION_SECONDS (366LL * 86400LL)

/* ==== Small helpers ==== */

char *revos_route_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *out = malloc((size_t)n + 1);
    if (out == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}

static const char *str_field(const json_t *obj, const char *key)
{
    const json_t *value = obj ? json_object_get(obj, key) : NULL;
    return json_is_string(value) ? json_string_value(value) : NULL;
}

/* A non-empty string field, else NULL. */
static const char *text_field(const json_t *obj, const char *key)
{
    const char *value = str_field(obj, key);
    return value != NULL && *value != '\0' ? value : NULL;
}

static const json_t *routing_of(const json_t *config)
{
    return config ? json_object_get(config, "routing") : NULL;
}

static const json_t *play_library(const json_t *config)
{
    const json_t *plays = config ? json_object_get(config, "plays") : NULL;
    return plays ? json_object_get(plays, "plays") : NULL;
}

/* ==== Severity and the matrix ==== */

int revos_route_severity_rank(const char *severity)
{
    static const struct { const char *name; int rank; } ranks[] = {
        {"info", 0}, {"low", 0}, {"warning", 1}, {"medium", 1}, {"high", 2}, {"critical", 3},
    };
    if (severity == NULL)
        return -1;
    for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
        if (strcmp(severity, ranks[i].name) == 0)
            return ranks[i].rank;
    return -1;
}

const json_t *revos_route_matrix_lookup(const json_t *routing, const char *trigger,
                                        const char *severity)
{
    int observed = revos_route_severity_rank(severity);
    if (observed < 0 || trigger == NULL)
        return NULL;
    const json_t *best = NULL;
    int best_rank = -1;
    size_t i;
    const json_t *entry;
    json_array_foreach(routing ? json_object_get(routing, "matrix") : NULL, i, entry) {
        const char *name = str_field(entry, "trigger");
        if (name == NULL || strcmp(name, trigger) != 0)
            continue;
        int rank = revos_route_severity_rank(str_field(entry, "severity"));
        if (rank >= 0 && rank <= observed && rank > best_rank) {
            best = entry;
            best_rank = rank;
        }
    }
    return best;
}

const json_t *revos_route_matrix_entry(const json_t *routing, const char *trigger,
                                       const char *severity)
{
    size_t i;
    const json_t *entry;
    if (trigger == NULL || severity == NULL)
        return NULL;
    json_array_foreach(routing ? json_object_get(routing, "matrix") : NULL, i, entry) {
        const char *name = str_field(entry, "trigger");
        const char *sev = str_field(entry, "severity");
        if (name != NULL && sev != NULL && strcmp(name, trigger) == 0 &&
            strcmp(sev, severity) == 0)
            return entry;
    }
    return NULL;
}

/* Adds or upgrades a trigger; returns the new count. */
static size_t add_trigger(revos_route_trigger *out, size_t n, size_t max, const char *name,
                          size_t name_len, const char *severity, size_t severity_len,
                          const char *source, size_t source_len, const json_t *routing)
{
    revos_route_trigger t;
    memset(&t, 0, sizeof t);
    if (name_len == 0 || name_len >= sizeof t.name || severity_len >= sizeof t.severity ||
        source_len >= sizeof t.source)
        return n;
    memcpy(t.name, name, name_len);
    memcpy(t.severity, severity, severity_len);
    memcpy(t.source, source, source_len);
    t.entry = revos_route_matrix_lookup(routing, t.name, t.severity);
    if (t.entry == NULL)
        return n;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(out[i].name, t.name) == 0) {
            if (revos_route_severity_rank(t.severity) > revos_route_severity_rank(out[i].severity))
                out[i] = t;
            return n;
        }
    }
    if (n == max)
        return n;
    out[n] = t;
    return n + 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t revos_route_triggers(const json_t *update, const json_t *routing,
                            revos_route_trigger *out, size_t max)
{
    size_t n = 0;
    if (update == NULL || routing == NULL || out == NULL || max == 0)
        return 0;

    /* 1. The tier change of a tiered score. */
    const char *kind = str_field(update, "kind");
    const char *tier = str_field(update, "tier");
    const char *previous = str_field(update, "previous_tier");
    if (kind != NULL && tier != NULL && *tier != '\0' &&
        (previous == NULL || strcmp(previous, tier) != 0))
        n = add_trigger(out, n, max, kind, strlen(kind), tier, strlen(tier), "tier", 4, routing);

    /* 2. Derived signals: "name:severity,name:severity". */
    const json_t *context = json_object_get(update, "context");
    const char *derived = str_field(context, "derived");
    const json_t *map = json_object_get(routing, "derived_triggers");
    const char *p = derived;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        const char *colon = memchr(a, ':', (size_t)(b - a));
        const char *name_end = colon ? colon : b;
        while (name_end > a && is_space(name_end[-1]))
            name_end--;
        const char *sev = colon ? colon + 1 : "info";
        const char *sev_end = colon ? b : sev + 4;
        while (sev < sev_end && is_space(*sev))
            sev++;
        char signal[64];
        size_t signal_len = (size_t)(name_end - a);
        if (signal_len > 0 && signal_len < sizeof signal) {
            memcpy(signal, a, signal_len);
            signal[signal_len] = '\0';
            const char *trigger = str_field(map, signal);
            if (trigger != NULL)
                n = add_trigger(out, n, max, trigger, strlen(trigger), sev,
                                (size_t)(sev_end - sev), signal, signal_len, routing);
        }
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* ==== Durations ==== */

revos_status revos_route_parse_duration_text(const char *text, int64_t *seconds, revos_err *err)
{
    *seconds = 0;
    if (text == NULL || *text == '\0')
        return revos_reject(err, "config", "duration is empty: expected e.g. 30s, 15m, 4h, 2d, 1w");
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        goto bad;
    errno = 0;
    char *end = NULL;
    long long count = strtoll(p, &end, 10);
    if (errno != 0 || end == p)
        goto bad;
    long long unit = 1;
    if (*end != '\0') {
        switch (*end) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 604800; break;
        default: goto bad;
        }
        if (end[1] != '\0')
            goto bad;
    }
    if (count <= 0 || count > MAX_DURATION_SECONDS / unit)
        goto bad;
    *seconds = (int64_t)(count * unit);
    return REVOS_OK;
bad:
    return revos_reject(err, "config",
                        "duration '%s' is not valid: expected a positive count with unit "
                        "s, m, h, d or w (e.g. 4h), or seconds, at most 366 days", text);
}

revos_status revos_route_parse_duration(const json_t *value, int64_t *seconds, revos_err *err)
{
    *seconds = 0;
    if (json_is_integer(value)) {
        json_int_t v = json_integer_value(value);
        if (v <= 0 || v > MAX_DURATION_SECONDS)
            return revos_reject(err, "config",
                                "duration %lld is not valid: expected 1 to 31622400 seconds",
                                (long long)v);
        *seconds = (int64_t)v;
        return REVOS_OK;
    }
    if (json_is_string(value))
        return revos_route_parse_duration_text(json_string_value(value), seconds, err);
    return revos_reject(err, "config", "duration must be a string such as \"4h\" or seconds");
}

void revos_route_format_duration(int64_t seconds, char *out, size_t outlen)
{
    if (seconds > 0 && seconds % 604800 == 0)
        snprintf(out, outlen, "%lldw", (long long)(seconds / 604800));
    else if (seconds > 0 && seconds % 3600 == 0)
        snprintf(out, outlen, "%lldh", (long long)(seconds / 3600));
    else if (seconds > 0 && seconds % 60 == 0)
        snprintf(out, outlen, "%lldm", (long long)(seconds / 60));
    else
        snprintf(out, outlen, "%llds", (long long)seconds);
}

/* ==== Owners ==== */

int revos_route_resolve_role(const char *role, const json_t *team, const json_t *routing,
                             revos_route_owner *out)
{
    memset(out, 0, sizeof *out);
    if (role == NULL || *role == '\0')
        return 0;
    const json_t *directory = routing ? json_object_get(routing, "directory") : NULL;
    const char *id = text_field(team, role);
    if (id == NULL)
        id = text_field(json_object_get(directory, "roles"), role);
    if (id == NULL)
        return 0;
    const json_t *person = json_object_get(json_object_get(directory, "owners"), id);
    out->role = role;
    out->owner_id = id;
    out->name = text_field(person, "name");
    if (out->name == NULL) {
        char key[96];
        snprintf(key, sizeof key, "%s_name", role);
        out->name = text_field(team, key);
    }
    if (out->name == NULL)
        out->name = id;
    out->format = text_field(person, "format");
    if (out->format == NULL)
        out->format = "json";
    out->url = text_field(person, "webhook_url");
    return 1;
}

void revos_route_resolve_owners(const json_t *roles, const json_t *team, const json_t *routing,
                                revos_route_owners *out)
{
    memset(out, 0, sizeof *out);
    size_t i;
    const json_t *item;
    json_array_foreach(roles, i, item) {
        const char *role = json_string_value(item);
        if (role == NULL)
            continue;
        revos_route_owner owner;
        if (!revos_route_resolve_role(role, team, routing, &owner)) {
            if (out->n_unresolved < REVOS_ROUTE_MAX_OWNERS)
                out->unresolved[out->n_unresolved++] = role;
            continue;
        }
        int duplicate = 0;
        for (size_t k = 0; k < out->n; k++)
            if (strcmp(out->owner[k].owner_id, owner.owner_id) == 0)
                duplicate = 1;
        if (!duplicate && out->n < REVOS_ROUTE_MAX_OWNERS)
            out->owner[out->n++] = owner;
    }
}

/* ==== Ids ==== */

/* FNV-1a 64 over the parts, each followed by a 0x1f separator. */
static void fnv_hex(const char *const *parts, size_t n, char out[17])
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)(parts[i] ? parts[i] : ""); *p; p++) {
            h ^= *p;
            h *= 1099511628211ULL;
        }
        h ^= 0x1f;
        h *= 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void revos_route_cell_of(const char *score_id, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", score_id);
    char *tail = strrchr(out, ':');
    if (tail == NULL || tail[1] != 'r' || tail[2] == '\0')
        return;
    for (const char *p = tail + 2; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return;
    *tail = '\0';
}

char *revos_route_play_id(const char *account_id, const char *play, const char *trigger,
                          const char *score_id)
{
    char cell[512];
    revos_route_cell_of(score_id, cell, sizeof cell);
    const char *parts[] = {account_id, play, trigger, cell};
    char hex[17];
    fnv_hex(parts, 4, hex);
    return revos_route_strf("%s:%s:%s", play, account_id, hex);
}

char *revos_route_notice_id(const char *account_id, const char *trigger, const char *score_id)
{
    char cell[512];
    revos_route_cell_of(score_id, cell, sizeof cell);
    const char *parts[] = {account_id, trigger, cell};
    char hex[17];
    fnv_hex(parts, 3, hex);
    return revos_route_strf("notice:%s:%s:%s", trigger, account_id, hex);
}

char *revos_route_page_id(const char *decision_id, int level, const char *owner_id)
{
    char *id = revos_route_strf("%s:%d:%s", decision_id, level, owner_id);
    /* Receivers take it as an idempotency key (a PagerDuty dedup_key, an
     * HTTP header): visible ASCII only. */
    for (unsigned char *p = (unsigned char *)id; p != NULL && *p != '\0'; p++)
        if (*p < 0x21 || *p > 0x7e)
            *p = '_';
    return id;
}

/* ==== Dates ==== */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int revos_route_days_until(int64_t as_of_ms, const char *date, int *days)
{
    if (date == NULL || strlen(date) < 10)
        return -1;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (date[i] != '-')
                return -1;
        } else if (!isdigit((unsigned char)date[i])) {
            return -1;
        }
    }
    if (date[10] != '\0' && date[10] != 'T' && date[10] != ' ')
        return -1;
    int y = atoi(date), m = atoi(date + 5), d = atoi(date + 8);
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t as_of_day = as_of_ms >= 0 ? as_of_ms / 86400000 : -((-as_of_ms + 86399999) / 86400000);
    *days = (int)(days_from_civil(y, m, d) - as_of_day);
    return 0;
}

/* ==== Decisions ==== */

/* "renewal_risk" -> "Renewal risk" into out. */
static void humanize(const char *name, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = name; *p != '\0' && o + 1 < outlen; p++)
        out[o++] = *p == '_' ? ' ' : *p;
    out[o] = '\0';
    if (o > 0)
        out[0] = (char)toupper((unsigned char)out[0]);
}

static double context_number(const json_t *context, const char *key, int *found)
{
    const char *text = text_field(context, key);
    *found = 0;
    if (text == NULL)
        return 0.0;
    char *end = NULL;
    double v = strtod(text, &end);
    while (end != NULL && is_space(*end))
        end++;
    if (end == text || (end != NULL && *end != '\0'))
        return 0.0;
    *found = 1;
    return v;
}

static revos_status build_tasks(revos_route_decision *d, const json_t *routing, revos_err *err)
{
    size_t i;
    const json_t *task;
    json_array_foreach(json_object_get(d->play_def, "tasks"), i, task) {
        if (d->n_tasks == REVOS_ROUTE_MAX_TASKS)
            return revos_reject(err, "config", "play %s has more than %d tasks", d->play,
                                REVOS_ROUTE_MAX_TASKS);
        revos_route_task *t = &d->tasks[d->n_tasks];
        t->template_id = text_field(task, "id");
        if (t->template_id == NULL)
            return revos_reject(err, "config", "play %s: task %zu has no id", d->play, i);
        t->title = text_field(task, "title");
        if (t->title == NULL)
            t->title = t->template_id;
        t->owner_role = text_field(task, "owner_role");
        if (t->owner_role == NULL)
            t->owner_role = "";
        revos_route_owner owner;
        if (revos_route_resolve_role(t->owner_role, d->team, routing, &owner))
            t->owner_id = owner.owner_id;
        const json_t *cost = json_object_get(task, "cost");
        t->cost = json_is_number(cost) ? json_number_value(cost) : 0.0;

        const json_t *due = json_object_get(task, "due");
        const json_t *offset = json_object_get(due, d->trigger.severity);
        if (offset == NULL)
            offset = json_object_get(due, "default");
        int64_t seconds = 7 * 86400;
        if (offset != NULL && revos_route_parse_duration(offset, &seconds, err) != REVOS_OK)
            return revos_wrap(err, REVOS_ERR_INPUT, d->play);
        t->due_at_ms = d->as_of_ms + seconds * 1000;

        d->n_tasks++; /* owns what follows from here */
        t->task_id = revos_route_strf("%s:%s", d->decision_id, t->template_id);
        t->depends_on = json_array();
        if (t->task_id == NULL || t->depends_on == NULL)
            return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
        size_t k;
        const json_t *dep;
        json_array_foreach(json_object_get(task, "depends_on"), k, dep) {
            if (!json_is_string(dep))
                continue;
            char *dep_id = revos_route_strf("%s:%s", d->decision_id, json_string_value(dep));
            if (dep_id == NULL || json_array_append_new(t->depends_on, json_string(dep_id)) != 0) {
                free(dep_id);
                return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
            }
            free(dep_id);
        }
    }
    return REVOS_OK;
}

revos_status revos_route_decide(const json_t *update, const revos_route_trigger *trigger,
                                const json_t *config, int64_t config_version,
                                revos_route_decision *out, revos_err *err)
{
    revos_route_decision *d = out;
    memset(d, 0, sizeof *d);
    const json_t *routing = routing_of(config);

    d->account_id = text_field(update, "account_id");
    d->score_id = text_field(update, "score_id");
    revos_log_trace_of_signal(text_field(update, "trigger_signal_id"), d->trace, sizeof d->trace);
    d->score_kind = text_field(update, "kind");
    d->team = json_object_get(update, "context");
    const json_t *as_of = json_object_get(update, "as_of");
    if (d->account_id == NULL || d->score_id == NULL || d->score_kind == NULL ||
        !json_is_integer(as_of) || !json_is_object(d->team))
        return revos_reject(err, "validation",
                            "score update lacks account_id, score_id, kind, as_of or context");
    d->as_of_ms = (int64_t)json_integer_value(as_of);
    d->config_version = config_version;
    d->trigger = *trigger;
    d->entry = trigger->entry ? trigger->entry
                              : revos_route_matrix_lookup(routing, trigger->name, trigger->severity);
    if (d->entry == NULL)
        return revos_reject(err, "config", "no routing matrix entry for %s/%s", trigger->name,
                            trigger->severity);
    d->route_severity = str_field(d->entry, "severity");
    snprintf(d->route, sizeof d->route, "%s/%s", trigger->name, d->route_severity);

    revos_status st = revos_route_parse_duration(json_object_get(d->entry, "sla"),
                                                 &d->sla_seconds, err);
    if (st != REVOS_OK)
        return revos_wrap(err, st, d->route);

    d->account_name = text_field(d->team, "name");
    if (d->account_name == NULL)
        d->account_name = d->account_id;
    d->explanation = str_field(update, "explanation");
    if (d->explanation == NULL)
        d->explanation = "";
    if (d->score_kind != NULL && strcmp(d->score_kind, "renewal_risk") == 0)
        d->score_band = text_field(update, "tier");
    if (d->score_band == NULL)
        d->score_band = text_field(d->team, "renewal_risk_tier");
    if (d->score_band == NULL)
        d->score_band = "";
    int has_days = 0;
    double days = context_number(d->team, "days_to_renewal", &has_days);
    if (has_days && days > -100000.0 && days < 100000.0) {
        d->has_renewal_days = 1;
        d->renewal_days = (int)(days < 0 ? days - 0.5 : days + 0.5);
    } else {
        d->has_renewal_days = revos_route_days_until(
            d->as_of_ms, text_field(d->team, "renewal_date"), &d->renewal_days) == 0;
    }

    d->play = text_field(d->entry, "play");
    if (d->play != NULL) {
        d->play_def = json_object_get(play_library(config), d->play);
        if (!json_is_object(d->play_def))
            return revos_reject(err, "config", "%s: play '%s' is not in the play library",
                                d->route, d->play);
        d->play_title = text_field(d->play_def, "title");
        if (d->play_title == NULL)
            d->play_title = d->play;
        d->decision_id = revos_route_play_id(d->account_id, d->play, trigger->name, d->score_id);
    } else {
        d->decision_id = revos_route_notice_id(d->account_id, trigger->name, d->score_id);
    }
    if (d->decision_id == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");

    revos_route_resolve_owners(json_object_get(d->entry, "owners"), d->team, routing, &d->owners);

    int has_arr = 0, has_forecast = 0;
    double arr = context_number(d->team, "arr", &has_arr);
    double forecast = context_number(d->team, "forecast_confidence", &has_forecast);
    revos_route_finance_compute(arr, d->play_def, revos_route_cac_ratio(routing), has_forecast,
                                forecast, &d->finance);

    if (d->play_def != NULL && (st = build_tasks(d, routing, err)) != REVOS_OK)
        return st;
    d->summary = revos_route_summary(d);
    if (d->summary == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    return REVOS_OK;
}

void revos_route_decision_free(revos_route_decision *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_tasks; i++) {
        free(d->tasks[i].task_id);
        json_decref(d->tasks[i].depends_on);
    }
    free(d->decision_id);
    free(d->summary);
    memset(d, 0, sizeof *d);
}

char *revos_route_summary(const revos_route_decision *d)
{
    char label[96], arr[40], save[40], replace[40], sla[32], renewal[64] = "", play[160];
    const char *custom = text_field(d->entry, "label");
    if (custom != NULL)
        snprintf(label, sizeof label, "%s", custom);
    else
        humanize(d->trigger.name, label, sizeof label);
    revos_route_money(d->finance.arr_at_risk, arr, sizeof arr);
    revos_route_money(d->finance.save_cost, save, sizeof save);
    revos_route_money(d->finance.replacement_cost, replace, sizeof replace);
    revos_route_format_duration(d->sla_seconds, sla, sizeof sla);
    if (d->has_renewal_days) {
        if (d->renewal_days > 1)
            snprintf(renewal, sizeof renewal, ", renewal in %d days", d->renewal_days);
        else if (d->renewal_days == 1)
            snprintf(renewal, sizeof renewal, ", renewal in 1 day");
        else if (d->renewal_days == 0)
            snprintf(renewal, sizeof renewal, ", renewal today");
        else if (d->renewal_days == -1)
            snprintf(renewal, sizeof renewal, ", renewal 1 day ago");
        else
            snprintf(renewal, sizeof renewal, ", renewal %d days ago", -d->renewal_days);
    }
    if (d->play != NULL)
        snprintf(play, sizeof play, "%s play: save cost %s vs replacement %s.", d->play_title,
                 save, replace);
    else
        snprintf(play, sizeof play, "No play: replacement cost %s.", replace);

    char unresolved[256] = "";
    if (d->owners.n_unresolved > 0) {
        size_t o = (size_t)snprintf(unresolved, sizeof unresolved, " Unresolved owner roles: ");
        for (size_t i = 0; i < d->owners.n_unresolved && o < sizeof unresolved; i++)
            o += (size_t)snprintf(unresolved + o, sizeof unresolved - o, "%s%s",
                                  i ? ", " : "", d->owners.unresolved[i]);
        if (o < sizeof unresolved)
            snprintf(unresolved + o, sizeof unresolved - o, ".");
    }
    return revos_route_strf("%s %s for %s: %s ARR at risk%s. %s Acknowledge within %s.%s", label,
                            d->trigger.severity, d->account_name, arr, renewal, play, sla,
                            unresolved);
}

/* ==== Config check ==== */

static int play_accepts(const json_t *play_def, const char *trigger, const char *severity)
{
    const json_t *entry_criteria = json_object_get(play_def, "entry");
    if (!json_is_array(entry_criteria) || json_array_size(entry_criteria) == 0)
        return 1;
    size_t i;
    const json_t *c;
    json_array_foreach(entry_criteria, i, c) {
        const char *t = str_field(c, "trigger");
        int need = revos_route_severity_rank(str_field(c, "severity"));
        if (t != NULL && strcmp(t, trigger) == 0 &&
            revos_route_severity_rank(severity) >= (need < 0 ? 0 : need))
            return 1;
    }
    return 0;
}

static revos_status check_play(const char *name, const json_t *play_def, revos_err *err)
{
    const json_t *tasks = json_object_get(play_def, "tasks");
    if (!json_is_array(tasks))
        return revos_reject(err, "config", "play %s: tasks must be an array", name);
    if (json_array_size(tasks) > REVOS_ROUTE_MAX_TASKS)
        return revos_reject(err, "config", "play %s has more than %d tasks", name,
                            REVOS_ROUTE_MAX_TASKS);
    const json_t *p_save = json_object_get(play_def, "p_save");
    if (!json_is_number(p_save) || json_number_value(p_save) < 0.0 ||
        json_number_value(p_save) > 1.0)
        return revos_reject(err, "config", "play %s: p_save must be a number in [0, 1]", name);
    size_t i;
    const json_t *task;
    json_array_foreach(tasks, i, task) {
        const char *id = text_field(task, "id");
        if (id == NULL)
            return revos_reject(err, "config", "play %s: task %zu has no id", name, i);
        const json_t *cost = json_object_get(task, "cost");
        if (cost != NULL && (!json_is_number(cost) || json_number_value(cost) < 0.0))
            return revos_reject(err, "config", "play %s: task %s: cost must be a number >= 0",
                                name, id);
        const char *key;
        const json_t *offset;
        json_object_foreach((json_t *)json_object_get(task, "due"), key, offset) {
            int64_t seconds;
            revos_err why = {{0}, {0}};
            if (revos_route_parse_duration(offset, &seconds, &why) != REVOS_OK)
                return revos_reject(err, "config", "play %s: task %s: due %s: %s", name, id, key,
                                    why.msg);
        }
        size_t k;
        const json_t *dep;
        json_array_foreach(json_object_get(task, "depends_on"), k, dep) {
            int found = 0;
            size_t j;
            const json_t *other;
            json_array_foreach(tasks, j, other) {
                const char *other_id = text_field(other, "id");
                if (j < i && other_id != NULL && json_is_string(dep) &&
                    strcmp(other_id, json_string_value(dep)) == 0)
                    found = 1;
            }
            if (!found)
                return revos_reject(err, "config",
                                    "play %s: task %s depends on '%s', which is not an earlier task",
                                    name, id, json_is_string(dep) ? json_string_value(dep) : "?");
        }
    }
    return REVOS_OK;
}

static revos_status check_directory(const json_t *routing, revos_err *err)
{
    const json_t *directory = json_object_get(routing, "directory");
    const char *id;
    const json_t *owner;
    json_object_foreach((json_t *)json_object_get(directory, "owners"), id, owner) {
        const char *format = str_field(owner, "format");
        if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "slack") != 0 &&
            strcmp(format, "pagerduty") != 0)
            return revos_reject(err, "config",
                                "routing.directory.owners.%s: format '%s' is not json, slack or "
                                "pagerduty", id, format);
        const char *url = str_field(owner, "webhook_url");
        if (url != NULL && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
            return revos_reject(err, "config",
                                "routing.directory.owners.%s: webhook_url must be http(s)", id);
        if (json_object_get(owner, "secret") != NULL || json_object_get(owner, "routing_key"))
            return revos_reject(err, "config",
                                "routing.directory.owners.%s: secrets do not belong in config; "
                                "name an environment variable in secret_env", id);
    }
    return REVOS_OK;
}

/* routing.inhibit: [{while: {trigger, severity}, absorbs: [trigger...]}]. */
static revos_status check_inhibit(const json_t *routing, revos_err *err)
{
    const json_t *rules = json_object_get(routing, "inhibit");
    if (rules == NULL)
        return REVOS_OK;
    if (!json_is_array(rules))
        return revos_reject(err, "config", "routing.inhibit must be an array");
    size_t i;
    const json_t *rule;
    json_array_foreach(rules, i, rule) {
        const json_t *when = json_object_get(rule, "while");
        const json_t *absorbs = json_object_get(rule, "absorbs");
        if (text_field(when, "trigger") == NULL ||
            revos_route_severity_rank(text_field(when, "severity")) < 0 || !json_is_array(absorbs))
            return revos_reject(err, "config",
                                "routing.inhibit[%zu]: needs while {trigger, severity} and an "
                                "absorbs array of triggers", i);
        size_t k;
        const json_t *t;
        json_array_foreach(absorbs, k, t) {
            if (!json_is_string(t))
                return revos_reject(err, "config", "routing.inhibit[%zu].absorbs[%zu] must be a trigger name", i, k);
        }
    }
    return REVOS_OK;
}

revos_status revos_route_config_check(const json_t *config, revos_err *err)
{
    const json_t *routing = routing_of(config);
    revos_status dst = check_directory(routing, err);
    if (dst == REVOS_OK)
        dst = check_inhibit(routing, err);
    if (dst != REVOS_OK)
        return dst;
    const json_t *library = play_library(config);
    const json_t *matrix = json_object_get(routing, "matrix");
    if (!json_is_array(matrix))
        return revos_reject(err, "config", "routing.matrix must be an array");
    if (library != NULL && !json_is_object(library))
        return revos_reject(err, "config", "plays.plays must be an object of plays by name");
    const char *name;
    const json_t *play_def;
    json_object_foreach((json_t *)library, name, play_def) {
        revos_status st = check_play(name, play_def, err);
        if (st != REVOS_OK)
            return st;
    }
    size_t i;
    const json_t *entry;
    json_array_foreach(matrix, i, entry) {
        const char *trigger = text_field(entry, "trigger");
        const char *severity = text_field(entry, "severity");
        if (trigger == NULL || revos_route_severity_rank(severity) < 0)
            return revos_reject(err, "config",
                                "routing.matrix[%zu]: needs a trigger and a severity "
                                "(info, warning, critical, or a tier)", i);
        int64_t seconds;
        revos_err why = {{0}, {0}};
        if (revos_route_parse_duration(json_object_get(entry, "sla"), &seconds, &why) != REVOS_OK)
            return revos_reject(err, "config", "routing.matrix[%zu] %s/%s: sla: %s", i, trigger,
                                severity, why.msg);
        const json_t *owners = json_object_get(entry, "owners");
        if (!json_is_array(owners) || json_array_size(owners) == 0 ||
            json_array_size(owners) > REVOS_ROUTE_MAX_OWNERS)
            return revos_reject(err, "config",
                                "routing.matrix[%zu] %s/%s: owners must list 1 to %d roles",
                                i, trigger, severity, REVOS_ROUTE_MAX_OWNERS);
        const json_t *play = json_object_get(entry, "play");
        if (play != NULL && !json_is_null(play)) {
            const char *play_name = json_string_value(play);
            const json_t *def = play_name ? json_object_get(library, play_name) : NULL;
            if (def == NULL)
                return revos_reject(err, "config",
                                    "routing.matrix[%zu] %s/%s: play '%s' is not in the play library",
                                    i, trigger, severity, play_name ? play_name : "?");
            if (!play_accepts(def, trigger, severity))
                return revos_reject(err, "config",
                                    "routing.matrix[%zu] %s/%s: play %s's entry criteria do "
                                    "not accept it",
                                    i, trigger, severity, play_name);
        }
        const json_t *levels = json_object_get(entry, "escalation");
        if (levels != NULL && !json_is_array(levels))
            return revos_reject(err, "config",
                                "routing.matrix[%zu]: escalation must be an array of role lists",
                                i);
        size_t k;
        const json_t *level;
        json_array_foreach(levels, k, level) {
            if (!json_is_array(level) || json_array_size(level) > REVOS_ROUTE_MAX_OWNERS)
                return revos_reject(err, "config",
                                    "routing.matrix[%zu]: escalation[%zu] must be an array "
                                    "of roles", i, k);
        }
    }
    return REVOS_OK;
}
