"""emissions_rollup — validate, deduplicate and roll up emission events (Kafka → PostgreSQL).

Reads ``emissions.v1`` as raw strings and, per record:

1. **Validates** it with the job's Java table function ``parse_emission`` (flink_jobs/java: the JSON
   parsed once, the ingest API's rules with constants passed in from ``carbon_stream.events``).
   A refused record goes to ``emission_dead_letter`` and topic ``emissions.deadletter.v1`` with the
   raw payload, the reason (``"<field>: <why>"``) and its Kafka coordinates. The job never stops
   for bad data.
2. **Deduplicates** on ``event_id`` (keep the first copy, processing-time ROW_NUMBER), with state
   kept for the correction horizon + 1 day (``table.exec.state.ttl``).
3. **Stores** each accepted event once in ``emission_event`` (COPYed straight in; written as an upsert
   on ``event_id`` only when a replay after a restore meets rows already there).
4. **Rolls up** per (org_id, scope, category) and UTC minute, hour, day and calendar month:
   ``event_count``, ``co2e_kg_sum`` = Σ co2e_kg [kg CO2e, exact NUMERIC], ``co2e_kg_min``,
   ``co2e_kg_max``. The job keeps no aggregate state: each event is a change to its four rows, and
   the rollup sinks (``postgres_delta_sink``) merge each flush's changes per row in memory and add
   them to PostgreSQL (``event_count = event_count + n``, sums added, ``LEAST``/``GREATEST``).

Late data mechanism: a late event is one more change to rows that already exist, so it is added to
them in place whenever it arrives: every accepted event is counted exactly once, however late (events
older than the correction horizon are refused by the ingest API and dead-lettered here, so
deduplication state, kept for the horizon, covers every event that can still arrive).

Lateness: the source declares event time ``occurred_at`` with a bounded-out-of-orderness watermark
and an idle-partition timeout (the dashboard shows its progress). Whether an event is *late* is
decided by the same rule per Kafka partition inside the job — ``watermark_at`` = max occurred_at
seen so far on the event's partition − out-of-orderness; late iff ``occurred_at < watermark_at`` —
computed as an OVER aggregate so it is deterministic on replay (``CURRENT_WATERMARK`` is not:
it depends on partition interleaving, and with mini-batching it sees processing-time batch
markers). Late events are written to ``emission_late_event`` with how late they were and the keys
of the rows they corrected.

Exactly-once on failure: Kafka offsets and the operator state (dedup, the OVER aggregate, each
delta sink's last flush number) are checkpointed together. Raw events, late events and dead letters
are upserts: a replay rewrites the same rows. The rollups' additions are not idempotent, so each
flush is also recorded in ``copy_sink_ledger`` in the same transaction; a restored job first
subtracts the flushes its checkpoint does not cover (their events are replayed), and a completed
checkpoint deletes the flushes it covers (flink_jobs/java/.../DeltaLedger.java).
"""
from __future__ import annotations

from pyflink.table import DataTypes, EnvironmentSettings, Schema, Table, TableEnvironment

from carbon_stream.events import CATEGORY_PATTERN, CO2E_KG_MAX, ORG_ID_PATTERN, UUID_PATTERN
from carbon_stream.settings import Settings, get_settings
from carbon_stream.topics import EMISSIONS, EMISSIONS_DEAD_LETTER
from flink_jobs.connectors import (configure_streaming, kafka_json_sink, kafka_source, postgres_delta_sink,
                                   postgres_upsert_sink)

