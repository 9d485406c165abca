#!/usr/bin/env bash
# pipeline.sh -- end-to-end throughput of the five workers on the real local
# stack (PostgreSQL + Apache Kafka from deploy/local/up), release build.
#
# Usage: bench/pipeline.sh [ACCOUNTS]          (default 20 accounts, ~16k raw events)
# Environment:
#   REVOS_BIN_DIR         use these binaries instead of building a release build
#   BENCH_BUILD_DIR       where the release build goes [/tmp/revos-bench-release]
#   BENCH_PARTITIONS      partitions per topic [4]
#   BENCH_TIMEOUT         seconds allowed for the measured run [600]
#   BENCH_KEEP=1          keep the database and work folder afterwards
#   REVOS_BATCH_MAX, REVOS_BATCH_WAIT_MS   passed to the workers as usual
#
# What it does: a fresh database and topic prefix; config apply; topics
# create; the five workers started (ops endpoints on free ports); a warm-up
# account pushed through so every consumer group has joined; then ACCOUNTS
# accounts of tests/e2e/scenario.py (90 days each: Salesforce CDC, Segment,
# Zendesk, Delighted), interleaved in event-time order, produced in one go
# with `revosctl produce -`. The clock runs from the start of the produce
# until the last revos-score batch commit (max(updated_at) of its
# consumer_offsets rows), once every raw record was consumed by revos-ingest
# (its /metrics), every account has a score_account_state row, the outbox is
# empty and no consumer offset moved for 3 s. Per stage it reports, from the
# workers' /metrics sampled every 0.5 s, records consumed, batches, and when
# the stage finished; and CPU seconds per process from /proc.
# Everything is bounded in time; all workers are stopped at the end.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
accounts=${1:-20}
partitions=${BENCH_PARTITIONS:-4}
run_timeout=${BENCH_TIMEOUT:-600}
[[ "$accounts" =~ ^[0-9]+$ ]] && ((accounts >= 1 && accounts <= 17000)) ||
    { echo "usage: bench/pipeline.sh [ACCOUNTS 1-17000]" >&2; exit 2; }

bench_name=pipeline
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
say() { bench_say "$@"; }
die() { bench_die "$@"; }
sql() { bench_sql "$1"; }
now() { date +%s.%N; }

# ---- binaries (a release build unless given) and the local stack
bench_binaries
bench_stack

