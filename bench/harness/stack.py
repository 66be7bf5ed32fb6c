"""The services as processes, started exactly as deploy/local/stack.py starts them.

`up`/`down` run stack.py itself. Single services (a restart after SIGKILL, or extra instances
of one service in the same consumer group) are started from stack.py's own process table,
so the command line and environment are the ones `make up` uses. Instance 0 of a service is
the one stack.py knows (its pid file); instances 1..N-1 get their own gRPC port, data dir and
pid file and are stopped by `down` here.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .ports import free_port

ROOT = Path(__file__).resolve().parents[2]
STACK_PY = ROOT / "deploy/local/stack.py"
SERVICES = ("intake", "registration", "lio", "referral", "audit")


@contextmanager
def _environ(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Stack:
    run: Path
    port_base: int
    bootstrap: str
    extra: dict[str, list[tuple[int, subprocess.Popen]]] = field(default_factory=dict)

    def _vars(self) -> dict[str, str]:
        # Plaintext gRPC (development flag): the load generator has no client certificate yet, and
        # with mTLS the per-identity rate limit (deploy/policy/authorization.toml) would cap every
        # figure. Measuring with mTLS and a benchmark identity is a follow-up (ADR 0010).
        return {"KNOOPPUNT_RUN": str(self.run), "KNOOPPUNT_PORT_BASE": str(self.port_base),
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "KNOOPPUNT_ALLOW_INSECURE_DEV": "1"}

    def _module(self):  # noqa: ANN202
        with _environ(self._vars()):
            spec = importlib.util.spec_from_file_location(f"_stack_{id(self)}", STACK_PY)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        return module

    def ports(self) -> dict[str, int]:
        return {name: self.port_base + i for i, name in enumerate(SERVICES)}

    def endpoint(self, service: str) -> str:
        return f"127.0.0.1:{self.ports()[service]}"

    def up(self) -> float:
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, str(STACK_PY), "up"], cwd=ROOT, env={**os.environ, **self._vars()},
                             capture_output=True, text=True)
        if out.returncode != 0:
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted((self.run / "logs").glob("*.log")))
            self.down()
            raise RuntimeError(f"stack did not come up:\n{out.stdout}\n{out.stderr}\n{logs}")
        return time.monotonic() - t0

    def down(self) -> str:
        for name in list(self.extra):
            for _, proc in self.extra.pop(name):
                _stop(proc)
        out = subprocess.run([sys.executable, str(STACK_PY), "down"], cwd=ROOT, env={**os.environ, **self._vars()},
                             capture_output=True, text=True)
        return out.stdout + out.stderr

    def pid(self, name: str) -> int | None:
        try:
            pid = int((self.run / "pids" / f"{name}.pid").read_text())
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None

    def pids(self) -> dict[str, int]:
        found = {n: p for n in (*SERVICES, "adapter-politie", "adapter-belastingdienst") if (p := self.pid(n))}
        for name, procs in self.extra.items():
            for i, (_, proc) in enumerate(procs, start=1):
                found[f"{name}-{i}"] = proc.pid
        return found

    def signal(self, name: str, sig: int) -> int:
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, sig)
        if sig == signal.SIGKILL:
            _wait_gone(pid)
        return pid

    def start_service(self, name: str, timeout_s: float = 90.0) -> float:
        """(Re)start instance 0 of one service as stack.py does; seconds until SERVING."""
        module = self._module()
        with _environ(self._vars()):
            cmd, env = next((c, e) for n, c, e in module._processes() if n == name)  # noqa: SLF001
        t0 = time.monotonic()
        log = open(self.run / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (handed to the child)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (self.run / "pids" / f"{name}.pid").write_text(str(proc.pid))
        with _environ(self._vars()):  # stack.py decides plaintext vs mTLS health checks from the environment
            serving = name not in SERVICES or module.wait_serving(self.ports()[name], timeout_s)
        if not serving:
            raise RuntimeError(f"{name} did not report SERVING within {timeout_s:.0f}s")
        return time.monotonic() - t0

    def add_instances(self, name: str, count: int, timeout_s: float = 90.0) -> list[int]:
        """Start ``count`` more instances of ``name`` in the same consumer group (same app id)."""
        module = self._module()
        with _environ(self._vars()):
            cmd, env = next((c, e) for n, c, e in module._processes() if n == name)  # noqa: SLF001
        started = []
        for i in range(len(self.extra.get(name, [])) + 1, len(self.extra.get(name, [])) + 1 + count):
            port = free_port()
            data = self.run / f"data-{name}-{i}"
            log = open(self.run / "logs" / f"{name}-{i}.log", "ab")  # noqa: SIM115
            proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, "GRPC_PORT": str(port), "DATA_DIR": str(data)},
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.extra.setdefault(name, []).append((port, proc))
            with _environ(self._vars()):
                serving = module.wait_serving(port, timeout_s)
            if not serving:
                raise RuntimeError(f"{name}-{i} did not report SERVING")
            started.append(proc.pid)
        return started


def _wait_gone(pid: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
