"""The edge screen is held to protovalidate's verdict over the same rules.

The screen may only say "valid" when protovalidate finds no violation (sound), and it must say
so for every message protovalidate accepts unless a rule it does not know is present (here:
the `uri` rule of attachments), or intake would lose its speed-up silently. Generated messages
sit on and around every limit of intake.proto: lengths at and one past each bound counted in
characters (with multi-byte ones), patterns with a trailing newline or non-ASCII digits, enum
values 0 and undefined, repeated duplicates and counts, oneofs unset, the CEL rule.
"""

from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protovalidate import Validator

from bench.harness.load import submission
from knooppunt.intake.v1 import intake_pb2
from knooppunt.signal.v1 import signal_pb2
from services.intake.adapters import edge_screen
from services.intake.adapters.edge_rules import EdgeRules, _path
from services.intake.adapters.edge_screen import EdgeScreen, compile_screen
from tests.unit.intake.test_grpc_properties import subject_inputs

VALIDATOR = Validator()
SCREEN = EdgeScreen()
# Characters where engines and counts differ: multi-byte, Arabic-Indic digits, a newline.
ALPHABET = "09az AZ.-+/_é€١\n"


def around(*limits: int) -> st.SearchStrategy[str]:
    """Strings of exactly limit-1, limit and limit+1 characters, and short arbitrary ones."""
    sized = st.sampled_from([k for n in limits for k in (n - 1, n, n + 1) if k >= 0]).flatmap(
        lambda k: st.text(ALPHABET, min_size=k, max_size=k))
    return st.one_of(sized, st.text(ALPHABET, max_size=12), st.just(""))


def digits(n: int) -> st.SearchStrategy[str]:
    exact = st.text("0123456789", min_size=n, max_size=n)
    return st.one_of(exact, exact.map(lambda s: s + "\n"), exact.map(lambda s: "\n" + s),
                     exact.map(lambda s: s[:-1] + "١"), around(n), st.just(""))


enum_values = st.one_of(st.sampled_from([0, 1, 2, 3, 99, -1]), st.integers(-5, 20))
addresses = st.builds(intake_pb2.AddressInput, bag_id=digits(16), postcode=around(7),
                      house_number=st.sampled_from([-1, 0, 1, 99999, 100000]) | st.integers(-10, 10**6),
                      house_number_addition=around(4))
companies = st.builds(intake_pb2.CompanyInput, kvk_number=digits(8), establishment_number=digits(12))
persons = st.builds(intake_pb2.PersonInput, bsn=around(9), name=around(200), date_of_birth=around(10))
vehicles = st.builds(intake_pb2.VehicleInput, licence_plate=around(1, 10))
vessels = st.builds(intake_pb2.VesselInput, name=around(100), eni_number=digits(8))
subjects = subject_inputs(addresses, companies, persons, vehicles, vessels)
attachments = st.builds(intake_pb2.AttachmentInput, uri=st.sampled_from(["https://dms.example/d/1", "", "not a uri"]),
                        media_type=st.sampled_from(["image/jpeg", "x", "Image/JPEG"]),
                        sha256=digits(64), size_bytes=st.sampled_from([-1, 0, 10737418240, 10737418241]))
reporters = st.builds(intake_pb2.ReporterInput, name=around(200), email=around(254),
                      phone=st.one_of(around(20), st.sampled_from(["+31 10 123 4567", "12345", "123456", "+3110123456\n"])),
                      employee_id=around(50))
signals = st.builds(
    intake_pb2.SignalSubmission,
    channel=enum_values,
    source=st.one_of(st.sampled_from(["energieleverancier", "a", "A", "-x", "x.y-z", "x\n"]), around(100)),
    source_reference=around(1, 200),
    observed_at=st.one_of(st.none(), st.integers(-10**10, 4 * 10**9).map(lambda s: Timestamp(seconds=s))),
    themes=st.lists(enum_values, max_size=11),
    description=st.one_of(around(1), st.sampled_from(["x" * 10_000, "é" * 10_000, "x" * 10_001])),
    subjects=st.one_of(st.lists(subjects, max_size=3), st.sampled_from([50, 51]).map(
        lambda n: [intake_pb2.SubjectInput(vehicle=intake_pb2.VehicleInput(licence_plate="AB12CD"))] * n)),
    anonymous=st.booleans(),
    attachments=st.one_of(st.just([]), st.lists(attachments, max_size=2)),
    reporter=st.one_of(st.none(), reporters),
)
requests = st.one_of(
    signals.map(lambda s: intake_pb2.BulkSubmitSignalsRequest(signal=s)),
    signals.map(lambda s: intake_pb2.SubmitSignalRequest(signal=s)),
    st.just(intake_pb2.BulkSubmitSignalsRequest()),
)


def _check(request) -> bool:  # noqa: ANN001
    """Asserts the screen's verdict against protovalidate's; True when the message was valid."""
    violations = VALIDATOR.collect_violations(request)
    valid = SCREEN.valid(request)
    if valid:
        assert not violations, f"screen passed a message protovalidate refuses: {violations}"
    elif not violations:
        assert request.signal.attachments, "screen deferred a valid message without a rule it does not know"
    return not violations


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_screen_agrees_with_protovalidate(request) -> None:  # noqa: ANN001
    _check(request)


