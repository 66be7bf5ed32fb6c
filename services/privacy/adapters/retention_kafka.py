"""Retention on Kafka: gather the facts from the topics, and carry out an erasure safely.

Crash-safe and idempotent: for each expired key, the DataErased event is published first (if it
is not on privacy.erasures yet) and the key is destroyed second (if it still exists). A run
that stops in between is completed by the next run; nothing is erased without an audit entry,
and nothing logged as erased keeps its key.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from knooppunt.registration.v1 import events_pb2 as registration_events
from knooppunt.sharing.v1 import sharing_pb2
from prototime import from_timestamp, to_timestamp
from services.privacy.domain.retention import SignalFacts
from topic_catalog import LIO_DECISIONS, PRIVACY_ERASURES, SIGNALS_REGISTERED

_NAMESPACE = uuid.UUID("5d0c3f8e-91a4-4b6f-8e2d-3c7a9b1e6f42")


async def gather_facts(bootstrap: str) -> tuple[list[SignalFacts], set[str]]:
    """The signals with their latest outcome, and the key ids already logged as erased."""
    facts: dict[str, SignalFacts] = {}
    async for env in replay(bootstrap, [SIGNALS_REGISTERED.name], EventTypes(registration_events.SignalRegistered)):
        e = env.data
        facts.setdefault(e.signal_id, SignalFacts(e.signal_id, e.registration_number, from_timestamp(e.registered_at),
                                                  tuple(s.key for s in e.subjects)))
    async for env in replay(bootstrap, [LIO_DECISIONS.name], EventTypes(lio_events.DecisionRecorded)):
        e = env.data
        if (s := facts.get(e.signal_id)) is not None:
            decided = from_timestamp(e.decided_at)
            if s.decided_at is None or decided >= s.decided_at:
                s.outcome, s.decided_at = e.WhichOneof("outcome") or s.outcome, decided
    logged: set[str] = set()
    async for env in replay(bootstrap, [PRIVACY_ERASURES.name], EventTypes(privacy_events.DataErased)):
        logged.add(env.data.key_id)
    return list(facts.values()), logged


class Eraser:
    def __init__(self, publisher: EventPublisher, keys: KafkaKeyStore, actor: sharing_pb2.Actor) -> None:
        self._publisher = publisher
        self._keys = keys
        self._actor = actor

    async def erase(self, expiry, logged: set[str], now: datetime, reason: str) -> str:  # noqa: ANN001
        """Carry out one expiry; returns what happened ('erased', 'completed', 'no key')."""
        had_key = self._keys.has_key(expiry.key_id)
        if expiry.key_id not in logged:
            if not had_key and not expiry.key_id.startswith("person:"):
                # A signal key never sealed anything (or was erased outside this job without a
                # trace): nothing to destroy and no fact to report. The operator must look at it.
                return "no key"
            # A person is erased even without a key of their own: the erasure makes them
            # unknown to hit/no-hit, and that is a fact the audit log must hold.
            event = privacy_events.DataErased(
                # A signal key is erased once; a person can be erased again later (new signals about
                # them since), so a person's erasure id includes its time.
                erasure_id=str(uuid.uuid5(_NAMESPACE, expiry.key_id if not expiry.key_id.startswith("person:")
                                          else f"{expiry.key_id}@{now.isoformat()}")),
                key_id=expiry.key_id,
                data_categories=list(expiry.data_categories), signal_id=expiry.signal_id,
                registration_number=expiry.registration_number, retention_rule=expiry.rule, reason=reason,
                erased_by=self._actor, erased_at=to_timestamp(now),
            )
            await self._publisher.publish(PRIVACY_ERASURES.name, key=expiry.key_id, message=event, event_id=event.erasure_id)
        if had_key:
            await self._keys.erase(expiry.key_id)
            return "erased"
        return "completed"
