"""The CloudEvents binary-mode envelope: stable type names, round trip, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudevents_kafka import EnvelopeError, EventTypes, encode, event_type, new_traceparent, parse_type
from knooppunt.intake.v1 import events_pb2 as intake_events
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.registration.v1 import events_pb2 as registration_events


def test_type_names_come_from_the_proto_contract() -> None:
    assert event_type(intake_events.SignalReceived) == "nl.knooppunt.intake.signal_received.v1"
    assert event_type(registration_events.SignalRegistered()) == "nl.knooppunt.registration.signal_registered.v1"
    assert parse_type("nl.knooppunt.lio.decision_recorded.v1") == ("lio", "decision_recorded", "v1")


def test_round_trip_carries_every_required_header() -> None:
    when = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)
    headers, value = encode(intake_events.SignalReceived(signal_id="s1"), source="/knooppunt/intake", subject="s1",
                            event_id="e1", time=when)
    names = {k for k, _ in headers}
    assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type", "traceparent"} <= names
    env = EventTypes(intake_events.SignalReceived).decode(headers, value)
    assert (env.id, env.source, env.time, env.data.signal_id) == ("e1", "/knooppunt/intake", when, "s1")


def test_unknown_or_malformed_records_are_refused_with_a_reason() -> None:
    headers, value = encode(lio_events.MeetingScheduled(meeting_id="m"), source="/x", subject="m")
    with pytest.raises(EnvelopeError, match="unknown event type"):
        EventTypes(intake_events.SignalReceived).decode(headers, value)
    with pytest.raises(EnvelopeError, match="missing CloudEvents headers"):
        EventTypes(lio_events.MeetingScheduled).decode([("ce_id", b"1")], value)
    with pytest.raises(EnvelopeError, match="not a valid"):
        EventTypes(lio_events.MeetingScheduled).decode(headers, b"\xff\xff\xff")


def test_traceparent_children_keep_the_trace() -> None:
    parent = new_traceparent()
    child = new_traceparent(parent)
    assert child.split("-")[1] == parent.split("-")[1] and child != parent
    assert len(parent) == 55
