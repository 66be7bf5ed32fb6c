"""Intake settings, from environment variables."""

from pathlib import Path

from pydantic import SecretStr

from servicehost import ServiceSettings
from services.intake.adapters.sources_file import DEFAULT_PATH


class IntakeSettings(ServiceSettings):
    grpc_port: int = 50051
    # HMAC key for pseudonyms of BSNs and other direct identifiers: configuration, never code.
    pseudonym_key: SecretStr
    # Master key of the key store (hex, 32 bytes): wraps the per-signal data keys (ADR 0009).
    master_key: SecretStr
    # Which source systems may submit what (reviewed configuration, see sources.toml).
    sources_file: Path = DEFAULT_PATH
