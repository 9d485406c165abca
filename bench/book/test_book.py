#!/usr/bin/env python3
"""test_book.py -- what bench/book/book.py promises, checked on generated
books. Run as a script: python3 bench/book/test_book.py (exit 0 = all hold).

  - the same arguments give byte-identical files; another seed another book;
  - with 40 accounts every kind and at-risk sub-kind is present, each kind
    with both segments;
  - every line is "<raw topic>\\t<JSON object>", the topics the ones
    revos-ingest reads;
  - event times are sorted, inside the book's year and in the past;
  - the truth matches the events: account, team, renewal opportunity and
    its close, contact roles, Zendesk organization, Segment group, the
    champion departures, the usage declines, growth and recoveries, no
    event of a lost account after its renewal;
  - 200 accounts stay under 300,000 records.
"""
import filecmp
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
BOOK = os.path.join(HERE, "book.py")
TOPICS = {"raw.salesforce", "raw.segment", "raw.zendesk", "raw.nps"}
FAILED = []


def check(what, condition):
    print(f"{'ok' if condition else 'FAIL'}: {what}")
    if not condition:
        FAILED.append(what)
    return condition


def generate(out, accounts, seed, *extra):
    subprocess.run([sys.executable, BOOK, "--accounts", str(accounts), "--seed", str(seed), "--out", out,
                    *extra], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "truth.json")) as f:
        return json.load(f)


def event_ms(topic, r):
    """The event time of a raw record, read as revos-ingest reads it."""
    if topic == "raw.salesforce":
        return r["ChangeEventHeader"]["commitTimestamp"]
    if topic == "raw.segment":
        return iso_ms(r["timestamp"])
    if topic == "raw.zendesk":
        return iso_ms(r["time"])
    if "event_data" in r:  # Delighted: updated_at, else created_at, epoch seconds
        return r["event_data"]["updated_at"] * 1000
    return int(datetime.strptime(r["response"]["updated_at"], "%Y-%m-%d %H:%M:%S %z").timestamp() * 1000)


