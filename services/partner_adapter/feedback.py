"""`python -m services.partner_adapter.feedback`: report what became of a referral (terugkoppeling).

    python -m services.partner_adapter.feedback --partner politie --referral-id <id> \
        --outcome taken-into-case --note "RIEC-casus 2026-017" --reported-by <person id>

Outcomes: taken-into-case, declined, returned-for-local-approach. The referral must have been
acknowledged first. Reporting the current outcome again is harmless (it prints "already
recorded"); a different outcome later is recorded as a change. The note must hold no personal
data: it goes into the municipality's audit trail. Exit 0 when recorded or already recorded.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import grpc

from grpc_security import secure_channel
from knooppunt.referral.v1 import events_pb2, referral_pb2, referral_pb2_grpc
from knooppunt.sharing.v1 import sharing_pb2
from topic_catalog import REFERRAL_RECIPIENTS

OUTCOMES = {
    "taken-into-case": events_pb2.FEEDBACK_OUTCOME_TAKEN_INTO_CASE,
    "declined": events_pb2.FEEDBACK_OUTCOME_DECLINED,
    "returned-for-local-approach": events_pb2.FEEDBACK_OUTCOME_RETURNED_FOR_LOCAL_APPROACH,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.partner_adapter.feedback", description=__doc__.splitlines()[0])
    parser.add_argument("--partner", required=True, choices=REFERRAL_RECIPIENTS)
    parser.add_argument("--referral-id", required=True)
    parser.add_argument("--outcome", required=True, choices=OUTCOMES)
    parser.add_argument("--note", default="")
    parser.add_argument("--reported-by", default="", help="the partner's person id of who decided the outcome")
    parser.add_argument("--referral-endpoint", default=os.environ.get("REFERRAL_ENDPOINT", "127.0.0.1:50054"))
    parser.add_argument("--tls-cert-dir", default=os.environ.get("TLS_CERT_DIR", ""))
    args = parser.parse_args(argv)
    cert_dir = Path(args.tls_cert_dir) if args.tls_cert_dir else None
    request = referral_pb2.ReportFeedbackRequest(
        referral_id=args.referral_id, recipient=args.partner, outcome=OUTCOMES[args.outcome], note=args.note,
        reported_by=sharing_pb2.Actor(person_id=args.reported_by, role="partner-case-officer", organisation=args.partner),
    )
    with secure_channel(args.referral_endpoint, cert_dir, f"partner:{args.partner}") as channel:
        try:
            reply = referral_pb2_grpc.ReferralServiceStub(channel).ReportFeedback(request, timeout=15, wait_for_ready=True)
        except grpc.RpcError as exc:
            print(f"feedback refused: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return 1
    print(f"{args.referral_id}: {args.outcome} " + ("recorded" if reply.recorded else "already recorded"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
