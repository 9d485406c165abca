-- revos-score's tables: the per-account scoring state, the latest value of
-- each score, and the thresholds tuned by revos-outcome. Idempotent.

-- One row per account: the engine's state (workers/score/state.h), written
-- in the same transaction as the consumed offsets and the outbox.
CREATE TABLE IF NOT EXISTS score_account_state (
    account_id text PRIMARY KEY,
    state      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The last ScoreUpdate emitted for each account and score kind, for
-- revosctl explain and the decision layer. as_of is event time in epoch
-- milliseconds (the record's timestamp-millis); explanation holds
-- {"text", "contributions", "context", "trigger_signal_id"}.
CREATE TABLE IF NOT EXISTS score_current (
    account_id     text NOT NULL,
    kind           text NOT NULL,
    value          double precision NOT NULL,
    tier           text,
    score_id       text NOT NULL,
    config_version bigint NOT NULL,
    as_of          bigint NOT NULL,
    explanation    jsonb NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, kind)
);
CREATE INDEX IF NOT EXISTS score_current_kind_tier ON score_current (kind, tier);

-- Tier lower bounds tuned from outcomes (ThresholdChange records); they
-- override the bounds in the scoring config.
CREATE TABLE IF NOT EXISTS score_thresholds (
    score_kind text NOT NULL,
    tier       text NOT NULL,
    threshold  double precision NOT NULL,
    change_id  text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (score_kind, tier)
);
