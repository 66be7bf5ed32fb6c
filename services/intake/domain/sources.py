"""Source systems and what each may submit: the intake's authorisation rules, pure.

A source is known by its identity (today the `source` field of a submission; with mTLS the
identity in the client's certificate). Its configuration says through which channel it
reports, which themes it may submit, and whether it may pass on anonymous reports. The
configuration itself lives in `services/intake/sources.toml`, reviewed like code.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from services.intake.domain.subjects import FieldProblem


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)
    identity: str
    channel: int
    themes: frozenset[int]
    anonymous_allowed: bool = False
    description: str = ""


def permission_problems(source: Source, channel: int, themes: tuple[int, ...], anonymous: bool) -> list[FieldProblem]:
    """What this source may not submit in this submission (empty when all is permitted)."""
    problems: list[FieldProblem] = []
    if channel != source.channel:
        problems.append(FieldProblem(field="signal.channel", description="is not the channel configured for this source"))
    for i, theme in enumerate(themes):
        if theme not in source.themes:
            problems.append(FieldProblem(field=f"signal.themes[{i}]", description="this source may not submit signals with this theme"))
    if anonymous and not source.anonymous_allowed:
        problems.append(FieldProblem(field="signal.anonymous", description="this source may not submit anonymous reports"))
    return problems
