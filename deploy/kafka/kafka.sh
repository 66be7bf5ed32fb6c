#!/usr/bin/env bash
# Run a real single-node Apache Kafka (KRaft, broker+controller in one JVM) for
# local development and CI, without Docker: the broker jars come from Maven
# Central (deploy/kafka/pom.xml) or from an unpacked Kafka distribution.
#
#   bash deploy/kafka/kafka.sh fetch|start|stop|status|clean|classpath
#
# Environment (all optional):
#   KAFKA_HOME             unpacked Kafka distribution; use $KAFKA_HOME/libs, fetch nothing
#   KNOOPPUNT_CACHE        jar cache root        (default: ~/.cache/knooppunt)
#   KNOOPPUNT_RUN          run dir root          (default: <repo>/.run)
#   KAFKA_PORT             client listener port  (default: 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default: 9093)
#   KAFKA_HEAP_OPTS        JVM heap              (default: -Xms256m -Xmx1g)
#   KAFKA_START_TIMEOUT    seconds to wait until the broker answers (default: 60)
#   PYTHON                 a python with kafka-python: used for the readiness probe
#                          instead of a JVM (faster); falls back to Java if unusable
#   JAVA                   java binary (default: $JAVA_HOME/bin/java or java)
#
# See docs/adr/0001-kafka-broker-version.md for the version choice.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
LOG4J_CONFIG="$SCRIPT_DIR/log4j2.yaml"

# The version lives in one place, the pom; the cache folder is named after it so
# that a version bump never mixes jars of two releases on one classpath.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
[[ -n "$KAFKA_VERSION" ]] || { echo "kafka.sh: cannot read <kafka.version> from $POM" >&2; exit 2; }

CACHE_DIR="${KNOOPPUNT_CACHE:-$HOME/.cache/knooppunt}/kafka-$KAFKA_VERSION"
LIBS_DIR="$CACHE_DIR/libs"
FETCH_MARKER="$CACHE_DIR/.fetch-complete"

RUN_DIR="${KNOOPPUNT_RUN:-$REPO_ROOT/.run}/kafka"
DATA_DIR="$RUN_DIR/data"            # log.dirs (the topic partitions + KRaft metadata log)
LOGS_DIR="$RUN_DIR/logs"            # broker's own log4j2 output (server.log, controller.log)
PID_FILE="$RUN_DIR/kafka.pid"
OUT_FILE="$RUN_DIR/kafka.out"       # JVM stdout/stderr: should only hold startup errors
PROPS_FILE="$RUN_DIR/server.properties"
CLUSTER_ID_FILE="$RUN_DIR/cluster.id"

HOST=127.0.0.1
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
BOOTSTRAP="$HOST:$PORT"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT=30
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"

if [[ -n "${JAVA:-}" ]]; then :
elif [[ -n "${JAVA_HOME:-}" ]]; then JAVA="$JAVA_HOME/bin/java"
else JAVA=java
fi

log() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: ERROR: $*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: bash deploy/kafka/kafka.sh <command>

  fetch      download the Kafka $KAFKA_VERSION jars into $LIBS_DIR (once)
  start      start a single-node KRaft broker on $BOOTSTRAP and wait until it answers
  stop       stop it (SIGTERM, then SIGKILL after ${STOP_TIMEOUT}s)
  status     exit 0 if the broker is running and answers, 1 otherwise
  clean      stop and delete $RUN_DIR (topics, offsets, logs); keeps the jar cache
  classpath  print the classpath, e.g. for:
               java -cp "\$(bash deploy/kafka/kafka.sh classpath)" \\
                 org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server $BOOTSTRAP --topic T
EOF
}

# ---------------------------------------------------------------- jars

classpath() {
  if [[ -n "${KAFKA_HOME:-}" ]]; then
    echo "$KAFKA_HOME/libs/*"
  else
    echo "$LIBS_DIR/*"
  fi
}

# The marker holds a hash of the pom: editing the pom (new dependency, bumped
# log4j) re-fetches, while an interrupted fetch (no marker) is simply redone.
pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

