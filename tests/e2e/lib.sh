# lib.sh -- shared by the end-to-end tests and the walkthrough: start and stop
# the five workers as separate processes, wait for conditions, run SQL.
# Source it; it expects REVOS_BIN_DIR (built binaries), REVOS_PG_DSN and
# REVOS_KAFKA_BROKERS in the environment.

E2E_PIDS=()
E2E_FAILED=0

e2e_log() { printf '%s\n' "$*" >&2; }

e2e_fail() {
    E2E_FAILED=1
    printf 'FAIL: %s\n' "$*" >&2
}

e2e_check() { # e2e_check "what" command...
    local what=$1
    shift
    if "$@"; then
        printf 'ok: %s\n' "$what" >&2
    else
        e2e_fail "$what"
    fi
}

# Creates a fresh database for this run and points REVOS_PG_DSN at it.
e2e_fresh_database() {
    local name=$1
    PGOPTIONS="-c client_min_messages=warning" psql "$REVOS_PG_DSN" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    export REVOS_PG_DSN="$REVOS_PG_DSN dbname=$name"
}

e2e_sql() { # prints the single value of a query (unaligned, no header)
    psql "$REVOS_PG_DSN" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"
}

# e2e_wait SECONDS "what" 'shell code': evaluates the code every 0.5 s
# (so $(...) inside it is re-run each time) until it succeeds.
e2e_wait() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        if eval "$*" >/dev/null 2>&1; then
            printf 'ok: %s\n' "$what" >&2
            return 0
        fi
        sleep 0.5
    done
    e2e_fail "timed out after ${seconds}s waiting for: $what"
    return 1
}

# e2e_start NAME LOGDIR [ARGS...]: starts a worker in the background.
e2e_start() {
    local name=$1 logdir=$2
    shift 2
    "$REVOS_BIN_DIR/$name" "$@" >>"$logdir/$name.log" 2>&1 &
    E2E_PIDS+=("$!")
    eval "E2E_PID_${name//-/_}=$!"
}

e2e_start_workers() { # LOGDIR
    local w
    for w in ingest normalize score route outcome; do
        e2e_start "revos-$w" "$1"
    done
}

# Stops every started process with SIGTERM; a process that does not exit
# within 20 s is killed and counted as a failure (graceful shutdown broken).
e2e_stop_all() {
    local pid
    for pid in "${E2E_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${E2E_PIDS[@]}"; do
        local waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 40)); do
            sleep 0.5
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            e2e_fail "process $pid did not stop on SIGTERM"
        fi
        wait "$pid" 2>/dev/null || true
    done
    E2E_PIDS=()
}

# Copies config/ to DIR with the renewal-risk SLA shortened to SLA and the
# escalation SLA likewise, so a test sees an escalation in seconds.
e2e_states() { # OUTDIR: every account's stored score state (revosctl state) and
    # checks.py state_summaries of them (timelines.txt, cells.txt, events.txt)
    mkdir -p "$1/states"
    local acct
    for acct in $(e2e_sql "SELECT account_id FROM score_account_state ORDER BY 1"); do
        "$REVOS_BIN_DIR/revosctl" state "$acct" >"$1/states/$acct.json" || return 1
    done
    python3 "$(dirname "${BASH_SOURCE[0]}")/checks.py" state_summaries "$1/states" "$1"
}

