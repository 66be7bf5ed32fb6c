"""The reviewed sources file: every source parses; mistakes stop the service instead of guessing."""

from __future__ import annotations

import pytest

from knooppunt.signal.v1 import signal_pb2
from services.intake.adapters.sources_file import FileSourceDirectory, SourcesFileError, parse
from services.intake.domain.signal import SubjectInput
from tests.unit.intake.test_domain import run, submission


def test_the_shipped_sources_file_names_every_channel_of_domain_md() -> None:
    sources = list(FileSourceDirectory.load())
    assert {s.channel for s in sources} == set(signal_pb2.Channel.values()) - {0}
    assert FileSourceDirectory.load().lookup("meldpunt-schoon-heel-veilig").anonymous_allowed
    assert not FileSourceDirectory.load().lookup("energieleverancier").anonymous_allowed
    assert FileSourceDirectory.load().lookup("stranger") is None


@pytest.mark.parametrize("spec", [{"channel": "CHANNEL_NOPE", "themes": ["*"]},
                                  {"channel": "CHANNEL_PARTNER", "themes": ["THEME_NOPE"]},
                                  {"channel": "CHANNEL_PARTNER", "themes": []},
                                  {"themes": ["*"]}])
def test_a_mistake_in_the_file_is_refused(spec: dict) -> None:
    with pytest.raises(SourcesFileError):
        parse({"sources": {"x": spec}})


def test_an_address_with_bag_id_and_postcode_links_by_both() -> None:
    result = run(submission(subjects=(SubjectInput(kind="address", bag_id="0556200000012345", postcode="3141 ab",
                                                   house_number=12),)))
    assert [k.key for k in result.subjects] == ["bag:0556200000012345", "pc:3141AB:12"]
