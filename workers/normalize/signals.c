/* signals.c -- SourceEvent + account id -> Signal records and the CRM renewal
 * Outcome. Pure: see signals.h for the table of kinds. */
#include "normalize/signals.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ==== Kinds ==== */

static const char *const signal_kinds[] = {
    "crm.account", "crm.opportunity", "crm.contact_role", "crm.contact", "usage.track",
    "support.ticket", "nps.response", "nps.decline", "conversation.call", "handoff.event", NULL};

static const char *const identity_kinds[] = {
    "usage.group", "usage.identify", "support.organization", "support.contact", NULL};

static int in_list(const char *const *list, const char *s)
{
    if (s == NULL)
        return 0;
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

int revos_norm_kind_known(const char *kind)
{
    return in_list(signal_kinds, kind) || in_list(identity_kinds, kind);
}

int revos_norm_kind_identity_only(const char *kind)
{
    return in_list(identity_kinds, kind);
}

/* ==== Small helpers ==== */

/* A non-empty string member of obj, else NULL. */
static const char *str_member(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return NULL;
    return json_string_value(v);
}

static const char *attr(const json_t *event, const char *key)
{
    return str_member(json_object_get(event, "attributes"), key);
}

static const char *id_of(const json_t *event, const char *key)
{
    return str_member(json_object_get(event, "ids"), key);
}

/* The first of the ids keys (NULL-terminated) the event carries, else NULL. */
static const char *first_id(const json_t *event, const char *const *keys)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        const char *v = id_of(event, keys[i]);
        if (v != NULL)
            return v;
    }
    return NULL;
}

/* A CRM record's own id, whichever CRM it lives in. */
static const char *const account_keys[] = {"salesforce_account", "hubspot_company", "db_account",
                                           NULL};
static const char *const opportunity_keys[] = {"salesforce_opportunity", "hubspot_deal",
                                               "db_opportunity", NULL};
static const char *const contact_keys[] = {"salesforce_contact", "hubspot_contact", "db_contact",
                                           NULL};

