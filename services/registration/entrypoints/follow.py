"""Every instance folds everything: signals.registered (all partitions, every instance's
decisions), lio.decisions, privacy.erasures and keys.subjects, from offset 0 and then for ever.

With several registration instances in one consumer group each one decides only for the
partitions of signals.received it is assigned, but answers GetSignal, ListSignals, GetDossier
and hit/no-hit for the whole register and links dossiers against every signal. So the register
is a projection folded by a follower (no consumer group), never by a group agent. Before an
instance decides for partitions it was just assigned it waits until its register holds every
registration published before the assignment (`CatchUpGate`): the previous owner finished and
published its in-flight batch before it gave the partition up (Faust waits for the agents on
revocation), so a redelivered signal is then recognised as known and only announced again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust
import structlog

from cloudevents_kafka import EnvelopeError, EventTypes, header
from cloudevents_kafka.follow import TopicFollower
from cloudevents_kafka.kafka import ReplayedRecord
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from prototime import from_timestamp
from services.registration.adapters.kafka import DECISION_TYPES, REGISTERED_TYPES, apply_decision
from services.registration.adapters.proto import registration_from_event, segment_of
from services.registration.domain.register import Register
from topic_catalog import LIO_DECISIONS, PRIVACY_ERASURES, SIGNALS_RECEIVED, SIGNALS_REGISTERED, SUBJECT_KEYS

log = structlog.get_logger(__name__)
ERASURE_TYPES = EventTypes(privacy_events.DataErased)


def register_follower(bootstrap: str, register: Register, keys: KafkaKeyStore,
                      on_restart: Callable[[], None] | None = None) -> TopicFollower:
    """``on_restart`` runs when the register is emptied to be folded again (after the reset)."""
    follower: TopicFollower

    def restart() -> None:
        register.reset()
        if on_restart is not None:
            on_restart()

    def decode(record: ReplayedRecord, types: EventTypes) -> Any:  # noqa: ANN401
        if header(record.headers, "ce_type") not in types:
            return None
        try:
            return types.decode(record.headers, record.value)
        except EnvelopeError as exc:
            log.error("unreadable_event_skipped", topic=record.topic, partition=record.partition,
                      offset=record.offset, error=str(exc))
            return None

    def handle(record: ReplayedRecord) -> None:
        if record.topic == SUBJECT_KEYS.name:
            keys.apply(record.key.decode(), record.value)
        elif record.topic == SIGNALS_REGISTERED.name:
            if (envelope := decode(record, REGISTERED_TYPES)) is not None:
                if not register.apply_logged(registration_from_event(envelope.data)):
                    # Two instances decided this signal (one had lost its partition without
                    # knowing it yet). The first in the log counts; fold the log again.
                    log.error("registration_decided_twice", signal_id=envelope.data.signal_id,
                              partition=record.partition, offset=record.offset)
                    follower.request_restart()
        elif record.topic == LIO_DECISIONS.name:
            if (envelope := decode(record, DECISION_TYPES)) is not None:
                apply_decision(register, envelope)
        elif record.topic == PRIVACY_ERASURES.name:
            envelope = decode(record, ERASURE_TYPES)
            if envelope is not None and envelope.data.key_id.startswith("person:"):
                register.forget_subject(envelope.data.key_id, from_timestamp(envelope.data.erased_at))

    follower = TopicFollower(
        bootstrap, [SIGNALS_REGISTERED.name, LIO_DECISIONS.name, PRIVACY_ERASURES.name, SUBJECT_KEYS.name],
        handle, on_restart=restart,
    )
    return follower


class CatchUpGate:
    """Holds decisions for newly assigned partitions of signals.received until the register
    has folded signals.registered up to where it was at (or after) the assignment; and every
    decision while the register is being folded again from offset 0 (a half-built register
    would hand out numbers that were given already)."""

    def __init__(self, follower: TopicFollower | None = None) -> None:
        self.follower = follower
        self._behind: set[int] = set()
        self._lock = asyncio.Lock()

    def assigned(self, partitions: set[int]) -> None:
        self._behind |= partitions

    def hold_all(self) -> None:
        self._behind |= set(range(SIGNALS_RECEIVED.partitions))

    async def wait(self, signal_ids: list[str]) -> None:
        if not self._behind or not {segment_of(s) for s in signal_ids} & self._behind:
            return
        async with self._lock:
            if not self._behind:
                return
            behind = set(self._behind)
            # signals.registered is keyed by signal id like signals.received, so a segment's
            # registrations are in the partition of the same number; all partitions are synced
            # anyway (one request), which does not depend on that.
            await self.follower.sync([SIGNALS_REGISTERED.name])
            self._behind -= behind
            log.info("caught_up_before_deciding", partitions=sorted(behind))

    def connect(self, app: faust.App) -> None:
        @app.on_partitions_assigned.connect
        async def on_assigned(sender: Any, assigned: set, **_: Any) -> None:  # noqa: ANN401
            partitions = {tp.partition for tp in assigned if tp.topic == SIGNALS_RECEIVED.name}
            log.info("signals_received_partitions_assigned", partitions=sorted(partitions))
            self.assigned(partitions)


class GatedRegistration:
    """The registration handler behind the gate (what the signals.received agent calls)."""

    def __init__(self, handle: Any, gate: CatchUpGate) -> None:  # noqa: ANN401
        self._handle = handle
        self._gate = gate

    async def batch(self, items: list) -> list:
        await self._gate.wait([received.signal_id for received, _ in items])
        return await self._handle.batch(items)

    async def __call__(self, received: Any, traceparent: str) -> Any:  # noqa: ANN401
        await self._gate.wait([received.signal_id])
        return await self._handle(received, traceparent)
