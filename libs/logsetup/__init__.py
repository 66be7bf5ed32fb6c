"""One logging set-up for every knooppunt process: structlog, JSON lines, quiet by default.

Charter: configure structlog and the standard library so that every log line is one JSON
object. It must never let personal data through: keys that can carry it are redacted here,
as a last line of defence behind code that does not log such values in the first place.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

# Keys whose values may identify a person or describe a suspicion. Logging them is a defect;
# this filter makes the defect harmless.
REDACTED_KEYS = frozenset(
    {"bsn", "name", "date_of_birth", "description", "reporter", "free_text", "licence_plate"}
)
# Third-party libraries that chatter at INFO; quiet unless something is wrong.
NOISY_LOGGERS = ("aiokafka", "kafka", "faust", "mode", "grpc", "asyncio")


def _redact(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in REDACTED_KEYS.intersection(event_dict):
        event_dict[key] = "[redacted]"
    return event_dict


def configure(service: str, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route structlog and stdlib logging to one JSON-lines stream (stderr by default)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)
