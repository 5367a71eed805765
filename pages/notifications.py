"""My notifications: where I am reached and which notifications I get, by e-mail and SMS."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from auth.guard import page_layout
from components.dashboard import page_header
from config import get_config
from data.messaging import email_configured, sms_configured
from data.models import Channel
from data.notifications import kinds_for, user_prefs
from pages import notifications_ids as ids

dash.register_page(__name__, path="/account/notifications", name="Notifications",
                   title="Notifications · Tool Maintenance", nav=False, action="view", icon="bell")

CHANNEL_LABEL = {Channel.EMAIL: "E-mail", Channel.SMS: "SMS"}


def _choices(user) -> html.Tbody:
    prefs = user_prefs(user)
    rows = []
    for kind in kinds_for(user):
        options = [{"label": CHANNEL_LABEL[c], "value": c.value, "disabled": c not in kind.channels}
                   for c in (Channel.EMAIL, Channel.SMS)]
        rows.append(html.Tr([
            html.Td(kind.label),
            html.Td(dbc.Checklist(id={"type": ids.CHOICE, "kind": kind.key}, options=options,
                                  value=sorted(c.value for c in prefs[kind.key]), inline=True, switch=True)),
        ]))
    return html.Tbody(rows)


@page_layout("view")
def layout(**_query) -> html.Div:
    """The form, filled from the signed-in user's settings."""
    cfg = get_config()
    notes = []
    if not email_configured(cfg):
        notes.append(dbc.Alert("E-mail is not set up on this server yet, so nothing is sent. Your choices are kept.",
                               color="warning"))
    if not sms_configured(cfg):
        notes.append(dbc.Alert("SMS is not set up on this server: SMS choices take effect once it is.",
                               color="info", className="small py-2"))
    contact = dbc.Card([
        dbc.CardHeader("Where we reach you"),
        dbc.CardBody(dbc.Row([
            dbc.Col([dbc.Label("E-mail", html_for=ids.EMAIL),
                     dbc.Input(id=ids.EMAIL, type="email", value=current_user.email or "", maxLength=254,
                               placeholder="name@company.com", autoComplete="email")], md=6),
            dbc.Col([dbc.Label("Mobile (for SMS)", html_for=ids.PHONE),
                     dbc.Input(id=ids.PHONE, type="tel", value=current_user.phone or "", maxLength=32,
                               placeholder="+49 170 1234567", autoComplete="tel"),
                     dbc.FormText("International format, starting with + and the country code.")], md=6),
        ], className="g-3")),
    ], className="shadow-sm mb-3")
    choices = dbc.Card([
        dbc.CardHeader("What you are told about"),
        dbc.CardBody(dbc.Table([html.Thead(html.Tr([html.Th("Notification"), html.Th("How")])),
                                _choices(current_user)], size="sm", className="mb-0", responsive=True),
                     className="p-2"),
    ], className="shadow-sm mb-3")
    return html.Div([
        page_header("Notifications", "Choose what you are told about, and how. Each event is sent to you once."),
        *notes,
        contact,
        choices,
        html.Div(id=ids.FEEDBACK),
        dbc.Button([html.I(className="bi bi-check2 me-1"), "Save"], id=ids.SAVE, color="primary"),
    ], style={"maxWidth": "56rem"})
