"""`python -m bench.run --profile quick|full [--out DIR]`: baselines and system, one run.

Starts its own broker (kafka.sh, free ports, run dir under the results folder) and its own
stack (stack.py, own port base), measures, writes run.json + summary.md + PNGs, stops both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import baselines, report, system
from bench.harness.broker import Broker
from bench.harness.lag import LagProbe
from bench.harness.load import bulk_load
from bench.harness.ports import free_block, free_port
from bench.harness.stack import Stack

PROFILES = {
    "quick": dict(kafka=50_000, relay=10_000, rpc_unary=5_000, rpc_stream=20_000, bulk=5_000, sustain_s=15,
                  latency_s=10, registration=5_000, checks=500, million=0),
    "full": dict(kafka=1_000_000, relay=100_000, rpc_unary=50_000, rpc_stream=200_000, bulk=50_000, sustain_s=300,
                 latency_s=60, registration=50_000, checks=10_000, million=1_000_000),
}


LATENCY_SLICE_S = 0.01


async def _step(results: dict, name: str, coro) -> None:  # noqa: ANN001
    """One figure; a failure is recorded in the results, and the run goes on to the next."""
    try:
        results[name] = await coro or {"done": True}
    except Exception as exc:  # noqa: BLE001
        results[name] = {"error": repr(exc)[:500]}


async def bulk_import(broker: Broker, stack: Stack, signals: int) -> dict:
    """The migration case: ``signals`` numbered signals into an empty system, over the bulk RPC,
    until every consumer group has caught up; the peak memory of each service is that of the
    import (a fresh stack, so nothing measured before inflates it)."""
    tag = datetime.now(UTC).strftime("%H%M%S")
    t0 = time.monotonic()
    load = await bulk_load(stack.endpoint("intake"), f"m-{tag}", signals, batch=5000, concurrency=4)
    acked_s = time.monotonic() - t0
    probe = LagProbe(broker.bootstrap)
    try:
        caught_up = await asyncio.to_thread(probe.wait_zero, 3600.0)
    finally:
        probe.close()
    total_s = time.monotonic() - t0
    return {"signals": signals, "acknowledged": len(load.acked), "acked_s": acked_s, "total_s": total_s,
            "signals_per_s": signals / total_s, "caught_up": caught_up is not None,
            "peak_rss_mb": system.peak_rss_mb(stack.pids())}


def _import_on_fresh_stack(out: Path, signals: int) -> dict:
    broker = Broker(out / "run-import", free_port(), free_port())
    broker.start()
    stack = Stack(out / "run-import", free_block(5), broker.bootstrap)
    try:
        stack.up()
        return asyncio.run(bulk_import(broker, stack, signals))
    except Exception as exc:  # noqa: BLE001 (recorded in the results like every other step)
        return {"error": repr(exc)[:500]}
    finally:
        stack.down()
        broker.stop()


async def measure_registration(profile: str, broker: Broker, stack: Stack, signals: int | None = None,
                               py_spy: Path | None = None) -> dict:
    """``--only registration``: B_relay and registration alone, nothing else (a quicker loop
    while working on registration; the ratio is the same figure as in a whole run)."""
    p = PROFILES[profile]
    tag = datetime.now(UTC).strftime("%H%M%S")
    b, s = {}, {}
    await _step(b, "relay", baselines.b_relay(broker.bootstrap, p["relay"]))
    await _step(s, "registration", system.registration_alone(stack, broker.bootstrap, f"reg-{tag}",
                                                             signals or p["registration"], py_spy=py_spy))
    return {"baselines": b, "system": s}


async def measure_bulk(profile: str, broker: Broker, stack: Stack, signals: int | None = None) -> dict:
    """``--only bulk``: B_rpc and bulk intake, nothing else (the ratio is the same figure as in a
    whole run); the bench process is the client, so profile it and intake during the bulk step."""
    p = PROFILES[profile]
    tag = datetime.now(UTC).strftime("%H%M%S")
    b, s = {}, {}
    await _step(b, "rpc", baselines.b_rpc(p["rpc_unary"], p["rpc_stream"]))
    await _step(s, "bulk_intake", system.bulk_intake(stack, f"bulk-{tag}", signals or p["bulk"], broker.pid()))
    return {"baselines": b, "system": s}


async def measure(profile: str, broker: Broker, stack: Stack) -> dict:
    p = PROFILES[profile]
    tag = datetime.now(UTC).strftime("%H%M%S")
    b, s = {}, {}
    await _step(b, "kafka", asyncio.to_thread(baselines.b_kafka, broker, p["kafka"]))
    await _step(b, "relay", baselines.b_relay(broker.bootstrap, p["relay"]))
    await _step(b, "rpc", baselines.b_rpc(p["rpc_unary"], p["rpc_stream"]))
    await _step(s, "bulk_intake", system.bulk_intake(stack, f"bulk-{tag}", p["bulk"], broker.pid()))
    await _step(s, "sustained", system.sustained(stack, broker.bootstrap, f"sus-{tag}", p["sustain_s"],
                                                 s["bulk_intake"].get("signals_per_s", 500)))
    # Open loop at 50% of the sustained rate, submitted in client streams of the signals due per
    # 10 ms slice: one unary call per signal costs a Python client and server several times the
    # CPU per signal (B_rpc unary vs streaming), which on 2 cores is taken from the system under
    # test. The unary path is measured too, at 25% of the sustained rate.
    sustained_rate = s["sustained"].get("sustained_per_s", 200)
    await _step(s, "latency", system.latency_open_loop(stack, broker.bootstrap, f"lat-{tag}", 0.5 * sustained_rate,
                                                       p["latency_s"], slice_s=LATENCY_SLICE_S))
    await _step(s, "latency_unary", system.latency_open_loop(stack, broker.bootstrap, f"latu-{tag}", 0.25 * sustained_rate,
                                                             p["latency_s"]))
    s["latency_unary"].pop("latencies_s", None)
    await _step(s, "registration", system.registration_alone(stack, broker.bootstrap, f"reg-{tag}", p["registration"]))
    await _step(s, "subject_checks", system.subject_checks(stack, p["checks"]))
    await asyncio.to_thread(LagProbe(broker.bootstrap).wait_zero, 300.0)
    await _step(s, "audit", system.audit_replay(broker.bootstrap))
    b["hash"] = baselines.b_hash(s["audit"].pop("values", [b"\x00" * 1024]))
    await _step(s, "rebuild", system.rebuild_register(broker.bootstrap))
    s["peak_rss_mb"] = system.peak_rss_mb(stack.pids())
    return {"baselines": b, "system": s}


def _exit_on_sigterm(signum, frame) -> None:  # noqa: ANN001
    raise SystemExit(128 + signum)  # so that the broker and the stack are stopped (finally)


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--note", default="", help="e.g. 'smoke run on a loaded machine'")
    parser.add_argument("--only", choices=["bulk", "registration"],
                        help="registration: only B_relay and registration alone; bulk: only B_rpc and bulk intake (no import)")
    parser.add_argument("--signals", type=int, help="with --only registration: signals pre-loaded; with --only bulk: "
                                                    "signals submitted (default: the profile's)")
    parser.add_argument("--py-spy", type=Path, help="with --only registration: py-spy record of registration while it "
                                                    "catches up, written to this file (raw collapsed stacks)")
    args = parser.parse_args()
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = (args.out or Path("bench/results") / started).resolve()
    run = out / "run"
    broker = Broker(run, free_port(), free_port())
    broker.start()
    stack = Stack(run, free_block(5), broker.bootstrap)
    try:
        stack.up()
        t0 = time.monotonic()
        if args.only == "registration":
            data = asyncio.run(measure_registration(args.profile, broker, stack, args.signals, args.py_spy))
        elif args.only == "bulk":
            data = asyncio.run(measure_bulk(args.profile, broker, stack, args.signals))
        else:
            data = asyncio.run(measure(args.profile, broker, stack))
        if PROFILES[args.profile]["million"] and not args.only:
            stack.down()
            broker.stop()
            data["system"]["million"] = _import_on_fresh_stack(out, PROFILES[args.profile]["million"])
        data |= {"profile": args.profile, "started": started, "elapsed_s": time.monotonic() - t0,
                 "machine": f"{platform.node()} {os.cpu_count()} CPUs, load average {os.getloadavg()}",
                 "note": args.note + (f" (--only {args.only})" if args.only else "")}
        out.mkdir(parents=True, exist_ok=True)
        (out / "run.partial.json").write_text(json.dumps(data, default=str))  # kept if the summary fails
        data["ratios"] = report.ratios(data)
        report.write(out, data)
        (out / "run.partial.json").unlink()
        print((out / "summary.md").read_text())
    finally:
        stack.down()
        broker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
