"""Plotly figure builders for the dashboards and the weekly PDF review.

Each takes the DataFrames/dataclasses of data.analytics and returns a plain go.Figure (no Dash),
so the same figure renders in the browser and as SVG in a report.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from data.analytics.weibull import WeibullFit, weibull_cdf, weibull_paper_y

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
PRIMARY = "#0d6efd"
MUTED = "#6c757d"
GRID = "#e9ecef"
BAND_COLOURS = {"NOT_DUE": "#2f9e44", "WARNING": "#f59f00", "DUE": "#e8590c", "OVERDUE": "#c92a2a"}
BAND_LABELS = {"NOT_DUE": "Not due", "WARNING": "Warning", "DUE": "Due", "OVERDUE": "Overdue"}
SEVERITY_COLOURS = {"low": "#74c0fc", "medium": "#fcc419", "high": "#fd7e14", "critical": "#c92a2a"}
SITE_PALETTE = ["#1c7ed6", "#37b24d", "#f59f00", "#ae3ec9", "#0ca678", "#e8590c", "#495057"]
SENSOR_COLOUR = "#1971c2"


# The house template, built once: plotly's named templates are deep-copied on every use (~75 ms a figure).
HOUSE = go.layout.Template(layout={
    "font": {"family": FONT, "size": 12, "color": "#212529"}, "hoverlabel": {"font": {"family": FONT}},
    "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "#ffffff", "colorway": SITE_PALETTE,
    "margin": {"l": 56, "r": 24, "t": 36, "b": 44}, "hovermode": "closest",
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": {"text": ""}},
    "xaxis": {"gridcolor": GRID, "zeroline": False, "linecolor": "#ced4da", "automargin": True},
    "yaxis": {"gridcolor": GRID, "zeroline": False, "linecolor": "#ced4da", "automargin": True},
})


def _base(fig: go.Figure, height: int = 320, legend: bool = True) -> go.Figure:
    """The house style: white, light grid, compact margins, legend on top."""
    fig.update_layout(template=HOUSE, height=height, showlegend=legend)
    return fig


def message_figure(message: str, height: int = 240) -> go.Figure:
    """A blank figure that says why there is nothing to draw (for reports; pages show an empty state)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": MUTED}, x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base(fig, height, legend=False)


def pm_bands(counts: dict[str, int], height: int = 260) -> go.Figure:
    """Moulds per PM band as one horizontal stacked bar (not due, warning, due, overdue)."""
    fig = go.Figure()
    for band in ("NOT_DUE", "WARNING", "DUE", "OVERDUE"):
        n = int(counts.get(band, 0))
        fig.add_bar(y=["Moulds"], x=[n], orientation="h", name=f"{BAND_LABELS[band]} ({n})",
                    marker_color=BAND_COLOURS[band], text=[n if n else ""], textposition="inside",
                    hovertemplate=f"{BAND_LABELS[band]}: %{{x}} moulds<extra></extra>")
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_yaxes(visible=False)
    fig.update_xaxes(title="Moulds")
    return _base(fig, height)


def pm_forecast(weeks: pd.DataFrame, height: int = 300) -> go.Figure:
    """PM workload ahead: moulds falling due per week, with those already due in the first week."""
    labels = [f"{w:%d %b}" for w in pd.to_datetime(weeks["week"])]
    fig = go.Figure()
    fig.add_bar(x=labels, y=weeks["already_due"], name="Already due or overdue", marker_color=BAND_COLOURS["DUE"],
                hovertemplate="Week of %{x}: %{y} already due<extra></extra>")
    fig.add_bar(x=labels, y=weeks["forecast"], name="Forecast to fall due", marker_color=PRIMARY,
                hovertemplate="Week of %{x}: %{y} forecast<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Week starting", type="category")
    fig.update_yaxes(title="PMs", rangemode="tozero")
    return _base(fig, height)


def daily_shots(days: pd.Series, height: int = 280, name: str = "Shots") -> go.Figure:
    """Shots per day as bars, with the 7-day moving average as a line."""
    x = pd.to_datetime(pd.Index(days.index))
    fig = go.Figure()
    fig.add_bar(x=x, y=days.to_numpy(), name=name, marker_color="#a5d8ff",
                hovertemplate="%{x|%a %d %b}: %{y:,} shots<extra></extra>")
    fig.add_scatter(x=x, y=days.rolling(7, min_periods=1).mean().to_numpy(), name="7-day average",
                    line={"color": PRIMARY, "width": 2}, hovertemplate="7-day avg %{y:,.0f}<extra></extra>")
    fig.update_yaxes(title="Shots per day", rangemode="tozero")
    return _base(fig, height)


