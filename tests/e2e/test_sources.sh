#!/usr/bin/env bash
# The newer sources through all five workers, on the real broker and
# PostgreSQL: HubSpot webhook batches (a company linked to Salesforce, its
# deal closing a renewal, a HubSpot-only company), Debezium rows (with a
# tombstone-free snapshot and a REPLICA IDENTITY DEFAULT update), Intercom
# companies and tickets, a Gong-style call, and handoffs. Each fixture of
# tests/fixtures/raw is produced as its provider sends it; the test then
# reads the identity links, the signals, the scores and the outcomes.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${REVOS_KAFKA_BROKERS:?start the local stack}" "${REVOS_PG_DSN:?start the local stack}"
run_id=src$$
work=$(mktemp -d /tmp/revos-sources.XXXXXX)
mkdir -p "$work/logs"
export REVOS_TOPIC_PREFIX="revos.$run_id." REVOS_HTTP_PORT=0
ctl="$REVOS_BIN_DIR/revosctl"
fx="$REVOS_SOURCE_DIR/tests/fixtures/raw"
trap 'e2e_stop_all' EXIT

e2e_fresh_database "revos_$run_id"
"$ctl" config apply --config-dir "$REVOS_SOURCE_DIR/config" >/dev/null
"$ctl" topics create --partitions 2 >/dev/null
e2e_start_workers "$work/logs"

pine=acct-001Dn00000PineAAA
maple=acct-001Dn00000MapleAAA
link() { e2e_sql "SELECT account_id FROM norm_identity WHERE kind = '$1' AND value = '$2'"; }

# Events whose account is not known yet are parked, so order does not
# matter -- except one known limit: a deal or contact linked while its
# company is still its own account (acct-hubspot-<id>) stays there when the
# company's Salesforce link arrives later. So the company batch goes first.
"$ctl" produce raw.hubspot "$fx/hubspot/company_batch.json" >/dev/null
e2e_wait 120 "the HubSpot company is the Salesforce account it names" \
    '[ "$(link hubspot_company 2277001)" = "$maple" ]'
for f in company_hubspot_only.json deal_association_company.json deal_properties.json; do
    "$ctl" produce raw.hubspot "$fx/hubspot/$f" >/dev/null
done
# Likewise the deal is known as a renewal (dealtype) before it closes: a
# stage change read before that is an ordinary opportunity.
e2e_wait 120 "the HubSpot deal is remembered as a renewal" \
    '[ "$(link renewal_opportunity hubspot:918273645)" = "$maple" ]'
for i in 1 2; do # HubSpot's retry: the same event delivered twice
    "$ctl" produce raw.hubspot "$fx/hubspot/deal_stage_closedwon_retry.json" >/dev/null
done
for f in account_snapshot_schemaless.json opportunity_update_no_before.json \
         contact_update_with_before.json contact_role_create.json; do
    "$ctl" produce raw.debezium "$fx/debezium/$f" >/dev/null
done
for f in company_created.json ticket_created.json conversation_user_created.json; do
    "$ctl" produce raw.intercom "$fx/intercom/$f" >/dev/null
done
"$ctl" produce raw.conversation "$fx/conversation/call_renewal_competitor.json" >/dev/null
"$ctl" produce raw.handoff "$fx/handoff/csm_to_support_missing_fields.json" >/dev/null
"$ctl" produce raw.handoff "$fx/handoff/sdr_to_ae_initiated_hubspot.json" >/dev/null

signal_types() { # ACCOUNT: its signals' family/type, sorted, one per line
    "$ctl" consume signals --timeout-ms 3000 >"$work/signals.jsonl"
    python3 - "$work/signals.jsonl" "$1" <<'PY'
import json, sys
acct = sys.argv[2]
seen = set()
for line in open(sys.argv[1]):
    s = json.loads(line)
    if s["account_id"] == acct:
        seen.add(s["family"] + "/" + s["type"])
print("\n".join(sorted(seen)))
PY
}

e2e_wait 60 "the HubSpot-only company is an account of its own" \
    '[ "$(link hubspot_company 2277050)" = "acct-hubspot-2277050" ]'
