"""The processing register file, the register-derived fields of entries, and the LDV export."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from knooppunt.audit.v1.events_pb2 import (
    ENTRY_KIND_FEEDBACK_REPORTED,
    ENTRY_KIND_SUBJECT_CHECKED,
    EntryKind,
)
from knooppunt.referral.v1 import events_pb2 as referral
from knooppunt.registration.v1.events_pb2 import SubjectChecked
from knooppunt.sharing.v1.sharing_pb2 import Actor
from knooppunt.signal.v1 import signal_pb2
from services.audit.adapters.ldv import ldv_records, load_schema
from services.audit.domain.entries import entry_for
from services.audit.domain.register import ProcessingRegister
from tests.unit.audit.factories import PERSON, acknowledged, decision, envelope, issued, ts

ROOT = Path(__file__).resolve().parents[3]
REGISTER = ProcessingRegister.parse((ROOT / "deploy/policy/processing-register.toml").read_text())


def test_every_entry_kind_has_exactly_one_activity_with_a_default_retention():
    for name, value in EntryKind.items():
        if value == 0:
            continue
        activity = REGISTER.for_kind(value)
        assert activity is not None, name
        assert "default" in activity.retention


def test_a_register_with_an_unversioned_id_or_a_bad_period_is_refused():
    text = (ROOT / "deploy/policy/processing-register.toml").read_text()
    with pytest.raises(ValidationError):
        ProcessingRegister.parse(text.replace('id = "riec-doormelding/v1"', 'id = "riec-doormelding"'))
    with pytest.raises(ValidationError):
        ProcessingRegister.parse(text.replace('hit = "P2Y"', 'hit = "two years"'))


def test_entries_name_activity_retention_and_outcome_from_the_register():
    entry = entry_for(envelope(decision()), REGISTER)
    assert entry.processing_activity_id == "https://knooppunt.example/verwerkingsregister/lio-besluit-verstrekking/v1"
    assert (entry.outcome, entry.retention_period) == ("refer_to_riec", "P5Y")
    assert entry.sharing.retention_rule == "lio-besluit-verstrekking/v1#refer_to_riec"
    assert entry.sharing.legal_basis == "WGS art. 2.3"  # the decision's own basis wins


def feedback(outcome=referral.FEEDBACK_OUTCOME_DECLINED) -> referral.FeedbackReported:
    return referral.FeedbackReported(
        referral_id="ref-1", recipient="politie", signal_id="sig-1", outcome=outcome, reported_at=ts(),
        reported_by=Actor(person_id="x-1", role="partner-adapter", organisation="politie"),
        note="RIEC-zaak 2026-17 bij mevrouw Jansen",
    )


def test_feedback_becomes_an_entry_without_its_free_text_note():
    entry = entry_for(envelope(feedback()), REGISTER)
    assert entry.kind == ENTRY_KIND_FEEDBACK_REPORTED and entry.outcome == "declined"
    assert entry.retention_period == "P2Y" and entry.referral_id == "ref-1"
    assert b"Jansen" not in entry.SerializeToString()


def checked(known: bool, key: str = PERSON, kind=signal_pb2.SUBJECT_KIND_PERSON) -> SubjectChecked:
    return SubjectChecked(check_id="c-1", subject=signal_pb2.SubjectKey(kind=kind, key=key), known=known,
                          signal_count=3, purpose="hit/no-hit RIEC", checked_at=ts(),
                          asked_by=Actor(person_id="p-9", role="riec-analyst", organisation="riec-rotterdam"))


def test_hit_and_no_hit_answers_become_entries():
    hit = entry_for(envelope(checked(True)), REGISTER)
    assert hit.kind == ENTRY_KIND_SUBJECT_CHECKED and hit.outcome == "hit" and hit.retention_period == "P2Y"
    assert [s.key for s in hit.subjects] == [PERSON] and list(hit.sharing.recipients) == ["riec-rotterdam"]
    miss = entry_for(envelope(checked(False, "bag:0363010000758545", signal_pb2.SUBJECT_KIND_ADDRESS)), REGISTER)
    assert miss.outcome == "no_hit" and list(miss.subjects) == []
    assert b"bag:" not in miss.SerializeToString()


def test_ldv_export_gives_one_valid_record_per_data_subject_and_inherits_along_referrals():
    other = "person:" + "cd" * 32
    d = decision()
    d.subjects.add(kind=signal_pb2.SUBJECT_KIND_PERSON, key=other)
    ref = issued()
    ref.referral.subjects.add(kind=signal_pb2.SUBJECT_KIND_PERSON, key=PERSON)
    ack = acknowledged(ref.referral.referral_id)
    entries = [entry_for(envelope(m), REGISTER) for m in (d, ref, ack)]
    for i, e in enumerate(entries):
        e.entry_id = f"e{i}"
    records = list(ldv_records(entries, REGISTER.data_subject_id_type))
    validator = jsonschema.Draft202012Validator(load_schema())
    for r in records:
        validator.validate(r)
    subjects = [r["attributes"]["dpl.core.data_subject_id"] for r in records]
    assert subjects == [PERSON, other, PERSON, PERSON]  # decision x2, referral, ack (inherited)
    assert len({r["span_id"] for r in records}) == 4
    assert records[0]["trace_id"] == "1" * 32 and records[0]["parent_span_id"] == "2" * 16
    assert records[2]["name"] == "riec-doormelding"


def test_the_schema_rejects_a_record_without_a_data_subject_or_with_a_bsn_sized_span():
    validator = jsonschema.Draft202012Validator(load_schema())
    good = next(ldv_records([entry_for(envelope(decision()), REGISTER)], REGISTER.data_subject_id_type))
    bad = {**good, "attributes": {k: v for k, v in good["attributes"].items() if k != "dpl.core.data_subject_id"}}
    assert not validator.is_valid(bad)
    assert not validator.is_valid({**good, "span_id": "123"})
    assert not validator.is_valid({**good, "extra": 1})
