#!/usr/bin/env bash
# Secured transport, on the local stack's secured endpoints (deploy/local/up):
# Kafka over SASL_SSL (TLS verified against the local CA, SASL/PLAIN user
# revos) and PostgreSQL over TLS with sslmode=verify-full and a SCRAM
# password (role revos_secure, which pg_hba refuses without TLS).
#
#   1. The reference walkthrough through all five workers over both.
#   2. A worker started through deploy/entrypoint with its secrets from
#      files only (PGPASSWORD_FILE, REVOS_KAFKA_PROP_SASL_PASSWORD_FILE)
#      connects and turns ready.
#   3. A wrong Kafka password and a wrong PostgreSQL password: the process
#      stops with an error that says what was refused, and no log line of
#      any run holds a password, right or wrong.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_SECURE_KAFKA_BROKERS:?start the local stack (eval \"\$(deploy/local/up)\")}"
: "${REVOS_SECURE_PG_DSN:?start the local stack}" "${REVOS_SECURE_CA_FILE:?start the local stack}"
: "${REVOS_SECURE_KAFKA_PASSWORD_FILE:?}" "${REVOS_SECURE_PG_PASSWORD_FILE:?}"
root=$(mktemp -d /tmp/revos-secure.XXXXXX)
mkdir -p "$root/logs"
trap 'e2e_stop_all' EXIT
kafka_pw=$(<"$REVOS_SECURE_KAFKA_PASSWORD_FILE")
pg_pw=$(<"$REVOS_SECURE_PG_PASSWORD_FILE")
kafka_pw_file=$REVOS_SECURE_KAFKA_PASSWORD_FILE pg_pw_file=$REVOS_SECURE_PG_PASSWORD_FILE
ca_file=$REVOS_SECURE_CA_FILE
# the entrypoint reads every REVOS_*_FILE; only the worker's own are meant
unset REVOS_SECURE_KAFKA_PASSWORD_FILE REVOS_SECURE_PG_PASSWORD_FILE REVOS_SECURE_CA_FILE

export REVOS_KAFKA_BROKERS=$REVOS_SECURE_KAFKA_BROKERS
export REVOS_KAFKA_PROP_SECURITY_PROTOCOL=SASL_SSL REVOS_KAFKA_PROP_SASL_MECHANISM=PLAIN
export REVOS_KAFKA_PROP_SASL_USERNAME=revos REVOS_KAFKA_PROP_SSL_CA_LOCATION=$ca_file
export REVOS_KAFKA_PROP_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=https
export REVOS_PG_DSN=$REVOS_SECURE_PG_DSN

# ---- 1. the walkthrough over both (psql and revosctl take the passwords
# from the environment here; the workers' own path is 2.)
e2e_log "== the walkthrough over Kafka SASL_SSL and PostgreSQL TLS (verify-full)"
if PGPASSWORD=$pg_pw REVOS_KAFKA_PROP_SASL_PASSWORD=$kafka_pw WALK_DIR="$root/walk" REVOS_LOG_LEVEL=debug \
    bash "$here/walkthrough.sh" >"$root/walkthrough.out" 2>&1; then
    e2e_log "ok: the walkthrough passed over the secured endpoints"
else
    tail -40 "$root/walkthrough.out" >&2
    e2e_fail "the walkthrough over the secured endpoints"
fi
e2e_check "its database sessions were TLS (pg_hba admits revos_secure only so)" \
    test "$(PGPASSWORD=$pg_pw psql "$REVOS_SECURE_PG_DSN" -XAtqc \
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" = t
e2e_check "PostgreSQL refuses revos_secure without TLS" \
    bash -c '! PGPASSWORD="$1" psql "host=127.0.0.1 port=$2 dbname=revos user=revos_secure sslmode=disable" -XAtqc "SELECT 1" 2>/dev/null' \
    _ "$pg_pw" "$(printf '%s\n' "$REVOS_SECURE_PG_DSN" | sed -n 's/.*port=\([0-9]*\).*/\1/p')"

