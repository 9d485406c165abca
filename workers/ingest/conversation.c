/* conversation.c -- conversation-intelligence call webhooks (Gong-style)
 * -> SourceEvents.
 *
 * The webhook body is {"callData": {...}, "isTest": false}; the call object
 * alone (as the calls API returns it) is accepted too:
 *     {"metaData": {"id", "started", "duration", "title", "scope", "direction", "system", ...},
 *      "context": [{"system": "Salesforce", "objects": [{"objectType": "Account",
 *                                                         "objectId": ..., "fields": [...]}]}],
 *      "parties": [{"emailAddress", "affiliation": "Internal" | "External" | "Unknown", ...}],
 *      "content": {"trackers": [{"name", "count", "type": "KEYWORD" | "SMART",
 *                                "phrases": [{"phrase", "count"}]}], ...}}
 * A test delivery (isTest true) is ignored.
 *
 *   conversation.call   ids: salesforce_account, salesforce_opportunity (the
 *                       CRM context's Account / Opportunity), hubspot_company,
 *                       hubspot_deal (a HubSpot context's Company / Deal), domain
 *                       (of the first external participant's email)
 *   attributes: call_id, title, duration_seconds, scope, direction, system,
 *               participants, internal_participants, external_participants,
 *               competitor_mentions, competitors, positive_mentions,
 *               negative_mentions, sentiment
 *
 * Competitors are the "conversation.competitors" list of the mapping; a
 * tracker whose name, or a tracker phrase that, equals one (ignoring case)
 * counts its mentions. competitors is the comma-joined names mentioned, in
 * the list's order. Sentiment comes from trackers named in
 * conversation.positive_trackers / negative_trackers:
 *     sentiment = (positive - negative) / (positive + negative), in [-1, 1],
 * to two decimals, absent when neither was heard. Call frequency is not a
 * fact of one call: it is counted downstream from these events.
 *
 * event_id is "conversation:" + metaData.id; occurred_at is metaData.started
 * (else scheduled). Bounds: parties at most conversation.max_parties (500),
 * trackers and context entries at most 1000, phrases per tracker 1000. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/domain.h"
#include "ingest/field.h"
#include "ingest/mapping.h"
#include "ingest/sources.h"

#define CALL_LIST_MAX 1000
#define CALL_NAMES_MAX 64 /* competitors or sentiment trackers in the mapping */

typedef struct call_names {
    const char *items[CALL_NAMES_MAX];
    size_t n;
} call_names;

static int name_index(const call_names *names, const char *s, size_t len)
{
    for (size_t i = 0; i < names->n; i++)
        if (strlen(names->items[i]) == len && strncasecmp(names->items[i], s, len) == 0)
            return (int)i;
    return -1;
}

static revos_status bounded_array(const revos_ingest_at *at, const json_t *obj, const char *key,
                                  size_t max, const json_t **out)
{
    INGEST_TRY(revos_ingest_array(at, obj, key, 0, out));
    if (json_array_size(*out) > max)
        return revos_reject(at->err, "validation", "%s: %s%s: %zu entries is above %zu",
                            at->source, at->prefix, key, json_array_size(*out), max);
    return REVOS_OK;
}

static revos_status count_of(const revos_ingest_at *at, const json_t *obj, json_int_t *out)
{
    const json_t *v = revos_ingest_get(obj, "count");
    *out = 0;
    if (v == NULL)
        return REVOS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
        return revos_ingest_expected(at, "count", "a count from 0 to 1000000");
    *out = json_integer_value(v);
    return REVOS_OK;
}

static revos_status set_int(json_t *event, const char *key, json_int_t n, revos_err *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, n);
    return revos_ingest_set_attr(event, key, buf, strlen(buf), err);
}

/* ==== Context: the CRM records the call is about ==== */

