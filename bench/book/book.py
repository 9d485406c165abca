#!/usr/bin/env python3
"""book.py -- a deterministic year of raw source events for a book of N
education accounts, in the sources' own formats (exactly what revos-ingest
parses), with the truth about each account beside it.

  bench/book/book.py --accounts N --seed S --out DIR [--end YYYY-MM-DD]

writes
  DIR/mixed.tsv    every record as "<topic>\\t<json>" in event-time order, the
                   input of `revosctl produce -` (topics are suffixes:
                   raw.salesforce, raw.segment, raw.zendesk, raw.nps; revosctl
                   puts REVOS_TOPIC_PREFIX, "revos." by default, in front)
  DIR/truth.json   per account: ids, segment, team, renewal, trajectory kind
                   and its parameters; the seed and the generator's version.

The year is the 365 UTC days ending with --end (default 2026-10-31, fixed so
that the output never depends on the clock). The same arguments give
byte-identical files: every random draw comes from random.Random seeded by
(seed, account), iteration is over lists, never sets, and nothing reads the
time except the check that --end is not in the future.

Sources and what the pipeline makes of them (workers/ingest, workers/normalize,
workers/score):
  Salesforce CDC   Account (Type = segment, team, BillingAddress.State),
                   renewal Opportunity (Amount = ARR, CloseDate, StageName),
                   Contacts and OpportunityContactRoles (Champion, Economic
                   Buyer), their changes, the renewal closing won or lost
                   (normalize turns it into a crm_renewal Outcome), the next
                   year's renewal after a win, an upsell opportunity for
                   expansion accounts
  Segment          a group call per account (salesforce_account_id trait,
                   licensed_seats), identify calls for users as they join,
                   daily track calls aggregated with a `quantity` property
  Zendesk          an organization (external_id = the Salesforce account id)
                   and ticket.created webhook events
  Delighted/Wootric  an NPS response about every 90 days, with
                   salesforce_account_id in person/end-user properties
Intercom, HubSpot, Debezium and call recordings are not used: the scorer
reads only product usage, tickets, NPS, contact roles, contacts, the account
profile and the renewal (workers/score/signal.c), and the book's accounts
live in Salesforce, so the other sources would add nothing it scores.

Kinds (shares of N, every kind holds K-12 and higher-ed accounts once it has
two accounts): healthy 50%, at_risk 25% (sub-kinds usage_only,
champion_only, slow_decline, full_pattern), seasonal 10%, expansion 10%,
recovered 5%. See README.md (bench/) for what each kind does.
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
import scenario  # noqa: E402  (tests/e2e/scenario.py: cdc(), iso(), ms())

VERSION = "1"
DEFAULT_END = "2026-10-31"
DAYS = 365
DAY_MS = 86400000

# The account team of every account: config/routing.json directory.owners,
# so that every page resolves to a person.
TEAM = {"ae": "005Dn000AE01AAA", "csm": "005Dn000CS01AAA", "csm_lead": "005Dn000CL01AAA"}

KINDS = [("healthy", 0.50), ("at_risk", 0.25), ("seasonal", 0.10), ("expansion", 0.10),
         ("recovered", 0.05)]
AT_RISK_SUBKINDS = ["usage_only", "champion_only", "slow_decline", "full_pattern"]
SEGMENTS = ("K-12", "Higher Education")
WON_AT_RISK_SHARE = 0.30

STATES = ["AZ", "CA", "CO", "FL", "GA", "IL", "IN", "MA", "MI", "MN", "MO", "NC", "NJ", "NY",
          "OH", "OR", "PA", "TN", "TX", "VA", "WA", "WI"]
TOWNS = ["Lakeview", "Brookfield", "Cedar Falls", "Riverside", "Fairview", "Oak Ridge", "Maple Grove",
         "Pine Ridge", "Springdale", "Franklin", "Clinton", "Georgetown", "Ashland", "Milton",
         "Salem", "Kingston", "Marion", "Harrison", "Greenville", "Bristol", "Dover", "Hudson",
         "Jackson", "Lincoln", "Madison", "Monroe", "Newport", "Oxford", "Plymouth", "Quincy",
         "Richmond", "Shelby", "Troy", "Union", "Vernon", "Warren", "Winchester", "Aurora",
         "Belmont", "Canton", "Dayton", "Elmwood", "Fulton", "Glendale", "Hampton", "Irving",
         "Jasper", "Kent", "Lebanon", "Medford", "Norwood", "Orland", "Preston", "Redmond",
         "Sheridan", "Tipton", "Upland", "Vista", "Waverly", "Yorktown", "Zion", "Bay City",
         "Clearwater", "Deer Park", "Eagle Rock", "Fox Hollow", "Granite Falls", "Highland"]
TOWN_PREFIXES = ["", "North ", "South ", "East ", "West ", "New ", "Port ", "Mount "]
K12_PATTERNS = [("{t} Unified School District", "{s}usd.org"), ("{t} Public Schools", "{s}schools.org"),
                ("{t} County School District", "{s}county.k12.{st}.us")]
HE_PATTERNS = [("{t} State University", "{s}state.edu"), ("{t} Community College", "{s}cc.edu"),
               ("University of {t}", "u{s}.edu")]
PRODUCTS = {
    "K-12": {"Classroom": ["Lesson Assigned", "Assignment Submitted"],
             "Assessment": ["Quiz Graded", "Benchmark Started"],
             "Rostering": ["Roster Synced"],
             "Analytics": ["Report Viewed", "Dashboard Opened"]},
    "Higher Education": {"Courseware": ["Course Published", "Assignment Submitted"],
                         "Proctoring": ["Exam Proctored"],
                         "Analytics": ["Report Viewed", "Dashboard Opened"],
                         "Advising": ["Advising Note Added", "Degree Audit Run"]},
}
FIRST = ["Maria", "James", "Priya", "Daniel", "Aisha", "Robert", "Mei", "Carlos", "Hannah", "Omar",
         "Grace", "Luis", "Nora", "Samuel", "Fatima", "Ethan", "Chloe", "Marcus", "Ines", "Tomas"]
LAST = ["Lopez", "Kim", "Okafor", "Schmidt", "Nguyen", "Patel", "Johnson", "Garcia", "Rossi",
        "Haddad", "Carter", "Silva", "Murphy", "Chen", "Novak", "Brooks", "Ramirez", "Singh"]
TITLES = {
    "K-12": {"champion": ["Director of Instructional Technology", "Curriculum Coordinator",
                          "Director of Digital Learning"],
             "buyer": ["Superintendent", "Chief Technology Officer", "Assistant Superintendent"],
             "moved": ["Principal, Jefferson Middle School", "Assistant Principal",
                       "Director of Special Education"]},
    "Higher Education": {"champion": ["Director of Academic Technology", "Instructional Design Lead",
                                      "Associate Dean of Online Learning"],
                         "buyer": ["Provost", "Chief Information Officer", "VP of Academic Affairs"],
                         "moved": ["Dean of Students", "Registrar", "Director of Admissions"]},
}
TICKET_SUBJECTS = ["How do I export grades?", "Password reset for a teacher", "Adding a new section",
                   "Report shows the wrong term", "SSO login loops", "Bulk upload of students",
                   "Gradebook column missing", "Question about the invoice"]
BURST_SUBJECTS = ["Rostering sync failing", "Roster import stuck", "Classes missing after sync"]
RISK_SUBJECTS = ["Rostering keeps failing", "Teachers cannot log in", "Data missing again",
                 "Still waiting on a fix", "Performance is unacceptable"]


# ==== Dates and ids ====

def day_date(start, day):
    return start + timedelta(days=day)


def at(start, day, hour, minute=0, second=0):
    """The datetime of a day index and a UTC time of day."""
    d = day_date(start, day)
    return datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=timezone.utc)


def nth_weekday(year, month, weekday, n):
    """The n-th (1-based; -1 = last) weekday (0 = Monday) of a month."""
    if n > 0:
        d = date(year, month, 1)
        d += timedelta(days=(weekday - d.weekday()) % 7)
        return d + timedelta(weeks=n - 1)
    d = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def sfid18(id15):
    """The 18-character form of a 15-character Salesforce id (the case-safe
    suffix, as revos-normalize computes it)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, c in enumerate(id15[chunk * 5:chunk * 5 + 5]):
            if "A" <= c <= "Z":
                bits |= 1 << i
        suffix += alphabet[bits]
    return id15 + suffix


