/* sources.h -- one parser per source format, dispatched by ingest.c.
 *
 * Each takes the decoded top-level JSON object (an array too for sources
 * that send batches) and appends SourceEvent
 * objects to out (a fresh array that ingest.c merges into the caller's only
 * when the whole record parsed). Appending nothing with REVOS_OK means the
 * record was deliberately ignored. Errors: REVOS_ERR_INPUT "validation" for
 * the record, REVOS_ERR_FATAL for a bad mapping document or out of memory. */
#ifndef REVOS_INGEST_SOURCES_H
#define REVOS_INGEST_SOURCES_H

#include <jansson.h>

#include "core/status.h"
#include "ingest/ingest.h"

typedef revos_status (*revos_ingest_source_fn)(const json_t *mapping, const revos_raw_meta *meta,
                                               const json_t *root, json_t *out, revos_err *err);

/* Change Data Capture: Pub/Sub payload or CometD envelope (salesforce.c). */
revos_status revos_ingest_salesforce(const json_t *mapping, const revos_raw_meta *meta,
                                     const json_t *root, json_t *out, revos_err *err);
/* Segment spec calls, single or {"batch": [...]} (segment.c). */
revos_status revos_ingest_segment(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err);
/* Zendesk EventBridge, webhook and Integration Services events (zendesk.c). */
revos_status revos_ingest_zendesk(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err);
/* Delighted and Wootric NPS webhooks (nps.c). */
revos_status revos_ingest_nps(const json_t *mapping, const revos_raw_meta *meta,
                              const json_t *root, json_t *out, revos_err *err);

/* HubSpot webhook batches: a JSON array of events, or one event (hubspot.c). */
revos_status revos_ingest_hubspot(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err);

/* Debezium change envelopes, with or without schema (debezium.c). */
revos_status revos_ingest_debezium(const json_t *mapping, const revos_raw_meta *meta,
                                   const json_t *root, json_t *out, revos_err *err);

/* Intercom conversation, ticket and company webhooks (intercom.c). */
revos_status revos_ingest_intercom(const json_t *mapping, const revos_raw_meta *meta,
                                   const json_t *root, json_t *out, revos_err *err);

/* Conversation-intelligence call webhooks, Gong-style (conversation.c). */
revos_status revos_ingest_conversation(const json_t *mapping, const revos_raw_meta *meta,
                                       const json_t *root, json_t *out, revos_err *err);

/* Account handoffs: AE -> CSM, CSM -> support, SDR -> AE (handoff.c). */
revos_status revos_ingest_handoff(const json_t *mapping, const revos_raw_meta *meta,
                                  const json_t *root, json_t *out, revos_err *err);

#endif