static revos_status context_ids(const revos_ingest_at *at, const json_t *call, json_t *event)
{
    const json_t *context;
    INGEST_TRY(bounded_array(at, call, "context", CALL_LIST_MAX, &context));
    size_t i, j;
    const json_t *entry, *object;
    json_array_foreach(context, i, entry) {
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%scontext[%zu].", at->prefix, i);
        revos_ingest_at entry_at = {at->source, prefix, at->err};
        if (!json_is_object(entry))
            return revos_reject(at->err, "validation", "conversation: %scontext[%zu]: expected object", at->prefix, i);
        revos_ingest_text system;
        const json_t *objects;
        INGEST_TRY(revos_ingest_string(&entry_at, entry, "system", 0, &system));
        INGEST_TRY(bounded_array(&entry_at, entry, "objects", CALL_LIST_MAX, &objects));
        int salesforce = system.s != NULL && strcasecmp(system.s, "Salesforce") == 0;
        int hubspot = system.s != NULL && strcasecmp(system.s, "HubSpot") == 0;
        json_array_foreach(objects, j, object) {
            char oprefix[128];
            snprintf(oprefix, sizeof oprefix, "%scontext[%zu].objects[%zu].", at->prefix, i, j);
            revos_ingest_at object_at = {at->source, oprefix, at->err};
            if (!json_is_object(object))
                return revos_reject(at->err, "validation",
                                    "conversation: %scontext[%zu].objects[%zu]: expected object", at->prefix, i, j);
            revos_ingest_text type, id;
            INGEST_TRY(revos_ingest_string(&object_at, object, "objectType", 1, &type));
            INGEST_TRY(revos_ingest_id(&object_at, object, "objectId", 1, &id));
            const char *key = NULL;
            if (salesforce && strcasecmp(type.s, "Account") == 0)
                key = "salesforce_account";
            else if (salesforce && strcasecmp(type.s, "Opportunity") == 0)
                key = "salesforce_opportunity";
            else if (hubspot && strcasecmp(type.s, "Company") == 0)
                key = "hubspot_company";
            else if (hubspot && strcasecmp(type.s, "Deal") == 0)
                key = "hubspot_deal";
            if (key != NULL && json_object_get(json_object_get(event, "ids"), key) == NULL)
                INGEST_TRY(revos_ingest_set_id_text(event, key, &id, at->err));
        }
    }
    return REVOS_OK;
}

/* ==== Parties ==== */

static revos_status parties(const json_t *mapping, const revos_ingest_at *at, const json_t *call,
                            json_t *event)
{
    size_t max;
    INGEST_TRY(revos_ingest_map_size(mapping, "conversation.max_parties", &max, at->err));
    const json_t *list;
    INGEST_TRY(bounded_array(at, call, "parties", max, &list));
    if (list == NULL)
        return REVOS_OK;
    json_int_t internal = 0, external = 0;
    int have_domain = 0;
    size_t i;
    const json_t *party;
    json_array_foreach(list, i, party) {
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%sparties[%zu].", at->prefix, i);
        revos_ingest_at party_at = {at->source, prefix, at->err};
        if (!json_is_object(party))
            return revos_reject(at->err, "validation", "conversation: %sparties[%zu]: expected object", at->prefix, i);
        revos_ingest_text affiliation, email;
        INGEST_TRY(revos_ingest_string(&party_at, party, "affiliation", 0, &affiliation));
        INGEST_TRY(revos_ingest_string(&party_at, party, "emailAddress", 0, &email));
        int is_internal = affiliation.s != NULL && strcasecmp(affiliation.s, "Internal") == 0;
        int is_external = affiliation.s != NULL && strcasecmp(affiliation.s, "External") == 0;
        internal += is_internal;
        external += is_external;
        char domain[REVOS_INGEST_DOMAIN_MAX];
        if (is_external && !have_domain && email.s != NULL &&
            revos_ingest_domain_from_email(email.s, email.len, domain) == 0) {
            /* the domain only: a participant's email is not the account's id */
            INGEST_TRY(revos_ingest_set_id(event, "domain", domain, strlen(domain), at->err));
            have_domain = 1;
        }
    }
    INGEST_TRY(set_int(event, "participants", (json_int_t)json_array_size(list), at->err));
    INGEST_TRY(set_int(event, "internal_participants", internal, at->err));
    return set_int(event, "external_participants", external, at->err);
}

