"""Short garbage-collector pauses for processes that hold a growing projection in memory.

CPython's full (generation 2) collection scans every tracked object. A service whose register,
receipt index or book grows by a few objects per event makes each full collection longer;
with a few hundred thousand signals in memory one took about a second, during which the
event loop (gRPC answers, Kafka heartbeats, publishing) stood still.

After every full collection the survivors are moved to the permanent generation
(`gc.freeze()`), so that the next one scans only what was allocated since. Right after a full
collection the survivors are reachable, so nothing that was garbage is frozen; an object that
becomes cyclic garbage *after* it was frozen is not reclaimed (reference counting still frees
everything without cycles). For append-mostly projections that is the right trade.
"""

from __future__ import annotations

import gc
import time

import structlog

log = structlog.get_logger(__name__)

# A pause longer than this is logged (it is what a caller of the service waited).
REPORT_PAUSE_S = 0.1


class ShortGcPauses:
    def __init__(self) -> None:
        self._started = 0.0

    def start(self) -> None:
        gc.collect()
        gc.freeze()  # what start-up built (the rebuilt projection) is never scanned again
        gc.callbacks.append(self._on_gc)

    def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        # The collection is complete when "stop" is reported: every survivor is reachable.
        gc.freeze()
        pause = time.perf_counter() - self._started
        if pause > REPORT_PAUSE_S:
            log.info("gc_full_collection", pause_ms=round(pause * 1000), collected=info.get("collected"))
