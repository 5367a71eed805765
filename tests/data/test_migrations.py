"""Migrations build the schema the models describe, on SQLite and PostgreSQL; models round-trip."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from data.models import (
    ActionItem,
    Base,
    ChecklistResult,
    CheckResult,
    FailureCode,
    FailureReport,
    MaintenanceKind,
    MaintenanceLog,
    Mould,
    MouldMount,
    PartUsed,
    Photo,
    PMTemplate,
    PMTemplateItem,
    Severity,
    ShotsDaily,
    ShotsHourly,
)


def test_upgrade_creates_every_table_and_matches_the_models(app, database):
    tables = set(inspect(database.owner_engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
    with database.owner_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_to_base_and_upgrade_again(app, database):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(database.owner_engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert "moulds" in inspect(database.owner_engine).get_table_names()


@pytest.mark.postgresql
def test_rls_policies_on_postgresql(app, database):
    with database.owner_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'").scalars().all()
    assert {"moulds", "presses", "failure_reports", "action_items", "photos", "shots_hourly", "sites"} <= set(rows)


def test_models_round_trip(ctx, world):
    when = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    s1, mould_id = world["sites"]["S1"], world["moulds"]["S1"]
    template = PMTemplate(family="housings", name="PM housings", items=[PMTemplateItem(position=0, text="Clean vents")])
    code = FailureCode(code="FL-1", mode="Flash", mechanism="Wear", cause="Maintenance", component="Parting line",
                       default_severity=Severity.MEDIUM)
    ctx.add_all([template, code])
    ctx.flush()
    log = MaintenanceLog(site_id=s1, mould_id=mould_id, kind=MaintenanceKind.PREVENTIVE, performed_at=when,
                         shot_count=123_456_789_012, labour_hours=Decimal("2.50"), parts_cost=Decimal("19.99"),
                         checklist=[ChecklistResult(site_id=s1, item="Clean vents", result=CheckResult.ATTENTION)],
                         parts=[PartUsed(site_id=s1, part_number="OR-1", quantity=Decimal("2"),
                                         unit_cost=Decimal("1.25"))])
    report = FailureReport(site_id=s1, mould_id=mould_id, failure_code_id=code.id, severity=Severity.CRITICAL,
                           occurred_at=when, shot_count=500_000, downtime_hours=Decimal("4.5"))
    ctx.add_all([log, report,
                 MouldMount(site_id=s1, mould_id=mould_id, press_id=world["presses"]["S1"], mounted_at=when),
                 ShotsHourly(site_id=s1, press_id=world["presses"]["S1"], mould_id=mould_id, bucket=when, shots=720),
                 ShotsDaily(site_id=s1, press_id=world["presses"]["S1"], mould_id=mould_id, day=when.date(),
                            shots=720)])
    ctx.flush()
    ctx.add_all([ActionItem(site_id=s1, title="Fix", failure_report_id=report.id, due_date=dt.date(2026, 3, 8)),
                 Photo(site_id=s1, failure_report_id=report.id, storage_key="photos/1/original.jpg")])
    ctx.commit()
    ctx.expunge_all()

    got = ctx.scalars(select(MaintenanceLog)).one()
    assert got.performed_at == when and got.performed_at.tzinfo is not None
    assert got.performed_at.utcoffset() == dt.timedelta(0)
    assert got.shot_count == 123_456_789_012
    assert got.labour_hours == Decimal("2.50") and got.kind is MaintenanceKind.PREVENTIVE
    assert got.checklist[0].result is CheckResult.ATTENTION
    assert got.parts[0].unit_cost == Decimal("1.25")
    rep = ctx.scalars(select(FailureReport)).one()
    assert rep.severity is Severity.CRITICAL and rep.code.mode == "Flash"
    assert ctx.scalars(select(ActionItem)).one().due_date == dt.date(2026, 3, 8)
    assert ctx.scalars(select(ShotsHourly)).one().bucket == when
    assert ctx.scalars(select(Mould).where(Mould.id == mould_id)).one().pm_interval_shots == 100_000
    assert ctx.scalars(select(PMTemplate)).one().items[0].text == "Clean vents"
