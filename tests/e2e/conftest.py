"""The whole system as processes: every service and both partner adapters, on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_block

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "registration", "lio", "referral", "audit")


# Package scope: the stack stops when the last e2e test is done, so that no other test
# shares the consumer groups with it.
@pytest.fixture(scope="package")
def stack(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    run = tmp_path_factory.mktemp("stack")
    # Free ports apart from the demo's, outside the range the kernel gives outgoing connections.
    port_base = int(os.environ.get("KNOOPPUNT_E2E_PORT_BASE") or free_block(len(SERVICES)))
    # The whole system as deployed: mTLS on every listener (no development flag).
    env = {k: v for k, v in os.environ.items() if k != "KNOOPPUNT_ALLOW_INSECURE_DEV"}
    # The audit signing key lives beside the broker's data (make test's run dir), so that every
    # stack on this broker signs with the key of the checkpoints already on it.
    keys = Path(os.environ.get("KNOOPPUNT_TEST_RUN", run)) / "audit-keys"
    env.update(KAFKA_BOOTSTRAP_SERVERS=bootstrap, KNOOPPUNT_RUN=str(run), KNOOPPUNT_PORT_BASE=str(port_base),
               KNOOPPUNT_AUDIT_KEYS=str(keys), AUDIT_PUBLIC_KEY=str(keys / "audit.pub"))
    up = subprocess.run([sys.executable, "deploy/local/stack.py", "up"], cwd=ROOT, env=env, capture_output=True, text=True)
    if up.returncode != 0:
        logs = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted((run / "logs").glob("*.log")))
        subprocess.run([sys.executable, "deploy/local/stack.py", "down"], cwd=ROOT, env=env)
        pytest.fail(f"stack did not come up:\n{up.stdout}\n{up.stderr}\n{logs}")
    ports = {name: port_base + i for i, name in enumerate(SERVICES)}
    yield {"run": run, "env": env, "ports": ports, "bootstrap": bootstrap}
    down = subprocess.run([sys.executable, "deploy/local/stack.py", "down"], cwd=ROOT, env=env, capture_output=True, text=True)
    # Clean shutdown on SIGTERM is part of the contract: nobody may need a SIGKILL.
    assert "did not stop" not in down.stderr, down.stderr
