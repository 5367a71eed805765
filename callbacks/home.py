"""Behaviour of the home page: the KPI cards and the list of moulds closest to PM."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, html

from auth.guard import secured_callback
from auth.session import selected_site_ids
from components.cards import empty_state, kpi_card
from data.home import home_numbers, mould_pm_table
from data.models import utcnow
from pages import home_ids as ids

BAND_TONE = {"NOT_DUE": "success", "WARNING": "warning", "DUE": "danger", "OVERDUE": "danger"}


@secured_callback("view", Output(ids.CARDS, "children"), Output(ids.PM_TABLE, "children"),
                  Output(ids.UPDATED, "children"), Input(ids.REFRESH, "n_intervals"))
def refresh(_n):
    """Recompute the numbers for the sites in view."""
    now = utcnow()
    sites = selected_site_ids()
    n = home_numbers(now, sites)
    cards = dbc.Row(
        [
            dbc.Col(kpi_card("Due for PM", n.pm_due + n.pm_overdue, f"{n.pm_warning} in warning band",
                             "danger" if n.pm_due + n.pm_overdue else "success", "home-pm-due"), md=4, lg=2),
            dbc.Col(kpi_card("Overdue PM", n.pm_overdue, f"of {n.moulds} active moulds",
                             "danger" if n.pm_overdue else "success", "home-pm-overdue"), md=4, lg=2),
            dbc.Col(kpi_card("Open actions", n.actions_open, "", "primary", "home-actions-open"), md=4, lg=2),
            dbc.Col(kpi_card("Overdue actions", n.actions_overdue, "past their due date",
                             "danger" if n.actions_overdue else "success", "home-actions-overdue"), md=4, lg=2),
            dbc.Col(kpi_card("Failures this month", n.failures_this_month, now.strftime("%B %Y"), "warning",
                             "home-failures-month"), md=4, lg=2),
            dbc.Col(kpi_card("Shots today", n.shots_today, "since 00:00 UTC", "primary", "home-shots-today"),
                    md=4, lg=2),
        ],
        className="g-3",
    )
    return cards, _pm_table(now, sites), f"Updated {now:%H:%M:%S} UTC"


def _pm_table(now, sites):
    pm = mould_pm_table(now, sites)
    pm = pm[pm["pct_used"].notna()].sort_values("pct_used", ascending=False).head(8)
    if pm.empty:
        return empty_state("No moulds with a PM interval yet.",
                           "Add moulds and set their PM interval in shots or days.")
    rows = [
        html.Tr(
            [
                html.Td(r.code),
                html.Td(r.name),
                html.Td(f"{r.shots_since_pm:,}"),
                html.Td(f"{r.pct_used:.0f}%"),
                html.Td(dbc.Badge(r.band.replace("_", " "), color=BAND_TONE[r.band])),
                html.Td("—" if r.forecast_due is None or r.forecast_due != r.forecast_due
                        else f"{r.forecast_due:%Y-%m-%d}"),
            ]
        )
        for r in pm.itertuples()
    ]
    head = html.Thead(html.Tr([html.Th(h) for h in
                               ("Mould", "Name", "Shots since PM", "Interval used", "PM status", "Forecast due")]))
    return dbc.Table([head, html.Tbody(rows)], hover=True, responsive=True, size="sm", id="home-pm-rows")
