"""The production ACL plan, applied to a real Kafka broker and probed principal by principal.

The broker is a single KRaft node started from deploy/kafka/production/server.properties (SASL_SSL,
SCRAM-SHA-512, StandardAuthorizer, allow.everyone.if.no.acl.found=false, super.users = the nodes'
principal and the break-glass admin), see deploy/kafka/production/secure_broker.py. The bootstrap
credentials are written at format time (kafka-storage format --add-scram); the service principals'
credentials are created by the admin through the admin API; the ACLs are applied with
`acls.py --apply`, the operator's command. Then every principal of acls.toml is tried: it writes and
reads what the plan allows and nothing else, and nobody can delete, trim or reconfigure audit.log.

This test brings its own broker on free ports and does not need the one `make test` starts.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ConfigResource, ConfigResourceType, NewTopic,
                         ResourcePattern, ResourceType, ScramMechanism, UserScramCredentialUpsertion)
from kafka.errors import (GroupAuthorizationFailedError, KafkaError, KafkaTimeoutError,
                          TopicAuthorizationFailedError)

from tests.conftest import ROOT, eventually, free_port
from topic_catalog import ALL_TOPICS, AUDIT_LOG

PRODUCTION = ROOT / "deploy/kafka/production"
sys.path.insert(0, str(PRODUCTION))
import acls  # noqa: E402
from secure_broker import SINGLE_NODE_OVERRIDES, SecureBroker  # noqa: E402

sys.path.remove(str(PRODUCTION))

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]

PLAN = acls.load()
PRINCIPALS = acls.principals(PLAN)
TOPICS = sorted(t.name for t in ALL_TOPICS)
SEED = b"seeded by the admin"


def allowed(principal: str, operation: str) -> set[str]:
    """The topics the plan lets ``principal`` Read or Write."""
    return {g.name for g in acls.grants(PLAN)
            if g.principal == f"User:{principal}" and g.resource == "topic" and operation in g.operations}


def groups(principal: str) -> list[str]:
    return [g.name for g in acls.grants(PLAN) if g.principal == f"User:{principal}" and g.resource == "group"]


def password(principal: str) -> str:
    return f"test-password-of-{principal}"


@pytest.fixture(scope="module", autouse=True)
def _broker_with_topics() -> None:
    """Replaces the integration suite's fixture: this module does not use the shared test broker."""


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    broker = SecureBroker(tmp_path_factory.mktemp("kafka-acls"), free_port(), free_port())
    broker.start()
    try:
        admin = KafkaAdminClient(**broker.client_config("admin", broker.admin_password))
        try:
            admin.create_topics([NewTopic(t.name, t.partitions, 1, topic_configs=t.configs) for t in ALL_TOPICS])
            # Each service principal gets its own SCRAM credential (kafka-configs in production).
            result = admin.alter_user_scram_credentials(
                [UserScramCredentialUpsertion(p, ScramMechanism.SCRAM_SHA_512, password(p)) for p in PRINCIPALS])
            assert not [e for e in result.values() if e], result
        finally:
            admin.close()
        applied = apply_plan(broker)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        producer = KafkaProducer(**broker.client_config("admin", broker.admin_password), acks="all")
        for topic in TOPICS:
            producer.send(topic, SEED, key=b"seed").get(30)
        producer.close()
        # SCRAM credentials reach the broker's cache asynchronously: wait until the last one works.
        eventually(lambda: _authenticates(broker, PRINCIPALS[-1], password(PRINCIPALS[-1])),
                   "service credentials on the broker", timeout_s=30)
        yield broker
    finally:
        broker.stop()


def apply_plan(broker: SecureBroker) -> subprocess.CompletedProcess:
    """The operator's command, with the operator's client file."""
    return subprocess.run([sys.executable, str(PRODUCTION / "acls.py"), "--apply", "--bootstrap-server",
                           broker.bootstrap, "--command-config", str(broker.admin_properties)],
                          capture_output=True, text=True, timeout=120)


def _authenticates(broker: SecureBroker, user: str, secret: str) -> bool:
    try:
        KafkaAdminClient(**broker.client_config(user, secret), request_timeout_ms=5000).close()
        return True
    except KafkaError:
        return False


def as_(broker: SecureBroker, principal: str) -> dict:
    return broker.client_config(principal, password(principal))


