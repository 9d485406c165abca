#!/usr/bin/env python3
"""Generates a renewal-risk scenario as raw source events in the sources' own
public formats (Salesforce Change Data Capture, Segment track/group, Zendesk
webhook events, Delighted and Wootric NPS webhooks), one JSON record per line,
one file per raw topic and phase:

  phase1  the account, its renewal opportunity, champion, Zendesk org, Segment group
  phase2  60 healthy days: steady usage, a ticket every ten days, NPS 8
  phase3  30 days of decline: usage -35%, champion changes roles, NPS 3,
          tickets triple
  close   (optional) the renewal opportunity closes won or lost

The reference walkthrough (DESIGN.md) is the default; flags make a different
account and numbers so tests are not tuned to one dataset.
"""
import argparse
import json
import os
from datetime import datetime, timedelta, timezone

DAY = timedelta(days=1)


def ms(t):
    return int(t.timestamp() * 1000)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Writer:
    """One file per phase and topic, plus <phase>.mixed.tsv: every record of
    the phase as "<topic>\t<json>" in event-time order, for `revosctl
    produce -`, so sources arrive interleaved as they would in life."""

    def __init__(self, out):
        self.out = out
        self.files = {}
        self.mixed = {}

    def add(self, phase, topic, record, t):
        line = json.dumps(record, separators=(",", ":"))
        name = os.path.join(self.out, f"{phase}.{topic}.jsonl")
        self.files.setdefault(name, []).append(line)
        self.mixed.setdefault(phase, []).append((t, len(self.mixed.get(phase, [])), topic, line))

    def close(self):
        for name, lines in self.files.items():
            with open(name, "w") as f:
                f.write("\n".join(lines) + "\n")
        for phase, rows in self.mixed.items():
            with open(os.path.join(self.out, f"{phase}.mixed.tsv"), "w") as f:
                for _, _, topic, line in sorted(rows):
                    f.write(f"{topic}\t{line}\n")
        # every record with its event time, for merging several scenarios
        with open(os.path.join(self.out, "all.timed.tsv"), "w") as f:
            for phase, rows in self.mixed.items():
                for t, _, topic, line in rows:
                    f.write(f"{ms(t)}\t{topic}\t{line}\n")


