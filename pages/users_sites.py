"""Users and sites (admins): accounts, roles and site memberships; the plants themselves."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from auth.guard import page_layout
from components.crud import Column, CrudSpec, Field, crud_layout, loader
from data.admin_users import (
    ROLE_LABELS,
    delete_site,
    delete_user,
    list_sites,
    list_users,
    save_site,
    save_user,
    site_form_values,
    timezone_options,
    user_form_values,
)
from data.models import Site, User
from data.users import visible_sites

dash.register_page(__name__, path="/admin/users", name="Users and sites", title="Users and sites · Tool Maintenance",
                   nav=True, order=80, icon="people", action="manage_users", group="Admin")


def _site_options() -> list[dict]:
    return [{"label": f"{s.code} · {s.name}", "value": s.id} for s in visible_sites()]


def _sites_of(user: User) -> str:
    codes = {s.id: s.code for s in visible_sites()}
    return ", ".join(sorted(codes.get(i, "?") for i in user.site_ids)) or "—"


USERS = CrudSpec(
    name="users", noun="user", action="manage_users", default_sort="username",
    columns=[
        Column("User name", "username", lambda r: html.Strong(r[0].username)),
        Column("Name", "name", lambda r: r[0].display_name, wide_only=True),
        Column("Role", "role", lambda r: ROLE_LABELS[r[0].role.value]),
        Column("Sites", None, lambda r: _sites_of(r[0])),
        Column("Last sign-in", "last_login", lambda r: f"{r[0].last_login_at:%Y-%m-%d %H:%M}" if r[0].last_login_at
               else "never", wide_only=True),
        Column("Active", None, lambda r: dbc.Badge("active", color="success") if r[0].is_active
               else dbc.Badge("deactivated", color="secondary")),
    ],
    fields=[
        Field("username", "User name", required=True, create_only=True, help="Lower case, e.g. j.smith."),
        Field("display_name", "Display name"),
        Field("role", "Role", "select", required=True,
              options=lambda: [{"label": v, "value": k} for k, v in ROLE_LABELS.items()]),
        Field("site_ids", "Sites", "multi", options=_site_options, help="Everyone but admins sees only these sites."),
        Field("email", "E-mail", help="For notifications."),
        Field("phone", "Phone", help="For SMS notifications, e.g. +49 170 1234567."),
        Field("password", "Password", "password",
              help="At least 10 characters. Leave empty when editing to keep the current one."),
        Field("is_active", "Active (may sign in)", "switch"),
    ],
    list_rows=lambda search, sort, page, per_page, _sites: list_users(search, None, None, sort, page, per_page),
    row_id=lambda r: r[0].id, row_label=lambda u: u.username, load=loader(User, user_form_values),
    save=save_user, delete=delete_user, defaults=lambda: {"role": "technician", "is_active": True, "site_ids": []},
    empty_hint="Add the people who use the system.",
)

SITES = CrudSpec(
    name="sites", noun="site", action="manage_sites", default_sort="code",
    columns=[
        Column("Code", "code", lambda r: html.Strong(r[0].code)),
        Column("Name", "name", lambda r: r[0].name),
        Column("Time zone", "timezone", lambda r: r[0].timezone),
        Column("Moulds", None, lambda r: r.moulds),
        Column("Members", None, lambda r: r.users),
    ],
    fields=[
        Field("code", "Code", required=True, help="Short, e.g. NTH."),
        Field("name", "Name", required=True),
        Field("timezone", "Time zone", "select", required=True,
              options=lambda: [{"label": z, "value": z} for z in timezone_options()]),
    ],
    list_rows=lambda search, sort, page, per_page, _sites: list_sites(search, sort, page, per_page),
    row_id=lambda r: r[0].id, row_label=lambda s: s.code, load=loader(Site, site_form_values),
    save=save_site, delete=delete_site, defaults=lambda: {"timezone": "Europe/Berlin"},
    empty_hint="Add a site (plant).",
)


@page_layout("manage_users")
def layout(tab: str | None = None, **_query) -> html.Div:
    """Two tabs: users, and sites."""
    return html.Div([
        html.H1("Users and sites", className="h3 mb-3"),
        dbc.Tabs([dbc.Tab(crud_layout(USERS), label="Users", tab_id="users", className="pt-3"),
                  dbc.Tab(crud_layout(SITES), label="Sites", tab_id="sites", className="pt-3")],
                 active_tab="sites" if tab == "sites" else "users", id="users-sites-tabs"),
    ])