def produce(broker: SecureBroker, principal: str, topics: list[str], idempotent: bool = False) -> dict[str, str]:
    """Send one record to each topic as ``principal``; the outcome per topic ("ok" or the error's name)."""
    producer = KafkaProducer(**as_(broker, principal), acks="all", max_block_ms=10000, request_timeout_ms=10000,
                             **({"enable_idempotence": True} if idempotent else {"enable_idempotence": False,
                                                                                 "retries": 0}))

    def send(topic: str) -> str:
        try:
            producer.send(topic, f"written by {principal}".encode(), key=principal.encode()).get(15)
            return "ok"
        except KafkaError as exc:
            return type(exc).__name__

    try:   # in parallel: each refusal costs a metadata round trip (the producer is thread-safe)
        with ThreadPoolExecutor(len(topics)) as pool:
            return dict(zip(topics, pool.map(send, topics), strict=True))
    finally:
        producer.close(timeout=5)


def read_seed(broker: SecureBroker, principal: str, topic: str, group: str | None = None) -> None:
    """Read ``topic`` from the beginning as ``principal`` until the admin's seed record shows up;
    with a group, commit the position too (needs Read on the group)."""
    consumer = KafkaConsumer(**as_(broker, principal), group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(_partitions(topic))])
        consumer.seek_to_beginning()
        eventually(lambda: any(r.value == SEED for batch in consumer.poll(500).values() for r in batch),
                   f"{principal} reading {topic}", timeout_s=20)
        if group:
            consumer.commit()
    finally:
        consumer.close()


def read_refusals(broker: SecureBroker, principal: str, topics: list[str]) -> dict[str, str]:
    """How the broker refuses ``principal`` each topic: "invisible" (even Describe is refused, and
    every Read ACL implies Describe) or "fetch refused" (it may see the topic, e.g. because it writes
    it, but a Fetch fails with TopicAuthorizationFailed). "READ" if the seed could be read."""
    admin = KafkaAdminClient(**as_(broker, principal))
    try:
        described = {d["name"]: d["error_code"] for d in admin.describe_topics(topics)}
    finally:
        admin.close()
    out = {}
    for topic in topics:
        if described[topic] == TopicAuthorizationFailedError.errno:
            out[topic] = "invisible"
            continue
        try:
            read_seed(broker, principal, topic)
            out[topic] = "READ"
        except TopicAuthorizationFailedError:
            out[topic] = "fetch refused"
    return out


def _partitions(topic: str) -> int:
    return next(t.partitions for t in ALL_TOPICS if t.name == topic)


def broker_config(broker: SecureBroker, kind: ConfigResourceType, name: str, *keys: str) -> dict[str, str]:
    """The named config values of one resource as the broker reports them (asked as admin)."""
    admin = KafkaAdminClient(**broker.client_config("admin", broker.admin_password))
    try:
        found = admin.describe_configs([ConfigResource(kind, name, {k: None for k in keys})], config_filter="all")
    finally:
        admin.close()
    entries = next(iter(next(iter(found.values())).values()))
    return {k: entries[k]["value"] if isinstance(entries[k], dict) else entries[k] for k in keys}


# ---------------------------------------------------------------- the broker is the shipped one

