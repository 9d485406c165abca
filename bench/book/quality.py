#!/usr/bin/env python3
"""quality.py -- how well the pipeline's scores and decisions detect what a
book (bench/book/book.py) holds: the analysis behind bench/quality.

  quality.py slim-scores OUT.json  < `revosctl consume scores` output
  quality.py report --book DIR --data DIR [--out DIR] [--strict]

Where the numbers come from, and what they mean (read from the code, not
guessed):

* Score timeline: the ScoreUpdate topic (schemas/ScoreUpdate.avsc). Each
  record is one cell of an account's timeline: one score kind as of the end
  of one event-time UTC day. score_id is "<account>:<kind>:<YYYY-MM-DD>",
  with ":r<n>" for the n-th revision; a late event re-emits a published cell
  as a correction, so the highest `revision` of a (account, kind, day) cell
  wins (workers/score/engine.h, tests/e2e/checks.py same_scores). The day is
  taken from score_id (as_of is that day's last millisecond). revos-score
  publishes a cell only when it is the kind's first, moved by
  emit_min_change, changed tier or raised a derived signal; a cell sent
  before and no longer publishable is re-sent with its true value and tier.
  So every tier change is a published cell and the tier on a day is the tier
  of the newest cell on or before it: "first day at critical" is the first
  cell whose latest revision has tier critical.
* Decisions ("pages"): PostgreSQL, written by revos-route
  (workers/route/schema.sql, schema_eventtime.sql, plan.h, route_apply.c).
  A decision is a play (route_plays row) or a notice (a matrix entry without
  a play: route_pages rows whose play_id starts "notice:"). revos-route
  plans each account's decisions from its timeline again on every change:
  a correction that takes a trigger away supersedes the decision
  (route_plays.status 'superseded', its pages 'cancelled'), so those are
  not counted. A trigger that finds a decision of the same play (or, for a
  notice, the same trigger) open attaches to it as evidence instead of
  opening a new one, and routing.inhibit makes some notices attach to an
  open renewal-risk decision (route_play_events attached = true): neither
  pages anyone, and they are not counted as decisions. In a backfill every
  decision is older than routing.live_horizon when planned, so it is
  recorded as historical (route_plays.historical, route_pages.status
  'historical') and never sent; it is still the decision the system made,
  and counts as a page here. A decision's event time is its cell's as_of
  (route_plays.as_of, the page body's as_of); its severity is the observed
  one (the renewal-risk tier, or the derived signal's severity:
  route_plays.severity, the page body's severity; the tiers low and medium
  rank as info and warning, decide.h).
* Threshold changes: the ThresholdChange topic (latest record per
  change_id, "<kind>:<tier>:<YYYY-MM-DD>", replaces earlier ones), with the
  saves and losses that produced them, and revos-score's
  score_threshold_log / score_thresholds.

Metrics (functions below; each takes the truth and plain lists/dicts, so a
test can call them on a small book):
* lead time: for each at-risk account, renewal_day - the first day (on or
  before the renewal day) its renewal_risk tier was critical, and likewise
  high or above; "never" when it did not get there before the renewal.
  Distributions are over the accounts that got there; shares over all
  at-risk accounts (never counts as not in time). Percentiles interpolate
  linearly between ranks.
* per non-risk kind: accounts ever at critical (any day of the book),
  accounts with a decision of each severity, and the triggers behind them.
* breaks: decisions whose event day lies inside one of the account's own
  breaks (truth calendar, from..to inclusive).
* expansion: expansion accounts with an expansion_trigger decision on or
  after their growth started; accounts of other kinds with one.
* pages per account per quarter: decisions per account in each book quarter
  (days 0-90, 91-181, 182-272, 273-364), by kind.
"""
import argparse
import collections
import json
import os
import re
import sys
from datetime import date, timedelta

