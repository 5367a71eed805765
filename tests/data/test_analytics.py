"""The dashboards' calculations: PM health and forecast, compliance, Pareto, trend, MTBF/MTTR, shot series and
downsampling, condition-monitoring links, actions by owner and age, and the overview KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from data.analytics import actions as ac
from data.analytics import condition as cm
from data.analytics import failures as fa
from data.analytics import kpis, pm, reliability, series
from data.models import (
    ActionItem,
    ActionStatus,
    FailureCode,
    FailureReport,
    MaintenanceKind,
    MaintenanceLog,
    Mould,
    MouldMount,
    Sensor,
    SensorHourly,
    Severity,
    ShotsDaily,
    ShotsHourly,
)

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def codes(ctx):
    """Two failure codes (Flash, Water leak)."""
    flash = FailureCode(code="FL", mode="Flash", mechanism="Wear", cause="Maintenance", component="Parting line",
                        default_severity=Severity.MEDIUM)
    leak = FailureCode(code="WL", mode="Water leak", mechanism="Corrosion", cause="Maintenance",
                       component="Cooling circuit", default_severity=Severity.HIGH)
    ctx.add_all([flash, leak])
    ctx.flush()
    return {"Flash": flash.id, "Water leak": leak.id}


def report(world, codes, site="S1", mode="Flash", at=NOW - DAY, shots=None, downtime="2", repair=None,
           severity=Severity.MEDIUM):
    """A failure report on the site's mould."""
    return FailureReport(site_id=world["sites"][site], mould_id=world["moulds"][site],
                         press_id=world["presses"][site], failure_code_id=codes[mode], severity=severity,
                         occurred_at=at, shot_count=shots, downtime_hours=Decimal(downtime),
                         repair_hours=None if repair is None else Decimal(repair))


# --- PM --------------------------------------------------------------------------------------------------

def test_mould_health_has_band_forecast_and_last_failure(ctx, world, codes):
    s1 = world["sites"]["S1"]
    for k in range(8):  # 1,000 a day over the last 7 days, and half a day's worth today (it is noon)
        ctx.add(ShotsDaily(site_id=s1, press_id=world["presses"]["S1"], mould_id=world["moulds"]["S1"],
                           day=NOW.date() - k * DAY, shots=500 if k == 0 else 1_000))
    ctx.add(report(world, codes, at=NOW - 3 * DAY, mode="Water leak"))
    ctx.commit()
    health = pm.mould_health(NOW, None)
    row = health.set_index("code").loc["T-1"]
    assert row["band"] == "WARNING" and row["pct_used"] == pytest.approx(95.0)
    assert row["shots_per_day"] == pytest.approx(1_000)
    assert row["days_left"] == pytest.approx(5.0)  # 5,000 shots left at 1,000 a day
    assert pd.Timestamp(row["forecast_due"]) == pd.Timestamp(NOW + 5 * DAY)
    assert row["last_failure_mode"] == "Water leak" and row["site"] == "S1"
    assert row["life_used_pct"] != row["life_used_pct"]  # no design life: NaN, not a made-up number
    assert list(health["code"])[0] == "T-1"  # worst band first
    only_s2 = pm.mould_health(NOW, frozenset({world["sites"]["S2"]}))
    assert list(only_s2["code"]) == ["T-2"]
    assert pm.mould_health(NOW, None, family="closures").empty
    assert pm.band_counts(health) == {"NOT_DUE": 1, "WARNING": 1, "DUE": 0, "OVERDUE": 0}


def test_pm_forecast_counts_moulds_per_week_and_already_due_in_the_first():
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)  # a Wednesday
    health = pd.DataFrame({
        "band": ["OVERDUE", "DUE", "WARNING", "NOT_DUE", "NOT_DUE", "NOT_DUE"],
        "forecast_due": pd.to_datetime([now - 5 * DAY, now - DAY, now + DAY, now + 8 * DAY, now + 9 * DAY, pd.NaT],
                                       utc=True)})
    weeks = pm.pm_forecast(health, now, weeks=3)
    assert list(weeks["week"].dt.day) == [23, 30, 7]  # Mondays
    assert list(weeks["already_due"]) == [2, 0, 0]
    assert list(weeks["forecast"]) == [1, 2, 0]