static int is_true(const char *s)
{
    return s != NULL && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

/* Parses a whole string as a finite number. */
static int parse_number(const char *s, double *out)
{
    if (s == NULL)
        return 0;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return 0;
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (errno != 0 || end == s || !isfinite(d))
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return 0;
    *out = d;
    return 1;
}

/* A growing sentence; on allocation failure ok drops to 0. */
typedef struct text_buf {
    char *s;
    size_t len, cap;
    int ok;
} text_buf;

static void tb_vadd(text_buf *tb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void tb_vadd(text_buf *tb, const char *fmt, va_list ap)
{
    if (!tb->ok)
        return;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        tb->ok = 0;
        return;
    }
    if (tb->len + (size_t)n + 1 > tb->cap) {
        size_t cap = tb->cap ? tb->cap : 64;
        while (cap < tb->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(tb->s, cap);
        if (s == NULL) {
            tb->ok = 0;
            return;
        }
        tb->s = s;
        tb->cap = cap;
    }
    vsnprintf(tb->s + tb->len, tb->cap - tb->len, fmt, ap);
    tb->len += (size_t)n;
}

static void tb_add(text_buf *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_add(text_buf *tb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tb_vadd(tb, fmt, ap);
    va_end(ap);
}

/* "$180,000" or "$1,234.50"; negative amounts keep their sign. */
static void format_money(double amount, char *out, size_t outlen)
{
    const char *sign = amount < 0 ? "-" : "";
    double a = fabs(amount);
    if (a >= 1e15) {
        snprintf(out, outlen, "%s$%.0f", sign, a);
        return;
    }
    long long cents = llround(a * 100.0);
    long long whole = cents / 100, frac = cents % 100;
    char digits[32], grouped[48];
    snprintf(digits, sizeof digits, "%lld", whole);
    size_t nd = strlen(digits), g = 0;
    for (size_t i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    if (frac == 0)
        snprintf(out, outlen, "%s$%s", sign, grouped);
    else
        snprintf(out, outlen, "%s$%s.%02lld", sign, grouped, frac);
}

/* A number as evidence text: "3", "7.5". */
static void format_number(double d, char *out, size_t outlen)
{
    snprintf(out, outlen, "%.15g", d);
}

/* Copies text for quoting in a one-line sentence: whitespace runs become one
 * space, and text longer than max bytes is cut on a UTF-8 character boundary
 * and ends with "...". */
static char *quote_text(const char *text, size_t max)
{
    size_t n = strlen(text);
    char *out = malloc(n + 4);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    int in_space = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            if (!in_space && o > 0)
                out[o++] = ' ';
            in_space = 1;
        } else {
            out[o++] = (char)c;
            in_space = 0;
        }
    }
    int cut = 0;
    if (o > max) {
        cut = 1;
        o = max;
        while (o > 0 && ((unsigned char)out[o] & 0xC0) == 0x80)
            o--; /* out[o] continues a character: drop that character whole */
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* Display name of a source system or survey vendor: "zendesk" -> "Zendesk". */
static void display_name(const char *name, char *out, size_t outlen)
{
    static const char *const known[][2] = {
        {"salesforce", "Salesforce"}, {"hubspot", "HubSpot"},     {"zendesk", "Zendesk"},
        {"segment", "Segment"},       {"delighted", "Delighted"}, {"typeform", "Typeform"},
        {"qualtrics", "Qualtrics"},   {"surveymonkey", "SurveyMonkey"},
        {"wootric", "Wootric"},       {"asknicely", "AskNicely"}, {"satismeter", "SatisMeter"},
        {"intercom", "Intercom"},     {"debezium", "CRM database"}, {"conversation", "Call"},
        {NULL, NULL}};
    for (size_t i = 0; known[i][0] != NULL; i++) {
        if (strcasecmp(known[i][0], name) == 0) {
            snprintf(out, outlen, "%s", known[i][1]);
            return;
        }
    }
    snprintf(out, outlen, "%s", name);
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
}

/* ==== Rules (the "signals" config section) ==== */

static double rule_nps_warning_max(const json_t *rules)
{
    const json_t *v = json_object_get(rules, "nps_warning_max");
    return json_is_number(v) ? json_number_value(v) : 6.0;
}

static int rule_ticket_priority_warns(const json_t *rules, const char *priority)
{
    if (priority == NULL)
        return 0;
    const json_t *list = json_object_get(rules, "ticket_warning_priorities");
    if (!json_is_array(list))
        return strcasecmp(priority, "high") == 0 || strcasecmp(priority, "urgent") == 0;
    size_t i;
    const json_t *p;
    json_array_foreach(list, i, p) {
        if (json_is_string(p) && strcasecmp(json_string_value(p), priority) == 0)
            return 1;
    }
    return 0;
}

static size_t rule_quote_max(const json_t *rules)
{
    const json_t *v = json_object_get(rules, "evidence_max_quote");
    if (json_is_integer(v) && json_integer_value(v) >= 8 && json_integer_value(v) <= 4096)
        return (size_t)json_integer_value(v);
    return 120;
}

revos_status revos_norm_rules_check(const json_t *config, revos_err *err)
{
    const json_t *rules = json_object_get(config, "signals");
    if (rules == NULL)
        return REVOS_OK;
    if (!json_is_object(rules))
        return revos_reject(err, "config", "signals: expected an object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)rules, key, v) {
        if (strcmp(key, "doc") == 0 || key[0] == '_')
            continue;
        if (strcmp(key, "nps_warning_max") == 0) {
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 10)
                return revos_reject(err, "config", "signals.nps_warning_max: expected a number in 0..10");
        } else if (strcmp(key, "evidence_max_quote") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 8 || json_integer_value(v) > 4096)
                return revos_reject(err, "config",
                                    "signals.evidence_max_quote: expected an integer in 8..4096");
        } else if (strcmp(key, "ticket_warning_priorities") == 0) {
            size_t i;
            const json_t *p;
            if (!json_is_array(v))
                return revos_reject(err, "config",
                                    "signals.ticket_warning_priorities: expected an array of priorities");
            json_array_foreach(v, i, p) {
                if (!json_is_string(p))
                    return revos_reject(err, "config",
                                        "signals.ticket_warning_priorities[%zu]: expected a priority name", i);
            }
        } else if (strcmp(key, "call_negative_sentiment_max") == 0) {
            if (!json_is_number(v) || json_number_value(v) < -1 || json_number_value(v) > 1)
                return revos_reject(err, "config",
                                    "signals.call_negative_sentiment_max: expected a number in -1..1");
        } else if (strcmp(key, "handoff_required_fields") == 0) {
            const char *type;
            const json_t *fields;
            if (!json_is_object(v))
                return revos_reject(err, "config",
                                    "signals.handoff_required_fields: expected {handoff type: [fields]}");
            json_object_foreach((json_t *)v, type, fields) {
                size_t i;
                const json_t *f;
                if (!json_is_array(fields))
                    return revos_reject(err, "config",
                                        "signals.handoff_required_fields.%.64s: expected an array", type);
                json_array_foreach(fields, i, f) {
                    if (!json_is_string(f))
                        return revos_reject(err, "config",
                                            "signals.handoff_required_fields.%.64s[%zu]: expected a field name",
                                            type, i);
                }
            }
        } else {
            return revos_reject(err, "config", "signals.%.64s: unknown key", key);
        }
    }
    return REVOS_OK;
}

static double rule_call_sentiment_warning(const json_t *rules)
{
    const json_t *v = json_object_get(rules, "call_negative_sentiment_max");
    return json_is_number(v) ? json_number_value(v) : -0.3;
}

/* The fields a handoff type requires: the rules' list, else the default. */
static size_t rule_handoff_required(const json_t *rules, const char *type, const char **out,
                                    size_t max)
{
    static const char *const ae_to_csm[] = {"buying_criteria", "champion_map",
                                            "procurement_timeline", "known_risks",
                                            "open_commitments", NULL};
    static const char *const csm_to_support[] = {"known_risks", "open_commitments",
                                                 "related_signals", NULL};
    static const char *const sdr_to_ae[] = {"buying_criteria", "champion_map", "related_signals",
                                            NULL};
    size_t n = 0;
    const json_t *list = json_object_get(json_object_get(rules, "handoff_required_fields"), type);
    if (json_is_array(list)) {
        size_t i;
        const json_t *f;
        json_array_foreach(list, i, f) {
            if (json_is_string(f) && n < max)
                out[n++] = json_string_value(f);
        }
        return n;
    }
    const char *const *d = strcmp(type, "ae_to_csm") == 0        ? ae_to_csm
                           : strcmp(type, "csm_to_support") == 0 ? csm_to_support
                           : strcmp(type, "sdr_to_ae") == 0      ? sdr_to_ae
                                                                 : NULL;
    for (; d != NULL && *d != NULL && n < max; d++)
        out[n++] = *d;
    return n;
}

/* ==== Validation ==== */

static int strings_clean(const json_t *map)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)map, key, v) {
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return 0;
    }
    return 1;
}

