"""A broker of our own through deploy/kafka/kafka.sh: start, stop, and a hard kill (-9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "deploy/kafka/kafka.sh"


@dataclass
class Broker:
    run: Path
    port: int
    controller_port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "KNOOPPUNT_RUN": str(self.run), "KAFKA_PORT": str(self.port),
                "KAFKA_CONTROLLER_PORT": str(self.controller_port), "PYTHON": sys.executable}

    def _sh(self, command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(KAFKA_SH), command], env=self._env(), cwd=ROOT,
                              capture_output=True, text=True, check=check)

    def start(self) -> float:
        """Start (or restart on existing data); returns seconds until it answered."""
        t0 = time.monotonic()
        out = self._sh("start", check=False)
        if out.returncode != 0:
            raise RuntimeError(f"broker did not start:\n{out.stdout}\n{out.stderr}")
        return time.monotonic() - t0

    def stop(self) -> None:
        self._sh("stop", check=False)

    def pid(self) -> int | None:
        try:
            return int((self.run / "kafka" / "kafka.pid").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def kill9(self) -> None:
        """Hard crash of the broker JVM: no clean shutdown, no flush beyond what the OS has."""
        pid = self.pid()
        if pid is None:
            raise RuntimeError("no broker pid")
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def classpath(self) -> str:
        return self._sh("classpath").stdout.strip()
