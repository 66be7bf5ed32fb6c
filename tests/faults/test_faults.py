"""Crash, restart and pause each part of the system during a numbered load; nothing is lost
or duplicated, every sharing decision is audited once, every referral issued once per
recipient, and the audit log verifies. Then the same with two instances of registration and
referral sharing their consumer groups, killing one instance."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from bench.harness.checker import check
from bench.harness.lag import LagProbe
from bench.harness.lio_driver import decide
from bench.harness.load import SOURCE, LoadResult, bulk_load
from bench.harness.stack import SERVICES
from servicehost import ServiceSettings
from services.intake.domain.signal import signal_id_for

from .conftest import MULTI_SERVICES, PARTNER_GROUPS, RESULTS, env_int

pytestmark = [pytest.mark.faults, pytest.mark.timeout(420)]

SIGNALS = env_int("KNOOPPUNT_FAULT_SIGNALS", 1000)
DECISIONS = env_int("KNOOPPUNT_FAULT_DECISIONS", 4)
RECOVERY_S = float(os.environ.get("KNOOPPUNT_FAULT_RECOVERY_S") or 120)
PAUSED = os.environ.get("KNOOPPUNT_FAULT_PAUSED", "registration")
SCENARIOS = [("sigkill", s) for s in SERVICES] + [("broker-kill9", "kafka"), ("sigstop", PAUSED)]
# With more instances: kill the second instance of each (the first keeps its partitions meanwhile),
# and pause one past its session timeout: its partitions move to the other instance, and when it
# resumes no signal may end up with a second registration (its producer may still deliver the
# same event late: the checker counts that as a redelivery, see bench/harness/checker.py).
MULTI_SCENARIOS = [("sigkill", f"{s}-1") for s in MULTI_SERVICES] + [
    ("sigstop", f"{PAUSED if PAUSED in MULTI_SERVICES else MULTI_SERVICES[0]}-1")]


async def _fault(system: dict, kind: str, target: str) -> float:
    """Apply the fault and bring the part back; returns seconds until it serves again."""
    stack, broker = system["stack"], system["broker"]
    if kind == "sigkill":
        stack.signal(target, signal.SIGKILL)
        await asyncio.sleep(1.0)  # clients see UNAVAILABLE for a moment
        return await asyncio.to_thread(stack.start_service, target)
    if kind == "broker-kill9":
        broker.kill9()
        await asyncio.sleep(2.0)
        return await asyncio.to_thread(broker.start)
    # Past the consumer session timeout (the services' own setting): the group evicts the paused member.
    pause_s = ServiceSettings().kafka_session_timeout_s + 5
    stack.signal(target, signal.SIGSTOP)
    await asyncio.sleep(pause_s)
    t0 = time.monotonic()
    stack.signal(target, signal.SIGCONT)
    return time.monotonic() - t0


async def _scenario(system: dict, kind: str, target: str) -> None:
    stack = system["stack"]
    scenario = f"{kind}-{target}" + (f"-x{system['instances']}" if system["instances"] > 1 else "")
    run_id = f"f{int(time.time())}-{scenario}"
    # 1. A numbered load; the fault comes when a third of it was acknowledged.
    third, progress = asyncio.Event(), LoadResult()
    load = asyncio.create_task(bulk_load(stack.endpoint("intake"), run_id, SIGNALS, batch=100, concurrency=2,
                                         progress=third, progress_at=SIGNALS // 3, result=progress))
    await asyncio.wait({load, asyncio.create_task(third.wait())}, return_when=asyncio.FIRST_COMPLETED)
    # 2. Sharing decisions in the LIO during the load, about signals already acknowledged.
    early = [sid for _, sid in sorted(progress.acked.items())][:DECISIONS]
    decisions = asyncio.create_task(decide(stack.endpoint("lio"), early))
    # 3. The fault, and the part brought back.
    t_fault = time.monotonic()
    restart_s = await _fault(system, kind, target)
    result = await load
    decided = await decisions
    # 4. Recovery: until every consumer group has caught up, the police adapter's included.
    probe = LagProbe(system["broker"].bootstrap, also=PARTNER_GROUPS)
    try:
        waited = await asyncio.to_thread(probe.wait_zero, RECOVERY_S)
    finally:
        probe.close()
    recovery_s = None if waited is None else round(time.monotonic() - t_fault, 1)
    # 5. The invariants, from the topics themselves.
    all_ids = {signal_id_for(SOURCE, f"{run_id}-{i}") for i in range(SIGNALS)}
    verdict = await check(system["broker"].bootstrap, result.acked, all_ids, decided)
    if recovery_s is None:
        verdict.problems.append(f"consumer lag did not return to zero within {RECOVERY_S:.0f} s: {probe.last}")
    if len(result.acked) != SIGNALS:
        verdict.problems.append(f"the load got {len(result.acked)} of {SIGNALS} signals acknowledged")
    RESULTS.append({"scenario": scenario, "instances": system["instances"], "signals": SIGNALS,
                    "acknowledged": len(result.acked), "failures": dict(result.failures),
                    "restart_s": round(restart_s, 1), "recovery_s": recovery_s,
                    # the groups the probe waited for, with their lag when it stopped (all 0 when it recovered)
                    "groups": probe.last if isinstance(probe.last, dict) else {}, "last_behind": probe.behind, "ok": verdict.ok,
                    "problems": verdict.problems, **verdict.figures})
    assert verdict.ok, "invariants broken:\n" + "\n".join(verdict.problems)


@pytest.mark.parametrize(("kind", "target"), SCENARIOS, ids=[f"{k}-{t}" for k, t in SCENARIOS])
async def test_fault(system: dict, kind: str, target: str) -> None:
    await _scenario(system, kind, target)


@pytest.mark.parametrize(("kind", "target"), MULTI_SCENARIOS, ids=[f"{k}-{t}" for k, t in MULTI_SCENARIOS])
async def test_fault_multi_instance(multi: dict, kind: str, target: str) -> None:
    await _scenario(multi, kind, target)