static revos_status need_id(const json_t *event, const char *kind, const char *key,
                            revos_err *err)
{
    if (id_of(event, key) == NULL)
        return revos_reject(err, "validation", "%s event without ids.%s", kind, key);
    return REVOS_OK;
}

static revos_status need_one_id(const json_t *event, const char *kind, const char *const *keys,
                                revos_err *err)
{
    if (first_id(event, keys) == NULL)
        return revos_reject(err, "validation", "%s event without ids.%s (or %s, %s)", kind,
                            keys[0], keys[1], keys[2]);
    return REVOS_OK;
}

static revos_status need_attr(const json_t *event, const char *kind, const char *key,
                              revos_err *err)
{
    if (attr(event, key) == NULL)
        return revos_reject(err, "validation", "%s event without attributes.%s", kind, key);
    return REVOS_OK;
}

revos_status revos_norm_validate(const json_t *event, revos_err *err)
{
    if (!json_is_object(event))
        return revos_reject(err, "validation", "SourceEvent is not an object");
    static const char *const text_fields[] = {"event_id", "source", "kind", "action",
                                              "raw_topic", NULL};
    for (size_t i = 0; text_fields[i] != NULL; i++) {
        const json_t *v = json_object_get(event, text_fields[i]);
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return revos_reject(err, "validation", "SourceEvent without a text %s",
                                text_fields[i]);
    }
    if (json_string_length(json_object_get(event, "event_id")) == 0)
        return revos_reject(err, "validation", "SourceEvent with an empty event_id");
    static const char *const int_fields[] = {"occurred_at", "raw_partition", "raw_offset", NULL};
    for (size_t i = 0; int_fields[i] != NULL; i++) {
        if (!json_is_integer(json_object_get(event, int_fields[i])))
            return revos_reject(err, "validation", "SourceEvent without an integer %s",
                                int_fields[i]);
    }
    const char *kind = json_string_value(json_object_get(event, "kind"));
    if (!revos_norm_kind_known(kind))
        return revos_reject(err, "validation", "unknown SourceEvent kind \"%.64s\"", kind);
    const json_t *ids = json_object_get(event, "ids");
    const json_t *attributes = json_object_get(event, "attributes");
    if (!json_is_object(ids) || !strings_clean(ids))
        return revos_reject(err, "validation", "%s event: ids is not a map of strings", kind);
    if (!json_is_object(attributes) || !strings_clean(attributes))
        return revos_reject(err, "validation", "%s event: attributes is not a map of strings",
                            kind);

    revos_status st = REVOS_OK;
    double d;
    if (strcmp(kind, "crm.account") == 0) {
        st = need_one_id(event, kind, account_keys, err);
    } else if (strcmp(kind, "crm.opportunity") == 0) {
        st = need_one_id(event, kind, opportunity_keys, err);
    } else if (strcmp(kind, "crm.contact") == 0) {
        st = need_one_id(event, kind, contact_keys, err);
    } else if (strcmp(kind, "usage.track") == 0) {
        st = need_attr(event, kind, "event", err);
        const char *q = attr(event, "quantity");
        if (st == REVOS_OK && q != NULL && !parse_number(q, &d))
            st = revos_reject(err, "validation", "usage.track quantity \"%.32s\" is not a number",
                              q);
    } else if (strcmp(kind, "usage.group") == 0) {
        st = need_id(event, kind, "segment_group", err);
    } else if (strcmp(kind, "usage.identify") == 0) {
        st = need_id(event, kind, "segment_user", err);
    } else if (strcmp(kind, "support.ticket") == 0) {
        st = need_attr(event, kind, "ticket_id", err);
    } else if (strcmp(kind, "support.organization") == 0) {
        static const char *const org_keys[] = {"zendesk_org", "intercom_company", NULL};
        if (first_id(event, org_keys) == NULL)
            st = revos_reject(err, "validation",
                              "support.organization event without ids.zendesk_org (or "
                              "intercom_company)");
    } else if (strcmp(kind, "support.contact") == 0) {
        st = need_id(event, kind, "intercom_contact", err);
    } else if (strcmp(kind, "conversation.call") == 0) {
        st = need_attr(event, kind, "call_id", err);
        static const char *const numbers[] = {"duration_seconds", "competitor_mentions",
                                              "sentiment", NULL};
        for (size_t i = 0; st == REVOS_OK && numbers[i] != NULL; i++) {
            const char *v = attr(event, numbers[i]);
            if (v != NULL && !parse_number(v, &d))
                st = revos_reject(err, "validation", "conversation.call %s \"%.32s\" is not a number",
                                  numbers[i], v);
        }
    } else if (strcmp(kind, "handoff.event") == 0) {
        static const char *const needed[] = {"handoff_id", "type", "status", NULL};
        for (size_t i = 0; st == REVOS_OK && needed[i] != NULL; i++)
            st = need_attr(event, kind, needed[i], err);
    } else if (strcmp(kind, "nps.response") == 0) {
        const char *s = attr(event, "score");
        if (!parse_number(s, &d) || d < 0 || d > 10)
            st = revos_reject(err, "validation",
                              "nps.response score \"%.32s\" is not a number from 0 to 10",
                              s ? s : "");
    }
    return st;
}

