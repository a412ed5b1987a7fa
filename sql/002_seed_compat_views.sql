-- Views that keep the SQL of the older system working unchanged:
--   SELECT * FROM emission ORDER BY timestamp DESC LIMIT 5;
--   SELECT * FROM aggregated_emission ORDER BY month DESC;

CREATE OR REPLACE VIEW emission AS
SELECT event_id    AS id,
       org_id      AS organization_id,
       co2e_kg     AS value,
       occurred_at AS "timestamp",
       scope,
       category,
       source
FROM emission_event;
COMMENT ON VIEW emission IS 'Seed-compatible view of emission_event: value in kg CO2e, timestamp = occurred_at (UTC)';

CREATE OR REPLACE VIEW aggregated_emission AS
SELECT org_id                                 AS organization_id,
       (window_start AT TIME ZONE 'UTC')::date AS month,
       sum(co2e_kg_sum)                       AS total_value,
       sum(event_count)                       AS event_count
FROM emission_rollup_month
GROUP BY org_id, window_start;
COMMENT ON VIEW aggregated_emission IS
    'Seed-compatible monthly totals per organisation: month = first day of the UTC month, total_value in kg CO2e';
