"""Fault tests: their own broker (they kill it) and every service as a process.

Sizes come from the environment; the defaults are what CI runs (`make test-faults`, about 3 min
on a shared 2-core machine), and a person at a quiet machine can raise them:
KNOOPPUNT_FAULT_SIGNALS (signals per scenario, default 1000), KNOOPPUNT_FAULT_DECISIONS
(sharing decisions per scenario, half of them referrals, default 4), KNOOPPUNT_FAULT_PAUSED
(the service SIGSTOPped past its session timeout, default registration),
KNOOPPUNT_FAULT_INSTANCES (instances of registration and referral in the multi-instance
scenarios, default 2), KNOOPPUNT_FAULT_MULTI (0 skips the multi-instance scenarios),
KNOOPPUNT_FAULT_RECOVERY_S (longest wait for consumer lag 0 after a fault, default 120),
KNOOPPUNT_FAULT_RUN (run dir of broker and stack, default a pytest temporary dir) and
KNOOPPUNT_FAULT_RESULTS (folder for fault-results.json, default the run dir).
The services get their consumer session timeout from KAFKA_SESSION_TIMEOUT_S like any deployment.
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
from bench.harness.lag import LagProbe  # noqa: E402
from bench.harness.ports import free_block, free_port  # noqa: E402
from bench.harness.stack import Stack  # noqa: E402
from servicehost import ServiceSettings  # noqa: E402

RESULTS: list[dict] = []
MULTI_SERVICES = ("registration", "referral")
# The services with a Faust consumer group (knooppunt-<service>) whose members a fault can strand.
GROUP_SERVICES = ("registration", "lio", "referral", "audit")
# The police adapter consumes referrals.to.politie over Kafka in consumer group adapter-<partner>
# (services/partner_adapter/adapter.py; deploy/local/stack.py starts it without --group-id, and the
# production ACL plan grants it that group). Recovery includes it: a referral is not through until
# the partner has stored and acknowledged it and committed its offset. (The tax authority's adapter
# uses the gRPC stream and has no group.)
PARTNER_GROUPS = ("adapter-politie",)
GROUPS = (*(f"knooppunt-{name}" for name in GROUP_SERVICES), *PARTNER_GROUPS)
_RUN: dict[str, Path] = {}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: kills and pauses the broker and services (make test-faults)")


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A broker and the whole stack, one instance per service, shared by every scenario."""
    run = Path(os.environ.get("KNOOPPUNT_FAULT_RUN") or tmp_path_factory.mktemp("faults"))
    run.mkdir(parents=True, exist_ok=True)
    _RUN["run"] = run
    broker = Broker(run, free_port(), free_port())
    broker.start()
    stack = Stack(run, free_block(5), broker.bootstrap)
    try:
        stack.up()
        # Serving gRPC is not enough: a consumer killed before it joined its group leaves no member
        # behind to time out, and the first fault would measure nothing. The police adapter's group
        # too: the lag probe must find it (a group that does not exist yet counts as not caught up).
        _wait_members(broker.bootstrap, GROUPS, 1)
        yield {"broker": broker, "stack": stack, "run": run, "instances": 1}
    finally:
        stack.down()
        broker.stop()


@pytest.fixture(scope="package")
def multi(system: dict) -> dict:
    """The same system with more instances of registration and referral in their consumer groups.

    Requested only by the multi-instance scenarios, which run after the single-instance ones.
    """
    if os.environ.get("KNOOPPUNT_FAULT_MULTI", "1") == "0":
        pytest.skip("multi-instance scenarios switched off (KNOOPPUNT_FAULT_MULTI=0)")
    instances = env_int("KNOOPPUNT_FAULT_INSTANCES", 2)
    for name in MULTI_SERVICES:
        system["stack"].add_instances(name, instances - len(system["stack"].instances(name)))
    _wait_members(system["broker"].bootstrap, tuple(f"knooppunt-{name}" for name in MULTI_SERVICES), instances)
    return {**system, "instances": instances}


def _wait_members(bootstrap: str, groups: tuple[str, ...], count: int, timeout_s: float = 60.0) -> None:
    """Until every group in ``groups`` has ``count`` members holding partitions (every instance joined)."""
    probe = LagProbe(bootstrap)
    try:
        for group in groups:
            if not probe.wait_members(group, count, timeout_s):
                pytest.fail(f"{group}: not {count} member(s) holding partitions within {timeout_s:.0f} s: {probe.members(group)}")
    finally:
        probe.close()


def pytest_sessionfinish(session: pytest.Session) -> None:  # noqa: ARG001
    if not RESULTS:
        return
    out = Path(os.environ.get("KNOOPPUNT_FAULT_RESULTS") or _RUN.get("run") or ".")
    out.mkdir(parents=True, exist_ok=True)
    settings = ServiceSettings()
    (out / "fault-results.json").write_text(json.dumps({
        "at": time.time(),
        "session_timeout_s": settings.kafka_session_timeout_s,
        "heartbeat_interval_s": settings.kafka_heartbeat_interval_s,
        "results": RESULTS}, indent=2))


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not RESULTS:
        return
    settings = ServiceSettings()
    terminalreporter.section("fault recovery")
    terminalreporter.write_line(f"consumer session timeout {settings.kafka_session_timeout_s:g} s, heartbeat "
                                f"{settings.kafka_heartbeat_interval_s:g} s; restart = until the part serves again, "
                                "lag zero = from the fault until every knooppunt-* group and the police adapter's "
                                f"({', '.join(PARTNER_GROUPS)}) has lag 0")
    for r in RESULTS:
        terminalreporter.write_line(
            f"{r['scenario']:30} x{r['instances']}  acked {r['acknowledged']:>6}  retried streams "
            f"{sum(r['failures'].values()):>3} {r['failures']}  restart {r['restart_s']}s  "
            f"lag zero {r['recovery_s']}s ({len(r['groups'])} groups, last behind: {', '.join(r['last_behind']) or '-'})  "
            f"{'OK' if r['ok'] else 'FAILED'}"
            + (f"  ({r['redelivered_registrations']} registrations delivered twice, same event)"
               if r.get("redelivered_registrations") else ""))
        for problem in r["problems"]:
            terminalreporter.write_line(f"    problem: {problem}")
    out = Path(os.environ.get("KNOOPPUNT_FAULT_RESULTS") or _RUN.get("run") or ".")
    terminalreporter.write_line(f"results: {out / 'fault-results.json'}; broker and service logs: {_RUN.get('run')}")