/* ==== Records ==== */

static int put_str(json_t *obj, const char *key, const char *value)
{
    if (value == NULL)
        return 0;
    return json_object_set_new(obj, key, json_string(value));
}

/* Copies the named attributes that are present. */
static int copy_attrs(json_t *dst, const json_t *event, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (put_str(dst, names[i], attr(event, names[i])) != 0)
            return -1;
    return 0;
}

/* Builds one Signal, id "sig:<event_id>" or, for a second signal of the
 * same event, "sig:<event_id>:<suffix>"; takes ownership of attributes.
 * NULL on OOM. A new suffix goes into revos_log_trace_of_signal's list
 * (common/log/log.c) too, so log lines trace the signal to its event. */
static json_t *signal_new_as(const json_t *event, const char *suffix, const char *account_id,
                             const char *family, const char *type, const char *severity,
                             const double *value, json_t *attributes, const char *evidence)
{
    const char *event_id = json_string_value(json_object_get(event, "event_id"));
    size_t idlen = strlen(event_id) + 6 + (suffix ? strlen(suffix) : 0);
    char *signal_id = malloc(idlen);
    if (signal_id == NULL || attributes == NULL || evidence == NULL) {
        free(signal_id);
        json_decref(attributes);
        return NULL;
    }
    snprintf(signal_id, idlen, "sig:%s%s%s", event_id, suffix ? ":" : "", suffix ? suffix : "");
    json_t *sig = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:O, s:o, s:o, s:s, s:s, s:O, s:O, s:O, s:O}",
        "signal_id", signal_id, "account_id", account_id, "family", family, "type", type,
        "severity", severity, "occurred_at", json_object_get(event, "occurred_at"), "value",
        value != NULL ? json_real(*value) : json_null(), "attributes", attributes, "evidence",
        evidence, "source_event_id", event_id, "source", json_object_get(event, "source"),
        "source_topic", json_object_get(event, "raw_topic"), "source_partition",
        json_object_get(event, "raw_partition"), "source_offset",
        json_object_get(event, "raw_offset"));
    free(signal_id);
    return sig;
}

static json_t *signal_new(const json_t *event, const char *account_id, const char *family,
                          const char *type, const char *severity, const double *value,
                          json_t *attributes, const char *evidence)
{
    return signal_new_as(event, NULL, account_id, family, type, severity, value, attributes,
                         evidence);
}

static int push_signal(json_t *signals, json_t *sig)
{
    if (sig == NULL)
        return -1;
    return json_array_append_new(signals, sig);
}

static const char *action_of(const json_t *event)
{
    return json_string_value(json_object_get(event, "action"));
}

static int action_is(const json_t *event, const char *action)
{
    return strcmp(action_of(event), action) == 0;
}

/* ---- crm.account ---- */

static int map_account(const json_t *event, const char *account_id, json_t *signals)
{
    static const char *const names[] = {"name", "ae", "csm", "csm_lead", "arr", "segment", "product_line", NULL};
    json_t *attributes = json_object();
    if (attributes == NULL || copy_attrs(attributes, event, names) != 0 ||
        put_str(attributes, "domain", id_of(event, "domain")) != 0) {
        json_decref(attributes);
        return -1;
    }
    const char *name = attr(event, "name");
    const char *who = name ? name : first_id(event, account_keys);
    double arr;
    int has_arr = parse_number(attr(event, "arr"), &arr);

    text_buf tb = {NULL, 0, 0, 1};
    if (action_is(event, "delete")) {
        tb_add(&tb, "Account %s deleted in CRM", who);
    } else {
        tb_add(&tb, "Account %s profile", who);
        const char *sep = ": ";
        if (has_arr) {
            char money[64];
            format_money(arr, money, sizeof money);
            tb_add(&tb, "%sARR %s", sep, money);
            sep = ", ";
        }
        static const char *const parts[][2] = {
            {"segment", "segment"}, {"product_line", "product line"}, {"ae", "AE"}, {"csm", "CSM"},
            {"csm_lead", "CSM lead"}, {NULL, NULL}};
        for (size_t i = 0; parts[i][0] != NULL; i++) {
            const char *v = attr(event, parts[i][0]);
            if (v != NULL) {
                tb_add(&tb, "%s%s %s", sep, parts[i][1], v);
                sep = ", ";
            }
        }
        if (strcmp(sep, ": ") == 0)
            tb_add(&tb, " updated");
    }
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    int rc = push_signal(signals, signal_new(event, account_id, "institutional",
                                             "account_profile", "info",
                                             has_arr ? &arr : NULL, attributes, tb.s));
    free(tb.s);
    return rc;
}

