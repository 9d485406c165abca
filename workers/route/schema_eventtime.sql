-- revos-route, event time: decisions are planned per account from its
-- timeline (workers/route/plan.h), so a late correction can withdraw a
-- decision and an outcome that arrives before its play still closes it.

-- The latest revision of every score cell that holds (or held) a trigger.
-- A cell whose triggers went away keeps its row, empty, so that an older
-- revision delivered again cannot bring them back.
CREATE TABLE IF NOT EXISTS route_cells (
    account_id text   NOT NULL,
    cell_id    text   NOT NULL,             -- "<account>:<kind>:<YYYY-MM-DD>"
    kind       text   NOT NULL,
    as_of      bigint NOT NULL,             -- event time, epoch ms (end of the cell's day)
    revision   int    NOT NULL,
    triggers   jsonb  NOT NULL,             -- [{name, severity}], [] when none
    update     jsonb  NOT NULL,             -- the ScoreUpdate of that revision
    PRIMARY KEY (account_id, cell_id)
);
CREATE INDEX IF NOT EXISTS route_cells_account_time ON route_cells (account_id, as_of);

-- historical: the condition was older than the live horizon when planned
-- (recorded, never paged); closed_by: the outcome that closed the play;
-- superseded: a correction took its trigger away.
ALTER TABLE route_plays ADD COLUMN IF NOT EXISTS historical boolean NOT NULL DEFAULT false;
ALTER TABLE route_plays ADD COLUMN IF NOT EXISTS closed_by text;
-- Whether revos-outcome counted the play's close in its band: a play that
-- route opened already closed (the CRM outcome came first) is counted by
-- revos-outcome's tick.
ALTER TABLE route_plays ADD COLUMN IF NOT EXISTS band_counted boolean NOT NULL DEFAULT false;
ALTER TABLE route_plays DROP CONSTRAINT IF EXISTS route_plays_status_check;
ALTER TABLE route_plays ADD CONSTRAINT route_plays_status_check
    CHECK (status IN ('open', 'renewed', 'churned', 'expanded', 'lost', 'reassigned', 'blocked',
                      'superseded'));

-- historical: never sent, no SLA; cancelled: withdrawn before it was sent.
ALTER TABLE route_pages DROP CONSTRAINT IF EXISTS route_pages_status_check;
ALTER TABLE route_pages ADD CONSTRAINT route_pages_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'historical', 'cancelled'));

-- The plan rewrites an account's trigger history as a whole.
ALTER TABLE route_play_events ADD COLUMN IF NOT EXISTS account_id text;
CREATE INDEX IF NOT EXISTS route_play_events_account ON route_play_events (account_id);
