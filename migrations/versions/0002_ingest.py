"""Shot counts from the presses (issue 3): the raw counter table reshaped for bulk loading, each counter's
and sensor's latest reading (whose row locks serialise ingest), and the ingest health tables.

counter_readings loses its id, foreign keys and B-tree indexes: it is an append-mostly event table
loaded with COPY, so it keeps only a time index (BRIN on PostgreSQL). With the timescaledb extension
present, data/timescale.py turns the raw tables into hypertables with continuous aggregates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

"""
import sqlalchemy as sa
from alembic import op

from data.rls import disable_site_rls_sql, enable_site_rls_sql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SITE_TABLES = ["counter_state", "sensor_state", "ingest_agents"]
FILLFACTORS = {"counter_state": 50, "sensor_state": 50, "shots_hourly": 70, "shots_daily": 70, "sensor_hourly": 70,
               "moulds": 80}
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table("counter_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_readings_ts")
        batch_op.drop_index("ix_counter_readings_mould_ts")
        batch_op.drop_index(batch_op.f("ix_counter_readings_site_id"))
        batch_op.drop_constraint(batch_op.f("uq_counter_readings_press_id_counter_ts"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_counter_readings_press_id_presses"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_counter_readings_site_id_sites"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("pk_counter_readings"), type_="primary")
        batch_op.drop_column("id")
    if _postgres():
        op.create_index("ix_counter_readings_ts", "counter_readings", ["ts"], postgresql_using="brin")
    else:
        op.create_index("ix_counter_readings_ts", "counter_readings", ["ts"])

    op.create_table(
        "counter_state",
        sa.Column("press_id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.String(length=32), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_value", sa.BigInteger(), nullable=True),
        sa.Column("last_mould_id", sa.Integer(), nullable=True),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("readings", sa.BigInteger(), nullable=False),
        sa.Column("shots", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["press_id"], ["presses.id"], name=op.f("fk_counter_state_press_id_presses"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_counter_state_site_id_sites"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("press_id", "counter", name=op.f("pk_counter_state")),
    )
    with op.batch_alter_table("counter_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counter_state_site_id"), ["site_id"], unique=False)

    op.create_table(
        "sensor_state",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("readings", sa.BigInteger(), nullable=False),
        sa.Column("open_alert_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["open_alert_id"], ["sensor_alerts.id"],
                                name=op.f("fk_sensor_state_open_alert_id_sensor_alerts"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sensor_id"], ["sensors.id"], name=op.f("fk_sensor_state_sensor_id_sensors"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_sensor_state_site_id_sites"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("sensor_id", name=op.f("pk_sensor_state")),
    )
    with op.batch_alter_table("sensor_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensor_state_site_id"), ["site_id"], unique=False)

    op.create_table(
        "ingest_counts",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "site_id", "stream", "outcome", "reason", "shard",
                                name=op.f("pk_ingest_counts")),
    )
    op.create_table(
        "ingest_rejections",
        sa.Column("id", BIGINT_PK, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("token_name", sa.String(length=64), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_rejections")),
    )
    with op.batch_alter_table("ingest_rejections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_rejections_at"), ["at"], unique=False)

    op.create_table(
        "ingest_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spool_depth", sa.BigInteger(), nullable=False),
        sa.Column("dead_letters", sa.BigInteger(), nullable=False),
        sa.Column("connected", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_ingest_agents_site_id_sites"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["token_id"], ["service_tokens.id"],
                                name=op.f("fk_ingest_agents_token_id_service_tokens"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_agents")),
        sa.UniqueConstraint("token_id", "name", name=op.f("uq_ingest_agents_token_id_name")),
    )
    with op.batch_alter_table("ingest_agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_agents_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingest_agents_token_id"), ["token_id"], unique=False)

    if _postgres():
        for table in SITE_TABLES:
            for stmt in enable_site_rls_sql(table):
                op.execute(stmt)
        # Rows that every batch updates (a counter's state, a mould's counters, the current hour's rollups): room
        # on each page keeps those updates HOT (no index changes, old versions pruned as they go), instead of
        # bloating the tables and every index.
        for table, fillfactor in FILLFACTORS.items():
            op.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")
        from data import timescale

        bind = op.get_bind()
        if timescale.available(bind):
            for stmt in timescale.setup_sql():
                op.execute(stmt)


def downgrade():
    if _postgres():
        from data import timescale

        if timescale.available(op.get_bind()):
            for stmt in timescale.teardown_sql():
                op.execute(stmt)
        for table in SITE_TABLES:
            for stmt in disable_site_rls_sql(table):
                op.execute(stmt)
        for table in FILLFACTORS:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    with op.batch_alter_table("ingest_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_agents_token_id"))
        batch_op.drop_index(batch_op.f("ix_ingest_agents_site_id"))
    op.drop_table("ingest_agents")
    with op.batch_alter_table("ingest_rejections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_rejections_at"))
    op.drop_table("ingest_rejections")
    op.drop_table("ingest_counts")
    with op.batch_alter_table("sensor_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_state_site_id"))
    op.drop_table("sensor_state")
    with op.batch_alter_table("counter_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_state_site_id"))
    op.drop_table("counter_state")

    op.drop_index("ix_counter_readings_ts", table_name="counter_readings")
    if _postgres():
        # The raw readings carry no id; number them afresh for the old shape.
        op.execute("ALTER TABLE counter_readings ADD COLUMN id BIGSERIAL")
        op.create_primary_key(op.f("pk_counter_readings"), "counter_readings", ["id"])
    else:  # SQLite numbers the rows itself when the table is rebuilt with an INTEGER PRIMARY KEY
        with op.batch_alter_table("counter_readings", schema=None, recreate="always") as batch_op:
            batch_op.add_column(sa.Column("id", sa.Integer(), primary_key=True, nullable=False), insert_before="press_id")
    with op.batch_alter_table("counter_readings", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f("fk_counter_readings_press_id_presses"), "presses", ["press_id"],
                                    ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key(batch_op.f("fk_counter_readings_site_id_sites"), "sites", ["site_id"], ["id"],
                                    ondelete="RESTRICT")
        batch_op.create_unique_constraint(batch_op.f("uq_counter_readings_press_id_counter_ts"),
                                          ["press_id", "counter", "ts"])
        batch_op.create_index(batch_op.f("ix_counter_readings_site_id"), ["site_id"], unique=False)
        batch_op.create_index("ix_counter_readings_mould_ts", ["mould_id", "ts"], unique=False)
        batch_op.create_index("ix_counter_readings_ts", ["ts"], unique=False)