e2e_wait 60 "the HubSpot deal follows its company" '[ "$(link hubspot_deal 918273645)" = "$maple" ]'
e2e_wait 60 "the Debezium rows resolve by their key columns" \
    '[ "$(link db_account 7001)" = "$pine" ] && [ "$(link db_opportunity 9101)" = "$pine" ]'
e2e_wait 60 "the Intercom company is linked" \
    '[ "$(link intercom_company 66aa0f11c4e1b70012ab0001)" = "$pine" ]'

e2e_wait 90 "Pine Ridge's signals from Debezium, Intercom, the call and the handoff" \
    'signal_types "$pine" >"$work/pine.txt" && (for t in procurement/renewal_opportunity health/ticket_opened engagement/call_held risk/competitor_mentioned risk/handoff_governance_violation stakeholder/handoff institutional/account_profile; do grep -qx "$t" "$work/pine.txt" || exit 1; done)'
e2e_wait 60 "Maple Grove's signals from HubSpot" \
    'signal_types "$maple" >"$work/maple.txt"; grep -qx procurement/renewal_opportunity "$work/maple.txt" && grep -qx institutional/account_profile "$work/maple.txt"'
e2e_check "the HubSpot retry is the same signal (id and content; only its raw offset differs)" \
    python3 - "$work/signals.jsonl" <<'PY'
import json, sys
copies = [s for s in map(json.loads, open(sys.argv[1])) if s["signal_id"] == "sig:hubspot:4417:3390017265"]
assert copies, "no signal for the HubSpot event"
strip = lambda s: {k: v for k, v in s.items() if k not in ("source_partition", "source_offset")}
assert all(strip(c) == strip(copies[0]) for c in copies), "the retry produced a different signal"
PY

e2e_wait 90 "both renewals closed won reach revos-outcome as renewed" \
    '[ "$(e2e_sql "SELECT count(*) FROM outcome_records WHERE outcome_id IN (\$\$crm:hubspot:918273645:closed\$\$, \$\$crm:debezium:9101:closed\$\$) AND result = \$\$renewed\$\$")" = 2 ]'
e2e_wait 90 "revos-score holds scores for the Debezium and the HubSpot account" \
    '[ -n "$(e2e_sql "SELECT 1 FROM score_current WHERE account_id = \$\$$pine\$\$ LIMIT 1")" ] && [ -n "$(e2e_sql "SELECT 1 FROM score_current WHERE account_id = \$\$$maple\$\$ LIMIT 1")" ]'
# revosctl identity, by an external id: the links of the account, each with
# the source event that taught it
"$ctl" identity 66aa0f11c4e1b70012ab0001 --json >"$work/identity.jsonl"
e2e_check "revosctl identity lists Pine Ridge's Debezium and Intercom ids with the event that taught each" \
    python3 - "$work/identity.jsonl" "$pine" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert rows and all(r["account_id"] == sys.argv[2] for r in rows), rows
kinds = {(r["kind"], r["value"]) for r in rows}
assert ("db_account", "7001") in kinds and ("intercom_company", "66aa0f11c4e1b70012ab0001") in kinds, kinds
assert all(r["learned_from"] and r["learned_at"].endswith("Z") for r in rows), rows
PY
"$ctl" identity "$pine" --json >"$work/identity_by_account.jsonl"
e2e_check "revosctl identity by the account id lists the same links" \
    diff "$work/identity.jsonl" "$work/identity_by_account.jsonl"
e2e_check "revosctl identity of an unknown id fails" bash -c "! '$ctl' identity no-such-id-anywhere 2>/dev/null"
"$ctl" consume dlq --timeout-ms 3000 >"$work/dlq.jsonl"
e2e_check "nothing was dead-lettered" test ! -s "$work/dlq.jsonl"
for w in ingest normalize score route outcome; do
    pid_var="E2E_PID_revos_$w"
    e2e_check "revos-$w still running" kill -0 "${!pid_var}"
done
e2e_stop_all
((E2E_FAILED)) && { echo "sources test FAILED (logs in $work/logs)"; exit 1; }
echo "sources test passed"
