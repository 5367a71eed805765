"""Plotly figure builders for the dashboards and the weekly PDF review.

Each takes the DataFrames/dataclasses of data.analytics and returns a plain go.Figure (no Dash), so the
same figure renders in the browser and as SVG in a report. Builders assemble the figure as one dict and
construct it once without plotly's per-property validation (tests validate every builder's output
fully): building through update_* calls costs tens of milliseconds a figure, a large share of a
dashboard callback.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from data.analytics.common import day_offsets
from data.analytics.weibull import WeibullFit, weibull_cdf, weibull_paper_y

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
PRIMARY = "#0d6efd"
MUTED = "#6c757d"
GRID = "#e9ecef"
DANGER = "#c92a2a"
BAND_COLOURS = {"NOT_DUE": "#2f9e44", "WARNING": "#f59f00", "DUE": "#e8590c", "OVERDUE": "#c92a2a"}
BAND_LABELS = {"NOT_DUE": "Not due", "WARNING": "Warning", "DUE": "Due", "OVERDUE": "Overdue"}
SEVERITY_COLOURS = {"low": "#74c0fc", "medium": "#fcc419", "high": "#fd7e14", "critical": "#c92a2a"}
SITE_PALETTE = ["#1c7ed6", "#37b24d", "#f59f00", "#ae3ec9", "#0ca678", "#e8590c", "#495057"]
SENSOR_COLOUR = "#1971c2"

# The house template, built once (plotly's named templates are deep-copied on every use).
HOUSE = go.layout.Template(layout={
    "font": {"family": FONT, "size": 12, "color": "#212529"}, "hoverlabel": {"font": {"family": FONT}},
    "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "#ffffff", "colorway": SITE_PALETTE,
    "margin": {"l": 56, "r": 24, "t": 36, "b": 44}, "hovermode": "closest",
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": {"text": ""}},
    "xaxis": {"gridcolor": GRID, "zeroline": False, "linecolor": "#ced4da", "automargin": True},
    "yaxis": {"gridcolor": GRID, "zeroline": False, "linecolor": "#ced4da", "automargin": True},
})
_HOUSE_JSON = HOUSE.to_plotly_json()


def figure(data: list[dict], layout: dict[str, Any], height: int = 320, legend: bool = True) -> go.Figure:
    """A go.Figure in the house style from trace dicts and layout settings, constructed in one step."""
    return go.Figure({"data": data, "layout": {"template": _HOUSE_JSON, "height": height, "showlegend": legend,
                                               **layout}}, _validate=False)


def _nums(values) -> np.ndarray:
    """Numbers as a float array (NaN is sent as null); arrays, unlike lists, are not deep-copied by plotly."""
    return np.asarray(values, dtype="float64")


def _times(values) -> np.ndarray:
    """Times (UTC) as a naive datetime64 array, which plotly draws as UTC wall-clock times."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(values) if not hasattr(values, "dtype") else values),
                                          utc=True))
    return idx.tz_convert(None).to_numpy().astype("datetime64[us]")  # .tolist() gives datetimes, not ints


def _title(text: str | None) -> dict:
    return {"text": text or ""}


def message_figure(message: str, height: int = 240) -> go.Figure:
    """A blank figure that says why there is nothing to draw (for reports; pages show an empty state)."""
    return figure([], {"annotations": [{"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper",
                                        "yref": "paper", "font": {"size": 14, "color": MUTED}}],
                       "xaxis": {"visible": False}, "yaxis": {"visible": False}}, height, legend=False)


def pm_bands(counts: dict[str, int], height: int = 260) -> go.Figure:
    """Moulds per PM band as one horizontal stacked bar (not due, warning, due, overdue)."""
    data = []
    for band in ("NOT_DUE", "WARNING", "DUE", "OVERDUE"):
        n = int(counts.get(band, 0))
        data.append({"type": "bar", "y": ["Moulds"], "x": [n], "orientation": "h",
                     "name": f"{BAND_LABELS[band]} ({n})", "marker": {"color": BAND_COLOURS[band]},
                     "text": [n if n else ""], "textposition": "inside",
                     "hovertemplate": f"{BAND_LABELS[band]}: %{{x}} moulds<extra></extra>"})
    return figure(data, {"barmode": "stack", "bargap": 0.35, "yaxis": {"visible": False},
                         "xaxis": {"title": _title("Moulds")}}, height)


