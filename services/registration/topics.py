"""The topics registration reads and writes (declared in topic_catalog)."""

from topic_catalog import (
    LIO_DECISIONS,
    REGISTRATION_DISCLOSURES,
    REGISTRATION_DOSSIERS,
    SIGNALS_RECEIVED,
    SIGNALS_REGISTERED,
)

__all__ = ["LIO_DECISIONS", "REGISTRATION_DISCLOSURES", "REGISTRATION_DOSSIERS", "SIGNALS_RECEIVED", "SIGNALS_REGISTERED"]
