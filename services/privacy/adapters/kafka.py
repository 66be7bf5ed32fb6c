"""Builds a subject-access report by replaying the event topics (read-only, no consumer group)."""

from __future__ import annotations

from cloudevents_kafka import EventTypes
from crypto_shredding import ERASED, FieldCipher, SealError, field_aad, signal_key
from cloudevents_kafka.kafka import replay
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.referral.v1 import events_pb2 as referral_events
from knooppunt.registration.v1 import events_pb2 as registration_events
from knooppunt.signal.v1 import signal_pb2
from prototime import from_timestamp
from services.privacy.domain.subject_access import Provision, SignalRecord, SubjectAccessReport
from topic_catalog import LIO_DECISIONS, REFERRAL_EVENTS, REGISTRATION_DISCLOSURES, SIGNALS_REGISTERED


def _theme(value: int) -> str:
    return signal_pb2.Theme.Name(value).removeprefix("THEME_").lower()


def _description(e, cipher: FieldCipher | None) -> str:  # noqa: ANN001
    if not e.sealed_description:
        return e.description  # registered before descriptions were sealed
    if cipher is None:
        return "[versleuteld: MASTER_KEY nodig]"
    try:
        opened = cipher.open(signal_key(e.signal_id), e.sealed_description, field_aad(e.signal_id, "description"))
    except SealError:
        return "[onleesbaar: beschadigd]"
    return ERASED if opened is None else opened


async def build_report(bootstrap: str, subject_keys: set[str], cipher: FieldCipher | None = None) -> SubjectAccessReport:
    report = SubjectAccessReport(subject_keys)
    async for env in replay(bootstrap, [SIGNALS_REGISTERED.name], EventTypes(registration_events.SignalRegistered)):
        e = env.data
        if report.concerns([s.key for s in e.subjects]):
            report.add_signal(SignalRecord(
                signal_id=e.signal_id, registration_number=e.registration_number,
                registered_at=from_timestamp(e.registered_at), source=e.source,
                themes=[_theme(t) for t in e.themes], description=_description(e, cipher),
            ))
    async for env in replay(bootstrap, [LIO_DECISIONS.name], EventTypes(lio_events.DecisionRecorded)):
        e = env.data
        outcome = e.WhichOneof("outcome") or "onbekend"
        report.add_decision(e.signal_id, f"{from_timestamp(e.decided_at):%Y-%m-%d} {outcome}: {e.reason}")
        if e.signal_id in report.signals and e.HasField("sharing"):
            report.add_provision(Provision(
                when=from_timestamp(e.decided_at), kind=f"besluit {outcome}", recipient=", ".join(e.sharing.recipients),
                purpose=e.sharing.purpose, legal_basis=e.sharing.legal_basis,
                categories=list(e.sharing.data_categories), reference=e.registration_number))
    types = EventTypes(referral_events.ReferralIssued)
    async for env in replay(bootstrap, [REFERRAL_EVENTS.name], types):
        r = env.data.referral
        if r.signal_id in report.signals:
            report.add_provision(Provision(
                when=from_timestamp(r.issued_at), kind="doorgeleiding", recipient=r.recipient, purpose=r.purpose,
                legal_basis=r.legal_basis, categories=list(r.data_categories), reference=r.registration_number))
    async for env in replay(bootstrap, [REGISTRATION_DISCLOSURES.name], EventTypes(registration_events.SubjectChecked)):
        e = env.data
        if e.subject.key in subject_keys:
            report.add_provision(Provision(
                when=from_timestamp(e.checked_at), kind="hit/no-hit", recipient=e.asked_by.organisation,
                purpose=e.purpose, legal_basis="", categories=["bekend ja/nee", "aantal signalen"], reference=e.check_id))
    return report
