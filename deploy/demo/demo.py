"""The knooppunt demo: one pass through the whole chain, driven only through gRPC and Kafka.

Runs against a stack that is up (make up). Submits the demo signals as source systems would,
waits for the central register, holds an LIO meeting with one decision of each kind, shows
the referral arriving at the partner adapters, the auditor's replay and verify, and ends with the
privacy officer's unusual-access report flagging a staff member's look-up outside their meetings,
and their reading of the minutes of a meeting they did not attend (an attendee's read is not flagged).
Every run uses fresh source references, so the demo can be run again on the same system.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from grpc_security import insecure_allowed, secure_channel, staff_identity, with_purpose

from knooppunt.audit.v1 import audit_pb2, audit_pb2_grpc
from knooppunt.audit.v1 import events_pb2 as audit_events
from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.lio.v1 import lio_pb2, lio_pb2_grpc
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2

ROOT = Path(__file__).resolve().parents[2]
RUN = Path(os.environ.get("KNOOPPUNT_RUN", ROOT / ".run")).resolve()
PORT_BASE = int(os.environ.get("KNOOPPUNT_PORT_BASE", "50051"))
INTAKE, REGISTRATION, LIO, REFERRAL, AUDIT = (f"127.0.0.1:{PORT_BASE + i}" for i in range(5))
# People act with personal certificates, staff:<personnel number> (deploy/policy/authorization.toml);
# the LIO records them by the same personnel number.
CHAIR = sharing_pb2.Actor(person_id="mw-0042", role="lio-chair", organisation="gemeente-maassluis")
MEMBER = sharing_pb2.Actor(person_id="mw-0043", role="lio-member", organisation="gemeente-maassluis")
REFERRAL_BASIS = "WGS art. 2.3 jo. Convenant RIEC Rotterdam art. 6"


CERTS = RUN / "certs"
AUDIT_KEYS = Path(os.environ.get("KNOOPPUNT_AUDIT_KEYS", RUN / "audit")).resolve()


def connect(target: str, identity: str) -> grpc.Channel:
    """A channel as ``identity`` (its development certificate), stating the demo's purpose."""
    cert_dir = None if insecure_allowed() else CERTS
    return with_purpose(secure_channel(target, cert_dir, identity), "demo: behandeling signalen LIO")


def step(title: str) -> None:
    print(f"\n== {title}")