def test_the_broker_runs_the_production_security_settings(broker: SecureBroker) -> None:
    production = acls.parse_properties((PRODUCTION / "server.properties").read_text())
    running = acls.parse_properties(broker.properties_file.read_text())
    security = {k for k in production if k.startswith(("authorizer.", "allow.everyone", "super.users", "sasl.",
                                                        "listener.", "ssl.", "inter.broker", "controller.listener"))}
    assert not security & set(SINGLE_NODE_OVERRIDES)
    for key in security:   # placeholders (${...}) were filled in from the same file by render()
        assert running[key] == production[key] or "${" in production[key], key
    assert production["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert production["allow.everyone.if.no.acl.found"] == "false"
    assert production["delete.topic.enable"] == "false"   # production's second lock; off here on purpose
    supers = set(production["super.users"].split(";"))
    assert supers == {"User:broker", "User:admin"}
    assert not supers & {f"User:{p}" for p in PRINCIPALS}, "no service principal may be a super user"
    # And the broker itself says so, not just the file. (super.users and allow.everyone.if.no.acl.found
    # belong to the authorizer and are not reported; the refusals below show them at work.)
    assert broker_config(broker, ConfigResourceType.BROKER, "1", "authorizer.class.name") == {
        "authorizer.class.name": production["authorizer.class.name"]}


# ---------------------------------------------------------------- 1. what the plan allows works

@pytest.mark.parametrize("principal", [p for p in PRINCIPALS if allowed(p, "Write")])
def test_a_principal_writes_its_own_topics(broker: SecureBroker, principal: str) -> None:
    own = sorted(allowed(principal, "Write"))
    # Idempotent, as the services produce (needs IdempotentWrite on the cluster).
    assert produce(broker, principal, own, idempotent=True) == {t: "ok" for t in own}


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_a_principal_reads_what_it_consumes(broker: SecureBroker, principal: str) -> None:
    group = next(iter(groups(principal)), None)
    for topic in sorted(allowed(principal, "Read")):
        read_seed(broker, principal, topic, group)


# ---------------------------------------------------------------- 2. and 3. nothing else

@pytest.mark.parametrize("principal", PRINCIPALS)
def test_a_principal_cannot_write_a_foreign_topic(broker: SecureBroker, principal: str) -> None:
    foreign = [t for t in TOPICS if t not in allowed(principal, "Write")]
    assert produce(broker, principal, foreign) == {t: "TopicAuthorizationFailedError" for t in foreign}


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_a_principal_cannot_read_a_topic_it_does_not_consume(broker: SecureBroker, principal: str) -> None:
    others = [t for t in TOPICS if t not in allowed(principal, "Read")]
    writes = allowed(principal, "Write")
    assert read_refusals(broker, principal, others) == {
        t: "fetch refused" if t in writes else "invisible" for t in others}


def test_the_examples_of_the_plan(broker: SecureBroker) -> None:
    """The cases a reviewer asks about first, spelled out."""
    assert produce(broker, "intake", ["audit.log"]) == {"audit.log": "TopicAuthorizationFailedError"}
    # registration reads lio.decisions (so it may Describe it): refused at the write itself.
    assert produce(broker, "registration", ["lio.decisions"]) == {"lio.decisions": "TopicAuthorizationFailedError"}
    # An auditor reads the audit log but cannot add a forged entry to it.
    assert produce(broker, "auditor", ["audit.log"]) == {"audit.log": "TopicAuthorizationFailedError"}
    # Partners and the LIO never see the key store; a partner never sees another partner's stream.
    assert read_refusals(broker, "adapter-politie", ["keys.subjects", "referrals.to.belastingdienst"]) == {
        "keys.subjects": "invisible", "referrals.to.belastingdienst": "invisible"}
    assert read_refusals(broker, "lio", ["keys.subjects"]) == {"keys.subjects": "invisible"}
    # intake writes keys.subjects and reads it back (keystore-writers), but never reads the register.
    assert read_refusals(broker, "intake", ["signals.registered"]) == {"signals.registered": "invisible"}
    # A partner cannot commit its position under another partner's consumer group.
    with pytest.raises(GroupAuthorizationFailedError):
        read_seed(broker, "adapter-politie", "referrals.to.politie", group="adapter-belastingdienst")


# ---------------------------------------------------------------- 4. the audit log stays as it is

@pytest.mark.parametrize("principal", PRINCIPALS)
def test_nobody_can_delete_trim_or_reconfigure_the_audit_log(broker: SecureBroker, principal: str) -> None:
    admin = KafkaAdminClient(**as_(broker, principal))
    retention = ConfigResource(ConfigResourceType.TOPIC, AUDIT_LOG.name, {"retention.ms": "1000"})
    self_grant = ACL(f"User:{principal}", "*", ACLOperation.DELETE, ACLPermissionType.ALLOW,
                     ResourcePattern(ResourceType.TOPIC, AUDIT_LOG.name))
    attempts = {
        "delete the topic": lambda: admin.delete_topics([AUDIT_LOG.name]),
        # DeleteRecords moves the log start offset forward: trimming. Sent straight to the broker
        # (node 1), as the principal may not even learn which broker leads the partition.
        "delete records": lambda: admin.delete_records({TopicPartition(AUDIT_LOG.name, 0): 1}, partition_leader_id=1),
        "alter retention.ms": lambda: admin.alter_configs([retention], incremental=False, raise_on_unknown=False),
        "incrementally alter retention.ms": lambda: admin.alter_configs([retention], incremental=True,
                                                                        raise_on_unknown=False),
        "add a partition": lambda: admin.create_partitions({AUDIT_LOG.name: 2}),
    }
    try:
        for what, attempt in attempts.items():
            assert "TopicAuthorizationFailedError" in _outcome(attempt), what
        # Nor can anyone grant themselves what the plan withholds, or take over the admin.
        assert "ClusterAuthorizationFailedError" in _outcome(lambda: admin.create_acls([self_grant]))
        taken = admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion("admin", ScramMechanism.SCRAM_SHA_512, "taken over")])
        assert taken["admin"] and "needs ALTER permission" in taken["admin"], taken
    finally:
        admin.close()


