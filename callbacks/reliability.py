"""Behaviour of the reliability dashboard: the Weibull fit and plot, failure risk, fits per mode, MTBF/MTTR."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, html

from auth.guard import secured_callback
from components import figures
from components.cards import empty_state
from components.dashboard import chart, site_ids_for
from components.grid import data_grid, link_col, num_col, pct_col, records
from components.url_state import Field, register_url_sync, standard_fields
from data.analytics import reliability as rel
from data.analytics.common import window
from data.analytics.failures import failures_frame
from data.analytics.pm import mould_health
from data.models import utcnow
from pages import reliability as page
from pages import reliability_ids as ids

register_url_sync("analytics", ids.PREFIX, ids.URL, standard_fields(ids.PREFIX) + [
    Field("mode", ids.MODE), Field("n", ids.N), Field("group", ids.GROUP)], page.parse)

RISK_COLUMNS = [
    link_col("code", "Mould"), {"field": "family", "headerName": "Family", "width": 130},
    num_col("age", "Shots since last (mode)", width=170), pct_col("p_mode_pct", "P(mode in next N)", width=160),
    pct_col("p_any_pct", "P(any mode in next N)", width=170), num_col("days_for_n", "Days to run N", 1, width=130),
]
FIT_COLUMNS = [
    {"field": "mode", "headerName": "Failure mode", "width": 190}, num_col("failures", "Failures", width=100),
    num_col("suspensions", "Suspensions", width=115), num_col("beta", "β", 2, width=80),
    num_col("beta_lower", "β low", 2, width=85), num_col("beta_upper", "β high", 2, width=85),
    num_col("eta", "η (shots)", width=120), num_col("eta_lower", "η low", width=110),
    num_col("eta_upper", "η high", width=110), num_col("b10", "B10 (shots)", width=120),
    {"field": "pattern", "headerName": "Pattern", "width": 300, "tooltipField": "pattern"},
]
MTBF_COLUMNS = [
    {"field": "group", "headerName": "Group", "width": 170, "cellClass": "grid-link"},
    num_col("failures", "Failures", width=95), num_col("shots", "Shots", width=120),
    num_col("hours", "Hours mounted", width=125), num_col("mtbf_shots", "MTBF (shots)", width=125),
    num_col("mtbf_hours", "MTBF (h)", 1, width=105), num_col("mttr_hours", "MTTR (h)", 1, width=100),
    num_col("downtime_hours", "Downtime (h)", 1, width=120),
]


def _param(label: str, value: str, ci: str = "", tile_id: str = "") -> dbc.Col:
    return dbc.Col(html.Div([html.Div(label, className="small text-body-secondary fw-semibold"),
                             html.Div(value, className="value", **({"id": tile_id} if tile_id else {})),
                             html.Div(ci, className="ci")]), xs=6, className="mb-3")


def _params(fit, mode: str, analysis: rel.LifeAnalysis) -> html.Div:
    life = analysis.life[analysis.life["mode"] == mode]
    n_f, n_s = int(life["failed"].sum()), int((~life["failed"]).sum())
    if fit is None:
        return empty_state(f"Too few failures of '{mode}' to fit a Weibull.",
                           f"{n_f} failure(s) and {n_s} suspension(s) in view; at least 2 failures at different "
                           "shot counts are needed.", icon="graph-up")
    return html.Div([
        html.H3(mode, className="h6 mb-3", id="reliability-mode-title"),
        dbc.Row([
            _param("Shape β", f"{fit.beta:.2f}", f"{fit.beta_lower:.2f} – {fit.beta_upper:.2f}", "reliability-beta"),
            _param("Scale η (shots)", f"{fit.eta:,.0f}", f"{fit.eta_lower:,.0f} – {fit.eta_upper:,.0f}",
                   "reliability-eta"),
            _param("B10 life (shots)", f"{fit.b10:,.0f}", "10 % fail before this"),
            _param("Data", f"{n_f} / {n_s}", "failures / suspensions"),
        ], className="weibull-params"),
        dbc.Alert([html.Strong("Pattern: "), fit.pattern, "."], color="light", className="small mb-0 border"),
    ])


@secured_callback("analytics", Output(ids.PARAMS, "children"), Output(ids.PLOT, "children"),
                  Output(ids.RISK_CHART, "children"), Output(ids.RISK_GRID, "children"), Output(ids.FITS, "children"),
                  Input(ids.SITE, "value"), Input(ids.FAMILY, "value"), Input(ids.MODE, "value"), Input(ids.N, "value"))
def weibull(site, family, mode, n):
    """Fit every mode for the moulds in view; show the chosen (or most frequent) mode and the risk ahead."""
    state = page.parse({"site": site or "", "family": family or "", "mode": mode or "",
                        "n": str(n) if n is not None else ""})
    sites = site_ids_for(site)
    analysis = rel.life_analysis(sites, state.family)
    modes = analysis.modes
    if not modes:
        nothing = empty_state("No failures with a shot count in view.",
                              "Weibull analysis needs failure reports with the shot count at failure.",
                              icon="graph-up")
        return nothing, nothing, nothing, nothing, nothing
    mode = state.extra["mode"] if state.extra["mode"] in modes else modes[0]
    fit = analysis.fits.get(mode)
    n_shots = state.extra["n"]
    rates = mould_health(utcnow(), sites, state.family).set_index("id")["shots_per_day"]
    risk = rel.failure_risk(analysis, n_shots, mode, rates)
    title = f"{mode}: {int(analysis.life[analysis.life['mode'] == mode]['failed'].sum())} failures"
    plot = chart(figures.weibull_plot(analysis.plot_points(mode), fit, title), True)
    risk_rows = records(risk.assign(p_mode_pct=risk["p_mode"] * 100, p_any_pct=risk["p_any"] * 100))
    return (
        _params(fit, mode, analysis),
        plot,
        chart(figures.risk_bars(risk, n_shots, "p_mode" if fit else "p_any"), len(risk) > 0,
              "No moulds in service in view."),
        data_grid("reliability-risk", RISK_COLUMNS, risk_rows, export_name="failure-risk", height=330,
                  row_id="'' + params.data.mould_id", note=f"N = {n_shots:,} shots",
                  empty=("No moulds in service in view.", "")),
        data_grid("reliability-fits", FIT_COLUMNS, records(rel.fits_table(analysis.fits, analysis.life)),
                  export_name="weibull-fits", height=300, row_id="params.data.mode", fit=False),
    )


@secured_callback("analytics", Output(ids.MTBF_GRID, "children"), Output(ids.MTBF_CHART, "children"),
                  Input(ids.SITE, "value"), Input(ids.DATES, "start_date"), Input(ids.DATES, "end_date"),
                  Input(ids.FAMILY, "value"), Input(ids.GROUP, "value"))
def mtbf(site, start, end, family, group):
    """MTBF in shots and hours, MTTR and downtime per mould, family or failure mode over the date range."""
    state = page.parse({"site": site or "", "from": start or "", "to": end or "", "family": family or "",
                        "group": group or ""})
    t0, t1 = window(state.start, state.end)
    sites = site_ids_for(site)
    fails = failures_frame(t0, t1, sites, state.family)
    by = state.extra["group"]
    table = rel.mtbf_table(fails, t0, t1, by, sites, state.family)
    columns = [dict(MTBF_COLUMNS[0], headerName=rel.GROUPS[by], cellClass="grid-link" if by == "mould" else None,
                    colId="mould" if by == "mould" else "group"), *MTBF_COLUMNS[1:]]
    return (
        data_grid("reliability-mtbf", columns, records(table), export_name=f"mtbf-by-{by}", height=330,
                  row_id="'' + params.data.group", empty=("No moulds in view.", "")),
        chart(figures.reliability_bars(table, "mtbf_shots", "MTBF (shots)"), table["mtbf_shots"].notna().any(),
              "No failures in this range, so no MTBF yet.", "MTBF needs at least one failure in the range."),
    )
