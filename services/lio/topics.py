"""The topics the LIO service reads and writes (declared in topic_catalog)."""

from topic_catalog import LIO_DECISIONS, SIGNALS_REGISTERED

__all__ = ["LIO_DECISIONS", "SIGNALS_REGISTERED"]
