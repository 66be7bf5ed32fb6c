"""Live feed of issued referrals for gRPC subscribers, one queue per subscriber.

In memory and best effort by design: a subscriber that connects later reads the recipient's
topic first, so the feed only has to carry what is issued while it is connected. It must
never be the only way a referral reaches its recipient.
"""

from __future__ import annotations

import asyncio

from services.referral.domain.package import Referral

MAX_QUEUED = 10_000


class ReferralFeed:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Referral | None]]] = {}
        # referral id -> the highest delivery (0 = first, n = n-th redelivery) put on the feed:
        # the handler that made it and the follower of referrals.events may both offer it.
        self._offered: dict[str, int] = {}

    def subscribe(self, recipient: str) -> asyncio.Queue[Referral | None]:
        queue: asyncio.Queue[Referral | None] = asyncio.Queue(maxsize=MAX_QUEUED)
        self._queues.setdefault(recipient, set()).add(queue)
        return queue

    def unsubscribe(self, recipient: str, queue: asyncio.Queue[Referral | None]) -> None:
        self._queues.get(recipient, set()).discard(queue)

    def publish(self, referral: Referral) -> None:
        if self._offered.get(referral.referral_id, -1) >= referral.redelivery:
            return
        self._offered[referral.referral_id] = referral.redelivery
        for queue in list(self._queues.get(referral.recipient, ())):
            if queue.full():
                # A subscriber this far behind is stuck: drop it and tell it so (the None marker),
                # so it reconnects and catches up from its topic instead of growing without bound.
                self.unsubscribe(referral.recipient, queue)
                queue.get_nowait()
                queue.put_nowait(None)
                continue
            queue.put_nowait(referral)
