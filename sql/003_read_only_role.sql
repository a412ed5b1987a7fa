-- The read API connects as carbon_reader, which may only SELECT. The role itself is created by the
-- stack (or by the owner of a user-provided server); this file grants what it may read.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'carbon_reader') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO carbon_reader', current_database());
        GRANT USAGE ON SCHEMA public TO carbon_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO carbon_reader;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO carbon_reader;
    END IF;
END $$;