def _outcome(call) -> str:  # noqa: ANN001
    """An admin call's outcome as text: the error it raised, or its result (which may hold errors)."""
    try:
        return str(call())
    except KafkaError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_the_audit_log_is_intact_afterwards(broker: SecureBroker) -> None:
    """Runs after the attempts above (file order): topic, partition count, start offset, retention."""
    admin = KafkaAdminClient(**broker.client_config("admin", broker.admin_password))
    consumer = KafkaConsumer(**broker.client_config("admin", broker.admin_password))
    try:
        assert AUDIT_LOG.name in admin.list_topics()
        partition = TopicPartition(AUDIT_LOG.name, 0)
        assert consumer.partitions_for_topic(AUDIT_LOG.name) == {0}
        assert consumer.beginning_offsets([partition]) == {partition: 0}
        assert consumer.end_offsets([partition])[partition] >= 2   # the seed and the audit service's entry
    finally:
        consumer.close()
        admin.close()
    assert broker_config(broker, ConfigResourceType.TOPIC, AUDIT_LOG.name, "retention.ms") == {"retention.ms": "-1"}


# ---------------------------------------------------------------- 5. no entry without credentials

def test_a_wrong_password_an_unknown_user_and_no_credentials_are_refused(broker: SecureBroker) -> None:
    wrong_credentials = {
        "wrong password": broker.client_config("intake", "not-the-password"),
        "unknown user": broker.client_config("mallory", "whatever"),
        "admin, wrong password": broker.client_config("admin", "guess"),
    }
    no_credentials = {
        "TLS without SASL": {"bootstrap_servers": broker.bootstrap, "security_protocol": "SSL",
                             "ssl_cafile": str(broker.ca_file)},
        "plaintext": {"bootstrap_servers": broker.bootstrap},
        # The controller listener takes only the nodes' own (PLAIN) credential, not a service's.
        "controller listener": {**as_(broker, "intake"), "bootstrap_servers": f"127.0.0.1:{broker.controller_port}",
                                "sasl_mechanism": "PLAIN"},
    }
    broker_log = broker.run_dir / "logs/server.log"
    invalid = "invalid credentials with SASL mechanism SCRAM-SHA-512"
    before = broker_log.read_text().count(invalid)

    def connect(config: dict) -> str:
        try:
            KafkaAdminClient(**config, bootstrap_timeout_ms=2000).close()
            return "connected"
        except KafkaTimeoutError:   # kafka-python retries a refused connection until this timeout
            return "refused"

    attempts = {**wrong_credentials, **no_credentials}
    with ThreadPoolExecutor(len(attempts)) as pool:
        outcome = dict(zip(attempts, pool.map(connect, attempts.values()), strict=True))
    assert outcome == {what: "refused" for what in attempts}
    # The broker's own account: each wrong SCRAM credential was refused as such (at least once each).
    assert broker_log.read_text().count(invalid) - before >= len(wrong_credentials)
    assert connect(as_(broker, "intake")) == "connected"   # the control: the right password works


# ---------------------------------------------------------------- drift is reported

def test_apply_reports_an_acl_that_is_not_in_the_plan(broker: SecureBroker) -> None:
    """Last in the file: it adds a stray ACL and removes it again."""
    stray = ACL("User:auditor", "*", ACLOperation.DESCRIBE, ACLPermissionType.ALLOW,
                ResourcePattern(ResourceType.TOPIC, "keys.subjects"))
    admin = KafkaAdminClient(**broker.client_config("admin", broker.admin_password))
    try:
        assert admin.create_acls([stray])["succeeded"] == [stray]
        applied = apply_plan(broker)
        assert applied.returncode == 3, applied.stdout + applied.stderr
        assert "not in the plan" in applied.stderr and "auditor" in applied.stderr and "keys.subjects" in applied.stderr
    finally:
        admin.delete_acls([stray])
        admin.close()
