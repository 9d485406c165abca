#!/usr/bin/env bash
# Whole-pipeline faults, on the real broker and PostgreSQL. One multi-source
# book (four accounts, Salesforce CDC, Segment, Zendesk, Delighted/Wootric)
# goes through all five workers twice:
#
#   clean    undisturbed;
#   faulted  the book produced in chunks while every worker is SIGKILLed
#            at a random moment after each chunk, in turn
#            (REVOS_FAULT_KILLS times each, default 2; `tests/run --soak`
#            sets 10), the broker is killed with SIGKILL and restarted a
#            third of the way in, and PostgreSQL is stopped immediately
#            (crash recovery) and restarted two thirds of the way in. A
#            worker that exits while its broker or database is gone is
#            started again, as its supervisor would.
#
# Then: on every topic no id appears twice (a re-tuned ThresholdChange may
# carry a new version of its id, never the same record twice), the raw,
# SourceEvent, Signal and Outcome ids equal the clean run's (nothing lost),
# no page is delivered twice, and the settled timelines, the discrete
# signals each account holds, the final scores, plays, pages, bands and
# thresholds in force equal the clean run's.
#
# It stops and restarts the local stack tests/run started (deploy/local), so
# it runs serially and puts the stack back up whatever happens.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
e2e_local_stack_ports || { echo "FAIL: cannot tell the local stack's ports"; exit 1; }
ctl="$REVOS_BIN_DIR/revosctl"
base_dsn=$REVOS_PG_DSN
kills=${REVOS_FAULT_KILLS:-2}
root=$(mktemp -d /tmp/revos-faults.XXXXXX)
cleanup() {
    e2e_stop_all
    e2e_stack up || echo "WARNING: could not restart the local stack" >&2
}
trap cleanup EXIT
workers=(ingest normalize score route outcome)

