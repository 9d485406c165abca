#!/usr/bin/env bash
# walkthrough.sh -- the reference walkthrough (DESIGN.md) through all five
# workers as separate processes, from real-format source events, checking and
# printing what each layer did. Used by deploy/walkthrough (embedded mock
# broker) and by tests/e2e/test_walkthrough.sh (the real Kafka broker).
#
# Needs: REVOS_BIN_DIR, REVOS_SOURCE_DIR, REVOS_PG_DSN (a server where the
# user may create databases), REVOS_KAFKA_BROKERS. Optional: WALK_SLA (the
# shortened SLA, default 8s), WALK_DIR (work folder).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"

run_id=${WALK_RUN_ID:-w$$}
work=${WALK_DIR:-$(mktemp -d /tmp/revos-walk.XXXXXX)}
rm -rf "$work/events" "$work/pages.jsonl" "$work/logs" "$work/config"
mkdir -p "$work/logs"
# A fresh embedded broker (WALK_MOCK=1) has the default topics already
# (revos-mock-broker creates them); on a shared broker each run gets its own.
if [ "${WALK_MOCK:-0}" = 1 ]; then
    export REVOS_TOPIC_PREFIX=revos.
else
    export REVOS_TOPIC_PREFIX="revos.$run_id."
fi
export REVOS_HTTP_PORT=0
export REVOS_LOG_LEVEL=${REVOS_LOG_LEVEL:-info}
export REVOS_PAGE_WEBHOOK_SECRET="walkthrough-secret-$run_id"
sla=${WALK_SLA:-8s}
ctl="$REVOS_BIN_DIR/revosctl"
say() { printf '\n== %s\n' "$*"; }

trap 'e2e_stop_all' EXIT

e2e_fresh_database "revos_$run_id"
"$ctl" migrate >/dev/null || { e2e_fail "revosctl migrate"; exit 1; }
e2e_config_with_sla "$REVOS_SOURCE_DIR/config" "$work/config" "$sla"
"$ctl" config apply --config-dir "$work/config" || { e2e_fail "revosctl config apply"; exit 1; }
if [ "${WALK_MOCK:-0}" != 1 ]; then
    "$ctl" topics create --partitions 4 >/dev/null || { e2e_fail "revosctl topics create"; exit 1; }
fi

# The page receiver: verifies every page's HMAC signature.
# Its secret is the sender's REVOS_PAGE_WEBHOOK_SECRET, from the environment.
"$REVOS_BIN_DIR/revos-webhook-sink" --port 0 --out "$work/pages.jsonl" 2>"$work/logs/sink.log" &
E2E_PIDS+=("$!")
e2e_wait 10 "webhook receiver listening" 'grep -q "listening on" "$work/logs/sink.log"'
sink_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/logs/sink.log" | head -1)
export REVOS_PAGE_WEBHOOK_URL="http://127.0.0.1:$sink_port/pages"

e2e_start_workers "$work/logs"

python3 "$here/scenario.py" --out "$work/events" >"$work/scenario.json"
account_sf=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["account"])' "$work/scenario.json")
account="acct-$account_sf"

score_of() { e2e_sql "SELECT round(value::numeric,1) FROM score_current WHERE account_id='$account' AND kind='$1'"; }
tier_of() { e2e_sql "SELECT tier FROM score_current WHERE account_id='$account' AND kind='renewal_risk'"; }
near() { python3 -c 'import sys; v=sys.argv[1]; sys.exit(0 if v and abs(float(v)-float(sys.argv[2]))<=float(sys.argv[3]) else 1)' "$1" "$2" "$3"; }

say "Signals layer: the account, its renewal and its people arrive from Salesforce, Zendesk and Segment"
e2e_produce_phase "$work/events" phase1
e2e_wait 90 "account known to the scoring layer" 'test -n "$(score_of account_health)"'
e2e_wait 60 "Zendesk organization and Segment group linked to the account" \
    'test "$(e2e_sql "SELECT count(*) FROM norm_identity WHERE kind IN ('"'"'zendesk_org'"'"', '"'"'segment_group'"'"')")" = 2 && test "$(e2e_sql "SELECT count(*) FROM norm_parked")" = 0'

