"""A signal as intake accepts it, and the rules it must satisfy.

`accept` turns a submission (already mapped from the wire into plain values) into an
AcceptedSignal or a list of field problems. It never raises for bad input.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain import subjects as s
from services.intake.domain.subjects import FieldProblem, SubjectKey

MAX_DESCRIPTION_CHARS = 10_000
MAX_SUBJECTS = 50
MAX_THEMES = 9
MAX_REFERENCE_CHARS = 200
MAX_ATTACHMENTS = 20
# Signal ids are derived from (source, source_reference): a retried submission that slipped
# past the idempotency index still carries the same id, and every consumer dedupes on it.
SIGNAL_NAMESPACE = uuid.UUID("6f1c9a52-7c1e-4b0e-9b1a-3f7d2e0c5a11")


class SubjectInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str
    bag_id: str = ""
    postcode: str = ""
    house_number: int = 0
    house_number_addition: str = ""
    kvk_number: str = ""
    establishment_number: str = ""
    bsn: str = ""
    name: str = ""
    date_of_birth: str = ""
    licence_plate: str = ""
    eni_number: str = ""


class Attachment(BaseModel):
    """An attachment by reference: intake never holds the content."""

    model_config = ConfigDict(frozen=True)
    uri: str
    media_type: str
    sha256: str
    size_bytes: int = 0


class Reporter(BaseModel):
    """PERSONAL DATA: the reporter of a non-anonymous signal.

    Fields are left out of repr so that a model that reaches a log line or a traceback by
    mistake shows no value. Never logged, never copied to the register; encrypted per data
    subject once crypto-shredding lands.
    """

    model_config = ConfigDict(frozen=True)
    name: str = Field(default="", repr=False)
    email: str = Field(default="", repr=False)
    phone: str = Field(default="", repr=False)
    employee_id: str = Field(default="", repr=False)

    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone or self.employee_id)


class Submission(BaseModel):
    model_config = ConfigDict(frozen=True)
    channel: int
    source: str
    source_reference: str
    observed_at: datetime | None
    themes: tuple[int, ...]
    description: str
    subjects: tuple[SubjectInput, ...]
    anonymous: bool
    attachments: tuple[Attachment, ...] = ()
    reporter: Reporter | None = None


class AcceptedSignal(BaseModel):
    model_config = ConfigDict(frozen=True)
    signal_id: str
    channel: int
    source: str
    source_reference: str
    observed_at: datetime | None
    received_at: datetime
    themes: tuple[int, ...]
    description: str
    subjects: tuple[SubjectKey, ...]
    anonymous: bool
    attachments: tuple[Attachment, ...] = ()
    reporter: Reporter | None = None


def signal_id_for(source: str, source_reference: str) -> str:
    return uuid5(SIGNAL_NAMESPACE, f"{source}\x1f{source_reference}")


def uuid5(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))`` without building UUID objects (a third of the cost;
    intake derives two per signal)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def accept(
    sub: Submission, *, pseudonym_key: bytes, valid_channels: set[int], valid_themes: set[int], now: datetime
) -> AcceptedSignal | list[FieldProblem]:
    problems: list[FieldProblem] = []
    if sub.channel not in valid_channels:
        problems.append(FieldProblem(field="signal.channel", description="must be one of the defined channels"))
    if not sub.source.strip() or len(sub.source) > 100:
        problems.append(FieldProblem(field="signal.source", description="required, at most 100 characters"))
    if not sub.source_reference.strip() or len(sub.source_reference) > MAX_REFERENCE_CHARS:
        problems.append(
            FieldProblem(field="signal.source_reference", description=f"required, at most {MAX_REFERENCE_CHARS} characters")
        )
    if not sub.themes:
        problems.append(FieldProblem(field="signal.themes", description="at least one theme is required"))
    for i, theme in enumerate(sub.themes):
        if theme not in valid_themes:
            problems.append(FieldProblem(field=f"signal.themes[{i}]", description="unknown theme"))
    if len(set(sub.themes)) != len(sub.themes) or len(sub.themes) > MAX_THEMES:
        problems.append(FieldProblem(field="signal.themes", description="themes must be distinct"))
    if not sub.description.strip():
        problems.append(FieldProblem(field="signal.description", description="required"))
    elif len(sub.description) > MAX_DESCRIPTION_CHARS:
        problems.append(
            FieldProblem(field="signal.description", description=f"at most {MAX_DESCRIPTION_CHARS} characters")
        )
    if sub.observed_at is not None and sub.observed_at > now + timedelta(minutes=5):
        problems.append(FieldProblem(field="signal.observed_at", description="lies in the future"))
    if len(sub.subjects) > MAX_SUBJECTS:
        problems.append(FieldProblem(field="signal.subjects", description=f"at most {MAX_SUBJECTS} subjects"))
    if len(sub.attachments) > MAX_ATTACHMENTS:
        problems.append(FieldProblem(field="signal.attachments", description=f"at most {MAX_ATTACHMENTS} attachments"))
    reporter = sub.reporter if sub.reporter is not None and not sub.reporter.is_empty() else None
    if sub.anonymous and reporter is not None:
        problems.append(FieldProblem(field="signal.reporter", description="an anonymous signal carries no reporter identity"))
    keys: list[SubjectKey] = []
    for i, subj in enumerate(sub.subjects[:MAX_SUBJECTS]):
        found_keys, found = _subject_keys(subj, pseudonym_key, f"signal.subjects[{i}]")
        problems += found
        keys += [k for k in found_keys if k not in keys]
    if problems:
        return problems
    return AcceptedSignal(
        signal_id=signal_id_for(sub.source, sub.source_reference),
        channel=sub.channel,
        source=sub.source,
        source_reference=sub.source_reference,
        observed_at=sub.observed_at,
        received_at=now.astimezone(UTC),
        themes=sub.themes,
        description=sub.description,
        subjects=tuple(keys),
        anonymous=sub.anonymous,
        attachments=sub.attachments,
        reporter=reporter,
    )


def _subject_keys(subj: SubjectInput, secret: bytes, path: str) -> tuple[list[SubjectKey], list[FieldProblem]]:
    if subj.kind == "address":
        return s.address_keys(subj.bag_id, subj.postcode, subj.house_number, subj.house_number_addition, f"{path}.address")
    key, problems = _single_key(subj, secret, path)
    return ([key] if key is not None else []), problems


def _single_key(subj: SubjectInput, secret: bytes, path: str) -> tuple[SubjectKey | None, list[FieldProblem]]:
    if subj.kind == "company":
        return s.company_key(subj.kvk_number, subj.establishment_number, f"{path}.company")
    if subj.kind == "person":
        return s.person_key(secret, subj.bsn, subj.name, subj.date_of_birth, f"{path}.person")
    if subj.kind == "vehicle":
        return s.vehicle_key(subj.licence_plate, f"{path}.vehicle")
    if subj.kind == "vessel":
        return s.vessel_key(subj.name, subj.eni_number, f"{path}.vessel")
    return None, [FieldProblem(field=path, description="exactly one subject kind must be set")]
