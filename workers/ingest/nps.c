/* nps.c -- NPS survey webhooks (Delighted, Wootric) -> SourceEvents.
 *
 *   Delighted  {"event_type": "survey_response.created|updated", "event_id": "...",
 *               "event_data": {"id", "person": {"email"}, "score": 9, "comment",
 *                              "created_at"/"updated_at": epoch seconds,
 *                              "person_properties": {...}}}
 *              other event types are ignored.
 *   Wootric    {"event_name": "created|updated", "response": {"id", "email",
 *               "score": "10" (a string), "text", "end_user_properties",
 *               "created_at"/"updated_at": "2018-03-28 15:11:55 -0700"}}
 *              or the same with "decline": {...} (the user dismissed the survey).
 *
 *   nps.response / nps.decline   ids: email, domain, salesforce_account
 *                                attributes: vendor, score, comment, response_id
 *
 * event_id: "delighted:" + event_id (else + response id + ":" + occurred_at),
 * "wootric:" + response id + ":" + event_name + ":" + occurred_at (declines:
 * "wootric:decline:" + ...: their ids are another sequence). occurred_at is
 * updated_at, else created_at, in ms. */
#include <stdio.h>
#include <string.h>

#include "ingest/field.h"
#include "ingest/mapping.h"
#include "ingest/sources.h"

/* A score 0-10, as an integer or a string of digits; written as text. */
static revos_status read_score(const revos_ingest_at *at, const json_t *obj, char out[3])
{
    const json_t *v = revos_ingest_get(obj, "score");
    long score = -1;
    if (v == NULL)
        return revos_ingest_missing(at, "score");
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        score = (i >= 0 && i <= 10) ? (long)i : -1;
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len >= 1 && len <= 2) {
            score = 0;
            for (size_t i = 0; i < len; i++)
                score = (s[i] >= '0' && s[i] <= '9') ? score * 10 + (s[i] - '0') : -100;
        }
    }
    if (score < 0 || score > 10)
        return revos_ingest_expected(at, "score", "a score 0-10 (integer or numeric string)");
    snprintf(out, 3, "%ld", score);
    return REVOS_OK;
}

/* ids.salesforce_account = props[the mapped property]. */
static revos_status account_from(const json_t *mapping, json_t *event, const revos_ingest_at *at,
                                 const json_t *obj, const char *key)
{
    const json_t *props;
    const char *name;
    char prefix[96];
    revos_ingest_at props_at;
    revos_ingest_text t;
    INGEST_TRY(revos_ingest_object(at, obj, key, 0, &props));
    INGEST_TRY(revos_ingest_map_string(mapping, "nps.account_property", &name, at->err));
    if (props == NULL || name == NULL)
        return REVOS_OK;
    revos_ingest_at_sub(at, key, prefix, sizeof prefix, &props_at);
    INGEST_TRY(revos_ingest_id(&props_at, props, name, 0, &t));
    return revos_ingest_set_id_text(event, "salesforce_account", &t, at->err);
}

/* updated_at, else created_at (required). */
static revos_status occurred(const revos_ingest_at *at, const json_t *obj, int64_t *ms)
{
    int found;
    INGEST_TRY(revos_ingest_time(at, obj, "updated_at", 0, ms, &found));
    if (found)
        return REVOS_OK;
    return revos_ingest_time(at, obj, "created_at", 1, ms, NULL);
}

/* The attributes and ids common to both vendors. */
typedef struct nps_fields {
    const char *vendor;
    const char *score;   /* NULL for a decline */
    const revos_ingest_text *comment;
    const revos_ingest_text *response_id;
    const revos_ingest_text *email;
} nps_fields;

static revos_status fill(json_t *event, const nps_fields *f, revos_err *err)
{
    INGEST_TRY(revos_ingest_set_email(event, f->email, err));
    INGEST_TRY(revos_ingest_set_attr(event, "vendor", f->vendor, strlen(f->vendor), err));
    if (f->score != NULL)
        INGEST_TRY(revos_ingest_set_attr(event, "score", f->score, strlen(f->score), err));
    if (f->comment != NULL)
        INGEST_TRY(revos_ingest_set_attr_text(event, "comment", f->comment, err));
    INGEST_TRY(revos_ingest_set_attr_text(event, "response_id", f->response_id, err));
    return REVOS_OK;
}

static revos_status finish(json_t *event, revos_status st, json_t *out, revos_err *err)
{
    if (st != REVOS_OK) {
        json_decref(event);
        return st;
    }
    return revos_ingest_append(out, event, err);
}

/* ==== Delighted ==== */

