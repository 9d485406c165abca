-- Outcomes per score band and UTC day of the outcome, so the threshold in
-- force on a day is tuned from the outcomes of that day and before (event
-- time: a late outcome moves the threshold from its own day, as if it had
-- arrived in order). threshold: the value last emitted as in force from
-- that day (a ThresholdChange "<score_kind>:<tier>:<YYYY-MM-DD>"), NULL if
-- none was needed. Bands counted before this migration keep their totals
-- in outcome_band_stats; their days start here.
CREATE TABLE IF NOT EXISTS outcome_band_days (
    score_kind text   NOT NULL,
    tier       text   NOT NULL,
    day        bigint NOT NULL,
    saves      bigint NOT NULL DEFAULT 0,
    losses     bigint NOT NULL DEFAULT 0,
    threshold  double precision,
    PRIMARY KEY (score_kind, tier, day)
);
