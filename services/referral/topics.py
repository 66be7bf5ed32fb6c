"""The topics referral reads and writes (declared in topic_catalog)."""

from topic_catalog import LIO_DECISIONS, REFERRAL_EVENTS, REFERRAL_RECIPIENTS, referral_topic_name

__all__ = ["LIO_DECISIONS", "REFERRAL_EVENTS", "REFERRAL_RECIPIENTS", "referral_topic_name"]
