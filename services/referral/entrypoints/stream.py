"""Faust agent: issue referrals for every LIO decision with outcome refer_to_riec.

The shared agent loop waits until the referral book is rebuilt (or a redelivered decision
would be issued twice) and retries a decision until its referrals are issued: a referral
decision that is never issued is a lost decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import faust

from servicehost.agents import consume
from services.referral.adapters.kafka import DECISION_TYPES
from services.referral.adapters.proto import decision_from_event
from services.referral.application.referring import IssueReferrals
from services.referral.topics import LIO_DECISIONS


def register_agents(app: faust.App, handle: IssueReferrals, ready: asyncio.Event,
                    caught_up: Callable[[], Awaitable[None]] | None = None) -> None:
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")

    async def issue(envelope) -> None:  # noqa: ANN001
        decision = decision_from_event(envelope.data)
        if decision is not None:  # other outcomes are not referrals
            if caught_up is not None:
                await caught_up()  # after a rebalance: the book holds what the previous owner issued
            await handle(decision, envelope.traceparent)

    @app.agent(decisions, name="referral-issue")
    async def issue_referrals(stream):  # noqa: ANN001
        await consume(stream, DECISION_TYPES, issue, ready=ready, topic=LIO_DECISIONS.name)
