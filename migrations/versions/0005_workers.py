"""Workers (issue 6): the notification outbox, PM band snapshots for the digest, generated reviews,
self-check results and scheduled-round marks; on PostgreSQL, row-level security on the site-owned ones.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27

"""
import sqlalchemy as sa
from alembic import op

from data.rls import disable_site_rls_sql, enable_site_rls_sql

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

SITE_TABLES = ["notifications", "pm_band_states", "reports"]
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", BIGINT_PK, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.Enum("email", "sms", name="channel", native_enum=False, create_constraint=True,
                                     length=24), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachment_key", sa.String(length=255), nullable=True),
        sa.Column("attachment_name", sa.String(length=120), nullable=True),
        sa.Column("status", sa.Enum("pending", "sending", "sent", "failed", "cancelled", name="notification_status",
                                    native_enum=False, create_constraint=True, length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_notifications_site_id_sites"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("event_key", "channel", "address", name=op.f("uq_notifications_event_key_channel_address")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_notifications_status_next", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "pm_band_states",
        sa.Column("mould_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["mould_id"], ["moulds.id"], name=op.f("fk_pm_band_states_mould_id_moulds"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_pm_band_states_site_id_sites"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("mould_id", name=op.f("pk_pm_band_states")),
    )
    with op.batch_alter_table("pm_band_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pm_band_states_site_id"), ["site_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("paper", sa.String(length=8), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_reports_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_reports_site_id_sites"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_reports_storage_key")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_period_end"), ["period_end"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_site_id"), ["site_id"], unique=False)

    op.create_table(
        "selfcheck_results",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_selfcheck_results")),
    )
    op.create_table(
        "periodic_runs",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_periodic_runs")),
    )

    if op.get_bind().dialect.name == "postgresql":
        for table in SITE_TABLES:
            for stmt in enable_site_rls_sql(table):
                op.execute(stmt)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in SITE_TABLES:
            for stmt in disable_site_rls_sql(table):
                op.execute(stmt)
    op.drop_table("periodic_runs")
    op.drop_table("selfcheck_results")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_site_id"))
        batch_op.drop_index(batch_op.f("ix_reports_period_end"))
        batch_op.drop_index(batch_op.f("ix_reports_created_at"))
    op.drop_table("reports")
    with op.batch_alter_table("pm_band_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pm_band_states_site_id"))
    op.drop_table("pm_band_states")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_next")
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_site_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))
    op.drop_table("notifications")
