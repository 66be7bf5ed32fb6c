"""deploy/k8s validates: standard kinds against the Kubernetes JSON schemas shipped offline by
kubernetes-validate; Strimzi CRs against the Strimzi CRD schemas (compiled by the npm package
@kubernetes-models/strimzi-kafka-operator, run with node, see deploy/k8s/schema-check) and
against the values we rely on (RF 3, min.insync.replicas 2, ...); KafkaTopic CRs equal the
generator's output from the topic catalogue."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy/k8s"
KUBERNETES_VERSION = "1.33.0"
import kubernetes_validate  # noqa: E402 (a dev dependency: the check must run, never skip)


def _documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S.rglob("*.yaml")):
        docs += [(str(path.relative_to(K8S)), d) for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


STANDARD = [(p, d) for p, d in _documents() if not d["apiVersion"].startswith(("kafka.strimzi.io", "kustomize"))]
STRIMZI = [(p, d) for p, d in _documents() if d["apiVersion"].startswith("kafka.strimzi.io")]


@pytest.mark.parametrize(("path", "doc"), STANDARD, ids=[f"{p}:{d['kind']}/{d['metadata']['name']}" for p, d in STANDARD])
def test_standard_kinds_match_kubernetes_schemas(path: str, doc: dict) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


_STRIMZI_SCHEMAS = {
    "Kafka": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["kafka"], "properties": {"kafka": {
            "type": "object", "required": ["listeners", "config"], "properties": {
                "config": {"type": "object", "required": ["min.insync.replicas", "unclean.leader.election.enable",
                                                          "default.replication.factor"],
                           "properties": {"min.insync.replicas": {"const": 2},
                                          "unclean.leader.election.enable": {"const": False},
                                          "default.replication.factor": {"const": 3}}},
                "listeners": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["name", "port", "type", "tls"]}}}}}}}},
    "KafkaNodePool": {"type": "object", "properties": {"spec": {
        "type": "object", "required": ["replicas", "roles", "storage"],
        "properties": {"replicas": {"const": 3},
                       "roles": {"type": "array", "items": {"enum": ["controller", "broker"]}}}}}},
    "KafkaTopic": {"type": "object", "required": ["spec"], "properties": {
        "metadata": {"required": ["labels"], "properties": {"labels": {"required": ["strimzi.io/cluster"]}}},
        "spec": {"type": "object", "required": ["topicName", "partitions", "replicas", "config"], "properties": {
            "partitions": {"type": "integer", "minimum": 1}, "replicas": {"const": 3},
            "config": {"type": "object", "required": ["min.insync.replicas"],
                       "properties": {"min.insync.replicas": {"const": "2"},
                                      "unclean.leader.election.enable": {"const": "false"}},
                       "additionalProperties": {"type": "string"}}}}}},
}


@pytest.mark.parametrize(("path", "doc"), STRIMZI, ids=[f"{p}:{d['kind']}/{d['metadata']['name']}" for p, d in STRIMZI])
def test_strimzi_resources_have_the_structure_we_rely_on(path: str, doc: dict) -> None:
    assert doc["apiVersion"] == "kafka.strimzi.io/v1beta2"
    jsonschema.validate(doc, _STRIMZI_SCHEMAS[doc["kind"]])


SCHEMA_CHECK = K8S / "schema-check"


def _strimzi_schema_check(docs: list[tuple[str, dict]]) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    assert node, "node is required for the Strimzi CRD schema check (see deploy/k8s/schema-check)"
    assert (SCHEMA_CHECK / "node_modules").is_dir(), "run `make install` (npm ci in deploy/k8s/schema-check)"
    payload = json.dumps([{"path": p, "doc": d} for p, d in docs])
    return subprocess.run([node, "check.mjs"], cwd=SCHEMA_CHECK, input=payload, capture_output=True, text=True,
                          timeout=120)


def test_strimzi_resources_match_the_strimzi_crd_schemas() -> None:
    done = _strimzi_schema_check(STRIMZI)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"checked": len(STRIMZI), "bad": 0}


def test_strimzi_crd_schema_check_refuses_a_broken_resource() -> None:
    broken = json.loads(json.dumps(next(d for _, d in STRIMZI if d["kind"] == "Kafka")))
    broken["spec"]["kafka"]["listeners"][0]["type"] = "no-such-listener-type"
    pool = json.loads(json.dumps(next(d for _, d in STRIMZI if d["kind"] == "KafkaNodePool")))
    pool["spec"]["replicas"] = "three"
    done = _strimzi_schema_check([("broken.yaml", broken), ("pool.yaml", pool)])
    assert done.returncode == 1
    assert "listeners/0/type must be equal to one of the allowed values" in done.stdout
    assert "spec/replicas must be integer" in done.stdout


def test_kraft_cluster_of_three() -> None:
    kinds = {d["kind"]: d for _, d in STRIMZI if d["kind"] != "KafkaTopic"}
    assert kinds["Kafka"]["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert set(kinds["KafkaNodePool"]["spec"]["roles"]) == {"controller", "broker"}


def test_topics_equal_the_generator_output() -> None:
    spec = importlib.util.spec_from_file_location("gen_topics", K8S / "gen_topics.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (K8S / "kafka/topics.yaml").read_text() == gen.render()


def test_every_service_has_grpc_probes_and_runs_non_root_read_only() -> None:
    deployments = [d for _, d in STANDARD if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {"intake", "registration", "lio", "referral", "audit"}
    for d in deployments:
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in pod["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert "grpc" in c[probe]
    assert {d["metadata"]["name"] for _, d in STANDARD if d["kind"] == "PodDisruptionBudget"} == {
        d["metadata"]["name"] for d in deployments}
