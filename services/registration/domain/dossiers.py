"""Dossiers: signals linked by the subjects they share, with the reason for every link.

A signal joins the dossier of every earlier signal that shares a subject key with it (BAG id,
postcode + number, KvK number, person pseudonym, plate, vessel). Linking is transitive: a
company and the addresses it owns end up in one dossier as soon as one signal names both.
When a signal links several dossiers they are merged into the oldest, and the signal's filing
records which were merged.

Several registration instances decide at the same time (ADR 0011), so two of them may each open
a dossier for a subject the other has not seen yet. The fold therefore also links by subject
key itself: two dossiers that hold the same key are one, whichever was folded first. The
dossier that keeps its id is the one with the lowest registration number order; the decision
recorded in each filing (reasons, merges) is never rewritten.

`decide_filing` is the decision, taken once when a signal is registered and recorded in its
SignalRegistered event. `Dossiers.apply` folds recorded filings; it is commutative (union-find
that always keeps the oldest dossier id as root, union by shared key, "latest signal per key"
by registration number order), so a rebuild that reads the partitions in another order, and
every instance, reaches the same state.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LinkReason(BaseModel):
    """This signal shares `subject_key` with the earlier signal `linked_signal_id`."""

    model_config = ConfigDict(frozen=True)
    subject_kind: int
    subject_key: str
    linked_signal_id: str
    linked_registration_number: str


class Filing(BaseModel):
    model_config = ConfigDict(frozen=True)
    dossier_id: str
    opened: bool
    reasons: tuple[LinkReason, ...] = ()
    merged_dossier_ids: tuple[str, ...] = ()


def dossier_id_for(registration_number: str) -> str:
    return f"D-{registration_number}"


NumberOrder = tuple[int, int, int, int]


def number_order(registration_number: str) -> NumberOrder:
    """A total order over registration numbers: (year, format, sequence, segment).

    ``YYYY-NNNNNN`` (one sequence per year, before numbering was segmented) sorts before
    ``YYYY-S-NNNNNN`` (segment S) of the same year; segmented numbers sort by sequence, then
    segment: across segments that approximates registration order, within one it is exact.
    Raises ValueError for anything else.
    """
    parts = registration_number.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), 0, int(parts[1]), 0
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return int(parts[0]), 1, int(parts[2]), int(parts[1])
    raise ValueError(f"not a registration number: {registration_number!r}")


def _dossier_order(dossier_id: str) -> NumberOrder:
    return number_order(dossier_id.removeprefix("D-"))


class Dossiers:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        # subject key -> (registration number order, number, signal id) of the latest signal with it
        self._latest: dict[str, tuple[NumberOrder, str, str]] = {}
        self._dossier_of_signal: dict[str, str] = {}

    def root(self, dossier_id: str) -> str:
        path = []
        while (parent := self._parent.get(dossier_id, dossier_id)) != dossier_id:
            path.append(dossier_id)
            dossier_id = parent
        for d in path:
            self._parent[d] = dossier_id
        return dossier_id

    def __contains__(self, dossier_id: str) -> bool:
        return dossier_id in self._parent

    def dossier_of(self, signal_id: str) -> str | None:
        d = self._dossier_of_signal.get(signal_id)
        return None if d is None else self.root(d)

    def merged_into(self, root: str) -> list[str]:
        return sorted((d for d in self._parent if d != root and self.root(d) == root), key=_dossier_order)

    def members(self, root: str) -> list[str]:
        return [s for s, d in self._dossier_of_signal.items() if self.root(d) == root]

    def roots(self) -> set[str]:
        return {self.root(d) for d in self._parent}

    def _union(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        keep, drop = sorted((ra, rb), key=_dossier_order)
        self._parent[drop] = keep

    def apply(self, signal_id: str, registration_number: str, keys: list[tuple[int, str]], filing: Filing) -> None:
        self._parent.setdefault(filing.dossier_id, filing.dossier_id)
        self._dossier_of_signal[signal_id] = filing.dossier_id
        for merged in filing.merged_dossier_ids:
            self._parent.setdefault(merged, merged)
            self._union(filing.dossier_id, merged)
        order = number_order(registration_number)
        for _, key in keys:
            current = self._latest.get(key)
            if current is None:
                self._latest[key] = (order, registration_number, signal_id)
                continue
            # Linked by the key itself, so concurrent decisions converge (see the module docstring).
            self._union(filing.dossier_id, self._dossier_of_signal[current[2]])
            if current[0] < order:
                self._latest[key] = (order, registration_number, signal_id)

    def decide_filing(self, registration_number: str, keys: list[tuple[int, str]]) -> Filing:
        reasons = []
        linked_roots: set[str] = set()
        for kind, key in keys:
            latest = self._latest.get(key)
            if latest is None:
                continue
            _, number, signal_id = latest
            reasons.append(LinkReason(subject_kind=kind, subject_key=key, linked_signal_id=signal_id,
                                      linked_registration_number=number))
            linked_roots.add(self.root(self._dossier_of_signal[signal_id]))
        if not linked_roots:
            return Filing(dossier_id=dossier_id_for(registration_number), opened=True)
        keep, *merged = sorted(linked_roots, key=_dossier_order)
        return Filing(dossier_id=keep, opened=False, reasons=tuple(reasons), merged_dossier_ids=tuple(merged))
