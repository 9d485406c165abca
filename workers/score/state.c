/* state.c -- an account's event-time scoring state: adding signals at their
 * own day, day buckets, the discrete facts and trimming to the horizon.
 * See state.h. */
#include "score/state.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "score/calendar.h"

/* ==== Small helpers ==== */

/* obj[key] as an object, created when absent. */
static json_t *child(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(obj, key, c);
    }
    return c;
}

/* obj[key] as an array, created when absent. */
static json_t *child_array(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);
    if (!json_is_array(c)) {
        c = json_array();
        json_object_set_new(obj, key, c);
    }
    return c;
}

static void set_int(json_t *obj, const char *key, int64_t v)
{
    json_object_set_new(obj, key, json_integer((json_int_t)v));
}

static void set_str(json_t *obj, const char *key, const char *v)
{
    json_object_set_new(obj, key, json_string(v));
}

int64_t revos_score_state_int(const json_t *obj, const char *key, int64_t fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? (int64_t)json_number_value(v) : fallback;
}

static int64_t num_at(const json_t *array, size_t i)
{
    return (int64_t)json_number_value(json_array_get(array, i));
}

void revos_score_state_push_evidence(json_t *list, const char *id, int max)
{
    json_array_insert_new(list, 0, json_string(id));
    while (json_array_size(list) > (size_t)max)
        json_array_remove(list, json_array_size(list) - 1);
}

int revos_score_lookback_days(const revos_score_limits *limits)
{
    int span = 2 * limits->window_days;
    if (limits->window_days + limits->ticket_prior_days > span)
        span = limits->window_days + limits->ticket_prior_days;
    if (limits->usage_span_days > span)
        span = limits->usage_span_days;
    return span + limits->lateness_days + 5;
}

/* ==== Lifecycle ==== */

json_t *revos_score_state_new(const char *account_id)
{
    json_t *state = json_object();
    if (state == NULL)
        return NULL;
    set_int(state, "v", REVOS_SCORE_STATE_VERSION);
    set_str(state, "account", account_id);
    return state;
}

revos_status revos_score_state_check(const json_t *state, const char *account_id, revos_err *err)
{
    if (!json_is_object(state))
        return revos_fail(err, REVOS_ERR_FATAL, "score state of %.80s is not an object", account_id);
    if (revos_score_state_int(state, "v", 0) != REVOS_SCORE_STATE_VERSION)
        return revos_fail(err, REVOS_ERR_FATAL, "score state of %.80s has unknown version", account_id);
    const char *owner = json_string_value(json_object_get(state, "account"));
    if (owner == NULL || strcmp(owner, account_id) != 0)
        return revos_fail(err, REVOS_ERR_FATAL, "score state of %.80s belongs to %.80s", account_id,
                          owner ? owner : "(nobody)");
    return REVOS_OK;
}

/* ==== Profile and renewals ==== */

static void fold_profile(json_t *state, const revos_score_signal *sig)
{
    static const char *const keys[] = {"name", "ae", "csm", "csm_lead", "segment", "product_line", "domain"};
    json_t *profile = child(state, "profile");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = revos_score_signal_attr(sig, keys[i]);
        if (v != NULL)
            set_str(profile, keys[i], v);
    }
    double arr;
    if (revos_score_parse_number(revos_score_signal_attr(sig, "arr"), &arr) == 0)
        json_object_set_new(profile, "arr", json_real(arr));
}

/* Whether opportunity a (close day da) comes before b: earlier close date,
 * then smaller id. */
static int opp_before(int64_t da, const char *a, int64_t db, const char *b)
{
    return da < db || (da == db && strcmp(a, b) < 0);
}

/* Sets profile.arr and renewal_date from the open renewal opportunity with
 * the nearest close date. */
