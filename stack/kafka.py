"""Local Apache Kafka broker, single node in KRaft mode (broker + controller), from Maven jars."""
from __future__ import annotations

import base64
import logging
import uuid
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from carbon_stream.topics import ALL_TOPICS
from stack.proc import pid_alive, port_open, read_pid, run, start_daemon, stop_pid, wait_until
from stack.profile import REPO, Profile

__all__ = ["start", "stop", "status", "create_topics", "pidfile"]

log = logging.getLogger("stack")
JARS = REPO / ".jars" / "kafka"


def _base(profile: Profile) -> Path:
    return profile.root / "kafka"


def pidfile(profile: Profile) -> Path:
    return _base(profile) / "kafka.pid"


def _write_config(profile: Profile) -> Path:
    base = _base(profile)
    base.mkdir(parents=True, exist_ok=True)
    config = base / "server.properties"
    config.write_text("\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@localhost:{profile.kafka_controller_port}",
        f"listeners=PLAINTEXT://localhost:{profile.kafka_port},CONTROLLER://localhost:{profile.kafka_controller_port}",
        f"advertised.listeners=PLAINTEXT://localhost:{profile.kafka_port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={base / 'data'}",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "",
    ]))
    (base / "log4j2.properties").write_text("\n".join([
        "rootLogger.level=INFO",
        "rootLogger.appenderRef.file.ref=file",
        "appender.file.type=File",
        "appender.file.name=file",
        f"appender.file.fileName={base / 'server.log'}",
        "appender.file.layout.type=PatternLayout",
        "appender.file.layout.pattern=[%d] %p %m (%c)%n",
        "logger.kafka.name=kafka",
        "logger.kafka.level=WARN",
        "logger.apache.name=org.apache.kafka",
        "logger.apache.level=WARN",
        "",
    ]))
    return config


def _java(profile: Profile, main: str, *args: str, heap: str = "256m") -> list[str]:
    log4j = _base(profile) / "log4j2.properties"
    return ["java", f"-Xmx{heap}", f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{JARS}/*", main, *args]


def start(profile: Profile) -> None:
    if pid_alive(read_pid(pidfile(profile))) and port_open(profile.kafka_port):
        log.info("==> [kafka] already up on :%s", profile.kafka_port)
        return
    config = _write_config(profile)
    if not (_base(profile) / "data" / "meta.properties").exists():
        # "=" form: a base64 id may start with "-", which a separate argument would make an option
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        log.info("==> [kafka] formatting KRaft storage (cluster %s)", cluster_id)
        run(_java(profile, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(config)))
    log.info("==> [kafka] starting broker on :%s", profile.kafka_port)
    start_daemon(_java(profile, "kafka.Kafka", str(config), heap="1g"), pidfile(profile),
                 _base(profile) / "stdout.log")
    wait_until(lambda: port_open(profile.kafka_port), "Kafka broker port", 90)
    create_topics(f"localhost:{profile.kafka_port}")


def create_topics(bootstrap: str) -> None:
    """Create every topic of ``carbon_stream.topics`` with its partitions and retention (idempotent)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    wait_until(lambda: _brokers_ready(admin), "Kafka metadata", 90)
    existing = admin.list_topics(timeout=10).topics
    missing = [
        NewTopic(t.name, num_partitions=t.partitions, replication_factor=1,
                 config={"retention.ms": str(t.retention_ms)})
        for t in ALL_TOPICS if t.name not in existing
    ]
    for name, future in (admin.create_topics(missing).items() if missing else []):
        future.result(timeout=30)
        log.info("==> [kafka] created topic %s", name)


def delete_consumer_group(bootstrap: str, group: str) -> None:
    """Forget ``group``'s committed offsets (a no-op when it has none)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the future completes
    try:
        admin.delete_consumer_groups([group])[group].result(30)
    except KafkaException as error:  # no committed offsets yet: nothing to delete
        log.info("==> [kafka] consumer group %s: %s", group, error)


def _brokers_ready(admin: AdminClient) -> bool:
    try:
        return bool(admin.list_topics(timeout=2).brokers)
    except Exception:  # the broker is still starting: any client error means "not yet"
        return False


def stop(profile: Profile) -> None:
    pid = read_pid(pidfile(profile))
    if pid_alive(pid):
        log.info("==> [kafka] stopping broker (pid %s)", pid)
        stop_pid(pid, timeout_s=60)


def status(profile: Profile) -> dict:
    pid = read_pid(pidfile(profile))
    return {"component": "kafka", "up": pid_alive(pid) and port_open(profile.kafka_port), "pid": pid,
            "port": profile.kafka_port}
