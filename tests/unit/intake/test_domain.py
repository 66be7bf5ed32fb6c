"""Intake's domain rules: elfproef, pseudonyms, subject keys and the acceptance of a signal."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.signal import (MAX_DESCRIPTION_CHARS, MAX_SUBJECTS, SubjectInput, Submission, accept, signal_id_for,
                                           uuid5)
from services.intake.domain.subjects import elfproef, pseudonym

KEY = b"test-key"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def submission(**overrides) -> Submission:
    base = dict(
        channel=4, source="energieleverancier", source_reference="E-1", observed_at=NOW - timedelta(days=1),
        themes=(1,), description="meter overbrugd", subjects=(SubjectInput(kind="address", postcode="3141 ab", house_number=12),),
        anonymous=False,
    )
    return Submission(**{**base, **overrides})


def run(sub: Submission):
    return accept(sub, pseudonym_key=KEY, valid_channels={1, 2, 3, 4}, valid_themes=set(range(1, 10)), now=NOW)


@pytest.mark.parametrize("bsn,valid", [("111222333", True), ("123456782", True), ("123456789", False),
                                      ("12345678", False), ("abcdefghi", False), ("000000000", False)])
def test_elfproef(bsn: str, valid: bool) -> None:
    assert elfproef(bsn) is valid


def test_pseudonym_is_keyed_and_stable() -> None:
    assert pseudonym(KEY, "bsn", "111222333") == pseudonym(KEY, "bsn", "111222333")
    assert pseudonym(KEY, "bsn", "111222333") != pseudonym(b"other", "bsn", "111222333")
    assert "111222333" not in pseudonym(KEY, "bsn", "111222333")


def test_valid_signal_is_accepted_with_normalised_keys() -> None:
    result = run(submission())
    assert not isinstance(result, list)
    assert result.signal_id == signal_id_for("energieleverancier", "E-1")
    assert [s.key for s in result.subjects] == ["pc:3141AB:12"]
    assert result.received_at == NOW


def test_bsn_is_pseudonymised_and_never_kept() -> None:
    result = run(submission(subjects=(SubjectInput(kind="person", bsn="111222333"),)))
    assert not isinstance(result, list)
    assert result.subjects[0].key == f"person:{pseudonym(KEY, 'bsn', '111222333')}"
    assert "111222333" not in result.model_dump_json()


def test_invalid_bsn_is_refused_without_echoing_it() -> None:
    problems = run(submission(subjects=(SubjectInput(kind="person", bsn="123456789"),)))
    assert isinstance(problems, list)
    assert [p.field for p in problems] == ["signal.subjects[0].person.bsn"]
    assert "123456789" not in problems[0].description


def test_person_without_bsn_needs_name_and_date_of_birth() -> None:
    problems = run(submission(subjects=(SubjectInput(kind="person", name="", date_of_birth="02-04-1978"),)))
    assert {p.field for p in problems} == {"signal.subjects[0].person.name", "signal.subjects[0].person.date_of_birth"}
    same_a = run(submission(subjects=(SubjectInput(kind="person", name="J. de  Vries", date_of_birth="1978-04-02"),)))
    same_b = run(submission(subjects=(SubjectInput(kind="person", name="j. de vries", date_of_birth="1978-04-02"),)))
    assert same_a.subjects == same_b.subjects


def test_every_problem_is_reported_at_once() -> None:
    problems = run(submission(channel=0, source="", themes=(), description=" ", observed_at=NOW + timedelta(days=1),
                              subjects=(SubjectInput(kind=""), SubjectInput(kind="company", kvk_number="123"))))
    assert {p.field for p in problems} == {
        "signal.channel", "signal.source", "signal.themes", "signal.description", "signal.observed_at",
        "signal.subjects[0]", "signal.subjects[1].company.kvk_number",
    }


def test_limits() -> None:
    too_long = run(submission(description="x" * (MAX_DESCRIPTION_CHARS + 1)))
    assert [p.field for p in too_long] == ["signal.description"]
    too_many = run(submission(subjects=tuple(SubjectInput(kind="vehicle", licence_plate="XX123X") for _ in range(MAX_SUBJECTS + 1))))
    assert [p.field for p in too_many] == ["signal.subjects"]


def test_duplicate_subjects_collapse_to_one_key() -> None:
    result = run(submission(subjects=(SubjectInput(kind="vehicle", licence_plate="xx-123-x"), SubjectInput(kind="vehicle", licence_plate="XX123X"))))
    assert [s.key for s in result.subjects] == ["plate:XX123X"]


def test_an_anonymous_signal_carries_no_reporter_and_a_reporter_never_shows_in_repr() -> None:
    from services.intake.domain.signal import Reporter

    refused = run(submission(anonymous=True, reporter=Reporter(name="A. Melder")))
    assert [p.field for p in refused] == ["signal.reporter"]
    accepted = run(submission(reporter=Reporter(name="A. Melder", phone="0101234567")))
    assert accepted.reporter.name == "A. Melder"
    assert "Melder" not in repr(accepted) and "0101234567" not in repr(accepted)


def test_uuid5_is_the_standard_librarys() -> None:
    for i in range(5000):
        namespace = uuid.UUID(bytes=os.urandom(16))
        name = os.urandom(i % 60).hex() + "\x1fé€"
        assert uuid5(namespace, name) == str(uuid.uuid5(namespace, name))
