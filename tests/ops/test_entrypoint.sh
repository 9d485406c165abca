#!/usr/bin/env bash
# deploy/entrypoint on its own, without a broker or database: *_FILE secrets
# become their variables (trailing newline dropped, the _FILE variable
# removed, the value never printed), setting both forms is refused, an
# unreadable file is refused, a dependency that never comes up makes it give
# up with status 1 after REVOS_WAIT_TIMEOUT without running the command, and
# the command is exec'd (same pid, its exit status is the entrypoint's).
# The late-broker-and-database case is e2e/test_ops_late_stack.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=${REVOS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
: "${REVOS_BIN_DIR:?REVOS_BIN_DIR: the built binaries}"
ep=$root/deploy/entrypoint
work=$(mktemp -d /tmp/revos-entrypoint.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf 's3cret-value\n' >"$work/secret"

# (the variables under test are removed from the environment first: the
# test suite itself runs with REVOS_PG_DSN and friends exported)
unset REVOS_PAGE_WEBHOOK_SECRET PGPASSWORD REVOS_PG_DSN
ops_check "REVOS_X_FILE becomes REVOS_X (newline dropped, _FILE unset)" \
    env REVOS_WAIT_FOR=none REVOS_PAGE_WEBHOOK_SECRET_FILE="$work/secret" PGPASSWORD_FILE="$work/secret" \
    "$ep" bash -c 'test "$REVOS_PAGE_WEBHOOK_SECRET" = s3cret-value && test "$PGPASSWORD" = s3cret-value &&
                   test -z "${REVOS_PAGE_WEBHOOK_SECRET_FILE+x}" && test -z "${PGPASSWORD_FILE+x}"'
env REVOS_WAIT_FOR=none REVOS_PAGE_WEBHOOK_SECRET_FILE="$work/secret" "$ep" true 2>"$work/log1"
ops_check "the secret's value is not printed, its name is" \
    bash -c "! grep -q s3cret '$work/log1' && grep -q 'REVOS_PAGE_WEBHOOK_SECRET read from REVOS_PAGE_WEBHOOK_SECRET_FILE' '$work/log1'"

if env REVOS_WAIT_FOR=none REVOS_PAGE_WEBHOOK_SECRET=x REVOS_PAGE_WEBHOOK_SECRET_FILE="$work/secret" \
    "$ep" true 2>"$work/log2"; then
    ops_fail "both REVOS_X and REVOS_X_FILE accepted"
else
    ops_check "both REVOS_X and REVOS_X_FILE set: refused, naming them" \
        grep -q 'both REVOS_PAGE_WEBHOOK_SECRET and REVOS_PAGE_WEBHOOK_SECRET_FILE' "$work/log2"
fi
if env REVOS_WAIT_FOR=none REVOS_PG_DSN_FILE="$work/missing" "$ep" true 2>"$work/log3"; then
    ops_fail "an unreadable secret file accepted"
else
    ops_check "an unreadable secret file: refused" grep -q 'REVOS_PG_DSN_FILE names a file that cannot be read' "$work/log3"
fi

start=$SECONDS
if env REVOS_BIN_DIR="$REVOS_BIN_DIR" REVOS_WAIT_FOR=postgres REVOS_WAIT_TIMEOUT=2 \
    REVOS_PG_DSN='host=127.0.0.1 port=1 dbname=x user=x' \
    "$ep" bash -c "touch '$work/ran'" 2>"$work/log4"; then
    ops_fail "the entrypoint went on although postgres never came up"
else
    ops_check "postgres never up: gives up after the timeout with status 1, command not run" \
        bash -c "test ! -e '$work/ran' && (( $SECONDS - $start < 30 )) && grep -q 'dependencies not up: postgres' '$work/log4'"
fi

REVOS_WAIT_FOR=none "$ep" bash -c 'echo $$ >"$1"; exit 7' _ "$work/pid" 2>/dev/null &
pid=$!
wait "$pid" && status=0 || status=$?
ops_check "the command is exec'd: same pid, its exit status" \
    bash -c "test '$(cat "$work/pid")' = '$pid' && test '$status' = 7"
ops_done "entrypoint test"