/* ---- crm.opportunity ---- */

static int map_opportunity(const json_t *event, const char *account_id, json_t *signals,
                           json_t **outcome)
{
    static const char *const names[] = {"close_date", "stage", "is_closed", "is_won", "amount",
                                        NULL};
    const char *opp = first_id(event, opportunity_keys);
    int renewal = is_true(attr(event, "renewal"));
    int closed = is_true(attr(event, "is_closed"));
    int won = is_true(attr(event, "is_won"));
    const char *stage = attr(event, "stage");
    const char *close_date = attr(event, "close_date");
    double amount;
    int has_amount = parse_number(attr(event, "amount"), &amount);

    json_t *attributes = json_object();
    if (attributes == NULL || put_str(attributes, "opportunity_id", opp) != 0 ||
        copy_attrs(attributes, event, names) != 0) {
        json_decref(attributes);
        return -1;
    }

    text_buf tb = {NULL, 0, 0, 1};
    tb_add(&tb, "%s %s", renewal ? "Renewal opportunity" : "Opportunity", opp);
    if (action_is(event, "delete")) {
        tb_add(&tb, " deleted");
    } else {
        if (has_amount) {
            char money[64];
            format_money(amount, money, sizeof money);
            tb_add(&tb, " %s", money);
        }
        if (closed)
            tb_add(&tb, " closed %s", stage ? stage : (won ? "won" : "lost"));
        else if (close_date != NULL)
            tb_add(&tb, " closing %s", close_date);
        else if (stage != NULL)
            tb_add(&tb, " at stage %s", stage);
        else if (!has_amount)
            tb_add(&tb, " updated");
    }
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    int rc = push_signal(signals,
                         signal_new(event, account_id, renewal ? "procurement" : "expansion",
                                    renewal ? "renewal_opportunity" : "opportunity", "info",
                                    has_amount ? &amount : NULL, attributes, tb.s));
    free(tb.s);
    if (rc != 0 || !renewal || !closed || action_is(event, "delete"))
        return rc;

    /* A closed renewal is also a CRM renewal result. */
    text_buf id = {NULL, 0, 0, 1}, note = {NULL, 0, 0, 1};
    if (id_of(event, "salesforce_opportunity") != NULL)
        tb_add(&id, "crm:%s:closed", opp);
    else
        tb_add(&id, "crm:%s:%s:closed", json_string_value(json_object_get(event, "source")), opp);
    tb_add(&note, "Renewal opportunity %s closed %s", opp, stage ? stage : (won ? "won" : "lost"));
    if (id.ok && note.ok)
        *outcome = json_pack("{s:s, s:s, s:s, s:s, s:n, s:n, s:n, s:s, s:O, s:s}", "outcome_id",
                             id.s, "kind", "crm_renewal", "result", won ? "renewed" : "churned",
                             "account_id", account_id, "play_id", "task_id", "page_id", "actor",
                             "crm", "occurred_at", json_object_get(event, "occurred_at"), "note",
                             note.s);
    free(id.s);
    free(note.s);
    return *outcome != NULL ? 0 : -1;
}

/* ---- crm.contact_role ---- */

static int map_contact_role(const json_t *event, const char *account_id, json_t *signals)
{
    static const char *const names[] = {"role", "role_class", "is_primary", "contact_role_id",
                                        NULL};
    const char *contact = first_id(event, contact_keys);
    const char *opp = first_id(event, opportunity_keys);
    const char *role = attr(event, "role");
    const char *role_class = attr(event, "role_class");
    const char *action = action_of(event);

    json_t *attributes = json_object();
    if (attributes == NULL || put_str(attributes, "contact_id", contact) != 0 ||
        put_str(attributes, "opportunity_id", opp) != 0 ||
        copy_attrs(attributes, event, names) != 0 || put_str(attributes, "action", action) != 0) {
        json_decref(attributes);
        return -1;
    }

    text_buf tb = {NULL, 0, 0, 1};
    if (contact != NULL)
        tb_add(&tb, "Contact %s", contact);
    else
        tb_add(&tb, "A contact");
    const char *role_text = role ? role : "a contact role";
    if (strcmp(action, "delete") == 0)
        tb_add(&tb, " removed as %s", role_text);
    else if (strcmp(action, "create") == 0)
        tb_add(&tb, " added as %s", role_text);
    else
        tb_add(&tb, " is now %s", role_text);
    int champion = role_class && strcmp(role_class, "champion") == 0;
    int buyer = role_class && strcmp(role_class, "economic_buyer") == 0;
    int primary = is_true(attr(event, "is_primary"));
    if (champion || buyer || primary)
        tb_add(&tb, " (%s%s%s)", champion ? "champion" : buyer ? "economic buyer" : "",
               (champion || buyer) && primary ? ", " : "", primary ? "primary" : "");
    if (opp != NULL)
        tb_add(&tb, " %s opportunity %s", strcmp(action, "delete") == 0 ? "from" : "on", opp);
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    int rc = push_signal(signals, signal_new(event, account_id, "stakeholder", "contact_role",
                                             "info", NULL, attributes, tb.s));
    free(tb.s);
    return rc;
}

