#!/usr/bin/env python3
"""test_quality.py -- bench/book/quality.py's metrics on a hand-made truth,
score stream and decision list, where every answer is known. Run as a
script (exit 0 = all hold)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality  # noqa: E402

FAILED = []


def check(what, got, want):
    ok = got == want
    print(f"{'ok' if ok else 'FAIL'}: {what}" + ("" if ok else f": got {got!r}, want {want!r}"))
    if not ok:
        FAILED.append(what)


def account(key, kind, renewal_day, sub_kind=None, params=None, breaks=()):
    return {"account_key": key, "kind": kind, "sub_kind": sub_kind, "renewal_day": renewal_day,
            "renewal_outcome": "lost" if kind == "at_risk" else "won", "params": params or {},
            "calendar": {"breaks": list(breaks), "holidays": []}}


TRUTH = {
    "seed": 0, "version": "test", "records": 0, "start": "2025-11-01", "end": "2026-10-31", "kinds": {},
    "accounts": [
        account("acct-R1", "at_risk", 300, "usage_only", {"onset_day": 150}),
        account("acct-R2", "at_risk", 300, "champion_only", {"onset_day": 150}),
        account("acct-H1", "healthy", 200),
        account("acct-S1", "seasonal", 250, breaks=[{"name": "summer break", "from": "2026-06-15",
                                                      "to": "2026-08-15", "usage_factor": 0.2}]),
        account("acct-E1", "expansion", 300, params={"expansion_start_day": 100}),
    ],
}


def update(account_id, kind, day_iso, revision, tier, value=50.0):
    sid = f"{account_id}:{kind}:{day_iso}" + (f":r{revision}" if revision else "")
    return json.dumps({"score_id": sid, "account_id": account_id, "kind": kind, "value": value, "tier": tier,
                       "revision": revision})


def main():
    # day 0 = 2025-11-01; day 180 = 2026-04-30, 200 = 2026-05-20, 205 = 2026-05-25
    lines = [
        update("acct-R1", "renewal_risk", "2025-11-01", 0, "low"),
        update("acct-R1", "renewal_risk", "2026-04-30", 0, "high", 62),
        update("acct-R1", "renewal_risk", "2026-05-20", 0, "critical", 76),
        update("acct-R1", "renewal_risk", "2026-05-20", 1, "high", 70),     # corrected: not critical
        update("acct-R1", "renewal_risk", "2026-05-25", 0, "critical", 77),
        update("acct-R1", "account_health", "2026-05-25", 0, None, 30),
        update("acct-R2", "renewal_risk", "2025-11-01", 0, "low"),
        update("acct-R2", "renewal_risk", "2026-10-01", 0, "critical", 80),  # day 334: after renewal
        update("acct-H1", "renewal_risk", "2025-11-01", 0, "low"),
    ]
    scores = quality.slim_scores(lines)
    check("slim keeps one cell per (account, kind, day)", len(scores["cells"]), 8)
    check("slim counts every update", scores["updates"], 9)
    risk = quality.tier_cells(TRUTH, scores)
    check("a correction wins over the first revision", [c[1] for c in risk["acct-R1"]],
          ["low", "high", "high", "critical"])

    leads = quality.lead_report(TRUTH, risk)
    r1 = next(r for r in leads["accounts"] if r["account"] == "acct-R1")
    check("first critical day is the corrected one", r1["first_critical_day"], 205)
    check("lead to critical", r1["lead_critical"], 95)
    check("lead to high", r1["lead_high"], 120)
    r2 = next(r for r in leads["accounts"] if r["account"] == "acct-R2")
    check("critical after the renewal is never", r2["lead_critical"], None)
    crit = leads["all"]["critical"]
    check("share in time counts never as late", crit["share_ge_90d"], 0.5)
    check("never count", crit["never"], 1)
    check("distribution over the accounts that got there", crit["distribution"]["median"], 95)
    check("high before the onset is flagged", r1["high_before_onset"], False)
    check("percentiles interpolate", quality.distribution([0, 10, 20, 30])["p25"], 7.5)

    day = lambda iso: int(__import__("datetime").datetime.strptime(iso, "%Y-%m-%d").timestamp() * 1000)  # noqa: E731
    decisions = [
        {"account_id": "acct-H1", "trigger": "nps_decline", "severity": "info", "score_id": "acct-H1:account_health:2026-01-10",
         "as_of_ms": day("2026-01-10")},
        {"account_id": "acct-S1", "trigger": "support_surge", "severity": "warning",
         "score_id": "acct-S1:account_health:2026-07-01", "as_of_ms": day("2026-07-01")},
        {"account_id": "acct-S1", "trigger": "nps_decline", "severity": "info",
         "score_id": "acct-S1:account_health:2026-09-01", "as_of_ms": day("2026-09-01")},
        {"account_id": "acct-E1", "trigger": "expansion_trigger", "severity": "warning",
         "score_id": "acct-E1:account_health:2025-12-01", "as_of_ms": day("2025-12-01")},  # before the growth
        {"account_id": "acct-E1", "trigger": "expansion_trigger", "severity": "warning",
         "score_id": "acct-E1:account_health:2026-03-01", "as_of_ms": day("2026-03-01")},  # day 120
        {"account_id": "acct-R1", "trigger": "renewal_risk", "severity": "critical",
         "score_id": "acct-R1:renewal_risk:2026-05-25", "as_of_ms": day("2026-05-25")},
    ]
    alerts = quality.kind_alerts(TRUTH, risk, decisions)
    check("healthy: info pages, none warning+", (alerts["healthy"]["page_share"]["info"],
                                                  alerts["healthy"]["warning_or_above_share"]), (1.0, 0.0))
    check("at-risk ever critical", alerts["at_risk"]["ever_critical"], 2)
    check("triggers by trigger/severity", alerts["seasonal"]["triggers"],
          {"nps_decline/info": {"decisions": 1, "accounts": 1}, "support_surge/warning": {"decisions": 1, "accounts": 1}})
    breaks = quality.break_pages(TRUTH, decisions)
    check("a page inside the account's break", breaks["seasonal"]["decisions"], 1)
    check("a page outside any break", breaks["healthy"]["decisions"], 0)
    exp = quality.expansion_detection(TRUTH, decisions)
    check("expansion detected after the growth started", (exp["detected"], exp["days_after_growth_start"]["min"]),
          (1, 20))
    q = quality.pages_per_quarter(TRUTH, decisions)
    check("pages per quarter", q["seasonal"]["per_quarter"], [0.0, 0.0, 1.0, 1.0])
    t = quality.targets(leads, alerts, breaks, exp, {"at_risk_critical_90d_share_min": 0.5,
                                                     "at_risk_critical_median_lead_min": 90, "break_pages_max": 1})
    # critical at 90+ days, high at 90+ days, quiet kinds critical, healthy warning pages, breaks, expansion
    check("targets with loose bounds", [x["pass"] for x in t], [True, True, True, True, True, True])
    t = quality.targets(leads, alerts, breaks, exp)
    check("targets with the issue's bounds", [x["pass"] for x in t], [False, False, True, True, False, True])
    changes = quality.threshold_changes([{"change_id": "a", "occurred_at": 2, "v": 1},
                                         {"change_id": "b", "occurred_at": 1, "v": 1},
                                         {"change_id": "a", "occurred_at": 2, "v": 2}])
    check("threshold changes: the latest record per id, by day", [(c["change_id"], c["v"]) for c in changes],
          [("b", 1), ("a", 2)])
    text = quality.render(quality.analyze(TRUTH, scores, decisions))
    check("the table renders its targets", text.count("PASS") + text.count("FAIL"), 6)
    if FAILED:
        print(f"{len(FAILED)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
