"""Unusual access to personal data, for the privacy officer's periodic review.

Pure. Flags three patterns in the read log: many reads by one reader on one day; reads outside
working hours (local time, weekends included); and reads of a signal that has no link to the
reader — for a partner, a signal never referred to that partner; for a staff member (a personal
identity ``staff:<personnel number>``, ADR 0012), a signal that was on the agenda of no meeting
they attended and that they never decided on. A flag is a question for a person to ask, not a
verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from grpc_security import personnel_number


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


@dataclass(frozen=True)
class Links:
    """What ties a reader to a signal."""

    # signal id -> organisations it was referred to (partners)
    referred_to: Mapping[str, set[str]] = field(default_factory=dict)
    # (organisation, personnel number) -> signals the person dealt with in the LIO (staff)
    dealt_with: Mapping[tuple[str, str], set[str]] = field(default_factory=dict)


def _no_link(r: Read, signal_id: str, links: Links) -> str | None:
    """Why the read of ``signal_id`` has no link to the reader; None when it has one (or the rule does not apply)."""
    if r.reader.startswith("partner:"):
        if r.organisation not in links.referred_to.get(signal_id, set()):
            return f"read signal {signal_id} that was never referred to {r.organisation}"
    elif (number := personnel_number(r.reader)) is not None:
        if signal_id not in links.dealt_with.get((r.organisation, number), set()):
            return (f"read signal {signal_id} without a link: it was on the agenda of no meeting they attended "
                    "and they made no decision on it")
    return None


def review(reads: list[Read], links: Links, rules: ReviewRules) -> list[Finding]:
    tz = ZoneInfo(rules.timezone)
    findings: list[Finding] = []
    per_day = Counter((r.reader, r.at.astimezone(tz).date()) for r in reads)
    for (reader, day), count in sorted(per_day.items()):
        if count > rules.max_reads_per_day:
            findings.append(Finding("many-reads", reader, f"{count} reads on {day} (threshold {rules.max_reads_per_day})"))
    unlinked: set[tuple[str, str]] = set()
    for r in reads:
        local = r.at.astimezone(tz)
        if local.weekday() >= 5 or not rules.start_hour <= local.hour < rules.end_hour:
            findings.append(Finding("outside-hours", r.reader, f"{r.method.rsplit('/', 1)[-1]} at {local:%Y-%m-%d %H:%M} ({r.purpose})"))
        for oid in r.object_ids:
            name, _, signal_id = oid.partition("=")
            if name != "signal_id" or (r.reader, signal_id) in unlinked:
                continue  # one finding per reader and signal, however often it was read
            if (why := _no_link(r, signal_id, links)) is not None:
                unlinked.add((r.reader, signal_id))
                findings.append(Finding("no-link", r.reader, why))
    return findings