/* ---- crm.contact ---- */

static int map_contact(const json_t *event, const char *account_id, json_t *signals)
{
    const char *contact = first_id(event, contact_keys);
    const char *email = id_of(event, "email");
    const char *name = attr(event, "name");
    const char *title = attr(event, "title");
    json_t *attributes = json_object();
    if (attributes == NULL || put_str(attributes, "contact_id", contact) != 0 ||
        put_str(attributes, "title", title) != 0 || put_str(attributes, "email", email) != 0 ||
        put_str(attributes, "name", name) != 0) {
        json_decref(attributes);
        return -1;
    }
    const char *action = action_of(event);
    text_buf tb = {NULL, 0, 0, 1};
    tb_add(&tb, "Contact %s", name ? name : contact);
    if (title != NULL)
        tb_add(&tb, " (%s)", title);
    if (email != NULL)
        tb_add(&tb, " %s", email);
    tb_add(&tb, " %s", strcmp(action, "create") == 0   ? "added"
                       : strcmp(action, "delete") == 0 ? "removed"
                                                       : "updated");
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    int rc = push_signal(signals, signal_new(event, account_id, "stakeholder", "contact", "info",
                                             NULL, attributes, tb.s));
    free(tb.s);
    return rc;
}

/* ---- usage.track ---- */

static int map_track(const json_t *event, const char *account_id, json_t *signals)
{
    const char *name = attr(event, "event");
    const char *user = id_of(event, "segment_user");
    double quantity = 1.0;
    parse_number(attr(event, "quantity"), &quantity); /* validated when present */
    json_t *attributes = json_object();
    if (attributes == NULL || put_str(attributes, "event", name) != 0 ||
        put_str(attributes, "user", user) != 0) {
        json_decref(attributes);
        return -1;
    }
    text_buf tb = {NULL, 0, 0, 1};
    tb_add(&tb, "Product event '%s'", name);
    if (user != NULL)
        tb_add(&tb, " by user %s", user);
    if (quantity != 1.0) {
        char q[32];
        format_number(quantity, q, sizeof q);
        tb_add(&tb, " (x%s)", q);
    }
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    int rc = push_signal(signals, signal_new(event, account_id, "usage", "product_usage", "info",
                                             &quantity, attributes, tb.s));
    free(tb.s);
    return rc;
}

/* ---- support.ticket ---- */

static int map_ticket(const json_t *event, const char *account_id, const json_t *rules,
                      json_t *signals)
{
    static const char *const names[] = {"ticket_id", "status", "priority", "subject", "event",
                                        NULL};
    const char *ticket = attr(event, "ticket_id");
    const char *what = attr(event, "event");
    const char *status = attr(event, "status");
    const char *priority = attr(event, "priority");
    int opened = what != NULL && strcmp(what, "created") == 0;
    json_t *attributes = json_object();
    if (attributes == NULL || copy_attrs(attributes, event, names) != 0) {
        json_decref(attributes);
        return -1;
    }
    char system[64];
    display_name(json_string_value(json_object_get(event, "source")), system, sizeof system);
    text_buf tb = {NULL, 0, 0, 1};
    tb_add(&tb, "%s ticket %s", system, ticket);
    if (opened) {
        tb_add(&tb, " opened");
        if (priority != NULL)
            tb_add(&tb, " (priority %s)", priority);
    } else if (what != NULL && strcmp(what, "status_changed") == 0 && status != NULL) {
        tb_add(&tb, " status changed to %s", status);
    } else if (what != NULL && strcmp(what, "priority_changed") == 0 && priority != NULL) {
        tb_add(&tb, " priority changed to %s", priority);
    } else {
        tb_add(&tb, " updated");
        if (what != NULL)
            tb_add(&tb, " (%s)", what);
        if (status != NULL)
            tb_add(&tb, ", status %s", status);
    }
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    const char *severity =
        opened && rule_ticket_priority_warns(rules, priority) ? "warning" : "info";
    int rc = push_signal(signals, signal_new(event, account_id, "health",
                                             opened ? "ticket_opened" : "ticket_updated", severity,
                                             NULL, attributes, tb.s));
    free(tb.s);
    return rc;
}

/* ---- nps.response, nps.decline ---- */

