"""One way to start a knooppunt service: settings, logging, a Faust worker and a gRPC server.

Charter: process scaffolding with no domain words. A service hands over its Faust app, the
function that registers its gRPC servicers, and its start-up work (rebuilding projections);
this module runs them in one event loop, serves the standard health and reflection services,
and shuts down cleanly on SIGTERM. It must never do I/O at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import faust
import grpc
import mode
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from mode import Service
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import logsetup
from grpc_security import INSECURE_FLAG, SecurityConfigError, insecure_allowed, server_credentials
from cloudevents_kafka.kafka import EventPublisher
from grpc_security.authz import AuthorizationInterceptor, AuthorizationTable
from servicehost.gcpause import ShortGcPauses
from servicehost.readlog import ReadLog

log = structlog.get_logger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class ServiceSettings(BaseSettings):
    """Settings every service has; each service subclasses it with its own fields and port."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    log_level: str = "INFO"
    # Faust keeps its local files here (one folder per app), never in the working directory.
    data_dir: Path = Path(".run/data")
    # mTLS: the certificate directory (see grpc_security), this server's certificate name, and
    # the authorization table. Without a certificate directory the service refuses to start,
    # unless KNOOPPUNT_ALLOW_INSECURE_DEV=1 is set (development only).
    tls_cert_dir: Path | None = None
    tls_server_name: str = ""
    authorization_table: Path = Path("deploy/policy/authorization.toml")
    # The organisation staff identities act for (partners act for their own organisation).
    organisation: str = "gemeente-maassluis"
    # Consumer group liveness (seconds). A member that stops heartbeating (killed, paused, cut off)
    # keeps its partitions until the session times out, so this bounds how long a crash stalls
    # its partitions. Faust's 60 s default made every crash cost a minute; 10 s with a 3 s
    # heartbeat (Kafka's advice: at most a third of the session) rides out a loaded host's pauses
    # and lies in the broker's group.min/max.session.timeout.ms window (6 s .. 30 min by default).
    # The rebalance timeout is how long the coordinator waits for live members to rejoin; a dead
    # member is dropped when its session times out, so it does not bound crash recovery.
    # Environment: KAFKA_SESSION_TIMEOUT_S, KAFKA_HEARTBEAT_INTERVAL_S, KAFKA_REBALANCE_TIMEOUT_S.
    kafka_session_timeout_s: float = Field(default=10.0, gt=0)
    kafka_heartbeat_interval_s: float = Field(default=3.0, gt=0)
    kafka_rebalance_timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> ServiceSettings:
        if self.kafka_heartbeat_interval_s >= self.kafka_session_timeout_s:
            raise ValueError(f"KAFKA_HEARTBEAT_INTERVAL_S ({self.kafka_heartbeat_interval_s}) must be below "
                             f"KAFKA_SESSION_TIMEOUT_S ({self.kafka_session_timeout_s}), at most a third of it")
        return self

    @property
    def broker_url(self) -> str:
        return ";".join(f"kafka://{h}" for h in self.kafka_bootstrap_servers.split(","))


