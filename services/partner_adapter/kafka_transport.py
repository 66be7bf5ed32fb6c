"""Receiving referrals from Kafka: the partner's own topic, committing only after acknowledging."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

import structlog

from cloudevents_kafka import EnvelopeError, EventTypes
from knooppunt.referral.v1 import events_pb2
from topic_catalog import referral_topic_name

log = structlog.get_logger("partner_adapter")
REFERRALS = EventTypes(events_pb2.Referral)


async def receive_from_kafka(adapter, bootstrap_servers: str, group_id: str) -> None:  # noqa: ANN001
    consumer = AIOKafkaConsumer(
        referral_topic_name(adapter.partner),
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,  # we commit ourselves, after acknowledging
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while not adapter.stop.is_set():
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    try:
                        referral = REFERRALS.decode(record.headers, record.value).data
                    except EnvelopeError as exc:
                        log.error("unreadable_referral_skipped", offset=record.offset, error=str(exc))
                    else:
                        if not await adapter.receive(referral):
                            return  # stopping: the uncommitted referral is read again next time
                    await consumer.commit({tp: record.offset + 1})
    finally:
        await consumer.stop()
