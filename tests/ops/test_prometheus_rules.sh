#!/usr/bin/env bash
# deploy/prometheus/alerts.yml passes `promtool check rules`, and its alerts
# behave (`promtool test rules tests/ops/alerts_test.yml`: each fires on the
# series that should raise it, with its labels and text, and stays silent
# when healthy); every alert links a runbook entry that exists in
# docs/operations.md. deploy/grafana/revos.json is well-formed JSON with
# throughput, lag, latency, pages and dead-letter panels whose every query is
# valid PromQL (checked by promtool as recording rules). That the metric
# names exist on the workers' /metrics is checked by e2e/test_ops_metrics.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=${REVOS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
ops_need promtool
py=/usr/bin/python3
"$py" -c 'import yaml' || { echo "FAIL: python3-yaml missing (run deploy/deps)"; exit 1; }
work=$(mktemp -d /tmp/revos-prom.XXXXXX)
trap 'rm -rf "$work"' EXIT

ops_check "promtool check rules deploy/prometheus/alerts.yml" \
    promtool check rules "$root/deploy/prometheus/alerts.yml"
ops_check "promtool test rules: every alert fires when it should, not when healthy" \
    bash -c "cd '$here' && promtool test rules alerts_test.yml"
ops_check "the alerts cover lag, outbox age, DLQ rate, pages failing, not ready, config refused; each has a runbook entry" \
    "$py" - "$root/deploy/prometheus/alerts.yml" "$root/docs/operations.md" "$here/alerts_test.yml" <<'PY'
import re, sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"]]
doc = open(sys.argv[2]).read()
tested = open(sys.argv[3]).read()
anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#+ (.+)$", doc, re.M)}
names = {r["alert"] for r in rules}
for want in ("RevosConsumerLagGrowing", "RevosOutboxStale", "RevosDeadLetterRate",
             "RevosPagesFailing", "RevosWorkerNotReady", "RevosConfigRefused"):
    assert want in names, want
for r in rules:
    url = r["annotations"]["runbook_url"]
    assert url == "docs/operations.md#" + r["alert"].lower(), url
    assert url.split("#")[1] in anchors, ("no runbook heading for", r["alert"])
    assert r["labels"]["severity"] in ("warning", "critical")
    assert "alertname: " + r["alert"] in tested, ("no promtool test for", r["alert"])
PY

dash=$root/deploy/grafana/revos.json
ops_check "deploy/grafana/revos.json is well-formed JSON" "$py" -m json.tool "$dash"
ops_check "the dashboard shows throughput, lag, latency, pages and DLQ, per worker" \
    "$py" - "$dash" "$work/dashboard-rules.yml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uid"] and d["title"] and d["schemaVersion"] >= 30
panels = [p for p in d["panels"] if p["type"] != "row"]
titles = " | ".join(p["title"].lower() for p in panels)
for word in ("records consumed", "lag", "duration", "pages", "dead letters"):
    assert word in titles, (word, titles)
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "panel ids must be unique"
exprs = [t["expr"] for p in panels for t in p["targets"]]
assert exprs and all("revos_" in e for e in exprs)
assert any("by (worker" in e for e in exprs)
assert "worker" in [v["name"] for v in d["templating"]["list"]]
# every query as a recording rule, so promtool parses it as PromQL
rules = [{"record": "dashboard:q%d" % i, "expr": e.replace("$worker", ".*")} for i, e in enumerate(exprs)]
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
PY
ops_check "every dashboard query is valid PromQL (promtool)" promtool check rules "$work/dashboard-rules.yml"
ops_done "prometheus rules and dashboard test"
