"""Audit settings, from environment variables."""

from servicehost import ServiceSettings


class AuditSettings(ServiceSettings):
    grpc_port: int = 50055
