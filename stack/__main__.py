"""``python -m stack COMMAND [--profile dev|test]`` — see ``--help`` and the README's Make targets."""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys

from stack import flink, jobs, kafka, postgres, services
from stack.profile import Profile, get_profile

log = logging.getLogger("stack")


def up(profile: Profile, args: argparse.Namespace) -> None:
    """Start every component in dependency order, apply the schema, submit the jobs, start producing."""
    if not profile.external_database_url:
        postgres.install()
        postgres.start(profile)
    postgres.apply_schema(profile.database_url)
    kafka.start(profile)
    flink.start(profile)
    if not args.no_jobs:
        for name in jobs.JOBS:
            jobs.start_or_restore(profile, name)
    for service in services.services(profile, args.rate):
        if service.name == "demo-producer" and args.no_producer:
            continue
        services.start(profile, service)
    _print_where(profile)


def _print_where(profile: Profile) -> None:
    print(f"""
Carbon Stream ({profile.name}) is up:
  Ingest API     http://localhost:{profile.ingest_port}/docs   (POST /v1/emissions)
  Read API       http://localhost:{profile.read_port}/docs     (GET /v1/orgs/{{org_id}}/emissions)
  Flink          http://localhost:{profile.flink_rest_port}            (dashboard + REST)
  Kafka          localhost:{profile.kafka_port}
  PostgreSQL     {profile.database_url}   (make psql)
  Logs           {profile.root}/logs, {profile.root}/flink/log
  Status         make status        Stop: make down""")


def down(profile: Profile, _: argparse.Namespace) -> None:
    for service in reversed(services.services(profile)):
        services.stop(profile, service)
    _stop_jobs_with_savepoints(profile)
    flink.stop(profile)
    kafka.stop(profile)
    if not profile.external_database_url:
        postgres.stop(profile)


def _stop_jobs_with_savepoints(profile: Profile) -> None:
    """Savepoint every running job so the next ``up`` resumes it exactly where it stopped."""
    try:
        running = [j["name"] for j in jobs.list_jobs(profile) if j["state"] == "RUNNING"]
    except Exception:  # JobManager already down: its retained checkpoints are used instead
        return
    for name in running:
        try:
            jobs.stop_with_savepoint(profile, name)
        except (RuntimeError, TimeoutError) as error:
            log.warning("!! no savepoint for %s (%s): the next start uses its last checkpoint", name, error)


def clean(profile: Profile, args: argparse.Namespace) -> None:
    down(profile, args)
    if profile.root.exists():
        log.info("==> deleting %s", profile.root)
        shutil.rmtree(profile.root)


def status(profile: Profile, args: argparse.Namespace) -> None:
    rows = [postgres.status(profile), kafka.status(profile), *flink.status(profile),
            *(services.status(profile, s) for s in services.services(profile))]
    try:
        job_rows = jobs.list_jobs(profile)
    except Exception as error:  # the JobManager is down: say so instead of failing
        job_rows = [{"name": "(Flink REST unreachable)", "state": type(error).__name__}]
    if args.json:
        print(json.dumps({"components": rows, "jobs": job_rows}, indent=2))
        return
    print(f"{'COMPONENT':20} {'STATE':6} {'PID':>14} PORT")
    for row in rows:
        print(f"{row['component']:20} {'up' if row['up'] else 'down':6} {str(row['pid'] or '-'):>14} {row['port'] or '-'}")
    print(f"\n{'JOB':20} {'STATE':12} {'UPTIME_S':>9} {'CHECKPOINT_AGE_S':>17} ID")
    for job in job_rows:
        print(f"{job['name']:20} {job['state']:12} {job.get('uptime_s', '-')!s:>9} "
              f"{job.get('last_checkpoint_age_s') or '-'!s:>17} {job.get('id', '')}")


def job_command(profile: Profile, args: argparse.Namespace) -> None:
    if args.action == "list":
        print(json.dumps(jobs.list_jobs(profile), indent=2))
    elif args.action == "submit":
        jobs.start_or_restore(profile, args.job)
    elif args.action == "cancel":
        jobs.cancel(profile, args.job)
    elif args.action == "savepoint":
        print(jobs.stop_with_savepoint(profile, args.job))
    elif args.action == "resume":
        jobs.resume(profile, args.job)
    elif args.action == "rebuild":
        jobs.rebuild(profile, args.job)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    parser.add_argument("--profile", default="dev", help="dev (make up) or test (make test)")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="install what is missing and start everything")
    up_parser.add_argument("--no-producer", action="store_true", help="do not start the demo producer")
    up_parser.add_argument("--no-jobs", action="store_true", help="do not submit the Flink jobs")
    up_parser.add_argument("--rate", type=float, default=20.0, help="demo events per second")
    commands.add_parser("down", help="stop everything (data kept)")
    commands.add_parser("database-url", help="print the writer's PostgreSQL URL")
    commands.add_parser("clean", help="stop everything and delete the profile's data")
    status_parser = commands.add_parser("status", help="components and Flink jobs")
    status_parser.add_argument("--json", action="store_true")
    job_parser = commands.add_parser("jobs", help="manage Flink jobs")
    job_parser.add_argument("action", choices=["list", "submit", "cancel", "savepoint", "resume", "rebuild"])
    job_parser.add_argument("job", nargs="?", default=jobs.JOBS[0], help=f"one of {', '.join(jobs.JOBS)}")
    args = parser.parse_args()
    profile = get_profile(args.profile)
    handler = {"up": up, "down": down, "clean": clean, "status": status, "jobs": job_command,
               "database-url": lambda p, _: print(p.database_url)}[args.command]
    try:
        handler(profile, args)
    except (RuntimeError, TimeoutError) as error:
        log.error("!! %s", error)
        sys.exit(1)


if __name__ == "__main__":
    main()
