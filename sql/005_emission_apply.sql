-- How emissions_rollup's events reach their tables (flink_jobs/emissions_rollup.py): each flush of
-- its sink is COPYed into the session's staging table copy_stage (shaped like emission_event) and
-- emission_apply_staged() is called, in one transaction. The primary key of emission_event is the
-- deduplication: only events stored now (not already there) are added to the rollups and logged as
-- late, so a replay after a failure, or any retried copy, changes nothing twice (exactly once).
-- Idempotent: safe to apply again.

-- Replaces the delta sinks' ledger of earlier versions: nothing needs taking back any more.
DROP TABLE IF EXISTS copy_sink_ledger;

ALTER TABLE emission_event ADD COLUMN IF NOT EXISTS watermark_at timestamptz;
COMMENT ON COLUMN emission_event.watermark_at IS
    'Event-time watermark of the event''s Kafka partition when the job read it (max occurred_at seen on the '
    'partition so far - the out-of-orderness bound); the event was late iff occurred_at < watermark_at';

-- One statement, so that every part reads the same rows just stored (the CTE "stored"); the four
-- rollup parts differ only in their grain, so the statement is assembled from them (planned at each
-- call: about a millisecond per flush).
CREATE OR REPLACE FUNCTION emission_apply_staged() RETURNS bigint
LANGUAGE plpgsql SET "TimeZone" = 'UTC' AS $$
DECLARE
    rollups text;
    stored_count bigint;
BEGIN
    SELECT string_agg(format($rollup$,
        %1$s AS (
            INSERT INTO emission_rollup_%1$s AS t (org_id, window_start, scope, category, window_end,
                                                   event_count, co2e_kg_sum, co2e_kg_min, co2e_kg_max)
            SELECT org_id, date_trunc(%1$L, occurred_at), scope, category,
                   date_trunc(%1$L, occurred_at) + interval %2$L,
                   count(*), sum(co2e_kg), min(co2e_kg), max(co2e_kg)
            FROM stored GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (org_id, window_start, scope, category) DO UPDATE SET
                event_count = t.event_count + EXCLUDED.event_count,
                co2e_kg_sum = t.co2e_kg_sum + EXCLUDED.co2e_kg_sum,
                co2e_kg_min = LEAST(t.co2e_kg_min, EXCLUDED.co2e_kg_min),
                co2e_kg_max = GREATEST(t.co2e_kg_max, EXCLUDED.co2e_kg_max),
                updated_at = now())$rollup$, grain, step), '' ORDER BY n)
    INTO rollups
    FROM (VALUES (1, 'minute', '1 minute'), (2, 'hour', '1 hour'), (3, 'day', '1 day'),
                 (4, 'month', '1 month')) AS grains(n, grain, step);

    EXECUTE $stored$
        WITH stored AS (
            INSERT INTO emission_event (event_id, org_id, occurred_at, co2e_kg, scope, category, source, attributes,
                                        kafka_partition, kafka_offset, kafka_timestamp, watermark_at)
            SELECT event_id, org_id, occurred_at, co2e_kg, scope, category, source, attributes,
                   kafka_partition, kafka_offset, kafka_timestamp, watermark_at
            FROM copy_stage
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id, org_id, scope, category, occurred_at, co2e_kg, watermark_at, kafka_partition,
                      kafka_offset)$stored$ || rollups || $late$,
        late AS (
            INSERT INTO emission_late_event (event_id, org_id, scope, category, occurred_at, co2e_kg, watermark_at,
                                             lateness_ms, minute_start, hour_start, day_start, month_start,
                                             kafka_partition, kafka_offset)
            SELECT event_id, org_id, scope, category, occurred_at, co2e_kg, watermark_at,
                   (extract(epoch FROM watermark_at - occurred_at) * 1000)::bigint,
                   date_trunc('minute', occurred_at), date_trunc('hour', occurred_at),
                   date_trunc('day', occurred_at), date_trunc('month', occurred_at), kafka_partition, kafka_offset
            FROM stored WHERE occurred_at < watermark_at
            ON CONFLICT (event_id) DO NOTHING)
        SELECT count(*) FROM stored$late$
    INTO stored_count;
    RETURN stored_count;
END $$;
COMMENT ON FUNCTION emission_apply_staged() IS
    'Applies the staged events (session table copy_stage): stores those whose event_id is not stored yet in '
    'emission_event and adds exactly those to their UTC minute/hour/day/month rollup rows (event_count + n, '
    'co2e_kg_sum + Σ co2e_kg [kg CO2e], co2e_kg_min/max kept) and, when late (occurred_at < watermark_at), '
    'to emission_late_event; returns how many were stored';
