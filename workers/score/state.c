/* state.c -- folding signals into an account's scoring state. See state.h. */
#include "score/state.h"

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

void revos_score_state_push_evidence(json_t *list, const char *id, int max)
{
    json_array_insert_new(list, 0, json_string(id));
    while (json_array_size(list) > (size_t)max)
        json_array_remove(list, json_array_size(list) - 1);
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

int revos_score_state_applied(const json_t *state, const char *signal_id)
{
    const json_t *applied = json_object_get(state, "applied");
    for (size_t i = json_array_size(applied); i-- > 0;) {
        const char *id = json_string_value(json_array_get(applied, i));
        if (id != NULL && strcmp(id, signal_id) == 0)
            return 1;
    }
    return 0;
}

static void note_applied(json_t *state, const char *signal_id, int max)
{
    json_t *applied = child_array(state, "applied");
    json_array_append_new(applied, json_string(signal_id));
    while (json_array_size(applied) > (size_t)max)
        json_array_remove(applied, 0);
}

/* ==== Day buckets ==== */

static void bucket_add(json_t *series, int64_t day, double amount)
{
    json_t *days = child_array(series, "days");
    size_t i = 0, n = json_array_size(days);
    for (; i < n; i++) {
        json_t *pair = json_array_get(days, i);
        int64_t d = (int64_t)json_number_value(json_array_get(pair, 0));
        if (d == day) {
            double sum = json_number_value(json_array_get(pair, 1)) + amount;
            json_array_set_new(pair, 1, json_real(sum));
            return;
        }
        if (d > day)
            break;
    }
    json_array_insert_new(days, i, json_pack("[I,f]", (json_int_t)day, amount));
}

static void bucket_prune(json_t *series, int64_t keep_from)
{
    json_t *days = json_object_get(series, "days");
    while (json_array_size(days) > 0 &&
           (int64_t)json_number_value(json_array_get(json_array_get(days, 0), 0)) < keep_from)
        json_array_remove(days, 0);
}

double revos_score_state_window_sum(const json_t *series, int64_t from, int64_t to)
{
    const json_t *days = json_object_get(series, "days");
    double sum = 0.0;
    for (size_t i = 0; i < json_array_size(days); i++) {
        const json_t *pair = json_array_get(days, i);
        int64_t d = (int64_t)json_number_value(json_array_get(pair, 0));
        if (d >= from && d <= to)
            sum += json_number_value(json_array_get(pair, 1));
    }
    return sum;
}

static void series_add(json_t *state, const char *name, const revos_score_signal *sig,
                       double amount, const revos_score_limits *limits)
{
    json_t *series = child(state, name);
    int64_t first = revos_score_state_int(series, "first_day", sig->day);
    set_int(series, "first_day", sig->day < first ? sig->day : first);
    int64_t last = revos_score_state_int(series, "last_day", sig->day);
    set_int(series, "last_day", sig->day > last ? sig->day : last);
    int64_t today = revos_score_state_int(state, "today", sig->day);
    if (sig->day > today - (2 * limits->window_days + limits->lateness_days + 5))
        bucket_add(series, sig->day, amount);
    revos_score_state_push_evidence(child_array(series, "evidence"), sig->signal_id,
                                    limits->evidence_max);
}

/* ==== Profile and renewals ==== */

static void fold_profile(json_t *state, const revos_score_signal *sig)
{
    static const char *const keys[] = {"name", "ae", "csm", "csm_lead", "segment", "domain"};
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
                             const revos_score_limits *limits)
{
    json_t *champion = json_object_get(state, "champion");
    if (champion != NULL && revos_score_state_int(champion, "changed_day", 0) > sig->day)
        return; /* a later change is already known */
    json_object_set_new(state, "champion",
                        json_pack("{s:I,s:s,s:s}", "changed_day", (json_int_t)sig->day, "signal",
                                  sig->signal_id, "contact", contact_id));
    revos_score_state_push_evidence(child_array(state, "champion_evidence"), sig->signal_id,
                                    limits->evidence_max);
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
                              const revos_score_limits *limits)
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
    if (was_champion && !is_champion)
        champion_changed(state, sig, contact_id, limits);
    else if (is_champion && !was_champion)
        revos_score_state_push_evidence(child_array(state, "champion_evidence"), sig->signal_id,
                                        limits->evidence_max);
    cap_contacts(json_object_get(state, "contacts"));
}

static void fold_contact(json_t *state, const revos_score_signal *sig,
                         const revos_score_limits *limits)
{
    const char *contact_id = revos_score_signal_attr(sig, "contact_id");
    const char *title = revos_score_signal_attr(sig, "title");
    json_t *contact = touch_contact(state, contact_id, sig->day);
    const char *old = json_string_value(json_object_get(contact, "title"));
    if (title != NULL) {
        /* "the primary champion changes roles": a champion's new title */
        if (old != NULL && old[0] != '\0' && strcmp(old, title) != 0 && contact_is_champion(contact))
            champion_changed(state, sig, contact_id, limits);
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

/* ==== Folding ==== */

void revos_score_state_fold(json_t *state, const revos_score_signal *sig,
                            const revos_score_limits *limits)
{
    note_applied(state, sig->signal_id, limits->applied_max);
    int64_t today = revos_score_state_int(state, "today", sig->day);
    int64_t first = revos_score_state_int(state, "first_day", sig->day);
    if (sig->day > today || json_object_get(state, "today") == NULL)
        today = sig->day;
    set_int(state, "today", today);
    set_int(state, "first_day", sig->day < first ? sig->day : first);

    switch (sig->kind) {
    case REVOS_SIG_ACCOUNT_PROFILE:
        fold_profile(state, sig);
        break;
    case REVOS_SIG_RENEWAL_OPPORTUNITY:
        fold_renewal(state, sig);
        break;
    case REVOS_SIG_CONTACT_ROLE:
        fold_contact_role(state, sig, limits);
        break;
    case REVOS_SIG_CONTACT:
        fold_contact(state, sig, limits);
        break;
    case REVOS_SIG_PRODUCT_USAGE:
        series_add(state, "usage", sig, sig->has_value ? sig->value : 1.0, limits);
        break;
    case REVOS_SIG_TICKET_OPENED:
        series_add(state, "tickets", sig, 1.0, limits);
        break;
    case REVOS_SIG_NPS_RESPONSE:
        fold_nps(state, sig);
        break;
    case REVOS_SIG_OTHER:
        break;
    }

    /* buckets older than 2W+5 days can never enter a window again */
    int64_t keep_from = today - (2 * (int64_t)limits->window_days + limits->lateness_days + 5) + 1;
    bucket_prune(json_object_get(state, "usage"), keep_from);
    bucket_prune(json_object_get(state, "tickets"), keep_from);
}
