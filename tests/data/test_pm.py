"""PM bands by shots or days (whichever first) and the forecast due date."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.pm import Band, pm_frame, pm_status

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "shots, interval, expected",
    [(0, 100_000, Band.NOT_DUE), (84_999, 100_000, Band.NOT_DUE), (85_000, 100_000, Band.WARNING),
     (99_999, 100_000, Band.WARNING), (100_000, 100_000, Band.DUE), (109_999, 100_000, Band.DUE),
     (110_000, 100_000, Band.OVERDUE)],
)
def test_band_by_shots(shots, interval, expected):
    assert pm_status(shots, interval, None, None, 85, NOW).band is expected


def test_days_win_when_they_come_first():
    st = pm_status(10_000, 100_000, NOW - dt.timedelta(days=95), 90, 85, NOW)
    assert st.band is Band.DUE and st.driver == "days"
    assert st.pct_used == pytest.approx(95 / 90 * 100)


def test_forecast_uses_recent_rate_and_the_earlier_limit():
    st = pm_status(50_000, 100_000, NOW - dt.timedelta(days=10), 90, 85, NOW, shots_per_day=5_000)
    assert st.days_left == pytest.approx(10)  # 50,000 shots left at 5,000 a day, before day 90
    assert st.forecast_due == NOW + dt.timedelta(days=10)
    slow = pm_status(50_000, 100_000, NOW - dt.timedelta(days=85), 90, 85, NOW, shots_per_day=100)
    assert slow.days_left == pytest.approx(5)  # the 90-day limit comes first


def test_no_interval_means_no_band_and_no_forecast():
    st = pm_status(1_000_000, None, None, None, 85, NOW)
    assert st.band is Band.NOT_DUE and st.pct_used is None and st.forecast_due is None


def test_frame_matches_scalar():
    df = pd.DataFrame({"shots_since_pm": [90_000, 5], "pm_interval_shots": [100_000, None],
                       "last_pm_at": [NOW - dt.timedelta(days=1), NOW - dt.timedelta(days=31)],
                       "pm_interval_days": [None, 30], "pm_warning_pct": [85, 85], "shots_per_day": [1_000, None]})
    out = pm_frame(df, NOW)
    assert list(out["band"]) == ["WARNING", "DUE"]
    assert list(out["driver"]) == ["shots", "days"]
