/* signals.h -- revos-normalize's pure mapping: one SourceEvent whose account
 * is known -> the Signal records (and at most one Outcome) it means.
 *
 * No I/O, no global state: the same event, account and rules always give the
 * same records, bit for bit, so a re-delivered SourceEvent yields the same
 * signal ids (the score worker ignores duplicates).
 *
 * Records are jansson objects shaped like schemas/Signal.avsc and
 * schemas/Outcome.avsc (a nullable union is JSON null or the plain value).
 *
 * Kinds (SourceEvent.kind) and what they become:
 *   crm.account          institutional/account_profile        info
 *   crm.opportunity      procurement/renewal_opportunity       info  (renewal "true")
 *                        expansion/opportunity                 info  (otherwise)
 *                        + Outcome crm_renewal when a renewal is closed
 *   crm.contact_role     stakeholder/contact_role              info
 *   crm.contact          stakeholder/contact                   info
 *   usage.track          usage/product_usage                   info
 *   support.ticket       health/ticket_opened   warning if priority high/urgent
 *                        health/ticket_updated                 info
 *   nps.response         engagement/nps_response  warning if score <= 6
 *   nps.decline          engagement/nps_declined               info
 *   conversation.call    engagement/call_held   warning if sentiment <= -0.3
 *                        + risk/competitor_mentioned  warning  (mentions > 0)
 *   handoff.event        stakeholder/handoff                   info
 *                        + risk/handoff_governance_violation  warning (a
 *                          completed handoff lacking its type's required fields)
 *   usage.group, usage.identify, support.organization, support.contact:
 *   identity only, no record.
 * CRM kinds come from Salesforce, HubSpot or the CRM database (Debezium):
 * their record id is the first of salesforce_*, hubspot_*, db_*. A second
 * signal of one event has the id "sig:<event_id>:<competitor|governance>".
 *
 * The thresholds are data: the optional "signals" section of the governed
 * configuration (config/signals.json):
 *   {"nps_warning_max": 6, "ticket_warning_priorities": ["high", "urgent"],
 *    "evidence_max_quote": 120, "call_negative_sentiment_max": -0.3,
 *    "handoff_required_fields": {"ae_to_csm": [...], "csm_to_support": [...],
 *                                "sdr_to_ae": [...]}}
 * A missing section or key means the default shown. */
#ifndef REVOS_NORMALIZE_SIGNALS_H
#define REVOS_NORMALIZE_SIGNALS_H

#include <jansson.h>

#include "core/status.h"

/* 1 if kind is a SourceEvent kind normalize understands. */
int revos_norm_kind_known(const char *kind);

/* 1 if events of this kind carry only identity (no signal). */
int revos_norm_kind_identity_only(const char *kind);

/* Checks that event is a well-formed SourceEvent normalize can act on:
 * the envelope fields and their types, a known kind, ids and attributes maps
 * of strings without NUL bytes, the id or attribute each kind needs (e.g. a
 * crm.opportunity names its salesforce_opportunity, an nps.response's score
 * is a number from 0 to 10). Whether an id can resolve an account is
 * identity's question (revos_norm_identity_keys).
 * Errors: REVOS_ERR_INPUT with err->cls "validation". */
revos_status revos_norm_validate(const json_t *event, revos_err *err);

/* Checks the whole configuration's "signals" section (absent: every
 * default) where the mapping would silently fall back to a default:
 * nps_warning_max a number in 0..10, ticket_warning_priorities an array of
 * strings, evidence_max_quote an integer in 8..4096, no unknown keys (doc
 * and "_..." are commentary). Errors: REVOS_ERR_INPUT naming the key. */
revos_status revos_norm_rules_check(const json_t *config, revos_err *err);

/* Maps a valid event (revos_norm_validate) of account account_id. Appends
 * the Signal objects to signals (a JSON array, in order) and sets *outcome to
 * a new Outcome object, or NULL when the event closes no renewal. Identity-only
 * kinds append nothing. rules is the "signals" config section or NULL.
 * Errors: REVOS_ERR_FATAL (out of memory). */
revos_status revos_norm_map_event(const json_t *event, const char *account_id,
                                  const json_t *rules, json_t *signals, json_t **outcome,
                                  revos_err *err);

#endif