# ---- the book: accounts fta (live), ftb (lost), ftc (renewed), ftd
e2e_book "$root" ft
total_raw=$(wc -l <"$root/book.tsv")
chunks=$((kills * ${#workers[@]}))
split -n "l/$chunks" -d -a 3 "$root/book.tsv" "$root/chunk."
e2e_log "book: $total_raw raw records over four accounts, in $chunks chunks"
# live pages wait 2 s instead of 15 (routing.page_wait), to settle sooner
mkdir -p "$root/config"
cp "$REVOS_SOURCE_DIR"/config/*.json "$root/config/"
python3 - "$root/config/routing.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["page_wait"] = "2s"
json.dump(doc, open(sys.argv[1], "w"), indent=2)
PY

start_run() { # NAME
    local name=$1
    work="$root/$name"
    mkdir -p "$work/logs"
    export REVOS_PG_DSN=$base_dsn
    export REVOS_TOPIC_PREFIX="revos.ft$$$name." REVOS_HTTP_PORT=0 REVOS_PAGE_WEBHOOK_SECRET=ft
    e2e_fresh_database "revos_ft$$$name"
    "$ctl" config apply --config-dir "$root/config" >/dev/null
    "$ctl" topics create --partitions 3 >/dev/null
    e2e_start_sink "$work"
    e2e_start_workers "$work/logs"
}

worker_pid() { local v="E2E_PID_revos_$1"; echo "${!v}"; }

# A worker that is not running (killed, or exited while the stack was down)
# is started again.
revive() {
    local w
    for w in "${workers[@]}"; do
        if ! kill -0 "$(worker_pid "$w")" 2>/dev/null; then
            wait "$(worker_pid "$w")" 2>/dev/null
            e2e_start "revos-$w" "$work/logs"
        fi
    done
}

finish_run() { # NAME
    e2e_wait 600 "[$1] every event scored, decided and relayed" 'revive; e2e_settled'
    sleep 8 # live pages wait page_wait (2 s here); revos-outcome's tick counts late closes
    e2e_wait 120 "[$1] settled again" 'revive; e2e_settled'
    e2e_states "$work"
    e2e_sql "SELECT account_id || ' ' || kind || ' ' || value || ' ' || tier FROM score_current ORDER BY 1" >"$work/scores.txt"
    e2e_sql "SELECT play_id || ' ' || play || ' ' || status || ' ' || historical FROM route_plays
             WHERE status <> 'superseded' ORDER BY 1" >"$work/plays.txt"
    e2e_sql "SELECT page_id || ' ' || CASE WHEN status IN ('pending', 'sent') THEN 'live' ELSE status END
             FROM route_pages WHERE status <> 'cancelled' ORDER BY 1" >"$work/pages.txt"
    e2e_sql "SELECT page_id FROM route_pages WHERE status = 'sent' ORDER BY 1" >"$work/sent.txt"
    # a band counted and taken back (a renewal counted without a play whose
    # play revos-route opened later, in one run and not the other) reads 0/0
    e2e_sql "SELECT score_kind || '/' || tier || ' ' || saves || '/' || losses FROM outcome_band_stats
             WHERE saves <> 0 OR losses <> 0 ORDER BY 1" >"$work/bands.txt"
    e2e_sql "SELECT score_kind || '/' || tier || ' ' || threshold FROM score_thresholds ORDER BY 1" >"$work/thresholds.txt"
    local topic
    for topic in raw.salesforce raw.segment raw.zendesk raw.nps events signals scores actions outcomes thresholds dlq; do
        "$ctl" consume "$topic" --timeout-ms 4000 >"$work/topic-$topic.jsonl" 2>>"$work/logs/consume.log"
    done
    e2e_log "[$1] $(wc -l <"$work/plays.txt") plays, $(wc -l <"$work/pages.txt") pages, $(grep -c . "$work/pages.jsonl" 2>/dev/null || echo 0) delivered"
    e2e_stop_all
}

# ---- clean
start_run clean
"$ctl" produce - "$root/book.tsv" >/dev/null
finish_run clean

# ---- faulted
start_run faulted
k=0
for chunk in "$root"/chunk.*; do
    "$ctl" produce - "$chunk" >/dev/null || e2e_fail "[faulted] producing $(basename "$chunk") failed"
    w=${workers[$((k % ${#workers[@]}))]}
    sleep "0.$((RANDOM % 9 + 1))"
    pid=$(worker_pid "$w")
    if kill -KILL "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        echo "revos-$w killed (chunk $k)" >>"$work/faults.txt"
    fi
    if ((k == chunks / 3)); then
        sleep 1
        e2e_stack down --crash --kafka-only
        echo "broker killed (chunk $k)" >>"$work/faults.txt"
        sleep 3
        e2e_stack up --kafka-only || e2e_fail "[faulted] the broker did not come back"
    fi
    if ((k == 2 * chunks / 3)); then
        sleep 1
        e2e_stack down --crash --pg-only
        echo "postgres stopped immediately (chunk $k)" >>"$work/faults.txt"
        sleep 3
        e2e_stack up --pg-only || e2e_fail "[faulted] PostgreSQL did not come back"
    fi
    revive
    k=$((k + 1))
done
e2e_log "[faulted] $(grep -c killed "$work/faults.txt") kills: $(grep -c '^revos' "$work/faults.txt") of workers, the broker once, PostgreSQL stopped once"
finish_run faulted

# ---- nothing lost, nothing doubled, the same outcome
for w in "${workers[@]}"; do
    e2e_check "revos-$w was SIGKILLed $kills times" test "$(grep -c "^revos-$w killed" "$root/faulted/faults.txt")" -ge "$kills"
done
for spec in events:event_id:set signals:signal_id:set scores:score_id:once actions:action_id:once \
    outcomes:outcome_id:set thresholds:change_id:versions; do
    IFS=: read -r topic field compare <<<"$spec"
    e2e_check "$topic: nothing lost or doubled" \
        python3 "$here/checks.py" topic_intact "$root/clean/topic-$topic.jsonl" "$root/faulted/topic-$topic.jsonl" "$field" "$compare"
done
for what in events timelines scores plays pages bands thresholds; do
    e2e_check "$what: faulted = clean" diff "$root/clean/$what.txt" "$root/faulted/$what.txt"
done
e2e_check "the raw book was read whole" test "$(cat "$root"/faulted/topic-raw.*.jsonl | grep -c .)" = "$total_raw"
e2e_check "the timelines hold four accounts" test "$(wc -l <"$root/clean/timelines.txt")" = 4
if [ -s "$root/faulted/sent.txt" ] || [ -s "$root/faulted/pages.jsonl" ]; then
    e2e_check "each page sent delivered exactly once" \
        python3 "$here/checks.py" pages_delivered_once "$root/faulted/pages.jsonl" "$root/faulted/sent.txt"
else
    e2e_fail "no page was sent under faults (the live account must be paged)"
fi
((E2E_FAILED)) && { echo "fault test FAILED (work in $root)"; exit 1; }
echo "fault test passed"