def test_pm_compliance_marks_pms_before_due_as_on_time():
    logs = pd.DataFrame({
        "mould_id": [1, 1, 1, 2, 2],
        "performed_at": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-05-15", "2026-01-01", "2026-01-20"],
                                       utc=True),
        "shot_count": [0, 90_000, 200_000, 0, 50_000],
        "pm_interval_shots": [100_000] * 3 + [40_000] * 2, "pm_interval_days": [90] * 3 + [None] * 2})
    marked = pm.pm_compliance_frame(logs).set_index(["mould_id", "performed_at"])
    assert len(marked) == 3  # each mould's first PM has nothing to compare with
    assert bool(marked.loc[(1, pd.Timestamp("2026-02-01", tz="UTC")), "on_time"])  # 90 % of the shots
    assert not marked.loc[(1, pd.Timestamp("2026-05-15", tz="UTC")), "on_time"]  # 110 % of shots, 103 days
    assert not marked.loc[(2, pd.Timestamp("2026-01-20", tz="UTC")), "on_time"]  # 125 % of its interval


def test_pm_compliance_from_the_database(ctx, world):
    s1, m1 = world["sites"]["S1"], world["moulds"]["S1"]
    for days, shots in ((100, 0), (60, 95_000), (10, 215_000)):
        ctx.add(MaintenanceLog(site_id=s1, mould_id=m1, kind=MaintenanceKind.PREVENTIVE,
                               performed_at=NOW - days * DAY, shot_count=shots))
    ctx.commit()
    result = pm.pm_compliance(NOW - 90 * DAY, NOW)
    assert (result.done, result.on_time) == (2, 1) and result.pct == pytest.approx(50.0)
    assert pm.pm_compliance(NOW - 5 * DAY, NOW).pct is None


# --- failures --------------------------------------------------------------------------------------------

def test_pareto_orders_categories_and_accumulates_share():
    df = pd.DataFrame({"id": range(10), "mode": ["A"] * 5 + ["B"] * 3 + ["C"] * 2,
                       "downtime_hours": [1.0] * 5 + [10.0] * 3 + [0.5] * 2})
    counts = fa.pareto(df, "mode")
    assert list(counts["category"]) == ["A", "B", "C"]
    assert list(counts["cumulative"]) == pytest.approx([50, 80, 100])
    hours = fa.pareto(df, "mode", "downtime")
    assert list(hours["category"]) == ["B", "A", "C"] and hours["value"].iloc[0] == pytest.approx(30)
    many = pd.DataFrame({"id": range(20), "mode": [f"m{i:02d}" for i in range(20)], "downtime_hours": 1.0})
    top = fa.pareto(many, "mode", top=5)
    assert len(top) == 5 and top["category"].iloc[-1] == "Other (16)" and top["value"].iloc[-1] == 16
    assert fa.pareto(df.iloc[0:0], "mode").empty
    with pytest.raises(ValueError):
        fa.pareto(df, "mode", "cost")


