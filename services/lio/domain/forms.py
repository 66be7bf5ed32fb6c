"""Meeting forms (LIO, GSO, ...) and the intervention vocabulary, read from one reviewed TOML file.

The rules here are pure: who may attend, who may chair, and whether the recorded attendance
meets the quorum. Loading the file is the caller's job; this module never reads files.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.lio.domain.deliberation import Actor


class Quorum(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    min_members: int = Field(ge=1)
    member_roles: tuple[str, ...]
    required_organisations: tuple[str, ...] = ()


class MeetingForm(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    chair_roles: tuple[str, ...]
    chair_organisations: tuple[str, ...]
    # organisation -> roles in which it may attend
    attendance: dict[str, tuple[str, ...]]
    quorum: Quorum

    @model_validator(mode="after")
    def _consistent(self) -> MeetingForm:
        for org in self.chair_organisations:
            if not set(self.chair_roles) & set(self.attendance.get(org, ())):
                raise ValueError(f"a chair from {org} could not attend: give {org} a chair role in [attendance]")
        for org in self.quorum.required_organisations:
            if not set(self.quorum.member_roles) & set(self.attendance.get(org, ())):
                raise ValueError(f"{org} is required for the quorum but may not attend in a member role")
        return self

    def chair_problems(self, chair: Actor) -> list[str]:
        problems = []
        if chair.role not in self.chair_roles:
            problems.append(f"role must be one of {', '.join(self.chair_roles)}")
        if chair.organisation not in self.chair_organisations:
            problems.append(f"organisation must be one of {', '.join(self.chair_organisations)}")
        return problems

    def attendance_problem(self, attendee: Actor) -> str | None:
        roles = self.attendance.get(attendee.organisation)
        if roles is None:
            return f"{attendee.organisation!r} does not attend this meeting form (allowed: {', '.join(self.attendance)})"
        if attendee.role not in roles:
            return f"{attendee.organisation} attends in role {', '.join(roles)}, not {attendee.role!r}"
        return None

    def quorum_problems(self, chair: Actor, present: Iterable[Actor]) -> list[str]:
        """What the recorded attendance lacks for a quorum; empty when the meeting may decide."""
        present = list(present)
        q = self.quorum
        members = [a for a in present if a.role in q.member_roles]
        problems = []
        if not any(a.same_person(chair) for a in present):
            problems.append("the chair is not recorded as present")
        if len(members) < q.min_members:
            problems.append(f"{len(members)} of at least {q.min_members} members present (the chair included)")
        for org in q.required_organisations:
            if not any(a.organisation == org for a in members):
                problems.append(f"no member for {org} present")
        return problems


class DeliberationRules(BaseModel):
    """The whole reviewed file: the forms, the default form, the intervention vocabulary."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    default_form: str
    forms: dict[str, MeetingForm]
    # intervention code -> Dutch label for the minutes
    interventions: dict[str, str]

    @model_validator(mode="after")
    def _default_exists(self) -> DeliberationRules:
        if self.default_form not in self.forms:
            raise ValueError(f"default_form {self.default_form!r} is not one of the forms")
        return self

    @classmethod
    def from_toml(cls, text: str) -> DeliberationRules:
        return cls.model_validate(tomllib.loads(text))
