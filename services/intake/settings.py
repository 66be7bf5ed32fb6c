"""Intake settings, from environment variables."""

from pydantic import SecretStr

from servicehost import ServiceSettings


class IntakeSettings(ServiceSettings):
    grpc_port: int = 50051
    # HMAC key for pseudonyms of BSNs and other direct identifiers: configuration, never code.
    pseudonym_key: SecretStr
