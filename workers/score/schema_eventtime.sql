-- revos-score, event time: account states become event-time histories
-- (state version 2, workers/score/state.h) and tuned thresholds take effect
-- from the event time of the outcome that produced them.

-- Every threshold change applied, with the UTC day (days since 1970-01-01)
-- from which it is in force; score_thresholds keeps the bound in force last.
CREATE TABLE IF NOT EXISTS score_threshold_log (
    change_id     text PRIMARY KEY,
    score_kind    text NOT NULL,
    tier          text NOT NULL,
    threshold     double precision NOT NULL,
    effective_day bigint NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS score_threshold_log_order ON score_threshold_log (effective_day, change_id);

-- A version 1 state holds only the last weeks of buckets and cannot become
-- a history: it is dropped, and replaying revos.signals rebuilds it.
DELETE FROM score_account_state WHERE state->>'v' = '1';
