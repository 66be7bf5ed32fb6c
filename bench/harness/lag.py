"""Consumer lag of the Faust consumer groups (`knooppunt-<service>`) from committed offsets."""

from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition


class LagProbe:
    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
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
        return sorted(g["group_id"] for g in self._admin.list_groups() if g["group_id"].startswith("knooppunt-"))

    def lag(self, groups: list[str] | None = None) -> dict[str, int]:
        """Per group: sum over its topics' partitions of end offset minus committed offset."""
        self._connect()
        result = {}
        for group in groups or self.groups():
            # kafka-python 3.0: list_group_offsets({group: None}) -> {group: {TopicPartition: OffsetAndMetadata}}
            committed = self._admin.list_group_offsets({group: None}).get(group, {})
            topics = {tp.topic for tp in committed}
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

    def wait_zero(self, timeout_s: float, poll_s: float = 0.25, groups: list[str] | None = None) -> float | None:
        """Seconds until every group's lag is zero; None on timeout. Survives a broker restart."""
        t0 = time.monotonic()
        self.last: dict[str, int] | str = {}
        while time.monotonic() - t0 < timeout_s:
            try:
                self.last = self.lag(groups)
                if all(v == 0 for v in self.last.values()):
                    return time.monotonic() - t0
            except Exception as exc:  # noqa: BLE001 (broker restarting: reconnect and poll again)
                self.last = repr(exc)
                self.close()
            time.sleep(poll_s)
        return None
