-- revos-normalize state (workers/normalize/schema.sql).
--
-- norm_identity: what revos-normalize has learned about which account an
-- external id belongs to. kind is a SourceEvent ids key (salesforce_account,
-- salesforce_opportunity, salesforce_contact, zendesk_org, segment_group,
-- segment_user, email, domain) or renewal_opportunity (the opportunity is a
-- renewal of that account, so a later change event that omits the type is
-- still read as a renewal). Values are normalized: domains and emails lower
-- case, Salesforce ids in their 18-character form. account_id is
-- "acct-" + the Salesforce Account Id.
CREATE TABLE IF NOT EXISTS norm_identity (
    kind         text        NOT NULL,
    value        text        NOT NULL,
    account_id   text        NOT NULL,
    learned_from text,                      -- event_id that taught the link
    learned_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, value)
);
CREATE INDEX IF NOT EXISTS norm_identity_account ON norm_identity (account_id);

-- norm_parked: SourceEvents whose account is not known yet (never dropped,
-- never dead-lettered). record is the SourceEvent as JSON. They leave when a
-- link under one of their keys is learned, in the transaction that learns it.
CREATE TABLE IF NOT EXISTS norm_parked (
    event_id  text        PRIMARY KEY,
    record    jsonb       NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now()
);

-- norm_parked_keys: the (kind, value) keys that could resolve a parked event.
CREATE TABLE IF NOT EXISTS norm_parked_keys (
    kind     text NOT NULL,
    value    text NOT NULL,
    event_id text NOT NULL REFERENCES norm_parked (event_id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value, event_id)
);
CREATE INDEX IF NOT EXISTS norm_parked_keys_event ON norm_parked_keys (event_id);
