"""The Kafka side of intake: publish SignalReceived, and read it back into the receipt index."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from aiokafka.errors import KafkaError

from services.intake.adapters.sealing import SignalSealer
from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, Outgoing, PublishUnavailable, replay
from knooppunt.intake.v1 import events_pb2
from services.intake.adapters.proto import event_from_signal, receipt_from_event
from services.intake.application.submit import ReceiptIndex
from services.intake.domain.signal import AcceptedSignal, uuid5
from services.intake.topics import SIGNALS_RECEIVED

EVENT_TYPES = EventTypes(events_pb2.SignalReceived)
_EVENT_NAMESPACE = uuid.UUID("0b8e9a3e-2f57-4d9b-8c0e-4a1f6b2d7e90")


# An idempotent aiokafka producer retries a send for as long as the broker is away and never
# fails it by itself; intake must answer UNAVAILABLE instead of hanging until the deadline.
ACK_TIMEOUT_S = 10.0
# Signals written in one round (keys, then events). Appends arriving while a round is in
# flight wait for the next one, so under load rounds grow up to this size by themselves.
MAX_ROUND = 4096


class KafkaSignalLog:
    """Writes accepted signals in rounds (group commit): every append waiting when a round
    starts joins it. A round stores the data keys of all its signals (one round of acks),
    and only then publishes all their events (one more round). A failed key round publishes
    nothing, so no sealed value is ever published under a key that was not stored."""

    def __init__(self, publisher: EventPublisher, ack_timeout_s: float = ACK_TIMEOUT_S,
                 sealer: SignalSealer | None = None, max_round: int = MAX_ROUND) -> None:
        self._publisher = publisher
        self._ack_timeout_s = ack_timeout_s
        # None only in contract tests of the log itself; the service always seals.
        self._sealer = sealer
        self._max_round = max_round
        self._waiting: list[tuple[list[AcceptedSignal], asyncio.Future, float]] = []  # signals, answer, deadline
        self._writer: asyncio.Task | None = None

    async def append(self, signal: AcceptedSignal) -> None:
        await self.append_many([signal])

    async def append_many(self, signals: Sequence[AcceptedSignal]) -> None:
        """Returns when the broker acknowledged all of them; PublishUnavailable when it did not
        within the ack timeout (counted from this call, waiting for a round included).

        After a timeout a record may still reach the broker later (the producer keeps it).
        That is safe: its signal id and event id are deterministic, so the client's retry is
        recognised as the same signal, and registration registers it once.
        """
        if not signals:
            return
        loop = asyncio.get_running_loop()
        written = loop.create_future()
        # No timer per call: the rounds keep the deadlines (see _write_rounds).
        self._waiting.append((list(signals), written, loop.time() + self._ack_timeout_s))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_rounds(), name="intake signal log")
        error = await written
        if isinstance(error, PublishUnavailable):
            raise PublishUnavailable(str(error)) from error  # one exception object per caller
        if error is not None:
            raise RuntimeError(f"writing signals failed: {error!r}") from error

    async def _write_rounds(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            now = loop.time()
            # Whoever waited past its deadline (behind a round the broker never acknowledged)
            # is answered at once, without another round.
            for signals, written, deadline in [w for w in self._waiting if w[2] <= now]:
                if not written.done():
                    written.set_result(PublishUnavailable(f"Kafka did not acknowledge within {self._ack_timeout_s} s"))
            self._waiting = [w for w in self._waiting if w[2] > now and not w[1].done()]
            taken, count = 0, 0
            while taken < len(self._waiting) and (count == 0 or count + len(self._waiting[taken][0]) <= self._max_round):
                count += len(self._waiting[taken][0])
                taken += 1
            entries, self._waiting = self._waiting[:taken], self._waiting[taken:]
            if not entries:
                continue
            # The round ends by the earliest deadline among its callers.
            error = await self._write([s for signals, _, _ in entries for s in signals],
                                      min(d for _, _, d in entries) - now)
            for _, written, _ in entries:
                if not written.done():  # the caller may have been cancelled (its client went away)
                    written.set_result(error)  # the outcome as a value: an error nobody reads is not logged

    async def _write(self, signals: list[AcceptedSignal], timeout_s: float) -> BaseException | None:
        """One round; returns the error instead of raising it (it is every waiter's answer)."""
        try:
            events = [event_from_signal(s) for s in signals]
            async with asyncio.timeout(timeout_s):
                if self._sealer is not None:
                    await self._sealer.seal_many(events)
                await self._publisher.publish_many([
                    # Deterministic event id: a duplicate that slips through has the same event id too.
                    Outgoing(SIGNALS_RECEIVED.name, key=s.signal_id, message=e,
                             event_id=uuid5(_EVENT_NAMESPACE, s.signal_id))
                    for s, e in zip(signals, events, strict=True)
                ])
            return None
        except TimeoutError:
            return PublishUnavailable(f"Kafka did not acknowledge within {self._ack_timeout_s} s")
        except (KafkaError, LookupError) as exc:  # the key round failed (LookupError: another caller's)
            return PublishUnavailable(f"Kafka did not store the data keys: {exc}")
        except Exception as exc:  # noqa: BLE001 (a bug: every waiter gets it, the writer goes on)
            return exc


async def rebuild_receipt_index(bootstrap: str, index: ReceiptIndex) -> int:
    count = 0
    async for envelope in replay(bootstrap, [SIGNALS_RECEIVED.name], EVENT_TYPES):
        index.remember(receipt_from_event(envelope.data))
        count += 1
    return count
