"""Shared fixtures for referral's unit tests: a small policy and a typical referral decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from services.referral.domain.package import Actor, ReferralDecision, Subject
from services.referral.domain.policy import Policy, parse_policy
from topic_catalog import REFERRAL_RECIPIENTS

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PURPOSE = "integrale aanpak ondermijning"
POLICY = parse_policy(
    f"""
version = "test-1"
[recipients.riec-rotterdam."{PURPOSE}"]
categories = ["signal.registration_number", "signal.themes", "signal.grounds",
              "subject.address", "subject.company", "subject.person", "subject.vehicle", "subject.vessel"]
[recipients.politie."{PURPOSE}"]
categories = ["signal.registration_number", "signal.grounds", "subject.address", "subject.person"]
""",
    REFERRAL_RECIPIENTS,
)


def _decision(**overrides) -> ReferralDecision:  # noqa: ANN003
    fields = dict(
        decision_id="dec-1", meeting_id="meet-1", signal_id="sig-1", registration_number="2026-000042",
        grounds="stroomverbruik verdrievoudigd, meter omgeleid", decided_by=Actor(person_id="p1", role="lio-chair"),
        themes=(1, 5),
        subjects=(Subject(kind="address", key="bag:0363010000758545"), Subject(kind="company", key="kvk:12345678"),
                  Subject(kind="vessel", key="eni:02345678")),
        legal_basis="WGS art. 2.3", purpose=PURPOSE, recipients=("riec-rotterdam", "politie"),
        data_categories=("signal.registration_number", "signal.themes", "signal.grounds", "subject.address",
                         "subject.company"),
        retention_rule="referral-riec",
    )
    fields.update(overrides)
    return ReferralDecision(**fields)


@pytest.fixture
def policy() -> Policy:
    return POLICY


@pytest.fixture
def make_decision() -> Callable[..., ReferralDecision]:
    """A referral decision to riec-rotterdam and politie; keyword arguments override fields."""
    return _decision