static int map_nps(const json_t *event, const char *account_id, const json_t *rules,
                   json_t *signals, int declined)
{
    const char *vendor = attr(event, "vendor");
    const char *comment = attr(event, "comment");
    const char *email = id_of(event, "email");
    double score = 0;
    if (!declined)
        parse_number(attr(event, "score"), &score); /* validated */
    json_t *attributes = json_object();
    if (attributes == NULL || put_str(attributes, "vendor", vendor) != 0 ||
        (!declined && put_str(attributes, "comment", comment) != 0) ||
        put_str(attributes, "email", email) != 0 ||
        put_str(attributes, "response_id", attr(event, "response_id")) != 0) {
        json_decref(attributes);
        return -1;
    }
    char vendor_name[64] = "";
    if (vendor != NULL)
        display_name(vendor, vendor_name, sizeof vendor_name);
    text_buf tb = {NULL, 0, 0, 1};
    if (declined) {
        tb_add(&tb, "NPS survey declined");
        if (email != NULL)
            tb_add(&tb, " by %s", email);
    } else {
        char num[32];
        format_number(score, num, sizeof num);
        tb_add(&tb, "NPS %s", num);
        if (email != NULL)
            tb_add(&tb, " from %s", email);
    }
    if (vendor != NULL)
        tb_add(&tb, " (%s)", vendor_name);
    if (!declined && comment != NULL) {
        char *quote = quote_text(comment, rule_quote_max(rules));
        if (quote == NULL)
            tb.ok = 0;
        else if (quote[0] != '\0')
            tb_add(&tb, ": '%s'", quote);
        free(quote);
    }
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    const char *severity = !declined && score <= rule_nps_warning_max(rules) ? "warning" : "info";
    int rc = push_signal(signals,
                         signal_new(event, account_id, "engagement",
                                    declined ? "nps_declined" : "nps_response", severity,
                                    declined ? NULL : &score, attributes, tb.s));
    free(tb.s);
    return rc;
}

/* ---- conversation.call ---- */

static int map_call(const json_t *event, const char *account_id, const json_t *rules,
                    json_t *signals)
{
    static const char *const names[] = {"call_id", "title", "duration_seconds", "scope",
                                        "participants", "external_participants",
                                        "competitor_mentions", "competitors", "sentiment", NULL};
    double seconds = 0, mentions = 0, sentiment = 0;
    int has_duration = parse_number(attr(event, "duration_seconds"), &seconds);
    parse_number(attr(event, "competitor_mentions"), &mentions);
    int has_sentiment = parse_number(attr(event, "sentiment"), &sentiment);
    const char *title = attr(event, "title");
    const char *external = attr(event, "external_participants");
    double minutes = has_duration ? round(seconds / 6.0) / 10.0 : 0;

    json_t *attributes = json_object();
    if (attributes == NULL || copy_attrs(attributes, event, names) != 0) {
        json_decref(attributes);
        return -1;
    }
    text_buf tb = {NULL, 0, 0, 1};
    tb_add(&tb, "Call");
    if (title != NULL)
        tb_add(&tb, " '%s'", title);
    if (has_duration) {
        char num[32];
        format_number(minutes, num, sizeof num);
        tb_add(&tb, " (%s min", num);
        if (external != NULL)
            tb_add(&tb, ", %s external participant%s", external, strcmp(external, "1") ? "s" : "");
        tb_add(&tb, ")");
    }
    if (has_sentiment) {
        char num[32];
        format_number(sentiment, num, sizeof num);
        tb_add(&tb, ", sentiment %s", num);
    }
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    const char *severity =
        has_sentiment && sentiment <= rule_call_sentiment_warning(rules) ? "warning" : "info";
    int rc = push_signal(signals, signal_new(event, account_id, "engagement", "call_held",
                                             severity, has_duration ? &minutes : NULL,
                                             attributes, tb.s));
    free(tb.s);
    if (rc != 0 || mentions <= 0)
        return rc;

    const char *competitors = attr(event, "competitors");
    json_t *cattrs = json_object();
    if (cattrs == NULL || put_str(cattrs, "competitors", competitors) != 0 ||
        put_str(cattrs, "call_id", attr(event, "call_id")) != 0) {
        json_decref(cattrs);
        return -1;
    }
    text_buf ev = {NULL, 0, 0, 1};
    char num[32];
    format_number(mentions, num, sizeof num);
    tb_add(&ev, "%s competitor mention%s on a call", num, mentions == 1 ? "" : "s");
    if (competitors != NULL)
        tb_add(&ev, " (%s)", competitors);
    if (title != NULL)
        tb_add(&ev, ": '%s'", title);
    if (!ev.ok) {
        free(ev.s);
        json_decref(cattrs);
        return -1;
    }
    rc = push_signal(signals, signal_new_as(event, "competitor", account_id, "risk",
                                            "competitor_mentioned", "warning", &mentions, cattrs,
                                            ev.s));
    free(ev.s);
    return rc;
}

/* ---- handoff.event ---- */

#define HANDOFF_FIELDS_MAX 64

/* Whether name is one of the comma-joined list. */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* "buying_criteria" -> "buying criteria" into tb. */
static void add_field_words(text_buf *tb, const char *name)
{
    for (const char *p = name; *p; p++)
        tb_add(tb, "%c", *p == '_' ? ' ' : *p);
}