/* ==== Trackers: competitors and sentiment ==== */

static revos_status load_names(const json_t *mapping, const char *path, call_names *names,
                               revos_err *err)
{
    return revos_ingest_map_list(mapping, path, names->items, CALL_NAMES_MAX, &names->n, err);
}

static revos_status trackers(const json_t *mapping, const revos_ingest_at *at, const json_t *call,
                             json_t *event)
{
    call_names competitors, positive, negative;
    INGEST_TRY(load_names(mapping, "conversation.competitors", &competitors, at->err));
    INGEST_TRY(load_names(mapping, "conversation.positive_trackers", &positive, at->err));
    INGEST_TRY(load_names(mapping, "conversation.negative_trackers", &negative, at->err));

    const json_t *content, *list;
    INGEST_TRY(revos_ingest_object(at, call, "content", 0, &content));
    char content_prefix[64];
    revos_ingest_at content_at;
    revos_ingest_at_sub(at, "content", content_prefix, sizeof content_prefix, &content_at);
    INGEST_TRY(bounded_array(&content_at, content, "trackers", CALL_LIST_MAX, &list));

    json_int_t per_competitor[CALL_NAMES_MAX] = {0};
    json_int_t mentions = 0, pos = 0, neg = 0;
    size_t i, j;
    const json_t *tracker, *phrase;
    json_array_foreach(list, i, tracker) {
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%strackers[%zu].", content_at.prefix, i);
        revos_ingest_at tracker_at = {at->source, prefix, at->err};
        if (!json_is_object(tracker))
            return revos_reject(at->err, "validation",
                                "conversation: %strackers[%zu]: expected object", content_at.prefix, i);
        revos_ingest_text name;
        json_int_t count;
        INGEST_TRY(revos_ingest_string(&tracker_at, tracker, "name", 1, &name));
        INGEST_TRY(count_of(&tracker_at, tracker, &count));
        if (name_index(&positive, name.s, name.len) >= 0)
            pos += count;
        if (name_index(&negative, name.s, name.len) >= 0)
            neg += count;
        int whole = name_index(&competitors, name.s, name.len);
        if (whole >= 0) {
            per_competitor[whole] += count;
            mentions += count;
            continue; /* its phrases are the same mentions */
        }
        const json_t *phrases;
        INGEST_TRY(bounded_array(&tracker_at, tracker, "phrases", CALL_LIST_MAX, &phrases));
        json_array_foreach(phrases, j, phrase) {
            char pprefix[128];
            snprintf(pprefix, sizeof pprefix, "%sphrases[%zu].", prefix, j);
            revos_ingest_at phrase_at = {at->source, pprefix, at->err};
            if (!json_is_object(phrase))
                return revos_reject(at->err, "validation",
                                    "conversation: %sphrases[%zu]: expected object", prefix, j);
            revos_ingest_text text;
            json_int_t n;
            INGEST_TRY(revos_ingest_string(&phrase_at, phrase, "phrase", 1, &text));
            INGEST_TRY(count_of(&phrase_at, phrase, &n));
            int k = name_index(&competitors, text.s, text.len);
            if (k >= 0) {
                per_competitor[k] += n;
                mentions += n;
            }
        }
    }
    revos_err *err = at->err;
    INGEST_TRY(set_int(event, "competitor_mentions", mentions, err));
    if (mentions > 0) {
        char joined[REVOS_INGEST_ATTR_MAX];
        size_t n = 0;
        for (size_t k = 0; k < competitors.n; k++) {
            if (per_competitor[k] == 0)
                continue;
            int w = snprintf(joined + n, sizeof joined - n, "%s%s", n ? "," : "",
                             competitors.items[k]);
            if (w < 0 || (size_t)w >= sizeof joined - n)
                break;
            n += (size_t)w;
        }
        INGEST_TRY(revos_ingest_set_attr(event, "competitors", joined, n, err));
    }
    INGEST_TRY(set_int(event, "positive_mentions", pos, err));
    INGEST_TRY(set_int(event, "negative_mentions", neg, err));
    if (pos + neg > 0) {
        double sentiment = round(100.0 * (double)(pos - neg) / (double)(pos + neg)) / 100.0;
        char buf[32];
        revos_ingest_double_text(sentiment, buf, sizeof buf);
        INGEST_TRY(revos_ingest_set_attr(event, "sentiment", buf, strlen(buf), err));
    }
    return REVOS_OK;
}

