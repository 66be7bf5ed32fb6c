"""Keeps the receipt index current with the signals accepted by any intake instance.

A follower of every partition of signals.received (no consumer group): with several intake
instances each one must know every receipt, not a group member's share. It folds the topic
from offset 0 at start-up and then follows it. Signals this instance published itself are
known already and skipped by their key (the signal id) without decoding them.
"""

from __future__ import annotations

import structlog

from cloudevents_kafka import EnvelopeError, header
from cloudevents_kafka.follow import TopicFollower
from cloudevents_kafka.kafka import ReplayedRecord
from services.intake.adapters.kafka import EVENT_TYPES
from services.intake.adapters.proto import receipt_from_event
from services.intake.application.submit import ReceiptIndex
from services.intake.topics import SIGNALS_RECEIVED

log = structlog.get_logger(__name__)


def receipt_follower(bootstrap: str, index: ReceiptIndex) -> TopicFollower:
    def remember(record: ReplayedRecord) -> None:
        if record.key is not None and index.knows(record.key.decode()):
            return
        if header(record.headers, "ce_type") not in EVENT_TYPES:
            return
        try:
            envelope = EVENT_TYPES.decode(record.headers, record.value)
        except EnvelopeError as exc:
            log.error("unreadable_event_skipped", topic=record.topic, partition=record.partition,
                      offset=record.offset, error=str(exc))
            return
        index.remember(receipt_from_event(envelope.data))

    return TopicFollower(bootstrap, [SIGNALS_RECEIVED.name], remember)