def base62(n, width):
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(width):
        out = digits[n % 62] + out
        n //= 62
    return out


def sf_id(prefix, index, serial=0):
    """A Salesforce id: key prefix (001 Account, 006 Opportunity, 003
    Contact, 00K OpportunityContactRole), pod "Bk", then the account index
    and a serial within the account."""
    return sfid18(f"{prefix}Bk00{base62(index, 5)}{base62(serial, 3)}")


def hexid(*parts):
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


# ==== Calendars ====

RAMP_DAYS = 4  # the wind-down before a break and the wind-up after it


def break_windows(rng, segment, start, end):
    """The account's school or term breaks over the book's year: its own
    dates (the segment's calendar, shifted per account), as
    [{name, from, to}] with dates, sorted."""
    out = []
    if segment == "K-12":
        s_from, s_to = rng.randint(5, 20), rng.randint(8, 22)      # June s_from .. August s_to
        w_from, w_to = rng.randint(18, 22), rng.randint(2, 5)      # December .. January
        for y in range(start.year - 1, end.year + 1):
            out.append({"name": "summer break", "from": date(y, 6, s_from), "to": date(y, 8, s_to)})
            out.append({"name": "winter break", "from": date(y, 12, w_from), "to": date(y + 1, 1, w_to)})
    else:
        s_from, s_to = rng.randint(8, 12), rng.randint(20, 27)     # May .. August
        w_from, w_to = rng.randint(12, 17), rng.randint(12, 17)    # December .. January
        spring_week = rng.choice([2, 3])
        for y in range(start.year - 1, end.year + 1):
            out.append({"name": "summer term", "from": date(y, 5, s_from), "to": date(y, 8, s_to)})
            out.append({"name": "winter break", "from": date(y, 12, w_from), "to": date(y + 1, 1, w_to)})
            monday = nth_weekday(y, 3, 0, spring_week)
            out.append({"name": "spring break", "from": monday, "to": monday + timedelta(days=6)})
    lo, hi = start - timedelta(days=RAMP_DAYS), end + timedelta(days=RAMP_DAYS)
    return sorted((b for b in out if b["to"] >= lo and b["from"] <= hi), key=lambda b: b["from"])


def holidays(segment, start, end):
    """Single-day and Thanksgiving dips: [(date, name, usage factor)]."""
    out = []
    for y in range(start.year, end.year + 1):
        tg = nth_weekday(y, 11, 3, 4)
        if segment == "K-12":
            out += [(tg - timedelta(days=3), "thanksgiving week", 0.75),
                    (tg - timedelta(days=2), "thanksgiving week", 0.7),
                    (date(y, 11, 11), "veterans day", 0.5),
                    (nth_weekday(y, 2, 0, 3), "presidents day", 0.3)]
        out += [(tg - timedelta(days=1), "thanksgiving", 0.55), (tg, "thanksgiving", 0.05),
                (tg + timedelta(days=1), "thanksgiving", 0.2),
                (nth_weekday(y, 1, 0, 3), "martin luther king day", 0.35),
                (nth_weekday(y, 5, 0, -1), "memorial day", 0.3), (date(y, 7, 4), "independence day", 0.2),
                (nth_weekday(y, 9, 0, 1), "labor day", 0.3)]
    return sorted(h for h in out if start <= h[0] <= end)


