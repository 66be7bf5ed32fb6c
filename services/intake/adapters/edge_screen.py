"""A fast screen in front of protovalidate: proves a message free of violations, or defers.

protovalidate evaluates the contract's rules generically (about 20 µs for a typical signal,
a tenth of intake's CPU per signal in bulk). Almost every signal is valid, so intake first
runs this screen, compiled once per message type from the *same* `buf.validate` annotations
in the protos: when it answers True, protovalidate would have found no violation; otherwise
(a violation, or a rule the screen does not know) protovalidate runs and its violations are
the answer, so refusals are exactly what they always were. The screen only ever says "valid"
or "ask protovalidate"; it never words an error.

Known rules: `required` on message fields, oneof `required`, string `min_len`/`max_len`/
`pattern`, int32/int64 bounds, enum `defined_only`/`in`/`not_in`, repeated `min_items`/
`max_items`/`unique`/`items`, and message-level CEL expressions listed in CEL below. Any
other rule (e.g. string `uri`, `ignore`) makes the screen defer for that field whenever it
is present, and for the whole message type when it sits on a message or oneof.
tests/unit/intake/test_edge_screen.py holds the screen to protovalidate's verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from buf.validate import validate_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

# Message-level CEL rules the screen knows, by expression: the same predicate as a Python
# expression over the message `m`.
CEL: dict[str, str] = {
    "!this.anonymous || !has(this.reporter)": "not m.anonymous or not m.HasField('reporter')",
}


# Bounds on a string's length in characters (len() of a Python str counts code points, as
# protovalidate does) and on a repeated field's number of items.
_LENGTHS = {"min_len": ">=", "max_len": "<=", "min_items": ">=", "max_items": "<="}


class _Unknown(Exception):
    """A rule the screen cannot check: defer to protovalidate."""


def _pattern(expression: str) -> Callable[[str], object]:
    # protovalidate uses RE2 syntax: `$` is the end of the text (Python's `\Z`; Python's `$` also
    # matches before a final newline), and classes like \d are ASCII-only (re.ASCII). Constructs
    # where the two engines differ further (\s with \v, \b, \p, flags and groups with `(?`) defer.
    if any(token in expression for token in ("\\s", "\\S", "\\b", "\\B", "\\p", "\\P", "(?", "\\z", "\\Z", "\\A")):
        raise _Unknown(f"pattern {expression!r}")
    translated, escaped, in_class = [], False, False
    for char in expression:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = "\\Z"
        translated.append(char)
    return re.compile("".join(translated), re.ASCII).search


class _Compiler:
    """Turns the rules of a message type into one Python function of straight-line checks."""

    def __init__(self) -> None:
        self.namespace: dict[str, object] = {}
        self.screens: dict[str, str | None] = {}  # full name -> function name (None: nothing to check)
        self.sources: list[str] = []

    def constant(self, value: object) -> str:
        name = f"_c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def string(self, rules: validate_pb2.StringRules, v: str) -> list[str]:
        out = []
        for field, value in rules.ListFields():
            if field.name in _LENGTHS:
                out.append(f"len({v}) {_LENGTHS[field.name]} {int(value)}")
            elif field.name == "pattern":
                out.append(f"{self.constant(_pattern(value))}({v}) is not None")
            else:
                raise _Unknown(f"string.{field.name}")
        return out

    @staticmethod
    def number(rules: Message, kind: str, v: str) -> list[str]:
        bounds = {field.name: int(value) for field, value in rules.ListFields()}
        if set(bounds) - {"gte", "lte", "gt", "lt"} or ("gt" in bounds and "gte" in bounds) \
                or ("lt" in bounds and "lte" in bounds):
            raise _Unknown(f"{kind} rules {sorted(bounds)}")
        low = bounds.get("gte", bounds.get("gt"))
        high = bounds.get("lte", bounds.get("lt"))
        if low is not None and high is not None and low > high:
            raise _Unknown(f"{kind} exclusive range")  # "outside the range" in protovalidate
        out = []
        if low is not None:
            out.append(f"{v} {'>' if 'gt' in bounds else '>='} {low}")
        if high is not None:
            out.append(f"{v} {'<' if 'lt' in bounds else '<='} {high}")
        return out

    def enum(self, rules: validate_pb2.EnumRules, field: FieldDescriptor, v: str) -> list[str]:
        allowed: set[int] | None = None
        excluded: set[int] = set()
        for rule, value in rules.ListFields():
            if rule.name == "defined_only":
                if value:
                    defined = set(field.enum_type.values_by_number)
                    allowed = defined if allowed is None else allowed & defined
            elif rule.name == "not_in":
                excluded |= set(value)
            elif rule.name == "in":
                allowed = set(value) if allowed is None else allowed & set(value)
            else:
                raise _Unknown(f"enum.{rule.name}")
        if allowed is not None:
            return [f"{v} in {self.constant(frozenset(allowed - excluded))}"]
        return [f"{v} not in {self.constant(frozenset(excluded))}"] if excluded else []

    def value(self, rules: validate_pb2.FieldRules, field: FieldDescriptor, v: str) -> list[str]:
        """Checks of one value: a singular scalar field, or one item of a repeated one."""
        names = {f.name for f, _ in rules.ListFields()}
        kind = rules.WhichOneof("type")
        if names - {kind}:
            raise _Unknown(f"rules {sorted(names - {kind})} on {field.full_name}")
        if kind is None:
            return []
        if kind == "string":
            return self.string(rules.string, v)
        if kind in ("int32", "int64"):
            return self.number(getattr(rules, kind), kind, v)
        if kind == "enum":
            return self.enum(rules.enum, field, v)
        raise _Unknown(f"{kind} rules on {field.full_name}")

    def repeated(self, rules: validate_pb2.RepeatedRules, field: FieldDescriptor, v: str) -> list[str]:
        out = []
        for rule, value in rules.ListFields():
            if rule.name in _LENGTHS:
                out.append(f"len({v}) {_LENGTHS[rule.name]} {int(value)}")
            elif rule.name == "unique":
                if value:
                    if field.type == FieldDescriptor.TYPE_MESSAGE:
                        raise _Unknown("repeated.unique on messages")
                    out.append(f"len(set({v})) == len({v})")
            elif rule.name == "items":
                items = self.value(value, field, "x")
                if items:
                    out.append(f"all({' and '.join(items)} for x in {v})")
            else:
                raise _Unknown(f"repeated.{rule.name}")
        return out

    def field(self, field: FieldDescriptor) -> list[str]:
        """Lines of the screen function that check one field of ``m``."""
        options = field.GetOptions()
        rules = options.Extensions[validate_pb2.field] if options.HasExtension(validate_pb2.field) else None
        names = {f.name for f, _ in rules.ListFields()} if rules is not None else set()
        is_message = field.type == FieldDescriptor.TYPE_MESSAGE
        nested = self.screen(field.message_type) if is_message else None
        get = f"m.{field.name}"
        has = f"m.HasField({field.name!r})"
        try:
            if field.is_repeated:
                checks = []
                if names:
                    if names != {"repeated"}:
                        raise _Unknown(f"rules {sorted(names)} on repeated {field.full_name}")
                    checks = self.repeated(rules.repeated, field, "v")
                lines = [f"v = {get}"] + [f"if not ({c}): return False" for c in checks]
                if nested is not None:
                    lines += ["for x in v:", f"    if not {nested}(x): return False"]
                return lines if len(lines) > 1 else []
            if is_message:
                if names - {"required"}:
                    raise _Unknown(f"rules {sorted(names)} on message field {field.full_name}")
                required = bool(rules is not None and rules.required)
                if nested is None:
                    return [f"if not {has}: return False"] if required else []
                if required:
                    return [f"if not {has} or not {nested}({get}): return False"]
                return [f"if {has} and not {nested}({get}): return False"]
            if not names:
                return []
            return [f"v = {get}"] + [f"if not ({c}): return False" for c in self.value(rules, field, "v")]
        except _Unknown:
            # A rule the screen does not know: never "valid" when the field is present.
            if field.is_repeated:
                return [f"if {get}: return False"]
            return [f"if {has}: return False"] if field.has_presence else ["return False"]

    def screen(self, descriptor: Descriptor) -> str | None:
        """The name of the screen function of a message type (None: nothing to check in it)."""
        full = descriptor.full_name
        if full in self.screens:
            return self.screens[full]
        name = f"_screen_{len(self.screens)}"
        self.screens[full] = name  # a recursive type refers to itself by name
        lines: list[str] = []
        try:
            options = descriptor.GetOptions()
            if options.HasExtension(validate_pb2.message):
                for rule, value in options.Extensions[validate_pb2.message].ListFields():
                    if rule.name != "cel":
                        raise _Unknown(f"message.{rule.name}")
                    for constraint in value:
                        if constraint.expression not in CEL:
                            raise _Unknown(f"cel {constraint.expression!r}")
                        lines.append(f"if not ({CEL[constraint.expression]}): return False")
            for oneof in descriptor.oneofs:
                oneof_options = oneof.GetOptions()
                if oneof_options.HasExtension(validate_pb2.oneof):
                    oneof_rules = oneof_options.Extensions[validate_pb2.oneof]
                    if {f.name for f, _ in oneof_rules.ListFields()} - {"required"}:
                        raise _Unknown(f"oneof rules on {oneof.full_name}")
                    if oneof_rules.required:
                        lines.append(f"if m.WhichOneof({oneof.name!r}) is None: return False")
            for field in descriptor.fields:
                lines += self.field(field)
        except _Unknown:
            lines = ["return False"]
        if "return False" in lines:  # a field with an unknown rule that is always there
            lines = ["return False"]
        if not lines:  # nothing to check (no other type referred to it meanwhile: that would be a check)
            self.screens[full] = None
            return None
        self.sources.append("\n".join([f"def {name}(m):  # {full}", *(f"    {line}" for line in lines), "    return True"]))
        return name


def compile_screen(descriptor: Descriptor) -> tuple[Callable[[Message], bool], str]:
    """The screen of a message type and its source (for tests and curious readers)."""
    compiler = _Compiler()
    name = compiler.screen(descriptor)
    if name is None:
        return (lambda _m: True), ""
    source = "\n\n".join(compiler.sources)
    exec(compile(source, f"<edge screen of {descriptor.full_name}>", "exec"), compiler.namespace)  # noqa: S102
    return compiler.namespace[name], source


class EdgeScreen:
    """``valid(message)``: True only when protovalidate would find no violation in it."""

    def __init__(self) -> None:
        self._screens: dict[str, Callable[[Message], bool]] = {}

    def valid(self, message: Message) -> bool:
        screen = self._screens.get(message.DESCRIPTOR.full_name)
        if screen is None:
            screen = self._screens[message.DESCRIPTOR.full_name] = compile_screen(message.DESCRIPTOR)[0]
        return screen(message)
