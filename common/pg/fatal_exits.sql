-- Fatal exits of the workers, so the process restarted after one can say so
-- on /metrics (revos_restarts_after_fatal_total) and in its log. Written by
-- common/worker/worker.c when a worker stops on REVOS_ERR_FATAL; rows older
-- than 30 days are pruned on each insert.
CREATE TABLE IF NOT EXISTS worker_fatal_exits (
    id        bigserial PRIMARY KEY,
    worker    text NOT NULL,
    instance  text NOT NULL,
    reason    text NOT NULL,
    exited_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS worker_fatal_exits_by_worker ON worker_fatal_exits (worker, instance, exited_at);
