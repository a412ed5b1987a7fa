"""The job's pure build steps on a local batch environment (no Kafka, no PostgreSQL): parsing and
validation by the job's Java functions (flink_jobs/java), against values computed here in Python and
the ingest API's own validation. (The rollups are PostgreSQL's: tests/flink_jobs/test_emission_apply.py.)"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from pyflink.common import Configuration
from pyflink.table import EnvironmentSettings, Table, TableEnvironment

from carbon_stream.events import EmissionEvent, event_time_problem
from carbon_stream.settings import Settings
from flink_jobs.emissions_rollup import build_checked_events, contract_call_sql, register_functions
from stack.flink import JAVA_JAR
from tests.utils.ground_truth import parse_rfc3339

KAFKA_TS = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def t_env() -> TableEnvironment:
    config = Configuration()
    config.set_string("taskmanager.memory.network.min", "256mb")
    config.set_string("taskmanager.memory.network.max", "256mb")
    env = TableEnvironment.create(EnvironmentSettings.new_instance().in_batch_mode().with_configuration(config).build())
    env.get_config().set("table.local-time-zone", "UTC")
    env.get_config().set("parallelism.default", "1")
    env.get_config().set("pipeline.jars", JAVA_JAR.as_uri())
    register_functions(env)
    return env


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _collect(table) -> list:
    with table.execute().collect() as rows:
        return list(rows)


def _raw_records(t_env: TableEnvironment, payloads: list[str]) -> Table:
    """A view shaped like the job's Kafka source: payload, coordinates (offset = index), timestamps."""
    values = ", ".join(
        f"({_sql_string(payload)}, 'emissions.v1', 0, CAST({i} AS BIGINT), "
        f"TO_TIMESTAMP_LTZ({int(KAFKA_TS.timestamp() * 1000)}, 3), TIMESTAMP '2026-11-23 12:00:00')"
        for i, payload in enumerate(payloads))
    return t_env.sql_query(
        f"SELECT * FROM (VALUES {values}) AS t(payload, kafka_topic, kafka_partition, kafka_offset, "
        f"kafka_timestamp, proc_time)")


def _occurred_at(t_env: TableEnvironment, texts: list[str]) -> dict[str, datetime | None]:
    payloads = [json.dumps({**VALID, "occurred_at": text}) for text in texts]
    wide_range = Settings(correction_horizon_days=3650, max_future_skew_s=86_400)  # the parse alone, not the range
    checked = build_checked_events(t_env, wide_range, _raw_records(t_env, payloads))
    rows = _collect(t_env.sql_query(f"SELECT kafka_offset, occurred_at FROM {checked}"))
    return {texts[offset]: occurred_at for offset, occurred_at in rows}


def test_occurred_at_parses_to_the_same_utc_instant_as_python(t_env: TableEnvironment) -> None:
    texts = ["2026-11-23T10:00:00Z", "2026-11-23T10:00:00.1+01:00", "2026-11-23T23:59:59.999-05:30",
             "2026-11-23T10:00:00.123456789Z", "2024-02-29T00:30:00+14:00", "2026-03-29T01:30:00.5+02:00",
             "2026-01-01T00:10:00+18:00", "2026-11-22T23:59:59.9999-00:30", "2026-11-23T10:00:00.000001+00:00"]
    parsed = _occurred_at(t_env, texts)
    for text in texts:
        assert parsed[text] == parse_rfc3339(text).replace(tzinfo=None), text


def test_occurred_at_that_is_not_an_rfc3339_instant_is_refused(t_env: TableEnvironment) -> None:
    texts = ["2026-02-30T10:00:00Z", "2026-11-23 10:00:00Z", "2026-11-23T10:00:00", "yesterday",
             "2026-11-23T25:00:00Z", "2026-11-23T10:00:00+0100", "2026-11-23T10:00:60Z", "2026-11-23T10:00:00+19:00",
             "2026-11-23T10:00:00+05:60", "2026-11-23T10:60:00Z", "2026-13-01T10:00:00Z", "2026-11-23T10:00:00.Z"]
    assert _occurred_at(t_env, texts) == {text: None for text in texts}


def test_event_time_is_occurred_at_of_an_accepted_record_else_the_kafka_timestamp(t_env: TableEnvironment) -> None:
    payloads = [json.dumps(VALID), json.dumps({**VALID, "scope": 7}), "not json"]
    view = _raw_records(t_env, payloads)
    rows = _collect(t_env.sql_query(
        f"SELECT {contract_call_sql('emission_event_time', Settings())} FROM {view} ORDER BY kafka_offset"))
    assert [row[0] for row in rows] == [datetime(2026, 11, 23, 11, 0), KAFKA_TS.replace(tzinfo=None),
                                        KAFKA_TS.replace(tzinfo=None)]


VALID = {"event_id": "0b6c8f5e-4a53-4c57-9a55-3b1f1c0c2f10", "org_id": "acme", "occurred_at": "2026-11-23T11:00:00Z",
         "co2e_kg": "12.5", "scope": 2, "category": "purchased_electricity"}
