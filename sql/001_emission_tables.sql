-- Emission events and their rollups, written by the Flink job emissions_rollup.
-- Idempotent: safe to apply again. Masses are kg CO2e, NUMERIC so sums are exact.

CREATE TABLE IF NOT EXISTS emission_event (
    event_id        uuid          PRIMARY KEY,
    org_id          text          NOT NULL,
    occurred_at     timestamptz   NOT NULL,
    co2e_kg         numeric(18,6) NOT NULL CHECK (co2e_kg >= 0),
    scope           smallint      NOT NULL CHECK (scope BETWEEN 1 AND 3),
    category        text          NOT NULL,
    source          text,
    attributes      jsonb,
    kafka_partition integer       NOT NULL,
    kafka_offset    bigint        NOT NULL,
    kafka_timestamp timestamptz   NOT NULL,
    stored_at       timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS emission_event_org_time_idx ON emission_event (org_id, occurred_at);
CREATE INDEX IF NOT EXISTS emission_event_time_idx ON emission_event (occurred_at);
COMMENT ON TABLE emission_event IS
    'Every accepted emission event once (deduplicated on event_id), as read from Kafka topic emissions.v1.';
COMMENT ON COLUMN emission_event.event_id IS 'Idempotency key (UUID) given by the sender or generated at ingest';
COMMENT ON COLUMN emission_event.org_id IS 'Organisation id';
COMMENT ON COLUMN emission_event.occurred_at IS 'When the emission happened (UTC, millisecond precision)';
COMMENT ON COLUMN emission_event.co2e_kg IS 'Mass of CO2-equivalent, kg (6 decimals = 1 mg)';
COMMENT ON COLUMN emission_event.scope IS 'GHG Protocol scope: 1 direct, 2 purchased energy, 3 value chain';
COMMENT ON COLUMN emission_event.category IS 'Emission category slug, e.g. purchased_electricity';
COMMENT ON COLUMN emission_event.source IS 'Free-text origin given by the sender (system, document)';
COMMENT ON COLUMN emission_event.attributes IS 'Sender key/value strings (JSON object)';
COMMENT ON COLUMN emission_event.kafka_partition IS 'Kafka partition the event was read from';
COMMENT ON COLUMN emission_event.kafka_offset IS 'Kafka offset the event was read from (first copy if duplicated)';
COMMENT ON COLUMN emission_event.kafka_timestamp IS 'Kafka record timestamp: when the broker received the event';
COMMENT ON COLUMN emission_event.stored_at IS 'When this row was first written to PostgreSQL';

DO $$
DECLARE
    grain text;
BEGIN
    FOREACH grain IN ARRAY ARRAY['minute', 'hour', 'day', 'month'] LOOP
        EXECUTE format($f$
            CREATE TABLE IF NOT EXISTS emission_rollup_%1$s (
                org_id       text          NOT NULL,
                scope        smallint      NOT NULL,
                category     text          NOT NULL,
                window_start timestamptz   NOT NULL,
                window_end   timestamptz   NOT NULL,
                event_count  bigint        NOT NULL,
                co2e_kg_sum  numeric(24,6) NOT NULL,
                co2e_kg_min  numeric(18,6) NOT NULL,
                co2e_kg_max  numeric(18,6) NOT NULL,
                updated_at   timestamptz   NOT NULL DEFAULT now(),
                -- Key order (org, time, series): one index serves the upsert's conflict check and the
                -- read API's "one org, a time range" series in its default order (sql/004 migrates
                -- tables created with the older (org_id, scope, category, window_start) order).
                PRIMARY KEY (org_id, window_start, scope, category)
            )$f$, grain);
        -- The summary's time range (read_api): a BRIN index, one min/max window_start per 32 pages. Rows
        -- are added as time goes by, so window_start follows the table's order (a late event's row
        -- widens one range); a range's rows are found at almost no cost per added row. The B-tree it
        -- replaces cost the event sink ~1 PostgreSQL CPU-µs per event (one more entry per minute row).
        IF EXISTS (SELECT FROM pg_class c JOIN pg_am am ON am.oid = c.relam
                   WHERE c.oid = to_regclass(format('emission_rollup_%s_time_idx', grain)) AND am.amname = 'btree') THEN
            EXECUTE format('DROP INDEX emission_rollup_%s_time_idx', grain);
        END IF;
        EXECUTE format('CREATE INDEX IF NOT EXISTS emission_rollup_%1$s_time_idx ON emission_rollup_%1$s
                        USING brin (window_start) WITH (pages_per_range = 32, autosummarize = on)', grain);
        -- Rows are rewritten as their window fills up: 30 % free space per page lets PostgreSQL update
        -- a row in place without touching the indexes (a HOT update; no indexed column changes).
        EXECUTE format('ALTER TABLE emission_rollup_%1$s SET (fillfactor = 70)', grain);
        -- updated_at is set by the statement that writes the row (emission_apply_staged); the row
        -- trigger that did it cost a PL/pgSQL call per rewritten row
        EXECUTE format('DROP TRIGGER IF EXISTS touch_updated_at ON emission_rollup_%1$s', grain);
        EXECUTE format($c$COMMENT ON TABLE emission_rollup_%1$s IS
            'Per (org_id, scope, category) and UTC %1$s [window_start, window_end): totals of the '
            'deduplicated events in emission_event. Corrected in place by late events.'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.window_start IS
            'Start of the UTC %1$s (inclusive)'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.window_end IS
            'End of the UTC %1$s (exclusive)'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.org_id IS 'Organisation id'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.scope IS 'GHG Protocol scope (1, 2, 3)'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.category IS 'Emission category slug'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.event_count IS
            'Number of distinct events (by event_id) in the window'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.co2e_kg_sum IS
            'Sum of co2e_kg of the window''s events, kg CO2e'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.co2e_kg_min IS
            'Smallest single event in the window, kg CO2e'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.co2e_kg_max IS
            'Largest single event in the window, kg CO2e'$c$, grain);
        EXECUTE format($c$COMMENT ON COLUMN emission_rollup_%1$s.updated_at IS
            'When PostgreSQL last wrote this row (first write or a correction)'$c$, grain);
    END LOOP;
END $$;
-- The rollups' former trigger function, dropped unless something else of the database still uses it
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                   WHERE p.proname = 'carbon_touch_updated_at') THEN
        DROP FUNCTION IF EXISTS carbon_touch_updated_at();
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS emission_late_event (
    event_id        uuid          PRIMARY KEY,
    org_id          text          NOT NULL,
    scope           smallint      NOT NULL,
    category        text          NOT NULL,
    occurred_at     timestamptz   NOT NULL,
    co2e_kg         numeric(18,6) NOT NULL,
    watermark_at    timestamptz   NOT NULL,
    lateness_ms     bigint        NOT NULL,
    minute_start    timestamptz   NOT NULL,
    hour_start      timestamptz   NOT NULL,
    day_start       timestamptz   NOT NULL,
    month_start     timestamptz   NOT NULL,
    kafka_partition integer       NOT NULL,
    kafka_offset    bigint        NOT NULL,
    recorded_at     timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS emission_late_event_org_idx ON emission_late_event (org_id, occurred_at);
COMMENT ON TABLE emission_late_event IS
    'Events that arrived after the event-time watermark had passed them; each corrected its rollup rows '
    '(keys: org_id, scope, category and the four *_start columns) in place.';
COMMENT ON COLUMN emission_late_event.event_id IS 'The late event (see emission_event)';
COMMENT ON COLUMN emission_late_event.org_id IS 'Organisation id';
COMMENT ON COLUMN emission_late_event.scope IS 'GHG Protocol scope';
COMMENT ON COLUMN emission_late_event.category IS 'Emission category slug';
COMMENT ON COLUMN emission_late_event.occurred_at IS 'Event time (UTC)';
COMMENT ON COLUMN emission_late_event.co2e_kg IS 'Mass added to the corrected rows, kg CO2e';
COMMENT ON COLUMN emission_late_event.watermark_at IS 'Event-time watermark when the event arrived (UTC)';
COMMENT ON COLUMN emission_late_event.lateness_ms IS 'watermark_at - occurred_at, milliseconds';
COMMENT ON COLUMN emission_late_event.minute_start IS 'Corrected row in emission_rollup_minute';
COMMENT ON COLUMN emission_late_event.hour_start IS 'Corrected row in emission_rollup_hour';
COMMENT ON COLUMN emission_late_event.day_start IS 'Corrected row in emission_rollup_day';
COMMENT ON COLUMN emission_late_event.month_start IS 'Corrected row in emission_rollup_month';
COMMENT ON COLUMN emission_late_event.kafka_partition IS 'Kafka partition of the event';
COMMENT ON COLUMN emission_late_event.kafka_offset IS 'Kafka offset of the event';
COMMENT ON COLUMN emission_late_event.recorded_at IS 'When PostgreSQL wrote this row';

CREATE TABLE IF NOT EXISTS emission_dead_letter (
    kafka_topic     text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    kafka_timestamp timestamptz NOT NULL,
    raw_payload     text,
    reason          text        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset)
);
COMMENT ON TABLE emission_dead_letter IS
    'Kafka records the job could not accept (malformed JSON, invalid field), with the reason; '
    'also published to topic emissions.deadletter.v1.';
COMMENT ON COLUMN emission_dead_letter.kafka_topic IS 'Topic of the refused record';
COMMENT ON COLUMN emission_dead_letter.kafka_partition IS 'Partition of the refused record';
COMMENT ON COLUMN emission_dead_letter.kafka_offset IS 'Offset of the refused record';
COMMENT ON COLUMN emission_dead_letter.kafka_timestamp IS 'Kafka record timestamp (UTC)';
COMMENT ON COLUMN emission_dead_letter.raw_payload IS 'The record value exactly as read (UTF-8)';
COMMENT ON COLUMN emission_dead_letter.reason IS 'Why it was refused: "<field>: <reason>"';
COMMENT ON COLUMN emission_dead_letter.recorded_at IS 'When PostgreSQL wrote this row';
