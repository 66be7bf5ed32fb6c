"""Policy: when a signal is received, register it (once) and announce the registration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.registration.domain.register import ReceivedSignal, Register, Registration, decide_registration


class RegistrationLog(Protocol):
    async def append(self, registration: Registration, traceparent: str) -> None: ...

    async def announce_filing(self, registration: Registration, traceparent: str) -> None:
        """Announce the dossier filing (idempotent: the same event id every time)."""


class RegisterReceivedSignal:
    def __init__(self, register: Register, log: RegistrationLog, clock: Callable[[], datetime]) -> None:
        self._register = register
        self._log = log
        self._clock = clock

    async def __call__(self, received: ReceivedSignal, traceparent: str) -> Registration | None:
        registration = decide_registration(self._register, received, self._clock())
        if registration is None:
            # Redelivered (a retry, or a restart after a crash): registered already. Announce the
            # filing again, because a crash may have come between the registration and its
            # announcement; consumers dedupe on the event id, so a repeat is harmless.
            await self._log.announce_filing(self._register.entries[received.signal_id].registration, traceparent)
            return None
        # Publish first, then fold: after a crash in between, the rebuilt register contains
        # the published registration and the redelivered signal is recognised as known.
        await self._log.append(registration, traceparent)
        self._register.apply_registration(registration)
        await self._log.announce_filing(registration, traceparent)
        return registration
