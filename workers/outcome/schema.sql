-- revos-outcome's state: acknowledgements, every outcome recorded, and the
-- saves/losses per score band that drive threshold tuning. Idempotent (IF
-- NOT EXISTS) so it can be embedded as a migration and re-run. revos-outcome
-- also updates route_plays and route_tasks (workers/route/schema.sql).

-- Also created by workers/route/schema.sql (identical): the tick of
-- revos-route reads it to stop escalating acknowledged decisions.
CREATE TABLE IF NOT EXISTS page_acks (
    page_id    text PRIMARY KEY,
    acked_by   text NOT NULL,
    acked_at   timestamptz NOT NULL,
    outcome_id text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- One row per outcome applied (its outcome_id makes re-delivery a no-op).
-- A crm_renewal that closes plays also records one row per play closed,
-- with outcome_id "<outcome_id>:<play_id>" and that play's band.
CREATE TABLE IF NOT EXISTS outcome_records (
    outcome_id  text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('ack', 'play', 'task', 'crm_renewal')),
    result      text NOT NULL,
    account_id  text,
    play_id     text,
    task_id     text,
    page_id     text,
    band        text,                -- score band of the play closed, if any
    actor       text NOT NULL,
    note        text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outcome_records_account ON outcome_records (account_id);
CREATE INDEX IF NOT EXISTS outcome_records_play ON outcome_records (play_id);

-- Saves (renewed, expanded) and losses (churned, lost) of plays closed,
-- per band; threshold/change_id: the last ThresholdChange emitted for it.
CREATE TABLE IF NOT EXISTS outcome_band_stats (
    score_kind text   NOT NULL,
    tier       text   NOT NULL,
    saves      bigint NOT NULL DEFAULT 0,
    losses     bigint NOT NULL DEFAULT 0,
    threshold  double precision,
    change_id  text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (score_kind, tier)
);
