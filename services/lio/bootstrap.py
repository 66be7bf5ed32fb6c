"""Wires the LIO service together. Nothing here runs at import time."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import structlog

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.lio.v1 import lio_pb2, lio_pb2_grpc
from servicehost import GrpcHost, create_faust_app
from services.lio.adapters.kafka import KafkaDeliberationLog, rebuild_state
from services.lio.application.commands import LioCommands
from services.lio.domain.deliberation import Deliberation
from services.lio.entrypoints.grpc_api import LioServicer
from services.lio.entrypoints.stream import register_agents
from services.lio.settings import LioSettings

log = structlog.get_logger(__name__)


def build(settings: LioSettings):  # noqa: ANN201
    app = create_faust_app("knooppunt-lio", settings)
    state = Deliberation()
    publisher = EventPublisher(settings.kafka_bootstrap_servers, source="/knooppunt/lio")
    # Read (and validated) when the service is built: a broken rules file stops start-up, loudly.
    rules = settings.rules()
    commands = LioCommands(state, KafkaDeliberationLog(publisher), clock=lambda: datetime.now(UTC), rules=rules)

    def add_servicers(server: grpc.aio.Server) -> list[str]:
        lio_pb2_grpc.add_LioServiceServicer_to_server(LioServicer(state, commands, rules, settings.default_retention_rule), server)
        return [lio_pb2.DESCRIPTOR.services_by_name["LioService"].full_name]

    async def startup() -> None:
        await publisher.start()
        count = await rebuild_state(settings.kafka_bootstrap_servers, state)
        log.info("deliberation_state_rebuilt", events=count, meetings=len(state.meetings))

    host = GrpcHost(settings, add_servicers, startup=[startup], shutdown=[publisher.stop])
    register_agents(app, state, host.ready)
    return app, host
