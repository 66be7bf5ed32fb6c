"""mTLS on a real service over a real socket: the certificate decides who may call what.

The intake service runs with a development CA. A source system may submit; a partner may not
(PERMISSION_DENIED); a client without a certificate, with one from another CA, or with an
expired one never gets past the TLS handshake.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization

from grpc_security import channel_credentials
from grpc_security.devca import issue, load_ca, make_ca
from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from tests.integration.tls_service import tls_service

IDENTITIES = ["source:energieleverancier", "partner:belastingdienst", "operator:beheer"]


@pytest.fixture(scope="module")
def intake(bootstrap: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    certs = tmp_path_factory.mktemp("certs")
    with tls_service("intake", IDENTITIES, bootstrap, certs) as target:
        yield target, certs


def _submit(channel: grpc.Channel) -> grpc.StatusCode:
    # Its own source name, but otherwise invalid on purpose: refused on content, past authorization.
    request = intake_pb2.SubmitSignalRequest(signal=intake_pb2.SignalSubmission(source="energieleverancier"))
    try:
        intake_pb2_grpc.IntakeServiceStub(channel).SubmitSignal(request, timeout=5)
        return grpc.StatusCode.OK
    except grpc.RpcError as err:
        return err.code()


def _credentials(ca_key, ca_cert, identity: str, *, not_before: datetime | None = None, days: int = 30):  # noqa: ANN001, ANN202
    key, cert = issue(ca_key, ca_cert, identity, server=False, not_before=not_before, days=days)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()), cert.public_bytes(serialization.Encoding.PEM)


def test_source_system_reaches_the_handler(intake) -> None:  # noqa: ANN001
    target, certs = intake
    with grpc.secure_channel(target, channel_credentials(certs, "source:energieleverancier")) as ch:
        assert _submit(ch) == grpc.StatusCode.INVALID_ARGUMENT  # past authorization, refused on content


def test_partner_may_not_submit(intake) -> None:  # noqa: ANN001
    target, certs = intake
    with grpc.secure_channel(target, channel_credentials(certs, "partner:belastingdienst")) as ch:
        assert _submit(ch) == grpc.StatusCode.PERMISSION_DENIED


def test_no_certificate_is_refused(intake) -> None:  # noqa: ANN001
    target, certs = intake
    creds = grpc.ssl_channel_credentials(root_certificates=(certs / "ca.pem").read_bytes())
    with grpc.secure_channel(target, creds) as ch:
        assert _submit(ch) == grpc.StatusCode.UNAVAILABLE


def test_plaintext_is_refused(intake) -> None:  # noqa: ANN001
    target, _ = intake
    with grpc.insecure_channel(target) as ch:
        assert _submit(ch) == grpc.StatusCode.UNAVAILABLE


def test_certificate_from_another_ca_is_refused(intake) -> None:  # noqa: ANN001
    target, certs = intake
    other_key, other_cert = make_ca("another CA")
    key, cert = _credentials(other_key, other_cert, "source:energieleverancier")
    creds = grpc.ssl_channel_credentials((certs / "ca.pem").read_bytes(), key, cert)
    with grpc.secure_channel(target, creds) as ch:
        assert _submit(ch) == grpc.StatusCode.UNAVAILABLE


def test_expired_certificate_is_refused(intake) -> None:  # noqa: ANN001
    target, certs = intake
    ca_key, ca_cert = load_ca(certs)
    key, cert = _credentials(ca_key, ca_cert, "source:energieleverancier",
                             not_before=datetime.now(UTC) - timedelta(days=60), days=30)
    creds = grpc.ssl_channel_credentials((certs / "ca.pem").read_bytes(), key, cert)
    with grpc.secure_channel(target, creds) as ch:
        assert _submit(ch) == grpc.StatusCode.UNAVAILABLE
    # The same identity with a valid certificate from the same CA gets through: it was the expiry.
    key, cert = _credentials(ca_key, ca_cert, "source:energieleverancier")
    with grpc.secure_channel(target, grpc.ssl_channel_credentials((certs / "ca.pem").read_bytes(), key, cert)) as ch:
        assert _submit(ch) == grpc.StatusCode.INVALID_ARGUMENT


def test_a_source_may_only_submit_under_its_own_name(intake) -> None:  # noqa: ANN001
    target, certs = intake
    other = intake_pb2.SubmitSignalRequest(signal=intake_pb2.SignalSubmission(source="meldpunt-schoon-heel-veilig"))
    with grpc.secure_channel(target, channel_credentials(certs, "source:energieleverancier")) as ch:
        with pytest.raises(grpc.RpcError) as denied:
            intake_pb2_grpc.IntakeServiceStub(ch).SubmitSignal(other, timeout=5)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED and "may not submit as source" in denied.value.details()
