"""The one declaration of every Kafka topic knooppunt uses, and their idempotent creation.

Charter: names, keys, partition counts and configs of all topics, in one screen; nothing else.
Event topics keep their data forever and are never compacted: they are the system of record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Event topics are the source of truth: keep forever, never compact.
EVENT_TOPIC_CONFIG: dict[str, str] = {
    "cleanup.policy": "delete",
    "retention.ms": "-1",
    "retention.bytes": "-1",
    "min.insync.replicas": "1",
}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    purpose: str
    configs: dict[str, str] = field(default_factory=lambda: dict(EVENT_TOPIC_CONFIG))


# Recipients that have a referral stream of their own. The referral policy names only these.
REFERRAL_RECIPIENTS: tuple[str, ...] = ("riec-rotterdam", "politie", "belastingdienst")

SIGNALS_RECEIVED = TopicSpec("signals.received", 6, "signal_id", "signals accepted by intake")
SIGNALS_REGISTERED = TopicSpec("signals.registered", 6, "signal_id", "central register entries")
LIO_DECISIONS = TopicSpec(
    "lio.decisions", 6, "signal_id or meeting_id", "meetings and decisions of the LIO"
)
REFERRAL_EVENTS = TopicSpec(
    "referrals.events", 6, "referral_id", "referrals issued and acknowledged"
)
REGISTRATION_DISCLOSURES = TopicSpec(
    "registration.disclosures", 3, "subject key", "hit/no-hit answers given, for the audit log"
)
PRIVACY_ERASURES = TopicSpec(
    "privacy.erasures", 1, "key id", "personal data made unreadable (crypto-shredding), for the audit log"
)
PRIVACY_READS = TopicSpec(
    "privacy.reads", 3, "reader identity", "reads of personal data with their purpose, for the audit log"
)
# The one topic that is compacted, on purpose: erasing a data subject publishes a tombstone,
# and compaction then removes the wrapped key from disk (crypto-shredding, ADR 0009).
# segment.ms bounds how long an erased key can linger in a closed segment.
SUBJECT_KEYS = TopicSpec(
    "keys.subjects", 1, "key id", "wrapped per-subject data keys",
    configs={
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "segment.ms": "3600000",
        "min.cleanable.dirty.ratio": "0.01",
        "delete.retention.ms": "86400000",
        "min.insync.replicas": "1",
    },
)
REGISTRATION_DOSSIERS = TopicSpec(
    "registration.dossiers", 6, "dossier_id", "signals filed in dossiers: opened, joined, merged, with link reasons"
)
# One partition: the audit log has one total order and one writer.
AUDIT_LOG = TopicSpec("audit.log", 1, "entry_id", "tamper-evident log of sharing decisions")
AUDIT_CHECKPOINTS = TopicSpec("audit.checkpoints", 1, "log origin", "signed checkpoints (tree size, root) of audit.log")


def referral_topic_name(recipient: str) -> str:
    """The per-recipient delivery topic; only that recipient's adapter may read it."""
    if recipient not in REFERRAL_RECIPIENTS:
        raise ValueError(f"unknown referral recipient {recipient!r}")
    return f"referrals.to.{recipient}"


REFERRAL_DELIVERY = tuple(
    TopicSpec(referral_topic_name(r), 3, "referral_id", f"referrals addressed to {r}")
    for r in REFERRAL_RECIPIENTS
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    SIGNALS_RECEIVED,
    SIGNALS_REGISTERED,
    REGISTRATION_DISCLOSURES,
    REGISTRATION_DOSSIERS,
    LIO_DECISIONS,
    REFERRAL_EVENTS,
    *REFERRAL_DELIVERY,
    AUDIT_LOG,
    AUDIT_CHECKPOINTS,
    PRIVACY_ERASURES,
    PRIVACY_READS,
    SUBJECT_KEYS,
)
