"""Consumer session, heartbeat and rebalance timeouts: settings every service shares (ADR 0010)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from servicehost import ServiceSettings, create_faust_app


def test_defaults_reach_the_faust_consumer(tmp_path: Path) -> None:
    app = create_faust_app("knooppunt-test", ServiceSettings(data_dir=tmp_path))
    assert (app.conf.broker_session_timeout, app.conf.broker_heartbeat_interval, app.conf.broker_rebalance_timeout) == (
        10.0, 3.0, 60.0)


def test_environment_sets_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_S", "30")
    monkeypatch.setenv("KAFKA_HEARTBEAT_INTERVAL_S", "5")
    monkeypatch.setenv("KAFKA_REBALANCE_TIMEOUT_S", "90")
    app = create_faust_app("knooppunt-test", ServiceSettings(data_dir=tmp_path))
    assert (app.conf.broker_session_timeout, app.conf.broker_heartbeat_interval, app.conf.broker_rebalance_timeout) == (
        30.0, 5.0, 90.0)


def test_a_heartbeat_not_below_the_session_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_S", "6")
    monkeypatch.setenv("KAFKA_HEARTBEAT_INTERVAL_S", "6")
    with pytest.raises(ValidationError, match="KAFKA_HEARTBEAT_INTERVAL_S"):
        ServiceSettings()
