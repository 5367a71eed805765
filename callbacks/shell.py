"""Behaviour of the app frame: the site switcher and the collapsed navbar on small screens."""

from __future__ import annotations

from dash import Input, Output, State, no_update
from flask_login import current_user

from auth.guard import clientside_callback, secured_callback
from auth.session import select_site
from components import ids
from data import authz


@secured_callback("view", Output(ids.LOCATION, "href"), Input(ids.SITE, "value"), State(ids.LOCATION, "href"),
                  prevent_initial_call=True)
def switch_site(site_value, href):
    """Remember the chosen site and reload the page so every figure uses it."""
    if site_value in (None, "all"):
        select_site(None)
    else:
        site_id = int(site_value)
        authz.require(current_user, "view", site_id)
        select_site(site_id)
    return href or no_update


clientside_callback(
    "function(n, open) { return n ? !open : open; }",
    Output("shell-collapse", "is_open"),
    Input("shell-toggler", "n_clicks"),
    State("shell-collapse", "is_open"),
    prevent_initial_call=True,
)
