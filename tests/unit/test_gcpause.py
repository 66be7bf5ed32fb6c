"""ShortGcPauses: after a full collection the survivors are frozen, so the next full
collection scans only what came since; stop() detaches it."""

from __future__ import annotations

import gc

from servicehost.gcpause import ShortGcPauses


def test_survivors_of_a_full_collection_are_not_scanned_again() -> None:
    pauses = ShortGcPauses()
    try:
        pauses.start()
        frozen = gc.get_freeze_count()
        kept = [[i] for i in range(10_000)]  # lists are always tracked (dicts of ints are not)
        gc.collect()  # a full collection: its survivors (kept) move to the permanent generation
        assert gc.get_freeze_count() >= frozen + len(kept)
        pauses.stop()
        assert pauses._on_gc not in gc.callbacks  # noqa: SLF001
    finally:
        pauses.stop()
        gc.unfreeze()
