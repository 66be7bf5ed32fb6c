"""The central register as a fold over events.

`decide_registration` says what registering a received signal produces (or nothing, when the
signal is already registered: duplicates are harmless by design). `Register.apply_*` folds
events into state and is idempotent, so replaying a topic twice gives the same register.

Numbers are `YYYY-S-NNNNNN`: one contiguous sequence per year and segment, the segment being
the partition of `signals.received` the signal is in (ADR 0011). Exactly one instance at a time
processes a partition, so exactly one decides each segment's next number; older registrations
keep their `YYYY-NNNNNN` numbers."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.registration.domain.dossiers import Dossiers, Filing, dossier_id_for, number_order

AWAITING = "awaiting_deliberation"
PARKED = "parked"
LOCAL_APPROACH = "local_approach"
REFERRED = "referred"
CLOSED = "closed"


class Subject(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: int
    key: str


class ReceivedSignal(BaseModel):
    model_config = ConfigDict(frozen=True)
    event_id: str
    signal_id: str
    channel: int
    source: str
    received_at: datetime
    themes: tuple[int, ...]
    subjects: tuple[Subject, ...]
    description: str
    observed_at: datetime | None = None
    # Sealed under the signal's own key (crypto-shredding); the description is then empty.
    sealed_description: bytes = b""
    # The numbering segment: the signals.received partition the signal is in.
    segment: int = 0


class Registration(BaseModel):
    """The fact that a signal is in the register (the SignalRegistered event)."""

    model_config = ConfigDict(frozen=True)
    signal_id: str
    registration_number: str
    registered_at: datetime
    received_at: datetime
    channel: int
    source: str
    themes: tuple[int, ...]
    subjects: tuple[Subject, ...]
    description: str
    received_event_id: str
    # The linking decision; absent only in registrations made before dossiers existed.
    dossier: Filing | None = None
    observed_at: datetime | None = None
    sealed_description: bytes = b""

    def filing(self) -> Filing:
        return self.dossier or Filing(dossier_id=dossier_id_for(self.registration_number), opened=True)


@dataclass
class Entry:
    registration: Registration
    status: str = AWAITING


@dataclass
class SubjectStats:
    first_seen: datetime
    signal_ids: set[str] = field(default_factory=set)


class Register:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        # (year, segment) -> last sequence number; segment -1 for the pre-segment numbers.
        self._last_number: dict[tuple[int, int], int] = {}
        # Registrations read back from signals.registered (the rest were decided here and are
        # not confirmed yet), and statuses decided for signals not folded yet.
        self.confirmed: set[str] = set()
        self._pending_status: dict[str, str] = {}
        self.subjects: dict[str, SubjectStats] = {}
        # Person keys erased (crypto-shredding) and when: hit/no-hit answers "not known" for
        # everything registered before the erasure.
        self.erased_subjects: dict[str, datetime] = {}
        self.dossiers = Dossiers()
        # Sorted by registration number, whatever order the events were folded in (a rebuild
        # reads six partitions in an order of its own): ((year, seq), signal_id).
        self.order: list[tuple[tuple[int, int], str]] = []

    def __contains__(self, signal_id: str) -> bool:
        return signal_id in self.entries

    def next_number(self, year: int, segment: int = 0) -> str:
        return f"{year}-{segment}-{self._last_number.get((year, segment), 0) + 1:06d}"

    def apply_registration(self, reg: Registration) -> bool:
        """Fold one SignalRegistered; False when it was already known (a duplicate)."""
        if reg.signal_id in self.entries:
            return False
        self.entries[reg.signal_id] = Entry(reg)
        order = number_order(reg.registration_number)
        bisect.insort(self.order, (order, reg.signal_id))
        year, segmented, seq, segment = order
        counter = (year, segment if segmented else -1)
        self._last_number[counter] = max(self._last_number.get(counter, 0), seq)
        if (status := self._pending_status.pop(reg.signal_id, None)) is not None:
            self.entries[reg.signal_id].status = status
        self.dossiers.apply(reg.signal_id, reg.registration_number, [(s.kind, s.key) for s in reg.subjects], reg.filing())
        for s in reg.subjects:
            if (erased := self.erased_subjects.get(s.key)) is not None and reg.registered_at <= erased:
                continue
            stats = self.subjects.setdefault(s.key, SubjectStats(first_seen=reg.registered_at))
            stats.first_seen = min(stats.first_seen, reg.registered_at)
            stats.signal_ids.add(reg.signal_id)
        return True

    def apply_logged(self, reg: Registration) -> bool:
        """Fold a registration read back from signals.registered, where the first one per
        signal counts. False when it contradicts what this instance decided and folded itself
        (another instance decided the same signal while this one still thought it owned the
        partition): the caller must then fold the log again from offset 0."""
        if reg.signal_id in self.confirmed:
            return True  # a later copy in the log: the first one stands
        self.confirmed.add(reg.signal_id)
        entry = self.entries.get(reg.signal_id)
        if entry is None:
            self.apply_registration(reg)
            return True
        return entry.registration == reg

    def reset(self) -> None:
        """Empty the register (before a rebuild from the topics)."""
        self.__init__()

    def forget_subject(self, key: str, erased_at: datetime) -> None:
        """A subject's key was erased: it is no longer known (idempotent)."""
        self.erased_subjects[key] = max(erased_at, self.erased_subjects.get(key, erased_at))
        stats = self.subjects.get(key)
        if stats is None:
            return
        # Signals registered after the erasure are new processing; they keep the subject known.
        later = {sid for sid in stats.signal_ids if self.entries[sid].registration.registered_at > erased_at}
        if not later:
            del self.subjects[key]
            return
        stats.signal_ids = later
        stats.first_seen = min(self.entries[sid].registration.registered_at for sid in later)

    def apply_status(self, signal_id: str, status: str) -> None:
        if (entry := self.entries.get(signal_id)) is not None:
            entry.status = status
        else:
            # Followed topics are read side by side: a decision may come before its registration.
            self._pending_status[signal_id] = status


