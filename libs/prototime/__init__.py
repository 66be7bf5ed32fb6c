"""Conversion between aware datetimes and protobuf Timestamps, always in UTC.

Charter: two functions, so that no service converts times its own way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(dt: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt.astimezone(UTC))
    return t


def from_timestamp(t: Timestamp) -> datetime:
    return t.ToDatetime(tzinfo=UTC)
