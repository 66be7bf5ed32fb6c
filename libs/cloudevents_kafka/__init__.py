"""CloudEvents 1.0 in Kafka binary mode, with protobuf payloads.

Charter: turn a protobuf message into Kafka headers + value and back; name event types.
The event type is derived from the message's *proto* full name (the contract), never from a
Python import path, so that the log replays unchanged after any refactoring:
``knooppunt.intake.v1.SignalReceived`` <-> ``nl.knooppunt.intake.signal_received.v1``.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Iterable, Sequence, TypeVar

from google.protobuf.message import DecodeError, Message

SPECVERSION = "1.0"
CONTENT_TYPE = "application/protobuf"
_SPECVERSION, _CONTENT_TYPE = SPECVERSION.encode(), CONTENT_TYPE.encode()
_TYPE_RE = re.compile(r"^nl\.knooppunt\.(?P<context>[a-z_]+)\.(?P<name>[a-z0-9_]+)\.(?P<version>v\d+)$")
_FULL_NAME_RE = re.compile(r"^knooppunt\.(?P<context>[a-z_]+)\.(?P<version>v\d+)\.(?P<name>[A-Za-z0-9]+)$")

Headers = list[tuple[str, bytes]]
M = TypeVar("M", bound=Message)


class EnvelopeError(ValueError):
    """A Kafka record is not a valid knooppunt CloudEvent."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_TYPES: dict[str, str] = {}  # proto full name -> event type (derived once per message type)


def event_type(message: Message | type[Message]) -> str:
    """The stable CloudEvents type of a protobuf event message."""
    full = message.DESCRIPTOR.full_name
    if (known := _TYPES.get(full)) is not None:
        return known
    m = _FULL_NAME_RE.match(full)
    if not m:
        raise EnvelopeError(f"{full} is not a knooppunt event message")
    return _TYPES.setdefault(full, f"nl.knooppunt.{m['context']}.{_snake(m['name'])}.{m['version']}")


def new_traceparent(parent: str | None = None) -> str:
    """A W3C traceparent: a child span of ``parent`` when given, else a new trace."""
    ids = secrets.token_hex(24)  # trace id (16 bytes) and span id (8), one read of the system's randomness
    trace_id = ids[:32]
    if parent:
        parts = parent.split("-")
        if len(parts) == 4 and len(parts[1]) == 32:
            trace_id = parts[1]
    return f"00-{trace_id}-{ids[32:]}-01"


@dataclass(frozen=True)
class Envelope(Generic[M]):
    id: str
    source: str
    type: str
    time: datetime
    subject: str
    traceparent: str
    data: M


def encode(
    message: Message,
    *,
    source: str,
    subject: str,
    event_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> tuple[Headers, bytes]:
    """Headers and value for a Kafka record carrying ``message`` as a CloudEvent."""
    when = (time or datetime.now(UTC)).astimezone(UTC)
    headers: Headers = [
        ("ce_specversion", _SPECVERSION),
        ("ce_id", (event_id or str(uuid.uuid4())).encode()),
        ("ce_source", source.encode()),
        ("ce_type", event_type(message).encode()),
        ("ce_time", when.isoformat().replace("+00:00", "Z").encode()),
        ("ce_subject", subject.encode()),
        ("content-type", _CONTENT_TYPE),
        ("traceparent", (traceparent or new_traceparent()).encode()),
    ]
    return headers, message.SerializeToString(deterministic=True)


class EventTypes:
    """The event messages a consumer understands, looked up by CloudEvents type."""

    def __init__(self, *messages: type[Message]) -> None:
        self._by_type = {event_type(m): m for m in messages}

    def __contains__(self, type_: str) -> bool:
        return type_ in self._by_type

    def decode(self, headers: Iterable[tuple[str, bytes]] | None, value: bytes | None) -> Envelope:
        """Parse a record; raise EnvelopeError for anything that is not a valid event."""
        h = {k: v.decode() for k, v in (headers or [])}
        missing = [k for k in ("ce_specversion", "ce_id", "ce_source", "ce_type") if k not in h]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if h["ce_specversion"] != SPECVERSION:
            raise EnvelopeError(f"unsupported specversion {h['ce_specversion']}")
        cls = self._by_type.get(h["ce_type"])
        if cls is None:
            raise EnvelopeError(f"unknown event type {h['ce_type']}")
        if h.get("content-type", CONTENT_TYPE) != CONTENT_TYPE:
            raise EnvelopeError(f"unsupported content-type {h['content-type']}")
        message = cls()
        try:
            message.ParseFromString(value or b"")
        except DecodeError as exc:
            raise EnvelopeError(f"payload of {h['ce_id']} is not a valid {h['ce_type']}") from exc
        return Envelope(
            id=h["ce_id"],
            source=h["ce_source"],
            type=h["ce_type"],
            time=datetime.fromisoformat(h.get("ce_time", "1970-01-01T00:00:00Z").replace("Z", "+00:00")),
            subject=h.get("ce_subject", ""),
            traceparent=h.get("traceparent", ""),
            data=message,
        )


def header(headers: Sequence[tuple[str, bytes]] | None, name: str) -> str | None:
    for k, v in headers or ():
        if k == name:
            return v.decode()
    return None


def parse_type(type_: str) -> tuple[str, str, str]:
    """(context, snake name, version) of an event type string."""
    m = _TYPE_RE.match(type_)
    if not m:
        raise EnvelopeError(f"not a knooppunt event type: {type_}")
    return m["context"], m["name"], m["version"]
