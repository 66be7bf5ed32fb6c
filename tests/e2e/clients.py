"""Clients of the running system, as outside parties: each with its own certificate identity,
and a stated purpose on every call (required where personal data is returned)."""

from __future__ import annotations

import grpc

from grpc_security import channel_credentials, with_purpose
from knooppunt.audit.v1 import audit_pb2_grpc
from knooppunt.intake.v1 import intake_pb2_grpc
from knooppunt.lio.v1 import lio_pb2_grpc
from knooppunt.referral.v1 import referral_pb2_grpc
from knooppunt.registration.v1 import registration_pb2_grpc

PURPOSE = "e2e-test: controle van de keten"
# Who calls which service in these tests: the roles the authorization table gives them.
IDENTITIES = {
    "intake": "source:team-toezicht-handhaving",
    # People have personal certificates (staff:<personnel number>): a member and the chair.
    "registration": "staff:mw-0043",
    "lio": "staff:mw-0042",
    "referral": "operator:beheer",
    "audit": "auditor:fg",
}
STUBS = {
    "intake": intake_pb2_grpc.IntakeServiceStub,
    "registration": registration_pb2_grpc.RegistrationServiceStub,
    "lio": lio_pb2_grpc.LioServiceStub,
    "referral": referral_pb2_grpc.ReferralServiceStub,
    "audit": audit_pb2_grpc.AuditServiceStub,
}


def channel(stack: dict, service: str, identity: str | None = None) -> grpc.Channel:
    target = f"127.0.0.1:{stack['ports'][service]}"
    secure = grpc.secure_channel(target, channel_credentials(stack["run"] / "certs", identity or IDENTITIES[service]))
    return with_purpose(secure, PURPOSE)


def stub(stack: dict, service: str, identity: str | None = None):  # noqa: ANN201
    return STUBS[service](channel(stack, service, identity))
