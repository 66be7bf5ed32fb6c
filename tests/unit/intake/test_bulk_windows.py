"""BulkSubmitSignals submits a window at a time: receipts in order, one log append per window,
UNAVAILABLE (and no receipt at all) when the log fails, nothing published after a refusal,
and duplicates within a stream published once."""

from __future__ import annotations

import grpc
import pytest

from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from knooppunt.signal.v1 import signal_pb2
from services.intake.adapters.edge_rules import EdgeRules
from services.intake.entrypoints import grpc_api
from services.intake.entrypoints.grpc_api import IntakeServicer, add_to_server
from tests.unit.intake.fakes import MemorySignalLog, make_submit


class CountingLog(MemorySignalLog):
    def __init__(self, fail_from_call: int | None = None) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.fail_from_call = fail_from_call

    async def append_many(self, signals) -> None:  # noqa: ANN001
        self.calls.append(len(signals))
        if self.fail_from_call is not None and len(self.calls) >= self.fail_from_call:
            self.available = False
        await super().append_many(signals)


def request(ref: str, theme: int = signal_pb2.THEME_HENNEP_DRUGS) -> intake_pb2.BulkSubmitSignalsRequest:
    return intake_pb2.BulkSubmitSignalsRequest(signal=intake_pb2.SignalSubmission(
        channel=signal_pb2.CHANNEL_PARTNER, source="energieleverancier", source_reference=ref,
        themes=[theme], description="Meter overbrugd",
        subjects=[intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3141 AB", house_number=12))],
    ))


@pytest.fixture
async def intake(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(grpc_api, "BULK_WINDOW", 10)
    servers = []

    async def start(log: CountingLog) -> intake_pb2_grpc.IntakeServiceStub:
        server = grpc.aio.server()
        add_to_server(IntakeServicer(make_submit(log), EdgeRules()), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        servers.append((server, channel))
        return intake_pb2_grpc.IntakeServiceStub(channel)

    yield start
    for server, channel in servers:
        await channel.close()
        await server.stop(None)


async def test_receipts_in_order_one_append_per_window_and_duplicates_once(intake) -> None:  # noqa: ANN001
    log = CountingLog()
    stub = await intake(log)
    refs = [f"w-{i}" for i in range(25)] + ["w-3", "w-24"]
    response = await stub.BulkSubmitSignals(iter([request(r) for r in refs]), timeout=10)
    assert [r.source_reference for r in response.receipts] == refs
    assert [r.duplicate for r in response.receipts] == [False] * 25 + [True, True]
    assert log.calls == [10, 10, 5]  # the two repeats are known by then: no append for them
    assert [s.source_reference for s in log.appended] == refs[:25]


async def test_a_failing_log_gives_unavailable_and_no_receipt(intake) -> None:  # noqa: ANN001
    log = CountingLog(fail_from_call=2)
    stub = await intake(log)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.BulkSubmitSignals(iter([request(f"u-{i}") for i in range(25)]), timeout=10)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "signal 10" in err.value.details()
    assert len(log.appended) == 10  # the first window was stored; the client resubmits all, safely


async def test_nothing_after_a_refused_signal_is_published(intake) -> None:  # noqa: ANN001
    log = CountingLog()
    stub = await intake(log)
    refs = [f"x-{i}" for i in range(15)]
    requests = [request(r) for r in refs]
    requests[12] = request("x-12", theme=999)  # refused by the contract rules
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.BulkSubmitSignals(iter(requests), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [s.source_reference for s in log.appended] == refs[:12]
