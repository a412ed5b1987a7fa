-- The delta sinks' ledger (flink_jobs/java/.../DeltaLedger.java): each flush of a delta sink (the
-- emissions_rollup rollups) is added to its table and recorded here in one transaction. After a
-- failure the restored writer subtracts the flushes its checkpoint does not cover (the job replays
-- their events); a completed checkpoint deletes the flushes it covers. Idempotent.

CREATE TABLE IF NOT EXISTS copy_sink_ledger (
    table_name  text        NOT NULL,
    subtask     integer     NOT NULL,
    flush_seq   bigint      NOT NULL,
    delta_lines text        NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, subtask, flush_seq)
);
COMMENT ON TABLE copy_sink_ledger IS
    'Flushes of delta sinks not yet covered by a completed Flink checkpoint: what a restore takes back before the replay';
COMMENT ON COLUMN copy_sink_ledger.table_name IS 'The table the flush was added to, e.g. emission_rollup_minute';
COMMENT ON COLUMN copy_sink_ledger.subtask IS 'Index of the sink subtask that wrote the flush';
COMMENT ON COLUMN copy_sink_ledger.flush_seq IS 'Number of the flush within (table_name, subtask), from 1';
COMMENT ON COLUMN copy_sink_ledger.delta_lines IS
    'The flush''s delta rows as PostgreSQL COPY text: key, counts and kg CO2e sums added, min/max kg CO2e';
COMMENT ON COLUMN copy_sink_ledger.written_at IS 'When the flush was committed';
-- lz4 instead of the default pglz for the flushes' text (perf: pglz took ~11 % of the minute sink's
-- backend; README, Benchmarks), when the server was built with lz4 (Debian's and the postgres image are)
DO $$
BEGIN
    IF (SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression') THEN
        ALTER TABLE copy_sink_ledger ALTER COLUMN delta_lines SET COMPRESSION lz4;
    END IF;
END $$;
