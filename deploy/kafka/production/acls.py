"""Apply acls.toml to a cluster, or print it as `kafka-acls` commands, after checking it against the topic catalogue.

Usage:
  python deploy/kafka/production/acls.py --check
  python deploy/kafka/production/acls.py [--bootstrap-server HOST:PORT --command-config admin.properties]
  python deploy/kafka/production/acls.py --apply --bootstrap-server HOST:PORT --command-config admin.properties

--check only validates and exits non-zero on a problem. Without --apply it prints one
`kafka-acls.sh --add ...` command per grant. --apply is how an operator applies the plan: it creates
every ACL of the plan through the admin API (as the break-glass admin of admin.properties, the same
client file kafka-acls.sh takes), waits until the broker reports each one, and exits 3 if the cluster
holds ACLs that are not in the plan (they are listed; remove them by hand after review).
Both outputs come from one list, grants(), which tests/integration/test_kafka_acls_live.py applies
to a real SASL_SSL broker and probes principal by principal.

Checks: every topic named exists in the catalogue (or is a planned audit/privacy topic listed below);
every catalogue topic has at least one writer; audit.log has exactly one writer (the audit service);
no grant ever includes Delete or AlterConfigs.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tomllib
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2] / "libs")]

from topic_catalog import ALL_TOPICS  # noqa: E402

# Topics the production plan may name before a later service adds them to the catalogue.
PLANNED_TOPICS = {"audit.checkpoints", "privacy.erasures"}
FORBIDDEN_OPERATIONS = {"Delete", "AlterConfigs", "Alter", "All"}
CLUSTER = "kafka-cluster"   # the name of the one cluster resource


class Grant(NamedTuple):
    """Allow ``principal`` the ``operations`` on one resource (topic, group or the cluster)."""
    principal: str
    resource: str           # "topic" | "group" | "cluster"
    name: str
    operations: tuple[str, ...]


def load(path: Path = HERE / "acls.toml") -> dict:
    return tomllib.loads(path.read_text())["principals"]


def problems(plan: dict) -> list[str]:
    known = {t.name for t in ALL_TOPICS} | PLANNED_TOPICS
    found = []
    writers: dict[str, set[str]] = {}
    for principal, grant in plan.items():
        for op in ("read", "write"):
            for topic in grant.get(op, []):
                if topic not in known:
                    found.append(f"{principal}: {op} on unknown topic {topic}")
        for topic in grant.get("write", []):
            writers.setdefault(topic, set()).update(grant.get("members", [principal]))
    for topic in {t.name for t in ALL_TOPICS}:
        if topic not in writers:
            found.append(f"topic {topic} has no writer")
    if writers.get("audit.log") != {"audit"}:
        found.append(f"audit.log must have exactly one writer, the audit service; has {sorted(writers.get('audit.log', []))}")
    return found


def grants(plan: dict) -> list[Grant]:
    """Every grant of the plan, with group entries ([principals.x] members = [...]) expanded."""
    out = []
    for principal, grant in plan.items():
        for member in grant.get("members", [principal]):
            user = f"User:{member}"
            out += [Grant(user, "topic", t, ("Read", "Describe")) for t in grant.get("read", [])]
            out += [Grant(user, "topic", t, ("Write", "Describe")) for t in grant.get("write", [])]
            out += [Grant(user, "group", g, ("Read",)) for g in grant.get("group", [])]
            if grant.get("write"):
                out.append(Grant(user, "cluster", CLUSTER, ("IdempotentWrite",)))
    assert not [g for g in out if FORBIDDEN_OPERATIONS & set(g.operations)], "the plan must never grant these"
    return out


def principals(plan: dict) -> list[str]:
    """Every user the plan names (members included): the service and partner principals."""
    return sorted({g.principal.removeprefix("User:") for g in grants(plan)})


def commands(plan: dict, extra: str) -> list[str]:
    out = []
    for g in grants(plan):
        resource = "--cluster" if g.resource == "cluster" else f"--{g.resource} {g.name}"
        ops = " ".join(f"--operation {op}" for op in g.operations)
        out.append(f"kafka-acls.sh {extra} --add --allow-principal {g.principal} {ops} {resource}")
    return out


# ---------------------------------------------------------------- applying through the admin API

def parse_properties(text: str) -> dict[str, str]:
    """key=value lines of a Java properties file (no continuation lines)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def client_config(command_config: Path, bootstrap: str) -> dict:
    """kafka-python settings from a Kafka client properties file (what kafka-acls.sh --command-config takes).

    Supported: security.protocol, sasl.mechanism (PLAIN, SCRAM-*), sasl.jaas.config with
    username/password, and a PEM trust store (ssl.truststore.type=PEM, ssl.truststore.location).
    """
    props = parse_properties(command_config.read_text())
    config = {"bootstrap_servers": bootstrap, "security_protocol": props.get("security.protocol", "PLAINTEXT")}
    if "sasl.mechanism" in props:
        jaas = props.get("sasl.jaas.config", "")
        creds = dict(re.findall(r'(username|password)="([^"]*)"', jaas))
        if set(creds) != {"username", "password"}:
            raise ValueError(f"{command_config}: sasl.jaas.config needs username=\"...\" and password=\"...\"")
        config |= {"sasl_mechanism": props["sasl.mechanism"], "sasl_plain_username": creds["username"],
                   "sasl_plain_password": creds["password"]}
    if "ssl.truststore.location" in props:
        if props.get("ssl.truststore.type", "JKS").upper() != "PEM":
            raise ValueError(f"{command_config}: use ssl.truststore.type=PEM (a CA file) for this tool")
        config["ssl_cafile"] = props["ssl.truststore.location"]
    return config


