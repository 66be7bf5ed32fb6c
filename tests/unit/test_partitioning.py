"""Records land where Kafka's default partitioner puts them: our murmur2 is aiokafka's (and so
the Java client's)."""

from __future__ import annotations

import os
import random

from aiokafka.partitioner import DefaultPartitioner, murmur2 as aiokafka_murmur2

from cloudevents_kafka.follow import partition_for
from cloudevents_kafka.partitioning import murmur2, partition_of


def test_murmur2_is_kafkas() -> None:
    rng = random.Random(7)
    for length in range(0, 130):
        for _ in range(40):
            data = rng.randbytes(length)
            assert murmur2(data) == aiokafka_murmur2(data), data
    for key in (b"", b"a", b"signal:0b8e9a3e-2f57-4d9b-8c0e-4a1f6b2d7e90", "é€".encode()):
        assert murmur2(key) == aiokafka_murmur2(key)


def test_partition_of_is_the_default_partitioners() -> None:
    partitioner = DefaultPartitioner()
    for n in (1, 2, 3, 6, 12):
        for _ in range(300):
            key = os.urandom(random.randrange(1, 60))
            assert partition_of(key, n) == partitioner(key, list(range(n)), list(range(n)))
    assert partition_for("6f1c9a52-7c1e-4b0e-9b1a-3f7d2e0c5a11", 6) == partition_of(b"6f1c9a52-7c1e-4b0e-9b1a-3f7d2e0c5a11", 6)
