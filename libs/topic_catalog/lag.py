"""Consumer lag from committed offsets: of the services' Faust consumer groups (`knooppunt-<service>`),
and of any further groups named (a partner adapter's, e.g. `adapter-politie`).

Used by the operator's `make status`, the fault tests (recovery = every group back at zero) and
the benchmarks."""

from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition


class LagProbe:
    def __init__(self, bootstrap: str, also: tuple[str, ...] = ()) -> None:
        """``also``: groups outside ``knooppunt-*`` that must have caught up too (a partner adapter's)."""
        self._bootstrap = bootstrap
        self._also = also
        self._admin: KafkaAdminClient | None = None
        self._consumer: KafkaConsumer | None = None

    def _connect(self) -> None:
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id="knooppunt-lag-probe",
                                           request_timeout_ms=5000)
            self._consumer = KafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False,
                                           request_timeout_ms=5000, client_id="knooppunt-lag-probe")

    def close(self) -> None:
        for client in (self._admin, self._consumer):
            if client is not None:
                client.close()
        self._admin = self._consumer = None

    def groups(self) -> list[str]:
        self._connect()
        # kafka-python 3.0: list_groups() -> [{"group_id", "protocol_type", "group_state", ...}]
        found = {g["group_id"] for g in self._admin.list_groups() if g["group_id"].startswith("knooppunt-")}
        return sorted(found | set(self._also))

    def lag(self, groups: list[str] | None = None) -> dict[str, int]:
        """Per group: sum over the partitions of the topics it consumes of end offset minus committed.

        The topics are those its live members subscribe to (a topic it stopped consuming keeps
        stale committed offsets for days); a group without members counts its committed topics.
        A group that is rebalancing counts as -1: nobody owns its partitions, so it is not caught up;
        so does a named group the broker does not know (``Dead``): it has consumed nothing yet.
        """
        self._connect()
        names = groups or self.groups()
        described = self._admin.describe_groups(names) if names else {}
        result = {}
        for group in names:
            info = described.get(group) or {}
            state = info.get("group_state", "")
            if state in ("PreparingRebalance", "CompletingRebalance", "Dead"):
                result[group] = -1
                continue
            # kafka-python 3.0: list_group_offsets({group: None}) -> {group: {TopicPartition: OffsetAndMetadata}}
            committed = self._admin.list_group_offsets({group: None}).get(group, {})
            subscribed = {t for m in info.get("members", []) if isinstance(m.get("member_metadata"), dict)
                          for t in m["member_metadata"].get("topics", [])}
            topics = subscribed or {tp.topic for tp in committed}
            partitions = [TopicPartition(t, p) for t in topics for p in (self._consumer.partitions_for_topic(t) or ())]
            if not partitions:
                result[group] = 0
                continue
            end = self._consumer.end_offsets(partitions)
            total = 0
            for tp in partitions:
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                total += max(0, end[tp] - done)
            result[group] = total
        return result

    def members(self, group: str) -> tuple[str, int]:
        """The group's state and how many members hold partitions."""
        self._connect()
        info = self._admin.describe_groups([group]).get(group) or {}
        holding = [m for m in info.get("members", []) if isinstance(m.get("member_assignment"), dict)
                   and any(a.get("partitions") for a in m["member_assignment"].get("assigned_partitions", []))]
        return info.get("group_state", ""), len(holding)

    def wait_members(self, group: str, count: int, timeout_s: float) -> bool:
        """Until ``count`` members of a Stable group hold partitions (new instances have joined)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.members(group) == ("Stable", count):
                    return True
            except Exception:  # noqa: BLE001
                self.close()
            time.sleep(0.25)
        return False

    def wait_zero(self, timeout_s: float, poll_s: float = 0.25, groups: list[str] | None = None) -> float | None:
        """Seconds until every group's lag is zero; None on timeout. Survives a broker restart.

        Zero must be read twice in a row: the groups are read one after another, so a single pass
        can see a downstream group at zero just before an upstream one produced its last output.
        ``behind`` keeps the groups not yet at zero in the last reading that had any: the ones
        recovery waited for last.
        """
        t0 = time.monotonic()
        self.last: dict[str, int] | str = {}
        self.behind: list[str] = []
        zero_since: float | None = None
        while time.monotonic() - t0 < timeout_s:
            try:
                self.last = self.lag(groups)
                if all(v == 0 for v in self.last.values()):
                    if zero_since is not None:
                        return zero_since - t0
                    zero_since = time.monotonic()
                else:
                    zero_since = None
                    self.behind = sorted(g for g, v in self.last.items() if v != 0)
            except Exception as exc:  # noqa: BLE001 (broker restarting: reconnect and poll again)
                self.last = repr(exc)
                zero_since = None
                self.close()
            time.sleep(poll_s)
        return None