cmd_fetch() {
  if [[ -n "${KAFKA_HOME:-}" ]]; then
    [[ -d "$KAFKA_HOME/libs" ]] || die "KAFKA_HOME=$KAFKA_HOME has no libs/ folder"
    log "using KAFKA_HOME jars: $KAFKA_HOME/libs (nothing fetched)"
    return
  fi
  if [[ -f "$FETCH_MARKER" && "$(cat "$FETCH_MARKER")" == "$(pom_hash)" ]]; then
    log "Kafka $KAFKA_VERSION jars already in $LIBS_DIR"
    return
  fi
  command -v mvn >/dev/null || die "mvn not found (needed to fetch Kafka jars; or set KAFKA_HOME)"
  rm -rf "$LIBS_DIR" "$FETCH_MARKER"   # never leave jars of an older pom behind
  mkdir -p "$LIBS_DIR"
  local t0=$SECONDS
  mvn -q -B -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS_DIR" -DincludeScope=runtime \
    || die "mvn could not fetch the Kafka jars (see the output above)"
  pom_hash > "$FETCH_MARKER"
  log "fetched Kafka $KAFKA_VERSION jars ($(ls "$LIBS_DIR" | wc -l) files) into $LIBS_DIR in $((SECONDS - t0))s"
}

# Fetch only if needed, silently when already there (start should stay terse).
ensure_jars() {
  if [[ -n "${KAFKA_HOME:-}" ]] || [[ -f "$FETCH_MARKER" && "$(cat "$FETCH_MARKER")" == "$(pom_hash)" ]]; then
    return
  fi
  cmd_fetch
}

# Run a Kafka CLI class. Small heap and C1-only JIT: these are short-lived JVMs
# and a 2-core machine is also busy starting the broker. Without a log4j2 config
# log4j prints only ERRORs to the console, which is what we want for tools.
run_tool() {
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$(classpath)" "$@"
}

# ---------------------------------------------------------------- process state

read_pid() { [[ -f "$PID_FILE" ]] && cat "$PID_FILE" || true; }

# True if the pid file names a live process that is *our* broker: checking the
# command line guards against a recycled pid after a reboot or crash.
broker_alive() {
  local pid; pid="$(read_pid)"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $PROPS_FILE"
}

# Cheap TCP check (no JVM): is anything listening on host:port?
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# A real Kafka request, not just an open port: the socket accepts connections
# before the broker has caught up with the metadata log and can serve clients.
# With kafka-python: bootstrap + a Metadata request. Otherwise the JVM tool
# BrokerApiVersionsCommand (ApiVersions request to every broker), ~1-2 s per call.
broker_answers() {
  port_open "$PORT" || return 1
  if [[ -n "${PYTHON:-}" ]] && "$PYTHON" -c 'import kafka' 2>/dev/null; then
    "$PYTHON" - "$BOOTSTRAP" <<'PY' >/dev/null 2>&1
import sys
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=5000)
try:
    cluster = admin.describe_cluster()          # Metadata / DescribeCluster request
    sys.exit(0 if cluster.get("brokers") else 1)
finally:
    admin.close()
PY
  else
    # Captured rather than piped into `grep -q`: with pipefail, grep quitting early
    # would SIGPIPE the JVM and turn a success into a failure.
    local out
    out="$(timeout 20 "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$(classpath)" \
      org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$BOOTSTRAP" 2>/dev/null)" || return 1
    # One block per broker, starting "127.0.0.1:9092 (id: 1 rack: null isFenced: false) -> (".
    [[ "$out" == *"$BOOTSTRAP (id: "* ]]
  fi
}

# ---------------------------------------------------------------- start

write_server_properties() {
  cat > "$PROPS_FILE" <<EOF
# Generated by deploy/kafka/kafka.sh on every start; edit the script, not this file.
# Single node running both KRaft roles: one JVM, no ZooKeeper (gone in Kafka 4).
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT

log.dirs=$DATA_DIR

# One broker: internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Consumer groups start at once instead of waiting 3 s for more members (tests).
group.initial.rebalance.delay.ms=0
# Topics are created explicitly by the services / their migrations, never by a typo.
auto.create.topics.enable=false
num.partitions=3
EOF
}

