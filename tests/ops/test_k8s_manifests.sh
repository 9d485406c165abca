#!/usr/bin/env bash
# deploy/k8s: the base and both overlays render with `kubectl kustomize` and
# validate with kubernetes-validate (PyPI, pinned, installed by this test into
# a virtualenv under ~/.cache/revos) in --strict mode against Kubernetes
# 1.37, the newest schema set it ships. kubernetes-validate has no schema for
# the ServiceMonitor CRD (monitoring.coreos.com/v1) and only warns about it:
# any other warning fails, and the ServiceMonitor is checked here instead
# (it selects the ops Service by its labels, scrapes its named port).
# Also: the committed base is what deploy/k8s/generate writes (no drift from
# config/), every worker has a Deployment with /healthz liveness and /readyz
# readiness probes, requests and limits, replicas no more than the topics'
# partitions, and a PodDisruptionBudget; the migration Job runs migrate,
# topics create and config apply; secrets are only referenced.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=${REVOS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
KV_VERSION=1.37.0
K8S_VERSION=1.37.0
ops_need kubectl
py=/usr/bin/python3
"$py" -c 'import yaml, venv' || { echo "FAIL: python3-yaml / python3-venv missing (run deploy/deps)"; exit 1; }
work=$(mktemp -d /tmp/revos-k8s.XXXXXX)
trap 'rm -rf "$work"' EXIT

venv=${XDG_CACHE_HOME:-$HOME/.cache}/revos/kubernetes-validate-$KV_VERSION
if [[ ! -x "$venv/bin/kubernetes-validate" ]]; then
    echo "installing kubernetes-validate $KV_VERSION into $venv" >&2
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q "kubernetes-validate==$KV_VERSION" ||
        { echo "FAIL: cannot install kubernetes-validate from PyPI"; exit 1; }
fi
kv=$venv/bin/kubernetes-validate

ops_check "deploy/k8s/base is what deploy/k8s/generate writes" "$root/deploy/k8s/generate" --check

for target in base overlays/dev overlays/production; do
    out=$work/${target//\//-}.yaml
    if ! kubectl kustomize "$root/deploy/k8s/$target" >"$out" 2>"$work/kustomize.err"; then
        cat "$work/kustomize.err" >&2
        ops_fail "kubectl kustomize $target"
        continue
    fi
    if "$kv" --strict -k "$K8S_VERSION" "$out" >"$work/kv.out" 2>&1; then
        ops_check "$target: kubernetes-validate --strict -k $K8S_VERSION passes" true
    else
        cat "$work/kv.out" >&2
        ops_fail "$target: kubernetes-validate --strict -k $K8S_VERSION"
    fi
    ops_check "$target: every resource but the ServiceMonitor was validated (no other warning)" \
        bash -c "n_ok=\$(grep -c '^INFO .* passed for resource' '$work/kv.out');
                 others=\$(grep -E '^(WARN|ERROR)' '$work/kv.out' | grep -v 'kind ServiceMonitor with api version monitoring.coreos.com/v1' || true);
                 test -z \"\$others\" && test \"\$n_ok\" -ge 14 || { echo \"\$others\"; exit 1; }"
    ops_check "$target: workers, probes, limits, budgets, Job, config, secrets, ServiceMonitor" \
        "$py" - "$out" "$root/config" "$target" <<'PY'
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
config_dir, target = sys.argv[2], sys.argv[3]
by = {}
for d in docs:
    by.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
workers = ["ingest", "normalize", "score", "route", "outcome"]
settings = by["ConfigMap"]["revos-settings"]["data"]
partitions = int(settings["REVOS_PARTITIONS"])
for w in workers:
    dep = by["Deployment"]["revos-" + w]
    spec = dep["spec"]
    assert 1 <= spec["replicas"] <= partitions, (w, spec["replicas"], partitions)
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (c,) = pod["containers"]
    assert c["args"] == ["revos-" + w], c["args"]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    for kind in ("requests", "limits"):
        assert c["resources"][kind]["cpu"] and c["resources"][kind]["memory"], (w, kind)
    assert {"configMapRef": {"name": "revos-settings"}} in c["envFrom"]
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    assert env["PGPASSWORD_FILE"].startswith("/run/secrets/"), env
    secrets = [v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v]
    assert "revos-secrets" in secrets, pod["volumes"]
    pdb = by["PodDisruptionBudget"]["revos-" + w]
    assert pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
    assert pdb["spec"].get("maxUnavailable") == 1
assert "Secret" not in by, "secrets are referenced, never shipped"
(job,) = by["Job"].values()
script = " ".join(job["spec"]["template"]["spec"]["containers"][0]["args"])
for step in ("revosctl migrate", "revosctl topics create", "revosctl config apply"):
    assert step in script, (step, script)
cm = by["ConfigMap"]["revos-config"]["data"]
files = sorted(f for f in os.listdir(config_dir) if f.endswith(".json"))
assert sorted(cm) == files, (sorted(cm), files)
for f in files:
    assert cm[f] == open(os.path.join(config_dir, f)).read(), f
svc = by["Service"]["revos-ops"]
mon = by["ServiceMonitor"]["revos"]
assert all(svc["metadata"]["labels"].get(k) == v for k, v in mon["spec"]["selector"]["matchLabels"].items())
ports = {p["name"] for p in svc["spec"]["ports"]}
assert all(e["port"] in ports and e["path"] == "/metrics" for e in mon["spec"]["endpoints"])
sel = svc["spec"]["selector"]
for w in workers:
    labels = by["Deployment"]["revos-" + w]["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in sel.items()), ("service does not select", w)
if target == "overlays/dev":
    assert settings["REVOS_REPLICATION"] == "1", "a single dev broker cannot hold 3 replicas"
if target == "overlays/production":
    assert settings["REVOS_KAFKA_PROP_SECURITY_PROTOCOL"] == "sasl_ssl"
    assert "sslmode=verify-full" in settings["REVOS_PG_DSN"]
PY
done

# The validator must catch a broken manifest, or the checks above prove nothing.
sed 's/readinessProbe:/readinessProbee:/' "$work/base.yaml" >"$work/broken.yaml"
ops_check "kubernetes-validate --strict rejects an unknown field" \
    bash -c "! '$kv' --strict -k '$K8S_VERSION' '$work/broken.yaml' >/dev/null 2>&1"
ops_done "kubernetes manifests test"
