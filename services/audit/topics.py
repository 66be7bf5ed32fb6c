"""The topics audit reads and writes (declared in topic_catalog)."""

from topic_catalog import (
    AUDIT_CHECKPOINTS,
    AUDIT_LOG,
    LIO_DECISIONS,
    PRIVACY_ERASURES,
    PRIVACY_READS,
    REFERRAL_EVENTS,
    REGISTRATION_DISCLOSURES,
)

__all__ = [
    "AUDIT_CHECKPOINTS", "AUDIT_LOG", "LIO_DECISIONS", "PRIVACY_ERASURES", "PRIVACY_READS", "REFERRAL_EVENTS",
    "REGISTRATION_DISCLOSURES",
]
