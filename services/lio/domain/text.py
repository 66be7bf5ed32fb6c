"""Checks on free text that ends up in events and minutes: present, bounded, and free of BSNs.

Minutes are read widely inside the municipality; a BSN typed into a reason would land there and
in the immutable log. A nine-digit number passing the elfproef is refused. Names cannot be
detected reliably; staff are told (docs/lio.md) to use registration numbers instead.
"""

from __future__ import annotations

import re

MAX_TEXT = 4000
_NINE_DIGITS = re.compile(r"(?<!\d)(\d{9}|\d{4}[ .]\d{2}[ .]\d{3})(?!\d)")


def is_bsn(digits: str) -> bool:
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1)))
    return total % 11 == 0


def contains_bsn(text: str) -> bool:
    return any(is_bsn(re.sub(r"\D", "", m.group(0))) for m in _NINE_DIGITS.finditer(text))


def text_problems(field: str, text: str, *, required: str | None = None) -> list[tuple[str, str]]:
    if not text.strip():
        return [(field, required)] if required else []
    if len(text) > MAX_TEXT:
        return [(field, f"at most {MAX_TEXT} characters")]
    if contains_bsn(text):
        return [(field, "must not contain a BSN; refer to the registration number instead")]
    return []
