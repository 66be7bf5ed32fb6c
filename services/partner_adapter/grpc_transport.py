"""Receiving referrals from the gRPC stream SubscribeReferrals, reconnecting until stopped.

On every (re)connect the service sends each referral not yet acknowledged, so a crash or a
dropped connection loses nothing; what was stored before is recognised by referral_id.
"""

from __future__ import annotations

import asyncio
import contextlib

import grpc

from grpc_security import PURPOSE_HEADER
import structlog

from knooppunt.referral.v1 import referral_pb2

log = structlog.get_logger("partner_adapter")
# Worth reconnecting for: the service restarts, the network drops, we fell behind.
RECONNECT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED,
             grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED}


async def receive_from_stream(adapter) -> None:  # noqa: ANN001
    backoff = 0.2
    while not adapter.stop.is_set():
        call = adapter.stub.SubscribeReferrals(
            referral_pb2.SubscribeReferralsRequest(recipient=adapter.partner), wait_for_ready=True,
            # The stream returns personal data: the purpose is stated, and the read is logged.
            metadata=((PURPOSE_HEADER, f"ontvangst doorgeleidingen door {adapter.partner}"),)
        )
        watcher = asyncio.create_task(_cancel_on_stop(call, adapter.stop))
        try:
            async for item in call:
                backoff = 0.2
                if not await adapter.receive(item.referral):
                    return
            log.warning("subscription_ended_reconnecting")
        except asyncio.CancelledError:
            if not adapter.stop.is_set():
                raise
            return
        except grpc.aio.AioRpcError as exc:
            if adapter.stop.is_set():
                return
            if exc.code() not in RECONNECT:
                raise  # PERMISSION_DENIED, INVALID_ARGUMENT: configuration an operator must fix
            log.warning("subscription_lost_reconnecting", code=exc.code().name, retry_in_s=backoff)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(adapter.stop.wait(), backoff)
        backoff = min(backoff * 2, 10.0)


async def _cancel_on_stop(call, stop: asyncio.Event) -> None:  # noqa: ANN001
    await stop.wait()
    call.cancel()
