"""Wires audit together. Nothing here runs at import time."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import structlog

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.audit.v1 import audit_pb2, audit_pb2_grpc
from servicehost import GrpcHost, create_faust_app
from services.audit.adapters.kafka import KafkaEntryStore
from services.audit.application.writer import AuditLog
from services.audit.domain.chain import verify
from services.audit.entrypoints.grpc_api import AuditServicer
from services.audit.entrypoints.stream import register_agents
from services.audit.settings import AuditSettings

log = structlog.get_logger(__name__)


def build(settings: AuditSettings):  # noqa: ANN201
    app = create_faust_app("knooppunt-audit", settings)
    publisher = EventPublisher(settings.kafka_bootstrap_servers, source="/knooppunt/audit")
    audit = AuditLog(KafkaEntryStore(publisher, settings.kafka_bootstrap_servers), clock=lambda: datetime.now(UTC))

    def add_servicers(server: grpc.aio.Server) -> list[str]:
        audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(audit), server)
        return [audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name]

    async def startup() -> None:
        await publisher.start()
        count = await audit.rebuild()
        result = verify(audit.values)
        if result.ok:
            log.info("audit_log_rebuilt", entries=count, head=result.head_hex)
        else:
            # Keep appending (chained over the stored bytes, so the break stays where it is and
            # new decisions are still logged), but make the broken chain impossible to miss.
            log.critical("audit_log_chain_broken", entries=count, first_bad_sequence=result.first_bad_sequence,
                         problem=result.detail)

    host = GrpcHost(settings, add_servicers, startup=[startup], shutdown=[publisher.stop])
    register_agents(app, audit, host.ready)
    return app, host
