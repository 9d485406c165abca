/* identity.h -- which account a SourceEvent is about, and which id -> account
 * links it teaches. Pure: works on an in-memory map (revos_norm_idmap) that
 * the worker fills from norm_identity before a batch and writes back after.
 *
 * An account id is "acct-" + the Salesforce Account Id (18-character form),
 * or, for a company only HubSpot or the CRM database knows,
 * "acct-hubspot-<company id>" / "acct-db-<row key>".
 * Links (kind, value) -> account_id, learned from events:
 *   crm.account        salesforce_account; domain (the Website) unless the
 *                      domain already belongs to an account
 *   crm.opportunity    salesforce_account and salesforce_opportunity, when
 *                      it names its account; renewal_opportunity when it is
 *                      a renewal (so a later change event that does not
 *                      repeat the type is still read as a renewal)
 *   crm.contact        salesforce_account, salesforce_contact and email
 *   support.organization  zendesk_org -> the account whose Salesforce id (or
 *                      "acct-" id) is the org's external_id, else, if the
 *                      org is not linked yet, the account owning its domain
 *   usage.group        segment_group -> the account of its salesforce_account
 *                      trait, else, if the group is not linked yet, the
 *                      account owning its domain; then segment_user -> the
 *                      group's account
 *   usage.identify     segment_user -> the account its group, email or
 *                      domain resolves to, unless the user is linked already
 *   crm.account (HubSpot company, database account row: hubspot_company,
 *                      db_account) -> its salesforce_account when it names one
 *                      (UPSERT); else the account owning its domain (UPSERT
 *                      over a link to its own account, INSERT otherwise);
 *                      else, if not linked, its own account (INSERT)
 *   crm.opportunity    hubspot_deal -> its associated hubspot_company's
 *                      account (not when the association is removed);
 *                      db_opportunity -> its db_account's account (UPSERT)
 *   crm.contact        hubspot_contact / db_contact likewise; email INSERT
 *                      (UPSERT for a database row)
 *   crm.contact_role   db_contact_role -> the resolved account (UPSERT)
 *   support.organization  intercom_company, like zendesk_org, by its
 *                      salesforce_account / company_id, else its domain
 *   support.contact    intercom_contact -> its intercom_company's account
 *                      (UPSERT), email INSERT
 *   The renewal memory of a HubSpot deal / database opportunity is kept
 *   under "hubspot:<deal>" / "db:<key>".
 *   Known limit: a deal or contact linked while its company was still its
 *   own account keeps that link when the company later moves to a
 *   Salesforce account (links are not re-pointed in bulk yet).
 * A link is UPSERT (the source is authoritative: a later event moves it) or
 * INSERT (inferred: it never replaces an existing link).
 *
 * Resolution tries the event's ids in this order, first hit wins:
 *   salesforce_account, salesforce_opportunity, salesforce_contact,
 *   salesforce_contact_role, hubspot_company, hubspot_deal, hubspot_contact,
 *   db_account, db_opportunity, db_contact, db_contact_role, zendesk_org,
 *   zendesk_org_external (as a Salesforce or account id), intercom_company,
 *   intercom_company_external (likewise), intercom_contact, segment_group,
 *   email, segment_user, domain, then the email's domain.
 * A usage.group that names a salesforce_account trait resolves through that
 * trait only; one without resolves through its group, then its domain.
 *
 * Values are normalized before use: domains and emails lower-cased and
 * trimmed (domains also lose a URL scheme, path, port, "www." and a trailing
 * dot), 15-character Salesforce ids become their 18-character form.
 *
 * Thread-safety: a map belongs to one batch on one thread. */
#ifndef REVOS_NORMALIZE_IDENTITY_H
#define REVOS_NORMALIZE_IDENTITY_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"

typedef enum revos_norm_link_mode {
    REVOS_NORM_LINK_UPSERT = 1, /* authoritative: replaces an existing link */
    REVOS_NORM_LINK_INSERT = 2  /* inferred: only where no link exists */
} revos_norm_link_mode;

typedef struct revos_norm_link {
    const char *kind;
    const char *value;
    const char *account_id;
    const char *learned_from; /* event_id that taught it */
    revos_norm_link_mode mode;
} revos_norm_link;

/* ==== Keys ==== */

