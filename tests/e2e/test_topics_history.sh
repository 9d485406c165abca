#!/usr/bin/env bash
# Topics fit for history, on the real broker: `revosctl topics create` gives
# every topic its class's policy (LogAppendTime, retention chosen per class)
# and brings a topic created with the broker's defaults to it, printing each
# change. Raw records stamped with year-old and future (+2 days) source
# timestamps, as a connector replaying history stamps them, are all accepted
# and are all still there, readable, after the broker's retention check has
# run -- while the same records in a topic with the broker's defaults are
# rejected (future) or deleted (old). `revosctl produce` reports every
# record that failed and exits non-zero, the others delivered.
#
# The local broker checks retention every 5 s (deploy/local/kafka); against
# a broker with the default 5 min the test waits up to 6 min for it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}"
run_id=hist$$
work=$(mktemp -d /tmp/revos-hist.XXXXXX)
export REVOS_TOPIC_PREFIX="revos.$run_id."
ctl="$REVOS_BIN_DIR/revosctl"

now_ms=$(($(date +%s) * 1000))
year_ago_ms=$((now_ms - 365 * 86400000))
future_ms=$((now_ms + 2 * 86400000))

# Segment track calls in the source's own format, with their own timestamps.
records() { # COUNT EPOCH_MS TAG
    python3 - "$@" <<'PY'
import datetime, json, sys
count, ms, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for i in range(count):
    t = datetime.datetime.fromtimestamp(ms / 1000 + i, datetime.timezone.utc)
    print(json.dumps({"type": "track", "event": "Gradebook Synced", "userId": f"u_{i % 3}",
                      "messageId": f"{tag}-{i}", "context": {"groupId": f"grp_{i % 4}"},
                      "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                      "properties": {"quantity": i}}))
PY
}
records 20 "$year_ago_ms" old >"$work/old.jsonl"
records 10 "$future_ms" future >"$work/future.jsonl"

# A topic as an earlier version left it: created by the broker's defaults.
"$ctl" produce raw.nps "$here/../fixtures/raw/nps/delighted_response_created.json" >/dev/null ||
    e2e_fail "produce to a not-yet-created raw.nps"

e2e_log "== topics create"
"$ctl" topics create --partitions 2 >"$work/create.out" 2>"$work/create.err" || e2e_fail "topics create: $(cat "$work/create.err")"
cat "$work/create.out" >&2
e2e_check "16 topics created, the existing one altered" grep -q "16 created, 1 altered, 0 unchanged" "$work/create.out"
e2e_check "the existing raw topic moved to LogAppendTime, and says so" \
    grep -qx "${REVOS_TOPIC_PREFIX}raw.nps: message.timestamp.type CreateTime -> LogAppendTime" "$work/create.out"
e2e_check "the existing raw topic's retention moved from the broker's 7 days to 400" \
    grep -qx "${REVOS_TOPIC_PREFIX}raw.nps: retention.ms 604800000 -> 34560000000" "$work/create.out"
"$ctl" topics create --partitions 2 >"$work/create2.out" 2>&1 || e2e_fail "second topics create"
e2e_check "a second topics create changes nothing" grep -q "0 created, 0 altered, 17 unchanged" "$work/create2.out"

e2e_log "== history and the future into a raw topic"
e2e_check "year-old records accepted by raw.segment" \
    "$ctl" produce raw.segment "$work/old.jsonl" --timestamp-ms "$year_ago_ms"
e2e_check "records stamped 2 days ahead accepted by raw.segment" \
    "$ctl" produce raw.segment "$work/future.jsonl" --timestamp-ms "$future_ms"

e2e_log "== the same records into a topic with the broker's defaults (the control)"
"$ctl" produce control "$work/old.jsonl" --timestamp-ms "$year_ago_ms" >/dev/null 2>"$work/control_old.err" ||
    e2e_fail "year-old records into the control topic: $(cat "$work/control_old.err")"
"$ctl" produce control "$work/future.jsonl" --timestamp-ms "$future_ms" >/dev/null 2>"$work/control_future.err"
code=$?
e2e_check "future records are rejected by a default topic: produce exits non-zero" test "$code" -ne 0
e2e_check "... and reports each of the 10 records" \
    test "$(grep -c 'not delivered: Broker: Invalid timestamp' "$work/control_future.err")" -eq 10
e2e_check "... and the total" grep -q "10 of 10 records not delivered" "$work/control_future.err"

e2e_wait 360 "the broker's retention check deleted the control topic's year-old records" \
    'test "$("$ctl" consume control --timeout-ms 3000 | wc -l)" -eq 0'
"$ctl" consume raw.segment --timeout-ms 4000 >"$work/raw.jsonl"
e2e_check "all 30 raw records are still there after the retention check" test "$(wc -l <"$work/raw.jsonl")" -eq 30
e2e_check "... and read back byte for byte" \
    diff <(sort "$work/raw.jsonl") <(cat "$work/old.jsonl" "$work/future.jsonl" | sort)
"$ctl" consume raw.nps --timeout-ms 3000 >"$work/nps.jsonl"
e2e_check "the altered topic kept its earlier record" test "$(wc -l <"$work/nps.jsonl")" -eq 1

e2e_log "== delivery errors"
python3 - "$work/mixed.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i, size in enumerate([10, 1_200_000, 10, 10]):
        f.write(json.dumps({"type": "track", "event": "e", "userId": f"u{i}", "messageId": f"m{i}",
                            "properties": {"blob": "x" * size}}) + "\n")
PY
# librdkafka's own limit raised so the record reaches the broker, which
# refuses it (raw max.message.bytes is 1 MiB + 1 KiB): a delivery report error
"$ctl" produce raw.segment "$work/mixed.jsonl" -X message.max.bytes=4000000 >/dev/null 2>"$work/mixed.err"
code=$?
cat "$work/mixed.err" >&2
e2e_check "a record too large for the topic fails produce" test "$code" -ne 0
# "(key u1)": produce keyed it by Segment's natural key, the call's userId
e2e_check "... named by its number and natural key" grep -q "record 2 to ${REVOS_TOPIC_PREFIX}raw.segment (key u1) not delivered: Broker: Message size too large" "$work/mixed.err"
e2e_check "... and counted" grep -q "1 of 4 records not delivered" "$work/mixed.err"
"$ctl" consume raw.segment --timeout-ms 4000 >"$work/raw2.jsonl"
e2e_check "the other three records were delivered" test "$(wc -l <"$work/raw2.jsonl")" -eq 33

((E2E_FAILED)) && { echo "topics-history test FAILED (files in $work)"; exit 1; }
echo "topics-history test passed"
