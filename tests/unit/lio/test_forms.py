"""Meeting forms from the reviewed file: who may attend and chair, and the quorum per form."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.lio.domain.deliberation import Actor
from services.lio.domain.forms import DeliberationRules
from tests.unit.lio.factories import CHAIR, MEMBER, POLICE, RULES

ADVISER = Actor(person_id="pol-9", role="adviser", organisation="politie")


def test_the_reviewed_file_defines_gso_as_default_and_lio_with_police() -> None:
    assert RULES.default_form == "gso" and set(RULES.forms) == {"gso", "lio"}
    assert "sluiting-13b-opiumwet" in RULES.interventions and "bibob-screening" in RULES.interventions


def test_lio_quorum_needs_three_members_including_the_chair_and_the_police() -> None:
    lio = RULES.forms["lio"]
    assert lio.quorum_problems(CHAIR, []) == [
        "the chair is not recorded as present", "0 of at least 3 members present (the chair included)", "no member for politie present"]
    assert lio.quorum_problems(CHAIR, [CHAIR, MEMBER, MEMBER.model_copy(update={"person_id": "mw-13"})]) == [
        "no member for politie present"]
    assert lio.quorum_problems(CHAIR, [CHAIR, MEMBER, POLICE]) == []
    # Three members without the chair are no quorum: the chair must be there.
    assert lio.quorum_problems(CHAIR, [MEMBER, POLICE, MEMBER.model_copy(update={"person_id": "mw-13"})]) == [
        "the chair is not recorded as present"]


def test_gso_is_internal_the_police_only_advise_and_do_not_count() -> None:
    gso = RULES.forms["gso"]
    assert gso.attendance_problem(POLICE) == "politie attends in role adviser, not 'lio-member'"
    assert gso.attendance_problem(ADVISER) is None
    assert gso.quorum_problems(CHAIR, [CHAIR, MEMBER, ADVISER]) == ["2 of at least 3 members present (the chair included)"]
    assert gso.quorum_problems(CHAIR, [CHAIR, MEMBER, MEMBER.model_copy(update={"person_id": "mw-13"})]) == []


def test_unknown_organisations_and_wrong_chairs_are_refused() -> None:
    lio = RULES.forms["lio"]
    assert "does not attend" in lio.attendance_problem(Actor(person_id="x", role="lio-member", organisation="woningcorporatie"))
    assert lio.chair_problems(POLICE) == ["role must be one of lio-chair", "organisation must be one of gemeente-maassluis"]
    assert lio.chair_problems(CHAIR) == []


def test_an_inconsistent_rules_file_does_not_load() -> None:
    text = """
default_form = "x"
interventions = {}
[forms.x]
title = "X"
chair_roles = ["lio-chair"]
chair_organisations = ["gemeente"]
attendance = { gemeente = ["lio-chair"] }
quorum = { min_members = 2, member_roles = ["lio-chair"], required_organisations = ["politie"] }
"""
    with pytest.raises(ValidationError, match="politie is required for the quorum"):
        DeliberationRules.from_toml(text)
    with pytest.raises(ValidationError, match="default_form"):
        DeliberationRules.from_toml(text.replace('"x"', '"y"', 1).replace(', required_organisations = ["politie"]', ""))