def wait_for(what: str, probe, timeout_s: float = 60.0):  # noqa: ANN001, ANN201
    """Poll ``probe`` until it returns something truthy; fail loudly after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.2)
    raise SystemExit(f"demo failed: timed out after {timeout_s:.0f}s waiting for {what}")


def ts(dt: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt)
    return t


def submission(spec: dict, run_id: str) -> intake_pb2.SignalSubmission:
    subjects = []
    for s in spec["subjects"]:
        (kind, fields), = s.items()
        subjects.append(intake_pb2.SubjectInput(**{kind: getattr(intake_pb2, f"{kind.capitalize()}Input")(**fields)}))
    return intake_pb2.SignalSubmission(
        channel=signal_pb2.Channel.Value(spec["channel"]), source=spec["source"],
        source_reference=f"{spec['key']}-{run_id}", observed_at=ts(datetime.now(UTC) - timedelta(days=2)),
        themes=[signal_pb2.Theme.Value(t) for t in spec["themes"]], description=spec["description"],
        subjects=subjects, anonymous=spec.get("anonymous", False),
    )


def decision_request(kind: str, meeting_id: str, signal_id: str) -> lio_pb2.RecordDecisionRequest:
    req = lio_pb2.RecordDecisionRequest(meeting_id=meeting_id, signal_id=signal_id, decided_by=CHAIR)
    if kind == "park":
        req.reason = "Onvoldoende concrete aanwijzingen; opnieuw bezien na nieuwe signalen."
        req.park.CopyFrom(lio_events.Park(review_on=ts(datetime.now(UTC) + timedelta(days=90))))
    elif kind == "local_mono":
        req.reason = "Vergunningaanvraag loopt: Bibob-toets door team vergunningen."
        req.local_approach.CopyFrom(lio_events.LocalApproach(lead_team="team-vergunningen-bibob", interventions=["bibob-screening"]))
    elif kind == "local_multi":
        req.reason = "Huisvesting en inschrijving vragen gezamenlijke aanpak van BRP en toezicht."
        req.local_approach.CopyFrom(lio_events.LocalApproach(
            multidisciplinary=True, lead_team="team-toezicht-handhaving",
            interventions=["brp-adresonderzoek", "integrale-controle"], teams=["team-publiekszaken-brp", "team-toezicht-handhaving"],
        ))
        req.sharing.CopyFrom(sharing_pb2.Sharing(
            legal_basis="AVG art. 6 lid 1 sub e; Wet BRP art. 3.8", purpose="integrale-controle-huisvesting",
            recipients=["team-publiekszaken-brp", "team-toezicht-handhaving"], data_categories=["signal.themes", "subject.address", "subject.company"],
            retention_rule="local-approach",
        ))
    else:
        recipient = {"refer_politie": "politie", "refer_belastingdienst": "belastingdienst"}[kind]
        req.reason = "Aanwijzingen overstijgen de lokale aanpak; partners nodig."
        req.refer_to_riec.CopyFrom(lio_events.ReferToRiec(grounds="Concrete en objectieve aanwijzingen: meerdere signalen, financiële constructie."))
        req.sharing.CopyFrom(sharing_pb2.Sharing(
            legal_basis=REFERRAL_BASIS, purpose="integrale aanpak ondermijning",
            recipients=["riec-rotterdam", recipient],
            data_categories=["signal.registration_number", "signal.themes", "signal.grounds", "subject.address", "subject.company", "subject.person"],
        ))
    return req


def main() -> int:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    specs = tomllib.loads((ROOT / "deploy/demo/signals.toml").read_text())["signal"]
    # Every party connects with its own certificate; reads of personal data state their purpose.
    registration = registration_pb2_grpc.RegistrationServiceStub(connect(REGISTRATION, staff_identity(MEMBER.person_id)))
    lio = lio_pb2_grpc.LioServiceStub(connect(LIO, staff_identity(CHAIR.person_id)))
    audit = audit_pb2_grpc.AuditServiceStub(connect(AUDIT, "auditor:fg"))

    step(f"1. Intake: {len(specs)} signals from their channels (run {run_id})")
    receipts = {}
    for spec in specs:
        intake = intake_pb2_grpc.IntakeServiceStub(connect(INTAKE, f"source:{spec['source']}"))
        r = intake.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=submission(spec, run_id)), timeout=10).receipt
        receipts[spec["key"]] = r
        print(f"  accepted {spec['key']:22} from {spec['source']:30} signal {r.signal_id}")
    intake = intake_pb2_grpc.IntakeServiceStub(connect(INTAKE, f"source:{specs[0]['source']}"))
    again = intake.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=submission(specs[0], run_id)), timeout=10).receipt
    print(f"  retry of {specs[0]['key']}: same signal id {again.signal_id == receipts[specs[0]['key']].signal_id}, duplicate={again.duplicate}")
    bad = intake_pb2.SignalSubmission(channel=signal_pb2.CHANNEL_PARTNER, source="politie", source_reference=f"bad-{run_id}",
                                      themes=[signal_pb2.THEME_OMG], description="x",
                                      subjects=[intake_pb2.SubjectInput(person=intake_pb2.PersonInput(bsn="123456789"))])
    try:
        police = intake_pb2_grpc.IntakeServiceStub(connect(INTAKE, "partner:politie"))
        police.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=bad), timeout=10)
        raise SystemExit("demo failed: an invalid BSN was accepted")
    except grpc.RpcError as err:
        status = rpc_status.from_call(err)
        detail = error_details_pb2.BadRequest()
        status.details[0].Unpack(detail)
        print(f"  refused invalid signal: {err.code().name}: " + "; ".join(f"{v.field} {v.description}" for v in detail.field_violations))

    step("2. Registration: the central register")
    registered = {}
    for key, r in receipts.items():
        def probe(sid=r.signal_id):  # noqa: ANN001, ANN202
            try:
                return registration.GetSignal(registration_pb2.GetSignalRequest(signal_id=sid), timeout=5).signal
            except grpc.RpcError as err:
                if err.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
        registered[key] = wait_for(f"registration of {key}", probe)
        print(f"  {registered[key].registration_number}  {key}")
    address = signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_ADDRESS, key="pc:3141AB:12")
    asker = sharing_pb2.Actor(person_id="pol-1234", role="partner-analyst", organisation="politie")
    hit = registration_pb2_grpc.RegistrationServiceStub(connect(REGISTRATION, "partner:politie")).CheckSubject(registration_pb2.CheckSubjectRequest(
        subject=address, asked_by=asker, purpose="hit/no-hit voorafgaand aan verzoek tot informatie"), timeout=5)
    print(f"  hit/no-hit for address 3141AB 12: known={hit.known}, signals={hit.signal_count} (no content revealed; the answer is logged)")

    step("3. LIO meeting: agenda and decisions")
    meeting_id = lio.ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(
        scheduled_for=ts(datetime.now(UTC)), form="lio", chair=CHAIR), timeout=10).meeting_id
    agenda = lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=meeting_id), timeout=5)
    print(f"  meeting {meeting_id} (LIO with police): {len(agenda.items)} signals on the agenda")
    for person in (CHAIR, MEMBER,
                   sharing_pb2.Actor(person_id="mw-0044", role="lio-secretary", organisation="gemeente-maassluis"),
                   sharing_pb2.Actor(person_id="pol-0101", role="lio-member", organisation="politie")):
        lio.RecordAttendance(lio_pb2.RecordAttendanceRequest(meeting_id=meeting_id, attendee=person), timeout=10)
    print("  attendance recorded: chair, a municipal member, the secretary and the police (quorum met)")
    decisions = {}
    for spec in specs:
        sid = receipts[spec["key"]].signal_id
        wait_for(f"{spec['key']} on the agenda", lambda sid=sid: any(
            i.signal_id == sid for i in lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=meeting_id), timeout=5).items))
        resp = lio.RecordDecision(decision_request(spec["decision"], meeting_id, sid), timeout=10)
        decisions[spec["key"]] = resp.decision_id
        print(f"  {registered[spec['key']].registration_number}: {spec['decision']:22} decision {resp.decision_id}")

    minutes = lio.GetMinutes(lio_pb2.GetMinutesRequest(meeting_id=meeting_id, format=lio_pb2.MINUTES_FORMAT_MARKDOWN),
                             timeout=10).content
    print("\n  Notulen (Markdown; also as HTML: python -m services.lio.minutes MEETING_ID --format html):")
    print("\n".join("    " + line for line in minutes.splitlines()[:24]))
    if len(minutes.splitlines()) > 24:
        print("    ...")

    step("4. Referral: what arrived at the partners")
    for partner, key in (("politie", "energie-hennep"), ("belastingdienst", "vastgoed-contant")):
        sid = receipts[key].signal_id
        path = RUN / "partners" / partner / "received.jsonl"

        def arrived(path=path, sid=sid):  # noqa: ANN001, ANN202
            if not path.exists():
                return None
            return next((r for r in map(json.loads, path.read_text().splitlines()) if r.get("signal_id", r.get("signalId")) == sid), None)

        referral = wait_for(f"the referral of {key} at {partner}", arrived)
        print(f"  {partner}: referral {referral.get('referral_id', referral.get('referralId'))} for {registered[key].registration_number}")
        print(f"    shared: {', '.join(referral.get('data_categories', referral.get('dataCategories', [])))}")
        omitted = referral.get("omitted", [])
        if omitted:
            print(f"    left out: {', '.join(o.get('data_category', o.get('dataCategory', '')) for o in omitted)}")
    print(f"  (partner files: {RUN / 'partners'}/<partner>/received.jsonl)")
    police_referral = wait_for("the police referral", lambda: next(
        (r for r in map(json.loads, (RUN / "partners" / "politie" / "received.jsonl").read_text().splitlines())
         if r.get("signal_id") == receipts["energie-hennep"].signal_id), None))
    feedback = [sys.executable, "-m", "services.partner_adapter.feedback", "--partner", "politie",
                "--referral-id", police_referral["referral_id"], "--outcome", "taken-into-case",
                "--note", "RIEC-casus 2026-017", "--referral-endpoint", REFERRAL]
    if not insecure_allowed():
        feedback += ["--tls-cert-dir", str(CERTS)]
    wait_for("the police acknowledgement before feedback", lambda: subprocess.run(
        feedback, capture_output=True, text=True).returncode == 0, timeout_s=30)
    print("  politie reports back (terugkoppeling): taken into an RIEC case (RIEC-casus 2026-017)")

    step("5. Audit: every sharing decision in the tamper-evident log")
    shared = [k for k, s in ((s["key"], s) for s in specs) if s["decision"] in ("local_multi", "refer_politie", "refer_belastingdienst")]
    for key in shared:
        sid = receipts[key].signal_id
        entries = wait_for(f"audit entries for {key}", lambda sid=sid: (lambda e: e if len(e) >= 1 else None)(
            audit.ListEntries(audit_pb2.ListEntriesRequest(signal_id=sid, page_size=100), timeout=5).entries))
        print(f"  {registered[key].registration_number}: {len(entries)} entries ({', '.join(audit_events.EntryKind.Name(e.kind) for e in entries)})")
    for key in ("energie-hennep", "vastgoed-contant"):  # decision + 2 referrals issued + acknowledgement by the adapter
        sid = receipts[key].signal_id
        wait_for(f"acknowledgement of {key} in the audit log", lambda sid=sid: any(
            e.kind == audit_events.ENTRY_KIND_REFERRAL_ACKNOWLEDGED
            for e in audit.ListEntries(audit_pb2.ListEntriesRequest(signal_id=sid, page_size=100), timeout=5).entries))
    cli = [sys.executable, "-m", "services.audit.cli"]
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")}
    print("\n$ knooppunt-audit replay   (last 8 entries)")
    replay = subprocess.run([*cli, "replay"], capture_output=True, text=True, env=env, check=True)
    print("\n".join(replay.stdout.splitlines()[-8:]))
    print("\n$ knooppunt-audit verify")
    env.setdefault("AUDIT_PUBLIC_KEY", str(AUDIT_KEYS / "audit.pub"))
    proof = AUDIT_KEYS / "inclusion-0.json"
    # The audit service signs a checkpoint every few seconds; wait until one covers the log.
    wait_for("a signed checkpoint over the log", lambda: subprocess.run(
        [*cli, "prove-inclusion", "0", "--output", str(proof)], capture_output=True, env=env).returncode == 0, timeout_s=60)
    verify = subprocess.run([*cli, "verify"], capture_output=True, text=True, env=env)
    print(verify.stdout.strip() or verify.stderr.strip())
    if verify.returncode != 0:
        raise SystemExit("demo failed: the audit log does not verify")
    print("\n$ knooppunt-audit prove-inclusion 0   (proof that the first entry is in the signed log)")
    check = subprocess.run([*cli, "check-inclusion", str(proof)], capture_output=True, text=True, env=env)
    print((check.stdout or check.stderr).strip())
    if check.returncode != 0:
        raise SystemExit("demo failed: the inclusion proof does not check")

    step("6. Privacy officer: unusual access to personal data")
    # mw-0045 is an LIO member too, but sat at none of the meetings: their look-up has no link to their work.
    curious = registration_pb2_grpc.RegistrationServiceStub(connect(REGISTRATION, "staff:mw-0045"))
    curious.GetSignal(registration_pb2.GetSignalRequest(signal_id=receipts["energie-hennep"].signal_id), timeout=5)
    print("  staff:mw-0045 (a member who attended no meeting) looks up the energy signal")
    # Both members read the meeting's minutes; only mw-0043 attended it.
    minutes_of = lio_pb2.GetMinutesRequest(meeting_id=meeting_id, format=lio_pb2.MINUTES_FORMAT_MARKDOWN)
    for reader in ("staff:mw-0045", staff_identity(MEMBER.person_id)):
        lio_pb2_grpc.LioServiceStub(connect(LIO, reader)).GetMinutes(minutes_of, timeout=10)
    print(f"  staff:mw-0045 and {staff_identity(MEMBER.person_id)} (who attended) read the minutes of meeting {meeting_id}")
    print(f"\n$ python -m services.privacy.access_report --since {datetime.now(UTC):%Y-%m-%d}   (this run's signals and meeting)")
    report = subprocess.run([sys.executable, "-m", "services.privacy.access_report", "--since", f"{datetime.now(UTC):%Y-%m-%d}"],
                            capture_output=True, text=True, env=env, check=True).stdout.splitlines()
    ours = {*(r.signal_id for r in receipts.values()), meeting_id}
    flagged = [line for line in report[1:] if "no-link" in line and any(oid in line for oid in ours)]
    print("\n".join([report[0], *flagged]))
    if not any("staff:mw-0045" in line and receipts["energie-hennep"].signal_id in line for line in flagged):
        raise SystemExit("demo failed: the look-up by staff:mw-0045 is not in the unusual-access report")
    if [line.split()[1] for line in flagged if meeting_id in line] != ["staff:mw-0045"]:
        raise SystemExit("demo failed: the minutes read by staff:mw-0045 (and only theirs) should be in the unusual-access report")

    print(
        "\nDemo complete. The system keeps running (mTLS; certificates in .run/certs). Explore it, e.g.:\n"
        "  make grpcurl   # once\n"
        f"  .venv/bin/grpcurl -cacert {CERTS}/ca.pem -cert {CERTS}/clients/staff_mw-0043.pem -key {CERTS}/clients/staff_mw-0043.key \\\n"
        f"    -H 'x-purpose: verkenning' -d '{{\"page_size\": 5}}' {REGISTRATION} knooppunt.registration.v1.RegistrationService/ListSignals\n"
        f"  .venv/bin/python -m services.lio.minutes <meeting id> --format md\n"
        f"Logs: {RUN / 'logs'}/<service>.log   Stop everything: make down"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
