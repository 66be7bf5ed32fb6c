"""Policy: when a signal is received, register it (once) and announce the registration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.registration.domain.register import ReceivedSignal, Register, Registration, decide_registration


class RegistrationLog(Protocol):
    async def append(self, registration: Registration, traceparent: str) -> None: ...


class RegisterReceivedSignal:
    def __init__(self, register: Register, log: RegistrationLog, clock: Callable[[], datetime]) -> None:
        self._register = register
        self._log = log
        self._clock = clock

    async def __call__(self, received: ReceivedSignal, traceparent: str) -> Registration | None:
        registration = decide_registration(self._register, received, self._clock())
        if registration is None:
            return None
        # Publish first, then fold: after a crash in between, the rebuilt register contains
        # the published registration and the redelivered signal is recognised as known.
        await self._log.append(registration, traceparent)
        self._register.apply_registration(registration)
        return registration