def number_problems(register: Register) -> tuple[dict[tuple[int, int], int], list[str]]:
    """What an auditor checks: per (year, segment) the numbers 1..max, each given once.

    Returns the highest number per (year, segment) (segment -1: the pre-segment `YYYY-NNNNNN`
    sequence) and every gap or number given to two signals, in words."""
    seen: dict[tuple[int, int], dict[int, list[str]]] = {}
    for order, signal_id in register.order:
        year, segmented, seq, segment = order
        seen.setdefault((year, segment if segmented else -1), {}).setdefault(seq, []).append(signal_id)
    highest, problems = {}, []
    for (year, segment), numbers in sorted(seen.items()):
        highest[(year, segment)] = max(numbers)
        label = f"{year}" if segment < 0 else f"{year} segment {segment}"
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            problems.append(f"{label}: {len(missing)} numbers missing, first {missing[:5]}")
        twice = sorted(n for n, ids in numbers.items() if len(ids) > 1)
        if twice:
            problems.append(f"{label}: {len(twice)} numbers given to more than one signal, first {twice[:5]}")
    return highest, problems


def decide_registration(register: Register, received: ReceivedSignal, now: datetime) -> Registration | None:
    """Register a received signal exactly once; None when it is already in the register."""
    if received.signal_id in register:
        return None
    number = register.next_number(now.year, received.segment)
    return Registration(
        signal_id=received.signal_id,
        registration_number=number,
        dossier=register.dossiers.decide_filing(number, [(s.kind, s.key) for s in received.subjects]),
        observed_at=received.observed_at,
        registered_at=now,
        received_at=received.received_at,
        channel=received.channel,
        source=received.source,
        themes=received.themes,
        subjects=received.subjects,
        description=received.description,
        sealed_description=received.sealed_description,
        received_event_id=received.event_id,
    )