static revos_status delighted(const json_t *mapping, const revos_raw_meta *meta,
                              const revos_ingest_at *at, const json_t *root, json_t *out)
{
    revos_ingest_text type, event_id, response_id, email, comment;
    INGEST_TRY(revos_ingest_string(at, root, "event_type", 1, &type));
    const char *action;
    if (strcmp(type.s, "survey_response.created") == 0)
        action = "create";
    else if (strcmp(type.s, "survey_response.updated") == 0)
        action = "update";
    else
        return REVOS_OK; /* other Delighted webhooks: ignored */

    const json_t *data, *person;
    char data_prefix[32], person_prefix[48];
    revos_ingest_at data_at, person_at;
    INGEST_TRY(revos_ingest_object(at, root, "event_data", 1, &data));
    revos_ingest_at_sub(at, "event_data", data_prefix, sizeof data_prefix, &data_at);
    INGEST_TRY(revos_ingest_id(&data_at, data, "id", 1, &response_id));
    char score[3];
    INGEST_TRY(read_score(&data_at, data, score));
    INGEST_TRY(revos_ingest_string(&data_at, data, "comment", 0, &comment));
    INGEST_TRY(revos_ingest_object(&data_at, data, "person", 0, &person));
    revos_ingest_at_sub(&data_at, "person", person_prefix, sizeof person_prefix, &person_at);
    INGEST_TRY(revos_ingest_string(&person_at, person, "email", 0, &email));
    int64_t ms;
    INGEST_TRY(occurred(&data_at, data, &ms));

    char eid[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_id(at, root, "event_id", 0, &event_id));
    if (event_id.s != NULL)
        INGEST_TRY(revos_ingest_event_idf(at, eid, "delighted:%s", event_id.s));
    else
        INGEST_TRY(revos_ingest_event_idf(at, eid, "delighted:%s:%lld", response_id.s,
                                          (long long)ms));

    json_t *event = revos_ingest_event_new(meta, eid, "nps.response", action, ms);
    if (event == NULL)
        return revos_ingest_oom(at->err);
    nps_fields f = {"delighted", score, &comment, &response_id, &email};
    revos_status st = fill(event, &f, at->err);
    if (st == REVOS_OK)
        st = account_from(mapping, event, &data_at, data, "person_properties");
    return finish(event, st, out, at->err);
}

/* ==== Wootric ==== */

static revos_status wootric(const json_t *mapping, const revos_raw_meta *meta,
                            const revos_ingest_at *at, const json_t *root, json_t *out)
{
    revos_ingest_text name, response_id, email, comment;
    INGEST_TRY(revos_ingest_string(at, root, "event_name", 1, &name));
    const char *action;
    if (strcmp(name.s, "created") == 0)
        action = "create";
    else if (strcmp(name.s, "updated") == 0)
        action = "update";
    else
        return revos_ingest_expected(at, "event_name", "created or updated");

    const json_t *body;
    const char *key = "response";
    INGEST_TRY(revos_ingest_object(at, root, key, 0, &body));
    if (body == NULL) {
        key = "decline";
        INGEST_TRY(revos_ingest_object(at, root, key, 0, &body));
    }
    if (body == NULL)
        return revos_ingest_missing(at, "response");
    int decline = body != NULL && strcmp(key, "decline") == 0;

    char prefix[32];
    revos_ingest_at body_at;
    revos_ingest_at_sub(at, key, prefix, sizeof prefix, &body_at);
    INGEST_TRY(revos_ingest_id(&body_at, body, "id", 1, &response_id));
    char score[3];
    if (!decline)
        INGEST_TRY(read_score(&body_at, body, score));
    INGEST_TRY(revos_ingest_string(&body_at, body, "text", 0, &comment));
    INGEST_TRY(revos_ingest_string(&body_at, body, "email", 0, &email));
    int64_t ms;
    INGEST_TRY(occurred(&body_at, body, &ms));

    char eid[REVOS_INGEST_EVENT_ID_MAX];
    INGEST_TRY(revos_ingest_event_idf(at, eid, "wootric:%s%s:%s:%lld", decline ? "decline:" : "",
                                      response_id.s, name.s, (long long)ms));
    json_t *event =
        revos_ingest_event_new(meta, eid, decline ? "nps.decline" : "nps.response", action, ms);
    if (event == NULL)
        return revos_ingest_oom(at->err);
    nps_fields f = {"wootric", decline ? NULL : score, decline ? NULL : &comment, &response_id,
                    &email};
    revos_status st = fill(event, &f, at->err);
    if (st == REVOS_OK)
        st = account_from(mapping, event, &body_at, body, "end_user_properties");
    return finish(event, st, out, at->err);
}

/* ==== Entry point ==== */

revos_status revos_ingest_nps(const json_t *mapping, const revos_raw_meta *meta,
                              const json_t *root, json_t *out, revos_err *err)
{
    revos_ingest_at at = {"nps", "", err};
    if (json_object_get(root, "event_type") != NULL)
        return delighted(mapping, meta, &at, root, out);
    if (json_object_get(root, "event_name") != NULL)
        return wootric(mapping, meta, &at, root, out);
    return revos_reject(err, "validation",
                        "nps: expected a Delighted (event_type) or Wootric (event_name) webhook");
}
