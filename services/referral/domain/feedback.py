"""Feedback (terugkoppeling): what the recipient reports became of a referral.

Rules: only the addressed recipient reports; only after it acknowledged the referral (the
acknowledgement is the moment it took responsibility, and the audit log records it as such, so
feedback never stands in for it); each *change* of outcome is recorded once, a repeat of the
current outcome is a retry and records nothing. Pure: no I/O.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.referral.domain.book import ReferralBook, addressed_record
from services.referral.domain.package import Actor

MAX_NOTE_CHARS = 500


class Outcome(enum.IntEnum):
    # The numbers are those of knooppunt.referral.v1.FeedbackOutcome.
    TAKEN_INTO_CASE = 1
    DECLINED = 2
    # The municipality follows this up in the LIO (registration of it is not part of this service).
    RETURNED_FOR_LOCAL_APPROACH = 3


class NotAcknowledged(RuntimeError):
    """Feedback on a referral the recipient has not acknowledged yet."""


class InvalidFeedback(ValueError):
    """The feedback itself is malformed (no outcome, note too long)."""


class Feedback(BaseModel):
    """The FeedbackReported event; ``sequence`` numbers the outcome changes of one referral."""

    model_config = ConfigDict(frozen=True)
    referral_id: str
    recipient: str
    signal_id: str
    outcome: Outcome
    reported_by: Actor
    reported_at: datetime
    note: str
    sequence: int


def decide_feedback(book: ReferralBook, referral_id: str, recipient: str, outcome: int, by: Actor,
                    note: str, now: datetime) -> Feedback | None:
    """The feedback to record, or None when ``outcome`` is already the current one."""
    try:
        checked = Outcome(outcome)
    except ValueError:
        raise InvalidFeedback("outcome must be one of " + ", ".join(o.name for o in Outcome)) from None
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidFeedback(f"note is longer than {MAX_NOTE_CHARS} characters")
    record = addressed_record(book, referral_id, recipient, by)
    if referral_id not in book.acknowledged:
        raise NotAcknowledged(referral_id)
    if record.outcomes and record.outcomes[-1] == checked:
        return None
    return Feedback(referral_id=referral_id, recipient=recipient, signal_id=record.signal_id, outcome=checked,
                    reported_by=by, reported_at=now, note=note, sequence=len(record.outcomes))
