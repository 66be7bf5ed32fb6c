"""Free loopback ports for a broker and a stack of our own, never the demo's or CI's.

Ports come from *below the kernel's ephemeral range* (``ip_local_port_range``, 32768-60999 on
Linux by default). The kernel hands ports from that range to every outgoing connection: a port
found free there can be taken by a Kafka client's connection before our service binds it, and
its bind then fails with "Address already in use" (it did, in CI). Below the range only
programs that ask for a port by number get one, so a port found free stays free for us.
Ports are picked at random, so that test runs side by side rarely try the same one.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

# The demo's and `make test`'s brokers, and the demo's gRPC ports.
RESERVED = {9092, 9093, 19092, 19093, *range(50051, 50056)}
LOWEST = 10000


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(p) for p in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def _pool() -> list[range]:
    low, high = _ephemeral_range()
    pools = [r for r in (range(LOWEST, low), range(high + 1, 65536)) if len(r) >= 1000]
    if not pools:
        raise RuntimeError(f"no ports outside the ephemeral range {low}-{high}")
    return pools


def free_port() -> int:
    """One free port outside the ephemeral range."""
    return free_block(1)


def free_block(size: int) -> int:
    """First port of ``size`` consecutive free ports outside the ephemeral range (a stack's gRPC port base)."""
    pools = _pool()
    for _ in range(1000):
        pool = random.choice(pools)
        base = random.randrange(pool.start, pool.stop - size + 1)
        block = range(base, base + size)
        if not RESERVED.intersection(block) and all(_free(p) for p in block):
            return base
    raise RuntimeError(f"no block of {size} free ports outside the ephemeral range")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
