#!/usr/bin/env bash
# deploy/compose: both files pass `docker-compose config` (Debian's
# docker-compose; no container engine needed) and say what the brief asks:
# the full stack has Kafka (apache/kafka, KRaft), PostgreSQL, an optional
# schema registry profile, a one-shot init job, and five workers with
# /readyz health checks, restart policies and resource limits started after
# the init job succeeded; existing.yml has only the workers, refuses to
# render without the existing Kafka/PostgreSQL settings, and carries them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=${REVOS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
ops_need docker-compose
# docker-compose's own interpreter has PyYAML (python3-yaml is its dependency)
py=/usr/bin/python3
"$py" -c 'import yaml' || { echo "FAIL: python3-yaml missing (docker-compose dependency)"; exit 1; }
work=$(mktemp -d /tmp/revos-compose.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$root/deploy/compose"

ops_check "docker-compose.yml passes docker-compose config" \
    docker-compose -f docker-compose.yml config -q
docker-compose -f docker-compose.yml config >"$work/full.yml"
ops_check "the stack: kafka, postgres, init and the five workers (registry only by profile)" \
    "$py" - "$work/full.yml" <<'PY'
import sys, yaml
full = yaml.safe_load(open(sys.argv[1]))["services"]
workers = ["ingest", "normalize", "score", "route", "outcome"]
assert sorted(full) == sorted(["kafka", "postgres", "init", "schema-registry"] + workers), sorted(full)
# `config` lists profiled services too; only the registry is behind a profile
assert full["schema-registry"]["profiles"] == ["schema-registry"], full["schema-registry"]
for name in ["kafka", "postgres", "init"] + workers:
    assert not full[name].get("profiles"), name
k = full["kafka"]
assert k["image"].startswith("apache/kafka:"), k["image"]
assert "controller" in k["environment"]["KAFKA_PROCESS_ROLES"], k["environment"]
init = full["init"]
script = " ".join(init["command"])
for step in ("revosctl migrate", "revosctl topics create", "revosctl config apply"):
    assert step in script, (step, script)
assert init.get("restart", "no") == "no"
for w in workers:
    s = full[w]
    assert s["command"] == ["revos-" + w], s["command"]
    assert "/readyz" in " ".join(s["healthcheck"]["test"]), s["healthcheck"]
    assert s["restart"] == "unless-stopped", s.get("restart")
    lim = s["deploy"]["resources"]["limits"]
    assert lim["memory"] and lim["cpus"], lim
    assert s["depends_on"]["init"]["condition"] == "service_completed_successfully", s["depends_on"]
    env = s["environment"]
    assert env["REVOS_KAFKA_BROKERS"] == "kafka:9092" and "host=postgres" in env["REVOS_PG_DSN"], env
    assert "password" not in env["REVOS_PG_DSN"], "the password must come from a secret file"
    assert env["PGPASSWORD_FILE"].startswith("/run/secrets/"), env
assert full["route"]["environment"]["REVOS_PAGE_WEBHOOK_SECRET_FILE"].startswith("/run/secrets/")
PY

# existing.yml: refuses to render without the existing Kafka and PostgreSQL ...
if env -u REVOS_KAFKA_BROKERS -u REVOS_PG_DSN -u REVOS_PG_PASSWORD_FILE \
    docker-compose -f existing.yml config -q 2>"$work/err.txt"; then
    ops_fail "existing.yml rendered without REVOS_KAFKA_BROKERS"
else
    ops_check "existing.yml without settings names the missing REVOS_KAFKA_BROKERS" \
        grep -q REVOS_KAFKA_BROKERS "$work/err.txt"
fi
# ... and with them, points the workers at them only.
printf 'pw\n' >"$work/pg-password"
export REVOS_KAFKA_BROKERS=kafka-a.example:9093,kafka-b.example:9093
export REVOS_PG_DSN="host=db.example dbname=revos user=revos sslmode=verify-full"
export REVOS_PG_PASSWORD_FILE=$work/pg-password REVOS_KAFKA_SECURITY_PROTOCOL=sasl_ssl
ops_check "existing.yml passes docker-compose config" docker-compose -f existing.yml config -q
docker-compose -f existing.yml config >"$work/existing.yml"
ops_check "existing.yml: the five workers only, on the given Kafka and PostgreSQL" \
    "$py" - "$work/existing.yml" <<'PY'
import os, sys, yaml
svc = yaml.safe_load(open(sys.argv[1]))["services"]
workers = ["ingest", "normalize", "score", "route", "outcome"]
assert sorted(svc) == sorted(workers + ["init"]), sorted(svc)
assert svc["init"]["profiles"] == ["init"], "the init job runs only when asked (--profile init / run)"
assert "revosctl migrate" in " ".join(svc["init"]["command"])
for w in workers:
    env = svc[w]["environment"]
    assert env["REVOS_KAFKA_BROKERS"] == os.environ["REVOS_KAFKA_BROKERS"], env
    assert env["REVOS_PG_DSN"] == os.environ["REVOS_PG_DSN"], env
    assert env["REVOS_KAFKA_PROP_SECURITY_PROTOCOL"] == "sasl_ssl", env
    assert "/readyz" in " ".join(svc[w]["healthcheck"]["test"])
    assert svc[w]["deploy"]["resources"]["limits"]["memory"]
    assert "depends_on" not in svc[w], "existing.yml must not depend on a bundled broker or database"
PY
ops_done "compose config test"