CASES = [
    (json.dumps(VALID), None),
    (json.dumps({**VALID, "co2e_kg": 12.5, "source": "meter", "attributes": {"site": "a"}}), None),
    ("not json", "payload:"),
    ("[1]", "payload:"),
    (json.dumps({k: v for k, v in VALID.items() if k != "event_id"}), "event_id:"),
    (json.dumps({**VALID, "event_id": "x"}), "event_id:"),
    (json.dumps({**VALID, "org_id": ""}), "org_id:"),
    (json.dumps({**VALID, "occurred_at": "2026-11-23T12:06:00Z"}), "occurred_at: is more than 300 s in the future"),
    (json.dumps({**VALID, "occurred_at": "2026-10-18T11:59:59Z"}), "occurred_at: is older than the correction horizon of 35 days"),
    (json.dumps({**VALID, "occurred_at": "2026-10-19T12:00:00Z"}), None),  # exactly at the horizon: accepted
    (json.dumps({**VALID, "co2e_kg": "-0.001"}), "co2e_kg: must be >= 0"),
    (json.dumps({**VALID, "co2e_kg": "NaN"}), "co2e_kg:"),
    (json.dumps({**VALID, "co2e_kg": "1000000000000"}), "co2e_kg: must be <= 999999999999.999999 kg"),
    (json.dumps({**VALID, "co2e_kg": "999999999999.999999"}), None),
    (json.dumps({**VALID, "co2e_kg": True}), "co2e_kg:"),
    (json.dumps({**VALID, "co2e_kg": "1e999999999"}), "co2e_kg:"),  # must not build a billion-digit number
    (json.dumps({**VALID, "co2e_kg": "-1e999999999"}), "co2e_kg:"),
    (json.dumps({**VALID, "co2e_kg": "1e-999999999"}), None),  # rounds to 0 kg, as the API rounds it
    (json.dumps({**VALID, "org_id": 123}), "org_id:"),
    (json.dumps({**VALID, "scope": "2"}), "scope:"),
    (json.dumps({**VALID, "scope": 2.0}), "scope:"),
    ('{"event_id": "x"} trailing', "payload:"),
    (json.dumps({**VALID, "attributes": {f"k{i}": "v" for i in range(21)}}), "attributes:"),
    (json.dumps({**VALID, "attributes": {"k": "v" * 257}}), "attributes:"),
    (json.dumps({**VALID, "attributes": {"": "v"}}), "attributes:"),
    (json.dumps({**VALID, "scope": 0}), "scope:"),
    (json.dumps({**VALID, "scope": "two"}), "scope:"),
    (json.dumps({**VALID, "category": "Bad-Slug"}), "category:"),
    (json.dumps({**VALID, "source": "s" * 129}), "source:"),
    (json.dumps({**VALID, "source": "meter\u0000"}), "source:"),  # PostgreSQL text cannot hold U+0000
    (json.dumps({**VALID, "attributes": {"k": "v\u0000"}}), "attributes:"),
    (json.dumps({**VALID, "attributes": {"k\u0000": "v"}}), "attributes:"),
    (json.dumps({**VALID, "attributes": "flat"}), "attributes:"),
    (json.dumps({**VALID, "attributes": [1]}), "attributes:"),
    (json.dumps({**VALID, "attributes": {"a": 1}}), "attributes:"),
    (json.dumps({**VALID, "attributes": {"a": "x", "b": 'y "q" z'}}), None),
    (json.dumps({**VALID, "attributes": None}), None),
]


def test_validation_reasons_match_the_event_contract(t_env: TableEnvironment) -> None:
    checked = build_checked_events(t_env, Settings(), _raw_records(t_env, [payload for payload, _ in CASES]))
    reasons = dict(_collect(t_env.sql_query(f"SELECT kafka_offset, reason FROM {checked}")))
    for offset, (payload, expected) in enumerate(CASES):
        if expected is None:
            assert reasons[offset] is None, payload
        else:
            assert reasons[offset] is not None and reasons[offset].startswith(expected), (payload, reasons[offset])


def test_the_job_accepts_exactly_what_the_ingest_api_accepts(t_env: TableEnvironment) -> None:
    """Every case through the API's own model: accepted by one iff accepted by the other."""
    checked = build_checked_events(t_env, Settings(), _raw_records(t_env, [payload for payload, _ in CASES]))
    reasons = dict(_collect(t_env.sql_query(f"SELECT kafka_offset, reason FROM {checked}")))
    for offset, (payload, _) in enumerate(CASES):
        assert (reasons[offset] is None) == _api_accepts(payload), (payload, reasons[offset])


def _api_accepts(payload: str) -> bool:
    """The API's verdict on a wire record (where event_id is required: the API fills it in before publishing)."""
    try:
        event = EmissionEvent.model_validate_json(payload)
    except ValueError:
        return False
    if "event_id" not in json.loads(payload):
        return False
    return event_time_problem(event.occurred_at, KAFKA_TS, 35, 300) is None