def test_failures_frame_trend_mix_and_summary(ctx, world, codes):
    ctx.add_all([
        report(world, codes, at=NOW - 40 * DAY, downtime="4", repair="3", severity=Severity.HIGH),
        report(world, codes, at=NOW - 10 * DAY, downtime="2", mode="Water leak"),
        report(world, codes, site="S2", at=NOW - 5 * DAY, downtime="1", severity=Severity.CRITICAL),
        report(world, codes, at=NOW - 400 * DAY, downtime="9"),
    ])
    ctx.commit()
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    df = fa.failures_frame(start, NOW)
    assert len(df) == 3 and list(df["occurred_at"]) == sorted(df["occurred_at"], reverse=True)
    assert set(fa.failures_frame(start, NOW, frozenset({world["sites"]["S2"]}))["site"]) == {"S2"}
    assert len(fa.failures_frame(start, NOW, severities=("high", "critical"))) == 2
    assert len(fa.failures_frame(start, NOW, mould_codes=("T-1",))) == 2
    trend = fa.monthly_trend(df, start, NOW)
    assert trend["month"].nunique() == 3  # Sep, Oct, Nov, including the empty September
    assert trend["count"].sum() == 3
    assert trend[(trend["month"] == "2026-09-01")]["count"].sum() == 0
    mix = fa.severity_mix(df).set_index("severity")
    assert list(mix.index) == fa.SEVERITIES and mix.loc["critical", "count"] == 1
    for by in fa.DIMENSIONS:  # grouped in the database, the same table as from the frame
        for metric in fa.METRICS:
            pd.testing.assert_frame_equal(fa.pareto_query(start, NOW, by, metric), fa.pareto(df, by, metric))
    assert list(fa.pareto_query(start, NOW, "mode", site_ids=frozenset({world["sites"]["S2"]}))["category"]) == [
        "Flash"]
    s = fa.summarise(df)
    assert (s.failures, s.high_or_critical, s.moulds_affected) == (3, 2, 2)
    assert s.downtime_hours == pytest.approx(7.0)
    assert s.mttr_hours == pytest.approx((3 + 2 + 1) / 3)  # repair hours, else downtime


def test_downtime_by_mould_adds_planned_pm(ctx, world, codes):
    ctx.add(report(world, codes, at=NOW - 2 * DAY, downtime="5"))
    ctx.add(MaintenanceLog(site_id=world["sites"]["S1"], mould_id=world["moulds"]["S1"],
                           kind=MaintenanceKind.PREVENTIVE, performed_at=NOW - DAY, downtime_hours=Decimal("3")))
    ctx.add(MaintenanceLog(site_id=world["sites"]["S1"], mould_id=world["moulds"]["S1"],
                           kind=MaintenanceKind.CORRECTIVE, performed_at=NOW - DAY, downtime_hours=Decimal("5")))
    ctx.commit()
    df = fa.downtime_by_mould(NOW - 30 * DAY, NOW).set_index("mould")
    assert df.loc["T-1", "unplanned_hours"] == 5 and df.loc["T-1", "planned_hours"] == 3
    assert df.loc["T-1", "total_hours"] == 8  # the corrective log repeats the failure's downtime


# --- reliability -----------------------------------------------------------------------------------------

def test_mtbf_and_mttr_per_mould_family_and_mode(ctx, world, codes):
    s1, m1, p1 = world["sites"]["S1"], world["moulds"]["S1"], world["presses"]["S1"]
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    ctx.add_all([
        ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=dt.date(2026, 11, 2), shots=30_000),
        ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=dt.date(2026, 11, 3), shots=30_000),
        ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=dt.date(2026, 10, 30), shots=99_999),  # before
        MouldMount(site_id=s1, mould_id=m1, press_id=p1, mounted_at=start - 2 * DAY,
                   unmounted_at=start + 10 * DAY),
        report(world, codes, at=start + 2 * DAY, repair="2"),
        report(world, codes, at=start + 3 * DAY, repair="4", mode="Water leak"),
    ])
    ctx.commit()
    end = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    fails = fa.failures_frame(start, end)
    by_mould = reliability.mtbf_table(fails, start, end, "mould").set_index("group")
    assert by_mould.loc["T-1", "shots"] == 60_000 and by_mould.loc["T-1", "failures"] == 2
    assert by_mould.loc["T-1", "mtbf_shots"] == pytest.approx(30_000)
    assert by_mould.loc["T-1", "hours"] == pytest.approx(240)  # mounted 10 days inside the window
    assert by_mould.loc["T-1", "mtbf_hours"] == pytest.approx(120)
    assert by_mould.loc["T-1", "mttr_hours"] == pytest.approx(3)
    assert np.isnan(by_mould.loc["T-2", "mtbf_shots"])  # no failure, no MTBF
    by_mode = reliability.mtbf_table(fails, start, end, "mode").set_index("group")
    assert by_mode.loc["Flash", "mtbf_shots"] == pytest.approx(60_000)  # the whole fleet's shots per failure
    by_family = reliability.mtbf_table(fails, start, end, "family").set_index("group")
    assert by_family.loc["housings", "failures"] == 2


