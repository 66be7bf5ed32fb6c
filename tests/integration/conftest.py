"""Every integration test runs against the real broker, with the declared topics in place."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _broker_with_topics(bootstrap: str) -> str:
    return bootstrap
