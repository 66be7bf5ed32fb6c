"""Follow topics from offset 0 for ever: every partition, no consumer group, no commits.

A projection that answers queries must see every event, whoever published it; with several
instances of a service in one consumer group each member is assigned only some partitions, so
projections are folded by a follower like this one, in every instance, never by a group agent.
`sync()` waits until everything published before the call has been folded: the way to say
"my projection is at least as new as the log was a moment ago" (after a rebalance, before
deciding). `restart()` folds everything again from offset 0 (after a failed batch).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from cloudevents_kafka.kafka import ReplayedRecord, all_partitions, reader
from cloudevents_kafka.partitioning import partition_of

log = structlog.get_logger(__name__)


def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as in the Java client and aiokafka)
    puts a record with this key in: which group member handles it, without asking Kafka."""
    return partition_of(key.encode(), partitions)


class TopicFollower:
    def __init__(self, bootstrap: str, topics: list[str], handle: Callable[[ReplayedRecord], None],
                 on_restart: Callable[[], None] | None = None, *, poll_ms: int = 100) -> None:
        self._bootstrap = bootstrap
        self._topics = topics
        self._handle = handle
        self._on_restart = on_restart
        self._poll_ms = poll_ms
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []
        self._position: dict[TopicPartition, int] = {}
        self._progress = asyncio.Event()
        self._restart = False
        self._task: asyncio.Task | None = None
        self.folded = 0

    async def start(self) -> int:
        """Assign every partition, start following, and return once the topics are folded up to their end."""
        self._consumer = reader(self._bootstrap)
        await self._consumer.start()
        self._partitions = await all_partitions(self._consumer, self._topics)
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)
        self._position = {tp: 0 for tp in self._partitions}
        self._task = asyncio.create_task(self._run(), name=f"follow {','.join(self._topics)}")
        await self.sync()
        return self.folded

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        if self._consumer is not None:
            await self._consumer.stop()

    def partitions(self, topic: str) -> list[int]:
        return [tp.partition for tp in self._partitions if tp.topic == topic]

    async def sync(self, topics: Iterable[str] | None = None) -> None:
        """Wait until every record that was in ``topics`` (all followed ones by default) when this
        was called has been folded."""
        wanted = set(topics) if topics is not None else set(self._topics)
        tps = [tp for tp in self._partitions if tp.topic in wanted]
        if not tps:
            return
        end = await self._consumer.end_offsets(tps)
        while any(self._position[tp] < end[tp] for tp in tps):
            if self._task is not None and self._task.done():
                self._task.result()  # the follower died: say why
                raise RuntimeError("the follower stopped")
            event = self._progress
            await event.wait()

    async def restart(self) -> None:
        """Fold everything again from offset 0 (``on_restart`` empties the projection first)."""
        self._restart = True
        self._signal()
        while self._restart:
            await self._progress.wait()
        await self.sync()

    def request_restart(self) -> None:
        """From inside ``handle``: fold everything again from offset 0, starting after this batch."""
        self._restart = True

    def _signal(self) -> None:
        event, self._progress = self._progress, asyncio.Event()
        event.set()

    async def _run(self) -> None:
        consumer = self._consumer
        while True:
            if self._restart:
                # Positions first, before any await: a sync() from now on waits for the new fold.
                self._position = {tp: 0 for tp in self._partitions}
                if self._on_restart is not None:
                    self._on_restart()
                await consumer.seek_to_beginning(*self._partitions)
                self._restart = False
                log.warning("follower_restarted_from_offset_0", topics=self._topics)
            try:
                batch = await consumer.getmany(timeout_ms=self._poll_ms)
            except KafkaError as exc:  # the broker is away: keep trying, the fold is not affected
                log.warning("follower_fetch_failed", error=repr(exc))
                await asyncio.sleep(0.5)
                continue
            if self._restart:
                continue  # fetched before the seek: dropped, read again from offset 0
            for tp, records in batch.items():
                for record in records:
                    try:
                        self._handle(ReplayedRecord(record.topic, record.partition, record.offset, record.key,
                                                    record.value, list(record.headers), record.timestamp))
                    except Exception as exc:  # noqa: BLE001 (one bad record must not stop the projection)
                        log.error("follower_record_failed", topic=record.topic, partition=record.partition,
                                  offset=record.offset, error=repr(exc))
                    self.folded += 1
            for tp in self._partitions:
                # Positions past control records and empty fetches count too: ask the consumer.
                self._position[tp] = max(self._position[tp], await consumer.position(tp))
            self._signal()
