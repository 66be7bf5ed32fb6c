"""The processing register (deploy/policy/processing-register.toml) as a validated model.

Pure: `ProcessingRegister.parse` takes the TOML text; reading the file is the caller's job.
"""

from __future__ import annotations

import re
import tomllib

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from knooppunt.audit.v1.events_pb2 import EntryKind

_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*/v[1-9][0-9]*$")


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = Field(min_length=1)
    purpose: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1)
    data_categories: tuple[str, ...] = Field(min_length=1)
    recipients: tuple[str, ...] = Field(min_length=1)
    # Empty for activities that provide nothing to anyone (e.g. the central registration itself),
    # which the register still lists for their retention.
    entry_kinds: tuple[str, ...] = ()
    retention: dict[str, str]

    @field_validator("id")
    @classmethod
    def _versioned(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("activity id must look like 'name/v1' (a new version for every significant change)")
        return v

    @field_validator("entry_kinds")
    @classmethod
    def _kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for kind in v:
            if "ENTRY_KIND_" + kind not in EntryKind.keys() or kind == "UNSPECIFIED":
                raise ValueError(f"unknown entry kind {kind!r}")
        return v

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: dict[str, str]) -> dict[str, str]:
        if "default" not in v:
            raise ValueError("retention needs a 'default'")
        for outcome, period in v.items():
            if not _DURATION.match(period):
                raise ValueError(f"retention for {outcome!r} is not an ISO 8601 duration: {period!r}")
        return v

    def retention_for(self, outcome: str) -> tuple[str, str]:
        """(rule name, period) for an outcome: the outcome's own rule, else the default."""
        key = outcome if outcome in self.retention else "default"
        return f"{self.id}#{key}", self.retention[key]


class ProcessingRegister(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    register_uri: str = Field(pattern=r"^https?://\S+/$")
    data_subject_id_type: str = Field(pattern=r"^\S+$")
    activity: tuple[Activity, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ProcessingRegister:
        ids = [a.id for a in self.activity]
        if len(ids) != len(set(ids)):
            raise ValueError("activity ids must be unique")
        kinds = [k for a in self.activity for k in a.entry_kinds]
        if len(kinds) != len(set(kinds)):
            raise ValueError("each entry kind belongs to exactly one activity")
        return self

    @classmethod
    def parse(cls, text: str) -> ProcessingRegister:
        return cls.model_validate(tomllib.loads(text))

    def for_kind(self, kind: int) -> Activity | None:
        name = EntryKind.Name(kind).removeprefix("ENTRY_KIND_")
        return next((a for a in self.activity if name in a.entry_kinds), None)

    def uri(self, activity: Activity) -> str:
        return self.register_uri + activity.id
