"""Which events become audit entries, and that entries carry no free text or direct identifiers."""

from __future__ import annotations

from knooppunt.audit.v1.events_pb2 import (
    ENTRY_KIND_LIO_DECISION,
    ENTRY_KIND_REFERRAL_ACKNOWLEDGED,
    ENTRY_KIND_REFERRAL_ISSUED,
)
from knooppunt.lio.v1 import events_pb2 as lio
from services.audit.domain.entries import entry_for, entry_id_for
from tests.unit.audit.factories import PERSON, acknowledged, decision, envelope, issued


def test_a_sharing_decision_gives_an_lio_decision_entry():
    env = envelope(decision())
    entry = entry_for(env)
    assert entry.kind == ENTRY_KIND_LIO_DECISION
    assert entry.actor.organisation == "gemeente-maassluis" and entry.actor.role == "lio-chair"
    assert (entry.meeting_id, entry.signal_id, entry.registration_number) == ("meet-1", "sig-1", "2026-000001")
    assert list(entry.sharing.recipients) == ["riec-rotterdam", "politie"]
    assert entry.summary == "LIO decision: refer to RIEC (recipients: riec-rotterdam, politie)"
    assert entry.decided_at == env.data.decided_at
    assert (entry.source_event_id, entry.source_event_type) == (env.id, "nl.knooppunt.lio.decision_recorded.v1")
    assert entry.traceparent == env.traceparent
    assert entry.entry_id == entry_id_for(env.id)


def test_a_decision_without_sharing_gives_no_entry():
    assert entry_for(envelope(decision(sharing=False))) is None


def test_entries_keep_only_person_pseudonyms_and_no_free_text():
    entry = entry_for(envelope(decision()))
    assert [s.key for s in entry.subjects] == [PERSON]
    stored = entry.SerializeToString()
    for forbidden in (b"vrije tekst", b"concrete aanwijzingen", b"plate:", b"bag:"):
        assert forbidden not in stored


def test_a_person_key_that_is_not_a_pseudonym_is_left_out():
    d = decision()
    d.subjects[0].key = "person:123456782"  # a BSN that slipped through upstream
    assert list(entry_for(envelope(d)).subjects) == []


def test_a_referral_issued_records_what_that_recipient_actually_received():
    event = issued(recipient="politie")
    entry = entry_for(envelope(event))
    assert entry.kind == ENTRY_KIND_REFERRAL_ISSUED
    assert entry.referral_id == event.referral.referral_id
    assert list(entry.sharing.recipients) == ["politie"]
    assert list(entry.sharing.data_categories) == ["signal.themes"]
    assert entry.sharing.legal_basis == "Convenant RIEC art. 6"
    assert entry.summary == "Referral issued to politie (categories: signal.themes)"


def test_a_referral_acknowledged_gives_an_entry_for_that_recipient():
    entry = entry_for(envelope(acknowledged("ref-9", "riec-rotterdam")))
    assert entry.kind == ENTRY_KIND_REFERRAL_ACKNOWLEDGED
    assert (entry.referral_id, list(entry.sharing.recipients)) == ("ref-9", ["riec-rotterdam"])
    assert entry.actor.organisation == "riec-rotterdam"


def test_other_events_are_ignored():
    assert entry_for(envelope(lio.MeetingScheduled(meeting_id="m"))) is None
