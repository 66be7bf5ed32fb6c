"""Two referral processes in one consumer group (issue 7, ADR 0011).

They share the partitions of `lio.decisions`. Checked on the topics: every referral is issued
once, and a referral nobody acknowledges is redelivered once per redelivery (not once per
instance). Checked on both instances: each accepts the acknowledgement of a referral whichever
instance issued it, and each knows what the other recorded.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import grpc
import pytest

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.referral.v1 import events_pb2, referral_pb2, referral_pb2_grpc
from knooppunt.sharing.v1 import sharing_pb2
from services.referral.domain.package import referral_id_for
from tests.conftest import eventually, free_port
from tests.integration.test_referral_flow import _decision
from tests.integration.test_registration_exactly_once import Service
from tests.integration.test_registration_multi_instance import last_assignment

DECISIONS = 24
BOOK_TYPES = EventTypes(events_pb2.ReferralIssued, events_pb2.ReferralAcknowledged, events_pb2.ReferralRedelivered)


def assigned(service: Service) -> list[int]:
    return last_assignment(service, "lio_decisions_partitions_assigned")


@pytest.fixture(scope="module")
def services(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    run = tmp_path_factory.mktemp("referral-multi")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KNOOPPUNT_ALLOW_INSECURE_DEV": "1", "LOG_LEVEL": "INFO",
           "REFERRAL_SWEEP_INTERVAL_S": "0.5", "REFERRAL_REDELIVER_AFTER_S": "8", "REFERRAL_MAX_REDELIVERIES": "1"}
    found = {}
    for name in ("a", "b"):
        (run / name).mkdir()
        found[name] = Service("referral", {**env, "DATA_DIR": str(run / name / "data")}, free_port(), run / name)
    try:
        for s in found.values():
            s.start()
        eventually(lambda: assigned(found["b"]) and len(assigned(found["a"])) < 6,
                   "both instances assigned a share of lio.decisions", timeout_s=120)
        yield found
    finally:
        for s in found.values():
            s.stop()


async def publish(bootstrap: str, decisions: list[tuple[str, str]]) -> None:
    publisher = EventPublisher(bootstrap, source="/tests/referral-multi")
    await publisher.start()
    try:
        for decision_id, signal_id in decisions:
            await publisher.publish("lio.decisions", key=signal_id, message=_decision(decision_id, signal_id))
    finally:
        await publisher.stop()


async def book_events(bootstrap: str, ids: set[str]) -> list:
    found = []
    async for e in replay(bootstrap, ["referrals.events"], BOOK_TYPES):
        rid = e.data.referral.referral_id if isinstance(e.data, events_pb2.ReferralIssued) else e.data.referral_id
        if rid in ids:
            found.append((type(e.data).__name__, rid, getattr(e.data, "redelivery", 0)))
    return found


def acknowledge(service: Service, referral_id: str) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{service.port}") as ch:
        return referral_pb2_grpc.ReferralServiceStub(ch).AcknowledgeReferral(referral_pb2.AcknowledgeReferralRequest(
            referral_id=referral_id, recipient="politie",
            acknowledged_by=sharing_pb2.Actor(person_id="p-1", role="intake", organisation="politie")),
            timeout=20).first_acknowledgement


def test_two_referral_instances_issue_once_accept_any_acknowledgement_and_redeliver_once(
        services: dict[str, Service], bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    decisions = [(f"dec-{run}-{i}", f"sig-{run}-{i}") for i in range(DECISIONS)]
    politie = [referral_id_for(d, "politie") for d, _ in decisions]
    riec = [referral_id_for(d, "riec-rotterdam") for d, _ in decisions]
    ids = set(politie) | set(riec)
    asyncio.run(publish(bootstrap, decisions))
    events = eventually(lambda: (e := asyncio.run(book_events(bootstrap, ids)))
                        and {r for k, r, _ in e if k == "ReferralIssued"} == ids and e, "every referral issued")
    # Each instance accepts the acknowledgement of any referral, whoever issued it: all first ones.
    for i, rid in enumerate(politie):
        assert acknowledge(services["ab"[i % 2]], rid) is True
    # ... and the other instance learns of it (its book follows referrals.events).
    for i, rid in enumerate(politie):
        eventually(lambda rid=rid, i=i: acknowledge(services["ba"[i % 2]], rid) is False, "the other instance knows")
    # The RIEC acknowledges nothing: after 8 s each of its referrals is redelivered once, by its owner only.
    time.sleep(12)
    events = asyncio.run(book_events(bootstrap, ids))
    kinds = Counter((k, r, n) for k, r, n in events)
    assert all(kinds[("ReferralIssued", r, 0)] == 1 for r in ids)
    assert all(kinds[("ReferralAcknowledged", r, 0)] == 1 for r in politie)
    assert all(kinds[("ReferralRedelivered", r, 1)] == 1 for r in riec)
    assert not [r for (k, r, n) in kinds if k == "ReferralRedelivered" and (r in politie or n != 1)]
