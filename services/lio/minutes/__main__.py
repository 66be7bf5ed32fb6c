"""`python -m services.lio.minutes MEETING_ID --format md|html`: the minutes, read from the topic itself.

Needs read access to `lio.decisions` only: no consumer group, no commits, no gRPC.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.lio.adapters.kafka import replay_lio
from services.lio.domain.deliberation import Deliberation
from services.lio.minutes.record import build
from services.lio.minutes.render import render
from services.lio.settings import LioSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.lio.minutes", description="Notulen van een LIO/GSO-vergadering")
    parser.add_argument("meeting_id")
    parser.add_argument("--format", choices=("md", "html"), default="md")
    parser.add_argument("--output", help="write to this file instead of standard output")
    args = parser.parse_args(argv)
    settings = LioSettings()
    state = Deliberation()
    asyncio.run(replay_lio(settings.kafka_bootstrap_servers, state))
    if args.meeting_id not in state.meetings:
        print(f"no meeting {args.meeting_id!r} on {settings.kafka_bootstrap_servers}", file=sys.stderr)
        return 2
    _, content = render(build(state, settings.rules(), args.meeting_id), args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(content)
    else:
        sys.stdout.write(content)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
