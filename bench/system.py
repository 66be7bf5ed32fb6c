"""The system figures of issue 7, each measured from outside: gRPC in, Kafka topics out.

Times of registration come from the Kafka record timestamps (CreateTime, set by the
registration service's producer on this same machine), so a slow reader never inflates them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc

from bench.harness.lag import LagProbe
from bench.harness.load import SOURCE, bulk_load, open_loop
from bench.harness.stack import Stack
from cloudevents_kafka.kafka import replay_raw
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from knooppunt.registration.v1.events_pb2 import SignalRegistered
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from services.intake.domain.signal import signal_id_for

REGISTERED = "nl.knooppunt.registration.signal_registered.v1"


async def registered_times(bootstrap: str) -> dict[str, float]:
    """signal id -> record timestamp (s) of its first SignalRegistered."""
    times: dict[str, float] = {}
    async for r in replay_raw(bootstrap, ["signals.registered"]):
        if dict(r.headers).get("ce_type") == REGISTERED.encode():
            times.setdefault(SignalRegistered.FromString(r.value).signal_id, r.timestamp / 1000)
    return times


async def _wait_registered(bootstrap: str, ids: set[str], timeout_s: float) -> list[float]:
    """Registration times of ``ids``, sorted, once all are registered (or what there is at timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        times = await registered_times(bootstrap)
        ours = sorted(times[s] for s in ids if s in times)
        if len(ours) == len(ids) or time.monotonic() > deadline:
            if not ours:
                raise RuntimeError("none of the signals was registered")
            return ours
        await asyncio.sleep(1.0)


def percentiles(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    if not s:
        return {}
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50_ms": pick(0.50) * 1000, "p99_ms": pick(0.99) * 1000, "p999_ms": pick(0.999) * 1000,
            "max_ms": s[-1] * 1000, "count": len(s)}


async def bulk_intake(stack: Stack, run_id: str, signals: int, broker_pid: int | None = None) -> dict:
    """Bulk submission; also the CPU each process spent on it per signal (µs): on a shared
    machine what the client, the broker and the consumers downstream take is not intake's."""
    pids = {**stack.pids(), "client (bench)": os.getpid(), **({"broker": broker_pid} if broker_pid else {})}
    before = cpu_seconds(pids)
    r = await bulk_load(stack.endpoint("intake"), run_id, signals, batch=1000, concurrency=4)
    after = cpu_seconds(pids)
    per_signal = {name: (after[name] - before[name]) / max(1, len(r.acked)) * 1e6 for name in after if name in before}
    return {"signals": len(r.acked), "signals_per_s": r.rate, "retried_streams": dict(r.failures),
            "cpu_us_per_signal": {k: round(v) for k, v in sorted(per_signal.items(), key=lambda kv: -kv[1]) if v >= 1}}


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds each process has used so far (Linux /proc), by name."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, pid in pids.items():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()  # the command name may hold spaces
            out[name] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return out


async def sustained(stack: Stack, bootstrap: str, run_id: str, duration_s: float, rate_guess: float) -> dict:
    """Offer as fast as the client can for ``duration_s``; the sustained rate is what got registered."""
    signals = int(rate_guess * duration_s)
    t0 = time.time()
    r = await bulk_load(stack.endpoint("intake"), run_id, signals, batch=500, concurrency=4)
    # Bounded wait: what registration cannot absorb within 3x the load's duration is not sustained.
    ours = await _wait_registered(bootstrap, set(r.acked.values()), 3 * duration_s + 30)
    span = max(1e-9, ours[-1] - ours[0]) if ours else 1e-9
    window = max(1e-9, ours[-1] - t0) if ours else 1e-9
    series = {}
    for t in ours:
        series[int(t - t0)] = series.get(int(t - t0), 0) + 1
    # Sustained = the rate the whole chain kept up: the lower of intake's accept rate and
    # registration's rate over its own span; `end_to_end_per_s` also counts backlog from before.
    return {"offered": signals, "accepted_per_s": r.rate, "registered_per_s": len(ours) / span,
            "sustained_per_s": min(r.rate, len(ours) / span), "end_to_end_per_s": len(ours) / window, "registered": len(ours),
            "per_second": [series.get(i, 0) for i in range(int(window) + 1)]}


async def latency_open_loop(stack: Stack, bootstrap: str, run_id: str, rate: float, duration_s: float,
                            slice_s: float | None = None) -> dict:
    """Open-loop latency, intended send -> SignalRegistered CreateTime. ``slice_s``: submit in
    client streams of the signals due per slice instead of one unary call each (see open_loop)."""
    sent = await open_loop(stack.endpoint("intake"), run_id, rate, duration_s, slice_s=slice_s)
    probe = LagProbe(bootstrap)
    await asyncio.to_thread(probe.wait_zero, 300.0)
    probe.close()
    times = await registered_times(bootstrap)
    latencies = [times[sid] - t for seq, t in sent["intended"].items()
                 if (sid := signal_id_for(SOURCE, f"{run_id}-{seq}")) in times]
    return {"offered_per_s": rate, "duration_s": duration_s, "errors": sent["errors"],
            "submitted_as": f"client streams per {slice_s * 1000:.0f} ms slice" if slice_s else "unary, one per signal",
            "missing": len(sent["intended"]) - len(latencies), **percentiles(latencies),
            "latencies_s": latencies}


async def registration_alone(stack: Stack, bootstrap: str, run_id: str, signals: int,
                             py_spy: Path | None = None) -> dict:
    """Stop registration, pre-load signals.received through intake, restart, time the catch-up.
    ``py_spy``: record the restarted registration with py-spy (raw collapsed stacks) until caught up."""
    pid = stack.pid("registration")
    os.kill(pid, signal.SIGTERM)
    while stack.pid("registration"):
        await asyncio.sleep(0.1)
    try:
        r = await bulk_load(stack.endpoint("intake"), run_id, signals, batch=1000, concurrency=4)
    finally:  # registration comes back whatever happened: later figures need it
        # It folds all of signals.registered before it serves: with the full profile's million
        # earlier signals that alone takes minutes (about 10,000 events/s, see `rebuild`).
        start_s = await asyncio.to_thread(stack.start_service, "registration", 900.0)
    pid = stack.pid("registration")
    cpu_before = cpu_seconds({"registration": pid})
    recorder = _py_spy(pid, py_spy) if py_spy else None
    try:
        # Wait on registration's committed offsets (cheap), then read the topic once. Reading all
        # of signals.registered again every second (about 13 µs of CPU per record, some 80,000
        # records by this step of a quick run) took CPU from the registration being measured.
        probe = LagProbe(bootstrap)
        try:
            await asyncio.to_thread(probe.wait_zero, 600.0, 0.25, ["knooppunt-registration"])
        finally:
            probe.close()
        ours = await _wait_registered(bootstrap, set(r.acked.values()), 60.0)
    finally:
        if recorder is not None:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            await asyncio.to_thread(recorder.wait, 60)
    # CPU registration spent from SERVING until caught up, per event: less at the mercy of whatever
    # else runs on a shared machine than the rate.
    cpu = cpu_seconds({"registration": pid}).get("registration", 0.0) - cpu_before.get("registration", 0.0)
    return {"events": len(ours), "events_per_s": len(ours) / max(1e-9, ours[-1] - ours[0]), "startup_s": start_s,
            "cpu_us_per_event": round(cpu / max(1, len(ours)) * 1e6)}


def _py_spy(pid: int, out: Path) -> subprocess.Popen:
    py_spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(py_spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                             "--nonblocking", "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def subject_checks(stack: Stack, count: int, concurrency: int = 16) -> None:
    """Hit/no-hit checks: each one is logged and becomes an audit entry (fills audit.log)."""
    asker = sharing_pb2.Actor(person_id="pol-1234", role="partner-analyst", organisation="politie")
    async with grpc.aio.insecure_channel(stack.endpoint("registration")) as channel:
        stub = registration_pb2_grpc.RegistrationServiceStub(channel)
        todo = list(range(count))

        async def worker() -> None:
            while todo:
                i = todo.pop()
                await stub.CheckSubject(registration_pb2.CheckSubjectRequest(
                    subject=signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_ADDRESS, key=f"pc:1000AA:{i % 99 + 1}"),
                    asked_by=asker, purpose="benchmark hit/no-hit"), timeout=30)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def audit_replay(bootstrap: str) -> dict:
    from services.audit.adapters.kafka import read_stored
    from services.audit.domain.chain import verify

    t0 = time.perf_counter()
    raw = [r.value async for r in replay_raw(bootstrap, ["audit.log"])]
    raw_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    values = [v async for v in read_stored(bootstrap)]
    result = verify(values)
    verify_s = time.perf_counter() - t0
    if not values:
        raise RuntimeError("audit.log is empty: nothing to replay")
    return {"entries": len(values), "ok": result.ok, "replay_verify_per_s": len(values) / verify_s,
            "raw_consume_per_s": len(raw) / raw_s, "values": values}


async def rebuild_register(bootstrap: str) -> dict:
    from services.registration.adapters.kafka import rebuild_register as rebuild
    from services.registration.domain.register import Register

    register = Register()
    t0 = time.perf_counter()
    events = await rebuild(bootstrap, register)
    elapsed = time.perf_counter() - t0
    return {"events": events, "signals": len(register.entries), "events_per_s": events / elapsed}


def peak_rss_mb(pids: dict[str, int]) -> dict[str, float]:
    out = {}
    for name, pid in pids.items():
        try:
            for line in open(f"/proc/{pid}/status"):  # noqa: SIM115
                if line.startswith("VmHWM:"):
                    out[name] = int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return out
