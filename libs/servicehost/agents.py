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
    batches (in order), and a failing batch is retried whole. Offsets are committed only after
    the handler returned, so a crash mid-batch redelivers it."""
    await ready.wait()
    async for events in stream.take_events(max_events, within=within_s):
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
