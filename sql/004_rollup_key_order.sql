-- Rollup tables created before the key order (org_id, window_start, scope, category): rebuild the
-- primary key in that order and drop the (org_id, window_start) index it makes redundant. One index
-- fewer per inserted rollup row (measured: PostgreSQL CPU per new minute row 10.6 -> 7.3 µs, per
-- rewrite 15.2 -> 10.0 µs). Idempotent: a table already in the new order is left alone.

DO $$
DECLARE
    grain text;
    key_columns text;
BEGIN
    FOREACH grain IN ARRAY ARRAY['minute', 'hour', 'day', 'month'] LOOP
        SELECT string_agg(a.attname, ',' ORDER BY k.ord) INTO key_columns
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = format('emission_rollup_%s', grain)::regclass AND i.indisprimary;
        IF key_columns IS DISTINCT FROM 'org_id,window_start,scope,category' THEN
            EXECUTE format('ALTER TABLE emission_rollup_%1$s DROP CONSTRAINT emission_rollup_%1$s_pkey,
                            ADD PRIMARY KEY (org_id, window_start, scope, category)', grain);
        END IF;
        EXECUTE format('DROP INDEX IF EXISTS emission_rollup_%s_org_time_idx', grain);
    END LOOP;
END $$;
