"""Authorization: one reviewed table maps identities to roles and roles to gRPC methods.

Every call is checked before its handler runs: an unknown identity or a method outside the
caller's roles is PERMISSION_DENIED; a caller above its rate is RESOURCE_EXHAUSTED. Object-level
checks (a partner asking for another partner's referral) stay in the handlers, which read the
identity with ``grpc_security.caller_identity``.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog

from grpc_security import caller_identity, insecure_allowed

log = structlog.get_logger(__name__)

# Served to every authenticated caller: they reveal no personal data.
ALWAYS_ALLOWED = ("/grpc.health.v1.Health/", "/grpc.reflection.v1alpha.ServerReflection/")


@dataclass(frozen=True)
class AuthorizationTable:
    identities: dict[str, tuple[str, ...]]
    roles: dict[str, tuple[str, ...]]
    rate_per_second: float = 50.0
    burst: int = 200

    @classmethod
    def load(cls, path: Path) -> AuthorizationTable:
        data = tomllib.loads(path.read_text())
        roles = {name: tuple(spec["methods"]) for name, spec in data["roles"].items()}
        identities = {name: tuple(spec["roles"]) for name, spec in data["identities"].items()}
        for name, assigned in identities.items():
            unknown = set(assigned) - set(roles)
            if unknown:
                raise ValueError(f"{path}: identity {name} has unknown roles {sorted(unknown)}")
        limits = data.get("limits", {})
        return cls(identities, roles, float(limits.get("rate_per_second", 50)), int(limits.get("burst", 200)))

    def allows(self, identity: str | None, method: str) -> bool:
        if identity is None:
            return False
        if method.startswith(ALWAYS_ALLOWED):
            return identity in self.identities
        return any(method in self.roles[role] for role in self.identities.get(identity, ()))

    def roles_of(self, identity: str) -> tuple[str, ...]:
        return self.identities.get(identity, ())


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


class AuthorizationInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, table: AuthorizationTable) -> None:
        self._table = table
        self._limiter = RateLimiter(table.rate_per_second, table.burst)

    async def intercept_service(self, continuation, handler_call_details):  # noqa: ANN001, ANN201
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        return _wrap(handler, lambda context: self._check(method, context))

    async def _check(self, method: str, context: grpc.aio.ServicerContext) -> None:
        identity = caller_identity(context)
        if identity is None and insecure_allowed():
            return  # development flag: plaintext, no identities; never in production
        if not self._table.allows(identity, method):
            log.warning("call_denied", identity=identity, method=method)
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{identity or 'anonymous'} may not call {method}")
        if not self._limiter.take(identity):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"rate limit of {self._table.rate_per_second:g}/s for {identity} exceeded; retry later")


def _wrap(handler: grpc.RpcMethodHandler, check) -> grpc.RpcMethodHandler:  # noqa: ANN001
    """The same handler, with ``check(context)`` awaited before the behaviour runs."""
    if handler.unary_unary:
        inner = handler.unary_unary

        async def unary_unary(request, context):  # noqa: ANN001, ANN202
            await check(context)
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(unary_unary, handler.request_deserializer, handler.response_serializer)
    if handler.unary_stream:
        inner_us = handler.unary_stream

        async def unary_stream(request, context):  # noqa: ANN001, ANN202
            await check(context)
            async for item in inner_us(request, context):
                yield item

        return grpc.unary_stream_rpc_method_handler(unary_stream, handler.request_deserializer, handler.response_serializer)
    if handler.stream_unary:
        inner_su = handler.stream_unary

        async def stream_unary(request_iterator, context):  # noqa: ANN001, ANN202
            await check(context)
            return await inner_su(request_iterator, context)

        return grpc.stream_unary_rpc_method_handler(stream_unary, handler.request_deserializer, handler.response_serializer)
    inner_ss = handler.stream_stream

    async def stream_stream(request_iterator, context):  # noqa: ANN001, ANN202
        await check(context)
        async for item in inner_ss(request_iterator, context):
            yield item

    return grpc.stream_stream_rpc_method_handler(stream_stream, handler.request_deserializer, handler.response_serializer)
