"""`python -m services.privacy.inzage`: a data subject's access report for the WGS contact point.

Identify the subject by BSN (checked with the elfproef, turned into the pseudonym at once) or
by name and date of birth, or give a pseudonymous subject key directly. Needs read access to
Kafka and the municipality's pseudonym key (PSEUDONYM_KEY). Writes Markdown (Dutch) or JSON.
The BSN is not printed, stored or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from datetime import UTC, datetime

from crypto_shredding import FieldCipher
from crypto_shredding.kafka_store import KafkaKeyStore
from pseudonyms import elfproef, person_key_for_bsn, person_key_for_name
from topic_catalog import SUBJECT_KEYS
from services.privacy.adapters.kafka import build_report
from services.privacy.domain.subject_access import render_markdown


async def _report(bootstrap: str, keys: set[str]):  # noqa: ANN202
    """With MASTER_KEY the sealed descriptions are opened (erased ones read "[gewist]")."""
    if "MASTER_KEY" not in os.environ:
        return await build_report(bootstrap, keys)
    store = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, bytes.fromhex(os.environ["MASTER_KEY"]))
    await store.start()
    try:
        return await build_report(bootstrap, keys, FieldCipher(store))
    finally:
        await store.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Subject access report (inzage) for the WGS contact point.")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--bsn", help="the data subject's BSN (not printed or stored)")
    who.add_argument("--name", help="name, with --date-of-birth, when no BSN is known")
    who.add_argument("--subject-key", help="a pseudonymous subject key, e.g. person:<hex>")
    parser.add_argument("--date-of-birth", help="YYYY-MM-DD, with --name")
    parser.add_argument("--format", choices=("md", "json"), default="md")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args(argv)
    if args.subject_key:
        keys = {args.subject_key}
    else:
        secret = os.environ.get("PSEUDONYM_KEY", "").encode()
        if not secret:
            parser.error("PSEUDONYM_KEY must be set to find the subject's pseudonym")
        if args.bsn is not None:
            if not elfproef(args.bsn):
                parser.error("--bsn is not a valid BSN (9 digits, elfproef)")
            keys = {person_key_for_bsn(secret, args.bsn)}
        else:
            if not args.date_of_birth:
                parser.error("--name needs --date-of-birth")
            keys = {person_key_for_name(secret, args.name, args.date_of_birth)}
    report = asyncio.run(_report(args.bootstrap_servers, keys))
    if args.format == "json":
        print(json.dumps(dataclasses.asdict(report), default=str, indent=2, sort_keys=True))
    else:
        sys.stdout.write(render_markdown(report, datetime.now(UTC)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
