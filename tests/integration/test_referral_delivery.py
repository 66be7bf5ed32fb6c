"""Delivery on the real broker: redelivery, stuck reporting, feedback, crash-safe adapters, both transports.

One referral service runs for the whole module with a sweeper of tiny intervals (seconds, set
through its settings; the tests never sleep for an interval, they poll for its effect). Adapters
run as processes, exactly as a partner runs them. Topics are shared with other tests, so every
assertion filters on this test's own ids.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from pathlib import Path

import grpc
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.referral.v1 import events_pb2, referral_pb2, referral_pb2_grpc
from services.referral.domain.package import referral_id_for
from tests.conftest import free_port
from tests.integration.test_referral_flow import BOOTSTRAP, _decision, _start, _stop, eventually

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(240)]

SWEEP = {"REFERRAL_SWEEP_INTERVAL_S": "0.3", "REFERRAL_REDELIVER_AFTER_S": "2", "REFERRAL_MAX_REDELIVERIES": "2",
         "REFERRAL_STUCK_AFTER_S": "4"}
LIFE_CYCLE = EventTypes(events_pb2.ReferralIssued, events_pb2.ReferralRedelivered, events_pb2.ReferralStuck,
                        events_pb2.ReferralAcknowledged, events_pb2.FeedbackReported)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    run = tmp_path_factory.mktemp("referral-delivery")
    port = free_port()
    env = {"KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP, "GRPC_PORT": str(port), "LOG_LEVEL": "INFO", **SWEEP}
    process = _start(["services.referral"], env, run, run / "referral.log")
    try:
        yield {"endpoint": f"127.0.0.1:{port}", "run": run, "log": run / "referral.log"}
    finally:
        _stop(process)
        print("--- referral.log\n" + (run / "referral.log").read_text()[-4000:])


@pytest.fixture
async def stub(service):  # noqa: ANN001, ANN201
    async with grpc.aio.insecure_channel(service["endpoint"]) as channel:
        health = health_pb2_grpc.HealthStub(channel)

        async def serving() -> bool:
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
            except grpc.aio.AioRpcError:
                return False
            return reply.status == health_pb2.HealthCheckResponse.SERVING

        await eventually(serving, what="referral service SERVING")
        yield referral_pb2_grpc.ReferralServiceStub(channel)


async def refer(recipients: list[str]) -> tuple[str, str]:
    """The LIO refers a new signal to ``recipients``; returns (decision_id, signal_id)."""
    decision_id, signal_id = f"dec-{uuid.uuid4()}", f"sig-{uuid.uuid4()}"
    decision = _decision(decision_id, signal_id)
    del decision.sharing.recipients[:]
    decision.sharing.recipients.extend(recipients)
    publisher = EventPublisher(BOOTSTRAP, source="/tests/referral-delivery")
    await publisher.start()
    try:
        await publisher.publish("lio.decisions", key=signal_id, message=decision)
    finally:
        await publisher.stop()
    return decision_id, signal_id


async def life_cycle(referral_id: str) -> list:
    return [e.data for e in [e async for e in replay(BOOTSTRAP, ["referrals.events"], LIFE_CYCLE)]
            if getattr(e.data, "referral_id", "") == referral_id
            or (isinstance(e.data, events_pb2.ReferralIssued) and e.data.referral.referral_id == referral_id)]


async def group_at_end(group: str, topic: str) -> None:
    """Test set-up: the adapter's group has handled everything on its topic before this test."""
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        end = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.commit({tp: offset for tp, offset in end.items()})
    finally:
        await consumer.stop()


