"""Signed checkpoints: tree size + root hash + time, signed with Ed25519.

Format: a C2SP "signed note" whose body is a C2SP tlog checkpoint (the format of Go's sumdb,
Sigstore Rekor v2 and other transparency logs):

    <origin>\\n
    <tree size, decimal>\\n
    <base64 root hash>\\n
    time <RFC 3339 UTC>\\n           (extension line)
    \\n
    \\u2014 <key name> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>\\n

The signature covers the body bytes (the first four lines, newline included). The key id is
SHA-256(key name || "\\n" || 0x01 || public key)[:4]. The verifier key an auditor receives is
one line: ``<key name>+<key id hex>+<base64(0x01 || public key)>``.

Pure: keys are passed in; generating and storing them is the adapters' business.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
DEFAULT_ORIGIN = "knooppunt.example/audit-log/v1"
_DASH = "\u2014 "
MAX_NOTE_BYTES = 4096


class CheckpointError(ValueError):
    """Malformed checkpoint, or a signature that does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    time: datetime

    def body(self) -> bytes:
        when = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\ntime {when}\n".encode()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


def verifier_key(name: str, key: Ed25519PublicKey) -> str:
    """The one-line public key to hand to auditors."""
    raw = _raw_public(key)
    return f"{name}+{key_id(name, raw).hex()}+{base64.b64encode(bytes([ALG_ED25519]) + raw).decode()}"


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not parts[0]:
            raise CheckpointError("verifier key must be <name>+<key id hex>+<base64 key>")
        name, kid_hex, b64 = parts
        try:
            kid = bytes.fromhex(kid_hex)
            blob = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise CheckpointError(f"verifier key is not hex/base64: {exc}") from exc
        if len(kid) != 4 or len(blob) != 33 or blob[0] != ALG_ED25519:
            raise CheckpointError("verifier key is not an Ed25519 note key")
        if key_id(name, blob[1:]) != kid:
            raise CheckpointError("verifier key id does not match its name and key")
        return cls(name, kid, Ed25519PublicKey.from_public_bytes(blob[1:]))


def sign(checkpoint: Checkpoint, name: str, private: Ed25519PrivateKey) -> str:
    body = checkpoint.body()
    kid = key_id(name, _raw_public(private.public_key()))
    sig = private.sign(body)
    return body.decode() + "\n" + _DASH + name + " " + base64.b64encode(kid + sig).decode() + "\n"


def open_note(note: str | bytes, verifier: Verifier) -> Checkpoint:
    """Parse a signed checkpoint and verify its signature; raise CheckpointError otherwise."""
    raw = note.encode() if isinstance(note, str) else bytes(note)
    if len(raw) > MAX_NOTE_BYTES:
        raise CheckpointError("checkpoint too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError("checkpoint is not UTF-8") from exc
    body, sep, sigs = text.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise CheckpointError("checkpoint has no signature block")
    body_bytes = (body + "\n").encode()
    found = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith(_DASH):
            raise CheckpointError("malformed signature line")
        name, _, b64 = line[len(_DASH):].partition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise CheckpointError("signature is not base64") from exc
        if name != verifier.name or blob[:4] != verifier.key_id:
            continue  # signed by someone else as well: not our concern
        if len(blob) != 4 + 64:
            raise CheckpointError("signature has the wrong length")
        try:
            verifier.key.verify(blob[4:], body_bytes)
        except InvalidSignature as exc:
            raise CheckpointError("signature does not verify: forged or changed checkpoint") from exc
        found = True
    if not found:
        raise CheckpointError(f"no signature by {verifier.name}")
    return parse_body(body_bytes)


def parse_body(body: bytes) -> Checkpoint:
    lines = body.decode().split("\n")
    if len(lines) != 5 or lines[-1] != "":
        raise CheckpointError("checkpoint body must have origin, size, root and time lines")
    origin, size_s, root_b64, time_line = lines[:4]
    if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
        raise CheckpointError("tree size is not a canonical decimal")
    try:
        root = base64.b64decode(root_b64, validate=True)
    except ValueError as exc:
        raise CheckpointError("root hash is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("root hash is not 32 bytes")
    if not time_line.startswith("time "):
        raise CheckpointError("missing time line")
    try:
        when = datetime.strptime(time_line[5:], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise CheckpointError("time is not RFC 3339 UTC") from exc
    return Checkpoint(origin, int(size_s), root, when)
