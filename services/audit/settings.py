"""Audit settings, from environment variables."""

from pathlib import Path

from servicehost import ServiceSettings
from services.audit.domain.checkpoint import DEFAULT_ORIGIN
from services.audit.topics import (
    AUDIT_CHECKPOINTS,
    AUDIT_LOG,
    LIO_DECISIONS,
    PRIVACY_ERASURES,
    PRIVACY_READS,
    REFERRAL_EVENTS,
    REGISTRATION_DISCLOSURES,
)


class AuditSettings(ServiceSettings):
    grpc_port: int = 50055
    # Faust consumer group; tests run isolated instances under their own id and topics.
    audit_app_id: str = "knooppunt-audit"
    audit_log_topic: str = AUDIT_LOG.name
    audit_checkpoint_topic: str = AUDIT_CHECKPOINTS.name
    audit_decisions_topic: str = LIO_DECISIONS.name
    audit_referrals_topic: str = REFERRAL_EVENTS.name
    audit_disclosures_topic: str = REGISTRATION_DISCLOSURES.name
    audit_reads_topic: str = PRIVACY_READS.name
    audit_erasures_topic: str = PRIVACY_ERASURES.name
    processing_register: Path = Path("deploy/policy/processing-register.toml")
    # Ed25519 private key (PKCS#8 PEM) that signs checkpoints; without it no checkpoints are
    # signed (and verify cannot detect truncation). Generate with `knooppunt-audit keygen`.
    audit_signing_key: Path | None = None
    # Log origin and key name in every checkpoint.
    audit_log_origin: str = DEFAULT_ORIGIN
    # The latest signed checkpoint is also written here (default: <data_dir>/audit/checkpoint).
    audit_checkpoint_file: Path | None = None
    # A checkpoint after this many new entries, or this many seconds after the last new entry.
    audit_checkpoint_every: int = 100
    audit_checkpoint_interval_s: float = 30.0