typedef struct revos_norm_key {
    const char *kind; /* link kind looked up, e.g. "domain" (static string) */
    char *value;      /* normalized value (owned) */
} revos_norm_key;

typedef struct revos_norm_keys {
    revos_norm_key *items;
    size_t n, cap;
} revos_norm_keys;

/* Frees the values and the array; keys is empty and reusable afterwards. */
void revos_norm_keys_free(revos_norm_keys *keys);

/* Appends (kind, value) unless already present; value is copied.
 * Returns 0, or -1 when out of memory. */
int revos_norm_keys_add(revos_norm_keys *keys, const char *kind, const char *value);

/* Normalized form of an id value of the given SourceEvent ids key (see
 * above); malloc'd, NULL when the value is empty after normalization (or out
 * of memory). */
char *revos_norm_id_value(const char *id_key, const char *raw);

/* The 18-character form of a 15-character Salesforce id (case-safe suffix);
 * any other string is copied unchanged. malloc'd. */
char *revos_norm_sfid18(const char *id);

/* The keys that can resolve event's account, in resolution order, without
 * duplicates (appended to keys). These are also the keys an unresolved event
 * is parked under. No keys means the event can never resolve. -1 on OOM. */
int revos_norm_identity_keys(const json_t *event, revos_norm_keys *keys);

/* Every key revos_norm_identity_apply may read for event: its resolution
 * keys, its own ids as link kinds, and its renewal_opportunity key. Load
 * these into the map before applying. -1 on OOM. */
int revos_norm_identity_lookups(const json_t *event, revos_norm_keys *keys);

/* ==== The batch-local map ==== */

typedef struct revos_norm_idmap revos_norm_idmap;

revos_norm_idmap *revos_norm_idmap_new(void);
void revos_norm_idmap_free(revos_norm_idmap *map);

/* Records what storage says about (kind, value): account_id, or NULL for
 * "no link". A key already in the map is left alone (what this batch learned
 * is newer). Returns 0, -1 on OOM. */
int revos_norm_idmap_load(revos_norm_idmap *map, const char *kind, const char *value,
                          const char *account_id);

/* 1 when the key was loaded or learned. */
int revos_norm_idmap_has(const revos_norm_idmap *map, const char *kind, const char *value);

/* The account of (kind, value), or NULL (no link, or never loaded). The
 * pointer is valid until the next change of that key. */
const char *revos_norm_idmap_get(const revos_norm_idmap *map, const char *kind,
                                 const char *value);

/* Learns a link according to mode. Returns 1 when the map changed (a new
 * link, or an UPSERT to another account), 0 when not, -1 on OOM. */
int revos_norm_idmap_learn(revos_norm_idmap *map, const char *kind, const char *value,
                           const char *account_id, const char *learned_from,
                           revos_norm_link_mode mode);

/* The links learned since the map was created, one per key, in the order
 * they were first learned, with their latest account: what to write back. */
size_t revos_norm_idmap_n_learned(const revos_norm_idmap *map);
revos_norm_link revos_norm_idmap_learned(const revos_norm_idmap *map, size_t i);

/* Moves the keys learned or changed since the previous call into keys
 * (appended, each key once): the links that may unpark events.
 * -1 on OOM. */
int revos_norm_idmap_take_round(revos_norm_idmap *map, revos_norm_keys *keys);

/* ==== Events ==== */

typedef struct revos_norm_resolution {
    char *account_id;     /* malloc'd; NULL when the account is unknown */
    revos_norm_key via;   /* the key that resolved it (value owned) */
    json_t *event;        /* the event to map (new reference): the input, or a
                           * copy whose attributes.renewal identity filled in */
} revos_norm_resolution;

void revos_norm_resolution_clear(revos_norm_resolution *res);

/* Resolves without learning: the first key of revos_norm_identity_keys that
 * the map links. res->event is left NULL. Errors: REVOS_ERR_FATAL (OOM). */
revos_status revos_norm_identity_resolve(const revos_norm_idmap *map, const json_t *event,
                                         revos_norm_resolution *res, revos_err *err);

/* Applies one valid event: learns the links it teaches (into map), then
 * resolves its account. Clear res afterwards.
 * Errors: REVOS_ERR_FATAL (OOM). */
revos_status revos_norm_identity_apply(revos_norm_idmap *map, const json_t *event,
                                       revos_norm_resolution *res, revos_err *err);

#endif
