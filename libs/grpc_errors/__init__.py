"""gRPC refusals an integrator can act on: INVALID_ARGUMENT with google.rpc.BadRequest details.

Charter: build the rich status for field-level refusals; nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

MAX_MESSAGE_CHARS = 1000


def bad_request(violations: Iterable[tuple[str, str]]) -> grpc.Status:
    """A status for ``context.abort_with_status`` listing every (field, description) at once."""
    pairs = list(violations)
    detail = error_details_pb2.BadRequest(
        field_violations=[error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in pairs]
    )
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message="; ".join(f"{f}: {d}" for f, d in pairs)[:MAX_MESSAGE_CHARS],
    )
    status.details.add().Pack(detail)
    return rpc_status.to_status(status)