static void pick_renewal(json_t *state)
{
    json_t *opps = json_object_get(state, "opps");
    const char *best = NULL, *key;
    int64_t best_day = 0;
    json_t *opp;
    json_object_foreach (opps, key, opp) {
        if (json_object_get(opp, "close_day") == NULL)
            continue;
        int64_t day = revos_score_state_int(opp, "close_day", 0);
        if (best == NULL || opp_before(day, key, best_day, best)) {
            best = key;
            best_day = day;
        }
    }
    json_t *profile = child(state, "profile");
    if (best == NULL) {
        json_object_del(profile, "renewal_date");
        json_object_del(state, "renewal");
        return;
    }
    opp = json_object_get(opps, best);
    char date[16];
    revos_day_format(best_day, date, sizeof date);
    set_str(profile, "renewal_date", date);
    json_t *amount = json_object_get(opp, "amount");
    if (json_is_number(amount))
        json_object_set_new(profile, "arr", json_real(json_number_value(amount)));
    json_object_set_new(state, "renewal",
                        json_pack("{s:s,s:O}", "opp", best, "signal", json_object_get(opp, "signal")));
}

/* Keeps at most REVOS_SCORE_MAX_OPPS: drops the furthest close dates. */
static void cap_opps(json_t *opps)
{
    while (json_object_size(opps) > REVOS_SCORE_MAX_OPPS) {
        const char *worst = NULL, *key;
        int64_t worst_day = 0;
        json_t *opp;
        json_object_foreach (opps, key, opp) {
            /* no close date sorts last */
            int64_t day = revos_score_state_int(opp, "close_day", INT64_MAX);
            if (worst == NULL || opp_before(worst_day, worst, day, key)) {
                worst = key;
                worst_day = day;
            }
        }
        json_object_del(opps, worst);
    }
}

static void fold_renewal(json_t *state, const revos_score_signal *sig)
{
    const char *id = revos_score_signal_attr(sig, "opportunity_id");
    if (id == NULL)
        id = "default";
    json_t *opps = child(state, "opps");
    if (revos_score_signal_flag(sig, "is_closed")) {
        json_object_del(opps, id);
        if (revos_score_signal_flag(sig, "is_won") && sig->has_value)
            json_object_set_new(child(state, "profile"), "arr", json_real(sig->value));
    } else {
        json_t *opp = child(opps, id);
        if (sig->has_value)
            json_object_set_new(opp, "amount", json_real(sig->value));
        int64_t close_day;
        if (revos_score_parse_day(revos_score_signal_attr(sig, "close_date"), &close_day) == 0)
            set_int(opp, "close_day", close_day);
        const char *stage = revos_score_signal_attr(sig, "stage");
        if (stage != NULL)
            set_str(opp, "stage", stage);
        set_str(opp, "signal", sig->signal_id);
        cap_opps(opps);
    }
    pick_renewal(state);
}

/* ==== Contacts and champion ==== */

static int contact_is_champion(const json_t *contact)
{
    const char *key;
    json_t *role;
    json_object_foreach ((json_t *)json_object_get(contact, "roles"), key, role) {
        const char *cls = json_string_value(role);
        if (cls != NULL && strcmp(cls, "champion") == 0)
            return 1;
    }
    return 0;
}

int revos_score_state_has_champion(const json_t *state)
{
    const char *key;
    json_t *contact;
    json_object_foreach ((json_t *)json_object_get(state, "contacts"), key, contact) {
        if (contact_is_champion(contact))
            return 1;
    }
    return 0;
}

static void champion_changed(json_t *state, const revos_score_signal *sig, const char *contact_id,
                             int evidence_max)
{
    json_t *champion = json_object_get(state, "champion");
    if (champion != NULL && revos_score_state_int(champion, "changed_day", 0) > sig->day)
        return; /* a later change is already known */
    json_object_set_new(state, "champion",
                        json_pack("{s:I,s:s,s:s}", "changed_day", (json_int_t)sig->day, "signal",
                                  sig->signal_id, "contact", contact_id));
    revos_score_state_push_evidence(child_array(state, "champion_evidence"), sig->signal_id,
                                    evidence_max);
}

/* Drops contacts beyond REVOS_SCORE_MAX_CONTACTS: non-champions first, then
 * the least recently seen, then the smallest id. */
static void cap_contacts(json_t *contacts)
{
    while (json_object_size(contacts) > REVOS_SCORE_MAX_CONTACTS) {
        const char *victim = NULL, *key;
        int victim_champ = 0;
        int64_t victim_day = 0;
        json_t *c;
        json_object_foreach (contacts, key, c) {
            int champ = contact_is_champion(c);
            int64_t day = revos_score_state_int(c, "day", 0);
            if (victim == NULL || champ < victim_champ ||
                (champ == victim_champ &&
                 (day < victim_day || (day == victim_day && strcmp(key, victim) < 0)))) {
                victim = key;
                victim_champ = champ;
                victim_day = day;
            }
        }
        json_object_del(contacts, victim);
    }
}

