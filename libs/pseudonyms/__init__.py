"""Keyed pseudonyms of direct identifiers (BSN; name + date of birth), and the BSN elfproef.

Charter: the one definition of how a person becomes a pseudonymous key, shared by intake
(which pseudonymises at the door) and the privacy tools (which must find the same key for a
data subject's request). A BSN is never returned, stored or logged by this module.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata


def elfproef(bsn: str) -> bool:
    """The BSN eleven test: 9 digits, sum(d_i * w_i) with weights 9..2,-1 divisible by 11."""
    if not re.fullmatch(r"[0-9]{9}", bsn) or bsn == "000000000":
        return False
    return sum(int(d) * w for d, w in zip(bsn, (9, 8, 7, 6, 5, 4, 3, 2, -1))) % 11 == 0


def pseudonym(secret: bytes, kind: str, value: str) -> str:
    """Keyed pseudonym (HMAC-SHA256); the same input and key give the same pseudonym."""
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def normalise_name(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().split())


def person_key_for_bsn(secret: bytes, bsn: str) -> str:
    return f"person:{pseudonym(secret, 'bsn', bsn)}"


def person_key_for_name(secret: bytes, name: str, date_of_birth: str) -> str:
    return f"person:{pseudonym(secret, 'name-dob', f'{normalise_name(name)}|{date_of_birth}')}"
