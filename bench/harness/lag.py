"""The lag probe lives with the topic catalogue's admin tools (the operator's `make status` uses it too)."""

from topic_catalog.lag import LagProbe

__all__ = ["LagProbe"]