def test_life_analysis_and_risk_from_the_database(ctx, world, codes):
    rng = np.random.default_rng(5)
    s1 = world["sites"]["S1"]
    moulds = [Mould(site_id=s1, code=f"R-{i}", name=f"R {i}", family="closures", lifetime_shots=3_000_000)
              for i in range(12)]
    ctx.add_all(moulds)
    ctx.flush()
    for m in moulds:
        count = int(600_000 * rng.weibull(2.5))  # a renewal process: failures until the current count
        while count < m.lifetime_shots:
            ctx.add(FailureReport(site_id=s1, mould_id=m.id, failure_code_id=codes["Flash"],
                                  severity=Severity.MEDIUM, occurred_at=NOW - DAY, shot_count=count))
            count += int(600_000 * rng.weibull(2.5))
    ctx.commit()
    analysis = reliability.life_analysis(None, "closures")
    assert analysis.modes == ["Flash"]
    fit = analysis.fits["Flash"]
    assert fit is not None and 1.2 < fit.beta < 5 and 300_000 < fit.eta < 1_000_000
    assert fit.n_suspensions == 12
    rates = pd.Series({moulds[0].id: 10_000.0})
    risk = reliability.failure_risk(analysis, 100_000, "Flash", rates)
    assert len(risk) == 12 and risk["p_mode"].is_monotonic_decreasing
    assert ((risk["p_mode"] > 0) & (risk["p_mode"] < 1)).all()
    assert np.allclose(risk["p_any"], risk["p_mode"])  # one mode: any failure is that mode
    assert risk.set_index("code").loc["R-0", "days_for_n"] == pytest.approx(10)
    pts = analysis.plot_points("Flash")
    assert len(pts) == fit.n_failures and pts["F"].is_monotonic_increasing


# --- shot series ------------------------------------------------------------------------------------------

def test_downsampling_keeps_extremes_and_the_point_budget():
    rng = np.random.default_rng(3)
    n = 50_000
    ts = pd.date_range("2025-01-01", periods=n, freq="h", tz="UTC")
    y = rng.normal(1000, 50, n)
    y[12_345], y[40_001] = 9_999, -500  # a spike and a dip that must survive
    df = pd.DataFrame({"ts": ts, "shots": y})
    out = series.downsample(df, n_out=4000)
    assert len(out) <= 4000
    assert out["shots"].max() == 9_999 and out["shots"].min() == -500
    assert out["ts"].is_monotonic_increasing
    assert out["ts"].iloc[0] == ts[0] and out["ts"].iloc[-1] == ts[-1]
    assert len(series.downsample(df.head(100))) == 100  # small series are left alone