JOB_NAME = "emissions_rollup"
INPUT_TOPICS = (EMISSIONS.name,)
GRAINS = {
    "minute": "TIMESTAMPADD(MINUTE, 1, window_start)",
    "hour": "TIMESTAMPADD(HOUR, 1, window_start)",
    "day": "TIMESTAMPADD(DAY, 1, window_start)",
    "month": "TIMESTAMPADD(MONTH, 1, window_start)",
}
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
    """Valid events, first copy per event_id (append-only), each with its partition's watermark.

    ``watermark_at`` = max(occurred_at) over the partition's valid events up to this one − the
    out-of-orderness bound [s]; the event is late iff ``occurred_at < watermark_at``.
    """
    # Only the accepted event's columns cross the exchange to the OVER aggregate (not the raw payload)
    with_watermark = t_env.sql_query(f"""
        SELECT event_id, org_id, occurred_at, co2e_kg, `scope`, category, source, attributes, kafka_partition,
               kafka_offset, CAST(kafka_timestamp AS TIMESTAMP(3)) AS kafka_ts, proc_time,
               TIMESTAMPADD(SECOND, -{settings.watermark_out_of_orderness_s}, MAX(occurred_at) OVER (
                   PARTITION BY kafka_partition ORDER BY proc_time
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS watermark_at
        FROM {checked} WHERE reason IS NULL""")
    # proc_time stays in the result: without it the plan gets a projection after the dedup, whose
    # generated code copies every string field of every event (the same holds for `checked`)
    return t_env.sql_query(f"""
        SELECT event_id, org_id, occurred_at, co2e_kg, `scope`, category, source, attributes, kafka_partition, kafka_offset, kafka_ts, proc_time, watermark_at
        FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY proc_time ASC) AS copy_no
            FROM {with_watermark})
        WHERE copy_no = 1""")


def build_dead_letters(t_env: TableEnvironment, checked: Table) -> Table:
    return t_env.sql_query(f"""
        SELECT kafka_topic, kafka_partition, kafka_offset, CAST(kafka_timestamp AS TIMESTAMP(3)) AS kafka_timestamp,
               payload AS raw_payload, reason
        FROM {checked} WHERE reason IS NOT NULL""")


def build_rollup(t_env: TableEnvironment, accepted: Table, grain: str) -> Table:
    """Each accepted event as its change to the (org_id, scope, category, UTC ``grain`` start) row:
    one event, its kg CO2e as sum, min and max. The delta sink adds them up (see register_tables)."""
    return t_env.sql_query(f"""
        SELECT org_id, `scope`, category, window_start, {GRAINS[grain]} AS window_end,
               CAST(1 AS BIGINT) AS event_count, co2e_kg AS co2e_kg_sum, co2e_kg AS co2e_kg_min,
               co2e_kg AS co2e_kg_max
        FROM (SELECT *, FLOOR(occurred_at TO {grain.upper()}) AS window_start FROM {accepted})""")


def build_late_events(t_env: TableEnvironment, accepted: Table) -> Table:
    """Accepted events behind their partition's watermark when they arrived, with the rows they corrected."""
    return t_env.sql_query(f"""
        SELECT event_id, org_id, `scope`, category, occurred_at, co2e_kg, watermark_at,
               {_epoch_ms_sql("watermark_at")} - {_epoch_ms_sql("occurred_at")} AS lateness_ms,
               FLOOR(occurred_at TO MINUTE) AS minute_start, FLOOR(occurred_at TO HOUR) AS hour_start,
               FLOOR(occurred_at TO DAY) AS day_start, FLOOR(occurred_at TO MONTH) AS month_start,
               kafka_partition, kafka_offset
        FROM {accepted}
        WHERE occurred_at < watermark_at""")


def _epoch_ms_sql(column: str) -> str:
    """Milliseconds since 1970-01-01 UTC of a TIMESTAMP(3) column (whole seconds + milliseconds)."""
    return (f"(CAST(TIMESTAMPDIFF(SECOND, TIMESTAMP '1970-01-01 00:00:00', {column}) AS BIGINT) * 1000"
            f" + EXTRACT(MILLISECOND FROM {column}))")


