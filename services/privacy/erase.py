"""`python -m services.privacy.erase`: honour an erasure request (AVG art. 17) for one person.

Destroys the person's key and the keys of every signal that names them, each erasure logged
as a DataErased event (and so in the audit log) before its key is destroyed. Afterwards the
person is "not known" to hit/no-hit, and no service, replay or export can read the erased data;
the audit log keeps that decisions were taken, and still verifies. Needs PSEUDONYM_KEY and MASTER_KEY.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime

from cloudevents_kafka.kafka import EventPublisher
from crypto_shredding import signal_key
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.sharing.v1 import sharing_pb2
from pseudonyms import elfproef, person_key_for_bsn
from services.privacy.adapters.retention_kafka import Eraser, gather_facts
from services.privacy.domain.retention import Expiry
from topic_catalog import SUBJECT_KEYS


async def erase_person(bootstrap: str, person: str, reason: str, actor: sharing_pb2.Actor) -> list[str]:
    signals, logged = await gather_facts(bootstrap)
    now = datetime.now(UTC)
    named = [s for s in signals if person in s.subject_keys]
    expiries = [Expiry(signal_key(s.signal_id), s.signal_id, s.registration_number,
                       ("signal.description", "signal.reporter"), "erasure-request", now) for s in named]
    if named:
        last = named[-1]
        expiries.append(Expiry(person, last.signal_id, last.registration_number, ("subject.person",), "erasure-request", now))
    keys = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, bytes.fromhex(os.environ["MASTER_KEY"]))
    await keys.start()
    publisher = EventPublisher(bootstrap, source="/knooppunt/privacy/erase")
    await publisher.start()
    try:
        eraser = Eraser(publisher, keys, actor)
        # A new request about a person is a new erasure, even if they were erased before.
        logged = logged - {person}
        return [f"{await eraser.erase(e, logged, now, reason):9} {e.key_id.split(':')[0]} data of {e.registration_number}"
                for e in expiries]
    finally:
        await publisher.stop()
        await keys.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Erase a person's data on request (crypto-shredding).")
    parser.add_argument("--bsn", required=True, help="the person's BSN (not printed or stored)")
    parser.add_argument("--reason", default="verzoek tot wissing (AVG art. 17)")
    parser.add_argument("--decided-by", default="fg-0001", help="who decided to erase (staff id)")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args(argv)
    for name in ("PSEUDONYM_KEY", "MASTER_KEY"):
        if name not in os.environ:
            parser.error(f"{name} must be set")
    if not elfproef(args.bsn):
        parser.error("--bsn is not a valid BSN (9 digits, elfproef)")
    person = person_key_for_bsn(os.environ["PSEUDONYM_KEY"].encode(), args.bsn)
    actor = sharing_pb2.Actor(person_id=args.decided_by, role="privacy-officer", organisation="gemeente-maassluis")
    done = asyncio.run(erase_person(args.bootstrap_servers, person, args.reason, actor))
    print(f"erasure request: {len(done)} keys" + ("" if done else " (the person is not known)"))
    for line in done:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
