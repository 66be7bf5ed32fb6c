"""The authorization table and the per-caller rate limit, without a network."""

from __future__ import annotations

from pathlib import Path

import pytest

from grpc_security.authz import AuthorizationTable, RateLimiter

ROOT = Path(__file__).resolve().parents[3]
TABLE = AuthorizationTable.load(ROOT / "deploy/policy/authorization.toml")
SUBMIT = "/knooppunt.intake.v1.IntakeService/SubmitSignal"
DECIDE = "/knooppunt.lio.v1.LioService/RecordDecision"
AUDIT_READ = "/knooppunt.audit.v1.AuditService/ListEntries"
ACK = "/knooppunt.referral.v1.ReferralService/AcknowledgeReferral"


@pytest.mark.parametrize("identity,method,allowed", [
    ("source:energieleverancier", SUBMIT, True),
    ("source:energieleverancier", DECIDE, False),
    ("staff:mw-0043", DECIDE, False),
    ("staff:mw-0042", DECIDE, True),
    ("lio:member", "/knooppunt.registration.v1.RegistrationService/GetSignal", False),  # shared role certificates are gone
    ("partner:politie", ACK, True),
    ("partner:politie", AUDIT_READ, False),
    ("auditor:fg", AUDIT_READ, True),
    ("auditor:fg", SUBMIT, False),
    ("operator:beheer", "/knooppunt.registration.v1.RegistrationService/GetSignal", False),
    ("operator:beheer", "/grpc.health.v1.Health/Check", True),
    ("someone:unknown", "/grpc.health.v1.Health/Check", False),
    (None, SUBMIT, False),
])
def test_table(identity: str | None, method: str, allowed: bool) -> None:
    assert TABLE.allows(identity, method) is allowed


def test_operators_read_no_personal_data() -> None:
    personal = ("GetSignal", "ListSignals", "GetDossier", "GetAgenda", "GetMinutes", "ListEntries", "SubscribeReferrals")
    operator_methods = {m for r in TABLE.roles_of("operator:beheer") for m in TABLE.roles[r]}
    assert not [m for m in operator_methods if m.rsplit("/", 1)[1] in personal]


def test_unknown_role_in_table_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "authz.toml"
    bad.write_text('[roles.a]\nmethods = []\n[identities."x:y"]\nroles = ["a", "b"]\n')
    with pytest.raises(ValueError, match="unknown roles"):
        AuthorizationTable.load(bad)


def test_people_have_personal_identities_only() -> None:
    """Whoever holds a person's role (LIO member, chair) is one person: staff:<personnel number>."""
    holders = {i for i, roles in TABLE.identities.items() if {"lio-member", "lio-chair"} & set(roles)}
    assert holders and all(i.startswith("staff:") for i in holders)


@pytest.mark.parametrize("identity,roles,problem", [
    ("lio:member", '["member"]', "a shared certificate for people"),
    ("staff:mw-1", '["member", "system"]', "personal roles only"),
    ("staff:", '["member"]', "not staff:<personnel number>"),
    ("staff:J de Vries", '["member"]', "not staff:<personnel number>"),
])
def test_personal_roles_are_refused_to_shared_identities(tmp_path: Path, identity: str, roles: str, problem: str) -> None:
    table = tmp_path / "authz.toml"
    table.write_text(f'[roles.member]\npersonal = true\nmethods = []\n[roles.system]\nmethods = []\n'
                     f'[identities."{identity}"]\nroles = {roles}\n')
    with pytest.raises(ValueError, match=problem):
        AuthorizationTable.load(table)


def test_a_staff_member_with_a_personal_role_loads(tmp_path: Path) -> None:
    table = tmp_path / "authz.toml"
    table.write_text('[roles.member]\npersonal = true\nmethods = ["/a/B"]\n[identities."staff:mw-1"]\nroles = ["member"]\n')
    assert AuthorizationTable.load(table).allows("staff:mw-1", "/a/B")


def test_rate_limit_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.take("b")  # per caller
    now[0] += 0.5  # one token back at 2/s
    assert limiter.take("a") and not limiter.take("a")
