"""The demo data set: accounts, realistic volumes, and failures drawn from Weibull lives."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data.demo import DemoExists, seed_demo
from data.models import (
    ActionItem,
    ActionStatus,
    FailureReport,
    MaintenanceLog,
    Mould,
    Press,
    ShotsDaily,
    ShotsHourly,
    Site,
    User,
)
from data.users import authenticate

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def test_seed_demo_builds_a_realistic_plant_group(ctx):
    summary = seed_demo(months=3, seed=3, now=NOW, progress=lambda _m: None)
    count = lambda model: ctx.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert 2 <= count(Site) <= 3 and 55 <= count(Mould) <= 65 and 35 <= count(Press) <= 45
    assert count(FailureReport) > 20 and count(MaintenanceLog) > count(FailureReport)
    assert count(ShotsHourly) > 10_000
    assert ctx.scalar(select(func.sum(ShotsHourly.shots))) == ctx.scalar(select(func.sum(ShotsDaily.shots)))
    overdue = ctx.scalar(select(func.count()).select_from(ActionItem).where(
        ActionItem.status != ActionStatus.CLOSED, ActionItem.due_date < NOW.date()))
    assert overdue > 0
    for name in ("admin", "manager", "engineer", "technician", "technician2"):
        assert authenticate(name, "demo") is not None, name
    tech = ctx.scalar(select(User).where(User.username == "technician"))
    tech2 = ctx.scalar(select(User).where(User.username == "technician2"))
    assert len(tech.site_ids) == 1 and tech.site_ids != tech2.site_ids
    assert "Demo accounts" in summary

    # Counters agree with the history: shots since PM never exceed the lifetime, and a mould's
    # failures are recorded at increasing shot counts below its lifetime count.
    for mould in ctx.scalars(select(Mould)):
        assert 0 <= mould.shots_since_pm <= mould.lifetime_shots
        counts = ctx.scalars(select(FailureReport.shot_count).where(FailureReport.mould_id == mould.id)).all()
        assert all(c <= mould.lifetime_shots for c in counts)

    with pytest.raises(DemoExists):
        seed_demo(months=1, now=NOW, progress=lambda _m: None)
