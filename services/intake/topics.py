"""The topics intake writes and reads (declared in topic_catalog)."""

from topic_catalog import SIGNALS_RECEIVED

__all__ = ["SIGNALS_RECEIVED"]
