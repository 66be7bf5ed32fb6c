"""The sweeper's decisions: redeliver an unacknowledged referral, report one that is stuck.

Decided from the delivery record and the time alone, so that a sweeper that crashed and
rebuilt its book from `referrals.events` decides exactly what it would have decided before:
the n-th redelivery is the n-th, never a second n-th. Pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.referral.domain.book import DeliveryRecord


@dataclass(frozen=True)
class SweepRules:
    redeliver_after: timedelta
    max_redeliveries: int
    stuck_after: timedelta


@dataclass(frozen=True)
class Redeliver:
    redelivery: int  # 1 for the first redelivery


@dataclass(frozen=True)
class ReportStuck:
    redeliveries: int


def decide_sweep(record: DeliveryRecord, now: datetime, rules: SweepRules) -> list[Redeliver | ReportStuck]:
    """What is due for this referral now; nothing once it is acknowledged."""
    if record.acknowledged_at is not None or record.issued_at is None:
        return []
    due: list[Redeliver | ReportStuck] = []
    if (record.stuck_since is None and now - record.issued_at >= rules.stuck_after):
        due.append(ReportStuck(redeliveries=record.redeliveries))
    last = record.last_delivered_at or record.issued_at
    if (record.referral is not None and record.redeliveries < rules.max_redeliveries
            and now - last >= rules.redeliver_after):
        due.append(Redeliver(redelivery=record.redeliveries + 1))
    return due