def calendar_factors(start, breaks, depth, hols):
    """Per day index: the usage factor of the account's calendar (breaks with
    their ramps, holidays), 1.0 in session."""
    hol = {}
    for d, _, f in hols:
        hol[d] = min(hol.get(d, 1.0), f)
    out = []
    for day in range(DAYS):
        d = day_date(start, day)
        f = hol.get(d, 1.0)
        for b in breaks:
            low = depth[b["name"]]
            if b["from"] <= d <= b["to"]:
                f = min(f, low)
            elif b["from"] - timedelta(days=RAMP_DAYS) <= d < b["from"]:
                k = (b["from"] - d).days
                f = min(f, low + (1 - low) * k / (RAMP_DAYS + 1))
            elif b["to"] < d <= b["to"] + timedelta(days=RAMP_DAYS):
                k = (d - b["to"]).days
                f = min(f, low + (1 - low) * k / (RAMP_DAYS + 1))
        out.append(f)
    return out


WEEKDAY = {"K-12": [1.0, 1.05, 1.0, 0.97, 0.8, 0.1, 0.16],
           "Higher Education": [1.0, 1.0, 0.98, 0.92, 0.75, 0.3, 0.45]}


# ==== The plan of the book ====

def kind_counts(n):
    """Accounts per kind: the shares of n by largest remainder (ties in
    KINDS order), every kind at least one once n >= len(KINDS)."""
    raw = [(k, n * share) for k, share in KINDS]
    counts = {k: int(math.floor(x)) for k, x in raw}
    rest = n - sum(counts.values())
    for k, _ in sorted(raw, key=lambda kx: -(kx[1] - math.floor(kx[1])))[:rest]:
        counts[k] += 1
    if n >= len(KINDS):
        for k, _ in KINDS:
            while counts[k] == 0:
                donor = max(counts, key=lambda x: counts[x])
                counts[donor] -= 1
                counts[k] += 1
    return counts


def plan_accounts(n, seed):
    """[(kind, sub_kind, segment, won)] for account indexes 0..n-1."""
    rng = random.Random(f"book-plan:{seed}")
    counts = kind_counts(n)
    slots = []
    for kind, _ in KINDS:
        c = counts[kind]
        he = int(round(c * 0.4))
        if c >= 2:
            he = min(max(he, 1), c - 1)
        segs = [SEGMENTS[1]] * he + [SEGMENTS[0]] * (c - he)
        rng.shuffle(segs)
        subs = [None] * c
        won = [True] * c
        if kind == "at_risk":
            subs = [AT_RISK_SUBKINDS[i % len(AT_RISK_SUBKINDS)] for i in range(c)]
            rng.shuffle(subs)
            n_won = int(round(c * WON_AT_RISK_SHARE))
            won = [i < n_won for i in range(c)]
            rng.shuffle(won)
        slots += [(kind, subs[i], segs[i], won[i]) for i in range(c)]
    rng.shuffle(slots)
    return slots


def draw_nps_scores(rng, count):
    return [rng.choices([6, 7, 8, 9, 10], weights=[6, 20, 34, 26, 14])[0] for _ in range(count)]


