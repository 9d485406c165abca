#!/usr/bin/env bash
# Bad input on purpose, against the real broker and PostgreSQL: malformed
# JSON, wrong types, truncated and oversized records, an unknown source, a
# HubSpot batch missing an eventId, a source without a parser (market),
# undecodable Avro on every Avro input, and an invalid outcome. Each must
# land in revos.dlq with its reason; every worker keeps running and still
# processes the good record sent after the bad ones.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
run_id=bad$$
work=$(mktemp -d /tmp/revos-bad.XXXXXX)
mkdir -p "$work/logs"
export REVOS_TOPIC_PREFIX="revos.$run_id." REVOS_HTTP_PORT=0
ctl="$REVOS_BIN_DIR/revosctl"
trap 'e2e_stop_all' EXIT

e2e_fresh_database "revos_$run_id"
mkdir -p "$work/config" && cp "$REVOS_SOURCE_DIR"/config/*.json "$work/config/"
# A small raw-size bound so "oversized" is testable below the broker's own limit.
python3 - "$work/config/mapping.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); doc["max_raw_bytes"] = 65536
json.dump(doc, open(sys.argv[1], "w"))
PY
"$ctl" config apply --config-dir "$work/config" >/dev/null
"$ctl" topics create --partitions 2 >/dev/null
e2e_start_workers "$work/logs"

bad="$work/bad"
mkdir -p "$bad"
printf '%s\n' '{"type":"track","event":' >"$bad/truncated"
printf '%s\n' 'this is not json' >"$bad/malformed"
printf '%s\n' '{"type":"track","event":"Login","messageId":42,"timestamp":"2026-06-01T00:00:00Z"}' >"$bad/wrong_types"
python3 -c 'import json;print(json.dumps({"type":"track","event":"x","messageId":"big","timestamp":"2026-06-01T00:00:00Z","properties":{"blob":"a"*100000}}))' >"$bad/oversized"
printf '%s\n' '{"anything":1}' >"$bad/unknown_source"
printf '%s\n' '[{"subscriptionId":2,"portalId":3,"occurredAt":1,"subscriptionType":"deal.creation","attemptNumber":0,"objectId":9,"changeSource":"CRM","changeFlag":"NEW"}]' >"$bad/hubspot"
printf '%s\n' '{"calendar":"k12-mn","event":"budget_season_opens"}' >"$bad/market"
printf '%s\n' 'garbage that is not avro' >"$bad/not_avro"
printf '%s\n' '{"outcome_id":"bad-1","kind":"play","result":"done","account_id":"acct-x","play_id":"p1","task_id":null,"page_id":null,"actor":"test","occurred_at":1780000000000,"note":""}' >"$bad/done_outcome"

"$ctl" produce raw.segment "$bad/truncated" >/dev/null
"$ctl" produce raw.segment "$bad/malformed" >/dev/null
"$ctl" produce raw.segment "$bad/wrong_types" >/dev/null
"$ctl" produce raw.segment "$bad/oversized" >/dev/null
"$ctl" produce raw.nosuchsource "$bad/unknown_source" >/dev/null
"$ctl" produce raw.hubspot "$bad/hubspot" >/dev/null
"$ctl" produce raw.market "$bad/market" >/dev/null
for t in events signals scores outcomes thresholds; do
    "$ctl" produce "$t" "$bad/not_avro" >/dev/null
done
"$ctl" produce outcomes "$bad/done_outcome" --avro >/dev/null

# A good record after the bad ones: the pipeline must still work.
python3 "$here/scenario.py" --out "$work/events" --tag good >/dev/null
e2e_produce_phase "$work/events" phase1

e2e_wait 120 "dead letters for all 13 bad records" \
    '"$ctl" consume dlq --timeout-ms 4000 >"$work/dlq.jsonl"; python3 "$here/checks.py" count_at_least "$work/dlq.jsonl" 13'
e2e_check "each dead letter names its reason and class, original bytes kept" \
    python3 "$here/checks.py" dead_letters "$work/dlq.jsonl" "$REVOS_TOPIC_PREFIX"
e2e_wait 60 "the good account still flows to the scoring layer" \
    'test -n "$(e2e_sql "SELECT 1 FROM score_current WHERE account_id=\$\$acct-001Dn00000LincAAA\$\$ LIMIT 1")"'
for w in ingest normalize score route outcome; do
    pid_var="E2E_PID_revos_$w"
    e2e_check "revos-$w still running after bad input" kill -0 "${!pid_var}"
done
e2e_stop_all
((E2E_FAILED)) && { echo "bad-input test FAILED (logs in $work/logs)"; exit 1; }
echo "bad-input test passed"
