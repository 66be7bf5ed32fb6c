"""Development certificate authority: `python -m grpc_security.devca --out .run/certs`.

Writes a CA, a server certificate per service (for 127.0.0.1 and localhost) and a client
certificate per identity in the authorization table. For development and tests only: the keys
are unencrypted files, generated at set-up and never committed (.gitignore excludes *.pem/*.key).
"""

from __future__ import annotations

import argparse
import ipaddress
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from grpc_security import client_file_stem

SERVICES = ("intake", "registration", "lio", "referral", "audit")


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write(path: Path, key: ec.EllipticCurvePrivateKey | None, cert: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        key_path = path.with_suffix(".key")
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)


def make_ca(name: str = "knooppunt development CA", days: int = 30):  # noqa: ANN201
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(ca_key, ca_cert, common_name: str, *, server: bool, not_before: datetime | None = None,  # noqa: ANN001
          days: int = 30):  # noqa: ANN201
    key = _key()
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.DNSName(common_name),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def write_all(out: Path, identities: list[str], services: tuple[str, ...] = SERVICES) -> None:
    ca_key, ca_cert = make_ca()
    # The development CA's key is kept (0600) so that tests can issue special certificates
    # (expired ones, for example). A production CA key never lives beside the services.
    _write(out / "ca", ca_key, ca_cert)
    for service in services:
        _write(out / "server" / service, *issue(ca_key, ca_cert, service, server=True))
    for identity in identities:
        _write(out / "clients" / client_file_stem(identity), *issue(ca_key, ca_cert, identity, server=False))


def load_ca(cert_dir: Path):  # noqa: ANN201
    key = serialization.load_pem_private_key((cert_dir / "ca.key").read_bytes(), password=None)
    return key, x509.load_pem_x509_certificate((cert_dir / "ca.pem").read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(".run/certs"))
    parser.add_argument("--table", type=Path, default=Path("deploy/policy/authorization.toml"))
    args = parser.parse_args()
    identities = sorted(tomllib.loads(args.table.read_text())["identities"])
    write_all(args.out, identities)
    print(f"development certificates for {len(SERVICES)} services and {len(identities)} identities in {args.out}/")


if __name__ == "__main__":
    main()