/* ==== Entry point ==== */

revos_status revos_ingest_conversation(const json_t *mapping, const revos_raw_meta *meta,
                                       const json_t *root, json_t *out, revos_err *err)
{
    revos_ingest_at at = {"conversation", "", err};
    const json_t *call = root;
    if (json_object_get(root, "callData") != NULL) {
        const json_t *is_test = json_object_get(root, "isTest");
        if (is_test != NULL && !json_is_boolean(is_test))
            return revos_ingest_expected(&at, "isTest", "boolean");
        if (json_is_true(is_test))
            return REVOS_OK; /* the provider's test delivery */
        INGEST_TRY(revos_ingest_object(&at, root, "callData", 1, &call));
        at.prefix = "callData.";
    }
    const json_t *md;
    char md_prefix[32];
    revos_ingest_at md_at;
    INGEST_TRY(revos_ingest_object(&at, call, "metaData", 1, &md));
    revos_ingest_at_sub(&at, "metaData", md_prefix, sizeof md_prefix, &md_at);

    revos_ingest_text id, t;
    int64_t started;
    int found;
    INGEST_TRY(revos_ingest_id(&md_at, md, "id", 1, &id));
    INGEST_TRY(revos_ingest_time(&md_at, md, "started", 0, &started, &found));
    if (!found)
        INGEST_TRY(revos_ingest_time(&md_at, md, "scheduled", 1, &started, NULL));
    const json_t *duration = revos_ingest_get(md, "duration");
    if (duration != NULL && (!json_is_number(duration) || json_number_value(duration) < 0 ||
                             json_number_value(duration) > 86400.0 * 7))
        return revos_ingest_expected(&md_at, "duration", "seconds, from 0 to a week");

    char event_id[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_event_idf(&at, event_id, "conversation:%s", id.s));
    json_t *event = revos_ingest_event_new(meta, event_id, "conversation.call", "event", started);
    if (event == NULL)
        return revos_ingest_oom(err);

    revos_status st = revos_ingest_set_attr_text(event, "call_id", &id, err);
    static const char *const fields[][2] = {{"title", "title"}, {"scope", "scope"},
                                            {"direction", "direction"}, {"system", "system"}};
    for (size_t i = 0; st == REVOS_OK && i < sizeof fields / sizeof fields[0]; i++) {
        st = revos_ingest_scalar(&md_at, md, fields[i][0], 0, &t);
        if (st == REVOS_OK)
            st = revos_ingest_set_attr_text(event, fields[i][1], &t, err);
    }
    if (st == REVOS_OK && duration != NULL) {
        char buf[32];
        revos_ingest_double_text(round(json_number_value(duration)), buf, sizeof buf);
        st = revos_ingest_set_attr(event, "duration_seconds", buf, strlen(buf), err);
    }
    if (st == REVOS_OK)
        st = context_ids(&at, call, event);
    if (st == REVOS_OK)
        st = parties(mapping, &at, call, event);
    if (st == REVOS_OK)
        st = trackers(mapping, &at, call, event);
    if (st != REVOS_OK) {
        json_decref(event);
        return st;
    }
    return revos_ingest_append(out, event, err);
}
