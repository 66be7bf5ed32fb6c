"""`python -m services.privacy.retention`: erase personal data whose retention has expired.

Reads the processing register for the periods, the topics for the facts, and erases by
destroying keys (crypto-shredding); each erasure becomes a DataErased event that the audit log
records. `--dry-run` lists what would be erased and changes nothing. Needs KAFKA_BOOTSTRAP_SERVERS
and MASTER_KEY (hex, 32 bytes: the key store's master key).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from cloudevents_kafka.kafka import EventPublisher
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.sharing.v1 import sharing_pb2
from services.privacy.adapters.retention_kafka import Eraser, gather_facts
from services.privacy.domain.retention import RetentionPolicy, plan
from topic_catalog import SUBJECT_KEYS

REGISTER = Path("deploy/policy/processing-register.toml")


def load_policy(path: Path, activity_id: str) -> RetentionPolicy:
    data = tomllib.loads(path.read_text())
    for activity in data.get("activity", []):
        if activity["id"] == activity_id:
            return RetentionPolicy(activity_id, dict(activity["retention"]))
    raise SystemExit(f"{path}: no processing activity {activity_id!r}")


async def run(args: argparse.Namespace) -> int:
    now = datetime.fromisoformat(args.as_of).replace(tzinfo=UTC) if args.as_of else datetime.now(UTC)
    policy = load_policy(Path(args.register), args.activity)
    signals, logged = await gather_facts(args.bootstrap_servers)
    keys = KafkaKeyStore(args.bootstrap_servers, SUBJECT_KEYS.name, bytes.fromhex(os.environ["MASTER_KEY"]))
    await keys.start()
    try:
        done = {k for k in logged if not keys.has_key(k)}
        result = plan(signals, policy, now, already_erased=done)
        print(f"{len(signals)} signals checked against {policy.activity_id} as of {now:%Y-%m-%d}: "
              f"{len(result.expiries)} keys expired, {result.kept} signals kept")
        if args.dry_run:
            for e in result.expiries:
                print(f"  would erase {e.key_id.split(':')[0]} data of {e.registration_number} under {e.rule}")
            return 0
        publisher = EventPublisher(args.bootstrap_servers, source="/knooppunt/privacy/retention")
        await publisher.start()
        try:
            actor = sharing_pb2.Actor(person_id="retention-job", role="retention", organisation=args.organisation)
            eraser = Eraser(publisher, keys, actor)
            for e in result.expiries:
                outcome = await eraser.erase(e, logged, now, "retention expired")
                print(f"  {outcome:9} {e.key_id.split(':')[0]} data of {e.registration_number} under {e.rule}")
        finally:
            await publisher.stop()
    finally:
        await keys.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Erase personal data whose retention period has expired.")
    parser.add_argument("--dry-run", action="store_true", help="list what would be erased; change nothing")
    parser.add_argument("--as-of", help="evaluate retention as of this date (YYYY-MM-DD); default now")
    parser.add_argument("--register", default=str(REGISTER))
    parser.add_argument("--activity", default="signaalregistratie/v1")
    parser.add_argument("--organisation", default="gemeente-maassluis")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args(argv)
    if "MASTER_KEY" not in os.environ:
        parser.error("MASTER_KEY (hex) must be set: the key store's master key")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
