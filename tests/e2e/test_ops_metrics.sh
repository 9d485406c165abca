#!/usr/bin/env bash
# /metrics of the five real workers, on the real broker and PostgreSQL,
# checked with `promtool check metrics` (Debian's prometheus package) right
# after start-up, before any record, and again after real-format source
# events (and a malformed one) went through. Every series is there at 0 from
# the start; afterwards the per-topic counters, the batch histograms, the
# dead letters by class, the config version and the lag gauges carry values.
# From the Kafka side: the stateful workers commit their PostgreSQL-stored
# offsets to their consumer group after each relay, so `revosctl lag`
# (committed offsets as lag tools read them) matches PostgreSQL.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
command -v promtool >/dev/null || { echo "FAIL: promtool missing (deploy/deps installs prometheus)"; exit 1; }
run_id=metrics$$
work=$(mktemp -d /tmp/revos-metrics.XXXXXX)
mkdir -p "$work/logs" "$work/scrapes"
export REVOS_TOPIC_PREFIX="revos.$run_id." REVOS_HTTP_PORT=0
ctl="$REVOS_BIN_DIR/revosctl"
trap 'e2e_stop_all' EXIT
workers=(ingest normalize score route outcome)

e2e_fresh_database "revos_$run_id"
"$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
"$ctl" topics create --partitions 2 >/dev/null
e2e_start_workers "$work/logs"
declare -A port
for w in "${workers[@]}"; do
    e2e_wait 60 "revos-$w ops endpoint up" "test -n \"\$(e2e_ops_port '$work/logs/revos-$w.log')\""
    port[$w]=$(e2e_ops_port "$work/logs/revos-$w.log")
done

scrape() { # scrape WORKER NAME: saves and promtool-checks one /metrics
    local f=$work/scrapes/$1.$2.prom
    curl -sf "http://127.0.0.1:${port[$1]}/metrics" >"$f" || { e2e_fail "scrape $1"; return 1; }
    if promtool check metrics <"$f" >"$work/scrapes/$1.$2.promtool" 2>&1; then
        printf 'ok: promtool check metrics: revos-%s (%s, %s series)\n' "$1" "$2" "$(grep -vc '^#' "$f")" >&2
    else
        cat "$work/scrapes/$1.$2.promtool" >&2
        e2e_fail "promtool check metrics: revos-$1 ($2)"
    fi
}
value() { # value WORKER NAME SERIES: the sample's value (empty when absent)
    awk -v s="$3" '$1 == s { print $2; exit }' "$work/scrapes/$1.$2.prom"
}
has_zero() { # has_zero WORKER NAME SERIES...
    local w=$1 n=$2 s
    shift 2
    for s in "$@"; do
        [[ "$(value "$w" "$n" "$s")" == 0 ]] || { echo "revos-$w: $s is '$(value "$w" "$n" "$s")', want 0" >&2; return 1; }
    done
}

# ---- before any record: valid, and every series already there at 0
for w in "${workers[@]}"; do
    scrape "$w" start
    e2e_check "revos-$w: common series at 0 from start-up" has_zero "$w" start \
        revos_records_in_total revos_records_out_total revos_batches_total \
        revos_batch_failures_total revos_batch_retries_total revos_transaction_aborts_total \
        revos_dead_letters_total 'revos_dead_letters_by_class_total{class="decode"}' \
        'revos_dead_letters_by_class_total{class="validation"}' \
        revos_batch_records_count revos_batch_duration_seconds_count \
        "revos_topic_records_out_total{topic=\"$REVOS_TOPIC_PREFIX""dlq\"}"
done
e2e_check "ingest: records in per raw topic at 0" has_zero ingest start \
    "revos_topic_records_in_total{topic=\"${REVOS_TOPIC_PREFIX}raw.salesforce\"}" \
    "revos_topic_records_in_total{topic=\"${REVOS_TOPIC_PREFIX}raw.segment\"}"
for w in normalize score route outcome; do
    e2e_check "revos-$w: outbox series at 0" has_zero "$w" start \
        revos_outbox_relayed_total revos_outbox_backlog revos_outbox_oldest_age_seconds
done
e2e_check "route: page and escalation counters at 0" has_zero route start \
    revos_pages_sent_total revos_pages_failed_total revos_page_retries_total revos_escalations_total
for ch in json slack pagerduty; do
    e2e_check "route: page deliveries by channel at 0 ($ch)" has_zero route start \
        "revos_pages_sent_by_channel_total{channel=\"$ch\"}" \
        "revos_pages_retried_by_channel_total{channel=\"$ch\"}" \
        "revos_pages_failed_by_channel_total{channel=\"$ch\"}"
done
e2e_check "score: score counters at 0" has_zero score start \
    revos_score_signals_total revos_score_updates_total
e2e_check "outcome: outcome counters at 0" has_zero outcome start revos_outcomes_total

