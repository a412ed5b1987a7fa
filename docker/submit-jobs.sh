#!/usr/bin/env bash
# docker-compose's job-submitter: submit each Flink job named on the command line (a module of
# flink_jobs/), like `make submit`: skipped when the JobManager already runs it, so running
# `docker-compose up` again is harmless; then wait until it is RUNNING (fail after 120 s).
#
# A session cluster without HA forgets its jobs when the JobManager stops (`docker-compose down`
# or a restart). A fresh job would start from the committed Kafka offsets with empty state and
# overwrite the rollup rows with partial sums, so a job that ran before is resumed from its
# latest retained checkpoint instead. Job ids are recorded per job name in /flink-data/jobs;
# delete /flink-data/jobs/<job>.ids to start that job from scratch.
set -euo pipefail
cd /opt/carbon-stream
REST="${CS_FLINK_REST_URL:?CS_FLINK_REST_URL is not set}"
RECORDS=/flink-data/jobs
mkdir -p "$RECORDS"

# Prints "<state> <job id>" of the newest job called $1 on the JobManager, or "NONE -".
job_info() {
    python - "$REST" "$1" <<'PY'
import sys
import requests
rest, name = sys.argv[1:]
jobs = [j for j in requests.get(f"{rest}/jobs/overview", timeout=5).json()["jobs"] if j["name"] == name]
newest = max(jobs, key=lambda j: j["start-time"]) if jobs else {"state": "NONE", "jid": "-"}
print(newest["state"], newest["jid"])
PY
}

# Prints the newest completed checkpoint of any earlier run of job $1, or nothing.
latest_checkpoint() {
    [ -f "$RECORDS/$1.ids" ] || return 0
    local metadata=()
    while read -r id; do
        metadata+=(/flink-data/checkpoints/"$id"/chk-*/_metadata)
    done < "$RECORDS/$1.ids"
    # Unmatched globs stay literal and are dropped by ls; newest file first.
    ls -t "${metadata[@]}" 2>/dev/null | head -n 1 | sed 's|/_metadata$||' || true
}

for job in "$@"; do
    read -r state _ <<< "$(job_info "$job")"
    case "$state" in
        CREATED|INITIALIZING|RUNNING|RESTARTING|RECONCILING)
            echo "job $job already $state: not submitted"; continue ;;
    esac
    checkpoint="$(latest_checkpoint "$job")"
    echo "submitting $job to $REST${checkpoint:+ from checkpoint $checkpoint}"
    flink run -m "${REST#http://}" -d ${checkpoint:+-s "$checkpoint"} -py "flink_jobs/$job.py" \
        -pyexec /opt/venv/bin/python -pyclientexec /opt/venv/bin/python
    for _ in $(seq 60); do
        read -r state id <<< "$(job_info "$job")"
        if [ "$state" = RUNNING ]; then
            echo "$id" >> "$RECORDS/$job.ids"
            echo "job $job RUNNING ($id)"
            continue 2
        fi
        sleep 2
    done
    echo "job $job did not reach RUNNING within 120 s: see the jobmanager's logs" >&2
    exit 1
done
