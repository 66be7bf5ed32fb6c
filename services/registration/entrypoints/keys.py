"""Faust agents: follow the key store (erasures take effect at once) and privacy.erasures
(erased persons are no longer known to hit/no-hit)."""

from __future__ import annotations

import asyncio

import faust

from cloudevents_kafka import EventTypes
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from prototime import from_timestamp
from servicehost.agents import consume
from services.registration.domain.register import Register
from topic_catalog import PRIVACY_ERASURES, SUBJECT_KEYS

ERASURE_TYPES = EventTypes(privacy_events.DataErased)


def register_key_agents(app: faust.App, register: Register, keys: KafkaKeyStore, ready: asyncio.Event) -> None:
    key_topic = app.topic(SUBJECT_KEYS.name, key_serializer="raw", value_serializer="raw")
    erasures = app.topic(PRIVACY_ERASURES.name, key_serializer="raw", value_serializer="raw")

    @app.agent(key_topic, name="registration-keys")
    async def follow_keys(stream):  # noqa: ANN001
        await ready.wait()
        async for event in stream.events():
            keys.apply(event.message.key.decode(), event.message.value)

    async def forget(envelope) -> None:  # noqa: ANN001
        if envelope.data.key_id.startswith("person:"):
            register.forget_subject(envelope.data.key_id, from_timestamp(envelope.data.erased_at))

    @app.agent(erasures, name="registration-erasures")
    async def follow_erasures(stream):  # noqa: ANN001
        await consume(stream, ERASURE_TYPES, forget, ready=ready, topic=PRIVACY_ERASURES.name)