DAY_MS = 86400000
SEVERITIES = ["info", "warning", "high", "critical"]
SEVERITY_RANK = {"info": 0, "low": 0, "warning": 1, "medium": 1, "high": 2, "critical": 3}
NON_RISK = ["healthy", "seasonal", "expansion", "recovered"]
KINDS = ["at_risk"] + NON_RISK
QUARTERS = [(0, 90), (91, 181), (182, 272), (273, 364)]

# The targets; a test on a small book passes looser ones.
TARGETS = {
    "at_risk_critical_90d_share_min": 0.85,   # at-risk at critical >= 90 days before renewal
    "at_risk_critical_median_lead_min": 100,  # median lead of those, days
    "quiet_ever_critical_share_max": 0.05,    # healthy + seasonal + expansion ever critical
    "healthy_warning_page_share_max": 0.10,   # healthy with a page of severity warning or above
    "break_pages_max": 0,                     # seasonal accounts' pages inside a break
    "expansion_trigger_share_min": 0.80,      # expansion accounts with an expansion trigger
}

SCORE_ID = re.compile(r":(\d{4}-\d{2}-\d{2})(?::r\d+)?$")


# ==== Reading ====

def slim_scores(lines):
    """ScoreUpdate JSON lines -> {updates, by_kind, cells: [[account, kind,
    date, revision, value, tier]]}, the latest revision of every cell."""
    cells = {}
    by_kind = collections.Counter()
    n = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        n += 1
        by_kind[r["kind"]] += 1
        m = SCORE_ID.search(r["score_id"])
        if m is None:
            continue
        key = (r["account_id"], r["kind"], m.group(1))
        rev = r.get("revision") or 0
        have = cells.get(key)
        if have is None or have[0] < rev:
            cells[key] = (rev, r["value"], r.get("tier"))
    rows = [[k[0], k[1], k[2], v[0], v[1], v[2]] for k, v in sorted(cells.items())]
    return {"updates": n, "by_kind": dict(sorted(by_kind.items())), "cells": rows}


def load_json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text) if text else default


def load_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def day_index(truth, iso):
    return (date.fromisoformat(iso) - date.fromisoformat(truth["start"])).days


def tier_cells(truth, scores, kind="renewal_risk"):
    """account key -> [(day index, tier, value)] sorted, for one score kind."""
    out = collections.defaultdict(list)
    for account, k, iso, _rev, value, tier in scores["cells"]:
        if k == kind:
            out[account].append((day_index(truth, iso), tier, value))
    for v in out.values():
        v.sort()
    return out


