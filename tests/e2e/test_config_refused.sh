#!/usr/bin/env bash
# Configuration is refused before it can break anything, on the real
# PostgreSQL (and broker for the workers). revosctl config apply runs every
# worker's own loader over every section and refuses a bad one with a
# message naming the key, storing nothing. A bad version stored behind
# revosctl's back (straight into config_versions) is refused by the workers
# themselves: revos-score and revos-outcome keep running on the last good
# version and report the refusal in their log, on /metrics
# (revos_config_refused_total) and in the /readyz detail.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
run_id=cfg$$
work=$(mktemp -d /tmp/revos-cfg.XXXXXX)
mkdir -p "$work/logs"
export REVOS_TOPIC_PREFIX="revos.$run_id." REVOS_HTTP_PORT=0
ctl="$REVOS_BIN_DIR/revosctl"
trap 'e2e_stop_all' EXIT

e2e_fresh_database "revos_$run_id"
"$ctl" topics create --partitions 1 >/dev/null
e2e_check "the shipped configuration passes every worker's checks" \
    "$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config"
versions() { e2e_sql "SELECT count(*) FROM config_versions"; }

# refused VARIANT 'python edit of doc (a dict of sections)' 'words the message must name'
refused() {
    local name=$1 edit=$2 words=$3
    rm -rf "$work/$name" && mkdir -p "$work/$name" && cp "$REVOS_SOURCE_DIR"/config/*.json "$work/$name/"
    python3 - "$work/$name" "$edit" <<'PY'
import json, os, sys
d, edit = sys.argv[1], sys.argv[2]
doc = {f[:-5]: json.load(open(os.path.join(d, f))) for f in os.listdir(d) if f.endswith(".json")}
exec(edit)
for section, body in doc.items():
    json.dump(body, open(os.path.join(d, section + ".json"), "w"), indent=1)
PY
    local before
    before=$(versions)
    if "$ctl" config apply --config-dir "$work/$name" >/dev/null 2>"$work/$name.err"; then
        e2e_fail "$name: config apply accepted it"
        return
    fi
    e2e_check "$name: refused naming $words" grep -qF "$words" "$work/$name.err"
    e2e_check "$name: nothing stored" test "$(versions)" = "$before"
}
refused bad_scoring_points 'doc["scoring"]["scores"][0]["rules"][0]["points"] = "steep"' 'scoring: scores[0].rules[0]'
refused bad_routing_sla 'doc["routing"]["matrix"][0]["sla"] = "soon"' 'routing.matrix[0]'
refused unknown_play 'doc["routing"]["matrix"][0]["play"] = "no_such_play"' 'no_such_play'
refused tuning_out_of_range 'doc["outcomes"]["tuning"]["gain"] = 500' 'outcomes.tuning.gain'
refused tuning_unknown_key 'doc["outcomes"]["tuning"]["gian"] = 5' 'outcomes.tuning.gian: unknown key'
refused mapping_wrong_type 'doc["mapping"]["max_raw_bytes"] = "big"' 'mapping: max_raw_bytes'
refused signals_out_of_range 'doc["signals"]["nps_warning_max"] = 60' 'signals.nps_warning_max'
cat "$work"/*.err >&2

# ---- a bad version stored behind revosctl's back
e2e_start revos-score "$work/logs"
e2e_start revos-outcome "$work/logs"
port_of() { sed -n 's/.*ops endpoint on port \([0-9]*\).*/\1/p' "$work/logs/$1.log" | head -1; }
e2e_wait 60 "both workers up with version 1" \
    'grep -q "configuration version 1 in force" "$work/logs/revos-score.log" && grep -q "configuration version 1 in force" "$work/logs/revos-outcome.log" && test -n "$(port_of revos-score)" && test -n "$(port_of revos-outcome)"'
e2e_sql "INSERT INTO config_versions (checksum, document, applied_by)
         SELECT 'bad', jsonb_set(jsonb_set(document, '{scoring,scores,0,baseline}', '\"high\"'),
                                 '{outcomes,tuning,gain}', '500'), 'test'
         FROM config_versions WHERE version = 1" >/dev/null
for w in revos-score revos-outcome; do
    e2e_wait 30 "$w refuses version 2 and keeps version 1" \
        'grep -q "configuration version 2 refused.*version 1 stays in force" "$work/logs/'$w'.log"'
    e2e_check "$w counts the refusal on /metrics" \
        bash -c 'curl -sf "http://127.0.0.1:$0/metrics" | grep -q "^revos_config_refused_total 1"' "$(port_of $w)"
    e2e_check "$w says so in /readyz" \
        bash -c 'curl -s "http://127.0.0.1:$0/readyz" | grep -q "version 2 refused"' "$(port_of $w)"
done
sleep 6 # past a second configuration refresh: reported once, still running
for w in score outcome; do
    pid_var="E2E_PID_revos_$w"
    e2e_check "revos-$w still running" kill -0 "${!pid_var}"
    e2e_check "revos-$w reported the refusal once" \
        test "$(grep -c "configuration version 2 refused" "$work/logs/revos-$w.log")" = 1
done
e2e_stop_all
((E2E_FAILED)) && { echo "config refused test FAILED (logs in $work/logs)"; exit 1; }
echo "config refused test passed"
