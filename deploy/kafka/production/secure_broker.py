"""A single-node KRaft broker with the production security settings, for the live ACL test.

Its configuration *is* server.properties from this folder: the ${...} values are filled in and only
what one local node must differ in is overridden (SINGLE_NODE_OVERRIDES: addresses, replication
factors, and delete.topic.enable, see there). So the authorizer, allow.everyone.if.no.acl.found,
super.users, the SASL mechanisms and the TLS settings under test are the shipped ones.

It runs SASL_SSL, as production does: the certificates come from the repository's development CA
(libs/grpc_security/devca.py) and cost a few milliseconds, so there was no reason to fall back to
SASL_PLAINTEXT. The bootstrap credentials (the nodes' principal `broker` and the break-glass `admin`)
are written at format time with `kafka-storage format --add-scram`, as an operator does.

The jars are the ones deploy/kafka/kafka.sh fetches (`kafka.sh fetch` / `kafka.sh classpath`).

    python deploy/kafka/production/secure_broker.py --run-dir /tmp/x --port 26092 --controller-port 26093
starts one in the foreground (Ctrl-C or kill <pid> stops it) and prints the admin client properties file.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT / "libs")]
KAFKA_SH = ROOT / "deploy/kafka/kafka.sh"
LOG4J_CONFIG = ROOT / "deploy/kafka/log4j2.yaml"
HOST = "127.0.0.1"
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")

# What a single local node changes in server.properties, and nothing else.
SINGLE_NODE_OVERRIDES = {
    "listeners": "SASL_SSL://{host}:{port},CONTROLLER://{host}:{controller_port}",
    "advertised.listeners": "SASL_SSL://{host}:{port}",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    # Production also switches topic deletion off altogether. Here it is on, so that the test
    # proves the ACL plan alone stops deletion (with it off, the controller would refuse a
    # DeleteTopics before it ever asked the authorizer).
    "delete.topic.enable": "true",
    "group.initial.rebalance.delay.ms": "0",
}


def render(template: str, values: dict[str, str], overrides: dict[str, str]) -> str:
    """server.properties with every ${NAME} filled in and the overridden keys replaced."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise KeyError(f"server.properties needs values for {missing}")
    lines, done = [], set()
    for line in PLACEHOLDER.sub(lambda m: values[m.group(1)], template).splitlines():
        key = line.partition("=")[0].strip()
        if not line.lstrip().startswith("#") and key in overrides:
            line = f"{key}={overrides[key]}"
            done.add(key)
        lines.append(line)
    lines += [f"{k}={v}" for k, v in overrides.items() if k not in done]
    return "\n".join(lines) + "\n"


def classpath() -> str:
    subprocess.run(["bash", str(KAFKA_SH), "fetch"], check=True, stdout=subprocess.DEVNULL)
    return subprocess.run(["bash", str(KAFKA_SH), "classpath"], check=True, capture_output=True,
                          text=True).stdout.strip()


