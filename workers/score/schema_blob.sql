-- revos-score: account states stored as bytes (workers/score/state_codec.h)
-- instead of jsonb. A state is loaded and stored by every batch that
-- touches its account; as JSON text, parsing and printing it (in the worker
-- and again in jsonb) cost more than the scoring. newest_day is kept beside
-- it for the threshold retune's range scan. Rows written before this keep
-- their jsonb until the account is next stored.
ALTER TABLE score_account_state ADD COLUMN IF NOT EXISTS blob bytea;
ALTER TABLE score_account_state ADD COLUMN IF NOT EXISTS newest_day bigint;
ALTER TABLE score_account_state ALTER COLUMN state DROP NOT NULL;
UPDATE score_account_state SET newest_day = (state->>'newest_day')::bigint
 WHERE newest_day IS NULL AND state IS NOT NULL;
CREATE INDEX IF NOT EXISTS score_account_state_newest ON score_account_state (newest_day);
