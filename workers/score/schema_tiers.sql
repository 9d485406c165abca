-- revos-score: the renewal-risk (and any tiered score's) tier of each
-- published day cell, by event-time day, the latest revision winning.
-- revos-outcome reads the band an account was in on the day of a renewal
-- that no play covered (workers/outcome/tuning.h), so that every renewal
-- outcome counts in its band, play or no play.
CREATE TABLE IF NOT EXISTS score_tiers (
    account_id text   NOT NULL,
    kind       text   NOT NULL,
    day        int    NOT NULL,            -- UTC day number of the cell
    tier       text   NOT NULL,
    revision   int    NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, kind, day)
);