# ---- 2. secrets from files only, through the entrypoint
db=revos_secure$$
PGPASSWORD=$pg_pw psql "$REVOS_SECURE_PG_DSN" -Xq -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
export REVOS_PG_DSN="$REVOS_SECURE_PG_DSN dbname=$db" REVOS_TOPIC_PREFIX="revos.sec$$." REVOS_HTTP_PORT=0
PGPASSWORD=$pg_pw REVOS_KAFKA_PROP_SASL_PASSWORD=$kafka_pw "$REVOS_BIN_DIR/revosctl" migrate >/dev/null
PGPASSWORD=$pg_pw REVOS_KAFKA_PROP_SASL_PASSWORD=$kafka_pw \
    "$REVOS_BIN_DIR/revosctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
PGPASSWORD=$pg_pw REVOS_KAFKA_PROP_SASL_PASSWORD=$kafka_pw \
    "$REVOS_BIN_DIR/revosctl" topics create --partitions 1 >/dev/null
PGPASSWORD_FILE=$pg_pw_file REVOS_KAFKA_PROP_SASL_PASSWORD_FILE=$kafka_pw_file REVOS_WAIT_TIMEOUT=60 \
    "$REVOS_SOURCE_DIR/deploy/entrypoint" score >>"$root/logs/score.log" 2>&1 &
E2E_PIDS+=("$!")
e2e_wait 60 "[files] revos-score up" 'test -n "$(e2e_ops_port "$root/logs/score.log")"'
port=$(e2e_ops_port "$root/logs/score.log")
e2e_wait 60 "[files] revos-score ready with its secrets from files" \
    'test "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/readyz")" = 200'
e2e_check "[files] the entrypoint named the secrets it read, not their values" \
    grep -q "PGPASSWORD read from PGPASSWORD_FILE" "$root/logs/score.log"
e2e_stop_all

# ---- 3. wrong passwords
canary="wrong-pw-canary-$$"
printf '%s\n' "$canary" >"$root/wrong"
chmod 600 "$root/wrong"
REVOS_WAIT_FOR=kafka REVOS_WAIT_TIMEOUT=10 REVOS_KAFKA_PROP_SASL_PASSWORD_FILE="$root/wrong" \
    "$REVOS_SOURCE_DIR/deploy/entrypoint" score >"$root/logs/wrong-kafka.log" 2>&1
e2e_check "[wrong kafka password] the worker does not start" test $? -ne 0
e2e_check "[wrong kafka password] the log says the broker refused the credentials" \
    grep -q "SASL authentication error: Authentication failed: Invalid username or password" "$root/logs/wrong-kafka.log"
# A database that answers is up for the entrypoint's wait; the worker then
# keeps retrying the refused login (it never exits on bad config), saying
# why, and never turns ready.
REVOS_WAIT_FOR=none PGPASSWORD_FILE="$root/wrong" \
    "$REVOS_SOURCE_DIR/deploy/entrypoint" score >"$root/logs/wrong-pg.log" 2>&1 &
E2E_PIDS+=("$!")
e2e_wait 60 "[wrong postgres password] the log says the password was refused" \
    'grep -q "password authentication failed for user [^ ]*revos_secure" "$root/logs/wrong-pg.log"'
port=$(e2e_ops_port "$root/logs/wrong-pg.log")
e2e_check "[wrong postgres password] the worker is not ready" \
    test "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:${port:-1}/readyz")" != 200
e2e_stop_all
for secret in "$canary" "$kafka_pw" "$pg_pw"; do
    e2e_check "no log line holds a password (${secret:0:4}...)" \
        bash -c '! grep -rqF -- "$1" "$2/logs" "$2/walk/logs" "$2/walkthrough.out"' _ "$secret" "$root"
done
((E2E_FAILED)) && { echo "secure transport test FAILED (work in $root)"; exit 1; }
echo "secure transport test passed"
