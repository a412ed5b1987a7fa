"""docker-compose.yml stays valid and gives Docker users the same stack as ``make up``.

No Docker engine is needed: the file is validated by ``docker-compose config`` (skipped when the
binary is missing; ``make compose-check`` installs it) and compared, as YAML, with the project's own
sources of truth: topics, settings, stack profile ports, Flink config, jar pom and pinned versions.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
import yaml

from carbon_stream.settings import Settings
from carbon_stream.topics import ALL_TOPICS
from stack.profile import REPO, get_profile

COMPOSE_FILE = REPO / "docker-compose.yml"
FLINK_DOCKERFILE = REPO / "docker" / "flink.Dockerfile"
APP_DOCKERFILE = REPO / "docker" / "app.Dockerfile"
POSTGRES_INIT = REPO / "docker" / "postgres-init" / "10-carbon.sh"
APP_SERVICES = ("ingest-api", "read-api", "producer", "job-submitter")
# Which service each localhost default of Settings becomes inside the compose network.
SETTINGS_HOSTS = {"kafka_bootstrap_servers": "kafka", "database_url": "postgres",
                  "read_database_url": "postgres", "flink_rest_url": "jobmanager"}
# stack/flink.py keys that name local hosts, folders or the local Python: Docker has its own.
LOCAL_ONLY_FLINK_KEYS = re.compile(
    r"^(jobmanager\.rpc\..*|.*\.bind-host|taskmanager\.host|rest\.(bind-)?address|env\..*|python\..*"
    r"|execution\.checkpointing\.(savepoint-)?dir|io\.tmp\.dirs|web\.tmpdir)$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value).lower()
    return flat


def _flink_properties(service: dict) -> dict[str, str]:
    lines = service["environment"]["FLINK_PROPERTIES"].strip().splitlines()
    return {key.strip(): value.strip().lower() for key, value in (line.split(":", 1) for line in lines)}


def _flink_version_arg() -> str:
    return re.search(r"^ARG FLINK_VERSION=(\S+)$", FLINK_DOCKERFILE.read_text(), re.M).group(1)


def test_compose_file_is_valid_for_docker_compose():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (`make compose-check` installs Debian's package)")
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE_FILE), "config", "-q"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_has_every_service_of_the_stack(services):
    assert {"postgres", "kafka", "kafka-init", "jobmanager", "taskmanager", "job-submitter",
            "ingest-api", "read-api", "producer"} <= set(services)


def test_compose_kafka_init_creates_every_topic_with_its_partitions_and_retention(services):
    script = "\n".join(services["kafka-init"]["command"])
    created = {name: (int(partitions), int(retention_ms)) for name, partitions, retention_ms in re.findall(
        r"--topic (\S+) --partitions (\d+) --config retention\.ms=(\d+)", script)}
    assert created == {t.name: (t.partitions, t.retention_ms) for t in ALL_TOPICS}


def test_compose_kafka_uses_the_same_image_version_as_the_pom(services):
    pom_version = _pom_properties()["kafka.version"]
    assert services["kafka"]["image"] == services["kafka-init"]["image"] == f"apache/kafka:{pom_version}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_cs_env_are_settings_defaults_on_service_names(services, service, monkeypatch):
    env = {k: str(v) for k, v in services[service]["environment"].items() if k.startswith("CS_")}
    assert {f"CS_{field.upper()}" for field in SETTINGS_HOSTS} <= set(env), "a peer would default to localhost"
    for name, value in env.items():
        field = name.removeprefix("CS_").lower()
        assert field in Settings.model_fields, f"{name} is not a field of carbon_stream.settings.Settings"
        if field in SETTINGS_HOSTS:
            assert value == Settings.model_fields[field].default.replace("localhost", SETTINGS_HOSTS[field])
        monkeypatch.setenv(name, value)
    Settings()  # the values validate


def test_compose_publishes_the_dev_profile_ports(services):
    dev = get_profile("dev")
    expected = {"postgres": dev.postgres_port, "kafka": dev.kafka_port, "jobmanager": dev.flink_rest_port,
                "ingest-api": dev.ingest_port, "read-api": dev.read_port}
    published = {name: [int(p.split(":")[0]) for p in svc.get("ports", [])] for name, svc in services.items()}
    assert {name: ports for name, ports in published.items() if ports} == {k: [v] for k, v in expected.items()}
    for name in ("ingest-api", "read-api"):
        command = services[name]["command"]
        assert command[command.index("--port") + 1] == str(expected[name])


def test_compose_postgres_initdb_matches_the_local_cluster(services):
    from stack.postgres import INITDB_LOCALE

    assert services["postgres"]["environment"]["POSTGRES_INITDB_ARGS"].split() == list(INITDB_LOCALE)


def test_compose_postgres_server_settings_match_the_local_server(services):
    from stack.postgres import SERVER_SETTINGS

    command = services["postgres"]["command"].split()
    assert command[0] == "postgres" and command[1::2] == ["-c"] * len(SERVER_SETTINGS)
    assert [tuple(setting.split("=", 1)) for setting in command[2::2]] == list(SERVER_SETTINGS)


def test_compose_kafka_host_port_advertises_the_local_address(services):
    env = services["kafka"]["environment"]
    container_port = services["kafka"]["ports"][0].split(":")[1]
    listener = next(l.split("://")[0] for l in env["KAFKA_LISTENERS"].split(",") if l.endswith(f":{container_port}"))
    advertised = dict(l.split("://") for l in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised[listener] == f"localhost:{get_profile('dev').kafka_port}"
    assert advertised["PLAINTEXT"] == Settings.model_fields["kafka_bootstrap_servers"].default.replace("localhost", "kafka")


def test_compose_flink_config_matches_the_local_cluster(services):
    from stack.flink import _config_yaml  # imports pyflink: only this test pays for it

    everything = _flatten(yaml.safe_load(_config_yaml(get_profile("dev"))))
    local = {k: v for k, v in everything.items() if not LOCAL_ONLY_FLINK_KEYS.match(k)}
    for name in ("jobmanager", "taskmanager", "job-submitter"):
        docker = _flink_properties(services[name])
        assert {k: docker.get(k) for k in local} == local, name
        assert "-duser.timezone=utc" in docker["env.java.opts.jobmanager"]
        assert "-duser.timezone=utc" in docker["env.java.opts.taskmanager"]
        # compose has no opts.all: its TaskManager line is the timezone, then the local TaskManager's own (GC)
        assert docker["env.java.opts.taskmanager"] == f"-duser.timezone=utc {everything['env.java.opts.taskmanager']}", name


def test_compose_flink_checkpoints_are_on_a_volume_shared_by_the_flink_services(compose, services):
    """The job-submitter reads them too: it resumes a job from its latest checkpoint."""
    props = _flink_properties(services["jobmanager"])
    for key in ("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir"):
        path = props[key].removeprefix("file://")
        for name in ("jobmanager", "taskmanager", "job-submitter"):
            mounts = [m.split(":") for m in services[name]["volumes"]]
            assert any(path.startswith(target) and source in compose["volumes"] for source, target in mounts)


def test_compose_flink_image_version_matches_requirements():
    version = _flink_version_arg()
    assert f"apache-flink=={version}\n" in (REPO / "requirements.in").read_text()
    assert f"apache-flink=={version}\n" in (REPO / "requirements.lock").read_text()
    assert "FROM flink:${FLINK_VERSION}-java17\n" in FLINK_DOCKERFILE.read_text()


def test_compose_flink_image_tag_names_its_version(services):
    assert {services[n]["image"] for n in ("jobmanager", "taskmanager", "job-submitter")} \
        == {f"carbon-stream-flink:{_flink_version_arg()}"}


def _pom_properties() -> dict[str, str]:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    props = ET.parse(REPO / "stack" / "jars" / "pom.xml").getroot().find("m:properties", ns)
    return {child.tag.split("}")[1]: child.text for child in props}


def _maven_flags(text: str) -> set[str]:
    return {flag for flag in re.findall(r"(-P\S+|-D[\w.]+=\S+)", text) if not flag.startswith("-DoutputDirectory")}


def test_compose_flink_jars_come_from_the_project_pom_like_make_jars():
    dockerfile = FLINK_DOCKERFILE.read_text()
    assert "COPY stack/jars/pom.xml /build/pom.xml" in dockerfile
    make_recipe = re.search(r"-Pflink dependency:copy-dependencies[^\n]*\n[^\n]*", (REPO / "Makefile").read_text())
    docker_recipe = re.search(r"-Pflink dependency:copy-dependencies[^\n]*\n[^\n]*", dockerfile)
    assert _maven_flags(docker_recipe.group(0)) == _maven_flags(make_recipe.group(0))
    # The Kafka connector is built for one Flink minor ("5.0.0-2.2"): the image must be that minor.
    connector_flink = _pom_properties()["flink.kafka.connector.version"].rsplit("-", 1)[1]
    assert _flink_version_arg().startswith(f"{connector_flink}.")


def test_compose_flink_image_compiles_the_jobs_java_code_like_make_jars():
    from stack.flink import JAVA_JAR

    dockerfile = FLINK_DOCKERFILE.read_text()
    assert "COPY flink_jobs/java /build/java" in dockerfile
    assert '-cp "/flink-lib/*:/connector-lib/*"' in dockerfile  # Flink's jars and the connector jars (PostgreSQL driver)
    assert "-C /build/java/resources ." in dockerfile  # the sink factory's service file
    assert f"/build/{JAVA_JAR.name} /opt/flink/lib/" in dockerfile
    makefile = (REPO / "Makefile").read_text()
    assert f"JAVA_JAR   := .jars/java/{JAVA_JAR.name}" in makefile
    assert "-C flink_jobs/java/resources ." in makefile


def test_compose_job_submitter_submits_every_flink_job(services):
    from stack.jobs import JOBS

    command = services["job-submitter"]["command"]
    assert command[0].endswith("submit-jobs.sh") and tuple(command[1:]) == JOBS
    assert all((REPO / "flink_jobs" / f"{job}.py").exists() for job in JOBS)


def test_compose_postgres_init_creates_the_roles_of_the_settings(services):
    script = POSTGRES_INIT.read_text()
    for field in ("database_url", "read_database_url"):
        url = urlsplit(services["read-api"]["environment"][f"CS_{field.upper()}"])
        assert f"CREATE ROLE {url.username} LOGIN PASSWORD '{url.password}';" in script
    writer = urlsplit(services["read-api"]["environment"]["CS_DATABASE_URL"])
    assert f"CREATE DATABASE {writer.path.lstrip('/')} OWNER {writer.username};" in script
    mounts = dict(m.split(":")[:2] for m in services["postgres"]["volumes"])
    assert mounts["./sql"] == "/carbon-sql" and "/carbon-sql/*.sql" in script
    assert mounts["./docker/postgres-init"] == "/docker-entrypoint-initdb.d"


def test_compose_depends_on_conditions_can_be_met(services):
    for name, service in services.items():
        for target, spec in service.get("depends_on", {}).items():
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health"
            elif spec["condition"] == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{name} waits for one-shot {target}"


def test_compose_dockerignore_admits_every_copied_path():
    allowed = {line.lstrip("!").rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    for dockerfile in (FLINK_DOCKERFILE, APP_DOCKERFILE):
        for sources in re.findall(r"^COPY (?!--from)(?:--\S+ )*(.+) \S+$", dockerfile.read_text(), re.M):
            for source in sources.split():
                admitted = source == "." or any(source == path or source.startswith(path + "/") for path in allowed)
                assert admitted, f"{dockerfile.name} copies {source}"