static json_t *touch_contact(json_t *state, const char *contact_id, int64_t day)
{
    json_t *contact = child(child(state, "contacts"), contact_id);
    if (revos_score_state_int(contact, "day", day) <= day)
        set_int(contact, "day", day);
    return contact;
}

static const char *role_class_of(const revos_score_signal *sig)
{
    const char *cls = revos_score_signal_attr(sig, "role_class");
    if (cls == NULL)
        return "other";
    if (strcasecmp(cls, "champion") == 0)
        return "champion";
    if (strcasecmp(cls, "economic_buyer") == 0)
        return "economic_buyer";
    return "other";
}

static void fold_contact_role(json_t *state, const revos_score_signal *sig,
                              int evidence_max)
{
    const char *contact_id = revos_score_signal_attr(sig, "contact_id");
    const char *role_key = revos_score_signal_attr(sig, "contact_role_id");
    if (role_key == NULL)
        role_key = revos_score_signal_attr(sig, "opportunity_id");
    if (role_key == NULL)
        role_key = "primary";
    const char *action = revos_score_signal_attr(sig, "action");
    int deleted = action != NULL && strcasecmp(action, "delete") == 0;

    /* Remember whose role this is: later CDC updates of the role carry only
     * the changed fields and the role's id. */
    json_t *role_contacts = child(state, "role_contacts");
    if (contact_id != NULL) {
        if (json_object_get(role_contacts, role_key) == NULL &&
            json_object_size(role_contacts) >= 4 * REVOS_SCORE_MAX_ROLES)
            json_object_clear(role_contacts); /* bounded; only a lookup aid */
        set_str(role_contacts, role_key, contact_id);
    } else {
        contact_id = json_string_value(json_object_get(role_contacts, role_key));
        if (contact_id == NULL)
            return; /* a role we never saw created: nothing to compare with */
    }

    json_t *contact = touch_contact(state, contact_id, sig->day);
    json_t *roles = child(contact, "roles");
    const char *old = json_string_value(json_object_get(roles, role_key));
    int was_champion = old != NULL && strcmp(old, "champion") == 0;
    const char *cls = deleted ? NULL : role_class_of(sig);
    int is_champion = cls != NULL && strcmp(cls, "champion") == 0;

    if (deleted) {
        json_object_del(roles, role_key);
    } else {
        if (json_object_get(roles, role_key) == NULL &&
            json_object_size(roles) >= REVOS_SCORE_MAX_ROLES) {
            /* drop the smallest role key that is not a champion role */
            const char *drop = NULL, *key;
            json_t *r;
            json_object_foreach (roles, key, r) {
                if (strcmp(json_string_value(r) ? json_string_value(r) : "", "champion") != 0 &&
                    (drop == NULL || strcmp(key, drop) < 0))
                    drop = key;
            }
            if (drop != NULL)
                json_object_del(roles, drop);
        }
        if (json_object_size(roles) < REVOS_SCORE_MAX_ROLES || json_object_get(roles, role_key) != NULL)
            set_str(roles, role_key, cls);
    }
    if (was_champion && !is_champion) {
        champion_changed(state, sig, contact_id, evidence_max);
    } else if (is_champion && !was_champion) {
        /* a champion named after a change replaces the one who left */
        json_t *change = json_object_get(state, "champion");
        if (change != NULL && json_object_get(change, "replaced_day") == NULL &&
            revos_score_state_int(change, "changed_day", 0) <= sig->day) {
            json_object_set_new(change, "replaced_day", json_integer((json_int_t)sig->day));
            json_object_set_new(change, "replaced_by", json_string(contact_id));
        }
        revos_score_state_push_evidence(child_array(state, "champion_evidence"), sig->signal_id,
                                        evidence_max);
    }
    cap_contacts(json_object_get(state, "contacts"));
}

