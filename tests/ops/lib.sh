# lib.sh -- shared by the operations tests (tests/ops/test_*.sh): checks that
# count, and a tool lookup that FAILS (never skips) when a tool is missing:
# deploy/deps installs docker-compose and prometheus (promtool).
OPS_FAILED=0
ops_fail() { OPS_FAILED=1; printf 'FAIL: %s\n' "$*" >&2; }
ops_check() { # ops_check "what" command...
    local what=$1
    shift
    if "$@"; then printf 'ok: %s\n' "$what" >&2; else ops_fail "$what"; fi
}
ops_need() { # ops_need TOOL: exits 1 when TOOL is not installed
    command -v "$1" >/dev/null 2>&1 ||
        { printf 'FAIL: %s is not installed (run deploy/deps)\n' "$1" >&2; exit 1; }
}
ops_done() { # ops_done NAME
    if ((OPS_FAILED)); then echo "$1 FAILED"; exit 1; fi
    echo "$1 passed"
}
