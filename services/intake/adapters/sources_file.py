"""The source directory read from a TOML file (services/intake/sources.toml).

Read once at start-up; a file that names an unknown channel or theme stops the service
rather than silently permitting or refusing something nobody reviewed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from knooppunt.signal.v1 import signal_pb2
from services.intake.domain.sources import Source

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "sources.toml"
ALL_THEMES = frozenset(v for v in signal_pb2.Theme.values() if v != signal_pb2.THEME_UNSPECIFIED)


class SourcesFileError(ValueError):
    """The sources file is not valid; the service must not start with it."""


class FileSourceDirectory:
    """Looks up a source by identity. Implements application.submit.SourceDirectory."""

    def __init__(self, sources: dict[str, Source]) -> None:
        self._sources = dict(sources)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> FileSourceDirectory:
        return cls(parse(tomllib.loads(path.read_text(encoding="utf-8"))))

    def lookup(self, identity: str) -> Source | None:
        return self._sources.get(identity)

    def __iter__(self):  # noqa: ANN204
        return iter(self._sources.values())


def parse(document: dict) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for identity, spec in document.get("sources", {}).items():
        try:
            channel = signal_pb2.Channel.Value(spec["channel"])
            names = spec.get("themes", [])
            themes = ALL_THEMES if names == ["*"] else frozenset(signal_pb2.Theme.Value(n) for n in names)
        except (KeyError, ValueError) as exc:
            raise SourcesFileError(f"source {identity!r}: {exc}") from exc
        if channel == signal_pb2.CHANNEL_UNSPECIFIED or signal_pb2.THEME_UNSPECIFIED in themes or not themes:
            raise SourcesFileError(f"source {identity!r}: a channel and at least one theme are required")
        sources[identity] = Source(
            identity=identity, channel=channel, themes=themes,
            anonymous_allowed=bool(spec.get("anonymous_allowed", False)), description=spec.get("description", ""),
        )
    if not sources:
        raise SourcesFileError("no sources configured")
    return sources
