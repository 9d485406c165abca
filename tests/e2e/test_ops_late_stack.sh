#!/usr/bin/env bash
# A worker started through deploy/entrypoint before its broker and database
# exist: the entrypoint reads the DSN from a *_FILE secret (never printing
# it), waits with backoff while both are down, and once the stack comes up
# execs the worker (same pid, so signals reach it), which connects and turns
# ready. Then the health endpoint tells the truth: /readyz flips to 503 naming
# kafka when the broker stops and postgres when the database stops, within
# seconds, and back to 200 when each returns; /healthz stays 200 throughout.
#
# It stops and restarts the local stack tests/run started (deploy/local), so
# it runs serially and puts the stack back up whatever happens.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
e2e_local_stack_ports || { echo "FAIL: cannot tell the local stack's ports"; exit 1; }
run_id=late$$
work=$(mktemp -d /tmp/revos-late.XXXXXX)
mkdir -p "$work/logs"
ctl="$REVOS_BIN_DIR/revosctl"
export REVOS_TOPIC_PREFIX="revos.$run_id." REVOS_HTTP_PORT=0
cleanup() {
    e2e_stop_all
    e2e_stack up || echo "WARNING: could not restart the local stack" >&2
}
trap cleanup EXIT

# Prepare the database and topics while the stack is up, then take it down.
e2e_fresh_database "revos_$run_id"
"$ctl" migrate >/dev/null
"$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
"$ctl" topics create --partitions 2 >/dev/null
e2e_stack down

# The DSN comes from a secret file; the password is a canary that must never
# show up in any log (trust authentication ignores it).
canary="pw-canary-$run_id"
printf '%s password=%s\n' "$REVOS_PG_DSN" "$canary" >"$work/dsn"
chmod 600 "$work/dsn"
dsn_saved=$REVOS_PG_DSN
unset REVOS_PG_DSN
REVOS_PG_DSN_FILE="$work/dsn" REVOS_WAIT_TIMEOUT=240 \
    "$REVOS_SOURCE_DIR/deploy/entrypoint" score >>"$work/logs/score.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
export REVOS_PG_DSN=$dsn_saved

sleep 6
e2e_check "the entrypoint is still waiting while the stack is down" kill -0 "$pid"
e2e_check "it said it is waiting for postgres and kafka" \
    grep -q 'not up yet' "$work/logs/score.log"
e2e_check "no ops endpoint yet (the worker has not started)" \
    test -z "$(e2e_ops_port "$work/logs/score.log")"

e2e_stack up
e2e_wait 90 "the worker started once the stack was up" \
    'test -n "$(e2e_ops_port "$work/logs/score.log")"'
port=$(e2e_ops_port "$work/logs/score.log")
ready() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz"; }
body() { curl -s "http://127.0.0.1:$port/readyz"; }
e2e_wait 90 "/readyz 200 after the late start" 'test "$(ready)" = 200'
e2e_check "the worker is the process the entrypoint was started as (exec)" \
    bash -c "readlink /proc/$pid/exe | grep -q 'revos-score\$'"
e2e_check "the DSN was read from REVOS_PG_DSN_FILE" \
    grep -q 'REVOS_PG_DSN read from REVOS_PG_DSN_FILE' "$work/logs/score.log"

# ---- /readyz tells the truth when a dependency goes away and comes back.
e2e_check "/healthz 200" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200
e2e_stack down --kafka-only
e2e_wait 30 "/readyz 503 naming kafka after the broker stopped" \
    'test "$(ready)" = 503 && body | grep -q "\"kafka\""'
e2e_check "/healthz stays 200 without the broker" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200
e2e_stack up --kafka-only
e2e_wait 60 "/readyz 200 again after the broker returned" 'test "$(ready)" = 200'
e2e_stack down --pg-only
e2e_wait 30 "/readyz 503 naming postgres after the database stopped" \
    'test "$(ready)" = 503 && body | grep -q "\"postgres\""'
e2e_stack up --pg-only
e2e_wait 60 "/readyz 200 again after the database returned" 'test "$(ready)" = 200'

kill -TERM "$pid"
e2e_wait 15 "SIGTERM stopped the worker" '! kill -0 "$pid"'
wait "$pid"
e2e_check "it exited 0 on SIGTERM" test "$?" = 0
E2E_PIDS=()
e2e_check "the secret never appeared in a log" bash -c "! grep -rq '$canary' '$work/logs'"

((E2E_FAILED)) && { echo "late stack test FAILED (logs in $work/logs)"; exit 1; }
echo "late stack test passed"
