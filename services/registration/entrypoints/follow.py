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
import time
from collections.abc import Callable
from typing import Any

import faust
import structlog

from cloudevents_kafka import EnvelopeError, EventTypes, event_type, header
from cloudevents_kafka.follow import TopicFollower
from cloudevents_kafka.kafka import ReplayedRecord
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from prototime import from_timestamp
from knooppunt.registration.v1 import events_pb2
from services.registration.adapters.kafka import DECISION_TYPES, REGISTERED_TYPES, Unconfirmed, apply_decision
from services.registration.adapters.proto import registration_from_event, segment_of
from services.registration.domain.register import Register
from topic_catalog import LIO_DECISIONS, PRIVACY_ERASURES, SIGNALS_RECEIVED, SIGNALS_REGISTERED, SUBJECT_KEYS

log = structlog.get_logger(__name__)
ERASURE_TYPES = EventTypes(privacy_events.DataErased)


def register_follower(bootstrap: str, register: Register, keys: KafkaKeyStore,
                      on_restart: Callable[[], None] | None = None,
                      unconfirmed: Unconfirmed | None = None) -> TopicFollower:
    """``on_restart`` runs when the register is emptied to be folded again (after the reset).
    ``unconfirmed``: this instance's registrations not read back yet (confirmed without decoding)."""
    follower: TopicFollower
    registered_type = event_type(events_pb2.SignalRegistered)

    def restart() -> None:
        register.reset()
        if unconfirmed is not None:
            unconfirmed.clear()
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
            if unconfirmed and _own(record):  # (an empty one has nothing to confirm)
                return
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

    def _own(record: ReplayedRecord) -> bool:
        """Our own registration read back as we sent it, the first one in the log for its signal:
        what ``register.apply_logged`` would decide (confirmed, no conflict) without decoding it."""
        signal_id = record.key.decode() if record.key is not None else ""
        if signal_id in register.confirmed or header(record.headers, "ce_type") != registered_type:
            return False
        entry = register.entries.get(signal_id)
        if not unconfirmed.confirm(signal_id, record.value, entry.registration if entry is not None else None):
            return False
        register.confirmed.add(signal_id)
        return True

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

    def __init__(self, follower: TopicFollower | None = None, stall_s: float = 2.0) -> None:
        self.follower = follower
        self._behind: set[int] = set()
        self._lock = asyncio.Lock()
        # A process that was frozen or starved (SIGSTOP, a VM or GC stall) may have lost its
        # partitions meanwhile and still be processing what it had fetched: when the watchdog
        # did not tick for ``stall_s``, the next decision first folds everything published
        # since, so signals the new owner registered during the stall are known.
        self._stall_s = stall_s
        self._tick = time.monotonic()
        self._watchdog: asyncio.Task | None = None

    def start_watchdog(self) -> None:
        async def tick() -> None:
            while True:
                self._tick = time.monotonic()
                await asyncio.sleep(self._stall_s / 8)

        self._watchdog = asyncio.create_task(tick(), name="registration-stall-watchdog")

    def _check_stall(self) -> None:
        stalled = time.monotonic() - self._tick
        if stalled > self._stall_s:
            log.warning("process_stalled_catching_up", stalled_s=round(stalled, 1))
            self.hold_all()
            self._tick = time.monotonic()

    def assigned(self, partitions: set[int]) -> None:
        self._behind |= partitions

    def hold_all(self) -> None:
        self._behind |= set(range(SIGNALS_RECEIVED.partitions))

    async def wait(self, signal_ids: list[str]) -> None:
        self._check_stall()
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


class LeaseExpired(RuntimeError):
    """Deciding took so long (the process was paused or starved) that the partition may have
    gone to another instance meanwhile: nothing of the batch is published."""


class Lease:
    """Decisions are published only shortly after they were taken.

    A process paused between deciding and publishing (SIGSTOP, a long GC or VM stall) past the
    consumer session timeout has lost its partitions without knowing it; the new owner decides
    the same signals. Publishing then would put a second registration of a signal on the topic.
    Kafka transactions would fence such a zombie; until then the time between taking the
    decisions and handing them to the producer is bounded to well below the session timeout.
    """

    def __init__(self, limit_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit_s = limit_s
        self._clock = clock
        self._taken = clock()

    def take(self) -> None:
        self._taken = self._clock()

    def check(self) -> None:
        held = self._clock() - self._taken
        if held > self._limit_s:
            raise LeaseExpired(f"decided {held:.1f} s ago, more than {self._limit_s:.1f} s: not published")


class LeasedLog:
    """The registration log behind the lease: registrations are published only while it holds."""

    def __init__(self, log_: Any, lease: Lease) -> None:  # noqa: ANN401
        self._log = log_
        self._lease = lease

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 (announcements and the rest pass through)
        return getattr(self._log, name)

    async def append_many(self, items: Any) -> None:  # noqa: ANN401
        self._lease.check()
        await self._log.append_many(items)


class GatedRegistration:
    """The registration handler behind the gate and the lease (what the signals.received agent
    calls). After an expired lease it waits a while before the batch is retried, so that the
    partition's new owner (if there is one) publishes first and the retry finds it registered."""

    def __init__(self, handle: Any, gate: CatchUpGate, lease: Lease, wait_after_expiry_s: float) -> None:  # noqa: ANN401
        self._handle = handle
        self._gate = gate
        self._lease = lease
        self._wait_after_expiry_s = wait_after_expiry_s

    async def batch(self, items: list) -> list:
        await self._gate.wait([received.signal_id for received, _ in items])
        self._lease.take()
        try:
            return await self._handle.batch(items)
        except LeaseExpired as exc:
            log.error("registration_lease_expired", error=str(exc), signals=len(items))
            self._gate.hold_all()
            await asyncio.sleep(self._wait_after_expiry_s)
            raise

    async def __call__(self, received: Any, traceparent: str) -> Any:  # noqa: ANN401
        await self._gate.wait([received.signal_id])
        self._lease.take()
        return await self._handle(received, traceparent)
