"""Every figure builder gives a figure plotly accepts with full validation, and draws what it is given."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from components import figures
from data.analytics import actions as ac
from data.analytics import failures as fa
from data.analytics.weibull import fit_weibull, median_ranks

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def validated(fig: go.Figure) -> go.Figure:
    """Rebuild the figure with plotly's validation on (builders skip it for speed)."""
    assert isinstance(fig, go.Figure)
    return go.Figure(fig.to_dict())


def failures_df() -> pd.DataFrame:
    return pd.DataFrame({"id": range(6), "occurred_at": pd.date_range("2026-08-01", periods=6, freq="20D", tz="UTC"),
                         "mode": ["Flash", "Flash", "Leak", "Flash", "Galling", "Leak"],
                         "severity": ["low", "medium", "high", "critical", "medium", "high"],
                         "downtime_hours": [1.0, 2, 3, 4, 5, 6], "mould": ["T-1"] * 6})


def sample_figures() -> dict[str, go.Figure]:
    rng = np.random.default_rng(1)
    t = 1e6 * rng.weibull(2, 30)
    failed = rng.random(30) < 0.7
    fit = fit_weibull(t, failed)
    pts_t, pts_f = median_ranks(t, failed)
    df = failures_df()
    days = pd.Series([100, 200, 0, 50], index=pd.date_range("2026-11-01", periods=4).date)
    daily = pd.DataFrame({"press": ["P1", "P2", "P1"], "site": ["S1", "S2", "S1"],
                          "day": [dt.date(2026, 11, 1), dt.date(2026, 11, 1), dt.date(2026, 11, 2)],
                          "shots": [10, 20, 30]})
    series = pd.DataFrame({"ts": pd.date_range("2026-11-01", periods=48, freq="h", tz="UTC"),
                           "shots": np.arange(48)})
    sensor = pd.DataFrame({"ts": series["ts"], "mean": 50.0, "min": 49.0, "max": 51.0})
    alerts = pd.DataFrame({"ts": series["ts"][:2], "value": [70.0, 71.0], "kind": ["high", "high"],
                           "mould": ["T-1", None]})
    fails = pd.DataFrame({"failure_ts": series["ts"][5:6], "mode": ["Flash"], "mould": ["T-1"]})
    mounts = pd.DataFrame({"press": ["P1"], "on": [NOW - dt.timedelta(days=3)], "off": [NOW]})
    logs = pd.DataFrame({"kind": ["preventive", "corrective"], "performed_at": [NOW, NOW], "work_done": ["PM", "Fix"]})
    owners = pd.DataFrame({"owner": ["A", "B"], "open": [2, 1], "in_progress": [1, 0], "overdue": [1, 1],
                           "total": [3, 1]})
    return {
        "message": figures.message_figure("Nothing"),
        "pm_bands": figures.pm_bands({"NOT_DUE": 3, "WARNING": 1, "DUE": 0, "OVERDUE": 2}),
        "pm_forecast": figures.pm_forecast(pd.DataFrame({"week": pd.date_range("2026-11-23", periods=3, freq="7D"),
                                                         "forecast": [1, 2, 3], "already_due": [2, 0, 0]})),
        "daily_shots": figures.daily_shots(days),
        "daily_by_site": figures.daily_by_site(daily, dt.date(2026, 11, 1), dt.date(2026, 11, 3)),
        "plant_heatmap": figures.plant_heatmap(pd.DataFrame([[1, 2], [3, 4]], index=["P1", "P2"],
                                                            columns=[dt.date(2026, 11, 1), dt.date(2026, 11, 2)])),
        "pareto": figures.pareto(fa.pareto(df, "mode"), "Mode", "Failures"),
        "trend": figures.monthly_trend(fa.monthly_trend(df, NOW - dt.timedelta(days=200), NOW)),
        "severity": figures.severity_mix(fa.severity_mix(df)),
        "downtime": figures.downtime_by_mould(pd.DataFrame({"mould": ["T-1"], "unplanned_hours": [3.0],
                                                            "planned_hours": [2.0]})),
        "shots": figures.shots_series(series, "hour", (NOW - dt.timedelta(days=1), NOW), total_points=100),
        "timeline": figures.mould_timeline(mounts, logs, df.assign(occurred_at=NOW), NOW - dt.timedelta(days=5), NOW),
        "weibull": figures.weibull_plot(pd.DataFrame({"time": pts_t, "F": pts_f}), fit, "Flash"),
        "reliability": figures.reliability_bars(pd.DataFrame({"group": ["a", "b"], "mtbf_shots": [1e5, np.nan]})),
        "risk": figures.risk_bars(pd.DataFrame({"code": ["T-1", "T-2"], "p_mode": [0.3, 0.1]}), 1e5),
        "sensor": figures.sensor_series(sensor, "Mould temperature", "°C", 40.0, 62.0, alerts, fails,
                                        mounts.rename(columns={"press": "press"})),
        "by_owner": figures.actions_by_owner(owners),
        "by_age": figures.actions_by_age(ac.actions_by_age(pd.DataFrame({
            "id": [1, 2], "status": ["open", "open"], "overdue": [True, False], "age_bucket": ["0–7 days",
                                                                                              "over 90 days"]}))),
    }


@pytest.mark.parametrize("name", list(sample_figures()))
def test_builders_make_valid_figures(name):
    fig = validated(sample_figures()[name])
    assert fig.layout.template.layout.font.family == figures.FONT


def test_figures_draw_their_data():
    figs = sample_figures()
    pareto = figs["pareto"]
    assert list(pareto.data[0].x) == ["Flash", "Leak", "Galling"] and list(pareto.data[0].y) == [3, 2, 1]
    assert pareto.data[1].y[-1] == pytest.approx(100)
    sites = figs["daily_by_site"]
    assert [t.name for t in sites.data] == ["S1", "S2"] and list(sites.data[0].y) == [10, 30, 0]
    assert list(figs["plant_heatmap"].data[0].z[1]) == [3, 4]
    shots = figs["shots"]
    assert len(shots.data[0].y) == 48 and "48 of 100 points" in shots.layout.annotations[0].text
    assert str(shots.data[0].x[0]).startswith("2026-11-01T00:00")  # UTC wall-clock times
    sensor = figs["sensor"]
    assert {s.y0 for s in sensor.layout.shapes if s.type == "line"} == {40.0, 62.0}
    assert any(t.name == "Failure" for t in sensor.data) and any(t.name == "Excursion" for t in sensor.data)
    weibull = figs["weibull"]
    assert weibull.layout.xaxis.type == "log" and weibull.data[1].name.startswith("Fit β=")
