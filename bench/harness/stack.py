"""The services as processes, started exactly as deploy/local/stack.py starts them.

`up`/`down` run stack.py itself. Single services (a restart after SIGKILL, or extra instances
of one service in the same consumer group) are started from stack.py's own process table,
so the command line and environment are the ones `make up` uses. Instance 0 of a service is
the one stack.py knows (its pid file); instances 1..N-1 (``registration-1``, ...) get their own
gRPC port, data dir and log, can be signalled and restarted by that name, and are stopped by
`down` here.
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
class Instance:
    """An extra instance (``<service>-<i>``, i >= 1): its own gRPC port, data dir, log and process."""

    service: str
    port: int
    data: Path
    proc: subprocess.Popen | None = None


@dataclass
class Stack:
    run: Path
    port_base: int
    bootstrap: str
    extra: dict[str, Instance] = field(default_factory=dict)          # "registration-1" -> Instance
    children: dict[str, subprocess.Popen] = field(default_factory=dict)  # instances 0 we (re)started

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

    def _command(self, service: str) -> tuple[object, list[str], dict[str, str]]:
        """stack.py's module, and the command line and environment it starts ``service`` with."""
        module = self._module()
        with _environ(self._vars()):
            cmd, env = next((c, e) for n, c, e in module._processes() if n == service)  # noqa: SLF001
        return module, cmd, env

    def ports(self) -> dict[str, int]:
        return {name: self.port_base + i for i, name in enumerate(SERVICES)}

    def endpoint(self, service: str) -> str:
        """gRPC address of a service (instance 0) or of an extra instance (``registration-1``)."""
        if service in self.extra:
            return f"127.0.0.1:{self.extra[service].port}"
        return f"127.0.0.1:{self.ports()[service]}"

    def instances(self, service: str) -> list[str]:
        """Names of every instance of ``service``: the service itself, then ``<service>-1`` ..."""
        return [service, *sorted((n for n, i in self.extra.items() if i.service == service), key=_ordinal)]

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
        # Our own children first, and reaped: stack.py (another process) would wait on their zombies.
        for name in list(self.extra):
            if (proc := self.extra.pop(name).proc) is not None:
                _stop(proc)
        for name in list(self.children):
            _stop(self.children.pop(name))
        out = subprocess.run([sys.executable, str(STACK_PY), "down"], cwd=ROOT, env={**os.environ, **self._vars()},
                             capture_output=True, text=True)
        return out.stdout + out.stderr

    def pid(self, name: str) -> int | None:
        """Process id of a running service, adapter or extra instance (``referral-1``)."""
        if name in self.extra:
            proc = self.extra[name].proc
            return proc.pid if proc is not None and proc.poll() is None else None
        if (child := self.children.get(name)) is not None and child.poll() is not None:
            return None  # a child of ours that died: its pid file still names it
        try:
            pid = int((self.run / "pids" / f"{name}.pid").read_text())
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None

    def pids(self) -> dict[str, int]:
        names = (*SERVICES, "adapter-politie", "adapter-belastingdienst", *self.extra)
        return {n: p for n in names if (p := self.pid(n))}

    def signal(self, name: str, sig: int) -> int:
        """Send ``sig`` to a service, adapter or extra instance; after SIGKILL, wait until it is gone."""
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, sig)
        if sig == signal.SIGKILL:
            proc = self.extra[name].proc if name in self.extra else self.children.get(name)
            if proc is not None:
                proc.wait(10)  # our child: reap it, or it lingers as a zombie that still "runs"
            else:
                _wait_gone(pid)
        return pid

    def start_service(self, name: str, timeout_s: float = 90.0) -> float:
        """(Re)start one service instance as stack.py does; seconds until SERVING.

        ``name`` is a service (instance 0, the one stack.py knows) or an extra instance added by
        :meth:`add_instances` (``registration-1``), which comes back on its own port and data dir.
        """
        if name in self.extra:
            return self._start_extra(name, timeout_s)
        module, cmd, env = self._command(name)
        t0 = time.monotonic()
        log = open(self.run / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (handed to the child)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.children[name] = proc
        (self.run / "pids" / f"{name}.pid").write_text(str(proc.pid))
        with _environ(self._vars()):  # stack.py decides plaintext vs mTLS health checks from the environment
            serving = name not in SERVICES or module.wait_serving(self.ports()[name], timeout_s)
        if not serving:
            raise RuntimeError(f"{name} did not report SERVING within {timeout_s:.0f}s")
        return time.monotonic() - t0

    def add_instances(self, name: str, count: int, timeout_s: float = 90.0) -> list[str]:
        """Start ``count`` more instances of ``name`` in the same consumer group (same app id).

        Each gets its own gRPC port, data dir (``data-<service>-<i>``) and log; returns their names.
        """
        have = len(self.instances(name))
        added = []
        for i in range(have, have + count):
            instance = f"{name}-{i}"
            self.extra[instance] = Instance(name, free_port(), self.run / f"data-{name}-{i}")
            self._start_extra(instance, timeout_s)
            added.append(instance)
        return added

    def _start_extra(self, instance: str, timeout_s: float) -> float:
        extra = self.extra[instance]
        module, cmd, env = self._command(extra.service)
        t0 = time.monotonic()
        log = open(self.run / "logs" / f"{instance}.log", "ab")  # noqa: SIM115
        extra.proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, "GRPC_PORT": str(extra.port), "DATA_DIR": str(extra.data)},
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        with _environ(self._vars()):
            serving = module.wait_serving(extra.port, timeout_s)
        if not serving:
            raise RuntimeError(f"{instance} did not report SERVING within {timeout_s:.0f}s")
        return time.monotonic() - t0


def _ordinal(instance: str) -> int:
    return int(instance.rsplit("-", 1)[1])


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
