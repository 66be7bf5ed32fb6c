"""The declarative rules of the intake contract (protovalidate), checked at the gRPC edge.

The rules live in `protos/knooppunt/intake/v1/intake.proto`; this module only runs them and
turns each violation into a (field path, description) pair in the same notation the domain
uses ("signal.subjects[2].company.kvk_number"), so a partner sees one consistent format.
A message first meets a screen compiled from the same rules (edge_screen.py), which only
recognises messages protovalidate would pass; every other one goes through protovalidate,
and its violations are the answer.
Violation messages name the rule, never the submitted value, so no BSN can leak through them.
"""

from __future__ import annotations

from google.protobuf.message import Message
from protovalidate import Validator

from services.intake.adapters.edge_screen import EdgeScreen
from services.intake.domain.subjects import FieldProblem


class EdgeRules:
    def __init__(self) -> None:
        # One validator per process: it caches the compiled rules per message type.
        self._validator = Validator()
        # Compiled from the same annotations; says "valid" only when protovalidate would too.
        self._screen = EdgeScreen()

    def problems(self, message: Message) -> list[FieldProblem]:
        if self._screen.valid(message):
            return []
        return [
            FieldProblem(field=_path(v.proto.field), description=v.proto.message or v.proto.rule_id)
            for v in self._validator.collect_violations(message)
        ]


def _path(field_path) -> str:  # noqa: ANN001 (protobuf-py FieldPath)
    parts: list[str] = []
    for element in field_path.elements if field_path is not None else ():
        name = element.field_name
        subscript = element.subscript
        if subscript is not None and subscript.field == "index":
            name = f"{name}[{subscript.value}]"
        elif subscript is not None:
            name = f"{name}[{subscript.value!r}]"
        parts.append(name)
    return ".".join(parts) or "request"
