#!/usr/bin/env bash
# Exactly-once through revos-score: the same few thousand events are run
# twice on the real broker and PostgreSQL, once undisturbed and once with
# revos-score killed by SIGKILL three times mid-stream and restarted. The
# final state, the set of emitted scores (repeats of a score id must be
# identical) and the pages must be the same, and no page may be sent twice.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
ctl="$REVOS_BIN_DIR/revosctl"
base_dsn=$REVOS_PG_DSN
root=$(mktemp -d /tmp/revos-eos.XXXXXX)
trap 'e2e_stop_all' EXIT

# Five accounts; their usage arrives on one topic keyed by the account's
# Segment group, so each account's order is fixed and both runs see the same.
python3 "$here/scenario.py" --out "$root/events" --tag aaa --sf-account 001Dn00000AAAAAAA --domain aaa.example.org --usage-per-day 12 >/dev/null
for t in bbb ccc ddd eee; do
    python3 "$here/scenario.py" --out "$root/events-$t" --tag "$t" --sf-account "001Dn00000${t^^}AAAA" --domain "$t.example.org" --usage-per-day 12 >/dev/null
    for f in "$root/events-$t"/*.jsonl "$root/events-$t"/*.tsv; do cat "$f" >>"$root/events/$(basename "$f")"; done
done
cat "$root/events/phase2.raw.segment.jsonl" "$root/events/phase3.raw.segment.jsonl" >"$root/usage.jsonl"
total=$(wc -l <"$root/usage.jsonl")
echo "usage events: $total" >&2

offsets_sum() { e2e_sql "SELECT coalesce(sum(greatest(next_offset, 0)), 0) FROM consumer_offsets $1"; }
score_consumed() { offsets_sum "WHERE group_id LIKE '%revos-score' AND topic LIKE '%signals'"; }
settled() { # no worker moved its offsets for 3 s and every outbox is relayed
    local before
    before=$(offsets_sum "")
    sleep 3
    test "$before" = "$(offsets_sum "")" && test "$(e2e_sql 'SELECT count(*) FROM outbox')" = 0
}

run() { # NAME KILLS
    local name=$1 kills=$2
    local work="$root/$name"
    mkdir -p "$work/logs"
    export REVOS_PG_DSN=$base_dsn
    export REVOS_TOPIC_PREFIX="revos.eos$$$name." REVOS_HTTP_PORT=0 REVOS_PAGE_WEBHOOK_SECRET=eos
    e2e_fresh_database "revos_eos$$$name"
    "$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
    "$ctl" topics create --partitions 3 >/dev/null
    "$REVOS_BIN_DIR/revos-webhook-sink" --port 0 --secret eos --out "$work/pages.jsonl" 2>"$work/logs/sink.log" &
    E2E_PIDS+=("$!")
    e2e_wait 10 "sink up" 'grep -q "listening on" "$work/logs/sink.log"'
    export REVOS_PAGE_WEBHOOK_URL="http://127.0.0.1:$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/logs/sink.log" | head -1)/pages"
    for w in ingest normalize route outcome; do e2e_start "revos-$w" "$work/logs"; done
    REVOS_BATCH_MAX=40 e2e_start revos-score "$work/logs"
    local score_pid=$E2E_PID_revos_score
    e2e_produce_phase "$root/events" phase1
    e2e_wait 120 "[$name] five accounts scored" 'test "$(e2e_sql "SELECT count(DISTINCT account_id) FROM score_current")" = 5'
    # let phase 1 settle completely (its sources interleave differently per run)
    e2e_wait 120 "[$name] phase 1 settled" settled
    "$ctl" produce raw.segment "$root/usage.jsonl" >/dev/null
    local k
    for ((k = 1; k <= kills; k++)); do
        # wait until score has applied a further slice of the stream, then kill it
        local target=$(( k * total / (kills + 2) ))
        e2e_wait 180 "[$name] score past $target signals" 'test "$(score_consumed)" -ge '"$target"
        kill -KILL "$score_pid"
        wait "$score_pid" 2>/dev/null
        echo "[$name] revos-score killed with SIGKILL (kill $k)" >&2
        REVOS_BATCH_MAX=40 e2e_start revos-score "$work/logs"
        score_pid=$E2E_PID_revos_score
    done
    # done when score has consumed every signal and nothing moves any more
    e2e_wait 240 "[$name] all signals scored" 'test "$(score_consumed)" -ge '"$total"' && settled'
    sleep 3
    "$ctl" consume scores --timeout-ms 8000 >"$work/scores.jsonl"
    e2e_sql "SELECT account_id, kind, value, tier, score_id FROM score_current ORDER BY 1, 2" >"$work/state.txt"
    e2e_sql "SELECT account_id, md5(state::text) FROM score_account_state ORDER BY 1" >"$work/account_state.txt"
    e2e_sql "SELECT page_id FROM route_pages ORDER BY 1" >"$work/pages.txt"
    e2e_stop_all
}

run clean 0
run killed 3

e2e_check "final score state equal with and without kills" diff "$root/clean/state.txt" "$root/killed/state.txt"
e2e_check "per-account state equal with and without kills" diff "$root/clean/account_state.txt" "$root/killed/account_state.txt"
e2e_check "same pages decided" diff "$root/clean/pages.txt" "$root/killed/pages.txt"
e2e_check "emitted scores equal (repeats identical)" \
    python3 "$here/checks.py" same_scores "$root/clean/scores.jsonl" "$root/killed/scores.jsonl"
e2e_check "no page sent twice" python3 "$here/checks.py" no_duplicate_pages "$root/killed/pages.jsonl"
((E2E_FAILED)) && { echo "exactly-once test FAILED (work in $root)"; exit 1; }
echo "exactly-once test passed"