def _valid_signal() -> intake_pb2.SignalSubmission:
    s = submission("screen", 7)
    s.subjects.add(company=intake_pb2.CompanyInput(kvk_number="12345678", establishment_number="123456789012"))
    s.subjects.add(person=intake_pb2.PersonInput(bsn="111222333"))
    s.subjects.add(vessel=intake_pb2.VesselInput(name="Zeemeeuw II", eni_number="12345678"))
    s.reporter.CopyFrom(intake_pb2.ReporterInput(name="Melder", email="melder@example.org", phone="+31 10 123 4567"))
    return s


MUTATIONS = [  # (field path, value): each on its own makes a valid signal invalid
    ("channel", 0), ("channel", 99), ("source", ""), ("source", "x" * 101), ("source", "Energie"), ("source", "x\n"),
    ("source_reference", ""), ("source_reference", "é" * 201), ("description", ""), ("description", "€" * 10_001),
    ("subjects.0.address.bag_id", "123456789012345"), ("subjects.0.address.bag_id", "123456789012345\n"),
    ("subjects.0.address.postcode", "1234 ABC"), ("subjects.0.address.house_number", -1),
    ("subjects.0.address.house_number", 100_000), ("subjects.0.address.house_number_addition", "abcde"),
    ("subjects.1.company.kvk_number", "1234567"), ("subjects.1.company.kvk_number", "1234567١"),
    ("subjects.1.company.establishment_number", "12345678901"), ("subjects.2.person.bsn", "1234567890"),
    ("subjects.3.vessel.eni_number", "12345678\n"), ("reporter.phone", "12345"), ("reporter.phone", "+31 10 123 4567 89 01"),
    ("reporter.email", "e" * 255), ("anonymous", True),
]


def _set(message, path: str, value) -> None:  # noqa: ANN001
    *parents, last = path.split(".")
    for part in parents:
        message = message[int(part)] if part.isdigit() else getattr(message, part)
    setattr(message, last, value)


def test_a_valid_signal_of_every_subject_kind_passes_the_screen() -> None:
    assert _check(intake_pb2.BulkSubmitSignalsRequest(signal=_valid_signal()))
    assert SCREEN.valid(intake_pb2.BulkSubmitSignalsRequest(signal=_valid_signal()))


@pytest.mark.parametrize(("path", "value"), MUTATIONS)
def test_every_rule_is_screened(path: str, value) -> None:  # noqa: ANN001
    signal = _valid_signal()
    _set(signal, path, value)
    request = intake_pb2.BulkSubmitSignalsRequest(signal=signal)
    assert not SCREEN.valid(request)
    assert VALIDATOR.collect_violations(request), f"{path}={value!r} should be a violation"


def test_repeated_rules_are_screened() -> None:
    for themes in ([], [signal_pb2.THEME_HENNEP_DRUGS] * 2, [0], list(range(1, 11))):
        signal = _valid_signal()
        signal.ClearField("themes")
        signal.themes.extend(themes)
        _check(intake_pb2.BulkSubmitSignalsRequest(signal=signal))
        assert not SCREEN.valid(intake_pb2.BulkSubmitSignalsRequest(signal=signal))
    signal = _valid_signal()
    signal.subjects.add()  # the oneof is required
    assert not SCREEN.valid(intake_pb2.BulkSubmitSignalsRequest(signal=signal))
    assert not SCREEN.valid(intake_pb2.BulkSubmitSignalsRequest())  # signal is required


def test_refusals_are_protovalidates_own() -> None:
    """A message the screen does not pass gets exactly protovalidate's violations."""
    signal = _valid_signal()
    signal.source = ""
    signal.subjects[0].address.house_number = -1
    request = intake_pb2.BulkSubmitSignalsRequest(signal=signal)
    problems = [(p.field, p.description) for p in EdgeRules().problems(request)]
    assert problems == [(_path(v.proto.field), v.proto.message) for v in VALIDATOR.collect_violations(request)]
    assert ("signal.source", "must be at least 1 characters") in problems
    assert "signal.subjects[0].address.house_number" in {field for field, _ in problems}


def test_unknown_rules_defer_to_protovalidate(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every rule of intake.proto is known except `uri` (attachments): a signal with an attachment defers.
    screen, source = compile_screen(intake_pb2.BulkSubmitSignalsRequest.DESCRIPTOR)
    deferring = {line.split("# ")[1] for line, body in zip(source.splitlines(), source.splitlines()[1:])
                 if line.startswith("def ") and body.strip() == "return False"}
    assert deferring == {"knooppunt.intake.v1.AttachmentInput"}
    signal = _valid_signal()
    signal.attachments.add(uri="https://dms.example/d/1", media_type="application/pdf", sha256="0" * 64)
    assert not screen(intake_pb2.BulkSubmitSignalsRequest(signal=signal))
    assert _check(intake_pb2.BulkSubmitSignalsRequest(signal=signal))
    # A message-level rule the screen does not know makes it defer for the whole message type.
    monkeypatch.setattr(edge_screen, "CEL", {})
    screen, _ = compile_screen(intake_pb2.BulkSubmitSignalsRequest.DESCRIPTOR)
    assert not screen(intake_pb2.BulkSubmitSignalsRequest(signal=_valid_signal()))
