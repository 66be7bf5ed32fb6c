"""Subject access on the running system: a person's signal, the decision and the referrals
about them are reported to the WGS contact point; the BSN never appears."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from knooppunt.signal.v1 import signal_pb2
from tests.e2e.clients import channel

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
ROOT = Path(__file__).resolve().parents[2]
BSN = "123456782"  # passes the elfproef; belongs to no one


def _dev_pseudonym_key() -> str:
    for line in (ROOT / "deploy/local/dev.env").read_text().splitlines():
        if line.startswith("PSEUDONYM_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError("no PSEUDONYM_KEY in dev.env")


def test_inzage_reports_the_subjects_registration_without_the_bsn(stack: dict) -> None:
    ref = f"inzage-{uuid.uuid4().hex[:8]}"
    with channel(stack, "intake", "source:team-publiekszaken-brp") as ch:
        receipt = intake_pb2_grpc.IntakeServiceStub(ch).SubmitSignal(intake_pb2.SubmitSignalRequest(signal=intake_pb2.SignalSubmission(
            channel=signal_pb2.CHANNEL_MUNICIPAL_TEAM, source="team-publiekszaken-brp", source_reference=ref,
            themes=[signal_pb2.THEME_MISBRUIK_VOORZIENINGEN], description="inschrijving klopt niet",
            subjects=[intake_pb2.SubjectInput(person=intake_pb2.PersonInput(bsn=BSN))])), timeout=10).receipt
    with channel(stack, "registration") as ch:
        stub = registration_pb2_grpc.RegistrationServiceStub(ch)
        deadline = time.monotonic() + 60
        while True:
            try:
                number = stub.GetSignal(registration_pb2.GetSignalRequest(signal_id=receipt.signal_id), timeout=5).signal.registration_number
                break
            except grpc.RpcError:
                assert time.monotonic() < deadline, "signal was not registered"
                time.sleep(0.2)
    env = {**stack["env"], "PSEUDONYM_KEY": _dev_pseudonym_key()}
    out = subprocess.run([sys.executable, "-m", "services.privacy.inzage", "--bsn", BSN], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert number in out.stdout and "inschrijving klopt niet" in out.stdout
    assert BSN not in out.stdout and BSN not in out.stderr
    refused = subprocess.run([sys.executable, "-m", "services.privacy.inzage", "--bsn", "123456789"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "not a valid BSN" in refused.stderr
    assert datetime.now(UTC).year  # report is dated by the tool; content checked above


def test_erasure_makes_a_person_unreadable_everywhere_while_the_log_still_verifies(stack: dict) -> None:
    from knooppunt.audit.v1 import audit_pb2
    from knooppunt.audit.v1 import events_pb2 as audit_events
    from pseudonyms import person_key_for_bsn
    from tests.e2e.clients import stub

    bsn = "111222333"  # passes the elfproef; belongs to no one
    ref = f"wissen-{uuid.uuid4().hex[:8]}"
    intake = stub(stack, "intake", "source:team-publiekszaken-brp")
    receipt = intake.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=intake_pb2.SignalSubmission(
        channel=signal_pb2.CHANNEL_MUNICIPAL_TEAM, source="team-publiekszaken-brp", source_reference=ref,
        themes=[signal_pb2.THEME_VASTGOED], description="huurder J. Jansen noemt contante betalingen",
        subjects=[intake_pb2.SubjectInput(person=intake_pb2.PersonInput(bsn=bsn))])), timeout=10).receipt
    registration = stub(stack, "registration")
    person = signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_PERSON, key=person_key_for_bsn(_dev_pseudonym_key().encode(), bsn))
    partner = stub(stack, "registration", "partner:politie")
    asker = dict(asked_by=__import__("knooppunt.sharing.v1.sharing_pb2", fromlist=["x"]).Actor(
        person_id="pol-1", role="analist", organisation="politie"), purpose="hit/no-hit e2e")

    def description() -> str | None:
        try:
            return registration.GetSignal(registration_pb2.GetSignalRequest(signal_id=receipt.signal_id), timeout=5).signal.description
        except grpc.RpcError:
            return None

    deadline = time.monotonic() + 60
    while description() is None:
        assert time.monotonic() < deadline, "signal was not registered"
        time.sleep(0.2)
    # 1. Sealed on the topic, readable for an authorised reader.
    assert description() == "huurder J. Jansen noemt contante betalingen"
    assert partner.CheckSubject(registration_pb2.CheckSubjectRequest(subject=person, **asker), timeout=5).known
    # 2. The erasure request.
    env = {**stack["env"], "PSEUDONYM_KEY": _dev_pseudonym_key()}
    erased = subprocess.run([sys.executable, "-m", "services.privacy.erase", "--bsn", bsn], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert erased.returncode == 0 and "erased" in erased.stdout, erased.stdout + erased.stderr
    assert bsn not in erased.stdout + erased.stderr
    # 3. Unreadable in the service, not known to hit/no-hit, unreadable in the subject-access report.
    deadline = time.monotonic() + 30
    while description() != "[gewist]":
        assert time.monotonic() < deadline, f"description still readable: {description()!r}"
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while partner.CheckSubject(registration_pb2.CheckSubjectRequest(subject=person, **asker), timeout=5).known:
        assert time.monotonic() < deadline, "erased person still known to hit/no-hit"
        time.sleep(0.2)
    report = subprocess.run([sys.executable, "-m", "services.privacy.inzage", "--bsn", bsn], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "contante betalingen" not in report.stdout and "[gewist]" in report.stdout
    # 4. The audit log records the erasures and still verifies.
    audit = stub(stack, "audit")
    deadline = time.monotonic() + 30
    while not any(e.kind == audit_events.ENTRY_KIND_DATA_ERASED for e in audit.ListEntries(
            audit_pb2.ListEntriesRequest(signal_id=receipt.signal_id, page_size=100), timeout=5).entries):
        assert time.monotonic() < deadline, "no DATA_ERASED audit entry"
        time.sleep(0.2)
    verify = subprocess.run([sys.executable, "-m", "services.audit.cli", "verify"], cwd=ROOT, env=stack["env"],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
