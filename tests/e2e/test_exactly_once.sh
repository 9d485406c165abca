#!/usr/bin/env bash
# Exactly-once through revos-score, on the real broker and PostgreSQL.
#
# Run "clean": the whole pipeline scores five accounts (a few thousand
# events). Its Signal stream is saved. Run "killed": the same Signals, in the
# same per-account order and partitioning, are fed to a fresh revos-score
# (and revos-route) running as two instances sharing the partitions; one
# instance at a time is killed with SIGKILL, three times, mid-stream and
# restarted. The final state, the emitted scores (a repeated score id must be
# identical) and the pages must equal the clean run's, and no page may be
# delivered twice.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
ctl="$REVOS_BIN_DIR/revosctl"
base_dsn=$REVOS_PG_DSN
root=$(mktemp -d /tmp/revos-eos.XXXXXX)
trap 'e2e_stop_all' EXIT

python3 "$here/scenario.py" --out "$root/events" --tag aaa --sf-account 001Dn00000AAAAAAA --domain aaa.example.org --usage-per-day 12 >/dev/null
for t in bbb ccc ddd eee; do
    python3 "$here/scenario.py" --out "$root/events-$t" --tag "$t" --sf-account "001Dn00000${t^^}AAAA" --domain "$t.example.org" --usage-per-day 12 >/dev/null
    for f in "$root/events-$t"/*.jsonl "$root/events-$t"/*.tsv; do cat "$f" >>"$root/events/$(basename "$f")"; done
done
cat "$root/events/phase2.mixed.tsv" "$root/events/phase3.mixed.tsv" >"$root/behaviour.tsv"

offsets_sum() { e2e_sql "SELECT coalesce(sum(greatest(next_offset, 0)), 0) FROM consumer_offsets $1"; }
score_consumed() { offsets_sum "WHERE group_id LIKE '%revos-score' AND topic LIKE '%signals'"; }
settled() { # no worker moved its offsets for 3 s and every outbox is relayed
    local before
    before=$(offsets_sum "")
    sleep 3
    test "$before" = "$(offsets_sum "")" && test "$(e2e_sql 'SELECT count(*) FROM outbox')" = 0
}

start_run() { # NAME: fresh database, topics and page receiver
    local name=$1
    work="$root/$name"
    mkdir -p "$work/logs"
    export REVOS_PG_DSN=$base_dsn
    export REVOS_TOPIC_PREFIX="revos.eos$$$name." REVOS_HTTP_PORT=0 REVOS_PAGE_WEBHOOK_SECRET=eos
    e2e_fresh_database "revos_eos$$$name"
    "$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
    "$ctl" topics create --partitions 3 >/dev/null
    e2e_start_sink "$work"
}

finish_run() {
    "$ctl" consume scores --timeout-ms 8000 >"$work/scores.jsonl"
    e2e_sql "SELECT account_id, kind, value, tier, score_id FROM score_current ORDER BY 1, 2" >"$work/state.txt"
    # the settled timeline; how many revisions it took depends on the batching
    e2e_states "$work" && cp "$work/timelines.txt" "$work/account_state.txt"
    # pages withdrawn by a correction before they were sent do not count
    # (a live page still waiting page_wait counts as live, like a sent one)
    e2e_sql "SELECT page_id || ' ' || CASE WHEN status IN ('pending', 'sent') THEN 'live' ELSE status END
             FROM route_pages WHERE status <> 'cancelled' ORDER BY 1" >"$work/pages.txt"
    e2e_sql "SELECT page_id FROM route_pages WHERE status = 'sent' ORDER BY 1" >"$work/sent.txt"
    e2e_stop_all
}

# ---- clean: the whole pipeline, undisturbed
start_run clean
e2e_start_workers "$work/logs"
e2e_produce_phase "$root/events" phase1
e2e_wait 120 "[clean] five accounts scored" 'test "$(e2e_sql "SELECT count(DISTINCT account_id) FROM score_current")" = 5'
"$ctl" produce - "$root/behaviour.tsv" >/dev/null
e2e_wait 300 "[clean] every event scored" 'test "$(e2e_sql "SELECT count(*) FROM score_account_state")" = 5 && settled'
"$ctl" consume signals --timeout-ms 8000 >"$root/signals.jsonl"
total=$(wc -l <"$root/signals.jsonl")
echo "signals: $total" >&2
finish_run

# ---- killed: the same signals, shared by two revos-score instances (the
# partitions split between them); one of them is SIGKILLed three times, so
# partitions move between instances mid-stream as well as restart.
start_run killed
for w in route outcome; do e2e_start "revos-$w" "$work/logs"; done
REVOS_BATCH_MAX=40 e2e_start revos-score "$work/logs"
score_a=$E2E_PID_revos_score
REVOS_BATCH_MAX=40 e2e_start revos-score "$work/logs"
score_b=$E2E_PID_revos_score
"$ctl" produce signals "$root/signals.jsonl" --avro --key-field account_id >/dev/null
for k in 1 2 3; do
    target=$((k * total / 5))
    e2e_wait 180 "[killed] score past $target signals" 'test "$(score_consumed)" -ge '"$target"
    if ((k % 2)); then victim=$score_a; else victim=$score_b; fi
    kill -KILL "$victim"
    wait "$victim" 2>/dev/null
    echo "[killed] a revos-score instance killed with SIGKILL after about $target signals" >&2
    REVOS_BATCH_MAX=40 e2e_start revos-score "$work/logs"
    if ((k % 2)); then score_a=$E2E_PID_revos_score; else score_b=$E2E_PID_revos_score; fi
done
e2e_wait 240 "[killed] every signal scored" 'test "$(score_consumed)" -ge '"$total"' && settled'
finish_run

e2e_check "final scores equal with and without kills" diff "$root/clean/state.txt" "$root/killed/state.txt"
e2e_check "per-account timelines equal with and without kills" diff "$root/clean/account_state.txt" "$root/killed/account_state.txt"
e2e_check "same pages decided" diff "$root/clean/pages.txt" "$root/killed/pages.txt"
e2e_check "emitted scores equal (a repeat is identical)" \
    python3 "$here/checks.py" same_scores "$root/clean/scores.jsonl" "$root/killed/scores.jsonl"
# The receiver got exactly the pages route marked sent, each once. When the
# scenario decided no page at all, that is said, not passed over in silence.
if [ -s "$root/killed/sent.txt" ] || [ -s "$root/killed/pages.jsonl" ]; then
    e2e_check "each page sent delivered exactly once" \
        python3 "$here/checks.py" pages_delivered_once "$root/killed/pages.jsonl" "$root/killed/sent.txt"
else
    e2e_check "no page decided in either run (nothing was due to be delivered)" \
        test ! -s "$root/clean/pages.txt"
fi
((E2E_FAILED)) && { echo "exactly-once test FAILED (work in $root)"; exit 1; }
echo "exactly-once test passed"
