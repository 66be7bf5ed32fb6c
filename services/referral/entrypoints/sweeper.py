"""Faust timer: run the referral sweeper every REFERRAL_SWEEP_INTERVAL_S seconds.

Not before the referral book is rebuilt (a sweeper on a half-built book would redeliver what
was long acknowledged). A failed pass is logged and simply done again at the next tick: all it
decides is derived from `referrals.events`, so nothing is lost by waiting.
"""

from __future__ import annotations

import asyncio

import faust
import structlog

from services.referral.application.sweeping import Sweeper

log = structlog.get_logger(__name__)


def register_sweeper(app: faust.App, sweeper: Sweeper, ready: asyncio.Event, interval_s: float) -> None:
    @app.timer(interval=interval_s, name="referral-sweeper")
    async def sweep() -> None:
        if not ready.is_set():
            return
        try:
            redelivered, stuck = await sweeper.sweep()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 (retried at the next tick, never skipped)
            log.error("referral_sweep_failed", error=repr(exc))
            return
        if redelivered or stuck:
            log.info("referral_sweep", redelivered=redelivered, reported_stuck=stuck)
