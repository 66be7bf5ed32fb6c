"""Wires intake together. Nothing here runs at import time."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import structlog

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.intake.v1 import intake_pb2
from servicehost import GrpcHost
from services.intake.adapters.kafka import KafkaSignalLog
from services.intake.adapters.edge_rules import EdgeRules
from services.intake.adapters.proto import CHANNELS, THEMES
from services.intake.adapters.sources_file import FileSourceDirectory
from services.intake.application.submit import ReceiptIndex, SubmitSignal
from services.intake.entrypoints.grpc_api import IntakeServicer, add_to_server
from services.intake.entrypoints.stream import receipt_follower
from crypto_shredding.kafka_store import KafkaKeyStore
from services.intake.adapters.sealing import SignalSealer
from services.intake.settings import IntakeSettings
from topic_catalog import SUBJECT_KEYS

log = structlog.get_logger(__name__)


def build(settings: IntakeSettings):  # noqa: ANN201
    index = ReceiptIndex()
    publisher = EventPublisher(settings.kafka_bootstrap_servers, source="/knooppunt/intake")
    keys = KafkaKeyStore(settings.kafka_bootstrap_servers, SUBJECT_KEYS.name,
                         bytes.fromhex(settings.master_key.get_secret_value()))
    submit = SubmitSignal(
        index,
        KafkaSignalLog(publisher, sealer=SignalSealer(keys)),
        sources=FileSourceDirectory.load(settings.sources_file),
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
        valid_channels=CHANNELS,
        valid_themes=THEMES,
        clock=lambda: datetime.now(UTC),
    )

    def register(server: grpc.aio.Server) -> list[str]:
        add_to_server(IntakeServicer(submit, EdgeRules()), server)
        return [intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name]

    follower = receipt_follower(settings.kafka_bootstrap_servers, index)

    async def startup() -> None:
        await publisher.start()
        await keys.start()
        count = await follower.start()
        log.info("receipt_index_rebuilt", signals=count)

    host = GrpcHost(settings, register, startup=[startup], shutdown=[follower.stop, publisher.stop, keys.stop])
    # No Faust app: intake has no stream agents (the receipt index is folded by a follower).
    return None, host
