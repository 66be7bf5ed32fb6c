"""Free loopback ports for a broker and a stack of our own, never the demo's or CI's."""

from __future__ import annotations

import socket

RESERVED = {9092, 9093, 19092, 19093}


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in RESERVED:
            return port


def free_block(size: int, start: int = 40000, stop: int = 60000) -> int:
    """First port of ``size`` consecutive free ports (a stack's gRPC port base)."""
    for base in range(start, stop, size + 1):
        if all(_free(p) for p in range(base, base + size)):
            return base
    raise RuntimeError("no free port block")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
