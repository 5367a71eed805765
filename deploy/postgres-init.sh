#!/bin/sh
# First start of the PostgreSQL container: the app's own login role, which does not own the tables,
# so row-level security applies to it (migrations run as the owner and grant it data rights).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE toolmaint_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${APP_DB_PASSWORD}';
SQL
