"""`knooppunt-audit` / `python -m services.audit.cli`: the auditor's tool.

Needs only read access to the audit topic: no consumer group, no commits, no writes. It must
never trust the audit service: it reads the stored bytes itself and checks them itself.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
from collections.abc import Callable
from typing import TextIO

from services.audit.adapters.export import CSV_COLUMNS, csv_row, json_line, text_line
from services.audit.adapters.kafka import read_stored
from services.audit.domain.chain import parse_entry, verify
from services.audit.topics import AUDIT_LOG


async def _values(bootstrap: str, topic: str, progress: Callable[[int], None]) -> list[bytes | None]:
    values: list[bytes | None] = []
    async for value in read_stored(bootstrap, topic):
        values.append(value)
        if len(values) % 1000 == 0:
            progress(len(values))
    return values


def _progress(n: int) -> None:
    # Only for a person watching: never in a pipe or a log file.
    if sys.stderr.isatty():
        print(f"\rread {n} entries", end="", file=sys.stderr, flush=True)


def _replay(values: list[bytes | None], fmt: str, out: TextIO) -> int:
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    unreadable = 0
    for position, value in enumerate(values):
        entry = parse_entry(value)
        if entry is None:
            unreadable += 1
            print(f"warning: entry {position} is not an AuditEntry (run verify)", file=sys.stderr)
            continue
        if writer is not None:
            writer.writerow(csv_row(entry))
        else:
            print(json_line(entry) if fmt == "jsonl" else text_line(entry), file=out)
    return 1 if unreadable else 0


def _verify(values: list[bytes | None], out: TextIO) -> int:
    result = verify(values)
    if result.ok:
        print(f"OK: {result.entries_checked} entries, head {result.head_hex}", file=out)
        return 0
    print(f"FAILED at entry {result.first_bad_sequence}: {result.detail}", file=out)
    return 1


def parser() -> argparse.ArgumentParser:
    # Connection options belong to each command, so `replay --bootstrap-servers X` reads naturally.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
                        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")
    common.add_argument("--topic", default=AUDIT_LOG.name, help=f"audit topic (default: {AUDIT_LOG.name})")
    p = argparse.ArgumentParser(
        prog="knooppunt-audit",
        description="Replay and verify the knooppunt audit log (read-only access to Kafka suffices).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("replay", parents=[common], help="print every logged decision in log order")
    r.add_argument("--format", choices=("text", "jsonl", "csv"), default="text",
                   help="text: one readable line per entry; jsonl: one JSON object per line; csv: with header")
    r.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    sub.add_parser("verify", parents=[common],
                   help="check the hash chain; exit 1 and name the first bad entry on failure")
    return p


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    values = asyncio.run(_values(args.bootstrap_servers, args.topic, _progress))
    if sys.stderr.isatty() and len(values) >= 1000:
        print(file=sys.stderr)
    if args.command == "verify":
        return _verify(values, sys.stdout)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            return _replay(values, args.format, out)
    return _replay(values, args.format, sys.stdout)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `knooppunt-audit`; a reader that stops early (`| head`) ends output quietly."""
    try:
        return _main(argv)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