def _cluster_id() -> str:
    """What `kafka-storage random-uuid` prints (a Kafka Uuid, URL-safe base64), without a JVM."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _secret() -> str:
    return secrets.token_hex(16)


@dataclass
class SecureBroker:
    run_dir: Path
    port: int
    controller_port: int
    admin_password: str = field(default_factory=_secret)
    broker_password: str = field(default_factory=_secret)
    controller_password: str = field(default_factory=_secret)
    key_password: str = field(default_factory=_secret)
    process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.run_dir / "tls/ca.pem"

    @property
    def admin_properties(self) -> Path:
        return self.run_dir / "admin.properties"

    @property
    def properties_file(self) -> Path:
        return self.run_dir / "server.properties"

    def client_config(self, user: str, password: str) -> dict:
        """kafka-python settings for a client authenticating as ``user``."""
        return {"bootstrap_servers": self.bootstrap, "security_protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": user,
                "sasl_plain_password": password, "ssl_cafile": str(self.ca_file)}

    def _write_tls(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12

        from grpc_security.devca import issue, make_ca

        tls = self.run_dir / "tls"
        tls.mkdir(parents=True, exist_ok=True)
        ca_key, ca_cert = make_ca("knooppunt ACL test CA", days=1)
        key, cert = issue(ca_key, ca_cert, "localhost", server=True, days=1)
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        # As in production: the key and its chain in a PKCS#12 key store with a password.
        (tls / "broker.p12").write_bytes(pkcs12.serialize_key_and_certificates(
            b"broker", key, cert, [ca_cert], serialization.BestAvailableEncryption(self.key_password.encode())))
        (tls / "broker.p12").chmod(0o600)

    def _write_config(self) -> None:
        values = {"NODE_ID": "1", "CONTROLLER_BOOTSTRAP": f"{HOST}:{self.controller_port}", "HOSTNAME": HOST,
                  "BROKER_SCRAM_PASSWORD": self.broker_password, "CONTROLLER_PASSWORD": self.controller_password,
                  "TLS_DIR": str(self.run_dir / "tls"), "TLS_KEYSTORE_PASSWORD": self.key_password,
                  "DATA_DIR": str(self.run_dir / "data")}
        overrides = {k: v.format(host=HOST, port=self.port, controller_port=self.controller_port)
                     for k, v in SINGLE_NODE_OVERRIDES.items()}
        self.properties_file.write_text(render((HERE / "server.properties").read_text(), values, overrides))
        self.properties_file.chmod(0o600)
        # The operator's admin client file, in the format kafka-acls.sh --command-config reads.
        self.admin_properties.write_text(
            "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{self.admin_password}";\n'
            f"ssl.truststore.type=PEM\nssl.truststore.location={self.ca_file}\n")
        self.admin_properties.chmod(0o600)

    def start(self, timeout_s: float = 90.0) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        cp = classpath()
        self._write_tls()
        self._write_config()
        java = os.environ.get("JAVA") or (f"{os.environ['JAVA_HOME']}/bin/java" if os.environ.get("JAVA_HOME") else "java")
        tool_jvm = [java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", cp]
        out = self.run_dir / "kafka.out"
        with out.open("ab") as log:
            subprocess.run([*tool_jvm, "kafka.tools.StorageTool", "format", "--standalone",
                            "-t", _cluster_id(), "-c", str(self.properties_file),
                            "--add-scram", f"SCRAM-SHA-512=[name=broker,password={self.broker_password}]",
                            "--add-scram", f"SCRAM-SHA-512=[name=admin,password={self.admin_password}]"],
                           check=True, stdout=log, stderr=subprocess.STDOUT)
            self.process = subprocess.Popen(
                [java, "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                 "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                 f"-Dkafka.logs.dir={self.run_dir / 'logs'}", "-cp", cp, "kafka.Kafka", str(self.properties_file)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_until_ready(timeout_s)

    def _wait_until_ready(self, timeout_s: float) -> None:
        """Poll until the broker serves an authenticated request. The client listener opens only
        when the broker is ready, so a plain TCP probe comes first: a Kafka client started too
        early only backs off further and further."""
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"broker exited during start-up; see {self.run_dir / 'kafka.out'} and logs/")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                admin = KafkaAdminClient(**self.client_config("admin", self.admin_password),
                                         request_timeout_ms=5000, reconnect_backoff_max_ms=500)
                try:
                    if admin.describe_cluster().get("brokers"):
                        return
                finally:
                    admin.close()
            except (OSError, KafkaError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"broker did not answer on {self.bootstrap} within {timeout_s:.0f}s")
            time.sleep(0.2)

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM (controlled shutdown), SIGKILL after ``timeout_s``; only our own process."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=26092)
    parser.add_argument("--controller-port", type=int, default=26093)
    args = parser.parse_args()
    broker = SecureBroker(args.run_dir, args.port, args.controller_port)
    # Ctrl-C or `kill <pid>` stop the broker too (a background job started by a script ignores SIGINT).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        broker.start()
        print(f"SASL_SSL broker on {broker.bootstrap} (pid {os.getpid()}); admin client properties: "
              f"{broker.admin_properties}", flush=True)
        broker.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
