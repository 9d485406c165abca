# lib.sh -- what the end-to-end benchmarks share (bench/pipeline.sh,
# bench/quality): the binaries, the local stack, a fresh database and topic
# prefix, the five workers with their ops ports, and "settled".
#
# Source it from a bash script after setting:
#   bench_name   the prefix of messages ("pipeline", "quality")
#   root         the source tree
# It defines ctl, workers, and the associative arrays port and pid (by worker
# name), and uses tests/e2e/lib.sh for starting and stopping processes.
# Every step is bounded in time; bench_die exits (the caller's EXIT trap
# cleans up: bench_cleanup).

bench_say() { printf '%s: %s\n' "$bench_name" "$*" >&2; }
bench_die() { printf '%s: ERROR: %s\n' "$bench_name" "$*" >&2; exit 1; }

workers=(ingest normalize score route outcome)
declare -A port pid

# ---- binaries: REVOS_BIN_DIR, else a release build in BENCH_BUILD_DIR
bench_binaries() {
    if [[ -z "${REVOS_BIN_DIR:-}" ]]; then
        local build=${BENCH_BUILD_DIR:-/tmp/revos-bench-release}
        bench_say "release build in $build"
        # -O3 makes GCC 12 report false "may be used uninitialized" warnings in
        # common/avro/avro_codec.c, which -Werror turns into errors: keep them
        # warnings for this build only.
        timeout 900 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREVOS_BUILD_TESTS=OFF \
            -DCMAKE_C_FLAGS="-Wno-error=maybe-uninitialized" \
            >"${TMPDIR:-/tmp}/revos-bench-cmake.log" 2>&1 &&
            timeout 1800 cmake --build "$build" -j2 >>"${TMPDIR:-/tmp}/revos-bench-cmake.log" 2>&1 ||
            bench_die "release build failed (see ${TMPDIR:-/tmp}/revos-bench-cmake.log)"
        export REVOS_BIN_DIR=$build/bin
    fi
    ctl=$REVOS_BIN_DIR/revosctl
    local b
    for b in revosctl revos-ingest revos-normalize revos-score revos-route revos-outcome; do
        [[ -x "$REVOS_BIN_DIR/$b" ]] || bench_die "$REVOS_BIN_DIR/$b missing"
    done
}

# ---- the local stack (deploy/local/up); sets local_dir and base_dsn
bench_stack() {
    bench_say "starting the local stack (deploy/local/up)"
    local exports
    exports=$(cd "$root" && timeout 600 deploy/local/up) || bench_die "deploy/local/up failed"
    eval "$exports"
    : "${REVOS_KAFKA_BROKERS:?}" "${REVOS_PG_DSN:?}"
    # shellcheck source=tests/e2e/lib.sh
    . "$root/tests/e2e/lib.sh"
    # shellcheck source=deploy/local/local-dir.sh
    . "$root/deploy/local/local-dir.sh"
    local_dir=$(revos_local_dir "$root")
    base_dsn=$REVOS_PG_DSN
}

bench_sql() { timeout 30 psql "$REVOS_PG_DSN" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

# ---- a fresh database revos_RUN_ID and topic prefix revos.RUN_ID.
bench_fresh() { # RUN_ID PARTITIONS
    bench_run_id=$1
    export REVOS_TOPIC_PREFIX="revos.$1." REVOS_HTTP_PORT=0
    e2e_fresh_database "revos_$1"
    timeout 60 "$ctl" config apply --config-dir "$root/config" >/dev/null || bench_die "config apply failed"
    timeout 60 "$ctl" topics create --partitions "$2" >/dev/null || bench_die "topics create failed"
}

# Stops the workers; drops the database unless BENCH_KEEP=1 (then says so).
bench_cleanup() { # [WORK_DIR to remove]
    e2e_stop_all
    [[ -n "${bench_run_id:-}" ]] || return 0
    if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
        PGOPTIONS="-c client_min_messages=warning" timeout 60 psql "$base_dsn" -q \
            -c "DROP DATABASE IF EXISTS revos_$bench_run_id" >/dev/null 2>&1
        [[ -n "${1:-}" ]] && rm -rf "$1"
    else
        bench_say "kept database revos_$bench_run_id${1:+ and $1}"
    fi
}

# ---- the five workers, each ready (its /readyz) within 60 s
bench_start_workers() { # LOGDIR
    e2e_start_workers "$1"
    # shellcheck disable=SC2154 # E2E_PID_* are set by e2e_start (lib.sh) through eval
    pid[ingest]=$E2E_PID_revos_ingest pid[normalize]=$E2E_PID_revos_normalize
    # shellcheck disable=SC2154
    pid[score]=$E2E_PID_revos_score pid[route]=$E2E_PID_revos_route pid[outcome]=$E2E_PID_revos_outcome
    local deadline=$((SECONDS + 60)) w
    for w in "${workers[@]}"; do
        until port[$w]=$(sed -n 's/.*ops endpoint on port \([0-9]*\).*/\1/p' "$1/revos-$w.log" | head -1) &&
            [[ -n "${port[$w]}" ]] && [[ "$(curl -s -m 2 -o /dev/null -w "%{http_code}" "http://127.0.0.1:${port[$w]}/readyz")" == 200 ]]; do
            kill -0 "${pid[$w]}" 2>/dev/null || bench_die "revos-$w exited (see $1/revos-$w.log)"
            ((SECONDS < deadline)) || bench_die "revos-$w not ready after 60 s"
            sleep 0.5
        done
    done
    bench_say "workers ready (ops ports: $(for w in "${workers[@]}"; do printf '%s=%s ' "$w" "${port[$w]}"; done))"
}

bench_metric() { # WORKER NAME: an unlabelled counter's value (0 when absent)
    curl -s -m 2 "http://127.0.0.1:${port[$1]}/metrics" |
        awk -v n="$2" '$1 == n { v = $2 } END { printf "%d\n", v + 0 }'
}

bench_offsets_sum() { bench_sql "SELECT coalesce(sum(greatest(next_offset, 0)), 0) FROM consumer_offsets"; }

# Settled: ingest consumed WANT raw records, ACCOUNTS rows of state, the
# outbox empty, and no stored offset moved for BENCH_QUIET seconds (3).
bench_settled() { # WANT ACCOUNTS
    [[ "$(bench_metric ingest revos_records_in_total)" -ge "$1" ]] || return 1
    [[ "$(bench_sql 'SELECT count(*) FROM score_account_state')" -ge "$2" ]] || return 1
    local before
    before=$(bench_offsets_sum)
    sleep "${BENCH_QUIET:-3}"
    [[ "$(bench_offsets_sum)" == "$before" && "$(bench_sql 'SELECT count(*) FROM outbox')" == 0 ]]
}

bench_wait_settled() { # WANT ACCOUNTS SECONDS
    local end=$((SECONDS + $3)) w
    while ((SECONDS < end)); do
        bench_settled "$1" "$2" && return 0
        for w in "${workers[@]}"; do
            kill -0 "${pid[$w]}" 2>/dev/null || bench_die "revos-$w exited"
        done
        sleep 0.5
    done
    return 1
}
