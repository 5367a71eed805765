"""Small display widgets shared by pages: KPI cards and empty states."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def kpi_card(title: str, value: str | int, note: str = "", tone: str = "secondary", card_id: str | None = None,
             href: str | None = None) -> dbc.Card:
    """A card with a big number, a title and an optional note; links somewhere when href is given."""
    body = [
        html.Div(title, className="text-body-secondary small text-uppercase fw-semibold"),
        html.Div(f"{value:,}" if isinstance(value, int) else value, className=f"display-6 fw-bold text-{tone}",
                 id=card_id and f"{card_id}-value"),
        html.Div(note, className="small text-body-secondary") if note else None,
    ]
    card = dbc.Card(dbc.CardBody(body), className="h-100 shadow-sm kpi-card", id=card_id or "")
    return html.A(card, href=href, className="text-decoration-none") if href else card


def empty_state(message: str, hint: str = "", icon: str = "inbox") -> html.Div:
    """A friendly placeholder where there is no data yet."""
    return html.Div(
        [html.I(className=f"bi bi-{icon} fs-1 d-block mb-2"), html.P(message, className="mb-1 fw-semibold"),
         html.P(hint, className="small mb-0") if hint else None],
        className="text-center text-body-secondary py-5 empty-state",
    )
