#!/usr/bin/env bash
# Event time, on the real broker and PostgreSQL: one multi-source book of
# four accounts (Salesforce CDC, Segment, Zendesk, Delighted/Wootric), from
# about 300 days ago to yesterday, fed in three arrival orders:
#
#   ordered     every record of every source merged in event-time order,
#               4 partitions;
#   concurrent  the four sources produced at once as fast as they go (a real
#               backfill of four systems), 4 partitions, revos-score killed
#               with SIGKILL mid-run and restarted;
#   crm_last    all of one source before the next, Salesforce last (every
#               event waits for its account), 1 partition.
#
# The discrete signals each account holds and the settled timelines must be
# identical cell by cell, and so must the plays, the pages, the bands and the
# thresholds in force. In every run no
# page about a condition older than the live horizon (72 h) is delivered,
# and the account whose champion left two days ago is paged, once per page.
# Then a usage event 450 days older than the account's newest goes to the
# dead-letter topic as too_late.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
ctl="$REVOS_BIN_DIR/revosctl"
base_dsn=$REVOS_PG_DSN
root=$(mktemp -d /tmp/revos-et.XXXXXX)
trap 'e2e_stop_all' EXIT

day() { date -u -d "$1 days ago" +%Y-%m-%d; }

# ---- the book: accounts eta (live), etb (lost), etc (renewed), etd
e2e_book "$root" et
mkdir -p "$root/src"
for topic in salesforce segment zendesk nps; do
    awk -F'\t' -v t="raw.$topic" '$1 == t { sub(/^[^\t]*\t/, ""); print }' "$root/book.tsv" >"$root/src/$topic.jsonl"
done
total_raw=$(wc -l <"$root/book.tsv")
e2e_log "book: $total_raw raw records over four accounts"

start_run() { # NAME PARTITIONS
    local name=$1
    work="$root/$name"
    mkdir -p "$work/logs"
    export REVOS_PG_DSN=$base_dsn
    export REVOS_TOPIC_PREFIX="revos.et$$$name." REVOS_HTTP_PORT=0 REVOS_PAGE_WEBHOOK_SECRET=et
    e2e_fresh_database "revos_et$$$name"
    "$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
    "$ctl" topics create --partitions "$2" >/dev/null
    e2e_start_sink "$work"
    e2e_start_workers "$work/logs"
}

finish_run() { # NAME
    e2e_wait 600 "[$1] every event scored, decided and relayed" e2e_settled
    sleep 20 # live pages wait page_wait (15 s); revos-outcome's tick counts late closes
    e2e_wait 120 "[$1] settled again" e2e_settled
    # each account's stored state: its timeline cell by cell, and what it is
    # made of, the discrete signals it holds
    e2e_states "$work"
    e2e_sql "SELECT 'parked ' || count(*) FROM norm_parked" >>"$work/events.txt"
    e2e_sql "SELECT play_id || ' ' || play || ' ' || status || ' ' || historical FROM route_plays
             WHERE status <> 'superseded' ORDER BY 1" >"$work/plays.txt"
    e2e_sql "SELECT page_id || ' ' || CASE WHEN status IN ('pending', 'sent') THEN 'live' ELSE status END
             FROM route_pages WHERE status <> 'cancelled' ORDER BY 1" >"$work/pages.txt"
    e2e_sql "SELECT score_kind || '/' || tier || ' ' || saves || '/' || losses FROM outcome_band_stats ORDER BY 1" >"$work/bands.txt"
    # the bounds in force after the year (a transient play a correction
    # withdrew may have moved one and moved it back on the way)
    e2e_sql "SELECT score_kind || '/' || tier || ' ' || threshold FROM score_thresholds ORDER BY 1" >"$work/thresholds.txt"
    e2e_sql "SELECT change_id || ' ' || threshold || ' day ' || effective_day FROM score_threshold_log ORDER BY 1" >"$work/threshold_log.txt"
    e2e_sql "SELECT page_id FROM route_pages WHERE status = 'sent' ORDER BY 1" >"$work/sent.txt"
    e2e_log "[$1] $(wc -l <"$work/plays.txt") plays, $(wc -l <"$work/pages.txt") pages, $(grep -c . "$work/pages.jsonl" 2>/dev/null || echo 0) delivered, $(wc -l <"$work/thresholds.txt") threshold changes"
}

