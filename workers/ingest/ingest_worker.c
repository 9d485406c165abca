/* ingest_worker.c -- raw topics -> revos.events.
 *
 * Stateless: each raw record is parsed by revos_ingest_parse and its
 * SourceEvents are emitted in the batch's Kafka transaction, keyed by the
 * most stable account-level id the event carries so that one customer's
 * events stay ordered on one partition. */
#include "ingest/ingest_worker.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ingest/ingest.h"
#include "ingest/mapping.h"

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

revos_status revos_ingest_init(void **state, const revos_settings *settings, revos_err *err)
{
    long skew;
    revos_status st = revos_settings_get_bounded(settings, "REVOS_MAX_FUTURE_SKEW",
                                                 REVOS_INGEST_DEFAULT_FUTURE_SKEW_S, 0,
                                                 365L * 86400, &skew, err);
    if (st != REVOS_OK)
        return st;
    revos_ingest_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
    s->max_future_ms = (int64_t)skew * 1000;
    *state = s;
    return REVOS_OK;
}

revos_status revos_ingest_config_check(const json_t *config, revos_err *err)
{
    const json_t *mapping = json_object_get(config, "mapping");
    if (mapping != NULL && !json_is_object(mapping))
        return revos_reject(err, "config", "mapping: expected an object");
    revos_status st = revos_ingest_mapping_check(mapping, err);
    return st == REVOS_OK ? REVOS_OK : REVOS_ERR_INPUT; /* the message names mapping.<key> */
}

void revos_ingest_fini(void *state)
{
    free(state);
}

static const char *partition_key(const json_t *event)
{
    /* A HubSpot deal's or contact's webhooks name only it (its company only
     * on an associationChange), so they are keyed by the deal or contact:
     * one record's changes stay in order (its dealtype before its close). */
    static const char *const order[] = {"salesforce_account", "salesforce_opportunity",
                                        "hubspot_deal", "hubspot_contact", "hubspot_company",
                                        "db_account", "db_opportunity", "db_contact",
                                        "zendesk_org", "intercom_company", "segment_group",
                                        "email", "domain", "segment_user", "intercom_contact",
                                        NULL};
    const json_t *ids = json_object_get(event, "ids");
    for (size_t i = 0; order[i] != NULL; i++) {
        const char *value = json_string_value(json_object_get(ids, order[i]));
        if (value != NULL && *value != '\0')
            return value;
    }
    return json_string_value(json_object_get(event, "event_id"));
}

revos_status revos_ingest_process(void *state, revos_batch *batch, revos_msg *msgs, size_t n,
                                  revos_err *err)
{
    const revos_ingest_state *self = state;
    int64_t max_future_ms = self != NULL ? self->max_future_ms
                                         : (int64_t)REVOS_INGEST_DEFAULT_FUTURE_SKEW_S * 1000;
    int64_t now = wall_ms();
    const json_t *mapping = json_object_get(revos_batch_config(batch), "mapping");
    for (size_t i = 0; i < n; i++) {
        revos_msg *msg = &msgs[i];
        const char *source = strncmp(msg->topic_suffix, "raw.", 4) == 0 ? msg->topic_suffix + 4
                                                                          : msg->topic_suffix;
        revos_raw_meta meta = {msg->topic, source, msg->partition, msg->offset, msg->key,
                               msg->key_len};
        if (revos_ingest_is_tombstone(&meta, msg->payload, msg->len)) {
            revos_batch_count(batch, "revos_ingest_tombstones_total",
                              "Tombstones (null values after deletes) read and skipped", 1);
            continue;
        }
        json_t *events = json_array();
        if (events == NULL)
            return revos_fail(err, REVOS_ERR_FATAL, "out of memory");
        revos_err why = {{0}, {0}};
        int ignored = 0;
        revos_status st;
        if (msg->payload == NULL || msg->len == 0)
            st = revos_reject(&why, "decode", "empty record");
        else
            st = revos_ingest_parse(mapping, &meta, (const char *)msg->payload, msg->len, events,
                                    &ignored, &why);
        if (st == REVOS_OK)
            st = revos_ingest_check_times(events, now, max_future_ms, &why);
        if (st == REVOS_ERR_INPUT) {
            revos_batch_reject(batch, msg, &why);
            json_decref(events);
            continue;
        }
        if (st != REVOS_OK) {
            json_decref(events);
            *err = why;
            return st;
        }
        if (ignored)
            revos_batch_count(batch, "revos_ingest_ignored_total",
                              "Raw records the mapping deliberately ignores", 1);
        size_t k;
        json_t *event;
        json_array_foreach(events, k, event) {
            st = revos_batch_emit(batch, "events", partition_key(event), REVOS_REC_SOURCE_EVENT,
                                  event, err);
            if (st == REVOS_ERR_INPUT) {
                /* a parser produced a record its schema refuses: keep the raw
                 * record in the dead-letter topic rather than lose it */
                revos_reject(&why, "validation", "%s", err->msg);
                revos_batch_reject(batch, msg, &why);
                break;
            }
            if (st != REVOS_OK) {
                json_decref(events);
                return st;
            }
        }
        json_decref(events);
    }
    return REVOS_OK;
}
