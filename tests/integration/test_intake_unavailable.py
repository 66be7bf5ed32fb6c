"""Nothing lost when Kafka is down: intake answers UNAVAILABLE, and a retry after the broker
is back is accepted exactly once.

Stops and restarts the test broker itself (the one `make test` started, found through
KNOOPPUNT_TEST_RUN or KNOOPPUNT_RUN), so it needs that broker's run directory.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import uuid
from pathlib import Path

import grpc
import pytest

from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from knooppunt.signal.v1 import signal_pb2
from services.intake.adapters.edge_rules import EdgeRules
from services.intake.adapters.kafka import EVENT_TYPES, KafkaSignalLog
from services.intake.entrypoints.grpc_api import IntakeServicer, add_to_server
from services.intake.topics import SIGNALS_RECEIVED
from tests.conftest import ROOT
from tests.unit.intake.fakes import make_submit


def _run_dir() -> Path:
    run = os.environ.get("KNOOPPUNT_TEST_RUN") or os.environ.get("KNOOPPUNT_RUN")
    if not run or not (Path(run) / "kafka" / "server.properties").exists():
        pytest.fail("set KNOOPPUNT_TEST_RUN to the run dir of the test broker (make test does)")
    return Path(run)


def broker(command: str) -> None:
    run = _run_dir()
    props = (run / "kafka" / "server.properties").read_text()
    port, controller = re.search(r"PLAINTEXT://[^:]+:(\d+),CONTROLLER://[^:]+:(\d+)", props).groups()
    env = {**os.environ, "KNOOPPUNT_RUN": str(run), "KAFKA_PORT": port, "KAFKA_CONTROLLER_PORT": controller,
           "PYTHON": os.environ.get("PYTHON", ".venv/bin/python")}
    subprocess.run(["bash", "deploy/kafka/kafka.sh", command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)


def submission(ref: str) -> intake_pb2.SubmitSignalRequest:
    return intake_pb2.SubmitSignalRequest(signal=intake_pb2.SignalSubmission(
        channel=signal_pb2.CHANNEL_PARTNER, source="energieleverancier", source_reference=ref,
        themes=[signal_pb2.THEME_HENNEP_DRUGS], description="Meter overbrugd",
        subjects=[intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3141 AB", house_number=12))],
    ))


async def test_kafka_down_gives_unavailable_and_a_retry_is_accepted_once(bootstrap: str) -> None:
    publisher = EventPublisher(bootstrap, source="/knooppunt/intake", request_timeout_ms=3000)
    await publisher.start()
    server = grpc.aio.server()
    add_to_server(IntakeServicer(make_submit(KafkaSignalLog(publisher, ack_timeout_s=3)), EdgeRules()), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    run = uuid.uuid4().hex[:8]
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            intake = intake_pb2_grpc.IntakeServiceStub(channel)
            # Step 1: with the broker up, a signal is accepted.
            await intake.SubmitSignal(submission(f"up-{run}"), timeout=20)
            # Step 2: the broker goes away; the next signal is not accepted, and intake says so.
            await asyncio.to_thread(broker, "stop")
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await intake.SubmitSignal(submission(f"down-{run}"), timeout=60)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            # Step 3: the broker is back; the client retries the same signal and it is accepted.
            await asyncio.to_thread(broker, "start")
            receipt = None
            for _ in range(30):
                try:
                    receipt = (await intake.SubmitSignal(submission(f"down-{run}"), timeout=20)).receipt
                    break
                except grpc.aio.AioRpcError as err:
                    assert err.code() == grpc.StatusCode.UNAVAILABLE
                    await asyncio.sleep(1)
            assert receipt is not None
    finally:
        await server.stop(None)
        if not (_run_dir() / "kafka" / "kafka.pid").exists():
            await asyncio.to_thread(broker, "start")  # never leave the suite without its broker
        await asyncio.wait_for(publisher.stop(), 30)
    # Step 4: the topic holds the retried signal exactly once (a timed-out attempt may have
    # reached the broker; the deterministic event id then makes the copy harmless, and intake
    # never answers twice "not duplicate" for it within one process).
    ids = [e.id async for e in replay(bootstrap, [SIGNALS_RECEIVED.name], EVENT_TYPES)
           if e.data.source_reference == f"down-{run}"]
    assert len(set(ids)) == 1 and ids
