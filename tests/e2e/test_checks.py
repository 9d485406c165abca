#!/usr/bin/env python3
"""Specification of checks.py itself: a check over no records fails, and a
check fails by raising CheckFailed, so `python3 -O` (which strips `assert`)
cannot turn a failure into a pass. Run as a unit test (no stack needed)."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402

failures = []


def expect_failure(name, fn, *args):
    try:
        fn(*args)
    except checks.CheckFailed:
        return
    failures.append(f"{name}: passed, should have failed")


def expect_pass(name, fn, *args):
    try:
        fn(*args)
    except checks.CheckFailed as e:
        failures.append(f"{name}: failed: {e}")


work = tempfile.mkdtemp()
missing = os.path.join(work, "missing.jsonl")
empty = os.path.join(work, "empty.jsonl")
open(empty, "w").close()
pages = os.path.join(work, "pages.jsonl")
with open(pages, "w") as f:
    for pid in ("p1", "p2"):
        f.write(json.dumps({"page_id": pid, "valid": True, "body": {}}) + "\n")
doubled = os.path.join(work, "doubled.jsonl")
with open(doubled, "w") as f:
    for pid in ("p1", "p1"):
        f.write(json.dumps({"page_id": pid, "valid": True, "body": {}}) + "\n")
sent = os.path.join(work, "sent.txt")
with open(sent, "w") as f:
    f.write("p1\np2\n")
no_sent = os.path.join(work, "no_sent.txt")
open(no_sent, "w").close()

expect_failure("no_duplicate_pages on a missing file", checks.no_duplicate_pages, missing)
expect_failure("no_duplicate_pages on an empty file", checks.no_duplicate_pages, empty)
expect_failure("no_duplicate_pages on a doubled page", checks.no_duplicate_pages, doubled)
expect_pass("no_duplicate_pages on distinct pages", checks.no_duplicate_pages, pages)
expect_failure("pages_delivered_once with nothing sent or received", checks.pages_delivered_once, empty, no_sent)
expect_failure("pages_delivered_once with a page never received", checks.pages_delivered_once, empty, sent)
expect_failure("pages_delivered_once with a page received twice", checks.pages_delivered_once, doubled, sent)
expect_pass("pages_delivered_once with each sent page once", checks.pages_delivered_once, pages, sent)
expect_failure("count_at_least on an empty file", checks.count_at_least, empty, "1")
expect_failure("dead_letters on an empty file", checks.dead_letters, empty, "revos.")
expect_failure("large_dead_letters on an empty file", checks.large_dead_letters, empty, "revos.raw.segment", "5")
expect_failure("thresholds on an empty file", checks.thresholds, empty)
expect_failure("same_scores on empty files", checks.same_scores, empty, empty)

# state_summaries: no states is a failure; two states with the same cells
# and events in another order give the same lines
states_empty = os.path.join(work, "states-empty")
os.mkdir(states_empty)
expect_failure("state_summaries of nothing", checks.state_summaries, states_empty, work)
for tag, order in (("a", 1), ("b", -1)):
    d = os.path.join(work, "states-" + tag)
    os.mkdir(d)
    events = [{"type": "nps_response", "signal_id": "n1"}, {"type": "nps_response", "signal_id": "n2"}][::order]
    with open(os.path.join(d, "acct-1.json"), "w") as f:
        json.dump({"account": "acct-1", "cells": {"from": 3, "k": {"r": [1, 2]}}, "events": events}, f)
    os.mkdir(os.path.join(work, "out-" + tag))
    expect_pass("state_summaries " + tag, checks.state_summaries, d, os.path.join(work, "out-" + tag))
for name in ("timelines", "cells", "events"):
    a = open(os.path.join(work, "out-a", name + ".txt")).read()
    b = open(os.path.join(work, "out-b", name + ".txt")).read()
    if not a.strip() or a != b:
        failures.append(f"state_summaries {name}: {a!r} vs {b!r}")

# topic_intact: ids by page_id here (any id field works)
one = os.path.join(work, "one.jsonl")
with open(one, "w") as f:
    f.write(json.dumps({"page_id": "p1", "valid": True, "body": {}}) + "\n")
versions = os.path.join(work, "versions.jsonl")
with open(versions, "w") as f:
    for v in (1, 2):
        f.write(json.dumps({"page_id": "p1", "v": v}) + "\n")
expect_failure("topic_intact on empty files", checks.topic_intact, empty, empty, "page_id")
expect_failure("topic_intact with an id doubled", checks.topic_intact, pages, doubled, "page_id")
expect_failure("topic_intact with an id lost", checks.topic_intact, pages, one, "page_id")
expect_failure("topic_intact with an extra id", checks.topic_intact, one, pages, "page_id")
expect_failure("topic_intact without the id field", checks.topic_intact, pages, pages, "nope")
expect_pass("topic_intact on the same ids", checks.topic_intact, pages, pages, "page_id")
expect_pass("topic_intact versions of one id", checks.topic_intact, versions, versions, "page_id", "versions")
expect_failure("topic_intact versions with a record twice", checks.topic_intact, doubled, doubled,
               "page_id", "versions")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("checks.py: every check fails on empty input and raises explicitly")
