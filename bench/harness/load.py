"""Numbered load over gRPC: every signal's source_reference is ``<run id>-<sequence>``.

A signal counts as acknowledged only when its receipt arrived (intake answers after Kafka
acked). A failed stream (UNAVAILABLE while a service or the broker is down, a deadline) is
resubmitted whole: intake is idempotent on (source, source_reference), so that is safe, and
the load records every failure code it saw.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from knooppunt.signal.v1 import signal_pb2

SOURCE = "energieleverancier"  # a partner source configured for the demo and the local stack
RECORD_BYTES = 1024
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
             grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
_OBSERVED = Timestamp(seconds=1_790_000_000)


def submission(run_id: str, seq: int) -> intake_pb2.SignalSubmission:
    """One signal of about RECORD_BYTES serialised, with an address unique to its sequence."""
    reference = f"{run_id}-{seq}"
    postcode = f"{1000 + (seq // 26 // 26 // 99) % 9000} {chr(65 + seq // 99 // 26 % 26)}{chr(65 + seq // 99 % 26)}"
    # The padding depends only on the reference's length (postcode and house number have a fixed
    # size): worked out once per length, so the client spends its CPU on sending, not on sizing.
    description = _DESCRIPTIONS.get(len(reference))
    if description is None:
        size = _submission(reference, postcode, seq, "x").ByteSize()
        description = _DESCRIPTIONS.setdefault(
            len(reference), "Stroomverbruik verdrievoudigd; meter overbrugd. " + "." * max(0, RECORD_BYTES - size - 48))
    return _submission(reference, postcode, seq, description)


_DESCRIPTIONS: dict[int, str] = {}


def _submission(reference: str, postcode: str, seq: int, description: str) -> intake_pb2.SignalSubmission:
    return intake_pb2.SignalSubmission(
        channel=signal_pb2.CHANNEL_PARTNER, source=SOURCE, source_reference=reference,
        observed_at=_OBSERVED, themes=[signal_pb2.THEME_HENNEP_DRUGS], description=description,
        subjects=[intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode=postcode, house_number=seq % 99 + 1))],
    )


@dataclass
class LoadResult:
    acked: dict[int, str] = field(default_factory=dict)   # sequence -> signal id
    failures: Counter = field(default_factory=Counter)    # status code name -> count of failed streams
    ack_times: list[tuple[float, int]] = field(default_factory=list)  # (wall clock, signals acked)
    started: float = 0.0
    finished: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.acked) / max(1e-9, self.finished - self.started)


async def bulk_load(target: str, run_id: str, total: int, batch: int = 500, concurrency: int = 4,
                    retry_for_s: float = 180.0, first_seq: int = 0, progress: asyncio.Event | None = None,
                    progress_at: int = 0, result: LoadResult | None = None) -> LoadResult:
    """Submit ``total`` numbered signals in client streams of ``batch``, ``concurrency`` at once.

    Pass ``result`` to watch acknowledgements while the load runs.
    """
    result = result if result is not None else LoadResult()
    result.started = time.time()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for start in range(first_seq, first_seq + total, batch):
        queue.put_nowait(start)
    options = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]

    async with grpc.aio.insecure_channel(target, options=options) as channel:
        stub = intake_pb2_grpc.IntakeServiceStub(channel)

        async def worker() -> None:
            while not queue.empty():
                start = queue.get_nowait()
                seqs = range(start, min(start + batch, first_seq + total))
                requests = [intake_pb2.BulkSubmitSignalsRequest(signal=submission(run_id, s)) for s in seqs]
                deadline = time.monotonic() + retry_for_s
                backoff = 0.2
                while True:
                    try:
                        response = await stub.BulkSubmitSignals(iter(requests), timeout=60, wait_for_ready=True)
                        break
                    except grpc.aio.AioRpcError as err:
                        if err.code() not in RETRYABLE or time.monotonic() > deadline:
                            raise
                        result.failures[err.code().name] += 1
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 2.0)
                for s, receipt in zip(seqs, response.receipts, strict=True):
                    result.acked[s] = receipt.signal_id
                result.ack_times.append((time.time(), len(response.receipts)))
                if progress is not None and len(result.acked) >= progress_at:
                    progress.set()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.finished = time.time()
    return result


async def open_loop(target: str, run_id: str, rate: float, duration_s: float, first_seq: int = 0,
                    slice_s: float | None = None) -> dict:
    """Submissions scheduled by the clock at ``rate``/s, never waiting for earlier answers.

    Unary (one SubmitSignal per signal) by default. With ``slice_s`` the signals that fell due
    in each slice of that length go out together as one BulkSubmitSignals stream, the way a
    source system that batches submits: a Python client spends several times less CPU per
    signal so, on a 2-core machine that also runs the whole system, the generator does not
    take the CPU the system under test needs. Either way the intended send time of every
    signal is returned (source sequence -> wall clock), and latency is measured from it, so
    waiting for a slice counts as latency too (no coordinated omission).
    """
    intended: dict[int, float] = {}
    errors: Counter = Counter()
    tasks = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = intake_pb2_grpc.IntakeServiceStub(channel)

        async def send(seq: int) -> None:
            try:
                await stub.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=submission(run_id, seq)), timeout=30)
            except grpc.aio.AioRpcError as err:
                errors[err.code().name] += 1

        async def send_slice(seqs: range) -> None:
            try:
                await stub.BulkSubmitSignals(iter([intake_pb2.BulkSubmitSignalsRequest(signal=submission(run_id, s))
                                                   for s in seqs]), timeout=30)
            except grpc.aio.AioRpcError as err:
                errors[err.code().name] += len(seqs)

        n = int(rate * duration_s)
        wall0, mono0 = time.time(), time.monotonic()
        if slice_s:
            sent = 0
            for k in range(1, int(duration_s / slice_s) + 2):
                delay = k * slice_s - (time.monotonic() - mono0)
                if delay > 0:
                    await asyncio.sleep(delay)
                due = min(n, int((time.monotonic() - mono0) * rate) + 1)
                if due > sent:
                    for i in range(sent, due):
                        intended[first_seq + i] = wall0 + i / rate
                    tasks.append(asyncio.ensure_future(send_slice(range(first_seq + sent, first_seq + due))))
                    sent = due
                if sent >= n:
                    break
        else:
            for i in range(n):
                due = i / rate
                delay = due - (time.monotonic() - mono0)
                if delay > 0:
                    await asyncio.sleep(delay)
                intended[first_seq + i] = wall0 + due
                tasks.append(asyncio.ensure_future(send(first_seq + i)))
        await asyncio.gather(*tasks)
    return {"intended": intended, "errors": dict(errors)}
