"""emissions_rollup — validate emission events and apply them to PostgreSQL exactly once (Kafka → PostgreSQL).

Reads ``emissions.v1`` as raw strings and, per record:

1. **Validates** it with the job's Java table function ``parse_emission`` (flink_jobs/java: the JSON
   parsed once, the ingest API's rules with constants passed in from ``carbon_stream.events``).
   A refused record goes to ``emission_dead_letter`` and topic ``emissions.deadletter.v1`` with the
   raw payload, the reason (``"<field>: <why>"``) and its Kafka coordinates. The job never stops
   for bad data.
2. **Assigns event time and lateness**: ``watermark_at`` = max occurred_at seen so far on the event's
   Kafka partition − the out-of-orderness bound, an OVER aggregate in arrival order; the event is
   *late* iff ``occurred_at < watermark_at``.
3. **Applies** each accepted event through the sink ``postgres_apply_sink``: every flush (1 s, at
   most 100,000 events, and at each checkpoint) is COPYed into a staging table and
   ``emission_apply_staged()`` (sql/005_emission_apply.sql) runs in the same transaction:

   - it **stores** the events whose ``event_id`` is not in ``emission_event`` yet (the primary key is
     the **deduplication**: a retried POST, a re-sent copy or a replayed record is skipped, however
     late it comes, with no state kept in the job);
   - it **rolls up** exactly those events per (org_id, scope, category) and UTC minute, hour, day and
     calendar month: ``event_count`` + n, ``co2e_kg_sum`` + Σ co2e_kg [kg CO2e, exact NUMERIC],
     ``co2e_kg_min`` / ``co2e_kg_max`` kept (LEAST / GREATEST), windows ``date_trunc(grain, occurred_at)``
     in UTC, upserted in place;
   - it **logs** the late ones in ``emission_late_event`` (how late, which rows they corrected).

   Each flush is split by org_id over ``event_sink_connections`` connections (2), one transaction
   each, so two PostgreSQL backends work at once and an org's rows are only ever written by one.

Late data mechanism: a late event is one more change to rows that already exist, so it is added to
them in place whenever it arrives: every accepted event is counted exactly once, however late (events
older than the correction horizon are refused by the ingest API and dead-lettered here).
``CURRENT_WATERMARK`` is not used for lateness: it depends on how partitions interleave, so a replay
could judge an event differently; the OVER aggregate's value is deterministic. The source declares
the same watermark (with an idle-partition timeout) for the dashboard.

Exactly-once on failure: Kafka offsets and the OVER aggregate's state are checkpointed together, and
a checkpoint waits for the sink's flushes. After a failure the job replays from its last checkpoint;
the replayed events are already in ``emission_event`` (their flush committed) or not (it rolled back
with everything it added), so each is stored and counted once. Dead letters are upserts on their
Kafka coordinates: a replay rewrites the same rows. Resuming an older savepoint is exact for the same
reason.
"""
from __future__ import annotations

from pyflink.table import DataTypes, EnvironmentSettings, Schema, Table, TableEnvironment

from carbon_stream.events import CATEGORY_PATTERN, CO2E_KG_MAX, ORG_ID_PATTERN, UUID_PATTERN
from carbon_stream.settings import Settings, get_settings
from carbon_stream.topics import EMISSIONS, EMISSIONS_DEAD_LETTER
from flink_jobs.connectors import (configure_streaming, kafka_json_sink, kafka_source, postgres_apply_sink,
                                   postgres_upsert_sink)

JOB_NAME = "emissions_rollup"
INPUT_TOPICS = (EMISSIONS.name,)
GRAINS = ("minute", "hour", "day", "month")
# The PostgreSQL function that applies each flush of accepted events (sql/005_emission_apply.sql)
APPLY_FUNCTION = "emission_apply_staged"
# The PostgreSQL tables this job writes (and `make rebuild` empties before replaying INPUT_TOPICS)
OUTPUT_TABLES = ("emission_event", *(f"emission_rollup_{grain}" for grain in GRAINS), "emission_late_event",
                 "emission_dead_letter")
# The job's Java functions (flink_jobs/java, built into .jars/java by `make jars`)
FUNCTIONS = {"parse_emission": "carbonstream.udf.ParseEmission",
             "emission_event_time": "carbonstream.udf.EmissionEventTime"}


def contract_call_sql(function: str, settings: Settings) -> str:
    """SQL call of one of the job's Java functions on the raw record (``payload``, ``kafka_timestamp``).

    ``parse_emission`` (a table function: one row per record, the JSON parsed once) checks the record
    against the event contract (flink_jobs/java/.../EmissionContract.java); its row is
    (event_id, org_id, occurred_at, co2e_kg, scope, category, source, attributes, reason, event_time),
    ``reason`` NULL for an accepted record, else ``"<field>: <why>"``. ``emission_event_time`` gives the
    row's ``event_time`` alone, for the source's watermark. The rules' constants come from
    ``carbon_stream.events`` and the settings, so the API and the job share one definition.
    """
    def literal(text: object) -> str:
        return "'" + str(text).replace("'", "''") + "'"

    return (f"{function}(payload, kafka_timestamp, {settings.correction_horizon_days}, "
            f"{settings.max_future_skew_s}, {literal(CO2E_KG_MAX)}, {literal(UUID_PATTERN)}, "
            f"{literal(ORG_ID_PATTERN)}, {literal(CATEGORY_PATTERN)})")


def register_functions(t_env: TableEnvironment) -> None:
    for name, java_class in FUNCTIONS.items():
        t_env.create_java_temporary_system_function(name, java_class)


