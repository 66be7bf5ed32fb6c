"""Fault tests: their own broker (they kill it) and every service as a process.

Sizes come from the environment so CI and a person at a quiet machine can choose:
KNOOPPUNT_FAULT_SIGNALS (signals per scenario, default 3000), KNOOPPUNT_FAULT_DECISIONS
(sharing decisions per scenario, default 5), KNOOPPUNT_FAULT_INSTANCES (instances of
registration and referral, default 1: more is the later multi-instance step, ADR 0010),
KNOOPPUNT_FAULT_RESULTS (folder for results.json, default the broker's run dir).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench.harness, when pytest is not run as `python -m pytest`

from bench.harness.broker import Broker  # noqa: E402
from bench.harness.ports import free_block, free_port  # noqa: E402
from bench.harness.stack import Stack  # noqa: E402

RESULTS: list[dict] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: kills and pauses the broker and services (make test-faults)")


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    run = Path(os.environ.get("KNOOPPUNT_FAULT_RUN") or tmp_path_factory.mktemp("faults"))
    broker = Broker(run, free_port(), free_port())
    broker.start()
    stack = Stack(run, free_block(5), broker.bootstrap)
    try:
        stack.up()
        instances = int(os.environ.get("KNOOPPUNT_FAULT_INSTANCES", "1"))
        for name in ("registration", "referral"):
            if instances > 1:
                stack.add_instances(name, instances - 1)
        yield {"broker": broker, "stack": stack, "run": run, "instances": instances}
    finally:
        stack.down()
        broker.stop()
        out = Path(os.environ.get("KNOOPPUNT_FAULT_RESULTS", run))
        out.mkdir(parents=True, exist_ok=True)
        (out / "fault-results.json").write_text(json.dumps({"at": time.time(), "results": RESULTS}, indent=2))


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not RESULTS:
        return
    terminalreporter.section("fault recovery")
    for r in RESULTS:
        terminalreporter.write_line(
            f"{r['scenario']:28} acked {r['acknowledged']:>6}  retried streams {sum(r['failures'].values()):>3} "
            f"{r['failures']}  restart {r['restart_s']}s  lag zero after fault {r['recovery_s']}s  "
            f"{'OK' if r['ok'] else 'FAILED'}")
