"""The read log: every read of personal data over gRPC becomes a PersonalDataRead event on
privacy.reads, published (acks=all) before the data is returned. The audit log records each,
and the unusual-access report reads them.

The reader is the certificate identity. People have personal ones (``staff:<personnel number>``,
ADR 0012), so a staff read names the person, acting for the deployment's organisation; a
partner's system reads for its own organisation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.privacy.v1 import events_pb2
from knooppunt.sharing.v1 import sharing_pb2
from prototime import to_timestamp
from topic_catalog import PRIVACY_READS


class ReadLog:
    def __init__(self, publisher: EventPublisher, organisation: str) -> None:
        self._publisher = publisher
        self._organisation = organisation

    def _organisation_of(self, identity: str) -> str:
        kind, _, name = identity.partition(":")
        return name if kind == "partner" else self._organisation

    async def __call__(self, identity: str, roles: tuple[str, ...], method: str, purpose: str, ids: list[str]) -> None:
        event = events_pb2.PersonalDataRead(
            read_id=str(uuid.uuid4()),
            reader=sharing_pb2.Actor(person_id=identity, role=",".join(roles), organisation=self._organisation_of(identity)),
            method=method, purpose=purpose, object_ids=ids, read_at=to_timestamp(datetime.now(UTC)),
        )
        await self._publisher.publish(PRIVACY_READS.name, key=identity, message=event, event_id=event.read_id)