def pm_forecast(weeks: pd.DataFrame, height: int = 300) -> go.Figure:
    """PM workload ahead: moulds falling due per week, with those already due in the first week."""
    labels = [f"{w:%d %b}" for w in pd.to_datetime(weeks["week"])]
    data = [{"type": "bar", "x": labels, "y": _nums(weeks["already_due"]), "name": "Already due or overdue",
             "marker": {"color": BAND_COLOURS["DUE"]},
             "hovertemplate": "Week of %{x}: %{y} already due<extra></extra>"},
            {"type": "bar", "x": labels, "y": _nums(weeks["forecast"]), "name": "Forecast to fall due",
             "marker": {"color": PRIMARY}, "hovertemplate": "Week of %{x}: %{y} forecast<extra></extra>"}]
    return figure(data, {"barmode": "stack", "xaxis": {"title": _title("Week starting"), "type": "category"},
                         "yaxis": {"title": _title("PMs"), "rangemode": "tozero"}}, height)


def daily_shots(days: pd.Series, height: int = 280, name: str = "Shots") -> go.Figure:
    """Shots per day as bars, with the 7-day moving average as a line."""
    x = _times(pd.to_datetime(pd.Index(days.index)))
    data = [{"type": "bar", "x": x, "y": _nums(days), "name": name, "marker": {"color": "#a5d8ff"},
             "hovertemplate": "%{x|%a %d %b}: %{y:,} shots<extra></extra>"},
            {"type": "scatter", "x": x, "y": _nums(days.rolling(7, min_periods=1).mean()), "name": "7-day average",
             "line": {"color": PRIMARY, "width": 2}, "hovertemplate": "7-day avg %{y:,.0f}<extra></extra>"}]
    return figure(data, {"yaxis": {"title": _title("Shots per day"), "rangemode": "tozero"}}, height)


def daily_by_site(daily: pd.DataFrame, start: dt.date, end: dt.date, height: int = 280) -> go.Figure:
    """Shots per UTC day stacked by site (from series.plant_daily), every day of the range on the axis."""
    days = pd.date_range(start, end, freq="D")
    x = list(days.strftime("%Y-%m-%d"))
    data = []
    if len(daily):
        sites, site_idx = np.unique(daily["site"].fillna("—").to_numpy(str), return_inverse=True)
        offsets = day_offsets(daily["day"], start)
        ok = (offsets >= 0) & (offsets < len(days))
        totals = np.zeros((len(sites), len(days)), dtype="int64")
        np.add.at(totals, (site_idx[ok], offsets[ok]), daily["shots"].to_numpy("int64")[ok])
        for k, site in enumerate(sites):
            data.append({"type": "bar", "x": x, "y": totals[k], "name": str(site),
                         "marker": {"color": SITE_PALETTE[k % len(SITE_PALETTE)]},
                         "hovertemplate": f"{site} · %{{x|%a %d %b}}: %{{y:,}} shots<extra></extra>"})
    return figure(data, {"barmode": "stack", "bargap": 0.15,
                         "yaxis": {"title": _title("Shots per day"), "rangemode": "tozero"}}, height)