cmd_start() {
  mkdir -p "$RUN_DIR"

  if broker_alive; then
    if broker_answers; then
      log "already running (pid $(read_pid)) on $BOOTSTRAP"
      return 0
    fi
    log "pid $(read_pid) is alive but not answering yet; waiting for it"
    wait_until_ready "$(read_pid)"
    return 0
  fi
  rm -f "$PID_FILE"   # stale: the process is gone

  # Someone else (another Kafka, an old broker of another checkout) holds the port:
  # starting anyway would fail deep inside the JVM log, or worse, clients would
  # silently talk to the wrong broker.
  local p
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "port $HOST:$p is already in use by another process (not our broker; see: ss -ltnp | grep :$p)"
    fi
  done

  ensure_jars
  command -v "$JAVA" >/dev/null || die "java not found (set JAVA or JAVA_HOME)"
  mkdir -p "$DATA_DIR" "$LOGS_DIR"
  write_server_properties

  # The cluster id is generated once and kept, so restarts reuse the formatted data.
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    run_tool kafka.tools.StorageTool random-uuid > "$CLUSTER_ID_FILE.tmp"
    mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
  fi
  # Format only once: re-formatting would refuse (or wipe) existing data.
  if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
    run_tool kafka.tools.StorageTool format --standalone \
        -t "$(cat "$CLUSTER_ID_FILE")" -c "$PROPS_FILE" >> "$OUT_FILE" 2>&1 \
      || { tail -n 30 "$OUT_FILE" >&2; die "formatting storage in $DATA_DIR failed"; }
  fi

  log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (run dir $RUN_DIR)"
  # setsid: own session, so the broker outlives this shell and a Ctrl-C in it.
  # shellcheck disable=SC2086  # HEAP_OPTS is a list of JVM flags
  setsid "$JAVA" $HEAP_OPTS \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dkafka.logs.dir="$LOGS_DIR" \
      -cp "$(classpath)" kafka.Kafka "$PROPS_FILE" \
      > "$OUT_FILE" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$PID_FILE"
  wait_until_ready "$pid"
}

# Poll (never a fixed sleep) until the broker serves a real request.
wait_until_ready() {
  local pid=$1 t0=$SECONDS
  while (( SECONDS - t0 < START_TIMEOUT )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      show_logs
      die "broker (pid $pid) exited during startup"
    fi
    if broker_answers; then
      log "ready on $BOOTSTRAP (pid $pid) after $((SECONDS - t0))s"
      return 0
    fi
    sleep 0.5
  done
  show_logs
  die "broker (pid $pid) did not answer on $BOOTSTRAP within ${START_TIMEOUT}s; still running, stop it with: bash $0 stop"
}

show_logs() {
  {
    echo "---- last 30 lines of $LOGS_DIR/server.log ----"
    tail -n 30 "$LOGS_DIR/server.log" 2>/dev/null || echo "(none)"
    echo "---- last 30 lines of $OUT_FILE ----"
    tail -n 30 "$OUT_FILE" 2>/dev/null || echo "(none)"
  } >&2
}

# ---------------------------------------------------------------- stop / status / clean

cmd_stop() {
  if ! broker_alive; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  local pid; pid="$(read_pid)"
  # SIGTERM lets the broker do a controlled shutdown and flush its logs, so the
  # next start needs no log recovery.
  kill -TERM "$pid" 2>/dev/null || true
  local t0=$SECONDS
  while kill -0 "$pid" 2>/dev/null && (( SECONDS - t0 < STOP_TIMEOUT )); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid) in $((SECONDS - t0))s"
}

cmd_status() {
  if broker_alive && broker_answers; then
    log "running (pid $(read_pid)) on $BOOTSTRAP, Kafka $KAFKA_VERSION"
    return 0
  elif broker_alive; then
    log "pid $(read_pid) alive but not answering on $BOOTSTRAP"
    return 1
  fi
  log "not running"
  return 1
}

cmd_clean() {
  cmd_stop
  rm -rf "$RUN_DIR"
  log "deleted $RUN_DIR (jar cache $CACHE_DIR kept)"
}

# ---------------------------------------------------------------- main

case "${1:-}" in
  fetch)     cmd_fetch ;;
  start)     cmd_start ;;
  stop)      cmd_stop ;;
  status)    cmd_status ;;
  clean)     cmd_clean ;;
  classpath) classpath ;;
  -h|--help|help) usage ;;
  *)         usage >&2; exit 2 ;;
esac
