"""Shared test fixtures. Integration and end-to-end tests use the real broker that `make test`
starts (KAFKA_BOOTSTRAP_SERVERS); they fail, never skip, when it is not there."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench.harness, when pytest is not run as `python -m pytest`

from bench.harness.ports import free_block, free_port  # noqa: E402, F401  (tests import them from here)
from topic_catalog.ensure import ensure_topics  # noqa: E402

# Services started by integration tests listen in plaintext (development flag) unless a test
# gives them certificates; the e2e stack and the authorization tests run with mTLS.
os.environ.setdefault("KNOOPPUNT_ALLOW_INSECURE_DEV", "1")


@pytest.fixture(scope="session")
def bootstrap() -> str:
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    host, port = servers.split(",")[0].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        pytest.fail(f"no Kafka broker at {servers} ({exc}); run the tests with `make test`")
    # The topics exist before any service starts, as `make up` and docker-compose ensure too.
    ensure_topics(servers)
    return servers


def dev_setting(name: str) -> str:
    """A development setting from deploy/local/dev.env (the same values the local stack uses)."""
    for line in (ROOT / "deploy/local/dev.env").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip()
    raise KeyError(name)


# Services started by tests use the development keys, as the local stack does.
for _name in ("PSEUDONYM_KEY", "MASTER_KEY"):
    os.environ.setdefault(_name, dev_setting(_name))


def eventually(probe, what: str = "condition", timeout_s: float = 60.0, interval_s: float = 0.2):  # noqa: ANN001, ANN201
    """Poll ``probe`` until it returns something truthy, and return that; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if result := probe():
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)
