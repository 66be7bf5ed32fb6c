"""Referral on the real broker: a LIO decision becomes minimal referrals, delivered and acknowledged.

Starts the referral service and the reference politie adapter as processes, exactly as they run
in production, and drives them only through Kafka and gRPC. Topics are shared with other tests,
so every assertion filters on this test's own ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.referral.v1 import events_pb2, referral_pb2, referral_pb2_grpc
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from services.referral.domain.package import referral_id_for

from tests.conftest import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(240)]

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
PURPOSE = "integrale aanpak ondermijning"



async def eventually(check: Callable[[], Awaitable], timeout: float = 90.0, what: str = "condition"):  # noqa: ANN201
    """Poll ``check`` until it returns something truthy; no fixed sleeps in the assertions."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


def _start(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", *args], env={**os.environ, **env}, cwd=cwd, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def running(tmp_path: Path):  # noqa: ANN201
    port = free_port()
    env = {"KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP, "GRPC_PORT": str(port), "LOG_LEVEL": "INFO"}
    # cwd in tmp_path: Faust keeps its local data directory there, not in the repository.
    service = _start(["services.referral"], env, tmp_path, tmp_path / "referral.log")
    adapter = _start(
        ["services.partner_adapter", "--partner", "politie", "--output-dir", str(tmp_path / "partners"),
         "--bootstrap-servers", BOOTSTRAP, "--referral-endpoint", f"127.0.0.1:{port}"],
        env, tmp_path, tmp_path / "adapter-politie.log",
    )
    try:
        yield f"127.0.0.1:{port}", tmp_path / "partners" / "politie" / "received.jsonl"
    finally:
        _stop(adapter)
        _stop(service)
        for name in ("referral.log", "adapter-politie.log"):
            print(f"--- {name}\n" + (tmp_path / name).read_text()[-4000:])  # shown only when the test fails


def _decision(decision_id: str, signal_id: str) -> lio_events.DecisionRecorded:
    return lio_events.DecisionRecorded(
        decision_id=decision_id, meeting_id=f"meet-{decision_id}", signal_id=signal_id,
        registration_number="2026-004711", reason="verwijzen naar RIEC",
        decided_by=sharing_pb2.Actor(person_id="p-0042", role="lio-chair", organisation="gemeente-maassluis"),
        refer_to_riec=lio_events.ReferToRiec(grounds="stroomverbruik verdrievoudigd, meter omgeleid"),
        sharing=sharing_pb2.Sharing(
            legal_basis="WGS art. 2.3", purpose=PURPOSE, recipients=["riec-rotterdam", "politie"],
            data_categories=["signal.registration_number", "signal.themes", "signal.grounds",
                             "subject.address", "subject.company", "subject.vessel"],
            retention_rule="referral-riec",
        ),
        themes=[signal_pb2.THEME_HENNEP_DRUGS, signal_pb2.THEME_WITWASSEN],
        subjects=[signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_ADDRESS, key="bag:0363010000758545"),
                  signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_COMPANY, key="kvk:12345678"),
                  signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_VESSEL, key="eni:02345678")],
    )