class Account:
    """One account: its facts (the truth) and its event plan."""

    def __init__(self, index, seed, kind, sub_kind, segment, won, start, end, used_domains):
        rng = random.Random(f"book-account:{seed}:{index}")
        self.rng = rng
        self.index = index
        self.tag = f"b{index:05d}"
        self.kind, self.sub_kind, self.segment, self.won = kind, sub_kind, segment, won
        self.start, self.end = start, end
        self.id = sf_id("001", index)
        self.key = f"acct-{self.id}"
        self.opp = sf_id("006", index, 1)
        self.next_opp = sf_id("006", index, 2) if won else None
        self.state = rng.choice(STATES)
        patterns = K12_PATTERNS if segment == "K-12" else HE_PATTERNS
        while True:
            town = rng.choice(TOWN_PREFIXES) + rng.choice(TOWNS)
            name_pat, dom_pat = rng.choice(patterns)
            slug = "".join(ch for ch in town.lower() if ch.isalnum())
            domain = dom_pat.format(s=slug, st=self.state.lower())
            if domain not in used_domains:
                used_domains.add(domain)
                break
        self.name = name_pat.format(t=town)
        self.domain = domain
        self.base = round(math.exp(rng.uniform(math.log(20), math.log(400))), 1)  # events a school day
        self.arr = int(round(self.base * rng.uniform(550, 950) / 500.0)) * 500
        self.arr = max(self.arr, 12000)
        lines = sorted(PRODUCTS[segment])
        self.products = sorted(rng.sample(lines, rng.randint(1, 3)))
        self.ticket_rate = round(min(6.0, max(1.0, 1 + 5 * math.log(self.base / 20) / math.log(20)
                                              + rng.uniform(-1, 1))), 2)  # tickets a month
        self.nps_vendor = rng.choice(["delighted", "delighted", "delighted", "wootric", "wootric"])
        self.zorg = 360000000000 + index
        self.group = f"grp-{self.tag}"
        self.seats = int(round(self.base * rng.uniform(1.5, 3.0)))
        self.n_users = int(min(60, max(5, round(self.base / 6))))
        self.contacts = {}  # role -> contact facts
        self.plan_trajectory(rng)
        self.breaks = break_windows(rng, segment, start, end)
        deep = kind == "seasonal"
        self.depth = {
            "summer break": rng.uniform(0.10, 0.30) if deep else rng.uniform(0.45, 0.75),
            "summer term": rng.uniform(0.10, 0.30) if deep else rng.uniform(0.50, 0.75),
            "winter break": rng.uniform(0.10, 0.30) if deep else rng.uniform(0.40, 0.70),
            "spring break": rng.uniform(0.25, 0.45) if deep else rng.uniform(0.65, 0.85),
        }
        self.holidays = holidays(segment, start, end)
        self.cal = calendar_factors(start, self.breaks, self.depth, self.holidays)

    # ---- the trajectory

    def plan_trajectory(self, rng):
        p = {}
        kind = self.kind
        if kind == "at_risk":
            lead = rng.randint(100, 220)
            self.renewal = rng.randint(max(150, lead + 90), DAYS - 1)
            onset = self.renewal - lead
            p.update(lead_days=lead, onset_day=onset)
            sub = self.sub_kind
            if sub == "usage_only":
                shape = rng.choice(["step", "ramp"])
                p.update(decline_depth_pct=rng.randint(35, 60), decline_shape=shape,
                         decline_days=1 if shape == "step" else rng.randint(14, 42))
            elif sub == "champion_only":
                p.update(champion_departure_day=onset,
                         champion_departure=rng.choice(["role_removed", "role_changed"]),
                         champion_replacement_day=None)
            elif sub == "slow_decline":
                p.update(decline_depth_pct=rng.randint(40, 55), decline_shape="ramp",
                         decline_days=rng.randint(60, 90), tickets_after_onset=0)
            else:  # full_pattern
                p.update(decline_depth_pct=35, decline_shape="ramp", decline_days=rng.randint(21, 35),
                         champion_departure_day=onset + rng.randint(20, 40),
                         champion_departure="changed_roles", champion_replacement_day=None,
                         nps_low_day=onset + rng.randint(30, 60), nps_low_score=3,
                         ticket_multiplier=3)
        elif kind == "recovered":
            self.renewal = rng.randint(250, DAYS - 1)
            length = rng.randint(30, 60)
            begin = rng.randint(70, self.renewal - 120 - length)
            p.update(decline_start_day=begin, decline_depth_pct=rng.randint(35, 45),
                     decline_days=length, recovery_day=begin + length,
                     ramp_days=rng.randint(5, 12))
        else:
            self.renewal = rng.randint(150, DAYS - 1)
        if kind == "expansion":
            ramp = rng.randint(60, 120)
            begin = rng.randint(60, DAYS - ramp - 40)
            growth = rng.randint(30, 80)
            upsell = begin + rng.randint(45, 75)
            p.update(expansion_start_day=begin, growth_pct=growth, growth_days=ramp,
                     department_day=begin + rng.randint(15, 40),
                     new_users=int(round(self.n_users * growth / 100.0)) + 2,
                     upsell_day=upsell if upsell <= DAYS - 5 else None,
                     upsell_close_day=upsell + rng.randint(30, 50) if upsell + 50 <= DAYS - 1 else None,
                     upsell_amount=int(round(self.arr * growth / 100.0 * 0.6 / 500.0)) * 500)
        if kind in ("healthy", "seasonal", "expansion", "recovered"):
            p["drift_pct"] = round(rng.uniform(-8, 12), 1)
            if rng.random() < 0.3:
                leave = rng.randint(25, self.renewal - 20)
                p["turnover"] = {"departure_day": leave, "replacement_day": leave + rng.randint(3, 10),
                                 "departure": rng.choice(["role_removed", "role_changed"])}
            p["nps_wobble"] = rng.random() < 0.3
        bursts = []
        for _ in range(rng.choices([0, 1, 2], weights=[4, 4, 2])[0]):
            bursts.append({"day": rng.randint(10, DAYS - 10), "tickets": rng.randint(3, 6),
                           "spread_days": rng.randint(2, 4)})
        if kind == "at_risk":
            bursts = [b for b in bursts if b["day"] < p["onset_day"] - 30]
        p["ticket_bursts"] = sorted(bursts, key=lambda b: b["day"])
        self.params = p
        self.last_day = self.renewal if not self.won else DAYS - 1  # a lost account stops at its renewal

    def trajectory(self, day):
        """The multiplier of the account's usage on a day (1 = its normal)."""
        p = self.params
        if self.kind == "at_risk":
            if "decline_depth_pct" not in p or day < p["onset_day"]:
                return 1.0
            depth = p["decline_depth_pct"] / 100.0
            progress = min(1.0, (day - p["onset_day"] + 1) / float(p["decline_days"]))
            return 1.0 - depth * progress
        m = 1.0 + p["drift_pct"] / 100.0 * day / (DAYS - 1)
        if self.kind == "expansion":
            progress = min(1.0, max(0.0, (day - p["expansion_start_day"]) / float(p["growth_days"])))
            m *= 1.0 + p["growth_pct"] / 100.0 * progress
        elif self.kind == "recovered":
            b, r, ramp = p["decline_start_day"], p["recovery_day"], p["ramp_days"]
            depth = p["decline_depth_pct"] / 100.0
            if b <= day < r:
                m *= 1.0 - depth * min(1.0, (day - b + 1) / float(ramp))
            elif r <= day < r + ramp:
                m *= 1.0 - depth * (1.0 - (day - r + 1) / float(ramp))
        return m

    def growth_progress(self, day):
        p = self.params
        if self.kind != "expansion":
            return 0.0
        return min(1.0, max(0.0, (day - p["expansion_start_day"]) / float(p["growth_days"])))

    # ---- the truth

    def truth(self):
        def days_to_dates(obj):
            if isinstance(obj, dict):
                out = {}
                for k, v in obj.items():
                    out[k] = days_to_dates(v)
                    if k.endswith("_day") and isinstance(v, int):
                        out[k[:-4] + "_date"] = day_date(self.start, v).isoformat()
                return out
            if isinstance(obj, list):
                return [days_to_dates(x) for x in obj]
            return obj
        return {
            "index": self.index,
            "id": self.id,
            "account_key": self.key,
            "name": self.name,
            "domain": self.domain,
            "segment": self.segment,
            "state": self.state,
            "arr": self.arr,
            "renewal_day": self.renewal,
            "renewal_date": day_date(self.start, self.renewal).isoformat(),
            "renewal_opportunity_id": self.opp,
            "next_renewal_opportunity_id": self.next_opp,
            "renewal_outcome": "won" if self.won else "lost",
            "team": dict(TEAM),
            "product_lines": self.products,
            "kind": self.kind,
            "sub_kind": self.sub_kind,
            "params": days_to_dates(self.params),
            "calendar": {
                "breaks": [{"name": b["name"], "from": b["from"].isoformat(), "to": b["to"].isoformat(),
                            "usage_factor": round(self.depth[b["name"]], 3)} for b in self.breaks],
                "holidays": [{"date": d.isoformat(), "name": n, "usage_factor": f}
                             for d, n, f in self.holidays],
            },
            "base_events_per_school_day": self.base,
            "users_at_start": self.n_users,
            "licensed_seats_at_start": self.seats,
            "ticket_rate_per_month": self.ticket_rate,
            "nps_vendor": self.nps_vendor,
            "zendesk_organization_id": str(self.zorg),
            "segment_groups": self.groups_truth,
            "contacts": days_to_dates(self.contacts),
            "last_event_day": self.last_day,
        }


