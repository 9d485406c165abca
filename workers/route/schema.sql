-- revos-route's state: plays, their tasks, pages and the history of the
-- triggers each decision absorbed. Idempotent (IF NOT EXISTS) so it can be
-- embedded as a migration and re-run.
--
-- A "decision" is either a play (route_plays row, id "<play>:<account>:<hash>")
-- or a notice (a matrix entry without a play: pages only, id
-- "notice:<trigger>:<account>:<hash>"). route_pages.play_id holds either.

CREATE TABLE IF NOT EXISTS route_plays (
    play_id          text PRIMARY KEY,
    account_id       text NOT NULL,
    play             text NOT NULL,
    trigger          text NOT NULL,
    severity         text NOT NULL,             -- observed severity (tier)
    route            text NOT NULL,             -- matrix entry, e.g. renewal_risk/critical
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'renewed', 'churned', 'expanded', 'lost',
                                       'reassigned', 'blocked')),
    score_band       text NOT NULL DEFAULT '',  -- renewal_risk tier at decision time
    arr_at_risk      double precision NOT NULL,
    save_cost        double precision NOT NULL,
    replacement_cost double precision NOT NULL,
    ev_act           double precision NOT NULL,
    ev_no_act        double precision NOT NULL,
    config_version   bigint NOT NULL,
    score_id         text NOT NULL,
    as_of            timestamptz NOT NULL,      -- event time of the score update
    created_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz
);
-- One open play per (account, play): a second insert conflicts and is dropped.
CREATE UNIQUE INDEX IF NOT EXISTS route_plays_one_open
    ON route_plays (account_id, play) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS route_plays_account ON route_plays (account_id, status);

CREATE TABLE IF NOT EXISTS route_tasks (
    task_id    text PRIMARY KEY,                -- "<play_id>:<task template id>"
    play_id    text NOT NULL,
    title      text NOT NULL,
    owner_role text NOT NULL,
    owner_id   text,                            -- NULL: role unresolved
    depends_on text[] NOT NULL DEFAULT '{}',
    due_at     timestamptz NOT NULL,
    cost       double precision NOT NULL DEFAULT 0,
    status     text NOT NULL DEFAULT 'open'
               CHECK (status IN ('open', 'renewed', 'churned', 'expanded', 'lost',
                                 'reassigned', 'blocked')),
    result     text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS route_tasks_play ON route_tasks (play_id);

CREATE TABLE IF NOT EXISTS route_pages (
    page_id         text PRIMARY KEY,           -- "<play_id>:<level>:<owner_id>"
    play_id         text NOT NULL,              -- play id or notice id
    account_id      text NOT NULL,
    level           int  NOT NULL,              -- 0: first owners, 1..: escalation levels
    owner_id        text NOT NULL,
    owner_role      text NOT NULL,
    format          text NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'slack', 'pagerduty')),
    url             text,                       -- NULL: REVOS_PAGE_WEBHOOK_URL
    trigger         text NOT NULL,
    route           text NOT NULL,              -- matrix entry "<trigger>/<severity>"
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int  NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    sent_at         timestamptz,
    sla_seconds     bigint NOT NULL,
    ack_due_at      timestamptz,                -- sent_at + sla (failure time when failed)
    -- What the escalation check made of this page once overdue (NULL: not yet):
    -- escalated (next level paged), acknowledged, closed (play no longer
    -- open), exhausted (no further level), unroutable (matrix entry gone).
    escalation      text CHECK (escalation IN ('escalated', 'acknowledged', 'closed',
                                               'exhausted', 'unroutable')),
    escalated_at    timestamptz,                -- set when escalation = 'escalated'
    team            jsonb NOT NULL DEFAULT '{}', -- account team, for escalation owners
    body            jsonb NOT NULL,             -- the page as posted (ack_due_at added at send)
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS route_pages_due
    ON route_pages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS route_pages_escalation
    ON route_pages (ack_due_at) WHERE status IN ('sent', 'failed') AND escalation IS NULL;
CREATE INDEX IF NOT EXISTS route_pages_decision ON route_pages (play_id, level);
CREATE INDEX IF NOT EXISTS route_pages_account_trigger ON route_pages (account_id, trigger, level);

-- Every trigger a decision absorbed: the one that opened it (attached =
-- false) and later ones that found it already open (attached = true).
CREATE TABLE IF NOT EXISTS route_play_events (
    play_id     text NOT NULL,
    score_id    text NOT NULL,
    trigger     text NOT NULL,
    severity    text NOT NULL,
    attached    boolean NOT NULL,
    as_of       timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (play_id, score_id, trigger)
);

-- Written by revos-outcome (also created by its schema; identical).
CREATE TABLE IF NOT EXISTS page_acks (
    page_id    text PRIMARY KEY,
    acked_by   text NOT NULL,
    acked_at   timestamptz NOT NULL,
    outcome_id text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