def create_faust_app(app_id: str, settings: ServiceSettings, **overrides: Any) -> faust.App:
    """A Faust app configured the same way for every service.

    No web server (five processes on one host would fight over its port), no topic
    auto-declaration of our event topics (topic_catalog owns them), at-least-once processing
    (our consumers are idempotent; Faust's exactly_once has open duplicate bugs), and the
    consumer session/heartbeat/rebalance timeouts from the settings.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = dict(
        broker=settings.broker_url,
        datadir=str(settings.data_dir / app_id),
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        topic_replication_factor=1,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        processing_guarantee="at_least_once",
        broker_session_timeout=settings.kafka_session_timeout_s,
        broker_heartbeat_interval=settings.kafka_heartbeat_interval_s,
        broker_rebalance_timeout=settings.kafka_rebalance_timeout_s,
    )
    options.update(overrides)
    return faust.App(app_id, **options)


Register = Callable[[grpc.aio.Server], list[str]]


class GrpcHost(Service):
    """Runs a grpc.aio server inside the Faust worker's event loop.

    Health reports NOT_SERVING until every start-up step (``ready`` hooks) finished, so a
    client that waits for SERVING never sees a half-built projection.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        register: Register,
        startup: list[Callable[[], Awaitable[None]]] | None = None,
        shutdown: list[Callable[[], Awaitable[None]]] | None = None,
        ready: asyncio.Event | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ready = ready or asyncio.Event()
        self._settings = settings
        self._register = register
        self._startup = startup or []
        self._shutdown = shutdown or []
        self._server: grpc.aio.Server | None = None
        self._health = health.aio.HealthServicer()
        self._read_publisher: EventPublisher | None = None
        self._gc = ShortGcPauses()

    async def on_start(self) -> None:
        if self._settings.tls_cert_dir is not None:
            # Reads of personal data are logged before they are answered; no log, no answer.
            self._read_publisher = EventPublisher(self._settings.kafka_bootstrap_servers, source="/knooppunt/read-log")
            await self._read_publisher.start()
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # gRPC shares a port between listeners by default (SO_REUSEPORT): a second copy of a
            # service, or a stale one, would then quietly take half the calls. One listener per port.
            ("grpc.so_reuseport", 0),
        ]
        server = grpc.aio.server(options=options, interceptors=self._interceptors())
        names = self._register(server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        names = [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, server)
        address = f"{self._settings.grpc_host}:{self._settings.grpc_port}"
        try:
            if self._settings.tls_cert_dir is not None:
                credentials = server_credentials(self._settings.tls_cert_dir, self._server_name())
                bound = server.add_secure_port(address, credentials)
            elif insecure_allowed():
                log.warning("plaintext_listener", address=address, reason=f"{INSECURE_FLAG}=1: development only")
                bound = server.add_insecure_port(address)
            else:
                raise SecurityConfigError(f"TLS_CERT_DIR is not set: refusing a plaintext listener (set {INSECURE_FLAG}=1 only in development)")
        except RuntimeError:
            bound = 0
        if bound == 0:
            raise RuntimeError(f"cannot listen on {address}: the port is in use (another copy of this service, or another "
                               "program) or the address is not this machine's; set GRPC_PORT (KNOOPPUNT_PORT_BASE for the local stack)")
        await server.start()
        self._server = server
        for name in names:
            await self._health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self._health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        for step in self._startup:
            await step()
        self._gc.start()
        # Agents wait on this: they must not act on a projection that is still being rebuilt.
        self.ready.set()
        for name in [*names, ""]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("grpc_serving", address=address, services=names)

    def _interceptors(self) -> list[grpc.aio.ServerInterceptor]:
        if self._settings.tls_cert_dir is None:
            return []
        read_log = ReadLog(self._read_publisher, self._settings.organisation) if self._read_publisher else None
        return [AuthorizationInterceptor(AuthorizationTable.load(self._settings.authorization_table), read_log)]

    def _server_name(self) -> str:
        if not self._settings.tls_server_name:
            raise SecurityConfigError("TLS_SERVER_NAME is not set: which server certificate should this service use?")
        return self._settings.tls_server_name

    async def on_stop(self) -> None:
        self._gc.stop()
        if self._server is not None:
            await self._health.enter_graceful_shutdown()
            await self._server.stop(grace=5)
        for step in self._shutdown:
            await step()
        if self._read_publisher is not None:
            await self._read_publisher.stop()
        log.info("grpc_stopped")


def run(name: str, settings: ServiceSettings, app: faust.App | None, *services: Service) -> None:
    """Run the worker until SIGTERM/SIGINT; then stop every service and commit offsets.
    ``app`` is None for a service without stream agents (Faust refuses a consumer with no topics)."""
    logsetup.configure(name, settings.log_level)
    options: dict[str, Any] = dict(loglevel=settings.log_level, override_logging=False, redirect_stdouts=False, quiet=True)
    worker = faust.Worker(app, *services, **options) if app is not None else mode.Worker(*services, **options)
    # Faust's terminal spinner writes escape codes into log files; logs are JSON lines only.
    worker.spinner = None
    worker.execute_from_commandline()
