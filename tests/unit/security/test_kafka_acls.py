"""The production ACL plan: consistent with the topic catalogue, least privilege, and no
grant that could delete, trim or reconfigure the audit log."""

from __future__ import annotations

import importlib.util
import sys
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


def test_the_kafka_acls_commands_and_the_admin_api_apply_the_same_grants() -> None:
    plan = acls.load()
    grants = acls.grants(plan)
    assert len(acls.commands(plan, "")) == len(grants)
    created = [acl for g in grants for acl in acls._acls(g)]
    assert len(created) == sum(len(g.operations) for g in grants)
    assert {acl.operation.name for acl in created} == {"READ", "WRITE", "DESCRIBE", "IDEMPOTENT_WRITE"}
    assert {acl.principal for acl in created} == {f"User:{p}" for p in acls.principals(plan)}


def test_the_operators_client_file_becomes_client_settings(tmp_path: Path) -> None:
    admin = tmp_path / "admin.properties"
    admin.write_text(
        "# the break-glass admin\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" '
        'password="s3cr=t";\nssl.truststore.type=PEM\nssl.truststore.location=/etc/kafka/ca.pem\n')
    assert acls.client_config(admin, "kafka-1:9093") == {
        "bootstrap_servers": "kafka-1:9093", "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "admin", "sasl_plain_password": "s3cr=t", "ssl_cafile": "/etc/kafka/ca.pem"}


def test_the_test_broker_is_the_production_file_with_single_node_overrides_only() -> None:
    spec = importlib.util.spec_from_file_location("secure_broker", ROOT / "deploy/kafka/production/secure_broker.py")
    secure_broker = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("secure_broker", secure_broker)   # its dataclass looks itself up there
    spec.loader.exec_module(secure_broker)
    template = (ROOT / "deploy/kafka/production/server.properties").read_text()
    names = set(secure_broker.PLACEHOLDER.findall(template))
    rendered = acls.parse_properties(secure_broker.render(template, dict.fromkeys(names, "X"), {"min.insync.replicas": "1"}))
    production = acls.parse_properties(template)
    assert rendered.keys() == production.keys() and "${" not in str(rendered)
    assert rendered["min.insync.replicas"] == "1"
    assert {k: v for k, v in rendered.items() if k != "min.insync.replicas" and "${" not in production[k]} == {
        k: v for k, v in production.items() if k != "min.insync.replicas" and "${" not in v}


# Which plan principals a service's code runs as. The privacy tools run as the retention job
# (retention, erasure requests) or as the privacy officer (inzage, the unusual-access report).
RUNS_AS = {"intake": {"intake"}, "registration": {"registration"}, "lio": {"lio"}, "referral": {"referral"},
           "audit": {"audit"}, "privacy": {"retention", "privacy-officer"}}


def _topics_named_in(service: str) -> set[str]:
    import re

    from topic_catalog import ALL_TOPICS
    import topic_catalog

    by_constant = {name: spec.name for name, spec in vars(topic_catalog).items() if spec in ALL_TOPICS}
    code = "\n".join(p.read_text() for p in (ROOT / "services" / service).rglob("*.py"))
    return {topic for name, topic in by_constant.items() if re.search(rf"\b{name}\b", code)}


def test_every_topic_a_services_code_names_is_granted_to_it() -> None:
    """A topic the code reads or writes but the plan does not grant fails in production only
    (TopicAuthorizationFailed); here it fails at once. Per-recipient referral topics are
    named at run time and checked by test_partners_read_only_their_own_stream."""
    plan = acls.load()
    granted: dict[str, set[str]] = {}
    for principal, grant in plan.items():
        for member in grant.get("members", [principal]):
            granted.setdefault(member, set()).update(grant.get("read", []), grant.get("write", []))
    for service, principals in RUNS_AS.items():
        allowed = set().union(*(granted.get(p, set()) for p in principals))
        missing = _topics_named_in(service) - allowed
        assert not missing, f"{service} names {sorted(missing)} in its code, but acls.toml grants it none of them"


def test_the_code_check_sees_a_missing_grant() -> None:
    assert "privacy.erasures" in _topics_named_in("registration")
    assert "keys.subjects" in _topics_named_in("intake")
