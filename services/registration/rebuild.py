"""`python -m services.registration.rebuild`: rebuild the register from offset 0 and prove it.

Reads `signals.registered` and `lio.decisions` from offset 0 (no consumer group, no commits:
it moves nobody's position), folds them into a fresh register, and prints the number of
events, the time taken, the rate, and the register's canonical digest. With `--compare
HOST:PORT` it asks the running registration service for its digest (GetRegisterDigest) and
exits 1 when the two differ. The live register may be ahead while signals are still arriving,
so the comparison is retried a few times before it is reported as a difference. It also checks
the registration numbers as an auditor would: per year and segment (ADR 0011) 1..max, each
given once; `--check-numbers` makes a gap or a repeat exit 1.

    python -m services.registration.rebuild --compare 127.0.0.1:50052
    python -m services.registration.rebuild --check-numbers
"""

from __future__ import annotations

import argparse
from pathlib import Path
import asyncio
import os
import sys
import time

import grpc  # noqa: F401 (RpcError surfaces to the caller)

from grpc_security import secure_channel

from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from services.registration.adapters.kafka import rebuild_register
from services.registration.domain.digest import digest
from services.registration.domain.register import Register, number_problems


async def rebuild(bootstrap: str) -> tuple[Register, int, float]:
    register = Register()
    started = time.perf_counter()
    events = await rebuild_register(bootstrap, register)
    return register, events, time.perf_counter() - started


def live_digest(address: str, cert_dir: Path | None) -> registration_pb2.GetRegisterDigestResponse:
    # As the operator: the digest reveals no personal data, and operators may ask for it.
    with secure_channel(address, cert_dir, "operator:beheer") as channel:
        stub = registration_pb2_grpc.RegistrationServiceStub(channel)
        return stub.GetRegisterDigest(registration_pb2.GetRegisterDigestRequest(), timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--compare", metavar="HOST:PORT", help="the running registration service to compare with")
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--check-numbers", action="store_true",
                        help="exit 1 when a year and segment has a gap or a number given twice")
    parser.add_argument("--tls-cert-dir", default=os.environ.get("TLS_CERT_DIR"),
                        help="mTLS certificate directory (ca.pem, clients/operator_beheer.*); plaintext only "
                             "with KNOOPPUNT_ALLOW_INSECURE_DEV=1")
    args = parser.parse_args(argv)
    for attempt in range(1, args.attempts + 1):
        register, events, seconds = asyncio.run(rebuild(args.bootstrap))
        sha, signals, dossiers = digest(register)
        rate = events / seconds if seconds > 0 else float("inf")
        print(f"rebuilt: {events} events in {seconds:.2f} s ({rate:,.0f} events/s); "
              f"{signals} signals, {dossiers} dossiers; digest {sha}")
        highest, problems = number_problems(register)
        print(f"numbers: {len(highest)} sequences (year, segment), highest "
              + ", ".join(f"{y}/{'-' if s < 0 else s}: {n}" for (y, s), n in sorted(highest.items()))
              + ("; no gaps, none given twice" if not problems else ""))
        for problem in problems:
            print(f"numbers: {problem}", file=sys.stderr)
        if args.check_numbers and problems:
            return 1
        if not args.compare:
            return 0
        live = live_digest(args.compare, Path(args.tls_cert_dir) if args.tls_cert_dir else None)
        if live.sha256 == sha:
            print(f"live register at {args.compare}: digest {live.sha256}: EQUAL")
            return 0
        print(f"live register at {args.compare}: {live.signal_count} signals, digest {live.sha256}: differs "
              f"(attempt {attempt} of {args.attempts})", file=sys.stderr)
        time.sleep(1)
    print("DIFFERENT: the rebuilt register does not equal the live one", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
