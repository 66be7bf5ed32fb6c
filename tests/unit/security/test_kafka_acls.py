"""The production ACL plan: consistent with the topic catalogue, least privilege, and no
grant that could delete, trim or reconfigure the audit log."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("acls", ROOT / "deploy/kafka/production/acls.py")
acls = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(acls)


def test_plan_matches_the_catalogue() -> None:
    assert acls.problems(acls.load()) == []


def test_only_the_audit_service_writes_the_audit_log_and_nobody_can_delete_it() -> None:
    plan = acls.load()
    writers = {p for p, g in plan.items() if "audit.log" in g.get("write", [])}
    assert writers == {"audit"}
    commands = acls.commands(plan, "")
    assert commands and not [c for c in commands if "--operation Delete" in c or "--operation Alter" in c]


def test_partners_read_only_their_own_stream() -> None:
    plan = acls.load()
    for partner in ("riec-rotterdam", "politie", "belastingdienst"):
        grant = plan[f"adapter-{partner}"]
        assert grant["read"] == [f"referrals.to.{partner}"] and not grant.get("write")


def test_a_broken_plan_is_reported() -> None:
    plan = acls.load()
    plan["lio"] = {**plan["lio"], "write": ["lio.decisions", "audit.log", "no.such.topic"]}
    found = acls.problems(plan)
    assert any("unknown topic no.such.topic" in p for p in found)
    assert any("audit.log must have exactly one writer" in p for p in found)
