"""Starts one real service process with mTLS (its own development CA) for integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grpc_security import channel_credentials
from grpc_security.devca import write_all
from tests.conftest import ROOT, free_port


@contextmanager
def tls_service(service: str, identities: list[str], bootstrap: str, certs: Path) -> Iterator[str]:
    """Yields the target of ``python -m services.<service>`` listening with mTLS only."""
    write_all(certs, [*identities, "operator:beheer"], services=(service,))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KNOOPPUNT_ALLOW_INSECURE_DEV"}
    env.update(KAFKA_BOOTSTRAP_SERVERS=bootstrap, GRPC_PORT=str(port), TLS_CERT_DIR=str(certs),
               TLS_SERVER_NAME=service, DATA_DIR=str(certs / "data"), LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", f"services.{service}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    target = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with grpc.secure_channel(target, channel_credentials(certs, "operator:beheer")) as ch:
                    status = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=2).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        break
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"{service} with TLS did not start:\n{proc.stdout.read().decode()[-3000:]}")
            time.sleep(0.3)
        yield target
    finally:
        proc.terminate()
        proc.wait(timeout=30)