async def test_referral_is_minimised_delivered_and_acknowledged_once(running) -> None:  # noqa: ANN001
    endpoint, received_file = running
    decision_id, signal_id = f"dec-{uuid.uuid4()}", f"sig-{uuid.uuid4()}"
    politie_id, riec_id = referral_id_for(decision_id, "politie"), referral_id_for(decision_id, "riec-rotterdam")

    async with grpc.aio.insecure_channel(endpoint) as channel:
        # 1. The service serves only after its referral book was rebuilt from referrals.events.
        health = health_pb2_grpc.HealthStub(channel)

        async def serving() -> bool:
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
            except grpc.aio.AioRpcError:
                return False
            return reply.status == health_pb2.HealthCheckResponse.SERVING

        await eventually(serving, what="referral service SERVING")

        # 2. The LIO decides to refer, to the RIEC and the police.
        publisher = EventPublisher(BOOTSTRAP, source="/tests/referral-flow")
        await publisher.start()
        try:
            await publisher.publish("lio.decisions", key=signal_id, message=_decision(decision_id, signal_id))
        finally:
            await publisher.stop()

        # 3. The police adapter stored exactly its own referral, with only what the policy allows.
        async def politie_lines() -> list[dict]:
            if not received_file.exists():
                return []
            lines = [json.loads(line) for line in received_file.read_text().splitlines()]
            return [r for r in lines if r.get("decision_id") == decision_id]  # other tests share the topic

        (stored,) = await eventually(politie_lines, what="referral in the politie adapter's file")
        assert stored["referral_id"] == politie_id and stored["recipient"] == "politie"
        assert stored["registration_number"] == "2026-004711"
        assert stored["themes"] == ["THEME_HENNEP_DRUGS", "THEME_WITWASSEN"]
        assert stored["subjects"] == [{"kind": "SUBJECT_KIND_ADDRESS", "key": "bag:0363010000758545"}]
        assert stored["data_categories"] == ["signal.grounds", "signal.registration_number", "signal.themes",
                                             "subject.address"]
        assert {o["data_category"] for o in stored["omitted"]} == {"subject.company", "subject.vessel"}
        assert all("by policy" in o["reason"] for o in stored["omitted"])

        # 4. referrals.events: issued to both recipients, acknowledged once, by the police.
        book_types = EventTypes(events_pb2.ReferralIssued, events_pb2.ReferralAcknowledged)

        async def book_events() -> tuple[list, list] | None:
            issued, acked = [], []
            async for e in replay(BOOTSTRAP, ["referrals.events"], book_types):
                if isinstance(e.data, events_pb2.ReferralIssued) and e.data.referral.decision_id == decision_id:
                    issued.append(e.data)
                elif isinstance(e.data, events_pb2.ReferralAcknowledged) and e.data.referral_id in (politie_id, riec_id):
                    acked.append(e.data)
            return (issued, acked) if len(issued) == 2 and acked else None

        issued, acked = await eventually(book_events, what="ReferralIssued x2 and ReferralAcknowledged")
        assert sorted(i.referral.recipient for i in issued) == ["politie", "riec-rotterdam"]
        politie_issued = next(i for i in issued if i.referral.recipient == "politie")
        assert list(politie_issued.sharing.recipients) == ["politie"]
        assert list(politie_issued.sharing.data_categories) == stored["data_categories"]
        assert [(a.referral_id, a.recipient, a.acknowledged_by.organisation) for a in acked] == [
            (politie_id, "politie", "politie")
        ]

        # 5. Nothing of this decision reached the tax authority's topic.
        referral_types = EventTypes(events_pb2.Referral)
        leaked = [e async for e in replay(BOOTSTRAP, ["referrals.to.belastingdienst"], referral_types)
                  if e.data.decision_id == decision_id]
        assert leaked == []

        # 6. A repeated acknowledgement records nothing new; someone else's is refused.
        stub = referral_pb2_grpc.ReferralServiceStub(channel)
        again = await stub.AcknowledgeReferral(
            referral_pb2.AcknowledgeReferralRequest(referral_id=politie_id, recipient="politie"), timeout=10
        )
        assert again.first_acknowledgement is False
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.AcknowledgeReferral(
                referral_pb2.AcknowledgeReferralRequest(referral_id=politie_id, recipient="belastingdienst"), timeout=10
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.AcknowledgeReferral(
                referral_pb2.AcknowledgeReferralRequest(referral_id=str(uuid.uuid4()), recipient="politie"), timeout=10
            )
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND

        # 7. The RIEC has no adapter here: its unacknowledged referral is offered on the gRPC stream.
        stream = stub.SubscribeReferrals(referral_pb2.SubscribeReferralsRequest(recipient="riec-rotterdam"), timeout=60)
        async for item in stream:
            assert item.referral.recipient == "riec-rotterdam"
            if item.referral.referral_id == riec_id:
                # The RIEC may have everything the LIO proposed, companies and vessels included.
                assert [s.kind for s in item.referral.subjects] == [
                    signal_pb2.SUBJECT_KIND_ADDRESS, signal_pb2.SUBJECT_KIND_COMPANY, signal_pb2.SUBJECT_KIND_VESSEL
                ]
                break
        stream.cancel()
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            async for _ in stub.SubscribeReferrals(referral_pb2.SubscribeReferralsRequest(recipient="douane")):
                pass
        assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    # The adapter wrote the referral once, even though it was acknowledged twice.
    assert len(await politie_lines()) == 1
