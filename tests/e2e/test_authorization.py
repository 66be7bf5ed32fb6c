"""The whole authorization matrix on the running system: every identity in the reviewed table
calls every method of every service over mTLS; each call is allowed or denied exactly as the
table says. Allowed calls are sent with empty requests, so they are refused on content
(INVALID_ARGUMENT, NOT_FOUND, ...) but never with PERMISSION_DENIED."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from grpc_security import channel_credentials
from grpc_security.authz import AuthorizationTable
from knooppunt.audit.v1 import audit_pb2
from knooppunt.intake.v1 import intake_pb2
from knooppunt.lio.v1 import lio_pb2
from knooppunt.referral.v1 import referral_pb2
from knooppunt.registration.v1 import registration_pb2

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
ROOT = Path(__file__).resolve().parents[2]
TABLE = AuthorizationTable.load(ROOT / "deploy/policy/authorization.toml")
SERVICES = {
    "intake": intake_pb2.DESCRIPTOR.services_by_name["IntakeService"],
    "registration": registration_pb2.DESCRIPTOR.services_by_name["RegistrationService"],
    "lio": lio_pb2.DESCRIPTOR.services_by_name["LioService"],
    "referral": referral_pb2.DESCRIPTOR.services_by_name["ReferralService"],
    "audit": audit_pb2.DESCRIPTOR.services_by_name["AuditService"],
}
METHODS = [(name, m) for name, service in SERVICES.items() for m in service.methods]


def _call(channel: grpc.Channel, method) -> grpc.StatusCode:  # noqa: ANN001
    from google.protobuf import message_factory

    path = f"/{method.containing_service.full_name}/{method.name}"
    request = message_factory.GetMessageClass(method.input_type)()
    response_type = message_factory.GetMessageClass(method.output_type)
    kwargs = dict(request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_type.FromString)
    try:
        if method.client_streaming and method.server_streaming:
            list(channel.stream_stream(path, **kwargs)(iter([request]), timeout=3))
        elif method.client_streaming:
            channel.stream_unary(path, **kwargs)(iter([]), timeout=3)
        elif method.server_streaming:
            for _ in channel.unary_stream(path, **kwargs)(request, timeout=3):
                break
        else:
            channel.unary_unary(path, **kwargs)(request, timeout=3)
        return grpc.StatusCode.OK
    except grpc.RpcError as err:
        return err.code()


@pytest.mark.parametrize("identity", sorted(TABLE.identities))
def test_every_method_is_allowed_or_denied_as_the_table_says(stack: dict, identity: str) -> None:
    certs = stack["run"] / "certs"
    wrong = []
    for service, method in METHODS:
        path = f"/{method.containing_service.full_name}/{method.name}"
        with grpc.secure_channel(f"127.0.0.1:{stack['ports'][service]}", channel_credentials(certs, identity)) as channel:
            code = _call(channel, method)
        allowed = TABLE.allows(identity, path)
        if allowed and code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED):
            wrong.append(f"{path}: allowed by the table, got {code.name}")
        if not allowed and code != grpc.StatusCode.PERMISSION_DENIED:
            wrong.append(f"{path}: denied by the table, got {code.name}")
    assert not wrong, f"{identity}:\n" + "\n".join(wrong)


def test_every_method_in_the_table_exists() -> None:
    """A typo in the table would silently deny; every listed method must be a real RPC."""
    real = {f"/{m.containing_service.full_name}/{m.name}" for _, m in METHODS}
    listed = {m for methods in TABLE.roles.values() for m in methods}
    assert sorted(listed - real) == []


def test_a_partner_cannot_touch_another_partners_referrals(stack: dict) -> None:
    """Object level: the police may call the referral methods, but not for the tax authority."""
    from tests.e2e.clients import stub

    police = stub(stack, "referral", "partner:politie")
    for call, request in (
        (police.AcknowledgeReferral, referral_pb2.AcknowledgeReferralRequest(referral_id="any", recipient="belastingdienst")),
        (police.ReportFeedback, referral_pb2.ReportFeedbackRequest(referral_id="any", recipient="belastingdienst")),
    ):
        with pytest.raises(grpc.RpcError) as denied:
            call(request, timeout=5)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as denied:
        next(iter(police.SubscribeReferrals(referral_pb2.SubscribeReferralsRequest(recipient="belastingdienst"), timeout=5)))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