def plant_heatmap(matrix: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Shots per press per day as a heatmap (rows: presses, columns: days)."""
    n = len(matrix.index)
    height = height or int(min(900, max(260, 60 + 14 * n)))
    z = matrix.to_numpy(dtype="float64")
    fig = go.Figure(go.Heatmap(
        z=z, x=pd.to_datetime(pd.Index(matrix.columns)), y=list(matrix.index), colorscale="Blues", zmin=0,
        colorbar={"title": {"text": "Shots"}, "thickness": 12},
        hovertemplate="%{y} · %{x|%d %b %Y}<br>%{z:,.0f} shots<extra></extra>", xgap=0, ygap=1,
    ))
    fig.update_yaxes(autorange="reversed", title=None, showgrid=False, tickfont={"size": 10})
    fig.update_xaxes(showgrid=False)
    return _base(fig, height, legend=False)


def pareto(df: pd.DataFrame, label: str, metric_label: str, height: int = 380) -> go.Figure:
    """Pareto chart: bars largest first and the cumulative share line on a 0-100 % axis, with the 80 % mark."""
    fig = go.Figure()
    fig.add_bar(x=df["category"], y=df["value"], name=metric_label, marker_color=PRIMARY,
                customdata=np.stack([df["share"]], axis=-1) if len(df) else None,
                hovertemplate="%{x}<br>%{y:,.1f} (%{customdata[0]:.1f} %)<extra></extra>")
    fig.add_scatter(x=df["category"], y=df["cumulative"], name="Cumulative %", yaxis="y2", mode="lines+markers",
                    line={"color": "#e8590c", "width": 2}, marker={"size": 6},
                    hovertemplate="Cumulative %{y:.1f} %<extra></extra>")
    fig.add_hline(y=80, line={"color": "#e8590c", "dash": "dot", "width": 1}, yref="y2")
    fig.update_xaxes(title=label, type="category", tickangle=-30 if len(df) > 6 else 0)
    fig = _base(fig, height)
    fig.update_layout(margin={"r": 56}, yaxis={"title": {"text": metric_label}, "rangemode": "tozero"},
                      yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "ticksuffix": " %",
                              "tickvals": [0, 20, 40, 60, 80, 100], "showgrid": False, "title": None,
                              "zeroline": False})
    return fig


def monthly_trend(trend: pd.DataFrame, height: int = 320) -> go.Figure:
    """Failures per month stacked by severity."""
    fig = go.Figure()
    for sev, colour in SEVERITY_COLOURS.items():
        part = trend[trend["severity"] == sev]
        fig.add_bar(x=pd.to_datetime(part["month"]), y=part["count"], name=sev.capitalize(), marker_color=colour,
                    hovertemplate=f"%{{x|%b %Y}}: %{{y}} {sev}<extra></extra>", xperiod="M1", xperiodalignment="middle")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(dtick="M1", tickformat="%b\n%Y")
    fig.update_yaxes(title="Failures", rangemode="tozero")
    return _base(fig, height)


def severity_mix(mix: pd.DataFrame, height: int = 320) -> go.Figure:
    """Share of failures per severity as a donut, with downtime in the hover."""
    fig = go.Figure(go.Pie(
        labels=[s.capitalize() for s in mix["severity"]], values=mix["count"], hole=0.55, sort=False,
        marker={"colors": [SEVERITY_COLOURS[s] for s in mix["severity"]]}, textinfo="value+percent",
        customdata=mix["downtime_hours"], direction="clockwise",
        hovertemplate="%{label}: %{value} failures<br>%{customdata:,.1f} h downtime<extra></extra>",
    ))
    return _base(fig, height)


def downtime_by_mould(df: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Downtime hours per mould, unplanned (failures) and planned (PM), largest at the top."""
    df = df.iloc[::-1]
    height = height or int(max(240, 60 + 24 * len(df)))
    fig = go.Figure()
    fig.add_bar(y=df["mould"], x=df["unplanned_hours"], orientation="h", name="Unplanned (failures)",
                marker_color=SEVERITY_COLOURS["high"], hovertemplate="%{y}: %{x:,.1f} h unplanned<extra></extra>")
    fig.add_bar(y=df["mould"], x=df["planned_hours"], orientation="h", name="Planned (PM)", marker_color="#a5d8ff",
                hovertemplate="%{y}: %{x:,.1f} h planned<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Hours")
    fig.update_yaxes(type="category")
    return _base(fig, height)


def shots_series(df: pd.DataFrame, resolution: str, x_range: tuple | None = None, height: int = 340,
                 total_points: int | None = None) -> go.Figure:
    """Shots per hour or day of one mould (already downsampled); scattergl past a few thousand points."""
    label = "Shots per hour" if resolution == "hour" else "Shots per day"
    trace = go.Scattergl if len(df) > 5000 else go.Scatter
    fig = go.Figure(trace(
        x=df["ts"], y=df["shots"], mode="lines", name=label, line={"color": PRIMARY, "width": 1.3},
        fill="tozeroy", fillcolor="rgba(13,110,253,0.12)",
        hovertemplate=("%{x|%d %b %Y %H:00}" if resolution == "hour" else "%{x|%a %d %b %Y}")
        + "<br>%{y:,} shots<extra></extra>",
    ))
    fig.update_yaxes(title=label, rangemode="tozero", fixedrange=True)
    fig.update_xaxes(range=list(x_range) if x_range else None)
    fig = _base(fig, height, legend=False)
    fig.update_layout(uirevision="shots", dragmode="zoom", hovermode="x")
    if total_points and total_points > len(df):
        fig.add_annotation(text=f"{len(df):,} of {total_points:,} points (MinMaxLTTB)", xref="paper", yref="paper",
                           x=1, y=1.06, showarrow=False, font={"size": 10, "color": MUTED}, xanchor="right")
    return fig


def mould_timeline(mounts: pd.DataFrame, logs: pd.DataFrame, failures: pd.DataFrame, start: dt.datetime,
                   end: dt.datetime, height: int = 300) -> go.Figure:
    """Mounts as bars per press, maintenance and failures as markers on their own rows."""
    fig = go.Figure()
    for row in mounts.itertuples():
        ms = (pd.Timestamp(row.off) - pd.Timestamp(row.on)).total_seconds() * 1000
        fig.add_bar(y=[row.press], x=[ms], base=[pd.Timestamp(row.on)], orientation="h", showlegend=False,
                    marker_color="#74c0fc", marker_line_width=0,
                    hovertemplate=f"On {row.press}<br>{pd.Timestamp(row.on):%d %b %Y %H:%M} – "
                                  f"{pd.Timestamp(row.off):%d %b %Y %H:%M}<extra></extra>")
    if len(logs):
        for kind, symbol, colour in (("preventive", "diamond", "#2f9e44"), ("corrective", "square", "#f59f00")):
            part = logs[logs["kind"] == kind]
            if len(part):
                fig.add_scatter(x=part["performed_at"], y=["Maintenance"] * len(part), mode="markers",
                                name="PM" if kind == "preventive" else "Repair", text=part["work_done"],
                                marker={"symbol": symbol, "size": 11, "color": colour, "line": {"width": 1,
                                                                                                 "color": "#fff"}},
                                hovertemplate="%{x|%d %b %Y}<br>%{text}<extra></extra>")
    if len(failures):
        fig.add_scatter(x=failures["occurred_at"], y=["Failures"] * len(failures), mode="markers", name="Failure",
                        text=failures["mode"] + " (" + failures["severity"] + ")",
                        marker={"symbol": "x", "size": 11, "color": [SEVERITY_COLOURS.get(s, MUTED)
                                                                     for s in failures["severity"]],
                                "line": {"width": 1}},
                        hovertemplate="%{x|%d %b %Y}<br>%{text}<extra></extra>")
    rows = ["Failures", "Maintenance", *(sorted(set(mounts["press"])) if len(mounts) else [])]
    fig.update_yaxes(categoryorder="array", categoryarray=rows[::-1], type="category", title=None)
    fig.update_xaxes(type="date", range=[start, end])
    fig.update_layout(barmode="overlay", bargap=0.4)
    return _base(fig, max(height, 120 + 34 * len(rows)))


def weibull_plot(points: pd.DataFrame, fit: WeibullFit | None, title: str = "", height: int = 420) -> go.Figure:
    """Weibull probability plot: median-rank failure points and the fitted line on Weibull paper."""
    fig = go.Figure()
    if len(points):
        fig.add_scatter(x=points["time"], y=weibull_paper_y(points["F"]), mode="markers", name="Failures (median rank)",
                        marker={"size": 8, "color": PRIMARY, "line": {"width": 1, "color": "#fff"}},
                        customdata=points["F"] * 100,
                        hovertemplate="%{x:,.0f} shots<br>F = %{customdata:.1f} %<extra></extra>")
    if fit is not None:
        lo = max(min(points["time"].min() if len(points) else fit.eta, fit.b_life(0.01)) * 0.7, 1.0)
        hi = max(points["time"].max() if len(points) else fit.eta, fit.b_life(0.99)) * 1.2
        t = np.geomspace(lo, hi, 120)
        fig.add_scatter(x=t, y=weibull_paper_y(weibull_cdf(t, fit.beta, fit.eta)), mode="lines",
                        name=f"Fit β={fit.beta:.2f}, η={fit.eta:,.0f}", line={"color": "#e8590c", "width": 2},
                        hovertemplate="%{x:,.0f} shots<extra>fit</extra>")
        fig.add_vline(x=fit.b10, line={"color": MUTED, "dash": "dot", "width": 1},
                      annotation_text=f"B10 {fit.b10:,.0f}", annotation_position="top left",
                      annotation_font={"size": 10, "color": MUTED})
    ticks = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.632, 0.8, 0.9, 0.95, 0.99])
    fig.update_yaxes(tickvals=weibull_paper_y(ticks), ticktext=[f"{p * 100:g} %" for p in ticks],
                     title="Unreliability F(t)", range=[weibull_paper_y(0.005), weibull_paper_y(0.995)])
    fig.update_xaxes(type="log", title="Shots to failure")
    fig = _base(fig, height)
    if title:
        fig.update_layout(title={"text": title, "font": {"size": 13}, "x": 0, "xanchor": "left"},
                          margin={"t": 64})
    return fig