def iso_ms(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def account_of(topic, r, by_group, by_org, by_opp, by_role, by_contact):
    """The Salesforce account id a record is about (as normalize links it)."""
    if topic == "raw.salesforce":
        rid = r["ChangeEventHeader"]["recordIds"][0]
        entity = r["ChangeEventHeader"]["entityName"]
        if entity == "Account":
            return rid
        if entity == "Opportunity":
            return r.get("AccountId") or by_opp.get(rid)
        if entity == "Contact":
            return r.get("AccountId") or by_contact.get(rid)
        return by_opp.get(r.get("OpportunityId")) or by_role.get(rid)
    if topic == "raw.segment":
        if r["type"] == "group":
            return r["traits"]["salesforce_account_id"]
        gid = r["context"]["groupId"] if "groupId" in r.get("context", {}) else r["traits"]["company"]["id"]
        return by_group.get(gid)
    if topic == "raw.zendesk":
        if r["type"].endswith("organization.created"):
            return r["detail"]["external_id"]
        return by_org.get(r["detail"]["organization_id"])
    props = r["event_data"]["person_properties"] if "event_data" in r else r["response"]["end_user_properties"]
    return props["salesforce_account_id"]


def read_book(out):
    rows = []
    with open(os.path.join(out, "mixed.tsv")) as f:
        for n, line in enumerate(f, 1):
            topic, sep, text = line.rstrip("\n").partition("\t")
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                record = None
            rows.append((n, topic, sep, record))
    return rows


def test_determinism(tmp):
    a = generate(os.path.join(tmp, "a"), 12, 7)
    generate(os.path.join(tmp, "b"), 12, 7)
    generate(os.path.join(tmp, "c"), 12, 8)
    for name in ("mixed.tsv", "truth.json"):
        check(f"same arguments, byte-identical {name}",
              filecmp.cmp(os.path.join(tmp, "a", name), os.path.join(tmp, "b", name), shallow=False))
    check("another seed, another book",
          not filecmp.cmp(os.path.join(tmp, "a", "mixed.tsv"), os.path.join(tmp, "c", "mixed.tsv"), shallow=False))
    check("truth carries the seed and the version", a["seed"] == 7 and a["version"])


def test_book(tmp):
    out = os.path.join(tmp, "b40")
    truth = generate(out, 40, 3)
    accts = truth["accounts"]
    check("40 accounts in the truth", len(accts) == 40)
    kinds = {}
    for a in accts:
        kinds.setdefault(a["kind"], set()).add(a["segment"])
    check(f"every kind present: {sorted(kinds)}",
          sorted(kinds) == ["at_risk", "expansion", "healthy", "recovered", "seasonal"])
    check("every kind has K-12 and higher-ed accounts",
          all(s == {"K-12", "Higher Education"} for s in kinds.values()))
    subs = sorted({a["sub_kind"] for a in accts if a["kind"] == "at_risk"})
    check(f"every at-risk sub-kind present: {subs}",
          subs == ["champion_only", "full_pattern", "slow_decline", "usage_only"])
    check("renewals between day 150 and day 364", all(150 <= a["renewal_day"] <= 364 for a in accts))
    check("non-risk kinds renew, at-risk mostly lost",
          all(a["renewal_outcome"] == "won" for a in accts if a["kind"] != "at_risk")
          and 0 < sum(a["renewal_outcome"] == "won" for a in accts if a["kind"] == "at_risk")
          < sum(a["kind"] == "at_risk" for a in accts) / 2)
    check("at-risk onsets 100-220 days before renewal",
          all(100 <= a["renewal_day"] - a["params"]["onset_day"] <= 220 for a in accts if a["kind"] == "at_risk"))
    check("recoveries well before renewal (>= 120 days)",
          all(a["renewal_day"] - a["params"]["recovery_day"] >= 120 for a in accts if a["kind"] == "recovered"))
    check("account keys are acct-<18-character Salesforce id>",
          all(a["account_key"] == "acct-" + a["id"] and len(a["id"]) == 18 for a in accts))

    rows = read_book(out)
    check("every line is <raw topic>\\t<JSON object>",
          all(sep == "\t" and topic in TOPICS and isinstance(r, dict) for _, topic, sep, r in rows))
    check(f"record count matches the truth ({truth['records']})", len(rows) == truth["records"])
    start = datetime.strptime(truth["start"], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    end = datetime.strptime(truth["end"], "%Y-%m-%d").replace(tzinfo=timezone.utc) + timedelta(days=1)
    times = [event_ms(topic, r) for _, topic, _, r in rows]
    check("event times sorted", all(x <= y for x, y in zip(times, times[1:])))
    check("event times inside the year",
          min(times) >= start.timestamp() * 1000 and max(times) < end.timestamp() * 1000)
    check("event times in the past", max(times) <= datetime.now(timezone.utc).timestamp() * 1000)

    # ---- truth against events, per account
    by_id = {a["id"]: a for a in accts}
    by_group = {g["group_id"]: a["id"] for a in accts for g in a["segment_groups"]}
    by_org = {a["zendesk_organization_id"]: a["id"] for a in accts}
    by_opp, by_role, by_contact = {}, {}, {}
    for a in accts:
        by_opp[a["renewal_opportunity_id"]] = a["id"]
        if a["next_renewal_opportunity_id"]:
            by_opp[a["next_renewal_opportunity_id"]] = a["id"]
        if a["params"].get("upsell_opportunity_id"):
            by_opp[a["params"]["upsell_opportunity_id"]] = a["id"]
        for c in a["contacts"].values():
            by_contact[c["contact_id"]] = a["id"]
            for role in c["roles"]:
                by_role[role["role_id"]] = a["id"]
    events = {a["id"]: [] for a in accts}
    unlinked = 0
    for (n, topic, _, r), t in zip(rows, times):
        acct = account_of(topic, r, by_group, by_org, by_opp, by_role, by_contact)
        if acct not in events:
            unlinked += 1
            continue
        events[acct].append((t, topic, r))
    check("every record links to an account of the truth", unlinked == 0)

    day_of = lambda a, t: int((t - start.timestamp() * 1000) // 86400000)  # noqa: E731
    bad = []
    compared = [0, 0]  # accounts whose usage change could not / could be compared
    for acct, evs in events.items():
        a = by_id[acct]
        sf = [(day_of(a, t), r) for t, topic, r in evs if topic == "raw.salesforce"]
        create = [r for _, r in sf if r["ChangeEventHeader"]["entityName"] == "Account"]
        if not (create and create[0]["Type"] == a["segment"] and create[0]["OwnerId"] == a["team"]["ae"]
                and create[0]["CSM__c"] == a["team"]["csm"] and create[0]["CSM_Lead__c"] == a["team"]["csm_lead"]
                and create[0]["BillingAddress"]["State"] == a["state"] and create[0]["Name"] == a["name"]):
            bad.append((acct, "account create"))
        opp = [(d, r) for d, r in sf if r["ChangeEventHeader"]["recordIds"][0] == a["renewal_opportunity_id"]]
        first = opp[0][1] if opp else {}
        renewal_ms = (start + timedelta(days=a["renewal_day"])).timestamp() * 1000
        if not (first.get("Type") == "Renewal" and first.get("Amount") == a["arr"]
                and first.get("CloseDate") == renewal_ms and first.get("IsClosed") is False):
            bad.append((acct, "renewal opportunity"))
        closes = [(d, r) for d, r in opp if r.get("IsClosed") is True]
        want = "Closed Won" if a["renewal_outcome"] == "won" else "Closed Lost"
        if not (len(closes) == 1 and closes[0][0] == a["renewal_day"] and closes[0][1]["StageName"] == want
                and closes[0][1]["IsWon"] is (a["renewal_outcome"] == "won")):
            bad.append((acct, "renewal close"))
        roles = {r.get("Role") for _, r in sf if r["ChangeEventHeader"]["entityName"] == "OpportunityContactRole"
                 and r["ChangeEventHeader"]["changeType"] == "CREATE"}
        if not {"Champion", "Economic Buyer"} <= roles:
            bad.append((acct, "contact roles"))
        last = max(day_of(a, t) for t, _, _ in evs)
        if a["renewal_outcome"] == "lost" and last > a["renewal_day"]:
            bad.append((acct, "events after a lost renewal"))
        if a["renewal_outcome"] == "won" and not any(
                r["ChangeEventHeader"]["recordIds"][0] == a["next_renewal_opportunity_id"] for _, r in sf):
            bad.append((acct, "next renewal"))
        if not any(topic == "raw.zendesk" and r["type"].endswith("organization.created") for _, topic, r in evs):
            bad.append((acct, "zendesk organization"))
        if not any(topic == "raw.segment" and r["type"] == "group" and r["groupId"] == a["segment_groups"][0]["group_id"]
                   for _, topic, r in evs):
            bad.append((acct, "segment group"))
        # the champion departure of the kind, on its day
        p = a["params"]
        gone = p.get("champion_departure_day", (p.get("turnover") or {}).get("departure_day"))
        if gone is not None:
            role_id = a["contacts"]["champion"]["roles"][0]["role_id"]
            changes = [d for d, r in sf if r["ChangeEventHeader"]["changeType"] in ("UPDATE", "DELETE")
                       and r["ChangeEventHeader"]["recordIds"][0] in (role_id, a["contacts"]["champion"]["contact_id"])]
            if not changes or min(changes) != gone:
                bad.append((acct, "champion departure"))
        # usage: the in-session weekday median before and after the kind's change
        if a["kind"] in ("at_risk", "expansion", "recovered") and "decline_depth_pct" in p or a["kind"] == "expansion":
            usage = {}
            for t, topic, r in evs:
                if topic == "raw.segment" and r["type"] == "track":
                    d = day_of(a, t)
                    usage[d] = usage.get(d, 0) + r["properties"]["quantity"]
            ratio = usage_ratio(a, usage, start.date())
            compared[ratio is not None] += 1
            if ratio is None:
                pass  # the windows fall in breaks or after the account's last day
            elif a["kind"] == "at_risk" and not ratio < 1 - (p["decline_depth_pct"] - 15) / 100.0:
                bad.append((acct, f"at-risk decline {ratio:.2f}"))
            if a["kind"] == "expansion" and not ratio > 1 + (p["growth_pct"] - 20) / 100.0:
                bad.append((acct, f"expansion growth {ratio:.2f}"))
            if a["kind"] == "recovered" and not (ratio[0] < 0.8 and ratio[1] > 0.85):
                bad.append((acct, f"recovery {ratio}"))
        if a["tickets"] != sum(1 for _, topic, r in evs if topic == "raw.zendesk" and r["type"].endswith("ticket.created")):
            bad.append((acct, "ticket count"))
        if len(a["nps"]) != sum(1 for _, topic, _ in evs if topic == "raw.nps"):
            bad.append((acct, "nps count"))
    check(f"truth consistent with the events {bad[:5]}", not bad)
    check(f"usage changes compared for most accounts of a changing kind ({compared[1]} of {sum(compared)})",
          compared[1] >= 0.6 * sum(compared))


def in_session(a, start, day):
    d = start + timedelta(days=day)
    if d.weekday() >= 5:
        return False
    for b in a["calendar"]["breaks"]:
        lo = date.fromisoformat(b["from"]) - timedelta(days=5)
        hi = date.fromisoformat(b["to"]) + timedelta(days=5)
        if lo <= d <= hi:
            return False
    return not any(h["date"] == d.isoformat() for h in a["calendar"]["holidays"])


def median_of(usage, a, start, days):
    vals = sorted(usage.get(d, 0) for d in days if 0 <= d <= a["last_event_day"] and in_session(a, start, d))
    return vals[len(vals) // 2] if vals else None


def usage_ratio(a, usage, start):
    """After the kind's change against before it, in-session weekday medians
    (the recovered kind: (during / before, after / before)); None when a
    window holds no in-session day of the account."""
    p = a["params"]
    if a["kind"] == "at_risk":
        t = p["onset_day"] + p["decline_days"]
        before = median_of(usage, a, start, range(p["onset_day"] - 60, p["onset_day"]))
        after = median_of(usage, a, start, range(t, t + 40))
    elif a["kind"] == "expansion":
        t = p["expansion_start_day"] + p["growth_days"]
        before = median_of(usage, a, start, range(p["expansion_start_day"] - 50, p["expansion_start_day"]))
        after = median_of(usage, a, start, range(t, t + 60))
        if after is None:  # the growth ends with the year
            after = median_of(usage, a, start, range(t - 20, t + 1))
    else:
        b, r = p["decline_start_day"], p["recovery_day"]
        before = median_of(usage, a, start, range(b - 50, b))
        during = median_of(usage, a, start, range(b + p["ramp_days"], r))
        after = median_of(usage, a, start, range(r + p["ramp_days"], r + 60))
        if not before or during is None or after is None:
            return None
        return (during / before, after / before)
    if not before or after is None:
        return None
    return after / before


def test_size(tmp):
    truth = generate(os.path.join(tmp, "b200"), 200, 1)
    check(f"200 accounts: {truth['records']} records < 300,000", truth["records"] < 300000)


def test_end(tmp):
    future = (datetime.now(timezone.utc).date() + timedelta(days=1)).isoformat()
    r = subprocess.run([sys.executable, BOOK, "--accounts", "3", "--out", os.path.join(tmp, "f"), "--end", future],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check("an --end in the future is refused", r.returncode != 0)
    truth = generate(os.path.join(tmp, "e"), 5, 1, "--end", "2026-06-30")
    check("--end moves the year", truth["start"] == "2025-07-01" and truth["end"] == "2026-06-30")


def main():
    with tempfile.TemporaryDirectory(prefix="revos-book-test.") as tmp:
        test_determinism(tmp)
        test_book(tmp)
        test_size(tmp)
        test_end(tmp)
    if FAILED:
        print(f"{len(FAILED)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
