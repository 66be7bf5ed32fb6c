"""Unusual access to personal data, for the privacy officer's periodic review.

Pure. Flags three patterns in the read log: many reads by one reader on one day; reads outside
working hours (local time, weekends included); and reads of a signal that has no link to the
reader — for a partner, a signal never referred to that partner. A flag is a question for a
person to ask, not a verdict.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Read:
    reader: str
    organisation: str
    method: str
    purpose: str
    object_ids: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class Finding:
    kind: str
    reader: str
    detail: str


@dataclass(frozen=True)
class ReviewRules:
    max_reads_per_day: int = 50
    start_hour: int = 7
    end_hour: int = 19
    timezone: str = "Europe/Amsterdam"


def review(reads: list[Read], referred_to: dict[str, set[str]], rules: ReviewRules) -> list[Finding]:
    """``referred_to`` maps a signal id to the organisations it was referred to."""
    tz = ZoneInfo(rules.timezone)
    findings: list[Finding] = []
    per_day = Counter((r.reader, r.at.astimezone(tz).date()) for r in reads)
    for (reader, day), count in sorted(per_day.items()):
        if count > rules.max_reads_per_day:
            findings.append(Finding("many-reads", reader, f"{count} reads on {day} (threshold {rules.max_reads_per_day})"))
    for r in reads:
        local = r.at.astimezone(tz)
        if local.weekday() >= 5 or not rules.start_hour <= local.hour < rules.end_hour:
            findings.append(Finding("outside-hours", r.reader, f"{r.method.rsplit('/', 1)[-1]} at {local:%Y-%m-%d %H:%M} ({r.purpose})"))
        if r.reader.startswith("partner:"):
            for oid in r.object_ids:
                name, _, value = oid.partition("=")
                if name == "signal_id" and r.organisation not in referred_to.get(value, set()):
                    findings.append(Finding("no-link", r.reader, f"read signal {value} that was never referred to {r.organisation}"))
    return findings
