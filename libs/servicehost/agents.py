"""The one loop every Faust agent runs: wait until ready, decode, handle, never skip.

An event whose handling fails (Kafka unavailable, a bug) is retried with back-off until it
succeeds; the agent does not move past it. Letting the error escape would let Faust restart
the agent further along the stream, and a registration, decision or audit entry would be lost.
Events of other types are passed over silently; unreadable ones are logged at error level,
because someone must look at that offset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from cloudevents_kafka import Envelope, EnvelopeError, EventTypes, header

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 30.0


async def consume(
    stream: Any,
    types: EventTypes,
    handle: Callable[[Envelope], Awaitable[None]],
    *,
    ready: asyncio.Event,
    topic: str,
) -> None:
    await ready.wait()
    async for event in stream.events():
        message = event.message
        if header(message.headers, "ce_type") not in types:
            continue
        try:
            envelope = types.decode(message.headers, message.value)
        except EnvelopeError as exc:
            log.error("unreadable_event_skipped", topic=topic, partition=message.partition, offset=message.offset, error=str(exc))
            continue
        backoff = 0.5
        while True:
            try:
                await handle(envelope)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 (any failure: retry, never skip)
                log.error("event_handling_failed", topic=topic, offset=message.offset, event_id=envelope.id,
                          error=repr(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)


async def consume_batches(
    stream: Any,
    types: EventTypes,
    handle_batch: Callable[[list[Envelope]], Awaitable[None]],
    *,
    ready: asyncio.Event,
    topic: str,
    max_events: int = 500,
    within_s: float = 0.02,
) -> None:
    """Like ``consume``, for handlers that publish many results at once: events come in
    batches (in order), and a failing batch is retried whole.

    Events are acknowledged only after the handler returned for their batch, so their offsets
    are committed only then, and a crash redelivers them. While a batch is being handled the
    stream is read on (up to ``max_events`` more, unacknowledged): the next batch is whatever
    arrived meanwhile, so a backlog is taken in full batches without waiting for them to fill,
    and a batch that is not full is handled at most ``within_s`` after the previous one ended.
    On a rebalance Faust waits until every event it delivered was acknowledged, so the events
    read ahead are handled before the partitions go.
    """
    await ready.wait()
    events_in = stream.noack()
    pending: list[Any] = []
    arrived = asyncio.Event()  # pending holds events
    full = asyncio.Event()  # pending holds max_events
    room = asyncio.Event()  # pending holds fewer than max_events
    room.set()

    async def handle_pending() -> None:
        while True:
            if not full.is_set():
                try:
                    await asyncio.wait_for(full.wait(), within_s)
                except TimeoutError:
                    pass
            await arrived.wait()
            events = pending[:max_events]
            del pending[:max_events]
            if not pending:
                arrived.clear()
            full.clear()
            room.set()
            await _handle_events(events, types, handle_batch, topic)
            for event in events:  # in order: Faust commits up to the first event not acknowledged
                await events_in.ack(event)

    handler = asyncio.ensure_future(handle_pending())
    reader = asyncio.current_task()
    # The handler never fails on a batch (it retries); should it fail otherwise, the agent fails
    # with its error instead of reading on with nobody handling.
    handler.add_done_callback(lambda task: task.cancelled() or task.exception() is None or reader.cancel())
    try:
        async for event in events_in.events():
            pending.append(event)
            arrived.set()
            if len(pending) >= max_events:
                full.set()
                room.clear()
                await room.wait()
    except asyncio.CancelledError:
        if handler.done() and not handler.cancelled() and handler.exception() is not None:
            raise handler.exception() from None
        raise
    finally:
        handler.cancel()


async def _handle_events(events: list[Any], types: EventTypes, handle_batch: Callable[[list[Envelope]], Awaitable[None]],
                         topic: str) -> None:
    """Decode a batch and hand it over until the handler succeeds (never skip it)."""
    envelopes = []
    for event in events:
        message = event.message
        if header(message.headers, "ce_type") not in types:
            continue
        try:
            envelopes.append(types.decode(message.headers, message.value))
        except EnvelopeError as exc:
            log.error("unreadable_event_skipped", topic=topic, partition=message.partition, offset=message.offset,
                      error=str(exc))
    backoff = 0.5
    while envelopes:
        try:
            await handle_batch(envelopes)
            break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 (any failure: retry the batch, never skip)
            log.error("batch_handling_failed", topic=topic, events=len(envelopes), error=repr(exc), retry_in_s=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