def _sink_schemas() -> dict[str, Schema]:
    ts, kg = DataTypes.TIMESTAMP(3), DataTypes.DECIMAL(18, 6)
    rollup = (
        Schema.new_builder()
        .column("org_id", DataTypes.STRING().not_null()).column("scope", DataTypes.SMALLINT().not_null())
        .column("category", DataTypes.STRING().not_null()).column("window_start", ts.not_null())
        .column("window_end", ts).column("event_count", DataTypes.BIGINT()).column("co2e_kg_sum", kg)
        .column("co2e_kg_min", kg).column("co2e_kg_max", kg)
        .primary_key("org_id", "scope", "category", "window_start").build()
    )
    event = (
        Schema.new_builder()
        .column("event_id", DataTypes.STRING().not_null()).column("org_id", DataTypes.STRING())
        .column("occurred_at", ts).column("co2e_kg", kg).column("scope", DataTypes.SMALLINT())
        .column("category", DataTypes.STRING()).column("source", DataTypes.STRING())
        .column("attributes", DataTypes.STRING()).column("kafka_partition", DataTypes.INT())
        .column("kafka_offset", DataTypes.BIGINT()).column("kafka_timestamp", ts)
        .primary_key("event_id").build()
    )
    late = (
        Schema.new_builder()
        .column("event_id", DataTypes.STRING().not_null()).column("org_id", DataTypes.STRING())
        .column("scope", DataTypes.SMALLINT()).column("category", DataTypes.STRING())
        .column("occurred_at", ts).column("co2e_kg", kg).column("watermark_at", ts)
        .column("lateness_ms", DataTypes.BIGINT()).column("minute_start", ts).column("hour_start", ts)
        .column("day_start", ts).column("month_start", ts).column("kafka_partition", DataTypes.INT())
        .column("kafka_offset", DataTypes.BIGINT()).primary_key("event_id").build()
    )
    dead_letter_columns = (
        Schema.new_builder()
        .column("kafka_topic", DataTypes.STRING().not_null()).column("kafka_partition", DataTypes.INT().not_null())
        .column("kafka_offset", DataTypes.BIGINT().not_null()).column("kafka_timestamp", ts)
        .column("raw_payload", DataTypes.STRING()).column("reason", DataTypes.STRING())
    )
    return {
        "rollup": rollup, "event": event, "late": late,
        "dead_letter_table": dead_letter_columns.primary_key("kafka_topic", "kafka_partition", "kafka_offset").build(),
    }


def register_tables(t_env: TableEnvironment, settings: Settings) -> None:
    """Function, source and sinks; sink table names are the PostgreSQL tables of sql/001_emission_tables.sql."""
    register_functions(t_env)
    t_env.create_temporary_table(
        "emission_raw", kafka_source(settings, EMISSIONS.name, JOB_NAME, source_schema(settings)))
    schemas = _sink_schemas()
    for grain in GRAINS:
        table = f"emission_rollup_{grain}"
        flush_s = 1.0 if grain == "minute" else settings.coarse_rollup_flush_s
        t_env.create_temporary_table(table, postgres_delta_sink(
            settings, table, schemas["rollup"], sums=("event_count", "co2e_kg_sum"), mins=("co2e_kg_min",),
            maxes=("co2e_kg_max",), flush_interval_s=flush_s))
    # Raw events, late events and dead letters are each written once (keyed by event id or Kafka offset)
    for table, schema in (("emission_event", "event"), ("emission_late_event", "late"),
                          ("emission_dead_letter", "dead_letter_table")):
        t_env.create_temporary_table(
            table, postgres_upsert_sink(settings, table, schemas[schema], insert_first=True))
    dead_letter_topic_schema = (
        Schema.new_builder().column("kafka_topic", DataTypes.STRING()).column("kafka_partition", DataTypes.INT())
        .column("kafka_offset", DataTypes.BIGINT()).column("kafka_timestamp", DataTypes.TIMESTAMP(3))
        .column("raw_payload", DataTypes.STRING()).column("reason", DataTypes.STRING()).build()
    )
    t_env.create_temporary_table(
        "emission_dead_letter_topic", kafka_json_sink(settings, EMISSIONS_DEAD_LETTER.name, dead_letter_topic_schema))


def main() -> None:
    settings = get_settings()
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    configure_streaming(t_env, settings, JOB_NAME)
    register_tables(t_env, settings)
    checked = build_checked_events(t_env, settings, "emission_raw")
    accepted = build_accepted_events(t_env, settings, checked)
    dead_letters = build_dead_letters(t_env, checked)
    statements = t_env.create_statement_set()
    for grain in GRAINS:
        statements.add_insert(f"emission_rollup_{grain}", build_rollup(t_env, accepted, grain))
    statements.add_insert("emission_event", t_env.sql_query(f"""
        SELECT event_id, org_id, occurred_at, co2e_kg, `scope`, category, source, attributes,
               kafka_partition, kafka_offset, kafka_ts AS kafka_timestamp
        FROM {accepted}"""))
    statements.add_insert("emission_late_event", build_late_events(t_env, accepted))
    statements.add_insert("emission_dead_letter", dead_letters)
    statements.add_insert("emission_dead_letter_topic", dead_letters)
    statements.execute()


if __name__ == "__main__":
    main()