# ==== Records ====

class Book:
    """Collects records as (event ms, sequence, topic, json line)."""

    def __init__(self):
        self.rows = []
        self.seq = 0

    def add(self, topic, record, t):
        self.seq += 1
        self.rows.append((scenario.ms(t), self.seq, topic, json.dumps(record, separators=(",", ":"))))

    def cdc(self, entity, record_id, change, t, fields, changed=()):
        self.seq += 1  # the sequence also makes the transaction key unique
        body = scenario.cdc(entity, record_id, change, t, self.seq, fields, changed)
        body["ChangeEventHeader"]["transactionKey"] = f"{self.seq:08x}-{hexid('tx', self.seq)[:4]}-" \
                                                     f"{hexid('tx', record_id)[:4]}-bk"
        self.seq -= 1
        self.add("raw.salesforce", body, t)


def person(rng, domain, used):
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}@{domain}"
        if email not in used:
            used.add(email)
            return first, last, email


def emit_account(book, a):
    rng = a.rng
    start, p = a.start, a.params
    emails = set()

    def t_of(day, lo_hour=13, hi_hour=22):
        return at(start, day, rng.randint(lo_hour, hi_hour - 1), rng.randint(0, 59), rng.randint(0, 59))

    # ---- day 0: who the customer is
    # before any usage of the day (tracks start at 12:00 UTC)
    t0 = at(start, 0, 6, a.index // 60 % 60, a.index % 60)
    book.cdc("Account", a.id, "CREATE", t0, {
        "Name": a.name, "Type": a.segment, "Website": f"https://www.{a.domain}", "Industry": "Education",
        "BillingAddress": {"Street": None, "City": a.name.split(" ")[0], "State": a.state,
                           "PostalCode": None, "Country": "United States", "Latitude": None,
                           "Longitude": None, "GeocodeAccuracy": None},
        "OwnerId": TEAM["ae"], "CSM__c": TEAM["csm"], "CSM_Lead__c": TEAM["csm_lead"]})
    close_ms = scenario.ms(at(start, a.renewal, 0))
    book.cdc("Opportunity", a.opp, "CREATE", t0 + timedelta(seconds=30), {
        "AccountId": a.id, "Name": f"{a.name} - Renewal {day_date(start, a.renewal).year}",
        "StageName": "Renewal Pending", "Amount": a.arr, "CloseDate": close_ms, "Type": "Renewal",
        "IsClosed": False, "IsWon": False, "OwnerId": TEAM["ae"], "Probability": 90})
    serial = [10]

    def new_contact(role, day, t, title=None):
        first, last, email = person(rng, a.domain, emails)
        cid = sf_id("003", a.index, serial[0])
        serial[0] += 1
        title = title or rng.choice(TITLES[a.segment]["champion" if role == "champion" else "buyer"])
        book.cdc("Contact", cid, "CREATE", t, {
            "AccountId": a.id, "Name": {"FirstName": first, "LastName": last, "Salutation": None},
            "Email": email, "Title": title})
        return {"contact_id": cid, "name": f"{first} {last}", "email": email, "title": title,
                "added_day": day}

    def new_role(contact, opp, role, t):
        rid = sf_id("00K", a.index, serial[0])
        serial[0] += 1
        book.cdc("OpportunityContactRole", rid, "CREATE", t, {
            "OpportunityId": opp, "ContactId": contact["contact_id"], "Role": role,
            "IsPrimary": role == "Champion"})
        contact.setdefault("roles", []).append({"role_id": rid, "opportunity_id": opp, "role": role})
        return rid

    champion = new_contact("champion", 0, t0 + timedelta(minutes=1))
    new_role(champion, a.opp, "Champion", t0 + timedelta(minutes=2))
    buyer = new_contact("buyer", 0, t0 + timedelta(minutes=1, seconds=30))
    new_role(buyer, a.opp, "Economic Buyer", t0 + timedelta(minutes=2, seconds=30))
    a.contacts = {"champion": champion, "economic_buyer": buyer}

    book.add("raw.zendesk", {
        "type": "zen:event-type:organization.created", "account_id": 10417335,
        "id": f"01JBK{a.index:06d}ORG{0:012d}", "time": scenario.iso(t0 + timedelta(minutes=3)),
        "zendesk_event_version": "2022-06-20", "subject": f"zen:organization:{a.zorg}",
        "detail": {"created_at": scenario.iso(t0), "external_id": a.id, "group_id": "0", "id": str(a.zorg),
                   "name": a.name, "shared_comments": False, "shared_tickets": False,
                   "updated_at": scenario.iso(t0)},
        "event": {}}, t0 + timedelta(minutes=3))

    admin = f"{a.tag}-admin"
    groups = [{"group_id": a.group, "name": a.name, "added_day": 0}]
    a.groups_truth = groups

    def group_call(gid, gname, t, seats, n):
        book.add("raw.segment", {
            "type": "group", "messageId": f"grp-{a.tag}-{n}", "userId": admin, "groupId": gid,
            "timestamp": scenario.iso(t), "receivedAt": scenario.iso(t + timedelta(seconds=1)),
            "traits": {"name": gname, "website": f"https://{a.domain}", "salesforce_account_id": a.id,
                       "plan": "district" if a.segment == "K-12" else "campus", "licensed_seats": seats},
            "context": {"library": {"name": "analytics-node", "version": "6.2.0"}}}, t)

    group_call(a.group, a.name, t0 + timedelta(minutes=4), a.seats, 0)

    # ---- users: who uses the product, as Segment identify calls
    users = []  # {user_id, join_day, group}

    def join(day, gid, t):
        first, last, email = person(rng, a.domain, emails)
        uid = f"{a.tag}-u{len(users):03d}"
        users.append({"user_id": uid, "join_day": day, "group": gid})
        book.add("raw.segment", {
            "type": "identify", "messageId": f"idn-{a.tag}-{len(users)}", "userId": uid,
            "timestamp": scenario.iso(t), "receivedAt": scenario.iso(t + timedelta(seconds=1)),
            "traits": {"name": f"{first} {last}", "email": email, "company": {"id": gid, "name": a.name}},
            "context": {"library": {"name": "analytics.js", "version": "2.11.1"}}}, t)

    for i in range(a.n_users):
        join(0, a.group, t0 + timedelta(minutes=5, seconds=7 * i))
    # new staff each term (K-12: late August; higher ed: late August and January)
    hires = []
    for y in range(start.year, a.end.year + 1):
        hires.append(date(y, 8, 20))
        if a.segment != "K-12":
            hires.append(date(y, 1, 14))
    for h in hires:
        day = (h - start).days
        if 0 < day <= a.last_day:
            for _ in range(rng.randint(1, 3)):
                d = min(a.last_day, day + rng.randint(0, 9))
                join(d, a.group, t_of(d))

    # ---- expansion: a new department, new users, more seats, an upsell
    if a.kind == "expansion":
        dept_day = p["department_day"]
        dept = f"{a.group}-d1"
        dept_name = f"{a.name} - {'Adult Education' if a.segment == 'K-12' else 'School of Nursing'}"
        if dept_day <= DAYS - 1:
            group_call(dept, dept_name, at(start, dept_day, 6, 30), int(a.seats * p["growth_pct"] / 200.0) + 5, 1)
            groups.append({"group_id": dept, "name": dept_name, "added_day": dept_day})
        for i in range(p["new_users"]):
            d = p["expansion_start_day"] + int(p["growth_days"] * (i + 0.5) / p["new_users"])
            if d <= DAYS - 1:
                join(d, dept if d >= dept_day and i % 2 == 0 else a.group, t_of(d))
        if p["upsell_day"] is not None:
            up = sf_id("006", a.index, 3)
            p["upsell_opportunity_id"] = up
            u0 = p["upsell_day"]
            book.cdc("Opportunity", up, "CREATE", at(start, u0, 16, 20), {
                "AccountId": a.id, "Name": f"{a.name} - Add-on seats", "StageName": "Qualification",
                "Amount": p["upsell_amount"], "CloseDate": scenario.ms(at(start, u0 + 45, 0)),
                "Type": "Existing Customer - Upgrade", "IsClosed": False, "IsWon": False,
                "OwnerId": TEAM["ae"], "Probability": 40})
            if p["upsell_close_day"] is not None:
                u1 = p["upsell_close_day"]
                book.cdc("Opportunity", up, "UPDATE", at(start, u1, 18, 5), {
                    "StageName": "Closed Won", "IsClosed": True, "IsWon": True, "Probability": 100},
                    ["StageName", "IsClosed", "IsWon", "Probability"])
                group_call(a.group, a.name, at(start, u1, 18, 30),
                           int(a.seats * (1 + p["growth_pct"] / 100.0)), 2)

    # ---- usage: daily track calls, aggregated with a quantity
    events = [e for line in a.products for e in PRODUCTS[a.segment][line]]
    week = WEEKDAY[a.segment]
    usage_days = []
    for day in range(a.last_day + 1):
        d = day_date(start, day)
        expected = a.base * week[d.weekday()] * a.cal[day] * a.trajectory(day)
        total = int(round(expected * math.exp(rng.gauss(0.0, 0.15))))
        usage_days.append(total)
        if total <= 0:
            continue
        active = [u for u in users if u["join_day"] <= day]
        kmax = 4 + int(math.ceil(3 * a.growth_progress(day)))
        k = max(1, min(kmax, total, int(math.ceil(total / 35.0))))
        cuts = sorted(rng.sample(range(1, total), k - 1)) if k > 1 else []
        parts = [b - a_ for a_, b in zip([0] + cuts, cuts + [total])]
        for j, q in enumerate(parts):
            u = rng.choice(active)
            t = t_of(day, 12, 23)
            book.add("raw.segment", {
                "type": "track", "event": rng.choice(events), "messageId": f"trk-{a.tag}-{day:03d}-{j}",
                "userId": u["user_id"], "timestamp": scenario.iso(t),
                "receivedAt": scenario.iso(t + timedelta(seconds=2)),
                "properties": {"quantity": q, "product": a.products[j % len(a.products)]},
                "context": {"groupId": u["group"], "library": {"name": "analytics.js", "version": "2.11.1"}}}, t)
    a.usage_days = usage_days

    # ---- support tickets
    ticket_no = [0]
    tickets = []

    def ticket(day, priority, subject):
        ticket_no[0] += 1
        tid = 40000000 + a.index * 4000 + ticket_no[0]
        t = t_of(day, 13, 22)
        tickets.append(day)
        book.add("raw.zendesk", {
            "type": "zen:event-type:ticket.created", "account_id": 10417335,
            "id": f"01JBK{a.index:06d}TKT{ticket_no[0]:012d}", "time": scenario.iso(t),
            "zendesk_event_version": "2022-11-06", "subject": f"zen:ticket:{tid}",
            "detail": {"actor_id": str(8800000000 + a.index * 100 + ticket_no[0] % 7), "assignee_id": None,
                       "created_at": scenario.iso(t), "description": subject, "external_id": None,
                       "id": str(tid), "is_public": True, "organization_id": str(a.zorg),
                       "priority": priority, "requester_id": str(8800000000 + a.index * 100 + ticket_no[0] % 7),
                       "status": "New", "subject": subject, "tags": [a.segment.lower().replace(" ", "_")],
                       "type": "Incident" if priority in ("High", "Urgent") else "Question",
                       "updated_at": scenario.iso(t), "via": {"channel": rng.choice(["web", "email"])}},
            "event": {"meta": {"sequence": {"id": hexid("zd", a.index, ticket_no[0])[:32].upper(), "position": 1}}}}, t)

    def poisson(mean):
        limit, k, prod = math.exp(-mean), 0, rng.random()
        while prod > limit:
            k += 1
            prod *= rng.random()
        return k

    for day in range(a.last_day + 1):
        d = day_date(start, day)
        mean = a.ticket_rate / 21.7 * (1.0 if d.weekday() < 5 else 0.08) * math.sqrt(a.cal[day])
        risky = False
        if a.kind == "at_risk" and day >= p["onset_day"]:
            if p.get("tickets_after_onset") == 0:
                mean = 0.0
            mean *= p.get("ticket_multiplier", 1)
            risky = p.get("ticket_multiplier", 1) > 1
        for _ in range(poisson(mean)):
            if risky:
                pri = rng.choices(["Normal", "High", "Urgent"], weights=[50, 38, 12])[0]
                ticket(day, pri, rng.choice(RISK_SUBJECTS))
            else:
                pri = rng.choices(["Low", "Normal", "High", "Urgent"], weights=[12, 72, 13, 3])[0]
                ticket(day, pri, rng.choice(TICKET_SUBJECTS))
    for b in p["ticket_bursts"]:
        for i in range(b["tickets"]):
            day = b["day"] + i * (b["spread_days"] - 1) // max(1, b["tickets"] - 1)
            if day <= a.last_day:
                ticket(day, rng.choice(["Normal", "High", "High"]), rng.choice(BURST_SUBJECTS))

    # ---- champion changes
    def depart(contact, day, how):
        t = at(start, day, 16, rng.randint(0, 59))
        role = contact["roles"][0]
        if how == "role_removed":
            book.cdc("OpportunityContactRole", role["role_id"], "DELETE", t, {})
        elif how == "role_changed":
            book.cdc("OpportunityContactRole", role["role_id"], "UPDATE", t,
                     {"Role": "Business User", "IsPrimary": False}, ["Role", "IsPrimary"])
        else:  # changed_roles: a new job title, the role updated a few days later
            title = rng.choice(TITLES[a.segment]["moved"])
            book.cdc("Contact", contact["contact_id"], "UPDATE", t, {"Title": title}, ["Title"])
            later = min(a.last_day, day + rng.randint(2, 5))
            book.cdc("OpportunityContactRole", role["role_id"], "UPDATE", at(start, later, 16, 40),
                     {"Role": "Business User", "IsPrimary": False}, ["Role", "IsPrimary"])
            contact["new_title"] = title
        contact["departed_day"] = day
        contact["departure"] = how

    if "turnover" in p:
        tv = p["turnover"]
        depart(champion, tv["departure_day"], tv["departure"])
        successor = new_contact("champion", tv["replacement_day"], at(start, tv["replacement_day"], 17))
        new_role(successor, a.opp, "Champion", at(start, tv["replacement_day"], 17, 5))
        a.contacts["successor_champion"] = successor
    if p.get("champion_departure_day") is not None:
        depart(champion, p["champion_departure_day"], p["champion_departure"])

    # ---- NPS about every 90 days
    surveys = []
    day = rng.randint(15, 70)
    while day <= a.last_day:
        surveys.append(day)
        day += rng.randint(78, 102)
    scores = draw_nps_scores(rng, len(surveys))
    if a.kind == "expansion":
        scores = [rng.choice([8, 9, 9, 10]) for _ in surveys]
    if p.get("nps_wobble") and len(surveys) >= 3:
        i = rng.randint(0, len(surveys) - 3)
        scores[i:i + 3] = [7, 9, 6]
    if a.kind == "recovered":
        for i, d in enumerate(surveys):
            if p["decline_start_day"] <= d <= p["recovery_day"] + 20:
                scores[i] = rng.choice([5, 6, 6])
    if a.kind == "at_risk" and a.sub_kind == "full_pattern":
        low = p["nps_low_day"]
        kept = [(d, s) for d, s in zip(surveys, scores) if d < low]
        surveys = [d for d, _ in kept] + [low] + [d for d in surveys if d > low + 20]
        scores = [s for _, s in kept] + [p["nps_low_score"]] + [rng.choice([2, 3, 4])
                                                                for d in surveys[len(kept) + 1:]]
    nps_log = []
    for i, (day, score) in enumerate(zip(surveys, scores)):
        if day > a.last_day:
            continue
        who = champion if i % 2 == 0 and day < champion.get("departed_day", DAYS) else None
        email = who["email"] if who else person(rng, a.domain, emails)[2]
        t = t_of(day, 15, 21)
        comment = ("Teachers love it" if score >= 9 else "Works well for us" if score >= 7 else
                   "Some features are hard to find" if score >= 5 else
                   "Rostering keeps failing and support is slow")
        if a.nps_vendor == "delighted":
            secs = int(t.timestamp())
            book.add("raw.nps", {
                "event_type": "survey_response.created", "event_id": hexid("dl", a.index, day),
                "event_data": {"id": str(9000000 + a.index * 100 + i),
                               "person": {"id": str(7700000 + a.index * 100 + i), "email": email,
                                          "name": email.split("@")[0].replace(".", " ").title(),
                                          "created_at": secs - 86400},
                               "survey_type": "nps", "score": score, "comment": comment,
                               "permalink": f"https://delighted.com/r/{hexid('dlp', a.index, day)[:32]}",
                               "created_at": secs, "updated_at": secs,
                               "person_properties": {"salesforce_account_id": a.id, "Delighted Source": "Email"},
                               "notes": [], "tags": [], "additional_answers": []}}, t)
        else:
            stamp = t.strftime("%Y-%m-%d %H:%M:%S +0000")
            book.add("raw.nps", {
                "timestamp": stamp, "event_name": "created",
                "response": {"updated_at": stamp, "text": comment, "survey_id": str(318000000 + a.index),
                             "score": str(score), "origin_url": f"https://app.example-lms.com/{a.tag}",
                             "ip_address": "198.51.100.23", "id": str(58000000 + a.index * 100 + i),
                             "external_id": None, "excluded_from_calculations": "false",
                             "end_user_properties": {"salesforce_account_id": a.id},
                             "end_user_id": str(91000000 + a.index * 100 + i), "email": email,
                             "created_at": stamp}}, t)
        nps_log.append({"day": day, "date": day_date(start, day).isoformat(), "score": score})
    a.nps_log = nps_log

    # ---- the renewal: a stage change, then closed won or lost
    nego = a.renewal - rng.randint(30, 60)
    book.cdc("Opportunity", a.opp, "UPDATE", at(start, nego, 16, 45),
             {"StageName": "Negotiation/Review", "Probability": 75}, ["StageName", "Probability"])
    closed = at(start, a.renewal, 17)
    fields = {"StageName": "Closed Won" if a.won else "Closed Lost", "IsClosed": True, "IsWon": a.won,
              "Probability": 100 if a.won else 0}
    changed = ["StageName", "IsClosed", "IsWon", "Probability"]
    renewed_arr = a.arr
    if a.won and a.kind == "expansion" and p["upsell_close_day"] is not None and p["upsell_close_day"] < a.renewal:
        renewed_arr = a.arr + p["upsell_amount"]
        fields["Amount"] = renewed_arr
        changed.append("Amount")
    book.cdc("Opportunity", a.opp, "UPDATE", closed, fields, changed)
    a.renewed_arr = renewed_arr if a.won else None
    if a.won:
        nxt = day_date(start, a.renewal) + timedelta(days=365)
        book.cdc("Opportunity", a.next_opp, "CREATE", closed + timedelta(minutes=5), {
            "AccountId": a.id, "Name": f"{a.name} - Renewal {nxt.year}", "StageName": "Renewal Pending",
            "Amount": renewed_arr, "CloseDate": scenario.ms(datetime(nxt.year, nxt.month, nxt.day, tzinfo=timezone.utc)),
            "Type": "Renewal", "IsClosed": False, "IsWon": False, "OwnerId": TEAM["ae"], "Probability": 90})
        current = a.contacts.get("successor_champion", champion)
        if current is champion and "departed_day" in champion:
            current = None  # the champion left and nobody replaced them
        if current is not None:
            new_role(current, a.next_opp, "Champion", closed + timedelta(minutes=6))
        new_role(buyer, a.next_opp, "Economic Buyer", closed + timedelta(minutes=7))
    a.ticket_days = tickets
    a.user_count = len(users)


def build(n, seed, end):
    start = end - timedelta(days=DAYS - 1)
    book = Book()
    used = set()
    accounts = []
    for index, (kind, sub, segment, won) in enumerate(plan_accounts(n, seed)):
        a = Account(index, seed, kind, sub, segment, won, start, end, used)
        emit_account(book, a)
        accounts.append(a)
    book.rows.sort()
    return start, book, accounts


def write(out, n, seed, end):
    start, book, accounts = build(n, seed, end)
    os.makedirs(out, exist_ok=True)
    by_topic = {}
    with open(os.path.join(out, "mixed.tsv"), "w") as f:
        for _, _, topic, line in book.rows:
            f.write(f"{topic}\t{line}\n")
            by_topic[topic] = by_topic.get(topic, 0) + 1
    kinds = {}
    for a in accounts:
        label = a.kind if a.sub_kind is None else f"{a.kind}/{a.sub_kind}"
        kinds[label] = kinds.get(label, 0) + 1
    accts = []
    for a in accounts:
        t = a.truth()
        t["nps"] = a.nps_log
        t["tickets"] = len(a.ticket_days)
        t["users"] = a.user_count
        t["renewed_arr"] = a.renewed_arr
        accts.append(t)
    truth = {
        "generator": "bench/book/book.py",
        "version": VERSION,
        "seed": seed,
        "accounts_requested": n,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": DAYS,
        "records": len(book.rows),
        "records_by_topic": dict(sorted(by_topic.items())),
        "kinds": dict(sorted(kinds.items())),
        "sources_used": ["salesforce (CDC)", "segment", "zendesk (webhooks)", "delighted", "wootric"],
        "accounts": accts,
    }
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")
    return truth


def main():
    p = argparse.ArgumentParser(description="A deterministic year of raw source events for N accounts.")
    p.add_argument("--accounts", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--end", default=DEFAULT_END, help="the book's last day, YYYY-MM-DD [%(default)s]")
    a = p.parse_args()
    if not 1 <= a.accounts <= 4000:
        p.error("--accounts must be 1-4000")
    try:
        end = datetime.strptime(a.end, "%Y-%m-%d").date()
    except ValueError:
        p.error("--end must be YYYY-MM-DD")
    # every record's time must be in the past: the book's last day must have ended
    if end >= datetime.now(timezone.utc).date():
        p.error(f"--end {a.end} is not in the past (every event time must be before now)")
    truth = write(a.out, a.accounts, a.seed, end)
    print(json.dumps({"out": a.out, "records": truth["records"], "kinds": truth["kinds"],
                      "start": truth["start"], "end": truth["end"]}))


if __name__ == "__main__":
    main()
