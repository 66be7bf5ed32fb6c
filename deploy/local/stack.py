"""Start, stop and inspect the local knooppunt stack: every service as its own process.

Usage: python deploy/local/stack.py up|down|status

Each service runs as `python -m services.<name>` with its log in <run dir>/logs/<name>.log and
its pid in <run dir>/pids/<name>.pid. `up` returns only when every gRPC service reports SERVING
on the standard health service, so whatever runs next can use the system at once.
Every gRPC listener runs with mTLS: development certificates are generated into
<run dir>/certs on first use (grpc_security.devca, identities from the authorization table),
and the audit service gets a checkpoint signing key in <run dir>/audit. Only when the caller
sets KNOOPPUNT_ALLOW_INSECURE_DEV=1 do the services listen in plaintext (development only).
Environment: KAFKA_BOOTSTRAP_SERVERS, KNOOPPUNT_RUN (run dir, default .run),
KNOOPPUNT_PORT_BASE (first gRPC port, default 50051), KNOOPPUNT_AUDIT_KEYS (default <run dir>/audit).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import tomllib

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grpc_security import INSECURE_FLAG, channel_credentials, insecure_allowed
from grpc_security.devca import write_all

ROOT = Path(__file__).resolve().parents[2]
RUN = Path(os.environ.get("KNOOPPUNT_RUN", ROOT / ".run")).resolve()
PORT_BASE = int(os.environ.get("KNOOPPUNT_PORT_BASE", "50051"))
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
GRPC_SERVICES = ("intake", "registration", "lio", "referral", "audit")
# The police adapter consumes its Kafka topic; the tax authority's uses the gRPC stream: the two
# ways a partner can connect, side by side.
PARTNER_ADAPTERS = {"politie": "kafka", "belastingdienst": "grpc"}


CERTS = RUN / "certs"
# The checkpoint signing key belongs with the broker's data: a new key over an old log would
# make every earlier checkpoint unverifiable. Tests that reuse one broker share one key.
AUDIT_KEYS = Path(os.environ.get("KNOOPPUNT_AUDIT_KEYS", RUN / "audit")).resolve()
HEALTH_IDENTITY = "operator:beheer"


def tls() -> bool:
    return not insecure_allowed()


def ensure_certificates() -> None:
    if (CERTS / "ca.pem").exists():
        return
    table = tomllib.loads((ROOT / "deploy/policy/authorization.toml").read_text())
    write_all(CERTS, sorted(table["identities"]))
    print(f"development certificates written to {CERTS}")


def ensure_audit_keys() -> None:
    if (AUDIT_KEYS / "signing.key").exists():
        return
    subprocess.run([sys.executable, "-m", "services.audit.cli", "keygen", "--private-key", str(AUDIT_KEYS / "signing.key"),
                    "--public-key", str(AUDIT_KEYS / "audit.pub")], cwd=ROOT, check=True, capture_output=True)


def ports() -> dict[str, int]:
    return {name: PORT_BASE + i for i, name in enumerate(GRPC_SERVICES)}


def _dev_env() -> dict[str, str]:
    env = {}
    for line in (ROOT / "deploy/local/dev.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def _processes() -> list[tuple[str, list[str], dict[str, str]]]:
    base = {**os.environ, **{k: v for k, v in _dev_env().items() if k not in os.environ}}
    base["KAFKA_BOOTSTRAP_SERVERS"] = BOOTSTRAP
    base["DATA_DIR"] = str(RUN / "data")
    if tls():
        base.pop(INSECURE_FLAG, None)
        base["TLS_CERT_DIR"] = str(CERTS)
    base["AUDIT_SIGNING_KEY"] = str(AUDIT_KEYS / "signing.key")
    base["AUDIT_CHECKPOINT_FILE"] = str(AUDIT_KEYS / "checkpoint")
    base["AUDIT_CHECKPOINT_INTERVAL_S"] = "5"
    procs = []
    for name, port in ports().items():
        procs.append((name, [sys.executable, "-m", f"services.{name}"], {**base, "GRPC_PORT": str(port), "TLS_SERVER_NAME": name}))
    for partner, transport in PARTNER_ADAPTERS.items():
        cmd = [
            sys.executable, "-m", "services.partner_adapter", "--partner", partner, "--transport", transport,
            "--output-dir", str(RUN / "partners"), "--bootstrap-servers", BOOTSTRAP,
            "--referral-endpoint", f"127.0.0.1:{ports()['referral']}",
        ]
        procs.append((f"adapter-{partner}", cmd, base))
    return procs


def _pid(name: str) -> int | None:
    path = RUN / "pids" / f"{name}.pid"
    try:
        pid = int(path.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def health_channel(port: int) -> grpc.Channel:
    target = f"127.0.0.1:{port}"
    if tls():
        return grpc.secure_channel(target, channel_credentials(CERTS, HEALTH_IDENTITY))
    return grpc.insecure_channel(target)


def wait_serving(port: int, timeout_s: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Until the service on ``port`` is SERVING; False after ``timeout_s`` or once it is not ``alive``."""
    deadline = time.monotonic() + timeout_s
    with health_channel(port) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline and alive():
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                    return True
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    return False


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def up(timeout_s: float = 90.0) -> int:
    # A port held by something else would have a service fail to bind, or worse, have the
    # health check below answered by a stranger: say so before starting anything.
    taken = [f"{name} {port}" for name, port in ports().items() if not _pid(name) and port_taken(port)]
    if taken:
        print(f"ports in use by another program: {', '.join(taken)}; stop it or choose other ports with "
              f"KNOOPPUNT_PORT_BASE (now {PORT_BASE})", file=sys.stderr)
        return 1
    (RUN / "logs").mkdir(parents=True, exist_ok=True)
    (RUN / "pids").mkdir(parents=True, exist_ok=True)
    if tls():
        ensure_certificates()
    ensure_audit_keys()
    subprocess.run([sys.executable, "-m", "topic_catalog.ensure"], check=True, env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP})
    started: dict[str, subprocess.Popen] = {}
    for name, cmd, env in _processes():
        if _pid(name):
            print(f"{name:24} already running")
            continue
        log = open(RUN / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (handed to the child)
        started[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (RUN / "pids" / f"{name}.pid").write_text(str(started[name].pid))
    failed = []
    for name, port in ports().items():
        proc = started.get(name)
        ok = wait_serving(port, timeout_s, alive=lambda proc=proc: proc is None or proc.poll() is None)
        print(f"{name:24} 127.0.0.1:{port:<6} {'SERVING' if ok else 'NOT SERVING'}")
        if not ok:
            failed.append(name)
    for partner in PARTNER_ADAPTERS:
        print(f"{'adapter-' + partner:24} {'running' if _pid('adapter-' + partner) else 'NOT RUNNING'}")
        if not _pid("adapter-" + partner):
            failed.append("adapter-" + partner)
    if failed:
        print(f"not ready: {', '.join(failed)}; see {RUN / 'logs'}/<name>.log", file=sys.stderr)
        return 1
    print(f"logs: {RUN / 'logs'}/<service>.log   " + (f"mTLS: certificates in {CERTS}" if tls() else f"PLAINTEXT ({INSECURE_FLAG}=1)"))
    return 0


def down(timeout_s: float = 20.0) -> int:
    names = [name for name, _, _ in _processes()]
    for name in names:
        if (pid := _pid(name)) is not None:
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for name in names:
        while (pid := _pid(name)) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if (pid := _pid(name)) is not None:
            print(f"{name} did not stop within {timeout_s:.0f}s; killing", file=sys.stderr)
            os.kill(pid, signal.SIGKILL)
        (RUN / "pids" / f"{name}.pid").unlink(missing_ok=True)
    print("stack stopped")
    return 0


def health(port: int) -> str:
    """The service's own answer (SERVING, NOT_SERVING while it rebuilds), or why there is none."""
    with health_channel(port) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as exc:
            return f"no answer ({exc.code().name})"


def status() -> int:
    """Each process, each service's health, and each consumer group's lag: 0 when all is well."""
    well = True
    grpc_ports = ports()
    for name, _, _ in _processes():
        pid = _pid(name)
        state = health(grpc_ports[name]) if pid and name in grpc_ports else ""
        well &= pid is not None and state in ("", "SERVING")
        where = f"127.0.0.1:{grpc_ports[name]}" if name in grpc_ports else ""
        print(f"{name:24} {'pid ' + str(pid) if pid else 'stopped':11} {where:16} {state}".rstrip())
    try:
        from topic_catalog.lag import LagProbe  # kafka-python: only when asked

        probe = LagProbe(BOOTSTRAP, also=tuple(f"adapter-{p}" for p, t in PARTNER_ADAPTERS.items() if t == "kafka"))
        try:
            lag = probe.lag()
        finally:
            probe.close()
    except Exception as exc:  # noqa: BLE001 (no broker, or no group yet: say so, the list above still stands)
        print(f"consumer lag: not known ({type(exc).__name__}); is the broker at {BOOTSTRAP} up?")
        return 1
    print("consumer lag (events not yet processed; -1 = rebalancing or not joined yet):")
    for group, behind in lag.items():
        print(f"  {group:22} {behind}")
    return 0 if well else 1


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    actions = {"up": up, "down": down, "status": status}
    if command not in actions:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(actions[command]())