def adapter(run: Path, name: str, endpoint: str, *extra: str) -> subprocess.Popen:
    args = ["services.partner_adapter", "--partner", "politie", "--output-dir", str(run / name),
            "--bootstrap-servers", BOOTSTRAP, "--referral-endpoint", endpoint, *extra]
    return _start(args, {"KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP}, run, run / f"{name}.log")


def received(run: Path, name: str, referral_id: str) -> list[dict]:
    path = run / name / "politie" / "received.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [r for r in lines if r["referral_id"] == referral_id]


def log_events(path: Path, event: str, referral_id: str) -> list[dict]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [r for r in lines if r.get("event") == event and r.get("referral_id") == referral_id]


async def test_unacknowledged_referral_is_redelivered_reported_stuck_then_acknowledged_and_fed_back(service, stub) -> None:  # noqa: ANN001
    # 1. A referral to the tax authority, whose adapter is not running.
    decision_id, _ = await refer(["belastingdienst"])
    rid = referral_id_for(decision_id, "belastingdienst")

    # 2. The sweeper redelivers it (the configured maximum of two times), then reports it stuck, once.
    async def swept() -> list | None:
        events = await life_cycle(rid)
        kinds = [type(e).__name__ for e in events]
        return events if kinds.count("ReferralRedelivered") == 2 and "ReferralStuck" in kinds else None

    events = await eventually(swept, what="two redeliveries and a stuck report")
    assert [e.redelivery for e in events if isinstance(e, events_pb2.ReferralRedelivered)] == [1, 2]
    assert sum(isinstance(e, events_pb2.ReferralStuck) for e in events) == 1
    copies = [e.data for e in [e async for e in replay(BOOTSTRAP, ["referrals.to.belastingdienst"], EventTypes(events_pb2.Referral))]
              if e.data.referral_id == rid]
    assert sorted(c.redelivery for c in copies) == [0, 1, 2]
    # The copies are the same package: only the attempt counter differs.
    assert len({c.SerializeToString(deterministic=True) for c in
                [events_pb2.Referral(**{**{f.name: getattr(c, f.name) for f, _ in c.ListFields()}, "redelivery": 0})
                 for c in copies]}) == 1

    # 3. The operator sees it in the stuck list: ids and times, no content; and in the log at error level.
    listed = await stub.ListStuckReferrals(referral_pb2.ListStuckReferralsRequest(recipient="belastingdienst"), timeout=10)
    (mine,) = [s for s in listed.referrals if s.referral_id == rid]
    assert mine.recipient == "belastingdienst" and mine.redeliveries == 2 and mine.stuck_since.seconds > 0
    assert b"2026-004711" not in listed.SerializeToString() and b"bag:" not in listed.SerializeToString()
    (line,) = log_events(service["log"], "referral_stuck", rid)
    assert line["level"] == "error" and "2026-004711" not in json.dumps(line)

    # 4. Feedback before acknowledgement is refused; so is acting on someone else's referral.
    feedback = referral_pb2.ReportFeedbackRequest(referral_id=rid, recipient="belastingdienst",
                                                  outcome=events_pb2.FEEDBACK_OUTCOME_TAKEN_INTO_CASE, note="RIEC-2026-017")
    with pytest.raises(grpc.aio.AioRpcError) as early:
        await stub.ReportFeedback(feedback, timeout=10)
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    for call, request in ((stub.AcknowledgeReferral, referral_pb2.AcknowledgeReferralRequest(referral_id=rid, recipient="politie")),
                          (stub.ReportFeedback, referral_pb2.ReportFeedbackRequest(referral_id=rid, recipient="politie",
                                                                                   outcome=events_pb2.FEEDBACK_OUTCOME_DECLINED))):
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await call(request, timeout=10)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # 5. A late acknowledgement takes it off the stuck list.
    ack = await stub.AcknowledgeReferral(referral_pb2.AcknowledgeReferralRequest(referral_id=rid, recipient="belastingdienst"), timeout=10)
    assert ack.first_acknowledgement
    listed = await stub.ListStuckReferrals(referral_pb2.ListStuckReferralsRequest(), timeout=10)
    assert rid not in {s.referral_id for s in listed.referrals}

    # 6. Feedback is recorded once per outcome: a retry records nothing, a change is recorded (here via the CLI).
    assert (await stub.ReportFeedback(feedback, timeout=10)).recorded is True
    assert (await stub.ReportFeedback(feedback, timeout=10)).recorded is False
    cli = subprocess.run(
        [_python(), "-m", "services.partner_adapter.feedback", "--partner", "belastingdienst", "--referral-id", rid,
         "--outcome", "returned-for-local-approach", "--referral-endpoint", service["endpoint"]],
        capture_output=True, text=True, timeout=60, env={**os.environ},
    )
    assert cli.returncode == 0 and "recorded" in cli.stdout, cli.stdout + cli.stderr

    async def fed_back() -> list | None:
        found = [e for e in await life_cycle(rid) if isinstance(e, events_pb2.FeedbackReported)]
        return found if len(found) == 2 else None

    reports = await eventually(fed_back, what="two FeedbackReported")
    assert [(r.outcome, r.note) for r in reports] == [
        (events_pb2.FEEDBACK_OUTCOME_TAKEN_INTO_CASE, "RIEC-2026-017"),
        (events_pb2.FEEDBACK_OUTCOME_RETURNED_FOR_LOCAL_APPROACH, ""),
    ]
    assert all(r.recipient == "belastingdienst" for r in reports)
    # The acknowledgement ends the redeliveries: none after it.
    events = await life_cycle(rid)
    kinds = [type(e).__name__ for e in events]
    assert "ReferralRedelivered" not in kinds[kinds.index("ReferralAcknowledged"):]


async def test_an_adapter_killed_before_acknowledging_receives_the_referral_again(service, stub, tmp_path) -> None:  # noqa: ANN001
    group = f"adapter-politie-{uuid.uuid4().hex[:8]}"
    await group_at_end(group, "referrals.to.politie")
    # 1. The adapter cannot reach the referral service: it stores the referral but cannot acknowledge it.
    first = adapter(tmp_path, "politie", f"127.0.0.1:{free_port()}", "--group-id", group)
    try:
        decision_id, _ = await refer(["politie"])
        rid = referral_id_for(decision_id, "politie")

        async def stored() -> list[dict]:
            return received(tmp_path, "politie", rid)

        await eventually(stored, what="the referral stored by the first adapter run")
    finally:
        # 2. It crashes hard, before acknowledging (and so before committing its offset).
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert not [e for e in await life_cycle(rid) if isinstance(e, events_pb2.ReferralAcknowledged)]

    # 3. Restarted, it receives the referral again, recognises it, and acknowledges it.
    (tmp_path / "politie.log").rename(tmp_path / "politie-first.log")
    second = adapter(tmp_path, "politie", service["endpoint"], "--group-id", group)
    try:
        async def acknowledged() -> list:
            return [e for e in await life_cycle(rid) if isinstance(e, events_pb2.ReferralAcknowledged)]

        await eventually(acknowledged, what="the acknowledgement after the restart")
        again = log_events(tmp_path / "politie.log", "referral_received", rid)
        assert again and again[0]["stored"] is False
    finally:
        _stop(second)
    # 4. One line in the partner's store, one acknowledgement in the log.
    assert len(received(tmp_path, "politie", rid)) == 1
    assert len([e for e in await life_cycle(rid) if isinstance(e, events_pb2.ReferralAcknowledged)]) == 1


async def test_the_grpc_adapter_receives_what_the_kafka_adapter_receives_and_nothing_else(service, stub, tmp_path) -> None:  # noqa: ANN001
    group = f"adapter-politie-{uuid.uuid4().hex[:8]}"
    await group_at_end(group, "referrals.to.politie")
    # 1. Two police adapters, one per transport, each with its own store.
    via_kafka = adapter(tmp_path, "kafka", service["endpoint"], "--group-id", group)
    via_grpc = adapter(tmp_path, "grpc", service["endpoint"], "--transport", "grpc")
    try:
        # 2. A referral to the police and the tax authority.
        decision_id, _ = await refer(["politie", "belastingdienst"])
        rid = referral_id_for(decision_id, "politie")
        other = referral_id_for(decision_id, "belastingdienst")

        async def both() -> tuple | None:
            k, g = received(tmp_path, "kafka", rid), received(tmp_path, "grpc", rid)
            seen = all(log_events(tmp_path / f"{n}.log", "referral_received", rid) for n in ("kafka", "grpc"))
            return (k, g) if k and g and seen else None

        (k, g) = await eventually(both, what="the referral at both adapters, acknowledged by both")
        # 3. The same package through either transport, with the keys the demo and partners rely on.
        assert k == g and len(k) == 1
        assert {"referral_id", "signal_id", "recipient", "data_categories", "omitted"} <= set(k[0])
        # 4. Nothing addressed to someone else reached either.
        for name in ("kafka", "grpc"):
            assert received(tmp_path, name, other) == []
            path = tmp_path / name / "politie" / "received.jsonl"
            assert all(json.loads(line)["recipient"] == "politie" for line in path.read_text().splitlines())
        # 5. Acknowledged by both adapters, recorded once.
        acks = [e for e in await life_cycle(rid) if isinstance(e, events_pb2.ReferralAcknowledged)]
        assert len(acks) == 1
    finally:
        _stop(via_kafka)
        _stop(via_grpc)
    # 6. Both stop cleanly on SIGTERM.
    assert via_kafka.returncode == 0 and via_grpc.returncode == 0


def _python() -> str:
    from tests.integration.test_referral_flow import PYTHON

    return PYTHON
