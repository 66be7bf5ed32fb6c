"""Unusual access to personal data, for the privacy officer's periodic review.

Pure. Flags three patterns in the read log: many reads by one reader on one day; reads outside
working hours (local time, weekends included); and reads that have no link to the reader — for a
partner, a signal never referred to that partner; for a staff member (a personal identity
``staff:<personnel number>``, ADR 0012), a signal that was on the agenda of no meeting they
attended and that they never decided on, or a meeting's agenda or minutes when they took no part
in that meeting (not recorded present, not its chair, no item of it added, deferred or decided by
them). A flag is a question for a person to ask, not a verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
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
    # (organisation, personnel number) -> meetings the person took part in (staff)
    took_part_in: Mapping[tuple[str, str], set[str]] = field(default_factory=dict)
    # meeting id -> how many people are recorded present at it; a meeting missing is unknown to the LIO
    meetings: Mapping[str, int] = field(default_factory=dict)


# What a read of a meeting returns, by gRPC method name.
MEETING_PARTS = {"GetAgenda": "agenda", "GetMinutes": "minutes"}


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


def _took_no_part(r: Read, meeting_id: str, links: Links) -> bool:
    """Whether a staff member read a meeting they took no part in (the rule is for staff only)."""
    number = personnel_number(r.reader)
    return number is not None and meeting_id not in links.took_part_in.get((r.organisation, number), set())


def _meeting_finding(reader: str, meeting_id: str, parts: Sequence[str], links: Links) -> Finding:
    """One finding for everything ``reader`` read of a meeting they took no part in, e.g. "the agenda (3x) and minutes"."""
    read = " and ".join(p + (f" ({n}x)" if n > 1 else "") for p, n in Counter(parts).items())
    if meeting_id not in links.meetings:
        return Finding("no-link", reader, f"read the {read} of meeting {meeting_id}, which the LIO has no record of")
    why = (f"read the {read} of meeting {meeting_id} without taking part in it: not recorded present, "
           "not its chair, and no item of it added, deferred or decided by them")
    if not links.meetings[meeting_id]:
        why += "; no attendance is recorded for it yet (someone preparing it is linked once it is)"
    return Finding("no-link", reader, why)


def review(reads: list[Read], links: Links, rules: ReviewRules) -> list[Finding]:
    tz = ZoneInfo(rules.timezone)
    findings: list[Finding] = []
    per_day = Counter((r.reader, r.at.astimezone(tz).date()) for r in reads)
    for (reader, day), count in sorted(per_day.items()):
        if count > rules.max_reads_per_day:
            findings.append(Finding("many-reads", reader, f"{count} reads on {day} (threshold {rules.max_reads_per_day})"))
    unlinked: set[tuple[str, str]] = set()
    # (reader, meeting id) -> what they read of a meeting they took no part in: one finding each
    unlinked_meetings: dict[tuple[str, str], list[str]] = {}
    for r in reads:
        local, method = r.at.astimezone(tz), r.method.rsplit("/", 1)[-1]
        if local.weekday() >= 5 or not rules.start_hour <= local.hour < rules.end_hour:
            findings.append(Finding("outside-hours", r.reader, f"{method} at {local:%Y-%m-%d %H:%M} ({r.purpose})"))
        for oid in r.object_ids:
            name, _, value = oid.partition("=")
            if name == "meeting_id" and _took_no_part(r, value, links):
                unlinked_meetings.setdefault((r.reader, value), []).append(MEETING_PARTS.get(method, method))
            elif name == "signal_id" and (r.reader, value) not in unlinked:  # one finding per reader and signal
                if (why := _no_link(r, value, links)) is not None:
                    unlinked.add((r.reader, value))
                    findings.append(Finding("no-link", r.reader, why))
    findings.extend(_meeting_finding(reader, meeting_id, parts, links) for (reader, meeting_id), parts in unlinked_meetings.items())
    return findings