static void fold_contact(json_t *state, const revos_score_signal *sig,
                         int evidence_max)
{
    const char *contact_id = revos_score_signal_attr(sig, "contact_id");
    const char *title = revos_score_signal_attr(sig, "title");
    json_t *contact = touch_contact(state, contact_id, sig->day);
    const char *old = json_string_value(json_object_get(contact, "title"));
    if (title != NULL) {
        /* "the primary champion changes roles": a champion's new title */
        if (old != NULL && old[0] != '\0' && strcmp(old, title) != 0 && contact_is_champion(contact))
            champion_changed(state, sig, contact_id, evidence_max);
        set_str(contact, "title", title);
    }
    cap_contacts(json_object_get(state, "contacts"));
}

/* ==== NPS ==== */

static void fold_nps(json_t *state, const revos_score_signal *sig)
{
    json_t *nps = child(state, "nps");
    if (json_object_get(nps, "latest") == NULL ||
        sig->occurred_ms >= revos_score_state_int(nps, "latest_ms", 0)) {
        /* the newest response: the latest becomes the previous */
        if (json_object_get(nps, "latest") != NULL) {
            json_object_set(nps, "previous", json_object_get(nps, "latest"));
            json_object_set(nps, "previous_id", json_object_get(nps, "latest_id"));
            json_object_set(nps, "previous_ms", json_object_get(nps, "latest_ms"));
        }
        json_object_set_new(nps, "latest", json_real(sig->value));
        set_str(nps, "latest_id", sig->signal_id);
        set_int(nps, "latest_ms", sig->occurred_ms);
        set_int(nps, "latest_day", sig->day);
    } else if (json_object_get(nps, "previous") == NULL ||
               sig->occurred_ms >= revos_score_state_int(nps, "previous_ms", 0)) {
        /* late but newer than the previous one */
        json_object_set_new(nps, "previous", json_real(sig->value));
        set_str(nps, "previous_id", sig->signal_id);
        set_int(nps, "previous_ms", sig->occurred_ms);
    }
}

/* ==== Discrete facts ==== */

void revos_score_disc_fold(json_t *disc, const revos_score_signal *sig, int evidence_max)
{
    switch (sig->kind) {
    case REVOS_SIG_ACCOUNT_PROFILE:
        fold_profile(disc, sig);
        break;
    case REVOS_SIG_RENEWAL_OPPORTUNITY:
        fold_renewal(disc, sig);
        break;
    case REVOS_SIG_CONTACT_ROLE:
        fold_contact_role(disc, sig, evidence_max);
        break;
    case REVOS_SIG_CONTACT:
        fold_contact(disc, sig, evidence_max);
        break;
    case REVOS_SIG_NPS_RESPONSE:
        fold_nps(disc, sig);
        break;
    case REVOS_SIG_PRODUCT_USAGE:
    case REVOS_SIG_TICKET_OPENED:
    case REVOS_SIG_OTHER:
        break;
    }
}

static int is_discrete(revos_score_signal_kind kind)
{
    return kind == REVOS_SIG_ACCOUNT_PROFILE || kind == REVOS_SIG_RENEWAL_OPPORTUNITY ||
           kind == REVOS_SIG_CONTACT_ROLE || kind == REVOS_SIG_CONTACT ||
           kind == REVOS_SIG_NPS_RESPONSE;
}

/* Event order: occurred_at, then signal id. */
static int event_cmp(int64_t ms_a, const char *id_a, int64_t ms_b, const char *id_b)
{
    if (ms_a != ms_b)
        return ms_a < ms_b ? -1 : 1;
    return strcmp(id_a, id_b);
}

/* The compact copy of a discrete signal kept in "events". */
static json_t *compact_event(const json_t *record)
{
    json_t *e = json_object();
    static const char *const keys[] = {"signal_id", "account_id", "family", "type",
                                       "occurred_at", "value", "attributes"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(record, keys[i]);
        if (v != NULL)
            json_object_set(e, keys[i], v);
    }
    return e;
}

/* Inserts the event in order; returns 1 when the same id is already there. */
static int insert_event(json_t *state, const revos_score_signal *sig, const json_t *record)
{
    json_t *events = child_array(state, "events");
    size_t lo = 0, hi = json_array_size(events);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const json_t *e = json_array_get(events, mid);
        int64_t ms = (int64_t)json_integer_value(json_object_get(e, "occurred_at"));
        const char *id = json_string_value(json_object_get(e, "signal_id"));
        int c = event_cmp(ms, id ? id : "", sig->occurred_ms, sig->signal_id);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    json_array_insert_new(events, lo, compact_event(record));
    return 0;
}