say "60 healthy days: steady usage, a ticket every ten days, NPS 8"
e2e_produce_phase "$work/events" phase2
e2e_wait 120 "health about 72" 'near "$(score_of account_health)" 72 0.5 && near "$(score_of renewal_risk)" 21 2'
printf 'account health %s, renewal risk %s (%s), forecast confidence %s%%\n' \
    "$(score_of account_health)" "$(score_of renewal_risk)" "$(tier_of)" "$(score_of forecast_confidence)"
e2e_check "renewal risk low while healthy" test "$(tier_of)" = low

say "30 days of decline: usage -35%, champion changes roles, NPS 3, tickets triple"
e2e_produce_phase "$work/events" phase3
e2e_wait 120 "renewal risk critical" 'test "$(tier_of)" = critical'
e2e_wait 60 "health about 28" 'near "$(score_of account_health)" 28 0.5'
printf 'account health %s, renewal risk %s (%s), forecast confidence %s%%\n' \
    "$(score_of account_health)" "$(score_of renewal_risk)" "$(tier_of)" "$(score_of forecast_confidence)"
e2e_check "forecast confidence about 15%" near "$(score_of forecast_confidence)" 15 2

say "Why? (revosctl explain $account_sf)"
"$ctl" explain "$account_sf" | sed 's/^/  /'
"$ctl" explain "$account_sf" --json >"$work/explain.json"
e2e_check "explain --json resolves the Salesforce id; contributions add up, with evidence" \
    python3 "$here/checks.py" explain "$work/explain.json" "$account"

say "Decisions layer: the Renewal Save play and its financial frame"
play_of_account() { e2e_sql "SELECT play_id FROM route_plays WHERE account_id='$account' AND play='renewal_save'"; }
e2e_wait 60 "a Renewal Save play was assigned" 'test -n "$(play_of_account)"'
play=$(play_of_account)
[ -n "$play" ] || play=no-such-play
play_sql() { e2e_sql "SELECT $1 FROM route_plays WHERE play_id='$play'"; }
echo "play renewal_save: ARR at risk \$$(play_sql 'round(arr_at_risk)'), save cost \$$(play_sql 'round(save_cost)'), replacement cost \$$(play_sql 'round(replacement_cost)')"
e2e_check "\$180K at risk, \$14K save, \$54K replacement" \
    test "$(play_sql "round(arr_at_risk)||'/'||round(save_cost)||'/'||round(replacement_cost)")" = "180000/14000/54000"

say "Cadences layer: pages to the CSM lead and the AE, escalation when not acknowledged within $sla"
e2e_wait 60 "pages to the CSM lead and the AE received, signatures valid" \
    'python3 "$here/checks.py" first_pages "$work/pages.jsonl" "$play"'
e2e_wait 90 "escalated to the next level after the SLA" \
    'python3 "$here/checks.py" escalated "$work/pages.jsonl" "$play"'
python3 "$here/checks.py" print_pages "$work/pages.jsonl"
e2e_check "no page delivered twice" python3 "$here/checks.py" no_duplicate_pages "$work/pages.jsonl"

say "Feedback: the account renews; the outcome tunes the critical threshold"
"$ctl" outcome "$play" --result renewed
e2e_wait 60 "play closed as renewed" 'test "$(play_sql status)" = renewed'
"$ctl" consume thresholds --max 1 --timeout-ms 30000 >"$work/thresholds.jsonl"
e2e_check "a ThresholdChange was emitted" python3 "$here/checks.py" thresholds "$work/thresholds.jsonl"
e2e_check "\"done\" is refused as an outcome" bash -c "! '$ctl' outcome '$play' --result done 2>/dev/null"
if [ "$REVOS_LOG_LEVEL" = debug ]; then # every record's line: follow the page's source event
    e2e_check "one trace id from ingest to page in the logs, and the outcome" \
        python3 "$here/checks.py" journey "$work/logs" "$work/pages.jsonl"
fi

e2e_stop_all
if ((E2E_FAILED)); then
    echo "walkthrough FAILED (logs in $work/logs)"
    exit 1
fi
echo "walkthrough passed (work folder $work)"
