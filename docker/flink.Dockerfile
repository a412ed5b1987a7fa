# Image of the jobmanager, taskmanager and job-submitter services: Flink with PyFlink, the pinned
# connector jars and the job code. Build context: the repository root (see .dockerignore).
# FLINK_VERSION must equal apache-flink in requirements.in/.lock (the pip step below enforces it).
ARG FLINK_VERSION=2.2.1

# Same pom and Maven flags as `make jars`, so Docker runs exactly the local connector versions.
FROM maven:3.9-eclipse-temurin-17 AS jars
COPY stack/jars/pom.xml /build/pom.xml
RUN mvn -q -B -f /build/pom.xml -Pflink dependency:copy-dependencies \
        -DexcludeTransitive=true -DoutputDirectory=/build/flink

# The jobs' Java functions and PostgreSQL sink (flink_jobs/java), compiled against this Flink's own
# jars and the connector jars, as `make jars` does.
FROM flink:${FLINK_VERSION}-java17 AS flink-dist
FROM maven:3.9-eclipse-temurin-17 AS java
COPY --from=flink-dist /opt/flink/lib /flink-lib
COPY --from=jars /build/flink /connector-lib
COPY flink_jobs/java /build/java
RUN mkdir -p /build/classes \
 && javac --release 17 -nowarn -d /build/classes -cp "/flink-lib/*:/connector-lib/*" $(find /build/java/src -name '*.java') \
 && jar --create --file /build/carbon-stream-flink.jar -C /build/classes . -C /build/java/resources .

FROM flink:${FLINK_VERSION}-java17
ARG FLINK_VERSION
USER root
# Ubuntu 24.04's Python 3.12 (the app image and .venv use 3.11; each compiled package installed
# here has a cp312 wheel at its requirements.lock pin), in a virtualenv as the system Python refuses pip
# installs (PEP 668). The job is SQL only: the client needs PyFlink and the settings/event
# modules, not the whole requirements.in.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
        "apache-flink==${FLINK_VERSION}" pydantic-settings -c /tmp/requirements.lock
COPY --from=jars --chown=flink:flink /build/flink/*.jar /opt/flink/lib/
COPY --from=java --chown=flink:flink /build/carbon-stream-flink.jar /opt/flink/lib/
# Checkpoints and savepoints live on a named volume shared by jobmanager and taskmanager; creating
# the folder here gives the empty volume the flink user as owner on first mount.
RUN mkdir -p /flink-data/checkpoints /flink-data/savepoints /flink-data/jobs \
 && chown -R flink:flink /flink-data
COPY --chown=flink:flink carbon_stream /opt/carbon-stream/carbon_stream
COPY --chown=flink:flink flink_jobs /opt/carbon-stream/flink_jobs
COPY --chown=flink:flink docker/submit-jobs.sh /opt/carbon-stream/submit-jobs.sh
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/opt/carbon-stream TZ=UTC
USER flink