/* ==== Day buckets ==== */

static int recent_has(const json_t *state, const char *id)
{
    const json_t *recent = json_object_get(state, "recent");
    for (size_t i = json_array_size(recent); i-- > 0;) {
        const char *r = json_string_value(json_array_get(recent, i));
        if (r != NULL && strcmp(r, id) == 0)
            return 1;
    }
    return 0;
}

static void recent_note(json_t *state, const char *id, int max)
{
    json_t *recent = child_array(state, "recent");
    json_array_append_new(recent, json_string(id));
    while (json_array_size(recent) > (size_t)max)
        json_array_remove(recent, 0);
}

static const char *const bucket_arrays[] = {"v", "n", "ms", "id"};

/* Makes series hold day (growing its dense arrays) and returns its index. */
static size_t bucket_index(json_t *series, int64_t day)
{
    json_t *arrays[4];
    for (size_t a = 0; a < 4; a++)
        arrays[a] = child_array(series, bucket_arrays[a]);
    size_t n = json_array_size(arrays[0]);
    if (n == 0)
        set_int(series, "from", day);
    int64_t from = revos_score_state_int(series, "from", day);
    if (day < from) {
        size_t grow = (size_t)(from - day);
        for (size_t a = 0; a < 4; a++) {
            json_t *fresh = json_array();
            for (size_t i = 0; i < grow; i++)
                json_array_append_new(fresh, a == 3 ? json_string("") : json_integer(0));
            json_array_extend(fresh, arrays[a]);
            json_object_set_new(series, bucket_arrays[a], fresh);
        }
        set_int(series, "from", day);
        return 0;
    }
    size_t idx = (size_t)(day - from);
    for (size_t a = 0; a < 4; a++)
        while (json_array_size(arrays[a]) <= idx)
            json_array_append_new(arrays[a], a == 3 ? json_string("") : json_integer(0));
    return idx;
}

static void bucket_add(json_t *series, const revos_score_signal *sig, double amount)
{
    size_t i = bucket_index(series, sig->day);
    json_t *v = json_object_get(series, "v"), *n = json_object_get(series, "n");
    json_t *ms = json_object_get(series, "ms"), *ids = json_object_get(series, "id");
    json_array_set_new(v, i, json_real(json_number_value(json_array_get(v, i)) + amount));
    json_array_set_new(n, i, json_integer((json_int_t)(num_at(n, i) + 1)));
    const char *newest = json_string_value(json_array_get(ids, i));
    if (newest == NULL || newest[0] == '\0' ||
        event_cmp(num_at(ms, i), newest, sig->occurred_ms, sig->signal_id) < 0) {
        json_array_set_new(ms, i, json_integer((json_int_t)sig->occurred_ms));
        json_array_set_new(ids, i, json_string(sig->signal_id));
    }
}

/* Drops the buckets before keep_from. */
static void bucket_trim(json_t *series, int64_t keep_from)
{
    int64_t from = revos_score_state_int(series, "from", keep_from);
    if (series == NULL || from >= keep_from)
        return;
    size_t drop = (size_t)(keep_from - from);
    for (size_t a = 0; a < 4; a++) {
        json_t *arr = json_object_get(series, bucket_arrays[a]);
        json_t *kept = json_array();
        for (size_t i = drop; i < json_array_size(arr); i++)
            json_array_append(kept, json_array_get(arr, i));
        json_object_set_new(series, bucket_arrays[a], kept);
    }
    set_int(series, "from", keep_from);
}