def cdc(entity, record_id, change, t, seq, fields, changed=()):
    header = {
        "entityName": entity,
        "recordIds": [record_id],
        "changeType": change,
        "changeOrigin": "com/salesforce/api/soap/61.0;client=SfdcInternalAPI/",
        "transactionKey": f"{seq:08x}-{record_id[-8:]}-scn",
        "sequenceNumber": 1,
        "commitTimestamp": ms(t),
        "commitNumber": 1700000000000 + seq,
        "commitUser": "005000000000001AAA",
        "nulledFields": [],
        "diffFields": [],
        "changedFields": list(changed),
    }
    body = {"ChangeEventHeader": header}
    body.update(fields)
    return body


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--sf-account", default="001Dn00000LincAAA")
    p.add_argument("--name", default="Lincoln Unified School District")
    p.add_argument("--domain", default="lincolnusd.org")
    p.add_argument("--arr", type=int, default=180000)
    # Day 89, the last of the scenario, is yesterday: its pages are live
    # (within the live horizon), the months before it history.
    p.add_argument("--start", default=(datetime.now(timezone.utc).date() - timedelta(days=90)).isoformat())
    p.add_argument("--renewal-day", type=int, default=190)
    p.add_argument("--champion-day", type=int, default=88, help="day the champion changes roles")
    p.add_argument("--usage-per-day", type=int, default=10)
    p.add_argument("--decline-pct", type=float, default=35.0)
    p.add_argument("--nps-before", type=int, default=8)
    p.add_argument("--nps-after", type=int, default=3)
    p.add_argument("--nps-vendor", choices=["delighted", "wootric"], default="delighted")
    p.add_argument("--close", choices=["none", "won", "lost"], default="none")
    p.add_argument("--tag", default="lin", help="short unique tag for ids")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    w = Writer(a.out)
    t0 = datetime.strptime(a.start, "%Y-%m-%d").replace(tzinfo=timezone.utc) + timedelta(hours=9)
    tag = a.tag
    acct = a.sf_account
    opp = f"006Dn00000{tag.upper()[:3]:<3}RAAA".replace(" ", "X")
    contact = f"003Dn00000{tag.upper()[:3]:<3}CAAA".replace(" ", "X")
    role = f"00KDn00000{tag.upper()[:3]:<3}RAAA".replace(" ", "X")
    ae, csm, csm_lead = "005Dn000AE01AAA", "005Dn000CS01AAA", "005Dn000CL01AAA"
    champion_email = f"maria.lopez@{a.domain}"
    group = f"grp-{tag}"
    zorg = 900000 + sum(map(ord, tag))
    seq = 1

    # ---- phase 1: who the customer is
    w.add("phase1", "raw.salesforce", cdc("Account", acct, "CREATE", t0, seq, {
        "Name": a.name, "Type": "Customer - District", "Website": f"https://www.{a.domain}",
        "OwnerId": ae, "CSM__c": csm, "CSM_Lead__c": csm_lead, "Industry": "Education"}), t0)
    seq += 1
    w.add("phase1", "raw.salesforce", cdc("Contact", contact, "CREATE", t0 + timedelta(minutes=1), seq, {
        "AccountId": acct, "Name": {"FirstName": "Maria", "LastName": "Lopez", "Salutation": None},
        "Email": champion_email, "Title": "Director of Instructional Technology"}), t0 + timedelta(minutes=1))
    seq += 1
    close_date = t0.replace(hour=0) + a.renewal_day * DAY
    w.add("phase1", "raw.salesforce", cdc("Opportunity", opp, "CREATE", t0 + timedelta(minutes=2), seq, {
        "AccountId": acct, "Name": f"{a.name} - Renewal", "StageName": "Renewal Pending",
        "Amount": a.arr, "CloseDate": ms(close_date), "Type": "Renewal", "IsClosed": False,
        "IsWon": False, "OwnerId": ae, "Probability": 90}), t0 + timedelta(minutes=2))
    seq += 1
    w.add("phase1", "raw.salesforce", cdc("OpportunityContactRole", role, "CREATE", t0 + timedelta(minutes=3), seq, {
        "OpportunityId": opp, "ContactId": contact, "Role": "Champion", "IsPrimary": True}), t0 + timedelta(minutes=3))
    seq += 1
    w.add("phase1", "raw.zendesk", {
        "type": "zen:event-type:organization.created", "account_id": 88888888,
        "id": f"01J{tag.upper()}ORG0000000000000", "time": iso(t0 + timedelta(minutes=4)),
        "zendesk_event_version": "2022-11-06", "subject": f"zen:organization:{zorg}",
        "detail": {"id": str(zorg), "name": a.name, "external_id": acct,
                   "domain_names": [a.domain], "created_at": iso(t0), "updated_at": iso(t0)},
        "event": {}}, t0 + timedelta(minutes=4))
    w.add("phase1", "raw.segment", {
        "type": "group", "messageId": f"grp-{tag}-0", "userId": f"{tag}-admin",
        "groupId": group, "timestamp": iso(t0 + timedelta(minutes=5)),
        "traits": {"name": a.name, "website": f"https://{a.domain}",
                   "salesforce_account_id": acct, "plan": "district"},
        "context": {"library": {"name": "analytics-node", "version": "6.2.0"}}}, t0 + timedelta(minutes=5))

    # ---- phases 2 and 3: behaviour over time
    def track(phase, day, n):
        for i in range(n):
            t = t0 + day * DAY + timedelta(minutes=10 + i * 7)
            w.add(phase, "raw.segment", {
                "type": "track", "event": ["Lesson Assigned", "Gradebook Synced", "Report Viewed"][i % 3],
                "messageId": f"trk-{tag}-{day}-{i}", "userId": f"{tag}-teacher-{i % 25}",
                "timestamp": iso(t), "receivedAt": iso(t + timedelta(seconds=2)),
                "properties": {"course": f"grade-{i % 12 + 1}"},
                "context": {"groupId": group, "library": {"name": "analytics.js", "version": "2.11.1"}}}, t)

    def ticket(phase, day, n, priority):
        t = t0 + day * DAY + timedelta(hours=3)
        w.add(phase, "raw.zendesk", {
            "type": "zen:event-type:ticket.created", "account_id": 88888888,
            "id": f"01J{tag.upper()}TKT{day:04d}{n:02d}", "time": iso(t),
            "zendesk_event_version": "2022-11-06", "subject": f"zen:ticket:{40000 + day}",
            "detail": {"id": str(40000 + day), "status": "NEW", "priority": priority,
                       "subject": "Rostering sync failing" if phase == "phase3" else "How do I export grades?",
                       "organization_id": str(zorg), "requester_id": "8800" + str(n),
                       "created_at": iso(t), "updated_at": iso(t), "via": {"channel": "web"},
                       "tags": ["district"]},
            "event": {}}, t)

    def nps(phase, day, score, email, comment):
        t = t0 + day * DAY + timedelta(hours=5)
        if a.nps_vendor == "delighted":
            w.add(phase, "raw.nps", {
                "event_type": "survey_response.created", "event_id": f"dl-{tag}-{day}",
                "event_data": {"id": f"{day}{score}", "person": {"id": "77", "email": email, "name": "Respondent",
                                                                 "created_at": int(t.timestamp()) - 60},
                               "survey_type": "nps", "score": score, "comment": comment,
                               "permalink": "https://delighted.com/r/example", "created_at": int(t.timestamp()),
                               "updated_at": int(t.timestamp()), "person_properties": None,
                               "notes": [], "tags": [], "additional_answers": []}}, t)
        else:
            stamp = t.strftime("%Y-%m-%d %H:%M:%S +0000")
            w.add(phase, "raw.nps", {
                "timestamp": stamp, "event_name": "created",
                "response": {"updated_at": stamp, "text": comment, "survey_id": f"sv-{tag}",
                             "score": str(score), "origin_url": f"https://app.example.com/{tag}",
                             "ip_address": "0.0.0.0", "id": f"wr-{tag}-{day}", "external_id": None,
                             "excluded_from_calculations": "false", "end_user_properties": None,
                             "end_user_id": f"eu-{day}", "email": email, "created_at": stamp}}, t)

    for day in range(0, 60):
        track("phase2", day, a.usage_per_day)
    for day in (5, 15, 25, 35, 45, 55):
        ticket("phase2", day, 1, "normal")
    nps("phase2", 20, a.nps_before, champion_email, "Teachers like it")

    per_day_after = a.usage_per_day * (1 - a.decline_pct / 100.0)
    total = 0.0
    for i, day in enumerate(range(60, 90)):
        total += per_day_after
        n = int(round(total)) - int(round(total - per_day_after))
        track("phase3", day, n)
    # The champion leaves the role two days before the scenario's end, so
    # the renewal risk turns critical within the live horizon and pages.
    moved = t0 + a.champion_day * DAY
    w.add("phase3", "raw.salesforce", cdc("OpportunityContactRole", role, "UPDATE",
                                           moved, 100, {"Role": "Business User"}, ["Role"]), moved)
    for day in (61, 64, 67, 70, 73, 76, 79, 82, 85):
        ticket("phase3", day, 1, "high")
    nps("phase3", 80, a.nps_after, f"jordan.kim@{a.domain}", "Rostering keeps failing and support is slow")

    if a.close != "none":
        won = a.close == "won"
        closed = t0 + 89 * DAY + timedelta(hours=10)
        w.add("close", "raw.salesforce", cdc("Opportunity", opp, "UPDATE", closed, 200, {
            "StageName": "Closed Won" if won else "Closed Lost", "IsClosed": True, "IsWon": won},
            ["StageName", "IsClosed", "IsWon"]), closed)
    w.close()
    print(json.dumps({"account": acct, "opportunity": opp, "contact": contact, "ae": ae, "csm": csm,
                      "csm_lead": csm_lead, "domain": a.domain}))


if __name__ == "__main__":
    main()
