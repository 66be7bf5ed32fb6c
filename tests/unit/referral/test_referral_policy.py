"""The minimisation policy: the reviewed file parses, and any doubt in a policy text is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.referral.domain.policy import KNOWN_CATEGORIES, PolicyError, parse_policy
from topic_catalog import REFERRAL_RECIPIENTS

POLICY_FILE = Path(__file__).resolve().parents[3] / "services" / "referral" / "policy.toml"
PURPOSE = "integrale aanpak ondermijning"


def test_the_reviewed_policy_file_parses_and_names_only_known_recipients() -> None:
    policy = parse_policy(POLICY_FILE.read_text(encoding="utf-8"), REFERRAL_RECIPIENTS)
    assert policy.version
    assert policy.recipients == set(REFERRAL_RECIPIENTS)
    assert policy.allowed("riec-rotterdam", PURPOSE) == KNOWN_CATEGORIES
    # The police get no companies or vessels directly; the tax authority no persons or grounds.
    assert "subject.company" not in policy.allowed("politie", PURPOSE)
    assert {"subject.person", "signal.grounds"}.isdisjoint(policy.allowed("belastingdienst", PURPOSE))


def test_purpose_matching_ignores_case_and_spacing_but_nothing_else() -> None:
    policy = parse_policy(POLICY_FILE.read_text(encoding="utf-8"), REFERRAL_RECIPIENTS)
    assert policy.allowed("politie", "  Integrale   aanpak ONDERMIJNING ") == policy.allowed("politie", PURPOSE)
    assert policy.allowed("politie", "opsporing") is None
    assert policy.allowed("openbaar-ministerie", PURPOSE) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = ", "not valid TOML"),
        ('[recipients.politie.x]\ncategories = ["signal.themes"]', "version"),
        ('version = "1"', "recipients"),
        ('version = "1"\n[recipients.douane.x]\ncategories = ["signal.themes"]', "no referral stream"),
        ('version = "1"\n[recipients.politie.x]\ncategories = ["subject.bsn"]', "unknown data categories"),
        ('version = "1"\n[recipients.politie.x]\ncategories = "signal.themes"', "list of strings"),
        ('version = "1"\n[recipients.politie.x]\nallow = ["signal.themes"]', "list of strings"),
        ('version = "1"\n[recipients.politie.x]\ncategories = []\n[recipients.politie." X "]\ncategories = []',
         "purpose given twice"),
    ],
)
def test_invalid_policies_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(text, REFERRAL_RECIPIENTS)