def reliability_bars(table: pd.DataFrame, value: str = "mtbf_shots", label: str = "MTBF (shots)",
                     height: int | None = None) -> go.Figure:
    """A horizontal bar per group (mould, family or mode) of an MTBF table column, largest at the top."""
    df = table.dropna(subset=[value]).sort_values(value).tail(25)
    height = height or int(max(240, 60 + 22 * len(df)))
    fig = go.Figure(go.Bar(y=df["group"].astype(str), x=df[value], orientation="h", marker_color=PRIMARY,
                           hovertemplate="%{y}: %{x:,.0f}<extra></extra>"))
    fig.update_xaxes(title=label)
    fig.update_yaxes(type="category")
    return _base(fig, height, legend=False)


def risk_bars(risk: pd.DataFrame, n_shots: float, column: str = "p_mode", label: str = "", top: int = 15,
              height: int | None = None) -> go.Figure:
    """The moulds most likely to fail within the next n_shots, as horizontal bars of probability."""
    df = risk.dropna(subset=[column]).head(top).iloc[::-1]
    height = height or int(max(240, 60 + 22 * len(df)))
    fig = go.Figure(go.Bar(y=df["code"], x=df[column] * 100, orientation="h",
                           marker={"color": df[column] * 100, "colorscale": [[0, "#ffc078"], [1, "#c92a2a"]],
                                   "cmin": 0, "cmax": max(float(df[column].max() * 100), 1.0) if len(df) else 100},
                           hovertemplate="%{y}: %{x:.1f} %<extra></extra>"))
    top_pct = float(df[column].max() * 100) if len(df) else 100.0
    fig.update_xaxes(title=label or f"P(failure in next {n_shots:,.0f} shots)", ticksuffix=" %",
                     range=[0, min(100.0, max(5.0, top_pct * 1.15))])
    fig.update_yaxes(type="category")
    return _base(fig, height, legend=False)


