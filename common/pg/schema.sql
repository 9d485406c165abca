-- Tables shared by every worker: delivery (offsets, outbox) and the
-- governed configuration store. Migration 1.

CREATE TABLE IF NOT EXISTS consumer_offsets (
    group_id    text   NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    next_offset bigint NOT NULL,          -- -1: nothing consumed yet
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);

CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial PRIMARY KEY,
    producer   text  NOT NULL,            -- worker name; each worker relays its own rows
    topic      text  NOT NULL,
    key        bytea,
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outbox_producer_id ON outbox (producer, id);

CREATE TABLE IF NOT EXISTS config_versions (
    version    bigserial PRIMARY KEY,
    checksum   text  NOT NULL,
    document   jsonb NOT NULL,
    applied_by text  NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS config_audit (
    id           bigserial PRIMARY KEY,
    version      bigint NOT NULL REFERENCES config_versions (version),
    section      text   NOT NULL,
    change       text   NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
    old_checksum text,
    new_checksum text,
    applied_by   text   NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now()
);
