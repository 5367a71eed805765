"""Behaviour of the notification settings page: save the user's own contact details and choices."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, no_update
from flask_login import current_user

from auth.guard import secured_callback
from data.db import db
from data.models import User
from data.notifications import PreferenceError, save_contact, save_prefs
from pages import notifications_ids as ids


@secured_callback("view", Output(ids.FEEDBACK, "children"), Input(ids.SAVE, "n_clicks"), State(ids.EMAIL, "value"),
                  State(ids.PHONE, "value"), State({"type": ids.CHOICE, "kind": ALL}, "value"),
                  prevent_initial_call=True)
def save(clicks, email, phone, values):
    """Validate and store everything in one transaction; a mistake saves nothing and says what to fix."""
    if not clicks:
        return no_update
    user = db.session.get(User, current_user.id)
    choices = {spec["id"]["kind"]: value or [] for spec, value in zip(ctx.states_list[2], values, strict=True)}
    try:
        save_contact(user, email, phone)
        save_prefs(user, choices)
    except PreferenceError as exc:
        db.session.rollback()
        return dbc.Alert(str(exc), color="danger", id="notifications-error")
    db.session.commit()
    return dbc.Alert("Saved. You will get the notifications you chose.", color="success", dismissable=True,
                     id="notifications-saved")
