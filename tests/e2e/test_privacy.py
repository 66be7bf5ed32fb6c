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
