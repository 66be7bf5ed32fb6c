"""Mutual TLS for every gRPC listener and client, and the caller's identity from its certificate.

Charter: credentials and identity; no domain words. A server requires a client certificate
signed by the deployment's CA; the identity is the certificate's common name, e.g.
``partner:politie`` or ``source:energieleverancier``. A plaintext listener exists only when
the clearly named development flag KNOOPPUNT_ALLOW_INSECURE_DEV=1 is set.

People have personal certificates, never shared ones: ``staff:<personnel number>``, e.g.
``staff:mw-0042`` (a pseudonymous number, not a name: identities appear in logs). The LIO
names the same person by the personnel number alone (``person_id`` ``mw-0042``, organisation
the municipality), so reads and meeting attendance are attributable to one person (ADR 0012).

Certificate layout of a certificate directory (``make certs`` writes the development one):
``ca.pem``; ``server/<service>.pem`` + ``.key``; ``clients/<identity>.pem`` + ``.key``.
"""

from __future__ import annotations

import os
from pathlib import Path

import grpc

INSECURE_FLAG = "KNOOPPUNT_ALLOW_INSECURE_DEV"
IDENTITY_KEY = "x509_common_name"


class SecurityConfigError(RuntimeError):
    """The TLS configuration is missing or unusable; the process must not start without it."""


def insecure_allowed() -> bool:
    return os.environ.get(INSECURE_FLAG, "") == "1"


STAFF_PREFIX = "staff:"


def staff_identity(person_id: str) -> str:
    """The certificate identity of a staff member named ``person_id`` (``mw-0042`` -> ``staff:mw-0042``)."""
    return STAFF_PREFIX + person_id.removeprefix(STAFF_PREFIX)


def personnel_number(identity: str) -> str | None:
    """The person behind a personal staff identity (``staff:mw-0042`` -> ``mw-0042``); None for systems."""
    return identity.removeprefix(STAFF_PREFIX) if identity.startswith(STAFF_PREFIX) else None


def client_file_stem(identity: str) -> str:
    """File name for an identity (``partner:politie`` -> ``partner_politie``)."""
    return identity.replace(":", "_").replace("/", "_")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SecurityConfigError(f"missing {path}; run `make certs` or set the certificate directory") from exc


def server_credentials(cert_dir: Path, service: str) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(_read(cert_dir / "server" / f"{service}.key"), _read(cert_dir / "server" / f"{service}.pem"))],
        root_certificates=_read(cert_dir / "ca.pem"),
        require_client_auth=True,
    )


def channel_credentials(cert_dir: Path, identity: str) -> grpc.ChannelCredentials:
    stem = client_file_stem(identity)
    return grpc.ssl_channel_credentials(
        root_certificates=_read(cert_dir / "ca.pem"),
        private_key=_read(cert_dir / "clients" / f"{stem}.key"),
        certificate_chain=_read(cert_dir / "clients" / f"{stem}.pem"),
    )


def secure_channel(target: str, cert_dir: Path | None, identity: str) -> grpc.Channel:
    """A blocking channel as ``identity``; plaintext only with the development flag and no cert_dir."""
    if cert_dir is None:
        if not insecure_allowed():
            raise SecurityConfigError(f"no certificate directory and {INSECURE_FLAG} is not set")
        return grpc.insecure_channel(target)
    return grpc.secure_channel(target, channel_credentials(cert_dir, identity))


def aio_channel(target: str, cert_dir: Path | None, identity: str) -> grpc.aio.Channel:
    if cert_dir is None:
        if not insecure_allowed():
            raise SecurityConfigError(f"no certificate directory and {INSECURE_FLAG} is not set")
        return grpc.aio.insecure_channel(target)
    return grpc.aio.secure_channel(target, channel_credentials(cert_dir, identity))


def caller_identity(context: grpc.ServicerContext | grpc.aio.ServicerContext) -> str | None:
    """The authenticated caller's identity (certificate common name), None on plaintext."""
    values = (context.auth_context() or {}).get(IDENTITY_KEY) or []
    return values[0].decode() if values else None


PURPOSE_HEADER = "x-purpose"


class _PurposeInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                          grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds the stated purpose to every call on a channel (required for reads of personal data)."""

    def __init__(self, purpose: str) -> None:
        self._purpose = purpose

    def _details(self, details):  # noqa: ANN001, ANN202
        metadata = [*(details.metadata or []), (PURPOSE_HEADER, self._purpose)]
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else _Details(details, metadata)

    def intercept_unary_unary(self, continuation, details, request):  # noqa: ANN001, ANN201
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):  # noqa: ANN001, ANN201
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):  # noqa: ANN001, ANN201
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):  # noqa: ANN001, ANN201
        return continuation(self._details(details), request_iterator)


class _Details(grpc.ClientCallDetails):
    def __init__(self, details, metadata) -> None:  # noqa: ANN001
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)


def with_purpose(channel: grpc.Channel, purpose: str) -> grpc.Channel:
    """``channel`` with ``x-purpose: purpose`` on every call."""
    return grpc.intercept_channel(channel, _PurposeInterceptor(purpose))
