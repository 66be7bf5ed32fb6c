"""Checks docker-compose.yml against the Compose Specification JSON schema.

No Docker engine is needed: the file is parsed with PyYAML and validated with
jsonschema against the schema vendored in tests/schemas/compose-spec.json (see
tests/schemas/README.md for its source, version and licence).
"""

from __future__ import annotations

import copy
import json
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema.validators import validator_for

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
SCHEMA_FILE = REPO_ROOT / "tests" / "schemas" / "compose-spec.json"

PYTHON_SERVICES = {
    "intake": 50051,
    "registration": 50052,
    "lio": 50053,
    "referral": 50054,
    "audit": 50055,
}
REQUIRED_SERVICES = [*PYTHON_SERVICES, "kafka"]
ADAPTERS = {
    "adapter-politie": "politie",
    "adapter-belastingdienst": "belastingdienst",
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    # safe_load resolves YAML anchors and `<<` merge keys, like Compose does.
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


def _errors(validator: jsonschema.protocols.Validator, doc: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]


def _argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


# --- the schema itself -------------------------------------------------------


def test_vendored_schema_is_the_compose_specification(schema: dict[str, Any]) -> None:
    assert schema["title"] == "Compose Specification"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert validator_for(schema) is jsonschema.Draft202012Validator
    # Guard against an accidental downgrade to an old copy: top-level `name`
    # (2022) and `models` (2025) are only in recent versions of the schema.
    for key in ("name", "include", "services", "volumes", "models"):
        assert key in schema["properties"], key
    # Unknown service keys must be rejected (checked for real further down).
    assert schema["$defs"]["service"].get("unevaluatedProperties") is False


# --- the real file -----------------------------------------------------------


def test_compose_file_is_valid_against_compose_spec(
    validator: jsonschema.protocols.Validator, compose: dict[str, Any]
) -> None:
    errors = _errors(validator, compose)
    assert not errors, "docker-compose.yml violates the Compose Specification:\n" + "\n".join(errors)


@pytest.mark.parametrize("name", REQUIRED_SERVICES)
def test_service_is_defined(compose: dict[str, Any], name: str) -> None:
    assert name in compose["services"], f"service {name!r} missing from docker-compose.yml"


@pytest.mark.parametrize("name", sorted(PYTHON_SERVICES))
def test_python_service_runs_its_own_module(compose: dict[str, Any], name: str) -> None:
    argv = _argv(compose["services"][name]["command"])
    assert argv[:3] == ["python", "-m", f"services.{name}"], argv


@pytest.mark.parametrize("name", sorted(PYTHON_SERVICES))
def test_python_service_wiring(compose: dict[str, Any], name: str) -> None:
    svc = compose["services"][name]
    port = PYTHON_SERVICES[name]
    env = {k: str(v) for k, v in svc["environment"].items()}
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["GRPC_PORT"] == str(port)
    assert env["GRPC_HOST"] == "0.0.0.0"
    assert env["LOG_LEVEL"] == "INFO"
    assert env["KNOOPPUNT_ALLOW_INSECURE_DEV"] == "1"
    # Published to the host's loopback only.
    assert svc["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert svc["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"


@pytest.mark.parametrize(("name", "partner"), sorted(ADAPTERS.items()))
def test_partner_adapters(compose: dict[str, Any], name: str, partner: str) -> None:
    argv = _argv(compose["services"][name]["command"])
    # Inside the compose network the referral service is reached by its service name.
    assert argv == [
        "python", "-m", "services.partner_adapter", "--partner", partner, "--referral-endpoint", "referral:50054"
    ]


def test_topics_is_a_one_shot_after_kafka(compose: dict[str, Any]) -> None:
    topics = compose["services"]["topics"]
    assert _argv(topics["command"]) == ["python", "-m", "topic_catalog.ensure"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics.get("restart", "no") == "no"


def test_kafka_service(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"] == "apache/kafka:4.4.0"
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert " ".join(_argv(kafka["healthcheck"]["test"][1:])).startswith(
        "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092"
    )
    assert all(p.startswith("127.0.0.1:") for p in kafka.get("ports", []))
    volume = kafka["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], "kafka data must live in a named volume"


# --- the validator must be able to fail -------------------------------------


def _unknown_service_key(doc: dict[str, Any]) -> None:
    doc["services"]["intake"]["grpc_port"] = 50051


def _ports_as_mapping(doc: dict[str, Any]) -> None:
    doc["services"]["intake"]["ports"] = {"50051": 50051}


def _bad_depends_on_condition(doc: dict[str, Any]) -> None:
    doc["services"]["intake"]["depends_on"]["kafka"]["condition"] = "service_ready"


def _unknown_top_level_key(doc: dict[str, Any]) -> None:
    doc["service"] = doc["services"]


def _bad_service_name(doc: dict[str, Any]) -> None:
    doc["services"]["adapter politie"] = doc["services"].pop("adapter-politie")


def _environment_as_string(doc: dict[str, Any]) -> None:
    doc["services"]["audit"]["environment"] = "LOG_LEVEL=INFO"


@pytest.mark.parametrize(
    "breakage",
    [
        _unknown_service_key,
        _ports_as_mapping,
        _bad_depends_on_condition,
        _unknown_top_level_key,
        _bad_service_name,
        _environment_as_string,
    ],
)
def test_broken_copies_are_rejected(
    validator: jsonschema.protocols.Validator, compose: dict[str, Any], breakage: Any
) -> None:
    broken = copy.deepcopy(compose)
    breakage(broken)
    assert _errors(validator, broken), f"{breakage.__name__}: broken compose file was accepted"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_broken_yaml_text_is_rejected(validator: jsonschema.protocols.Validator) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8").replace(
        '      - "127.0.0.1:50051:50051"', '      127.0.0.1: "50051:50051"', 1
    )
    assert text != COMPOSE_FILE.read_text(encoding="utf-8"), "fixture text not found"
    assert _errors(validator, yaml.safe_load(text))
