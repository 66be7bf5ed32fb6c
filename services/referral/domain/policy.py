"""The minimisation policy: which data categories may go to which recipient for which purpose.

Parsed from the reviewed TOML text (services/referral/policy.toml) and nothing else: the
policy is data that the privacy officer reviews, never code. This module must never read
files or decide anything beyond "allowed or not"; building packages is `package.py`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

SIGNAL_CATEGORIES = ("signal.registration_number", "signal.themes", "signal.grounds")
# Subject kinds as named in the domain, each with the category that governs sharing it.
SUBJECT_CATEGORIES = {
    "address": "subject.address",
    "company": "subject.company",
    "person": "subject.person",
    "vehicle": "subject.vehicle",
    "vessel": "subject.vessel",
}
KNOWN_CATEGORIES = frozenset((*SIGNAL_CATEGORIES, *SUBJECT_CATEGORIES.values()))


class PolicyError(ValueError):
    """The policy text is not a valid policy; the service must refuse to start with it."""


def normalise_purpose(purpose: str) -> str:
    # Purposes are typed by people in meetings: case and spacing must not decide what is shared.
    return " ".join(purpose.split()).casefold()


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: str
    # (recipient, normalised purpose) -> the categories that may be shared.
    grants: dict[tuple[str, str], frozenset[str]]

    @property
    def recipients(self) -> frozenset[str]:
        return frozenset(r for r, _ in self.grants)

    def allowed(self, recipient: str, purpose: str) -> frozenset[str] | None:
        """The categories allowed, or None when the policy grants nothing for this pair."""
        return self.grants.get((recipient, normalise_purpose(purpose)))


def parse_policy(text: str, known_recipients: Iterable[str]) -> Policy:
    """Parse and check the policy; any doubt is an error, never a silent default."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy is not valid TOML: {exc}") from exc
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise PolicyError("policy needs a non-empty `version`")
    recipients = data.get("recipients")
    if not isinstance(recipients, dict) or not recipients:
        raise PolicyError("policy needs a [recipients.<name>.\"<purpose>\"] table")
    known = set(known_recipients)
    grants: dict[tuple[str, str], frozenset[str]] = {}
    for recipient, purposes in recipients.items():
        if recipient not in known:
            raise PolicyError(f"recipient {recipient!r} has no referral stream; known: {sorted(known)}")
        if not isinstance(purposes, dict) or not purposes:
            raise PolicyError(f"recipient {recipient!r} needs at least one purpose")
        for purpose, grant in purposes.items():
            where = f"recipients.{recipient}.{purpose!r}"
            categories = grant.get("categories") if isinstance(grant, dict) else None
            if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
                raise PolicyError(f"{where}: `categories` must be a list of strings")
            unknown = sorted(set(categories) - KNOWN_CATEGORIES)
            if unknown:
                raise PolicyError(f"{where}: unknown data categories {unknown}")
            key = (recipient, normalise_purpose(purpose))
            if key in grants:
                raise PolicyError(f"{where}: purpose given twice for {recipient!r}")
            grants[key] = frozenset(categories)
    return Policy(version=version, grants=grants)
