"""Purpose on every read: a method that returns personal data refuses a call without a stated
purpose, and logs each read (who, which method, why, which ids) before answering."""

from __future__ import annotations

import uuid

import grpc
import pytest

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import replay
from grpc_security import channel_credentials
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from tests.integration.tls_service import tls_service
from topic_catalog import PRIVACY_READS

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def registration(bootstrap: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    certs = tmp_path_factory.mktemp("certs")
    with tls_service("registration", ["staff:mw-0043"], bootstrap, certs) as target:
        yield target, certs


async def test_reads_need_a_purpose_and_are_logged(registration, bootstrap: str) -> None:  # noqa: ANN001
    target, certs = registration
    signal_id = f"read-{uuid.uuid4()}"
    with grpc.secure_channel(target, channel_credentials(certs, "staff:mw-0043")) as ch:
        stub = registration_pb2_grpc.RegistrationServiceStub(ch)
        with pytest.raises(grpc.RpcError) as no_purpose:
            stub.GetSignal(registration_pb2.GetSignalRequest(signal_id=signal_id), timeout=10)
        assert no_purpose.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "x-purpose" in no_purpose.value.details()
        with pytest.raises(grpc.RpcError) as unknown:
            stub.GetSignal(registration_pb2.GetSignalRequest(signal_id=signal_id), timeout=10,
                           metadata=[("x-purpose", "voorbereiding LIO-overleg")])
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND  # past the read log, into the handler
    reads = [e.data async for e in replay(bootstrap, [PRIVACY_READS.name], EventTypes(privacy_events.PersonalDataRead))
             if f"signal_id={signal_id}" in e.data.object_ids]
    assert len(reads) == 1
    read = reads[0]
    assert read.reader.person_id == "staff:mw-0043" and read.reader.role == "lio-member"
    assert read.purpose == "voorbereiding LIO-overleg"
    assert read.method == "/knooppunt.registration.v1.RegistrationService/GetSignal"