def decision_day(truth, d):
    """The event day (index) of a decision: its cell's day."""
    m = SCORE_ID.search(d.get("score_id") or "")
    if m:
        return day_index(truth, m.group(1))
    return (d["as_of_ms"] // DAY_MS) - (date.fromisoformat(truth["start"]) - date(1970, 1, 1)).days


def severity_of(d):
    return SEVERITIES[SEVERITY_RANK.get(d.get("severity") or "info", 0)]


# ==== Metrics ====

def distribution(values):
    """{n, min, p10, p25, median, p75, max} with linear interpolation; None
    values when empty."""
    v = sorted(values)
    def pct(q):
        if not v:
            return None
        pos = (len(v) - 1) * q
        lo = int(pos)
        hi = min(lo + 1, len(v) - 1)
        return round(v[lo] + (v[hi] - v[lo]) * (pos - lo), 1)
    return {"n": len(v), "min": v[0] if v else None, "p10": pct(0.10), "p25": pct(0.25), "median": pct(0.5),
            "p75": pct(0.75), "max": v[-1] if v else None}


def first_day_at(cells, rank_min, until_day=None):
    """The first day whose tier ranks rank_min or above (high = 2, critical =
    3), on or before until_day; None when never."""
    for day, tier, _ in cells:
        if until_day is not None and day > until_day:
            return None
        if SEVERITY_RANK.get(tier or "", -1) >= rank_min:
            return day
    return None


def lead_times(truth, risk):
    """Per at-risk account: first day at high+ and at critical before its
    renewal, and the leads in days before the renewal (None: never)."""
    out = []
    for a in truth["accounts"]:
        if a["kind"] != "at_risk":
            continue
        cells = risk.get(a["account_key"], [])
        row = {"account": a["account_key"], "sub_kind": a["sub_kind"], "renewal_day": a["renewal_day"],
               "onset_day": a["params"]["onset_day"], "outcome": a["renewal_outcome"]}
        for name, rank in (("high", 2), ("critical", 3)):
            first = first_day_at(cells, rank, a["renewal_day"])
            row[f"first_{name}_day"] = first
            row[f"lead_{name}"] = None if first is None else a["renewal_day"] - first
            row[f"{name}_before_onset"] = first is not None and first < a["params"]["onset_day"]
        out.append(row)
    return out


def lead_summary(rows, tier, min_days=90):
    leads = [r[f"lead_{tier}"] for r in rows if r[f"lead_{tier}"] is not None]
    n = len(rows)
    in_time = sum(1 for x in leads if x >= min_days)
    return {"accounts": n, "reached": len(leads), "never": n - len(leads),
            "share_ge_90d": round(in_time / n, 3) if n else None,
            "before_onset": sum(1 for r in rows if r[f"{tier}_before_onset"]),
            "distribution": distribution(leads)}


def lead_report(truth, risk):
    rows = lead_times(truth, risk)
    report = {"accounts": rows, "all": {t: lead_summary(rows, t) for t in ("critical", "high")}, "by_sub_kind": {}}
    for sub in sorted({r["sub_kind"] for r in rows}):
        mine = [r for r in rows if r["sub_kind"] == sub]
        report["by_sub_kind"][sub] = {t: lead_summary(mine, t) for t in ("critical", "high")}
    return report


def decisions_by_account(decisions):
    out = collections.defaultdict(list)
    for d in decisions:
        out[d["account_id"]].append(d)
    return out


def kind_alerts(truth, risk, decisions):
    """Per kind: accounts, share ever at critical, share with a decision of
    each severity (and warning or above), the triggers behind them."""
    by_acct = decisions_by_account(decisions)
    out = {}
    for kind in KINDS:
        accts = [a for a in truth["accounts"] if a["kind"] == kind]
        n = len(accts)
        if n == 0:
            continue
        critical = sum(1 for a in accts if first_day_at(risk.get(a["account_key"], []), 3) is not None)
        sev_accounts = {s: 0 for s in SEVERITIES}
        warning_up = 0
        triggers = collections.Counter()
        trigger_accounts = collections.defaultdict(set)
        for a in accts:
            mine = by_acct.get(a["account_key"], [])
            seen = {severity_of(d) for d in mine}
            for s in seen:
                sev_accounts[s] += 1
            warning_up += any(SEVERITY_RANK[s] >= 1 for s in seen)
            for d in mine:
                key = f"{d['trigger']}/{severity_of(d)}"
                triggers[key] += 1
                trigger_accounts[key].add(a["account_key"])
        out[kind] = {
            "accounts": n,
            "ever_critical": critical, "ever_critical_share": round(critical / n, 3),
            "page_share": {s: round(sev_accounts[s] / n, 3) for s in SEVERITIES},
            "warning_or_above_share": round(warning_up / n, 3),
            "decisions": sum(len(by_acct.get(a["account_key"], [])) for a in accts),
            "triggers": {k: {"decisions": triggers[k], "accounts": len(trigger_accounts[k])}
                         for k in sorted(triggers, key=lambda k: (-triggers[k], k))},
        }
    return out


def in_break(truth, a, day):
    """The name of the account's break holding day (index), else None."""
    d = (date.fromisoformat(truth["start"]) + timedelta(days=day)).isoformat()
    for b in a["calendar"]["breaks"]:
        if b["from"] <= d <= b["to"]:
            return b["name"]
    return None


def break_pages(truth, decisions):
    """Per kind: decisions whose event day is inside one of the account's
    breaks, with a list of them."""
    accts = {a["account_key"]: a for a in truth["accounts"]}
    out = {k: {"decisions": 0, "accounts": 0, "examples": []} for k in KINDS}
    hit = collections.defaultdict(set)
    for d in decisions:
        a = accts.get(d["account_id"])
        if a is None:
            continue
        day = decision_day(truth, d)
        name = in_break(truth, a, day)
        if name is None:
            continue
        k = out[a["kind"]]
        k["decisions"] += 1
        hit[a["kind"]].add(a["account_key"])
        if len(k["examples"]) < 8:
            k["examples"].append({"account": a["account_key"], "trigger": d["trigger"], "severity": severity_of(d),
                                  "date": (date.fromisoformat(truth["start"]) + timedelta(days=day)).isoformat(),
                                  "break": name})
    for kind, accs in hit.items():
        out[kind]["accounts"] = len(accs)
    return out


def expansion_detection(truth, decisions):
    by_acct = decisions_by_account(decisions)
    exp = [a for a in truth["accounts"] if a["kind"] == "expansion"]
    found, any_time, first_leads = 0, 0, []
    for a in exp:
        mine = [d for d in by_acct.get(a["account_key"], []) if d["trigger"] == "expansion_trigger"]
        days = sorted(decision_day(truth, d) for d in mine)
        after = [x for x in days if x >= a["params"]["expansion_start_day"]]
        any_time += bool(days)
        if after:
            found += 1
            first_leads.append(after[0] - a["params"]["expansion_start_day"])
    false = {}
    for kind in KINDS:
        if kind == "expansion":
            continue
        accts = [a for a in truth["accounts"] if a["kind"] == kind]
        hits = sum(1 for a in accts if any(d["trigger"] == "expansion_trigger" for d in by_acct.get(a["account_key"], [])))
        if accts:
            false[kind] = {"accounts": len(accts), "with_expansion_trigger": hits}
    return {"accounts": len(exp), "detected": found, "detected_share": round(found / len(exp), 3) if exp else None,
            "with_any_expansion_trigger": any_time,
            "days_after_growth_start": distribution(first_leads), "false_on_other_kinds": false}


def pages_per_quarter(truth, decisions):
    """Per kind: decisions per account in each book quarter, all and
    warning or above."""
    by_acct = decisions_by_account(decisions)
    out = {}
    for kind in KINDS:
        accts = [a for a in truth["accounts"] if a["kind"] == kind]
        if not accts:
            continue
        allq, warnq = [0] * 4, [0] * 4
        for a in accts:
            for d in by_acct.get(a["account_key"], []):
                day = decision_day(truth, d)
                for i, (lo, hi) in enumerate(QUARTERS):
                    if lo <= day <= hi:
                        allq[i] += 1
                        warnq[i] += SEVERITY_RANK.get(d.get("severity") or "info", 0) >= 1
        n = len(accts)
        out[kind] = {"accounts": n, "per_quarter": [round(x / n, 2) for x in allq],
                     "per_quarter_warning_up": [round(x / n, 2) for x in warnq],
                     "per_account_quarter": round(sum(allq) / n / 4, 2),
                     "per_account_quarter_warning_up": round(sum(warnq) / n / 4, 2)}
    return out


def threshold_changes(changes):
    """The latest record of each change_id, in (occurred_at, change_id) order."""
    latest = {}
    for c in changes:
        latest[c["change_id"]] = c
    return sorted(latest.values(), key=lambda c: (c.get("occurred_at", 0), c["change_id"]))


def targets(leads, alerts, breaks, expansion, bounds=None):
    """The issue's targets, each {name, value, bound, pass}."""
    b = dict(TARGETS)
    b.update(bounds or {})
    out = []
    # the critical tier (the Renewal Save play), and high: routed too (the
    # CSM, 48 h, config/routing.json), the lowest tier that pages
    for tier, label in (("critical", "critical"), ("high", "high (the lowest paging tier)")):
        lead = leads["all"][tier]
        share, median = lead["share_ge_90d"], lead["distribution"]["median"]
        out.append({"name": f"at-risk reach renewal-risk {label} >= 90 days before renewal, median lead >= "
                            f"{b['at_risk_critical_median_lead_min']} days",
                    "value": f"{fmt_pct(share)} in time, median {fmt_num(median)} d",
                    "bound": f">= {fmt_pct(b['at_risk_critical_90d_share_min'])}, median >= "
                             f"{b['at_risk_critical_median_lead_min']} d",
                    "pass": share is not None and median is not None
                    and share >= b["at_risk_critical_90d_share_min"]
                    and median >= b["at_risk_critical_median_lead_min"]})
    quiet = [alerts[k] for k in ("healthy", "seasonal", "expansion") if k in alerts]
    n = sum(k["accounts"] for k in quiet)
    crit_n = sum(k["ever_critical"] for k in quiet)
    q = crit_n / n if n else None
    out.append({"name": "healthy + seasonal + expansion ever at renewal-risk critical",
                "value": f"{fmt_pct(q)} ({crit_n} of {n})", "bound": f"<= {fmt_pct(b['quiet_ever_critical_share_max'])}",
                "pass": q is not None and q <= b["quiet_ever_critical_share_max"]})
    h = alerts.get("healthy", {}).get("warning_or_above_share")
    out.append({"name": "healthy with any page of severity warning or above", "value": fmt_pct(h),
                "bound": f"<= {fmt_pct(b['healthy_warning_page_share_max'])}",
                "pass": h is not None and h <= b["healthy_warning_page_share_max"]})
    inside = breaks.get("seasonal", {}).get("decisions", 0)
    out.append({"name": "seasonal accounts' pages inside a school/term break", "value": str(inside),
                "bound": f"<= {b['break_pages_max']}", "pass": inside <= b["break_pages_max"]})
    e = expansion["detected_share"]
    out.append({"name": "expansion accounts with an expansion trigger after the growth started",
                "value": f"{fmt_pct(e)} ({expansion['detected']} of {expansion['accounts']})",
                "bound": f">= {fmt_pct(b['expansion_trigger_share_min'])}",
                "pass": e is not None and e >= b["expansion_trigger_share_min"]})
    return out


def analyze(truth, scores, decisions, changes=(), extra=None, bounds=None):
    """Every metric of a run, as one JSON-able dict."""
    risk = tier_cells(truth, scores)
    leads = lead_report(truth, risk)
    alerts = kind_alerts(truth, risk, decisions)
    breaks = break_pages(truth, decisions)
    expansion = expansion_detection(truth, decisions)
    result = {
        "book": {"seed": truth["seed"], "version": truth["version"], "accounts": len(truth["accounts"]),
                 "records": truth["records"], "start": truth["start"], "end": truth["end"], "kinds": truth["kinds"]},
        "scores": {"updates": scores.get("updates"), "by_kind": scores.get("by_kind"),
                   "cells": len(scores.get("cells", [])), "accounts_scored": len(risk)},
        "decisions": len(decisions),
        "lead_time": leads,
        "kinds": alerts,
        "break_pages": breaks,
        "expansion": expansion,
        "pages_per_quarter": pages_per_quarter(truth, decisions),
        "threshold_changes": threshold_changes(changes),
        "targets": targets(leads, alerts, breaks, expansion, bounds),
    }
    if extra:
        result.update(extra)
    return result


# ==== The table ====

def fmt_pct(x):
    return "-" if x is None else f"{100 * x:.0f}%"


def fmt_num(x):
    return "-" if x is None else (f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}")


def render(r):
    out = []
    w = out.append
    b = r["book"]
    w(f"# quality: book seed {b['seed']} (v{b['version']}), {b['accounts']} accounts, {b['records']} raw records, "
      f"{b['start']} .. {b['end']}")
    run = r.get("run", {})
    if run:
        w(f"# run: {run.get('wall_seconds', '-')} s to settle, {r['scores']['updates']} score updates "
          f"({r['scores']['cells']} cells), {r['decisions']} decisions, dead letters {run.get('dead_letters', '-')}, "
          f"parked {run.get('parked', '-')}, account states {run.get('account_states', '-')}, "
          f"config {run.get('config_dir', '-')}")
    w("")
    w("## Lead time of at-risk accounts (renewal_risk, days before the renewal date)")
    w(f"{'group':<24} {'tier':<9} {'n':>3} {'got':>4} {'never':>5} {'early':>5} {'min':>5} {'p10':>6} {'p25':>6} "
      f"{'median':>7} {'p75':>6} {'max':>5} {'>=90d':>6}")

    def lead_row(label, tier, s):
        d = s["distribution"]
        w(f"{label:<24} {tier:<9} {s['accounts']:>3} {s['reached']:>4} {s['never']:>5} {s['before_onset']:>5} "
          f"{fmt_num(d['min']):>5} {fmt_num(d['p10']):>6} {fmt_num(d['p25']):>6} {fmt_num(d['median']):>7} "
          f"{fmt_num(d['p75']):>6} {fmt_num(d['max']):>5} {fmt_pct(s['share_ge_90d']):>6}")
    for tier in ("critical", "high"):
        lead_row("all at-risk", tier, r["lead_time"]["all"][tier])
    for sub, s in r["lead_time"]["by_sub_kind"].items():
        for tier in ("critical", "high"):
            lead_row(f"  {sub}", tier, s[tier])
    w("  (got: reached the tier on or before the renewal; early: of those, first reached before the decline's onset;")
    w("   >=90d: share of all the group's accounts that got there 90 days or more before the renewal)")
    w("")
    w("## Alerts by kind (share of the kind's accounts)")
    w(f"{'kind':<10} {'n':>4} {'ever crit':>9} {'info':>6} {'warning':>8} {'high':>6} {'critical':>8} {'warn+':>6} "
      f"{'in break':>8}  triggers (decisions/accounts)")
    for kind, k in r["kinds"].items():
        ps = k["page_share"]
        trig = ", ".join(f"{t} {v['decisions']}/{v['accounts']}" for t, v in list(k["triggers"].items())[:6]) or "-"
        w(f"{kind:<10} {k['accounts']:>4} {fmt_pct(k['ever_critical_share']):>9} {fmt_pct(ps['info']):>6} "
          f"{fmt_pct(ps['warning']):>8} {fmt_pct(ps['high']):>6} {fmt_pct(ps['critical']):>8} "
          f"{fmt_pct(k['warning_or_above_share']):>6} {r['break_pages'][kind]['decisions']:>8}  {trig}")
    w("")
    br = r["break_pages"].get("seasonal", {})
    w(f"## Seasonal: {br.get('decisions', 0)} decision(s) inside a break on {br.get('accounts', 0)} seasonal account(s)")
    for e in br.get("examples", []):
        w(f"  {e['account']} {e['date']} ({e['break']}): {e['trigger']}/{e['severity']}")
    w("")
    e = r["expansion"]
    d = e["days_after_growth_start"]
    w(f"## Expansion: {e['detected']} of {e['accounts']} expansion accounts ({fmt_pct(e['detected_share'])}) with an "
      f"expansion_trigger after the growth started (any time: {e['with_any_expansion_trigger']}); "
      f"days after the start: median {fmt_num(d['median'])}, max {fmt_num(d['max'])}")
    w("  false expansion triggers: " + (", ".join(f"{k} {v['with_expansion_trigger']}/{v['accounts']}"
                                                  for k, v in e["false_on_other_kinds"].items()) or "-"))
    w("")
    w("## Pages (decisions) per account per quarter of the book, all / warning or above")
    w(f"{'kind':<10} {'n':>4} {'Q1':>11} {'Q2':>11} {'Q3':>11} {'Q4':>11} {'per quarter':>12}")
    for kind, q in r["pages_per_quarter"].items():
        cols = " ".join(f"{a:>5.2f}/{b_:<5.2f}" for a, b_ in zip(q["per_quarter"], q["per_quarter_warning_up"]))
        w(f"{kind:<10} {q['accounts']:>4} {cols} {q['per_account_quarter']:>6.2f}/{q['per_account_quarter_warning_up']:<5.2f}")
    w("")
    changes = r["threshold_changes"]
    w(f"## Threshold changes ({len(changes)}; each the latest record of its change_id, in force from its day)")
    shown = changes if len(changes) <= 30 else changes[:10] + [None] + changes[-19:]
    for c in shown:
        if c is None:
            w(f"  ... {len(changes) - 29} more (all in quality.json: threshold_changes) ...")
            continue
        day = date(1970, 1, 1) + timedelta(days=int(c.get("occurred_at", 0)) // DAY_MS)
        w(f"  {day} {c['score_kind']}/{c['tier']}: {fmt_num(c['old_threshold'])} -> {fmt_num(c['new_threshold'])} "
          f"(saves {c['saves']}, losses {c['losses']}; {c['rule']}; outcome {c['outcome_id']})")
    for t in r.get("thresholds_in_force", []):
        w(f"  in force at the end: {t['score_kind']}/{t['tier']} {fmt_num(t['threshold'])} ({t['change_id']})")
    for s in r.get("bands", []):
        w(f"  band {s['score_kind']}/{s['tier']}: {s['saves']} saves, {s['losses']} losses")
    w("")
    w("## Targets")
    for t in r["targets"]:
        w(f"  {'PASS' if t['pass'] else 'FAIL'}  {t['name']}: {t['value']} (target {t['bound']})")
    return "\n".join(out) + "\n"


# ==== Entry points ====

def report(args):
    with open(os.path.join(args.book, "truth.json")) as f:
        truth = json.load(f)
    data = args.data
    scores = load_json(os.path.join(data, "scores.json"), {"updates": 0, "by_kind": {}, "cells": []})
    decisions = load_json(os.path.join(data, "decisions.json"), [])
    changes = load_jsonl(os.path.join(data, "thresholds.jsonl"))
    extra = {"run": load_json(os.path.join(data, "run.json"), {}),
             "thresholds_in_force": load_json(os.path.join(data, "thresholds_now.json"), []),
             "threshold_log": load_json(os.path.join(data, "threshold_log.json"), []),
             "bands": load_json(os.path.join(data, "bands.json"), [])}
    result = analyze(truth, scores, decisions, changes, extra)
    result["decision_list"] = decisions
    text = render(result)
    out = args.out or data
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "quality.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out, "quality.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    failed = [t for t in result["targets"] if not t["pass"]]
    return 1 if args.strict and failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("slim-scores", help="ScoreUpdate JSON lines on stdin -> the latest cells, as one JSON file")
    s.add_argument("out")
    r = sub.add_parser("report", help="the table and quality.json")
    r.add_argument("--book", required=True, help="the book (truth.json)")
    r.add_argument("--data", required=True, help="what bench/quality collected from the run")
    r.add_argument("--out", help="where quality.json and quality.txt go [--data]")
    r.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    a = p.parse_args()
    if a.cmd == "slim-scores":
        doc = slim_scores(sys.stdin)
        with open(a.out, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        print(f"{doc['updates']} score updates, {len(doc['cells'])} cells", file=sys.stderr)
        return 0
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
