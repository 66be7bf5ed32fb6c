"""Building minimal packages: only what the decision proposed and the policy allows goes out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.referral.domain.package import build_referrals, referral_id_for

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PURPOSE = "integrale aanpak ondermijning"


def test_one_package_per_recipient_with_only_allowed_and_proposed_categories(make_decision, policy) -> None:  # noqa: ANN001
    packages = build_referrals(make_decision(), policy, NOW)
    riec, politie = packages.referrals
    assert (riec.recipient, politie.recipient) == ("riec-rotterdam", "politie")
    # The RIEC may have everything, but gets only what the LIO proposed: the vessel was not proposed.
    assert riec.data_categories == ("signal.grounds", "signal.registration_number", "signal.themes",
                                    "subject.address", "subject.company")
    assert [o.data_category for o in riec.omitted] == ["subject.vessel"]
    assert riec.omitted[0].reason == "not proposed by decision dec-1"
    # The police: no themes and no company by policy; the vessel is not allowed either.
    assert politie.data_categories == ("signal.grounds", "signal.registration_number", "subject.address")
    assert politie.themes == ()
    assert [s.kind for s in politie.subjects] == ["address"]
    assert politie.registration_number == "2026-000042"
    assert {o.data_category: o.reason for o in politie.omitted} == {
        "signal.themes": f"not allowed for politie for purpose {PURPOSE} by policy",
        "subject.company": f"not allowed for politie for purpose {PURPOSE} by policy",
        "subject.vessel": f"not allowed for politie for purpose {PURPOSE} by policy",
    }
    assert packages.refused == ()


def test_fields_outside_the_allowed_categories_stay_empty(make_decision, policy) -> None:  # noqa: ANN001
    only_themes = make_decision(data_categories=("signal.themes",), recipients=("politie",))
    (politie,) = build_referrals(only_themes, policy, NOW).referrals
    assert politie.registration_number == "" and politie.grounds == "" and politie.subjects == ()
    assert politie.themes == () and politie.data_categories == ()
    # Accountability fields always travel: who may use it, for what, on which basis.
    assert (politie.signal_id, politie.decision_id, politie.purpose, politie.legal_basis) == (
        "sig-1", "dec-1", PURPOSE, "WGS art. 2.3")


def test_a_proposed_category_without_data_is_not_counted_as_shared(make_decision, policy) -> None:  # noqa: ANN001
    (riec,) = build_referrals(make_decision(recipients=("riec-rotterdam",), grounds="", subjects=()), policy, NOW).referrals
    assert "signal.grounds" not in riec.data_categories
    assert "subject.address" not in riec.data_categories


def test_an_unknown_proposed_category_is_omitted_by_policy(make_decision, policy) -> None:  # noqa: ANN001
    (politie,) = build_referrals(
        make_decision(recipients=("politie",), data_categories=("subject.bsn",)), policy, NOW
    ).referrals
    assert ("subject.bsn", f"not allowed for politie for purpose {PURPOSE} by policy") in [
        (o.data_category, o.reason) for o in politie.omitted
    ]


def test_a_recipient_or_purpose_without_a_grant_gets_no_referral(make_decision, policy) -> None:  # noqa: ANN001
    packages = build_referrals(make_decision(recipients=("openbaar-ministerie", "politie", "politie")), policy, NOW)
    assert [r.recipient for r in packages.referrals] == ["politie"]  # named twice, packaged once
    assert [r.recipient for r in packages.refused] == ["openbaar-ministerie"]
    assert "no grant for openbaar-ministerie" in packages.refused[0].reason
    other_purpose = build_referrals(make_decision(purpose="opsporing"), policy, NOW)
    assert other_purpose.referrals == ()
    assert {r.recipient for r in other_purpose.refused} == {"riec-rotterdam", "politie"}


def test_referral_ids_are_deterministic_per_decision_and_recipient(make_decision, policy) -> None:  # noqa: ANN001
    first = build_referrals(make_decision(), policy, NOW)
    again = build_referrals(make_decision(), policy, datetime(2027, 1, 1, tzinfo=UTC))
    assert [r.referral_id for r in first.referrals] == [r.referral_id for r in again.referrals]
    assert first.referrals[0].referral_id == referral_id_for("dec-1", "riec-rotterdam")
    assert uuid.UUID(first.referrals[0].referral_id).version == 5
    assert len({referral_id_for("dec-1", "politie"), referral_id_for("dec-2", "politie"),
                referral_id_for("dec-1", "riec-rotterdam")}) == 3
