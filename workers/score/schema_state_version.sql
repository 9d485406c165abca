-- revos-score: the version of each stored state, the id of the transaction
-- that saved it (pg_current_xact_id()). revos-score keeps decoded states in
-- memory across batches (workers/score/state_cache.h) and reads a row's
-- bytes again only when its version is not the one it cached. Transaction
-- ids are never reused, so a version names one content; rows from before
-- this have version 0, which no cache entry holds.
ALTER TABLE score_account_state ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 0;