static int map_handoff(const json_t *event, const char *account_id, const json_t *rules,
                       json_t *signals)
{
    static const char *const names[] = {"handoff_id", "type", "status", "from_role", "from",
                                        "to_role", "to", "provided_fields", NULL};
    const char *id = attr(event, "handoff_id");
    const char *type = attr(event, "type");
    const char *status = attr(event, "status");
    const char *from = attr(event, "from"), *to = attr(event, "to");
    const char *from_role = attr(event, "from_role"), *to_role = attr(event, "to_role");
    const char *provided = attr(event, "provided_fields");

    json_t *attributes = json_object();
    if (attributes == NULL || copy_attrs(attributes, event, names) != 0) {
        json_decref(attributes);
        return -1;
    }
    text_buf tb = {NULL, 0, 0, 1};
    tb_add(&tb, "Handoff %s (%s) %s", id, type, status);
    if (from != NULL || from_role != NULL)
        tb_add(&tb, ": %s%s%s", from_role ? from_role : "", from_role && from ? " " : "",
               from ? from : "");
    if (to != NULL || to_role != NULL)
        tb_add(&tb, " -> %s%s%s", to_role ? to_role : "", to_role && to ? " " : "", to ? to : "");
    if (!tb.ok) {
        free(tb.s);
        json_decref(attributes);
        return -1;
    }
    int rc = push_signal(signals, signal_new(event, account_id, "stakeholder", "handoff", "info",
                                             NULL, attributes, tb.s));
    free(tb.s);
    if (rc != 0 || strcmp(status, "completed") != 0)
        return rc;

    /* Governance: a completed handoff must carry its type's required fields. */
    const char *required[HANDOFF_FIELDS_MAX];
    size_t n = rule_handoff_required(rules, type, required, HANDOFF_FIELDS_MAX);
    text_buf missing = {NULL, 0, 0, 1}, ev = {NULL, 0, 0, 1};
    double n_missing = 0;
    tb_add(&ev, "Handoff %s (%s) completed without ", id, type);
    for (size_t i = 0; i < n; i++) {
        if (listed(provided, required[i]))
            continue;
        tb_add(&missing, "%s%s", n_missing > 0 ? "," : "", required[i]);
        if (n_missing > 0)
            tb_add(&ev, ", ");
        add_field_words(&ev, required[i]);
        n_missing++;
    }
    if (n_missing == 0 || !missing.ok || !ev.ok) {
        int failed = !missing.ok || !ev.ok;
        free(missing.s);
        free(ev.s);
        return failed ? -1 : 0;
    }
    json_t *vattrs = json_object();
    if (vattrs == NULL || put_str(vattrs, "handoff_id", id) != 0 ||
        put_str(vattrs, "type", type) != 0 || put_str(vattrs, "missing_fields", missing.s) != 0 ||
        put_str(vattrs, "from", from) != 0 || put_str(vattrs, "to", to) != 0) {
        json_decref(vattrs);
        free(missing.s);
        free(ev.s);
        return -1;
    }
    rc = push_signal(signals, signal_new_as(event, "governance", account_id, "risk",
                                            "handoff_governance_violation", "warning", &n_missing,
                                            vattrs, ev.s));
    free(missing.s);
    free(ev.s);
    return rc;
}

revos_status revos_norm_map_event(const json_t *event, const char *account_id,
                                  const json_t *rules, json_t *signals, json_t **outcome,
                                  revos_err *err)
{
    *outcome = NULL;
    const char *kind = json_string_value(json_object_get(event, "kind"));
    int rc = 0;
    if (kind == NULL || revos_norm_kind_identity_only(kind))
        return REVOS_OK;
    if (strcmp(kind, "crm.account") == 0)
        rc = map_account(event, account_id, signals);
    else if (strcmp(kind, "crm.opportunity") == 0)
        rc = map_opportunity(event, account_id, signals, outcome);
    else if (strcmp(kind, "crm.contact_role") == 0)
        rc = map_contact_role(event, account_id, signals);
    else if (strcmp(kind, "crm.contact") == 0)
        rc = map_contact(event, account_id, signals);
    else if (strcmp(kind, "usage.track") == 0)
        rc = map_track(event, account_id, signals);
    else if (strcmp(kind, "support.ticket") == 0)
        rc = map_ticket(event, account_id, rules, signals);
    else if (strcmp(kind, "nps.response") == 0)
        rc = map_nps(event, account_id, rules, signals, 0);
    else if (strcmp(kind, "nps.decline") == 0)
        rc = map_nps(event, account_id, rules, signals, 1);
    else if (strcmp(kind, "conversation.call") == 0)
        rc = map_call(event, account_id, rules, signals);
    else if (strcmp(kind, "handoff.event") == 0)
        rc = map_handoff(event, account_id, rules, signals);
    if (rc != 0) {
        json_decref(*outcome);
        *outcome = NULL;
        return revos_fail(err, REVOS_ERR_FATAL, "normalize: out of memory mapping %s", kind);
    }
    return REVOS_OK;
}