def plant_heatmap(matrix: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Shots per press per day as a heatmap (rows: presses, columns: days)."""
    n = len(matrix.index)
    height = height or int(min(900, max(260, 60 + 14 * n)))
    data = [{"type": "heatmap", "z": matrix.to_numpy(dtype="int64"),
             "x": [f"{d:%Y-%m-%d}" for d in matrix.columns], "y": [str(p) for p in matrix.index],
             "colorscale": "Blues", "zmin": 0, "xgap": 0, "ygap": 1,
             "colorbar": {"title": {"text": "Shots"}, "thickness": 12},
             "hovertemplate": "%{y} · %{x|%d %b %Y}<br>%{z:,.0f} shots<extra></extra>"}]
    return figure(data, {"yaxis": {"autorange": "reversed", "showgrid": False, "tickfont": {"size": 10}},
                         "xaxis": {"showgrid": False}}, height, legend=False)


def pareto(df: pd.DataFrame, label: str, metric_label: str, height: int = 380) -> go.Figure:
    """Pareto chart: bars largest first and the cumulative share line on a 0-100 % axis, with the 80 % mark."""
    cats = [str(c) for c in df["category"]]
    data = [{"type": "bar", "x": cats, "y": _nums(df["value"]), "name": metric_label, "marker": {"color": PRIMARY},
             "customdata": _nums(df["share"]),
             "hovertemplate": "%{x}<br>%{y:,.1f} (%{customdata:.1f} %)<extra></extra>"},
            {"type": "scatter", "x": cats, "y": _nums(df["cumulative"]), "name": "Cumulative %", "yaxis": "y2",
             "mode": "lines+markers", "line": {"color": "#e8590c", "width": 2}, "marker": {"size": 6},
             "hovertemplate": "Cumulative %{y:.1f} %<extra></extra>"}]
    return figure(data, {
        "margin": {"r": 56},
        "xaxis": {"title": _title(label), "type": "category", "tickangle": -30 if len(df) > 6 else 0},
        "yaxis": {"title": _title(metric_label), "rangemode": "tozero"},
        "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 105], "ticksuffix": " %", "showgrid": False,
                   "tickvals": [0, 20, 40, 60, 80, 100], "zeroline": False},
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y2", "y0": 80, "y1": 80,
                    "line": {"color": "#e8590c", "dash": "dot", "width": 1}}],
    }, height)


def monthly_trend(trend: pd.DataFrame, height: int = 320) -> go.Figure:
    """Failures per month stacked by severity."""
    data = []
    for sev, colour in SEVERITY_COLOURS.items():
        part = trend[trend["severity"] == sev]
        data.append({"type": "bar", "x": [f"{m:%Y-%m-%d}" for m in pd.to_datetime(part["month"])],
                     "y": _nums(part["count"]), "name": sev.capitalize(), "marker": {"color": colour},
                     "xperiod": "M1", "xperiodalignment": "middle",
                     "hovertemplate": f"%{{x|%b %Y}}: %{{y}} {sev}<extra></extra>"})
    return figure(data, {"barmode": "stack", "xaxis": {"dtick": "M1", "tickformat": "%b\n%Y", "type": "date"},
                         "yaxis": {"title": _title("Failures"), "rangemode": "tozero"}}, height)


def severity_mix(mix: pd.DataFrame, height: int = 320) -> go.Figure:
    """Share of failures per severity as a donut, with downtime in the hover."""
    data = [{"type": "pie", "labels": [s.capitalize() for s in mix["severity"]], "values": _nums(mix["count"]),
             "hole": 0.55, "sort": False, "direction": "clockwise", "textinfo": "value+percent",
             "marker": {"colors": [SEVERITY_COLOURS[s] for s in mix["severity"]]},
             "customdata": _nums(mix["downtime_hours"]),
             "hovertemplate": "%{label}: %{value} failures<br>%{customdata:,.1f} h downtime<extra></extra>"}]
    return figure(data, {}, height)


def downtime_by_mould(df: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Downtime hours per mould, unplanned (failures) and planned (PM), largest at the top."""
    df = df.iloc[::-1]
    height = height or int(max(240, 60 + 24 * len(df)))
    moulds = [str(m) for m in df["mould"]]
    data = [{"type": "bar", "y": moulds, "x": _nums(df["unplanned_hours"]), "orientation": "h",
             "name": "Unplanned (failures)", "marker": {"color": SEVERITY_COLOURS["high"]},
             "hovertemplate": "%{y}: %{x:,.1f} h unplanned<extra></extra>"},
            {"type": "bar", "y": moulds, "x": _nums(df["planned_hours"]), "orientation": "h", "name": "Planned (PM)",
             "marker": {"color": "#a5d8ff"}, "hovertemplate": "%{y}: %{x:,.1f} h planned<extra></extra>"}]
    return figure(data, {"barmode": "stack", "xaxis": {"title": _title("Hours")}, "yaxis": {"type": "category"}},
                  height)


def shots_series(df: pd.DataFrame, resolution: str, x_range: tuple | None = None, height: int = 340,
                 total_points: int | None = None) -> go.Figure:
    """Shots per hour or day of one mould (already downsampled); scattergl past a few thousand points."""
    label = "Shots per hour" if resolution == "hour" else "Shots per day"
    data = [{"type": "scattergl" if len(df) > 5000 else "scatter", "x": _times(df["ts"]),
             "y": df["shots"].to_numpy("int64"), "mode": "lines", "name": label,
             "line": {"color": PRIMARY, "width": 1.3}, "fill": "tozeroy", "fillcolor": "rgba(13,110,253,0.12)",
             "hovertemplate": ("%{x|%d %b %Y %H:00}" if resolution == "hour" else "%{x|%a %d %b %Y}")
             + "<br>%{y:,} shots<extra></extra>"}]
    layout: dict[str, Any] = {"uirevision": "shots", "dragmode": "zoom", "hovermode": "x",
                              "yaxis": {"title": _title(label), "rangemode": "tozero", "fixedrange": True},
                              "xaxis": {"type": "date"}}
    if x_range:
        layout["xaxis"]["range"] = _times(x_range)
    if total_points and total_points > len(df):
        layout["annotations"] = [{"text": f"{len(df):,} of {total_points:,} points (MinMaxLTTB)", "xref": "paper",
                                  "yref": "paper", "x": 1, "y": 1.06, "showarrow": False, "xanchor": "right",
                                  "font": {"size": 10, "color": MUTED}}]
    return figure(data, layout, height, legend=False)


def mould_timeline(mounts: pd.DataFrame, logs: pd.DataFrame, failures: pd.DataFrame, start: dt.datetime,
                   end: dt.datetime, height: int = 300) -> go.Figure:
    """Mounts as bars per press, maintenance and failures as markers on their own rows."""
    data = []
    for row in mounts.itertuples():
        on, off = pd.Timestamp(row.on), pd.Timestamp(row.off)
        data.append({"type": "bar", "y": [row.press], "x": [(off - on).total_seconds() * 1000],
                     "base": _times([on]), "orientation": "h", "showlegend": False,
                     "marker": {"color": "#74c0fc", "line": {"width": 0}},
                     "hovertemplate": f"On {row.press}<br>{on:%d %b %Y %H:%M} – {off:%d %b %Y %H:%M}<extra></extra>"})
    for kind, symbol, colour, name in (("preventive", "diamond", "#2f9e44", "PM"),
                                       ("corrective", "square", "#f59f00", "Repair")):
        part = logs[logs["kind"] == kind] if len(logs) else logs
        if len(part):
            data.append({"type": "scatter", "x": _times(part["performed_at"]), "y": ["Maintenance"] * len(part),
                         "mode": "markers", "name": name, "text": list(part["work_done"]),
                         "marker": {"symbol": symbol, "size": 11, "color": colour, "line": {"width": 1,
                                                                                              "color": "#fff"}},
                         "hovertemplate": "%{x|%d %b %Y}<br>%{text}<extra></extra>"})
    if len(failures):
        data.append({"type": "scatter", "x": _times(failures["occurred_at"]), "y": ["Failures"] * len(failures),
                     "mode": "markers", "name": "Failure",
                     "text": [f"{m} ({s})" for m, s in zip(failures["mode"], failures["severity"], strict=True)],
                     "marker": {"symbol": "x", "size": 11, "line": {"width": 1},
                                "color": [SEVERITY_COLOURS.get(s, MUTED) for s in failures["severity"]]},
                     "hovertemplate": "%{x|%d %b %Y}<br>%{text}<extra></extra>"})
    rows = ["Failures", "Maintenance", *(sorted(set(mounts["press"])) if len(mounts) else [])]
    return figure(data, {"barmode": "overlay", "bargap": 0.4,
                         "yaxis": {"categoryorder": "array", "categoryarray": rows[::-1], "type": "category"},
                         "xaxis": {"type": "date", "range": _times([start, end])}}, max(height, 120 + 34 * len(rows)))


def weibull_plot(points: pd.DataFrame, fit: WeibullFit | None, title: str = "", height: int = 420) -> go.Figure:
    """Weibull probability plot: median-rank failure points and the fitted line on Weibull paper."""
    data: list[dict] = []
    shapes, annotations = [], []
    if len(points):
        data.append({"type": "scatter", "x": _nums(points["time"]), "y": _nums(weibull_paper_y(points["F"])),
                     "mode": "markers", "name": "Failures (median rank)", "customdata": _nums(points["F"] * 100),
                     "marker": {"size": 8, "color": PRIMARY, "line": {"width": 1, "color": "#fff"}},
                     "hovertemplate": "%{x:,.0f} shots<br>F = %{customdata:.1f} %<extra></extra>"})
    if fit is not None:
        lo = max(min(points["time"].min() if len(points) else fit.eta, fit.b_life(0.01)) * 0.7, 1.0)
        hi = max(points["time"].max() if len(points) else fit.eta, fit.b_life(0.99)) * 1.2
        t = np.geomspace(lo, hi, 120)
        data.append({"type": "scatter", "x": _nums(t), "y": _nums(weibull_paper_y(weibull_cdf(t, fit.beta, fit.eta))),
                     "mode": "lines", "name": f"Fit β={fit.beta:.2f}, η={fit.eta:,.0f}",
                     "line": {"color": "#e8590c", "width": 2}, "hovertemplate": "%{x:,.0f} shots<extra>fit</extra>"})
        b10 = float(np.log10(fit.b10))  # shapes and annotations on a log axis take log10 positions
        shapes.append({"type": "line", "x0": b10, "x1": b10, "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"color": MUTED, "dash": "dot", "width": 1}})
        annotations.append({"x": b10, "y": 1, "yref": "paper", "text": f"B10 {fit.b10:,.0f}",
                            "showarrow": False, "xanchor": "right", "yanchor": "top",
                            "font": {"size": 10, "color": MUTED}})
    ticks = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.632, 0.8, 0.9, 0.95, 0.99])
    layout: dict[str, Any] = {
        "shapes": shapes, "annotations": annotations,
        "yaxis": {"tickvals": _nums(weibull_paper_y(ticks)), "ticktext": [f"{p * 100:g} %" for p in ticks],
                  "title": _title("Unreliability F(t)"),
                  "range": [float(weibull_paper_y(0.005)), float(weibull_paper_y(0.995))]},
        "xaxis": {"type": "log", "title": _title("Shots to failure")},
    }
    if title:
        layout.update(title={"text": title, "font": {"size": 13}, "x": 0, "xanchor": "left"},
                      margin={"t": 64})
    return figure(data, layout, height)


def reliability_bars(table: pd.DataFrame, value: str = "mtbf_shots", label: str = "MTBF (shots)",
                     height: int | None = None) -> go.Figure:
    """A horizontal bar per group (mould, family or mode) of an MTBF table column, largest at the top."""
    df = table.dropna(subset=[value]).sort_values(value).tail(25)
    height = height or int(max(240, 60 + 22 * len(df)))
    data = [{"type": "bar", "y": [str(g) for g in df["group"]], "x": _nums(df[value]), "orientation": "h",
             "marker": {"color": PRIMARY}, "hovertemplate": "%{y}: %{x:,.0f}<extra></extra>"}]
    return figure(data, {"xaxis": {"title": _title(label)}, "yaxis": {"type": "category"}}, height, legend=False)


def risk_bars(risk: pd.DataFrame, n_shots: float, column: str = "p_mode", label: str = "", top: int = 15,
              height: int | None = None) -> go.Figure:
    """The moulds most likely to fail within the next n_shots, as horizontal bars of probability."""
    df = risk.dropna(subset=[column]).head(top).iloc[::-1]
    height = height or int(max(240, 60 + 22 * len(df)))
    pct = df[column] * 100
    top_pct = float(pct.max()) if len(df) else 100.0
    data = [{"type": "bar", "y": list(df["code"]), "x": _nums(pct), "orientation": "h",
             "marker": {"color": _nums(pct), "colorscale": [[0, "#ffc078"], [1, DANGER]], "cmin": 0,
                        "cmax": max(top_pct, 1.0)},
             "hovertemplate": "%{y}: %{x:.1f} %<extra></extra>"}]
    return figure(data, {"xaxis": {"title": _title(label or f"P(failure in next {n_shots:,.0f} shots)"),
                                   "ticksuffix": " %", "range": [0, min(100.0, max(5.0, top_pct * 1.15))]},
                         "yaxis": {"type": "category"}}, height, legend=False)


def sensor_series(series: pd.DataFrame, name: str, unit: str, low: float | None, high: float | None,
                  alerts: pd.DataFrame, failures: pd.DataFrame, mounted: pd.DataFrame | None = None,
                  height: int = 380) -> go.Figure:
    """Hourly mean with the min-max band, thresholds, excursions (red) and failures that followed (markers)."""
    data: list[dict] = []
    shapes, annotations = [], []
    if len(series):
        x = _times(series["ts"])
        data += [{"type": "scatter", "x": x, "y": _nums(series["max"]), "mode": "lines", "line": {"width": 0},
                  "showlegend": False, "hoverinfo": "skip"},
                 {"type": "scatter", "x": x, "y": _nums(series["min"]), "mode": "lines", "line": {"width": 0},
                  "fill": "tonexty", "fillcolor": "rgba(25,113,194,0.15)", "name": "Hourly min–max",
                  "hoverinfo": "skip"},
                 {"type": "scatter", "x": x, "y": _nums(series["mean"]), "mode": "lines", "name": f"{name} (mean)",
                  "line": {"color": SENSOR_COLOUR, "width": 1.4},
                  "hovertemplate": "%{x|%d %b %Y %H:00}<br>%{y:.2f} " + unit + "<extra></extra>"}]
    for value, text in ((high, "High limit"), (low, "Low limit")):
        if value is not None and not pd.isna(value):
            shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": value, "y1": value,
                           "line": {"color": DANGER, "dash": "dash", "width": 1.2}})
            annotations.append({"xref": "paper", "x": 0, "y": value, "text": f"{text} {value:g} {unit}",
                                "showarrow": False, "xanchor": "left", "yanchor": "bottom",
                                "font": {"size": 10, "color": DANGER}})
    if len(alerts):
        data.append({"type": "scatter", "x": _times(alerts["ts"]), "y": _nums(alerts["value"]), "mode": "markers",
                     "name": "Excursion", "marker": {"color": DANGER, "size": 9, "symbol": "circle-open",
                                                     "line": {"width": 2}},
                     "customdata": [[k, m if isinstance(m, str) else "—"]
                                    for k, m in zip(alerts["kind"], alerts["mould"], strict=True)],
                     "hovertemplate": "%{x|%d %b %Y %H:%M}<br>%{y:.2f} " + unit
                     + " (%{customdata[0]})<br>mould %{customdata[1]}<extra></extra>"})
    if len(failures):
        y_top = float(series["max"].max()) if len(series) else float(high or 1.0)
        data.append({"type": "scatter", "x": _times(failures["failure_ts"]), "y": [y_top] * len(failures),
                     "mode": "markers+text", "name": "Failure", "text": list(failures["mode"]),
                     "textposition": "top center", "textfont": {"size": 10, "color": "#862e9c"},
                     "marker": {"symbol": "triangle-down", "size": 12, "color": "#862e9c"},
                     "customdata": list(failures["mould"]),
                     "hovertemplate": "%{x|%d %b %Y %H:%M}<br>Failure: %{text} on %{customdata}<extra></extra>"})
    if mounted is not None:
        for row in mounted.itertuples():
            on, off = _times([row.on, row.off])
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": on, "x1": off, "y0": 0, "y1": 1,
                           "fillcolor": "#fff3bf", "opacity": 0.35, "line": {"width": 0}, "layer": "below"})
    return figure(data, {"shapes": shapes, "annotations": annotations, "hovermode": "closest",
                         "uirevision": "sensor", "xaxis": {"type": "date"},
                         "yaxis": {"title": _title(f"{name} ({unit})" if unit else name)}}, height)


