"""prototime's conversion gives exactly what protobuf's own Timestamp.FromDatetime gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from prototime import to_timestamp


def test_to_timestamp_is_protobufs() -> None:
    rng = random.Random(11)
    for _ in range(20_000):
        moment = datetime(1, 1, 2, tzinfo=UTC) + timedelta(microseconds=rng.randrange(0, 315_537_000_000_000_000))
        zone = timezone(timedelta(minutes=rng.randrange(-900, 900)))
        for dt in (moment, moment.astimezone(zone) if 1 < moment.year < 9999 else moment,
                   moment.replace(tzinfo=None) if 2 < moment.year < 9998 else moment):
            expected = Timestamp()
            expected.FromDatetime(dt.astimezone(UTC))
            assert to_timestamp(dt) == expected, dt
