#!/usr/bin/env bash
# Dead letters are always writable, on the real broker. The raw topics are
# created to accept 4 MiB messages (revosctl topics create
# --raw-topic-config max.message.bytes=4194304) while revos.dlq keeps the
# broker's default of about 1 MiB. Two raw records are produced: one of
# 2 MiB (above max_raw_bytes: "oversized") and one just under 1 MiB that is
# not JSON ("decode") -- the case that used to yield a DeadLetter larger than
# REVOS_AVRO_MAX_RECORD and crash-loop revos-ingest. Each must become a
# truncated DeadLetter that keeps the original's size, topic, partition,
# offset and hash; revos-ingest must never fail a batch fatally and must
# still ingest the good record sent after them. Start-up refusals of
# unknown flags are checked on the way.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
run_id=bigdlq$$
work=$(mktemp -d /tmp/revos-bigdlq.XXXXXX)
mkdir -p "$work/logs"
export REVOS_TOPIC_PREFIX="revos.$run_id." REVOS_HTTP_PORT=0
ctl="$REVOS_BIN_DIR/revosctl"
trap 'e2e_stop_all' EXIT

e2e_fresh_database "revos_$run_id"
"$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
"$ctl" topics create --partitions 1 --raw-topic-config max.message.bytes=4194304 >/dev/null

refuses_with_2() { "$@" >/dev/null 2>"$work/refusal.txt"; test $? = 2 && grep -q "unknown flag" "$work/refusal.txt"; }
e2e_check "revosctl refuses an unknown flag" refuses_with_2 "$ctl" topics create --partitoins 2
e2e_check "revos-ingest refuses an unknown flag at start-up" \
    refuses_with_2 timeout 20 "$REVOS_BIN_DIR/revos-ingest" --batch-maxx 5

e2e_start revos-ingest "$work/logs"

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
big = json.dumps({"type": "track", "event": "x", "messageId": "big",
                  "timestamp": "2026-06-01T00:00:00Z", "properties": {"blob": "a" * (2 * 1024 * 1024)}})
almost = '{"type":"track","event":"' + "b" * (1048576 - 100)  # cut JSON, under max_raw_bytes
for name, text in (("big", big), ("almost", almost)):
    with open(f"{work}/{name}", "w") as f:
        f.write(text + "\n")
    with open(f"{work}/{name}.size", "w") as f:
        f.write(str(len(text)))
PY
"$ctl" produce raw.segment "$work/big" -X message.max.bytes=5000000 >/dev/null ||
    e2e_fail "the 2 MiB record could not be produced"
"$ctl" produce raw.segment "$work/almost" -X message.max.bytes=5000000 >/dev/null ||
    e2e_fail "the 1 MiB record could not be produced"
"$ctl" produce raw.segment "$REVOS_SOURCE_DIR/tests/fixtures/raw/segment/track.json" >/dev/null

e2e_wait 90 "dead letters for both large records" \
    '"$ctl" consume dlq --timeout-ms 4000 >"$work/dlq.jsonl"; python3 "$here/checks.py" count_at_least "$work/dlq.jsonl" 2'
e2e_check "each is truncated and keeps size, position and hash of its original" \
    python3 "$here/checks.py" large_dead_letters "$work/dlq.jsonl" "${REVOS_TOPIC_PREFIX}raw.segment" \
    "$(cat "$work/big.size")" "$(cat "$work/almost.size")"
e2e_wait 60 "the good record after them is ingested" \
    '"$ctl" consume events --timeout-ms 3000 >"$work/events.jsonl"; python3 "$here/checks.py" count_at_least "$work/events.jsonl" 1'
e2e_check "revos-ingest still running" kill -0 "$E2E_PID_revos_ingest"
e2e_check "revos-ingest never failed a batch fatally" bash -c '! grep -q "fatal" "$0"' "$work/logs/revos-ingest.log"
e2e_stop_all
((E2E_FAILED)) && { echo "large dead letter test FAILED (logs in $work/logs)"; exit 1; }
echo "large dead letter test passed"