def _acls(grant: Grant):  # noqa: ANN202
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ResourcePattern, ResourceType

    pattern = ResourcePattern(ResourceType[grant.resource.upper()], grant.name)
    ops = {"Read": ACLOperation.READ, "Write": ACLOperation.WRITE, "Describe": ACLOperation.DESCRIBE,
           "IdempotentWrite": ACLOperation.IDEMPOTENT_WRITE}
    return [ACL(grant.principal, "*", ops[op], ACLPermissionType.ALLOW, pattern) for op in grant.operations]


def _existing(admin) -> set:  # noqa: ANN001
    from kafka.admin import (ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                             ResourcePatternFilter, ResourceType)

    found, _ = admin.describe_acls(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY,
                                             ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)))
    return set(found)


def apply(plan: dict, config: dict, timeout_s: float = 30.0) -> list:
    """Create every ACL of the plan (creating an existing ACL changes nothing), wait until the broker
    reports all of them, and return the ACLs on the cluster that the plan does not contain."""
    from kafka import KafkaAdminClient

    wanted = {acl for g in grants(plan) for acl in _acls(g)}
    admin = KafkaAdminClient(client_id="knooppunt-acls", **config)
    try:
        result = admin.create_acls(sorted(wanted, key=repr))
        if result["failed"]:
            raise RuntimeError(f"{len(result['failed'])} ACLs were refused: {result['failed'][:3]}")
        # The controller has committed them; the broker authorizes with them once it has replayed
        # the metadata log. DescribeAcls is answered from the broker's own authorizer.
        deadline = time.monotonic() + timeout_s
        while (missing := wanted - (present := _existing(admin))) and time.monotonic() < deadline:
            time.sleep(0.2)
        if missing:
            raise RuntimeError(f"{len(missing)} ACLs not visible on the broker after {timeout_s:.0f}s")
        return sorted(present - wanted, key=repr)
    finally:
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--apply", action="store_true", help="create the ACLs through the admin API")
    parser.add_argument("--bootstrap-server", default="${BOOTSTRAP}")
    parser.add_argument("--command-config", default="admin.properties")
    args = parser.parse_args()
    plan = load()
    found = problems(plan)
    for p in found:
        print(f"ACL plan problem: {p}", file=sys.stderr)
    if found or args.check:
        return 1 if found else 0
    if args.apply:
        extra = apply(plan, client_config(Path(args.command_config), args.bootstrap_server))
        print(f"applied {len(grants(plan))} grants for {len(principals(plan))} principals")
        for acl in extra:
            print(f"not in the plan: {acl}", file=sys.stderr)
        return 3 if extra else 0
    print("\n".join(commands(plan, f"--bootstrap-server {args.bootstrap_server} --command-config {args.command_config}")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
