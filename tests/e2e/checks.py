#!/usr/bin/env python3
"""Assertions of the end-to-end tests over what the pipeline wrote (JSON lines
from the webhook receiver and `revosctl consume`, `revosctl explain --json`).
Usage: checks.py CHECK ARGS... ; exit status 0 when the check holds, else a
message on stderr and status 1.

Every check raises CheckFailed explicitly (never `assert`, which python -O
strips), and a check over records fails when there are none: a missing or
empty file is a failure, never a vacuous pass."""
import collections
import json
import os
import sys


class CheckFailed(Exception):
    pass


def require(condition, message):
    if not condition:
        raise CheckFailed(message)


def lines(path, allow_empty=False):
    """The JSON lines of path; a missing file, or an empty one unless
    allow_empty, fails the check."""
    try:
        with open(path) as f:
            records = [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        raise CheckFailed(f"{path}: no such file")
    except json.JSONDecodeError as e:
        raise CheckFailed(f"{path}: not JSON lines: {e}")
    require(records or allow_empty, f"{path}: no records")
    return records


def first_pages(path, play):
    """The level-0 pages of PLAY reached the CSM lead and the AE, signed."""
    mine = [p for p in lines(path) if p["body"].get("play_id") == play and p["body"].get("level") == 0]
    roles = {o["role"] for p in mine for o in p["body"].get("owners", [])}
    require(mine and all(p["valid"] for p in mine), "no valid level-0 page")
    require({"ae", "csm_lead"} <= roles, f"owners paged: {sorted(roles)}")


def escalated(path, play):
    """A correctly signed page of PLAY at level 1 or above exists."""
    require(any(p["valid"] and p["body"].get("play_id") == play and p["body"].get("level", 0) >= 1
                for p in lines(path)), "no escalation page")


def no_duplicate_pages(path):
    """At least one page was delivered, and none twice."""
    counts = collections.Counter(p["page_id"] for p in lines(path))
    dups = [i for i, n in counts.items() if n > 1]
    require(not dups, f"pages delivered more than once: {dups}")


def live_pages_only(path, horizon_hours, live_account):
    """Every page delivered is about a condition within the live horizon
    (its as_of at most HORIZON_HOURS behind now), correctly signed and
    delivered once, and LIVE_ACCOUNT was paged."""
    import time
    pages = lines(path)
    oldest = (time.time() - float(horizon_hours) * 3600) * 1000
    old = [p["page_id"] for p in pages if p["body"].get("as_of", 0) < oldest]
    require(not old, f"pages about conditions older than {horizon_hours} h: {old[:3]}")
    require(all(p["valid"] for p in pages), "a page with a bad signature")
    counts = collections.Counter(p["page_id"] for p in pages)
    dups = sorted(i for i, n in counts.items() if n > 1)
    require(not dups, f"pages delivered more than once: {dups}")
    accounts = {p["body"].get("account_id") for p in pages}
    require(live_account in accounts, f"{live_account} was not paged (paged: {sorted(accounts)})")
    print(f"  {len(pages)} pages, all live, once each, for {sorted(accounts)}")


def pages_delivered_once(path, sent_ids):
    """Each page id of SENT_IDS (one a line, the route worker's 'sent' pages)
    reached the receiver exactly once, and nothing else did. Both empty is a
    failure: there was nothing to check."""
    with open(sent_ids) as f:
        sent = sorted(l.strip() for l in f if l.strip())
    received = lines(path, allow_empty=True)
    require(sent or received, "no page was sent or received: nothing to check")
    counts = collections.Counter(p["page_id"] for p in received)
    dups = sorted(i for i, n in counts.items() if n > 1)
    require(not dups, f"pages delivered more than once: {dups}")
    require(sorted(counts) == sent,
            f"received {len(counts)} distinct pages, the route worker sent {len(sent)}: "
            f"missing {sorted(set(sent) - set(counts))[:5]}, unexpected {sorted(set(counts) - set(sent))[:5]}")
    print(f"  {len(sent)} pages, each delivered once")


def print_pages(path):
    for p in lines(path):
        b = p["body"]
        print(f"  page level {b.get('level')} to {', '.join(o['role'] for o in b.get('owners', []))}"
              f" (signature {'valid' if p['valid'] else 'INVALID'}): {b.get('summary')}")


def explain(path, account):
    doc = json.load(open(path))
    require(doc["account_id"] == account, f"explained {doc['account_id']}, asked for {account}")
    for kind in ("account_health", "renewal_risk", "forecast_confidence"):
        s = doc["scores"][kind]
        parts = s["explanation"]["contributions"]
        total = sum(c["points"] for c in parts)
        require(abs(total - s["value"]) < 0.051, f"{kind}: contributions add up to {total}, score is {s['value']}")
        require(any(c["evidence_ids"] for c in parts), f"{kind}: no evidence")


def thresholds(path):
    changes = lines(path)
    require(changes, "no ThresholdChange")
    for c in changes:
        print(f"  {c['score_kind']} {c['tier']}: {c['old_threshold']} -> {c['new_threshold']} ({c['rule']})")


def count_at_least(path, n):
    got = len(lines(path, allow_empty=int(n) == 0))
    require(got >= int(n), f"{got} < {n}")


def dead_letters(path, prefix):
    letters = lines(path)
    for d in letters:
        require(d["reason"], f"dead letter without a reason: {d}")
        print(f"  {d['worker']:<16} {d['topic'][len(prefix):]:<18} {d['error_class']:<15} {d['reason'][:90]}")

    def find(topic, cls, words=()):
        for d in letters:
            if d["topic"] == prefix + topic and d["error_class"] == cls and \
                    all(w in d["reason"].lower() for w in words):
                return d
        raise CheckFailed(f"no dead letter for {topic} {cls} {words}")

    require(sum(1 for d in letters if d["topic"] == prefix + "raw.segment" and d["error_class"] == "decode") >= 2,
            "fewer than 2 decode dead letters for raw.segment")
    find("raw.segment", "decode", ["json"])
    find("raw.segment", "validation", ["messageid"])
    big = find("raw.segment", "oversized")
    require(big["original_size"] > 65536, f"oversized letter has original_size {big['original_size']}")
    find("raw.nosuchsource", "unknown_source", ["nosuchsource"])
    find("raw.hubspot", "validation", ["[0].eventid: missing"])
    find("raw.market", "unknown_source", ["no parser", "market"])
    for t in ("events", "signals", "scores", "outcomes", "thresholds"):
        find(t, "decode")
    find("outcomes", "validation", ["done"])
    require(any("this is not json" in (d["payload"] or "") for d in letters), "original bytes not kept")


def large_dead_letters(path, topic, *sizes):
    """For each SIZE a dead letter of TOPIC with that original_size exists,
    truncated, its payload cut below 1 MB, with partition, offset and hash."""
    letters = [d for d in lines(path) if d["topic"] == topic]
    for size in map(int, sizes):
        mine = [d for d in letters if d["original_size"] == size]
        require(mine, f"no dead letter of {topic} with original_size {size} "
                      f"(sizes seen: {sorted(d['original_size'] for d in letters)})")
        d = mine[0]
        require(d["truncated"] is True, f"letter of {size} bytes not flagged truncated")
        require(d["payload"] is not None and 0 < len(d["payload"]) < min(size, 1000000),
                f"letter of {size} bytes keeps {len(d['payload'] or '')} payload bytes")
        require(d["partition"] >= 0 and d["offset"] >= 0, f"letter of {size} bytes: no position")
        require(len(d.get("payload_sha256") or "") == 64, f"letter of {size} bytes: no payload_sha256")
        print(f"  {size} bytes at {d['topic']}[{d['partition']}]@{d['offset']}: {d['error_class']}, "
              f"{len(d['payload'])} bytes kept")


def same_scores(clean, killed):
    """A repeated score id is identical within a run, and the last revision
    of every cell both runs published says the same. Which revisions a cell
    went through depends on the batching; what it settles on does not."""
    def load(path):
        seen, cells = {}, {}
        for r in lines(path):
            prev = seen.get(r["score_id"])
            require(prev is None or prev == r, f"score {r['score_id']} emitted twice with different content")
            seen[r["score_id"]] = r
            cell = (r["account_id"], r["kind"], r["as_of"])
            if cell not in cells or cells[cell]["revision"] < r["revision"]:
                cells[cell] = r
        return seen, cells
    (ids_a, a), (ids_b, b) = load(clean), load(killed)
    require(len(a) > 50, f"too few score cells: {len(a)}")
    both = set(a) & set(b)
    require(len(both) >= 0.9 * len(a), f"only {len(both)} of {len(a)} cells published by both runs")
    differ = sorted(c for c in both if (a[c]["value"], a[c]["tier"]) != (b[c]["value"], b[c]["tier"]))
    require(not differ, f"{len(differ)} cells settle differently, e.g. {differ[:1]}")
    print(f"  {len(ids_a)} and {len(ids_b)} score records, {len(both)} cells settle identically")


def journey(log_dir, pages_path):
    """One account's journey in the logs: the trace (source event id) of a
    delivered page is on the lines of revos-ingest (the SourceEvent),
    revos-normalize (the Signal), revos-score (the ScoreUpdate), and
    revos-route (the decision and the page sent), each with the page's
    account from normalize on; and revos-outcome logged an outcome of that
    account. Needs REVOS_LOG_LEVEL=debug."""
    page = next((p for p in lines(pages_path) if p.get("body", {}).get("trace")), None)
    require(page is not None, "no delivered page carries a trace")
    trace, account = page["body"]["trace"], page["body"]["account_id"]
    for worker in ("revos-ingest", "revos-normalize", "revos-score", "revos-route"):
        found = []
        with open(os.path.join(log_dir, worker + ".log")) as f:
            for line in f:
                if trace not in line:
                    continue
                entry = json.loads(line)
                if entry.get("trace") == trace:
                    found.append(entry)
        require(found, f"{worker}: no log line with trace {trace}")
        if worker != "revos-ingest":
            require(all(e.get("account_id") == account for e in found),
                    f"{worker}: a line with trace {trace} names another account")
        require(all(e.get("event_id") for e in found), f"{worker}: a traced line without event_id")
    # and the account's outcome, applied by revos-outcome, on a line of its own
    with open(os.path.join(log_dir, "revos-outcome.log")) as f:
        outcomes = [e for e in map(json.loads, f) if e.get("account_id") == account and e.get("event_id")]
    require(outcomes, f"revos-outcome: no line about an outcome of {account}")
    print(f"  trace {trace} followed from ingest to page {page['body']['page_id']}; "
          f"{len(outcomes)} outcome line(s) of the account")


def state_summaries(states_dir, out_dir):
    """From the account states revosctl state printed (one ACCOUNT.json each
    in STATES_DIR), writes to OUT_DIR: timelines.txt (account, md5 of its
    cells), cells.txt (account, cells) and events.txt (account, signal type,
    count, md5 of the ids): the settled timeline and what it is made of."""
    import hashlib
    names = sorted(n for n in os.listdir(states_dir) if n.endswith(".json"))
    require(names, f"no account states in {states_dir}")
    timelines, cells, events = [], [], []
    for name in names:
        state = json.load(open(os.path.join(states_dir, name)))
        acct = state["account"]
        text = json.dumps(state.get("cells"), sort_keys=True, separators=(",", ":"))
        timelines.append(f"{acct} {hashlib.md5(text.encode()).hexdigest()}")
        cells.append(f"{acct} {text}")
        by_type = {}
        for e in state.get("events", []):
            by_type.setdefault(e["type"], []).append(e["signal_id"])
        for kind, ids in sorted(by_type.items()):
            digest = hashlib.md5(",".join(sorted(ids)).encode()).hexdigest()
            events.append(f"{acct} {kind} {len(ids)} {digest}")
    for name, rows in (("timelines", timelines), ("cells", cells), ("events", events)):
        with open(os.path.join(out_dir, name + ".txt"), "w") as f:
            f.write("".join(r + "\n" for r in rows))


def topic_intact(clean, faulted, id_field, compare="set"):
    """One topic's records from a clean run and from a run under faults
    (revosctl consume output): in the faulted run no id appears twice (for
    compare "versions", no record appears twice: an id may carry successive
    versions, as a re-tuned ThresholdChange does); with compare "set" both
    runs hold the same ids (nothing lost, nothing extra)."""
    def load(path):
        ids = collections.Counter()
        records = collections.Counter()
        for r in lines(path):
            require(id_field in r, f"{path}: a record without {id_field}")
            ids[r[id_field]] += 1
            records[json.dumps(r, sort_keys=True)] += 1
        return ids, records
    (a, _), (b, b_records) = load(clean), load(faulted)
    if compare == "versions":
        doubled = [k for k, n in b_records.items() if n > 1]
        require(not doubled, f"{len(doubled)} records delivered twice, e.g. {doubled[:1]}")
    else:
        doubled = sorted(k for k, n in b.items() if n > 1)
        require(not doubled, f"{len(doubled)} ids delivered twice, e.g. {doubled[:3]}")
    if compare == "set":
        lost, extra = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        require(not lost, f"{len(lost)} ids of the clean run missing, e.g. {lost[:3]}")
        require(not extra, f"{len(extra)} ids the clean run does not have, e.g. {extra[:3]}")
    print(f"  {sum(b.values())} records, {len(b)} ids; clean run {len(a)} ids")


if __name__ == "__main__":
    try:
        globals()[sys.argv[1]](*sys.argv[2:])
    except CheckFailed as e:
        print(f"check {sys.argv[1]} failed: {e}", file=sys.stderr)
        sys.exit(1)
