"""Wires registration together. Nothing here runs at import time."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import structlog

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from servicehost import GrpcHost, create_faust_app
from services.registration.adapters.kafka import DisclosureLog, KafkaRegistrationLog, Unconfirmed
from services.registration.application.registering import RegisterReceivedSignal
from services.registration.domain.register import Register
from services.registration.entrypoints.grpc_api import RegistrationServicer
from services.registration.entrypoints.stream import register_agents
from crypto_shredding.kafka_store import KafkaKeyStore
from services.registration.adapters.keys import DescriptionOpener
from services.registration.entrypoints.follow import (
    CatchUpGate,
    GatedRegistration,
    Lease,
    LeasedLog,
    register_follower,
)
from services.registration.settings import RegistrationSettings
from topic_catalog import SUBJECT_KEYS

log = structlog.get_logger(__name__)


def build(settings: RegistrationSettings):  # noqa: ANN201
    # Offsets are committed once a second and after every 1,000 acknowledged events (not every
    # 100): a commit holds up Faust's fetch loop for a round trip, and the agent acknowledges a
    # whole batch (up to 500) at once anyway. Acknowledged still means published; a crash
    # redelivers what was acknowledged since the last commit, which the restarted register
    # knows (only the filings are announced again, with the same event ids).
    app = create_faust_app("knooppunt-registration", settings, broker_commit_every=1000)
    register = Register()
    publisher = EventPublisher(settings.kafka_bootstrap_servers, source="/knooppunt/registration")
    keys = KafkaKeyStore(settings.kafka_bootstrap_servers, SUBJECT_KEYS.name,
                         bytes.fromhex(settings.master_key.get_secret_value()))
    # The register folds every instance's registrations, decisions, erasures and keys, for ever.
    # While it is folded again from offset 0 (a failed batch, a signal decided twice) nothing is decided.
    gate = CatchUpGate()
    unconfirmed = Unconfirmed()  # what this instance published, until the follower reads it back
    follower = register_follower(settings.kafka_bootstrap_servers, register, keys, on_restart=gate.hold_all,
                                 unconfirmed=unconfirmed)
    gate.follower = follower

    async def recover() -> None:
        await follower.restart()
        log.warning("register_rebuilt_after_failed_batch", signals=len(register.entries))

    # Decisions older than half the session timeout are not published (a paused instance may have lost its partitions).
    lease = Lease(settings.kafka_session_timeout_s / 2)
    handle = RegisterReceivedSignal(register, LeasedLog(KafkaRegistrationLog(publisher, unconfirmed), lease),
                                    clock=lambda: datetime.now(UTC), recover=recover)

    def add_servicers(server: grpc.aio.Server) -> list[str]:
        registration_pb2_grpc.add_RegistrationServiceServicer_to_server(RegistrationServicer(
            register, DisclosureLog(publisher, clock=lambda: datetime.now(UTC)), reveal=DescriptionOpener(keys)), server)
        return [registration_pb2.DESCRIPTOR.services_by_name["RegistrationService"].full_name]

    async def startup() -> None:
        await publisher.start()
        await keys.start(fold=False)  # the follower folds keys.subjects into it, with the register
        count = await follower.start()
        gate.start_watchdog()
        log.info("register_rebuilt", events=count, signals=len(register.entries))

    host = GrpcHost(settings, add_servicers, startup=[startup], shutdown=[follower.stop, publisher.stop, keys.stop])
    gate.connect(app)
    register_agents(app, register, GatedRegistration(handle, gate, lease, settings.kafka_heartbeat_interval_s + 1),
                    host.ready)
    return app, host