e2e_config_with_sla() { # SRC DIR SLA [LIVE_HORIZON]
    mkdir -p "$2"
    cp "$1"/*.json "$2"/
    python3 - "$2/routing.json" "$3" "${4:-}" <<'PY'
import json, sys
path, sla, horizon = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(path))
for entry in doc.get("matrix", []):
    entry["sla"] = sla
if horizon:
    doc["live_horizon"] = horizon
json.dump(doc, open(path, "w"), indent=2)
PY
}

e2e_produce_phase() { # DIR PHASE: in event-time order across topics when mixed.tsv exists
    if [ -e "$1/$2.mixed.tsv" ]; then
        # paced (E2E_RATE records/s, default 100) so that the pipeline keeps
        # up and the sources reach the scorer interleaved as in life, not
        # weeks apart as a burst would make them
        "$REVOS_BIN_DIR/revosctl" produce - "$1/$2.mixed.tsv" --rate "${E2E_RATE:-100}" >&2
        return
    fi
    local f topic
    for f in "$1/$2".*.jsonl; do
        [ -e "$f" ] || continue
        topic=$(basename "$f" .jsonl)
        topic=${topic#"$2".}
        "$REVOS_BIN_DIR/revosctl" produce "$topic" "$f" >&2
    done
}

# The four-account multi-source book of the event-time and fault tests
# (Salesforce CDC, Segment, Zendesk, Delighted/Wootric), from about 300 days
# ago to yesterday, every record of every source merged in event-time order
# into ROOT/book.tsv (revosctl produce - format). Accounts TAG{a,b,c,d}:
#   a  champion leaves two days ago (live);
#   b  at risk last winter, lost (Wootric NPS);
#   c  healthy, renewed;
#   d  heavy usage halving.
e2e_book() { # ROOT TAG (two letters)
    local root=$1 t=$2 here
    here=$(dirname "${BASH_SOURCE[0]}")
    _e2e_book_gen() { # TAG DAYS_AGO [ARGS...]
        local tag=$1 start
        start=$(date -u -d "$2 days ago" +%Y-%m-%d)
        shift 2
        python3 "$here/scenario.py" --out "$root/book-$tag" --tag "$tag" --start "$start" \
            --sf-account "001Dn00000${tag^^}AAAA" --domain "$tag.example.org" "$@" >/dev/null
    }
    _e2e_book_gen "${t}a" 90
    _e2e_book_gen "${t}b" 300 --close lost --nps-vendor wootric
    _e2e_book_gen "${t}c" 200 --decline-pct 0 --nps-after 8 --close won
    _e2e_book_gen "${t}d" 150 --usage-per-day 14 --decline-pct 50
    cat "$root"/book-"$t"?/all.timed.tsv | sort -n -s -k1,1 | cut -f2- >"$root/book.tsv"
}

e2e_offsets_sum() { # [WHERE ...]: the stored offsets of every consumer group
    e2e_sql "SELECT coalesce(sum(greatest(next_offset, 0)), 0) FROM consumer_offsets $1"
}

# Settled: no worker moved its stored offsets for 4 s, every outbox is
# relayed, and revos-score has consumed signals.
e2e_settled() {
    local before
    before=$(e2e_offsets_sum "")
    sleep 4
    test "$before" = "$(e2e_offsets_sum "")" && test "$(e2e_sql 'SELECT count(*) FROM outbox')" = 0 &&
        test "$(e2e_offsets_sum "WHERE group_id LIKE '%revos-score' AND topic LIKE '%signals'")" -gt 0
}

# Starts revos-webhook-sink writing to DIR/pages.jsonl (log DIR/logs/sink.log)
# and points REVOS_PAGE_WEBHOOK_URL at it.
e2e_start_sink() { # DIR
    "$REVOS_BIN_DIR/revos-webhook-sink" --port 0 --out "$1/pages.jsonl" 2>"$1/logs/sink.log" &
    E2E_PIDS+=("$!")
    e2e_wait 10 "page receiver up" 'grep -q "listening on" "'"$1"'/logs/sink.log"'
    export REVOS_PAGE_WEBHOOK_URL="http://127.0.0.1:$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1/logs/sink.log" | head -1)/pages"
}

# The ops port a worker started with REVOS_HTTP_PORT=0 logged (empty if none yet).
e2e_ops_port() { # LOGFILE
    sed -n 's/.*ops endpoint on port \([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -1
}

# The local stack's ports (deploy/local/up) from the exported REVOS_* values,
# so a test can stop and restart the very stack tests/run started.
# Sets E2E_PG_PORT, E2E_KAFKA_PORT, E2E_KAFKA_CONTROLLER_PORT.
e2e_local_stack_ports() {
    E2E_KAFKA_PORT=${REVOS_KAFKA_BROKERS##*:}
    E2E_PG_PORT=$(printf '%s\n' "$REVOS_PG_DSN" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
    . "$REVOS_SOURCE_DIR/deploy/local/local-dir.sh"
    local dir
    dir=$(revos_local_dir "$REVOS_SOURCE_DIR")
    E2E_KAFKA_CONTROLLER_PORT=${REVOS_KAFKA_CONTROLLER_PORT:-$(cat "$dir/kafka/controller-port" 2>/dev/null)}
    [[ "$E2E_KAFKA_PORT" =~ ^[0-9]+$ && "$E2E_PG_PORT" =~ ^[0-9]+$ && "$E2E_KAFKA_CONTROLLER_PORT" =~ ^[0-9]+$ ]]
}

# deploy/local/up or down on those ports (ARGS: --pg-only, --kafka-only).
e2e_stack() { # up|down [ARGS...]
    local verb=$1
    shift
    REVOS_SKIP_DEPS=1 REVOS_PG_PORT=$E2E_PG_PORT REVOS_KAFKA_PORT=$E2E_KAFKA_PORT \
        REVOS_KAFKA_CONTROLLER_PORT=$E2E_KAFKA_CONTROLLER_PORT \
        "$REVOS_SOURCE_DIR/deploy/local/$verb" "$@" >/dev/null
}
