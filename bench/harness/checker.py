"""The invariants a fault must not break, checked from the topics themselves.

- every acknowledged signal is registered exactly once (one SignalRegistered event, by its
  CloudEvents id, per signal id; a record repeating that event with the same number is a
  redelivery that consumers dedupe, counted but not a failure);
- no signal of the run is registered twice, acknowledged or not; no registration number of the
  run's signals was issued to any other signal (over the whole topic, every instance);
- order per signal: all its register events in one partition, SignalRegistered first;
- every sharing decision has exactly one LIO_DECISION audit entry; entry ids unique;
- every referral decision has exactly one REFERRAL_ISSUED audit entry per recipient (no referral
  issued twice, none lost), however many referral instances share the work;
- `python -m services.audit.cli verify` passes.

They hold with any number of instances per service: nothing here knows which one did the work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cloudevents_kafka import header
from cloudevents_kafka.kafka import replay_raw
from knooppunt.audit.v1.events_pb2 import ENTRY_KIND_LIO_DECISION, ENTRY_KIND_REFERRAL_ISSUED, AuditEntry
from knooppunt.registration.v1.events_pb2 import SignalRegistered

from .lio_driver import REFERRAL, REFERRAL_RECIPIENTS

ROOT = Path(__file__).resolve().parents[2]
REGISTERED_TYPE = "nl.knooppunt.registration.signal_registered.v1"


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


async def registrations(bootstrap: str) -> tuple[dict[str, list[tuple[int, int, str]]], dict[str, list[str]],
                                                dict[str, dict[str, set[str]]]]:
    """Over signals.registered: signal id -> [(partition, offset, ce_type)]; number -> signal ids;
    signal id -> {event id of a SignalRegistered -> the registration numbers it carried}."""
    events: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    numbers: dict[str, list[str]] = defaultdict(list)
    registered: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    async for r in replay_raw(bootstrap, ["signals.registered"]):
        ce_type = header(r.headers, "ce_type") or ""
        sid = (r.key or b"").decode()
        if ce_type == REGISTERED_TYPE:
            msg = SignalRegistered.FromString(r.value)
            sid = msg.signal_id
            numbers[msg.registration_number].append(sid)
            registered[sid][header(r.headers, "ce_id") or f"{r.partition}:{r.offset}"].add(msg.registration_number)
        events[sid].append((r.partition, r.offset, ce_type))
    return events, numbers, registered


async def check(bootstrap: str, acked: dict[int, str], all_ids: set[str], decided: dict[str, str],
                recipients: int = len(REFERRAL_RECIPIENTS)) -> Verdict:
    """``decided``: signal id -> decision kind (``local`` or ``referral``, see lio_driver).

    A registration is a SignalRegistered *event* (its CloudEvents id): a second record with the
    same id and the same number is that event delivered again (consumers dedupe by id), counted
    under ``redelivered``; a second id, or one id with two numbers, is a second registration.
    """
    v = Verdict()
    events, numbers, by_event = await registrations(bootstrap)
    registered = {sid: len(ids) for sid, ids in by_event.items()}
    records = {sid: sum(1 for e in evs if e[2] == REGISTERED_TYPE) for sid, evs in events.items()}
    missing = [s for s in acked.values() if registered.get(s, 0) == 0]
    twice = [s for s in all_ids if registered.get(s, 0) > 1]
    altered = [s for s in all_ids & by_event.keys() if any(len(n) > 1 for n in by_event[s].values())]
    redelivered = sum(records[s] - registered[s] for s in all_ids & by_event.keys())
    if missing:
        v.problems.append(f"{len(missing)} acknowledged signals never registered, e.g. {missing[:3]}")
    if twice:
        v.problems.append(f"{len(twice)} signals registered more than once (distinct events), e.g. {twice[:3]}")
    if altered:
        v.problems.append(f"{len(altered)} signals whose registration event recurs with another number, e.g. {altered[:3]}")
    dup_numbers = sorted(n for n, sids in numbers.items() if len(set(sids)) > 1 and not all_ids.isdisjoint(sids))
    if dup_numbers:
        v.problems.append(f"{len(dup_numbers)} registration numbers of this run issued to more than one signal, "
                          f"e.g. {dup_numbers[:3]}")
    disorder = []
    for sid in all_ids & events.keys():
        evs = events[sid]
        if len({p for p, _, _ in evs}) > 1 or evs[0][2] != REGISTERED_TYPE:
            disorder.append(sid)
    if disorder:
        v.problems.append(f"{len(disorder)} signals with events out of order or over partitions, e.g. {disorder[:3]}")

    entries = [AuditEntry.FromString(value) async for value in _values(bootstrap, "audit.log")]
    per_signal = Counter(e.signal_id for e in entries if e.kind == ENTRY_KIND_LIO_DECISION)
    wrong = {sid: per_signal.get(sid, 0) for sid in decided if per_signal.get(sid, 0) != 1}
    if wrong:
        v.problems.append(f"{len(wrong)} sharing decisions without exactly one audit entry, e.g. {list(wrong.items())[:3]}")
    issued: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        if e.kind == ENTRY_KIND_REFERRAL_ISSUED:
            issued[e.signal_id].append(e.referral_id)
    referred = [sid for sid, kind in decided.items() if kind == REFERRAL]
    off = {sid: issued.get(sid, []) for sid in referred
           if len(issued.get(sid, [])) != recipients or len(set(issued.get(sid, []))) != recipients}
    if off:
        v.problems.append(f"{len(off)} referral decisions without exactly one issued referral per recipient "
                          f"({recipients}), e.g. {list(off.items())[:2]}")
    dup_entries = [i for i, c in Counter(e.entry_id for e in entries).items() if c > 1]
    if dup_entries:
        v.problems.append(f"{len(dup_entries)} audit entry ids twice, e.g. {dup_entries[:3]}")

    verify = subprocess.run([sys.executable, "-m", "services.audit.cli", "verify", "--bootstrap-servers", bootstrap],
                            cwd=ROOT, capture_output=True, text=True, env={**os.environ})
    if verify.returncode != 0:
        v.problems.append(f"audit verify failed: {verify.stdout.strip()} {verify.stderr.strip()[-500:]}")
    v.figures = {"acknowledged": len(acked), "registered_of_run": sum(1 for s in all_ids if registered.get(s)),
                 "redelivered_registrations": redelivered,
                 "decisions": len(decided), "referral_decisions": len(referred),
                 "referrals_issued": sum(len(issued.get(sid, [])) for sid in referred), "audit_entries": len(entries)}
    return v


async def _values(bootstrap: str, topic: str):  # noqa: ANN202
    async for r in replay_raw(bootstrap, [topic]):
        if r.value is not None:
            yield r.value
