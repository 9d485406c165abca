#!/usr/bin/env python3
"""Assertions of the end-to-end tests over what the pipeline wrote (JSON lines
from the webhook receiver and `revosctl consume`, `revosctl explain --json`).
Usage: checks.py CHECK ARGS... ; exit status 0 when the check holds, else a
message on stderr and status 1."""
import collections
import json
import sys


def lines(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def first_pages(path, play):
    """The level-0 pages of PLAY reached the CSM lead and the AE, signed."""
    mine = [p for p in lines(path) if p["body"].get("play_id") == play and p["body"].get("level") == 0]
    roles = {o["role"] for p in mine for o in p["body"].get("owners", [])}
    assert mine and all(p["valid"] for p in mine), "no valid level-0 page"
    assert {"ae", "csm_lead"} <= roles, f"owners paged: {sorted(roles)}"


def escalated(path, play):
    """A correctly signed page of PLAY at level 1 or above exists."""
    assert any(p["valid"] and p["body"].get("play_id") == play and p["body"].get("level", 0) >= 1
               for p in lines(path)), "no escalation page"


def no_duplicate_pages(path):
    counts = collections.Counter(p["page_id"] for p in lines(path))
    dups = [i for i, n in counts.items() if n > 1]
    assert not dups, f"pages delivered more than once: {dups}"


def print_pages(path):
    for p in lines(path):
        b = p["body"]
        print(f"  page level {b.get('level')} to {', '.join(o['role'] for o in b.get('owners', []))}"
              f" (signature {'valid' if p['valid'] else 'INVALID'}): {b.get('summary')}")


def explain(path, account):
    doc = json.load(open(path))
    assert doc["account_id"] == account, doc["account_id"]
    for kind in ("account_health", "renewal_risk", "forecast_confidence"):
        s = doc["scores"][kind]
        parts = s["explanation"]["contributions"]
        total = sum(c["points"] for c in parts)
        assert abs(total - s["value"]) < 0.051, (kind, total, s["value"])
        assert any(c["evidence_ids"] for c in parts), f"{kind}: no evidence"


def thresholds(path):
    changes = lines(path)
    assert changes, "no ThresholdChange"
    for c in changes:
        print(f"  {c['score_kind']} {c['tier']}: {c['old_threshold']} -> {c['new_threshold']} ({c['rule']})")


def count_at_least(path, n):
    assert len(lines(path)) >= int(n), f"{len(lines(path))} < {n}"


def dead_letters(path, prefix):
    letters = lines(path)
    for d in letters:
        assert d["reason"], d
        print(f"  {d['worker']:<16} {d['topic'][len(prefix):]:<18} {d['error_class']:<15} {d['reason'][:90]}")

    def find(topic, cls, words=()):
        for d in letters:
            if d["topic"] == prefix + topic and d["error_class"] == cls and \
                    all(w in d["reason"].lower() for w in words):
                return d
        raise AssertionError(f"no dead letter for {topic} {cls} {words}")

    assert sum(1 for d in letters if d["topic"] == prefix + "raw.segment" and d["error_class"] == "decode") >= 2
    find("raw.segment", "decode", ["json"])
    find("raw.segment", "validation", ["messageid"])
    big = find("raw.segment", "oversized")
    assert big["original_size"] > 65536
    find("raw.nosuchsource", "unknown_source", ["nosuchsource"])
    find("raw.hubspot", "validation", ["[0].eventid: missing"])
    find("raw.market", "unknown_source", ["no parser", "market"])
    for t in ("events", "signals", "scores", "outcomes", "thresholds"):
        find(t, "decode")
    find("outcomes", "validation", ["done"])
    assert any("this is not json" in (d["payload"] or "") for d in letters), "original bytes not kept"


def same_scores(clean, killed):
    def load(path):
        seen = {}
        for r in lines(path):
            prev = seen.get(r["score_id"])
            assert prev is None or prev == r, f"score {r['score_id']} emitted twice with different content"
            seen[r["score_id"]] = r
        return seen
    a, b = load(clean), load(killed)
    assert len(a) > 50, f"too few score updates: {len(a)}"
    assert a == b, f"{len(set(a) ^ set(b))} score ids differ"
    print(f"  {len(a)} distinct score updates, identical in both runs")


if __name__ == "__main__":
    try:
        globals()[sys.argv[1]](*sys.argv[2:])
    except AssertionError as e:
        print(f"check {sys.argv[1]} failed: {e}", file=sys.stderr)
        sys.exit(1)
