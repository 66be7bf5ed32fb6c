"""Subject references and their normalised keys.

A BSN is checked with the elfproef and replaced at once by a keyed pseudonym; it is never
kept in a model field, a key or an error message. Names and dates of birth are only used
to derive a pseudonym when no BSN is known.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from pydantic import BaseModel, ConfigDict

POSTCODE_RE = re.compile(r"^[1-9][0-9]{3}\s?[A-Za-z]{2}$")
BAG_ID_RE = re.compile(r"^[0-9]{16}$")
KVK_RE = re.compile(r"^[0-9]{8}$")
ESTABLISHMENT_RE = re.compile(r"^[0-9]{12}$")
PLATE_RE = re.compile(r"^[A-Z0-9]{6}$")
ENI_RE = re.compile(r"^[0-9]{8}$")


class FieldProblem(BaseModel):
    """One refused field: a path a partner's integrator can find in their message, and why."""

    model_config = ConfigDict(frozen=True)
    field: str
    description: str


class SubjectKey(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str  # address | company | person | vehicle | vessel
    key: str


def elfproef(bsn: str) -> bool:
    """The BSN eleven test: 9 digits, sum(d_i * w_i) with weights 9..2,-1 divisible by 11."""
    if not re.fullmatch(r"[0-9]{9}", bsn):
        return False
    digits = [int(c) for c in bsn]
    total = sum(d * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1)))
    return total % 11 == 0 and bsn != "000000000"


def pseudonym(secret: bytes, kind: str, value: str) -> str:
    """Keyed pseudonym (HMAC-SHA256) of a direct identifier; the same input gives the same key."""
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _normalise_name(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().split())


def address_key(
    bag_id: str, postcode: str, house_number: int, addition: str, path: str
) -> tuple[SubjectKey | None, list[FieldProblem]]:
    if bag_id:
        if not BAG_ID_RE.fullmatch(bag_id):
            return None, [FieldProblem(field=f"{path}.bag_id", description="must be a 16-digit BAG id")]
        return SubjectKey(kind="address", key=f"bag:{bag_id}"), []
    problems = []
    if not POSTCODE_RE.fullmatch(postcode or ""):
        problems.append(FieldProblem(field=f"{path}.postcode", description="must be a Dutch postcode like 3141 AB"))
    if not 1 <= house_number <= 99999:
        problems.append(FieldProblem(field=f"{path}.house_number", description="must be between 1 and 99999"))
    if len(addition) > 4:
        problems.append(FieldProblem(field=f"{path}.house_number_addition", description="at most 4 characters"))
    if problems:
        return None, problems
    pc = postcode.replace(" ", "").upper()
    suffix = f":{addition.upper()}" if addition else ""
    return SubjectKey(kind="address", key=f"pc:{pc}:{house_number}{suffix}"), []


def address_keys(
    bag_id: str, postcode: str, house_number: int, addition: str, path: str
) -> tuple[list[SubjectKey], list[FieldProblem]]:
    """Every key an address is known by: its BAG id and its postcode + number, when both are given.

    Both keys link: a later signal that names the address only by postcode still finds an
    earlier one that gave the BAG id as well.
    """
    if bag_id and (postcode or house_number or addition):
        by_bag, problems = address_key(bag_id, "", 0, "", path)
        by_postcode, more = address_key("", postcode, house_number, addition, path)
        problems += more
        return ([] if problems else [by_bag, by_postcode]), problems
    key, problems = address_key(bag_id, postcode, house_number, addition, path)
    return ([key] if key is not None else []), problems


def company_key(kvk: str, establishment: str, path: str) -> tuple[SubjectKey | None, list[FieldProblem]]:
    problems = []
    if not KVK_RE.fullmatch(kvk):
        problems.append(FieldProblem(field=f"{path}.kvk_number", description="must be an 8-digit KvK number"))
    if establishment and not ESTABLISHMENT_RE.fullmatch(establishment):
        problems.append(
            FieldProblem(field=f"{path}.establishment_number", description="must be a 12-digit establishment number")
        )
    if problems:
        return None, problems
    # The company is the subject; an establishment narrows it but links by KvK number.
    return SubjectKey(kind="company", key=f"kvk:{kvk}"), []


def person_key(
    secret: bytes, bsn: str, name: str, date_of_birth: str, path: str
) -> tuple[SubjectKey | None, list[FieldProblem]]:
    if bsn:
        if not elfproef(bsn):
            # Never echo the value: it may be a real BSN with a typo.
            return None, [FieldProblem(field=f"{path}.bsn", description="is not a valid BSN (9 digits, elfproef)")]
        return SubjectKey(kind="person", key=f"person:{pseudonym(secret, 'bsn', bsn)}"), []
    problems = []
    if not name.strip():
        problems.append(FieldProblem(field=f"{path}.name", description="required when no BSN is given"))
    elif len(name) > 200:
        problems.append(FieldProblem(field=f"{path}.name", description="at most 200 characters"))
    try:
        dob = date.fromisoformat(date_of_birth)
        if not date(1900, 1, 1) <= dob <= date.today():
            problems.append(FieldProblem(field=f"{path}.date_of_birth", description="must lie between 1900-01-01 and today"))
    except ValueError:
        problems.append(
            FieldProblem(field=f"{path}.date_of_birth", description="required when no BSN is given, as YYYY-MM-DD")
        )
    if problems:
        return None, problems
    value = f"{_normalise_name(name)}|{date_of_birth}"
    return SubjectKey(kind="person", key=f"person:{pseudonym(secret, 'name-dob', value)}"), []


def vehicle_key(plate: str, path: str) -> tuple[SubjectKey | None, list[FieldProblem]]:
    normalised = re.sub(r"[\s-]", "", plate).upper()
    if not PLATE_RE.fullmatch(normalised):
        return None, [FieldProblem(field=f"{path}.licence_plate", description="must be a Dutch licence plate (6 letters/digits)")]
    return SubjectKey(kind="vehicle", key=f"plate:{normalised}"), []


def vessel_key(name: str, eni: str, path: str) -> tuple[SubjectKey | None, list[FieldProblem]]:
    if eni:
        if not ENI_RE.fullmatch(eni):
            return None, [FieldProblem(field=f"{path}.eni_number", description="must be an 8-digit ENI number")]
        return SubjectKey(kind="vessel", key=f"eni:{eni}"), []
    if not name.strip() or len(name) > 100:
        return None, [FieldProblem(field=f"{path}.name", description="a vessel needs an ENI number or a name (≤100 chars)")]
    return SubjectKey(kind="vessel", key=f"vessel:{_normalise_name(name)}"), []