# ---- real-format events through the pipeline, plus one malformed record
python3 "$here/scenario.py" --out "$work/events" --tag met --sf-account 001Dn00000MetAAAA \
    --name "Metric Falls District" --domain metricfalls.k12.us --arr 120000 >/dev/null
E2E_RATE=400 e2e_produce_phase "$work/events" phase1
printf '{"not": "a CDC event"\n' >"$work/bad.json"
"$ctl" produce raw.salesforce "$work/bad.json" >/dev/null
metric() { curl -s "http://127.0.0.1:${port[$1]}/metrics" | awk -v s="$2" '$1 == s { print $2; exit }'; }
e2e_wait 120 "score consumed signals" 'test "$(metric score revos_records_in_total)" -gt 0'
e2e_wait 60 "route consumed scores" 'test "$(metric route revos_records_in_total)" -gt 0'
e2e_wait 30 "ingest dead-lettered the malformed record" 'test "$(metric ingest revos_dead_letters_total)" -gt 0'
sleep 6 # one gauge period (lag, outbox age)

for w in "${workers[@]}"; do scrape "$w" after; done
positive() { awk -v v="$(value "$1" after "$2")" 'BEGIN { exit !(v + 0 > 0) }' || { echo "revos-$1: $2 = '$(value "$1" after "$2")'" >&2; return 1; }; }
e2e_check "ingest: records in on raw.salesforce counted per topic" \
    positive ingest "revos_topic_records_in_total{topic=\"${REVOS_TOPIC_PREFIX}raw.salesforce\"}"
e2e_check "ingest: records out on events counted per topic" \
    positive ingest "revos_topic_records_out_total{topic=\"${REVOS_TOPIC_PREFIX}events\"}"
e2e_check "ingest: the dead letter counted by class" \
    bash -c "grep -E '^revos_dead_letters_by_class_total\\{class=\"[a-z_]+\"\\} [1-9]' '$work/scrapes/ingest.after.prom'"
for w in ingest normalize score route; do
    e2e_check "revos-$w: batch histograms observed" positive "$w" revos_batch_duration_seconds_count
    e2e_check "revos-$w: batch size histogram +Inf bucket = count" \
        test "$(value "$w" after 'revos_batch_records_bucket{le="+Inf"}')" = "$(value "$w" after revos_batch_records_count)"
    e2e_check "revos-$w: config version in force" positive "$w" revos_config_version
    e2e_check "revos-$w: consumer lag per partition exported" \
        grep -q '^revos_consumer_lag{partition="' "$work/scrapes/$w.after.prom"
done
e2e_check "normalize: outbox relayed" positive normalize revos_outbox_relayed_total

# ---- the Kafka side: the group's committed offsets follow PostgreSQL's
pg_sum() { e2e_sql "SELECT COALESCE(sum(next_offset), 0) FROM consumer_offsets WHERE group_id = '${REVOS_TOPIC_PREFIX}revos-$1' AND next_offset >= 0"; }
kafka_sum() { "$ctl" lag "$1" 2>/dev/null | sed -n 's/.* committed=\([0-9]*\) .*/\1/p' | awk '{ s += $1 } END { print s + 0 }'; }
for w in normalize score; do
    e2e_wait 30 "revos-$w: Kafka group offsets equal PostgreSQL's (> 0)" \
        'test "$(pg_sum '"$w"')" -gt 0 && test "$(kafka_sum '"$w"')" = "$(pg_sum '"$w"')"'
done
"$ctl" lag normalize >"$work/lag.txt" 2>&1
e2e_check "revosctl lag prints committed, end and lag per partition" \
    grep -Eq "^${REVOS_TOPIC_PREFIX//./\\.}events [0-9]+ committed=[0-9]+ end=[0-9]+ lag=[0-9]+\$" "$work/lag.txt"
e2e_check "committed offsets on the Kafka side count metric kafka_offset_commits" \
    positive normalize revos_kafka_offset_commits_total

# ---- the alerts and the dashboard use only series the workers export
cat "$work"/scrapes/*.after.prom | awk '!/^#/ { sub(/\{.*/, "", $1); print $1 }' | sort -u >"$work/exported.txt"
for f in deploy/prometheus/alerts.yml deploy/grafana/revos.json; do
    unknown=$(grep -o 'revos_[a-z_]*' "$REVOS_SOURCE_DIR/$f" | sort -u | grep -vxF -f "$work/exported.txt" || true)
    e2e_check "$f references only exported metrics${unknown:+ (unknown: $unknown)}" test -z "$unknown"
    e2e_check "$f references metrics at all" grep -q 'revos_' "$REVOS_SOURCE_DIR/$f"
done

e2e_stop_all
((E2E_FAILED)) && { echo "metrics test FAILED (logs in $work)"; exit 1; }
echo "metrics test passed"
