# local-dir.sh -- sourced by up and down: where the local stack keeps its
# data. Default <repo>/.local; when run as root from a checkout that other
# users cannot enter (e.g. under /root), PostgreSQL's own user could not reach
# it, so the data goes to /var/tmp/revos-local-<hash of the checkout path>.
revos_local_dir() {
  local root=$1
  if [[ -n "${REVOS_LOCAL_DIR:-}" ]]; then
    printf '%s\n' "$REVOS_LOCAL_DIR"
    return
  fi
  if ((EUID == 0)); then
    local dir=$root
    while [[ "$dir" != / && -n "$dir" ]]; do
      # every parent must be searchable (x) by others
      if [[ $(( 0$(stat -c %a "$dir") & 01 )) -eq 0 ]]; then
        printf '/var/tmp/revos-local-%s\n' "$(printf '%s' "$root" | md5sum | cut -c1-12)"
        return
      fi
      dir=$(dirname "$dir")
    done
  fi
  printf '%s/.local\n' "$root"
}
