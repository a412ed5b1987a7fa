#!/usr/bin/env bash
# docker-compose's job-submitter: submit each Flink job named on the command line (a module of
# flink_jobs/), like `make submit`: skipped when the JobManager already runs it, so running
# `docker-compose up` again is harmless; then wait until it is RUNNING (fail after 120 s).
set -euo pipefail
cd /opt/carbon-stream
REST="${CS_FLINK_REST_URL:?CS_FLINK_REST_URL is not set}"

# Prints the state of the newest job called $1 on the JobManager, or NONE.
job_state() {
    python - "$REST" "$1" <<'PY'
import sys
import requests
rest, name = sys.argv[1:]
jobs = [j for j in requests.get(f"{rest}/jobs/overview", timeout=5).json()["jobs"] if j["name"] == name]
print(max(jobs, key=lambda j: j["start-time"])["state"] if jobs else "NONE")
PY
}

for job in "$@"; do
    state="$(job_state "$job")"
    case "$state" in
        CREATED|INITIALIZING|RUNNING|RESTARTING|RECONCILING)
            echo "job $job already $state: not submitted"; continue ;;
    esac
    echo "submitting $job to $REST"
    flink run -m "${REST#http://}" -d -py "flink_jobs/$job.py" \
        -pyexec /opt/venv/bin/python -pyclientexec /opt/venv/bin/python
    for _ in $(seq 60); do
        [ "$(job_state "$job")" = RUNNING ] && { echo "job $job RUNNING"; continue 2; }
        sleep 2
    done
    echo "job $job did not reach RUNNING within 120 s: see the jobmanager's logs" >&2
    exit 1
done
