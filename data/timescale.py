"""TimescaleDB, when the extension is installed: the only Timescale-specific SQL in the project.

Chosen by detecting the extension (`available`); the migration applies `setup_sql()`. Then the raw
counter table is a hypertable and the two shot rollups become continuous aggregates of the same
names and columns (real-time, refreshed by a policy), so dashboards read them unchanged and the
ingest service stops upserting them (`rollups_are_continuous`). TimescaleDB is not installed on the
machines this project is tested on: keep this module small and everything else plain PostgreSQL.
Demo seeding writes rollup rows directly and therefore needs plain rollup tables.
"""

from __future__ import annotations

import time
import weakref

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

CHUNK = "INTERVAL '7 days'"
REFRESH = ("start_offset => INTERVAL '35 days', end_offset => INTERVAL '1 minute', "
           "schedule_interval => INTERVAL '5 minutes'")


def available(conn: Connection) -> bool:
    """True when the connected PostgreSQL database has the timescaledb extension."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).first() is not None


def rollups_are_continuous(conn: Connection) -> bool:
    """True when shots_hourly is a continuous aggregate (so ingest must not upsert it). Asked once a minute per
    engine: ingest calls this for every batch, and the answer changes only when the migration sets TimescaleDB up."""
    if conn.dialect.name != "postgresql":
        return False
    now = time.monotonic()
    known = _continuous.get(conn.engine)
    if known is None or now - known[1] > RECHECK_S:
        known = _continuous[conn.engine] = (available(conn) and conn.execute(text(
            "SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_name = 'shots_hourly'"
        )).first() is not None, now)
    return known[0]


RECHECK_S = 60.0
_continuous: weakref.WeakKeyDictionary[Engine, tuple[bool, float]] = weakref.WeakKeyDictionary()


def setup_sql() -> list[str]:
    """Hypertable for the raw counter readings; continuous aggregates replacing the rollup tables."""
    return [
        f"SELECT create_hypertable('counter_readings', 'ts', chunk_time_interval => {CHUNK}, "
        "migrate_data => true, if_not_exists => true)",
        "DROP TABLE shots_daily",
        "DROP TABLE shots_hourly",
        "CREATE MATERIALIZED VIEW shots_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) "
        "AS SELECT site_id, press_id, coalesce(mould_id, 0) AS mould_id, time_bucket(INTERVAL '1 hour', ts) AS bucket, "
        "sum(shots)::bigint AS shots FROM counter_readings GROUP BY site_id, press_id, 3, 4 WITH NO DATA",
        f"SELECT add_continuous_aggregate_policy('shots_hourly', {REFRESH})",
        "CREATE MATERIALIZED VIEW shots_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) "
        "AS SELECT site_id, press_id, mould_id, time_bucket(INTERVAL '1 day', bucket)::date AS day, "
        "sum(shots)::bigint AS shots FROM shots_hourly GROUP BY site_id, press_id, mould_id, 4 WITH NO DATA",
        f"SELECT add_continuous_aggregate_policy('shots_daily', {REFRESH})",
    ]


def teardown_sql() -> list[str]:
    """Undo setup_sql: plain rollup tables again (empty: rebuild them from the raw readings)."""
    return [
        "DROP MATERIALIZED VIEW IF EXISTS shots_daily",
        "DROP MATERIALIZED VIEW IF EXISTS shots_hourly",
        "CREATE TABLE shots_hourly (press_id integer NOT NULL, mould_id integer NOT NULL, "
        "bucket timestamptz NOT NULL, shots bigint NOT NULL, site_id integer NOT NULL REFERENCES sites(id), "
        "CONSTRAINT pk_shots_hourly PRIMARY KEY (press_id, mould_id, bucket))",
        "CREATE TABLE shots_daily (press_id integer NOT NULL, mould_id integer NOT NULL, day date NOT NULL, "
        "shots bigint NOT NULL, site_id integer NOT NULL REFERENCES sites(id), "
        "CONSTRAINT pk_shots_daily PRIMARY KEY (press_id, mould_id, day))",
    ]
