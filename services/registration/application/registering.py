"""Policy: when a signal is received, register it (once) and announce the registration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from services.registration.domain.register import ReceivedSignal, Register, Registration, decide_registration


class RegistrationLog(Protocol):
    """Each call publishes all its items with one round of broker acknowledgements; it returns
    when all were acknowledged and raises when any was not (the others may be stored)."""

    async def append_many(self, items: Sequence[tuple[Registration, str]]) -> None:
        """SignalRegistered per (registration, traceparent)."""

    async def announce_filings(self, items: Sequence[tuple[Registration, str]]) -> None:
        """Announce the dossier filings (idempotent: the same event id every time)."""


class RegisterReceivedSignal:
    def __init__(self, register: Register, log: RegistrationLog, clock: Callable[[], datetime],
                 recover: Callable[[], Awaitable[None]] | None = None) -> None:
        self._register = register
        self._log = log
        self._clock = clock
        # Rebuilds the register from the topic; used when a batch failed half-way.
        self._recover = recover

    async def batch(self, items: list[tuple[ReceivedSignal, str]]) -> list[Registration]:
        """Register many received signals with one round of broker acknowledgements.

        Decisions are taken in order and folded at once, so that each sees the ones before it
        (numbers, dossiers); then all are published at once (order per partition holds).
        If any publish fails, the register is rebuilt from the topic before the error goes up:
        what was published is known again, what was not will be decided anew on the retry, so
        nothing is skipped and nothing is registered twice.
        """
        now = self._clock()
        decided: list[tuple[Registration, str]] = []
        known: list[tuple[Registration, str]] = []
        for received, traceparent in items:
            registration = decide_registration(self._register, received, now)
            if registration is None:
                known.append((self._register.entries[received.signal_id].registration, traceparent))
                continue
            self._register.apply_registration(registration)
            decided.append((registration, traceparent))
        try:
            # Registrations first, filings after: a filing never precedes its registration.
            if decided:
                await self._log.append_many(decided)
            await self._log.announce_filings(decided + known)
        except BaseException:
            if self._recover is not None and decided:
                await self._recover()
            raise
        return [r for r, _ in decided]

    async def __call__(self, received: ReceivedSignal, traceparent: str) -> Registration | None:
        registration = decide_registration(self._register, received, self._clock())
        if registration is None:
            # Redelivered (a retry, or a restart after a crash): registered already. Announce the
            # filing again, because a crash may have come between the registration and its
            # announcement; consumers dedupe on the event id, so a repeat is harmless.
            await self._log.announce_filings([(self._register.entries[received.signal_id].registration, traceparent)])
            return None
        # Publish first, then fold: after a crash in between, the rebuilt register contains
        # the published registration and the redelivered signal is recognised as known.
        await self._log.append_many([(registration, traceparent)])
        self._register.apply_registration(registration)
        await self._log.announce_filings([(registration, traceparent)])
        return registration
