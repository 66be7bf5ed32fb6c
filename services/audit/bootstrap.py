"""Wires audit together. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import UTC, datetime

import grpc
import structlog

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.audit.v1 import audit_pb2, audit_pb2_grpc
from servicehost import GrpcHost, create_faust_app
from services.audit.adapters.checkpoints import (
    FileCheckpointSink,
    KafkaCheckpointSink,
    StaticNote,
    load_private_key,
    read_checkpoints,
)
from services.audit.adapters.kafka import KafkaEntryStore
from services.audit.application.checkpoints import Checkpointer
from services.audit.application.writer import AuditLog
from services.audit.domain.checkpoint import verifier_key
from services.audit.domain.chain import verify
from services.audit.domain.register import ProcessingRegister
from services.audit.entrypoints.grpc_api import AuditServicer
from services.audit.entrypoints.stream import register_agents
from services.audit.settings import AuditSettings
from services.audit.topics import AUDIT_CHECKPOINTS

log = structlog.get_logger(__name__)


def build(settings: AuditSettings):  # noqa: ANN201
    app = create_faust_app(settings.audit_app_id, settings)
    publisher = EventPublisher(settings.kafka_bootstrap_servers, source="/knooppunt/audit")
    register = ProcessingRegister.parse(settings.processing_register.read_text(encoding="utf-8"))
    clock = lambda: datetime.now(UTC)  # noqa: E731
    audit = AuditLog(KafkaEntryStore(publisher, settings.kafka_bootstrap_servers, settings.audit_log_topic),
                     clock=clock, register=register)
    checkpointer: Checkpointer | None = None
    kafka_sink: KafkaCheckpointSink | None = None
    topic_note = StaticNote(None)
    if settings.audit_signing_key is not None:
        key = load_private_key(settings.audit_signing_key)
        kafka_sink = KafkaCheckpointSink(settings.kafka_bootstrap_servers, settings.audit_checkpoint_topic)
        file_path = settings.audit_checkpoint_file or settings.data_dir / "audit" / "checkpoint"
        checkpointer = Checkpointer(
            audit, key, settings.audit_log_origin, [kafka_sink, FileCheckpointSink(file_path), topic_note],
            clock=clock, every=settings.audit_checkpoint_every, interval_s=settings.audit_checkpoint_interval_s,
        )
        audit.on_appended = checkpointer.entry_appended
        log.info("audit_checkpoint_key", verifier_key=verifier_key(settings.audit_log_origin, key.public_key()))
    else:
        log.warning("audit_no_signing_key", detail="AUDIT_SIGNING_KEY not set: no signed checkpoints, "
                    "truncation of the log's tail cannot be detected")
    tasks: list[asyncio.Task] = []

    def add_servicers(server: grpc.aio.Server) -> list[str]:
        audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(audit, checkpointer), server)
        return [audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name]

    async def startup() -> None:
        await publisher.start()
        count = await audit.rebuild()
        result = verify(audit.values)
        if result.ok:
            log.info("audit_log_rebuilt", entries=count, head=result.head_hex, root=result.root.hex())
        else:
            # Keep appending (chained over the stored bytes, so the break stays where it is and
            # new decisions are still logged), but make the broken chain impossible to miss.
            log.critical("audit_log_chain_broken", entries=count, first_bad_sequence=result.first_bad_sequence,
                         problem=result.problem.value if result.problem else "", detail=result.detail)
        if checkpointer is not None and kafka_sink is not None:
            from topic_catalog.ensure import ensure_topics

            spec = dataclasses.replace(AUDIT_CHECKPOINTS, name=settings.audit_checkpoint_topic)
            await asyncio.to_thread(ensure_topics, settings.kafka_bootstrap_servers, 1, (spec,))
            await kafka_sink.start()
            notes = await read_checkpoints(settings.kafka_bootstrap_servers, settings.audit_checkpoint_topic)
            if notes:
                topic_note._note = notes[-1].decode("utf-8", "replace")  # noqa: SLF001
            checkpointer.check_against_published()
            await checkpointer.checkpoint()
            tasks.append(asyncio.create_task(checkpointer.run(), name="audit-checkpoints"))

    async def shutdown() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if checkpointer is not None:
            with contextlib.suppress(Exception):
                await checkpointer.checkpoint()
        if kafka_sink is not None:
            await kafka_sink.stop()
        await publisher.stop()

    host = GrpcHost(settings, add_servicers, startup=[startup], shutdown=[shutdown])
    register_agents(app, audit, host.ready, settings)
    return app, host
