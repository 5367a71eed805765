"""The dashboards' figure builders drawn as SVG for the PDF review: valid SVG, bars where the data says, text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from components import figures
from components.svg import UnsupportedFigure, figure_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def data_rects(root) -> list[ET.Element]:
    """Bars: rectangles inside the clipped plot group."""
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("clip-path")]
    return [r for g in groups for r in g.iter("{http://www.w3.org/2000/svg}rect")]


def test_pareto_bars_are_proportional_and_the_cumulative_line_and_80_mark_are_drawn():
    df = pd.DataFrame({"category": ["Flash", "Water leak", "Sticking"], "value": [10.0, 5.0, 2.5]})
    df["share"] = df["value"] / df["value"].sum() * 100
    df["cumulative"] = df["share"].cumsum()
    root = parse(figure_svg(figures.pareto(df, "Failure mode", "Failures"), 600))
    bars = data_rects(root)
    heights = [float(r.get("height")) for r in bars]
    assert len(bars) == 3 and heights[0] == pytest.approx(2 * heights[1], rel=0.01)
    assert heights[1] == pytest.approx(2 * heights[2], rel=0.02)
    words = texts(root)
    assert {"Flash", "Water leak", "Sticking", "Failure mode", "Failures", "Cumulative %", "100 %"} <= set(words)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}polyline"))) == 1
    assert any(line.get("stroke-dasharray") for line in root.iter("{http://www.w3.org/2000/svg}line"))


def test_stacked_monthly_bars_use_one_band_per_month_with_date_labels():
    months = pd.date_range("2026-01-01", periods=3, freq="MS")
    trend = pd.DataFrame({"month": list(months) * 4, "severity": sum(([s] * 3 for s in figures.SEVERITY_COLOURS), []),
                          "count": [1, 2, 3] * 4})
    root = parse(figure_svg(figures.monthly_trend(trend), 600))
    bars = data_rects(root)
    assert len(bars) == 12  # 3 months x 4 severities, stacked
    xs = {round(float(r.get("x")), 1) for r in bars}
    assert len(xs) == 3
    assert "Jan2026" in texts(root) and "Low" in texts(root)


def test_horizontal_bars_put_the_first_category_at_the_bottom_like_plotly():
    df = pd.DataFrame({"mould": ["T-1", "T-2"], "family": ["a", "b"], "unplanned_hours": [10.0, 2.0],
                       "planned_hours": [1.0, 1.0], "total_hours": [11.0, 3.0]})
    root = parse(figure_svg(figures.downtime_by_mould(df), 600))
    labels = {t.text if t.text else "".join(t.itertext()): t for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert float(labels["T-1"].get("y")) < float(labels["T-2"].get("y"))  # the builder reverses: largest on top


def test_weibull_plot_has_a_log_axis_and_stays_inside_the_plot():
    from data.analytics.weibull import fit_weibull, median_ranks

    t = pd.Series([1e5, 2e5, 3e5, 4e5, 6e5])
    f = pd.Series([True, True, True, False, True])
    fit = fit_weibull(t.to_numpy(), f.to_numpy())
    tt, ff = median_ranks(t, f)
    svg = figure_svg(figures.weibull_plot(pd.DataFrame({"time": tt, "F": ff}), fit, "Flash"), 600)
    root = parse(svg)
    words = texts(root)
    assert "Flash" in words and "99 %" in words and any(w.startswith("B10") for w in words)
    assert any(w in words for w in ("100k", "200k", "1M"))
    assert 'clip-path="url(#plot-clip-' in svg


def test_colour_scales_and_message_figures():
    risk = pd.DataFrame({"mould_id": [1, 2], "code": ["T-1", "T-2"], "family": ["a", "a"], "age": [1.0, 2.0],
                         "p_mode": [0.1, 0.5], "p_any": [0.2, 0.6], "days_for_n": [3.0, 4.0]})
    root = parse(figure_svg(figures.risk_bars(risk, 100_000), 500))
    fills = {r.get("fill") for r in data_rects(root)} - {"#ffffff"}
    assert len(fills) == 2  # two probabilities, two colours on the scale
    root = parse(figure_svg(figures.message_figure("No failures in this period"), 500))
    assert texts(root) == ["No failures in this period"]


def test_unsupported_traces_are_refused_clearly():
    with pytest.raises(UnsupportedFigure, match="pie"):
        figure_svg(go.Figure(go.Pie(labels=["a"], values=[1])))
    assert parse(figure_svg(go.Figure(go.Scatter(x=np.arange(3), y=[1, 2, 3]))))  # plain figures work too