def sensor_series(series: pd.DataFrame, name: str, unit: str, low: float | None, high: float | None,
                  alerts: pd.DataFrame, failures: pd.DataFrame, mounted: pd.DataFrame | None = None,
                  height: int = 380) -> go.Figure:
    """Hourly mean with the min-max band, thresholds, excursions (red) and failures that followed (markers)."""
    fig = go.Figure()
    if len(series):
        fig.add_scatter(x=series["ts"], y=series["max"], mode="lines", line={"width": 0}, showlegend=False,
                        hoverinfo="skip")
        fig.add_scatter(x=series["ts"], y=series["min"], mode="lines", line={"width": 0}, fill="tonexty",
                        fillcolor="rgba(25,113,194,0.15)", name="Hourly min–max", hoverinfo="skip")
        fig.add_scatter(x=series["ts"], y=series["mean"], mode="lines", name=f"{name} (mean)",
                        line={"color": SENSOR_COLOUR, "width": 1.4},
                        hovertemplate="%{x|%d %b %Y %H:00}<br>%{y:.2f} " + unit + "<extra></extra>")
    for value, text in ((high, "High limit"), (low, "Low limit")):
        if value is not None and not pd.isna(value):
            fig.add_hline(y=value, line={"color": "#c92a2a", "dash": "dash", "width": 1.2},
                          annotation_text=f"{text} {value:g} {unit}", annotation_position="top left",
                          annotation_font={"size": 10, "color": "#c92a2a"})
    if len(alerts):
        fig.add_scatter(x=alerts["ts"], y=alerts["value"], mode="markers", name="Excursion",
                        marker={"color": "#c92a2a", "size": 9, "symbol": "circle-open", "line": {"width": 2}},
                        customdata=np.stack([alerts["kind"], alerts["mould"].fillna("—")], axis=-1),
                        hovertemplate="%{x|%d %b %Y %H:%M}<br>%{y:.2f} " + unit
                        + " (%{customdata[0]})<br>mould %{customdata[1]}<extra></extra>")
    if len(failures):
        y_top = float(series["max"].max()) if len(series) else (high or 1.0)
        fig.add_scatter(x=failures["failure_ts"], y=[y_top] * len(failures), mode="markers+text", name="Failure",
                        text=failures["mode"], textposition="top center", textfont={"size": 10, "color": "#862e9c"},
                        marker={"symbol": "triangle-down", "size": 12, "color": "#862e9c"},
                        customdata=failures["mould"],
                        hovertemplate="%{x|%d %b %Y %H:%M}<br>Failure: %{text} on %{customdata}<extra></extra>")
    if mounted is not None:
        for row in mounted.itertuples():
            fig.add_vrect(x0=row.on, x1=row.off, fillcolor="#fff3bf", opacity=0.35, line_width=0, layer="below")
    fig.update_yaxes(title=f"{name} ({unit})" if unit else name)
    fig = _base(fig, height)
    fig.update_layout(hovermode="closest", uirevision="sensor")
    return fig


