"""Two registration processes in one consumer group (issue 7, ADR 0011).

They share the six partitions of `signals.received`. Checked on the topic: every acknowledged
signal is registered exactly once, numbers are unique and contiguous per year and segment, and
each registration's segment is the partition its signal was received in. Checked on both
instances: each answers GetSignal for every signal (the other's decisions included), the
signals about one address are one dossier, and both registers equal the one rebuilt from
offset 0. Then one instance is killed with SIGKILL in the middle of a bulk submit; the other
takes over its partitions and nothing is lost or duplicated.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator

import grpc
import pytest

from cloudevents_kafka.kafka import replay, replay_raw
from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from knooppunt.signal.v1 import signal_pb2
from services.registration.adapters.kafka import REGISTERED_TYPES
from services.registration.adapters.proto import segment_of
from services.registration.domain.dossiers import number_order
from services.registration.topics import SIGNALS_RECEIVED, SIGNALS_REGISTERED
from tests.conftest import ROOT, eventually, free_port
from tests.integration.test_registration_exactly_once import Service, wait_registered

SHARED = intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3145 XM", house_number=8))


@pytest.fixture(scope="module")
def services(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    run = tmp_path_factory.mktemp("multi-instance")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KNOOPPUNT_ALLOW_INSECURE_DEV": "1",
           "PSEUDONYM_KEY": "integration-test-pseudonym-key", "LOG_LEVEL": "INFO"}
    found = {}
    for name, service in (("intake", "intake"), ("a", "registration"), ("b", "registration")):
        (run / name).mkdir()
        found[name] = Service(service, {**env, "DATA_DIR": str(run / name / "data")}, free_port(), run / name)
    try:
        for s in found.values():
            s.start()
        # Both in the group, each with a share of the partitions, before any load.
        eventually(lambda: assigned(found["b"]), "b assigned a share of signals.received", timeout_s=120)
        yield found
    finally:
        for s in found.values():
            s.stop()


def last_assignment(service: Service, event: str) -> list[int]:
    """The partitions the instance was last assigned, from its log line ``event``."""
    last: list[int] = []
    for line in (service.logs / f"{service.name}.log").read_text().splitlines():
        if f'"{event}"' in line:
            last = json.loads(line)["partitions"]
    return last


def assigned(service: Service) -> list[int]:
    return last_assignment(service, "signals_received_partitions_assigned")


def request(run: str, i: int) -> intake_pb2.BulkSubmitSignalsRequest:
    # Every tenth signal is about one shared address; the others each about an address of their own.
    own = intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3141 AB", house_number=1 + i))
    return intake_pb2.BulkSubmitSignalsRequest(signal=intake_pb2.SignalSubmission(
        channel=signal_pb2.CHANNEL_MUNICIPAL_TEAM, source="team-toezicht-handhaving", source_reference=f"{run}-{i}",
        themes=[signal_pb2.THEME_VASTGOED], description=f"Controle {i}", subjects=[SHARED if i % 10 == 0 else own]))


def submit(port: int, run: str, count: int) -> list:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        return list(intake_pb2_grpc.IntakeServiceStub(ch).BulkSubmitSignals(
            (request(run, i) for i in range(count)), timeout=600).receipts)


async def topic_registrations(bootstrap: str) -> list:
    return [(e.data.signal_id, e.data.registration_number)
            async for e in replay(bootstrap, [SIGNALS_REGISTERED.name], REGISTERED_TYPES)]


async def received_partitions(bootstrap: str, ids: set[str]) -> dict[str, int]:
    return {r.key.decode(): r.partition async for r in replay_raw(bootstrap, [SIGNALS_RECEIVED.name])
            if r.key is not None and r.key.decode() in ids}


def check_topic(bootstrap: str, ids: set[str]) -> list:
    """Exactly once per signal; numbers unique, contiguous per (year, segment), segment = partition."""
    registered = asyncio.run(topic_registrations(bootstrap))
    counts = Counter(s for s, _ in registered if s in ids)
    assert set(counts) == ids, f"{len(ids - set(counts))} acknowledged signals not registered"
    assert [s for s, n in counts.items() if n != 1] == []
    first: dict[str, str] = {}
    holders: dict[str, set[str]] = defaultdict(set)
    for signal_id, number in registered:
        first.setdefault(signal_id, number)
        holders[number].add(signal_id)
    # (Other tests publish hand-made registrations with old-format numbers: only this run's count.)
    assert [first[s] for s in ids if len(holders[first[s]]) > 1] == [], "a registration number was given twice"
    per_segment = defaultdict(list)
    for number in first.values():
        year, segmented, seq, segment = number_order(number)
        if segmented:
            per_segment[(year, segment)].append(seq)
    for key, seqs in per_segment.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"gap or duplicate in segment {key}"
    partitions = asyncio.run(received_partitions(bootstrap, ids))
    assert all(number_order(first[s])[3] == partitions[s] == segment_of(s) for s in ids)
    return registered


def stub(service: Service) -> registration_pb2_grpc.RegistrationServiceStub:
    return registration_pb2_grpc.RegistrationServiceStub(grpc.insecure_channel(f"127.0.0.1:{service.port}"))


def equal_registers(services: dict[str, Service], bootstrap: str) -> None:
    for name in ("a", "b"):
        rebuilt = subprocess.run([sys.executable, "-m", "services.registration.rebuild", "--bootstrap", bootstrap,
                                  "--compare", f"127.0.0.1:{services[name].port}", "--attempts", "20"],
                                 cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert rebuilt.returncode == 0 and "EQUAL" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr


def test_two_instances_share_the_partitions_and_agree_on_everything(services: dict[str, Service], bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    receipts = submit(services["intake"].port, run, 600)
    ids = {r.signal_id for r in receipts}
    # Both instances answer for every signal, whichever decided it.
    for name in ("a", "b"):
        wait_registered(services[name].port, ids)
    check_topic(bootstrap, ids)
    shared = {r.signal_id for i, r in enumerate(receipts) if i % 10 == 0}
    segments = {segment_of(s) for s in shared}
    assert len(segments) > 1  # the shared address was registered by several segments' owners
    for name in ("a", "b"):
        dossiers = {stub(services[name]).GetSignal(registration_pb2.GetSignalRequest(signal_id=s), timeout=10).signal.dossier_id
                    for s in shared}
        assert len(dossiers) == 1, f"instance {name}: {len(dossiers)} dossiers for one address"
        dossier = stub(services[name]).GetDossier(registration_pb2.GetDossierRequest(dossier_id=dossiers.pop()), timeout=10)
        assert {m.signal.signal_id for m in dossier.dossier.members} >= shared
    equal_registers(services, bootstrap)
    # Both instances decided, each for its own share of the partitions.
    shares = [set(assigned(services[name])) for name in ("a", "b")]
    assert all(shares) and not shares[0] & shares[1] and shares[0] | shares[1] == set(range(6))
    for name in ("a", "b"):
        assert "caught_up_before_deciding" in (services[name].logs / "registration.log").read_text()


def test_sigkill_of_one_instance_mid_load_the_other_takes_over(services: dict[str, Service], bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    result: dict = {}
    submitter = threading.Thread(target=lambda: result.setdefault("receipts", submit(services["intake"].port, run, 3000)))
    submitter.start()
    time.sleep(3)
    services["b"].kill()
    submitter.join(600)
    ids = {r.signal_id for r in result["receipts"]}
    # The survivor takes over b's partitions (after the group's session timeout) and registers everything.
    wait_registered(services["a"].port, ids, timeout_s=400)
    check_topic(bootstrap, ids)
    services["b"].start()  # b comes back, folds everything, and agrees
    wait_registered(services["b"].port, ids)
    equal_registers(services, bootstrap)
