"""`python -m services.privacy.access_report`: unusual access to personal data, from the read log.

Reads privacy.reads, referrals.events, signals.registered and lio.decisions (read-only, no
consumer group) and prints the findings for the privacy officer. Which signals a staff member
dealt with, and which meetings they took part in, comes from the LIO's own facts and agenda rule
(services.lio.domain.involvement): the report is an offline reader of those facts, like the
minutes CLI. Exit code 0 also when there are findings: they are questions, not failures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import replay
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from knooppunt.referral.v1 import events_pb2 as referral_events
from prototime import from_timestamp
from services.lio.adapters.kafka import rebuild_state
from services.lio.domain.deliberation import Deliberation
from services.lio.domain.involvement import involvement
from services.privacy.domain.access_review import Links, Read, ReviewRules, review
from topic_catalog import PRIVACY_READS, REFERRAL_EVENTS


async def gather(bootstrap: str, since: datetime) -> tuple[list[Read], Links]:
    reads = []
    async for env in replay(bootstrap, [PRIVACY_READS.name], EventTypes(privacy_events.PersonalDataRead)):
        e = env.data
        at = from_timestamp(e.read_at)
        if at >= since:
            reads.append(Read(e.reader.person_id, e.reader.organisation, e.method, e.purpose, tuple(e.object_ids), at))
    referred: dict[str, set[str]] = {}
    async for env in replay(bootstrap, [REFERRAL_EVENTS.name], EventTypes(referral_events.ReferralIssued)):
        r = env.data.referral
        referred.setdefault(r.signal_id, set()).add(r.recipient)
    lio = Deliberation()
    await rebuild_state(bootstrap, lio)
    return reads, links_to(lio, referred)


def links_to(lio: Deliberation, referred: dict[str, set[str]]) -> Links:
    """What ties readers to signals and meetings: referrals (partners) and the LIO's facts (staff)."""
    involved = involvement(lio)
    return Links(referred_to=referred, dealt_with=involved.signals, took_part_in=involved.meetings,
                 meetings={m: len(lio.present(m)) for m in lio.meetings})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Report unusual access to personal data.")
    parser.add_argument("--since", default="1970-01-01", help="only reads on or after this date (YYYY-MM-DD)")
    parser.add_argument("--max-reads-per-day", type=int, default=50)
    parser.add_argument("--working-hours", default="7-19", help="local working hours, e.g. 7-19")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args(argv)
    start, end = (int(h) for h in args.working_hours.split("-"))
    rules = ReviewRules(max_reads_per_day=args.max_reads_per_day, start_hour=start, end_hour=end)
    since = datetime.fromisoformat(args.since).replace(tzinfo=UTC)
    reads, links = asyncio.run(gather(args.bootstrap_servers, since))
    findings = review(reads, links, rules)
    print(f"{len(reads)} reads of personal data since {since:%Y-%m-%d}; {len(findings)} findings")
    for f in findings:
        print(f"  {f.kind:14} {f.reader:32} {f.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
