"""The topics audit reads and writes (declared in topic_catalog)."""

from topic_catalog import AUDIT_LOG, LIO_DECISIONS, REFERRAL_EVENTS

__all__ = ["AUDIT_LOG", "LIO_DECISIONS", "REFERRAL_EVENTS"]
