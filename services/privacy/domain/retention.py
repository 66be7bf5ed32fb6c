"""Retention: which personal data has outlived its period under the processing register.

Pure. A signal's data (its key ``signal:<id>``) expires when the period for its outcome has
passed since the outcome was decided (or since registration while undecided). A person's key
(``person:<pseudonym>``) expires only when every signal that names the person has expired:
erasing it earlier would destroy data another, still lawful, signal needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

UNDECIDED = "undecided"
_DURATION = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<d>\d+)D)?$")


def add_duration(start: datetime, iso: str) -> datetime:
    """start + an ISO 8601 period of years, months and days (calendar arithmetic)."""
    m = _DURATION.match(iso)
    if not m or iso == "P":
        raise ValueError(f"unsupported retention period {iso!r} (use PnYnMnD)")
    years, months, days = int(m["y"] or 0), int(m["m"] or 0), int(m["d"] or 0)
    month_index = start.month - 1 + months
    year = start.year + years + month_index // 12
    month = month_index % 12 + 1
    day = start.day
    while True:  # 31 January + 1 month = the last day of February
        try:
            moved = start.replace(year=year, month=month, day=day)
            break
        except ValueError:
            day -= 1
    return moved + timedelta(days=days)


@dataclass(frozen=True)
class RetentionPolicy:
    activity_id: str
    periods: dict[str, str]

    def period_for(self, outcome: str) -> str:
        return self.periods.get(outcome, self.periods["default"])

    def rule_name(self, outcome: str) -> str:
        return f"{self.activity_id}#{outcome if outcome in self.periods else 'default'}"


@dataclass
class SignalFacts:
    signal_id: str
    registration_number: str
    registered_at: datetime
    subject_keys: tuple[str, ...]
    outcome: str = UNDECIDED
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Expiry:
    key_id: str
    signal_id: str
    registration_number: str
    data_categories: tuple[str, ...]
    rule: str
    expired_on: datetime


@dataclass
class RetentionPlan:
    expiries: list[Expiry] = field(default_factory=list)
    kept: int = 0


def plan(signals: list[SignalFacts], policy: RetentionPolicy, now: datetime, already_erased: set[str]) -> RetentionPlan:
    result = RetentionPlan()
    expired_signals: set[str] = set()
    by_person: dict[str, list[SignalFacts]] = {}
    for s in signals:
        for key in s.subject_keys:
            if key.startswith("person:"):
                by_person.setdefault(key, []).append(s)
        since = s.decided_at or s.registered_at
        ends = add_duration(since, policy.period_for(s.outcome))
        if ends <= now:
            expired_signals.add(s.signal_id)
            key_id = f"signal:{s.signal_id}"
            if key_id not in already_erased:
                result.expiries.append(Expiry(key_id, s.signal_id, s.registration_number,
                                              ("signal.description", "signal.reporter"), policy.rule_name(s.outcome), ends))
        else:
            result.kept += 1
    for person, named_in in sorted(by_person.items()):
        if person not in already_erased and all(s.signal_id in expired_signals for s in named_in):
            last = max(named_in, key=lambda s: s.decided_at or s.registered_at)
            result.expiries.append(Expiry(person, last.signal_id, last.registration_number, ("subject.person",),
                                          policy.rule_name(last.outcome), now))
    return result