int revos_score_series_load(revos_score_series *s, const json_t *state, const char *name)
{
    memset(s, 0, sizeof *s);
    s->first_day = INT64_MAX;
    const json_t *series = json_object_get(state, name);
    const json_t *v = json_object_get(series, "v"), *n = json_object_get(series, "n");
    s->n = json_array_size(v);
    if (json_array_size(n) != s->n)
        s->n = 0;
    s->from = revos_score_state_int(series, "from", 0);
    s->ids = json_object_get(series, "id");
    s->prefix = malloc((s->n + 1) * sizeof *s->prefix);
    s->last = malloc((s->n + 1) * sizeof *s->last);
    if (s->prefix == NULL || s->last == NULL) {
        revos_score_series_free(s);
        return -1;
    }
    s->prefix[0] = 0.0;
    int64_t last = -1;
    for (size_t i = 0; i < s->n; i++) {
        s->prefix[i + 1] = s->prefix[i] + json_number_value(json_array_get(v, i));
        if (num_at(n, i) > 0) {
            last = (int64_t)i;
            if (s->first_day == INT64_MAX)
                s->first_day = s->from + (int64_t)i;
        }
        s->last[i] = last;
    }
    return 0;
}

void revos_score_series_free(revos_score_series *s)
{
    free(s->prefix);
    free(s->last);
    s->prefix = NULL;
    s->last = NULL;
    s->n = 0;
}

double revos_score_series_sum(const revos_score_series *s, int64_t from, int64_t to)
{
    int64_t lo = from - s->from, hi = to - s->from;
    if (lo < 0)
        lo = 0;
    if (hi >= (int64_t)s->n)
        hi = (int64_t)s->n - 1;
    if (s->n == 0 || hi < lo)
        return 0.0;
    return s->prefix[hi + 1] - s->prefix[lo];
}

int64_t revos_score_series_last_day(const revos_score_series *s, int64_t day)
{
    int64_t i = day - s->from;
    if (s->n == 0 || i < 0)
        return INT64_MIN;
    if (i >= (int64_t)s->n)
        i = (int64_t)s->n - 1;
    return s->last[i] < 0 ? INT64_MIN : s->from + s->last[i];
}

void revos_score_series_evidence(const revos_score_series *s, int64_t from, int64_t to,
                                 json_t *list, int max)
{
    int64_t i = to - s->from;
    if (i >= (int64_t)s->n)
        i = (int64_t)s->n - 1;
    for (; i >= 0 && s->from + i >= from && json_array_size(list) < (size_t)max; i--) {
        const json_t *id = json_array_get(s->ids, (size_t)i);
        const char *text = json_string_value(id);
        if (text != NULL && text[0] != '\0')
            json_array_append(list, (json_t *)id);
    }
}

/* ==== Adding a signal ==== */

void revos_score_state_touch(json_t *state, int64_t day)
{
    if (json_object_get(state, "newest_day") == NULL ||
        day > revos_score_state_int(state, "newest_day", 0))
        return;
    int64_t start = revos_score_state_int(state, "base_day",
                                          revos_score_state_int(state, "first_day", day));
    if (day < start)
        day = start;
    if (day < revos_score_state_int(state, "dirty_from", INT64_MAX))
        set_int(state, "dirty_from", day);
}

revos_score_add_result revos_score_state_add(json_t *state, const revos_score_signal *sig,
                                             const json_t *record,
                                             const revos_score_limits *limits,
                                             int64_t *age_days)
{
    int known = json_object_get(state, "newest_day") != NULL;
    int64_t newest = revos_score_state_int(state, "newest_day", sig->day);
    *age_days = newest > sig->day ? newest - sig->day : 0;
    if (known && sig->day < newest - limits->horizon_days)
        return REVOS_SCORE_ADD_TOO_LATE;
    /* base_day is set once the state was trimmed: what lies before it is gone */
    if (known && sig->day < revos_score_state_int(state, "base_day", sig->day))
        return REVOS_SCORE_ADD_TOO_LATE;

    if (is_discrete(sig->kind)) {
        if (insert_event(state, sig, record))
            return REVOS_SCORE_ADD_DUPLICATE;
    } else {
        if (recent_has(state, sig->signal_id))
            return REVOS_SCORE_ADD_DUPLICATE;
        recent_note(state, sig->signal_id, limits->applied_max);
        if (sig->kind == REVOS_SIG_PRODUCT_USAGE)
            bucket_add(child(state, "usage"), sig, sig->has_value ? sig->value : 1.0);
        else if (sig->kind == REVOS_SIG_TICKET_OPENED)
            bucket_add(child(state, "tickets"), sig, 1.0);
    }

    if (!known) {
        set_int(state, "first_day", sig->day);
        set_int(state, "newest_day", sig->day);
    }
    if (sig->day < revos_score_state_int(state, "first_day", sig->day))
        set_int(state, "first_day", sig->day);
    /* a newer day leaves the days between the old newest and it unscored:
     * they are scored from the old newest on (their windows move too) */
    int64_t dirty = sig->day;
    if (known && sig->day > newest + 1)
        dirty = newest + 1;
    if (sig->day > newest)
        set_int(state, "newest_day", sig->day);
    if (dirty < revos_score_state_int(state, "dirty_from", INT64_MAX))
        set_int(state, "dirty_from", dirty);
    return REVOS_SCORE_ADDED;
}