def actions_by_owner(df: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Open actions per owner: overdue, open and in progress, stacked, most overdue at the top."""
    df = df.iloc[::-1]
    height = height or int(max(220, 70 + 28 * len(df)))
    fig = go.Figure()
    on_track_open = (df["open"] + df["in_progress"] - df["overdue"]).clip(lower=0)
    fig.add_bar(y=df["owner"], x=df["overdue"], orientation="h", name="Overdue", marker_color="#c92a2a",
                hovertemplate="%{y}: %{x} overdue<extra></extra>")
    fig.add_bar(y=df["owner"], x=on_track_open, orientation="h", name="On track", marker_color=PRIMARY,
                hovertemplate="%{y}: %{x} on track<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Open actions", dtick=1 if len(df) and df["total"].max() <= 10 else None)
    fig.update_yaxes(type="category")
    return _base(fig, height)


def actions_by_age(df: pd.DataFrame, height: int = 260) -> go.Figure:
    """Open actions per age bucket, overdue and on track."""
    fig = go.Figure()
    fig.add_bar(x=df["age_bucket"], y=df["on_track"], name="On track", marker_color=PRIMARY,
                hovertemplate="%{x}: %{y} on track<extra></extra>")
    fig.add_bar(x=df["age_bucket"], y=df["overdue"], name="Overdue", marker_color="#c92a2a",
                hovertemplate="%{x}: %{y} overdue<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Age since created", type="category")
    fig.update_yaxes(title="Actions", rangemode="tozero")
    return _base(fig, height)


def daily_by_site(daily: pd.DataFrame, start: dt.date, end: dt.date, height: int = 280) -> go.Figure:
    """Shots per UTC day stacked by site (from series.plant_daily), every day of the range on the axis."""
    days = pd.date_range(start, end, freq="D")
    fig = go.Figure()
    by_site = daily.groupby(["site", "day"])["shots"].sum() if len(daily) else pd.Series(dtype="int64")
    for k, site in enumerate(sorted(set(daily["site"].dropna())) if len(daily) else []):
        s = by_site.loc[site]
        s.index = pd.to_datetime(s.index)
        fig.add_bar(x=days, y=s.reindex(days, fill_value=0).to_numpy(), name=site,
                    marker_color=SITE_PALETTE[k % len(SITE_PALETTE)],
                    hovertemplate=f"{site} · %{{x|%a %d %b}}: %{{y:,}} shots<extra></extra>")
    fig.update_layout(barmode="stack", bargap=0.15)
    fig.update_yaxes(title="Shots per day", rangemode="tozero")
    return _base(fig, height)