# ---- ordered: event-time order across the four sources
start_run ordered 4
"$ctl" produce - "$root/book.tsv" >/dev/null
finish_run ordered
# a usage event 450 days older than account eta's newest: too late
old=$(date -u -d "450 days ago" +%Y-%m-%dT09:00:00.000Z)
printf '{"type":"track","event":"Lesson Assigned","messageId":"et-too-late","userId":"eta-teacher-1","timestamp":"%s","properties":{},"context":{"groupId":"grp-eta"}}\n' "$old" >"$root/too_late.jsonl"
"$ctl" produce raw.segment "$root/too_late.jsonl" >/dev/null
e2e_wait 60 "[ordered] the 450-day-old event dead-lettered as too_late" \
    '"$ctl" consume dlq --timeout-ms 3000 | grep -q "\"error_class\": *\"too_late\""'
"$ctl" consume dlq --timeout-ms 3000 | grep -E '"error_class": *"too_late"' | head -1 >"$work/too_late.json"
e2e_check "[ordered] the dead letter says how late it was" grep -q "days older than the newest event" "$work/too_late.json"
# the settled timeline and explain --at, by the Salesforce id
"$ctl" timeline 001Dn00000ETAAAAA --kind renewal_risk --json >"$work/timeline.jsonl"
e2e_check "[ordered] revosctl timeline prints 90 days of renewal risk, critical on the last" python3 - "$work/timeline.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(rows) >= 89 and all(r["kind"] == "renewal_risk" for r in rows), len(rows)
assert rows[-1]["tier"] == "critical" and rows[0]["tier"] == "low", (rows[0], rows[-1])
PY
"$ctl" explain 001Dn00000ETAAAAA --at "$(day 1)" --json >"$work/explain_at.json"
"$ctl" explain 001Dn00000ETAAAAA --at "$(day 40)" --json >"$work/explain_before.json"
e2e_check "[ordered] explain --at shows the day's cell, critical yesterday and low 40 days ago, adding up" \
    python3 - "$work/explain_at.json" "$work/explain_before.json" <<'PY'
import json, sys
now, before = (json.load(open(p))["scores"]["renewal_risk"] for p in sys.argv[1:3])
assert now["tier"] == "critical" and before["tier"] == "low", (now["tier"], before["tier"])
for s in (now, before):
    total = sum(c["points"] for c in s["explanation"]["contributions"])
    assert abs(total - s["value"]) < 1e-6, (total, s["value"])
PY
e2e_stop_all

# ---- concurrent: four sources at once, revos-score killed mid-run
start_run concurrent 4
for topic in salesforce segment zendesk nps; do
    "$ctl" produce "raw.$topic" "$root/src/$topic.jsonl" >/dev/null &
    producers+=("$!")
done
e2e_wait 120 "[concurrent] revos-score past a third of the book" \
    'test "$(e2e_offsets_sum "WHERE group_id LIKE '"'"'%revos-score'"'"'")" -ge '"$((total_raw / 3))"
kill -KILL "$E2E_PID_revos_score"
wait "$E2E_PID_revos_score" 2>/dev/null
e2e_log "[concurrent] revos-score killed with SIGKILL"
e2e_start revos-score "$work/logs"
wait "${producers[@]}"
finish_run concurrent
e2e_stop_all

# ---- crm_last: one source after the other, Salesforce last, one partition
start_run crm_last 1
for topic in segment zendesk nps salesforce; do
    "$ctl" produce "raw.$topic" "$root/src/$topic.jsonl" >/dev/null
done
finish_run crm_last
e2e_stop_all

# ---- the same event set gives the same everything
for run in concurrent crm_last; do
    for what in events timelines plays pages bands thresholds; do
        e2e_check "$what: ordered = $run" diff "$root/ordered/$what.txt" "$root/$run/$what.txt"
    done
done
e2e_check "the timelines hold four accounts" test "$(wc -l <"$root/ordered/timelines.txt")" = 4
e2e_check "plays were decided (history and live)" test "$(wc -l <"$root/ordered/plays.txt")" -ge 2
e2e_check "historical plays are recorded, not paged" grep -q " true$" "$root/ordered/plays.txt"
e2e_check "the lost renewal moved a threshold" test -s "$root/ordered/thresholds.txt"
for run in ordered concurrent crm_last; do
    e2e_check "[$run] only live conditions paged, the live account paged, each page once" \
        python3 "$here/checks.py" live_pages_only "$root/$run/pages.jsonl" 72 acct-001Dn00000ETAAAAA
done
((E2E_FAILED)) && { echo "event-time test FAILED (work in $root)"; exit 1; }
echo "event-time test passed"
