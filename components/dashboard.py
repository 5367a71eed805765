"""Layout pieces the dashboard pages share: headers, chart cards, KPI rows and the site filter's meaning."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.session import selected_site_ids
from components.cards import empty_state, kpi_card
from data.analytics.common import families
from data.users import visible_sites

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
                "toImageButtonOptions": {"format": "svg", "scale": 1}}


def choices() -> tuple[list, list[str]]:
    """The user's sites and the mould families in them (for filter options)."""
    return visible_sites(), families()


def default_site_code(sites) -> str | None:
    """The site chosen with the navbar's site switcher, as a code (None: all sites)."""
    chosen = selected_site_ids()
    if not chosen:
        return None
    return next((s.code for s in sites if s.id in chosen), None)


def with_default_site(state, query, sites):
    """Take the navbar's site switcher as the page's site filter when the URL names no site."""
    if "site" not in query and state.site is None:
        state.site = default_site_code(sites)
    return state


def site_ids_for(code: str | None) -> frozenset[int] | None:
    """Site ids of the page's site filter: the chosen site (if it is one of the user's), else all of theirs."""
    if not code:
        return None
    for s in visible_sites():
        if s.code == code:
            return frozenset({s.id})
    return frozenset()  # a code that is not one of the user's sites shows nothing


def page_header(title: str, subtitle: str = "", right: Any = None) -> html.Div:
    """The page title with a one-line explanation."""
    return html.Div(
        [html.Div([html.H1(title, className="h3 mb-0"),
                   html.P(subtitle, className="text-body-secondary mb-0 small") if subtitle else None]),
         html.Div(right) if right is not None else None],
        className="d-flex justify-content-between align-items-end flex-wrap gap-2 mb-3",
    )


def graph(graph_id: str, height: int = 320) -> dcc.Loading:
    """A Plotly graph with the house config, wrapped in a loading indicator."""
    return dcc.Loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"},
                                 figure={"layout": {"height": height}}), type="dot", delay_show=300)


def chart_card(title: str, body: Any, subtitle: str = "", card_id: str | None = None, footer: Any = None) -> dbc.Card:
    """A card with a header (title, optional note) around a chart or a grid."""
    header = dbc.CardHeader([html.Span(title), html.Span(f" · {subtitle}", className="small text-body-secondary")
                             if subtitle else None])
    parts = [header, dbc.CardBody(body, className="p-2")]
    if footer is not None:
        parts.append(dbc.CardFooter(footer, className="small text-body-secondary bg-white"))
    return dbc.Card(parts, className="chart-card h-100 shadow-sm", id=card_id or "")


def chart_slot(slot_id: str, height: int = 320) -> dcc.Loading:
    """Where a callback puts a chart (or an empty state), holding its height while it loads."""
    return dcc.Loading(html.Div(id=slot_id, style={"minHeight": f"{height}px"}), type="dot", delay_show=300)


def chart(figure, has_data: bool = True, message: str = "No data for these filters.", hint: str = "",
          graph_id: str | None = None):
    """A graph of the figure, or an empty state when there is nothing to draw."""
    if not has_data:
        return empty_state(message, hint or "Widen the date range or clear a filter.", icon="bar-chart")
    kw = {"id": graph_id} if graph_id else {}
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG, **kw)


def kpi_row(cards: list) -> dbc.Row:
    """KPI cards in a responsive row."""
    return dbc.Row([dbc.Col(c, xs=6, md=4, xl=True) for c in cards], className="g-3 mb-3")


def kpi(title: str, value, note: str = "", tone: str = "secondary", card_id: str | None = None,
        href: str | None = None) -> dbc.Card:
    """A KPI card (components.cards.kpi_card)."""
    return kpi_card(title, value, note, tone, card_id, href)


def fmt_int(value) -> str:
    """12,345 or a dash."""
    return "—" if value is None or value != value else f"{int(round(value)):,}"


def fmt_num(value, decimals: int = 1, suffix: str = "") -> str:
    """12,345.6 (with a suffix) or a dash."""
    return "—" if value is None or value != value else f"{value:,.{decimals}f}{suffix}"


def fmt_date(value) -> str:
    """'27 Nov 2026' or a dash."""
    if value is None or value != value:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return f"{value:%d %b %Y}"
