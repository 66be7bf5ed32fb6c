"""Every acknowledged signal is registered exactly once: through retries, duplicate
submissions, and a registration service killed with SIGKILL in the middle of a bulk submit.

Intake and registration run as real processes on the real broker. Exactly-once is checked on
the topic itself: SignalRegistered events per signal id in `signals.registered`. At the end
the register is rebuilt from offset 0 with the documented command and compared with the live
one by digest. Rates are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cloudevents_kafka.kafka import replay
from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from knooppunt.signal.v1 import signal_pb2
from services.registration.adapters.kafka import REGISTERED_TYPES
from services.registration.topics import SIGNALS_REGISTERED
from tests.conftest import ROOT, free_port

BULK = 10_000


class Service:
    def __init__(self, name: str, env: dict[str, str], port: int, logs: Path) -> None:
        self.name, self.env, self.port, self.logs = name, env, port, logs
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.logs / f"{self.name}.log", "a")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen([sys.executable, "-m", f"services.{self.name}"], cwd=ROOT,
                                     env={**self.env, "GRPC_PORT": str(self.port)}, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        with grpc.insecure_channel(f"127.0.0.1:{self.port}") as ch:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, (self.logs / f"{self.name}.log").read_text()[-3000:]
                try:
                    answer = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=2)
                    if answer.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.3)
        raise AssertionError(f"{self.name} did not become SERVING")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def services(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    run = tmp_path_factory.mktemp("exactly-once")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KNOOPPUNT_ALLOW_INSECURE_DEV": "1",
           "PSEUDONYM_KEY": "integration-test-pseudonym-key", "DATA_DIR": str(run / "data"), "LOG_LEVEL": "WARNING"}
    found = {name: Service(name, env, free_port(), run) for name in ("intake", "registration")}
    try:
        for s in found.values():
            s.start()
        yield found
    finally:
        for s in found.values():
            s.stop()


def signal_request(run: str, i: int, **kw) -> intake_pb2.SignalSubmission:  # noqa: ANN003
    return intake_pb2.SignalSubmission(
        channel=signal_pb2.CHANNEL_MUNICIPAL_TEAM, source="team-toezicht-handhaving", source_reference=f"{run}-{i}",
        themes=[signal_pb2.THEME_VASTGOED], description=f"Controle {i}: onrechtmatige bewoning",
        subjects=[intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3141 AB", house_number=1 + i % 5000))],
        **kw,
    )


async def registrations(bootstrap: str, signal_ids: set[str]) -> Counter:
    counts: Counter = Counter()
    async for envelope in replay(bootstrap, [SIGNALS_REGISTERED.name], REGISTERED_TYPES):
        if envelope.data.signal_id in signal_ids:
            counts[envelope.data.signal_id] += 1
    return counts


def wait_registered(port: int, signal_ids: set[str], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        stub = registration_pb2_grpc.RegistrationServiceStub(ch)
        pending = set(signal_ids)
        while pending and time.monotonic() < deadline:
            for signal_id in list(pending)[:500]:
                try:
                    stub.GetSignal(registration_pb2.GetSignalRequest(signal_id=signal_id), timeout=5)
                    pending.discard(signal_id)
                except grpc.RpcError as err:
                    assert err.code() == grpc.StatusCode.NOT_FOUND, err
                    break
            else:
                continue
            time.sleep(0.5)
    assert not pending, f"{len(pending)} acknowledged signals were not registered"


def test_retries_and_duplicate_submissions_register_once(services: dict[str, Service], bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    with grpc.insecure_channel(f"127.0.0.1:{services['intake'].port}") as ch:
        intake = intake_pb2_grpc.IntakeServiceStub(ch)
        # Step 1: one signal, submitted three times (a client retrying), and again inside a batch twice.
        first = intake.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=signal_request(run, 0)), timeout=20).receipt
        retries = [intake.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=signal_request(run, 0)), timeout=20).receipt
                   for _ in range(2)]
        batch = [intake_pb2.BulkSubmitSignalsRequest(signal=signal_request(run, i)) for i in (0, 1, 0, 1)]
        bulk = intake.BulkSubmitSignals(iter(batch), timeout=60).receipts
    # Step 2: every answer names the same signal; only the first was new.
    assert {r.signal_id for r in retries} == {first.signal_id} and all(r.duplicate for r in retries)
    assert [r.duplicate for r in bulk] == [True, False, True, True]
    ids = {first.signal_id, bulk[1].signal_id}
    wait_registered(services["registration"].port, ids)
    time.sleep(1)
    # Step 3: on the topic, each signal has exactly one registration.
    assert asyncio.run(registrations(bootstrap, ids)) == Counter({i: 1 for i in ids})


def test_sigkill_during_bulk_submit_loses_nothing_and_duplicates_nothing(services: dict[str, Service], bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    registration = services["registration"]
    result: dict = {}

    def bulk() -> None:
        with grpc.insecure_channel(f"127.0.0.1:{services['intake'].port}") as ch:
            started = time.perf_counter()
            requests = (intake_pb2.BulkSubmitSignalsRequest(signal=signal_request(run, i)) for i in range(BULK))
            result["receipts"] = intake_pb2_grpc.IntakeServiceStub(ch).BulkSubmitSignals(requests, timeout=600).receipts
            result["seconds"] = time.perf_counter() - started

    # Step 1: a source starts a 10,000-signal bulk submit.
    submitter = threading.Thread(target=bulk)
    submitter.start()
    # Step 2: while it runs and registration is registering, registration is killed with SIGKILL.
    time.sleep(3)
    registration.kill()
    killed_during_bulk = submitter.is_alive()
    # Step 3: registration is restarted; it rebuilds its register and carries on from its committed offsets.
    time.sleep(1)
    registration.start()
    submitter.join(600)
    receipts = result["receipts"]
    assert len(receipts) == BULK and not any(r.duplicate for r in receipts)
    print(f"\nbulk submit: {BULK} signals in {result['seconds']:.1f} s = {BULK / result['seconds']:,.0f} signals/s"
          f" (registration killed during the bulk: {killed_during_bulk})")
    # Step 4: every acknowledged signal is registered, exactly once on the topic.
    ids = {r.signal_id for r in receipts}
    wait_registered(registration.port, ids)
    counts = asyncio.run(registrations(bootstrap, ids))
    assert set(counts) == ids
    assert [i for i, n in counts.items() if n != 1] == []
    # Step 5: the register rebuilt from offset 0 by the documented command equals the live one.
    rebuilt = subprocess.run([sys.executable, "-m", "services.registration.rebuild", "--bootstrap", bootstrap,
                              "--compare", f"127.0.0.1:{registration.port}"], cwd=ROOT, capture_output=True, text=True,
                             timeout=600)
    print(rebuilt.stdout, rebuilt.stderr)
    assert rebuilt.returncode == 0 and "EQUAL" in rebuilt.stdout