/* ==== Trimming to the horizon ==== */

void revos_score_state_trim(json_t *state, int64_t new_base_day, json_t *disc,
                            const revos_score_limits *limits)
{
    int64_t start = revos_score_state_int(state, "base_day",
                                          revos_score_state_int(state, "first_day", new_base_day));
    if (new_base_day <= start)
        return;
    json_t *events = json_object_get(state, "events");
    json_t *kept = json_array();
    for (size_t i = 0; i < json_array_size(events); i++) {
        const json_t *e = json_array_get(events, i);
        if (revos_day_of_ms((int64_t)json_integer_value(json_object_get(e, "occurred_at"))) >=
            new_base_day)
            json_array_append(kept, (json_t *)e);
    }
    json_object_set_new(state, "events", kept);
    json_object_set(state, "base", disc);
    set_int(state, "base_day", new_base_day);

    int64_t keep_buckets = new_base_day - revos_score_lookback_days(limits);
    bucket_trim(json_object_get(state, "usage"), keep_buckets);
    bucket_trim(json_object_get(state, "tickets"), keep_buckets);

    /* the timeline keeps its last day before the base: it seeds hysteresis */
    json_t *cells = json_object_get(state, "cells");
    int64_t from = revos_score_state_int(cells, "from", new_base_day);
    if (cells != NULL && from < new_base_day - 1) {
        size_t drop = (size_t)(new_base_day - 1 - from);
        const char *part[] = {"k", "t"};
        for (size_t p = 0; p < 2; p++) {
            const char *kind;
            json_t *arr;
            json_object_foreach (json_object_get(cells, part[p]), kind, arr) {
                json_t *rest = json_array();
                for (size_t i = drop; i < json_array_size(arr); i++)
                    json_array_append(rest, json_array_get(arr, i));
                json_object_set_new(json_object_get(cells, part[p]), kind, rest);
            }
        }
        set_int(cells, "from", new_base_day - 1);
    }
    /* published cells: the last publishable one before the base stays, as
     * the reference the next cells are compared with */
    const char *kind;
    json_t *cellmap;
    json_object_foreach (json_object_get(state, "pub"), kind, cellmap) {
        int64_t keep = INT64_MIN;
        const char *day;
        json_t *entry;
        json_object_foreach (cellmap, day, entry) {
            int64_t d = strtoll(day, NULL, 10);
            if (d < new_base_day && json_is_true(json_array_get(entry, 5)) && d > keep)
                keep = d;
        }
        json_t *tmp;
        json_object_foreach_safe (cellmap, tmp, day, entry) {
            int64_t d = strtoll(day, NULL, 10);
            if (d < new_base_day && d != keep)
                json_object_del(cellmap, day);
        }
    }
    /* episode logs: the entry in force at the base stays */
    const char *name;
    json_t *log;
    json_object_foreach (json_object_get(state, "dlog"), name, log) {
        size_t first_kept = 0;
        for (size_t i = 0; i < json_array_size(log); i++)
            if (num_at(json_array_get(log, i), 0) < new_base_day)
                first_kept = i;
        json_t *rest = json_array();
        for (size_t i = first_kept; i < json_array_size(log); i++)
            json_array_append(rest, json_array_get(log, i));
        json_object_set_new(json_object_get(state, "dlog"), name, rest);
    }
    json_t *ck = json_object_get(state, "ck");
    if (ck != NULL && revos_score_state_int(ck, "day", 0) < new_base_day - 1)
        json_object_del(state, "ck");
}
