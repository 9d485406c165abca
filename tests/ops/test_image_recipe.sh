#!/usr/bin/env bash
# The Dockerfile, read as an operator would (no container engine runs here):
# two stages, Debian 12 to build and Debian 12 slim to run; the runtime
# installs a Debian package for every shared library that the built binaries
# need (found with objdump and dpkg on this Debian 12 machine, i.e. the
# same packages), runs as a non-root user, holds every installed binary, and
# starts through deploy/entrypoint, which must be the script the tests use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=${REVOS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=${REVOS_BIN_DIR:?REVOS_BIN_DIR: the built binaries}
ops_need objdump
ops_need dpkg-query
df=$root/Dockerfile
work=$(mktemp -d /tmp/revos-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

ops_check "two stages: FROM debian:12 AS build, FROM debian:12-slim" \
    test "$(grep -E '^FROM ' "$df" | awk '{print $2}' | tr '\n' ' ')" = "debian:12 debian:12-slim "
ops_check "the runtime runs as a numeric non-root user" \
    bash -c "grep -E '^USER ' '$df' | tail -1 | grep -Eq '^USER [1-9][0-9]*(:[0-9]+)?\$'"
ops_check "the entrypoint is deploy/entrypoint" \
    bash -c "grep -q '^COPY deploy/entrypoint /install/usr/local/bin/revos-entrypoint' '$df' &&
             grep -q '^ENTRYPOINT \[\"/usr/local/bin/revos-entrypoint\"\]' '$df'"
ops_check "deploy/entrypoint parses and is executable" \
    bash -c "bash -n '$root/deploy/entrypoint' && test -x '$root/deploy/entrypoint'"

# The runtime stage's apt-get install list (the last RUN apt-get ... install).
awk '/^FROM debian:12-slim/ { rt = 1 } rt' "$df" |
    sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' |
    grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|DEBIAN_FRONTEND|rf|y)$' |
    sort -u >"$work/runtime-packages"
# The binaries the image holds: what `cmake --install` installs.
DESTDIR=$work/install cmake --install "$bin/.." --prefix /usr/local >/dev/null
ls "$work/install/usr/local/bin" >"$work/installed"
ops_check "the install holds the five workers and revosctl" \
    bash -c "for b in revos-ingest revos-normalize revos-score revos-route revos-outcome revosctl; do
                 grep -qx \"\$b\" '$work/installed' || { echo \"missing \$b\"; exit 1; }; done"
# Every directly needed shared library's Debian package is installed in the
# runtime stage (libc6 and libgcc-s1 are part of debian:12-slim; the
# sanitizer runtimes come only from the test build's -fsanitize).
missing=()
# (whole outputs into files: an early-exiting reader in a pipeline would
# SIGPIPE its writer, which pipefail turns into a failure)
ldconfig -p >"$work/ldconfig"
for b in "$work"/install/usr/local/bin/*; do
    objdump -p "$b" >"$work/objdump"
    for lib in $(awk '/NEEDED/ { print $2 }' "$work/objdump"); do
        path=$(awk -v l="$lib" '$1 == l && !found { print $NF; found = 1 }' "$work/ldconfig")
        [[ -n "$path" ]] || { missing+=("$lib(not found)"); continue; }
        pkg=$({ dpkg -S "$(readlink -f "$path")" || dpkg -S "$path"; } 2>/dev/null | awk -F: 'NR == 1 { print $1 }')
        [[ -n "$pkg" ]] || { missing+=("$lib(no Debian package owns $path)"); continue; }
        case "$pkg" in libc6 | libgcc-s1 | libasan* | libubsan*) continue ;; esac
        grep -qx "$pkg" "$work/runtime-packages" || missing+=("$(basename "$b"):$lib($pkg)")
    done
done
ops_check "the runtime installs every library the binaries link (missing: ${missing[*]:-none})" \
    test "${#missing[@]}" = 0
ops_check "the runtime list is not empty and has no -dev package" \
    bash -c "test -s '$work/runtime-packages' && ! grep -q -- '-dev\$' '$work/runtime-packages'"
ops_done "image recipe test"
