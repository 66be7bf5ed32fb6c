"""Checkpoints on Kafka and in a file; the signing key on disk.

On the topic each record value is the signed note (UTF-8 text), key the log origin: an auditor
can read them with any Kafka client. The file holds the latest note, replaced atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from cloudevents_kafka.kafka import PublishUnavailable, replay_raw
from services.audit.domain.checkpoint import Checkpoint, verifier_key


class KafkaCheckpointSink:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True,
                                          client_id="knooppunt-audit-checkpoints")
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, checkpoint: Checkpoint, note: str) -> None:
        if self._producer is None:
            raise PublishUnavailable("checkpoint producer not started")
        try:
            await self._producer.send_and_wait(
                self._topic, value=note.encode(), key=checkpoint.origin.encode(),
                headers=[("content-type", b"text/plain; charset=utf-8")],
            )
        except KafkaError as exc:
            raise PublishUnavailable(f"checkpoint not acknowledged on {self._topic}: {exc}") from exc

    def latest(self) -> str | None:
        return None  # read at start-up by `read_checkpoints`, see bootstrap


class FileCheckpointSink:
    def __init__(self, path: Path) -> None:
        self._path = path

    async def publish(self, checkpoint: Checkpoint, note: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(note)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._path)

    def latest(self) -> str | None:
        try:
            return self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None


class StaticNote:
    """A note read elsewhere (e.g. the latest on the topic), offered to the start-up check."""

    def __init__(self, note: str | None) -> None:
        self._note = note

    async def publish(self, checkpoint: Checkpoint, note: str) -> None:
        self._note = note

    def latest(self) -> str | None:
        return self._note


async def read_checkpoints(bootstrap: str, topic: str) -> list[bytes]:
    """Every checkpoint note on the topic, oldest first (raw bytes: the verifier parses)."""
    return [r.value or b"" async for r in replay_raw(bootstrap, [topic])]


def generate_key(private_path: Path, public_path: Path, name: str) -> str:
    """Write a new Ed25519 key pair; the private key file is readable by its owner only."""
    if private_path.exists():
        raise FileExistsError(f"{private_path} exists: refusing to overwrite a signing key")
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    vkey = verifier_key(name, key.public_key())
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_text(vkey + "\n", encoding="utf-8")
    return vkey


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def public_of(key: Ed25519PrivateKey) -> Ed25519PublicKey:
    return key.public_key()