run_id=bench$$
work=$(mktemp -d /tmp/revos-bench.XXXXXX)
mkdir -p "$work/logs" "$work/events"
poller=
cleanup() {
    [[ -n "$poller" ]] && kill "$poller" 2>/dev/null && wait "$poller" 2>/dev/null
    bench_cleanup "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_fresh "$run_id" "$partitions"

# ---- events: ACCOUNTS scenarios, interleaved in event time
say "generating $accounts accounts with tests/e2e/scenario.py"
tag_of() { # 3 lowercase letters, unique per index (scenario.py uses the first 3 for ids)
    local i=$1 l=abcdefghijklmnopqrstuvwxyz
    printf '%s%s%s' "${l:$((i / 676 % 26)):1}" "${l:$((i / 26 % 26)):1}" "${l:$((i % 26)):1}"
}
gen() { # INDEX DIR [extra scenario args]
    local i=$1 dir=$2 tag
    shift 2
    tag=$(tag_of "$i")
    timeout 120 python3 "$root/tests/e2e/scenario.py" --out "$dir" --tag "$tag" \
        --sf-account "001Dn00000${tag^^}AAAA" --domain "$tag.example.org" \
        --name "Bench District ${tag^^}" "$@" >/dev/null || die "scenario.py failed for $tag"
    # scenario.py numbers the Zendesk organization 900000 + the sum of the
    # tag's code points, which repeats across tags (abc, acb, ...): give each
    # account its own organization id.
    local zorg=$((900000 + $(printf '%s' "$tag" | od -An -tu1 | tr -s ' ' '\n' | awk '{s+=$1} END {print s}')))
    sed -i "s/\([\":]\)$zorg\"/\1$((7000000 + i))\"/g" "$dir"/*.tsv
}
gen 17575 "$work/warmup" # the warm-up account ("zzz"), phase 1 only
for ((i = 0; i < accounts; i++)); do
    gen "$i" "$work/events/$i"
done
# Every account has the same timeline, so line k of each account's file is
# at the same event time: round-robin across accounts is event-time order.
python3 - "$work/events" "$accounts" "$work/all.tsv" <<'PY' || die "merge failed"
import itertools, sys
base, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(out, "w") as o:
    for phase in ("phase1", "phase2", "phase3"):
        files = [open(f"{base}/{i}/{phase}.mixed.tsv") for i in range(n)]
        for lines in itertools.zip_longest(*files):
            o.writelines(l for l in lines if l is not None)
PY
total=$(wc -l <"$work/all.tsv")
warm=$(wc -l <"$work/warmup/phase1.mixed.tsv")
say "$total raw events for $accounts accounts ($(du -k "$work/all.tsv" | cut -f1) KiB)"

# ---- workers
bench_start_workers "$work/logs"
metric() { bench_metric "$@"; }
# settled (bench/lib.sh): ingest consumed WANT raw records, ACCOUNTS rows of
# state, outbox empty, and no stored offset moved for 3 s.
wait_settled() { bench_wait_settled "$@"; }

# ---- warm-up: every group joined, connections open, code paged in
timeout 60 "$ctl" produce - "$work/warmup/phase1.mixed.tsv" >/dev/null || die "warm-up produce failed"
wait_settled "$warm" 1 180 || die "warm-up account not scored within 180 s (logs in $work/logs)"
say "warm-up done"

# ---- the measured run
cpu_ticks() { # PID: utime + stime in clock ticks (0 when gone)
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_master=$(head -1 "$local_dir/pg/data/postmaster.pid" 2>/dev/null)
kafka_pid=$(cat "$local_dir/kafka/kafka.pid" 2>/dev/null)
pg_ticks() { # the local PostgreSQL cluster: postmaster and all its children
    local sum=0 p
    for p in $pg_master $(pgrep -P "$pg_master" 2>/dev/null); do sum=$((sum + $(cpu_ticks "$p"))); done
    echo "$sum"
}
declare -A cpu0 cpu1 in0 b0 in1 b1 out0 out1
# shellcheck disable=SC2034 # into is a reference to cpu0 or cpu1
snapshot_cpu() { # ASSOCIATIVE-ARRAY-NAME
    local -n into=$1
    for w in "${workers[@]}"; do into[$w]=$(cpu_ticks "${pid[$w]}"); done
    into["postgres"]=$(pg_ticks)
    into["kafka"]=$(cpu_ticks "$kafka_pid")
}
for w in "${workers[@]}"; do
    in0[$w]=$(metric "$w" revos_records_in_total) b0[$w]=$(metric "$w" revos_batches_total)
    out0[$w]=$(metric "$w" revos_records_out_total)
done
signals0=$(sql "SELECT coalesce(sum(greatest(next_offset, 0)), 0) FROM consumer_offsets WHERE group_id = '${REVOS_TOPIC_PREFIX}revos-score' AND topic = '${REVOS_TOPIC_PREFIX}signals'")
(   # metrics sampler: "<epoch> <worker> <records_in> <batches>" every 0.5 s
    while :; do
        t=$(now)
        for w in "${workers[@]}"; do
            curl -s -m 2 "http://127.0.0.1:${port[$w]}/metrics" | awk -v t="$t" -v w="$w" '
                $1 == "revos_records_in_total" { r = $2 }
                $1 == "revos_batches_total" { b = $2 }
                END { printf "%s %s %d %d\n", t, w, r + 0, b + 0 }'
        done
        sleep 0.5
    done >"$work/samples.txt"
) &
poller=$!
snapshot_cpu cpu0
t0=$(now)
timeout "$run_timeout" "$ctl" produce - "$work/all.tsv" >/dev/null || die "produce failed"
t_produced=$(now)
say "produced $total records in $(awk -v a="$t0" -v b="$t_produced" 'BEGIN { printf "%.2f", b - a }') s; waiting for scores"
remaining=$((run_timeout - ${t_produced%.*} + ${t0%.*}))
((remaining > 10)) || remaining=10
wait_settled $((warm + total)) $((accounts + 1)) "$remaining" ||
    die "not settled within ${run_timeout}s: ingest consumed $(metric ingest revos_records_in_total)/$((warm + total)), $(sql 'SELECT count(*) FROM score_account_state') account states, outbox $(sql 'SELECT count(*) FROM outbox') (logs in $work/logs)"
snapshot_cpu cpu1
kill "$poller" 2>/dev/null
wait "$poller" 2>/dev/null
poller=
t_end=$(sql "SELECT extract(epoch FROM max(updated_at)) FROM consumer_offsets WHERE group_id = '${REVOS_TOPIC_PREFIX}revos-score'")
signals1=$(sql "SELECT coalesce(sum(greatest(next_offset, 0)), 0) FROM consumer_offsets WHERE group_id = '${REVOS_TOPIC_PREFIX}revos-score' AND topic = '${REVOS_TOPIC_PREFIX}signals'")
for w in "${workers[@]}"; do
    in1[$w]=$(metric "$w" revos_records_in_total) b1[$w]=$(metric "$w" revos_batches_total)
    out1[$w]=$(metric "$w" revos_records_out_total)
done
critical=$(sql "SELECT count(*) FROM score_current WHERE kind = 'renewal_risk' AND tier = 'critical' AND account_id <> 'acct-001Dn00000ZZZAAAA'")
plays=$(sql "SELECT count(*) FROM route_plays WHERE account_id <> 'acct-001Dn00000ZZZAAAA'")
e2e_stop_all

# ---- report
tck=$(getconf CLK_TCK)
elapsed=$(awk -v a="$t0" -v b="$t_end" 'BEGIN { printf "%.2f", b - a }')
signals=$((signals1 - signals0))
echo "# pipeline: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg), $partitions partitions, batch max ${REVOS_BATCH_MAX:-500}, $REVOS_BIN_DIR"
printf 'pipeline end to end  %d accounts  %d raw events  %d signals  %.2f s  %.0f raw events/s  %.0f signals/s\n' \
    "$accounts" "$total" "$signals" "$elapsed" "$(awk -v n="$total" -v s="$elapsed" 'BEGIN { print n / s }')" \
    "$(awk -v n="$signals" -v s="$elapsed" 'BEGIN { print n / s }')"
printf 'pipeline produce     %.2f s (revosctl produce - of %d records)\n' \
    "$(awk -v a="$t0" -v b="$t_produced" 'BEGIN { print b - a }')" "$total"
printf 'pipeline outcome     %d of %d accounts at renewal_risk critical, %d plays opened\n' "$critical" "$accounts" "$plays"
for w in "${workers[@]}"; do
    n=$((in1[$w] - in0[$w])) nb=$((b1[$w] - b0[$w]))
    if ((n == 0)); then
        printf 'stage %-10s       0 records (nothing to do in this run)  cpu %6.2f s\n' "$w" \
            "$(awk -v a="${cpu0[$w]}" -v b="${cpu1[$w]}" -v t="$tck" 'BEGIN { print (b - a) / t }')"
        continue
    fi
    # when the stage's counter first moved and last moved, relative to t0
    read -r first last < <(awk -v w="$w" -v t0="$t0" -v v0="${in0[$w]}" -v v1="${in1[$w]}" '
        $2 == w && $3 > v0 && first == "" { first = $1 - t0 }
        $2 == w && $3 >= v1 && last == "" { last = $1 - t0 }
        END { printf "%s %s\n", (first == "" ? "nan" : first), (last == "" ? "nan" : last) }' "$work/samples.txt")
    printf 'stage %-10s %7d records in %5d batches (%5.1f/batch) -> %6d out  busy +%5.1f..+%5.1f s  %7.0f records/s while busy  cpu %6.2f s\n' \
        "$w" "$n" "$nb" "$(awk -v n="$n" -v b="$nb" 'BEGIN { print b ? n / b : 0 }')" "$((out1[$w] - out0[$w]))" \
        "$first" "$last" "$(awk -v n="$n" -v f="$first" -v l="$last" 'BEGIN { d = l - f; if (d < 0.5) d = 0.5; print n / d }')" \
        "$(awk -v a="${cpu0[$w]}" -v b="${cpu1[$w]}" -v t="$tck" 'BEGIN { print (b - a) / t }')"
done
printf 'cpu postgres %.2f s (whole local cluster, includes other clients), kafka broker %.2f s, wall %.2f s x %d cores\n' \
    "$(awk -v a="${cpu0[postgres]}" -v b="${cpu1[postgres]}" -v t="$tck" 'BEGIN { print (b - a) / t }')" \
    "$(awk -v a="${cpu0[kafka]}" -v b="${cpu1[kafka]}" -v t="$tck" 'BEGIN { print (b - a) / t }')" \
    "$elapsed" "$(nproc)"
((E2E_FAILED)) && die "a worker did not stop on SIGTERM"
exit 0
