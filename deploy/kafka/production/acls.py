"""Turn acls.toml into `kafka-acls` commands, after checking it against the topic catalogue.

Usage: python deploy/kafka/production/acls.py [--check] [--bootstrap-server HOST:PORT --command-config admin.properties]
Prints one `kafka-acls.sh --add ...` command per grant. --check only validates and exits non-zero
on a problem. Checks: every topic named exists in the catalogue (or is a planned audit/privacy
topic listed below); every catalogue topic has at least one writer; audit.log has exactly one
writer (the audit service); no grant ever includes Delete or AlterConfigs.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2] / "libs")]

from topic_catalog import ALL_TOPICS  # noqa: E402

# Topics the production plan already names that later services add to the catalogue.
PLANNED_TOPICS = {"audit.checkpoints", "privacy.erasures"}
FORBIDDEN_OPERATIONS = {"Delete", "AlterConfigs", "Alter", "All"}


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


def commands(plan: dict, extra: str) -> list[str]:
    out = []
    for principal, grant in plan.items():
        for member in grant.get("members", [principal]):
            user = f"User:{member}"
            for topic in grant.get("read", []):
                out.append(f"kafka-acls.sh {extra} --add --allow-principal {user} --operation Read --operation Describe --topic {topic}")
            for topic in grant.get("write", []):
                out.append(f"kafka-acls.sh {extra} --add --allow-principal {user} --operation Write --operation Describe --topic {topic}")
            for group in grant.get("group", []):
                out.append(f"kafka-acls.sh {extra} --add --allow-principal {user} --operation Read --group {group}")
            if grant.get("write"):
                out.append(f"kafka-acls.sh {extra} --add --allow-principal {user} --operation IdempotentWrite --cluster")
    assert not any(f"--operation {op} " in c + " " for c in out for op in FORBIDDEN_OPERATIONS)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--bootstrap-server", default="${BOOTSTRAP}")
    parser.add_argument("--command-config", default="admin.properties")
    args = parser.parse_args()
    plan = load()
    found = problems(plan)
    for p in found:
        print(f"ACL plan problem: {p}", file=sys.stderr)
    if found or args.check:
        return 1 if found else 0
    print("\n".join(commands(plan, f"--bootstrap-server {args.bootstrap_server} --command-config {args.command_config}")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