def test_mould_shots_fill_idle_hours_and_days(ctx, world):
    s1, p1, m1 = world["sites"]["S1"], world["presses"]["S1"], world["moulds"]["S1"]
    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    ctx.add_all([ShotsHourly(site_id=s1, press_id=p1, mould_id=m1, bucket=t0 + dt.timedelta(hours=2), shots=100),
                 ShotsHourly(site_id=s1, press_id=p1 + 0, mould_id=m1, bucket=t0 + dt.timedelta(hours=30), shots=50),
                 ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=t0.date(), shots=100),
                 ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=t0.date() + DAY, shots=50)])
    ctx.commit()
    hourly = series.mould_shots(m1, t0, t0 + 2 * DAY, "hour")
    assert len(hourly) == 48 and hourly["shots"].sum() == 150 and hourly["shots"].iloc[2] == 100
    assert hourly["shots"].iloc[3] == 0
    daily = series.mould_shots(m1, t0, t0 + 3 * DAY, "day")
    assert list(daily["shots"]) == [100, 50, 0]
    assert series.choose_resolution(t0, t0 + 30 * DAY) == "hour"
    assert series.choose_resolution(t0, t0 + 365 * DAY) == "day"
    assert series.choose_resolution(t0, t0 + 365 * DAY, "hour") == "hour"
    plant = series.plant_daily(t0.date(), t0.date() + DAY)
    assert plant["shots"].sum() == 150 and set(plant["press"]) == {"S1-P01"}
    ctx.add(ShotsDaily(site_id=world["sites"]["S2"], press_id=world["presses"]["S2"], mould_id=world["moulds"]["S2"],
                       day=t0.date(), shots=7))
    ctx.commit()
    from data.scope import Scope, using_scope

    with using_scope(Scope.for_sites({s1})):  # the fast path keeps to the scope's sites on every backend
        assert series.plant_daily(t0.date(), t0.date() + DAY)["shots"].sum() == 150
        assert series.mould_shots(world["moulds"]["S2"], t0, t0 + DAY, "day")["shots"].sum() == 0
    assert series.plant_daily(t0.date(), t0.date() + DAY)["shots"].sum() == 157
    matrix = series.daily_matrix(plant, t0.date(), t0.date() + 2 * DAY)
    assert matrix.shape == (1, 3) and matrix.to_numpy().sum() == 150


# --- condition monitoring ---------------------------------------------------------------------------------

def test_excursions_link_to_the_first_failure_that_followed():
    t = pd.Timestamp("2026-11-01T00:00", tz="UTC")
    alerts = pd.DataFrame({"id": [1, 2, 3, 4], "sensor_id": 1, "ts": [t, t + pd.Timedelta(hours=5), t, t],
                           "mould_id": [10, 10, np.nan, 11], "press_id": [1, 1, 2, 3]})
    failures = pd.DataFrame({"failure_id": [100, 101, 102, 103],
                             "failure_ts": [t + pd.Timedelta(hours=h) for h in (30, 40, 10, 200)],
                             "mould_id": [10, 10, 12, 11], "press_id": [1, 1, 2, 3], "mode": ["Flash", "Leak",
                                                                                               "Sticking", "Flash"]})
    linked = cm.link_failures(alerts, failures).set_index("id")
    assert linked.loc[1, "failure_id"] == 100 and linked.loc[1, "hours_to_failure"] == pytest.approx(30)
    assert linked.loc[2, "failure_id"] == 100 and linked.loc[2, "hours_to_failure"] == pytest.approx(25)
    assert linked.loc[3, "failure_mode"] == "Sticking"  # no mould known: the same press
    assert np.isnan(linked.loc[4, "failure_id"])  # 200 h later is not "followed"


def test_failures_near_takes_numpy_ids_from_frames(ctx, world, codes):
    ctx.add(report(world, codes, at=NOW - DAY))
    ctx.commit()
    press = np.int64(world["presses"]["S1"])  # ids straight out of a DataFrame column
    near = cm.failures_near(NOW - 2 * DAY, NOW, press_ids=[press])
    assert list(near["mode"]) == ["Flash"]
    assert cm.failures_near(NOW - 2 * DAY, NOW, mould_ids=np.array([world["moulds"]["S2"]])).empty


def test_sensor_series_coarsens_but_keeps_the_extremes(ctx, world):
    s1 = world["sites"]["S1"]
    sensor = Sensor(site_id=s1, press_id=world["presses"]["S1"], key="mould_temp", name="Mould temperature",
                    unit="°C", high_threshold=60.0)
    ctx.add(sensor)
    ctx.flush()
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = [{"site_id": s1, "sensor_id": sensor.id, "bucket": t0 + dt.timedelta(hours=i), "n": 60,
             "total": 50.0 * 60, "min": 49.0, "max": 51.0} for i in range(2000)]
    rows[777]["max"] = 80.0
    ctx.execute(SensorHourly.__table__.insert(), rows)
    ctx.commit()
    full = cm.sensor_series(sensor.id, t0, t0 + dt.timedelta(hours=2000))
    assert len(full) == 2000
    small = cm.sensor_series(sensor.id, t0, t0 + dt.timedelta(hours=2000), max_points=500)
    assert len(small) <= 500 and small["max"].max() == 80.0 and small["mean"].iloc[0] == pytest.approx(50.0)
    assert list(cm.sensors_frame()["press"]) == ["S1-P01"]