def source_schema(settings: Settings) -> Schema:
    """Raw value, Kafka coordinates, and event time with a bounded-out-of-orderness watermark.

    ``event_time`` is occurred_at of an accepted record, else the Kafka timestamp, so a malformed
    record can neither stop the job nor drag the watermark.
    """
    return (
        Schema.new_builder()
        .column("payload", DataTypes.STRING())
        .column_by_metadata("kafka_topic", DataTypes.STRING(), "topic", True)
        .column_by_metadata("kafka_partition", DataTypes.INT(), "partition", True)
        .column_by_metadata("kafka_offset", DataTypes.BIGINT(), "offset", True)
        .column_by_metadata("kafka_timestamp", DataTypes.TIMESTAMP_LTZ(3), "timestamp", True)
        .column_by_expression("proc_time", "PROCTIME()")
        .column_by_expression("event_time", contract_call_sql("emission_event_time", settings))
        .watermark("event_time", f"event_time - INTERVAL '{settings.watermark_out_of_orderness_s}' SECOND")
        .build()
    )


def build_checked_events(t_env: TableEnvironment, settings: Settings, source: str) -> Table:
    """Every record with its parsed fields and ``reason`` (NULL when the record is valid): the table
    function's output as it is (a projection here would copy each record's strings, payload included)."""
    return t_env.sql_query(f"""
        SELECT * FROM {source}, LATERAL TABLE({contract_call_sql("parse_emission", settings)})""")


def build_accepted_events(t_env: TableEnvironment, settings: Settings, checked: Table) -> Table:
    """Valid events (every copy: PostgreSQL's key on event_id keeps the first), each with its partition's
    watermark, as the columns of ``emission_event``.

    ``watermark_at`` = max(occurred_at) over the partition's valid events up to this one − the
    out-of-orderness bound [s]; the event is late iff ``occurred_at < watermark_at``.
    """
    return t_env.sql_query(f"""
        SELECT event_id, org_id, occurred_at, co2e_kg, `scope`, category, source, attributes, kafka_partition,
               kafka_offset, CAST(kafka_timestamp AS TIMESTAMP(3)) AS kafka_timestamp,
               TIMESTAMPADD(SECOND, -{settings.watermark_out_of_orderness_s}, MAX(occurred_at) OVER (
                   PARTITION BY kafka_partition ORDER BY proc_time
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS watermark_at
        FROM {checked} WHERE reason IS NULL""")


def build_dead_letters(t_env: TableEnvironment, checked: Table) -> Table:
    return t_env.sql_query(f"""
        SELECT kafka_topic, kafka_partition, kafka_offset, CAST(kafka_timestamp AS TIMESTAMP(3)) AS kafka_timestamp,
               payload AS raw_payload, reason
        FROM {checked} WHERE reason IS NOT NULL""")


def _sink_schemas() -> dict[str, Schema]:
    ts, kg = DataTypes.TIMESTAMP(3), DataTypes.DECIMAL(18, 6)
    event = (  # emission_event's columns, as staged for emission_apply_staged()
        Schema.new_builder()
        .column("event_id", DataTypes.STRING().not_null()).column("org_id", DataTypes.STRING())
        .column("occurred_at", ts).column("co2e_kg", kg).column("scope", DataTypes.SMALLINT())
        .column("category", DataTypes.STRING()).column("source", DataTypes.STRING())
        .column("attributes", DataTypes.STRING()).column("kafka_partition", DataTypes.INT())
        .column("kafka_offset", DataTypes.BIGINT()).column("kafka_timestamp", ts).column("watermark_at", ts)
        .build()
    )
    dead_letter = (
        Schema.new_builder()
        .column("kafka_topic", DataTypes.STRING().not_null()).column("kafka_partition", DataTypes.INT().not_null())
        .column("kafka_offset", DataTypes.BIGINT().not_null()).column("kafka_timestamp", ts)
        .column("raw_payload", DataTypes.STRING()).column("reason", DataTypes.STRING())
    )
    return {
        "event": event, "dead_letter_topic": dead_letter.build(),
        "dead_letter_table": dead_letter.primary_key("kafka_topic", "kafka_partition", "kafka_offset").build(),
    }


def register_tables(t_env: TableEnvironment, settings: Settings) -> None:
    """Functions, source and sinks; sink table names are the PostgreSQL tables of sql/001_emission_tables.sql."""
    register_functions(t_env)
    t_env.create_temporary_table(
        "emission_raw", kafka_source(settings, EMISSIONS.name, JOB_NAME, source_schema(settings)))
    schemas = _sink_schemas()
    t_env.create_temporary_table("emission_event", postgres_apply_sink(
        settings, "emission_event", schemas["event"], function=APPLY_FUNCTION, partition_column="org_id",
        connections=settings.event_sink_connections))
    # Dead letters are each written once, keyed by their Kafka coordinates
    t_env.create_temporary_table("emission_dead_letter", postgres_upsert_sink(
        settings, "emission_dead_letter", schemas["dead_letter_table"], insert_first=True))
    t_env.create_temporary_table("emission_dead_letter_topic", kafka_json_sink(
        settings, EMISSIONS_DEAD_LETTER.name, schemas["dead_letter_topic"]))


def main() -> None:
    settings = get_settings()
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    configure_streaming(t_env, settings, JOB_NAME)
    register_tables(t_env, settings)
    checked = build_checked_events(t_env, settings, "emission_raw")
    accepted = build_accepted_events(t_env, settings, checked)
    dead_letters = build_dead_letters(t_env, checked)
    statements = t_env.create_statement_set()
    statements.add_insert("emission_event", accepted)
    statements.add_insert("emission_dead_letter", dead_letters)
    statements.add_insert("emission_dead_letter_topic", dead_letters)
    statements.execute()


if __name__ == "__main__":
    main()
