/* natural_key.h -- the Kafka key of a raw record, from its source's own ids.
 *
 * A raw record's key decides its partition, and so whose records stay in
 * order together. The key is the most account-level id the record itself
 * carries (so one customer's raw events stay ordered on one partition),
 * else the id of the record's subject, else its own event id:
 *
 *   salesforce  Account: ChangeEventHeader.recordIds[0]; other entities:
 *               AccountId when the change carries it, else recordIds[0]
 *               (a CDC update carries only changed fields). Pub/Sub
 *               payloads and CometD envelopes (data.payload) alike.
 *   segment     groupId, context.groupId, properties.groupId,
 *               traits.company.id; else userId, anonymousId, messageId.
 *               A batch: its context.groupId, else its first call's key.
 *   zendesk     the organization id, else the requester id, else the
 *               ticket's (or user's) id, else the event id; EventBridge,
 *               Integration Services and webhook framings alike, ids
 *               rendered the same whether sent as numbers or strings.
 *   nps         Delighted event_data.person.email, Wootric response /
 *               decline email (lower-cased), else end_user_id, else the
 *               response id, else the event id.
 *   hubspot     a webhook batch (array) or one event: objectId when every
 *               event names the same object, else portalId, else eventId.
 *   debezium    the record's own key when the dump carries one
 *               ({"key": ..., "value"|"payload": ...}), else the row's
 *               primary key column (after, or before for a delete):
 *               "id", else the row's first column; schema+payload
 *               envelopes alike.
 *   other       account_id, accountId, id, event_id, eventId.
 *
 * A record with none of these (or not JSON at all) is keyed by a hash of
 * its bytes, so the same record always lands on the same partition; an id
 * longer than the key bound is hashed the same way.
 *
 * Used by `revosctl produce` when no --key/--key-field is given, and meant
 * for the webhook intake. Pure: no I/O, no global state, any thread. */
#ifndef REVOS_INGEST_NATURAL_KEY_H
#define REVOS_INGEST_NATURAL_KEY_H

#include <stddef.h>

#include "core/status.h"

#define REVOS_NATURAL_KEY_MAX 256

typedef struct revos_natural_key {
    char key[REVOS_NATURAL_KEY_MAX]; /* NUL-terminated */
    size_t len;
    const char *rule; /* the field it came from ("AccountId"), or "content hash" */
} revos_natural_key;

/* The key of payload[0..len) from source (the topic suffix after "raw.",
 * e.g. "salesforce"; NULL or unknown: the "other" rules). Always finds one;
 * REVOS_ERR_FATAL only for a NULL out or payload with len > 0. */
revos_status revos_ingest_natural_key(const char *source, const char *payload, size_t len,
                                      revos_natural_key *out, revos_err *err);

#endif