# --- actions and overview -----------------------------------------------------------------------------------

def test_actions_by_owner_and_age(ctx, world):
    s1 = world["sites"]["S1"]
    today = NOW.date()
    owner = world["users"]["technician"]
    for title, due, created, status, who in (
            ("late", today - dt.timedelta(days=3), NOW - 40 * DAY, ActionStatus.OPEN, owner),
            ("soon", today + dt.timedelta(days=3), NOW - 2 * DAY, ActionStatus.IN_PROGRESS, owner),
            ("nobody", None, NOW - 100 * DAY, ActionStatus.OPEN, None),
            ("done", today - dt.timedelta(days=30), NOW - 60 * DAY, ActionStatus.CLOSED, owner)):
        ctx.add(ActionItem(site_id=s1, title=title, due_date=due, created_at=created, status=status, owner_id=who,
                           mould_id=world["moulds"]["S1"]))
    ctx.commit()
    df = ac.actions_frame(today)
    assert set(df["title"]) == {"late", "soon", "nobody"}
    row = df.set_index("title")
    assert row.loc["late", "days_overdue"] == 3 and row.loc["late", "overdue"]
    assert row.loc["late", "age_bucket"] == "31–90 days" and row.loc["nobody", "owner"] == ac.UNASSIGNED
    owners = ac.actions_by_owner(df).set_index("owner")
    assert owners.loc["technician", "overdue"] == 1 and owners.loc["technician", "total"] == 2
    assert owners.loc["technician", "in_progress"] == 1
    ages = ac.actions_by_age(df).set_index("age_bucket")
    assert ages.loc["0–7 days", "on_track"] == 1 and ages.loc["31–90 days", "overdue"] == 1
    assert ages.loc["over 90 days", "on_track"] == 1
    assert len(ac.actions_frame(today, include_closed=True)) == 4
    assert ac.actions_frame(today, frozenset({world["sites"]["S2"]})).empty


def test_overview_kpis(ctx, world, codes):
    s1, p1, m1 = world["sites"]["S1"], world["presses"]["S1"], world["moulds"]["S1"]
    today = NOW.date()
    for k in range(1, 8):
        ctx.add(ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=today - k * DAY, shots=1_000))
    ctx.add(ShotsDaily(site_id=s1, press_id=p1, mould_id=m1, day=today, shots=500))
    ctx.add_all([report(world, codes, at=NOW - 5 * DAY, downtime="3"),
                 report(world, codes, at=NOW - 45 * DAY), report(world, codes, at=NOW - 50 * DAY)])
    ctx.add(MaintenanceLog(site_id=s1, mould_id=m1, kind=MaintenanceKind.PREVENTIVE, performed_at=NOW - DAY,
                           downtime_hours=Decimal("2")))
    ctx.add(ActionItem(site_id=s1, title="late", due_date=today - DAY, created_at=NOW - 3 * DAY))
    ctx.commit()
    k = kpis.overview_kpis(NOW)
    assert (k.moulds, k.pm_warning, k.pm_not_due) == (2, 1, 1)
    assert (k.actions_open, k.actions_overdue) == (1, 1)
    assert (k.failures_30d, k.failures_prev_30d) == (1, 2)
    assert k.shots_today == 500 and k.shots_avg_7d == pytest.approx(1_000)
    assert k.shots_vs_avg_pct == pytest.approx(50.0)
    assert (k.downtime_month_h, k.unplanned_month_h) == (pytest.approx(5.0), pytest.approx(3.0))
    s2 = kpis.overview_kpis(NOW, frozenset({world["sites"]["S2"]}))
    assert (s2.moulds, s2.failures_30d, s2.shots_today, s2.actions_open) == (1, 0, 0, 0)
    assert s2.shots_vs_avg_pct is None