def actions_by_owner(df: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Open actions per owner: overdue and on track, stacked, most overdue at the top."""
    df = df.iloc[::-1]
    height = height or int(max(220, 70 + 28 * len(df)))
    on_track = (df["open"] + df["in_progress"] - df["overdue"]).clip(lower=0)
    owners = [str(o) for o in df["owner"]]
    data = [{"type": "bar", "y": owners, "x": _nums(df["overdue"]), "orientation": "h", "name": "Overdue",
             "marker": {"color": DANGER}, "hovertemplate": "%{y}: %{x} overdue<extra></extra>"},
            {"type": "bar", "y": owners, "x": _nums(on_track), "orientation": "h", "name": "On track",
             "marker": {"color": PRIMARY}, "hovertemplate": "%{y}: %{x} on track<extra></extra>"}]
    xaxis: dict[str, Any] = {"title": _title("Open actions")}
    if len(df) and df["total"].max() <= 10:
        xaxis["dtick"] = 1
    return figure(data, {"barmode": "stack", "xaxis": xaxis, "yaxis": {"type": "category"}}, height)


def actions_by_age(df: pd.DataFrame, height: int = 260) -> go.Figure:
    """Open actions per age bucket, overdue and on track."""
    buckets = list(df["age_bucket"])
    data = [{"type": "bar", "x": buckets, "y": _nums(df["on_track"]), "name": "On track",
             "marker": {"color": PRIMARY}, "hovertemplate": "%{x}: %{y} on track<extra></extra>"},
            {"type": "bar", "x": buckets, "y": _nums(df["overdue"]), "name": "Overdue", "marker": {"color": DANGER},
             "hovertemplate": "%{x}: %{y} overdue<extra></extra>"}]
    return figure(data, {"barmode": "stack", "xaxis": {"title": _title("Age since created"), "type": "category"},
                         "yaxis": {"title": _title("Actions"), "rangemode": "tozero"}}, height)
