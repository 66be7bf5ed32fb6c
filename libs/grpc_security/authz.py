"""Authorization: one reviewed table maps identities to roles and roles to gRPC methods.

Every call is checked before its handler runs: an unknown identity or a method outside the
caller's roles is PERMISSION_DENIED; a caller above its rate is RESOURCE_EXHAUSTED. Object-level
checks (a partner asking for another partner's referral) stay in the handlers, which read the
identity with ``grpc_security.caller_identity``.

Roles marked ``personal = true`` (the LIO's members and chairs) are held by people, each with a
personal identity ``staff:<personnel number>``; the table refuses to give them to any other
identity, and refuses staff identities any other role, so that no shared certificate for people
exists and every read is attributable to one person.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog
from google.protobuf.message import Message

from grpc_security import PURPOSE_HEADER, STAFF_PREFIX, caller_identity, insecure_allowed

log = structlog.get_logger(__name__)

# Served to every authenticated caller: they reveal no personal data.
ALWAYS_ALLOWED = ("/grpc.health.v1.Health/", "/grpc.reflection.v1alpha.ServerReflection/")


@dataclass(frozen=True)
class AuthorizationTable:
    identities: dict[str, tuple[str, ...]]
    roles: dict[str, tuple[str, ...]]
    rate_per_second: float = 50.0
    burst: int = 200
    # Methods that return personal data: a stated purpose is required and the read is logged.
    personal_data: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path) -> AuthorizationTable:
        data = tomllib.loads(path.read_text())
        roles = {name: tuple(spec["methods"]) for name, spec in data["roles"].items()}
        personal_roles = {name for name, spec in data["roles"].items() if spec.get("personal", False)}
        identities = {name: tuple(spec["roles"]) for name, spec in data["identities"].items()}
        for name, assigned in identities.items():
            unknown = set(assigned) - set(roles)
            if unknown:
                raise ValueError(f"{path}: identity {name} has unknown roles {sorted(unknown)}")
            problem = _personal_problem(name, set(assigned), personal_roles)
            if problem:
                raise ValueError(f"{path}: identity {name} {problem}")
        limits = data.get("limits", {})
        personal = frozenset(data.get("personal_data", {}).get("methods", []))
        return cls(identities, roles, float(limits.get("rate_per_second", 50)), int(limits.get("burst", 200)), personal)

    def allows(self, identity: str | None, method: str) -> bool:
        if identity is None:
            return False
        if method.startswith(ALWAYS_ALLOWED):
            return identity in self.identities
        return any(method in self.roles[role] for role in self.identities.get(identity, ()))

    def roles_of(self, identity: str) -> tuple[str, ...]:
        return self.identities.get(identity, ())


def _personal_problem(identity: str, assigned: set[str], personal_roles: set[str]) -> str | None:
    """Personal roles only for personal identities (``staff:<personnel number>``), and nothing else for them."""
    if identity.startswith(STAFF_PREFIX):
        number = identity.removeprefix(STAFF_PREFIX)
        if not number or not number.isascii() or any(c.isspace() or c in ":/" for c in number):
            return "is not staff:<personnel number>"
        if assigned - personal_roles:
            return f"is a person and may hold personal roles only, not {sorted(assigned - personal_roles)}"
    elif assigned & personal_roles:
        return (f"is not a person (staff:<personnel number>) but holds personal roles {sorted(assigned & personal_roles)}: "
                "a shared certificate for people defeats accountability")
    return None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, identity: str) -> bool:
        now = self.clock()
        bucket = self._buckets.setdefault(identity, _Bucket(float(self.burst), now))
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True


MAX_PURPOSE_CHARS = 200
# Called before personal data is returned: (identity, roles, method, purpose, object ids).
ReadLog = Callable[[str, tuple[str, ...], str, str, list[str]], Awaitable[None]]


def object_ids(request: Message | None) -> list[str]:
    """Identifiers named in a request (``*_id`` fields, registration numbers); never content."""
    if request is None:
        return []
    return [f"{f.name}={v}" for f, v in request.ListFields()
            if isinstance(v, str) and v and (f.name.endswith("_id") or f.name == "registration_number")]


class AuthorizationInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, table: AuthorizationTable, read_log: ReadLog | None = None) -> None:
        self._table = table
        self._limiter = RateLimiter(table.rate_per_second, table.burst)
        self._read_log = read_log

    async def intercept_service(self, continuation, handler_call_details):  # noqa: ANN001, ANN201
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        return _wrap(handler, lambda context, request: self._check(method, context, request))

    async def _check(self, method: str, context: grpc.aio.ServicerContext, request: Message | None) -> None:
        identity = caller_identity(context)
        if identity is None and insecure_allowed():
            return  # development flag: plaintext, no identities; never in production
        if not self._table.allows(identity, method):
            log.warning("call_denied", identity=identity, method=method)
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{identity or 'anonymous'} may not call {method}")
        if not self._limiter.take(identity):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"rate limit of {self._table.rate_per_second:g}/s for {identity} exceeded; retry later")
        if method in self._table.personal_data:
            purpose = dict(context.invocation_metadata() or ()).get(PURPOSE_HEADER, "").strip()
            if not purpose or len(purpose) > MAX_PURPOSE_CHARS:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                    f"{method} returns personal data: state the purpose in metadata '{PURPOSE_HEADER}' "
                                    f"(1-{MAX_PURPOSE_CHARS} characters)")
            if self._read_log is not None:
                try:
                    await self._read_log(identity, self._table.roles_of(identity), method, purpose, object_ids(request))
                except Exception as exc:  # noqa: BLE001 (no log, no data)
                    log.error("read_log_failed", method=method, error=repr(exc))
                    await context.abort(grpc.StatusCode.UNAVAILABLE, "the read could not be logged; no data returned, retry")


def _wrap(handler: grpc.RpcMethodHandler, check) -> grpc.RpcMethodHandler:  # noqa: ANN001
    """The same handler, with ``check(context, request)`` awaited before the behaviour runs."""
    if handler.unary_unary:
        inner = handler.unary_unary

        async def unary_unary(request, context):  # noqa: ANN001, ANN202
            await check(context, request)
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(unary_unary, handler.request_deserializer, handler.response_serializer)
    if handler.unary_stream:
        inner_us = handler.unary_stream

        async def unary_stream(request, context):  # noqa: ANN001, ANN202
            await check(context, request)
            async for item in inner_us(request, context):
                yield item

        return grpc.unary_stream_rpc_method_handler(unary_stream, handler.request_deserializer, handler.response_serializer)
    if handler.stream_unary:
        inner_su = handler.stream_unary

        async def stream_unary(request_iterator, context):  # noqa: ANN001, ANN202
            await check(context, None)
            return await inner_su(request_iterator, context)

        return grpc.stream_unary_rpc_method_handler(stream_unary, handler.request_deserializer, handler.response_serializer)
    inner_ss = handler.stream_stream

    async def stream_stream(request_iterator, context):  # noqa: ANN001, ANN202
        await check(context, None)
        async for item in inner_ss(request_iterator, context):
            yield item

    return grpc.stream_stream_rpc_method_handler(stream_stream, handler.request_deserializer, handler.response_serializer)
