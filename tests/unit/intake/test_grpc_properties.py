"""Property-based tests of every intake RPC, over a real socket.

A real grpc.aio server (the production servicer, edge rules and handler) runs in a thread of
its own; the signal log is the in-memory fake held to the SignalLog contract. Hypothesis
sends generated submissions (coherent ones, and arbitrary field values) and mutated ones
(field-level mutations of valid submissions, and byte-level mutations of their encoding).
For every call it checks:
  * no unhandled error: the only codes are OK, INVALID_ARGUMENT and (unknown source) PERMISSION_DENIED;
  * every INVALID_ARGUMENT carries a google.rpc.BadRequest with at least one field violation;
  * refused input produces no event, and an accepted signal exactly one (none for a duplicate);
  * no BSN from the input appears in a refusal.
The example counts add up to 10,000 (EXAMPLES below); each test asserts that it ran all of its own.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knooppunt.intake.v1 import intake_pb2
from knooppunt.signal.v1 import signal_pb2
from services.intake.adapters.edge_rules import EdgeRules
from services.intake.adapters.sources_file import FileSourceDirectory
from services.intake.entrypoints.grpc_api import IntakeServicer, add_to_server
from tests.unit.intake.fakes import NOW, MemorySignalLog, make_submit

EXAMPLES = {"unary_generated": 3000, "unary_mutated": 3000, "bulk_generated": 2000, "bulk_mutated": 2000}
assert sum(EXAMPLES.values()) == 10_000
SOURCES = {s.identity: s for s in FileSourceDirectory.load()}
SUBMIT = "/knooppunt.intake.v1.IntakeService/SubmitSignal"
BULK = "/knooppunt.intake.v1.IntakeService/BulkSubmitSignals"


class Server:
    """The intake servicer on 127.0.0.1 in a thread with its own event loop."""

    def __init__(self) -> None:
        self.log = MemorySignalLog()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self.server = grpc.aio.server()
        add_to_server(IntakeServicer(make_submit(self.log), EdgeRules()), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()

    def __enter__(self) -> Server:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(None), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server() as s:
        yield s


@pytest.fixture(scope="module")
def channel(server: Server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch


# --- strategies -----------------------------------------------------------------------------

def _valid_bsn(digits: list[int]) -> str | None:
    total = sum(d * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2)))
    last = total % 11
    return None if last > 9 else "".join(map(str, digits)) + str(last)


valid_bsns = st.lists(st.integers(0, 9), min_size=8, max_size=8).map(_valid_bsn).filter(
    lambda b: b is not None and b != "000000000"
)
digits = lambda n: st.text("0123456789", min_size=n, max_size=n)  # noqa: E731
short_text = st.text(max_size=30)

addresses = st.builds(
    intake_pb2.AddressInput,
    bag_id=st.one_of(st.just(""), digits(16), short_text),
    postcode=st.one_of(st.sampled_from(["3141 AB", "3142CD", "1011ab"]), short_text),
    house_number=st.one_of(st.integers(1, 200), st.integers(-10, 200_000)),
    house_number_addition=st.one_of(st.just(""), st.sampled_from(["A", "bis", "1-3"]), short_text),
)
companies = st.builds(intake_pb2.CompanyInput, kvk_number=st.one_of(digits(8), short_text),
                      establishment_number=st.one_of(st.just(""), digits(12), short_text))
persons = st.one_of(
    st.builds(intake_pb2.PersonInput, bsn=st.one_of(valid_bsns, digits(9), short_text)),
    st.builds(intake_pb2.PersonInput, name=st.one_of(st.just("J. de Vries"), short_text),
              date_of_birth=st.one_of(st.just("1978-04-02"), st.dates().map(str), short_text)),
)
vehicles = st.builds(intake_pb2.VehicleInput, licence_plate=st.one_of(st.sampled_from(["XX-123-X", "12abc3"]), short_text))
vessels = st.builds(intake_pb2.VesselInput, name=st.one_of(st.just("Zeemeeuw II"), short_text),
                    eni_number=st.one_of(st.just(""), digits(8), short_text))


def subject_inputs(addresses, companies, persons, vehicles, vessels) -> st.SearchStrategy:  # noqa: ANN001
    """A SubjectInput of any kind from these strategies, or one with no kind set."""
    return st.one_of(
        addresses.map(lambda a: intake_pb2.SubjectInput(address=a)),
        companies.map(lambda c: intake_pb2.SubjectInput(company=c)),
        persons.map(lambda p: intake_pb2.SubjectInput(person=p)),
        vehicles.map(lambda v: intake_pb2.SubjectInput(vehicle=v)),
        vessels.map(lambda v: intake_pb2.SubjectInput(vessel=v)),
        st.just(intake_pb2.SubjectInput()),
    )


subjects = subject_inputs(addresses, companies, persons, vehicles, vessels)
attachments = st.builds(
    intake_pb2.AttachmentInput,
    uri=st.one_of(st.integers(1, 999).map(lambda n: f"https://dms.example/doc/{n}"), short_text),
    media_type=st.one_of(st.sampled_from(["image/jpeg", "application/pdf"]), short_text),
    sha256=st.one_of(st.text("0123456789abcdef", min_size=64, max_size=64), short_text),
    size_bytes=st.integers(-5, 2**40),
)
reporters = st.builds(intake_pb2.ReporterInput, name=short_text, email=st.sampled_from(["", "melder@example.org", "not-an-email"]),
                      phone=st.one_of(st.just(""), st.just("+31 10 123 4567"), short_text))
timestamps = st.integers(-10**10, 4 * 10**9).map(lambda s: Timestamp(seconds=s))
descriptions = st.one_of(st.text(min_size=1, max_size=200), st.just(""), st.just(" "),
                         st.just("x" * 10_000), st.just("x" * 10_001))


@st.composite
def coherent(draw) -> intake_pb2.SignalSubmission:  # noqa: ANN001
    """A submission that a configured source could send: mostly accepted."""
    source = SOURCES[draw(st.sampled_from(sorted(SOURCES)))]
    themes = draw(st.lists(st.sampled_from(sorted(source.themes)), min_size=1, max_size=3, unique=True))
    anonymous = source.anonymous_allowed and draw(st.booleans())
    msg = intake_pb2.SignalSubmission(
        channel=source.channel, source=source.identity, source_reference=draw(st.text(min_size=1, max_size=40)),
        themes=themes, description=draw(st.text(min_size=1, max_size=200).filter(str.strip)),
        subjects=draw(st.lists(subjects, max_size=4)), anonymous=anonymous,
        attachments=draw(st.lists(attachments, max_size=2)),
    )
    if draw(st.booleans()):
        msg.observed_at.CopyFrom(Timestamp(seconds=int(NOW.timestamp()) - draw(st.integers(0, 10**8))))
    if not anonymous and draw(st.booleans()):
        msg.reporter.CopyFrom(draw(reporters))
    return msg


arbitrary = st.builds(
    intake_pb2.SignalSubmission,
    channel=st.integers(-3, 8),
    source=st.one_of(st.sampled_from([*SOURCES, "", "stranger", "Politie"]), short_text),
    source_reference=st.one_of(st.text(max_size=10), st.just("r" * 201)),
    observed_at=timestamps,
    themes=st.lists(st.integers(-2, 12), max_size=11),
    description=descriptions,
    subjects=st.one_of(st.lists(subjects, max_size=5),
                       st.tuples(subjects, st.integers(50, 52)).map(lambda t: [t[0]] * t[1])),
    anonymous=st.booleans(),
    attachments=st.lists(attachments, max_size=3),
    reporter=st.one_of(st.none(), reporters),
)
generated = st.one_of(coherent(), arbitrary)

FIELD_MUTATIONS = [
    lambda m, v: m.ClearField("source"),
    lambda m, v: setattr(m, "source", v["text"]),
    lambda m, v: setattr(m, "channel", v["int"]),
    lambda m, v: m.themes.append(v["int"]),
    lambda m, v: m.ClearField("themes"),
    lambda m, v: setattr(m, "description", v["text"]),
    lambda m, v: setattr(m, "source_reference", v["text"]),
    lambda m, v: m.subjects.append(v["subject"]),
    lambda m, v: m.subjects.extend([v["subject"]] * 50),
    lambda m, v: m.subjects.add(),
    lambda m, v: setattr(m, "anonymous", not m.anonymous),
    lambda m, v: m.reporter.CopyFrom(v["reporter"]),
    lambda m, v: m.attachments.append(v["attachment"]),
    lambda m, v: m.observed_at.CopyFrom(v["timestamp"]),
    lambda m, v: m.themes.extend(list(m.themes)),
]


@st.composite
def mutated_bytes(draw) -> bytes:  # noqa: ANN001
    """A valid-looking request, mutated at field level and/or at byte level."""
    msg = draw(coherent())
    for mutation in draw(st.lists(st.sampled_from(FIELD_MUTATIONS), max_size=3)):
        values = {"text": draw(short_text), "int": draw(st.integers(-3, 12)), "subject": draw(subjects),
                  "reporter": draw(reporters), "attachment": draw(attachments), "timestamp": draw(timestamps)}
        mutation(msg, values)
    data = bytearray(intake_pb2.SubmitSignalRequest(signal=msg).SerializeToString())
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[at]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


# --- the properties -------------------------------------------------------------------------

def _bsns(data: bytes) -> set[str]:
    try:
        request = intake_pb2.SubmitSignalRequest.FromString(data)
    except Exception:  # noqa: BLE001
        return set()
    return {s.person.bsn for s in request.signal.subjects if re.fullmatch("[0-9]{9}", s.person.bsn)}


def _source_known(data: bytes) -> bool | None:
    try:
        return intake_pb2.SubmitSignalRequest.FromString(data).signal.source in SOURCES
    except Exception:  # noqa: BLE001
        return None


def check_refusal(err: grpc.RpcError, requests: list[bytes]) -> None:
    code = err.code()
    assert code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED), (code, err.details())
    if code == grpc.StatusCode.PERMISSION_DENIED:
        assert False in {_source_known(r) for r in requests}
        return
    status = rpc_status.from_call(err)
    assert status is not None and status.details, "INVALID_ARGUMENT without details"
    detail = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(detail) and detail.field_violations
    assert all(v.field and v.description for v in detail.field_violations)
    text = status.message + "".join(v.description + v.field for v in detail.field_violations)
    for bsn in set().union(*(_bsns(r) for r in requests)):
        assert bsn not in text


def submit_once(channel: grpc.Channel, log: MemorySignalLog, data: bytes) -> None:
    call = channel.unary_unary(SUBMIT, request_serializer=None, response_deserializer=intake_pb2.SubmitSignalResponse.FromString)
    before = len(log.appended)
    try:
        receipt = call(data, timeout=10).receipt
    except grpc.RpcError as err:
        check_refusal(err, [data])
        assert len(log.appended) == before, "refused input produced an event"
        return
    if receipt.duplicate:
        assert len(log.appended) == before
    else:
        assert len(log.appended) == before + 1 and log.appended[-1].signal_id == receipt.signal_id
    assert not any(b in log.appended[-1].model_dump_json() for b in _bsns(data)) if log.appended else True


def bulk_once(channel: grpc.Channel, log: MemorySignalLog, batch: list[bytes]) -> None:
    call = channel.stream_unary(BULK, request_serializer=None, response_deserializer=intake_pb2.BulkSubmitSignalsResponse.FromString)
    before = len(log.appended)
    try:
        receipts = call(iter(batch), timeout=20).receipts
    except grpc.RpcError as err:
        check_refusal(err, batch)
        # Signals before the refused one may have been accepted; each of those exactly once.
        new = log.appended[before:]
        assert len({s.signal_id for s in new}) == len(new)
        return
    assert len(receipts) == len(batch)
    fresh = [r.signal_id for r in receipts if not r.duplicate]
    assert [s.signal_id for s in log.appended[before:]] == fresh or sorted(
        s.signal_id for s in log.appended[before:]) == sorted(fresh)


def _run(test, name: str) -> None:  # noqa: ANN001
    counter = {"n": 0}
    test(counter)
    assert counter["n"] == EXAMPLES[name], f"{name}: ran {counter['n']} examples"


COMMON = dict(deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


def test_submit_signal_generated(channel: grpc.Channel, server: Server) -> None:
    @settings(max_examples=EXAMPLES["unary_generated"], **COMMON)
    @given(generated)
    def run(counter, msg):  # noqa: ANN001
        counter["n"] += 1
        submit_once(channel, server.log, intake_pb2.SubmitSignalRequest(signal=msg).SerializeToString())

    _run(lambda c: run(c), "unary_generated")


def test_submit_signal_mutated(channel: grpc.Channel, server: Server) -> None:
    @settings(max_examples=EXAMPLES["unary_mutated"], **COMMON)
    @given(mutated_bytes())
    def run(counter, data):  # noqa: ANN001
        counter["n"] += 1
        submit_once(channel, server.log, data)

    _run(lambda c: run(c), "unary_mutated")


def test_bulk_submit_generated(channel: grpc.Channel, server: Server) -> None:
    @settings(max_examples=EXAMPLES["bulk_generated"], **COMMON)
    @given(st.lists(generated, min_size=0, max_size=5))
    def run(counter, batch):  # noqa: ANN001
        counter["n"] += 1
        bulk_once(channel, server.log, [intake_pb2.BulkSubmitSignalsRequest(signal=m).SerializeToString() for m in batch])

    _run(lambda c: run(c), "bulk_generated")


def test_bulk_submit_mutated(channel: grpc.Channel, server: Server) -> None:
    # BulkSubmitSignalsRequest has the same shape as SubmitSignalRequest (field 1: the signal).
    @settings(max_examples=EXAMPLES["bulk_mutated"], **COMMON)
    @given(st.lists(mutated_bytes(), min_size=1, max_size=4))
    def run(counter, batch):  # noqa: ANN001
        counter["n"] += 1
        bulk_once(channel, server.log, batch)

    _run(lambda c: run(c), "bulk_mutated")
