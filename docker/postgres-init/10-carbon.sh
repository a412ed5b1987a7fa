#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data volume. Same roles as the local
# stack (stack/postgres.py): carbon owns the database and writes, carbon_reader may only SELECT
# (granted by sql/003). The schema is applied as carbon so carbon owns every table.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE carbon LOGIN PASSWORD 'carbon';
CREATE ROLE carbon_reader LOGIN PASSWORD 'carbon_reader';
CREATE DATABASE carbon OWNER carbon;
SQL

for file in /carbon-sql/*.sql; do
    echo "applying $file"
    psql -v ON_ERROR_STOP=1 --username carbon --dbname carbon --file "$file"
done
